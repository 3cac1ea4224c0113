"""The command line as a user runs it: exit status, files written, one-line errors."""

import gzip
import json

import numpy as np
import pytest
from conftest import requires_mnist
from helpers import fake_digits, idx_bytes, write_fake_mnist_folder

from numpynn.apps.cli import main
from numpynn.data import datasets
from numpynn.data.sources import prepare_data, scale_tabular
from numpynn.models.specs import build_model


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, pattern):
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("numpynn: error:"), err
    assert "Traceback" not in err
    import re

    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture(scope="module")
def breast_cancer_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "bc"
    assert main(["train", "breast-cancer", "--epochs", "40", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_breast_cancer_writes_a_complete_run_folder(breast_cancer_run):
    out = breast_cancer_run
    for name in (
        "config.json",
        "environment.json",
        "history.csv",
        "metrics.json",
        "model.npz",
        "preprocessing.json",
        "report.html",
    ):
        assert (out / name).is_file(), name
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == sorted(
        [
            "history.png",
            "learning_rate.png",
            "confusion_matrix.png",
            "confusion_matrix_normalized.png",
            "per_class.png",
            "roc.png",
            "score_distribution.png",
            "inside_importance.png",
        ]
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == "breast-cancer" and metrics["epochs_run"] >= 1 and metrics["train_seconds"] > 0
    test = metrics["test"]
    assert {"accuracy", "loss", "confusion_matrix", "per_class", "roc_auc"} <= set(test)
    assert set(test["per_class"]) == {"malignant", "benign"}
    assert sum(map(sum, test["confusion_matrix"])) == test["samples"] and 110 <= test["samples"] <= 115
    assert test["accuracy"] > 0.9 and {"train", "val"} <= set(metrics)
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds")
    assert len(history) == metrics["epochs_run"] + 1
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == len(figures) and "malignant" in report
    wrong = test["samples"] - sum(test["confusion_matrix"][i][i] for i in range(2))
    assert len(test["misclassified"]) == wrong and f"got wrong ({wrong};" in report
    confidences = [m["confidence"] for m in test["misclassified"]]
    assert confidences == sorted(confidences, reverse=True) and all(0.5 <= c <= 1 for c in confidences)


def test_the_saved_command_reproduces_the_run(breast_cancer_run, tmp_path, capsys):
    """config.json's command, run again, trains bit-identical weights; environment.json says what ran."""
    import shlex

    from numpynn import load_model

    config = json.loads((breast_cancer_run / "config.json").read_text())
    words = shlex.split(config["command"])
    assert words[:3] == ["numpynn", "train", "breast-cancer"] and "--epochs" in words
    assert main(words[1:] + ["--out", str(tmp_path / "again"), "--quiet"]) == 0
    for x, y in zip(
        load_model(breast_cancer_run / "model.npz").get_weights(),
        load_model(tmp_path / "again" / "model.npz").get_weights(),
    ):
        np.testing.assert_array_equal(x, y)
    environment = json.loads((breast_cancer_run / "environment.json").read_text())
    assert environment["numpy"] == np.__version__ and environment["numpynn"] and environment["python"]
    assert config["command"] in (breast_cancer_run / "report.html").read_text()


def test_misclassified_rows_point_at_the_original_samples():
    """The rows listed as misclassified are the dataset rows whose features the model saw as test samples."""
    from numpynn.runs import experiment

    raw = datasets.load_breast_cancer()
    data = prepare_data("breast-cancer", seed=4)
    scaler_mean, scaler_scale = (np.array(data.preprocessing[k]) for k in ("scaler_mean", "scaler_scale"))
    np.testing.assert_allclose(data.x_test * scaler_scale + scaler_mean, raw.x[data.test_rows], rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(data.y_test, raw.y[data.test_rows])
    model = build_model("logistic", (30,), 2, seed=0)  # untrained: plenty of mistakes
    model.compile("sgd", "binary_crossentropy")
    result = experiment.evaluate_split(model, data.x_test, data.y_test, data.class_names, data.test_rows)
    wrong = result["samples"] - int(np.trace(result["confusion_matrix"]))
    assert wrong > 0 and len(result["misclassified"]) == min(wrong, experiment.MISCLASSIFIED_LISTED)
    for entry in result["misclassified"]:
        assert data.class_names[raw.y[entry["row"]]] == entry["true"] != entry["predicted"]


def test_existing_run_folder_is_not_overwritten(breast_cancer_run, capsys):
    before = (breast_cancer_run / "metrics.json").read_text()
    code, out, err = run(capsys, "train", "breast-cancer", "--epochs", "1", "--out", breast_cancer_run, "--quiet")
    assert_one_line_error(code, err, "already exists.*--force")
    assert (breast_cancer_run / "metrics.json").read_text() == before


def test_evaluate_reproduces_the_saved_test_accuracy(breast_cancer_run, capsys):
    code, out, err = run(capsys, "evaluate", breast_cancer_run)
    assert code == 0 and "(same)" in out and "macro avg" in out


def test_predict_csv_rows(breast_cancer_run, tmp_path, capsys):
    data = datasets.load_breast_cancer()
    path = tmp_path / "rows.csv"
    rows = [",".join(data.feature_names)] + [",".join(map(str, data.x[i])) for i in (0, 19)]  # malignant, benign
    path.write_text("\n".join(rows) + "\n")
    code, out, err = run(capsys, "predict", breast_cancer_run, path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("row 1: malignant") and lines[1].startswith("row 2: benign")
    # --out also writes the predictions as CSV, with every class's probability.
    code, out, err = run(capsys, "predict", breast_cancer_run, path, "--out", tmp_path / "predictions.csv")
    assert code == 0 and "predictions written to" in err
    table = (tmp_path / "predictions.csv").read_text().splitlines()
    assert table[0] == "row,predicted,p_malignant,p_benign"  # rows counted from 1, as printed
    assert [line.split(",")[:2] for line in table[1:]] == [["1", "malignant"], ["2", "benign"]]
    for line in table[1:]:
        assert abs(sum(map(float, line.split(",")[2:])) - 1) < 1e-5


def test_train_csv_with_string_labels(tmp_path, capsys):
    data = datasets.load_breast_cancer()
    path = tmp_path / "tumours.csv"
    names = np.array(["M", "B"])[data.y]
    path.write_text(
        "\n".join(
            [",".join(data.feature_names[:5]) + ",diagnosis"]
            + [",".join(map(str, row[:5])) + f",{label}" for row, label in zip(data.x, names)]
        )
    )
    code, out, err = run(
        capsys, "train", f"csv:{path}", "--target", "diagnosis", "--epochs", "20", "--out", tmp_path / "run", "--quiet"
    )
    assert code == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["class_names"] == ["B", "M"] and len(config["feature_names"]) == 5


def test_train_idx_folder_and_predict_png(tmp_path, capsys):
    write_fake_mnist_folder(tmp_path / "digits")
    code, out, err = run(
        capsys,
        "train",
        f"idx:{tmp_path / 'digits'}",
        "--epochs",
        "8",
        "--val-size",
        "60",
        "--out",
        tmp_path / "run",
        "--quiet",
    )
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] > 0.9
    assert (tmp_path / "run" / "figures" / "misclassified.png").is_file()
    import matplotlib.image as mpimg

    image, label = fake_digits(3, seed=5)
    png = tmp_path / "digit.png"
    mpimg.imsave(png, image[2], cmap="gray", vmin=0, vmax=255)
    code, out, err = run(capsys, "predict", tmp_path / "run", png)
    assert code == 0 and out.startswith(f"{label[2]} ("), out
    # Any size, colour and format: resized as in training; many files, folders and globs in one call.
    from PIL import Image

    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for i in range(3):
        Image.fromarray(np.repeat(image[i], 4, axis=0).repeat(4, axis=1)).convert("RGB").save(pictures / f"{i}.jpg")
    (pictures / "notes.txt").write_text("not an image")
    code, out, err = run(
        capsys, "predict", tmp_path / "run", png, pictures, str(pictures / "[01].jpg"), "--out", tmp_path / "p.csv"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 6 and lines[0].startswith(f"{png}: {label[2]} (")
    assert [line.split(": ")[1].split(" ")[0] for line in lines[1:4]] == [str(label[i]) for i in range(3)]
    table = (tmp_path / "p.csv").read_text().splitlines()
    assert table[0].startswith("file,predicted,p_0") and len(table) == 7
    assert_one_line_error(
        *run(capsys, "predict", tmp_path / "run", pictures / "notes.txt")[::2], "classifies images .* not notes.txt"
    )
    assert_one_line_error(*run(capsys, "predict", tmp_path / "run", tmp_path / "missing.png")[::2], "no file or folder")


@requires_mnist
def test_train_mnist_one_epoch(tmp_path, capsys):
    code, out, err = run(
        capsys, "train", "mnist", "--epochs", "1", "--model", "mlp:64", "--out", tmp_path / "run", "--quiet"
    )
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["samples"] == 10000 and metrics["val"]["samples"] == 5000
    assert metrics["train"]["samples"] == 55000 and metrics["test"]["accuracy"] > 0.9


@pytest.mark.parametrize(
    "argv,pattern",
    [
        (["train", "cifar"], "unknown dataset 'cifar'"),
        (["train", "breast-cancer", "--optimizer", "lbfgs"], "--optimizer must be one of adam, .*, got 'lbfgs'"),
        (["train", "breast-cancer", "--schedule", "cyclic"], "--schedule must be one of constant, .*, got 'cyclic'"),
        (["train", "breast-cancer", "--lr", "-1"], "--lr must be positive, got -1.0"),
        (["train", "breast-cancer", "--test-size", "1.5"], "--test-size must be a fraction between 0 and 1"),
        (["train", "breast-cancer", "--early-stopping", "-2"], "--early-stopping must be >= 0"),
        (["train", "breast-cancer", "--batch-size", "1.5"], "argument --batch-size: invalid int value"),
        (["train", "breast-cancer", "--model", "mlp:abc"], "bad number 'abc'"),
        (["train", "breast-cancer", "--model", "transformer"], "unknown layer 'transformer'"),
        (["train", "breast-cancer", "--epochs", "0"], "--epochs must be positive, got 0"),
        (["train", "breast-cancer", "--bogus"], "unrecognized arguments: --bogus"),
        (["evaluate", "/nonexistent/run"], "not a run folder"),
    ],
)
def test_bad_options(argv, pattern, capsys, tmp_path):
    argv = argv + (["--out", str(tmp_path / "run")] if argv[0] == "train" else [])
    assert_one_line_error(*run(capsys, *argv)[::2], pattern)


def test_bad_files(tmp_path, capsys):
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("a,b,label\n1,2,x\n3,oops,y\n")
    assert_one_line_error(
        *run(capsys, "train", f"csv:{csv_path}", "--target", "nope", "--out", tmp_path / "r1")[::2], "no column 'nope'"
    )
    csv_path.write_text("a,label\n1,x\n2,x\n3,x\n4,y\n")
    assert_one_line_error(
        *run(capsys, "train", f"csv:{csv_path}", "--target", "label", "--out", tmp_path / "r3")[::2],
        "class 'y' has 1 row",
    )
    assert_one_line_error(*run(capsys, "train", f"csv:{csv_path}", "--out", tmp_path / "r4")[::2], "--target")
    bad = tmp_path / "bad"
    write_fake_mnist_folder(bad)
    (bad / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    assert_one_line_error(*run(capsys, "train", f"idx:{bad}", "--out", tmp_path / "r5")[::2], "not a valid gzip")
    truncated = gzip.compress(idx_bytes(fake_digits(300)[0])[:-10])
    (bad / "train-images-idx3-ubyte.gz").write_bytes(truncated)
    assert_one_line_error(*run(capsys, "train", f"idx:{bad}", "--out", tmp_path / "r6")[::2], "is truncated")
    (bad / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\x00\x01\x08\x03" + b"\x00" * 20))
    assert_one_line_error(*run(capsys, "train", f"idx:{bad}", "--out", tmp_path / "r7")[::2], "bad IDX magic")


def test_predict_with_a_model_file_that_is_not_one(breast_cancer_run, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(breast_cancer_run, broken)
    (broken / "model.npz").write_bytes(b"garbage")
    csv_path = tmp_path / "x.csv"
    csv_path.write_text("a\n1\n")
    assert_one_line_error(*run(capsys, "predict", broken, csv_path)[::2], "not a readable numpynn model file")


def test_train_idx_with_a_small_cnn_and_predict_png(tmp_path, capsys):
    write_fake_mnist_folder(tmp_path / "digits")
    code, out, err = run(
        capsys,
        "train",
        f"idx:{tmp_path / 'digits'}",
        "--model",
        "conv:4,pool,dense:16",
        "--epochs",
        "6",
        "--batch-size",
        "16",
        "--val-size",
        "60",
        "--augment",
        "1",
        "--out",
        tmp_path / "run",
        "--quiet",
    )
    assert code == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["input_shape"] == [8, 8, 1] and config["augment"] == 1
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["test"]["accuracy"] > 0.9
    import matplotlib.image as mpimg

    image, label = fake_digits(3, seed=5)
    png = tmp_path / "digit.png"
    mpimg.imsave(png, 255 - image[1], cmap="gray", vmin=0, vmax=255)  # dark on light: predict inverts it
    code, out, err = run(capsys, "predict", tmp_path / "run", png)
    assert code == 0 and out.startswith(f"{label[1]} ("), out
    assert_one_line_error(
        *run(capsys, "train", "breast-cancer", "--augment", "2", "--out", tmp_path / "r2")[::2],
        "--augment shifts images",
    )


@requires_mnist
def test_demo_trains_both_datasets_and_prints_a_summary(tmp_path, monkeypatch, capsys):
    from numpynn.apps import demo
    from numpynn.runs import options

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(options.BY_KEY["epochs"].defaults, "images", 1)
    monkeypatch.setitem(options.BY_KEY["epochs"].defaults, "tabular", 5)
    monkeypatch.setitem(options.BY_KEY["model"].defaults, "images", "mlp:64")
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert "breast-cancer" in out and "mnist" in out and "total time" in out
    runs = sorted(p.name.split("-")[0] for p in (tmp_path / "runs").iterdir())
    assert runs == ["breast", "mnist"]
    assert all((p / "report.html").is_file() for p in (tmp_path / "runs").iterdir())


def test_same_seed_same_run(tmp_path, capsys):
    """Two runs with one seed give the same history and bit-identical weights."""
    for name in ("a", "b"):
        assert (
            main(["train", "breast-cancer", "--epochs", "15", "--seed", "3", "--out", str(tmp_path / name), "--quiet"])
            == 0
        )

    def read_history(name):
        return [line.split(",")[:5] for line in (tmp_path / name / "history.csv").read_text().splitlines()]

    assert read_history("a") == read_history("b")
    from numpynn import load_model

    for x, y in zip(
        load_model(tmp_path / "a" / "model.npz").get_weights(), load_model(tmp_path / "b" / "model.npz").get_weights()
    ):
        np.testing.assert_array_equal(x, y)


def test_version_and_help(capsys):
    import numpynn

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"numpynn {numpynn.__version__}"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = capsys.readouterr().out
    assert "--early-stopping PATIENCE" in help_text
    assert "--weight-decay=0.03" in help_text and "--val-size=5000" in help_text  # the defaults, per kind


def test_fit_and_evaluate_on_splits_made_elsewhere():
    """Splits given by the caller are used as they are, scaled with statistics of the training split only."""
    from numpynn.runs import experiment

    raw = datasets.load_breast_cancer()
    order = np.random.default_rng(0).permutation(len(raw.y))
    train, val, test = order[:300], order[300:400], order[400:]
    data = scale_tabular(tuple((raw.x[i], raw.y[i]) for i in (train, val, test)), raw.class_names)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-4)
    assert abs(data.x_test.mean(axis=0)).max() > 1e-3  # the test split did not shape the scaler
    np.testing.assert_allclose(data.preprocessing["scaler_mean"], raw.x[train].mean(axis=0), rtol=1e-4)
    result = experiment.fit_and_evaluate("breast-cancer", data=data, epochs=5, seed=1)
    metrics = result.metrics
    assert result.data is data
    assert metrics["test"]["samples"] == len(test) == 169 and metrics["val"]["samples"] == 100
    assert metrics["test"]["accuracy"] > 0.8
