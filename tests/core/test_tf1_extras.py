"""TF1's small API names: root aliases and constants, tf.sparse_matmul, make_tensor_proto,
tf.logging's counted logs, gfile.Stat, tf.compat's type tuples and forward compatibility,
tf.debugging.assert_shapes / assert_all_finite, tf.dtypes' casts, tf.graph_util's training-node
removal, and tf.train's summary_iterator, basic_train_loop, session creators, the global-step
waiter and checkpoint state. Each against numpy or hand-computed values, and against real
TensorFlow where it is installed."""

import logging
import os

import numpy as np
import pytest

import minitf as tf
from minitf import errors


def _run(fetches, feed_dict=None, graph=None):
    with tf.Session(graph=graph) as sess:
        return sess.run(fetches, feed_dict)


def _tf_run(build):
    """``build(tf1)`` in a graph of real TF's own; its fetches' values."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        fetches, feeds = build(tf1)
        with tf1.Session(graph=g) as sess:
            return sess.run(fetches, feeds)


# -- root aliases and constants ----------------------------------------------------------------
def test_arg_max_and_arg_min_are_the_ops_with_dimension():
    x = np.array([[1, 5, 2], [7, 0, 3]], np.float32)
    mx, mn = tf.arg_max(x, 1), tf.arg_min(x, dimension=0, output_type=tf.int32)
    assert (mx.op.type, mn.op.type, mx.dtype, mn.dtype) == ("ArgMax", "ArgMin", tf.int64,
                                                            tf.int32)
    got = _run([mx, mn])
    np.testing.assert_array_equal(got[0], x.argmax(1))
    np.testing.assert_array_equal(got[1], x.argmin(0))
    with pytest.raises(TypeError):
        tf.arg_max(x)  # dimension is required, as in TF


def test_initialize_all_tables_runs_table_initializers():
    table = tf.lookup.HashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant(["a", "b"]), tf.constant([1, 2], tf.int64)), -1)
    init = tf.initialize_all_tables()
    assert init.name == "init_all_tables"
    with tf.Session() as sess:
        sess.run(init)
        assert sess.run(table.lookup(tf.constant(["b", "z"]))).tolist() == [2, -1]


def test_op_scope_and_variable_op_scope_take_values_first():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1.0)
        with tf.op_scope([x], None, "outer") as scope:
            y = tf.identity(x, name="y")
        with tf.variable_op_scope([x], None, default_name="vs"):
            v = tf.get_variable("v", [])
    assert scope == "outer/" and y.name == "outer/y:0" and v.name == "vs/v:0"


def test_get_logger_is_tf_logging_logger(caplog):
    logger = tf.get_logger()
    assert isinstance(logger, logging.Logger) and logger.name == "minitf"
    with caplog.at_level(logging.INFO, logger="minitf"):
        tf.logging.info("through tf.logging")
    assert caplog.records[-1].name == logger.name


def test_build_constants_are_minitf_own():
    from minitf.export import graph_def

    assert tf.VERSION == tf.__version__
    assert tf.GRAPH_DEF_VERSION == graph_def.GRAPH_DEF_PRODUCER
    gd = tf.Graph().as_graph_def()
    assert gd.versions.producer == tf.GRAPH_DEF_VERSION
    assert gd.versions.min_consumer == tf.GRAPH_DEF_VERSION_MIN_CONSUMER == 0
    assert tf.GRAPH_DEF_VERSION_MIN_PRODUCER == 0
    assert (tf.CXX11_ABI_FLAG, tf.MONOLITHIC_BUILD) == (0, 0)
    assert isinstance(tf.GIT_VERSION, str) and isinstance(tf.COMPILER_VERSION, str)


# -- tf.sparse_matmul ----------------------------------------------------------------------------
def test_sparse_matmul_values_and_attrs():
    a = np.array([[1, 0, 2], [0, 0, 3]], np.float32)
    b = np.array([[4, 0], [0, 0], [5, 6]], np.float32)
    p = tf.sparse_matmul(a, b, a_is_sparse=True)
    assert p.op.type == "SparseMatMul" and p.op.get_attr("a_is_sparse") is True
    np.testing.assert_array_equal(_run(p), [[14, 12], [15, 18]])  # by hand
    pt = tf.sparse_matmul(a.T, b.T, transpose_a=True, transpose_b=True, b_is_sparse=True)
    np.testing.assert_array_equal(_run(pt), a @ b)


def test_sparse_matmul_refuses_bad_input():
    with pytest.raises(TypeError, match="DataType float64 not in list of allowed values"):
        tf.sparse_matmul(np.ones((2, 2)), np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
        tf.sparse_matmul(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))
    x = tf.placeholder(tf.float32)
    with pytest.raises(errors.InvalidArgumentError, match="Matrix size-incompatible"):
        _run(tf.sparse_matmul(x, np.ones((2, 2), np.float32)), {x: np.ones((2, 3))})


def test_sparse_matmul_gradient_is_tf_rule():
    """Every transpose combination, both inputs, in float32 (the op's only dtype here)."""
    rng = np.random.default_rng(3)
    for ta in (False, True):
        for tb in (False, True):
            a0 = rng.standard_normal((2, 3) if ta else (3, 2)).astype(np.float32)
            b0 = rng.standard_normal((4, 2) if tb else (2, 4)).astype(np.float32)
            a, b = tf.placeholder(tf.float32, a0.shape), tf.placeholder(tf.float32, b0.shape)
            y = tf.sparse_matmul(a, b, transpose_a=ta, transpose_b=tb, a_is_sparse=True)
            ga, gb = tf.gradients(y, [a, b])
            # TF's rule: SparseMatMuls carrying the operands' hints (y's is not a ReluGrad).
            assert ga.op.type == gb.op.type == "SparseMatMul"
            with tf.Session():
                pairs = tf.test.compute_gradient([a, b], [a0.shape, b0.shape], y, [3, 4],
                                                 x_init_value=[a0, b0], delta=1e-2,
                                                 extra_feed_dict={a: a0, b: b0})
            for theory, numeric in pairs:
                np.testing.assert_allclose(theory, numeric, atol=2e-3)
    # A gradient coming from a ReluGrad is hinted sparse (TF's heuristic).
    a = tf.placeholder(tf.float32, [3, 2])
    y = tf.sparse_matmul(a, np.ones((2, 4), np.float32))
    ga = tf.gradients(tf.nn.relu(y), a)[0]
    assert ga.op.inputs[0].op.type == "ReluGrad" and ga.op.get_attr("a_is_sparse") is True


def test_sparse_matmul_graph_runs_in_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    a = np.array([[1, 0], [0, 2], [3, 0]], np.float32)
    b = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3, 2], name="x")
        tf.sparse_matmul(x, b.T, transpose_b=True, a_is_sparse=True, name="out")
    ours = _run("out:0", {"x:0": a}, graph=g)
    tg = tf1.Graph()
    with tg.as_default():
        gd = tf1.GraphDef.FromString(g.as_graph_def().SerializeToString())
        tf1.import_graph_def(gd, name="")
        with tf1.Session(graph=tg) as sess:
            theirs = sess.run("out:0", {"x:0": a})
    np.testing.assert_allclose(ours, theirs)
    np.testing.assert_allclose(ours, a @ b)
    # And back: TF's own SparseMatMul node (its attrs, its defaults) runs in minitf.
    tg = tf1.Graph()
    with tg.as_default():
        x = tf1.placeholder(tf1.float32, [3, 2], name="x")
        tf1.sparse_matmul(x, b, b_is_sparse=True, name="out")
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(tf.GraphDef.FromString(tg.as_graph_def().SerializeToString()),
                            name="")
        assert g.get_operation_by_name("out").get_attr("b_is_sparse") is True
    np.testing.assert_allclose(_run("out:0", {"x:0": a}, graph=g), a @ b)


