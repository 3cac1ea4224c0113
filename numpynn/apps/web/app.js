// The page of `numpynn serve`: draw a digit (or upload an image) or fill in a row, and see what the
// model predicts. Every prediction comes from POST /predict, the same conversion as `numpynn predict`.
"use strict";

const $ = (id) => document.getElementById(id);
let info = null;

async function predict(request) {
  const response = await fetch("/predict", {method: "POST", headers: {"Content-Type": "application/json"},
                                            body: JSON.stringify(request)});
  const answer = await response.json();
  if (!response.ok) { throw new Error(answer.error || response.statusText); }
  return answer;
}

function showAnswer(answer) {
  const prediction = answer.predictions[0];
  $("error").textContent = "";
  const bars = $("bars");
  bars.replaceChildren();
  if ("value" in prediction) {
    $("label").textContent = `${info.target || "target"} = ${prediction.value.toPrecision(5)}`;
    return;
  }
  $("label").textContent = prediction.label;
  const entries = Object.entries(prediction.probabilities).sort((a, b) => b[1] - a[1]);
  for (const [name, p] of entries) {
    const row = document.createElement("div");
    row.className = "bar" + (name === prediction.label ? " best" : "");
    row.dataset.label = name;
    row.innerHTML = `<span class="name"></span><span class="track"><span class="fill"></span></span><span class="p"></span>`;
    row.querySelector(".name").textContent = name;
    row.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    row.querySelector(".p").textContent = `${(100 * p).toFixed(1)} %`;
    bars.appendChild(row);
  }
  if (answer.images) { showSeen(answer.images[0]); }
}

function showError(error) { $("error").textContent = error.message; }

function showSeen(pixels) {
  // The image the model saw, scaled up with crisp pixels; its values also go into data-pixels.
  const seen = $("seen"), height = pixels.length, width = pixels[0].length;
  const small = document.createElement("canvas");
  small.width = width; small.height = height;
  const context = small.getContext("2d"), image = context.createImageData(width, height);
  pixels.flat().forEach((v, i) => { image.data.set([v, v, v, 255], 4 * i); });
  context.putImageData(image, 0, 0);
  const big = seen.getContext("2d");
  big.imageSmoothingEnabled = false;
  big.drawImage(small, 0, 0, seen.width, seen.height);
  seen.dataset.pixels = JSON.stringify(pixels);
}

// ----- drawing ------------------------------------------------------------------------------------
function setUpCanvas() {
  const canvas = $("canvas"), context = canvas.getContext("2d");
  let drawing = false, last = null, pending = false, requested = 0;
  const clear = () => {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
  };
  const send = async () => {
    // At most one request in flight; the newest drawing is sent when it returns.
    if (pending) { requested += 1; return; }
    pending = true;
    document.body.dataset.busy = "true";
    try {
      showAnswer(await predict({images: [canvas.toDataURL("image/png")]}));
    } catch (error) { showError(error); }
    pending = false;
    if (requested) { requested = 0; send(); } else { document.body.dataset.busy = "false"; }
  };
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
  };
  const stroke = (from, to) => {
    context.strokeStyle = "#000"; context.lineWidth = 18; context.lineCap = "round"; context.lineJoin = "round";
    context.beginPath(); context.moveTo(...from); context.lineTo(...to); context.stroke();
  };
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true; last = point(event); stroke(last, last); canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) { return; }
    const next = point(event); stroke(last, next); last = next; send();
  });
  const stop = () => { if (drawing) { drawing = false; send(); } };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  $("clear").addEventListener("click", () => {
    clear(); $("label").textContent = "-"; $("bars").replaceChildren(); $("seen").getContext("2d").clearRect(0, 0, 112, 112);
    $("canvas").dataset.pending = "";
  });
  $("upload").addEventListener("change", () => {
    const file = $("upload").files[0];
    if (!file) { return; }
    const reader = new FileReader();
    reader.onload = () => {
      const picture = new Image();
      picture.onload = () => {
        clear();
        const scale = Math.min(canvas.width / picture.width, canvas.height / picture.height);
        const w = picture.width * scale, h = picture.height * scale;
        context.drawImage(picture, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
      };
      picture.src = reader.result;
      predict({images: [reader.result]}).then(showAnswer, showError);
    };
    reader.readAsDataURL(file);
  });
  clear();
}

// ----- the form of a table model ------------------------------------------------------------------
function setUpForm() {
  const form = $("form");
  for (const column of info.columns) {
    const id = `field-${form.children.length}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = column.name;
    let field;
    if (column.kind === "categorical") {
      field = document.createElement("select");
      const options = (column.blank ? [""] : []).concat(column.choices);
      for (const choice of options) {
        const option = document.createElement("option");
        option.value = choice;
        option.textContent = choice === "" ? "(blank)" : choice;
        field.appendChild(option);
      }
    } else if (column.kind === "text") {
      field = document.createElement("textarea");
      field.rows = 3;
    } else {
      field = document.createElement("input");
      field.type = "number"; field.step = "any"; field.required = !column.blank;
      if (column.default !== undefined) { field.placeholder = String(column.default); }
    }
    field.id = id;
    field.name = column.name;
    form.append(label, field);
  }
  const submit = document.createElement("button");
  submit.type = "submit";
  submit.textContent = "Predict";
  form.appendChild(submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const row = {};
    for (const column of info.columns) {
      const value = form.elements[column.name].value;
      row[column.name] = value === "" ? null : (column.kind === "numeric" ? Number(value) : value);
    }
    document.body.dataset.busy = "true";
    predict({rows: [row]}).then(showAnswer, showError).finally(() => { document.body.dataset.busy = "false"; });
  });
}

async function start() {
  info = await (await fetch("/api/info")).json();
  const what = info.task === "regression" ? `predicts ${info.target || "a number"}` :
    `tells apart ${info.class_names.length} classes`;
  $("about").textContent = `A model trained on ${info.dataset} that ${what}.`;
  if (info.kind === "images") {
    $("image-panel").hidden = false;
    setUpCanvas();
  } else {
    $("table-panel").hidden = false;
    setUpForm();
  }
  document.body.dataset.ready = "true";
}

start().catch(showError);
