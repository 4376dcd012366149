"""``tf.distribute.cluster_resolver``: minitf's tf.contrib.cluster_resolver (the same classes,
as TF 1.15 re-exports them) plus ``TFConfigClusterResolver``, which reads the TF_CONFIG
environment variable, and ``UnionResolver``."""

from __future__ import annotations

import json
import os

from ..contrib.cluster_resolver import (ClusterResolver, GceClusterResolver,
                                        KubernetesClusterResolver, SimpleClusterResolver,
                                        SlurmClusterResolver, TPUClusterResolver,
                                        format_master_url)
from ..tf1_aliases import ClusterSpec

__all__ = ["ClusterResolver", "GCEClusterResolver", "KubernetesClusterResolver",
           "SimpleClusterResolver", "SlurmClusterResolver", "TFConfigClusterResolver",
           "TPUClusterResolver", "UnionResolver"]

GCEClusterResolver = GceClusterResolver


def tf_config() -> dict:
    return json.loads(os.environ.get("TF_CONFIG") or "{}")


class TFConfigClusterResolver(ClusterResolver):
    """The cluster, task and RPC layer TF_CONFIG describes (an empty cluster without it)."""

    def __init__(self, task_type=None, task_id=None, rpc_layer=None, environment=None):
        self._task_type, self._task_id = task_type, task_id
        self._rpc_layer, self._environment = rpc_layer, environment

    @property
    def task_type(self):
        if self._task_type is None:
            task_type = tf_config().get("task", {}).get("type")
            return None if task_type is None else str(task_type)
        return self._task_type

    @task_type.setter
    def task_type(self, task_type):
        self._task_type = task_type

    @property
    def task_id(self):
        if self._task_id is None:
            index = tf_config().get("task", {}).get("index")
            return int(index) if index is not None else None
        return self._task_id

    @task_id.setter
    def task_id(self, task_id):
        self._task_id = task_id

    @property
    def environment(self):
        return self._environment if self._environment is not None else \
            tf_config().get("environment", "")

    @property
    def rpc_layer(self):
        return self._rpc_layer if self._rpc_layer is not None else \
            tf_config().get("rpc_layer")

    @rpc_layer.setter
    def rpc_layer(self, rpc_layer):
        self._rpc_layer = rpc_layer

    def cluster_spec(self):
        return ClusterSpec(tf_config().get("cluster", {}))

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        task_type = task_type if task_type is not None else self.task_type
        task_id = task_id if task_id is not None else self.task_id
        if task_type is not None and task_id is not None:
            master = self.cluster_spec().task_address(task_type, task_id)
            return format_master_url(master, rpc_layer or self.rpc_layer)
        return ""


class UnionResolver(ClusterResolver):
    """The union of several resolvers' clusters (their jobs must not overlap); master, task
    and RPC layer from the first."""

    def __init__(self, *args, **kwargs):
        self._rpc_layer = kwargs.pop("rpc_layer", None)
        self._task_type = kwargs.pop("task_type", None)
        self._task_id = kwargs.pop("task_id", None)
        if kwargs:
            raise ValueError(f"Unexpected kwargs provided {kwargs!r}")
        if not args:
            raise ValueError("At least one ClusterResolver is required.")
        for resolver in args:
            if not isinstance(resolver, ClusterResolver):
                raise TypeError("All arguments must be a sub-class of `ClusterResolver.`")
        self._cluster_resolvers = args

    def cluster_spec(self):
        merged: dict = {}
        for resolver in self._cluster_resolvers:
            for job, tasks in resolver.cluster_spec().as_dict().items():
                if job in merged:
                    raise KeyError(f"Duplicate job {job!r} in the cluster resolvers' clusters")
                merged[job] = tasks
        return ClusterSpec(merged)

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        if task_type is not None and task_id is not None:
            master = self.cluster_spec().task_address(task_type, task_id)
            return format_master_url(master, rpc_layer or self._rpc_layer)
        return self._cluster_resolvers[0].master(rpc_layer=rpc_layer)
