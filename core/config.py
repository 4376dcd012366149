"""``tf.config``: TF's process-wide runtime settings, answered as TensorFlow answers them on a
machine with one CPU and no GPU (TF 2.21's ``tf.compat.v1.config``, its submodules
``experimental``, ``optimizer`` and ``threading`` included).

minitf has one device, the CPU its numpy kernels run on, so the device queries list
``/physical_device:CPU:0`` (logical ``/device:CPU:0``). Settings are recorded and read back with
TF's defaults, checks and errors; none of them changes how minitf runs a graph (each function
says so). As in TF, the runtime counts as initialized once logical devices are listed or memory
is queried: from then on visible devices, logical device configurations and thread counts can
no longer change (RuntimeError). ``experimental_connect_to_cluster`` / ``_host`` are refused:
minitf has no distributed runtime.
"""

from __future__ import annotations

import collections
import re
import sys
import types

from .errors import InternalError, UnimplementedError

__all__ = ["LogicalDevice", "LogicalDeviceConfiguration", "PhysicalDevice", "experimental",
           "experimental_connect_to_cluster", "experimental_connect_to_host",
           "experimental_functions_run_eagerly", "experimental_run_functions_eagerly",
           "functions_run_eagerly", "get_logical_device_configuration",
           "get_soft_device_placement", "get_visible_devices", "list_logical_devices",
           "list_physical_devices", "optimizer", "run_functions_eagerly",
           "set_logical_device_configuration", "set_soft_device_placement",
           "set_visible_devices", "threading"]

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
PhysicalDevice.__doc__ = "A device of the machine: ``name`` and ``device_type`` (TF's tuple)."
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])
LogicalDevice.__doc__ = "A device ops can be placed on: ``name`` and ``device_type``."


class LogicalDeviceConfiguration(collections.namedtuple(
        "LogicalDeviceConfiguration",
        ["memory_limit", "experimental_priority", "experimental_device_ordinal"])):
    """How one logical device is carved out of a physical one (TF's tuple and defaults)."""

    __slots__ = ()

    def __new__(cls, memory_limit=None, experimental_priority=None,
                experimental_device_ordinal=None):
        return super().__new__(cls, memory_limit, experimental_priority,
                               experimental_device_ordinal)


_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_PHYSICAL = [_CPU]

# TF's default settings, read back by the getters. ``soft_device_placement`` defaults to
# ``executing_eagerly()`` in TF, which is False in graph mode: minitf is always in graph mode.
_DEFAULTS = {"visible": [_CPU], "virtual": {}, "initialized": False, "soft": False,
             "run_eagerly": False, "jit": False, "optimizer_options": {}, "inter": 0,
             "intra": 0, "device_policy": "silent", "synchronous": True, "tf32": True,
             "mlir_bridge": None}
_state: dict = {}


def _reset():
    """Back to the defaults (for tests; TF has no such call: its context lives as long as the
    process)."""
    _state.clear()
    _state.update({k: (v.copy() if isinstance(v, (list, dict)) else v)
                   for k, v in _DEFAULTS.items()})


_reset()


def _check_device(device):
    if device not in _PHYSICAL:
        raise ValueError(f"Unrecognized device: {device!r}")


# -- devices ------------------------------------------------------------------------------------
def list_physical_devices(device_type=None) -> list:
    """[PhysicalDevice('/physical_device:CPU:0', 'CPU')], filtered by ``device_type`` (matched
    exactly, as TF: 'cpu' or 'GPU' give [])."""
    return [d for d in _PHYSICAL if device_type is None or d.device_type == device_type]


def list_logical_devices(device_type=None) -> list:
    """The logical devices of the visible physical ones: one ``/device:CPU:<i>`` per logical
    configuration set on the CPU (one by default). Initializes the runtime, as in TF. Graphs may
    place ops on any of them; all run on the same numpy."""
    _state["initialized"] = True
    out = []
    if _CPU in _state["visible"]:
        n = len(_state["virtual"].get(_CPU) or [None])
        out = [LogicalDevice(f"/device:CPU:{i}", "CPU") for i in range(n)]
    return [d for d in out if device_type is None or d.device_type == device_type]