# -- make_tensor_proto / make_ndarray ------------------------------------------------------------
def test_make_tensor_proto_follows_tf_dtype_rules():
    assert tf.make_tensor_proto(1.0).dtype == 1  # DT_FLOAT: Python floats are float32
    assert tf.make_tensor_proto([1, 2]).dtype == 3  # DT_INT32
    assert tf.make_tensor_proto([2**40]).dtype == 9  # DT_INT64 when int32 cannot hold it
    assert tf.make_tensor_proto(np.arange(3.0)).dtype == 2  # ndarrays keep their dtype
    filled = tf.make_ndarray(tf.make_tensor_proto(7, shape=[2, 3]))
    np.testing.assert_array_equal(filled, np.full((2, 3), 7, np.int32))
    padded = tf.make_ndarray(tf.make_tensor_proto([1.5, 2.5], shape=[3]))
    np.testing.assert_array_equal(padded, [1.5, 2.5, 2.5])  # the last value repeats
    strings = tf.make_ndarray(tf.make_tensor_proto(["a", "bc"]))
    assert strings.tolist() == [b"a", b"bc"]
    with pytest.raises(ValueError, match="Too many elements provided. Takes at most 2, but "
                                         "got 3"):
        tf.make_tensor_proto([1, 2, 3], shape=[2])
    with pytest.raises(TypeError, match=r"Expected Tensor's shape: \(3,\), but got \(2,\)"):
        tf.make_tensor_proto([1, 2], shape=[3], verify_shape=True)


