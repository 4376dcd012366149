"""``tf.contrib.tpu`` (TF 1.15) without a TPU, as BERT-style programs use it with
``use_tpu=False``: TPUEstimator (tpu_estimator.py), TPUEstimatorSpec, TPUConfig / RunConfig /
InputPipelineConfig (validated as tensorflow_estimator's tpu_config.py), CrossShardOptimizer
(its no-TPU-context behaviour) and ``core``. What needs a TPU (``rewrite``, ``shard``,
``replicate``, ``initialize_system``, infeed/outfeed, ``cross_replica_sum``, ...) raises
UnimplementedError naming that minitf has no TPU."""

from __future__ import annotations

import collections
import enum
import inspect
import json
import os
import re

import numpy as np

import minitf as tf

from .. import tf_logging as logging
from ..errors import UnimplementedError
from ..estimator import run_config as _run_config
from ..estimator.model_fn import (EstimatorSpec, ModeKeys, _check_graph, _check_is_tensor,
                                  _check_is_tensor_or_operation, _validate_hooks, fn_args)
from ..tpu import bfloat16_scope, core  # noqa: F401 - tf.tpu's, re-exported
from ..train.optimizer import Optimizer
from ..train.session_run_hook import SessionRunArgs, SessionRunHook

__all__ = ["CrossShardOptimizer", "ExportSavedModelApiVersion", "InputPipelineConfig",
           "RunConfig", "TPUConfig", "TPUEstimatorSpec", "core"]

_BATCH_SIZE_KEY, _CTX_KEY, _USE_TPU_KEY = "batch_size", "context", "use_tpu"
_RESERVED_PARAMS_KEYS = [_BATCH_SIZE_KEY, _CTX_KEY]
_LOCAL_MASTERS = ("", "local")
_ITERATIONS_RE = re.compile(r"^(?P<value>[1-9]\d*)((?P<suffix>[s|m|h])$|$)")
_NO_TPU = "minitf has no TPU"


def _check_positive_integer(value, name):
    if not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be int, got {type(value)}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")


def _parse_iterations_per_loop(iterations_per_loop):
    """(value, unit): a count, or `<N>s|m|h` as seconds, as TF's util parses it."""
    m = _ITERATIONS_RE.match(str(iterations_per_loop))
    if m is None:
        raise ValueError("Invalid TPUConfig `iterations_per_loop` value. Value must be positive "
                         "integer value or time-based value `<N><s|m|h>` where <N> is any "
                         "positive integer and `s`, `m`, `h` are unit of time in seconds, "
                         "minutes, hours respectively. Examples of valid values: `3600s`, "
                         "`60m`, `1h`.")
    suffix = m.group("suffix")
    value = int(m.group("value")) * {"m": 60, "h": 3600}.get(suffix, 1)
    return value, ("seconds" if suffix else "count")


# -- configuration ------------------------------------------------------------------------------
class InputPipelineConfig:
    """How TF feeds a TPU (see TPUConfig); on the CPU every value calls input_fn once."""

    PER_SHARD_V1 = 1
    PER_HOST_V1 = 2
    PER_HOST_V2 = 3
    BROADCAST = 4
    SLICED = 5


