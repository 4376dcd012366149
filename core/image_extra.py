"""More of ``tf.image`` (TF1): non-max suppression, crop_and_resize, resize_area,
extract_patches (ops in core/ops/nms_ops.py and core/ops/image_extra_ops.py), and what
TensorFlow composes in Python: the YUV and YIQ conversions, psnr, ssim and ssim_multiscale,
built from the same ops in the same order as TF's image_ops_impl.py so values and GraphDefs
match. core/image.py re-exports every name here."""

from __future__ import annotations

import collections

import numpy as np

from . import composites
from . import dtypes as _dt
from .control_flow import cond
from .graph import Tensor, control_dependencies, convert_to_tensor, name_scope
from .image import convert_image_dtype
from .nn_impl import depthwise_conv2d
from .ops import (array_ops, concat_split_ops, logging_ops, logic_ops, math_ops, nn_ops,
                  pad_ops, pool_ops, reduction_ops, softmax_ops, transform_ops, unary_ops)
from .ops.image_extra_ops import (CROP_AND_RESIZE, DRAW_BOUNDING_BOXES, DRAW_BOUNDING_BOXES_V2,
                                  EXTRACT_IMAGE_PATCHES, RESIZE_AREA)
from .ops.image_extra_ops import extract_image_patches  # noqa: F401 - tf.image's too, as TF1
from .ops.nms_ops import (COMBINED_NON_MAX_SUPPRESSION, NON_MAX_SUPPRESSION_V3,
                          NON_MAX_SUPPRESSION_V4, NON_MAX_SUPPRESSION_V5,
                          NON_MAX_SUPPRESSION_WITH_OVERLAPS)
from .tensor_shape import TensorShape

__all__ = [
    "combined_non_max_suppression", "crop_and_resize", "draw_bounding_boxes",
    "extract_image_patches", "extract_patches",
    "non_max_suppression", "non_max_suppression_overlaps", "non_max_suppression_padded",
    "non_max_suppression_with_scores", "psnr", "resize_area", "rgb_to_yiq", "rgb_to_yuv",
    "ssim", "ssim_multiscale", "yiq_to_rgb", "yuv_to_rgb",
]

_NEG_INF = float("-inf")

# TF returns its generated wrappers' namedtuples where its function returns the op's outputs
# as they are (TF 1.15's non_max_suppression_padded and combined_non_max_suppression);
# non_max_suppression_with_scores unpacks them, so it returns a plain tuple, as TF.
NonMaxSuppressionV4 = collections.namedtuple("NonMaxSuppressionV4",
                                             ["selected_indices", "valid_outputs"])
CombinedNonMaxSuppression = collections.namedtuple(
    "CombinedNonMaxSuppression",
    ["nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections"])


# -- non-max suppression -------------------------------------------------------------------------


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5,
                        score_threshold=_NEG_INF, name=None):
    """Indices of the boxes greedy NMS keeps, best score first (NonMaxSuppressionV3)."""
    with name_scope(name, "non_max_suppression"):
        iou_threshold = convert_to_tensor(iou_threshold, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, name="score_threshold")
        return NON_MAX_SUPPRESSION_V3(boxes, scores, max_output_size, iou_threshold,
                                      score_threshold)


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=_NEG_INF, soft_nms_sigma=0.0, name=None):
    """(indices, scores): NonMaxSuppressionV5; ``soft_nms_sigma > 0`` is Soft-NMS, which
    decays overlapping boxes' scores instead of dropping them (and ignores iou_threshold)."""
    with name_scope(name, "non_max_suppression_with_scores"):
        iou_threshold = convert_to_tensor(iou_threshold, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, name="score_threshold")
        soft_nms_sigma = convert_to_tensor(soft_nms_sigma, name="soft_nms_sigma")
        indices, selected, _ = NON_MAX_SUPPRESSION_V5(
            boxes, scores, max_output_size, iou_threshold, score_threshold, soft_nms_sigma,
            pad_to_max_output_size=False)
        return indices, selected


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5,
                               score_threshold=_NEG_INF, pad_to_max_output_size=False,
                               name=None):
    """(selected_indices, valid_outputs): TF 1.x's NonMaxSuppressionV4 on one image's
    ``[num_boxes, 4]`` boxes, as TF's namedtuple; with ``pad_to_max_output_size`` the indices
    are zero-padded to max_output_size."""
    with name_scope(name, "non_max_suppression_padded"):
        iou_threshold = convert_to_tensor(iou_threshold, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, name="score_threshold")
        return NonMaxSuppressionV4(*NON_MAX_SUPPRESSION_V4(
            boxes, scores, max_output_size, iou_threshold, score_threshold,
            pad_to_max_output_size=pad_to_max_output_size))


