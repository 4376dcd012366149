"""``Model.compile`` / ``fit`` / ``evaluate`` / ``predict`` with TF1 Keras' graph-mode
semantics (tf_keras ``training_v1``), mixed into ``Model`` (core/keras/functional.py).

compile builds, in the model's graph: one target placeholder and one sample-weight placeholder
per output; the total loss (each output's loss: the mean of its per-sample losses times the
sample weights, SUM_OVER_BATCH_SIZE; scaled by ``loss_weights``; summed; plus ``model.losses``);
and a stateful Metric (core/keras/metrics.py) per compiled metric and output. The train step
(made on first use, so evaluate-only models have no optimizer slots) runs the optimizer's
updates, ``model.updates`` (e.g. BatchNormalization's moving averages) and the metrics' updates
in one ``get_session().run`` with the learning phase fed True. An epoch's loss is the
sample-count-weighted mean of the batch losses; its metrics are the metric objects' results
(reset each epoch), as TF1 Keras reports them. Subclassed and deferred models get placeholders
shaped from the first data they see and are called on them before compiling."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..graph import Tensor, get_default_graph, name_scope
from ..ops import constant_ops, math_ops
from ..ops.reduction_ops import reduce_sum
from ..ops.shape_ops import size
from ..ops.transform_ops import expand_dims
from . import callbacks as cbks
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers
from . import training_data as td
from .training_generator import GeneratorMixin

__all__ = ["TrainingMixin"]

_SPARSE_LOSSES = ("sparse_categorical_crossentropy",)


def _loss_name(fn):
    if isinstance(fn, losses_mod.LossFunctionWrapper):
        return getattr(fn.fn, "__name__", "")
    return getattr(fn, "__name__", type(fn).__name__)


class TrainingMixin(GeneratorMixin):
    """compile / fit / evaluate / predict and their batch and generator forms."""

    def __init__(self):
        self.optimizer = None
        self._is_compiled = False
        self._compiled_graph = None
        self.stop_training = False
        self.history = None
        self._train_fn = self._test_fn = self._predict_fn = None

    # -- compile ----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, target_tensors=None,
                **kwargs):
        kwargs.pop("run_eagerly", None)
        kwargs.pop("distribute", None)
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `compile`: {set(kwargs)}")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._compile_args = dict(metrics=metrics, loss_weights=loss_weights,
                                  sample_weight_mode=sample_weight_mode,
                                  weighted_metrics=weighted_metrics,
                                  target_tensors=target_tensors)
        self._is_compiled = True
        self._train_fn = self._test_fn = self._predict_fn = None
        self._compiled_graph = None
        if getattr(self, "outputs", None):
            self._build_compiled()

    def _per_output(self, value, what, default=None):
        names = self.output_names
        if isinstance(value, dict):
            unknown = [k for k in value if k not in names]
            if unknown:
                raise ValueError(f"Unknown entries in {what} dictionary: {unknown}. Only "
                                 f"expected following keys: {names}")
            return [value.get(n, default) for n in names]
        if isinstance(value, (list, tuple)) and what != "metrics":
            if len(value) != len(names):
                raise ValueError(f"When passing a list as {what}, it should have one entry per "
                                 f"model output. The model has {len(names)} outputs, but you "
                                 f"passed {what}={value}")
            return list(value)
        if what == "metrics" and isinstance(value, (list, tuple)) and value and \
                all(isinstance(m, (list, tuple)) for m in value):
            if len(value) != len(names):
                raise ValueError(f"When passing a list of lists as `metrics`, it should have "
                                 f"one entry per model output. The model has {len(names)} "
                                 f"outputs, but you passed metrics={value}")
            return [list(m) for m in value]
        return [value] * len(names)

    def _build_compiled(self):
        """The targets, weights, losses and metrics for the model's outputs."""
        args = self._compile_args
        outputs = list(self.outputs)
        graph = outputs[0].graph
        self._compiled_graph = graph
        with graph.as_default(), name_scope(None):
            loss_fns = []
            for entry in self._per_output(self.loss, "loss"):
                if entry is None:
                    loss_fns.append(None)
                    continue
                fn = losses_mod.get(entry)
                if not isinstance(fn, losses_mod.Loss):
                    fn = losses_mod.LossFunctionWrapper(fn, name=_loss_name(fn))
                loss_fns.append(fn)
            if all(f is None for f in loss_fns):
                raise ValueError("The model cannot be compiled because it has no loss to "
                                 "optimize.")
            self.loss_functions = loss_fns
            weights = self._per_output(args["loss_weights"], "loss_weights", 1.0)
            weights = [1.0 if w is None else w for w in weights]
            modes = self._per_output(args["sample_weight_mode"], "sample_weight_mode")
            self._sample_weight_modes = modes
            targets = td.as_list(args["target_tensors"])
            if isinstance(args["target_tensors"], dict):
                targets = [args["target_tensors"].get(n) for n in self.output_names]
            self._fed_targets = []
            self.targets, self.sample_weights = [], []
            total = None
            self._output_loss_tensors = []
            for i, (out, name, fn) in enumerate(zip(outputs, self.output_names, loss_fns)):
                rank = out.shape.rank
                t = targets[i] if i < len(targets) and targets[i] is not None else None
                if t is None:
                    t = constant_ops.placeholder(out.dtype.base_dtype, [None] * (rank or 0)
                                                 if rank is not None else None,
                                                 name=name + "_target")
                    self._fed_targets.append(t)
                else:
                    self._fed_targets.append(None)
                sw_shape = [None, None] if modes[i] == "temporal" else [None]
                sw = constant_ops.placeholder(_dt.float32, sw_shape, name=name + "_sample_weights")
                self.targets.append(t)
                self.sample_weights.append(sw)
                if fn is None:
                    self._output_loss_tensors.append(None)
                    continue
                weight = math_ops.cast(sw, out.dtype.base_dtype)
                mask = getattr(out, "_keras_mask", None)
                if mask is not None:
                    mask = math_ops.cast(mask, weight.dtype)
                    if mask.shape.rank is not None and weight.shape.rank == mask.shape.rank - 1:
                        weight = expand_dims(weight, -1)  # per-sample weights, per-step mask
                    weight = weight * mask
                    if fn.reduction in (losses_mod.Reduction.AUTO,
                                        losses_mod.Reduction.SUM_OVER_BATCH_SIZE):
                        # tf_keras' apply_valid_mask: the mean is over the valid entries
                        weight = weight * mask * (math_ops.cast(size(mask), weight.dtype)
                                                  / reduce_sum(mask))
                with name_scope(name + "_loss"):
                    value = fn(t, out, sample_weight=weight)
                self._output_loss_tensors.append(value)
                term = value * weights[i] if weights[i] != 1.0 else value
                total = term if total is None else total + term
            with name_scope("loss"):
                for extra in self.losses:
                    total = total + math_ops.cast(extra, total.dtype)
            self.total_loss = total
            self._build_metrics(outputs, loss_fns)

    def _metric_for(self, entry, out, loss_fn):
        """(name, Metric) for a compiled metric identifier, picking accuracy's flavour from the
        loss and the output shape as Keras does."""
        if isinstance(entry, metrics_mod.Metric):
            return entry.name, entry
        if entry in ("accuracy", "acc", "crossentropy", "ce"):
            loss_name = _loss_name(loss_fn) if loss_fn is not None else ""
            binary = loss_name == "binary_crossentropy" or (
                out.shape.rank and out.shape[-1] == 1)
            sparse = loss_name in _SPARSE_LOSSES
            if entry in ("accuracy", "acc"):
                fn = metrics_mod.binary_accuracy if binary else (
                    metrics_mod.sparse_categorical_accuracy if sparse
                    else metrics_mod.categorical_accuracy)
            else:
                fn = losses_mod.binary_crossentropy if binary else (
                    losses_mod.sparse_categorical_crossentropy if sparse
                    else losses_mod.categorical_crossentropy)
            return entry, metrics_mod.MeanMetricWrapper(fn, name=entry)
        fn = metrics_mod.get(entry)
        if isinstance(fn, type) and issubclass(fn, metrics_mod.Metric):
            metric = fn()
            return (entry if isinstance(entry, str) else metric.name), metric
        name = entry if isinstance(entry, str) else getattr(fn, "__name__", "metric")
        return name, metrics_mod.MeanMetricWrapper(fn, name=name)

    def _build_metrics(self, outputs, loss_fns):
        args = self._compile_args
        names, tensors, updates, objects = ["loss"], [self.total_loss], [], []
        multi = len(outputs) > 1
        if multi:
            for name, value in zip(self.output_names, self._output_loss_tensors):
                if value is not None:
                    names.append(name + "_loss")
                    tensors.append(value)
        for weighted, spec in ((False, args["metrics"]), (True, args["weighted_metrics"])):
            if not spec:
                continue
            per_output = self._per_output(spec, "metrics")
            for i, (out, entries) in enumerate(zip(outputs, per_output)):
                for entry in td.as_list(entries):
                    base, metric = self._metric_for(entry, out, loss_fns[i])
                    full = f"{self.output_names[i]}_{base}" if multi else base
                    while full in names:
                        full += "_1"
                    weight = self.sample_weights[i] if weighted else None
                    mask = getattr(out, "_keras_mask", None)
                    if mask is not None:
                        m = math_ops.cast(mask, _dt.float32)
                        if weight is not None and weight.shape.rank == m.shape.rank - 1:
                            weight = expand_dims(weight, -1)
                        weight = m if weight is None else weight * m
                    with name_scope(full):
                        updates.append(metric.update_state(self.targets[i], out,
                                                           sample_weight=weight))
                        with get_default_graph().control_dependencies([updates[-1]]):
                            tensors.append(constant_ops.identity(metric.result()))
                    names.append(full)
                    objects.append(metric)
        self._metrics_names, self._metric_tensors = names, tensors
        self._metric_updates, self._metric_objects = updates, objects
        self._n_loss_values = 1 + sum(1 for v in self._output_loss_tensors
                                      if v is not None and multi)

    @property
    def metrics_names(self) -> list:
        if self._compiled_graph is None:
            return ["loss"] if self._is_compiled else []
        return list(self._metrics_names)

    @property
    def metrics(self) -> list:
        return list(getattr(self, "_metric_objects", []))

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_states()

    # -- building from data (subclassed / deferred models) ----------------------------------
    def _ensure_built(self, x):
        if not getattr(self, "inputs", None):
            arrays = x if isinstance(x, (list, tuple)) else (
                [x[k] for k in sorted(x)] if isinstance(x, dict) else [x])
            arrays = [np.asarray(a) for a in arrays]
            graph = get_default_graph()
            with graph.as_default():
                from .backend import floatx
                phs = []
                for i, a in enumerate(arrays):
                    dt = floatx() if a.dtype.kind == "f" else a.dtype
                    shape = [None] + list(a.shape[1:]) if a.ndim > 1 else [None, 1]
                    phs.append(constant_ops.placeholder(dt, shape, name=f"input_{i + 1}"))
                structure = dict(zip(sorted(x), phs)) if isinstance(x, dict) else (
                    phs if isinstance(x, (list, tuple)) else phs[0])
                outputs = self(structure)
            if not getattr(self, "inputs", None):
                self.inputs = phs
                self.input_names = sorted(x) if isinstance(x, dict) else \
                    [f"input_{i + 1}" for i in range(len(phs))]
                self.outputs = td.as_list(outputs)
                self.output_names = [f"output_{i + 1}" for i in range(len(self.outputs))]
        if self._is_compiled and self._compiled_graph is None:
            self._build_compiled()

    def _require_compiled(self):
        if not self._is_compiled:
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    # -- data -------------------------------------------------------------------------------
    def _input_arrays(self, x):
        shapes = [tuple(t.shape.as_list()) if t.shape.rank is not None else None
                  for t in self.inputs]
        arrays = td.standardize(x, self.input_names, shapes, "inputs", "input")
        return [a.astype(t.dtype.base_dtype.as_numpy_dtype, copy=False)
                for a, t in zip(arrays, self.inputs)]

    def _standardize(self, x, y, sample_weight=None, class_weight=None):
        inputs = self._input_arrays(x)
        fed = [n for n, t in zip(self.output_names, self._fed_targets) if t is not None]
        if y is None and fed:
            raise ValueError("You passed `x` without `y`: a model with a loss needs targets.")
        shapes, sparse = [], []
        for out, t, fn in zip(self.outputs, self._fed_targets, self.loss_functions):
            if t is None:
                continue
            shapes.append(tuple(out.shape.as_list()) if out.shape.rank is not None else None)
            sparse.append(fn is not None and _loss_name(fn) in _SPARSE_LOSSES)
        targets = td.standardize(y, fed, shapes, "targets", "target",
                                 check_last=[not s for s in sparse]) if fed else []
        full_targets = iter(targets)
        all_targets = [next(full_targets) if t is not None else None for t in self._fed_targets]
        ref = [t if t is not None else inputs[0][:, :1] for t in all_targets]
        weights = td.sample_weights(sample_weight, class_weight, ref, self.output_names,
                                    self._sample_weight_modes)
        n = td.check_lengths(inputs, targets, weights)
        return inputs, all_targets, weights, n

    def _feed(self, inputs, targets=None, weights=None, index=None, training=False):
        from .backend import learning_phase
        take = (lambda a: a) if index is None else (lambda a: a[index])
        feed = {t: take(a) for t, a in zip(self.inputs, inputs)}
        for ph, a in zip(self._fed_targets if targets is not None else [], targets or []):
            if ph is not None:
                feed[ph] = take(a).astype(ph.dtype.base_dtype.as_numpy_dtype, copy=False)
        for ph, a in zip(self.sample_weights if weights is not None else [], weights or []):
            feed[ph] = take(a)
        with self.outputs[0].graph.as_default():  # the model's graph's learning phase
            phase = learning_phase()
        if isinstance(phase, Tensor):
            feed[phase] = training
        return feed

    # -- the step functions -----------------------------------------------------------------
    def _train_function(self):
        if self._train_fn is None:
            graph = self._compiled_graph
            with graph.as_default(), name_scope("training"):
                params = self.trainable_weights
                updates = list(self.optimizer.get_updates(self.total_loss, params)) \
                    if params else []
                updates += [getattr(u, "op", u) for u in self.updates]
            self._train_fn = (self._metric_tensors, updates + self._metric_updates)
        return self._train_fn

    def _run(self, fetches, ops, feed):
        from .backend import get_session
        with self._compiled_graph.as_default():
            values = get_session().run([fetches, ops], feed)[0]
        return [np.asarray(v).item() if np.ndim(v) == 0 else v for v in values]

    def _session(self):
        from .backend import get_session
        graph = self._compiled_graph or self.outputs[0].graph
        with graph.as_default():
            return get_session()

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_freq=1, max_queue_size=10, workers=1, use_multiprocessing=False,
            **kwargs):
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
        if self._is_generator_like(x):
            return self.fit_generator(x, steps_per_epoch, epochs, verbose, callbacks,
                                      validation_data, validation_steps, class_weight,
                                      shuffle=shuffle, initial_epoch=initial_epoch)
        self._require_compiled()
        self._ensure_built(x)
        batch_size = 32 if batch_size is None else batch_size
        data = self._standardize(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            vx, vy, vw = td.unpack_batch(tuple(validation_data))
            val = self._standardize(vx, vy, vw)
        elif validation_split and 0.0 < validation_split < 1.0:
            split = int(data[3] * (1.0 - validation_split))
            cut = lambda arrays, a, b: [None if v is None else v[a:b] for v in arrays]  # noqa
            val = (cut(data[0], split, None), cut(data[1], split, None),
                   cut(data[2], split, None), data[3] - split)
            data = (cut(data[0], 0, split), cut(data[1], 0, split), cut(data[2], 0, split),
                    split)
        if data[3] == 0:
            raise ValueError("Empty training data." + (
                f" (validation_split={validation_split} left no sample to train on)"
                if validation_data is None and validation_split else ""))
        if verbose:
            print(f"Train on {data[3]} samples" + (
                f", validate on {val[3]} samples" if val is not None else ""))

        def epoch_batches():
            if steps_per_epoch is not None:
                order = np.arange(data[3])
                if shuffle:
                    np.random.shuffle(order)
                starts = [(i * batch_size) % max(data[3], 1) for i in range(steps_per_epoch)]
                return [np.take(order, np.arange(s, s + batch_size), mode="wrap")[:data[3]]
                        for s in starts]
            return td.batches(data[3], batch_size, shuffle)

        def run_epoch(on_batch):
            for i, index in enumerate(epoch_batches()):
                on_batch(i, data[0], data[1], data[2], index)

        def validate():
            return self._test_loop(*val[:3], batch_size, steps=validation_steps)

        return self._fit_loop(run_epoch, epochs, verbose, callbacks, initial_epoch,
                              validate if val is not None else None, validation_freq,
                              {"samples": data[3], "batch_size": batch_size,
                               "steps": steps_per_epoch})

    def _fit_loop(self, run_epoch, epochs, verbose, callbacks, initial_epoch, validate,
                  validation_freq, params):
        fetches, ops = self._train_function()
        names = self.metrics_names
        self.history = cbks.History()
        callback_list = cbks.CallbackList(td.as_list(callbacks) + [self.history])
        if verbose:
            callback_list.append(cbks.ProgbarLogger())
        callback_list.set_model(self)
        out_names = names + (["val_" + n for n in names] if validate else [])
        callback_list.set_params(dict(params, epochs=epochs, verbose=verbose,
                                      do_validation=validate is not None, metrics=out_names))
        self.stop_training = False
        self._session()
        callback_list.on_train_begin()
        totals: dict = {}

        def on_batch(i, inputs, targets, weights, index):
            n = len(index) if index is not None else len(inputs[0])
            batch_logs = {"batch": i, "size": n}
            callback_list.on_train_batch_begin(i, batch_logs)
            values = self._run(fetches, ops, self._feed(inputs, targets, weights, index,
                                                        training=True))
            batch_logs.update(zip(names, values))
            totals["seen"] += n
            weight = self._batch_weight(n)
            totals["loss"] += np.asarray(values[:self._n_loss_values]) * weight
            totals["count"] += weight
            totals["last"] = values
            callback_list.on_train_batch_end(i, batch_logs)
            if self.stop_training:
                raise _StopEpochError

        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch, {})
            totals.update(seen=0, loss=np.zeros(self._n_loss_values), last=None,
                          count=np.zeros(self._n_loss_values))
            try:
                run_epoch(on_batch)
            except _StopEpochError:
                pass
            epoch_logs = {}
            if totals["last"] is not None:
                losses = totals["loss"] / totals["count"]
                epoch_logs.update(zip(names[:self._n_loss_values], losses.tolist()))
                epoch_logs.update(zip(names[self._n_loss_values:],
                                      totals["last"][self._n_loss_values:]))
            if validate is not None and (epoch + 1) % validation_freq == 0:
                val_values = validate()
                epoch_logs.update(("val_" + k, v) for k, v in zip(names, val_values))
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def _batch_weight(self, n, by_steps=False):
        """The total loss averages over samples (TF1 Keras weights each batch by its size; in
        fit its BaseLogger does), but over steps when evaluating a generator or dataset (TF1's
        aggregator with ``use_steps``); the per-output losses are Mean metrics of the batch
        values (each batch counts once)."""
        w = np.ones(self._n_loss_values)
        if not by_steps:
            w[0] = n
        return w

    # -- evaluate / predict -------------------------------------------------------------------
    def _test_loop(self, inputs, targets, weights, batch_size, steps=None, batches=None):
        """Loss (sample-weighted mean over batches) and metric results over all batches."""
        self.reset_metrics()
        fetches, ops = self._metric_tensors, self._metric_updates
        by_steps = batches is not None
        total, seen, last = np.zeros(self._n_loss_values), 0, None
        if batches is None:
            n = len(inputs[0])
            batches = [(inputs, targets, weights, idx) for idx in td.batches(n, batch_size,
                                                                             False)]
        for i, (bx, by, bw, idx) in enumerate(batches):
            if steps is not None and i >= steps:
                break
            values = self._run(fetches, ops, self._feed(bx, by, bw, idx))
            n = len(idx) if idx is not None else len(bx[0])
            weight = self._batch_weight(n, by_steps)
            total += np.asarray(values[:self._n_loss_values]) * weight
            seen = seen + weight
            last = values
        if last is None:
            raise ValueError("evaluate got no data (0 samples or steps).")
        return (total / seen).tolist() + list(last[self._n_loss_values:])

    @staticmethod
    def _single(values):
        return values[0] if len(values) == 1 else values

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, callbacks=None, max_queue_size=10, workers=1,
                 use_multiprocessing=False):
        if self._is_generator_like(x):
            return self.evaluate_generator(x, steps, callbacks=callbacks, verbose=verbose)
        self._require_compiled()
        self._ensure_built(x)
        inputs, targets, weights, _ = self._standardize(x, y, sample_weight)
        values = self._test_loop(inputs, targets, weights, batch_size or 32, steps)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in zip(self.metrics_names, values)))
        return self._single(values)

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        if self._is_generator_like(x):
            return self.predict_generator(x, steps, verbose=verbose)
        self._ensure_built(x)
        inputs = self._input_arrays(x)
        n = len(inputs[0])
        chunks = []
        for i, idx in enumerate(td.batches(n, batch_size or 32, False)):
            if steps is not None and i >= steps:
                break
            chunks.append(self._predict_batch(inputs, idx))
        return self._concat(chunks)

    def _predict_batch(self, inputs, index=None):
        from .backend import get_session
        graph = self.outputs[0].graph
        with graph.as_default():
            return get_session().run(list(self.outputs), self._feed(inputs, index=index))

    def _concat(self, chunks):
        if not chunks:
            raise ValueError("predict got no data (0 samples or steps).")
        outs = [np.concatenate([c[j] for c in chunks]) for j in range(len(chunks[0]))]
        return self._single(outs)

    # -- single batches -----------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True):
        self._require_compiled()
        self._ensure_built(x)
        inputs, targets, weights, _ = self._standardize(x, y, sample_weight, class_weight)
        fetches, ops = self._train_function()
        values = self._run(fetches, ops, self._feed(inputs, targets, weights, training=True))
        if reset_metrics:
            self.reset_metrics()
        return self._single(values)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True):
        self._require_compiled()
        self._ensure_built(x)
        inputs, targets, weights, _ = self._standardize(x, y, sample_weight)
        values = self._run(self._metric_tensors, self._metric_updates,
                           self._feed(inputs, targets, weights))
        if reset_metrics:
            self.reset_metrics()
        return self._single(values)

    def predict_on_batch(self, x):
        self._ensure_built(x)
        return self._single(self._predict_batch(self._input_arrays(x)))


class _StopEpochError(Exception):
    """A callback set ``model.stop_training`` mid-epoch."""
