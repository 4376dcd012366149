"""TF1 root names built from what minitf has: ``tf.switch_case`` (nested tf.cond), the gradient
wrappers ``tf.grad_pass_through`` and ``tf.recompute_grad`` (tf.custom_gradient), the array
composite ``tf.required_space_to_batch_paddings``, ``tf.is_symbolic_tensor``, the casts
``tf.to_complex64`` / ``tf.to_complex128``, and the op wrappers of core/ops/misc_extra_ops.py
(``tf.py_function``, ``tf.timestamp``, ``tf.guarantee_const``, ``tf.extract_volume_patches``).
``tf.DeviceSpec`` and ``tf.create_partitioned_variables`` are in core/tf1_misc_more.py.

Where TF 2.21 builds a functional op (switch_case's Case, whose branches are functions), minitf
builds TF1's graph form of the same thing (Switch/Merge): same values, same gradients, same
errors at graph construction.
"""

from __future__ import annotations

import functools

import numpy as np

from . import dtypes as _dt
from .control_flow import case
from .custom_gradient import custom_gradient
from .errors import InvalidArgumentError
from .gradients import gradients
from .graph import (Operation, Tensor, constant_value, control_dependencies,
                    convert_to_tensor, name_scope)
from .nest_util import describe, flatten, pack, structure
from .ops.array_ops import constant, identity, zeros, zeros_like
from .ops.concat_split_ops import stack
from .ops.logic_ops import equal
from .ops.math_ops import cast, floormod
from .ops.misc_extra_ops import (extract_volume_patches, guarantee_const, py_function,
                                 timestamp)
from .tensor_conversion import register_tensor_conversion_function
from .tf1_misc_more import DeviceSpec, create_partitioned_variables
from .variables import get_variable_scope, variable_scope

__all__ = ["switch_case", "py_function", "timestamp", "guarantee_const", "grad_pass_through",
           "recompute_grad", "extract_volume_patches", "required_space_to_batch_paddings",
           "is_symbolic_tensor", "to_complex64", "to_complex128", "create_partitioned_variables",
           "DeviceSpec", "register_tensor_conversion_function"]


# -- switch_case ---------------------------------------------------------------------------------


def _branch_list(branch_fns, default, branch_index) -> list:
    """TF's _indexed_case_verify_and_canonicalize_args: the branch functions by key (default
    last), with TF's errors."""
    if not isinstance(branch_index, Tensor):
        raise TypeError(f"'branch_index' must be a Tensor, got {type(branch_index)}")
    if not branch_index.dtype.is_integer:
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype!r}")
    if not branch_fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    if not isinstance(branch_fns, (list, tuple, dict)):
        raise TypeError("'branch_fns' must be a list, tuple, or dict")
    if isinstance(branch_fns, dict):
        branch_fns = list(branch_fns.items())
    if all(callable(fn) for fn in branch_fns):
        branch_fns = list(enumerate(branch_fns))
    for pair in branch_fns:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'branch_fns' must be a 2-tuple. Received {pair}.")
        key, fn = pair
        if not isinstance(key, int):
            raise TypeError(f"key must be a Python `int`, got {type(key)}")
        if not callable(fn):
            raise TypeError(f"fn for key {key} must be callable.")
    keys = [k for k, _ in branch_fns]
    if min(keys) < 0 or max(keys) >= len(keys) or len(set(keys)) != len(keys):
        raise ValueError(f"branch indices (keys) must form contiguous range of [0 to "
                         f"{len(keys)}) but found {{{','.join(map(str, sorted(keys)))}}}")
    actions = [fn for _, fn in sorted(branch_fns, key=lambda pair: pair[0])]
    if default is not None:
        if not callable(default):
            raise TypeError("'default' must be callable.")
        actions.append(default)
    return actions


