"""``Model.compile`` (mixed into ``TrainingMixin``, core/keras/training.py): the targets,
sample weights, total loss and metrics it builds in the model's graph (see training.py's
docstring for the semantics)."""

from __future__ import annotations

from .. import dtypes as _dt
from .. import tf_logging as logging
from ..graph import get_default_graph, name_scope
from ..ops import constant_ops, math_ops
from ..ops.reduction_ops import reduce_sum
from ..ops import fill_ops, shape_ops
from ..ops.shape_ops import size
from ..ops.transform_ops import expand_dims
from . import losses as losses_mod
from .base_layer import _split_by_inputs
from . import metrics as metrics_mod
from . import optimizers
from . import training_data as td

__all__ = ["CompileMixin"]

_SPARSE_LOSSES = ("sparse_categorical_crossentropy",)


def _loss_name(fn):
    if isinstance(fn, losses_mod.LossFunctionWrapper):
        return getattr(fn.fn, "__name__", "")
    return getattr(fn, "__name__", type(fn).__name__)


def _metric_name(entry, metric, weighted=False) -> str:
    """TF 1.x's training_utils.get_metric_name (TF2 behaviour off, as in TF 1.15): 'accuracy'
    and 'acc' are 'acc', 'crossentropy' and 'ce' are 'ce', any other identifier is named by
    what it resolves to (``metric``: a Metric's name, a class given by name made with its
    default name; a function's __name__: 'mae' is 'mean_absolute_error'); weighted metrics
    get 'weighted_' before it. These are the names of metrics_names, History, evaluate's
    order and the callbacks' logs ('val_acc')."""
    prefix = "weighted_" if weighted else ""
    if isinstance(entry, str) and entry in ("accuracy", "acc"):
        return prefix + "acc"
    if isinstance(entry, str) and entry in ("crossentropy", "ce"):
        return prefix + "ce"
    if isinstance(metric, metrics_mod.Metric):
        return prefix + metric.name
    return prefix + getattr(metric, "__name__", type(metric).__name__)


class CompileMixin:
    """compile, and the loss and metric tensors it makes."""

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
            if isinstance(self.loss, dict):
                for n in self.output_names:
                    if n not in self.loss:
                        logging.warning(
                            f"Output {n} missing from loss dictionary. We assume this was done "
                            "on purpose. The fit and evaluate APIs will not be expecting any "
                            f"data to be passed to {n}.")
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
                if fn is None:
                    # TF 1.x Keras skips an output without a loss: no target or sample weight
                    # to feed (fit/evaluate take no data for it), no loss term, no metrics
                    self._fed_targets.append(None)
                    self.targets.append(None)
                    self.sample_weights.append(None)
                    self._output_loss_tensors.append(None)
                    continue
                rank = out.shape.rank
                t = targets[i] if i < len(targets) and targets[i] is not None else None
                if t is None:
                    t = constant_ops.placeholder(out.dtype.base_dtype, [None] * (rank or 0)
                                                 if rank is not None else None,
                                                 name=name + "_target")
                    self._fed_targets.append(t)
                else:
                    self._fed_targets.append(None)
                given = self._given_sample_weights
                if given is not None and given[i] is not None:  # model_to_estimator's tensors
                    sw = math_ops.cast(given[i], _dt.float32)
                else:  # fed by fit; ones when not fed (an Estimator's eval, K.function)
                    rows = 2 if modes[i] == "temporal" else 1
                    sw = constant_ops.placeholder_with_default(
                        fill_ops.ones(shape_ops.shape(out)[:rows]), [None] * rows,
                        name=name + "_sample_weights")
                self.targets.append(t)
                self.sample_weights.append(sw)
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
                for extra in self._for_own_inputs(self.losses):
                    total = total + math_ops.cast(extra, total.dtype)
            self.total_loss = total
            self._build_metrics(outputs, loss_fns)

    def _for_own_inputs(self, items) -> list:
        """Of the model's updates or losses, what TF1 Keras' train step takes: the
        unconditional ones and those reachable from the model's own inputs (a nested model's
        from a call on its original Input would need that fed)."""
        if getattr(self, "inputs", None) is None:
            return list(items)
        wanted = {id(x) for x in _split_by_inputs(self, items, None)
                  + _split_by_inputs(self, items, self.inputs)}
        return [x for x in items if id(x) in wanted]

    def _metric_for(self, entry, out, loss_fn, weighted=False):
        """(name, Metric) for a compiled metric identifier, picking accuracy's flavour from the
        loss and the output shape as Keras does; the name is TF 1.x's (``_metric_name``)."""
        if isinstance(entry, metrics_mod.Metric):
            return _metric_name(entry, entry, weighted), entry
        if isinstance(entry, str) and entry in ("accuracy", "acc", "crossentropy", "ce"):
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
            name = _metric_name(entry, fn, weighted)
            return name, metrics_mod.MeanMetricWrapper(fn, name=name)
        fn = metrics_mod.get(entry)
        if isinstance(fn, type) and issubclass(fn, metrics_mod.Metric):
            fn = fn()  # as TF makes a class given by name
            return _metric_name(entry, fn, weighted), fn
        name = _metric_name(entry, fn, weighted)
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
        specs = [(weighted, self._per_output(spec, "metrics")) for weighted, spec in
                 ((False, args["metrics"]), (True, args["weighted_metrics"])) if spec]
        # TF 1.x's order: per output, its metrics then its weighted metrics; one metric per
        # name in each list (TF keeps them in a dict by name: the last given, where the first
        # stood)
        for i, out in enumerate(outputs):
            if loss_fns[i] is None:
                continue  # TF 1.x computes no metric for an output without a loss
            for weighted, per_output in specs:
                chosen = {}
                for entry in td.as_list(per_output[i]):
                    base, metric = self._metric_for(entry, out, loss_fns[i], weighted)
                    chosen[base] = metric
                for base, metric in chosen.items():
                    # TF's _add_unique_metric_name: the output's name first, then _1, _2...
                    base = f"{self.output_names[i]}_{base}" if multi else base
                    full, j = base, 1
                    while full in names:
                        full, j = f"{base}_{j}", j + 1
                    metric.name = full  # as TF renames the metric to its unique name
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
