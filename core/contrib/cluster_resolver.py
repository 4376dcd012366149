"""``tf.contrib.cluster_resolver`` (TF 1.15, re-exported from tf.distribute.cluster_resolver):
the ClusterResolver interface and SimpleClusterResolver, which only carry a ClusterSpec, a
master address and task details (a TPUEstimator RunConfig accepts one naming no cluster). The
resolvers that discover machines (TPU, GCE, Kubernetes, Slurm) raise UnimplementedError:
minitf runs in one process and has no TPU. BERT builds TPUClusterResolver only with
``--use_tpu --tpu_name``."""

from __future__ import annotations

import abc

from ..errors import UnimplementedError
from ..tf1_aliases import ClusterSpec

__all__ = ["ClusterResolver", "GceClusterResolver", "KubernetesClusterResolver",
           "SimpleClusterResolver", "SlurmClusterResolver", "TPUClusterResolver"]


def format_master_url(master, rpc_layer=None):
    return f"{rpc_layer}://{master}" if rpc_layer else master


class ClusterResolver(abc.ABC):
    """Describes a cluster: ``cluster_spec()``, ``master()``, task type/id, accelerators."""

    @abc.abstractmethod
    def cluster_spec(self):
        raise NotImplementedError()

    @abc.abstractmethod
    def master(self, task_type=None, task_id=None, rpc_layer=None):
        raise NotImplementedError()

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {}  # minitf sees one CPU and no accelerator

    @property
    def environment(self):
        return ""

    @property
    def task_type(self):
        return getattr(self, "_task_type", None)

    @task_type.setter
    def task_type(self, task_type):
        self._task_type = task_type

    @property
    def task_id(self):
        return getattr(self, "_task_id", None)

    @task_id.setter
    def task_id(self, task_id):
        self._task_id = task_id


class SimpleClusterResolver(ClusterResolver):
    """A resolver returning what it was given."""

    def __init__(self, cluster_spec, master="", task_type=None, task_id=None, environment="",
                 num_accelerators=None, rpc_layer=None):
        self._task_type, self._task_id = task_type, task_id
        self._environment = environment
        self._num_accelerators = num_accelerators
        self._rpc_layer = rpc_layer
        if not isinstance(cluster_spec, ClusterSpec):
            raise TypeError("cluster_spec must be a `tf.train.ClusterSpec`.")
        self._cluster_spec = cluster_spec
        if not isinstance(master, str):
            raise TypeError("master must be a string.")
        self._master = master

    def cluster_spec(self):
        return self._cluster_spec

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        """The given master, or the address of (task_type, task_id) when both are given;
        prefixed ``<rpc_layer>://`` when there is an RPC layer."""
        if task_type is not None and task_id is not None:
            master = self.cluster_spec().task_address(task_type, task_id)
        else:
            master = self._master
        return format_master_url(master, rpc_layer=rpc_layer or self._rpc_layer)

    @property
    def environment(self):
        return self._environment

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {} if self._num_accelerators is None else self._num_accelerators

    @property
    def rpc_layer(self):
        return self._rpc_layer

    @rpc_layer.setter
    def rpc_layer(self, rpc_layer):
        self._rpc_layer = rpc_layer

    def __repr__(self):
        return (f"SimpleClusterResolver({self._cluster_spec!r}, master={self._master!r}, "
                f"task_type={self._task_type!r}, task_id={self._task_id!r})")


def _discovering(name, what):
    class Refused(ClusterResolver):
        def __init__(self, *args, **kwargs):
            raise UnimplementedError(None, None, f"tf.contrib.cluster_resolver.{name} {what}: "
                                     "minitf runs in one process, with no TPU")

        cluster_spec = master = __init__  # abstract methods: never reached

    Refused.__name__ = Refused.__qualname__ = name
    Refused.__doc__ = f"Refused on construction: it {what}, which minitf cannot."
    return Refused


TPUClusterResolver = _discovering(
    "TPUClusterResolver", "connects to a Cloud TPU (BERT builds it only with --use_tpu and "
    "--tpu_name; run with use_tpu=False)")
GceClusterResolver = _discovering("GceClusterResolver", "lists Google Compute Engine instances")
KubernetesClusterResolver = _discovering("KubernetesClusterResolver", "lists Kubernetes pods")
SlurmClusterResolver = _discovering("SlurmClusterResolver", "reads a Slurm allocation")


def __getattr__(name):
    raise AttributeError(f"module 'minitf.contrib.cluster_resolver' has no attribute {name!r}: "
                         f"minitf provides tf.contrib.cluster_resolver.{{{', '.join(__all__)}}}")


def __dir__():
    return __all__
