"""``tf.contrib.distributions.bijectors`` (TF 1.15), part one: the ``Bijector`` base class
(TF's ``tensorflow/python/ops/distributions/bijector_impl.py``) and ``ConditionalBijector``.

A bijector is ``Y = g(X)`` with ``forward``, ``inverse`` and the log-determinants of their
Jacobians. Subclasses implement ``_forward``, ``_inverse`` and one of ``_inverse_log_det_jacobian``
/ ``_forward_log_det_jacobian`` for the minimal event (``forward_min_event_ndims`` /
``inverse_min_event_ndims`` dimensions); the public methods sum over the extra event dimensions
asked for (``event_ndims``), derive a missing log-det from the other one, and cache each
``(x, y)`` pair they see so that ``inverse(forward(x))`` is ``x`` itself, as TF's."""

from __future__ import annotations

import abc
import contextlib
import re

import numpy as np

import minitf as tf

from ..graph import Tensor
from ..tensor_conversion import constant_value

__all__ = ["Bijector", "ConditionalBijector"]


def _frozen(value):
    """A hashable stand-in for a kwargs value (lists become tuples; tensors hash by id)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


class _Mapping:
    """One cached transformation: ``x``, ``y`` (either may be unknown), the inverse log-det
    Jacobians computed so far by event_ndims, and the kwargs they were computed with."""

    __slots__ = ("x", "y", "ildj", "kwargs")

    def __init__(self, x=None, y=None, ildj=None, kwargs=None):
        self.x, self.y, self.ildj, self.kwargs = x, y, dict(ildj or {}), dict(kwargs or {})

    def key(self, value):
        return (value, _frozen(self.kwargs))

    def merged(self, other):
        """The union of two mappings of the same transformation; a conflict is a bug."""
        for mine, theirs in ((self.x, other.x), (self.y, other.y)):
            if mine is not None and theirs is not None and mine is not theirs:
                raise ValueError(f"Incompatible cached values: {mine} != {theirs}")
        ildj = dict(self.ildj)
        for k, v in other.ildj.items():
            if ildj.get(k) is not None and ildj[k] is not v:
                raise ValueError(f"Found different value for existing key (key:{k} "
                                 f"old_value:{ildj[k]} new_value:{v}")
            ildj[k] = v
        return _Mapping(self.x if self.x is not None else other.x,
                        self.y if self.y is not None else other.y, ildj,
                        self.kwargs or other.kwargs)


def _hashable(event_ndims):
    """event_ndims as a key of the caches: a Python int when it is a known scalar."""
    if isinstance(event_ndims, (np.generic, np.ndarray)) and np.ndim(event_ndims) == 0:
        return int(event_ndims)
    return event_ndims


def _camel_to_snake(name):
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def static_event_ndims(event_ndims):
    """``event_ndims`` as a Python int when known at graph construction, else None."""
    if isinstance(event_ndims, Tensor):
        event_ndims = constant_value(event_ndims)
        if event_ndims is None:
            return None
    if isinstance(event_ndims, (np.generic, np.ndarray)):
        if event_ndims.dtype not in (np.int32, np.int64):
            raise ValueError(f"Expected integer dtype, got dtype {event_ndims.dtype}")
        if isinstance(event_ndims, np.ndarray) and event_ndims.shape:
            raise ValueError(f"Expected a scalar integer, got {event_ndims}")
    return int(event_ndims)


class Bijector(metaclass=abc.ABCMeta):
    """TF1's ``Bijector``: a differentiable, invertible ``Y = g(X)`` (or, with
    ``_is_injective`` False, a map whose inverse is a tuple of the preimages' branches)."""

    @abc.abstractmethod
    def __init__(self, graph_parents=None, is_constant_jacobian=False, validate_args=False,
                 dtype=None, forward_min_event_ndims=None, inverse_min_event_ndims=None,
                 name=None):
        self._graph_parents = list(graph_parents or [])
        if forward_min_event_ndims is None and inverse_min_event_ndims is None:
            raise ValueError("Must specify at least one of `forward_min_event_ndims` and "
                             "`inverse_min_event_ndims`.")
        if inverse_min_event_ndims is None:
            inverse_min_event_ndims = forward_min_event_ndims
        elif forward_min_event_ndims is None:
            forward_min_event_ndims = inverse_min_event_ndims
        for what, value in (("forward_min_event_ndims", forward_min_event_ndims),
                            ("inverse_min_event_ndims", inverse_min_event_ndims)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"Expected {what} to be of type int, got "
                                f"{type(value).__name__}")
            if value < 0:
                raise ValueError(f"{what} must be a non-negative integer.")
        self._forward_min_event_ndims = forward_min_event_ndims
        self._inverse_min_event_ndims = inverse_min_event_ndims
        self._is_constant_jacobian = is_constant_jacobian
        self._constant_ildj_map = {}
        self._validate_args = validate_args
        self._dtype = tf.as_dtype(dtype) if dtype is not None else None
        self._from_x, self._from_y = {}, {}
        # snake_case by default: Chain keys its per-bijector kwargs by these names.
        self._name = name or _camel_to_snake(type(self).__name__.lstrip("_"))
        for i, t in enumerate(self._graph_parents):
            if t is None or not isinstance(t, Tensor):
                raise ValueError(f"Graph parent item {i} is not a Tensor; {t}.")

    graph_parents = property(lambda self: self._graph_parents)
    forward_min_event_ndims = property(lambda self: self._forward_min_event_ndims)
    inverse_min_event_ndims = property(lambda self: self._inverse_min_event_ndims)
    is_constant_jacobian = property(lambda self: self._is_constant_jacobian)
    validate_args = property(lambda self: self._validate_args)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)

    @property
    def _is_injective(self):
        """False for a map with several preimages (AbsoluteValue): its inverse and inverse
        log-det Jacobian are tuples over the branches, and nothing is cached."""
        return True

    # -- event shapes ---------------------------------------------------------------------------
    def _forward_event_shape_tensor(self, input_shape):
        return input_shape

    def forward_event_shape_tensor(self, input_shape, name="forward_event_shape_tensor"):
        """The event shape (int32 vector) ``forward`` makes of one of ``input_shape``."""
        with self._name_scope(name, [input_shape]):
            input_shape = tf.convert_to_tensor(input_shape, dtype=tf.int32, name="input_shape")
            return self._forward_event_shape_tensor(input_shape)

    def _forward_event_shape(self, input_shape):
        return input_shape

    def forward_event_shape(self, input_shape):
        """``forward_event_shape_tensor`` as a (possibly partial) TensorShape."""
        return self._forward_event_shape(tf.TensorShape(input_shape))

    def _inverse_event_shape_tensor(self, output_shape):
        return output_shape

    def inverse_event_shape_tensor(self, output_shape, name="inverse_event_shape_tensor"):
        """The event shape (int32 vector) ``inverse`` makes of one of ``output_shape``."""
        with self._name_scope(name, [output_shape]):
            output_shape = tf.convert_to_tensor(output_shape, dtype=tf.int32,
                                                name="output_shape")
            return self._inverse_event_shape_tensor(output_shape)

    def _inverse_event_shape(self, output_shape):
        return tf.TensorShape(output_shape)

    def inverse_event_shape(self, output_shape):
        """``inverse_event_shape_tensor`` as a (possibly partial) TensorShape."""
        return self._inverse_event_shape(tf.TensorShape(output_shape))

    # -- forward and inverse --------------------------------------------------------------------
    def _forward(self, x, **kwargs):
        raise NotImplementedError(f"forward not implemented: {type(self).__name__}")

    def _inverse(self, y, **kwargs):
        raise NotImplementedError(f"inverse not implemented: {type(self).__name__}")

    def _call_forward(self, x, name, **kwargs):
        with self._name_scope(name, [x]):
            x = tf.convert_to_tensor(x, name="x")
            self._maybe_assert_dtype(x)
            if not self._is_injective:
                return self._forward(x, **kwargs)
            mapping = self._lookup(x=x, kwargs=kwargs)
            if mapping.y is None:
                mapping = mapping.merged(_Mapping(y=self._forward(x, **kwargs)))
                self._cache(mapping)
            return mapping.y

    def forward(self, x, name="forward"):
        """``y = g(x)``."""
        return self._call_forward(x, name)

    def _call_inverse(self, y, name, **kwargs):
        with self._name_scope(name, [y]):
            y = tf.convert_to_tensor(y, name="y")
            self._maybe_assert_dtype(y)
            if not self._is_injective:
                return self._inverse(y, **kwargs)
            mapping = self._lookup(y=y, kwargs=kwargs)
            if mapping.x is None:
                mapping = mapping.merged(_Mapping(x=self._inverse(y, **kwargs)))
                self._cache(mapping)
            return mapping.x

    def inverse(self, y, name="inverse"):
        """``x = g^{-1}(y)`` (for a non-injective map, the tuple of its branches)."""
        return self._call_inverse(y, name)

    # -- log-determinants of the Jacobians ------------------------------------------------------
    def _inverse_log_det_jacobian(self, y, **kwargs):
        raise NotImplementedError(
            f"inverse_log_det_jacobian not implemented: {type(self).__name__}")

    def _forward_log_det_jacobian(self, x, **kwargs):
        raise NotImplementedError(
            f"forward_log_det_jacobian not implemented: {type(self).__name__}")

    def _call_inverse_log_det_jacobian(self, y, event_ndims, name, **kwargs):
        with self._name_scope(name, [y]):
            checks = self._check_valid_event_ndims(self.inverse_min_event_ndims, event_ndims)
            event_ndims = _hashable(event_ndims)
            if event_ndims in self._constant_ildj_map:
                return self._constant_ildj_map[event_ndims]
            y = tf.convert_to_tensor(y, name="y")
            self._maybe_assert_dtype(y)
            with tf.control_dependencies(checks):
                if not self._is_injective:
                    return tuple(self._reduce_jacobian_det_over_event(
                        y, ildj, self.inverse_min_event_ndims, event_ndims)
                        for ildj in self._inverse_log_det_jacobian(y, **kwargs))
                mapping = self._lookup(y=y, kwargs=kwargs)
                if event_ndims in mapping.ildj:
                    return mapping.ildj[event_ndims]
                x = None
                try:
                    ildj = self._reduce_jacobian_det_over_event(
                        y, self._inverse_log_det_jacobian(y, **kwargs),
                        self.inverse_min_event_ndims, event_ndims)
                except NotImplementedError as missing:
                    try:  # -fldj at x = g^{-1}(y)
                        x = mapping.x if mapping.x is not None else self._inverse(y, **kwargs)
                        ildj = self._reduce_jacobian_det_over_event(
                            x, -self._forward_log_det_jacobian(x, **kwargs),
                            self.forward_min_event_ndims, event_ndims)
                    except NotImplementedError:
                        raise missing from None
                self._cache(mapping.merged(_Mapping(x=x, ildj={event_ndims: ildj})))
                if self.is_constant_jacobian:
                    self._constant_ildj_map[event_ndims] = ildj
                return ildj

    def inverse_log_det_jacobian(self, y, event_ndims, name="inverse_log_det_jacobian"):
        """``log |det dX/dY|(y)``, summed over the last ``event_ndims`` dimensions of ``y``
        (at least ``inverse_min_event_ndims``)."""
        return self._call_inverse_log_det_jacobian(y, event_ndims, name)

    def _call_forward_log_det_jacobian(self, x, event_ndims, name, **kwargs):
        if not self._is_injective:
            raise NotImplementedError("forward_log_det_jacobian cannot be implemented for "
                                      "non-injective transforms.")
        with self._name_scope(name, [x]):
            checks = self._check_valid_event_ndims(self.forward_min_event_ndims, event_ndims)
            event_ndims = _hashable(event_ndims)
            with tf.control_dependencies(checks):
                if event_ndims in self._constant_ildj_map:
                    return -1.0 * self._constant_ildj_map[event_ndims]
                x = tf.convert_to_tensor(x, name="x")
                self._maybe_assert_dtype(x)
                mapping = self._lookup(x=x, kwargs=kwargs)
                if event_ndims in mapping.ildj:
                    return -mapping.ildj[event_ndims]
                y = None
                try:
                    ildj = -self._reduce_jacobian_det_over_event(
                        x, self._forward_log_det_jacobian(x, **kwargs),
                        self.forward_min_event_ndims, event_ndims)
                except NotImplementedError as missing:
                    try:  # -ildj at y = g(x)
                        y = mapping.y if mapping.y is not None else self._forward(x, **kwargs)
                        ildj = self._reduce_jacobian_det_over_event(
                            y, self._inverse_log_det_jacobian(y, **kwargs),
                            self.inverse_min_event_ndims, event_ndims)
                    except NotImplementedError:
                        raise missing from None
                self._cache(mapping.merged(_Mapping(y=y, ildj={event_ndims: ildj})))
                if self.is_constant_jacobian:
                    self._constant_ildj_map[event_ndims] = ildj
                return -ildj

    def forward_log_det_jacobian(self, x, event_ndims, name="forward_log_det_jacobian"):
        """``log |det dY/dX|(x)``, summed over the last ``event_ndims`` dimensions of ``x``
        (at least ``forward_min_event_ndims``)."""
        return self._call_forward_log_det_jacobian(x, event_ndims, name)

    # -- helpers --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _name_scope(self, name=None, values=None):
        with tf.name_scope(self.name):
            with tf.name_scope(name, values=(values or []) + self.graph_parents) as scope:
                yield scope

    def _maybe_assert_dtype(self, x):
        if self.dtype is not None and self.dtype.base_dtype != x.dtype.base_dtype:
            raise TypeError(f"Input had dtype {x.dtype.name} but bijector '{self.name}' "
                            f"expected {self.dtype.name}.")

    def _cache(self, mapping):
        """Stores ``mapping`` under both its x and its y (merged with what is there)."""
        for known in (self._lookup(x=mapping.x, kwargs=mapping.kwargs),
                      self._lookup(y=mapping.y, kwargs=mapping.kwargs)):
            mapping = mapping.merged(known)
        if mapping.x is None and mapping.y is None:
            raise ValueError("Caching expects at least one of (x,y) to be known, i.e., not "
                             "None.")
        if mapping.x is not None:
            self._from_x[mapping.key(mapping.x)] = mapping
        if mapping.y is not None:
            self._from_y[mapping.key(mapping.y)] = mapping

    def _lookup(self, x=None, y=None, kwargs=None):
        mapping = _Mapping(x=x, y=y, kwargs=kwargs)
        if x is not None:
            return self._from_x.get(mapping.key(x), mapping)
        if y is not None:
            return self._from_y.get(mapping.key(y), mapping)
        return mapping

    def _reduce_jacobian_det_over_event(self, y, ildj, min_event_ndims, event_ndims):
        """``ildj`` (over the minimal event) summed over the ``event_ndims - min_event_ndims``
        dimensions left of it; a constant Jacobian is first tiled over those dimensions."""
        axes = self._get_event_reduce_dims(min_event_ndims, event_ndims)
        if not self.is_constant_jacobian:
            return tf.reduce_sum(ildj, axes)
        rank = tf.rank(y)
        ones = tf.ones(tf.shape(y)[rank - event_ndims:rank - min_event_ndims], ildj.dtype)
        reduced = tf.reduce_sum(ones * ildj, axis=axes)
        static = static_event_ndims(event_ndims)
        if static is not None and y.shape.ndims is not None and ildj.shape.ndims is not None:
            tiled = y.shape[y.shape.ndims - static:y.shape.ndims - min_event_ndims]
            shape = tf.broadcast_static_shape(ildj.shape, tiled)
            reduced.set_shape(shape[:shape.ndims - (static - min_event_ndims)])
        return reduced

    def _get_event_reduce_dims(self, min_event_ndims, event_ndims):
        static = static_event_ndims(event_ndims)
        if static is not None:
            return [-i for i in range(1, static - min_event_ndims + 1)]
        return tf.range(-(event_ndims - min_event_ndims), 0)

    def _check_valid_event_ndims(self, min_event_ndims, event_ndims):
        """Run-time checks (only with validate_args and an event_ndims unknown until then);
        a static event_ndims below the minimum or not a scalar integer fails now."""
        event_ndims = tf.convert_to_tensor(event_ndims, name="event_ndims")
        if not event_ndims.dtype.is_integer:
            raise ValueError(f"Expected integer dtype, got dtype {event_ndims.dtype.name} for "
                             f"event_ndims of bijector '{self.name}'")
        if event_ndims.shape.ndims is not None and event_ndims.shape.ndims != 0:
            raise ValueError(f"Expected scalar event_ndims, got shape {event_ndims.shape}")
        value = constant_value(event_ndims)
        assertions = []
        if value is not None:
            if min_event_ndims > int(value):
                raise ValueError(f"event_ndims ({int(value)}) must be larger than "
                                 f"min_event_ndims ({min_event_ndims}) of bijector "
                                 f"'{self.name}'")
        elif self.validate_args:
            assertions.append(tf.assert_greater_equal(
                event_ndims, min_event_ndims,
                message=f"event_ndims must be at least min_event_ndims ({min_event_ndims})"))
        if event_ndims.shape.ndims is None and self.validate_args:
            assertions.append(tf.assert_rank(event_ndims, 0, message="Expected scalar."))
        return assertions

    def _maybe_get_static_event_ndims(self, event_ndims):
        value = static_event_ndims(event_ndims)
        return event_ndims if value is None else value


class ConditionalBijector(Bijector):
    """A Bijector whose methods take conditioning keyword arguments, handed to the
    ``_forward`` & co. of the subclass (and part of the cache key)."""

    def forward(self, x, name="forward", **condition_kwargs):
        return self._call_forward(x, name, **condition_kwargs)

    def inverse(self, y, name="inverse", **condition_kwargs):
        return self._call_inverse(y, name, **condition_kwargs)

    def inverse_log_det_jacobian(self, y, event_ndims, name="inverse_log_det_jacobian",
                                 **condition_kwargs):
        return self._call_inverse_log_det_jacobian(y, event_ndims, name, **condition_kwargs)

    def forward_log_det_jacobian(self, x, event_ndims, name="forward_log_det_jacobian",
                                 **condition_kwargs):
        return self._call_forward_log_det_jacobian(x, event_ndims, name, **condition_kwargs)