def test_make_tensor_proto_bytes_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for values, kw in (((1.0,), {}), (([1, 2, 3],), {}), ((np.arange(6.0).reshape(2, 3),), {}),
                       ((["a", "bc"],), {}), (([1, 2],), {"dtype": "float64"}),
                       ((True,), {})):
        ours = tf.make_tensor_proto(*values, **kw)
        theirs = tf1.make_tensor_proto(*values, **kw)
        assert ours.SerializeToString() == theirs.SerializeToString(), values
        np.testing.assert_array_equal(tf.make_ndarray(ours), tf1.make_ndarray(theirs))
    parsed = tf1.make_ndarray(tf1.make_tensor_proto(np.arange(4, dtype=np.int16)))
    mine = tf.make_ndarray(tf.make_tensor_proto(np.arange(4, dtype=np.int16)))
    mine[0] = 9  # writable, as TF's
    assert parsed.dtype == mine.dtype


def test_core_does_not_import_export_for_tensor_protos():
    import subprocess
    import sys

    code = "import sys, minitf; assert 'minitf.export' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- tf.logging ----------------------------------------------------------------------------------
def test_log_every_n_and_first_n_count_per_call_site(caplog):
    with caplog.at_level(logging.INFO, logger="minitf"):
        for i in range(7):
            tf.logging.log_every_n(tf.logging.INFO, "every %d", 3, i)
        for i in range(5):
            tf.logging.log_first_n(tf.logging.WARN, "first %d", 2, i)
        tf.logging.log_if(tf.logging.INFO, "never", False)
        tf.logging.log_if(tf.logging.INFO, "yes %s", True, "x")
        tf.logging.TaskLevelStatusMessage("status")
        tf.logging.flush()
    msgs = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert msgs == [(logging.INFO, "every 0"), (logging.INFO, "every 3"),
                    (logging.INFO, "every 6"), (logging.WARNING, "first 0"),
                    (logging.WARNING, "first 1"), (logging.INFO, "yes x"),
                    (logging.ERROR, "status")]


# -- gfile.Stat, tf.compat -----------------------------------------------------------------------
def test_gfile_stat(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"12345")
    st = tf.gfile.Stat(str(path))
    assert (st.length, st.is_directory) == (5, False)
    assert st.mtime_nsec == os.stat(path).st_mtime_ns
    assert tf.gfile.Stat(str(tmp_path)).is_directory
    with pytest.raises(errors.NotFoundError, match="No such file or directory"):
        tf.gfile.Stat(str(tmp_path / "missing"))


def test_compat_type_tuples_are_tf_python_types():
    c = tf.compat
    assert isinstance(3, c.integral_types) and isinstance(np.int8(3), c.integral_types)
    assert not isinstance(3.0, c.integral_types)
    assert isinstance(np.float32(1), c.real_types) and not isinstance(1j, c.real_types)
    assert isinstance(1j, c.complex_types) and isinstance(np.float64(1), c.complex_types)
    assert c.bytes_or_text_types == (bytes, str)


def test_forward_compatibility_horizon():
    assert tf.compat.forward_compatible(2019, 1, 1)
    assert not tf.compat.forward_compatible(2021, 1, 1)  # past TF 1.x: not emitted
    with tf.compat.forward_compatibility_horizon(2022, 6, 1):
        assert tf.compat.forward_compatible(2022, 5, 31)
        assert not tf.compat.forward_compatible(2022, 6, 1)
    assert not tf.compat.forward_compatible(2021, 1, 1)


# -- tf.debugging --------------------------------------------------------------------------------
def test_assert_shapes_static_errors():
    x, y = tf.zeros([2, 3]), tf.zeros([2, 4])
    # TF 2.21 gave these messages.
    with pytest.raises(ValueError, match=r"^Specified by tensor zeros:0 dimension 1.  Tensor "
                       r"zeros_1:0 dimension 1 must have size 3.  Received size 4, shape "
                       r"\(2, 4\)$"):
        tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", "Q"))])
    with pytest.raises(ValueError, match=r"^bad.  Specified explicitly.  Tensor zeros:0 "
                       r"dimension 1 must have size 4"):
        tf.debugging.assert_shapes([(x, ("N", 4))], message="bad")
    with pytest.raises(ValueError, match=r"must have rank in \(0, 1\).  Received rank 2"):
        tf.debugging.assert_shapes([(x, ("N",))])
    with pytest.raises(ValueError, match="only allowed as the first entry"):
        tf.debugging.assert_shapes([(x, ("N", ..., "Q"))])
    with pytest.raises(ValueError, match="Specified shape must be an iterable"):
        tf.debugging.assert_shapes([(x, 5)])
    ok = tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", ".")), (tf.zeros([4]),
                                                                        ("*", 4)),
                                     (tf.constant(1.0), ())])
    assert ok.type == "NoOp"