class TPUConfig(collections.namedtuple("TPUConfig", [
        "iterations_per_loop", "num_shards", "num_cores_per_replica",
        "per_host_input_for_training", "tpu_job_name", "initial_infeed_sleep_secs",
        "input_partition_dims", "eval_training_input_configuration",
        "experimental_host_call_every_n_steps"])):
    """TPU settings of a TPUEstimator's RunConfig, validated as TF 1.15 validates them.
    Without a TPU only ``iterations_per_loop`` (how often the examples/sec hook logs) and
    ``num_shards`` (the batch-size check of ``use_tpu=True``) are read."""

    def __new__(cls, iterations_per_loop=2, num_shards=None, num_cores_per_replica=None,
                per_host_input_for_training=True, tpu_job_name=None,
                initial_infeed_sleep_secs=None, input_partition_dims=None,
                eval_training_input_configuration=InputPipelineConfig.PER_HOST_V1,
                experimental_host_call_every_n_steps=1):
        _parse_iterations_per_loop(iterations_per_loop)
        if num_shards is not None:
            _check_positive_integer(num_shards, "TPUConfig num_shards")
        if input_partition_dims is not None:
            if len(input_partition_dims) not in (1, 2):
                raise ValueError("input_partition_dims must be a list/tuple with one or two "
                                 "elements.")
            if per_host_input_for_training is not InputPipelineConfig.PER_HOST_V2:
                raise ValueError("input_partition_dims is only supported in PER_HOST_V2 mode.")
            if num_cores_per_replica is None:
                raise ValueError("input_partition_dims requires setting num_cores_per_replica.")
        if num_cores_per_replica is not None and \
                num_cores_per_replica not in (1, 2, 4, 8, 16, 32, 64, 128):
            raise ValueError(f"num_cores_per_replica must be 1, 2, 4, 8, 16, 32, 64, 128; got "
                             f"{num_cores_per_replica}")
        if eval_training_input_configuration not in (InputPipelineConfig.PER_HOST_V1,
                                                     InputPipelineConfig.SLICED):
            raise ValueError(f"eval_training_input_configuration must be PER_HOST_V1 or SLICED;"
                             f" got {eval_training_input_configuration}")
        # TF maps the legacy booleans to the enum.
        if per_host_input_for_training is False:
            per_host_input_for_training = InputPipelineConfig.PER_SHARD_V1
        elif per_host_input_for_training is True:
            per_host_input_for_training = InputPipelineConfig.PER_HOST_V1
        if initial_infeed_sleep_secs:
            _check_positive_integer(initial_infeed_sleep_secs,
                                    "TPUConfig initial_infeed_sleep_secs")
        if not tpu_job_name:
            service = json.loads(os.environ.get("TF_CONFIG") or "{}").get("service", {})
            tpu_job_name = service.get("tpu_worker_job_name")
        return super().__new__(
            cls, iterations_per_loop, num_shards, num_cores_per_replica,
            per_host_input_for_training, tpu_job_name, initial_infeed_sleep_secs,
            input_partition_dims, eval_training_input_configuration,
            experimental_host_call_every_n_steps)


