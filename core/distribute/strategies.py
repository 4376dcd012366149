"""``tf.distribute.MirroredStrategy`` and ``OneDeviceStrategy`` (and, in experimental.py, the
strategies built on the same machinery), for the one device minitf has.

minitf runs one replica, on the CPU (or one logical CPU). That is what TF's MirroredStrategy
does on a machine without GPUs: its replica function runs once, under the replica's device,
in a replica context whose ``merge_call`` runs in the cross-replica context; variables are
mirrored variables with TF's assign rules; reductions of one replica's value give that value.
Several devices (in-graph replication) are refused with UnimplementedError; devices this
process does not have get TF's InvalidArgumentError.
"""

from __future__ import annotations

import contextlib
import copy

from .. import dtypes as _dt
from ..errors import UnimplementedError
from ..graph import get_default_graph
from ..nest import map_structure
from ..ops import array_ops
from ..ops.constant_ops import constant
from . import context as ctx_lib
from . import device_util
from .cross_device_ops import CrossDeviceOps, ReductionToOneDevice, reduce_one
from .distribute_lib import InputContext, Strategy, StrategyExtended
from .replica_context import ReplicaContext
from .input_lib import DistributedDataset, DistributedIterator, InputFunctionIterator
from .values import MirroredVariable, SyncOnReadVariable, create_mirrored_variable

__all__ = ["MirroredStrategy", "OneDeviceStrategy"]


class _OneReplicaContext(ReplicaContext):
    """The replica context of a one-replica strategy (replica id: an int32 constant 0)."""

    def __init__(self, strategy, devices):
        super().__init__(strategy, replica_id_in_sync_group=constant(0, _dt.int32))
        self._devices = devices
        # The device scopes outside the replica: TF runs merge_fn in the calling thread,
        # outside the replica's device scope.
        graph = get_default_graph()
        self._outer_placement = (list(graph._device_stack), list(graph._colocation_stack))

    def _merge_call(self, merge_fn, args, kwargs):
        graph = get_default_graph()
        saved = graph._device_stack, graph._colocation_stack
        graph._device_stack, graph._colocation_stack = (list(s) for s in self._outer_placement)
        try:
            return super()._merge_call(merge_fn, args, kwargs)
        finally:
            graph._device_stack, graph._colocation_stack = saved

    @property
    def devices(self):
        ctx_lib.require_replica_context(self)
        return self._devices


