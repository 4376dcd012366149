"""``tf.contrib.framework`` (TF 1.x): arg scopes, the model-variable API slim is built on, and
the tensor helpers TF1 re-exported there.

Everything is a thin layer over minitf's core (``tf.get_variable``, collections, the global-step
functions, checkpoint readers), as TF 1.x's contrib was over TF's core: variables made here are
ordinary variables in the ordinary collections.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re

import numpy as np

from .. import dtypes as _dt
from ..array_extra import convert_to_tensor_or_sparse_tensor, is_tensor  # noqa: F401
from ..graph import (GraphKeys, add_to_collection, control_dependencies,
                     convert_to_tensor, device, get_collection, get_default_graph, name_scope)
from ..ops import array_ops, logging_ops, logic_ops, math_ops, reduction_ops
from ..tf1_misc_more import DeviceSpec
from ..train import step as _step
from ..train.checkpoint_reader import (NewCheckpointReader, list_variables,  # noqa: F401
                                       load_checkpoint, load_variable)
from ..train.checkpoint_utils import init_from_checkpoint  # noqa: F401
from ..variables import (VariableAggregation, VariableScope, VariableSynchronization,
                         get_variable, get_variable_scope)
from .arg_scope import (add_arg_scope, arg_scope, arg_scope_func_key,  # noqa: F401
                        arg_scoped_arguments, current_arg_scope, has_arg_scope)
from . import framework_nest as nest  # noqa: F401 - tf.nest and the rest of TF's nest
from .framework_extra import *  # noqa: F403 - tensor checks, deprecation, smart_cond, ...
from .framework_extra import __all__ as _extra_all

__all__ = [
    # arg scopes
    "add_arg_scope", "arg_scope", "arg_scope_func_key", "arg_scoped_arguments",
    "current_arg_scope", "has_arg_scope",
    # variables
    "VariableDeviceChooser", "add_model_variable", "assert_global_step",
    "assert_or_get_global_step", "assign_from_checkpoint", "assign_from_checkpoint_fn",
    "assign_from_values", "assign_from_values_fn", "create_global_step", "filter_variables",
    "get_global_step", "get_local_variables", "get_model_variables",
    "get_or_create_global_step", "get_trainable_variables", "get_unique_variable",
    "get_variable_full_name", "get_variables", "get_variables_by_name",
    "get_variables_by_suffix", "get_variables_to_restore", "global_variable", "local_variable",
    "model_variable", "variable",
    # re-exports and tensor helpers
    "convert_to_tensor_or_sparse_tensor", "get_name_scope", "init_from_checkpoint",
    "is_tensor", "list_variables", "load_checkpoint", "load_variable", "nest", "reduce_sum_n",
    "with_shape",
    # framework_extra (not slim's: slim took only arg scopes and variables)
    *_extra_all,
]

_log = logging.getLogger("minitf")


# -- global step ----------------------------------------------------------------------------------

def assert_global_step(global_step_tensor):
    """TF's ``tf.contrib.framework.assert_global_step`` (``tf.train.assert_global_step``)."""
    _step.assert_global_step(global_step_tensor)


def get_global_step(graph=None):
    """TF's ``tf.contrib.framework.get_global_step`` (``tf.train.get_global_step``)."""
    return _step.get_global_step(graph)


def create_global_step(graph=None):
    """TF's ``tf.contrib.framework.create_global_step``; ValueError if one exists."""
    return _step.create_global_step(graph)


def get_or_create_global_step(graph=None):
    """TF's ``tf.contrib.framework.get_or_create_global_step``."""
    return _step.get_or_create_global_step(graph)


def assert_or_get_global_step(graph=None, global_step_tensor=None):
    """TF's ``assert_or_get_global_step``: checks the given step, or finds the graph's."""
    if global_step_tensor is None:
        return get_global_step(graph)
    assert_global_step(global_step_tensor)
    return global_step_tensor


# -- creating variables ---------------------------------------------------------------------------

def local_variable(initial_value, validate_shape=True, name=None, use_resource=None):
    """TF's ``local_variable``: a non-trainable variable in LOCAL_VARIABLES only."""
    from ..variables import Variable

    return Variable(initial_value, trainable=False, collections=[GraphKeys.LOCAL_VARIABLES],
                    validate_shape=validate_shape, name=name, use_resource=use_resource)


def global_variable(initial_value, validate_shape=True, name=None, use_resource=None):
    """TF's ``global_variable``: a non-trainable variable in GLOBAL_VARIABLES only."""
    from ..variables import Variable

    return Variable(initial_value, trainable=False, collections=[GraphKeys.GLOBAL_VARIABLES],
                    validate_shape=validate_shape, name=name, use_resource=use_resource)


