"""``tf.tpu`` (TF 1.15) without a TPU: the names TF 1.15 has, with what runs on a CPU working.

TF 1.15's tf.tpu and tf.contrib.tpu share their objects, and so do these: CrossShardOptimizer
and the functions that need a TPU (``rewrite``, ``shard``, ``replicate``,
``batch_parallel``, ``cross_replica_sum``, ``outside_compilation``, ``initialize_system``,
``shutdown_system``), which raise UnimplementedError, are core/contrib/tpu.py's, looked up on
first use (that module builds on the whole of minitf). ``core(n)`` is TF's device name
``device:TPU_REPLICATED_CORE:<n>``. ``bfloat16_scope`` is TF's variable
scope whose getter makes bfloat16 variables float32; minitf has no bfloat16, so the getter
passes every request through. ``tf.tpu.experimental`` holds the TPU-embedding optimizer
parameters (plain settings, validated as TF does) and refuses the rest.
"""

from __future__ import annotations

import contextlib
import types

from .errors import UnimplementedError
from .variable_scopes import variable_scope

_FROM_CONTRIB = {"CrossShardOptimizer", "batch_parallel", "cross_replica_sum",
                 "initialize_system", "outside_compilation", "replicate", "rewrite", "shard",
                 "shutdown_system"}
__all__ = sorted(_FROM_CONTRIB | {"bfloat16_scope", "core", "experimental"})


def __getattr__(name):
    if name in _FROM_CONTRIB:
        from .contrib import tpu as contrib_tpu

        value = getattr(contrib_tpu, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'minitf.tpu' has no attribute {name!r}: minitf provides "
                         f"tf.tpu.{{{', '.join(__all__)}}}")


def __dir__():
    return __all__


def core(num) -> str:
    """The device name of virtual core ``num`` of each replica of a replicated TPU
    computation (for tf.device; nothing runs there in minitf)."""
    return f"device:TPU_REPLICATED_CORE:{num}"


def _bfloat16_getter(getter, *args, **kwargs):
    # TF makes a bfloat16 variable float32 and casts its value; minitf has no bfloat16
    # dtype, so no request can ask for one.
    return getter(*args, **kwargs)


@contextlib.contextmanager
def bfloat16_scope():
    """A variable scope (no name of its own) for a model written in bfloat16: yields it."""
    with variable_scope("", custom_getter=_bfloat16_getter) as scope:
        yield scope


# -- tf.tpu.experimental ------------------------------------------------------------------------
class _OptimizationParameters:
    """Settings common to the TPU-embedding optimizers."""

    def __init__(self, learning_rate, use_gradient_accumulation, clip_weight_min,
                 clip_weight_max):
        self.learning_rate = learning_rate
        self.use_gradient_accumulation = use_gradient_accumulation
        self.clip_weight_min = clip_weight_min
        self.clip_weight_max = clip_weight_max


class AdagradParameters(_OptimizationParameters):
    """Adagrad for TPU embedding tables (a setting of TPUEstimator's embedding config)."""

    def __init__(self, learning_rate, initial_accumulator=0.1, use_gradient_accumulation=True,
                 clip_weight_min=None, clip_weight_max=None):
        super().__init__(learning_rate, use_gradient_accumulation, clip_weight_min,
                         clip_weight_max)
        if initial_accumulator <= 0:
            raise ValueError("Adagrad initial_accumulator must be positive")
        self.initial_accumulator = initial_accumulator


class AdamParameters(_OptimizationParameters):
    """Adam for TPU embedding tables (a setting of TPUEstimator's embedding config)."""

    def __init__(self, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-08, lazy_adam=True,
                 sum_inside_sqrt=True, use_gradient_accumulation=True, clip_weight_min=None,
                 clip_weight_max=None):
        super().__init__(learning_rate, use_gradient_accumulation, clip_weight_min,
                         clip_weight_max)
        if beta1 < 0. or beta1 >= 1.:
            raise ValueError(f"beta1 must be between 0. and 1; got {beta1}.")
        if beta2 < 0. or beta2 >= 1.:
            raise ValueError(f"beta2 must be between 0. and 1; got {beta2}.")
        if epsilon <= 0.:
            raise ValueError(f"epsilon must be positive; got {epsilon}.")
        if not use_gradient_accumulation and not lazy_adam:
            raise ValueError("When disabling Lazy Adam, gradient accumulation must be used.")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_adam = lazy_adam
        self.sum_inside_sqrt = sum_inside_sqrt


class StochasticGradientDescentParameters(_OptimizationParameters):
    """Plain SGD for TPU embedding tables (no gradient accumulation)."""

    def __init__(self, learning_rate, clip_weight_min=None, clip_weight_max=None):
        super().__init__(learning_rate, False, clip_weight_min, clip_weight_max)


def _needs_tpu(name: str, hint: str):
    def refuse(*args, **kwargs):
        raise UnimplementedError(None, None, f"tf.tpu.experimental.{name}: minitf has no TPU "
                                 f"({hint})")

    refuse.__name__ = refuse.__qualname__ = name
    refuse.__doc__ = "Refused: minitf has no TPU."
    return refuse


class _Experimental(types.ModuleType):
    """``tf.tpu.experimental``; DeviceAssignment is tf.contrib.tpu's (refused)."""

    def __getattr__(self, name):
        if name == "DeviceAssignment":
            from .contrib import tpu as contrib_tpu

            self.DeviceAssignment = contrib_tpu.DeviceAssignment
            return self.DeviceAssignment
        raise AttributeError(f"module 'minitf.tpu.experimental' has no attribute {name!r}: "
                             f"minitf provides tf.tpu.experimental.{{"
                             f"{', '.join(self.__all__)}}}")

    def __dir__(self):
        return list(self.__all__)


experimental = _Experimental("minitf.tpu.experimental", "TF 1.15's tf.tpu.experimental.")
experimental.AdagradParameters = AdagradParameters
experimental.AdamParameters = AdamParameters
experimental.StochasticGradientDescentParameters = StochasticGradientDescentParameters
experimental.embedding_column = _needs_tpu(
    "embedding_column", "without one, use tf.feature_column.embedding_column")
experimental.shared_embedding_columns = _needs_tpu(
    "shared_embedding_columns", "without one, use tf.feature_column.shared_embedding_columns")
experimental.initialize_tpu_system = _needs_tpu(
    "initialize_tpu_system", "there is no TPU system to initialize")
experimental.__all__ = ["AdagradParameters", "AdamParameters", "DeviceAssignment",
                        "StochasticGradientDescentParameters", "embedding_column",
                        "initialize_tpu_system", "shared_embedding_columns"]