def _same_outputs(fns: list, branch_index) -> tuple[list, list]:
    """The branch functions as TF's Case branch functions see them, and a list that holds
    branch 0's result once it has run. Each returns its flat non-None results; a Python value
    becomes a tensor and an Operation becomes ``branch_index`` once the op has run (TF's
    ``op_return_value``); a None result stays None and gives no output. Each checks its
    results against branch 0's with TF's errors (structure and dtypes: TypeError; the number
    of outputs: ValueError). With no output at all, a branch gives a stand-in that
    switch_case drops (TF's Case then has no outputs and switch_case returns the Nones)."""
    first: list = []

    def output(v):
        if v is None:
            return None
        if isinstance(v, Operation):
            with control_dependencies([v]):
                return identity(branch_index)
        return convert_to_tensor(v)

    def checked(k, fn):
        def run():
            result = fn()
            result = pack(result, iter([output(v) for v in flatten(result)]))
            tensors = [t for t in flatten(result) if t is not None]
            if not first:
                first.append(result)
                return tensors or [identity(branch_index)]
            ref = first[0]
            ref_tensors = [t for t in flatten(ref) if t is not None]
            if structure(ref) != structure(result):
                _mismatch(k, ref, result)
            if len(ref_tensors) != len(tensors):
                raise ValueError("Lengths of branch outputs of case must match.\n"
                                 f"len(graphs[0].outputs): {len(ref_tensors)}\n"
                                 f"len(graphs[{k}].outputs): {len(tensors)}\n")
            if any(a.dtype.base_dtype != b.dtype.base_dtype
                   for a, b in zip(ref_tensors, tensors)):
                _mismatch(k, ref, result)
            return tensors or [identity(branch_index)]
        return run

    return [checked(k, fn) for k, fn in enumerate(fns)], first


def _mismatch(k, ref, result):
    raise TypeError(f"branches[0] and branches[{k}] arguments to tf.switch_case must have the "
                    "same number, type, and overall structure of return values.\n\n"
                    f"branches[0] output: {describe(ref)} {_dtypes(ref)}\n"
                    f"branches[{k}] output: {describe(result)} {_dtypes(result)}")


def _dtypes(result) -> list:
    return [None if t is None else t.dtype.name for t in flatten(result)]


def _repacked(ref, outputs: list):
    """Branch 0's structure with its tensors replaced by ``outputs`` (its Nones kept)."""
    it = iter(outputs)
    return pack(ref, iter([None if v is None else next(it) for v in flatten(ref)]))


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """``tf.switch_case``: the results of ``branch_fns[branch_index]()``, decided when the graph
    runs; an index out of range runs ``default``, or the last branch without one. ``branch_fns``
    is a list of functions, or (key, function) pairs / a dict with keys 0..n-1. Every branch
    must return the same structure and dtypes; results keep their structure (a one-element
    list stays a list). As in TF, a branch may return an Operation (the result is then
    ``branch_index``, once the op has run) or None (the result stays None). Gradients flow
    through the branch taken."""
    actions = _branch_list(branch_fns, default, branch_index)
    with name_scope(name, "case", [branch_index]):
        if branch_index.dtype != _dt.int32:  # the Case op's branch_index is int32
            raise TypeError(f"Input 'branch_index' of 'Case' Op has type "
                            f"{branch_index.dtype.name} that does not match expected type of "
                            "int32.")
        rank = branch_index.shape.rank
        if rank not in (None, 0):  # TF's run-time error, known here already
            raise InvalidArgumentError(None, None, "branch_index must be a scalar, but it has "
                                       f"shape {branch_index.shape}")
        fns, first = _same_outputs(actions, branch_index)
        if len(fns) == 1:
            outputs = [identity(t) for t in fns[0]()]
        else:
            pairs = [(equal(branch_index, k), fn) for k, fn in enumerate(fns[:-1])]
            outputs = case(pairs, default=fns[-1], exclusive=False, strict=True,
                           name="indexed_case")
        return _repacked(first[0], outputs)


# -- gradient wrappers ---------------------------------------------------------------------------


def grad_pass_through(f):
    """``tf.grad_pass_through(f)``: a function with ``f``'s values whose gradient is the
    identity's (each result's gradient goes to the argument in its place; variables ``f``
    reads get none). ``f`` must return as many results as it takes arguments."""

    @custom_gradient
    def _grad_pass_through_op(*args):
        def grad(*dys, variables=None):
            if variables is not None:
                return list(dys), [None] * len(variables)
            return list(dys)
        return f(*args), grad

    return functools.wraps(f)(_grad_pass_through_op)


