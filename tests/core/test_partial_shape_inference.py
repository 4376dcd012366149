"""Static shapes when a shape, multiples or paddings tensor is only partly constant, and the
batch dimension of the transposed convolutions, as TensorFlow's shape functions give them.

TF reads such a tensor as a partial shape (InferenceContext::MakeShapeFromShapeTensor:
``[1, tf.shape(q)[1], 1]`` is (1, ?, 1)), so Tile keeps q's last dimension and Reshape works
out its one unknown dimension from a known element count; tf.pad adds, in Python, every
dimension whose two paddings are known. Conv2DBackpropInput takes the batch from out_backprop
and only checks it against input_sizes. Each expected shape below is worked out by hand from
those rules; the side-by-side test checks that tf.compat.v1 gives the same, error cases included
(ValueError at graph construction, with TF's message).
"""

import re

import numpy as np
import pytest

import minitf as mt


class _Builder:
    """The few calls a case makes, on minitf or on tf.compat.v1."""

    def __init__(self, tf):
        self.tf = tf

    def ph(self, shape, dtype=None):
        return self.tf.placeholder(dtype or self.tf.float32, shape)

    def n(self):  # an int32 scalar only known at run time
        return self.tf.placeholder(self.tf.int32, [])

    def w(self):  # a 5x5 filter from 2 to 3 channels: conv2d_transpose maps 3 back to 2
        return self.tf.zeros([5, 5, 2, 3])


def _tile_q(b):
    tf = b.tf
    q = b.ph([None, None, 4])
    return tf.tile(tf.expand_dims(q[:, 0, :], 1), [1, tf.shape(q)[1], 1])


def _deconv(x, b, sizes, **kw):
    kw.setdefault("strides", [1, 2, 2, 1])
    return b.tf.nn.conv2d_transpose(x, b.w(), output_shape=sizes, **kw)


