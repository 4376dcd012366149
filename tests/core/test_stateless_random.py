"""TensorFlow's stateless random ops (core/ops/stateless_random_ops.py), bit for bit.

The hard-coded arrays are what real TensorFlow 2.21 printed (tf.raw_ops.<Op> on the CPU) for the
same shapes and seeds; odd element counts exercise the partial last Philox block and the last
Box-Muller pair. With TensorFlow installed, larger shapes are compared side by side, and graphs
TF builds with stateless initializers (rnn_cell, Keras) are imported and initialized."""

from __future__ import annotations

import os

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.opdef import NOT_DIFFERENTIABLE, registered
from minitf.ops import stateless_random_ops as sro

from .legacy_tf import run_against_tf

OPS = ["StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal",
       "StatelessRandomUniformInt", "StatelessRandomUniformFullInt"]
ALL_OPS = OPS + [t + "V2" for t in OPS] + [
    "StatelessRandomGetKeyCounter", "StatelessRandomGetKeyCounterAlg", "StatelessRandomGetAlg"]


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _op(op_type, *inputs, **attrs):
    return registered()[op_type](*inputs, **attrs)


def _assert_bits_equal(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.shape)
    np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}"))


@pytest.mark.parametrize("counter, key, want", [
    ([0, 0, 0, 0], 0, [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, 2**64 - 1, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], 0x299F31D0_A4093822,
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
])
def test_philox_matches_the_random123_known_answers(counter, key, want):
    # Random123's kat_vectors for philox4x32_10 (its authors' reference implementation).
    out = sro.philox4x32_10([np.uint64(c) for c in counter], key)
    assert [int(w) for w in out] == want


# (seed, seed dtype) -> (key, counter) as TF 2.21's StatelessRandomGetKeyCounter gave them.
KEY_COUNTERS = [
    ([1, 2], np.int64, [10413732777507651514], [0, 17830669156045600267]),
    ([-1, 2], np.int32, [17920545180917238815], [0, 139143306436182141]),  # sign-extended
    ([-5, 2**40], np.int64, [11708994284152447527], [0, 9637283093395628814]),
    ([0, 0], np.int32, [16103252647613272195], [0, 18388005586443337812]),
]


@pytest.mark.parametrize("seed, seed_dtype, key, counter", KEY_COUNTERS)
def test_seed_scrambles_to_tensorflows_key_and_counter(seed, seed_dtype, key, counter):
    tf.reset_default_graph()
    got = _run(_op("StatelessRandomGetKeyCounter", tf.constant(np.array(seed, seed_dtype))))
    _assert_bits_equal(got[0], np.array(key, np.uint64))
    _assert_bits_equal(got[1], np.array(counter, np.uint64))


# (op, dtype, shape, seed, seed dtype, what TF 2.21 gave)
V1_VALUES = [
    ("StatelessRandomUniform", np.float32, [7], [1, 2], np.int64,
     [0.8440604, 0.19204533, 0.9962232, 0.1603874, 0.27199018, 0.649346, 0.10694444]),
    ("StatelessRandomUniform", np.float64, [3], [-5, 2**40], np.int64,
     [0.5217126152711182, 0.1533239755242266, 0.6906659727685966]),
    ("StatelessRandomUniform", np.float16, [5], [7, 11], np.int32,
     [0.3252, 0.01855, 0.58, 0.9336, 0.6807]),
    ("StatelessRandomNormal", np.float32, [7], [1, 2], np.int64,
     [0.5441101, 0.20738031, 0.07356432, 0.04643455, -1.3015898, -0.9538565, 0.84172857]),
    ("StatelessRandomNormal", np.float64, [3], [7, 11], np.int32,
     [0.5721170971858979, -0.3409141641154505, -0.32059098871919944]),
    ("StatelessRandomNormal", np.float16, [5], [3, 4], np.int32,
     [-0.174, 1.672, 0.3481, -1.704, -0.615]),
    ("StatelessTruncatedNormal", np.float32, [9], [9, 3], np.int32,
     [-0.3411348, 0.24889377, 0.6966312, -0.34111646, 0.9843474, 0.517113, 1.1480047,
      -1.2564796, -0.20355901]),
    ("StatelessTruncatedNormal", np.float64, [3], [6, 3], np.int32,
     [0.19159996226613374, 0.9138258707318582, -1.4790230906253206]),
    ("StatelessTruncatedNormal", np.float16, [5], [9, 3], np.int32,
     [-0.341, 0.2489, 0.697, -0.341, 0.9844]),
]


@pytest.mark.parametrize("op_type, dtype, shape, seed, seed_dtype, want", V1_VALUES,
                         ids=[f"{v[0]}-{np.dtype(v[1]).name}" for v in V1_VALUES])
def test_float_ops_give_tensorflows_values(op_type, dtype, shape, seed, seed_dtype, want):
    tf.reset_default_graph()
    seed_ph = tf.placeholder(tf.as_dtype(seed_dtype), [2])
    out = _op(op_type, shape, seed_ph, dtype=tf.as_dtype(dtype))
    _assert_bits_equal(_run(out, {seed_ph: np.array(seed, seed_dtype)}), np.array(want, dtype))


def test_truncated_normal_rejects_and_reads_on_as_tensorflow():
    # Seed [9, 3]: the second normal of the first group is 3.368 (TF's StatelessRandomNormal),
    # so the truncated group keeps the 1st, 3rd and 4th and takes its last from the next block
    # (-0.34111646; TF gave it); group 2 starts at its own block 256 (from -0.20355901 on).
    tf.reset_default_graph()
    normal, truncated = _run([_op("StatelessRandomNormal", [4], [9, 3]),
                              _op("StatelessTruncatedNormal", [9], [9, 3])])
    np.testing.assert_array_equal(normal, np.float32([-0.3411348, 3.3684604, 0.24889377,
                                                      0.6966312]))
    np.testing.assert_array_equal(truncated[:3], normal[[0, 2, 3]])
    assert truncated[3] == np.float32(-0.34111646) and np.all(np.abs(truncated) < 2)
    d_normal = _run(_op("StatelessRandomNormal", [2], [6, 3], dtype=tf.float64))
    d_truncated = _run(_op("StatelessTruncatedNormal", [3], [6, 3], dtype=tf.float64))
    assert d_normal[0] == 2.138057118644391 and d_truncated[0] == d_normal[1]


@pytest.mark.parametrize("dtype, shape, seed, lo, hi, want", [
    (np.int32, [5], [1, 2], -7, 1000003, [977083, 35462, 351697, 440472, 670120]),
    (np.int64, [3], [7, 11], -2**62, 2**62 + 12345,
     [-2303063358735343340, -675096029862470062, -1571279213904387399]),
    (np.int32, [3], [3, 4], -2**31, 2**31 - 1, [287253515, 1476256649, 756823714]),
], ids=["int32", "int64-wide", "int32-full-range"])
def test_uniform_int_reduces_bits_as_tensorflow(dtype, shape, seed, lo, hi, want):
    tf.reset_default_graph()
    out = _op("StatelessRandomUniformInt", shape, np.array(seed, np.int32), dtype(lo), dtype(hi))
    _assert_bits_equal(_run(out), np.array(want, dtype))


def test_full_int_is_the_raw_bits():
    tf.reset_default_graph()
    u64 = _op("StatelessRandomUniformFullInt", [3], np.array([1, 2], np.int32))
    i32 = _op("StatelessRandomUniformFullInt", [3], np.array([1, 2], np.int32), dtype=tf.int32)
    got = _run([u64, i32])
    _assert_bits_equal(got[0], np.array([7464880146280614444, 1591045637757961278,
                                         17389275318164050067], np.uint64))
    _assert_bits_equal(got[1], np.array([1105988140, 1738052849, -335576002], np.int32))


def test_v2_ops_carry_the_128_bit_counter_as_tensorflow():
    tf.reset_default_graph()
    key = tf.constant(np.array([0x0123456789ABCDEF], np.uint64))
    carry = tf.constant(np.array([2**64 - 1, 5], np.uint64))  # block 2 carries into the high word
    wrap = tf.constant(np.array([2**64 - 1, 2**64 - 1], np.uint64))  # block 2 wraps to 0
    got = _run([_op("StatelessRandomUniformV2", [6], key, carry, 1),
                _op("StatelessRandomUniformV2", [6], key, carry, 3),  # AUTO_SELECT: Philox
                _op("StatelessRandomUniformV2", [6], key, wrap, 1),
                _op("StatelessRandomUniformIntV2", [5], key, carry, 1, np.int32(-3),
                    np.int32(17))])
    want = np.float32([0.30913615, 0.25118804, 0.8064332, 0.9137417, 0.8783246, 0.82801473])
    _assert_bits_equal(got[0], want)
    _assert_bits_equal(got[1], want)
    _assert_bits_equal(got[2], np.float32([0.11154497, 0.94458115, 0.0128240585, 0.35002887,
                                           0.6260431, 0.099130034]))
    _assert_bits_equal(got[3], np.int32([-1, -1, 1, 6, 14]))


def test_tf1_api_builds_tensorflows_ops_and_values():
    tf.reset_default_graph()
    uniform = tf.random.stateless_uniform([7], seed=[1, 2], minval=-1.0, maxval=3.0)
    normal = tf.random.stateless_normal([7], seed=[1, 2], mean=1.0, stddev=2.0)
    ints = tf.random.stateless_uniform([5], seed=[1, 2], minval=-7, maxval=1000003,
                                       dtype=tf.int32)
    bits = tf.random.stateless_uniform([3], seed=[1, 2], minval=None, maxval=None,
                                       dtype=tf.int32)
    # The node names and types TF 2.21's tf.compat.v1.random.stateless_* gave.
    ops = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert ops["stateless_random_uniform/StatelessRandomGetKeyCounter"] == \
        "StatelessRandomGetKeyCounter"
    assert ops["stateless_random_uniform/StatelessRandomUniformV2"] == "StatelessRandomUniformV2"
    assert ops["stateless_random_uniform"] == "AddV2"
    assert ops["stateless_random_normal/StatelessRandomNormalV2"] == "StatelessRandomNormalV2"
    assert ops["stateless_random_uniform_1"] == "StatelessRandomUniformIntV2"
    assert ops["stateless_random_uniform_2"] == "StatelessRandomUniformFullIntV2"
    assert uniform.shape.as_list() == [7]
    got = _run([uniform, normal, ints, bits])
    u = np.float32([0.8440604, 0.19204533, 0.9962232, 0.1603874, 0.27199018, 0.649346,
                    0.10694444])
    n = np.float32([0.5441101, 0.20738031, 0.07356432, 0.04643455, -1.3015898, -0.9538565,
                    0.84172857])
    _assert_bits_equal(got[0], u * np.float32(4) + np.float32(-1))
    _assert_bits_equal(got[1], n * np.float32(2) + np.float32(1))
    _assert_bits_equal(got[2], np.int32([977083, 35462, 351697, 440472, 670120]))
    _assert_bits_equal(got[3], np.int32([1105988140, 1738052849, -335576002]))


def test_truncated_normal_api_and_its_gradient_through_stddev():
    tf.reset_default_graph()
    stddev = tf.placeholder(tf.float32, [])
    out = tf.random.stateless_truncated_normal([9], seed=[9, 3], stddev=stddev)
    (grad,) = tf.gradients(tf.reduce_sum(out), [stddev])
    got, g = _run([out, grad], {stddev: 0.5})
    want = np.float32([-0.3411348, 0.24889377, 0.6966312, -0.34111646, 0.9843474, 0.517113,
                       1.1480047, -1.2564796, -0.20355901])
    _assert_bits_equal(got, want * np.float32(0.5))
    np.testing.assert_allclose(g, want.sum(dtype=np.float64), rtol=1e-6)


def test_every_stateless_op_is_declared_not_differentiable_as_in_tensorflow():
    for op_type in ALL_OPS:
        assert registered()[op_type].grad is NOT_DIFFERENTIABLE, op_type
    # Only the algorithm query is stateful (TF's: it depends on the device).
    assert [t for t in ALL_OPS if registered()[t].stateful] == ["StatelessRandomGetAlg"]


def _uniform_v2(alg=1, key=(5,), counter=(0, 0), shape=(3,)):
    return _op("StatelessRandomUniformV2", tf.placeholder(tf.int32), tf.placeholder(tf.uint64),
               tf.placeholder(tf.uint64), tf.placeholder(tf.int32)), \
        (np.int32(shape), np.uint64(key), np.uint64(counter), np.int32(alg))


# Runtime errors, with TF 2.21's messages (its counter check asks for 1 entry and reads 2).
@pytest.mark.parametrize("kwargs, message", [
    ({"alg": 2}, "Unsupported algorithm id: 2"),
    ({"alg": 0}, "Unsupported algorithm id: 0"),
    ({"key": (1, 2)}, r"key must have shape \[1\], not \[2\]"),
    ({"counter": (1,)}, r"counter must be a vector with length at least 2; got shape: \[1\]"),
    ({"shape": (3, -1)}, "Dimension -1 must be >= 0"),
    ({"shape": ((3,),)}, r"shape must be a vector of \{int32,int64\}, got shape \[1,1\]"),
])
def test_v2_errors_name_the_bad_input(kwargs, message):
    tf.reset_default_graph()
    out, values = _uniform_v2(**kwargs)
    with pytest.raises(InvalidArgumentError, match=message):
        _run(out, dict(zip(out.op.inputs, values)))


def test_v1_errors_name_the_bad_input():
    tf.reset_default_graph()
    seed = tf.placeholder(tf.int64)
    lo, hi = tf.placeholder(tf.int32), tf.placeholder(tf.int32)
    ints = _op("StatelessRandomUniformInt", tf.placeholder(tf.int32), seed, lo, hi)
    shape = ints.op.inputs[0]
    with pytest.raises(InvalidArgumentError, match=r"seed must have shape \[2\], not \[3\]"):
        _run(ints, {shape: [3], seed: [1, 2, 3], lo: 0, hi: 5})
    with pytest.raises(InvalidArgumentError, match="Need minval < maxval, got 5 >= 5"):
        _run(ints, {shape: [3], seed: [1, 2], lo: 5, hi: 5})
    with pytest.raises(InvalidArgumentError, match=r"minval must be 0-D, got shape \[1\]"):
        _run(ints, {shape: [3], seed: [1, 2], lo: [0], hi: 5})
    # TF returns an empty output before it reads the bounds.
    assert _run(ints, {shape: [0], seed: [1, 2], lo: 5, hi: 5}).shape == (0,)
    with pytest.raises(InvalidArgumentError, match="seed"):  # static: at graph construction
        _op("StatelessRandomUniform", [2], tf.constant([1, 2, 3]))


def test_tf1_api_refuses_threefry_and_bad_arguments():
    with pytest.raises(UnimplementedError, match="ThreeFry"):
        tf.random.stateless_normal([2], seed=[1, 2], alg="threefry")
    with pytest.raises(ValueError, match="must be both None or not None"):
        tf.random.stateless_uniform([2], seed=[1, 2], maxval=5, minval=None, dtype=tf.int32)
    with pytest.raises(ValueError, match="unsupported value"):
        tf.random.stateless_uniform([2], seed=[1, 2], alg="mersenne")


def test_a_tensorflow_training_graph_initializes_its_kernel_as_tensorflow():
    # tests/export/data/tf_training: TF 2.x wrote it; its Dense kernel's glorot initializer is
    # StatelessRandomGetKeyCounter + StatelessRandomUniformV2. TF 2.21 ran it to these values.
    from minitf.export.freeze import graph_def_for_outputs
    from minitf.export.graph_def import parse_text_proto
    from minitf.protos import graph_pb2

    path = os.path.join(os.path.dirname(__file__), "..", "export", "data", "tf_training",
                        "graph.pbtxt")
    gd = parse_text_proto(open(path, "rb").read(), graph_pb2.GraphDef(), path, "GraphDef")
    init = "dense/kernel/Initializer/stateless_random_uniform"
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def_for_outputs(gd, [init]), name="")
        got = _run(init + ":0")
    _assert_bits_equal(got, np.float32([[0.82922614, -0.08767891], [0.21972716, -0.23530674],
                                        [-0.5407265, -0.12203431]]))


