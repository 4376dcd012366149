"""SampleDistortedBoundingBox, SampleDistortedBoundingBoxV2 and StatelessSampleDistortedBoundingBox:
TensorFlow's kernel (``sample_distorted_bounding_box_op.cc``) in float32 numpy, with TF's random
stream: SimplePhilox over Philox4x32-10 (core/ops/stateless_random_ops.py).

Up to ``max_attempts`` times: draw an aspect ratio, a crop height (and so width) whose area is in
``area_range`` of the image, a position; keep the first crop that covers at least
``min_object_covered`` of one of the boxes. After that many failures the crop is the whole image.

The stateful ops start from Philox(key=seed, counter=seed2 << 64), as TF's GuardedPhiloxRandom,
and move on by ``max_attempts`` blocks per run in a session, so a graph with a nonzero seed or
seed2 gives TF's crops run after run; seed = seed2 = 0 draws a random key. The stateless op's
stream is its seed's, as TF's stateless ops (GenerateKey). TF registers no gradient.
"""

from __future__ import annotations

import secrets
import threading

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from .png_ops import _check_type
from .stateless_random_ops import key_counter_from_seed, philox_stream, uint32_to_float

__all__: list[str] = []

_F = np.float32
_IMAGE_SIZE_TYPES = (_dt.uint8, _dt.int8, _dt.int16, _dt.int32, _dt.int64)
_SEED_TYPES = (_dt.int32, _dt.int64)
_INT32_MAX = 2**31 - 1
_M128 = (1 << 128) - 1
_ATTRS = {"aspect_ratio_range": [0.75, 1.33], "area_range": [0.05, 1.0], "max_attempts": 100,
          "use_image_if_no_bounding_boxes": False}


def _error(message):
    return InvalidArgumentError(None, None, message)


def _g(x) -> str:
    return f"{float(x):.6g}"  # absl::StrCat's float format


def _dims(x) -> str:
    return "[" + ",".join(str(d) for d in np.shape(x)) + "]"


class _SimplePhilox:
    """TF's SimplePhilox: the Philox words one at a time, block after block."""

    def __init__(self, key: int, counter: int):
        self.key, self.counter = key, counter
        self.words, self.i = [], 0

    def rand32(self) -> int:
        if self.i == len(self.words):
            self.words = philox_stream(self.key, self.counter, 8).tolist()
            self.counter = (self.counter + 8) & _M128
            self.i = 0
        self.i += 1
        return self.words[self.i - 1]

    def rand_float(self):
        return uint32_to_float(self.rand32())[()]

    def uniform(self, n: int) -> int:
        """ExactUniformInt: a power of two masks; otherwise reject the low remainder."""
        if n & (n - 1) == 0:
            return self.rand32() & (n - 1)
        rem = (0xFFFFFFFF % n) + 1
        while True:
            r = self.rand32()
            if r >= rem:
                return r % n


def _area(box) -> np.float32:
    x0, y0, x1, y1 = box
    return _F((x1 - x0) * (y1 - y0))


def _covers(crop, min_covered, boxes) -> bool:
    """SatisfiesOverlapConstraints: the crop has a pixel and covers enough of some box."""
    if _area(crop) < 1:
        return False
    for box in boxes:
        box_area = _area(box)
        if box_area < 1:
            continue
        x0, y0 = max(crop[0], box[0]), max(crop[1], box[1])
        x1, y1 = min(crop[2], box[2]), min(crop[3], box[3])
        inter = (0, 0, 0, 0) if x0 > x1 or y0 > y1 else (x0, y0, x1, y1)
        if _area(inter) / box_area >= min_covered:
            return True
    return False


def _lrint(x) -> int:
    return int(np.rint(x))  # lrintf in the default rounding mode: halves to even


def _random_crop(width, height, min_rel, max_rel, ratio, rng: _SimplePhilox):
    """GenerateRandomCrop: (x0, y0, x1, y1) or None, float32 arithmetic as TF's."""
    if max_rel <= 0 or ratio <= 0 or width <= 0 or height <= 0 or min_rel > max_rel:
        return None
    min_area = min_rel * _F(width) * _F(height)
    max_area = max_rel * _F(width) * _F(height)
    h = _lrint(np.sqrt(min_area / ratio))
    max_h = _lrint(np.sqrt(max_area / ratio))
    if _lrint(_F(max_h) * ratio) > width:
        # The largest height whose rounded width fits (in double, as TF).
        max_h = int((width + 0.5 - float(_F(1e-7))) / float(ratio))
        if _lrint(_F(max_h) * ratio) > width:
            max_h -= 1
    max_h = min(max_h, height)
    h = min(h, max_h)
    if h < max_h:
        h += rng.uniform(max_h - h + 1)
    w = _lrint(_F(h) * ratio)
    area = _F(w * h)
    if area < min_area:  # rounding: try one row taller, then one shorter
        h += 1
        w = _lrint(_F(h) * ratio)
        area = _F(w * h)
    if area > max_area:
        h -= 1
        w = _lrint(_F(h) * ratio)
        area = _F(w * h)
    if area < min_area or area > max_area or w > width or h > height or w <= 0 or h <= 0:
        return None
    y = rng.uniform(height - h) if h < height else 0
    x = rng.uniform(width - w) if w < width else 0
    return x, y, x + w, y + h


