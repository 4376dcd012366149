"""Checkpoints: ``tf.train.Saver`` with a documented, pickle-free file format.

Format. A checkpoint with prefix ``P`` (e.g. ``ckpt/model-100``) is one file ``P.npz``: a zip
archive written by ``numpy.savez`` holding one ``.npy`` array per variable, keyed by the
variable's name in the checkpoint (its op name, e.g. ``layer1/w``), plus ``__minitf__``: a
uint8 array with the JSON ``{"format": "minitf-checkpoint", "version": 1, "variables":
{name: [dtype, shape]}}``. It loads with ``numpy.load(P + ".npz", allow_pickle=False)``. A
string tensor (a string variable, a table's keys) has dtype ``"string"`` in the manifest and is
stored without pickles: under its name a uint8 array, its elements' bytes one after another,
and under ``__minitf_offsets__/<name>`` int64 offsets (element i is
``blob[offsets[i]:offsets[i+1]]``; as many offsets as elements plus one). Next to it, the text file
``checkpoint`` names the latest prefix and the retained ones, in TensorFlow's format
(``model_checkpoint_path: "model-100"``), so ``tf.train.latest_checkpoint`` works as in TF.
Files are written to a temporary name and renamed, so a reader never sees half a checkpoint.

Partitioned variables. The parts of ``w`` (``w/part_0``, ``w/part_1``...) are saved as ONE
tensor ``w``, as TF saves them: in the ``.npz`` the whole tensor, its blocks listed under the
manifest's ``"slices"``: {name: [[offset, shape], ...]}; in TF's format one slice entry per
part. A checkpoint restores into any partitioning of the same full shape (or none), as TF's.

TensorFlow's own format (``P.index`` + ``P.data-00000-of-00001``, see tensor_bundle.py) is read
by every entry point here (Saver.restore, load_checkpoint, list_variables, load_variable,
checkpoint_exists, latest_checkpoint), so TF-written checkpoints and the ``variables/`` of a TF
SavedModel load directly; ``Saver(write_version=tf.train.SaverDef.V2)`` also writes it. When a
prefix has both, the ``.npz`` wins (it is what minitf wrote by default).
"""

from __future__ import annotations

import importlib
import json
import numbers
import os
import time

import numpy as np

from .. import dtypes as _dt
from .. import tf_logging as logging
from ..errors import DataLossError, InvalidArgumentError, NotFoundError
from ..graph import GraphKeys, get_default_graph
from ..partitioned_variables import SaveSliceInfo
from ..tensor_shape import TensorShape
from . import tensor_bundle
from .saver_ops import SaverOps, build_saver_ops
from .saver_var_list import recordable, saveables
from .checkpoint_management import (CheckpointState, _checkpoint_files,  # noqa: F401
                                    _remove, _write_state, checkpoint_exists,
                                    get_checkpoint_state, latest_checkpoint)
from .npz_format import (_MANIFEST, _OFFSETS, _STRING, _SUFFIX, _encode_strings,  # noqa: F401
                         _is_npz, _read, _read_npz)



class SaveableObject:
    """Something other than a variable that a Saver saves (TF's SaveableObject, e.g. a mutable
    lookup table): ``specs`` are (checkpoint name, tensor whose value is saved) pairs, and
    ``restore(sess, arrays)`` loads the arrays read back for them, in the same order."""

    def __init__(self, op, specs, name):
        self.op, self.specs, self.name = op, list(specs), name

    def check(self, arrays, save_path):
        """Raises if ``arrays`` (read back for ``specs``) cannot be restored; runs for every
        object before any restores, so a refused restore changes nothing."""

    def restore(self, sess, arrays):
        raise NotImplementedError


class SaverDef:
    """``tf.train.SaverDef``'s checkpoint format versions (the ``write_version`` values)."""

    LEGACY, V1, V2 = 0, 1, 2