@add_arg_scope
def variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True,
             collections=None, caching_device=None, device=None, partitioner=None,
             custom_getter=None, use_resource=None,
             synchronization=VariableSynchronization.AUTO,
             aggregation=VariableAggregation.NONE):
    """TF's ``tf.contrib.framework.variable``: ``tf.get_variable`` placed on ``device`` (a
    string or a function of the op), in ``collections`` (default GLOBAL_VARIABLES)."""
    collections = list(dict.fromkeys(
        collections if collections is not None else [GraphKeys.GLOBAL_VARIABLES]))
    getter = get_variable
    if custom_getter is not None:
        getter = functools.partial(custom_getter, reuse=get_variable_scope().reuse)
    with _device_scope(device):
        return getter(name, shape=shape, dtype=dtype, initializer=initializer,
                      regularizer=regularizer, trainable=trainable, collections=collections,
                      caching_device=caching_device, partitioner=partitioner,
                      use_resource=use_resource, synchronization=synchronization,
                      aggregation=aggregation)


def _device_scope(dev):
    """``tf.device(dev)``, or nothing for no device. A device function sees the variable op
    alone: its initializer, Assign and read sit with it (colocated), as in TF 1.x, so a
    round-robin chooser advances one task per variable."""
    return device(dev) if dev else contextlib.nullcontext()


@add_arg_scope
def model_variable(name, shape=None, dtype=_dt.float32, initializer=None, regularizer=None,
                   trainable=True, collections=None, caching_device=None, device=None,
                   partitioner=None, custom_getter=None, use_resource=None,
                   synchronization=VariableSynchronization.AUTO,
                   aggregation=VariableAggregation.NONE):
    """TF's ``model_variable``: a ``variable`` also in GLOBAL_VARIABLES and MODEL_VARIABLES."""
    collections = list(collections or [])
    collections += [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
    return variable(name, shape=shape, dtype=dtype, initializer=initializer,
                    regularizer=regularizer, trainable=trainable, collections=collections,
                    caching_device=caching_device, device=device, partitioner=partitioner,
                    custom_getter=custom_getter, use_resource=use_resource,
                    synchronization=synchronization, aggregation=aggregation)


def add_model_variable(var):
    """TF's ``add_model_variable``: adds ``var`` to MODEL_VARIABLES once."""
    if var not in get_collection(GraphKeys.MODEL_VARIABLES):
        add_to_collection(GraphKeys.MODEL_VARIABLES, var)


# -- finding variables ----------------------------------------------------------------------------

def get_variables(scope=None, suffix=None, collection=GraphKeys.GLOBAL_VARIABLES):
    """TF's ``get_variables``: the collection's variables whose name matches ``scope`` (a
    regex prefix or a VariableScope) and ends with ``suffix``."""
    if scope and isinstance(scope, VariableScope):
        scope = scope.name
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        scope = (scope or "") + ".*" + suffix
    return get_collection(collection, scope)


def get_model_variables(scope=None, suffix=None):
    """TF's ``get_model_variables``: ``get_variables`` over MODEL_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


def get_local_variables(scope=None, suffix=None):
    """TF's ``get_local_variables``: ``get_variables`` over LOCAL_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
    """TF's ``get_trainable_variables``: ``get_variables`` over TRAINABLE_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_to_restore(include=None, exclude=None):
    """TF's ``get_variables_to_restore``: global variables under the ``include`` scopes and
    not under the ``exclude`` scopes (each a list or tuple)."""
    if include is None:
        vars_to_include = get_variables()
    else:
        if not isinstance(include, (list, tuple)):
            raise TypeError("include is provided but is not a list or a tuple.")
        vars_to_include = [v for scope in include for v in get_variables(scope)]
    vars_to_exclude = set()
    if exclude is not None:
        if not isinstance(exclude, (list, tuple)):
            raise TypeError("exclude is provided but is not a list or a tuple.")
        for scope in exclude:
            vars_to_exclude |= set(get_variables(scope))
    return [v for v in vars_to_include if v not in vars_to_exclude]


def get_variables_by_suffix(suffix, scope=None):
    """TF's ``get_variables_by_suffix``."""
    return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name, scope=None):
    """TF's ``get_variables_by_name``: variables whose last name component is ``given_name``."""
    suffix = "/" + given_name + ":|^" + given_name + ":"
    return get_variables(scope=scope, suffix=suffix)


def get_unique_variable(var_op_name):
    """TF's ``get_unique_variable``: the global variable whose op is named ``var_op_name``."""
    candidates = get_variables(scope=var_op_name)
    if not candidates:
        raise ValueError(f"Couldn't find variable {var_op_name}")
    for candidate in candidates:
        if candidate.op.name == var_op_name:
            return candidate
    raise ValueError(f"Variable {var_op_name} does not uniquely identify a variable")


