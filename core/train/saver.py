"""Checkpoints: ``tf.train.Saver`` with a documented, pickle-free file format.

Format. A checkpoint with prefix ``P`` (e.g. ``ckpt/model-100``) is one file ``P.npz``: a zip
archive written by ``numpy.savez`` holding one ``.npy`` array per variable, keyed by the
variable's name in the checkpoint (its op name, e.g. ``layer1/w``), plus ``__minitf__``: a
uint8 array with the JSON ``{"format": "minitf-checkpoint", "version": 1, "variables":
{name: [dtype, shape]}}``. It loads with ``numpy.load(P + ".npz", allow_pickle=False)``; string
variables are not supported (numpy would need pickles). Next to it, the text file
``checkpoint`` names the latest prefix and the retained ones, in TensorFlow's format
(``model_checkpoint_path: "model-100"``), so ``tf.train.latest_checkpoint`` works as in TF.
Files are written to a temporary name and renamed, so a reader never sees half a checkpoint.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import zipfile

import numpy as np

from ..errors import DataLossError, InvalidArgumentError, NotFoundError
from ..graph import GraphKeys, Tensor, get_default_graph
from ..variables import Variable

_MANIFEST = "__minitf__"
_SUFFIX = ".npz"


class Saver:
    """Saves and restores variables. ``var_list``: None (all global variables), a list of
    Variables, or a dict from checkpoint names to Variables."""

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=2, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        if var_list is None:
            var_list = get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
        if isinstance(var_list, dict):
            items = list(var_list.items())
        else:
            items = [(v.op.name, v) for v in var_list]
        names = {}
        for name, v in items:
            if not isinstance(v, Variable):
                raise TypeError(f"Saver variables must be tf.Variable, got {v!r} for {name!r}")
            if name in names:
                raise ValueError(f"At least two variables have the same name: {name}")
            names[name] = v
        if not names and not allow_empty:
            raise ValueError("No variables to save")
        if any(n.startswith("__minitf") for n in names):
            raise ValueError(f"Checkpoint names starting with '__minitf' are reserved: "
                             f"{sorted(n for n in names if n.startswith('__minitf'))}")
        self._vars = names
        self._graph = next(iter(names.values())).graph if names else get_default_graph()
        self._max_to_keep = max_to_keep
        self._pad_step_number = pad_step_number
        self._last: list[str] = []
        self._saved_at: dict[str, float] = {}
        # As TF1: a checkpoint about to be deleted is kept instead once every N hours.
        self._keep_every = keep_checkpoint_every_n_hours * 3600
        self._next_keep = time.time() + self._keep_every

    def build(self):
        """TF1 builds its save/restore ops here (``defer_build=True``); minitf has none."""

    def _check_session(self, sess):
        if sess.graph is not self._graph:
            raise TypeError("The Saver's variables are not in the session's graph (the Saver "
                            "was built for another graph)")

    @property
    def last_checkpoints(self) -> list:
        return list(self._last)

    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False) -> str:
        """Writes ``save_path[-global_step].npz`` and, with ``write_meta_graph``, the graph
        beside it as ``<prefix>.meta`` (tf.train.import_meta_graph reads it); returns the
        checkpoint prefix."""
        self._check_session(sess)
        if global_step is not None:
            if isinstance(global_step, (Tensor, Variable)):
                global_step = sess.run(global_step)
            step = int(global_step)
            prefix = f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"
        else:
            prefix = str(save_path)
        directory = os.path.dirname(prefix) or "."
        if not os.path.isdir(directory) and os.path.isdir(os.path.dirname(directory) or "."):
            os.makedirs(directory, exist_ok=True)  # one level, as TF's checkpoint writer does
        if not os.path.isdir(directory):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        names = list(self._vars)
        values = sess.run([self._vars[n] for n in names])
        arrays, manifest = {}, {}
        for n, v in zip(names, values):
            arr = np.asarray(v)
            if arr.dtype == object:
                raise InvalidArgumentError(None, None, f"Cannot checkpoint string variable {n}")
            arrays[n] = arr
            manifest[n] = [arr.dtype.str, list(arr.shape)]
        meta = json.dumps({"format": "minitf-checkpoint", "version": 1, "variables": manifest})
        arrays[_MANIFEST] = np.frombuffer(meta.encode(), dtype=np.uint8)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-ckpt-", suffix=_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, prefix + _SUFFIX)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        if write_meta_graph:
            export_meta_graph(f"{prefix}.{meta_graph_suffix}", graph=self._graph)
        if self._max_to_keep:
            if prefix in self._last:
                self._last.remove(prefix)
            self._last.append(prefix)
            self._saved_at[prefix] = time.time()
            while len(self._last) > self._max_to_keep:
                old = self._last.pop(0)
                if self._saved_at.pop(old, 0.0) > self._next_keep:  # kept for good
                    self._next_keep += self._keep_every
                    continue
                for path in (old + _SUFFIX, f"{old}.{meta_graph_suffix}"):
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        pass
        # max_to_keep None or 0: every file stays and none is tracked (TF1's behaviour).
        if write_state:
            _write_state(directory, prefix, self._last or [prefix],
                         latest_filename or "checkpoint")
        return prefix

    def restore(self, sess, save_path):
        """Loads every variable from ``save_path``; on any problem restores nothing."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        self._check_session(sess)
        if os.path.isdir(save_path):
            raise DataLossError(None, None, f"{save_path} is a directory, not a checkpoint "
                                "prefix (tf.train.latest_checkpoint(dir) finds the newest)")
        if not checkpoint_exists(save_path):
            raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path}")
        stored = _read(save_path)
        updates = []
        for name, v in self._vars.items():
            if name not in stored:
                raise NotFoundError(None, None, f"Key {name} not found in checkpoint "
                                    f"{save_path}")
            arr = stored[name]
            want = v.dtype.as_numpy_dtype
            if arr.dtype != np.dtype(want):
                raise InvalidArgumentError(
                    None, None, f"Checkpoint {save_path}: variable {name} has dtype "
                    f"{arr.dtype.name} in the checkpoint but {v.dtype.name} in the graph")
            if not v.shape.is_compatible_with(arr.shape):
                raise InvalidArgumentError(
                    None, None, f"Checkpoint {save_path}: variable {name} has shape "
                    f"{list(arr.shape)} in the checkpoint but {v.shape} in the graph")
            updates.append((v, arr))
        cells = sess._resources
        for v, arr in updates:
            cells.variable(v.op).set(np.array(arr, copy=True))

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        self._last = [p for p, _ in last_checkpoints_with_time]
        self._saved_at = dict(last_checkpoints_with_time)  # keep_checkpoint_every_n_hours

    def recover_last_checkpoints(self, checkpoint_paths):
        """Takes over existing checkpoints, dated by their files (as TF1)."""
        self._last = [p for p in checkpoint_paths if checkpoint_exists(p)]
        self._saved_at = {p: os.path.getmtime(p + _SUFFIX) for p in self._last}


