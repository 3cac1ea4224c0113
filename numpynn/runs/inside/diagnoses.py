"""What the inside of a training run says, in plain words: rules over ``LayerStats`` rows and the history.

Each rule has a threshold and a source for its rule of thumb (docs/inspect.md lists them):

- dead ReLUs: at least DEAD_FRACTION of a hidden layer's ReLU units output 0 for every sample of the
  fixed batch in the last epoch. CS231n (Karpathy): "as much as 40% of your network can be dead".
- saturation: at least SATURATED_FRACTION of a hidden sigmoid/tanh layer's outputs lie in the flat part
  of the curve in the last epoch (Glorot and Bengio 2010 traced slow deep training to this).
- vanishing gradients: a layer's gradient norm below VANISHING_NORM, or below VANISHING_RELATIVE of the
  largest layer gradient of the same epoch (Hochreiter 1991; Bengio et al. 1994).
- learning rate: the update-to-weight ratio of a step is healthy around 1e-3 (CS231n); above
  RATIO_HIGH in any epoch the rate is likely too high, below RATIO_LOW in every epoch too low.
- overfitting: the validation loss ends OVERFIT_EPOCHS or more epochs after its minimum and at least
  OVERFIT_RISE times it, while the training loss went on falling (Prechelt 1998, "Early stopping - but
  when?").
- divergence: a loss or weight that is not finite.
- no learning: the training loss falls by less than STALL_DROP over STALL_EPOCHS or more epochs.
- stuck validation: validation accuracy does not change at all while training accuracy rises by more
  than STUCK_GAIN (with BatchNormalization: running averages that have not caught up; Ioffe and Szegedy
  2015 use the running averages at inference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEAD_FRACTION = 0.4
SATURATED_FRACTION = 0.5
VANISHING_NORM = 1e-7
VANISHING_RELATIVE = 1e-4
RATIO_HIGH = 0.02
RATIO_LOW = 1e-5
OVERFIT_EPOCHS = 5
OVERFIT_RISE = 1.1  # the last validation loss at least 10 % above the best: a trend, not noise
STALL_EPOCHS, STALL_DROP = 3, 0.1
STUCK_GAIN = 0.1

DYNAMICS_FIGURE, ACTIVATIONS_FIGURE, HISTORY_FIGURE = "inside_dynamics.png", "inside_activations.png", "history.png"


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # dead_relu, saturated, vanishing, lr_high, lr_low, overfitting, diverged
    message: str  # what the numbers say
    suggestion: str  # what to try
    figure: str  # the report figure that shows it
    layer: str | None = None
    epoch: int | None = None

    def __str__(self) -> str:
        return f"{self.message}; {self.suggestion}"


def _by_layer(rows: list[dict]) -> dict[str, list[dict]]:
    layers: dict[str, list[dict]] = {}
    for row in rows:
        layers.setdefault(row["layer"], []).append(row)
    return layers


def _number(row: dict, key: str) -> float | None:
    value = row.get(key, "")
    return None if value in ("", None) else float(value)


def _activation_rules(layers: dict[str, list[dict]], output_layer: str | None) -> list[Diagnosis]:
    found = []
    for name, rows in layers.items():
        last = rows[-1]
        if name == output_layer:
            continue  # a confident output layer is the goal, not a problem
        dead, saturated = _number(last, "dead_fraction"), _number(last, "saturated_fraction")
        if dead is not None and dead >= DEAD_FRACTION:
            found.append(
                Diagnosis(
                    "dead_relu",
                    f"{name}: {dead:.0%} of its ReLU units never fire on the sample (dead)",
                    "try a lower learning rate, LeakyReLU, or He initialisation",
                    ACTIVATIONS_FIGURE,
                    name,
                    last["epoch"],
                )
            )
        if saturated is not None and saturated >= SATURATED_FRACTION:
            found.append(
                Diagnosis(
                    "saturated",
                    f"{name}: {saturated:.0%} of its {last.get('activation')} outputs "
                    "are saturated, where the gradient through them nearly vanishes",
                    "try ReLU, BatchNormalization, or smaller initial weights",
                    ACTIVATIONS_FIGURE,
                    name,
                    last["epoch"],
                )
            )
    return found


def _gradient_rules(rows: list[dict]) -> list[Diagnosis]:
    found, reported = [], set()
    largest: dict[int, float] = {}
    for row in rows:
        norm = _number(row, "grad_norm")
        if norm is not None:
            largest[row["epoch"]] = max(largest.get(row["epoch"], 0.0), norm)
    for row in rows:
        norm = _number(row, "grad_norm")
        if norm is None or row["layer"] in reported:
            continue
        top = largest[row["epoch"]]
        if norm < VANISHING_NORM or (top > 0 and norm < VANISHING_RELATIVE * top):
            what = (
                f"fell below {VANISHING_NORM:g}"
                if norm < VANISHING_NORM
                else f"is {norm / top:.1e} of the largest layer's"
            )
            found.append(
                Diagnosis(
                    "vanishing",
                    f"{row['layer']}: gradient norm {what} by epoch {row['epoch']} (vanishing)",
                    "try ReLU instead of sigmoid/tanh, BatchNormalization, residual connections, or fewer layers",
                    DYNAMICS_FIGURE,
                    row["layer"],
                    row["epoch"],
                )
            )
            reported.add(row["layer"])
    return found


def _learning_rate_rules(layers: dict[str, list[dict]]) -> list[Diagnosis]:
    found = []
    for name, rows in layers.items():
        ratios = [(row["epoch"], _number(row, "update_ratio")) for row in rows if _number(row, "update_ratio")]
        if not ratios:
            continue
        epoch, highest = max(ratios, key=lambda pair: pair[1])
        if highest > RATIO_HIGH:
            found.append(
                Diagnosis(
                    "lr_high",
                    f"update/weight ratio {highest:.2g} in {name} at epoch {epoch} (healthy is about 1e-3)",
                    "the learning rate is likely too high: try it 10x smaller",
                    DYNAMICS_FIGURE,
                    name,
                    epoch,
                )
            )
        elif highest < RATIO_LOW:
            found.append(
                Diagnosis(
                    "lr_low",
                    f"update/weight ratio at most {highest:.2g} in {name} (healthy is about 1e-3)",
                    "the learning rate is likely too low: try it 10x larger",
                    DYNAMICS_FIGURE,
                    name,
                    epoch,
                )
            )
    return found


def _progress_rules(history: dict, batch_norm: bool) -> list[Diagnosis]:
    """A training loss that barely moves; validation predictions that stay put while training improves."""
    found = []
    losses, accuracy, val_accuracy = history.get("loss", []), history.get("accuracy"), history.get("val_accuracy")
    finite = all(math.isfinite(value) for value in losses)
    if len(losses) >= STALL_EPOCHS and finite and min(losses) > (1 - STALL_DROP) * losses[0]:
        found.append(
            Diagnosis(
                "not_learning",
                f"the training loss fell by less than {STALL_DROP:.0%} in "
                f"{len(losses)} epochs ({losses[0]:.3g} to {losses[-1]:.3g}): the network is not "
                "learning",
                "check the learning rate (try 10x larger and 10x smaller) and that the inputs are scaled",
                HISTORY_FIGURE,
            )
        )
    if accuracy and val_accuracy and len(val_accuracy) >= STALL_EPOCHS:
        gain = accuracy[-1] - accuracy[0]
        if max(val_accuracy) - min(val_accuracy) < 1e-9 and gain > STUCK_GAIN:
            why = (
                "BatchNormalization's running averages (used for validation) have seen too few batches: train "
                "longer, or give BatchNormalization a lower momentum such as 0.9"
                if batch_norm
                else "check that the validation data is prepared like the training data"
            )
            found.append(
                Diagnosis(
                    "stuck_validation",
                    f"validation accuracy stays at {val_accuracy[-1]:.3f} while "
                    f"training accuracy rose from {accuracy[0]:.3f} to {accuracy[-1]:.3f}",
                    why,
                    HISTORY_FIGURE,
                )
            )
    return found


def _history_rules(history: dict) -> list[Diagnosis]:
    found = []
    losses, val_losses = history.get("loss", []), history.get("val_loss", [])
    bad = next((i for i, value in enumerate(losses) if not math.isfinite(value)), None)
    if bad is not None:
        found.append(
            Diagnosis(
                "diverged",
                f"the training loss became {losses[bad]} at epoch {bad + 1} (diverged)",
                "lower the learning rate, or clip gradients (clipnorm)",
                HISTORY_FIGURE,
                epoch=bad + 1,
            )
        )
    if len(val_losses) > OVERFIT_EPOCHS and all(math.isfinite(v) for v in val_losses):
        best = min(range(len(val_losses)), key=val_losses.__getitem__)
        rising = len(val_losses) - 1 - best
        if rising >= OVERFIT_EPOCHS and val_losses[-1] > OVERFIT_RISE * val_losses[best] and losses[-1] < losses[best]:
            found.append(
                Diagnosis(
                    "overfitting",
                    f"validation loss rising for {rising} epochs ({val_losses[best]:.3g} "
                    f"to {val_losses[-1]:.3g}) while training loss falls: overfitting after epoch "
                    f"{best + 1}",
                    "stop earlier (--early-stopping), add dropout or weight decay, or get more data",
                    HISTORY_FIGURE,
                    epoch=best + 1,
                )
            )
    return found


ORDER = (
    "diverged",
    "stuck_validation",
    "dead_relu",
    "saturated",
    "vanishing",
    "lr_high",
    "lr_low",
    "not_learning",
    "overfitting",
)


def _merge(found: list[Diagnosis]) -> list[Diagnosis]:
    """One diagnosis per kind: the first layer's words, with how many other layers show the same."""
    merged = []
    for kind in ORDER:
        same = [d for d in found if d.kind == kind]
        if not same:
            continue
        first = same[0]
        if len(same) > 1:
            others = ", ".join(d.layer for d in same[1:4]) + (", ..." if len(same) > 4 else "")
            first = Diagnosis(
                kind, f"{first.message} (also {others})", first.suggestion, first.figure, first.layer, first.epoch
            )
        merged.append(first)
    return merged


