"""``tf.contrib.distributions.bijectors`` (TF 1.15), part four: bijectors of vector events:
Affine (``scale = c I + diag(d) + tril(L) + V diag(e) V^T``, matrix-free through minitf's
LinearOperators), AffineLinearOperator, Permute, Reshape, SoftmaxCentered and Ordered."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..distributions_util import with_dependencies
from ..graph import Tensor
from ..tensor_conversion import constant_value
from .distributions_bijectors_base import Bijector

__all__ = ["Affine", "AffineLinearOperator", "Ordered", "Permute", "Reshape",
           "SoftmaxCentered"]


def _as_tensor(x, name, dtype=None):
    return None if x is None else tf.convert_to_tensor(x, name=name, dtype=dtype)


def _nonzero_diagonal(x, validate_args, diag_of):
    """``x`` with a check that its diagonal has no zero (with validate_args)."""
    if not validate_args:
        return x
    diag = tf.matrix_diag_part(x) if diag_of else x
    return with_dependencies([tf.assert_none_equal(
        diag, tf.zeros([], x.dtype), message="diagonal part must be non-zero")], x)


def _make_tril_scale(loc, tril, diag, multiplier, shape_hint, validate_args):
    """TF's distribution_util.make_tril_scale (assert_positive=False): the sum of the scale
    terms as one LinearOperator, lower-triangular, diagonal or a (scaled) identity."""
    if tril is not None:
        tril = tf.matrix_band_part(tril, -1, 0)
        tril_diag = tf.matrix_diag_part(tril)
        if diag is not None:
            tril_diag += diag
        if multiplier is not None:
            tril_diag += multiplier[..., tf.newaxis]
        tril = tf.matrix_set_diag(tril, tril_diag)
        return tf.linalg.LinearOperatorLowerTriangular(
            tril=_nonzero_diagonal(tril, validate_args, True), is_non_singular=True,
            is_self_adjoint=False, is_positive_definite=False)
    if diag is not None:
        if multiplier is not None:
            diag += multiplier[..., tf.newaxis]
        return tf.linalg.LinearOperatorDiag(
            diag=_nonzero_diagonal(diag, validate_args, False), is_non_singular=True,
            is_self_adjoint=True, is_positive_definite=False)
    if loc is None and shape_hint is None:
        raise ValueError("Cannot infer `event_shape` unless `loc` or `shape_hint` is "
                         "specified.")
    if shape_hint is None:
        shape_hint = loc.shape[-1].value
        if shape_hint is None:
            shape_hint = tf.shape(loc)[-1]
    if multiplier is None:
        return tf.linalg.LinearOperatorIdentity(
            num_rows=shape_hint, dtype=loc.dtype if loc is not None else tf.float32,
            is_self_adjoint=True, is_positive_definite=True,
            assert_proper_shapes=validate_args)
    return tf.linalg.LinearOperatorScaledIdentity(
        num_rows=shape_hint, multiplier=_nonzero_diagonal(multiplier, validate_args, False),
        is_non_singular=True, is_self_adjoint=True, is_positive_definite=False,
        assert_proper_shapes=validate_args)


class Affine(Bijector):
    """``Y = scale @ X + shift`` with ``scale = scale_identity_multiplier * I +
    diag(scale_diag) + tril(scale_tril) + V diag(scale_perturb_diag) V^T`` (V is
    ``scale_perturb_factor``); the identity when no scale term is given."""

    def __init__(self, shift=None, scale_identity_multiplier=None, scale_diag=None,
                 scale_tril=None, scale_perturb_factor=None, scale_perturb_diag=None,
                 validate_args=False, name="affine"):
        self._graph_parents, self._name, self._validate_args = [], name, validate_args
        if scale_perturb_diag is not None and scale_perturb_factor is None:
            raise ValueError("When scale_perturb_diag is specified, scale_perturb_factor must "
                             "be specified.")
        # Only a scalar multiple of I: its size is unknown, so it stays a scalar Tensor.
        self._is_only_identity_multiplier = (scale_tril is None and scale_diag is None and
                                             scale_perturb_factor is None)
        values = [shift, scale_identity_multiplier, scale_diag, scale_tril,
                  scale_perturb_diag, scale_perturb_factor]
        with self._name_scope("init", values=[v for v in values if v is not None]):
            dtype = tf.float32
            self._shift = _as_tensor(shift, "shift")
            if self._shift is not None:
                dtype = self._shift.dtype.base_dtype
            if self._is_only_identity_multiplier and scale_identity_multiplier is None:
                scale_identity_multiplier = tf.convert_to_tensor(1.0, dtype=dtype)
            parts = [_as_tensor(v, n) for v, n in (
                (scale_identity_multiplier, "identity_multiplier"), (scale_diag, "diag"),
                (scale_tril, "tril"), (scale_perturb_diag, "perturb_diag"),
                (scale_perturb_factor, "perturb_factor"))]
            self._scale = self._create_scale_operator(*parts, validate_args)
            if self._scale.dtype is not None:
                dtype = self._scale.dtype.base_dtype
            if (not self._is_only_identity_multiplier and self._shift is not None and
                    self._shift.dtype.base_dtype != dtype):
                raise TypeError(f"shift.dtype({self._shift.dtype.name}) is incompatible with "
                                f"scale.dtype({dtype.name}).")
            parents = [t for t in [self._shift] + parts if t is not None]
            super().__init__(forward_min_event_ndims=1, graph_parents=parents,
                             is_constant_jacobian=True, dtype=dtype,
                             validate_args=validate_args, name=name)

    def _create_scale_operator(self, multiplier, diag, tril, perturb_diag, perturb_factor,
                               validate_args):
        if self._is_only_identity_multiplier:
            if validate_args:
                return with_dependencies([tf.assert_none_equal(
                    multiplier, tf.zeros([], multiplier.dtype),
                    message="identity_multiplier should be non-zero.")], multiplier)
            return multiplier
        shape_hint = None
        if perturb_factor is not None:  # the size of the identity, from the low-rank factor
            shape_hint = perturb_factor.shape.with_rank_at_least(2)[-2].value
            if shape_hint is None:
                shape_hint = tf.shape(perturb_factor)[-2]
        scale = _make_tril_scale(self._shift, tril, diag, multiplier, shape_hint,
                                 validate_args)
        if perturb_factor is None:
            return scale
        return tf.linalg.LinearOperatorLowRankUpdate(
            scale, u=perturb_factor, diag_update=perturb_diag,
            is_diag_update_positive=perturb_diag is None, is_non_singular=True,
            is_self_adjoint=True, is_positive_definite=True, is_square=True)

    shift = property(lambda self: self._shift)
    scale = property(lambda self: self._scale)

    def _checks(self):
        if not self.validate_args:
            return []
        try:
            return [self.scale.assert_non_singular()]
        except NotImplementedError:
            return []

    def _forward(self, x):
        if self._is_only_identity_multiplier:
            y = x * self._scale
        else:
            with tf.control_dependencies(self._checks()):
                y = self.scale.matvec(x)
        return y if self.shift is None else y + self.shift

    def _inverse(self, y):
        x = y if self.shift is None else y - self.shift
        if self._is_only_identity_multiplier:
            return x / self._scale
        return self.scale.solvevec(x)  # the solve itself fails on a singular scale

    def _forward_log_det_jacobian(self, x):
        # A constant Jacobian: the log-det of one event; the base class tiles it.
        if self._is_only_identity_multiplier:
            event_size = tf.cast(tf.shape(x)[-1], dtype=self._scale.dtype)
            return tf.log(tf.abs(self._scale)) * event_size
        return self.scale.log_abs_determinant()


class AffineLinearOperator(Bijector):
    """``Y = scale @ X + shift`` with ``scale`` any (non-singular) ``tf.linalg``
    LinearOperator; without ``scale`` only the shift."""

    def __init__(self, shift=None, scale=None, validate_args=False,
                 name="affine_linear_operator"):
        self._graph_parents, self._name, self._validate_args = [], name, validate_args
        graph_parents = []
        with self._name_scope("init", values=[shift] if shift is not None else []):
            dtype = tf.float32
            if shift is not None:
                shift = tf.convert_to_tensor(shift, name="shift")
                graph_parents.append(shift)
                dtype = shift.dtype.base_dtype
            if scale is not None:
                if not isinstance(scale, tf.linalg.LinearOperator):
                    raise TypeError("scale is not an instance of tf.LinearOperator")
                if shift is not None and shift.dtype.base_dtype != scale.dtype.base_dtype:
                    raise TypeError(f"shift.dtype({shift.dtype.name}) is incompatible with "
                                    f"scale.dtype({scale.dtype.name}).")
                if validate_args and not scale.is_non_singular:
                    raise ValueError("Scale matrix must be non-singular.")
                graph_parents += [t for t in scale.graph_parents if isinstance(t, Tensor)]
                if scale.dtype is not None:
                    dtype = scale.dtype.base_dtype
            self._shift, self._scale = shift, scale
            super().__init__(forward_min_event_ndims=1, graph_parents=graph_parents,
                             is_constant_jacobian=True, dtype=dtype,
                             validate_args=validate_args, name=name)

    shift = property(lambda self: self._shift)
    scale = property(lambda self: self._scale)

    def _checks(self):
        if not self.validate_args:
            return []
        try:
            return [self.scale.assert_non_singular()]
        except NotImplementedError:
            return []

    def _forward(self, x):
        y = x
        if self.scale is not None:
            with tf.control_dependencies(self._checks()):
                y = self.scale.matvec(y)
        return y if self.shift is None else y + self.shift

    def _inverse(self, y):
        x = y if self.shift is None else y - self.shift
        return x if self.scale is None else self.scale.solvevec(x)

    def _forward_log_det_jacobian(self, x):
        if self.scale is None:
            return tf.constant(0.0, dtype=x.dtype.base_dtype)
        with tf.control_dependencies(self._checks()):
            return self.scale.log_abs_determinant()


_PERMUTATION_MESSAGE = "Permutation over `d` must contain exactly one of each of `{0, 1, ..., d}`."


class Permute(Bijector):
    """Permutes the rightmost dimension (``axis``) of events; Jacobian determinant 1."""

    def __init__(self, permutation, validate_args=False, name=None, axis=-1):
        with tf.name_scope(name, "permute", values=[permutation]):
            permutation = tf.convert_to_tensor(permutation, name="permutation")
            if not permutation.dtype.is_integer:
                raise TypeError(f"permutation.dtype ({permutation.dtype.name}) should be "
                                "`int`-like.")
            p = constant_value(permutation)
            if p is not None:
                if set(p.tolist()) != set(range(p.size)):
                    raise ValueError(_PERMUTATION_MESSAGE + f" Got {p.tolist()}.")
            elif validate_args:
                p, _ = tf.nn.top_k(-permutation, k=tf.shape(permutation)[-1], sorted=True)
                permutation = with_dependencies([tf.assert_equal(
                    -p, tf.range(tf.size(p)), message=_PERMUTATION_MESSAGE)], permutation)
            if not isinstance(axis, int) or axis >= 0:
                raise ValueError(f"`axis` must be a negative Python int, got {axis!r}.")
            self._permutation, self._axis = permutation, axis
            super().__init__(forward_min_event_ndims=-axis, is_constant_jacobian=True,
                             validate_args=validate_args, name=name or "permute")

    permutation = property(lambda self: self._permutation)
    axis = property(lambda self: self._axis)

    def _forward(self, x):
        return tf.gather(x, self.permutation, axis=self.axis)

    def _inverse(self, y):
        return tf.gather(y, tf.invert_permutation(self.permutation), axis=self.axis)

    def _inverse_log_det_jacobian(self, y):
        return tf.constant(0.0, dtype=y.dtype)

    def _forward_log_det_jacobian(self, x):
        return tf.constant(0.0, dtype=x.dtype)


def _resolved_event_shape(event, spec, where):
    """The event shape ``spec`` (with one -1 at most) takes for an event shaped ``event``
    (a list of ints or Nones); None entries where unknown."""
    known = [d for d in spec if d >= 0]
    if -1 not in spec:
        return list(spec)
    if None in event:
        return [None if d < 0 else d for d in spec]
    size, rest = int(np.prod(event)), int(np.prod(known))
    if rest == 0 or size % rest:
        raise ValueError(f"Cannot reshape an event of shape {event} into {list(spec)} "
                         f"({where}).")
    return [size // rest if d < 0 else d for d in spec]


class Reshape(Bijector):
    """Reshapes the rightmost ``len(event_shape_in)`` dimensions from ``event_shape_in`` to
    ``event_shape_out`` (each may hold one -1); the dimensions left of them are kept."""

    def __init__(self, event_shape_out, event_shape_in=(-1,), validate_args=False, name=None):
        with tf.name_scope(name, "reshape", values=[event_shape_out, event_shape_in]):
            event_shape_out = tf.convert_to_tensor(event_shape_out, name="event_shape_out",
                                                   dtype_hint=tf.int32)
            event_shape_in = tf.convert_to_tensor(event_shape_in, name="event_shape_in",
                                                  dtype_hint=tf.int32)
            self._assertions = (self._check_shape(event_shape_out, validate_args) +
                                self._check_shape(event_shape_in, validate_args))
            self._event_shape_in, self._event_shape_out = event_shape_in, event_shape_out
            super().__init__(forward_min_event_ndims=0, is_constant_jacobian=True,
                             validate_args=validate_args, name=name or "reshape")

    @staticmethod
    def _check_shape(shape, validate_args):
        if not shape.dtype.is_integer:
            raise TypeError(f"{shape} dtype ({shape.dtype.name}) should be `int`-like.")
        if shape.shape.ndims is not None and shape.shape.ndims > 1:
            raise ValueError(f"`{shape}` rank ({shape.shape.ndims}) should be <= 1.")
        value = constant_value(shape)
        if value is not None:
            if np.sum(value == -1) > 1:
                raise ValueError(f"`{shape}` must have at most one `-1` (given {value})")
            if np.any(value < -1):
                raise ValueError(f"`{shape}` elements must be either positive integers or "
                                 f"`-1`(given {value}).")
            return []
        if not validate_args:
            return []
        return [tf.assert_less_equal(tf.reduce_sum(tf.cast(tf.equal(shape, -1), tf.int32)), 1,
                                     message=f"`{shape}` elements must have at most one `-1`."),
                tf.assert_greater_equal(shape, -1, message=f"`{shape}` elements must be either "
                                        "positive integers or `-1`.")]

    def _reshape(self, x, shape_in, shape_out):
        """Reshapes the rightmost ``len(shape_in)`` dimensions of ``x`` to ``shape_out``."""
        n_in = shape_in.shape.with_rank(1)[0].value
        if n_in is None:
            n_in = tf.size(shape_in)
        in_ = constant_value(shape_in)
        rank = x.shape.ndims
        event = None
        if isinstance(n_in, int) and rank is not None:
            if rank < n_in:
                raise ValueError(f"Input of rank {rank} has fewer dimensions than "
                                 f"`event_shape_in` ({n_in}).")
            event = x.shape[rank - n_in:].as_list()
        if event is not None and in_ is not None and None not in event:
            given = np.int32(event)
            if not np.array_equal(given[in_ >= 0], in_[in_ >= 0]):
                raise ValueError(f"Input `event_shape` does not match `event_shape_in` "
                                 f"({given} vs {in_}).")
        elif self.validate_args:
            x_event = tf.shape(x)[tf.rank(x) - n_in:]
            mask = tf.reshape(shape_in >= 0, [-1])
            x = with_dependencies([tf.assert_equal(
                tf.boolean_mask(x_event, mask), tf.boolean_mask(shape_in, mask),
                message="Input `event_shape` does not match `event_shape_in`.")], x)
        ndims = rank if rank is not None else tf.rank(x)
        if isinstance(n_in, int) and rank is not None and rank == n_in:
            new_shape = shape_out
        else:
            new_shape = tf.concat([tf.shape(x)[:ndims - n_in], shape_out], axis=0)
        return tf.reshape(x, new_shape)

    def _forward(self, x):
        with tf.control_dependencies(self._assertions):
            return self._reshape(x, self._event_shape_in, self._event_shape_out)

    def _inverse(self, y):
        with tf.control_dependencies(self._assertions):
            return self._reshape(y, self._event_shape_out, self._event_shape_in)

    def _inverse_log_det_jacobian(self, y):
        with tf.control_dependencies(self._assertions):
            return tf.constant(0.0, dtype=y.dtype)

    def _forward_log_det_jacobian(self, x):
        with tf.control_dependencies(self._assertions):
            return tf.constant(0.0, dtype=x.dtype)

    def _static_event_shape(self, shape, shape_in, shape_out):
        in_, out_ = constant_value(shape_in), constant_value(shape_out)
        if shape.ndims is None or in_ is None or out_ is None:
            return tf.TensorShape(None)
        if shape.ndims < in_.size:
            raise ValueError(f"Event shape {shape} has fewer dimensions than {in_.tolist()}.")
        batch, event = shape[:shape.ndims - in_.size], shape[shape.ndims - in_.size:].as_list()
        for d, want in zip(event, in_):
            if d is not None and want >= 0 and d != want:
                raise ValueError(f"Input `event_shape` does not match `event_shape_in` "
                                 f"({event} vs {in_.tolist()}).")
        return batch.concatenate(_resolved_event_shape(event, out_.tolist(), "event_shape_out"))

    def _forward_event_shape(self, input_shape):
        return self._static_event_shape(input_shape, self._event_shape_in,
                                        self._event_shape_out)

    def _inverse_event_shape(self, output_shape):
        return self._static_event_shape(output_shape, self._event_shape_out,
                                        self._event_shape_in)

    def _forward_event_shape_tensor(self, input_shape):
        with tf.control_dependencies(self._assertions):
            return tf.shape(self.forward(tf.zeros(input_shape, dtype=tf.float32)))

    def _inverse_event_shape_tensor(self, output_shape):
        with tf.control_dependencies(self._assertions):
            return tf.shape(self.inverse(tf.zeros(output_shape, dtype=tf.float32)))


class SoftmaxCentered(Bijector):
    """``Y = softmax([X, 0])``: a vector of K reals to a point of the K-simplex (K + 1
    coordinates); the inverse drops the pivot coordinate, ``x = log(y[:-1]) - log(y[-1])``."""

    def __init__(self, validate_args=False, name="softmax_centered"):
        super().__init__(forward_min_event_ndims=1, validate_args=validate_args, name=name)

    def _forward_event_shape(self, input_shape):
        if input_shape.ndims is None or input_shape[-1].value is None:
            return input_shape
        return tf.TensorShape([input_shape[-1].value + 1])

    def _forward_event_shape_tensor(self, input_shape):
        return (input_shape[-1] + 1)[..., tf.newaxis]

    def _inverse_event_shape(self, output_shape):
        if output_shape.ndims is None or output_shape[-1].value is None:
            return output_shape
        if output_shape[-1].value <= 1:
            raise ValueError(f"output_shape[-1] = {output_shape[-1].value} <= 1")
        return tf.TensorShape([output_shape[-1].value - 1])

    def _inverse_event_shape_tensor(self, output_shape):
        if self.validate_args:
            output_shape = with_dependencies([tf.assert_greater(
                output_shape[-1], 1, message="Need last dimension greater than 1.")],
                output_shape)
        return (output_shape[-1] - 1)[..., tf.newaxis]

    def _forward(self, x):
        y = tf.concat([x, tf.zeros_like(x[..., :1])], axis=-1)  # the pivot coordinate
        if x.shape.ndims is not None and x.shape[-1].value is not None:
            y.set_shape(x.shape[:-1].concatenate([x.shape[-1].value + 1]))
        return tf.nn.softmax(y)

    def _inverse(self, y):
        log_y = tf.log(y)
        x = log_y[..., :-1] - log_y[..., -1:]
        if y.shape.ndims is not None and y.shape[-1].value is not None:
            x.set_shape(y.shape[:-1].concatenate([y.shape[-1].value - 1]))
        return x

    def _inverse_log_det_jacobian(self, y):
        # det(dx/dy) over the K free coordinates is 1 / prod(y) (all K + 1 of them), by the
        # matrix determinant lemma on diag(y[:-1]) - y[:-1] y[:-1]^T.
        return -tf.reduce_sum(tf.log(y), axis=-1)

    def _forward_log_det_jacobian(self, x):
        # log prod(y) with log y_i = x_i - log(1 + sum exp x) and log y_K = -log(1 + sum exp x).
        log_normalization = tf.nn.softplus(tf.reduce_logsumexp(x, axis=-1, keepdims=True))
        return tf.squeeze(-log_normalization + tf.reduce_sum(
            x - log_normalization, axis=-1, keepdims=True), axis=-1)


class Ordered(Bijector):
    """Strictly increasing vectors to unconstrained ones: ``y[0] = x[0]``,
    ``y[k] = log(x[k] - x[k-1])``."""

    def __init__(self, validate_args=False, name="ordered"):
        super().__init__(forward_min_event_ndims=1, validate_args=validate_args, name=name)

    def _inverse_event_shape(self, output_shape):
        if output_shape.ndims is not None and output_shape[-1].value is not None and \
                output_shape[-1].value <= 1:
            raise ValueError(f"output_shape[-1] = {output_shape[-1].value} <= 1")
        return output_shape

    def _inverse_event_shape_tensor(self, output_shape):
        if self.validate_args:
            output_shape = with_dependencies([tf.assert_greater(
                output_shape[-1], 1, message="Need last dimension greater than 1.")],
                output_shape)
        return output_shape

    def _valid_x(self, x):
        if not self.validate_args:
            return x
        return with_dependencies([tf.assert_positive(
            x[..., 1:] - x[..., :-1],
            message="Forward transformation input must be strictly increasing.")], x)

    def _forward(self, x):
        x = self._valid_x(x)
        return tf.concat([x[..., :1], tf.log(x[..., 1:] - x[..., :-1])], axis=-1)

    def _inverse(self, y):
        return tf.cumsum(tf.concat([y[..., :1], tf.exp(y[..., 1:])], axis=-1), axis=-1)

    def _inverse_log_det_jacobian(self, y):
        return tf.reduce_sum(y[..., 1:], axis=-1)

    def _forward_log_det_jacobian(self, x):
        x = self._valid_x(x)
        return -tf.reduce_sum(tf.log(x[..., 1:] - x[..., :-1]), axis=-1)
