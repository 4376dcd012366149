"""``tf.train.init_from_checkpoint`` and ``warm_start``: variables start from a checkpoint's
values (fine-tuning a pretrained model) instead of their initializers; and TF1's checkpoint
file management (``checkpoints_iterator``, ``remove_checkpoint``, ``get_checkpoint_mtimes``,
``update_checkpoint_state``)."""

from __future__ import annotations

import collections
import os
from collections.abc import Mapping
import time

import numpy as np

from ..graph import get_default_graph, name_scope
from ..variables import Variable


def _store_variables() -> dict:
    """{name: Variable} of the default graph's variable store: what ``get_variable`` made (a
    partitioned variable's parts as ``name/part_<i>``). TF's assignment_map resolves names and
    scopes here only, never among ``tf.Variable``'s, which a map names by the object."""
    store = get_default_graph()._variable_store
    return {} if store is None else dict(store.vars)


def _slice_info(v):
    return getattr(v, "_save_slice_info", None)


def _full_name(v) -> str:
    """The variable's checkpoint name: a part's is its partitioned variable's (TF's
    ``_infer_var_name``), so ``new/emb/part_0`` is under ``new/emb``."""
    info = _slice_info(v)
    return v.op.name if info is None else info.full_name


def _store_partitioned(name: str, store_vars: dict):
    """TF's ``_collect_partitioned_variable``: the parts ``name/part_0``, ``name/part_1``...
    of the store, in order; None when it has no ``name/part_0``."""
    parts = []
    while f"{name}/part_{len(parts)}" in store_vars:
        parts.append(store_vars[f"{name}/part_{len(parts)}"])
    return parts or None


def _scope_pairs(ckpt_dir_or_file, ckpt_name: str, current: str, store_vars: dict,
                 shapes: dict) -> list:
    """TF's scope mapping, as its ``_init_from_checkpoint`` reads a name the store does not
    hold: the scope is ``current`` up to its last ``/`` (all of the store for none); each store
    variable under it (a partitioned one whole) starts from ``ckpt_name`` + the rest of its
    name. A scope that holds no variable maps nothing, as TF."""
    scope = current[:current.rindex("/")] if "/" in current else ""
    if not ckpt_name.endswith("/"):
        raise ValueError(f"Assignment map with scope only name {scope} should map to scope "
                         f"only {ckpt_name}. Should be 'scope/': 'other_scope/'.")
    names = set()
    for name in store_vars:
        if not scope or name.startswith(scope + "/"):
            names.add(name[:name.index("/part_")] if "/part_" in name else name)
    pairs = []
    for name in sorted(names):
        # TF's arithmetic, quirks included: without a scope ("old/": "x") the first
        # character of each name is dropped, as TF drops it.
        full = name[len(scope):]
        if current != "/":
            full = full[1:]
        if ckpt_name != "/":
            full = ckpt_name + full
        full = full.removesuffix("/")
        if full not in shapes:
            raise ValueError(f"Tensor {full} ({name[len(scope) + 1:]} in {ckpt_name}) is not "
                             f"found in {ckpt_dir_or_file} checkpoint")
        var = store_vars.get(name)
        if var is None:
            var = _store_partitioned(name, store_vars)
        if var is not None:  # None: a name with "/part_" that is no partitioned variable's
            pairs.append((var, full))
    return pairs


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
    ``{"old/": "new/"}`` (every variable under ``new/`` from ``old/<rest>``),
    ``{"/": "new/"}`` or ``{"/": "/"}`` (from the checkpoint's root), ``{"old/w": "new/w"}``
    and ``{"old/w": variable}``. Names and scopes, as TF's, are looked up among the variables
    ``get_variable`` made (the variable store): a ``tf.Variable`` is mapped by the object, and
    a scope holding no such variable maps nothing. A checkpoint name that is missing, or a
    shape or dtype that differs, is a ValueError naming both.

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
    store_vars = _store_variables()
    pairs = []  # (variable or list of parts, checkpoint name)
    items = assignment_map.items() if isinstance(assignment_map, Mapping) else assignment_map
    for ckpt_name, current in sorted(items, key=lambda kv: kv[0]):
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
        # A name get_variable made (or a partitioned variable's); anything else is a scope.
        var = store_vars.get(current)
        if var is None:
            var = _store_partitioned(current, store_vars)
        if var is not None:
            pairs.append((var, ckpt_name))
        else:
            pairs.extend(_scope_pairs(ckpt_dir_or_file, ckpt_name, current, store_vars, shapes))
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
