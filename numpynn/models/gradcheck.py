"""Finite-difference gradient checking in float64.

``gradcheck(target, x, y)`` compares backpropagated gradients with central differences
(f(w + eps) - f(w - eps)) / (2 eps) for every input and parameter element:
- a Layer: the scalar objective is sum(forward(x) * R) for a fixed random R, so backward(R) is its gradient;
- a Loss: the objective is forward(x, y) (x are the predictions);
- a compiled Sequential model: the objective is the training loss; only parameters are checked.
The target is copied and converted to float64 first; the original is not touched.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from numpynn.errors import InputError, InputTypeError
from numpynn.nn.layers import Layer
from numpynn.nn.losses import Loss

if TYPE_CHECKING:  # for annotations only: importing these at run time would be circular
    from numpynn.models.sequential import Sequential


@dataclass
class GradcheckResult:
    """``errors[name]``: max |analytic - numeric| / (atol + rtol * |numeric|); the check passes when <= 1.
    ``relative[name]``: ||analytic - numeric|| / (||analytic|| + ||numeric||), the usual summary number."""

    ok: bool
    errors: dict = field(default_factory=dict)
    relative: dict = field(default_factory=dict)

    def __bool__(self):
        return self.ok

    def __str__(self):
        rows = [
            f"{name:>12}: error ratio {self.errors[name]:.3g}, relative error {self.relative[name]:.3g}"
            for name in self.errors
        ]
        return ("gradient check passed" if self.ok else "gradient check FAILED") + "\n" + "\n".join(rows)


def gradcheck(
    target: Layer | Loss | Sequential,
    x: ArrayLike,
    y: ArrayLike | None = None,
    *,
    training: bool = True,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    seed: int = 0,
    raise_on_failure: bool = False,
) -> GradcheckResult:
    """Check ``target``'s gradients at input ``x`` (targets ``y`` for a Loss or a model)."""
    rng = np.random.default_rng(seed)
    integers = getattr(target, "integer_input", False)  # token ids: no gradient to check for them
    x = np.array(x) if integers else np.array(x, dtype=np.float64)
    if isinstance(target, Layer):
        objective, analytic, arrays = _layer_problem(target, x, training, rng)
    elif isinstance(target, Loss):
        objective, analytic, arrays = _loss_problem(target, x, y)
    elif hasattr(target, "layers") and hasattr(target, "compile"):
        objective, analytic, arrays = _model_problem(target, x, y, training)
    else:
        raise InputTypeError(f"gradcheck takes a Layer, a Loss or a Sequential model, got {type(target).__name__}.")

    result = GradcheckResult(ok=True)
    for name, array in arrays.items():
        numeric = _numeric_gradient(objective, array, eps)
        a = analytic[name]
        if a.shape != numeric.shape:
            raise ValueError(f"gradient of {name} has shape {a.shape}, expected {numeric.shape}.")
        ratio = float(np.max(np.abs(a - numeric) / (atol + rtol * np.abs(numeric)))) if a.size else 0.0
        denominator = np.linalg.norm(a) + np.linalg.norm(numeric)
        result.errors[name] = ratio
        result.relative[name] = float(np.linalg.norm(a - numeric) / denominator) if denominator > 0 else 0.0
        result.ok = result.ok and ratio <= 1
    if raise_on_failure and not result.ok:
        raise AssertionError(str(result))
    return result


def _numeric_gradient(objective, array, eps):
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = objective()
        flat[i] = original - eps
        minus = objective()
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def _to_float64(layer: Layer) -> Layer:
    layer = copy.deepcopy(layer)
    _cast_in_place(layer)
    return layer


def _cast_in_place(layer: Layer) -> None:
    layer.dtype = np.dtype("float64")
    for sublayer in layer.sublayers():  # a block's arrays are its layers'
        _cast_in_place(sublayer)
    for group in (layer.params, layer.grads, layer.state):
        for key in group:
            if group[key].dtype != np.float64:
                group[key] = group[key].astype(np.float64)


def _replaying_rng(layer: Layer):
    """Return a function that rewinds the layer's generator, so every forward draws the same dropout mask."""
    rng = getattr(layer, "_rng", None)
    if rng is None:
        return lambda: None
    state = copy.deepcopy(rng.bit_generator.state)
    return lambda: setattr(rng.bit_generator, "state", copy.deepcopy(state))


def _layer_problem(layer, x, training, rng):
    if layer.built:
        layer = _to_float64(layer)
    else:
        layer = copy.deepcopy(layer)
        layer.dtype = np.dtype("float64")
        layer.build(x.shape[1:], dtype="float64", rng=np.random.default_rng(1))
    layer.needs_input_grad = True
    rewind = _replaying_rng(layer)
    rewind()
    weights = rng.normal(size=(len(x),) + tuple(layer.output_shape))

    def objective():
        rewind()
        return float(np.sum(layer(x, training=training) * weights))

    objective()
    grad_input = layer.backward(weights)
    analytic = {} if layer.integer_input else {"input": grad_input}
    analytic.update({key: value.copy() for key, value in layer.grads.items()})
    return objective, analytic, {**({} if layer.integer_input else {"input": x}), **layer.params}


def _loss_problem(loss, y_pred, y_true):
    if y_true is None:
        raise InputError("gradcheck of a loss needs y (the targets).")

    def objective():
        return loss.forward(y_pred, y_true)

    objective()
    return objective, {"y_pred": loss.backward().copy()}, {"y_pred": y_pred}


def _model_problem(model, x, y, training):
    if model.loss is None:
        raise InputError("gradcheck of a model needs a compiled model (model.compile(loss=...)).")
    model = copy.deepcopy(model)
    if not model.built:
        model.build(x.shape[1:])
    model.layers = [_to_float64(layer) for layer in model.layers]
    model.dtype = np.dtype("float64")
    model.build(model.input_shape)
    rewinds = [_replaying_rng(layer) for layer in model.layers]
    y = model.loss.prepare_targets(np.asarray(y), model.output_shape)

    def objective():
        for rewind in rewinds:
            rewind()
        _, scores = model.outputs_and_scores(x, training=training)
        return model.scoring_loss.value(scores, y)

    for rewind in rewinds:
        rewind()
    _, scores = model.outputs_and_scores(x, training=training)
    model.backward(model.scoring_loss.value_and_grad(scores, y)[1], from_logits=model.scores_logits)
    analytic, arrays = {}, {}
    for layer in model.layers:
        for key in layer.params:
            analytic[f"{layer.name}/{key}"] = layer.grads[key].copy()
            arrays[f"{layer.name}/{key}"] = layer.params[key]
    return objective, analytic, arrays