def recompute_grad(f):
    """``tf.recompute_grad(f)``: ``f``'s values and gradients, but the gradient computation
    calls ``f`` again (after the incoming gradients exist) instead of keeping its intermediate
    values, as TF's graph mode does. ``f`` runs again in the variable scope it first ran in,
    without reuse: a ``tf.get_variable`` inside it fails there, as in TF (use AUTO_REUSE)."""

    @custom_gradient
    def inner(*args):
        scope = get_variable_scope()
        result = f(*args)

        def grad(*dresult, variables=None):
            live = [d for d in dresult if d is not None]
            with control_dependencies(live[:1]):  # recompute only once the gradient is there
                id_args = [identity(a) for a in args]
            with variable_scope(scope):
                recomputed = flatten(f(*id_args))
            pairs = [(y, dy) for y, dy in zip(recomputed, dresult) if dy is not None]
            xs = id_args + list(variables or [])
            grads = gradients([y for y, _ in pairs], xs, grad_ys=[dy for _, dy in pairs],
                              unconnected_gradients="zero") if pairs else \
                [_zeros_like_or_none(x) for x in xs]
            if variables:
                return grads[:len(args)], grads[len(args):]
            return grads[:len(args)]

        return result, grad

    return functools.wraps(f)(inner)


def _zeros_like_or_none(x):
    x = convert_to_tensor(x)
    return zeros_like(x) if x.dtype.is_floating or x.dtype.is_complex else None


# -- small composites ----------------------------------------------------------------------------


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """``tf.required_space_to_batch_paddings``: (paddings, crops) for space_to_batch_nd that
    make ``input_shape`` (plus ``base_paddings``) divisible by ``block_shape``; computed now
    when all three are constant, as TF's. ``pad_end_extra = (block - full % block) % block``."""
    with name_scope(name, "required_space_to_batch_paddings", [input_shape, block_shape]):
        input_shape = convert_to_tensor(input_shape, dtype=_dt.int32, name="input_shape")
        block_shape = convert_to_tensor(block_shape, dtype=_dt.int32, name="block_shape")
        if not block_shape.shape.is_fully_defined():
            raise ValueError(f"Shape {block_shape.shape} is not fully defined")
        if block_shape.shape.rank != 1:
            raise ValueError(f"Shape {block_shape.shape} must have rank 1")
        num_block_dims = block_shape.shape.as_list()[0]
        if num_block_dims == 0:
            return zeros([0, 2], _dt.int32), zeros([0, 2], _dt.int32)
        if not input_shape.shape.is_compatible_with([num_block_dims]):
            raise ValueError(f"Shapes {input_shape.shape} and ({num_block_dims},) are "
                             "incompatible")
        if base_paddings is not None:
            base_paddings = convert_to_tensor(base_paddings, dtype=_dt.int32,
                                              name="base_paddings")
            if not base_paddings.shape.is_compatible_with([num_block_dims, 2]):
                raise ValueError(f"Shapes {base_paddings.shape} and ({num_block_dims}, 2) are "
                                 "incompatible")
        else:
            base_paddings = zeros([num_block_dims, 2], _dt.int32)
        values = [constant_value(t) for t in (block_shape, input_shape, base_paddings)]
        if all(v is not None for v in values):
            block, shape, base = (np.asarray(v, np.int32) for v in values)
            pad_start, orig_pad_end = base[:, 0], base[:, 1]
            extra = (block - (shape + pad_start + orig_pad_end) % block) % block
            return (constant(np.stack([pad_start, orig_pad_end + extra], 1), name="paddings"),
                    constant(np.stack([np.zeros_like(extra), extra], 1), name="crops"))
        pad_start, orig_pad_end = base_paddings[:, 0], base_paddings[:, 1]
        full = input_shape + pad_start + orig_pad_end
        extra = floormod(block_shape - floormod(full, block_shape), block_shape)
        pad_end = orig_pad_end + extra
        paddings = stack([stack([pad_start[i], pad_end[i]]) for i in range(num_block_dims)],
                         name="paddings")
        crops = stack([stack([constant(0), extra[i]]) for i in range(num_block_dims)],
                      name="crops")
        return paddings, crops


def is_symbolic_tensor(tensor) -> bool:
    """``tf.is_symbolic_tensor``: whether ``tensor`` is a graph Tensor (not a Variable, a
    numpy value or a Python number)."""
    return isinstance(tensor, Tensor)


def to_complex64(x, name="ToComplex64"):
    """Deprecated ``tf.cast(x, tf.complex64)`` (a Cast node named ToComplex64)."""
    return cast(x, _dt.complex64, name=name)


def to_complex128(x, name="ToComplex128"):
    """Deprecated ``tf.cast(x, tf.complex128)`` (a Cast node named ToComplex128)."""
    return cast(x, _dt.complex128, name=name)
