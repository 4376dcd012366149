"""``tf.test``: TF1's test helpers. ``TestCase`` is a ``unittest.TestCase`` with graph-mode
sessions (``session``, ``cached_session``, ``test_session``), ``evaluate`` and TF's numeric
assertions; ``compute_gradient`` / ``compute_gradient_error`` compare a graph's gradient with
central differences; ``main`` runs the tests. minitf runs on the CPU only, so the GPU queries
say so."""

from __future__ import annotations

import atexit
import contextlib
import functools
import math
import os
import random
import re
import shutil
import tempfile
import types
import unittest
from unittest import mock

import numpy as np

from . import dtypes as _dt
from .errors import OpError
from .graph import Tensor, get_default_graph, reset_default_graph
from .session import Session, get_default_session
from .variables import Variable
from .testing_util import (Benchmark, StubOutForTesting, assert_equal_graph_def,  # noqa: F401
                        benchmark_config)

__all__ = ["TestCase", "main", "get_temp_dir", "is_gpu_available", "gpu_device_name",
           "is_built_with_cuda", "is_built_with_gpu_support", "is_built_with_rocm",
           "compute_gradient", "compute_gradient_error", "Benchmark", "StubOutForTesting",
           "assert_equal_graph_def", "benchmark_config", "create_local_cluster",
           "disable_with_predicate", "is_built_with_xla", "is_cpu_target_available", "mock",
           "test_src_dir_path", "with_eager_op_as_function", "experimental"]

DEFAULT_GRAPH_SEED = 87654321  # TF's random_seed.DEFAULT_GRAPH_SEED, set by TestCase.setUp


def main(argv=None):
    """Runs the tests of ``__main__`` (unittest's runner, as TF's googletest)."""
    return unittest.main(module="__main__", argv=argv)


_temp_dir: list = []


def get_temp_dir() -> str:
    """One temporary directory for the process, removed at exit."""
    if not _temp_dir:
        _temp_dir.append(tempfile.mkdtemp(prefix="minitf_test_"))
        atexit.register(shutil.rmtree, _temp_dir[0], ignore_errors=True)
    return _temp_dir[0]


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None) -> bool:
    return False  # minitf's kernels are numpy, on the CPU


def gpu_device_name() -> str:
    return ""


def is_built_with_cuda() -> bool:
    return False


def is_built_with_gpu_support() -> bool:
    return False


def is_built_with_rocm() -> bool:
    return False