def get_visible_devices(device_type=None) -> list:
    """The physical devices the runtime may use (the CPU unless hidden)."""
    return [d for d in _state["visible"] if device_type is None or d.device_type == device_type]


def set_visible_devices(devices, device_type=None):
    """Restricts the runtime to ``devices`` (a PhysicalDevice or a list of them); with
    ``device_type``, only devices of that type are replaced. ValueError for an unknown device or
    one of another type; RuntimeError for a change after initialization (as TF). minitf records
    it: listing logical devices then gives none for a hidden CPU; graphs run on the CPU anyway."""
    if not isinstance(devices, list):
        devices = [devices]
    for d in devices:
        _check_device(d)
        if device_type is not None and d.device_type != device_type:
            raise ValueError(f"Unrecognized device: {d!r}")
    visible = ([d for d in _state["visible"] if d.device_type != device_type]
               if device_type is not None else [])
    visible += devices
    if visible == _state["visible"]:
        return
    if _state["initialized"]:
        raise RuntimeError("Visible devices cannot be modified after being initialized")
    _state["visible"] = visible


def get_logical_device_configuration(device):
    """The list of LogicalDeviceConfiguration set on ``device``, or None (the default)."""
    _check_device(device)
    return _state["virtual"].get(device)


def set_logical_device_configuration(device, logical_devices):
    """Splits the CPU into ``len(logical_devices)`` logical CPUs, which ``list_logical_devices``
    then lists. As TF, CPU configurations take no memory limit, priority or ordinal
    (ValueError), and a change after initialization is a RuntimeError."""
    _check_device(device)
    for vdev in logical_devices:
        for field, text in (("memory_limit", "Setting memory limit on CPU virtual devices is "
                             "currently not supported"),
                            ("experimental_priority", "Setting experimental_priority on CPU "
                             "virtual  devices is currently not supported"),
                            ("experimental_device_ordinal", "Setting "
                             "experimental_device_ordinal on CPU virtual  devices is currently "
                             "not supported")):
            if getattr(vdev, field) is not None:
                raise ValueError(text)
    if _state["virtual"].get(device) == logical_devices:
        return
    if _state["initialized"]:
        raise RuntimeError("Virtual devices cannot be modified after being initialized")
    _state["virtual"][device] = logical_devices


def get_soft_device_placement() -> bool:
    """Whether ops pinned to a missing device fall back to another one. TF's default is
    ``executing_eagerly()``: False in graph mode, which is minitf's only mode."""
    return _state["soft"]


def set_soft_device_placement(enabled):
    """Recorded (as a bool). minitf has one device, so there is nothing to fall back to: a
    graph's device strings never stop it from running."""
    _state["soft"] = bool(enabled)


# -- functions ----------------------------------------------------------------------------------
def run_functions_eagerly(run_eagerly):
    """Recorded and read back by ``functions_run_eagerly``. minitf's ``tf.function`` traces
    inline into the graph and there is no eager mode, so nothing changes (as for TF1 graph
    code, which this setting does not affect either)."""
    _state["run_eagerly"] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """What ``run_functions_eagerly`` last set (False by default)."""
    return _state["run_eagerly"]


def experimental_run_functions_eagerly(run_eagerly):
    """Deprecated name of ``run_functions_eagerly``."""
    run_functions_eagerly(run_eagerly)


def experimental_functions_run_eagerly() -> bool:
    """Deprecated name of ``functions_run_eagerly``."""
    return functions_run_eagerly()


