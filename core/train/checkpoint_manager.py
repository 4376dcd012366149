"""``tf.train.CheckpointManager``: numbered checkpoints of a ``tf.train.Checkpoint`` in one
directory, the oldest deleted past ``max_to_keep`` (unless kept by
``keep_checkpoint_every_n_hours``), and TF's ``checkpoint`` state file beside them, with the
timestamps TF's manager records, so ``tf.train.latest_checkpoint(directory)`` and a new
manager on the same directory (TF's or minitf's) carry on where it left off.

State file: the text format of CheckpointState {string model_checkpoint_path = 1; repeated
string all_model_checkpoint_paths = 2; repeated double all_model_checkpoint_timestamps = 3;
double last_preserved_timestamp = 4}, paths relative to the directory, doubles written as
Python's repr (protobuf's text format prints them so), written to a temporary file and
renamed.

Graph mode, as TF's: ``save`` runs in the default session (it increments the checkpoint's
``save_counter`` there), and ``restore_or_initialize`` only calls ``checkpoint.restore`` —
in graph mode that assigns nothing until the restore ops run, exactly as in TF 2.21.
"""

from __future__ import annotations

import collections
import glob
import os
import re
import time

from .. import tf_logging as logging
from ..session import get_default_session
from . import tensor_bundle

__all__ = ["CheckpointManager"]

_STATE = "checkpoint"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_state(directory: str, latest: str, paths, timestamps=None,
                last_preserved: float | None = None):
    """Writes ``directory/checkpoint`` as TF's update_checkpoint_state_internal with
    save_relative_paths=True: ``latest`` is appended to ``paths`` if it is not their last."""
    directory = directory or "."
    paths = list(paths)
    if not paths or paths[-1] != latest:
        paths.append(latest)
    timestamps = list(timestamps or [])
    if timestamps and len(timestamps) != len(paths):
        raise ValueError(f"Checkpoint timestamps, if provided, must match checkpoint paths "
                         f"(got paths {paths} and timestamps {timestamps})")

    def rel(p):
        return os.path.relpath(p, directory) if os.path.isabs(p) or not os.path.isabs(
            directory) else p
    if os.path.join(directory, _STATE) == rel(latest):
        raise RuntimeError(f"Save path '{latest}' conflicts with path used for checkpoint "
                           "state.  Please use a different save path.")
    lines = [f"model_checkpoint_path: {_quote(rel(latest))}"]
    lines += [f"all_model_checkpoint_paths: {_quote(rel(p))}" for p in paths]
    lines += [f"all_model_checkpoint_timestamps: {float(t)!r}" for t in timestamps]
    if last_preserved:
        lines.append(f"last_preserved_timestamp: {float(last_preserved)!r}")
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tensor_bundle.temp_file(directory, ".tmp-state-")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, os.path.join(directory, _STATE))


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), s)


