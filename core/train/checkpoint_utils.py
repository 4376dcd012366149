"""``tf.train.init_from_checkpoint`` and ``warm_start``: variables start from a checkpoint's
values (fine-tuning a pretrained model) instead of their initializers; and TF1's checkpoint
file management (``checkpoints_iterator``, ``remove_checkpoint``, ``get_checkpoint_mtimes``,
``update_checkpoint_state``)."""

from __future__ import annotations

import collections
import os
import time

import numpy as np

from ..graph import GraphKeys, get_default_graph, name_scope
from ..variables import Variable


def _graph_variables() -> dict:
    graph = get_default_graph()
    out = {}
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES):
        for v in graph.get_collection(key):
            out.setdefault(v.op.name, v)
    return out


def _slice_info(v):
    return getattr(v, "_save_slice_info", None)


def _full_name(v) -> str:
    """The variable's checkpoint name: a part's is its partitioned variable's (TF's
    ``_infer_var_name``), so ``new/emb/part_0`` is under ``new/emb``."""
    info = _slice_info(v)
    return v.op.name if info is None else info.full_name


def _partitioned(graph_vars: dict) -> dict:
    """{full name: its parts by offset} of the partitioned variables among ``graph_vars``."""
    groups = {}
    for v in graph_vars.values():
        if _slice_info(v) is not None:
            groups.setdefault(_slice_info(v).full_name, []).append(v)
    return {n: sorted(p, key=lambda v: _slice_info(v).var_offset) for n, p in groups.items()}


def _parts(variables, ckpt_name) -> list:
    """A list of Variables given as one target: the parts of one partitioned variable."""
    parts = list(variables)
    for v in parts:
        if _slice_info(v) is None:
            raise ValueError(f"assignment_map: {v.op.name} (in the list for {ckpt_name!r}) is "
                             "not a part of a partitioned variable; map it by itself")
        if _slice_info(v).full_name != _slice_info(parts[0]).full_name:
            raise ValueError(f"Slices must all be from the same tensor: "
                             f"{_slice_info(parts[0]).full_name} != {_slice_info(v).full_name}")
    return parts


