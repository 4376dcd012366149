"""tf.test: TestCase suites run with unittest's own runner inside pytest (one suite that must
pass, one whose every test must fail with TF's message), compute_gradient against hand-computed
Jacobians and real TF's, tf.test.main in a subprocess, and the GPU queries."""

import subprocess
import sys
import textwrap
import unittest

import numpy as np
import pytest

import minitf as tf
from minitf.protos import graph_pb2


def _run_suite(case_class) -> unittest.TestResult:
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case_class).run(result)
    return result


def _passing_case():
    class Passing(tf.test.TestCase):
        def test_fresh_graph_and_seed_per_test(self):
            self.assertEqual(tf.constant(1.0, name="x").name, "x:0")
            self.assertEqual(tf.get_default_graph().seed, tf.test.DEFAULT_GRAPH_SEED)

        def test_fresh_graph_again(self):
            self.assertEqual(tf.constant(1.0, name="x").name, "x:0")

        def test_sessions(self):
            x = tf.constant([1.0, 2.0])
            with self.session() as sess:
                self.assertIs(tf.get_default_session(), sess)
                self.assertAllClose(sess.run(x), [1.0, 2.0])
            with self.cached_session() as a, self.cached_session() as b:
                self.assertIs(a, b)
            with self.test_session() as c:
                self.assertIs(c, a)
            g = tf.Graph()
            with self.test_session(graph=g) as d:
                self.assertIsNot(d, a)
                self.assertIs(d.graph, g)
            with self.assertRaisesRegex(ValueError, "different than the one"):
                with self.cached_session(graph=g):
                    pass

        def test_evaluate(self):
            v = tf.Variable([3.0])
            self.evaluate(tf.global_variables_initializer())
            got = self.evaluate({"v": v, "pair": (tf.constant(1), tf.constant("s"))})
            self.assertAllEqual(got["v"], [3.0])
            self.assertEqual(got["pair"][1], b"s")
            self.assertAllClose(v, [3.0])  # a tensor is evaluated

        def test_close_and_equal(self):
            self.assertAllClose({"a": [1.0, 2.0], "b": (np.ones(2), 3.0)},
                                {"a": np.array([1.0, 2.0 + 1e-7]), "b": [np.ones(2), 3.0]})
            self.assertAllClose([np.nan, 1.0], [np.nan, 1.0])
            self.assertAllCloseAccordingToType(np.float16([1.0]), np.float16([1.0009]))
            self.assertAllEqual([[1, 2]], np.array([[1, 2]]))
            self.assertShapeEqual(np.zeros((2, 3)), tf.zeros([2, 3]))
            self.assertNear(1.0, 1.05, 0.1)
            self.assertArrayNear([1.0, 2.0], [1.01, 1.99], 0.02)
            self.assertAllInSet([[1, 2], [2, 1]], {1, 2, 3})

        def test_raises(self):
            x = tf.placeholder(tf.float32)
            check = tf.debugging.assert_all_finite(x, "bad x")
            with self.assertRaisesOpError("bad x : Tensor had NaN"):
                tf.Session().run(check, {x: np.nan})
            with self.assertRaisesWithPredicateMatch(ValueError, lambda e: "7" in str(e)):
                raise ValueError("got 7")

        def test_proto_equals(self):
            g = tf.Graph()
            with g.as_default():
                tf.constant(1.0, name="c")
            node = g.as_graph_def().node[0]
            self.assertProtoEquals(
                'name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } '
                'attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} '
                "float_val: 1.0 } } }", node)
            self.assertProtoEquals(node, type(node).FromString(node.SerializeToString()))

        def test_temp_dir(self):
            d = self.get_temp_dir()
            self.assertEqual(d, self.get_temp_dir())
            self.assertTrue(d.startswith(tf.test.get_temp_dir()) and tf.gfile.IsDirectory(d))

    return Passing


def test_a_passing_suite_passes():
    result = _run_suite(_passing_case())
    problems = result.failures + result.errors
    assert not problems, "\n".join(text for _, text in problems)
    assert result.testsRun == 9 and len(result.skipped) == 1  # test_session: TF skips it


def _failing_case():
    class Failing(tf.test.TestCase):
        def test_close(self):
            self.assertAllClose([1.0, 2.0], [1.0, 2.1])

        def test_close_shape(self):
            self.assertAllClose([1.0, 2.0], [1.0, 2.0, 3.0])

        def test_close_type_tolerance_float32(self):
            self.assertAllCloseAccordingToType(np.float32([1.0]), np.float32([1.0009]))

        def test_equal(self):
            self.assertAllEqual([1, 2], [1, 3])

        def test_shape(self):
            self.assertShapeEqual(np.zeros((2, 3)), tf.zeros([3, 2]))

        def test_near(self):
            self.assertNear(1.0, 1.5, 0.1, msg="why")

        def test_in_set(self):
            self.assertAllInSet([1, 5, 5], {1, 2})

        def test_op_error_not_raised(self):
            with self.assertRaisesOpError("x"):
                pass

        def test_op_error_other_message(self):
            with self.assertRaisesOpError("expected words"):
                tf.Session().run(tf.debugging.assert_all_finite(tf.constant(np.inf), "other"))

        def test_proto(self):
            self.assertProtoEquals('name: "a"', graph_pb2.GraphDef().node.add(name="b"))

    return Failing


