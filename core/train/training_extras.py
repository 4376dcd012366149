"""TF1's smaller ``tf.train`` helpers: ``summary_iterator`` (the Events of an events file),
``basic_train_loop``, the ``SessionCreator`` interface and ``WorkerSessionCreator``,
``GlobalStepWaiterHook`` and ``generate_checkpoint_state_proto``."""

from __future__ import annotations

import abc
import importlib
import os
import time

from .. import tf_logging as logging
from ..errors import AbortedError
from ..graph import get_default_graph
from ..python_io import tf_record_iterator
from .monitored_session import ChiefSessionCreator, Scaffold
from .saver import CheckpointState
from .session_manager import SessionManager
from .session_run_hook import SessionRunHook
from .step import get_global_step

__all__ = ["summary_iterator", "basic_train_loop", "SessionCreator", "WorkerSessionCreator",
           "GlobalStepWaiterHook", "generate_checkpoint_state_proto"]


def summary_iterator(path):
    """The ``tf.Event`` protos of an events file (a FileWriter's, minitf's or TF's), in order.
    A corrupt or truncated record raises DataLossError, as TF's reader."""
    event_class = importlib.import_module("minitf.protos.event_pb2").Event
    for record in tf_record_iterator(path):
        yield event_class.FromString(record)


def basic_train_loop(supervisor, train_step_fn, args=None, kwargs=None, master=""):
    """Calls ``train_step_fn(sess, *args, **kwargs)`` in ``supervisor.managed_session`` until
    the supervisor should stop; starts over after an AbortedError, as TF1 does."""
    args, kwargs = args or [], kwargs or {}
    should_retry = True
    while should_retry:
        try:
            should_retry = False
            with supervisor.managed_session(master) as sess:
                while not supervisor.should_stop():
                    train_step_fn(sess, *args, **kwargs)
        except AbortedError:
            should_retry = True


class SessionCreator(metaclass=abc.ABCMeta):
    """What MonitoredSession asks for a session: ``create_session()``."""

    @abc.abstractmethod
    def create_session(self):
        raise NotImplementedError(f"create_session is not implemented for {self}.")


SessionCreator.register(ChiefSessionCreator)  # TF's subclass, defined in monitored_session


class WorkerSessionCreator(SessionCreator):
    """A non-chief's session: waits (``SessionManager.wait_for_session``) for a model the
    chief made ready, then runs the local init op. minitf's sessions do not share variables,
    so only a model with nothing to initialize is ever ready for a worker."""

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        self._scaffold = scaffold or Scaffold()
        self._master, self._config, self._max_wait_secs = master, config, max_wait_secs
        self._session_manager = None

    def _get_session_manager(self):
        if self._session_manager is None:
            s = self._scaffold
            self._session_manager = SessionManager(
                local_init_op=s.local_init_op, local_init_feed_dict=s.local_init_feed_dict,
                ready_op=s.ready_op, ready_for_local_init_op=s.ready_for_local_init_op,
                graph=get_default_graph())
        return self._session_manager

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().wait_for_session(
            self._master, config=self._config, max_wait_secs=self._max_wait_secs)


class GlobalStepWaiterHook(SessionRunHook):
    """Holds back the first run until the global step reaches ``wait_until_step`` (a worker
    starting after the chief has trained a while); polls it every half second."""

    def __init__(self, wait_until_step):
        self._wait_until_step = wait_until_step
        self._worker_is_started = False
        self._global_step_tensor = None

    def begin(self):
        self._worker_is_started = False
        self._global_step_tensor = get_global_step()
        if self._global_step_tensor is None:
            raise RuntimeError("Global step should be created to use _GlobalStepWaiterHook.")

    def before_run(self, run_context):
        if self._worker_is_started:
            return None
        if self._wait_until_step <= 0:
            self._worker_is_started = True
            return None
        logging.info("Waiting for global step %d before starting training.",
                     self._wait_until_step)
        last_logged_step = 0
        while True:
            current_step = run_context.session.run(self._global_step_tensor)
            if current_step >= self._wait_until_step:
                self._worker_is_started = True
                return None
            if current_step - last_logged_step > 1000:
                logging.info("Waiting for global step %d before starting training. Current "
                             "step is %d.", self._wait_until_step, current_step)
                last_logged_step = current_step
            time.sleep(0.5)


class _CheckpointStateProto(CheckpointState):
    """The CheckpointState message's fields, printed in its text format (the ``checkpoint``
    file's), as TF's proto prints."""

    def __init__(self, model_checkpoint_path, all_model_checkpoint_paths,
                 all_model_checkpoint_timestamps, last_preserved_timestamp):
        super().__init__(model_checkpoint_path, all_model_checkpoint_paths)
        self.all_model_checkpoint_timestamps = all_model_checkpoint_timestamps
        self.last_preserved_timestamp = last_preserved_timestamp

    def __str__(self):
        lines = [f'model_checkpoint_path: "{self.model_checkpoint_path}"']
        lines += [f'all_model_checkpoint_paths: "{p}"' for p in self.all_model_checkpoint_paths]
        lines += [f"all_model_checkpoint_timestamps: {t!r}"
                  for t in self.all_model_checkpoint_timestamps]
        if self.last_preserved_timestamp:
            lines.append(f"last_preserved_timestamp: {self.last_preserved_timestamp!r}")
        return "\n".join(lines) + "\n"

    def __eq__(self, other):
        return isinstance(other, _CheckpointStateProto) and str(self) == str(other)


def generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                    all_model_checkpoint_paths=None,
                                    all_model_checkpoint_timestamps=None,
                                    last_preserved_timestamp=None):
    """The state a ``checkpoint`` file holds: ``model_checkpoint_path`` is appended to
    ``all_model_checkpoint_paths`` unless already last; with a relative ``save_dir``, relative
    paths are rewritten relative to it, as TF1 does."""
    paths = all_model_checkpoint_paths if all_model_checkpoint_paths is not None else []
    if not paths or paths[-1] != model_checkpoint_path:
        logging.info("%s is not in all_model_checkpoint_paths. Manually adding it.",
                     model_checkpoint_path)
        paths.append(model_checkpoint_path)
    stamps = list(all_model_checkpoint_timestamps or [])
    if stamps and len(stamps) != len(paths):
        raise ValueError("Checkpoint timestamps, if provided, must match checkpoint paths (got "
                         f"paths {paths} and timestamps {stamps})")
    if not os.path.isabs(save_dir):
        if not os.path.isabs(model_checkpoint_path):
            model_checkpoint_path = os.path.relpath(model_checkpoint_path, save_dir)
        for i, p in enumerate(paths):
            if not os.path.isabs(p):
                paths[i] = os.path.relpath(p, save_dir)
    return _CheckpointStateProto(model_checkpoint_path, paths, stamps,
                                 last_preserved_timestamp or 0.0)