def init_from_checkpoint(ckpt_dir_or_file, assignment_map):
    """Replaces the initializers of the variables ``assignment_map`` names with the
    checkpoint's values, as TF1 does: run it before building ``global_variables_initializer``.

    ``assignment_map`` maps checkpoint names to graph names, as TF's forms:
    ``{"old/": "new/"}`` (every graph variable under ``new/`` from ``old/<rest>``),
    ``{"/": "new/"}`` or ``{"/": "/"}`` (from the checkpoint's root), ``{"old/w": "new/w"}``
    and ``{"old/w": variable}``. A checkpoint name that is missing, or a shape or dtype that
    differs, is a ValueError naming both.

    Partitioned variables, as TF: a name (``"new/emb"``) or a list of its parts names one, a
    scope covers it whole, and each part starts from its block of the checkpoint's tensor
    (saved whole or in any partitioning). From a TensorFlow-format checkpoint each part's
    initializer is TF's ``RestoreV2`` of its slice, so a full shape or dtype that differs is
    TF's InvalidArgumentError when it runs; from minitf's .npz (which no op reads) the blocks
    are taken now, and the same InvalidArgumentError is raised here.
    """
    from ..partitioned_variables import PartitionedVariable
    from .checkpoint_reader import _resolve
    from .saver import _region, load_checkpoint

    reader = load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    graph_vars = _graph_variables()
    partitioned = _partitioned(graph_vars)
    pairs = []  # (variable or list of parts, checkpoint name)
    for ckpt_name, current in assignment_map.items():
        if isinstance(current, Variable):
            pairs.append((current, ckpt_name.rstrip("/")))
            continue
        if isinstance(current, (list, tuple)) and current and \
                all(isinstance(v, Variable) for v in current):
            pairs.append((_parts(current, ckpt_name), ckpt_name))
            continue
        if isinstance(current, PartitionedVariable):  # TF fails on it too (a TypeError)
            raise TypeError(f"assignment_map values must be variable names, Variables or lists "
                            f"of a partitioned variable's parts, got the PartitionedVariable "
                            f"{current.name!r} for {ckpt_name!r}: map its name or list(it)")
        if not isinstance(current, str):
            raise TypeError(f"assignment_map values must be variable names or Variables, got "
                            f"{current!r} for {ckpt_name!r}")
        if current.endswith("/") or current == "/":  # a scope: every variable under it
            if not ckpt_name.endswith("/"):
                raise ValueError(f"Assignment map with scope only name {current} should map "
                                 f"to scope only {ckpt_name}. Should be 'scope/': "
                                 "'other_scope/'.")
            scope = "" if current == "/" else current
            prefix = "" if ckpt_name == "/" else ckpt_name
            names = sorted({_full_name(v) for v in graph_vars.values()})
            matched = [(graph_vars[name] if name in graph_vars else partitioned[name],
                        prefix + name[len(scope):]) for name in names if name.startswith(scope)]
            if not matched:
                raise ValueError(f"assignment_map: no variables in the graph under scope "
                                 f"{current!r}")
            pairs.extend(matched)
        else:
            var = graph_vars[current] if current in graph_vars else partitioned.get(current)
            if var is None:
                raise ValueError(f"assignment_map: {current!r} is not a variable of the graph")
            pairs.append((var, ckpt_name))
    bundle = reader._bundle is not None
    for var, name in pairs:
        graph_name = _full_name(var[0]) if isinstance(var, list) else var.op.name
        if name not in shapes:
            raise ValueError(f"Tensor {name} ({graph_name} in the graph) is not found in "
                             f"{ckpt_dir_or_file} checkpoint")
        if not isinstance(var, list):
            if not var.shape.is_compatible_with(shapes[name]):
                raise ValueError(f"Shape of variable {var.op.name} ({var.shape}) doesn't match "
                                 f"with shape of tensor {name} ({shapes[name]}) from checkpoint "
                                 "reader.")
        elif not bundle:  # RestoreV2's checks (TF makes them when the initializer runs)
            _check_block_source(name, var, shapes[name],
                                reader.get_variable_to_dtype_map()[name], ckpt_dir_or_file)
    for var, name in pairs:
        if isinstance(var, list) and bundle:
            prefix = _resolve(str(ckpt_dir_or_file))
            for part in var:
                _restore_initializer(part, prefix, name, _slice_info(part).spec)
            continue
        value = np.asarray(reader.get_tensor(name))
        for v in var if isinstance(var, list) else [var]:
            if value.dtype != np.dtype(v.dtype.as_numpy_dtype):
                raise ValueError(f"Variable {v.op.name} is {v.dtype.name}, but tensor {name} in "
                                 f"{ckpt_dir_or_file} is {value.dtype}")
            info = _slice_info(v) if isinstance(var, list) else None
            block = value if info is None else value[_region(info.var_offset, info.var_shape)]
            _initialize_from(v, block, name)


def _check_block_source(name, parts, shape, dtype, ckpt_dir_or_file):
    """RestoreV2's checks of a partitioned variable's tensor, with its messages."""
    from .. import dtypes as _dt
    from ..errors import InvalidArgumentError
    from ..ops.checkpoint_ops import _tf_type_name
    from . import tensor_bundle

    full = _slice_info(parts[0]).full_shape
    if list(full) != list(shape):
        raise InvalidArgumentError(
            None, None, f"tensor_name = {name}; shape in shape_and_slice spec "
            f"[{','.join(map(str, full))}] does not match the shape stored in checkpoint: "
            f"[{','.join(map(str, shape))}]")
    want = parts[0].dtype.base_dtype
    if dtype != want:
        def tf_name(d):
            return _tf_type_name(_dt.as_dtype(d).as_datatype_enum, tensor_bundle)

        raise InvalidArgumentError(
            None, None, f"tensor_name = {name}; expected dtype {tf_name(want)} does not equal "
            f"original dtype {tf_name(dtype)} (checkpoint {ckpt_dir_or_file}, variable "
            f"{_full_name(parts[0])})")


def _initialize_from(var: Variable, value: np.ndarray, ckpt_name: str):
    from ..ops import state_ops
    from ..ops.array_ops import constant

    graph = var.op.graph
    with graph.as_default(), name_scope(var.op.name + "/"), name_scope("init_from_checkpoint"):
        init = constant(value, name=ckpt_name.replace("/", "_"))
        var._initial_value = init
        var._initializer_op = state_ops.assign(var._variable, init).op


def _restore_initializer(var: Variable, prefix: str, ckpt_name: str, spec: str):
    """TF's ``_set_checkpoint_initializer``: the part starts from ``RestoreV2`` of its block
    (``spec``) of ``ckpt_name``, read when the initializer runs."""
    from ..ops import state_ops
    from ..ops.array_ops import constant
    from ..ops.checkpoint_ops import RESTORE_V2

    with var.op.graph.as_default():
        init = RESTORE_V2(constant(prefix), constant([ckpt_name]), constant([spec]),
                          dtypes=[var.dtype.base_dtype], name="checkpoint_initializer")
        var._initial_value = init
        var._initializer_op = state_ops.assign(var._variable, init).op