def non_max_suppression_overlaps(overlaps, scores, max_output_size, overlap_threshold=0.5,
                                 score_threshold=_NEG_INF, name=None):
    """Greedy NMS on a given ``[n, n]`` overlap matrix (NonMaxSuppressionWithOverlaps)."""
    with name_scope(name, "non_max_suppression_overlaps"):
        overlap_threshold = convert_to_tensor(overlap_threshold, name="overlap_threshold")
        return NON_MAX_SUPPRESSION_WITH_OVERLAPS(overlaps, scores, max_output_size,
                                                 overlap_threshold, score_threshold)


def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size,
                                 iou_threshold=0.5, score_threshold=_NEG_INF,
                                 pad_per_class=False, clip_boxes=True, name=None):
    """Per-class greedy NMS over a batch, then the best ``max_total_size`` detections of each
    image: CombinedNonMaxSuppression(nmsed_boxes, nmsed_scores, nmsed_classes,
    valid_detections) as TF's namedtuple, zero-padded.
    ``boxes`` is [batch, num_boxes, q, 4] with q 1 (shared by all classes) or num_classes."""
    with name_scope(name, "combined_non_max_suppression"):
        iou_threshold = convert_to_tensor(iou_threshold, _dt.float32, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, _dt.float32,
                                            name="score_threshold")
        max_total_size = convert_to_tensor(max_total_size)
        return CombinedNonMaxSuppression(*COMBINED_NON_MAX_SUPPRESSION(
            boxes, scores, max_output_size_per_class, max_total_size, iou_threshold,
            score_threshold, pad_per_class=pad_per_class, clip_boxes=clip_boxes))


# -- crops, area resize, patches -----------------------------------------------------------------


def crop_and_resize(image, boxes, box_ind=None, crop_size=None, method="bilinear",
                    extrapolation_value=0, name=None, box_indices=None):
    """TF1's ``tf.image.crop_and_resize``: one CropAndResize node (``box_indices`` is TF2's
    name for ``box_ind``)."""
    if box_ind is None:
        box_ind = box_indices
    if box_ind is None or crop_size is None:
        raise ValueError("crop_and_resize needs box_ind (or box_indices) and crop_size")
    return CROP_AND_RESIZE(image, boxes, box_ind, crop_size, method=method,
                           extrapolation_value=float(extrapolation_value), name=name)


def resize_area(images, size, align_corners=False, name=None):
    """The ResizeArea op: each output pixel averages the input area it covers (float32)."""
    return RESIZE_AREA(images, size, align_corners=align_corners, name=name)


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """``tf.image.extract_patches``: the ExtractImagePatches op."""
    return EXTRACT_IMAGE_PATCHES(images, ksizes=list(sizes), strides=list(strides),
                                 rates=list(rates), padding=padding, name=name)