class OneReplicaExtended(StrategyExtended):
    """One replica on ``compute_device``, variables on ``parameter_device``. ``kind`` is how
    TF's strategy of that family places and updates them: "mirrored" (MirroredVariables;
    updates in an ``update_0`` name scope), "one_device" (plain variables on the device) or
    "ps" (plain variables on the parameter device, updates colocated with them, partitioned
    variables allowed)."""

    def __init__(self, container_strategy, compute_device, parameter_device=None, *,
                 kind="mirrored", cross_device_ops=None, between_graph=False,
                 input_device=None):
        super().__init__(container_strategy)
        if cross_device_ops is not None and not isinstance(cross_device_ops, CrossDeviceOps):
            raise TypeError(f"cross_device_ops must be a tf.distribute.CrossDeviceOps, got "
                            f"{cross_device_ops!r}")
        self._kind = kind
        self._compute_device = compute_device
        self._parameter_device = parameter_device or compute_device
        self._cross_device_ops = cross_device_ops or ReductionToOneDevice()
        self._between_graph = between_graph
        self._input_device = input_device or device_util.get_host_for_device(compute_device)

    # -- variables ------------------------------------------------------------------------------
    def _allow_variable_partition(self):
        return self._kind == "ps"

    def _create_variable(self, next_creator, **kwargs):
        colocate_with = kwargs.pop("colocate_with", None)
        graph = get_default_graph()
        if self._kind == "mirrored":
            device = self._parameter_device if colocate_with is None else colocate_with.device
            return create_mirrored_variable(self._container_strategy(), device, next_creator,
                                            kwargs)
        if colocate_with is not None:
            with graph.colocate_with(colocate_with):
                return next_creator(**kwargs)
        if self._kind == "ps":  # TF: on the parameter device whatever the colocation around
            with graph.colocate_with(None, ignore_existing=True), \
                    graph.device(self._parameter_device):
                return next_creator(**kwargs)
        with graph.device(self._parameter_device):
            return next_creator(**kwargs)

    def _validate_colocate_with_variable(self, colocate_with_variable):
        if not self.variable_created_in_scope(colocate_with_variable):
            raise ValueError(f"`colocate_vars_with` must only be passed a variable created in "
                             f"this tf.distribute.Strategy.scope(), not: "
                             f"{colocate_with_variable!r}")

    # -- input ----------------------------------------------------------------------------------
    def _input_context(self):
        return InputContext(num_input_pipelines=1, input_pipeline_id=0,
                            num_replicas_in_sync=1)

    def _make_dataset_iterator(self, dataset):
        return DistributedIterator(dataset, self._input_device)

    def _make_input_fn_iterator(self, input_fn, replication_mode=None):
        return InputFunctionIterator(input_fn, self._input_device, self._input_context())

    def _experimental_distribute_dataset(self, dataset):
        return DistributedDataset(dataset, self._input_device)

    def _experimental_distribute_datasets_from_function(self, dataset_fn):
        with get_default_graph().device(self._input_device):
            dataset = dataset_fn(self._input_context())
        return DistributedDataset(dataset, self._input_device)

    # -- running --------------------------------------------------------------------------------
    def _call_for_each_replica(self, fn, args, kwargs):
        devices = (self._compute_device,) if self._kind == "one_device" else \
            [(self._compute_device,)]
        with _OneReplicaContext(self._container_strategy(), devices), \
                get_default_graph().device(self._compute_device):
            return fn(*args, **kwargs)

    # TF's OneDeviceStrategy returns values as they are; the others go through their
    # CrossDeviceOps (one replica: the value, copied to the destination's device if elsewhere).
    def _broadcast_to(self, tensor, destinations):
        if isinstance(tensor, (float, int)) or self._kind == "one_device":
            return tensor  # TF's fast path: a number is converted where it is used
        return self._cross_device_ops.broadcast(tensor, destinations or self._compute_device)

    def _reduce_to(self, reduce_op, value, destinations):
        if self._kind == "one_device":
            return value
        return reduce_one(reduce_op, value, destinations)

    def _batch_reduce_to(self, reduce_op, value_destination_pairs):
        if self._kind == "one_device":
            return [v for v, _ in value_destination_pairs]
        return self._cross_device_ops.batch_reduce(reduce_op, value_destination_pairs)

    def _update_scope(self, colocate_with):
        """Where an update runs: TF's MirroredStrategy sets the device and an update_0 name
        scope, OneDeviceStrategy the device, the parameter-server family colocates."""
        graph = get_default_graph()
        stack = contextlib.ExitStack()
        if self._kind == "ps":
            stack.enter_context(graph.colocate_with(colocate_with))
            device = colocate_with.device
        else:
            device = colocate_with if isinstance(colocate_with, str) else colocate_with.device
            stack.enter_context(graph.device(device))
        stack.enter_context(ctx_lib.UpdateContext(device))
        if self._kind == "mirrored":
            stack.enter_context(graph.name_scope("update_0"))
        return stack

    def _update(self, var, fn, args, kwargs, group):
        if self._kind == "mirrored" and not isinstance(var, (MirroredVariable,
                                                              SyncOnReadVariable)):
            # TF asserts the variable is a distributed one (made in this scope).
            raise AssertionError(f"update() needs a variable created in the scope of this "
                                 f"strategy (a MirroredVariable), got {var!r}")
        with self._update_scope(var):
            result = fn(var, *args, **kwargs)
        return result if group else map_structure(self._local_results, result)

    def _update_non_slot(self, colocate_with, fn, args, kwargs, group):
        if isinstance(colocate_with, tuple):
            (colocate_with,) = colocate_with
        with self._update_scope(colocate_with):
            result = fn(*args, **kwargs)
        return result if group else map_structure(self._local_results, result)

    def read_var(self, v):
        return array_ops.identity(v)

    # -- properties -----------------------------------------------------------------------------
    @property
    def _num_replicas_in_sync(self):
        return 1

    worker_devices = property(lambda self: (self._compute_device,))
    parameter_devices = property(lambda self: (self._parameter_device,))

    def non_slot_devices(self, var_list):
        if self._kind == "ps":
            return min(var_list, key=lambda v: v.name)
        return (self._parameter_device,)

    experimental_between_graph = property(lambda self: self._between_graph)
    experimental_should_init = property(lambda self: True)
    should_checkpoint = property(lambda self: True)
    should_save_summary = property(lambda self: True)
    _global_batch_size = property(lambda self: True)

    def _configure(self, session_config=None, cluster_spec=None, task_type=None,
                   task_id=None):
        if cluster_spec:
            raise UnimplementedError(None, None, "configure(cluster_spec=...): minitf runs in "
                                     "one process (no multi-worker training)")
        if session_config and self._kind != "one_device":  # TF's OneDevice changes nothing
            session_config.CopyFrom(self._update_config_proto(session_config))

    def _update_config_proto(self, config_proto):
        updated = copy.deepcopy(config_proto)
        if self._kind != "one_device":  # as TF: Mirrored and the PS family isolate sessions
            updated.isolate_session_state = True
        return updated


# -- MirroredStrategy ---------------------------------------------------------------------------
class MirroredStrategy(Strategy):
    """Synchronous training with a copy of the model per device (``devices``; default: every
    GPU, else the CPU). minitf has the CPU only: one replica there. Variables made in its
    scope are MirroredVariables; ``cross_device_ops`` picks how replicas' values combine."""

    def __init__(self, devices=None, cross_device_ops=None):
        super().__init__(_mirrored_extended(self, devices, cross_device_ops,
                                            "MirroredStrategy"))


def _mirrored_extended(strategy, devices, cross_device_ops, who, cls=None, **kwargs):
    if not devices:  # TF: every local GPU, else the CPU
        devices = ["/device:CPU:0"]
    if isinstance(devices, str):
        raise TypeError(f"{who}: devices must be a list of device strings, got {devices!r}")
    devices = device_util.check_available(list(devices), who)
    if len(set(devices)) != len(devices):
        raise AssertionError(f"No duplicates allowed in `devices` argument: {devices}")
    if len(devices) > 1:
        raise UnimplementedError(None, None, f"{who} over {len(devices)} devices {devices}: "
                                 "minitf runs one replica (in-graph replication across several "
                                 "devices is not implemented); give one device")
    (device,) = devices
    cls = cls or OneReplicaExtended
    return cls(strategy, device, cross_device_ops=cross_device_ops, **kwargs)


# -- OneDeviceStrategy --------------------------------------------------------------------------
class OneDeviceStrategy(Strategy):
    """Everything on ``device`` (a device string, e.g. "/cpu:0"): one replica, plain
    variables placed there."""

    def __init__(self, device):
        if not isinstance(device, str):
            raise TypeError(f"OneDeviceStrategy: device must be a string, got {device!r}")
        (canonical,) = device_util.check_available([device], "OneDeviceStrategy")
        suffix = canonical.rfind("/")
        super().__init__(OneReplicaExtended(
            self, canonical, kind="one_device",
            input_device=canonical[:suffix] + "/device:CPU:0"))
