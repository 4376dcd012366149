"""Builds the same tf.image graphs in minitf and tf.compat.v1 and compares the image op types
they emit, the values and (where TF defines one) the gradients. Prints one OK per case."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
R = np.random.default_rng(0)
IMG = R.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32)
IMG64 = R.uniform(0, 1, (2, 4, 5, 2))
# Ops whose presence and kind (op or Python composition) must agree with TF.
WATCH = {"ResizeBilinear", "ResizeBilinearGrad", "ResizeNearestNeighbor",
         "ResizeNearestNeighborGrad", "ResizeBicubic", "ResizeBicubicGrad", "AdjustContrastv2",
         "AdjustHue", "AdjustSaturation", "RGBToHSV", "HSVToRGB", "Pad", "MirrorPad", "Slice",
         "ReverseV2"}
ATTRS = [(False, False), (True, False), (False, True)]


def u8(tf, x):
    return tf.cast(x * 255, tf.uint8)


def cases(tf):
    """(name, fn(x) -> output(s), input, compare gradients)."""
    im = tf.image
    out = []
    for ac, hp in ATTRS:
        kw = dict(align_corners=ac, half_pixel_centers=hp)
        for size in ([7, 4], [3, 11]):
            tag = f"{int(ac)}{int(hp)}_{size[0]}x{size[1]}"
            out += [
                (f"bilinear_{tag}", lambda x, s=size, kw=kw: im.resize_bilinear(x, s, **kw), IMG,
                 True),
                (f"nearest_{tag}", lambda x, s=size, kw=kw: im.resize_nearest_neighbor(
                    x, s, **kw), IMG, True),
                (f"bicubic_{tag}", lambda x, s=size, kw=kw: im.resize_bicubic(x, s, **kw), IMG,
                 True),
            ]
        out += [
            (f"bilinear64_{tag}", lambda x, kw=kw: im.resize_bilinear(x, [5, 9], **kw), IMG64,
             True),
            (f"bicubic64_{tag}", lambda x, kw=kw: im.resize_bicubic(x, [3, 7], **kw), IMG64,
             True),
            (f"nearest64_{tag}", lambda x, kw=kw: im.resize_nearest_neighbor(x, [7, 3], **kw),
             IMG64, True),
            (f"bilinear_u8_{tag}", lambda x, kw=kw: im.resize_bilinear(u8(tf, x), [4, 9], **kw),
             IMG, False),
            (f"bicubic_u8_{tag}", lambda x, kw=kw: im.resize_bicubic(u8(tf, x), [8, 3], **kw),
             IMG, False),
            (f"nearest_u8_{tag}", lambda x, kw=kw: im.resize_nearest_neighbor(
                u8(tf, x), [8, 3], **kw), IMG, False),
            # The Grad ops themselves, as the gradient graph holds them.
            (f"bilinear_grad_{tag}", lambda x, kw=kw: tf.gradients(
                tf.reduce_sum(im.resize_bilinear(x, [4, 9], **kw) ** 2), x)[0], IMG, False),
            (f"bicubic_grad_{tag}", lambda x, kw=kw: tf.gradients(
                tf.reduce_sum(im.resize_bicubic(x, [8, 3], **kw) ** 2), x)[0], IMG64, False),
        ]
    for method in range(3):
        out += [
            (f"resize_images_{method}", lambda x, m=method: im.resize_images(x, [7, 9], m), IMG,
             True),
            (f"resize_3d_{method}", lambda x, m=method: im.resize_images(
                x[0], [3, 4], m, align_corners=True), IMG, True),
            (f"resize_aspect_{method}", lambda x, m=method: im.resize_images(
                x, [20, 9], m, preserve_aspect_ratio=True), IMG, True),
        ]
    out += [
        ("resize_same", lambda x: im.resize_images(x, [5, 6]), IMG, True),
        ("crop_or_pad", lambda x: im.resize_image_with_crop_or_pad(x, 3, 9), IMG, True),
        ("crop_or_pad_3d", lambda x: im.resize_image_with_crop_or_pad(x[1], 8, 4), IMG, True),
        ("crop_box", lambda x: im.crop_to_bounding_box(x, 1, 2, 3, 4), IMG, True),
        ("pad_box", lambda x: im.pad_to_bounding_box(x[0], 2, 1, 9, 8), IMG, True),
        ("central_crop", lambda x: im.central_crop(x, 0.6), IMG, True),
        ("resize_with_pad", lambda x: im.resize_image_with_pad(x, 8, 8), IMG, True),
        ("resize_with_pad_3d_nearest", lambda x: im.resize_image_with_pad(x[0], 3, 11, 1),
         IMG, True),
        ("central_crop_3d", lambda x: im.central_crop(x[0], 0.3), IMG, True),
        ("flip_lr", lambda x: im.flip_left_right(x), IMG, True),
        ("flip_ud_3d", lambda x: im.flip_up_down(x[0]), IMG, True),
        ("transpose", lambda x: im.transpose_image(x), IMG, True),
        ("per_image_std", lambda x: im.per_image_standardization(x), IMG, True),
        ("per_image_std_u8", lambda x: im.per_image_standardization(u8(tf, x)), IMG, False),
        ("to_u8", lambda x: im.convert_image_dtype(x * 1.2 - 0.1, tf.uint8, saturate=True), IMG,
         False),
        ("to_u8_unsaturated", lambda x: im.convert_image_dtype(x, tf.uint8), IMG, False),
        ("u8_to_float", lambda x: im.convert_image_dtype(u8(tf, x), tf.float32), IMG, False),
        ("u8_to_int32", lambda x: im.convert_image_dtype(u8(tf, x), tf.int32), IMG, False),
        ("int32_to_u8", lambda x: im.convert_image_dtype(
            im.convert_image_dtype(x, tf.int32), tf.uint8), IMG, False),
        ("float_to_f64", lambda x: im.convert_image_dtype(x, tf.float64), IMG, True),
        ("grayscale", lambda x: im.rgb_to_grayscale(x), IMG, True),
        ("grayscale_u8", lambda x: im.rgb_to_grayscale(u8(tf, x)), IMG, False),
        ("gray_to_rgb", lambda x: im.grayscale_to_rgb(x[..., :1]), IMG, True),
        ("brightness", lambda x: im.adjust_brightness(x, 0.2), IMG, True),
        ("brightness_u8", lambda x: im.adjust_brightness(u8(tf, x), -0.3), IMG, False),
        ("contrast", lambda x: im.adjust_contrast(x, 1.7), IMG, False),  # TF: no gradient
        ("contrast_u8", lambda x: im.adjust_contrast(u8(tf, x), 0.4), IMG, False),
        ("gamma", lambda x: im.adjust_gamma(x, 2.2, 0.9), IMG, True),
        ("hue", lambda x: im.adjust_hue(x, 0.3), IMG, False),
        ("saturation", lambda x: im.adjust_saturation(x, 1.8), IMG, False),
        ("saturation_u8", lambda x: im.adjust_saturation(u8(tf, x), 0.5), IMG, False),
        ("rgb_to_hsv", lambda x: im.rgb_to_hsv(x), IMG64[..., :1] * [1, 0.7, 0.4] + 0.1, True),
        ("hsv_to_rgb", lambda x: im.hsv_to_rgb(x), IMG, False),
        ("total_variation", lambda x: im.total_variation(x), IMG, True),
        ("total_variation_3d", lambda x: im.total_variation(x[0]), IMG, True),
        ("image_gradients", lambda x: im.image_gradients(x), IMG, True),
        ("sobel", lambda x: im.sobel_edges(x), IMG, True),
    ]
    for k in range(-1, 5):
        out.append((f"rot90_{k}", lambda x, k=k: im.rot90(x, k), IMG, True))
    out.append(("rot90_3d_tensor_k", lambda x: im.rot90(x[0], tf.constant(3) * 1), IMG, True))
    # Shapes known only in part, or not at all (the fifth entry is the placeholder's shape).
    hw, rank = [None, None, None, 3], None
    out += [
        ("resize_unknown_hw", lambda x: im.resize_images(x, [7, 9]), IMG, True, hw),
        ("resize_dynamic_size", lambda x: im.resize_images(x, tf.shape(x)[1:3] * 2), IMG, True,
         hw),
        ("resize_aspect_unknown", lambda x: im.resize_images(
            x, [9, 20], preserve_aspect_ratio=True), IMG, True, hw),
        ("crop_box_unknown", lambda x: im.crop_to_bounding_box(x, 1, 2, 3, 4), IMG, True, hw),
        ("pad_box_unknown", lambda x: im.pad_to_bounding_box(x, 2, 1, 9, 8), IMG, True, hw),
        ("crop_or_pad_unknown", lambda x: im.resize_image_with_crop_or_pad(x, 3, 9), IMG, True,
         hw),
        ("central_crop_unknown", lambda x: im.central_crop(x, 0.6), IMG, True, hw),
        ("resize_with_pad_unknown", lambda x: im.resize_image_with_pad(x, 7, 4), IMG, True, hw),
        ("resize_with_pad_unknown_rank", lambda x: im.resize_image_with_pad(x, 9, 5), IMG[0],
         True, rank),
        ("flip_unknown_rank", lambda x: im.flip_left_right(x), IMG, True, rank),
        ("flip_ud_unknown_rank", lambda x: im.flip_up_down(x), IMG[0], True, rank),
        ("transpose_unknown_rank", lambda x: im.transpose(x), IMG[0], True, rank),
        ("rot90_unknown_rank", lambda x: im.rot90(x, 3), IMG[0], True, rank),
        ("std_unknown", lambda x: im.per_image_standardization(x), IMG, True, hw),
        ("gray_unknown", lambda x: im.rgb_to_grayscale(x), IMG, True, hw),
        ("gray_to_rgb_unknown", lambda x: im.grayscale_to_rgb(x[..., :1]), IMG, True, hw),
        ("crop_box_tensor_offset", lambda x: im.crop_to_bounding_box(
            x, tf.shape(x)[1] - 4, 1, 3, 2), IMG, True, hw),
    ]
    return out


def _forward_types(tf, graph):
    """The watched op types of the graph, with those of TF's cond/case branch functions (TF 2's
    control flow keeps a branch's ops in the function library; minitf's are in the graph)."""
    types = {op.type for op in graph.get_operations()}
    if tf is tf1:
        types |= {n.op for f in graph.as_graph_def().library.function for n in f.node_def}
    return types & WATCH


def run(tf):
    results = {}
    for name, fn, x0, with_grads, *shape in cases(tf):
        graph = tf.Graph()
        with graph.as_default():
            x = tf.placeholder(tf.as_dtype(x0.dtype), shape[0] if shape else x0.shape)
            y = fn(x)
            ys = list(y) if isinstance(y, tuple) else [y]
            # The forward graph's kinds of op (the gradient graphs differ: TF's Sum gradient
            # tiles, ours broadcasts), and the Resize*Grad ops of the gradient.
            types = _forward_types(tf, graph)
            fetch = ys
            if with_grads:
                loss = tf.add_n([tf.reduce_sum(t * t + 0.3 * t) for t in ys])
                fetch = ys + [g for g in tf.gradients(loss, [x]) if g is not None]
                types |= {op.type for op in graph.get_operations() if op.type.endswith("Grad")
                          and op.type in WATCH}
            types = sorted(types)
            with tf.Session(graph=graph) as sess:
                results[name] = (types, [t.shape.as_list() if t.shape.rank is not None
                                         else None for t in ys],
                                 sess.run(fetch, {x: x0}))
    return results


ours, theirs = run(mtf), run(tf1)
for name in ours:
    (t_ours, s_ours, v_ours), (t_tf, s_tf, v_tf) = ours[name], theirs[name]
    problems = []
    # A constant k = 0 (mod 4): minitf writes no rotation, TF a case with every branch.
    no_turn = name in ("rot90_0", "rot90_4") and set(t_tf) - set(t_ours) == {"ReverseV2"}
    if t_ours != t_tf and not no_turn:
        problems.append(f"op types {t_ours} vs TF {t_tf}")
    # Static shapes: ours may know more than TF (a constant rot90), never something else.
    for a, b in zip(s_ours, s_tf):
        if a is None and b is None:
            continue
        if a is None or b is None or len(a) != len(b) or \
                any(d is not None and e is not None and d != e for d, e in zip(a, b)) or \
                sum(d is None for d in a) > sum(e is None for e in b):
            problems.append(f"static shape {a} vs TF {b}")
    if len(v_ours) != len(v_tf):
        problems.append(f"{len(v_ours)} fetches vs TF {len(v_tf)}")
    for i, (a, b) in enumerate(zip(v_ours, v_tf)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            problems.append(f"[{i}]: {a.shape} {a.dtype} vs TF {b.shape} {b.dtype}")
        elif a.dtype.kind in "iub":
            if not np.array_equal(a, b):
                problems.append(f"[{i}]: {np.sum(a != b)} values differ")
        elif not np.allclose(a, b, rtol=2e-5, atol=2e-5):
            problems.append(f"[{i}]: values differ by {np.max(np.abs(a - b))}")
    print(name, "OK" if not problems else "DIFF " + "; ".join(problems))
