"""``tf.keras.callbacks``: hooks ``Model.fit`` / ``evaluate`` / ``predict`` call around epochs
and batches, with TF1 Keras' logs (``loss``, metric names, ``val_`` prefixes, ``size``/``batch``
in batch logs). TensorBoard writes scalar events with minitf's ``FileWriter``; ModelCheckpoint
saves with ``model.save_weights`` (or ``model.save``)."""

from __future__ import annotations

import collections
import csv
import os
import sys
import time

import numpy as np

from .. import _wire as w
from .. import tf_logging as logging

__all__ = ["Callback", "CallbackList", "History", "BaseLogger", "ProgbarLogger",
           "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler", "ReduceLROnPlateau",
           "LambdaCallback", "CSVLogger", "TerminateOnNaN", "TensorBoard"]


class Callback:
    def __init__(self):
        self.model = None
        self.params = None
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass
    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class CallbackList:
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks=None):
        self.callbacks = list(callbacks or [])

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        for c in self.callbacks:
            c.set_params(params)

    def set_model(self, model):
        for c in self.callbacks:
            c.set_model(model)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for c in self.callbacks:
                getattr(c, hook)(*args)
        return call

    def __iter__(self):
        return iter(self.callbacks)


class BaseLogger(Callback):
    """Averages the batch logs over an epoch, weighted by batch size (TF1's epoch-end values
    for metrics not listed as stateful)."""

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or [])

    def on_epoch_begin(self, epoch, logs=None):
        self.seen, self.totals = 0, {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get("size", 0)
        self.seen += size
        for k, v in logs.items():
            if k in ("batch", "size"):
                continue
            if k in self.stateful_metrics:
                self.totals[k] = v
            else:
                self.totals[k] = self.totals.get(k, 0) + v * size

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            for k in self.params.get("metrics", []):
                if k in self.totals:
                    logs[k] = self.totals[k] if k in self.stateful_metrics else \
                        self.totals[k] / self.seen


class ProgbarLogger(Callback):
    """One line per epoch (``verbose=1`` or 2): the epoch, its time and its logs."""

    def __init__(self, count_mode="samples", stateful_metrics=None, stream=None):
        super().__init__()
        self.stream = stream

    def on_train_begin(self, logs=None):
        self.verbose = self.params.get("verbose", 1)
        self.epochs = self.params.get("epochs", 1)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=self.stream or sys.stdout)

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose:
            parts = [f"{k}: {v:.4f}" for k, v in (logs or {}).items()
                     if np.isscalar(v) or np.ndim(v) == 0]
            n = self.params.get("samples") or self.params.get("steps") or ""
            print(f"{n}/{n} - {time.time() - self._start:.0f}s - " + " - ".join(parts),
                  file=self.stream or sys.stdout)


class History(Callback):
    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class TerminateOnNaN(Callback):
    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (np.isnan(loss) or np.isinf(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


def _monitor_op(mode, monitor):
    if mode not in ("auto", "min", "max"):
        mode = "auto"
    if mode == "max" or (mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure"))):
        return np.greater
    return np.less


class EarlyStopping(Callback):
    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False):
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.monitor_op = _monitor_op(mode, monitor)
        self.min_delta = abs(min_delta) * (1 if self.monitor_op == np.greater else -1)
        self.stopped_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_weights = 0, 0, None
        self.best = self.baseline if self.baseline is not None else (
            np.inf if self.monitor_op == np.less else -np.inf)

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            print(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                  f"available. Available metrics are: {','.join(logs or {})}")
            return
        if self.monitor_op(current - self.min_delta, self.best):
            self.best, self.wait = current, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                if self.restore_best_weights and self.best_weights is not None:
                    self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1:05d}: early stopping")


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) after every ``period`` epochs, or with an integer
    ``save_freq`` after the batch by which that many samples were seen since the last save
    (TF 1.15's rule); ``filepath`` is formatted with ``epoch`` and the logs."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", period=1, **kwargs):
        super().__init__()
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq}")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.period, self.save_freq = period, save_freq
        self.monitor_op = _monitor_op(mode, monitor)
        self.best = np.inf if self.monitor_op == np.less else -np.inf
        self._since = 0  # epochs (save_freq "epoch") or samples since the last save
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._since += (logs or {}).get("size", 1)
        if self._since >= self.save_freq:
            self._since = 0
            self._save(self._epoch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq != "epoch":
            return
        self._since += 1
        if self._since < self.period:
            return
        self._since = 0
        self._save(epoch, logs or {})

    def _save(self, epoch, logs):
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                print(f"Can save best model only with {self.monitor} available, skipping.")
                return
            if not self.monitor_op(current, self.best):
                return
            self.best = current
        if self.verbose:
            print(f"Epoch {epoch + 1:05d}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)


class LearningRateScheduler(Callback):
    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        from .backend import get_value, set_value
        if not hasattr(self.model.optimizer, "lr"):
            raise ValueError('Optimizer must have a "lr" attribute.')
        try:
            lr = self.schedule(epoch, float(get_value(self.model.optimizer.lr)))
        except TypeError:  # a schedule of the epoch only
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.floating, int, np.integer)):
            raise ValueError('The output of the "schedule" function should be float.')
        set_value(self.model.optimizer.lr, lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to "
                  f"{lr}.")

    def on_epoch_end(self, epoch, logs=None):
        from .backend import get_value
        if logs is not None:
            logs["lr"] = float(get_value(self.model.optimizer.lr))