# -- remote execution: refused -----------------------------------------------------------------
def experimental_connect_to_host(remote_host=None, job_name="worker"):
    """Refused (after TF's own argument check): minitf has no distributed runtime."""
    if not remote_host:
        raise ValueError("Must provide at least one remote_host")
    raise UnimplementedError(None, None, f"experimental_connect_to_host({remote_host!r}): "
                             "minitf has no distributed (gRPC) runtime; it runs in-process on "
                             "one CPU")


def experimental_connect_to_cluster(cluster_spec_or_resolver, job_name="localhost",
                                    task_index=0, protocol=None,
                                    make_master_device_default=True,
                                    cluster_device_filters=None):
    """Refused (after TF's own argument check): minitf has no distributed runtime."""
    kind = type(cluster_spec_or_resolver).__name__
    if kind != "ClusterSpec" and not kind.endswith("ClusterResolver"):
        raise ValueError("`cluster_spec_or_resolver` must be a `ClusterSpec` or a "
                         "`ClusterResolver`.")
    raise UnimplementedError(None, None, "experimental_connect_to_cluster: minitf has no "
                             "distributed (gRPC) runtime; it runs in-process on one CPU")


# -- tf.config.threading ------------------------------------------------------------------------
def _thread_setter(key, what):
    def setter(num_threads):
        if _state[key] == num_threads:
            return
        if _state["initialized"]:
            raise RuntimeError(f"{what} op parallelism cannot be modified after "
                               "initialization.")
        _state[key] = num_threads
        if key == "intra":
            cap_blas_threads(num_threads)
    return setter


def get_inter_op_parallelism_threads():
    """The recorded inter-op thread count (0: the system picks, TF's default). minitf runs a
    plan's steps one after another on the calling thread, so the setting changes nothing."""
    return _state["inter"]


def get_intra_op_parallelism_threads():
    """The intra-op thread count (0 by default: BLAS's own)."""
    return _state["intra"]


def cap_blas_threads(num_threads: int) -> None:
    """TF runs an op's parallel work on its intra-op pool; minitf's parallel kernels are BLAS
    calls, so an intra-op thread count (``ConfigProto.intra_op_parallelism_threads`` or the
    setter below) caps BLAS's threads. Process-wide, as BLAS's threads are; 0 leaves them."""
    if num_threads > 0:
        from threadpoolctl import threadpool_limits  # (only when asked: a ~10 ms import)

        threadpool_limits(limits=num_threads, user_api="blas")  # kept: no context exit


set_inter_op_parallelism_threads = _thread_setter("inter", "Inter")
set_inter_op_parallelism_threads.__name__ = "set_inter_op_parallelism_threads"
set_inter_op_parallelism_threads.__doc__ = (
    "Records the inter-op thread count (RuntimeError if changed after initialization, as TF); "
    "minitf runs steps sequentially whatever its value.")
set_intra_op_parallelism_threads = _thread_setter("intra", "Intra")
set_intra_op_parallelism_threads.__name__ = "set_intra_op_parallelism_threads"
set_intra_op_parallelism_threads.__doc__ = (
    "Sets the intra-op thread count (RuntimeError if changed after initialization, as TF): "
    "a positive count caps BLAS's threads, minitf's intra-op parallelism.")


# -- tf.config.optimizer ------------------------------------------------------------------------
def get_jit() -> str:
    """'autoclustering' when XLA auto-clustering was turned on, else ''."""
    return "autoclustering" if _state["jit"] else ""


def set_jit(enabled):
    """Records auto-clustering: on for True or 'autoclustering', off for anything else (as TF).
    minitf has no XLA: graphs run on the same Plan either way."""
    _state["jit"] = enabled in (True, "autoclustering")


_TOGGLES = ("layout_optimizer", "constant_folding", "shape_optimization", "remapping",
            "arithmetic_optimization", "dependency_optimization", "loop_optimization",
            "function_optimization", "debug_stripper", "disable_model_pruning",
            "scoped_allocator_optimization", "pin_to_host_optimization",
            "implementation_selector", "auto_mixed_precision", "use_plugin_optimizers",
            "disable_meta_optimizer", "auto_mixed_precision_onednn_bfloat16",
            "auto_mixed_precision_mkl")