class TestCase(unittest.TestCase):
    """unittest.TestCase with TF1's helpers. Each test starts on a fresh default graph with
    the graph seed and numpy's and Python's seeds set to TF's DEFAULT_GRAPH_SEED."""

    def __init__(self, methodName="runTest"):  # noqa: N803 - unittest's name
        super().__init__(methodName)
        self._cached_session = None
        self._cached_graph = None
        self._tempdir = None

    def setUp(self):
        from .ops.random_ops import set_random_seed

        self._clear_cached_session()
        random.seed(DEFAULT_GRAPH_SEED)
        np.random.seed(DEFAULT_GRAPH_SEED)
        reset_default_graph()
        set_random_seed(DEFAULT_GRAPH_SEED)

    def tearDown(self):
        self._clear_cached_session()

    def _clear_cached_session(self):
        if self._cached_session is not None:
            self._cached_session.close()
        self._cached_session = self._cached_graph = None

    def get_temp_dir(self) -> str:
        """A temporary directory of this test case (under the process's)."""
        if not self._tempdir:
            self._tempdir = tempfile.mkdtemp(dir=get_temp_dir())
        return self._tempdir

    # -- sessions ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """A new Session on ``graph`` (the default graph), default in the block, closed after."""
        if force_gpu:
            raise unittest.SkipTest("force_gpu: minitf has no GPU")
        graph = graph if graph is not None else get_default_graph()
        with graph.as_default(), Session(graph=graph, config=config) as sess:
            yield sess

    @contextlib.contextmanager
    def cached_session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """The test's one Session (made on first use), default in the block, kept open."""
        if force_gpu:
            raise unittest.SkipTest("force_gpu: minitf has no GPU")
        graph = graph if graph is not None else get_default_graph()
        if self._cached_session is None:
            self._cached_session = Session(graph=graph, config=config)
            self._cached_graph = graph
        elif graph is not self._cached_graph:
            raise ValueError("The graph used to get the cached session is different than the "
                             "one that was used to create the session. Maybe create a new "
                             "session with self.session()")
        with graph.as_default(), self._cached_session.as_default() as sess:
            yield sess

    def test_session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """TF1's name: the cached session without ``graph``, else a new one on ``graph``.
        unittest also finds it as a test by its name: that run is skipped, as in TF."""
        if self.id().endswith(".test_session"):
            self.skipTest('Tests that have the name "test_session" are automatically skipped '
                          "by TensorFlow test fixture, as the name is reserved for creating "
                          "sessions within tests. Please rename your test if you have a test "
                          "with this name.")
        maker = self.cached_session if graph is None else self.session
        return maker(graph, config, use_gpu, force_gpu)

    def evaluate(self, tensors):
        """``tensors`` (any nesting) run in the default session, or the cached one."""
        sess = get_default_session()
        if sess is not None:
            return sess.run(tensors)
        with self.cached_session() as sess:
            return sess.run(tensors)

    def _array(self, a) -> np.ndarray:
        if isinstance(a, (Tensor, Variable)):
            a = self.evaluate(a)
        return a if isinstance(a, np.ndarray) else np.array(a)

    # -- assertions ----------------------------------------------------------------------------
    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802
        """Values (arrays, tensors, or equal nestings of dicts, lists and tuples of them) are
        elementwise within ``atol + rtol * |b|``."""
        self._all_close(a, b, rtol, atol, msg, path=[])

    def _all_close(self, a, b, rtol, atol, msg, path):
        where = f" at path {''.join(f'[{p!r}]' for p in path)}" if path else ""
        if isinstance(a, dict) or isinstance(b, dict):
            if not (isinstance(a, dict) and isinstance(b, dict)):
                self.fail(f"Can't compare dict to non-dict, a{where} is {a!r}, b{where} is "
                          f"{b!r}. {msg or ''}")
            self.assertEqual(set(a), set(b), f"mismatched keys{where}. {msg or ''}")
            for k in a:
                self._all_close(a[k], b[k], rtol, atol, msg, path + [k])
            return
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            as_arrays = self._nested_arrays(a, b)
            if as_arrays is None:
                self.assertEqual(len(a), len(b), f"Length of a{where} is {len(a)} but length "
                                 f"of b{where} is {len(b)}. {msg or ''}")
                for i, (x, y) in enumerate(zip(a, b)):
                    self._all_close(x, y, rtol, atol, msg, path + [i])
                return
            a, b = as_arrays
        a, b = self._array(a), self._array(b)
        self.assertEqual(a.shape, b.shape, f"Shape mismatch: expected {a.shape}, got "
                         f"{b.shape} with contents {b}{where}. {msg or ''}")
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{msg or ''}{where}")

    @staticmethod
    def _nested_arrays(a, b):
        """(a, b) as numeric arrays when both nestings are array-like, else None."""
        try:
            x, y = np.asarray(a), np.asarray(b)
        except ValueError:
            return None
        return (x, y) if x.dtype != object and y.dtype != object else None

    def assertAllCloseAccordingToType(self, a, b, rtol=1e-6, atol=1e-6,  # noqa: N802
                                      float_rtol=1e-6, float_atol=1e-6, half_rtol=1e-3,
                                      half_atol=1e-3, bfloat16_rtol=1e-2, bfloat16_atol=1e-2,
                                      msg=None):
        """assertAllClose with the tolerance widened to the least precise dtype present."""
        a, b = self._array(a), self._array(b)
        dtypes = {a.dtype.name, b.dtype.name}
        if "float32" in dtypes:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if "float16" in dtypes:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertAllEqual(self, a, b, msg=None):  # noqa: N802
        a, b = self._array(a), self._array(b)
        self.assertEqual(a.shape, b.shape, f"Shape mismatch: expected {a.shape}, got {b.shape}"
                         f" with contents {b}. {msg or ''}")
        np.testing.assert_array_equal(a, b, err_msg=msg or "")

    def assertShapeEqual(self, np_array, tf_tensor, msg=None):  # noqa: N802
        """``tf_tensor``'s static shape is ``np_array``'s."""
        if not isinstance(np_array, (np.ndarray, np.generic)):
            raise TypeError("np_array must be a Numpy ndarray or Numpy scalar")
        if not isinstance(tf_tensor, Tensor):
            raise TypeError("tf_tensor must be a Tensor")
        self.assertAllEqual(np_array.shape, tf_tensor.shape.as_list(), msg=msg)

    def assertNear(self, f1, f2, err, msg=None):  # noqa: N802
        self.assertTrue(f1 == f2 or math.fabs(f1 - f2) <= err,
                        f"{f1:f} != {f2:f} +/- {err:f}{f' ({msg})' if msg else ''}")

    def assertArrayNear(self, farray1, farray2, err, msg=None):  # noqa: N802
        self.assertEqual(len(farray1), len(farray2), msg=msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg=msg)

    def assertAllInSet(self, target, expected_set):  # noqa: N802
        target = self._array(target).flatten()
        diff = np.setdiff1d(target, list(expected_set))
        if diff.size:
            self.fail(f"{diff.size} unique element(s) are not in the set {expected_set}: {diff}")

    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(self, exception_type,  # noqa: N802
                                       expected_err_re_or_predicate):
        """The block raises ``exception_type`` whose message matches the regex (re.search)
        or satisfies the predicate."""
        predicate = expected_err_re_or_predicate
        if not callable(predicate):
            def predicate(e):
                text = e.message if isinstance(e, OpError) else str(e)
                return re.search(expected_err_re_or_predicate, text)
        try:
            yield
        except Exception as e:  # noqa: BLE001 - any other exception is reported below
            if not isinstance(e, exception_type) or not predicate(e):
                raise AssertionError(f"Exception of type {type(e)}: {e}") from e
            return
        self.fail(f"{exception_type.__name__} not raised")

    def assertRaisesOpError(self, expected_err_re_or_predicate):  # noqa: N802
        return self.assertRaisesWithPredicateMatch(OpError, expected_err_re_or_predicate)

    def assertProtoEquals(self, expected_message_maybe_ascii, message, msg=None):  # noqa: N802
        """``message`` equals the expected proto, given as a message or in text format."""
        from google.protobuf import text_format

        expected = expected_message_maybe_ascii
        if isinstance(expected, str):
            expected = text_format.Parse(expected, type(message)())
        elif type(expected) is not type(message):
            raise TypeError(f"Can't compare protos of type {type(expected)} and "
                            f"{type(message)}.")
        if expected != message:
            self.assertMultiLineEqual(text_format.MessageToString(expected),
                                      text_format.MessageToString(message), msg)