def _convert_with_default(value, allowed, default, name):
    """TF's op_def_library for an input whose type attr has a default (DrawBoundingBoxes' T),
    which minitf's op layer does not follow: a value keeps the dtype it converts to on its own
    when the op allows it (a float16 array stays float16), else it converts to the default as
    TF converts to a preferred dtype, a numpy array by a cast (uint8, int32 or float64 images
    become float32). Called in the op's name scope: TF makes both Consts there."""
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        return value  # the op checks a tensor's dtype
    try:
        natural = convert_to_tensor(value, name=name)
    except TypeError:
        natural = None
    if natural is not None and natural.dtype in allowed:
        return natural
    try:
        return convert_to_tensor(value, dtype=default, name=name)
    except (TypeError, ValueError):  # (strings) the op refuses the value's own dtype, as TF's
        return convert_to_tensor(value, name=name)


def draw_bounding_boxes(images, boxes, name=None, colors=None):
    """Draws each box's outline (``[y_min, x_min, y_max, x_max]``, relative) on a copy of the
    float images, colours cycling through ``colors`` (DrawBoundingBoxesV2) or TF's default
    table (DrawBoundingBoxes)."""
    opdef = DRAW_BOUNDING_BOXES if colors is None else DRAW_BOUNDING_BOXES_V2
    inputs = [images, boxes] if colors is None else [images, boxes, colors]
    with name_scope(name or opdef.type, values=inputs) as scope:
        images = _convert_with_default(images, (_dt.float32, _dt.float16), _dt.float32,
                                       "images")
        if colors is None:
            return opdef(images, boxes, name=scope)
        return opdef(images, boxes, colors, name=scope)


# -- colour spaces (TF's 3x3 kernels, applied with tensordot) -----------------------------------