class ReduceLROnPlateau(Callback):
    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0.")
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, min_lr
        self.mode = mode if mode in ("min", "max") else (
            "max" if "acc" in monitor else "min")
        self._reset()

    def _reset(self):
        if self.mode == "min":
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        from .backend import get_value, set_value
        logs = logs or {}
        logs["lr"] = float(get_value(self.model.optimizer.lr))
        current = logs.get(self.monitor)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(get_value(self.model.optimizer.lr))
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    set_value(self.model.optimizer.lr, new)
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning "
                              f"rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LambdaCallback(Callback):
    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        for name, fn in (("on_epoch_begin", on_epoch_begin), ("on_epoch_end", on_epoch_end),
                         ("on_batch_begin", on_batch_begin), ("on_batch_end", on_batch_end)):
            setattr(self, name, fn if fn is not None else (lambda i, logs=None: None))
        self.on_train_begin = on_train_begin or (lambda logs=None: None)
        self.on_train_end = on_train_end or (lambda logs=None: None)


class CSVLogger(Callback):
    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.writer = self.keys = self.csv_file = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and \
            os.path.getsize(self.filename) > 0
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self._has_header = exists

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         delimiter=self.sep)
            if not self._has_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((k, logs.get(k, "NA")) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self.csv_file.close()
        self.writer = None


def _scalar_summary(tag: str, value: float) -> bytes:
    """A serialized Summary with one ``simple_value`` (Summary.value=1; Value.tag=1,
    Value.simple_value=2)."""
    return w.length_delimited(1, w.string(1, tag) + w.float32(2, float(value)))


class TensorBoard(Callback):
    """Writes each epoch's logs as scalars (``epoch_<name>``) and, unless ``update_freq`` is
    'epoch', each batch's (``batch_<name>``, every ``update_freq`` samples; 'batch' is 1) to
    an event file in ``log_dir``; ``write_graph`` adds the model's graph. Steps as TF 1.15's:
    a batch's is the count of batches before it, an epoch's its number with 'epoch', else
    the samples seen. Histograms, images and embeddings are not written."""

    def __init__(self, log_dir="./logs", histogram_freq=0, batch_size=32, write_graph=True,
                 write_grads=False, write_images=False, update_freq="epoch", **kwargs):
        super().__init__()
        self.log_dir, self.write_graph = os.fspath(log_dir), write_graph
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.writer = None
        self._samples_seen = self._samples_at_last_write = self._batches_seen = 0
        if histogram_freq or write_grads or write_images or kwargs.get("embeddings_freq"):
            logging.warning("minitf's TensorBoard callback writes scalars and the graph only: "
                            "histogram_freq, write_grads, write_images and embeddings_freq "
                            "are not acted on")

    def set_model(self, model):
        from ..summary import FileWriter
        from .backend import get_session
        super().set_model(model)
        graph = get_session().graph if self.write_graph else None
        self.writer = FileWriter(self.log_dir, graph=graph)

    def _write(self, prefix, logs, step):
        for name, value in (logs or {}).items():
            if name in ("batch", "size", "num_steps") or \
                    not np.isscalar(value) and np.ndim(value) != 0:
                continue
            self.writer.add_summary(_scalar_summary(prefix + name, value), step)
        self.writer.flush()

    def on_batch_end(self, batch, logs=None):
        self._samples_seen += (logs or {}).get("size", 1)
        if self.update_freq != "epoch" and \
                self._samples_seen - self._samples_at_last_write >= self.update_freq:
            self._write("batch_", logs, self._batches_seen)
            self._samples_at_last_write = self._samples_seen
        self._batches_seen += 1

    def on_epoch_end(self, epoch, logs=None):
        self._write("epoch_", logs, epoch if self.update_freq == "epoch" else self._samples_seen)

    def on_train_end(self, logs=None):
        self.writer.close()