ERR = "error"
# (id, build(b) -> tensor, expected static shape | (ERR, TF's message))
CASES = [
    # Tile: each output dim is input dim x multiple (a known 0 wins, a 1 keeps the other).
    ("tile_shape_entry", _tile_q, [None, None, 4]),
    ("tile_pack", lambda b: b.tf.tile(b.tf.zeros([2, 3]), [b.n(), 1]), [None, 3]),
    ("tile_stack", lambda b: b.tf.tile(b.tf.zeros([2, 3]), b.tf.stack([b.n(), 2])), [None, 6]),
    ("tile_concat", lambda b: b.tf.tile(b.tf.zeros([2, 3]), b.tf.concat(
        [[2], b.tf.reshape(b.n(), [1])], 0)), [4, None]),
    ("tile_shape_of", lambda b: b.tf.tile(b.tf.zeros([2, 3]), b.tf.shape(b.ph([None, 4]))),
     [None, 12]),
    ("tile_zero_dim", lambda b: b.tf.tile(b.tf.zeros([0, 3]), [b.n(), b.n()]), [0, None]),
    ("tile_zero_multiple", lambda b: b.tf.tile(b.ph([None, 3]), [0, b.n()]), [0, None]),
    ("tile_one_multiple", lambda b: b.tf.tile(b.ph([None, 3]), [1, b.n()]), [None, None]),
    ("tile_minus_one", lambda b: b.tf.tile(b.tf.zeros([2, 3]), [-1, 2]), [None, 6]),
    ("tile_unknown_rank", lambda b: b.tf.tile(b.ph(None), [b.n(), 2]), [None, None]),
    ("tile_unknown_rank_fed", lambda b: b.tf.tile(b.ph(None), b.ph([3], b.tf.int32)),
     [None, None, None]),
    ("tile_rank_mismatch", lambda b: b.tf.tile(b.tf.zeros([2, 3]), [b.n(), 1, 1]),
     (ERR, "Shape must be rank 2 but is rank 3")),
    ("tile_minus_two", lambda b: b.tf.tile(b.tf.zeros([2, 3]), [-2, 2]),
     (ERR, "Invalid value in tensor used for shape: -2")),
    # tf.pad: a dim is input + both paddings when all three are known.
    ("pad_list", lambda b: b.tf.pad(b.ph([None, 3]), [[0, b.n()], [1, 1]]), [None, 5]),
    ("pad_list_known_input", lambda b: b.tf.pad(b.tf.zeros([2, 3]), [[0, b.n()], [1, 1]]),
     [None, 5]),
    ("pad_packed_tensor", lambda b: b.tf.pad(b.ph([2, 3]), b.tf.convert_to_tensor(
        [[0, b.n()], [1, 1]])), [None, 5]),
    ("pad_identity", lambda b: b.tf.pad(b.ph([2, 3]), b.tf.identity(b.tf.convert_to_tensor(
        [[0, b.n()], [1, 1]]))), [None, 5]),
    ("pad_tensor_row", lambda b: b.tf.pad(b.ph([2, 3]), [[1, 2], b.tf.stack([b.n(), 1])]),
     [5, None]),
    ("pad_shape_entry", lambda b: b.tf.pad(b.ph([2, 3]), [[0, b.tf.shape(b.ph([None, 4]))[1]],
                                                          [1, 1]]), [6, 5]),
    ("pad_v2", lambda b: b.tf.pad(b.ph([None, 3]), [[0, b.n()], [1, 1]], constant_values=1.0),
     [None, 5]),
    ("pad_reflect", lambda b: b.tf.pad(b.ph([4, 3]), [[1, 1], [b.n(), 1]], mode="REFLECT"),
     [6, None]),
    ("pad_symmetric", lambda b: b.tf.pad(b.ph([4, 3]), b.tf.convert_to_tensor(
        [[b.n(), 1], [1, 2]]), mode="SYMMETRIC"), [None, 6]),
    ("pad_reshaped", lambda b: b.tf.pad(b.ph([2, 3]), b.tf.reshape(
        b.tf.stack([0, b.n(), 1, 1]), [2, 2])), [None, None]),
    ("pad_fed", lambda b: b.tf.pad(b.ph([None, 3]), b.ph([2, 2], b.tf.int32)), [None, None]),
    ("pad_unknown_rank", lambda b: b.tf.pad(b.ph(None), [[0, b.n()], [1, 1]]),  # 2 rows:
     [None, None]),  # rank 2
    # The raw ops keep their shape function's answer: only fully known paddings count there.
    ("pad_raw", lambda b: b.tf.raw_ops.Pad(input=b.ph([None, 3]), paddings=b.tf.convert_to_tensor(
        [[0, b.n()], [1, 1]])), [None, None]),
    ("mirror_pad_raw", lambda b: b.tf.raw_ops.MirrorPad(
        input=b.ph([4, 3]), paddings=b.tf.convert_to_tensor([[0, b.n()], [1, 1]]),
        mode="REFLECT"), [None, None]),
    # Reshape: one unknown dim with the other side's element count known is worked out.
    ("reshape_fills", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), [b.n(), 3]), [2, 3]),
    ("reshape_fills_from_shape", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), b.tf.stack(
        [b.n(), b.tf.shape(b.ph([None, 3]))[1]])), [2, 3]),
    ("reshape_zero_input", lambda b: b.tf.reshape(b.tf.zeros([0, 3]), [b.n(), 3]), [0, 3]),
    ("reshape_zero_dim_input", lambda b: b.tf.reshape(b.ph([None, 0]), [b.n(), 3]), [0, 3]),
    ("reshape_two_unknown", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), [-1, b.n()]),
     [None, None]),
    ("reshape_both_minus_one", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), [-1, -1]),
     [None, None]),
    ("reshape_one_unknown_each", lambda b: b.tf.reshape(b.ph([None, 3]), [b.n(), 3]),
     [None, 3]),
    ("reshape_batch", lambda b: b.tf.reshape(b.ph([None, 4]), [-1, 2, b.n()]), [None, 2, None]),
    ("reshape_known_target", lambda b: b.tf.reshape(b.ph([None, 3]), [2, 6]), [2, 6]),
    ("reshape_two_unknown_inputs", lambda b: b.tf.reshape(b.ph([None, None, 3]), [2, 5]),
     [2, 5]),
    ("reshape_empty_to_zero", lambda b: b.tf.reshape(b.tf.zeros([0, 3]), [-1, 0]), [None, 0]),
    ("reshape_empty_minus_one", lambda b: b.tf.reshape(b.tf.zeros([0, 3]), [-1, 3]), [0, 3]),
    # no elements on both sides: the -1 stays unknown (the kernel makes it 3 at run time)...
    ("reshape_empty_zero_first", lambda b: b.tf.reshape(b.tf.zeros([0, 3]), [0, -1]),
     [0, None]),
    # ...unless the target's known dims have elements to divide by: 0 / 2 is 0
    ("reshape_empty_known_dims", lambda b: b.tf.reshape(b.tf.zeros([0]), [2, -1]), [2, 0]),
    ("reshape_unknown_rank", lambda b: b.tf.reshape(b.ph(None), [b.n(), 3]), [None, 3]),
    ("reshape_not_dividing", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), [b.n(), 4]),
     (ERR, "Dimension size must be evenly divisible by 4 but is 6")),
    ("reshape_not_dividing_m1", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), [-1, 4]),
     (ERR, "Dimension size must be evenly divisible by 4 but is 6")),
    ("reshape_input_not_dividing", lambda b: b.tf.reshape(b.ph([None, 3]), [2, 5]),
     (ERR, "Dimension size must be evenly divisible by 3 but is 10")),
    ("reshape_to_zero_elements", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), [b.n(), 0]),
     (ERR, r"Cannot reshape a tensor with 6 elements to shape \[\?,0\] \(0 elements\)")),
    ("reshape_count_mismatch", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), [2, 4]),
     (ERR, r"Cannot reshape a tensor with 6 elements to shape \[2,4\] \(8 elements\)")),
    ("reshape_minus_two", lambda b: b.tf.reshape(b.tf.zeros([2, 3]), [-2, 3]),
     (ERR, "Invalid value in tensor used for shape: -2")),
    # Transposed convolutions: the shape is input_sizes', as TF 1.x's shape function gives it
    # (TF2_DIFFERS: TF 2 takes the batch from out_backprop); a known batch of both is checked.
    ("deconv_batch", lambda b: _deconv(b.ph([None, 4, 4, 3]), b, [2, 8, 8, 2]),
     [2, 8, 8, 2]),
    ("deconv_batch_nchw", lambda b: _deconv(b.ph([None, 3, 4, 4]), b, [2, 2, 8, 8],
                                            strides=[1, 1, 2, 2], data_format="NCHW"),
     [2, 2, 8, 8]),
    ("deconv_sizes_unknown_batch", lambda b: _deconv(b.ph([3, 4, 4, 3]), b, b.tf.stack(
        [b.n(), 8, 8, 2])), [3, 8, 8, 2]),
    ("deconv_sizes_from_shape", lambda b: (lambda x: _deconv(x, b, b.tf.stack(
        [b.tf.shape(x)[0], 8, 8, 2])))(b.ph([None, 4, 4, 3])), [None, 8, 8, 2]),
    ("deconv_fed_sizes", lambda b: b.tf.nn.conv2d_backprop_input(
        b.ph([4], b.tf.int32), b.w(), b.ph([None, 4, 4, 3]), strides=[1, 2, 2, 1],
        padding="SAME"), [None, None, None, None]),
    ("deconv_two_sizes", lambda b: b.tf.raw_ops.Conv2DBackpropInput(
        input_sizes=[8, 8], filter=b.w(), out_backprop=b.ph([None, 4, 4, 3]),
        strides=[1, 2, 2, 1], padding="SAME"), [None, 8, 8, 2]),
    ("deconv_batch_mismatch", lambda b: _deconv(b.tf.zeros([1, 4, 4, 3]), b, [2, 8, 8, 2]),
     (ERR, "Dimensions must be equal, but are 2 and 1")),
    ("deconv_depth_mismatch", lambda b: _deconv(b.ph([None, 4, 4, 5]), b, [2, 8, 8, 2]),
     (ERR, "Dimensions must be equal, but are 5 and 3")),
    ("conv1d_transpose", lambda b: b.tf.nn.conv1d_transpose(
        b.ph([None, 4, 3]), b.tf.zeros([3, 2, 3]), output_shape=[2, 8, 2], strides=2),
     [2, 8, 2]),
    # Conv3DBackpropInputV2 and DepthwiseConv2dNativeBackpropInput take input_sizes whole.
    ("conv3d_transpose", lambda b: b.tf.nn.conv3d_transpose(
        b.ph([None, 2, 4, 4, 3]), b.tf.zeros([3, 3, 3, 2, 3]), output_shape=[2, 4, 8, 8, 2],
        strides=[1, 2, 2, 2, 1]), [2, 4, 8, 8, 2]),
    ("conv3d_transpose_other_batch", lambda b: b.tf.nn.conv3d_transpose(
        b.tf.zeros([1, 2, 4, 4, 3]), b.tf.zeros([3, 3, 3, 2, 3]),
        output_shape=[2, 4, 8, 8, 2], strides=[1, 2, 2, 2, 1]), [2, 4, 8, 8, 2]),
    ("depthwise_backprop_input", lambda b: b.tf.nn.depthwise_conv2d_native_backprop_input(
        [2, 8, 8, 3], b.tf.zeros([3, 3, 3, 1]), b.ph([None, 4, 4, 3]), strides=[1, 2, 2, 1],
        padding="SAME"), [2, 8, 8, 3]),
    ("depthwise_backprop_input_other_batch",
     lambda b: b.tf.nn.depthwise_conv2d_native_backprop_input(
         [2, 8, 8, 3], b.tf.zeros([3, 3, 3, 1]), b.tf.zeros([1, 4, 4, 3]),
         strides=[1, 2, 2, 1], padding="SAME"), [2, 8, 8, 3]),
    # Select with a vector condition: the branches' shape, the condition's length only checked
    # against the first dimension; ReverseSequence merges the lengths' count into the batch.
    ("select_vector_cond_rows", lambda b: b.tf.where(
        b.tf.constant([True, False]), b.ph([None, 3]), b.ph([None, 3])), [None, 3]),
    ("select_vector_cond_vector", lambda b: b.tf.where(
        b.tf.constant([True, False]), b.ph([None]), b.ph([None])), [None]),
    ("select_vector_cond_mismatch", lambda b: b.tf.where(
        b.tf.constant([True, False]), b.ph([3, 3]), b.ph([3, 3])),
     (ERR, "must be equal, but are 2 and 3")),
    ("reverse_sequence_batch", lambda b: b.tf.reverse_sequence(
        b.ph([None, 4, 3]), b.tf.constant([2, 1], b.tf.int64), seq_axis=1, batch_axis=0),
     [2, 4, 3]),
    ("reverse_sequence_mismatch", lambda b: b.tf.reverse_sequence(
        b.ph([3, 4, 3]), b.tf.constant([2, 1], b.tf.int64), seq_axis=1, batch_axis=0),
     (ERR, "must be equal, but are 3 and 2")),
]
_IDS = [c[0] for c in CASES]


