"""Object-based checkpoints in graph mode: ``tf.train.Checkpoint`` (TF1's CheckpointV1),
``tf.train.CheckpointManager`` and ``tf.train.CheckpointOptions``.

A Checkpoint saves the objects given to it (and assigned to it later) by their place in an
object graph, not by variable names: ``model/kernel/.ATTRIBUTES/VARIABLE_VALUE``,
``model/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE``,
``save_counter/.ATTRIBUTES/VARIABLE_VALUE``, with the object graph itself under
``_CHECKPOINTABLE_OBJECT_GRAPH`` (checkpoint_graph.py). The file is TensorFlow's tensor bundle
(``P.index`` + ``P.data-00000-of-00001``), so TensorFlow restores a minitf checkpoint of the
same model into its own objects, and minitf restores TensorFlow's.

Graph mode, as TF1's: ``save``/``write`` read the variables in a session (``session=`` or the
default one); ``restore`` returns a status whose ``run_restore_ops`` /
``initialize_or_restore`` assign the values in a session (checkpoint_restore.py).
"""

from __future__ import annotations

import inspect
import os

import numpy as np

from .. import dtypes as _dt
from ..errors import NotFoundError
from ..graph import get_default_graph
from ..variables import Variable
from . import tensor_bundle
from .checkpoint_graph import OBJECT_GRAPH_PROTO_KEY, check_trackable, encode_object_graph, \
    is_trackable, serialize
from .checkpoint_manager import CheckpointManager, write_state
from .checkpoint_restore import (CheckpointLoadStatus, InitializationOnlyStatus,
                                 NameBasedSaverStatus, session_for)
from .npz_format import _is_npz

__all__ = ["Checkpoint", "CheckpointManager", "CheckpointOptions"]


class CheckpointOptions:
    """``tf.train.CheckpointOptions``. minitf writes one shard, synchronously, from the host:
    ``experimental_io_device`` and ``enable_async`` are accepted and change nothing in what is
    written (an async TF save gives the same files once it is done);
    ``experimental_write_callbacks`` are called after each write (with the path, when they take
    an argument); ``experimental_skip_slot_variables`` leaves optimizer slots out of saving and
    restoring."""

    __slots__ = ("experimental_io_device", "experimental_enable_async_checkpoint",
                 "experimental_write_callbacks", "enable_async",
                 "experimental_sharding_callback", "experimental_skip_slot_variables")

    def __init__(self, experimental_io_device=None, experimental_enable_async_checkpoint=False,
                 experimental_write_callbacks=None, enable_async=False,
                 experimental_skip_slot_variables=False, experimental_sharding_callback=None):
        self.experimental_io_device = experimental_io_device
        self.enable_async = bool(experimental_enable_async_checkpoint or enable_async)
        self.experimental_enable_async_checkpoint = self.enable_async
        if experimental_write_callbacks is not None:
            for callback in experimental_write_callbacks:
                if not callable(callback) or len(inspect.signature(callback).parameters) > 1:
                    raise AssertionError(f"A write callback takes at most one argument (the "
                                         f"checkpoint path), got {callback!r}")
        self.experimental_write_callbacks = experimental_write_callbacks
        if experimental_sharding_callback is not None:
            raise ValueError("The experimental_sharding_callback checkpoint option must be of "
                             "type ShardingCallback; minitf writes every checkpoint as one "
                             f"shard. The option provided was of type "
                             f"{type(experimental_sharding_callback)}.")
        self.experimental_sharding_callback = None
        self.experimental_skip_slot_variables = bool(experimental_skip_slot_variables)

    def __copy__(self):
        out = CheckpointOptions.__new__(CheckpointOptions)
        for k in self.__slots__:
            setattr(out, k, getattr(self, k))
        if out.experimental_write_callbacks is not None:
            out.experimental_write_callbacks = list(out.experimental_write_callbacks)
        return out


def _options(options) -> CheckpointOptions:
    if options is None:
        return CheckpointOptions()
    if not isinstance(options, CheckpointOptions):
        raise TypeError(f"options must be a tf.train.CheckpointOptions, got {options!r}")
    return options


