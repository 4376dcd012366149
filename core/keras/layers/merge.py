"""``tf.keras.layers``' merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot) and their functional forms (``add([a, b])``...). Inputs of the elementwise
ones broadcast as Keras' (shapes must agree but for 1s and None); their output mask is the AND
of the input masks; Concatenate joins masks along its axis; Dot is Keras' batch_dot."""

from __future__ import annotations

import functools

from ... import nn_impl
from ...graph import convert_to_tensor
from ...ops import (array_ops, concat_split_ops, fill_ops, linalg_ops, math_ops,
                    reduction_ops, transform_ops)
from ...tensor_shape import TensorShape
from ..base_layer import Layer
from .core import _config, _shape

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot"]


def _shape_list(input_shape):
    if not isinstance(input_shape, (list, tuple)) or not input_shape or \
            not isinstance(input_shape[0], (list, tuple, TensorShape)) and \
            input_shape[0] is not None:
        return None
    return [_shape(s) for s in input_shape]


def _shapes_text(input_shape) -> str:
    """``input_shape`` as Keras prints it in errors: shapes as tuples (``(None, 3)``)."""
    def text(shape):
        if isinstance(shape, TensorShape):
            return "None" if shape.rank is None else str(tuple(shape.as_list()))
        return str(shape)
    if isinstance(input_shape, (list, tuple)):
        return f"[{', '.join(text(s) for s in input_shape)}]"
    return text(input_shape)


def _any_mask(inputs, mask) -> bool:
    """Whether a merge's inputs carry a mask (one per input, or None)."""
    if mask is None:
        return False
    if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
        raise ValueError("`mask` should be a list of the same length as `inputs`.")
    return any(m is not None for m in mask)