_BOOLS = ("disable_model_pruning", "disable_meta_optimizer")


def get_experimental_options() -> dict:
    """Grappler's options as TF reads them back: the two boolean ones always, each toggle that
    was set, and ``min_graph_nodes`` when nonzero (keys in TF's order)."""
    opts = _state["optimizer_options"]
    out = {}
    for name in _TOGGLES:
        value = opts.get(name)
        if name in _BOOLS:
            out[name] = bool(value)
        elif value is not None:
            out[name] = bool(value)
    if opts.get("min_graph_nodes"):
        out["min_graph_nodes"] = int(opts["min_graph_nodes"])
    return out


def set_experimental_options(options):
    """Records Grappler options (unknown keys are kept and ignored, as TF). minitf has no
    Grappler: its Plan always prunes, folds constants and frees early."""
    _state["optimizer_options"].update(options)


# -- tf.config.experimental ---------------------------------------------------------------------
def get_device_details(device) -> dict:
    """{} for the CPU (TF reports details for GPUs only)."""
    if not isinstance(device, PhysicalDevice):
        raise ValueError(f"device must be a tf.config.PhysicalDevice, but got: {device}")
    if device not in _PHYSICAL:
        raise ValueError("The PhysicalDevice must be one obtained from calling "
                         f"`tf.config.list_physical_devices`, but got: {device}")
    return {}


def get_memory_growth(device):
    """TF keeps memory growth for GPUs only: the CPU raises KeyError, as in TF."""
    _check_device(device)
    raise KeyError(device)


def set_memory_growth(device, enable):
    """Refused for the CPU with TF's ValueError (memory growth is a GPU setting)."""
    _check_device(device)
    if device in _state["virtual"]:
        raise ValueError("Cannot set memory growth on device when virtual devices configured")
    raise ValueError("Cannot set memory growth on non-GPU and non-Pluggable devices")


_DEVICE_RE = re.compile(r"^(?:/(?:job:[^/]+|replica:\d+|task:\d+))*/?(?:device:)?"
                        r"([A-Za-z_]+):(\d+)$")


def _memory_device(device):
    _state["initialized"] = True
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'CPU:0', got {device!r}")
    m = _DEVICE_RE.match(device)
    if m is None:
        raise ValueError(f"Failed parsing device name: '{device}'. Note a valid device string "
                         "should at least contain a device type and a device index, like "
                         '"GPU:0".')
    if m.group(1).upper() != "CPU":
        raise ValueError(f"No matching devices found for '{device}'")


def get_memory_info(device) -> dict:
    """{'current': 0, 'peak': 0} for a CPU device, as TF reports for its CPU (it tracks device
    memory only); ValueError for a non-CPU device or a malformed name."""
    _memory_device(device)
    return {"current": 0, "peak": 0}


def get_memory_usage(device) -> int:
    """Deprecated: ``get_memory_info(device)['current']``."""
    return get_memory_info(device)["current"]


def reset_memory_stats(device):
    """Nothing is tracked for the CPU, so nothing to reset (checks ``device`` as TF)."""
    _memory_device(device)


_POLICIES = ("silent", "silent_for_int32", "warn", "explicit")


def get_device_policy() -> str:
    """The recorded eager device placement policy ('silent' by default)."""
    if _state["device_policy"] not in _POLICIES:
        raise InternalError(None, None,
                            f"Got an invalid device policy: {_state['device_policy']!r}.")
    return _state["device_policy"]


def set_device_policy(device_policy):
    """Records one of 'silent', 'silent_for_int32', 'warn', 'explicit' (None: 'silent'). It
    governs eager copies between devices; minitf has neither."""
    if device_policy is None:
        device_policy = "silent"
    if device_policy not in _POLICIES:
        raise ValueError(f"Invalid argument `device_policy`: {device_policy!r}. Please refer to "
                         "https://www.tensorflow.org/api_docs/python/tf/config/experimental/"
                         "set_device_policy for valid `device_policy` arguments.")
    _state["device_policy"] = device_policy