class Saver:
    """Saves and restores variables. ``var_list``: None (all global variables), a list of
    Variables and PartitionedVariables, or a dict from checkpoint names to them; a variable
    op's output tensor (``g.get_tensor_by_name("v:0")``) stands for its variable, as in TF.
    ``reshape=True`` restores a checkpoint tensor into a variable of another shape with as
    many elements (TF reshapes it to the variable's shape)."""

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=None, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        if write_version not in (None, SaverDef.LEGACY, SaverDef.V1, SaverDef.V2):
            raise ValueError(f"write_version must be tf.train.SaverDef.V1 or V2, got "
                             f"{write_version!r}")
        # Default: minitf's .npz. SaverDef.V2 asks for TensorFlow's own format (TensorBundle).
        self._tf_format = write_version == SaverDef.V2
        self._allow_empty = allow_empty
        # minitf writes one file either way: sharded only skips the name check in save and
        # goes in the SaverDef (an imported SaverDef's own setting is reported back, as TF's).
        self._sharded = bool(sharded)
        self._def_sharded = self._sharded if saver_def is None else saver_def.sharded
        self._reshape = bool(reshape)
        self._graph, self._objects = get_default_graph(), []
        self._vars = None  # {checkpoint name: [(Variable or its tensor, SaveSliceInfo or None)]}
        # As TF: a deferred Saver of all variables takes them when built (an Estimator's
        # includes the ones its hooks make in begin()).
        if defer_build and var_list is not None:
            raise ValueError("If `var_list` is provided then build cannot be deferred. Either "
                             "set defer_build=False or var_list=None.")
        if not defer_build:
            self._collect(var_list)
        if saver_def is not None:  # TF's Saver keeps checkpoints by its SaverDef's settings
            max_to_keep = saver_def.max_to_keep
            keep_checkpoint_every_n_hours = saver_def.keep_checkpoint_every_n_hours or \
                keep_checkpoint_every_n_hours
        self._max_to_keep = max_to_keep
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        # TF1's bookkeeping: [(prefix, time saved)], and the ones dropped from it. Each save
        # drops and deletes at most one, so a list seeded longer than max_to_keep stays long.
        self._last: list[tuple] = []
        self._to_delete: list[tuple] = []
        # As TF1: a checkpoint about to be deleted is kept instead once every N hours.
        self._keep_every = keep_checkpoint_every_n_hours * 3600
        self._next_keep = time.time() + self._keep_every
        # TF's save/restore ops for the .meta's SaverDef (saver_ops.py): an imported graph's, or
        self._ops = None if saver_def is None or not saver_def.restore_op_name else SaverOps(
            saver_def.filename_tensor_name, saver_def.save_tensor_name,
            saver_def.restore_op_name)
        self._name = name
        if not defer_build:
            self.build()  # built here for a Saver writing TF's format

    def _collect(self, var_list):
        if var_list is None:
            graph = get_default_graph()
            var_list = graph.get_collection(GraphKeys.GLOBAL_VARIABLES) + \
                graph.get_collection(GraphKeys.SAVEABLE_OBJECTS)
        var_list, self._objects = _split_objects(var_list)
        names = saveables(var_list)
        for name, _ in (spec for o in self._objects for spec in o.specs):
            if name in names:
                raise ValueError(f"At least two variables have the same name: {name}")
            names[name] = []  # no variable: the object's restore loads it
        if not names and not self._allow_empty:
            raise ValueError("No variables to save")
        if any(n.startswith("__minitf") for n in names):
            raise ValueError(f"Checkpoint names starting with '__minitf' are reserved: "
                             f"{sorted(n for n in names if n.startswith('__minitf'))}")
        self._vars = names
        self._graph = next((parts[0][0].graph for parts in names.values() if parts),
                           self._objects[0].specs[0][1].graph if self._objects
                           else get_default_graph())

    def build(self):
        """Builds TF's save and restore ops once, for a Saver writing TF's format of variables
        only (a table would need its export/import ops); minitf's save and restore run none."""
        if self._vars is None:
            self._collect(None)
        if self._ops is None and self._tf_format and not self._objects and any(self._vars.values()):
            self._graph._check_not_finalized()  # as TF's: no ops added to a finalized graph
            self._ops = build_saver_ops(self._graph, self._vars, self._name, self._reshape)

    def as_saver_def(self):
        """The Saver's settings as a ``SaverDef`` proto. minitf saves without graph ops, so the
        tensor and op names are empty; ``version`` is V2 when writing TensorFlow's format
        (``write_version=SaverDef.V2``), else V1 (minitf's own .npz)."""
        saver_pb2 = importlib.import_module("minitf.protos.saver_pb2")
        names = {} if self._ops is None else vars(self._ops)
        return saver_pb2.SaverDef(
            max_to_keep=self._max_to_keep or 0,
            sharded=self._def_sharded,
            keep_checkpoint_every_n_hours=self._keep_every / 3600,
            version=SaverDef.V2 if self._tf_format else SaverDef.V1, **names)

    saver_def = property(as_saver_def)

    def to_proto(self, export_scope=None):
        """``as_saver_def()`` (TF's for a MetaGraphDef's collections); minitf's SaverDef names
        no scoped tensors, so ``export_scope`` changes nothing."""
        del export_scope
        return self.as_saver_def()

    @staticmethod
    def from_proto(saver_def, import_scope=None):
        """A Saver over the default graph's variables with ``saver_def``'s settings."""
        return Saver(saver_def=saver_def, name=import_scope, allow_empty=True,
                     write_version=saver_def.version)

    def export_meta_graph(self, filename=None, collection_list=None, as_text=False,
                          export_scope=None, clear_devices=False,
                          clear_extraneous_savers=False, strip_default_attrs=False,
                          save_debug_info=False):
        """The Saver's graph as a MetaGraphDef (with its SaverDef when it names ops, and the
        record of what it saves, as ``save`` writes it), written to ``filename`` when given."""
        return export_meta_graph(
            filename, graph=self._graph, saver_def=self.as_saver_def() if self._ops else None,
            saver_var_list=recordable(self._vars), collection_list=collection_list,
            as_text=as_text,
            export_scope=export_scope,
            clear_devices=clear_devices, clear_extraneous_savers=clear_extraneous_savers,
            strip_default_attrs=strip_default_attrs, save_debug_info=save_debug_info)

    def set_last_checkpoints(self, last_checkpoints):
        """Replaces the list of recent checkpoints (the ones ``max_to_keep`` deletes from).
        As TF's, they are dated +inf: when one is dropped, keep_checkpoint_every_n_hours keeps
        its files."""
        if not isinstance(last_checkpoints, list):
            raise AssertionError(f"last_checkpoints must be a list, got {last_checkpoints!r}")
        self._last = [(p, np.inf) for p in last_checkpoints]

    def _check_built(self, what):
        if self._vars is None:  # TF's words
            raise RuntimeError(f"`build()` should be called before {what} if "
                               "defer_build==True")

    def _check_session(self, sess, what):
        self._check_built(what)
        if sess.graph is not self._graph:
            raise TypeError("The Saver's variables are not in the session's graph (the Saver "
                            "was built for another graph)")

    @property
    def last_checkpoints(self) -> list:
        return [p for p, _ in self._last]

    @property
    def _is_empty(self) -> bool:
        """An ``allow_empty`` Saver with nothing to save: TF's saves only the .meta and
        restores nothing."""
        return self._vars is not None and not self._vars

    def _record_last_checkpoint(self, prefix):
        """TF's _RecordLastCheckpoint: ``prefix`` goes last; the oldest beyond max_to_keep is
        queued for deletion (one per save)."""
        if not self._max_to_keep:
            return  # max_to_keep None or 0: every file stays and none is tracked
        self._last = [(p, t) for p, t in self._last if p != prefix]
        self._last.append((prefix, time.time()))
        if len(self._last) > self._max_to_keep:
            self._to_delete.append(self._last.pop(0))

    def _maybe_delete_old_checkpoints(self, meta_graph_suffix):
        """TF's _MaybeDeleteOldCheckpoints: deletes the first queued checkpoint, unless
        keep_checkpoint_every_n_hours keeps it for good."""
        if not self._to_delete:
            return
        old, saved_at = self._to_delete.pop(0)
        if saved_at > self._next_keep:
            self._next_keep += self._keep_every
            return
        _remove(old)
        try:
            os.unlink(f"{old}.{meta_graph_suffix}")
        except FileNotFoundError:
            pass

    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False) -> str | None:
        """Writes ``save_path[-global_step].npz`` (with ``write_version=SaverDef.V2``:
        TensorFlow's ``.index`` + ``.data-00000-of-00001``) and, with ``write_meta_graph``, the
        graph beside it as ``<prefix>.meta`` (tf.train.import_meta_graph reads it); returns the
        checkpoint prefix. An empty Saver (``allow_empty``) writes only the .meta and returns
        None, as TF's. The arguments are checked in TF's order, before anything is written."""
        from ..session import Session

        self._check_built("save")
        latest_filename = latest_filename or "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fsdecode(save_path)
        if global_step is not None:
            if not isinstance(global_step, (numbers.Integral, np.integer)):
                # a Tensor, Variable or tensor name; anything else fails in sess.run, as TF's
                global_step = int(sess.run(global_step))
            step = int(global_step)
            prefix = f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"
        else:
            prefix = save_path
            if os.path.basename(save_path) == latest_filename and not self._sharded:
                raise ValueError(f"'latest_filename' collides with 'save_path': "
                                 f"'{latest_filename}' and '{save_path}'")
        if not isinstance(sess, Session):
            raise TypeError(f"'sess' must be a Session; {sess}")
        self._check_session(sess, "save")
        directory = os.path.dirname(prefix) or "."
        if not os.path.isdir(directory) and os.path.isdir(os.path.dirname(directory) or "."):
            os.makedirs(directory, exist_ok=True)  # one level, as TF's checkpoint writer does
        if not os.path.isdir(directory):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        if not self._is_empty:
            self._write(sess, prefix, directory)
            if write_state:  # as TF: without it, nothing is recorded or deleted
                self._record_last_checkpoint(prefix)
                # (max_to_keep None or 0 tracks nothing: the state names this one only)
                _write_state(directory, prefix, self.last_checkpoints or [prefix],
                             latest_filename, self._save_relative_paths)
                self._maybe_delete_old_checkpoints(meta_graph_suffix)
        if write_meta_graph:  # with the SaverDef when it names ops, as TF writes it, and (for
            # import_meta_graph's Saver) which variables this one saves under which names
            export_meta_graph(f"{prefix}.{meta_graph_suffix}", graph=self._graph,
                              saver_def=self.as_saver_def() if self._ops else None,
                              saver_var_list=recordable(self._vars))
        return None if self._is_empty else prefix

    def _write(self, sess, prefix, directory):
        """Writes checkpoint ``prefix``: the variables' and objects' current values."""
        values = iter(sess.run([v for parts in self._vars.values() for v, _ in parts] +
                               [t for o in self._objects for _, t in o.specs]))
        arrays, slices = {}, {}
        for name, parts in self._vars.items():
            if not parts:
                continue  # an object's: after the variables
            got = [(info, _dt.as_records(next(values), v.dtype)) for v, info in parts]
            if got[0][0] is None:
                arrays[name] = got[0][1]
            else:
                arrays[name], slices[name] = _assemble(got)
        for name, _ in (spec for o in self._objects for spec in o.specs):
            arrays[name] = np.asarray(next(values))
        if self._tf_format:
            tensor_bundle.write_bundle(prefix, arrays, slices)
            _remove(prefix, bundle=False)  # a stale .npz would shadow the new checkpoint
        else:
            self._write_npz(prefix, directory, arrays, slices)

    @staticmethod
    def _write_npz(prefix, directory, arrays, slices):
        manifest = {}
        for n, arr in arrays.items():
            if sum(int(np.prod(shape)) for _, shape in slices.get(n, [])) not in (0, arr.size):
                raise InvalidArgumentError(
                    None, None, f"Saving only some parts of the partitioned variable {n}: the "
                    ".npz format stores whole tensors (save all its parts, or use "
                    "write_version=tf.train.SaverDef.V2, which stores slices)")
            manifest[n] = [_STRING if arr.dtype == object else arr.dtype.str, list(arr.shape)]
        strings = {n: a for n, a in arrays.items() if a.dtype == object}
        arrays = {n: a for n, a in arrays.items() if a.dtype != object}
        for n, arr in strings.items():
            arrays[n], arrays[_OFFSETS + n] = _encode_strings(n, arr)
        meta = {"format": "minitf-checkpoint", "version": 1, "variables": manifest}
        if slices:
            meta["slices"] = {n: [[list(o), list(s)] for o, s in b] for n, b in slices.items()}
        arrays = {**arrays, _MANIFEST: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
        fd, tmp = tensor_bundle.temp_file(directory, ".tmp-ckpt-", _SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, prefix + _SUFFIX)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        _remove(prefix, npz=False)  # a TF-format checkpoint left at this prefix is outdated

    def restore(self, sess, save_path):
        """Loads every variable from ``save_path``; on any problem restores nothing. An empty
        Saver restores nothing and checks nothing, as TF's."""
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        self._check_session(sess, "restore")
        if os.path.isdir(save_path):
            raise DataLossError(None, None, f"{save_path} is a directory, not a checkpoint "
                                "prefix (tf.train.latest_checkpoint(dir) finds the newest)")
        if not checkpoint_exists(save_path):
            raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path}")
        stored = _Stored(save_path)
        updates = []
        for name, parts in self._vars.items():
            spec = stored.spec(name)
            if spec is None:
                raise _restore_failed(NotFoundError, _MISSING_KEY,
                                      f"Key {name} not found in checkpoint {save_path}")
            dtype, shape = spec
            for v, info in parts:
                if dtype != np.dtype(v.dtype.as_numpy_dtype):
                    # TF's RestoreV2 wording: expected is the graph's dtype, original the file's
                    raise _restore_failed(
                        InvalidArgumentError, _MISMATCH,
                        f"tensor_name = {name}; expected dtype {_dt.dtype_string(v.dtype)} "
                        f"does not equal original dtype {_np_dtype_string(dtype)}")
                target = self._reshape_target(sess, v) if info is None else None
                if target is not None:  # reshape=True: TF reshapes before its Assign
                    if int(np.prod(target)) != int(np.prod(shape)):
                        raise _restore_failed(
                            InvalidArgumentError, _MISMATCH,
                            f"Input to reshape is a tensor with {int(np.prod(shape))} values, "
                            f"but the requested shape has {int(np.prod(target))} (variable "
                            f"{name}, checkpoint {save_path})")
                    updates.append((v, np.reshape(stored.read(name, None), target)))
                    continue
                want = v.shape if info is None else TensorShape(info.full_shape)
                if not (v.shape.is_compatible_with(shape) if info is None
                        else list(shape) == info.full_shape):
                    # TF's Assign wording (lhs the graph's variable, rhs the checkpoint's)
                    raise _restore_failed(
                        InvalidArgumentError, _MISMATCH,
                        "Assign requires shapes of both tensors to match. lhs shape= "
                        f"{want.debug_string()} rhs shape= {TensorShape(shape).debug_string()} "
                        f"(variable {name}, checkpoint {save_path})")
                updates.append((v, stored.read(name, info)))
        objects = []
        for o in self._objects:
            missing = [n for n, _ in o.specs if stored.spec(n) is None]
            if missing:
                raise _restore_failed(NotFoundError, _MISSING_KEY,
                                      f"Key {missing[0]} not found in checkpoint {save_path} "
                                      f"(of '{o.name}')")
            objects.append((o, [np.asarray(stored.read(n, None)) for n, _ in o.specs]))
        for o, arrays in objects:  # all checked before any is restored: all or nothing
            o.check(arrays, save_path)
        for o, arrays in objects:
            o.restore(sess, arrays)
        cells = sess._resources
        for v, arr in updates:
            # (a quantized variable holds its storage integers at run time, as TF's)
            cells.variable(v.op).set(np.array(_dt.storage_view(np.asarray(arr)), copy=True))

    def _reshape_target(self, sess, v):
        """With ``reshape=True``, the shape a checkpoint value of ``v`` is reshaped to (TF's
        Reshape to the variable's static shape, else to its current value's: reading an
        uninitialized one fails, as TF's Shape op does); None without reshape."""
        if not self._reshape:
            return None
        if v.shape.is_fully_defined():
            return tuple(v.shape.as_list())
        return sess._resources.variable(v.op).get().shape

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        """[(prefix, time saved)]: the times keep_checkpoint_every_n_hours judges by."""
        self._last = [(p, t) for p, t in last_checkpoints_with_time]

    def recover_last_checkpoints(self, checkpoint_paths):
        """Takes over existing checkpoints, dated by their files (as TF1)."""
        self._last = [(p, os.path.getmtime(_checkpoint_files(p)[0]))
                      for p in checkpoint_paths if checkpoint_exists(p)]