FAILURE_MESSAGES = {  # each test's failure message holds this (TF1's wording)
    "test_close": "Not equal to tolerance rtol=1e-06, atol=1e-06",
    "test_close_shape": "Shape mismatch: expected (2,), got (3,)",
    "test_close_type_tolerance_float32": "Not equal to tolerance",
    "test_equal": "Arrays are not equal",
    "test_shape": "Arrays are not equal",
    "test_near": "1.000000 != 1.500000 +/- 0.100000 (why)",
    "test_in_set": "1 unique element(s) are not in the set {1, 2}: [5]",
    "test_op_error_not_raised": "OpError not raised",
    "test_op_error_other_message": "Exception of type <class 'minitf.errors."
                                   "InvalidArgumentError'>: other : Tensor had Inf values",
    "test_proto": '+ name: "b"',
}


def test_a_failing_suite_fails_with_tf_messages():
    result = _run_suite(_failing_case())
    assert not result.errors, result.errors
    failed = {test._testMethodName: text for test, text in result.failures}
    assert set(failed) == set(FAILURE_MESSAGES)
    for name, wanted in FAILURE_MESSAGES.items():
        assert wanted in failed[name], (name, failed[name])


def test_shape_equal_refuses_non_arrays():
    case = tf.test.TestCase()
    with pytest.raises(TypeError, match="np_array must be a Numpy ndarray"):
        case.assertShapeEqual([1, 2], tf.zeros([2]))
    with pytest.raises(TypeError, match="tf_tensor must be a Tensor"):
        case.assertShapeEqual(np.zeros(2), np.zeros(2))


# -- gradient checking ---------------------------------------------------------------------------
def test_compute_gradient_jacobians():
    x = tf.placeholder(tf.float64, [3])
    y = tf.square(x) * tf.constant([1.0, 2.0, 3.0], tf.float64)
    x0 = np.array([1.0, -2.0, 0.5])
    with tf.Session():
        theory, numeric = tf.test.compute_gradient(x, [3], y, [3], x_init_value=x0)
        err = tf.test.compute_gradient_error(x, [3], y, [3], x_init_value=x0)
    wanted = np.diag(2 * x0 * [1.0, 2.0, 3.0])  # d(c_i x_i^2)/dx_i, by hand
    np.testing.assert_allclose(theory, wanted)
    np.testing.assert_allclose(numeric, wanted, atol=1e-6)
    assert err < 1e-6


def test_compute_gradient_lists_and_errors():
    a, b = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [2])
    y = a * b
    with tf.Session():
        # Each x is fed its own values; the other comes from extra_feed_dict, as in TF.
        a0, b0 = np.float32([1, 2]), np.float32([3, 4])
        (ta, _), (tb, _) = tf.test.compute_gradient(
            [a, b], [[2], [2]], y, [2], x_init_value=[a0, b0], extra_feed_dict={a: a0, b: b0})
        np.testing.assert_allclose(ta, np.diag([3, 4]))
        np.testing.assert_allclose(tb, np.diag([1, 2]))
        with pytest.raises(ValueError, match=r"x_shape = \[3\], init_data shape = \[2\]"):
            tf.test.compute_gradient(a, [3], y, [2], x_init_value=np.zeros(2, np.float32))
        with pytest.raises(TypeError, match="Don't support type int32 for x"):
            i = tf.placeholder(tf.int32, [2])
            tf.test.compute_gradient(i, [2], tf.cast(i, tf.float32), [2])
    with pytest.raises(ValueError, match="needs a default session"):
        tf.test.compute_gradient(a, [2], y, [2])


def test_compute_gradient_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x0 = np.array([[0.3, -1.2], [2.0, 0.1]])
    w = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]])

    def build(m):
        x = m.placeholder(m.float64, [2, 2])
        return x, m.reduce_sum(m.tanh(m.matmul(x, w)), axis=1)

    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g):
        x, y = build(tf1)
        theirs = tf1.test.compute_gradient(x, [2, 2], y, [2], x_init_value=x0)
    with tf.Session():
        x, y = build(tf)
        ours = tf.test.compute_gradient(x, [2, 2], y, [2], x_init_value=x0)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9)


# -- module functions ----------------------------------------------------------------------------
def test_gpu_queries_say_cpu_only():
    assert tf.test.is_gpu_available() is False and tf.test.is_gpu_available(True) is False
    assert tf.test.gpu_device_name() == ""
    assert tf.test.is_built_with_cuda() is False


def test_main_runs_the_scripts_tests(tmp_path):
    script = tmp_path / "t.py"
    script.write_text(textwrap.dedent("""
        import minitf as tf

        class T(tf.test.TestCase):
            def test_ok(self):
                self.assertAllEqual(self.evaluate(tf.constant([1, 2]) * 2), [2, 4])

            def test_flagged(self):
                self.assertTrue(FLAG)

        FLAG = __import__("os").environ.get("FLAG") == "1"
        if __name__ == "__main__":
            tf.test.main()
    """))
    ok = subprocess.run([sys.executable, str(script)], env={"FLAG": "1", **_env()},
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "Ran 3 tests" in ok.stderr, ok.stderr  # + test_session
    assert "OK (skipped=1)" in ok.stderr
    bad = subprocess.run([sys.executable, str(script)], env={"FLAG": "0", **_env()},
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "FAILED (failures=1, skipped=1)" in bad.stderr


def _env():
    import os

    return {k: v for k, v in os.environ.items() if k != "FLAG"}
