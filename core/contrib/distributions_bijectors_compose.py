"""``tf.contrib.distributions.bijectors`` (TF 1.15), part three: the bijectors made of
others or of callables: Identity, Inline, Invert and Chain (with TF's rule for the
``min_event_ndims`` of a chain of bijectors that change the event rank)."""

from __future__ import annotations

import itertools

import minitf as tf

from .distributions_bijectors_base import Bijector, static_event_ndims

__all__ = ["Chain", "Identity", "Inline", "Invert"]


class Identity(Bijector):
    """``Y = X``."""

    def __init__(self, validate_args=False, name="identity"):
        super().__init__(forward_min_event_ndims=0, is_constant_jacobian=True,
                         validate_args=validate_args, name=name)

    def _forward(self, x):
        return x

    def _inverse(self, y):
        return y

    def _inverse_log_det_jacobian(self, y):
        return tf.constant(0.0, dtype=y.dtype)

    def _forward_log_det_jacobian(self, x):
        return tf.constant(0.0, dtype=x.dtype)


def _same_shape(shape):
    return shape


class Inline(Bijector):
    """A bijector from callables; a method whose callable is missing raises
    NotImplementedError (so the base class can fall back to the other log-det Jacobian).
    Event shapes are unchanged unless their callables are given."""

    def __init__(self, forward_fn=None, inverse_fn=None, inverse_log_det_jacobian_fn=None,
                 forward_log_det_jacobian_fn=None, forward_event_shape_fn=None,
                 forward_event_shape_tensor_fn=None, inverse_event_shape_fn=None,
                 inverse_event_shape_tensor_fn=None, is_constant_jacobian=False,
                 validate_args=False, forward_min_event_ndims=None,
                 inverse_min_event_ndims=None, name="inline"):
        super().__init__(forward_min_event_ndims=forward_min_event_ndims,
                         inverse_min_event_ndims=inverse_min_event_ndims,
                         is_constant_jacobian=is_constant_jacobian,
                         validate_args=validate_args, name=name)
        self._fns = {"forward_fn": forward_fn, "inverse_fn": inverse_fn,
                     "inverse_log_det_jacobian_fn": inverse_log_det_jacobian_fn,
                     "forward_log_det_jacobian_fn": forward_log_det_jacobian_fn}
        self._shape_fns = [f or _same_shape for f in (
            forward_event_shape_fn, forward_event_shape_tensor_fn, inverse_event_shape_fn,
            inverse_event_shape_tensor_fn)]

    def _forward_event_shape(self, input_shape):
        return self._shape_fns[0](input_shape)

    def _forward_event_shape_tensor(self, input_shape):
        return self._shape_fns[1](input_shape)

    def _inverse_event_shape(self, output_shape):
        return self._shape_fns[2](output_shape)

    def _inverse_event_shape_tensor(self, output_shape):
        return self._shape_fns[3](output_shape)

    def _run(self, which, value, kwargs):
        fn = self._fns[which]
        if not callable(fn):
            raise NotImplementedError(f"{which} is not a callable function.")
        return fn(value, **kwargs)

    def _forward(self, x, **kwargs):
        return self._run("forward_fn", x, kwargs)

    def _inverse(self, y, **kwargs):
        return self._run("inverse_fn", y, kwargs)

    def _inverse_log_det_jacobian(self, y, **kwargs):
        return self._run("inverse_log_det_jacobian_fn", y, kwargs)

    def _forward_log_det_jacobian(self, x, **kwargs):
        return self._run("forward_log_det_jacobian_fn", x, kwargs)


class Invert(Bijector):
    """The inverse of ``bijector``: its forward is their inverse and vice versa."""

    def __init__(self, bijector, validate_args=False, name=None):
        if not bijector._is_injective:
            raise NotImplementedError("Invert is not implemented for non-injective bijectors.")
        self._bijector = bijector
        super().__init__(graph_parents=bijector.graph_parents,
                         forward_min_event_ndims=bijector.inverse_min_event_ndims,
                         inverse_min_event_ndims=bijector.forward_min_event_ndims,
                         is_constant_jacobian=bijector.is_constant_jacobian,
                         validate_args=validate_args, dtype=bijector.dtype,
                         name=name or "invert_" + bijector.name)

    bijector = property(lambda self: self._bijector)

    def _forward_event_shape(self, input_shape):
        return self.bijector._inverse_event_shape(input_shape)

    def _forward_event_shape_tensor(self, input_shape):
        return self.bijector._inverse_event_shape_tensor(input_shape)

    def _inverse_event_shape(self, output_shape):
        return self.bijector._forward_event_shape(output_shape)

    def _inverse_event_shape_tensor(self, output_shape):
        return self.bijector._forward_event_shape_tensor(output_shape)

    def _forward(self, x, **kwargs):
        return self.bijector.inverse(x, **kwargs)

    def _inverse(self, y, **kwargs):
        return self.bijector.forward(y, **kwargs)

    def _inverse_log_det_jacobian(self, y, **kwargs):
        return self.bijector.forward_log_det_jacobian(
            y, event_ndims=self.bijector.forward_min_event_ndims, **kwargs)

    def _forward_log_det_jacobian(self, x, **kwargs):
        return self.bijector.inverse_log_det_jacobian(
            x, event_ndims=self.bijector.inverse_min_event_ndims, **kwargs)