# -- checkpoint files and the ``checkpoint`` state file (TF1's checkpoint_management) ----------
def wait_for_new_checkpoint(checkpoint_dir, last_checkpoint=None, seconds_to_sleep=1,
                            timeout=None):
    """The newest checkpoint of ``checkpoint_dir`` once it differs from ``last_checkpoint``;
    None if ``timeout`` seconds pass first."""
    from .saver import latest_checkpoint

    stop = None if timeout is None else time.monotonic() + timeout
    while True:
        path = latest_checkpoint(checkpoint_dir)
        if path is not None and path != last_checkpoint:
            return path
        if stop is not None and time.monotonic() + seconds_to_sleep > stop:
            return None
        time.sleep(seconds_to_sleep)


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Yields each new checkpoint of ``checkpoint_dir`` as it appears (at most one per
    ``min_interval_secs``); stops after ``timeout`` seconds without one, unless ``timeout_fn``
    returns False (then keeps waiting), as TF1's evaluation loops use it."""
    path = None
    while True:
        new = wait_for_new_checkpoint(checkpoint_dir, path, timeout=timeout)
        if new is None:
            if timeout_fn is None or timeout_fn():
                return
            continue
        start = time.monotonic()
        path = new
        yield path
        wait = start + min_interval_secs - time.monotonic()
        if wait > 0:
            time.sleep(wait)


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=2, meta_graph_suffix="meta"):
    """Deletes checkpoint ``checkpoint_prefix``'s files (either format) and its meta graph."""
    from .saver import _remove

    _remove(checkpoint_prefix)
    for f in (f"{checkpoint_prefix}.{meta_graph_suffix}",) + (
            (str(checkpoint_prefix),) if checkpoint_format_version == 1 else ()):
        try:
            os.unlink(f)
        except (FileNotFoundError, IsADirectoryError):
            pass


def get_checkpoint_mtimes(checkpoint_prefixes) -> list:
    """The modification times of the checkpoints that exist among ``checkpoint_prefixes``
    (their first file: the .npz or the TF index), in order; missing ones are skipped."""
    from .saver import _checkpoint_files

    out = []
    for prefix in checkpoint_prefixes:
        files = _checkpoint_files(prefix)
        if files:
            out.append(os.path.getmtime(files[0]))
    return out


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None, all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None):
    """Writes ``save_dir``'s ``checkpoint`` file (or ``latest_filename``) naming
    ``model_checkpoint_path`` as the latest; it is appended to ``all_model_checkpoint_paths``
    if not already their last, as TF1 does."""
    from .saver import _write_state

    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    if latest_filename == "checkpoint_temp":  # TF1 reserves it for its own atomic writes
        raise RuntimeError(f"Save path '{model_checkpoint_path}' conflicts with path used for "
                           "checkpoint state.  Please use a different save path.")
    _write_state(save_dir, model_checkpoint_path, paths, latest_filename or "checkpoint")


# -- warm starting ---------------------------------------------------------------------------
class VocabInfo(collections.namedtuple("VocabInfo", [
        "new_vocab", "new_vocab_size", "num_oov_buckets", "old_vocab", "old_vocab_size",
        "backup_initializer", "axis"])):
    """A vocabulary remapping for ``warm_start`` (accepted; remapping itself is not
    supported: warm_start raises UnimplementedError when given one)."""

    def __new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab, old_vocab_size=-1,
                backup_initializer=None, axis=0):
        if axis not in (0, 1):
            raise ValueError("The only supported values for the axis argument are 0 and 1.  "
                             f"Provided axis: {axis}")
        return super().__new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab,
                               old_vocab_size, backup_initializer, axis)


def warm_start(ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
               var_name_to_prev_var_name=None):
    """Starts the chosen variables (a regex over trainable variables, a list of regexes over
    global ones, or Variables) from a checkpoint's values: init_from_checkpoint underneath,
    as tf.estimator's WarmStartSettings."""
    from ..estimator.warm_starting import WarmStartSettings, _warm_start

    _warm_start(WarmStartSettings(ckpt_to_initialize_from, vars_to_warm_start,
                                  var_name_to_vocab_info, var_name_to_prev_var_name))