_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
               [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
               [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _colour_transform(matrix, doc):
    def transform(images):
        images = convert_to_tensor(images, name="images")
        # As TF: the coefficients converted to the image's dtype, so an integer image is
        # refused ("Expected uint8, but got 0.299 of type 'float'."), never truncated.
        kernel = convert_to_tensor(matrix, dtype=images.dtype, name="kernel")
        ndims = images.shape.rank
        return composites.tensordot(images, kernel, axes=[[ndims - 1], [0]])
    transform.__doc__ = doc
    return transform


rgb_to_yiq = _colour_transform(_RGB_TO_YIQ, "RGB to YIQ (float images, last axis 3).")
yiq_to_rgb = _colour_transform(_YIQ_TO_RGB, "YIQ to RGB (float images, last axis 3).")
rgb_to_yuv = _colour_transform(_RGB_TO_YUV, "RGB to YUV (float images, last axis 3).")
yuv_to_rgb = _colour_transform(_YUV_TO_RGB, "YUV to RGB (float images, last axis 3).")


# -- image quality: psnr, ssim, ssim_multiscale -------------------------------------------------


def _verify_compatible_image_shapes(img1, img2):
    """TF's check: the last three dims agree (statically now, else by Assert ops at run
    time); returns the two shapes and the checks."""
    shape1, shape2 = img1.shape, img2.shape
    for s in (shape1, shape2):
        if s.rank is not None and s.rank < 3:
            raise ValueError(f"Shape {s} must have rank at least 3")
    if shape1.rank is not None and shape2.rank is not None:
        if not shape1[-3:].is_compatible_with(shape2[-3:]):
            raise ValueError(f"Shapes {shape1[-3:]} and {shape2[-3:]} are incompatible")
        for d1, d2 in zip(reversed(shape1.dims[:-3]), reversed(shape2.dims[:-3])):
            if not (d1 == 1 or d2 == 1 or d1.is_compatible_with(d2)):
                raise ValueError(f"Two images are not compatible: {shape1} and {shape2}")
    shape1, shape2 = array_ops.shape_n([img1, img2])
    checks = [
        logging_ops.Assert(logic_ops.greater_equal(array_ops.size(shape1), 3),
                           [shape1, shape2], summarize=10),
        logging_ops.Assert(reduction_ops.reduce_all(logic_ops.equal(shape1[-3:], shape2[-3:])),
                           [shape1, shape2], summarize=10),
    ]
    return shape1, shape2, checks


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image, in dB (last three axes are one image)."""
    with name_scope(name, "PSNR", [a, b]):
        a, b = convert_to_tensor(a, name="a"), convert_to_tensor(b, name="b")
        max_val = math_ops.cast(max_val, a.dtype)
        max_val = convert_image_dtype(max_val, _dt.float32)
        a = convert_image_dtype(a, _dt.float32)
        b = convert_image_dtype(b, _dt.float32)
        mse = reduction_ops.reduce_mean(math_ops.squared_difference(a, b), [-3, -2, -1])
        psnr_val = math_ops.subtract(
            20 * unary_ops.log(max_val) / unary_ops.log(10.0),
            np.float32(10 / np.log(10)) * unary_ops.log(mse), name="psnr")
        _, _, checks = _verify_compatible_image_shapes(a, b)
        with control_dependencies(checks):
            return array_ops.identity(psnr_val)


def _ssim_helper(x, y, reducer, max_val, compensation=1.0, k1=0.01, k2=0.03):
    """(luminance, contrast-structure) maps, TF's formula and order of operations."""
    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mean0, mean1 = reducer(x), reducer(y)
    num0 = mean0 * mean1 * 2.0
    den0 = unary_ops.square(mean0) + unary_ops.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(x * y) * 2.0
    den1 = reducer(unary_ops.square(x) + unary_ops.square(y))
    c2 *= compensation
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return luminance, cs


def _fspecial_gauss(size, sigma):
    """A [size, size, 1, 1] Gaussian window summing to 1 (a softmax of -d^2 / (2 sigma^2))."""
    size = convert_to_tensor(size, _dt.int32)
    sigma = convert_to_tensor(sigma)
    coords = math_ops.cast(array_ops.range_(size), sigma.dtype)
    coords -= math_ops.cast(size - 1, sigma.dtype) / 2.0
    g = unary_ops.square(coords)
    g *= -0.5 / unary_ops.square(sigma)
    g = array_ops.reshape(g, shape=[1, -1]) + array_ops.reshape(g, shape=[-1, 1])
    g = array_ops.reshape(g, shape=[1, -1])
    g = softmax_ops.softmax(g)
    return array_ops.reshape(g, shape=[size, size, 1, 1])


def _ssim_per_channel(img1, img2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01,
                      k2=0.03, return_index_map=False):
    filter_size = convert_to_tensor(filter_size, _dt.int32)
    filter_sigma = convert_to_tensor(np.asarray(filter_sigma, img1.dtype.as_numpy_dtype))
    shape1, shape2 = array_ops.shape_n([img1, img2])
    checks = [
        logging_ops.Assert(reduction_ops.reduce_all(
            logic_ops.greater_equal(shape1[-3:-1], filter_size)), [shape1, filter_size],
            summarize=8),
        logging_ops.Assert(reduction_ops.reduce_all(
            logic_ops.greater_equal(shape2[-3:-1], filter_size)), [shape2, filter_size],
            summarize=8),
    ]
    with control_dependencies(checks):
        img1 = array_ops.identity(img1)
    kernel = _fspecial_gauss(filter_size, filter_sigma)
    kernel = transform_ops.tile(kernel, multiples=[1, 1, shape1[-1], 1])

    def reducer(x):
        shape = array_ops.shape(x)
        x = array_ops.reshape(x, shape=concat_split_ops.concat([[-1], shape[-3:]], 0))
        y = depthwise_conv2d(x, kernel, strides=[1, 1, 1, 1], padding="VALID")
        return array_ops.reshape(
            y, concat_split_ops.concat([shape[:-3], array_ops.shape(y)[1:]], 0))

    luminance, cs = _ssim_helper(img1, img2, reducer, max_val, 1.0, k1, k2)
    if return_index_map:
        return luminance * cs, cs
    axes = convert_to_tensor(np.array([-3, -2], np.int32))
    return (reduction_ops.reduce_mean(luminance * cs, axes),
            reduction_ops.reduce_mean(cs, axes))


def _as_float_images(img1, img2, max_val):
    """Checks the shapes; TF's conversions to float32 (returns img1, img2, max_val, shapes)."""
    img1 = convert_to_tensor(img1, name="img1")
    img2 = convert_to_tensor(img2, name="img2")
    shape1, shape2, checks = _verify_compatible_image_shapes(img1, img2)
    with control_dependencies(checks):
        img1 = array_ops.identity(img1)
    max_val = convert_image_dtype(math_ops.cast(max_val, img1.dtype), _dt.float32)
    return (convert_image_dtype(img1, _dt.float32), convert_image_dtype(img2, _dt.float32),
            max_val, shape1, shape2)


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """Structural similarity per image (11x11 Gaussian window, sigma 1.5), channels
    averaged; images at least filter_size in height and width."""
    with name_scope(None, "SSIM", [img1, img2]):
        img1, img2, max_val, _, _ = _as_float_images(img1, img2, max_val)
        per_channel, _ = _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma,
                                           k1, k2, return_index_map)
        return reduction_ops.reduce_mean(per_channel, [-1])


_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _downscale(imgs, heads, tails):
    """One MS-SSIM scale down: symmetric padding to even sizes, then 2x2 average pooling."""
    divisor = [1, 2, 2, 1]
    flat = [array_ops.reshape(x, concat_split_ops.concat([[-1], t], 0))
            for x, t in zip(imgs, tails)]
    remainder = tails[0] % convert_to_tensor(np.array(divisor[1:], np.int32))
    need_padding = reduction_ops.reduce_any(logic_ops.not_equal(remainder, 0))

    def do_pad():
        padding = transform_ops.expand_dims(remainder, -1)
        padding = pad_ops.pad(padding, [[1, 0], [1, 0]])
        return [pad_ops.pad(x, padding, mode="SYMMETRIC") for x in flat]

    padded = cond(need_padding, do_pad, lambda: flat)
    # TF's shape inference knows no paddings inside the cond (MirrorPad's dims are all
    # unknown there), so past the first scale height and width are unknown and an image too
    # small for the filter fails at run time (the Assert), not at graph construction.
    for x in padded:
        x._shape = TensorShape([None] * 4)  # the cond's own Merge outputs: nothing else moves
    down = [pool_ops.avg_pool(x, ksize=divisor, strides=divisor, padding="VALID")
            for x in padded]
    tails = [x[1:] for x in array_ops.shape_n(down)]
    return [array_ops.reshape(x, concat_split_ops.concat([h, t], 0))
            for x, h, t in zip(down, heads, tails)], tails


def ssim_multiscale(img1, img2, max_val, power_factors=_MSSSIM_WEIGHTS, filter_size=11,
                    filter_sigma=1.5, k1=0.01, k2=0.03):
    """Multi-scale SSIM per image: one scale per power factor, each half the size of the
    last (so the image must be at least filter_size * 2**(scales - 1) across)."""
    with name_scope(None, "MS-SSIM", [img1, img2]):
        img1, img2, max_val, shape1, shape2 = _as_float_images(img1, img2, max_val)
        imgs = [img1, img2]
        heads = [s[:-3] for s in (shape1, shape2)]
        tails = [s[-3:] for s in (shape1, shape2)]
        mcs = []
        for k in range(len(power_factors)):
            with name_scope(None, f"Scale{k}", imgs):
                if k > 0:
                    imgs, tails = _downscale(imgs, heads, tails)
                per_channel, cs = _ssim_per_channel(*imgs, max_val=max_val,
                                                    filter_size=filter_size,
                                                    filter_sigma=filter_sigma, k1=k1, k2=k2)
                mcs.append(nn_ops.relu(cs))
        mcs.pop()  # the last scale contributes its full SSIM instead
        stacked = concat_split_ops.stack(mcs + [nn_ops.relu(per_channel)], axis=-1)
        ms_ssim = reduction_ops.reduce_prod(
            math_ops.pow(stacked, np.asarray(power_factors, np.float32)), [-1])
        return reduction_ops.reduce_mean(ms_ssim, [-1])