def _min_event_ndims(bijectors, forward=True):
    """The fewest event dimensions a chain needs: walking the bijectors in the order they are
    applied, each needs its own minimum counted from the right, and one that changes the rank
    shifts where the dimensions already touched sit."""
    needed = 0
    touched = 0  # rightmost dimensions the bijectors so far have worked on, in current rank
    for b in (reversed(bijectors) if forward else bijectors):
        own, other = ((b.forward_min_event_ndims, b.inverse_min_event_ndims) if forward
                      else (b.inverse_min_event_ndims, b.forward_min_event_ndims))
        if touched < own:
            needed += own - touched
        touched = max(own, touched) - (own - other)
    return needed


def _static_shape_usable(tensor, ndims):
    return tensor.shape.is_fully_defined() and isinstance(ndims, int)


class Chain(Bijector):
    """``Chain([f, g]).forward(x) == f.forward(g.forward(x))``: the last bijector of the list
    acts first. Per-bijector kwargs are keyed by bijector name."""

    def __init__(self, bijectors=None, validate_args=False, name=None):
        bijectors = tuple(bijectors or ())
        for b in bijectors:
            if not b._is_injective:
                raise NotImplementedError(
                    f"Invert is not implemented for non-injective bijector ({b.name})")
        self._bijectors = bijectors
        dtypes = list({b.dtype for b in bijectors})
        if len(dtypes) > 2 or (len(dtypes) == 2 and None not in dtypes):
            raise ValueError(f"incompatible dtypes: {dtypes}")
        dtype = next((d for d in dtypes if d is not None), None)
        super().__init__(
            graph_parents=list(itertools.chain.from_iterable(b.graph_parents
                                                             for b in bijectors)),
            forward_min_event_ndims=_min_event_ndims(bijectors, forward=True),
            inverse_min_event_ndims=_min_event_ndims(bijectors, forward=False),
            is_constant_jacobian=all(b.is_constant_jacobian for b in bijectors),
            validate_args=validate_args, dtype=dtype,
            name=name or ("identity" if not bijectors else
                          "_of_".join(["chain"] + [b.name for b in bijectors])))

    bijectors = property(lambda self: self._bijectors)

    def _shapes(self, method, shape, reverse):
        for b in (reversed(self.bijectors) if reverse else self.bijectors):
            shape = getattr(b, method)(shape)
        return shape

    def _forward_event_shape(self, input_shape):
        return self._shapes("forward_event_shape", input_shape, reverse=True)

    def _forward_event_shape_tensor(self, input_shape):
        return self._shapes("forward_event_shape_tensor", input_shape, reverse=True)

    def _inverse_event_shape(self, output_shape):
        return self._shapes("inverse_event_shape", output_shape, reverse=False)

    def _inverse_event_shape_tensor(self, output_shape):
        return self._shapes("inverse_event_shape_tensor", output_shape, reverse=False)

    def _forward(self, x, **kwargs):
        y = x
        for b in reversed(self.bijectors):
            y = b.forward(y, **kwargs.get(b.name, {}))
        return y

    def _inverse(self, y, **kwargs):
        x = y
        for b in self.bijectors:
            x = b.inverse(x, **kwargs.get(b.name, {}))
        return x

    def _sum_log_det(self, value, event_ndims, order, ldj_method, step_method, shape_method,
                     kwargs):
        """The sum of each bijector's log-det Jacobian along ``order``, each at the value and
        event rank it sees (a rank-changing bijector changes the event_ndims of the next)."""
        total = tf.cast(0.0, dtype=value.dtype.base_dtype)
        if not self.bijectors:
            return total
        static = static_event_ndims(event_ndims)
        event_ndims = event_ndims if static is None else static
        if _static_shape_usable(value, event_ndims):
            event_shape = value.shape[value.shape.ndims - event_ndims:]
        else:
            event_shape = tf.shape(value)[tf.rank(value) - event_ndims:]
        for b in order:
            b_kwargs = kwargs.get(b.name, {})
            total += getattr(b, ldj_method)(value, event_ndims=event_ndims, **b_kwargs)
            if _static_shape_usable(value, event_ndims):
                event_shape = getattr(b, shape_method)(event_shape)
                event_ndims = event_shape.ndims
            else:
                event_shape = getattr(b, shape_method + "_tensor")(event_shape)
                size = tf.size(event_shape)
                known = static_event_ndims(size)
                event_ndims = size if known is None else known
            value = getattr(b, step_method)(value, **b_kwargs)
        return total

    def _inverse_log_det_jacobian(self, y, **kwargs):
        y = tf.convert_to_tensor(y, name="y")
        return self._sum_log_det(y, self.inverse_min_event_ndims, self.bijectors,
                                 "inverse_log_det_jacobian", "inverse", "inverse_event_shape",
                                 kwargs)

    def _forward_log_det_jacobian(self, x, **kwargs):
        x = tf.convert_to_tensor(x, name="x")
        return self._sum_log_det(x, self.forward_min_event_ndims, reversed(self.bijectors),
                                 "forward_log_det_jacobian", "forward", "forward_event_shape",
                                 kwargs)
