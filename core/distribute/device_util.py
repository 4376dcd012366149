"""Device strings as tf.distribute spells them (TF 1.15's device_util), and the devices minitf
has: the CPU, split into logical CPUs when ``tf.config`` says so."""

from __future__ import annotations

from .. import config as _config
from ..device import device_string, parse_device
from ..errors import InvalidArgumentError, UnimplementedError
from ..graph import get_default_graph

_DEFAULTS = {"replica": 0, "task": 0, "device_type": "CPU", "device_index": 0}


def canonicalize(d: str, default: str | None = None) -> str:
    """``d`` with its missing fields from ``default``, else /replica:0/task:0/device:CPU:0 (no
    job: TF's graph-mode default)."""
    fields = dict(_DEFAULTS)
    if default:
        fields.update(parse_device(default))
    fields.update(parse_device(d))
    return device_string(fields)


class _FakeOp:
    _device = ""
    type = name = ""


def current() -> str:
    """The device the current ``tf.device`` scopes give a new op ("" for none)."""
    op = _FakeOp()
    for fn in reversed(get_default_graph()._device_stack):
        if fn is None:
            break
        op._device = fn(op)
    return op._device


def resolve(d: str) -> str:
    return canonicalize(d, default=current())


def get_host_for_device(device: str) -> str:
    fields = parse_device(device)
    fields.update(device_type="CPU", device_index=0)
    return device_string(fields)


def local_cpus() -> list[str]:
    """The local devices, canonical: one CPU, or as many logical CPUs as tf.config split it into
    (none when the CPU was hidden with set_visible_devices)."""
    cpu = _config.list_physical_devices("CPU")[0]
    if cpu not in _config.get_visible_devices("CPU"):
        return []
    n = len(_config.get_logical_device_configuration(cpu) or [None])
    return [canonicalize(f"/device:CPU:{i}") for i in range(n)]


def check_available(devices, who: str) -> tuple:
    """``devices`` canonicalized; InvalidArgumentError for one this process does not have, as
    TF's placer reports an unknown device (TF does at Session.run; minitf places nothing, so
    here)."""
    available = local_cpus()
    out = []
    for d in devices:
        if not isinstance(d, str):
            raise TypeError(f"{who}: a device must be a string, got {d!r}")
        job = parse_device(d).get("job")
        if job not in (None, "localhost"):
            raise UnimplementedError(None, None, f"{who}: device {d} is on job {job!r}; "
                                     "minitf runs in one process (no workers to place on)")
        c = resolve(d).replace("/job:localhost", "")
        if c not in available:
            listed = ", ".join("/job:localhost" + a for a in available)
            raise InvalidArgumentError(
                None, None, f"{who}: device {c} was requested but available devices are "
                f"[ {listed} ]. Make sure the device specification refers to a valid device. "
                "(minitf runs on the CPU: no GPU or TPU)")
        out.append(c)
    return tuple(out)