def _read(prefix) -> dict:
    """All arrays of a checkpoint, validated against its manifest."""
    path = str(prefix) + _SUFFIX
    if not os.path.exists(path):
        raise NotFoundError(None, None, f"Failed to find any matching files for {prefix} "
                            f"(no file {path})")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise DataLossError(None, None, f"Unable to read checkpoint {path}: {e}") from None
    raw = arrays.pop(_MANIFEST, None)
    try:
        meta = json.loads(bytes(raw).decode()) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        meta = None
    if not meta or meta.get("format") != "minitf-checkpoint":
        raise DataLossError(None, None, f"{path} is not a minitf checkpoint (no valid manifest)")
    for name, (dtype, shape) in meta["variables"].items():
        arr = arrays.get(name)
        if arr is None or arr.dtype.str != dtype or list(arr.shape) != shape:
            raise DataLossError(None, None, f"Checkpoint {path} is corrupt: entry {name} does "
                                "not match its manifest")
    return arrays


def _write_state(directory, latest, all_paths, filename):
    def rel(p):
        return os.path.relpath(p, directory) if os.path.isabs(p) or os.sep in p else p
    lines = [f'model_checkpoint_path: "{rel(latest)}"']
    lines += [f'all_model_checkpoint_paths: "{rel(p)}"' for p in all_paths]
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-state-")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, os.path.join(directory, filename))