# TF 1.x's Saver.restore wraps a restore op's failure in this text (_wrap_restore_error_with_msg);
# users search for it, so the same words, the original error after them.
_MISSING_KEY = "a Variable name or other graph key that is missing"
_MISMATCH = "a mismatch between the current graph and the graph"


def _restore_failed(cls, cause: str, original: str):
    return cls(None, None, f"Restoring from checkpoint failed. This is most likely due to {cause} "
               "from the checkpoint. Please ensure that you have not altered the graph expected "
               f"based on the checkpoint. Original error:\n\n{original}")


def _np_dtype_string(dtype) -> str:
    """A checkpoint entry's numpy dtype in TF's runtime spelling ("float", "double")."""
    try:
        return _dt.dtype_string(_dt.as_dtype(dtype))
    except (TypeError, ValueError, KeyError):
        return "string" if np.dtype(dtype).kind in "OSU" else str(dtype)


def _split_objects(var_list) -> tuple:
    """(var_list without its SaveableObjects, those objects): a list's items or a dict's
    values. A mutable table (anything with ``_to_saveable``) saves under its dict key or its
    own name, as TF's; a SaveableObject under its own names, whatever its key."""
    def object_of(key, v):
        if isinstance(v, SaveableObject):
            return v
        return v._to_saveable(key) if hasattr(v, "_to_saveable") else None
    items = list(var_list.items()) if isinstance(var_list, dict) else \
        [(None, v) for v in var_list]
    objects = [(k, v, object_of(k, v)) for k, v in items]
    rest = [(k, v) for k, v, o in objects if o is None]
    return (dict(rest) if isinstance(var_list, dict) else [v for _, v in rest]), \
        [o for _, _, o in objects if o is not None]


