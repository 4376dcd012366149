"""``Model.compile`` / ``fit`` / ``evaluate`` / ``predict`` with TF1 Keras' graph-mode
semantics (tf_keras ``training_v1``), mixed into ``Model`` (core/keras/functional.py).

compile builds, in the model's graph: one target placeholder and one sample-weight placeholder
per output with a loss (an output compiled with loss None takes no data and has no metrics, as
in TF 1.x); the total loss (each output's loss: the mean of its per-sample losses times the
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

from .. import tf_logging as logging
from ..graph import Tensor, get_default_graph, name_scope
from ..ops import constant_ops
from . import callbacks as cbks
from . import training_data as td
from .training_compile import CompileMixin
from .training_generator import GeneratorMixin

__all__ = ["TrainingMixin"]

def _validates_at(validation_freq, epoch: int) -> bool:
    """Keras' validation_freq: every n-th epoch (an int), or the epochs listed (1-based)."""
    if isinstance(validation_freq, int) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError("`validation_freq` can not be less than 1.")
        return epoch % validation_freq == 0
    try:
        return epoch in validation_freq
    except TypeError:
        raise ValueError("`validation_freq` must be an Integer or `collections_abc.Container` "
                         f"(e.g. list, tuple, etc.). Found {validation_freq} of type "
                         f"{type(validation_freq)}.") from None


