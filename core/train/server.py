"""``tf.train.Server``: TF1's in-process server, for the programs that make one to get a
session target (``Server.create_local_server()``, then ``tf.Session(server.target)``).

minitf has no distributed runtime: a server here serves nothing over the network. Its target
(``grpc://localhost:<port>``, as TF's) names this process, so a Session or a
MonitoredTrainingSession given it runs the graph here; any other ``grpc://`` target is refused
(see ``check_target``). ``join()``, which a parameter server calls to wait for workers, is
refused too: no worker could reach it.
"""

from __future__ import annotations

import socket
import threading

from ..errors import NotFoundError, UnimplementedError
from ..tf1_aliases import ClusterSpec

__all__ = ["Server"]

_lock = threading.Lock()
_local_targets: set[str] = set()  # the targets of the servers made in this process


def check_target(target) -> None:
    """Refuses a session ``target`` this process cannot run: '' (and a local server's target)
    run here; a ``grpc://`` address would need a TensorFlow server, anything else is a session
    factory TF does not have either (its NotFoundError)."""
    text = target.decode() if isinstance(target, bytes) else str(target or "")
    with _lock:
        if not text or text in _local_targets:
            return
    if text.startswith("grpc://"):
        raise UnimplementedError(None, None, f"Session target {text!r}: minitf runs graphs in "
                                 "this process only and cannot connect to a TensorFlow server; "
                                 "use '' or the target of a tf.train.Server made in this "
                                 "process")
    raise NotFoundError(None, None, "No session factory registered for the given session "
                        f'options: {{target: "{text}"}} Registered factories are '
                        "{DIRECT_SESSION}.")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # (loopback only)
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``tf.train.Server(server_or_cluster_def, job_name=None, task_index=None,
    protocol=None, config=None, start=True)``: this process's task of a cluster (a
    ClusterSpec, a dict or a ClusterDef), with TF's checks; port 0 takes a free one."""

    def __init__(self, server_or_cluster_def, job_name=None, task_index=None, protocol=None,
                 config=None, start=True):
        cluster = ClusterSpec(server_or_cluster_def)
        if job_name is None:
            if len(cluster.jobs) != 1:
                raise ValueError("Must specify an explicit `job_name`.")
            job_name = cluster.jobs[0]
        if task_index is None:
            indices = cluster.task_indices(job_name)
            if len(indices) != 1:
                raise ValueError("Must specify an explicit `task_index`.")
            task_index = indices[0]
        address = cluster.task_address(job_name, task_index)
        address = address.decode() if isinstance(address, bytes) else address
        port = address.rpartition(":")[2]
        if port == "0":
            port = str(_free_port())
        self._cluster, self._job_name, self._task_index = cluster, job_name, task_index
        self._protocol, self._config = protocol or "grpc", config
        self._target = f"grpc://localhost:{port}"
        with _lock:
            _local_targets.add(self._target)

    @staticmethod
    def create_local_server(config=None, start=True):
        """A single-task server, as TF's (job ``localhost``, a free port)."""
        return Server({"localhost": ["localhost:0"]}, protocol="grpc", config=config,
                      start=start)

    target = property(lambda self: self._target)

    def start(self):
        """Nothing to start: the server runs graphs in this process."""

    def join(self):
        raise UnimplementedError(None, None, "Server.join: minitf has no distributed runtime, "
                                 "so no worker can reach this server; run the graph in the "
                                 "worker's own process instead")