def _region(offset, shape) -> tuple:
    return tuple(slice(o, o + n) for o, n in zip(offset, shape))


def _assemble(parts) -> tuple:
    """(the whole tensor, [(offset, shape)] of its parts) from [(SaveSliceInfo, value)]."""
    info, first = parts[0]
    whole = np.empty(info.full_shape, first.dtype)  # where no part lies is never written
    for info, value in parts:
        whole[_region(info.var_offset, info.var_shape)] = value
    return whole, [(info.var_offset, info.var_shape) for info, _ in parts]


class _Stored:
    """The tensors of a checkpoint being restored: their (dtype, shape), and each one whole or
    the block a part of a partitioned variable needs."""

    def __init__(self, prefix):
        self._reader = None
        self._by_full_name = None  # an object-based checkpoint's {variable name: key}
        if not _is_npz(prefix) and tensor_bundle.is_bundle(prefix):
            self._reader = tensor_bundle.BundleReader(prefix)  # reads each tensor when asked
        else:
            self._arrays = _read(prefix)

    def spec(self, name):
        if self._reader is None:
            arr = self._arrays.get(name)
            return None if arr is None else (arr.dtype, arr.shape)
        name = self._key(name)
        entry = self._reader.entries.get(name)
        return None if entry is None else \
            (tensor_bundle.numpy_dtype(entry.dtype, name), entry.shape)

    def _key(self, name: str) -> str:
        """``name``'s key: itself, or in an object-based checkpoint (tf.train.Checkpoint's)
        the key its object graph gives the variable of that name, as TF's Saver falls back."""
        if name in self._reader.entries:
            return name
        if self._by_full_name is None:
            self._by_full_name = {}
            from .checkpoint_graph import OBJECT_GRAPH_PROTO_KEY, decode_object_graph
            if OBJECT_GRAPH_PROTO_KEY in self._reader.entries:
                data = np.asarray(self._reader.read(OBJECT_GRAPH_PROTO_KEY)).reshape(-1)[0]
                self._by_full_name = {full: key for node in decode_object_graph(bytes(data))
                                      for _, full, key in node.attributes if full}
                logging.warning("Restoring an object-based checkpoint using a name-based saver. "
                            "This may be somewhat fragile; consider loading object-based "
                            "checkpoints using tf.train.Checkpoint().")
        return self._by_full_name.get(name, name)

    def read(self, name, info: SaveSliceInfo | None) -> np.ndarray:
        block = (None, None) if info is None else (info.var_offset, info.var_shape)
        if self._reader is not None:
            return self._reader.read(self._key(name), *block)
        arr = self._arrays[name]
        return arr if info is None else arr[_region(*block)]


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


# The readers live in checkpoint_reader.py (it uses the format helpers above).
from .checkpoint_reader import (CheckpointReader, NewCheckpointReader,  # noqa: E402,F401
                                list_variables, load_checkpoint, load_checkpoint_arrays,
                                load_variable)
