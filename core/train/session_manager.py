"""``tf.train.SessionManager``: creates a Session that is restored from the latest checkpoint or
initialised, runs the local init op, and checks that the model is ready.

minitf runs in one process, and every Session owns its own variable values (as an in-process
TF1 session does). So ``master`` must be empty, and ``wait_for_session`` cannot wait for some
other process to initialise the model: it checks once whether a fresh session is ready (it is
when there is nothing to initialise, or the local init op does it all) and otherwise raises
DeadlineExceededError at once, where TF would poll until ``max_wait_secs`` ran out."""

from __future__ import annotations

import time

import numpy as np

from .. import tf_logging as logging
from ..errors import DeadlineExceededError, FailedPreconditionError
from ..graph import get_default_graph
from .monitored_session import _refuse_master


def _maybe_name(obj) -> str:
    if obj is None:
        return "None"
    return obj.name if hasattr(obj, "name") else f"<no name for {type(obj)}>"


class SessionManager:
    """Restores or initialises a model in a new Session (see the module docstring).

    ``ready_op`` (a 1-D string tensor such as ``report_uninitialized_variables()``) says the
    model is ready when it is empty; ``ready_for_local_init_op`` likewise gates the
    ``local_init_op``, which runs in every new session. None skips a check."""

    def __init__(self, local_init_op=None, ready_op=None, ready_for_local_init_op=None,
                 graph=None, recovery_wait_secs=30, local_init_run_options=None,
                 local_init_feed_dict=None):
        if ready_for_local_init_op is not None and local_init_op is None:
            raise ValueError("If you pass a ready_for_local_init_op you must also pass a "
                             f"local_init_op , ready_for_local_init_op [{ready_for_local_init_op}]")
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph if graph is not None else get_default_graph()
        self._recovery_wait_secs = recovery_wait_secs
        self._local_init_run_options = local_init_run_options
        self._local_init_feed_dict = local_init_feed_dict
        self._target = None

    def _new_session(self, master, config):
        from ..session import Session

        _refuse_master(master)
        self._target = master
        return Session(master, graph=self._graph, config=config)

    def _restore_checkpoint(self, master, saver=None, checkpoint_dir=None,
                            checkpoint_filename_with_path=None, wait_for_checkpoint=False,
                            max_wait_secs=7200, config=None):
        """(a new session, whether a checkpoint was restored into it)."""
        from .saver import get_checkpoint_state

        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError("Can not provide both checkpoint_dir and "
                             "checkpoint_filename_with_path.")
        sess = self._new_session(master, config)
        if not saver or not (checkpoint_dir or checkpoint_filename_with_path):
            return sess, False
        if checkpoint_filename_with_path:
            self._restore(sess, saver, checkpoint_filename_with_path)
            return sess, True
        waited = 0.0
        state = get_checkpoint_state(checkpoint_dir)
        while state is None or not state.model_checkpoint_path:
            # Another thread of this process may be writing the first checkpoint.
            if not wait_for_checkpoint or waited >= max_wait_secs:
                return sess, False
            logging.info("Waiting for checkpoint to be available.")
            time.sleep(self._recovery_wait_secs)
            waited += self._recovery_wait_secs
            state = get_checkpoint_state(checkpoint_dir)
        self._restore(sess, saver, state.model_checkpoint_path)
        # The saver takes over the earlier checkpoints, so max_to_keep counts them after a
        # restart and deletes the oldest, as TF's does.
        saver.recover_last_checkpoints(state.all_model_checkpoint_paths)
        return sess, True

    def _restore(self, sess, saver, path):
        # A graph imported from a SavedModel keeps initializers its restore needs (TF1).
        init_ops = self._graph.get_collection("saved_model_initializers")
        if init_ops:
            sess.run(init_ops)
        saver.restore(sess, path)

    def prepare_session(self, master, init_op=None, saver=None, checkpoint_dir=None,
                        checkpoint_filename_with_path=None, wait_for_checkpoint=False,
                        max_wait_secs=7200, config=None, init_feed_dict=None, init_fn=None):
        """A new Session, restored from the latest checkpoint in ``checkpoint_dir`` (or from
        ``checkpoint_filename_with_path``) when ``saver`` is given and one exists; otherwise
        ``init_op`` runs (fed ``init_feed_dict``), then ``init_fn(sess)``. The local init op
        runs either way. Raises RuntimeError when the model is still not ready."""
        sess, restored = self._restore_checkpoint(
            master, saver, checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs,
            config=config)
        try:
            self._initialize(sess, restored, init_op, init_feed_dict, init_fn)
        except BaseException:
            self._safe_close(sess)  # nobody else holds it: do not leak it
            raise
        return sess

    def _initialize(self, sess, restored, init_op, init_feed_dict, init_fn):
        """prepare_session's work after the restore: init unless restored, local init, then
        the readiness checks."""
        if not restored:
            if init_op is None and not init_fn and self._local_init_op is None:
                raise RuntimeError("Model is not initialized and no init_op or init_fn or "
                                   "local_init_op was given")
            if init_op is not None:
                sess.run(init_op, feed_dict=init_feed_dict)
            if init_fn:
                init_fn(sess)
        ok, msg = self._try_run_local_init_op(sess)
        if not ok:
            raise RuntimeError("Init operations did not make model ready for local_init.  "
                               f"Init op: {_maybe_name(init_op)}, init fn: {init_fn}, "
                               f"error: {msg}")
        ready, msg = self._model_ready(sess)
        if not ready:
            raise RuntimeError("Init operations did not make model ready.  "
                               f"Init op: {_maybe_name(init_op)}, init fn: {init_fn}, "
                               f"local_init_op: {self._local_init_op}, error: {msg}")

    def recover_session(self, master, saver=None, checkpoint_dir=None,
                        checkpoint_filename_with_path=None, wait_for_checkpoint=False,
                        max_wait_secs=7200, config=None):
        """(a new Session, True) when a checkpoint restored it and the model is ready;
        (the session, False) otherwise. Nothing is initialised but the local init op."""
        sess, restored = self._restore_checkpoint(
            master, saver, checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs,
            config=config)
        local_ok, msg = self._try_run_local_init_op(sess)
        if not restored:
            return sess, False
        source = checkpoint_dir or checkpoint_filename_with_path
        if not local_ok:
            logging.info("Restoring model from %s did not make model ready for local init: %s",
                         source, msg)
            return sess, False
        ready, msg = self._model_ready(sess)
        if not ready:
            logging.info("Restoring model from %s did not make model ready: %s", source, msg)
            return sess, False
        logging.info("Restored model from %s", source)
        return sess, True

    def wait_for_session(self, master, config=None, max_wait_secs=float("Inf")):
        """A new Session once the model is ready. In TF another process (the chief) makes it
        ready while this one polls; in minitf nothing else can reach this session's
        variables, so readiness is checked once (after the local init op) and a model that
        is not ready raises DeadlineExceededError at once."""
        sess = self._new_session(master, config)
        ok, not_ready_local = self._try_run_local_init_op(sess)
        ready, not_ready = self._model_ready(sess) if ok else (False, None)
        if ready:
            return sess
        self._safe_close(sess)
        raise DeadlineExceededError(
            None, None, "Session was not ready after waiting 0 secs. Ready_for_local_init_op: "
            f"{not_ready_local}, ready: {not_ready}. minitf runs in one process and its "
            "sessions do not share variables, so no chief can initialize this one: use "
            "prepare_session (a chief Supervisor) instead")

    @staticmethod
    def _safe_close(sess):
        try:
            sess.close()
        except Exception:  # noqa: BLE001 - as TF: a failing close does not matter here
            pass

    def _model_ready(self, sess):
        return _ready(self._ready_op, sess, "Model not ready")

    def _model_ready_for_local_init(self, sess):
        return _ready(self._ready_for_local_init_op, sess, "Model not ready for local init")

    def _try_run_local_init_op(self, sess):
        """(True, None) after running the local init op (or when there is none); (False,
        why) when the model is not ready for it."""
        if self._local_init_op is None:
            return True, None
        ready, msg = self._model_ready_for_local_init(sess)
        if not ready:
            return False, msg
        logging.info("Running local_init_op.")
        sess.run(self._local_init_op, feed_dict=self._local_init_feed_dict,
                 options=self._local_init_run_options)
        logging.info("Done running local_init_op.")
        return True, None


def _ready(op, sess, what):
    """(True, None) when ``op`` is None or evaluates to an empty (or int32) tensor; else
    (False, the uninitialized variables or the error that says so)."""
    if op is None:
        return True, None
    try:
        value = sess.run(op)
    except FailedPreconditionError as e:
        if "uninitialized" not in str(e):
            logging.warning("%s : error [%s]", what, str(e))
            raise
        return False, str(e)
    value = None if value is None else np.asarray(value)
    if value is None or value.dtype == np.int32 or value.size == 0:
        return True, None
    names = ", ".join(v.decode("utf-8") if isinstance(v, bytes) else str(v)
                      for v in value.ravel())
    return False, "Variables not initialized: " + names