def get_variable_full_name(var):
    """TF's ``get_variable_full_name``: the checkpoint name (a partition's whole variable)."""
    info = getattr(var, "_save_slice_info", None)
    return info.full_name if info else var.op.name


def filter_variables(var_list, include_patterns=None, exclude_patterns=None, reg_search=True):
    """TF's ``filter_variables``: keeps variables whose name matches any include regex and no
    exclude regex (``re.search``, or ``re.match`` when ``reg_search`` is False)."""
    find = re.search if reg_search else re.match
    kept = list(var_list) if include_patterns is None else [
        v for v in var_list if any(find(p, v.name) for p in include_patterns)]
    if exclude_patterns is None:
        return kept
    return [v for v in kept if not any(find(p, v.name) for p in exclude_patterns)]


# -- assigning variables --------------------------------------------------------------------------

def _placeholder_assign(var):
    placeholder = array_ops.placeholder(var.dtype.base_dtype, shape=var.get_shape(),
                                        name="placeholder/" + var.op.name)
    return placeholder, var.assign(placeholder)


def assign_from_values(var_names_to_values):
    """TF's ``assign_from_values``: (an op assigning each named global variable through a
    placeholder, the feed_dict holding the values)."""
    feed_dict, assign_ops = {}, []
    for var_name, value in var_names_to_values.items():
        found = get_collection(GraphKeys.GLOBAL_VARIABLES, var_name)
        if not found:
            raise ValueError(f"Variable {var_name} wasn't found")
        if len(found) > 1:
            exact = [v for v in found if v.op.name == var_name]
            if not exact:
                raise ValueError(f"Variable {var_name} doesn't uniquely identify a variable")
            found = exact
        var = found[0]
        placeholder, assign = _placeholder_assign(var)
        assign_ops.append(assign)
        feed_dict[placeholder] = np.asarray(value).reshape(var.get_shape().as_list())
    return array_ops.group(*assign_ops), feed_dict


def assign_from_values_fn(var_names_to_values):
    """TF's ``assign_from_values_fn``: a function of a session running ``assign_from_values``."""
    assign_op, feed_dict = assign_from_values(var_names_to_values)

    def callback(session):
        return session.run(assign_op, feed_dict)

    return callback


def assign_from_checkpoint(model_path, var_list, ignore_missing_vars=False):
    """TF's ``assign_from_checkpoint``: (assign op, feed_dict) loading ``var_list`` (a list of
    variables or partitions, or a dict checkpoint name -> variable(s)) from ``model_path``."""
    grouped = {}
    if isinstance(var_list, (tuple, list)):
        for var in var_list:
            grouped.setdefault(get_variable_full_name(var), []).append(var)
    else:
        for ckpt_name, value in var_list.items():
            grouped[ckpt_name] = list(value) if isinstance(value, (tuple, list)) else [value]
    reader = NewCheckpointReader(model_path)
    feed_dict, assign_ops = {}, []
    for ckpt_name, variables in grouped.items():
        if not reader.has_tensor(ckpt_name):
            message = f"Checkpoint is missing variable [{ckpt_name}]"
            if ignore_missing_vars:
                _log.warning(message)
                continue
            raise ValueError(message)
        ckpt_value = reader.get_tensor(ckpt_name)
        for var in variables:
            placeholder, assign = _placeholder_assign(var)
            assign_ops.append(assign)
            info = getattr(var, "_save_slice_info", None)
            if not info:
                if var.get_shape() != ckpt_value.shape:
                    raise ValueError(
                        f"Total size of new array must be unchanged for {ckpt_name} "
                        f"lh_shape: [{ckpt_value.shape}], rh_shape: [{var.get_shape()}]")
                feed_dict[placeholder] = ckpt_value
            else:
                index = tuple(slice(o, o + s) for o, s in zip(info.var_offset, info.var_shape))
                feed_dict[placeholder] = ckpt_value[index].reshape(info.var_shape)
    return array_ops.group(*assign_ops), feed_dict


def assign_from_checkpoint_fn(model_path, var_list, ignore_missing_vars=False,
                              reshape_variables=False):
    """TF's ``assign_from_checkpoint_fn``: a function of a session restoring ``var_list`` with a
    Saver, or None when ``ignore_missing_vars`` leaves nothing to restore."""
    from ..train.saver import Saver

    if not var_list:
        raise ValueError("var_list cannot be empty")
    if ignore_missing_vars:
        reader = NewCheckpointReader(model_path)
        var_dict = var_list if isinstance(var_list, dict) else {v.op.name: v for v in var_list}
        available = {}
        for name, var in var_dict.items():
            if reader.has_tensor(name):
                available[name] = var
            else:
                _log.warning("Variable %s missing in checkpoint %s", name, model_path)
        var_list = available
    if not var_list:
        _log.warning("No Variables to restore")
        return None
    saver = Saver(var_list, reshape=reshape_variables)

    def callback(session):
        saver.restore(session, model_path)

    return callback


