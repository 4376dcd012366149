"""``tf.keras.utils``: to_categorical, normalize, Sequence (batches ``fit_generator`` and
``fit`` accept), and the downloads and plots minitf cannot do (clear errors), Progbar (TF
1.15's text progress bar) and get_source_inputs."""

from __future__ import annotations

import sys
import time

import numpy as np

__all__ = ["to_categorical", "normalize", "Sequence", "get_file", "plot_model",
           "model_to_dot", "CustomObjectScope", "custom_object_scope", "get_custom_objects",
           "Progbar", "get_source_inputs"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """Class vector (ints) -> one-hot matrix; a trailing axis of 1 is dropped, as Keras."""
    y = np.array(y, dtype="int")
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    y = y.ravel()
    if num_classes is None:
        num_classes = int(np.max(y)) + 1
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must be in [0, {num_classes}), got "
                         f"[{y.min()}, {y.max()}]")
    categorical = np.zeros((y.shape[0], num_classes), dtype=dtype)
    categorical[np.arange(y.shape[0]), y] = 1
    return np.reshape(categorical, input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left as 1)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


class Sequence:
    """A dataset as batches: ``__getitem__(index)`` returns one batch (x, y[, sample_weight]),
    ``__len__`` the number of batches; ``on_epoch_end`` runs after each epoch."""

    def __getitem__(self, index):
        raise NotImplementedError("Sequence subclasses define __getitem__")

    def __len__(self):
        raise NotImplementedError("Sequence subclasses define __len__")

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def get_file(fname=None, origin=None, *args, **kwargs):
    raise RuntimeError(f"get_file cannot download {origin or fname!r}: minitf does not fetch "
                       "files from the network. Download it yourself and load it from disk.")


def plot_model(model, to_file="model.png", *args, **kwargs):
    raise ImportError("plot_model needs pydot and graphviz, which minitf does not use; "
                      "print model.summary() instead.")


def model_to_dot(model, *args, **kwargs):
    raise ImportError("model_to_dot needs pydot and graphviz, which minitf does not use.")


_GLOBAL_CUSTOM_OBJECTS: dict = {}


def get_custom_objects() -> dict:
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    def __init__(self, *args):
        self.custom_objects = args
        self.backup = None

    def __enter__(self):
        self.backup = dict(_GLOBAL_CUSTOM_OBJECTS)
        for objects in self.custom_objects:
            _GLOBAL_CUSTOM_OBJECTS.update(objects)
        return self

    def __exit__(self, *exc):
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self.backup)
        return False


def custom_object_scope(*args):
    return CustomObjectScope(*args)


class Progbar:
    """TF 1.15's progress bar: ``verbose=1`` redraws ``cur/target [===>....] - ETA: ...`` in
    place (backspaces and a carriage return: Keras takes any POSIX stdout as dynamic) at most
    every ``interval`` seconds, ``verbose=2`` prints one line when ``target`` is reached.
    Metrics are averaged over steps weighted by the step size, except ``stateful_metrics``,
    printed as given."""

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._dynamic_display = ((hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
                                 or "ipykernel" in sys.modules or "posix" in sys.modules)
        self._total_width = 0
        self._seen_so_far = 0
        self._values: dict = {}
        self._values_order: list = []
        self._start = time.time()
        self._last_update = 0

    def _time_format(self, per_unit):
        if per_unit >= 1 or per_unit == 0:
            return f" {per_unit:.0f}s/{self.unit_name}"
        if per_unit >= 1e-3:
            return f" {per_unit * 1e3:.0f}ms/{self.unit_name}"
        return f" {per_unit * 1e6:.0f}us/{self.unit_name}"

    def update(self, current, values=None):
        """Moves the bar to step ``current``; ``values`` are (name, value) pairs."""
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if k in self.stateful_metrics:
                self._values[k] = v
            else:
                step = current - self._seen_so_far
                if k not in self._values:
                    self._values[k] = [v * step, step]
                else:
                    self._values[k][0] += v * step
                    self._values[k][1] += step
        self._seen_so_far = current
        now = time.time()
        info = f" - {now - self._start:.0f}s"
        done = self.target is not None and current >= self.target
        if self.verbose == 1:
            if now - self._last_update < self.interval and self.target is not None and \
                    current < self.target:
                return
            prev_total_width = self._total_width
            out = ("\b" * prev_total_width + "\r") if self._dynamic_display else "\n"
            if self.target is not None:
                numdigits = int(np.log10(self.target)) + 1
                bar = f"{current:{numdigits}d}/{self.target} ["
                prog_width = int(self.width * float(current) / self.target)
                if prog_width > 0:
                    bar += "=" * (prog_width - 1) + (">" if current < self.target else "=")
                bar += "." * (self.width - prog_width) + "]"
            else:
                bar = f"{current:7d}/Unknown"
            self._total_width = len(bar)
            out += bar
            per_unit = (now - self._start) / current if current else 0
            if self.target is not None and current < self.target:
                eta = per_unit * (self.target - current)
                if eta > 3600:
                    eta_format = f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:" \
                                 f"{int(eta % 60):02d}"
                elif eta > 60:
                    eta_format = f"{int(eta // 60)}:{int(eta % 60):02d}"
                else:
                    eta_format = f"{int(eta)}s"
                info = f" - ETA: {eta_format}"
            else:
                info += self._time_format(per_unit)
            for k in self._values_order:
                info += f" - {k}:"
                if isinstance(self._values[k], list):
                    avg = np.mean(self._values[k][0] / max(1, self._values[k][1]))
                    info += f" {avg:.4f}" if abs(avg) > 1e-3 else f" {avg:.4e}"
                else:
                    info += f" {self._values[k]}"
            self._total_width += len(info)
            if prev_total_width > self._total_width:
                info += " " * (prev_total_width - self._total_width)
            if done:
                info += "\n"
            sys.stdout.write(out + info)
            sys.stdout.flush()
        elif self.verbose == 2 and done:
            numdigits = int(np.log10(self.target)) + 1
            info = f"{current:{numdigits}d}/{self.target}" + info
            for k in self._values_order:
                info += f" - {k}:"
                value = self._values[k]
                avg = np.mean(value[0] / max(1, value[1])) if isinstance(value, list) else value
                info += f" {avg:.4f}" if avg > 1e-3 else f" {avg:.4e}"
            sys.stdout.write(info + "\n")
            sys.stdout.flush()
        self._last_update = now

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)


def get_source_inputs(tensor, layer=None, node_index=None):
    """The Input tensors ``tensor`` is computed from, following the Keras history back
    (a tensor without history is returned as is)."""
    from .. import nest
    if getattr(tensor, "_keras_history", None) is None:
        return tensor
    if layer is None or node_index:
        layer, node_index, _ = tensor._keras_history
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if not node.inbound_layers:  # an InputLayer's node
        return nest.flatten(node.input_tensors)
    sources: list = []
    for inbound, index, _, t in node.iterate_inbound():
        for x in get_source_inputs(t, inbound, index):
            if all(x is not s for s in sources):
                sources.append(x)
    return sources