class _Merge(Layer):
    """Elementwise merge of two or more inputs (``_merge_function``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    @staticmethod
    def _broadcast_shape(shape1, shape2):
        """Keras' _compute_elemwise_op_output_shape (without the batch axis)."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return _Merge._broadcast_shape(shape2, shape1)
        if not shape2:
            return shape1
        out = list(shape1[:-len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1:
                out.append(i)
            else:
                if i != j:
                    raise ValueError("Inputs have incompatible shapes. Received shapes "
                                     f"{tuple(shape1)} and {tuple(shape2)}")
                out.append(i)
        return out

    def build(self, input_shape):
        shapes = _shape_list(input_shape)
        if shapes is None:
            raise ValueError("A merge layer should be called on a list of inputs. Received: "
                             f"input_shape={_shapes_text(input_shape)} (not a list of shapes)")
        if len(shapes) < 2:
            raise ValueError("A merge layer should be called on a list of at least 2 inputs. "
                             f"Got {len(shapes)} inputs. Full input_shape received: "
                             f"{_shapes_text(input_shape)}")
        self._output_without_batch(shapes)
        self.built = True

    def _output_without_batch(self, shapes):
        out = None if shapes[0].rank is None else shapes[0].as_list()[1:]
        for s in shapes[1:]:
            out = self._broadcast_shape(out, None if s.rank is None else s.as_list()[1:])
        return out

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("A merge layer should be called on a list of inputs. Received: "
                             f"inputs={inputs} (not a list of tensors)")
        return self._merge_function([convert_to_tensor(x) for x in inputs])

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        if shapes is None:
            raise ValueError("A merge layer should be called on a list of inputs.")
        out = self._output_without_batch(shapes)
        batches = {s[0].value for s in shapes if s.rank} - {None}
        batch = batches.pop() if len(batches) == 1 else None
        return TensorShape(None if out is None else [batch] + out)

    def compute_mask(self, inputs, mask=None):
        if not _any_mask(inputs, mask):
            return None
        masks = [transform_ops.expand_dims(m, 0) for m in mask if m is not None]
        return reduction_ops.reduce_all(concat_split_ops.concat(masks, 0), axis=0)

    def get_config(self):
        return _config(self, Layer)


class Add(_Merge):
    def _merge_function(self, inputs):
        return functools.reduce(math_ops.add, inputs)


class Subtract(_Merge):
    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: input_shape={_shapes_text(input_shape)}")

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: inputs={inputs}")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def _merge_function(self, inputs):
        return functools.reduce(math_ops.multiply, inputs)


class Average(_Merge):
    def _merge_function(self, inputs):
        return functools.reduce(math_ops.add, inputs) / len(inputs)


class Maximum(_Merge):
    def _merge_function(self, inputs):
        return functools.reduce(math_ops.maximum, inputs)


class Minimum(_Merge):
    def _merge_function(self, inputs):
        return functools.reduce(math_ops.minimum, inputs)


class Concatenate(_Merge):
    """Joins the inputs along ``axis``; all other dimensions must agree."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        shapes = _shape_list(input_shape)
        if shapes is None or len(shapes) < 1:
            raise ValueError("A `Concatenate` layer should be called on a list of at least 1 "
                             f"input. Received: input_shape={_shapes_text(input_shape)}")
        if all(s.rank is None for s in shapes):
            return
        ranks = {s.rank for s in shapes if s.rank is not None}
        reduced = set()
        for s in shapes:
            if s.rank is None:
                continue
            dims = s.as_list()
            del dims[self.axis]
            reduced.add(tuple(dims))
        if len(ranks) != 1 or len({tuple(d for d in r if d is not None) for r in reduced}) > 1 \
                and not self._compatible(reduced):
            raise ValueError("A `Concatenate` layer requires inputs with matching shapes except "
                             "for the concatenation axis. Received: "
                             f"input_shape={_shapes_text(input_shape)}")
        self.built = True

    @staticmethod
    def _compatible(reduced):
        reduced = list(reduced)
        first = reduced[0]
        return all(len(r) == len(first) and all(a is None or b is None or a == b
                                                for a, b in zip(r, first)) for r in reduced)

    def _merge_function(self, inputs):
        return concat_split_ops.concat(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        if shapes is None:
            raise ValueError("A `Concatenate` layer should be called on a list of inputs.")
        out = shapes[0].as_list()
        for s in shapes[1:]:
            dims = s.as_list()
            if out[self.axis] is None or dims[self.axis] is None:
                out[self.axis] = None
            else:
                out[self.axis] += dims[self.axis]
        return TensorShape(out)

    def compute_mask(self, inputs, mask=None):
        if not _any_mask(inputs, mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            x = convert_to_tensor(x)
            if m is None:
                m = fill_ops.ones_like(x, dtype="bool")
            elif m.shape.rank < x.shape.rank:
                m = transform_ops.expand_dims(m, -1)
            masks.append(m)
        return reduction_ops.reduce_all(concat_split_ops.concat(masks, axis=self.axis),
                                        axis=-1)

    def get_config(self):
        return _config(self, Layer, axis=self.axis)


def _batch_dot(x, y, axes):
    """Keras' backend.batch_dot: the dot of each example's ``x`` and ``y`` over ``axes``
    (a pair, counted with the batch axis); a 1-D result per example becomes ``[batch, 1]``."""
    xs, ys = x.shape.as_list(), y.shape.as_list()
    ax, ay = axes
    x_rest = [i for i in range(1, len(xs)) if i != ax]
    y_rest = [i for i in range(1, len(ys)) if i != ay]
    xt = transform_ops.transpose(x, [0] + x_rest + [ax])
    yt = transform_ops.transpose(y, [0, ay] + y_rest)
    shape_x, shape_y = array_ops.shape(x), array_ops.shape(y)

    def dim(static, dynamic, i):
        return static[i] if static[i] is not None else dynamic[i]

    x_dims = [dim(xs, shape_x, i) for i in x_rest]
    y_dims = [dim(ys, shape_y, i) for i in y_rest]

    def prod(values):
        return functools.reduce(lambda a, b: a * b, values, 1)

    x3 = array_ops.reshape(xt, concat_split_ops.stack([-1, prod(x_dims), xs[ax] or
                                                       shape_x[ax]]))
    y3 = array_ops.reshape(yt, concat_split_ops.stack([-1, ys[ay] or shape_y[ay],
                                                       prod(y_dims)]))
    out = linalg_ops.matmul(x3, y3)
    out = array_ops.reshape(out, concat_split_ops.stack([shape_x[0], *x_dims, *y_dims]))
    static = [xs[0]] + [xs[i] for i in x_rest] + [ys[i] for i in y_rest]
    out.set_shape(static)
    if len(static) == 1:
        out = transform_ops.expand_dims(out, 1)
    return out


class Dot(_Merge):
    """The dot product of two examples' tensors over ``axes`` (with ``normalize``, of their
    L2-normalized forms: the cosine similarity)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError("Invalid type for argument `axes`: it should be a list or an "
                                f"int. Received: axes={axes}")
            if len(axes) != 2:
                raise ValueError("Invalid format for argument `axes`: it should contain two "
                                 f"elements. Received: axes={axes}")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError("Invalid format for argument `axes`: list elements should be "
                                 f"integers. Received: axes={axes}")
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True

    def _pair(self, shape1, shape2):
        if isinstance(self.axes, int):
            if self.axes < 0:
                return [self.axes % len(shape1), self.axes % len(shape2)]
            return [self.axes] * 2
        return [a % len(s) if a < 0 else a for a, s in zip(self.axes, (shape1, shape2))]

    def build(self, input_shape):
        shapes = _shape_list(input_shape)
        if shapes is None or len(shapes) != 2:
            raise ValueError("A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={_shapes_text(input_shape)}")
        s1, s2 = shapes[0].as_list(), shapes[1].as_list()
        a1, a2 = self._pair(s1, s2)
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(f"Incompatible input shapes: axis values {s1[a1]} (at axis {a1}) "
                             f"!= {s2[a2]} (at axis {a2}). Full input shapes: {s1}, {s2}")
        self.built = True

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError("A `Dot` layer should be called on exactly 2 inputs. Received: "
                             f"inputs={inputs}")
        x1, x2 = inputs
        axes = self._pair(x1.shape.as_list(), x2.shape.as_list())
        if self.normalize:
            x1 = nn_impl.l2_normalize(x1, axis=axes[0])
            x2 = nn_impl.l2_normalize(x2, axis=axes[1])
        return _batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        s1, s2 = shapes[0].as_list(), shapes[1].as_list()
        a1, a2 = self._pair(s1, s2)
        out = s1[:a1] + s1[a1 + 1:] + s2[1:a2] + s2[a2 + 1:]
        if len(out) == 1:
            out += [1]
        return TensorShape(out)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return _config(self, Layer, axes=self.axes, normalize=self.normalize)


def _functional(cls, doc):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = doc
    return merge


add = _functional(Add, "``Add()(inputs)``.")
subtract = _functional(Subtract, "``Subtract()(inputs)``.")
multiply = _functional(Multiply, "``Multiply()(inputs)``.")
average = _functional(Average, "``Average()(inputs)``.")
maximum = _functional(Maximum, "``Maximum()(inputs)``.")
minimum = _functional(Minimum, "``Minimum()(inputs)``.")


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """``Dot(axes, normalize)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
