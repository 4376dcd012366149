"""TF1's TensorArray: a list of tensors made while the graph runs, mostly in a tf.while_loop
(one element per iteration: tf.map_fn, tf.scan, dynamic RNNs). TensorArrayV3 makes the
storage for one run and outputs its handle (a resource: the ``_Elements`` object itself) and a
"flow" scalar; every op that writes returns a new flow, and every later op takes it, which is
what orders reads after writes. The ``TensorArray`` class is TF1's Python wrapper: its writes
return a new TensorArray (same handle, the new flow).

Gradients follow TF1's rules (TensorArrayGradV3: a gradient array per tf.gradients call). The
ops, their per-run storage and their gradients are in tensor_array_v3_ops.py."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value, convert_to_tensor, get_default_graph, name_scope
from ..tensor_shape import TensorShape, as_shape
from .tensor_array_v3_ops import (TENSOR_ARRAY, TENSOR_ARRAY_CLOSE, TENSOR_ARRAY_CONCAT,
                                  TENSOR_ARRAY_GATHER, TENSOR_ARRAY_GRAD, TENSOR_ARRAY_READ,
                                  TENSOR_ARRAY_SCATTER, TENSOR_ARRAY_SIZE, TENSOR_ARRAY_SPLIT,
                                  TENSOR_ARRAY_WRITE)

__all__ = ["TensorArray"]


def _second_order_refusal(handle):
    """An op failing the run that needs the gradient of a gradient array (a second-order
    gradient through TensorArray ops outside loops). Its reads would give zeros; TF builds the
    graph and fails the run too (Wrong input container), so this fails the same way."""
    from .logging_ops import Assert

    return Assert(False, [f"TensorArray {handle.op.name}: second-order gradients through "
                          "TensorArray ops are not supported"], name="SecondOrderGradient")


# -- the Python wrapper ---------------------------------------------------------------------------
class TensorArray:
    """TF1's ``tf.TensorArray`` (graph mode): ``write``/``scatter``/``unstack``/``split``
    return a new TensorArray whose flow orders later reads after them; ``read``/``gather``/
    ``stack``/``concat``/``size`` give tensors. ``infer_shape`` (default) requires every
    element to have one shape, which reads and stacks then carry statically."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        if handle is not None and tensor_array_name:
            raise ValueError("Cannot construct with both handle and tensor_array_name")
        if handle is not None and not isinstance(handle, Tensor):
            raise TypeError("Handle must be a Tensor")
        if handle is None and size is None:
            raise ValueError("Size must be provided if handle is not provided")
        if handle is not None and size is not None:
            raise ValueError("Cannot provide both a handle and size at the same time")
        if handle is not None and element_shape is not None:
            raise ValueError("Cannot provide both a handle and element_shape at the same time")
        if handle is not None and dynamic_size is not None:
            raise ValueError("Cannot provide both a handle and dynamic_size at the same time")
        if handle is not None and clear_after_read is not None:
            raise ValueError("Cannot provide both a handle and clear_after_read at the same "
                             "time")
        self._dtype = _dt.as_dtype(dtype).base_dtype
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape
        self._element_shape = [] if element_shape is None else [as_shape(element_shape)]
        self._size = size
        if handle is not None:
            if flow is None:
                raise ValueError("flow must not be None if handle is not None.")
            self._handle, self._flow = handle, flow
            return
        with name_scope(name, "TensorArray", [size]) as scope:
            self._handle, self._flow = TENSOR_ARRAY(
                size, dtype=self._dtype,
                element_shape=TensorShape(None) if element_shape is None else
                as_shape(element_shape),
                dynamic_size=self._dynamic_size,
                clear_after_read=True if clear_after_read is None else clear_after_read,
                identical_element_shapes=infer_shape,
                tensor_array_name=tensor_array_name or "", name=scope)

    handle = property(lambda self: self._handle)
    flow = property(lambda self: self._flow)
    dtype = property(lambda self: self._dtype)
    dynamic_size = property(lambda self: self._dynamic_size)

    @property
    def element_shape(self) -> TensorShape:
        return self._element_shape[0] if self._element_shape else TensorShape(None)

    def _with_flow(self, flow) -> TensorArray:
        """The same array after an op that made ``flow`` (TF1's build_ta_with_new_flow)."""
        ta = TensorArray(self._dtype, handle=self._handle, flow=flow,
                         infer_shape=self._infer_shape)
        ta._dynamic_size = self._dynamic_size
        ta._size = self._size
        ta._element_shape = self._element_shape  # shared: later writes refine it for all
        return ta

    def _merge_element_shape(self, shape: TensorShape):
        if self._element_shape:
            if not shape.is_compatible_with(self._element_shape[0]):
                raise ValueError(f"Inconsistent shapes: saw {shape} but expected "
                                 f"{self._element_shape[0]} ")
            self._element_shape[0] = self._element_shape[0].merge_with(shape)
        else:
            self._element_shape.append(shape)

    def _value(self, value, what: str) -> Tensor:
        value = convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
        if value.dtype.base_dtype != self._dtype:
            raise InvalidArgumentError(None, None, f"TensorArray dtype is {self._dtype.name} "
                                       f"but Op is trying to {what} dtype {value.dtype.name}.")
        return value

    def identity(self) -> TensorArray:
        from .array_ops import identity

        return self._with_flow(identity(self._flow))

    def grad(self, source, flow=None, name=None) -> TensorArray:
        """The gradient array for ``source`` (TensorArrayGradV3), ordered after ``flow``."""
        from .array_ops import identity

        flow = self._flow if flow is None else flow
        with name_scope(name, "TensorArrayGrad", [self._handle]):
            handle, _ = TENSOR_ARRAY_GRAD(self._handle, flow, source=source,
                                          name="TensorArrayGradV3")
            # TF1's: the gradient array's flow is the forward flow, after the gradient handle
            # exists. GradV3's own flow output is not differentiable, so using it would cut the
            # path to the loop that made ``flow`` and hide that loop from tf.gradients (a
            # second-order gradient through it would silently be None instead of TF's error).
            after = [handle]
            if self._handle.op.type == "TensorArrayGradV3":
                after.append(_second_order_refusal(self._handle))
            with get_default_graph().control_dependencies(after):
                flow = identity(flow, name="gradient_flow")
        g = TensorArray(self._dtype, handle=handle, flow=flow, infer_shape=self._infer_shape)
        g._element_shape = self._element_shape
        return g

    def read(self, index, name=None) -> Tensor:
        value = TENSOR_ARRAY_READ(self._handle, index, self._flow, dtype=self._dtype,
                                  name=name or "TensorArrayReadV3")
        if self._element_shape:
            value.set_shape(self._element_shape[0])
        return value

    def write(self, index, value, name=None) -> TensorArray:
        with name_scope(name, "TensorArrayWrite", [self._handle, index, value]):
            value = self._value(value, "write")
            if self._infer_shape:
                self._merge_element_shape(value.shape)
            flow = TENSOR_ARRAY_WRITE(self._handle, index, value, self._flow,
                                      name=name or "TensorArrayWriteV3")
        return self._with_flow(flow)

    def gather(self, indices, name=None) -> Tensor:
        value = TENSOR_ARRAY_GATHER(self._handle, indices, self._flow, dtype=self._dtype,
                                    element_shape=self.element_shape,
                                    name=name or "TensorArrayGatherV3")
        return value

    def stack(self, name=None) -> Tensor:
        from .array_ops import range_

        with name_scope(name, "TensorArrayStack", [self._handle]):
            value = self.gather(range_(0, self.size()), name=name)
        size = self._static_size()
        if size is not None and self.element_shape.rank is not None:
            # A fixed size gives the stack its first dimension (as TF's stack sets), so that
            # e.g. tf.unstack of it knows how many pieces there are.
            value.set_shape(TensorShape([size]).concatenate(self.element_shape))
        return value

    def _static_size(self):
        """The number of elements when the array has a fixed, constant size; else None."""
        if self._dynamic_size or self._size is None:
            return None
        size = constant_value(convert_to_tensor(self._size))
        return None if size is None else int(size)

    def scatter(self, indices, value, name=None) -> TensorArray:
        with name_scope(name, "TensorArrayScatter", [self._handle, value, indices]):
            value = self._value(value, "write")
            if self._infer_shape and value.shape.rank is not None:
                self._merge_element_shape(TensorShape(value.shape.as_tuple()[1:]))
            flow = TENSOR_ARRAY_SCATTER(self._handle, indices, value, self._flow,
                                        name=name or "TensorArrayScatterV3")
        return self._with_flow(flow)

    def unstack(self, value, name=None) -> TensorArray:
        from .array_ops import range_, shape

        with name_scope(name, "TensorArrayUnstack", [self._handle, value]):
            value = convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            return self.scatter(range_(0, shape(value)[0]), value, name=name)

    def split(self, value, lengths, name=None) -> TensorArray:
        from .math_ops import cast

        with name_scope(name, "TensorArraySplit", [self._handle, value, lengths]):
            value = self._value(value, "split")
            lengths = cast(lengths, _dt.int64)
            known = constant_value(lengths)
            if self._infer_shape and value.shape.rank is not None and known is not None and \
                    np.ndim(known) == 1 and known.size and known.max() == known.min():
                # Equal constant lengths: every element has the same, known shape (as TF).
                self._merge_element_shape(TensorShape([int(known[0])]).concatenate(
                    TensorShape(value.shape.as_tuple()[1:])))
            flow = TENSOR_ARRAY_SPLIT(self._handle, value, lengths, self._flow,
                                      name=name or "TensorArraySplitV3")
        return self._with_flow(flow)

    def concat(self, name=None) -> Tensor:
        except0 = TensorShape(self.element_shape.as_tuple()[1:]) \
            if self.element_shape.rank else TensorShape(None)
        value, _ = TENSOR_ARRAY_CONCAT(self._handle, self._flow, dtype=self._dtype,
                                       element_shape_except0=except0,
                                       name=name or "TensorArrayConcatV3")
        shape = self.element_shape
        size = self._static_size() if self._infer_shape else None
        if shape.rank and size is not None and shape.as_tuple()[0] is not None:
            # Identical elements of a fixed count: the concatenation's length is known.
            value.set_shape(TensorShape([size * shape.as_tuple()[0]]).concatenate(
                TensorShape(shape.as_tuple()[1:])))
        return value

    def size(self, name=None) -> Tensor:
        return TENSOR_ARRAY_SIZE(self._handle, self._flow, name=name or "TensorArraySizeV3")

    def close(self, name=None):
        return TENSOR_ARRAY_CLOSE(self._handle, name=name or "TensorArrayCloseV3")

    def __repr__(self):
        return f"<tf.TensorArray {self._handle.op.name} dtype={self._dtype.name}>"
