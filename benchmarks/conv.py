"""Convolution and pooling benchmark: minitf's kernels (called directly and through Session.run)
against straightforward hand-written numpy.

Run: ``.venv/bin/python benchmarks/conv.py [--quick]``. The numpy baselines are what one writes
first: im2col via ``sliding_window_view`` + ``tensordot`` for the convolution and its filter
gradient, col2im with ``np.add.at`` for the input gradient, window views reduced with
``max``/``mean`` for pooling and ``np.add.at`` scatters for the pooling gradients. Shapes: the
examples/cnn_digits.py layers (8x8 digits, batch 32 and 256) and a mid-sized 28x28 layer.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare, fmt_us, machine  # noqa: E402

import minitf as tf  # noqa: E402
from minitf.ops import conv_ops, pool_ops  # noqa: E402

# -- hand-written numpy (stride 1 SAME convolution, k x k / stride k VALID pooling) ----------------


def np_pad_same(x, k):
    p = k - 1
    return np.pad(x, ((0, 0), (p // 2, p - p // 2), (p // 2, p - p // 2), (0, 0)))


def np_conv(x, f):
    k = f.shape[0]
    win = sliding_window_view(np_pad_same(x, k), (k, k), axis=(1, 2))  # n, h, w, c, kh, kw
    return np.tensordot(win, f, axes=([3, 4, 5], [2, 0, 1]))


def np_conv_backprop_input(x_shape, f, dy):
    n, h, w, c = x_shape
    k = f.shape[0]
    p = k - 1
    cols = np.tensordot(dy, f, axes=([3], [3]))  # n, h, w, kh, kw, c
    dxp = np.zeros((n, h + p, w + p, c), dy.dtype)
    nn, hh, ww = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), indexing="ij")
    for i in range(k):
        for j in range(k):
            np.add.at(dxp, (nn, hh + i, ww + j), cols[:, :, :, i, j])
    return dxp[:, p // 2:p // 2 + h, p // 2:p // 2 + w]


def np_conv_backprop_filter(x, f_shape, dy):
    k = f_shape[0]
    win = sliding_window_view(np_pad_same(x, k), (k, k), axis=(1, 2))
    return np.tensordot(win, dy, axes=([0, 1, 2], [0, 1, 2])).transpose(1, 2, 0, 3)


def np_max_pool(x, k):
    return sliding_window_view(x, (k, k), axis=(1, 2))[:, ::k, ::k].max(axis=(4, 5))


def np_max_pool_grad(x, dy, k):
    n, h, w, c = x.shape
    win = sliding_window_view(x, (k, k), axis=(1, 2))[:, ::k, ::k]
    oh, ow = win.shape[1:3]
    arg = win.reshape(n, oh, ow, c, k * k).argmax(-1)
    nn, hh, ww, cc = np.meshgrid(np.arange(n), np.arange(oh), np.arange(ow), np.arange(c),
                                 indexing="ij")
    dx = np.zeros(x.shape, dy.dtype)
    np.add.at(dx, (nn, hh * k + arg // k, ww * k + arg % k, cc), dy)
    return dx


def np_avg_pool(x, k):
    return sliding_window_view(x, (k, k), axis=(1, 2))[:, ::k, ::k].mean(axis=(4, 5))


def np_avg_pool_grad(x_shape, dy, k):
    dx = np.zeros(x_shape, dy.dtype)
    oh, ow = dy.shape[1:3]
    for i in range(k):
        for j in range(k):
            np.add.at(dx, (slice(None), slice(i, i + oh * k, k), slice(j, j + ow * k, k)),
                      dy / (k * k))
    return dx


# -- benchmark -------------------------------------------------------------------------------------


def session_runner(build, feeds):
    """Session.run of a one-op graph on placeholders (the plan's per-run cost included)."""
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.as_dtype(v.dtype), v.shape) for v in feeds]
        out = build(*phs)
    sess = tf.Session(graph=graph)
    run = sess.make_callable(out, phs)
    return lambda: run(*feeds)