def _outcome(tf, build):
    """The static shape ``build`` gives (a list, None for unknown rank), or (ERR, message) for
    the ValueError raised while building it."""
    with tf.Graph().as_default():
        try:
            shape = build(_Builder(tf)).shape
        except ValueError as e:
            return ERR, str(e)
    return None if shape.rank is None else shape.as_list()


def _check(got, expected):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple), f"expected ValueError {expected[1]!r}, got shape {got}"
        assert re.search(expected[1], got[1]), got[1]
    else:
        assert got == expected


@pytest.mark.parametrize("case_id,build,expected", CASES, ids=_IDS)
def test_static_shape(case_id, build, expected):
    _check(_outcome(mt, build), expected)


# Where TF 1.x's shape functions (the expectations above) and TF 2.21's differ: TF 2.21's.
# TF1 programs depend on these (DCGAN's deconv2d reshapes to conv2d_transpose's static shape).
TF2_DIFFERS = {"deconv_batch": [None, 8, 8, 2], "deconv_batch_nchw": [None, 2, 8, 8],
               "conv1d_transpose": [None, 8, 2]}


@pytest.mark.parametrize("case_id,build,expected", CASES, ids=_IDS)
def test_static_shape_matches_tensorflow(case_id, build, expected):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    theirs = _outcome(tf1, build)
    if case_id in TF2_DIFFERS:
        assert theirs == TF2_DIFFERS[case_id] and _outcome(mt, build) == expected
        return
    _check(theirs, expected)  # the hand-worked expectation is TF's
    ours = _outcome(mt, build)
    if isinstance(theirs, tuple):  # same message up to TF's node description
        assert isinstance(ours, tuple) and ours[1].split(" for '")[0] == \
            theirs[1].split(" for '")[0]
    else:
        assert ours == theirs