def diagnose(rows: list[dict], history: dict | None = None, output_layer: str | None = None) -> list[Diagnosis]:
    """What the rules find in ``LayerStats`` rows (and the history): one diagnosis per kind, the root
    causes first (a dead or saturated layer explains the vanishing gradient and tiny updates it causes)."""
    layers = _by_layer(rows)
    batch_norm = any(row.get("type") == "BatchNormalization" for row in rows)
    found = (
        _history_rules(history or {})
        + _progress_rules(history or {}, batch_norm)
        + _activation_rules(layers, output_layer)
    )
    explained = {d.layer for d in found if d.kind in ("dead_relu", "saturated")}
    found += [d for d in _gradient_rules(rows) if d.layer not in explained]
    explained |= {d.layer for d in found if d.kind == "vanishing"}
    found += [d for d in _learning_rate_rules(layers) if not (d.kind == "lr_low" and d.layer in explained)]
    diverged_weights = [row["layer"] for row in rows if not math.isfinite(_number(row, "weight_norm") or 0.0)]
    if diverged_weights and not any(d.kind == "diverged" for d in found):
        found.insert(
            0,
            Diagnosis(
                "diverged",
                f"{diverged_weights[0]}: weights became infinite or NaN (diverged)",
                "lower the learning rate, or clip gradients (clipnorm)",
                DYNAMICS_FIGURE,
                diverged_weights[0],
            ),
        )
    return _merge(found)