def _check_attrs(aspect_ratio_range, area_range, max_attempts):
    ar, area = aspect_ratio_range, area_range
    if len(ar) != 2:
        raise _error("Aspect ratio range field must specify 2 dimensions")
    if not (ar[0] > 0 and ar[1] > 0):
        raise _error(f"Aspect ratio range must be non-negative: [{_g(ar[0])}, {_g(ar[1])}]")
    if len(area) != 2:
        raise _error("Area range field must specify 2 dimensions")
    if not (area[0] > 0 and area[1] > 0):
        raise _error(f"Area range must be non-negative: [{_g(area[0])}, {_g(area[1])}]")
    if not (area[0] <= 1 and area[1] <= 1):
        raise _error(f"Area range must be less then or equal to 1.0: [{_g(area[0])}, "
                     f"{_g(area[1])}]")
    if max_attempts <= 0:
        raise _error(f"Max attempts must be non-negative: {max_attempts}")


def _check_boxes_shape(b):
    if b.ndim != 3:
        raise _error(f"input boxes must be 3-dimensional [batch, num_boxes, coords]: {_dims(b)}")
    if b.shape[-1] != 4:
        raise _error(f"bounding boxes must have shape [4] or [*, 4], got {_dims(b)}")


def _boxes(b, width, height, use_image):
    """The boxes as pixel rectangles (x0, y0, x1, y1), truncated as TF's int casts."""
    boxes = []
    for y0, x0, y1, x1 in b.reshape(-1, 4):
        for v in (y0, x0, y1, x1):
            if not 0 <= v <= 1:
                raise _error(f"All bounding box coordinates must be in [0.0, 1.0]: {_g(v)}")
        boxes.append((int(x0 * _F(width)), int(y0 * _F(height)), int(x1 * _F(width)),
                      int(y1 * _F(height))))
    if not boxes:
        if not use_image:
            raise _error("No bounding boxes provided as input. One must enable "
                         "use_image_if_no_bounding_boxes if you wish to not provide any bounding "
                         "boxes.")
        boxes.append((0, 0, width, height))
    return boxes


def _min_covered(value):
    if np.ndim(value) != 0:
        raise _error(f"min_object_covered must be 0-D, got shape {_dims(value)}")
    v = _F(value)
    if not v >= 0:
        raise _error(f"Min object covered must be non-negative: {_g(v)}")
    return v


def _sample(key, counter, image_size, bounding_boxes, min_covered, *, aspect_ratio_range,
            area_range, max_attempts, use_image_if_no_bounding_boxes):
    """DoCompute: (begin, size, bboxes). ``min_covered`` is the V1 attr (checked already) or
    the V2 input, checked here, in TF's order."""
    size = np.asarray(image_size)
    if size.ndim != 1:
        raise _error(f"image_size must be 1-dimensional{_dims(size)}")
    if size.shape[0] != 3:
        raise _error(f"image_size must contain 3 elements{_dims(size)}")
    # TF reads the sizes as uint64: a negative one is "too large".
    height, width = (int(v) % 2**64 for v in size[:2])
    if height >= _INT32_MAX:
        raise _error("image height cannot be >= int32 max")
    if width >= _INT32_MAX:
        raise _error("image width cannot be >= int32 max")
    b = np.asarray(bounding_boxes, np.float32)
    _check_boxes_shape(b)
    min_covered = _min_covered(min_covered)
    boxes = _boxes(b, width, height, use_image_if_no_bounding_boxes)
    lo_ar, hi_ar = _F(aspect_ratio_range[0]), _F(aspect_ratio_range[1])
    lo_area, hi_area = _F(area_range[0]), _F(area_range[1])
    rng = _SimplePhilox(key, counter)
    crop = None
    for _ in range(max_attempts):
        ratio = rng.rand_float() * (hi_ar - lo_ar) + lo_ar
        crop = _random_crop(width, height, lo_area, hi_area, ratio, rng)
        if crop is not None and _covers(crop, min_covered, boxes):
            break
        crop = None
    x0, y0, x1, y1 = crop or (0, 0, width, height)
    dtype = size.dtype
    begin = np.array([y0, x0, 0], dtype)
    extent = np.array([y1 - y0, x1 - x0, -1]).astype(dtype)
    bboxes = np.array([y0 / _F(height), x0 / _F(width), y1 / _F(height), x1 / _F(width)],
                      np.float32).reshape(1, 1, 4)
    return begin, extent, bboxes