def test_assert_shapes_dynamic_checks():
    x, y = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32)
    check = tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", 3))])
    with tf.Session() as sess:
        sess.run(check, {x: np.zeros((2, 3)), y: np.zeros((2, 3))})
        with pytest.raises(errors.InvalidArgumentError, match=r"\[Specified explicitly\] "
                           r"\[Tensor Placeholder_1:0 dimension\] \[1\] \[must have size\] "
                           r"\[3\] \[Received shape: \] \[2 4\]"):
            sess.run(check, {x: np.zeros((2, 3)), y: np.zeros((2, 4))})
        with pytest.raises(errors.InvalidArgumentError, match=r"Specified by tensor "
                           r"Placeholder:0 dimension 0\] \[Tensor Placeholder_1:0 dimension\] "
                           r"\[0\] \[must have size\] \[2\]"):
            sess.run(check, {x: np.zeros((2, 3)), y: np.zeros((5, 3))})
        with pytest.raises(errors.InvalidArgumentError, match="must have rank"):
            sess.run(check, {x: np.zeros((2, 3)), y: np.zeros((2, 3, 1))})


def test_assert_shapes_messages_match_tensorflow():
    def run(m, y_value):
        x, y = m.placeholder(m.float32, [None, 3]), m.placeholder(m.float32)
        check = m.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", 3))])
        return check, {x: np.zeros((2, 3)), y: y_value}

    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for bad in (np.zeros((2, 4)), np.zeros((5, 3)), np.zeros(3)):
        with pytest.raises(tf1.errors.InvalidArgumentError) as theirs:
            _tf_run(lambda m, bad=bad: run(m, bad))
        g = tf.Graph()
        with g.as_default():
            fetch, feeds = run(tf, bad)
            with pytest.raises(errors.InvalidArgumentError) as ours:
                _run(fetch, feeds, graph=g)
        line = next(ln for ln in str(theirs.value).splitlines() if "assertion failed" in ln)
        assert line.strip() == str(ours.value).splitlines()[0].strip()


def test_assert_all_finite():
    x = tf.placeholder(tf.float32)
    y = tf.debugging.assert_all_finite(x, "x went bad")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(errors.InvalidArgumentError, match="x went bad : Tensor had NaN "
                           "values"):
            sess.run(y, {x: [1.0, np.nan]})


# -- tf.dtypes casts -----------------------------------------------------------------------------
def test_dtypes_casts():
    vals = np.array([-1e10, -129.5, -1.5, 0, 1.7, 255.9, 1e10, np.inf, -np.inf], np.float32)
    got = _run([tf.dtypes.saturate_cast(vals, tf.int8), tf.dtypes.saturate_cast(vals, tf.uint8),
                tf.dtypes.cast([1.9, -1.9], tf.int32), tf.dtypes.as_string([1, 22])])
    # TF 2.21 gave these.
    assert got[0].tolist() == [-128, -128, -1, 0, 1, 127, 127, 127, -128]
    assert got[1].tolist() == [0, 0, 0, 0, 1, 255, 255, 255, 0]
    assert got[2].tolist() == [1, -1] and got[3].tolist() == [b"1", b"22"]


def test_saturate_cast_matches_tensorflow():
    vals = np.array([-3e9, -129.5, -1.5, 0, 1.7, 255.9, 3e9, np.inf, -np.inf], np.float32)
    for dt in ("int8", "uint8", "int16", "uint16", "int32", "float16"):
        theirs = _tf_run(lambda m, dt=dt: (m.saturate_cast(m.constant(vals), getattr(m, dt)),
                                           None))
        ours = _run(tf.dtypes.saturate_cast(vals, getattr(tf, dt)))
        np.testing.assert_array_equal(ours, theirs, err_msg=dt)


def test_make_tensor_proto_refuses_what_tf_constant_refuses():
    # TF 2.21 raises TypeError for both; minitf converted them to [1, 2] and [b'1'].
    with pytest.raises(TypeError, match="Expected int32"):
        tf.make_tensor_proto([1.5, 2.7], dtype=tf.int32)
    with pytest.raises(TypeError, match="Expected string"):
        tf.make_tensor_proto([1], dtype=tf.string)
    with pytest.raises(ValueError, match="must be a dense tensor"):
        tf.make_tensor_proto([[1, 2], [3]])
    assert tf.make_ndarray(tf.make_tensor_proto([1.0, 2.0])).dtype == np.float32
    assert tf.make_ndarray(tf.make_tensor_proto(np.float64([1.5]))).dtype == np.float64