# -- against TensorFlow itself ---------------------------------------------------------------------


def test_large_shapes_match_tensorflow_side_by_side():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    shape = [101, 37]  # 3737 values: partial last blocks and groups
    cases = [(t, d) for t in ("StatelessRandomUniform", "StatelessRandomNormal",
                              "StatelessTruncatedNormal") for d in ("float16", "float32",
                                                                     "float64")]
    seeds = [[1, 2], [-7, 2**33], [123456789, -987654321]]
    graph = tf1.Graph()
    with graph.as_default():
        tf_outs = [getattr(tf1.raw_ops, t)(shape=shape, seed=tf1.constant(s, tf1.int64),
                                           dtype=d) for s in seeds for t, d in cases]
        tf_outs += [tf1.raw_ops.StatelessRandomUniformInt(
            shape=shape, seed=tf1.constant(s, tf1.int64), minval=tf1.constant(lo, d),
            maxval=tf1.constant(hi, d)) for s in seeds
            for d, lo, hi in ((tf1.int32, -5, 77777), (tf1.int64, -2**40, 3**30))]
    with tf1.Session(graph=graph) as sess:
        want = sess.run(tf_outs)
    tf.reset_default_graph()
    outs = [_op(t, shape, np.array(s, np.int64), dtype=tf.as_dtype(d)) for s in seeds
            for t, d in cases]
    outs += [_op("StatelessRandomUniformInt", shape, np.array(s, np.int64), d(lo), d(hi))
             for s in seeds for d, lo, hi in ((np.int32, -5, 77777), (np.int64, -2**40, 3**30))]
    for got, w in zip(_run(outs), want):
        _assert_bits_equal(got, w)