def read_state(directory: str):
    """(latest path, [paths], [timestamps], last_preserved) of ``directory``'s state file,
    paths made absolute as TF's get_checkpoint_state does; None without one."""
    path = os.path.join(directory, _STATE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        text = f.read()
    latest = re.search(r'^model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"', text, re.M)
    if latest is None:
        return None

    def absolute(p):
        p = _unquote(p)
        return p if os.path.isabs(p) else os.path.join(directory, p)
    paths = [absolute(p) for p in
             re.findall(r'^all_model_checkpoint_paths:\s*"((?:[^"\\]|\\.)*)"', text, re.M)]
    stamps = [float(t) for t in
              re.findall(r"^all_model_checkpoint_timestamps:\s*(\S+)", text, re.M)]
    preserved = re.search(r"^last_preserved_timestamp:\s*(\S+)", text, re.M)
    return absolute(latest.group(1)), paths, stamps, float(preserved.group(1)) if preserved \
        else 0.0


def _evaluate(value):
    """A Python int as is; a Variable or Tensor run in the default session."""
    if isinstance(value, int):
        return value
    if hasattr(value, "dtype") and hasattr(value, "graph"):
        session = get_default_session()
        if session is None:
            raise ValueError(f"Evaluating {value} needs a default session in graph mode "
                             "(`with tf.Session():`)")
        return int(session.run(value))
    return int(value)


class CheckpointManager:
    """Manages numbered checkpoints ``<directory>/<checkpoint_name>-<N>`` of ``checkpoint``
    (TF's ``tf.train.CheckpointManager``)."""

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None, last_checkpoint_step=None):
        self._checkpoint = checkpoint
        self._save_counter_assign = None
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep}.")
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        directory = os.fspath(directory)
        self._directory = directory
        self._checkpoint_prefix = os.path.join(directory, checkpoint_name)
        self._init_fn = init_fn
        if checkpoint_interval is not None:
            if step_counter is None:
                raise ValueError("`step_counter` should be passed if `checkpoint_interval` is "
                                 "not None.")
            self._last_checkpoint_step = last_checkpoint_step
            self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        recovered = read_state(directory)
        now = time.time()
        self._maybe_delete = collections.OrderedDict()
        if recovered is None:
            self._latest_checkpoint = None
            # So a checkpoint saved right away counts as newer than the last preserved one.
            self._last_preserved_timestamp = now - 1.0
        else:
            self._latest_checkpoint, paths, stamps, preserved = recovered
            if now < preserved:
                logging.warning("time.time() returned a value %f seconds behind the last "
                                "preserved checkpoint timestamp." % (preserved - now))
                preserved = now
            self._last_preserved_timestamp = preserved
            if not stamps:
                stamps = [preserved] * len(paths)
            for filename, stamp in zip(paths, stamps):
                stamp = min(stamp, now)
                if stamp > preserved:
                    self._maybe_delete[filename] = stamp

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint_interval(self):
        return self._checkpoint_interval

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def _prefix(self):
        return self._checkpoint_prefix

    @property
    def latest_checkpoint(self):
        """The prefix of the newest checkpoint, or None."""
        return self._latest_checkpoint

    @property
    def checkpoints(self) -> list:
        """The managed checkpoints, oldest first (those kept for good by
        ``keep_checkpoint_every_n_hours`` are not listed, as in TF)."""
        return list(self._maybe_delete)

    def _sweep(self):
        if not self._max_to_keep:
            return
        while len(self._maybe_delete) > self._max_to_keep:
            filename, stamp = self._maybe_delete.popitem(last=False)
            if (self._keep_checkpoint_every_n_hours and
                    stamp - self._keep_checkpoint_every_n_hours * 3600.0
                    >= self._last_preserved_timestamp):
                self._last_preserved_timestamp = stamp
                continue
            for f in [filename + ".index"] + glob.glob(glob.escape(filename) +
                                                        ".data-?????-of-?????"):
                try:
                    os.remove(f)
                except FileNotFoundError:
                    pass

    def _record_state(self):
        filenames, stamps = zip(*self._maybe_delete.items())
        write_state(self._directory, self._latest_checkpoint, filenames, stamps,
                    self._last_preserved_timestamp)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Increments ``save_counter`` and writes ``<prefix>-<N>`` (N: ``checkpoint_number``,
        an int or an integer Variable/Tensor, else ``save_counter``), then deletes the
        checkpoints past ``max_to_keep`` and records the state. With ``checkpoint_interval``,
        returns None (saving nothing) until ``step_counter`` has moved on that much since the
        last checkpoint (always, but never twice at one step, with ``check_interval=False``)."""
        if self._checkpoint_interval is not None:
            step = _evaluate(self._step_counter)
            if self._last_checkpoint_step is not None:
                if step == self._last_checkpoint_step:
                    return None
                if check_interval and step < (self._last_checkpoint_step +
                                              self._checkpoint_interval):
                    return None
            self._last_checkpoint_step = step
        session = get_default_session()
        if session is None:
            raise ValueError("CheckpointManager.save needs a default session in graph mode "
                             "(call it inside `with tf.Session() as sess:`)")
        created = self._checkpoint._save_counter is None
        with session.graph.as_default():
            counter = self._checkpoint.save_counter
            if created:
                session.run(counter.initializer)
            if self._save_counter_assign is None:
                self._save_counter_assign = counter.assign_add(1, read_value=False)
        session.run(self._save_counter_assign)
        if checkpoint_number is None:
            checkpoint_number = counter
        number = _evaluate(checkpoint_number)
        prefix = f"{self._prefix}-{number:d}"
        save_path = self._checkpoint._write(prefix, session=session, options=options)
        self._maybe_delete.pop(save_path, None)
        self._maybe_delete[save_path] = time.time()
        self._latest_checkpoint = save_path
        self._record_state()
        self._sweep()
        self._record_state()
        return save_path

    def restore_or_initialize(self):
        """``checkpoint.restore(latest_checkpoint)`` and its path; without a checkpoint, calls
        ``init_fn`` (if given) and returns None. In graph mode, as TF's, the values are not
        assigned here (use ``checkpoint.restore(...).run_restore_ops()`` for that)."""
        if self._latest_checkpoint is not None:
            self._checkpoint.restore(self._latest_checkpoint)
            if self._checkpoint_interval is not None:
                self._last_checkpoint_step = _evaluate(self._step_counter)
            return self._latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
            logging.info("Customized initialization is done through the passed `init_fn`.")
        return None

    def sync(self):
        """Waits for outstanding saves: minitf writes synchronously, so there are none."""