class TrainingMixin(CompileMixin, GeneratorMixin):
    """compile / fit / evaluate / predict and their batch and generator forms."""

    def __init__(self):
        self.optimizer = None
        self._is_compiled = False
        self._compiled_graph = None
        self.stop_training = False
        self.history = None
        self._train_fn = self._test_fn = self._predict_fn = None
        self._given_sample_weights = None  # per output, tensors compile uses instead of feeds

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
            # TF1 Keras compiles a deferred model again once built, freezing the flags then
            self._compiled_trainable_state = self._get_trainable_state()
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
        # TF 1.x's _standardize_user_data: targets are not checked against the outputs' shapes
        # (a user-defined loss may take any target); only the losses that need the output's
        # shape are (check_loss_and_target_compatibility, for graph networks).
        targets = td.standardize(y, fed, None, "targets", "target") if fed else []
        if getattr(self, "_is_graph_network", False):
            fed_outputs = [(o, f) for o, t, f in zip(self.outputs, self._fed_targets,
                                                      self.loss_functions) if t is not None]
            td.check_loss_and_target_compatibility(
                targets, [f for _, f in fed_outputs],
                [tuple(o.shape.as_list()) if o.shape.rank is not None else None
                 for o, _ in fed_outputs])
        full_targets = iter(targets)
        all_targets = [next(full_targets) if t is not None else None for t in self._fed_targets]
        ref = [t if t is not None else inputs[0][:, :1] for t in all_targets]
        # an output without a loss has no sample weight: a list or dict of weights names only
        # the outputs with a loss (TF's standardize_sample_weights over the fed outputs)
        keep = [i for i, sw in enumerate(self.sample_weights) if sw is not None]
        if len(keep) == 1 and isinstance(sample_weight, (list, tuple)) and \
                len(sample_weight) == 1:
            sample_weight = sample_weight[0]  # one weighted output: [w] is w, as in TF
        given = td.sample_weights(sample_weight, class_weight, [ref[i] for i in keep],
                                  [self.output_names[i] for i in keep],
                                  [self._sample_weight_modes[i] for i in keep])
        weights = [None] * len(self.outputs)
        for i, w in zip(keep, given):
            weights[i] = w
        n = td.check_lengths(inputs, targets, weights)
        # A 1-D target became (n, 1); a rank-1 output's target placeholder takes it as (n,)
        # (TF's callable feeds the (n, 1) array unchecked; minitf's feed checks shapes).
        all_targets = [a[:, 0] if a is not None and ph is not None and ph.shape.rank == 1 and
                       a.ndim == 2 and a.shape[1] == 1 else a
                       for a, ph in zip(all_targets, self._fed_targets)]
        return inputs, all_targets, weights, n

    def _feed(self, inputs, targets=None, weights=None, index=None, training=False):
        from .backend import learning_phase
        take = (lambda a: a) if index is None else (lambda a: a[index])
        feed = {t: take(a) for t, a in zip(self.inputs, inputs)}
        for ph, a in zip(self._fed_targets if targets is not None else [], targets or []):
            if ph is not None:
                feed[ph] = take(a).astype(ph.dtype.base_dtype.as_numpy_dtype, copy=False)
        for ph, a in zip(self.sample_weights if weights is not None else [], weights or []):
            if ph is not None:
                feed[ph] = take(a)
        with self.outputs[0].graph.as_default():  # the model's graph's learning phase
            phase = learning_phase()
        if isinstance(phase, Tensor):
            feed[phase] = training
        return feed

    # -- compile-time trainable state ----------------------------------------------------------
    def compile(self, *args, **kwargs):
        # TF1 Keras freezes at compile which layers train: a GAN compiles the discriminator,
        # sets discriminator.trainable = False to build the combined model, and the
        # discriminator still trains (its weights and BatchNormalization statistics) by itself.
        self._compiled_trainable_state = self._get_trainable_state()
        super().compile(*args, **kwargs)

    def _build_compiled(self):
        super()._build_compiled()
        self._collected_trainable_weights = self.trainable_weights

    def _check_trainable_weights_consistency(self):
        collected = getattr(self, "_collected_trainable_weights", None)
        if collected is not None and len(collected) != len(self.trainable_weights):
            logging.log_first_n(
                logging.WARN, "Discrepancy between trainable weights and collected trainable "
                "weights, did you set `model.trainable` without calling `model.compile` after ?",
                1)

    # -- the step functions -----------------------------------------------------------------
    def _train_function(self):
        self._check_trainable_weights_consistency()
        if self._train_fn is None:
            graph = self._compiled_graph
            current = self._get_trainable_state()
            self._set_trainable_state(self._compiled_trainable_state)
            try:
                with graph.as_default(), name_scope("training"):
                    params = self._collected_trainable_weights
                    # by keyword, as TF calls it: keras-rl's wrappers define get_updates(params,
                    # loss), the reverse of the optimizers' own order
                    updates = list(_in_replica_context(
                        lambda: self.optimizer.get_updates(params=params,
                                                           loss=self.total_loss))) \
                        if params else []
                    updates += [getattr(u, "op", u) for u in self._for_own_inputs(self.updates)]
            finally:
                self._set_trainable_state(current)
            self._train_fn = (self._metric_tensors, updates + self._metric_updates)
        return self._train_fn

    def _run(self, fetches, ops, feed):
        """The fetched values; scalars as numpy scalars of the tensor's dtype (np.float32),
        as TF1 Keras returns them from train_on_batch / test_on_batch / evaluate."""
        from .backend import get_session
        with self._compiled_graph.as_default():
            values = get_session().run([fetches, ops], feed)[0]
        return [np.asarray(v)[()] if np.ndim(v) == 0 else v for v in values]

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
            return self.fit_generator(
                x, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                callbacks=callbacks, validation_data=validation_data,
                validation_steps=validation_steps, validation_freq=validation_freq,
                class_weight=class_weight, shuffle=shuffle, initial_epoch=initial_epoch)
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
            batch_logs.update(zip(names, _python_scalars(values)))
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
                                      _python_scalars(totals["last"][self._n_loss_values:])))
            if validate is not None and _validates_at(validation_freq, epoch + 1):
                val_values = validate()
                epoch_logs.update(("val_" + k, v)
                                  for k, v in zip(names, _python_scalars(val_values)))
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
        # numpy scalars of the losses' dtype, as TF1 Keras' aggregator leaves them
        losses = [np.asarray(v).dtype.type(t) for t, v in zip(total / seen, last)]
        return losses + list(last[self._n_loss_values:])

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


def _python_scalars(values) -> list:
    """Numpy scalars as Python numbers: what TF1 Keras' callbacks get in their logs."""
    return [v.item() if isinstance(v, (np.ndarray, np.generic)) and np.ndim(v) == 0 else v
            for v in values]


def _in_replica_context(fn):
    """``fn()``, in the replica context of the strategy whose scope is open (TF1's distributed
    Keras builds its optimizer updates per replica: a tf.train optimizer's apply_gradients
    refuses the cross-replica context)."""
    from .. import distribute

    if distribute.has_strategy() and distribute.in_cross_replica_context():
        return distribute.get_strategy().extended.call_for_each_replica(fn)
    return fn()


class _StopEpochError(Exception):
    """A callback set ``model.stop_training`` mid-epoch."""
