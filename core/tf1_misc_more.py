"""TF1's ``tf.DeviceSpec`` (TF's DeviceSpecV1: mutable fields) over core/device.py's parsing and
printing of device strings, and ``tf.create_partitioned_variables`` over the variable store's
partitioned path (core/partitioned_variables.py)."""

from __future__ import annotations

import numbers

from . import dtypes as _dt
from .device import device_string, parse_device
from .graph import get_default_graph
from .partitioned_variables import get_partitioned_variable
from .tensor_shape import as_shape
from .variables import _store, variable_scope

__all__ = ["DeviceSpec", "create_partitioned_variables"]

_FIELDS = ("job", "replica", "task", "device_type", "device_index")


def _str_or_none(v):
    return None if v is None else str(v)


def _int_or_none(v):
    return None if v is None else int(v)


def _device_type_or_none(v):
    return v.upper() if v in ("cpu", "gpu") else _str_or_none(v)  # TF's leniency: cpu -> CPU


class DeviceSpec:
    """TF1's ``tf.DeviceSpec``: a (partial) device, ``/job:<job>/replica:<n>/task:<n>/device:
    <TYPE>:<n>``, each part optional. Unlike TF2's, its fields can be set, and
    ``parse_from_string`` / ``merge_from`` change it in place."""

    __slots__ = ("_job", "_replica", "_task", "_device_type", "_device_index")

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = replica
        self.task = task
        self.device_type = device_type
        self.device_index = device_index

    job = property(lambda self: self._job,
                   lambda self, v: setattr(self, "_job", _str_or_none(v)))
    replica = property(lambda self: self._replica,
                       lambda self, v: setattr(self, "_replica", _int_or_none(v)))
    task = property(lambda self: self._task,
                    lambda self, v: setattr(self, "_task", _int_or_none(v)))
    device_type = property(lambda self: self._device_type,
                           lambda self, v: setattr(self, "_device_type", _device_type_or_none(v)))
    device_index = property(lambda self: self._device_index,
                            lambda self, v: setattr(self, "_device_index", _int_or_none(v)))

    def _values(self) -> tuple:
        return tuple(getattr(self, f) for f in _FIELDS)

    @staticmethod
    def _string_to_components(spec) -> tuple:
        """(job, replica, task, device_type, device_index) of a device string; ValueError for
        an unknown part or two device types, as TF's."""
        fields = parse_device(spec or "")
        return tuple(fields.get(f) for f in _FIELDS)

    def to_string(self) -> str:
        """The canonical string, e.g. ``/job:ps/replica:0/task:1/device:GPU:0`` (an unset
        device index prints as ``*``)."""
        return device_string({f: v for f, v in zip(_FIELDS, self._values()) if v is not None})

    @classmethod
    def from_string(cls, spec):
        """A new DeviceSpec parsed from ``spec`` ("/job:w/task:0/gpu:1", "/cpu:0", ...)."""
        return cls(*cls._string_to_components(spec))

    def parse_from_string(self, spec):
        """Sets every field from ``spec`` (those it omits become None); returns self."""
        (self.job, self.replica, self.task, self.device_type,
         self.device_index) = self._string_to_components(spec)
        return self

    def _combined(self, dev) -> tuple:
        return tuple(b if b is not None else a for a, b in zip(self._values(), dev._values()))

    def merge_from(self, dev):
        """Takes each field ``dev`` sets (in place)."""
        (self.job, self.replica, self.task, self.device_type,
         self.device_index) = self._combined(dev)

    def make_merged_spec(self, dev):
        """A new DeviceSpec: this one with the fields ``dev`` sets taken from ``dev``."""
        return self.__class__(*self._combined(dev))

    def replace(self, **kwargs):
        """A new DeviceSpec with the given fields replaced."""
        return self.__class__(**{**dict(zip(_FIELDS, self._values())), **kwargs})

    def __eq__(self, other):
        return isinstance(other, self.__class__) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())

    def __repr__(self):
        return (f"<DeviceSpec(job={self.job}, replica={self.replica}, task={self.task}, "
                f"device_type={self.device_type}, device_index={self.device_index})>")


def create_partitioned_variables(shape, slicing, initializer, dtype=_dt.float32, trainable=True,
                                 collections=None, name=None, reuse=None) -> list:
    """``tf.create_partitioned_variables``: the parts of a variable of ``shape`` cut along the
    one axis where ``slicing`` (parts per axis) is above 1, named ``<name>/part_<i>`` in a
    variable scope ``name`` (default ``PartitionedVariable``, made unique); the earlier parts
    take the extra rows. ``initializer`` is a value for the whole variable or an initializer
    called per part. Returns the list of part Variables."""
    shape, slicing = list(shape), list(slicing)
    if len(shape) != len(slicing):
        raise ValueError("The 'shape' and 'slicing' of a partitioned Variable must have the "
                         f"length: shape: {shape}, slicing: {slicing}")
    if len(shape) < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1: shape: {shape}")
    for axis, (size, parts) in enumerate(zip(shape, slicing)):
        if isinstance(size, numbers.Integral) and isinstance(parts, numbers.Integral) \
                and parts > size >= 0:  # numpy ints too
            offset = [0] * len(shape)  # TF's error: the first part that would start past the end
            offset[axis] = size
            raise ValueError(f"Expected 0 <= offset < shape but found offset={size}, "
                             f"shape={size} for var_offset={offset}, full_shape={shape}")
    with variable_scope(name, "PartitionedVariable", reuse=reuse) as scope:
        with get_default_graph().name_scope(None):
            pv = get_partitioned_variable(
                _store(), scope.name, lambda **_: slicing, as_shape(shape), dtype, initializer,
                scope.reuse, regularizer=None, trainable=trainable, collections=collections,
                constraint=None)
    return list(pv)