class VariableDeviceChooser:
    """TF's ``VariableDeviceChooser``: a device function placing variables round-robin over
    ``num_tasks`` parameter-server tasks, or on one device type when ``num_tasks`` is 0."""

    def __init__(self, num_tasks=0, job_name="ps", device_type="CPU", device_index=0,
                 replica=None):
        self._job_name = job_name
        self._device_type = device_type
        self._device_index = device_index
        self._replica = replica
        self._num_tasks = num_tasks
        self._next_task_id = 0

    def __call__(self, op):
        spec = DeviceSpec(replica=self._replica, device_type=self._device_type,
                          device_index=self._device_index)
        if self._num_tasks > 0:
            spec.job = self._job_name
            spec.task = self._next_task_id
            self._next_task_id = (self._next_task_id + 1) % self._num_tasks
        return spec.to_string()


# -- tensor helpers TF1 kept in contrib.framework -------------------------------------------------

def get_name_scope() -> str:
    """TF's ``tf.contrib.framework.get_name_scope``: the default graph's current name scope."""
    return get_default_graph().get_name_scope()


def reduce_sum_n(tensors, name=None):
    """TF's ``reduce_sum_n``: each tensor reduced to a scalar sum, then added (``add_n``)."""
    if not tensors:
        raise ValueError("No tensors provided.")
    with name_scope(name, "reduce_sum_n", tensors) as scope:
        sums = [reduction_ops.reduce_sum(t, name=f"{t.op.name}/sum") for t in tensors]
        if len(sums) == 1:
            return sums[0]
        return math_ops.add_n(sums, name=scope)


def _shape_check(expected_shape, tensor, scope_name):
    """An Assert op that fails at run time unless ``tensor``'s shape is ``expected_shape``."""
    with name_scope(scope_name, values=[expected_shape, tensor]) as scope:
        actual = array_ops.shape(tensor)
        expected = convert_to_tensor(expected_shape, dtype=_dt.int32, name="expected")
        same_rank = logic_ops.equal(array_ops.size(actual), array_ops.size(expected))
        n = math_ops.minimum(array_ops.size(actual), array_ops.size(expected))
        same_dims = reduction_ops.reduce_all(logic_ops.equal(actual[:n], expected[:n]))
        ok = logic_ops.logical_and(same_rank, same_dims)
        return logging_ops.Assert(
            ok, [f"Wrong shape for {tensor.name} [expected] [actual].", expected, actual],
            name=scope)


def with_shape(expected_shape, tensor):
    """TF's ``with_shape``: ``tensor`` checked against ``expected_shape`` (a list, an int32
    array or tensor): statically when both are known, else by a run-time Assert."""
    from ..sparse_tensor import SparseTensor

    if isinstance(tensor, SparseTensor):
        raise ValueError("SparseTensor not supported.")
    if is_tensor(expected_shape):
        if expected_shape.dtype.base_dtype != _dt.int32:
            raise ValueError(f"Invalid dtype {expected_shape.dtype} for shape {expected_shape} "
                             f"expected of tensor {tensor.name}.")
    if isinstance(expected_shape, (list, tuple)):
        if not expected_shape:
            expected_shape = np.asarray([], dtype=np.int32)
        else:
            arr = np.asarray(expected_shape)
            expected_shape = arr.astype(np.int32) if arr.dtype == np.int64 else arr
    if isinstance(expected_shape, np.ndarray):
        if expected_shape.ndim > 1:
            raise ValueError(f"Invalid rank {expected_shape.ndim} for shape {expected_shape} "
                             f"expected of tensor {tensor.name}.")
        if expected_shape.dtype != np.int32:
            raise ValueError(f"Invalid dtype {expected_shape.dtype} for shape {expected_shape} "
                             f"expected of tensor {tensor.name}.")
    actual_shape = tensor.get_shape()
    dynamic = is_tensor(expected_shape)
    if not actual_shape.is_fully_defined() or dynamic:
        with name_scope(f"{tensor.op.name}/", values=[tensor]):
            if not dynamic and len(expected_shape) < 1:
                return array_ops.reshape(tensor, [])
            with control_dependencies([_shape_check(expected_shape, tensor, "assert_shape")]):
                result = array_ops.identity(tensor)
            if not dynamic:
                result.set_shape(expected_shape.tolist())
            return result
    if not actual_shape.is_compatible_with(expected_shape.tolist()):
        if len(expected_shape) < 1 and actual_shape.is_compatible_with([1]):
            with name_scope(f"{tensor.op.name}/", values=[tensor]):
                return array_ops.reshape(tensor, [])
        raise ValueError(f"Invalid shape for tensor {tensor.name}, expected "
                         f"{expected_shape}, got {actual_shape}.")
    return tensor

