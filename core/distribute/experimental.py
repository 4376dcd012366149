"""``tf.distribute.experimental`` (TF 1.15): the strategies of several workers or devices.

On one machine without GPUs TF runs each of these but TPUStrategy with one replica on the
CPU, and so does minitf: CentralStorageStrategy and ParameterServerStrategy (no cluster) keep
plain variables on the parameter device, MultiWorkerMirroredStrategy (no TF_CONFIG cluster) is
one worker mirroring onto the CPU. A cluster (TF_CONFIG or a cluster resolver naming one)
raises UnimplementedError: minitf runs in one process. TPUStrategy needs a TPU.
"""

from __future__ import annotations

import copy
import enum

from ..errors import UnimplementedError
from . import device_util
from .cluster_resolver import TFConfigClusterResolver
from .distribute_lib import Strategy
from .strategies import OneReplicaExtended, _mirrored_extended

__all__ = ["CentralStorageStrategy", "CollectiveCommunication", "MultiWorkerMirroredStrategy",
           "ParameterServerStrategy", "TPUStrategy"]


class CollectiveCommunication(enum.Enum):
    """How MultiWorkerMirroredStrategy's collectives communicate."""

    AUTO = "AUTO"
    RING = "RING"
    NCCL = "NCCL"


def _refuse_cluster(resolver, who):
    cluster = resolver.cluster_spec()
    if cluster and cluster.as_dict():
        raise UnimplementedError(None, None, f"{who} over the cluster {cluster.as_dict()}: "
                                 "minitf runs in one process (no multi-worker training); unset "
                                 "TF_CONFIG to train on this machine")


def _ps_extended(strategy, compute_devices, parameter_device, who):
    compute = device_util.check_available(list(compute_devices or ["/device:CPU:0"]), who)
    if len(compute) > 1:
        raise UnimplementedError(None, None, f"{who} over {len(compute)} compute devices "
                                 f"{compute}: minitf runs one replica; give one device")
    parameter = compute[0] if parameter_device is None else \
        device_util.check_available([parameter_device], who)[0]
    return OneReplicaExtended(strategy, compute[0], parameter, kind="ps", between_graph=True)


class CentralStorageStrategy(Strategy):
    """Variables on one device (``parameter_device``), computation replicated on
    ``compute_devices`` (default: the GPUs, else the CPU)."""

    def __init__(self, compute_devices=None, parameter_device=None):
        super().__init__(_ps_extended(self, compute_devices, parameter_device,
                                      "CentralStorageStrategy"))


class ParameterServerStrategy(Strategy):
    """Variables on parameter servers, computation on workers; without a cluster, variables
    and computation on this machine's CPU (as TF's local mode)."""

    def __init__(self, cluster_resolver=None):
        if cluster_resolver is not None:
            _refuse_cluster(cluster_resolver, "ParameterServerStrategy")
        super().__init__(_ps_extended(self, None, None, "ParameterServerStrategy"))


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous training on several workers with collective all-reduce; without a
    TF_CONFIG cluster, one worker mirroring onto its CPU."""

    def __init__(self, communication=CollectiveCommunication.AUTO):
        if not isinstance(communication, CollectiveCommunication):
            raise AssertionError(f"communication must be a "
                                 f"tf.distribute.experimental.CollectiveCommunication, got "
                                 f"{communication!r}")
        _refuse_cluster(TFConfigClusterResolver(), "MultiWorkerMirroredStrategy")
        self._communication = communication
        super().__init__(_mirrored_extended(self, None, None, "MultiWorkerMirroredStrategy",
                                            cls=_CollectiveExtended, between_graph=True))


class _CollectiveExtended(OneReplicaExtended):
    def _update_config_proto(self, config_proto):
        # TF turns on the scoped allocator for its CollectiveReduce ops (and, with no
        # cluster, sets nothing else).
        updated = copy.deepcopy(config_proto)
        rewrite = updated.graph_options.rewrite_options
        rewrite.scoped_allocator_optimization = 1  # RewriterConfig.ON
        del rewrite.scoped_allocator_opts.enable_op[:]
        rewrite.scoped_allocator_opts.enable_op.append("CollectiveReduce")
        return updated


class TPUStrategy(Strategy):
    """Training on TPU cores: refused, minitf has no TPU."""

    def __init__(self, tpu_cluster_resolver=None, steps_per_run=None, device_assignment=None):
        raise UnimplementedError(None, None, "TPUStrategy runs on a Cloud TPU: minitf runs on "
                                 "one CPU and has no TPU; use MirroredStrategy or "
                                 "OneDeviceStrategy")