class RunConfig(_run_config.RunConfig):
    """tf.estimator.RunConfig plus ``tpu_config``, ``master``, ``evaluation_master`` and
    ``cluster`` (a ClusterResolver). One process: a remote master or a cluster resolver
    naming a non-empty cluster is refused (UnimplementedError)."""

    def __init__(self, tpu_config=None, evaluation_master=None, master=None, cluster=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._tpu_config = tpu_config or TPUConfig()
        self._cluster = cluster
        self._master = ""
        if master is not None:
            if cluster is not None:
                raise ValueError("Both master and cluster are set.")
            self._master = master
        elif cluster:
            self._master = cluster.master()
        self._evaluation_master = self._master if evaluation_master is None \
            else evaluation_master
        if cluster and cluster.cluster_spec():
            raise UnimplementedError(None, None, f"RunConfig(cluster={cluster!r}) names the "
                                     f"cluster {cluster.cluster_spec()!r}: minitf runs in one "
                                     "process (no TPU workers)")
        for what, value in (("master", self._master),
                            ("evaluation_master", self._evaluation_master)):
            if value not in _LOCAL_MASTERS:
                raise UnimplementedError(None, None, f"RunConfig({what}={value!r}): minitf "
                                         "runs in-process; it connects to no remote master "
                                         "or TPU")

    master = property(lambda self: self._master)
    evaluation_master = property(lambda self: self._evaluation_master)
    tpu_config = property(lambda self: self._tpu_config)
    cluster = property(lambda self: self._cluster)

    def replace(self, **kwargs) -> RunConfig:
        """As tf.estimator.RunConfig.replace, also accepting ``tpu_config``."""
        if "tpu_config" not in kwargs:
            return super().replace(**kwargs)
        tpu_config = kwargs.pop("tpu_config")
        new = super().replace(**kwargs)
        new._tpu_config = tpu_config
        return new


class ExportSavedModelApiVersion(enum.Enum):
    V1 = 1
    V2 = 2


# -- TPUEstimatorSpec ---------------------------------------------------------------------------
def _validate_host_calls(host_calls):
    """TF's checks of ``eval_metrics`` and ``host_call``: (fn, list or dict of tensors), a
    list's length matching fn's arguments unless fn takes *args."""
    for name, host_call in host_calls.items():
        if not isinstance(host_call, (tuple, list)):
            raise ValueError(f"{name} should be tuple or list")
        if len(host_call) != 2:
            raise ValueError(f"{name} should have two elements.")
        if not callable(host_call[0]):
            raise TypeError(f"{name}[0] should be callable.")
        if not isinstance(host_call[1], (tuple, list, dict)):
            raise ValueError(f"{name}[1] should be tuple or list, or dict.")
        if isinstance(host_call[1], (tuple, list)):
            fn = host_call[0]
            if inspect.getfullargspec(fn).varargs is None and \
                    len(host_call[1]) != len(fn_args(fn)):
                raise RuntimeError(f"In TPUEstimatorSpec.{name}, length of tensors "
                                   f"{len(host_call[1])} does not match method args of the "
                                   f"function, which takes {len(fn_args(fn))}.")


def _call_host_fn(name, host_call):
    fn, tensors = host_call
    if isinstance(tensors, dict):
        try:
            return fn(**tensors)
        except TypeError as e:
            logging.warning("Exception while calling %s: %s. It is likely the tensors (%s[1]) "
                            "do not match the function's arguments", name, e, name)
            raise
    return fn(*tensors)


class TPUEstimatorSpec(collections.namedtuple("TPUEstimatorSpec", [
        "mode", "predictions", "loss", "train_op", "eval_metrics", "export_outputs",
        "scaffold_fn", "host_call", "training_hooks", "evaluation_hooks",
        "prediction_hooks"])):
    """What a TPUEstimator model_fn returns. ``eval_metrics`` is ``(metric_fn, tensors)``
    (a list passed positionally or a dict by name) returning ``{name: (value, update_op)}``;
    ``scaffold_fn`` builds the Scaffold; ``host_call`` is ``(fn, tensors)`` whose result is
    run with every step. Validated as TF validates it."""

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metrics=None,
                export_outputs=None, scaffold_fn=None, host_call=None, training_hooks=None,
                evaluation_hooks=None, prediction_hooks=None):
        host_calls = {}
        if eval_metrics is not None:
            host_calls["eval_metrics"] = eval_metrics
        if host_call is not None:
            host_calls["host_call"] = host_call
        _validate_host_calls(host_calls)
        training_hooks = _validate_hooks(training_hooks)
        evaluation_hooks = _validate_hooks(evaluation_hooks)
        prediction_hooks = _validate_hooks(prediction_hooks)
        graph = tf.get_default_graph()
        if train_op is None:
            if mode == ModeKeys.TRAIN:
                raise ValueError("Missing train_op.")
        else:
            _check_is_tensor_or_operation(train_op, "train_op")
            _check_graph(train_op, "train_op", graph)
        if loss is None:
            if mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
                raise ValueError("Missing loss.")
        else:
            _check_is_tensor(loss, "loss")
            if loss.shape.num_elements() not in (None, 1):
                raise ValueError(f"Loss must be scalar, given: {loss}")
            if loss.shape.rank not in (None, 0):
                loss = tf.reshape(loss, [])
            _check_graph(loss, "loss", graph)
        if predictions is None:
            if mode == ModeKeys.PREDICT:
                raise ValueError("Missing predictions.")
            predictions = {}
        else:
            for key, value in (predictions.items() if isinstance(predictions, dict)
                               else [(None, predictions)]):
                _check_is_tensor(value, "predictions" if key is None else f"predictions[{key}]")
                _check_graph(value, "prediction values", graph)
        if mode == ModeKeys.PREDICT:
            from ..estimator.export import get_export_outputs

            export_outputs = get_export_outputs(export_outputs, predictions)
        return super().__new__(cls, mode, predictions, loss, train_op, eval_metrics,
                               export_outputs, scaffold_fn, host_call, training_hooks,
                               evaluation_hooks, prediction_hooks)

    def as_estimator_spec(self) -> EstimatorSpec:
        """The EstimatorSpec TF runs on the CPU: ``metric_fn(*tensors)`` (or ``**tensors``)
        as ``eval_metric_ops``, ``scaffold_fn()`` as the scaffold, and the host_call's result
        fetched by a hook in every mode."""
        eval_metric_ops = None
        if self.eval_metrics is not None:
            eval_metric_ops = _call_host_fn("eval_metrics", self.eval_metrics)
        hooks = ()
        if self.host_call is not None:
            hooks = (_OutfeedHostCallHook(_call_host_fn("host_call", self.host_call)),)
        scaffold = self.scaffold_fn() if self.scaffold_fn else None
        return EstimatorSpec(
            mode=self.mode, predictions=self.predictions, loss=self.loss,
            train_op=self.train_op, eval_metric_ops=eval_metric_ops,
            export_outputs=self.export_outputs, scaffold=scaffold,
            training_hooks=self.training_hooks + hooks,
            evaluation_hooks=self.evaluation_hooks + hooks,
            prediction_hooks=self.prediction_hooks + hooks)


class _OutfeedHostCallHook(SessionRunHook):
    """Runs a host_call's result with every step, initialising and flushing the
    tf.contrib.summary writers of the graph (the usual host_call writes summaries)."""

    def __init__(self, tensors):
        self._tensors = tensors

    def begin(self):
        from . import summary as contrib_summary

        self._init_ops = contrib_summary.summary_writer_initializer_op()
        self._finalize_ops = [contrib_summary.flush(writer=op.inputs[0])
                              for op in self._init_ops]

    def after_create_session(self, session, coord):
        session.run(self._init_ops)

    def before_run(self, run_context):
        return None if self._tensors is None else SessionRunArgs(self._tensors)

    def end(self, session):
        session.run(self._finalize_ops)


