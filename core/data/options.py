"""``tf.data.Options`` / ``Dataset.with_options`` and ``Dataset.cardinality``.

Options are accepted and recorded (``dataset.options()`` gives them back, merged along the
pipeline, the later setting winning as in TF 2); they tune TF's threading and graph rewrites,
which have no counterpart in this single-threaded engine, so they change nothing here.

Cardinality is computed from the pipeline's description when the dataset is built: a count that
depends on a fed tensor (or a file's contents) is UNKNOWN_CARDINALITY here, where TF, counting
when the op runs, may know it.
"""

from __future__ import annotations

from ..graph import Tensor, constant_value
from .dataset_ops import Dataset

INFINITE = -1
UNKNOWN = -2


class _OptionsBase:
    """Attributes from ``_fields`` ({name: default or a sub-options class}) only; an unset
    one reads as its default (None: "TF decides")."""

    _fields: dict = {}

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        fields = type(self)._fields
        if name not in fields:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        default = fields[name]
        if isinstance(default, type):  # sub-options are made on first use, then kept
            return self._values.setdefault(name, default())
        return self._values.get(name, default)

    def __setattr__(self, name, value):
        if name not in type(self)._fields:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        self._values[name] = value

    def _merge_from(self, other: _OptionsBase) -> None:
        for name, value in other._values.items():
            if isinstance(value, _OptionsBase):
                getattr(self, name)._merge_from(value)
            else:
                self._values[name] = value

    def __eq__(self, other):
        return type(self) is type(other) and self._values == other._values

    def __repr__(self):
        return f"{type(self).__name__}({self._values})"


class OptimizationOptions(_OptionsBase):
    _fields = dict.fromkeys([
        "apply_default_optimizations", "filter_fusion", "filter_parallelization",
        "inject_prefetch", "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion",
        "map_parallelization", "noop_elimination", "parallel_batch", "seq_interleave_prefetch",
        "shuffle_and_repeat_fusion", "warm_start", "autotune", "autotune_buffers",
        "autotune_cpu_budget", "autotune_ram_budget", "hoist_random_uniform",
        "map_vectorization"])


class ThreadingOptions(_OptionsBase):
    _fields = dict.fromkeys(["max_intra_op_parallelism", "private_threadpool_size"])


class DistributeOptions(_OptionsBase):
    _fields = {"auto_shard_policy": None, "num_devices": None}


class AutotuneOptions(_OptionsBase):
    _fields = dict.fromkeys(["enabled", "cpu_budget", "ram_budget", "autotune_algorithm",
                             "initial_parallelism"])


class Options(_OptionsBase):
    """``tf.data.Options()``: set attributes, then ``dataset.with_options(options)``."""

    _fields = {
        "autotune": AutotuneOptions, "deterministic": None, "experimental_deterministic": None,
        "experimental_distribute": DistributeOptions, "experimental_external_state_policy":
        None, "experimental_optimization": OptimizationOptions, "experimental_slack": None,
        "experimental_symbolic_checkpoint": None, "experimental_threading": ThreadingOptions,
        "experimental_warm_start": None, "experimental_stats": None, "framework_type": None,
        "threading": ThreadingOptions, "dataset_name": None}

    def merge(self, options: Options) -> Options:
        """These options with ``options``' settings over them."""
        out = Options()
        out._merge_from(self)
        out._merge_from(options)
        return out


class WithOptions(Dataset):
    def __init__(self, dataset, options):
        if not isinstance(options, Options):
            raise TypeError(f"Dataset.with_options(): expected a tf.data.Options, got "
                            f"{type(options).__name__}")
        self._options = options
        super().__init__(dataset._structure, (dataset,))

    def _elements(self, ctx):
        return self._inputs[0]._elements(ctx)


def options_of(ds) -> Options:
    """The options set along ``ds``'s pipeline, merged (inputs first, then later ones)."""
    out = Options()
    for d in ds._inputs:
        out._merge_from(options_of(d))
    if isinstance(ds, WithOptions):
        out._merge_from(ds._options)
    return out


# -- cardinality ---------------------------------------------------------------------------------
def _known(x):
    """An int for a Python value or a constant tensor, None otherwise."""
    if isinstance(x, Tensor):
        x = constant_value(x)
        if x is None:
            return None
    return int(x)


def _times(n: int, count: int) -> int:
    if count == 0 or n == 0:
        return 0
    if n in (INFINITE, UNKNOWN):
        return n
    return n * count


def cardinality_of(ds) -> int:
    """The number of elements of ``ds``, INFINITE or UNKNOWN (TF's rules per transformation)."""
    name = type(ds).__name__
    inputs = [cardinality_of(d) for d in ds._inputs]
    n = inputs[0] if inputs else UNKNOWN
    if name in ("_Map", "_Shuffle", "Cache", "WithOptions", "Scan", "_Prefetch"):
        return n
    if name == "_Tensors":
        return 1
    if name == "AssertCardinality":  # what it asserts, as TF's cardinality() reports
        count = _known(ds._expected)
        return UNKNOWN if count is None else count
    if name == "_TensorSlices":
        from . import structure as st

        for leaf in ds._leaves:
            spec = st.spec_of(leaf)
            if spec.shape.rank:
                dim = spec.shape[0].value
                return UNKNOWN if dim is None else dim
        return UNKNOWN
    if name == "_Range":
        start, stop, step = (_known(x) for x in ds._args)
        if None in (start, stop, step) or step == 0:
            return UNKNOWN
        return len(range(start, stop, step))
    if name == "_Zip":
        if UNKNOWN in inputs:
            return UNKNOWN
        finite = [c for c in inputs if c != INFINITE]
        return min(finite) if finite else INFINITE
    if name == "_Concatenate":
        if INFINITE in inputs:
            return INFINITE
        return UNKNOWN if UNKNOWN in inputs else sum(inputs)
    if name == "Window":  # TF's WindowDataset rule
        size, shift, stride = (_known(x) for x in (ds._size, ds._shift, ds._stride))
        drop = _known(ds._drop)
        if n in (UNKNOWN, INFINITE) or None in (size, shift, stride, drop) or \
                min(size, shift, stride) <= 0:
            return n if n in (UNKNOWN, INFINITE) else UNKNOWN
        if drop:
            rest = n - ((size - 1) * stride + 1)
            return 0 if rest < 0 else rest // shift + 1
        return -(-n // shift)
    if name in ("Batch", "PaddedBatch", "DenseToSparseBatch"):
        size = _known(ds._size)
        if size is None or n == UNKNOWN:
            return UNKNOWN
        if n == INFINITE:
            return INFINITE
        return n // size + (0 if ds._drop or n % size == 0 else 1)
    if name == "_Repeat":
        count = _known(ds._count)
        if count is None:
            return UNKNOWN
        if count < 0:
            return 0 if n == 0 else INFINITE
        return _times(n, count)
    if name == "_Take":
        count = _known(ds._count)
        if count is None:
            return UNKNOWN
        if count < 0:
            return n
        if n == INFINITE:
            return count
        return UNKNOWN if n == UNKNOWN else min(n, count)
    if name == "_Skip":
        count = _known(ds._count)
        if count is None:
            return UNKNOWN
        if count < 0:
            return 0
        if n in (INFINITE, UNKNOWN):
            return n
        return max(0, n - count)
    if name == "_Shard":
        num, index = _known(ds._num), _known(ds._index)
        if num is None or index is None:
            return UNKNOWN
        if n in (INFINITE, UNKNOWN):
            return n
        return n // num + (1 if index < n % num else 0)
    return UNKNOWN  # filter, flat_map, interleave, unbatch, generators, files, grouping, ...
