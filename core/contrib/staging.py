"""``tf.contrib.staging`` (TF 1.15): ``StagingArea``, TF's data_flow_ops class, over the Stage
ops of core/ops/stage_ops.py. A staging area keeps tuples of tensors across ``Session.run``
calls in the session (a prefetch buffer): ``put`` adds one, ``get`` takes the oldest, ``peek``
reads one in place; ``put`` blocks while the area is full, ``get``/``peek`` while the element
is missing (bound the wait with ``RunOptions.timeout_in_ms``)."""

from __future__ import annotations

from .. import dtypes as _dt
from ..default_graph import colocate_with, get_default_graph, name_scope
from ..graph import Tensor, convert_to_tensor
from ..ops.constant_ops import no_op
from ..queues import QueueBase
from ..ops.stage_ops import STAGE, STAGE_CLEAR, STAGE_PEEK, STAGE_SIZE, UNSTAGE
from ..tensor_shape import TensorShape, unknown_shape

__all__ = ["StagingArea"]


class StagingArea:
    """Elements are tuples of tensors of ``dtypes`` (optionally ``shapes``, checked when
    ops are built; and ``names``: then put and get use dicts). ``shared_name`` names the
    area (areas of one name share it); ``capacity`` elements and ``memory_limit`` bytes bound
    it (0: unbounded). No ordering guarantees beyond TF's: get takes the oldest."""

    def __init__(self, dtypes, shapes=None, names=None, shared_name=None, capacity=0,
                 memory_limit=0):
        if shared_name is None:
            self._name = get_default_graph().unique_name(type(self).__name__)
        elif isinstance(shared_name, str):
            self._name = shared_name
        else:
            raise ValueError("shared_name must be a string")
        self._dtypes = dtypes
        if shapes is not None:
            if len(shapes) != len(dtypes):
                raise ValueError("StagingArea shapes must be the same length as dtypes")
            self._shapes = [TensorShape(s) for s in shapes]
        else:
            self._shapes = [unknown_shape() for _ in self._dtypes]
        if names is not None:
            if len(names) != len(dtypes):
                raise ValueError("StagingArea names must be the same length as dtypes")
            self._names = names
        else:
            self._names = None
        self._capacity = capacity
        self._memory_limit = memory_limit
        # Every put and get is colocated with this op, as TF places the area's ops together.
        with name_scope(f"{self._name}_root"):
            self._coloc_op = no_op()

    name = property(lambda self: self._name, doc="The name of the staging area.")
    dtypes = property(lambda self: self._dtypes)
    shapes = property(lambda self: self._shapes)
    names = property(lambda self: self._names)
    capacity = property(lambda self: self._capacity)
    memory_limit = property(lambda self: self._memory_limit)

    def _attrs(self):
        return dict(shared_name=self._name, capacity=self._capacity,
                    memory_limit=self._memory_limit)

    # -- put -------------------------------------------------------------------------------------
    def _check_put_dtypes(self, vals, indices=None):
        """(tensors, indices) of what put was given, checked against dtypes and shapes."""
        if isinstance(vals, dict):
            if not self._names:
                raise ValueError("Staging areas must have names to enqueue a dictionary")
            if not set(vals.keys()).issubset(self._names):
                raise ValueError(f"Keys in dictionary to put do not match names of staging "
                                 f"area. Dictionary: ({sorted(vals.keys())}), Queue: "
                                 f"({sorted(self._names)})")
            # The values in the order of names.
            vals, indices, _ = zip(*[(vals[k], i, k) for i, k in enumerate(self._names)
                                     if k in vals])
        else:
            if self._names:
                raise ValueError("You must enqueue a dictionary in a staging area with names")
            if indices is None:
                raise ValueError("Indices must be supplied when inserting a list of tensors")
            if len(indices) != len(vals):
                raise ValueError(f"Number of indices '{len(indices)}' doesn't match number of "
                                 f"values '{len(vals)}'")
            if not isinstance(vals, (list, tuple)):
                vals, indices = [vals], [0]
        if not len(vals) <= len(self._dtypes):
            raise ValueError(f"Unexpected number of inputs '{len(vals)}' vs "
                             f"'{len(self._dtypes)}'")
        tensors = []
        for val, i in zip(vals, indices):
            dtype, shape = _dt.as_dtype(self._dtypes[i]), self._shapes[i]
            if not isinstance(val, Tensor):  # (TF needs a Tensor here: val.dtype)
                val = convert_to_tensor(val, dtype=dtype, name=f"component_{i}")
            if val.dtype != dtype:
                raise ValueError(f"Datatypes do not match. '{val.dtype!s}' != '{dtype!s}'")
            val.shape.assert_is_compatible_with(shape)
            tensors.append(val)
        return tensors, indices

    def put(self, values, name=None):
        """The op putting ``values`` (a tensor, a list of them, or a dict by name) into the
        area; it blocks while the area is full."""
        with name_scope(name, f"{self._name}_put", self._scope_vals(values)) as scope:
            if not isinstance(values, (list, tuple, dict)):
                values = [values]
            vals, _ = self._check_put_dtypes(values, list(range(len(values))))
            with colocate_with(self._coloc_op):
                return STAGE(vals, name=scope, **self._attrs())

    _scope_vals = staticmethod(QueueBase._scope_vals)  # what a name scope is checked against

    # -- get and peek ----------------------------------------------------------------------------
    def _get_return_value(self, tensors):
        if not isinstance(tensors, (list, tuple)):
            tensors = [tensors]
        # TF asks for the device of a new op to see whether the values must move (never
        # here: one device); the NoOp stays, so later ops are named as in TF.
        no_op()
        for t, shape in zip(tensors, self._shapes):
            t.set_shape(shape)
        if self._names:
            return {self._names[i]: t for i, t in enumerate(tensors)}
        return list(tensors)

    def get(self, name=None):
        """The element taken out of the area (a list of tensors, or a dict by name); the op
        blocks while the area is empty."""
        with colocate_with(self._coloc_op):
            out = UNSTAGE(dtypes=self._dtypes, name=name or f"{self._name}_get",
                          **self._attrs())
        return self._get_return_value(out)

    def peek(self, index, name=None):
        """Element ``index`` (0: the oldest) without taking it; the op blocks until the area
        holds more than ``index`` elements."""
        with colocate_with(self._coloc_op):
            out = STAGE_PEEK(index, dtypes=self._dtypes, name=name or f"{self._name}_peek",
                             **self._attrs())
        return self._get_return_value(out)

    def size(self, name=None):
        """The number of elements in the area (an int32 scalar)."""
        return STAGE_SIZE(dtypes=self._dtypes, name=name or f"{self._name}_size",
                          **self._attrs())

    def clear(self, name=None):
        """The op removing every element of the area."""
        return STAGE_CLEAR(dtypes=self._dtypes, name=name or f"{self._name}_clear",
                           **self._attrs())
