"""Sequential: a stack of layers with Keras's compile / fit / evaluate / predict / summary."""
from __future__ import annotations

import math
import re
import sys
import time
import warnings

import numpy as np

from . import callbacks as callbacks_module
from . import losses, optimizers
from . import metrics as metrics_module
from .layers import Layer
from .utils import as_float_dtype, check_array, check_positive_int, check_same_length, get_rng

# Large enough to keep BLAS busy, small enough that a conv layer's im2col buffer stays in the low 100s of MB.
PREDICT_BATCH_SIZE = 256


class Sequential:
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
    dtype : 'float32' (default) or 'float64'; parameters, activations, gradients and optimizer state
        all use it. Inputs are converted to it once, at the start of fit/predict.
    seed : int, optional. Seeds weight initialisation and shuffling (else the global generator,
        see ``numpynn.utils.set_seed``).
    """

    def __init__(self, layers=None, dtype="float32", seed=None, name="sequential"):
        self.name = name
        self.dtype = as_float_dtype(dtype)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.layers: list[Layer] = []
        self.built = False
        self.input_shape = self.output_shape = None
        self.optimizer = self.loss = None
        self.metric_names: list[str] = []
        self.stop_training = False
        self.history = None
        for layer in layers or []:
            self.add(layer)

    @property
    def rng(self) -> np.random.Generator:
        return self._rng if self._rng is not None else get_rng()

    # ----- construction -----------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes numpynn layers, got {type(layer).__name__}.")
        if layer.name is None:  # Keras-style names: dense, dense_1, conv2d, max_pooling2d, ...
            base = re.sub(r"(?<!^)(?=[A-Z])", "_", type(layer).__name__).lower().replace("2_d", "2d")
            taken = {other.name for other in self.layers}
            name, count = base, 0
            while name in taken:
                count += 1
                name = f"{base}_{count}"
            layer.name = name
        self.layers.append(layer)
        self.built = False
        if self.layers[0].input_shape is not None:
            self.build(self.layers[0].input_shape)

    def build(self, input_shape) -> None:
        """Create every layer's parameters for samples of shape ``input_shape`` (no batch axis)."""
        shape = tuple(int(s) for s in input_shape)
        self.input_shape = shape
        for layer in self.layers:
            if layer.dtype is not None and layer.dtype != self.dtype:
                raise ValueError(f"{layer.describe()} has dtype {layer.dtype}, the model {self.dtype}; "
                                 "give the model the dtype instead.")
            if not layer.built:
                layer.build(shape, dtype=self.dtype, rng=self.rng)
            elif layer.input_shape != shape:
                raise ValueError(f"{layer.describe()} was built for input {layer.input_shape}, "
                                 f"but the layer before it outputs {shape}.")
            shape = layer.output_shape
        self.output_shape = shape
        # Gradients flow back only as far as the first layer with parameters; nothing before it
        # needs one, so that layer skips computing the gradient of its input.
        trainable = [i for i, layer in enumerate(self.layers) if layer.params]
        self._first_trainable = trainable[0] if trainable else len(self.layers)
        for i, layer in enumerate(self.layers):
            layer.needs_input_grad = i > self._first_trainable
        self._backward_layers = self.layers[self._first_trainable:-1][::-1]
        self._variables, self._segments = self._pack_parameters()
        self.built = True

    def _pack_parameters(self):
        """Move every parameter (and its gradient) into one contiguous vector; layers keep views of it.

        The optimizer then updates the whole model with a dozen vectorised passes over one array
        instead of a dozen passes per parameter, which removes most of its Python overhead.
        Layers must therefore write gradients in place (``out=`` or ``[...] =``), never rebind them.
        """
        entries = [(layer, key) for layer in self.layers for key in layer.params]
        total = sum(layer.params[key].size for layer, key in entries)
        flat_params = np.empty(total, dtype=self.dtype)
        flat_grads = np.zeros(total, dtype=self.dtype)
        offset, sizes, self._views = 0, [], []
        for layer, key in entries:
            shape, size = layer.params[key].shape, layer.params[key].size
            flat_params[offset:offset + size] = layer.params[key].ravel()
            layer.params[key] = flat_params[offset:offset + size].reshape(shape)
            layer.grads[key] = flat_grads[offset:offset + size].reshape(shape)
            self._views.append((layer, key, layer.params[key], layer.grads[key]))
            offset += size
            sizes.append(size)
        # The sizes tell the optimizer where each variable lies, so clipnorm can clip them one by one.
        return ([("parameters", flat_params, flat_grads)], {"parameters": sizes}) if total else ([], {})

    def compile(self, optimizer="adam", loss=None, metrics=None) -> None:
        """Choose the optimizer, the loss and the metrics to track (names or objects)."""
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='sparse_categorical_crossentropy'.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        names = [metrics] if isinstance(metrics, str) else list(metrics or [])
        self._metric_fns = {name: metrics_module.get_model_metric(name) for name in names}
        self.metric_names = names

    def _check_compiled(self, what: str):
        if self.optimizer is None or self.loss is None:
            raise RuntimeError(f"Call model.compile(optimizer=..., loss=...) before {what}.")

    def _loss_setup(self):
        """The loss as training uses it: from the logits when the last activation matches the loss."""
        last = self.layers[-1]
        activation = getattr(getattr(last, "activation", None), "name", None)
        if not self.loss.from_logits and activation is not None and activation == self.loss.fused_activation:
            return self.loss.as_from_logits(), True
        return self.loss, False

    # ----- data checks ------------------------------------------------------------------------
    def _check_inputs(self, x, name="X") -> np.ndarray:
        x = check_array(x, name, dtype=self.dtype)
        if x.ndim < 2:
            raise ValueError(f"{name} must have a batch axis: shape (samples, features...), got {x.shape}; "
                             "for a single sample use x[None].")
        if not self.built:
            if not self.layers:
                raise RuntimeError("The model has no layers; add some before using it.")
            self.build(x.shape[1:])
        elif x.shape[1:] != self.input_shape:
            raise ValueError(f"The model expects samples of shape {self.input_shape}, {name} has samples of shape "
                             f"{x.shape[1:]} (array shape {x.shape}); pass data with the features it was built for.")
        return x

    def _check_data(self, x, y, x_name="X", y_name="y"):
        x = self._check_inputs(x, x_name)
        y = check_array(y, y_name)
        check_same_length(x, y, x_name, y_name)
        return x, self.loss.prepare_targets(y, self.output_shape)

    # ----- training ---------------------------------------------------------------------------
    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, augment=None):
        """Train for ``epochs`` passes over (x, y). Returns a History callback.

        x: (samples, *input_shape); y: (samples,) labels or (samples, outputs) targets.
        verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
        augment: optional ``fn(x_batch, rng) -> x_batch`` applied to every training batch (for example
            ``preprocessing.random_shift``); validation data is never augmented.
        """
        self._check_compiled("fit")
        batch_size = check_positive_int(batch_size, "batch_size")
        epochs = check_positive_int(epochs, "epochs")
        x, y = self._check_data(x, y)
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val).")
            x_val, y_val = self._check_data(*validation_data, "X_val", "y_val")
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}.")
            from .preprocessing import split_indices
            stratify = metrics_module.labels_from_targets(y) if self._is_classifier() else None
            train_idx, val_idx = split_indices(len(x), validation_split, stratify, self.rng)
            x, y, x_val, y_val = x[train_idx], y[train_idx], x[val_idx], y[val_idx]
        else:
            x_val = y_val = None

        history = callbacks_module.History()
        callback_list = [history] + list(callbacks or [])
        for callback in callback_list:
            callback.set_model(self)
        self.stop_training = False
        self.history = history
        train_loss, fused = self._loss_setup()
        threshold = 0.0 if self.loss.from_logits else 0.5
        for callback in callback_list:
            callback.on_train_begin()

        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught below, by its loss
            self._run_epochs(x, y, x_val, y_val, batch_size, epochs, verbose, shuffle, callback_list,
                             train_loss, fused, threshold, augment)
        for callback in callback_list:
            callback.on_train_end()
        return history

    def _run_epochs(self, x, y, x_val, y_val, batch_size, epochs, verbose, shuffle, callback_list,
                    train_loss, fused, threshold, augment):
        last_finite_weights = self.get_weights()
        num_samples = len(x)
        num_batches = math.ceil(num_samples / batch_size)
        for epoch in range(epochs):
            for callback in callback_list:
                callback.on_epoch_begin(epoch)
            start = time.perf_counter()
            lr = self.optimizer.current_learning_rate()
            order = self.rng.permutation(num_samples) if shuffle else np.arange(num_samples)
            bar = _progress_bar(num_batches, f"Epoch {epoch + 1}/{epochs}", verbose)
            loss_sum = 0.0
            metric_sums = dict.fromkeys(self.metric_names, 0.0)
            seen = 0
            failed = False
            for batch in range(num_batches):
                index = order[batch * batch_size:(batch + 1) * batch_size]
                x_batch, y_batch = x[index], y[index]
                if augment is not None:
                    x_batch = augment(x_batch, self.rng)
                loss_value, outputs = self._train_step(x_batch, y_batch, train_loss, fused)
                count = len(index)
                seen += count
                loss_sum += loss_value * count
                for name, fn in self._metric_fns.items():
                    metric_sums[name] += fn(y_batch, outputs, threshold) * count
                for callback in callback_list[1:]:
                    callback.on_batch_end(batch, {"loss": loss_value})
                if not math.isfinite(loss_value):
                    failed = True
                    break
                if bar is not None:
                    bar.update(1)
                    if batch % 20 == 0 or batch == num_batches - 1:
                        bar.set_postfix(_format_logs({"loss": loss_sum / seen,
                                                      **{k: v / seen for k, v in metric_sums.items()}}),
                                        refresh=False)
                if self.stop_training:
                    break
            if failed:
                if bar is not None:
                    bar.close()
                self.set_weights(last_finite_weights)
                warnings.warn(f"The loss became {loss_value} in epoch {epoch + 1}; training stopped and the "
                              "weights of the last finite epoch were kept. Lower the learning rate or scale "
                              "the inputs.", RuntimeWarning, stacklevel=4)
                self.stop_training = True
                break
            self._check_views()  # once per epoch: a rebinding layer does it on every step
            logs = {"loss": loss_sum / seen, **{k: v / seen for k, v in metric_sums.items()}}
            if x_val is not None:
                logs.update({f"val_{k}": v for k, v in self.evaluate(x_val, y_val, _checked=True).items()})
            logs["lr"] = lr
            logs["seconds"] = time.perf_counter() - start
            if bar is not None:
                bar.set_postfix(_format_logs(logs), refresh=False)
                bar.close()
            elif verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - " + " - ".join(
                    f"{k}: {v}" for k, v in _format_logs(logs).items()), file=sys.stderr)
            last_finite_weights = self.get_weights()
            for callback in callback_list:
                callback.on_epoch_end(epoch, logs)
            if self.stop_training:
                break

    def _train_step(self, x_batch, y_batch, train_loss, fused):
        """One forward, backward and optimizer update; returns (batch loss, model outputs)."""
        loss_value, outputs = self._forward_backward(x_batch, y_batch, train_loss, fused)
        self.optimizer.apply_gradients(self._variables, self._segments)
        return loss_value, outputs

    def _check_views(self):
        """A layer that rebinds a param or grad (``self.grads['W'] = ...``) would silently drop out of
        the packed vector the optimizer updates; say so instead of training without it."""
        for layer, key, param, grad in self._views:
            if layer.params[key] is not param or layer.grads[key] is not grad:
                which = "params" if layer.params[key] is not param else "grads"
                raise RuntimeError(
                    f"{layer.describe()} replaced {which}[{key!r}] with a new array, so the optimizer would no "
                    f"longer see it. Write into the existing array instead: np.matmul(..., out=self.{which}"
                    f"[{key!r}]) or self.{which}[{key!r}][...] = value.")

    def _forward_backward(self, x_batch, y_batch, loss_fn, fused, training=True, backward=True):
        """Forward pass, loss and (unless backward=False) gradients into every layer's ``grads``.

        Returns (loss, outputs), or the loss alone when backward=False.
        """
        outputs = x_batch
        for layer in self.layers:
            outputs = layer.forward(outputs, training=training)
        last = self.layers[-1]
        loss_value = loss_fn.forward(last.logits if fused else outputs, y_batch)
        if not backward:
            return loss_value
        if fused:
            grad = last.backward_from_logits(loss_fn.backward())
        else:
            grad = last.backward(loss_fn.backward())
        for layer in self._backward_layers:
            grad = layer.backward(grad)
        return loss_value, outputs

    def _is_classifier(self) -> bool:
        return isinstance(self.loss, (losses.SparseCategoricalCrossentropy, losses.CategoricalCrossentropy,
                                      losses.BinaryCrossentropy))

    # ----- inference --------------------------------------------------------------------------
    def _forward_batches(self, x, batch_size):
        for start in range(0, len(x), batch_size):
            outputs = x[start:start + batch_size]
            for layer in self.layers:
                outputs = layer.forward(outputs, training=False)
            yield outputs

    def predict(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Model outputs for x, computed in batches: (samples, *output_shape)."""
        x = self._check_inputs(x)
        batch_size = check_positive_int(batch_size or PREDICT_BATCH_SIZE, "batch_size")
        return np.concatenate(list(self._forward_batches(x, batch_size)))

    def evaluate(self, x, y, batch_size=None, verbose=0, return_outputs=False, _checked=False):
        """Loss and compiled metrics on (x, y): {"loss": ..., "accuracy": ...}.

        With ``return_outputs`` also the model outputs it computed on the way, as (scores, outputs),
        so a caller that needs both makes one pass over the data instead of two.
        """
        self._check_compiled("evaluate")
        if not _checked:
            x, y = self._check_data(x, y)
        batch_size = check_positive_int(batch_size or PREDICT_BATCH_SIZE, "batch_size")
        loss_fn, fused = self._loss_setup()
        loss_sum = 0.0
        all_outputs = []
        for start, outputs in zip(range(0, len(x), batch_size), self._forward_batches(x, batch_size)):
            y_batch = y[start:start + batch_size]
            scores = self.layers[-1].logits if fused else outputs
            loss_sum += loss_fn.forward(scores, y_batch) * len(y_batch)
            all_outputs.append(outputs)
        outputs = np.concatenate(all_outputs)
        threshold = 0.0 if self.loss.from_logits else 0.5
        result = {"loss": loss_sum / len(x)}
        result.update({name: fn(y, outputs, threshold) for name, fn in self._metric_fns.items()})
        return (result, outputs) if return_outputs else result

    def predict_labels(self, x, batch_size=None) -> np.ndarray:
        """Class ids: argmax of the outputs, or for one output a threshold (0 for logits, 0.5 for probabilities)."""
        threshold = 0.0 if self.loss is not None and self.loss.from_logits else 0.5
        return metrics_module.labels_from_outputs(self.predict(x, batch_size), threshold)

    # ----- weights ----------------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter and state array, layer by layer."""
        return [array.copy() for layer in self.layers
                for array in (*layer.params.values(), *layer.state.values())]

    def set_weights(self, weights) -> None:
        """Copy arrays (as from get_weights) into the model's own, keeping their identity and dtype."""
        targets = [array for layer in self.layers for array in (*layer.params.values(), *layer.state.values())]
        weights = list(weights)
        if len(weights) != len(targets):
            raise ValueError(f"set_weights got {len(weights)} arrays, the model has {len(targets)}.")
        for target, value in zip(targets, weights):
            if np.shape(value) != target.shape:
                raise ValueError(f"set_weights: shape {np.shape(value)} does not match {target.shape}.")
        for target, value in zip(targets, weights):
            np.copyto(target, value, casting="same_kind")

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=print) -> None:
        """Print a table of layers, output shapes and parameter counts."""
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self.layers:
            shape = "(None, " + ", ".join(map(str, layer.output_shape)) + ")" if layer.output_shape else "?"
            rows.append((f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}"))
        widths = [max(len(row[i]) for row in rows) + 2 for i in range(3)]
        rule = "-" * sum(widths)
        lines = [f'Model: "{self.name}"', rule, "".join(c.ljust(w) for c, w in zip(rows[0], widths)), "=" * len(rule)]
        lines += ["".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows[1:]]
        non_trainable = sum(a.size for layer in self.layers for a in layer.state.values())
        lines += ["=" * len(rule), f"Total params: {self.count_params() + non_trainable:,}",
                  f"Trainable params: {self.count_params():,}", f"Non-trainable params: {non_trainable:,}", rule]
        print_fn("\n".join(lines))

    def save(self, path) -> None:
        """Save architecture (JSON), weights and optimizer state to one .npz file, atomically."""
        from .saving import save_model
        save_model(self, path)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype.name,
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in self.layers]}


def _progress_bar(total, description, verbose):
    if verbose != 1:
        return None
    from tqdm import tqdm  # plain text bars: they work in terminals and notebooks alike
    return tqdm(total=total, desc=description, unit="batch", leave=True, dynamic_ncols=True,
                mininterval=0.2, file=sys.stderr)


def _format_logs(logs: dict) -> dict:
    return {key: (f"{value:.4g}" if key != "seconds" else f"{value:.1f}") for key, value in logs.items()}