class Checkpoint:
    """Groups trackable objects (Variables, tf.layers layers, tf.train optimizers, other
    Checkpoints, dicts and lists of them) to save and restore together (TF1 graph mode's
    ``tf.train.Checkpoint``). Keyword arguments are tracked in sorted order, then attributes
    as they are assigned; ``save_counter`` is made on the first ``save``/``restore``."""

    def __init__(self, **kwargs):
        object.__setattr__(self, "_deps", {})  # local name -> object, in tracking order
        object.__setattr__(self, "_save_counter", None)
        object.__setattr__(self, "_save_assign_op", None)
        for name, value in sorted(kwargs.items()):
            check_trackable(value)
            setattr(self, name, value)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)  # a read-only property (save_counter) refuses
        if name.startswith("_"):
            return
        if is_trackable(value):
            self._deps[name] = value
        # As TF's AutoTrackable: a non-trackable value leaves an earlier dependency of that
        # name in place (``ck.w = 3`` still saves the variable ``w`` was); ``del`` drops it.

    def __delattr__(self, name):
        object.__delattr__(self, name)
        self._deps.pop(name, None)

    def _trackable_children(self) -> dict:
        return dict(self._deps)

    # -- the save counter ---------------------------------------------------------------------
    @property
    def save_counter(self):
        """The int64 variable counting ``save`` calls (it numbers ``prefix-N``); made in the
        default graph on first use, and saved with the other objects."""
        self._maybe_create_save_counter()
        return self._save_counter

    def _maybe_create_save_counter(self, graph=None):
        if self._save_counter is None:
            graph = graph or get_default_graph()
            with graph.as_default(), graph.name_scope(None):
                # TF's arguments (as a variable creator sees them)
                counter = Variable(0, trainable=False, name="save_counter", dtype=_dt.int64,
                                   use_resource=True)
            object.__setattr__(self, "_save_counter", counter)
            self._deps["save_counter"] = counter

    # -- saving -------------------------------------------------------------------------------
    def write(self, file_prefix, session=None, options=None) -> str:
        """Writes the checkpoint ``file_prefix`` (no numbering, no state file, save_counter
        unchanged); returns ``file_prefix``."""
        return self._write(file_prefix, session=session, options=options)

    def _write(self, file_prefix, session=None, options=None) -> str:
        options = _options(options)
        session = session_for(session, "Checkpoint.write")
        prefix = os.fspath(file_prefix)
        saved = serialize(self, session.graph, options.experimental_skip_slot_variables)
        for key, v in saved.variables:
            if v.graph is not session.graph:
                raise ValueError(f"Cannot save {v.name} (checkpoint key {key}): the variable "
                                 "is not in the session's graph")
        values = session.run([v for _, v in saved.variables])
        arrays = {key: _dt.as_records(value, v.dtype)
                  for (key, v), value in zip(saved.variables, values)}
        arrays[OBJECT_GRAPH_PROTO_KEY] = np.array(encode_object_graph(saved.nodes),
                                                  dtype=object)
        tensor_bundle.write_bundle(prefix, arrays)
        for callback in options.experimental_write_callbacks or ():
            if inspect.signature(callback).parameters:
                callback(prefix)
            else:
                callback()
        return prefix

    def save(self, file_prefix, session=None, options=None) -> str:
        """Increments ``save_counter`` and writes ``<file_prefix>-<save_counter>``, then
        names it in the directory's ``checkpoint`` state file (the only one listed, as TF's
        Checkpoint.save does); returns the path."""
        session = session_for(session, "Checkpoint.save")
        graph = session.graph
        if self._save_counter is None:
            self._maybe_create_save_counter(graph)
            session.run(self._save_counter.initializer)
        if self._save_assign_op is None or self._save_assign_op.graph is not graph:
            with graph.as_default():
                object.__setattr__(self, "_save_assign_op", self._save_counter.assign_add(1))
        number = int(session.run(self._save_assign_op))
        file_prefix = os.fspath(file_prefix)
        path = self._write(f"{file_prefix}-{number}", session=session, options=options)
        write_state(os.path.dirname(file_prefix), path, [path])
        return path

    # -- restoring ----------------------------------------------------------------------------
    def restore(self, save_path):
        """A status for restoring ``save_path`` into these objects (assigned when its
        ``run_restore_ops``/``initialize_or_restore`` run). ``None``: a status that only
        initializes. A ``tf.train.Saver`` checkpoint (no object graph) is matched by variable
        names. NotFoundError when nothing is at ``save_path``."""
        status = self._read(save_path)
        self._maybe_create_save_counter()
        if isinstance(status, NameBasedSaverStatus):
            status.add_to_optionally_restored(self._save_counter)
        return status

    def read(self, save_path, options=None):
        """As ``restore`` but without making ``save_counter`` (TF2's Checkpoint.read, for
        checkpoints made by ``write``; TF 2.21's compat.v1 Checkpoint has no ``read``)."""
        return self._read(save_path, options)

    def _read(self, save_path, options=None):
        if save_path is None:
            return InitializationOnlyStatus(self)
        save_path = os.fspath(save_path)
        if tensor_bundle.is_bundle(save_path):
            reader = tensor_bundle.BundleReader(save_path)
            if OBJECT_GRAPH_PROTO_KEY in reader.entries:
                return CheckpointLoadStatus(self, save_path, reader, _options(options))
            return NameBasedSaverStatus(self, save_path)
        if _is_npz(save_path):
            return NameBasedSaverStatus(self, save_path)
        hint = " (a directory: tf.train.latest_checkpoint(dir) gives its newest checkpoint)" \
            if os.path.isdir(save_path) else ""
        raise NotFoundError(None, None, f"Unsuccessful TensorSliceReader constructor: Failed to "
                            f"find any matching files for {save_path}{hint}")