def get_synchronous_execution() -> bool:
    """Whether eager ops run synchronously (True by default)."""
    return _state["synchronous"]


def set_synchronous_execution(enable):
    """Recorded (None restores the default). minitf's Session.run is always synchronous."""
    _state["synchronous"] = True if enable is None else bool(enable)


def tensor_float_32_execution_enabled() -> bool:
    """Whether TensorFloat-32 is allowed (True by default)."""
    return _state["tf32"]


def enable_tensor_float_32_execution(enabled):
    """Recorded. TensorFloat-32 is an Ampere GPU format: minitf's float32 is always full."""
    _state["tf32"] = bool(enabled)


def enable_mlir_bridge():
    """Recorded; minitf has no MLIR bridge (it compiles graphs to its own Plan)."""
    _state["mlir_bridge"] = True


def disable_mlir_bridge():
    """Recorded; minitf has no MLIR bridge."""
    _state["mlir_bridge"] = False


class ClusterDeviceFilters:
    """Device filters per job and task, for ``experimental_connect_to_cluster`` (which minitf
    refuses); kept as TF keeps them, in ``_device_filters``."""

    def __init__(self):
        self._device_filters = {}

    def set_device_filters(self, job_name, task_index, device_filters):
        """The filters (strings) of task ``task_index`` of ``job_name``."""
        if not all(isinstance(df, str) for df in device_filters):
            raise TypeError(f"device filters must be strings, got {device_filters!r}")
        self._device_filters.setdefault(job_name, {})[task_index] = list(device_filters)


def _module(name, doc, members):
    mod = types.ModuleType(f"{__name__}.{name}", doc)
    for key, value in members.items():
        setattr(mod, key, value)
    mod.__all__ = sorted(members)
    sys.modules[mod.__name__] = mod
    return mod


threading = _module("threading", "``tf.config.threading``: recorded thread counts.", {
    "get_inter_op_parallelism_threads": get_inter_op_parallelism_threads,
    "get_intra_op_parallelism_threads": get_intra_op_parallelism_threads,
    "set_inter_op_parallelism_threads": set_inter_op_parallelism_threads,
    "set_intra_op_parallelism_threads": set_intra_op_parallelism_threads})
optimizer = _module("optimizer", "``tf.config.optimizer``: recorded JIT and Grappler options.", {
    "get_jit": get_jit, "set_jit": set_jit, "get_experimental_options": get_experimental_options,
    "set_experimental_options": set_experimental_options})
experimental = _module("experimental", "``tf.config.experimental``: TF's CPU answers.", {
    "ClusterDeviceFilters": ClusterDeviceFilters,
    "VirtualDeviceConfiguration": LogicalDeviceConfiguration,
    "disable_mlir_bridge": disable_mlir_bridge, "enable_mlir_bridge": enable_mlir_bridge,
    "enable_tensor_float_32_execution": enable_tensor_float_32_execution,
    "get_device_details": get_device_details, "get_device_policy": get_device_policy,
    "get_memory_growth": get_memory_growth, "get_memory_info": get_memory_info,
    "get_memory_usage": get_memory_usage, "get_synchronous_execution": get_synchronous_execution,
    "get_virtual_device_configuration": get_logical_device_configuration,
    "get_visible_devices": get_visible_devices, "list_logical_devices": list_logical_devices,
    "list_physical_devices": list_physical_devices, "reset_memory_stats": reset_memory_stats,
    "set_device_policy": set_device_policy, "set_memory_growth": set_memory_growth,
    "set_synchronous_execution": set_synchronous_execution,
    "set_virtual_device_configuration": set_logical_device_configuration,
    "set_visible_devices": set_visible_devices,
    "tensor_float_32_execution_enabled": tensor_float_32_execution_enabled})