# -- gradient checking (TF1's gradient_checker) -------------------------------------------------
def _feeds(extra, feeds):
    return {**(extra or {}), **feeds}


def _theoretical_jacobian(x, x_data, dy, y_shape, dx, extra, sess):
    """Rows: elements of x; columns: elements of y; column j backpropagates the unit dy_j."""
    dy_size = int(np.prod(y_shape))
    jacobian = np.zeros((x_data.size, dy_size), dtype=x.dtype.as_numpy_dtype)
    dy_data = np.zeros(y_shape, dtype=dy.dtype.as_numpy_dtype)
    flat = dy_data.reshape(-1)
    for col in range(dy_size):
        flat[col] = 1
        if hasattr(dx, "indices"):  # IndexedSlices: rows of x, added up
            idx, vals = sess.run([dx.indices, dx.values], _feeds(extra, {x: x_data, dy: dy_data}))
            row = int(np.prod(x_data.shape[1:]))
            for i, v in zip(idx, vals):
                jacobian[i * row:(i + 1) * row, col] += np.ravel(v)
        else:
            jacobian[:, col] = np.ravel(sess.run(dx, _feeds(extra, {x: x_data, dy: dy_data})))
        flat[col] = 0
    if not dy_size:  # an empty output still has to give zero gradients of x's shape
        back = sess.run(dx, _feeds(extra, {x: x_data, dy: dy_data}))
        if back.shape != x_data.shape:
            raise ValueError(f"Empty gradient has wrong shape: expected {x_data.shape}, got "
                             f"{back.shape}")
        if np.any(back):
            raise ValueError("Empty tensor with nonzero gradients")
    return jacobian


def _numeric_jacobian(x, x_data, y, y_shape, delta, extra, sess):
    """Central differences: row i is (y(x + delta e_i) - y(x - delta e_i)) / 2 delta."""
    y_type = y.dtype.as_numpy_dtype
    jacobian = np.zeros((x_data.size, int(np.prod(y_shape))), dtype=x.dtype.as_numpy_dtype)
    scale = np.asarray(2 * delta, dtype=y_type)[()]
    for row in range(x_data.size):
        pos, neg = x_data.copy(), x_data.copy()
        pos.reshape(-1)[row] += delta
        neg.reshape(-1)[row] -= delta
        y_pos = sess.run(y, _feeds(extra, {x: pos}))
        y_neg = sess.run(y, _feeds(extra, {x: neg}))
        jacobian[row, :] = np.ravel((y_pos - y_neg) / scale)
    return jacobian


_GRAD_TYPES = (_dt.float16, _dt.float32, _dt.float64)


