"""Device strings as TensorFlow's DeviceSpec reads and prints them, what ``tf.device`` does
to a new op, and ``tf.train.replica_device_setter``. minitf runs everything on one CPU: devices
are recorded (GraphDefs carry them both ways), not acted on."""

from __future__ import annotations

import itertools

# Device strings follow TF's DeviceSpec: /job:<name>/replica:<n>/task:<n>/device:<TYPE>:<n|*>,
# each part optional; "/cpu:0" is short for "/device:CPU:0".
_DEVICE_TYPES = frozenset({"CPU", "GPU", "TPU", "CUSTOM", "EPU"})
_DEVICE_FIELDS = ("job", "replica", "task")


def parse_device(spec: str) -> dict:
    """The fields a device string sets, as TF's DeviceSpec.from_string reads them:
    ``"/job:ps/gpu:1"`` -> ``{"job": "ps", "device_type": "GPU", "device_index": 1}`` (an
    index of ``*``, or none, sets no "device_index")."""
    fields: dict = {}
    for part in spec.split("/"):
        key, *rest = part.split(":")
        if key in _DEVICE_FIELDS and len(rest) == 1:
            fields[key] = rest[0] if key == "job" else _device_int(rest[0], spec)
        elif key == "device" and len(rest) == 2:
            _set_device_type(fields, rest[0], rest[1], spec)
        elif key.upper() in _DEVICE_TYPES and len(rest) <= 1:
            _set_device_type(fields, key.upper(), rest[0] if rest else "*", spec)
        elif key:
            raise ValueError(f"Unknown attribute '{key}' is encountered while parsing the "
                             f"device spec: '{spec}'.")
    return fields


def _set_device_type(fields: dict, kind: str, index: str, spec: str):
    if "device_type" in fields:
        raise ValueError(f"Multiple device types are not allowed while parsing the device "
                         f"spec: {spec}.")
    fields["device_type"] = kind.upper() if kind in ("cpu", "gpu") else kind
    if index != "*":
        fields["device_index"] = _device_int(index, spec)


def _device_int(text: str, spec: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"Invalid device spec '{spec}': '{text}' is not an integer.") from None


def device_string(fields: dict) -> str:
    """TF's canonical string of device fields ("/job:ps/task:0/device:CPU:0")."""
    out = "".join(f"/{key}:{fields[key]}" for key in _DEVICE_FIELDS if key in fields)
    if "device_type" in fields:
        out += f"/device:{fields['device_type']}:{fields.get('device_index', '*')}"
    return out


def _device_text(device) -> str:
    """A device (string, bytes or DeviceSpec) as a string; TF's TypeError otherwise."""
    if hasattr(device, "to_string"):
        return device.to_string()
    if isinstance(device, bytes):
        return device.decode()
    if not isinstance(device, str):
        raise TypeError(f"Expected binary or unicode string, got {device!r}")
    return device


def _device_function(spec):
    """What ``tf.device(spec)`` does to a new op, as a function op -> its device; None for
    tf.device(None), which hides the outer scopes."""
    if spec is None:
        return None
    if callable(spec):
        return lambda op: _device_text(spec(op))
    fields = parse_device(_device_text(spec))  # a bad string fails at the `with`, as in TF
    if not fields:
        return lambda op: op._device  # tf.device(""): changes nothing
    # The device inner scopes gave wins field by field: "/job:w" around "/cpu:0" is both.
    return lambda op: device_string({**fields, **parse_device(op._device)})


# Op types replica_device_setter puts on the parameter servers (TF's STANDARD_PS_OPS).
_STANDARD_PS_OPS = ("Variable", "VariableV2", "AutoReloadVariable", "MutableHashTable",
                    "MutableHashTableV2", "MutableHashTableOfTensors",
                    "MutableHashTableOfTensorsV2", "MutableDenseHashTable",
                    "MutableDenseHashTableV2", "VarHandleOp",
                    "BoostedTreesEnsembleResourceHandleOp",
                    "BoostedTreesQuantileStreamResourceHandleOp",
                    "ResourceConditionalAccumulator", "DecisionTreeResource")


def replica_device_setter(ps_tasks=0, ps_device="/job:ps", worker_device="/job:worker",
                          merge_devices=True, cluster=None, ps_ops=None, ps_strategy=None):
    """``tf.train.replica_device_setter``: a device function that puts variables on the ps
    tasks round robin and every other op on ``worker_device``; None when there is no ps task.
    ``cluster`` (a dict job -> tasks, or a ClusterSpec) gives the number of ps tasks."""
    if cluster is not None:
        jobs = cluster.as_dict() if hasattr(cluster, "as_dict") else dict(cluster)
        ps_tasks = len(jobs.get(parse_device(ps_device).get("job")) or ())
    if not ps_tasks:
        return None
    ps_ops = _STANDARD_PS_OPS if ps_ops is None else tuple(ps_ops)
    if ps_strategy is None:
        tasks = itertools.cycle(range(ps_tasks))
        ps_strategy = lambda op: next(tasks)  # noqa: E731
    if not callable(ps_strategy):
        raise TypeError("ps_strategy must be callable")

    def device_function(op):
        if not merge_devices and op.device:
            return op.device
        current = parse_device(op.device)
        if ps_device and op.type in ps_ops:
            ps = parse_device(ps_device)
            if ps.get("job") and (current.get("job") or ps["job"]) == ps["job"]:
                ps["task"] = ps_strategy(op)
            return device_string({**ps, **current})
        return device_string({**parse_device(worker_device or ""), **current})

    return device_function