# -- CrossShardOptimizer ------------------------------------------------------------------------
class CrossShardOptimizer(Optimizer):
    """Wraps an optimizer to average gradients over TPU shards. Outside a TPU computation (all
    of minitf) TF assumes one shard: ``compute_gradients`` is the wrapped optimizer's, loss
    unscaled; ``apply_gradients`` sums gradients across replicas with CrossReplicaSum, which
    has no CPU kernel (TF fails at run time), so minitf refuses it when building."""

    def __init__(self, opt, reduction=tf.losses.Reduction.MEAN, name="CrossShardOptimizer",
                 group_assignment=None):
        if reduction not in (tf.losses.Reduction.SUM, tf.losses.Reduction.MEAN):
            raise ValueError(f"Unsupported reduction: {reduction}.")
        super().__init__(False, name)
        self._opt = opt
        self._reduction = reduction
        self._group_assignment = group_assignment

    def _verify_and_get_subgroup_size(self, group_assignment, num_shards):
        if not group_assignment:
            return None
        if not (isinstance(group_assignment, list) and
                all(isinstance(g, list) for g in group_assignment)):
            raise ValueError(f"group_assignment must be a list of list. Got {group_assignment}")
        if {i for g in group_assignment for i in g} != set(range(num_shards)):
            raise ValueError(f"group_assignment must be a permutation of range({num_shards})."
                             f" Got group_assignment={group_assignment}")
        sizes = {len(g) for g in group_assignment}
        if len(sizes) != 1:
            raise ValueError(f"The size of each subgroup in group_assignment must be equal. "
                             f"Got group_assignment={group_assignment}")
        return sizes.pop()

    def compute_gradients(self, loss, var_list=None, **kwargs):
        """The wrapped optimizer's gradients: one shard, so the MEAN reduction scales by 1."""
        logging.warning("CrossShardOptimizer should be used within a tpu_shard_context, but got "
                        "unset number_of_shards. Assuming 1.")
        self._verify_and_get_subgroup_size(self._group_assignment, 1)
        return self._opt.compute_gradients(loss, var_list=var_list, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        raise UnimplementedError(None, None, "CrossShardOptimizer.apply_gradients sums "
                                 "gradients across TPU replicas (CrossReplicaSum, which has "
                                 f"no CPU kernel): {_NO_TPU}. Without a TPU use the wrapped "
                                 "optimizer itself, as BERT does when use_tpu=False")

    def get_slot(self, *args, **kwargs):
        return self._opt.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._opt.get_slot_names(*args, **kwargs)

    def variables(self):
        return self._opt.variables()


# -- what needs a TPU ---------------------------------------------------------------------------
def _needs_tpu(name, hint="run the computation directly on the CPU"):
    def refuse(*args, **kwargs):
        raise UnimplementedError(None, None, f"tf.contrib.tpu.{name}: {_NO_TPU} ({hint})")

    refuse.__name__ = refuse.__qualname__ = name
    refuse.__doc__ = f"Refused: {_NO_TPU}."
    return refuse


for _name in ("batch_parallel", "cross_replica_sum", "device_assignment", "infeed_dequeue",
              "infeed_dequeue_tuple", "infeed_enqueue", "infeed_enqueue_tuple",
              "outfeed_dequeue", "outfeed_dequeue_tuple", "outfeed_enqueue",
              "outfeed_enqueue_tuple", "outside_compilation", "repeat", "replicate", "rewrite",
              "shard", "split_compile_and_shard", "while_loop", "InfeedQueue",
              "DeviceAssignment", "Topology", "TPUDistributionStrategy", "keras_to_tpu_model"):
    globals()[_name] = _needs_tpu(_name)
    __all__.append(_name)
for _name in ("initialize_system", "shutdown_system"):
    globals()[_name] = _needs_tpu(_name, "with use_tpu=False TPUEstimator never calls it")
    __all__.append(_name)
__all__.append("bfloat16_scope")  # tf.tpu's (as is core), shared as in TF 1.15
_LAZY = {"TPUEstimator", "export_estimator_savedmodel"}  # tpu_estimator.py imports this module
__all__ = sorted(__all__ + list(_LAZY))


def __getattr__(name):
    if name in _LAZY:
        from . import tpu_estimator

        value = getattr(tpu_estimator, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'minitf.contrib.tpu' has no attribute {name!r}: minitf "
                         f"provides tf.contrib.tpu.{{{', '.join(__all__)}}}")


def __dir__():
    return __all__