_TF_GRAPH_SCRIPT = r'''
import os, sys, numpy as np
import tensorflow.compat.v1 as tf1
import tf_keras
from tensorflow.python.ops import control_flow_v2_toggles
tf1.disable_eager_execution(); tf1.disable_resource_variables()
control_flow_v2_toggles.disable_control_flow_v2()
out_dir = os.environ["STATELESS_OUT_DIR"]
x = tf1.placeholder(tf1.float32, [2, None, 3], name="x")
outputs, state = tf1.nn.dynamic_rnn(tf1.nn.rnn_cell.BasicRNNCell(4), x, dtype=tf1.float32)
tf1.get_variable("w_trunc", [5, 7], initializer=tf_keras.initializers.TruncatedNormal(stddev=3.))
tf1.get_variable("w_normal", [3, 3], tf1.float64, initializer=tf_keras.initializers.RandomNormal())
tf1.get_variable("w_he", [9], initializer=tf_keras.initializers.HeNormal())
types = {op.type for op in tf1.get_default_graph().get_operations()}
assert {"StatelessRandomGetKeyCounter", "StatelessRandomUniformV2", "StatelessRandomNormalV2",
        "StatelessTruncatedNormalV2"} <= types, types
tf1.train.export_meta_graph(out_dir + "/m.meta")
with tf1.Session() as sess:
    sess.run(tf1.global_variables_initializer())
    values = {v.op.name: sess.run(v) for v in tf1.global_variables()}
np.savez(out_dir + "/init.npz", **values)
print("OK")
'''