def _one_gradient(x, x_shape, y, y_shape, x_init_value, delta, extra):
    from .gradients import gradients
    from .ops.array_ops import constant, identity

    for t, what in ((x, "x"), (y, "y")):
        if t.dtype not in _GRAD_TYPES:
            raise TypeError(f"Don't support type {t.dtype.name} for {what}")
    with x.graph.as_default():
        # dy is fed; the Identity keeps it from being the very tensor dx reads (Add's dx is
        # its dy), which could not be both fed and fetched.
        dy_orig = constant(1.0, shape=y_shape, dtype=y.dtype)
        dx = gradients(y, x, identity(dy_orig))[0]
    if dx is None:
        raise ValueError(f"y = {y.name} does not depend on x = {x.name}: no gradient")
    if x_init_value is not None:
        if list(x_shape) != list(np.shape(x_init_value)):
            raise ValueError(f"x_shape = {list(x_shape)}, init_data shape = "
                             f"{list(np.shape(x_init_value))}")
        x_data = np.array(x_init_value, dtype=x.dtype.as_numpy_dtype)
    else:
        x_data = np.random.random_sample(x_shape).astype(x.dtype.as_numpy_dtype)
    sess = get_default_session()
    if sess is None:
        raise ValueError("compute_gradient needs a default session: call it inside "
                         "`with tf.Session():` (or a TestCase session)")
    return (_theoretical_jacobian(x, x_data, dy_orig, y_shape, dx, extra, sess),
            _numeric_jacobian(x, x_data, y, y_shape, delta, extra, sess))


def compute_gradient(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None,
                     extra_feed_dict=None):
    """(theoretical, numerical) Jacobians of y with respect to x, each (x size, y size); a
    list of such pairs when ``x`` is a list. Runs in the default session."""
    for init in init_targets or ():
        get_default_session().run(init)
    if isinstance(x, list):
        inits = x_init_value if x_init_value is not None else [None] * len(x)
        return [_one_gradient(xi, si, y, y_shape, vi, delta, extra_feed_dict)
                for xi, si, vi in zip(x, x_shape, inits)]
    return _one_gradient(x, x_shape, y, y_shape, x_init_value, delta, extra_feed_dict)


def compute_gradient_error(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3,
                           init_targets=None, extra_feed_dict=None) -> float:
    """The largest absolute difference between the theoretical and numerical Jacobians."""
    grads = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, init_targets,
                             extra_feed_dict)
    error = 0
    for j_t, j_n in (grads if isinstance(grads, list) else [grads]):
        if j_t.size or j_n.size:
            error = np.maximum(error, np.fabs(j_t - j_n).max())
    return error



# -- TF1's other test helpers -------------------------------------------------------------------
def is_built_with_xla() -> bool:
    return False  # minitf has no XLA


def is_cpu_target_available(target) -> bool:
    """Whether TF's LLVM can generate code for ``target`` ('x86', 'aarch64', 'arm', 'ppc',
    's390x'...): never in minitf, which generates no machine code. An unknown target is an
    AssertionError, as in TF."""
    if not target.startswith(("arm", "aarch64", "ppc", "powerpc", "x86", "s390x")):
        raise AssertionError("Unknown CPU target: " + target)
    return False


def test_src_dir_path(relative_path) -> str:
    """Bazel's path of a source file in a test: $TEST_SRCDIR/$TEST_WORKSPACE/tensorflow/
    ``relative_path`` (TF's formula); KeyError outside a Bazel test, as in TF."""
    for var in ("TEST_SRCDIR", "TEST_WORKSPACE"):
        if var not in os.environ:
            raise KeyError(f"{var}: test_src_dir_path needs Bazel's test environment")
    return os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"], "tensorflow",
                        relative_path)


def disable_with_predicate(pred, skip_message):
    """Decorates a test method: skipped with ``skip_message`` when ``pred()`` is true."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            if pred():
                self.skipTest(skip_message)
            return func(self, *args, **kwargs)
        return wrapper
    return decorator


def with_eager_op_as_function(cls=None, only_as_function=False):
    """The class unchanged (as in TF 2.21, where the eager-op-as-function mode is gone)."""
    return cls if cls is not None else (lambda c: c)


def _sync_devices():
    """TF waits for its devices' queued work, in eager mode only; minitf is always in graph mode
    (and Session.run returns when the work is done), so this is TF's graph-mode RuntimeError."""
    raise RuntimeError("sync_devices() must only be called in Eager mode, outside tf.functions")


_sync_devices.__name__ = "sync_devices"
experimental = types.SimpleNamespace(sync_devices=_sync_devices)  # ``tf.test.experimental``


def create_local_cluster(num_workers, num_ps, protocol="grpc", worker_config=None,
                         ps_config=None):
    """Refused: minitf has no tf.train.Server (no gRPC distributed runtime) to start."""
    from .errors import UnimplementedError
    raise UnimplementedError(None, None, "create_local_cluster: minitf has no tf.train.Server "
                             "(no distributed runtime); it runs in-process on one CPU")