def test_inferred_shapes_hold_at_run_time():
    """The statically worked-out dims are what the kernels produce."""
    with mt.Graph().as_default():
        q = mt.placeholder(mt.float32, [None, None, 4])
        tiled = mt.tile(mt.expand_dims(q[:, 0, :], 1), [1, mt.shape(q)[1], 1])
        n = mt.placeholder(mt.int32, [])
        reshaped = mt.reshape(mt.zeros([2, 3]), [n, 3])
        padded = mt.pad(mt.placeholder_with_default(np.ones([2, 3], np.float32), [None, 3]),
                        [[0, n], [1, 1]])
        x = mt.placeholder(mt.float32, [None, 4, 4, 3])
        deconv = mt.nn.conv2d_transpose(x, mt.ones([5, 5, 2, 3]), output_shape=[2, 8, 8, 2],
                                        strides=[1, 2, 2, 1])
        dense = mt.layers.dense(tiled, 2)  # needs the last dim: refused when it was lost
        assert tiled.shape.as_list() == [None, None, 4]
        assert dense.shape.as_list() == [None, None, 2]
        assert reshaped.shape.as_list() == [2, 3]
        assert padded.shape.as_list() == [None, 5]
        assert deconv.shape.as_list() == [2, 8, 8, 2]
        with mt.Session() as sess:
            sess.run(mt.global_variables_initializer())
            outs = sess.run([tiled, dense, reshaped, padded, deconv],
                            {q: np.zeros([3, 5, 4], np.float32), n: 2,
                             x: np.zeros([2, 4, 4, 3], np.float32)})
    assert [o.shape for o in outs] == [(3, 5, 4), (3, 5, 2), (2, 3), (4, 5), (2, 8, 8, 2)]
    with mt.Graph().as_default():
        with mt.Session() as sess:  # a run whose output shape disagrees still fails there
            with pytest.raises(mt.errors.InvalidArgumentError):
                sess.run(mt.nn.conv2d_transpose(
                    mt.placeholder_with_default(np.zeros([1, 4, 4, 3], np.float32),
                                                [None, 4, 4, 3]),
                    mt.ones([5, 5, 2, 3]), output_shape=[2, 8, 8, 2], strides=[1, 2, 2, 1]))


def test_a_partially_known_shape_as_a_shape_argument_is_a_value_error():
    """TF's op_def_library keeps a conversion's ValueError when no dtype converts the value
    (TF1 code catches ValueError around tf.reshape(x, x.get_shape())); a value that converts to
    another dtype stays a TypeError."""
    def outcomes(lib):
        with lib.Graph().as_default():
            x = lib.placeholder(lib.float32, [None, 3])
            out = []
            for build in (lambda: lib.reshape(x, x.get_shape()),
                          lambda: lib.fill(x.get_shape(), 1.0),
                          lambda: lib.reshape(x, [1.5, 2.0])):
                try:
                    build()
                except (TypeError, ValueError) as e:
                    out.append((type(e).__name__, str(e).split(" Error:")[0]))
            return out

    ours = outcomes(mt)
    assert ours == [("ValueError", "Tried to convert 'shape' to a tensor and failed."),
                    ("ValueError", "Tried to convert 'dims' to a tensor and failed."),
                    ours[2]] and ours[2][0] == "TypeError"
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert [o[0] for o in outcomes(tf1)] == [o[0] for o in ours]
    assert outcomes(tf1)[:2] == ours[:2]