def test_a_tensorflow_rnn_cell_graph_imports_and_initializes_as_tensorflow(tmp_path,
                                                                           monkeypatch):
    # TF 2.x's rnn_cell and Keras initializers build stateless random ops with a seed TF picks
    # at graph construction; the meta graph once refused them. TF runs in a process of its own
    # (legacy Keras must be chosen before TensorFlow is imported).
    script = tmp_path / "build_in_tf.py"
    script.write_text(_TF_GRAPH_SCRIPT)
    monkeypatch.setenv("STATELESS_OUT_DIR", str(tmp_path))
    run_against_tf(str(script), cases=1)  # an absolute path is used as it is
    want = dict(np.load(tmp_path / "init.npz"))
    assert set(want) == {"rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/bias", "w_trunc",
                         "w_normal", "w_he"}
    with tf.Graph().as_default():
        tf.train.import_meta_graph(str(tmp_path / "m.meta"))
        variables = {v.op.name: v for v in tf.global_variables()}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run({name: variables[name] for name in want})
    for name, value in want.items():
        _assert_bits_equal(got[name], value)


def test_a_minitf_graph_runs_in_tensorflow_to_the_same_values():
    # The GraphDef contract: TF's op names, input order and attrs (T, Tseed, Tshape, dtype).
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    graph = tf.Graph()
    with graph.as_default():
        outs = [tf.random.stateless_uniform([5], seed=[1, 2]),
                tf.random.stateless_truncated_normal([2, 3], seed=[4, 5], dtype=tf.float64),
                tf.random.stateless_uniform([3], seed=[1, 2], minval=-3, maxval=9,
                                            dtype=tf.int64),
                _op("StatelessRandomNormal", [3], np.array([1, 2], np.int32), dtype=tf.float16),
                _op("StatelessRandomUniformInt", [3], np.array([1, 2], np.int64),
                    np.int32(0), np.int32(9)),
                _op("StatelessRandomGetAlg")]
        want = _run(outs)
    graph_def = tf1.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def().SerializeToString())
    tf_graph = tf1.Graph()
    with tf_graph.as_default():
        tf1.import_graph_def(graph_def, name="")
    with tf1.Session(graph=tf_graph) as sess:
        got = sess.run([t.name for t in outs])
    for g, w in zip(got, want):
        _assert_bits_equal(w, g)
