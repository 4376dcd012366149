"""``tf.contrib.distributions.bijectors`` (TF 1.15), part two: the elementwise bijectors
(``forward_min_event_ndims=0``), each with TF's formulas, parameter checks (under
``validate_args``, with TF's messages) and names: AbsoluteValue, AffineScalar, Exp,
PowerTransform, Gumbel, Kumaraswamy, Sigmoid, SinhArcsinh, Softplus, Softsign, Square."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..distributions_util import with_dependencies
from ..tensor_conversion import constant_value
from .distributions_bijectors_base import Bijector

__all__ = ["AbsoluteValue", "AffineScalar", "Exp", "Gumbel", "Kumaraswamy", "PowerTransform",
           "Sigmoid", "SinhArcsinh", "Softplus", "Softsign", "Square", "softplus_inverse"]


class _Elementwise(Bijector):
    """A bijector of scalar events; ``_params(...)`` builds its parameter tensors under
    ``<name>/init/`` before the base class is set up (as TF's constructors do)."""

    def _open_init(self, name, validate_args, values):
        self._graph_parents, self._name, self._validate_args = [], name, validate_args
        return self._name_scope("init", values=[v for v in values if v is not None])

    def _checked(self, t, checks):
        return with_dependencies(checks, t) if self.validate_args and checks else t


class AbsoluteValue(_Elementwise):
    """``Y = |X|``: not injective; ``inverse(y)`` is the pair ``(-y, y)`` and so is the
    inverse log-det Jacobian (both 0)."""

    def __init__(self, validate_args=False, name="absolute_value"):
        with self._open_init(name, validate_args, []):
            super().__init__(forward_min_event_ndims=0, is_constant_jacobian=True,
                             validate_args=validate_args, name=name)

    @property
    def _is_injective(self):
        return False

    def _forward(self, x):
        return tf.abs(x)

    def _non_negative(self, y, value):
        return self._checked(value, [tf.assert_non_negative(
            y, message="Argument y was negative")] if self.validate_args else [])

    def _inverse(self, y):
        y = self._non_negative(y, y)
        return -y, y

    def _inverse_log_det_jacobian(self, y):
        zeros = self._non_negative(y, tf.constant(0.0, dtype=y.dtype))
        return zeros, zeros


class AffineScalar(_Elementwise):
    """``Y = scale * X + shift`` with scalar (broadcastable) ``shift`` and ``scale``."""

    def __init__(self, shift=None, scale=None, validate_args=False, name="affine_scalar"):
        with self._open_init(name, validate_args, [scale, shift]):
            self._shift = None if shift is None else tf.convert_to_tensor(shift, name="shift")
            self._scale = None
            if scale is not None:
                self._scale = tf.convert_to_tensor(scale, name="scale")
                if validate_args:
                    self._scale = with_dependencies([tf.assert_none_equal(
                        self._scale, tf.zeros([], dtype=self._scale.dtype))], self._scale)
            super().__init__(forward_min_event_ndims=0, is_constant_jacobian=True,
                             validate_args=validate_args, name=name)

    shift = property(lambda self: self._shift)
    scale = property(lambda self: self._scale)

    def _forward(self, x):
        y = tf.identity(x)
        if self.scale is not None:
            y *= self.scale
        if self.shift is not None:
            y += self.shift
        return y

    def _inverse(self, y):
        x = tf.identity(y)
        if self.shift is not None:
            x -= self.shift
        if self.scale is not None:
            x /= self.scale
        return x

    def _forward_log_det_jacobian(self, x):
        if self.scale is None:
            return tf.constant(0.0, dtype=x.dtype.base_dtype)
        return tf.log(tf.abs(self.scale))


class PowerTransform(_Elementwise):
    """``Y = (1 + X * c)**(1 / c)`` for ``X >= -1 / c``; ``exp`` at ``c = 0``. The power
    must be a non-negative constant known at graph construction."""

    def __init__(self, power=0.0, validate_args=False, name="power_transform"):
        with self._open_init(name, validate_args, [power]):
            power = constant_value(tf.convert_to_tensor(power, name="power"))
        if power is None or power < 0:
            raise ValueError("`power` must be a non-negative TF constant.")
        self._power = float(power)
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    power = property(lambda self: self._power)

    def _valid_x(self, x):
        if not self.validate_args or self.power == 0.0:
            return x
        return with_dependencies([tf.assert_non_negative(
            1.0 + self.power * x,
            message=f"Forward transformation input must be at least {-1.0 / self.power}.")], x)

    def _valid_y(self, y):
        return self._checked(y, [tf.assert_positive(
            y, message="Inverse transformation input must be greater than 0.")]
            if self.validate_args else [])

    def _forward(self, x):
        x = self._valid_x(x)
        if self.power == 0.0:
            return tf.exp(x)
        return tf.exp(tf.log1p(x * self.power) / self.power)

    def _inverse(self, y):
        y = self._valid_y(y)
        if self.power == 0.0:
            return tf.log(y)
        return tf.expm1(tf.log(y) * self.power) / self.power

    def _inverse_log_det_jacobian(self, y):
        return (self.power - 1.0) * tf.log(self._valid_y(y))

    def _forward_log_det_jacobian(self, x):
        x = self._valid_x(x)
        if self.power == 0.0:
            return x
        return (1.0 / self.power - 1.0) * tf.log1p(x * self.power)


class Exp(PowerTransform):
    """``Y = exp(X)`` (PowerTransform with power 0)."""

    def __init__(self, validate_args=False, name="exp"):
        super().__init__(validate_args=validate_args, name=name)


class Gumbel(_Elementwise):
    """``Y = exp(-exp(-(X - loc) / scale))``: the Gumbel CDF, from the real line to [0, 1]."""

    def __init__(self, loc=0.0, scale=1.0, validate_args=False, name="gumbel"):
        with self._open_init(name, validate_args, [loc, scale]):
            self._loc = tf.convert_to_tensor(loc, name="loc")
            self._scale = tf.convert_to_tensor(scale, name="scale")
            tf.assert_same_float_dtype([self._loc, self._scale])
            if validate_args:
                self._scale = with_dependencies([tf.assert_positive(
                    self._scale, message="Argument scale was not positive")], self._scale)
        super().__init__(validate_args=validate_args, forward_min_event_ndims=0, name=name)

    loc = property(lambda self: self._loc)
    scale = property(lambda self: self._scale)

    def _valid_y(self, y):
        return self._checked(y, [
            tf.assert_non_negative(y, message="Inverse transformation input must be greater "
                                   "than 0."),
            tf.assert_less_equal(y, tf.constant(1.0, y.dtype), message="Inverse "
                                 "transformation input must be less than or equal to 1.")]
            if self.validate_args else [])

    def _forward(self, x):
        return tf.exp(-tf.exp(-(x - self.loc) / self.scale))

    def _inverse(self, y):
        return self.loc - self.scale * tf.log(-tf.log(self._valid_y(y)))

    def _inverse_log_det_jacobian(self, y):
        y = self._valid_y(y)
        return tf.log(self.scale / (-tf.log(y) * y))

    def _forward_log_det_jacobian(self, x):
        z = (x - self.loc) / self.scale
        return -z - tf.exp(-z) - tf.log(self.scale)


class Kumaraswamy(_Elementwise):
    """``Y = (1 - (1 - X)**(1 / b))**(1 / a)`` on [0, 1], with ``a = concentration1`` and
    ``b = concentration0`` (1 when not given)."""

    def __init__(self, concentration1=None, concentration0=None, validate_args=False,
                 name="kumaraswamy"):
        with self._open_init(name, validate_args, [concentration1, concentration0]):
            self._concentration1, self._concentration0 = (
                self._valid_concentration(tf.convert_to_tensor(
                    1.0 if c is None else c, name=label), validate_args)
                for c, label in ((concentration1, "concentration1"),
                                 (concentration0, "concentration0")))
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    concentration1 = property(lambda self: self._concentration1)
    concentration0 = property(lambda self: self._concentration0)

    @staticmethod
    def _valid_concentration(c, validate_args):
        if not validate_args:
            return c
        return with_dependencies([tf.assert_positive(
            c, message="Concentration parameter must be positive.")], c)

    def _valid(self, x):
        return self._checked(x, [
            tf.assert_non_negative(x, message="sample must be non-negative"),
            tf.assert_less_equal(x, tf.ones([], self.concentration0.dtype),
                                 message="sample must be no larger than `1`.")]
            if self.validate_args else [])

    def _forward(self, x):
        x = self._valid(x)
        return tf.exp(tf.log1p(-tf.exp(tf.log1p(-x) / self.concentration0))
                      / self.concentration1)

    def _inverse(self, y):
        y = self._valid(y)
        return tf.exp(tf.log1p(-(1 - y ** self.concentration1) ** self.concentration0))

    def _inverse_log_det_jacobian(self, y):
        y = self._valid(y)
        a, b = self.concentration1, self.concentration0
        return tf.log(a) + tf.log(b) + (a - 1) * tf.log(y) + (b - 1) * tf.log1p(-y ** a)


class Sigmoid(_Elementwise):
    """``Y = 1 / (1 + exp(-X))``."""

    def __init__(self, validate_args=False, name="sigmoid"):
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    def _forward(self, x):
        return tf.sigmoid(x)

    def _inverse(self, y):
        return tf.log(y) - tf.log1p(-y)

    def _inverse_log_det_jacobian(self, y):
        return -tf.log(y) - tf.log1p(-y)

    def _forward_log_det_jacobian(self, x):
        return -tf.nn.softplus(-x) - tf.nn.softplus(x)


def _sqrt_x2_plus_1(x):
    """``sqrt(1 + x**2)``, as ``|x|`` where squaring would overflow."""
    return tf.where_v2(tf.abs(x) * np.sqrt(np.finfo(x.dtype.as_numpy_dtype).eps) <= 1.0,
                       tf.sqrt(x ** 2.0 + 1.0), tf.abs(x))


class SinhArcsinh(_Elementwise):
    """``Y = sinh((arcsinh(X) + skewness) * tailweight)``."""

    def __init__(self, skewness=None, tailweight=None, validate_args=False, name="SinhArcsinh"):
        with self._open_init(name, validate_args, [skewness, tailweight]):
            self._skewness = tf.convert_to_tensor(0.0 if skewness is None else skewness,
                                                  name="skewness")
            self._tailweight = tf.convert_to_tensor(
                1.0 if tailweight is None else tailweight, name="tailweight",
                dtype=self._skewness.dtype)
            tf.assert_same_float_dtype([self._skewness, self._tailweight])
            if validate_args:
                self._tailweight = with_dependencies([tf.assert_positive(
                    self._tailweight, message="Argument tailweight was not positive")],
                    self._tailweight)
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    skewness = property(lambda self: self._skewness)
    tailweight = property(lambda self: self._tailweight)

    def _forward(self, x):
        return tf.sinh((tf.asinh(x) + self.skewness) * self.tailweight)

    def _inverse(self, y):
        return tf.sinh(tf.asinh(y) / self.tailweight - self.skewness)

    def _inverse_log_det_jacobian(self, y):
        # dx/dy = cosh(asinh(y) / tailweight - skewness) / (tailweight sqrt(y^2 + 1)), the
        # ratio taken inside the log so the two large factors cancel first.
        return (tf.log(tf.cosh(tf.asinh(y) / self.tailweight - self.skewness)
                       / _sqrt_x2_plus_1(y)) - tf.log(self.tailweight))

    def _forward_log_det_jacobian(self, x):
        return (tf.log(tf.cosh((tf.asinh(x) + self.skewness) * self.tailweight)
                       / _sqrt_x2_plus_1(x)) + tf.log(self.tailweight))


def softplus_inverse(x, name=None):
    """``log(exp(x) - 1)``, stable at both ends (TF's distribution_util.softplus_inverse)."""
    with tf.name_scope(name, "softplus_inverse", [x]):
        x = tf.convert_to_tensor(x, name="x")
        threshold = np.log(np.finfo(x.dtype.as_numpy_dtype).eps) + 2.0
        is_too_small = tf.less(x, np.exp(threshold))
        is_too_large = tf.greater(x, -threshold)
        too_small_value = tf.log(x)
        too_large_value = x
        # Feed a harmless value to the branch not taken, so neither makes a NaN gradient.
        x = tf.where_v2(tf.logical_or(is_too_small, is_too_large), tf.ones_like(x), x)
        y = x + tf.log(-tf.expm1(-x))  # log(exp(x) - 1) = x + log(1 - exp(-x))
        return tf.where_v2(is_too_small, too_small_value,
                           tf.where_v2(is_too_large, too_large_value, y))


class Softplus(_Elementwise):
    """``Y = c * log(1 + exp(X / c))`` with ``c = hinge_softness`` (1 when None)."""

    def __init__(self, hinge_softness=None, validate_args=False, name="softplus"):
        with tf.name_scope(name, values=[hinge_softness]):
            self._hinge_softness = (None if hinge_softness is None else
                                    tf.convert_to_tensor(hinge_softness,
                                                         name="hinge_softness"))
            if validate_args and self._hinge_softness is not None:
                self._hinge_softness = with_dependencies([tf.assert_none_equal(
                    tf.convert_to_tensor(0, dtype=self._hinge_softness.dtype),
                    self._hinge_softness, message="hinge_softness must be non-zero")],
                    self._hinge_softness)
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    hinge_softness = property(lambda self: self._hinge_softness)

    def _c(self, t):
        return tf.cast(self.hinge_softness, t.dtype)

    def _forward(self, x):
        if self.hinge_softness is None:
            return tf.nn.softplus(x)
        return self._c(x) * tf.nn.softplus(x / self._c(x))

    def _inverse(self, y):
        if self.hinge_softness is None:
            return softplus_inverse(y)
        return self._c(y) * softplus_inverse(y / self._c(y))

    def _inverse_log_det_jacobian(self, y):
        # dx/dy = 1 / (1 - exp(-y / c)): -log(-expm1(-y / c)) is stable for large and small y.
        if self.hinge_softness is not None:
            y /= self._c(y)
        return -tf.log(-tf.expm1(-y))

    def _forward_log_det_jacobian(self, x):
        if self.hinge_softness is not None:
            x /= self._c(x)
        return -tf.nn.softplus(-x)


class Softsign(_Elementwise):
    """``Y = X / (1 + |X|)``, from the real line to (-1, 1)."""

    def __init__(self, validate_args=False, name="softsign"):
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    def _valid_y(self, y):
        return self._checked(y, [
            tf.assert_greater(y, tf.cast(-1.0, y.dtype.base_dtype),
                              message="Inverse transformation input must be greater than -1."),
            tf.assert_less(y, tf.cast(1.0, y.dtype.base_dtype),
                           message="Inverse transformation input must be less than 1.")]
            if self.validate_args else [])

    def _forward(self, x):
        return x / (1.0 + tf.abs(x))

    def _inverse(self, y):
        y = self._valid_y(y)
        return y / (1.0 - tf.abs(y))

    def _forward_log_det_jacobian(self, x):
        return -2.0 * tf.log1p(tf.abs(x))

    def _inverse_log_det_jacobian(self, y):
        return -2.0 * tf.log1p(-tf.abs(self._valid_y(y)))


class Square(_Elementwise):
    """``Y = X**2`` on the non-negative reals."""

    def __init__(self, validate_args=False, name="square"):
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    def _valid(self, t):
        return self._checked(t, [tf.assert_non_negative(
            t, message="All elements must be non-negative.")] if self.validate_args else [])

    def _forward(self, x):
        return tf.square(self._valid(x))

    def _inverse(self, y):
        return tf.sqrt(self._valid(y))

    def _forward_log_det_jacobian(self, x):
        return np.log(2.0) + tf.log(self._valid(x))