def _stateful_stream(state, seed, seed2, max_attempts):
    """The (key, counter) of this run: GuardedPhiloxRandom's ReserveSamples32(4 * attempts)."""
    with state.setdefault("lock", threading.Lock()):
        if "counter" not in state:
            if seed == 0 and seed2 == 0:  # TF: both zero means a random generator
                seed, seed2 = secrets.randbits(64), secrets.randbits(64)
            state["key"], state["counter"] = seed % 2**64, (seed2 % 2**64) << 64
        counter = state["counter"]
        state["counter"] = (counter + max_attempts) & _M128
        return state["key"], counter


def _v1_kernel(state, image_size, bounding_boxes, *, seed, seed2, min_object_covered, **attrs):
    _check_attrs(attrs["aspect_ratio_range"], attrs["area_range"], attrs["max_attempts"])
    covered = _min_covered(min_object_covered)
    key, counter = _stateful_stream(state, seed, seed2, attrs["max_attempts"])
    return _sample(key, counter, image_size, bounding_boxes, covered, **attrs)


def _v2_kernel(state, image_size, bounding_boxes, min_object_covered, *, seed, seed2, **attrs):
    _check_attrs(attrs["aspect_ratio_range"], attrs["area_range"], attrs["max_attempts"])
    key, counter = _stateful_stream(state, seed, seed2, attrs["max_attempts"])
    return _sample(key, counter, image_size, bounding_boxes, min_object_covered, **attrs)


def _stateless_kernel(image_size, bounding_boxes, min_object_covered, seed, **attrs):
    _check_attrs(attrs["aspect_ratio_range"], attrs["area_range"], attrs["max_attempts"])
    if np.shape(seed) != (2,):
        raise _error(f"seed must have shape [2], not {_dims(seed)}")
    key, counter = key_counter_from_seed(seed)
    return _sample(key, counter, image_size, bounding_boxes, min_object_covered, **attrs)


def _with_rank(spec, rank, what):
    if spec.shape.rank not in (None, rank):
        raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank} for {what}")


def _with_dim(spec, axis, value):
    if spec.shape.rank is not None:
        d = spec.shape[axis].value
        if d is not None and d != value:
            raise shape_error(f"Dimension must be {value} but is {d}")


def _infer(image_size, bounding_boxes, min_object_covered=None, seed=None):
    _check_type(image_size.dtype, _IMAGE_SIZE_TYPES, "image_size")
    _with_rank(image_size, 1, "image_size")
    _with_rank(bounding_boxes, 3, "bounding_boxes")
    if min_object_covered is not None:
        _with_rank(min_object_covered, 0, "min_object_covered")
    if seed is not None:
        _check_type(seed.dtype, _SEED_TYPES, "seed")
        _with_rank(seed, 1, "seed")
        _with_dim(seed, 0, 2)
    _with_dim(image_size, 0, 3)
    _with_dim(bounding_boxes, 2, 4)
    return [TensorSpec([3], image_size.dtype), TensorSpec([3], image_size.dtype),
            TensorSpec([1, 1, 4], _dt.float32)]


SAMPLE_DISTORTED_BOUNDING_BOX = register(OpDef(
    "SampleDistortedBoundingBox", inputs=["image_size:T", "bounding_boxes:float32"],
    attrs={"seed": 0, "seed2": 0, "min_object_covered": 0.1, **_ATTRS},
    kernel=_v1_kernel,
    infer=lambda image_size, bounding_boxes, **_: _infer(image_size, bounding_boxes),
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
))

SAMPLE_DISTORTED_BOUNDING_BOX_V2 = register(OpDef(
    "SampleDistortedBoundingBoxV2",
    inputs=["image_size:T", "bounding_boxes:float32", "min_object_covered:float32"],
    attrs={"seed": 0, "seed2": 0, **_ATTRS},
    kernel=_v2_kernel,
    infer=lambda image_size, bounding_boxes, min_object_covered, **_: _infer(
        image_size, bounding_boxes, min_object_covered),
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
))

STATELESS_SAMPLE_DISTORTED_BOUNDING_BOX = register(OpDef(
    "StatelessSampleDistortedBoundingBox",
    inputs=["image_size:T", "bounding_boxes:float32", "min_object_covered:float32",
            "seed:Tseed"],
    attrs=dict(_ATTRS),
    kernel=_stateless_kernel,
    infer=lambda image_size, bounding_boxes, min_object_covered, seed, **_: _infer(
        image_size, bounding_boxes, min_object_covered, seed),
    grad=NO_GRADIENT,
))