def cases(rng):
    conv_attrs = dict(strides=[1, 1, 1, 1], use_cudnn_on_gpu=True, padding="SAME",
                      explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1])
    pool = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID", data_format="NHWC")
    layers = [("digits conv1 b32", 32, 8, 1, 16), ("digits conv2 b32", 32, 4, 16, 32),
              ("digits conv1 b256", 256, 8, 1, 16), ("digits conv2 b256", 256, 4, 16, 32),
              ("28x28 conv 16->32 b32", 32, 28, 16, 32)]
    for name, n, size, c, o in layers:
        x = rng.standard_normal((n, size, size, c)).astype(np.float32)
        f = rng.standard_normal((3, 3, c, o)).astype(np.float32)
        dy = rng.standard_normal((n, size, size, o)).astype(np.float32)
        xs, fs = np.array(x.shape, np.int32), np.array(f.shape, np.int32)
        yield f"Conv2D {name}", {
            "kernel": lambda x=x, f=f: conv_ops._conv2d_kernel(x, f, **conv_attrs),
            "session": session_runner(lambda a, b: tf.nn.conv2d(a, b, 1, "SAME"), [x, f]),
            "numpy": lambda x=x, f=f: np_conv(x, f),
        }
        yield f"Conv2DBackpropInput {name}", {
            "kernel": lambda f=f, dy=dy, xs=xs: conv_ops._conv2d_backprop_input_kernel(
                xs, f, dy, **conv_attrs),
            "session": session_runner(lambda a, b, xs=xs: tf.nn.conv2d_backprop_input(
                xs, a, b, [1, 1, 1, 1], "SAME"), [f, dy]),
            "numpy": lambda f=f, dy=dy, x=x: np_conv_backprop_input(x.shape, f, dy),
        }
        yield f"Conv2DBackpropFilter {name}", {
            "kernel": lambda x=x, dy=dy, fs=fs: conv_ops._conv2d_backprop_filter_kernel(
                x, fs, dy, **conv_attrs),
            "session": session_runner(lambda a, b, fs=fs: tf.nn.conv2d_backprop_filter(
                a, fs, b, [1, 1, 1, 1], "SAME"), [x, dy]),
            "numpy": lambda x=x, dy=dy, f=f: np_conv_backprop_filter(x, f.shape, dy),
        }
    for name, n, size, c in [("digits pool1 b32", 32, 8, 16), ("digits pool1 b256", 256, 8, 16),
                             ("56x56x32 b16", 16, 56, 32)]:
        x = rng.standard_normal((n, size, size, c)).astype(np.float32)
        y = pool_ops._max_pool_kernel(x, explicit_paddings=[], **pool)
        dy = rng.standard_normal(y.shape).astype(np.float32)
        xs = np.array(x.shape, np.int32)
        yield f"MaxPool {name}", {
            "kernel": lambda x=x: pool_ops._max_pool_kernel(x, explicit_paddings=[], **pool),
            "session": session_runner(lambda a: tf.nn.max_pool(a, 2, 2, "VALID"), [x]),
            "numpy": lambda x=x: np_max_pool(x, 2),
        }
        yield f"MaxPoolGrad {name}", {
            "kernel": lambda x=x, y=y, dy=dy: pool_ops._max_pool_grad_kernel(
                x, y, dy, explicit_paddings=[], **pool),
            "numpy": lambda x=x, dy=dy: np_max_pool_grad(x, dy, 2),
        }
        yield f"AvgPool {name}", {
            "kernel": lambda x=x: pool_ops._avg_pool_kernel(x, **pool),
            "numpy": lambda x=x: np_avg_pool(x, 2),
        }
        yield f"AvgPoolGrad {name}", {
            "kernel": lambda dy=dy, xs=xs: pool_ops._avg_pool_grad_kernel(xs, dy, **pool),
            "numpy": lambda dy=dy, x=x: np_avg_pool_grad(x.shape, dy, 2),
        }


def check_same_results(rng):
    """The baselines compute what the kernels compute (so the timings compare like for like)."""
    x = rng.standard_normal((4, 6, 6, 3)).astype(np.float32)
    f = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    attrs = dict(strides=[1, 1, 1, 1], use_cudnn_on_gpu=True, padding="SAME",
                 explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1])
    dy = rng.standard_normal((4, 6, 6, 5)).astype(np.float32)
    pairs = [
        (conv_ops._conv2d_kernel(x, f, **attrs), np_conv(x, f)),
        (conv_ops._conv2d_backprop_input_kernel(np.array(x.shape), f, dy, **attrs),
         np_conv_backprop_input(x.shape, f, dy)),
        (conv_ops._conv2d_backprop_filter_kernel(x, np.array(f.shape), dy, **attrs),
         np_conv_backprop_filter(x, f.shape, dy)),
    ]
    pool = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID", data_format="NHWC")
    y = pool_ops._max_pool_kernel(x, explicit_paddings=[], **pool)
    dp = rng.standard_normal(y.shape).astype(np.float32)
    pairs += [
        (y, np_max_pool(x, 2)),
        (pool_ops._max_pool_grad_kernel(x, y, dp, explicit_paddings=[], **pool),
         np_max_pool_grad(x, dp, 2)),
        (pool_ops._avg_pool_kernel(x, **pool), np_avg_pool(x, 2)),
        (pool_ops._avg_pool_grad_kernel(np.array(x.shape), dp, **pool),
         np_avg_pool_grad(x.shape, dp, 2)),
    ]
    for got, want in pairs:
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (CI smoke run)")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    min_time = 0.02 if args.quick else 0.1
    rng = np.random.default_rng(0)
    check_same_results(rng)
    print(f"minitf conv/pool benchmark on {machine()}; medians of {repeats} interleaved repeats")
    print(f"{'case':46s} {'kernel':>12s} {'Session.run':>12s} {'numpy':>12s} {'numpy/kernel':>13s}")
    for name, candidates in cases(rng):
        t = compare(candidates, repeats=repeats, min_time=min_time)
        sess = fmt_us(t["session"]) if "session" in t else " " * 12
        print(f"{name:46s} {fmt_us(t['kernel'])} {sess} {fmt_us(t['numpy'])} "
              f"{t['numpy'] / t['kernel']:12.1f}x", flush=True)


if __name__ == "__main__":
    main()