class CheckpointState:
    def __init__(self, model_checkpoint_path, all_model_checkpoint_paths):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = all_model_checkpoint_paths


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    path = os.path.join(checkpoint_dir, latest_filename or "checkpoint")
    if not os.path.exists(path):
        return None
    text = open(path).read()
    latest = re.search(r'^model_checkpoint_path:\s*"(.*)"', text, re.M)
    if not latest:
        return None
    all_paths = re.findall(r'^all_model_checkpoint_paths:\s*"(.*)"', text, re.M)

    def absolute(p):
        return p if os.path.isabs(p) else os.path.join(checkpoint_dir, p)
    return CheckpointState(absolute(latest.group(1)), [absolute(p) for p in all_paths])


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint in ``checkpoint_dir``, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


def checkpoint_exists(checkpoint_prefix) -> bool:
    return os.path.exists(str(checkpoint_prefix) + _SUFFIX)


def list_variables(ckpt_dir_or_file) -> list:
    """[(name, shape)] of a checkpoint (a prefix or a directory with a ``checkpoint`` file)."""
    arrays = _read(_resolve(ckpt_dir_or_file))
    return sorted((k, list(v.shape)) for k, v in arrays.items())


def load_variable(ckpt_dir_or_file, name) -> np.ndarray:
    """A variable's value; ``name`` may be a tensor name (``v.name``: the ``:0`` is dropped, as
    TF does). A scalar comes back as a numpy scalar."""
    arrays = _read(_resolve(ckpt_dir_or_file))
    if name.endswith(":0"):
        name = name[:-2]
    if name not in arrays:
        raise NotFoundError(None, None, f"Key {name} not found in checkpoint {ckpt_dir_or_file}")
    value = arrays[name]
    return value[()] if value.ndim == 0 else value


class CheckpointReader:
    """TF1's ``tf.train.NewCheckpointReader`` / ``load_checkpoint`` over a minitf checkpoint (a
    prefix, or a directory with a ``checkpoint`` file)."""

    def __init__(self, ckpt_dir_or_file):
        self._arrays = _read(_resolve(str(ckpt_dir_or_file)))

    def get_variable_to_shape_map(self) -> dict:
        return {name: list(a.shape) for name, a in self._arrays.items()}

    def get_variable_to_dtype_map(self) -> dict:
        from .. import dtypes

        return {name: dtypes.from_numpy(a) for name, a in self._arrays.items()}

    def has_tensor(self, name) -> bool:
        return name in self._arrays

    def get_tensor(self, name):
        """The variable's value (a numpy scalar for a scalar, as TF's reader gives)."""
        if name not in self._arrays:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint")
        value = self._arrays[name]
        return value[()] if value.ndim == 0 else value.copy()

    def debug_string(self) -> bytes:
        from .. import dtypes

        lines = [f"{n} ({dtypes.from_numpy(a).name}) {list(a.shape)}"
                 for n, a in sorted(self._arrays.items())]
        return ("\n".join(lines) + "\n").encode()


NewCheckpointReader = CheckpointReader


def load_checkpoint(ckpt_dir_or_file) -> CheckpointReader:
    return CheckpointReader(ckpt_dir_or_file)


def load_checkpoint_arrays(ckpt_dir_or_file) -> dict:
    """Every variable of a checkpoint by name (used by freezing)."""
    return _read(_resolve(ckpt_dir_or_file))


def _resolve(ckpt_dir_or_file):
    if os.path.isdir(ckpt_dir_or_file):
        latest = latest_checkpoint(ckpt_dir_or_file)
        if latest is None:
            raise NotFoundError(None, None, f"No checkpoint found in {ckpt_dir_or_file}")
        return latest
    p = str(ckpt_dir_or_file)
    return p[:-len(_SUFFIX)] if p.endswith(_SUFFIX) else p


def export_meta_graph(filename=None, **kwargs):
    """``tf.train.export_meta_graph``: the default graph (or ``graph=``) and its collections
    as a MetaGraphDef, written to ``filename`` when given (see minitf.export.meta_graph)."""
    return _meta_graph().export_meta_graph(filename, **kwargs)


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **kwargs):
    """``tf.train.import_meta_graph``: the graph of a ``.meta`` file (as ``Saver.save`` writes
    it) added to the default graph with its collections; returns a Saver for its variables."""
    return _meta_graph().import_meta_graph(meta_graph_or_file, clear_devices, import_scope,
                                           **kwargs)


def _meta_graph():
    import importlib  # the MetaGraphDef codec lives in minitf.export (protos), as as_graph_def's

    return importlib.import_module("minitf.export.meta_graph")
