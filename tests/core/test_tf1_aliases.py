"""TF1's small namespaces and aliases: tf.config (and its experimental / optimizer / threading
submodules), tf.version, tf.sysconfig, tf.resource_loader, the root aliases of
core/tf1_aliases.py (tf.OpError, tf.conv, the *_v2 backprops, convert_to_tensor_or_indexed_slices,
ClusterSpec), tf.initializers.identity / tables_initializer, tf.io.gfile.join,
tf.io.match_filenames_once and tf.test's extras. Hand-computed expectations first; then the same
calls side by side with real TensorFlow where it is installed (tf.config's process-wide settings
are compared in a TF subprocess, so this process's TF is never switched)."""

import json
import os
import subprocess
import sys
import textwrap
import unittest

import numpy as np
import pytest
import threadpoolctl

import minitf as tf
from minitf import config as mconfig
from minitf import errors
from minitf.tf1_aliases import ClusterSpec  # tf.train.ClusterSpec once wired


@pytest.fixture(autouse=True)
def _fresh_config():
    mconfig._reset()
    yield
    mconfig._reset()


def _run(fetches, graph=None):
    with tf.Session(graph=graph) as sess:
        return sess.run(fetches)


# -- tf.config ----------------------------------------------------------------------------------
CPU = tf.config.PhysicalDevice("/physical_device:CPU:0", "CPU")


def test_config_lists_one_cpu():
    assert tf.config.list_physical_devices() == [CPU]
    assert tf.config.list_physical_devices("CPU") == [CPU]
    assert tf.config.list_physical_devices("GPU") == tf.config.list_physical_devices("cpu") == []
    assert tf.config.get_visible_devices() == [CPU]
    assert tf.config.list_logical_devices() == [tf.config.LogicalDevice("/device:CPU:0", "CPU")]
    assert repr(CPU) == "PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')"
    assert tf.config.experimental.list_physical_devices is tf.config.list_physical_devices


def test_config_visible_devices_and_initialization():
    tf.config.set_visible_devices([])
    assert tf.config.get_visible_devices() == []
    assert tf.config.list_logical_devices() == []  # initializes the runtime
    with pytest.raises(RuntimeError, match="Visible devices cannot be modified after being"):
        tf.config.set_visible_devices(CPU)
    tf.config.set_visible_devices([])  # no change: allowed
    with pytest.raises(ValueError, match="Unrecognized device"):
        tf.config.set_visible_devices("/physical_device:CPU:0")


def test_config_logical_devices_split_the_cpu():
    ldc = tf.config.LogicalDeviceConfiguration
    assert tf.config.get_logical_device_configuration(CPU) is None
    assert ldc() == (None, None, None) and ldc(5).memory_limit == 5
    with pytest.raises(ValueError, match="memory limit on CPU virtual devices"):
        tf.config.set_logical_device_configuration(CPU, [ldc(memory_limit=10)])
    tf.config.set_logical_device_configuration(CPU, [ldc(), ldc()])
    assert tf.config.get_logical_device_configuration(CPU) == [ldc(), ldc()]
    assert [d.name for d in tf.config.list_logical_devices("CPU")] == ["/device:CPU:0",
                                                                     "/device:CPU:1"]
    with pytest.raises(RuntimeError, match="Virtual devices cannot be modified"):
        tf.config.set_logical_device_configuration(CPU, [ldc()])
    with pytest.raises(ValueError, match="Unrecognized device"):
        tf.config.get_logical_device_configuration(tf.config.PhysicalDevice("/x:CPU:7", "CPU"))


def test_config_settings_are_recorded():
    c = tf.config
    assert (c.get_soft_device_placement(), c.functions_run_eagerly(), c.optimizer.get_jit()) == (
        False, False, "")
    c.set_soft_device_placement(1)
    c.run_functions_eagerly(True)
    c.optimizer.set_jit(True)
    assert (c.get_soft_device_placement(), c.experimental_functions_run_eagerly(),
            c.optimizer.get_jit()) == (True, True, "autoclustering")
    c.optimizer.set_jit("other")
    assert c.optimizer.get_jit() == ""
    assert c.optimizer.get_experimental_options() == {"disable_model_pruning": False,
                                                      "disable_meta_optimizer": False}
    c.optimizer.set_experimental_options({"min_graph_nodes": 4, "constant_folding": False,
                                          "unknown": 1})
    assert c.optimizer.get_experimental_options() == {
        "constant_folding": False, "disable_model_pruning": False,
        "disable_meta_optimizer": False, "min_graph_nodes": 4}
    t = c.threading
    assert (t.get_inter_op_parallelism_threads(), t.get_intra_op_parallelism_threads()) == (0, 0)
    with threadpoolctl.threadpool_limits(limits=None):  # restores BLAS's threads at exit
        t.set_inter_op_parallelism_threads(3)
        t.set_intra_op_parallelism_threads(2)
        assert (t.get_inter_op_parallelism_threads(),
                t.get_intra_op_parallelism_threads()) == (3, 2)
        c.list_logical_devices()
        with pytest.raises(RuntimeError, match="Inter op parallelism cannot be modified"):
            t.set_inter_op_parallelism_threads(4)
        t.set_intra_op_parallelism_threads(2)  # unchanged: allowed


def test_config_experimental_cpu_answers():
    e = tf.config.experimental
    assert e.get_device_details(CPU) == {}
    assert e.get_memory_info("CPU:0") == {"current": 0, "peak": 0}
    assert e.get_memory_usage("/device:CPU:0") == 0 and e.reset_memory_stats("CPU:0") is None
    with pytest.raises(ValueError, match="No matching devices found for 'GPU:0'"):
        e.get_memory_info("GPU:0")
    with pytest.raises(ValueError, match="Failed parsing device name: 'foo'"):
        e.get_memory_info("foo")
    with pytest.raises(ValueError, match="non-GPU and non-Pluggable"):
        e.set_memory_growth(CPU, True)
    with pytest.raises(KeyError):
        e.get_memory_growth(CPU)
    with pytest.raises(ValueError, match="must be a tf.config.PhysicalDevice"):
        e.get_device_details("CPU:0")
    assert e.get_device_policy() == "silent"
    e.set_device_policy("warn")
    assert e.get_device_policy() == "warn"
    with pytest.raises(ValueError, match="Invalid argument `device_policy`: 'foo'"):
        e.set_device_policy("foo")
    e.set_synchronous_execution(False)
    e.enable_tensor_float_32_execution(False)
    assert (e.get_synchronous_execution(), e.tensor_float_32_execution_enabled()) == (False,
                                                                                      False)
    assert e.VirtualDeviceConfiguration is tf.config.LogicalDeviceConfiguration
    f = e.ClusterDeviceFilters()
    f.set_device_filters("worker", 0, ["/job:ps"])
    assert f._device_filters == {"worker": {0: ["/job:ps"]}}


def test_config_remote_execution_is_refused():
    with pytest.raises(ValueError, match="Must provide at least one remote_host"):
        tf.config.experimental_connect_to_host(None)
    with pytest.raises(errors.UnimplementedError, match="no distributed"):
        tf.config.experimental_connect_to_host("localhost:1")
    with pytest.raises(ValueError, match="must be a `ClusterSpec` or a `ClusterResolver`"):
        tf.config.experimental_connect_to_cluster(5)
    with pytest.raises(errors.UnimplementedError, match="no distributed"):
        tf.config.experimental_connect_to_cluster(ClusterSpec({"worker": ["h:1"]}))


# -- tf.version, tf.sysconfig, tf.resource_loader -----------------------------------------------
def test_version_matches_what_export_writes():
    from minitf.export import graph_def

    assert tf.version.VERSION == tf.__version__ == tf.VERSION
    assert tf.version.GRAPH_DEF_VERSION == graph_def.GRAPH_DEF_PRODUCER
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
    gd = graph_def.graph_to_graph_def(g)
    assert gd.versions.producer == tf.version.GRAPH_DEF_VERSION
    assert gd.versions.min_consumer == tf.version.GRAPH_DEF_VERSION_MIN_CONSUMER == 0
    assert tf.version.GRAPH_DEF_VERSION_MIN_PRODUCER == 0
    assert isinstance(tf.version.GIT_VERSION, str) and isinstance(tf.version.COMPILER_VERSION,
                                                                  str)


def test_sysconfig_says_no_cxx_build():
    assert (tf.sysconfig.CXX11_ABI_FLAG, tf.sysconfig.CXX_VERSION, tf.sysconfig.MONOLITHIC_BUILD,
            tf.CXX_VERSION) == (0, 0, 0, 0)
    info = tf.sysconfig.get_build_info()
    assert not info["is_cuda_build"] and not info["is_rocm_build"]
    for fn in (tf.sysconfig.get_include, tf.sysconfig.get_lib, tf.sysconfig.get_compile_flags,
               tf.sysconfig.get_link_flags):
        with pytest.raises(errors.UnimplementedError, match="no C\\+\\+ API"):
            fn()


def _write_runfiles_caller(tmp_path, module_name):
    pkg = tmp_path / "x.runfiles" / "ws" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "caller.py").write_text(textwrap.dedent(f"""
        import {module_name} as rl
        here = rl.get_data_files_path()
        path = rl.get_path_to_datafile("d.txt")
    """))
    return pkg


def _run_caller(pkg):
    import runpy
    return runpy.run_path(str(pkg / "caller.py"))


def test_resource_loader_paths(tmp_path):
    here = os.path.dirname(os.path.abspath(__file__))
    assert tf.resource_loader.get_data_files_path() == here
    assert tf.resource_loader.get_path_to_datafile("a/b.txt") == os.path.join(here, "a/b.txt")
    assert tf.resource_loader.readahead_file_path("/x/y") == "/x/y"
    core_dir = os.path.dirname(os.path.abspath(mconfig.__file__))
    with open(os.path.join(core_dir, "version.py"), "rb") as f:
        assert tf.resource_loader.load_resource("version.py") == f.read()
    pkg = _write_runfiles_caller(tmp_path, "minitf.resource_loader")
    got = _run_caller(pkg)
    assert tf.resource_loader.get_root_dir_with_all_resources() == core_dir  # no runfiles
    assert tf.resource_loader._root_dir_from(str(pkg)) == str(tmp_path / "x.runfiles" / "ws")
    assert tf.resource_loader._root_dir_from(str(tmp_path)) == str(tmp_path)
    assert got["here"] == str(pkg) and got["path"] == str(pkg / "d.txt")


# -- root aliases -------------------------------------------------------------------------------
def test_op_error_and_convert_to_tensor_or_indexed_slices():
    assert tf.OpError is errors.OpError
    with tf.Graph().as_default():
        s = tf.IndexedSlices(tf.constant([1.0]), tf.constant([0]))
        assert tf.convert_to_tensor_or_indexed_slices(s) is s
        with pytest.raises(ValueError, match="Incompatible tensor conversion requested to "
                                             "`dtype` int32"):
            tf.convert_to_tensor_or_indexed_slices(s, dtype=tf.int32)
        t = tf.convert_to_tensor_or_indexed_slices([1, 2])
        assert t.dtype == tf.int32 and _run(t).tolist() == [1, 2]


def test_conv_is_a_plain_convolution():
    x = np.arange(1 * 4 * 4 * 2, dtype=np.float32).reshape(1, 4, 4, 2)
    w = np.ones((2, 2, 2, 1), np.float32)
    with tf.Graph().as_default():
        y = _run(tf.conv(x, w, strides=[1, 1, 1, 1], padding="VALID"))
    want = np.array([[sum(x[0, i + a, j + b].sum() for a in (0, 1) for b in (0, 1))
                      for j in range(3)] for i in range(3)], np.float32)
    np.testing.assert_allclose(y[0, :, :, 0], want)
    with tf.Graph().as_default(), pytest.raises(
            ValueError, match="Stride attribute should contain 4 values, but got: 2"):
        tf.conv(x, w, strides=[1, 1], padding="VALID")


def test_conv2d_backprop_v2_refused_as_cpu_has_no_kernel():
    with tf.Graph().as_default():
        for fn in (tf.conv2d_backprop_filter_v2, tf.conv2d_backprop_input_v2):
            with pytest.raises(errors.InvalidArgumentError, match="No OpKernel was registered"):
                fn(np.ones((1, 3, 3, 1), np.float32), np.ones((2, 2, 1, 1), np.float32),
                   np.ones((1, 2, 2, 1), np.float32), [1, 1, 1, 1], "VALID")


def test_cluster_spec():
    cs = ClusterSpec({"worker": ["w0:1", "w1:1"], "ps": {0: "p0:2", 3: "p3:2"}})
    assert cs.jobs == ["worker", "ps"] and cs.num_tasks("ps") == 2
    assert cs.task_indices("ps") == [0, 3] and cs.task_address("worker", 1) == "w1:1"
    assert cs.job_tasks("ps") == ["p0:2", None, None, "p3:2"]
    assert cs.as_dict() == {"worker": ["w0:1", "w1:1"], "ps": {0: "p0:2", 3: "p3:2"}}
    assert repr(cs) == ("ClusterSpec({'ps': {0: 'p0:2', 3: 'p3:2'}, 'worker': ['w0:1', "
                        "'w1:1']})")
    # ClusterDef bytes by hand: job "ps" {0: "p0:2", 3: "p3:2"}, then job "worker"
    ps = (b"\x0a\x02ps" + b"\x12\x08\x08\x00\x12\x04p0:2" + b"\x12\x08\x08\x03\x12\x04p3:2")
    worker = (b"\x0a\x06worker" + b"\x12\x08\x08\x00\x12\x04w0:1"
              + b"\x12\x08\x08\x01\x12\x04w1:1")
    expected = b"\x0a" + bytes([len(ps)]) + ps + b"\x0a" + bytes([len(worker)]) + worker
    # Parsed, not compared as bytes: protobuf writes map entries in an order of its own.
    assert type(cs.as_cluster_def()).FromString(expected) == cs.as_cluster_def()
    assert ClusterSpec(cs) == cs and bool(cs) and not ClusterSpec({})
    with pytest.raises(ValueError, match="No such job in cluster: 'chief'"):
        cs.num_tasks("chief")
    with pytest.raises(ValueError, match="No task with index 1 in job 'ps'"):
        cs.task_address("ps", 1)
    with pytest.raises(TypeError, match="must be a list or a dictionary"):
        ClusterSpec({"w": "a:1"})
    with pytest.raises(TypeError, match="`cluster` must be a dictionary"):
        ClusterSpec(["a:1"])


# -- initializers, gfile.join, match_filenames_once ---------------------------------------------
def test_initializers_identity_and_tables_initializer():
    init = tf.initializers.identity(gain=3.0)
    assert init.get_config() == {"gain": 3.0, "dtype": "float32"}
    with tf.Graph().as_default():
        v = tf.get_variable("v", [2, 3], initializer=init)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(s.run(v), 3.0 * np.eye(2, 3, dtype=np.float32))
        with pytest.raises(ValueError, match="at least two-dimensional"):
            init([3])
        assert tf.initializers.tables_initializer().name == "init_all_tables"
        # partitioned: each shard is its slice of the full identity matrix
        p = tf.get_variable("p", [4, 2], initializer=tf.initializers.identity(),
                            partitioner=tf.fixed_size_partitioner(2))
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(s.run(tf.convert_to_tensor(p)), np.eye(4, 2))
    with pytest.raises(ValueError, match="expected to be floating point"):
        tf.initializers.identity(dtype=tf.int32)


def test_gfile_join_and_match_filenames_once(tmp_path):
    assert tf.io.gfile.join("a", "b", "c.txt") == os.path.join("a", "b", "c.txt")
    assert tf.io.gfile.join("gs://bucket/dir", "f") == "gs://bucket/dir/f"
    for n in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / n).write_text(n)
    with tf.Graph().as_default():
        m = tf.io.match_filenames_once(str(tmp_path / "*.txt"))
        assert m.op.name == "matching_filenames" and m in tf.local_variables()
        assert m not in tf.trainable_variables() and m not in tf.global_variables()
        with tf.Session() as s:
            s.run(tf.local_variables_initializer())
            got = sorted(s.run(m).tolist())
    assert got == [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]


# -- tf.test extras -----------------------------------------------------------------------------
def test_test_module_extras(monkeypatch):
    import unittest.mock as umock

    assert tf.test.mock is umock and not tf.test.is_built_with_xla()
    assert tf.test.is_cpu_target_available("x86") is False
    with pytest.raises(AssertionError, match="Unknown CPU target: vax"):
        tf.test.is_cpu_target_available("vax")
    monkeypatch.delenv("TEST_SRCDIR", raising=False)
    with pytest.raises(KeyError, match="TEST_SRCDIR"):
        tf.test.test_src_dir_path("core")
    monkeypatch.setenv("TEST_SRCDIR", "/s")
    monkeypatch.setenv("TEST_WORKSPACE", "w")
    assert tf.test.test_src_dir_path("core/x") == "/s/w/tensorflow/core/x"
    with pytest.raises(errors.UnimplementedError, match="no tf.train.Server"):
        tf.test.create_local_cluster(1, 1)
    with pytest.raises(RuntimeError, match="must only be called in Eager mode"):
        tf.test.experimental.sync_devices()

    class T(unittest.TestCase):
        @tf.test.disable_with_predicate(lambda: True, "off")
        def test_a(self):
            raise AssertionError("ran")

        @tf.test.disable_with_predicate(lambda: False, "off")
        def test_b(self):
            pass

    assert tf.test.with_eager_op_as_function(T) is T
    assert tf.test.with_eager_op_as_function(only_as_function=True)(T) is T
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(T).run(result)
    assert result.testsRun == 2 and len(result.skipped) == 1 and result.wasSuccessful()


def test_stub_out_for_testing():
    class A:
        def f(self):
            return 1

    class B(A):
        pass

    b = B()
    with tf.test.StubOutForTesting() as stubs:
        stubs.SmartSet(b, "f", lambda self: 2)  # on the class found last in the MRO walk (TF's)
        stubs.Set(os, "sep", "!")
        assert b.f() == 2 and os.sep == "!" and A().f() == 1
    assert b.f() == 1 and os.sep != "!"


@pytest.fixture
def tf_log(caplog):
    """caplog for tf.logging's logger, whatever earlier tests set its level or propagation."""
    logger = tf.get_logger()
    logger.addHandler(caplog.handler)
    with caplog.at_level("INFO", logger=logger.name):
        yield caplog
    logger.removeHandler(caplog.handler)


def test_benchmark(tf_log):
    class MyBench(tf.test.Benchmark):
        def benchmark_it(self):
            with tf.Graph().as_default():
                x = tf.constant(2.0) * 3.0
                with tf.Session() as sess:
                    return self.run_op_benchmark(sess, x, min_iters=3, name="mul", mbs=6)

    got = MyBench().benchmark_it()
    assert got["iters"] == 3 and got["name"] == "mul" and got["wall_time"] > 0
    assert got["throughput"] == pytest.approx(6 / got["wall_time"])
    assert set(got["extras"]) == {"wall_time_mean", "wall_time_stdev"}
    assert "Benchmark [MyBench.mul] iters: 3" in tf_log.text
    assert tf.test.Benchmark.is_abstract() and not MyBench.is_abstract()
    tf.test.Benchmark().report_benchmark(iters=1)  # the outermost Benchmark method: its own
    assert "Benchmark [Benchmark.report_benchmark] iters: 1, wall_time: -1" in tf_log.text
    with pytest.raises(TypeError, match="extras must be a dict"):
        MyBench().report_benchmark(extras=[1], name="x")


def _graph_def(build):
    g = tf.Graph()
    with g.as_default():
        build()
    return g.as_graph_def()


def test_assert_equal_graph_def():
    def one():
        a = tf.constant(1.0, name="a")
        tf.add(a, a, name="s")

    def two():
        a = tf.constant(1.0, name="a")
        tf.multiply(a, a, name="s")

    gd1, gd2 = _graph_def(one), _graph_def(one)
    tf.test.assert_equal_graph_def(gd1, gd2)
    reordered = type(gd1)()
    reordered.node.extend(list(gd1.node)[::-1])
    tf.test.assert_equal_graph_def(reordered, gd1)
    with pytest.raises(AssertionError, match="Node named 's' has op 'Mul' that is not expected "
                                             "'AddV2'|Node named 's' has op 'Mul' that is not "
                                             "expected 'Add'"):
        tf.test.assert_equal_graph_def(_graph_def(two), gd1)
    with pytest.raises(AssertionError, match="Did not find expected node '{{node s}} = AddV2"):
        tf.test.assert_equal_graph_def(_graph_def(lambda: tf.constant(1.0, name="a")), gd1)
    with pytest.raises(TypeError, match="Expected tf.GraphDef for actual, got str"):
        tf.test.assert_equal_graph_def("x", gd1)


def test_benchmark_config_carries_tf_bytes():
    assert tf.test.benchmark_config().SerializeToString() == b"R\x04R\x02@\x02"


# -- side by side with TensorFlow ---------------------------------------------------------------
def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


def test_namespaces_have_every_tf1_name():
    tf1 = _tf1()
    pairs = [(tf1.config, tf.config), (tf1.config.experimental, tf.config.experimental),
             (tf1.config.optimizer, tf.config.optimizer),
             (tf1.config.threading, tf.config.threading), (tf1.version, tf.version),
             (tf1.sysconfig, tf.sysconfig), (tf1.resource_loader, tf.resource_loader),
             (tf1.test, tf.test), (tf1.initializers, tf.initializers)]
    pairs.append((tf1.test.experimental, tf.test.experimental))
    for t, m in pairs:
        missing = [n for n in dir(t) if not n.startswith("_") and not hasattr(m, n)]
        assert not missing, (t.__name__, missing)
    for n in ("OpError", "conv", "conv2d_backprop_filter_v2", "conv2d_backprop_input_v2",
              "convert_to_tensor_or_indexed_slices", "CXX_VERSION", "GRAPH_DEF_VERSION"):
        assert hasattr(tf, n), n
    assert tf1.version.GRAPH_DEF_VERSION_MIN_CONSUMER == tf.version.GRAPH_DEF_VERSION_MIN_CONSUMER
    assert tf1.test.mock is tf.test.mock
    assert tf1.test.Benchmark.is_abstract() == tf.test.Benchmark.is_abstract()


_CONFIG_CALLS = [
    "c.list_physical_devices()", "c.list_physical_devices('GPU')",
    "c.list_physical_devices('cpu')", "c.get_visible_devices()", "c.get_visible_devices('GPU')",
    "c.get_logical_device_configuration(pd)",
    "c.get_logical_device_configuration('/physical_device:CPU:0')",
    "c.functions_run_eagerly()", "c.optimizer.get_jit()",
    "c.optimizer.get_experimental_options()",
    "c.threading.get_inter_op_parallelism_threads()",
    "c.threading.get_intra_op_parallelism_threads()",
    "e.get_device_details(pd)", "e.get_device_details('CPU:0')", "e.get_device_policy()",
    "e.get_synchronous_execution()", "e.tensor_float_32_execution_enabled()",
    "e.set_memory_growth(pd, True)", "e.get_memory_growth(pd)",
    "c.set_visible_devices(pd, 'GPU')", "c.set_visible_devices('/physical_device:CPU:0')",
    "c.set_visible_devices([])", "c.get_visible_devices()", "c.set_visible_devices(pd)",
    "c.set_logical_device_configuration(pd, [c.LogicalDeviceConfiguration(memory_limit=1)])",
    "c.set_logical_device_configuration(pd, [c.LogicalDeviceConfiguration("
    "experimental_priority=1)])",
    "c.set_logical_device_configuration(pd, [c.LogicalDeviceConfiguration()] * 3)",
    "c.get_logical_device_configuration(pd)", "c.threading.set_inter_op_parallelism_threads(3)",
    "c.threading.get_inter_op_parallelism_threads()", "c.optimizer.set_jit(True)",
    "c.optimizer.get_jit()", "c.optimizer.set_jit('autoclustering')", "c.optimizer.get_jit()",
    "c.optimizer.set_jit('no')", "c.optimizer.get_jit()",
    "c.optimizer.set_experimental_options({'remapping': True, 'min_graph_nodes': 2, "
    "'disable_meta_optimizer': True, 'bogus': 1})", "c.optimizer.get_experimental_options()",
    "c.set_soft_device_placement(0)", "c.get_soft_device_placement()",
    "c.set_soft_device_placement(True)", "c.get_soft_device_placement()",
    "c.run_functions_eagerly(True)", "c.functions_run_eagerly()",
    "e.set_device_policy('explicit')", "e.get_device_policy()", "e.set_device_policy(None)",
    "e.get_device_policy()", "e.set_device_policy('foo')", "e.set_synchronous_execution(False)",
    "e.get_synchronous_execution()", "e.enable_tensor_float_32_execution(False)",
    "e.tensor_float_32_execution_enabled()", "c.list_logical_devices()",
    "c.list_logical_devices('GPU')", "c.threading.set_inter_op_parallelism_threads(5)",
    "c.threading.set_inter_op_parallelism_threads(3)",
    "c.threading.set_intra_op_parallelism_threads(2)", "c.set_visible_devices([])",
    "c.set_logical_device_configuration(pd, [c.LogicalDeviceConfiguration()])",
    "e.get_memory_info('CPU:0')", "e.get_memory_info('/device:CPU:0')",
    "e.get_memory_usage('CPU:0')", "e.reset_memory_stats('CPU:0')", "e.get_memory_info('GPU:0')",
    "e.get_memory_info('foo')", "c.experimental_connect_to_host(None)",
    "c.experimental_connect_to_host([])", "c.experimental_connect_to_cluster(5)",
]

_CONFIG_SCRIPT = """
import json, sys
def run(c, calls):
    e = c.experimental
    pd = c.list_physical_devices()[0]
    out = []
    for call in calls:
        try:
            out.append(["ok", repr(eval(call))])
        except Exception as ex:  # noqa: BLE001
            out.append([type(ex).__name__, str(ex)])
    return out
"""


def test_config_calls_side_by_side_with_tf():
    _tf1()
    script = _CONFIG_SCRIPT + textwrap.dedent("""
        import tensorflow.compat.v1 as tf1
        print("RESULT" + json.dumps(run(tf1.config, json.loads(sys.argv[1]))))
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(_CONFIG_CALLS)],
                          capture_output=True, text=True, env=env, timeout=300)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT")]
    assert line, proc.stderr[-2000:]
    want = json.loads(line[0][len("RESULT"):])
    ns: dict = {}
    exec(_CONFIG_SCRIPT, ns)  # noqa: S102 - the same driver, on minitf
    got = ns["run"](tf.config, _CONFIG_CALLS)
    for call, g, w in zip(_CONFIG_CALLS, got, want):
        if w[0] == "TypeError" or call == "e.get_memory_growth(pd)":
            assert g[0] == w[0], call  # TF's text here is its pybind / dict internals
        else:
            assert g == w, call


def test_graph_mode_soft_placement_default_vs_tf():
    """TF's default is executing_eagerly(): False while building a graph, minitf's only mode."""
    tf1 = _tf1()
    with tf1.Graph().as_default():
        assert tf1.config.get_soft_device_placement() is False
    assert tf.config.get_soft_device_placement() is False


def test_version_sysconfig_resource_loader_vs_tf(tmp_path):
    tf1 = _tf1()
    info = tf1.sysconfig.get_build_info()
    for key, value in tf.sysconfig.get_build_info().items():
        assert key in info and isinstance(info[key], type(value))
    assert tf1.resource_loader.readahead_file_path("/a") == tf.resource_loader.readahead_file_path(
        "/a")
    assert tf1.resource_loader.get_data_files_path() == tf.resource_loader.get_data_files_path()
    assert (tf1.resource_loader.get_path_to_datafile("q") ==
            tf.resource_loader.get_path_to_datafile("q"))
    mine = _run_caller(_write_runfiles_caller(tmp_path / "m", "minitf.resource_loader"))
    theirs = _run_caller(_write_runfiles_caller(tmp_path / "t",
                                                "tensorflow.python.platform.resource_loader"))
    for key in ("here", "path"):
        assert mine[key].replace(str(tmp_path / "m"), "") == theirs[key].replace(
            str(tmp_path / "t"), ""), key


@pytest.mark.parametrize("case", [
    dict(x=(2, 6, 6, 3), w=(3, 3, 3, 4), strides=[1, 1, 1, 1], padding="VALID"),
    dict(x=(2, 7, 7, 3), w=(3, 3, 3, 4), strides=[1, 2, 2, 1], padding="SAME"),
    dict(x=(2, 7, 7, 3), w=(3, 3, 3, 4), strides=[1, 1, 1, 1], padding="SAME",
         dilations=[1, 2, 2, 1]),
    dict(x=(1, 4, 5, 5, 2), w=(2, 2, 2, 2, 3), strides=[1, 1, 1, 1, 1], padding="VALID"),
    dict(x=(2, 3, 6, 6, 3), w=(3, 3, 3, 2), strides=[1, 1, 1, 1], padding="SAME",
         batch_dims=2),
    dict(x=(2, 1, 4, 5, 5, 2), w=(2, 2, 2, 2, 3), strides=[1, 1, 2, 1, 1], padding="SAME",
         batch_dims=2),
    dict(x=(1, 5, 5, 2), w=(3, 3, 2, 2), strides=[1, 1, 1, 1], padding="EXPLICIT",
         explicit_paddings=[0, 0, 1, 2, 2, 0, 0, 0]),
])
def test_conv_vs_tf(case):
    tf1 = _tf1()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(case.pop("x")).astype(np.float32)
    w = rng.standard_normal(case.pop("w")).astype(np.float32)
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        want = sess.run(tf1.conv(x, w, **case))
    with tf.Graph().as_default():
        y = tf.conv(x, w, **case)
        assert y.shape.as_list() == list(want.shape)
        np.testing.assert_allclose(_run(y), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", [
    dict(x=(2, 9, 3), w=(3, 3, 2), strides=[1, 2, 1], padding="SAME"),
    dict(x=(2, 7, 7, 3), w=(3, 3, 3, 4), strides=[1, 1, 1], padding="SAME"),
    dict(x=(2, 7, 7, 3), w=(3, 3, 2, 4), strides=[1, 1, 1, 1], padding="SAME"),
    dict(x=(2, 7, 7, 3), w=(3, 3, 3, 4), strides=[1, 1, 1, 1], padding="FOO"),
    dict(x=(2, 7, 7, 3), w=(3, 3, 3, 4), strides=[1, 1, 1, 1], padding="SAME",
         data_format="NHWC"),
    dict(x=(1, 2, 5, 5), w=(3, 3, 2, 2), strides=[1, 1, 1, 1], padding="VALID",
         data_format="CHANNELS_FIRST"),
    dict(x=(2, 6, 6, 4), w=(3, 3, 2, 6), strides=[1, 1, 1, 1], padding="VALID", groups=2),
    dict(x=(2, 7, 7, 3), w=(3, 3, 3, 4), strides=[2, 1, 1, 1], padding="SAME"),
    dict(x=(2, 7, 7, 3), w=(3, 3, 3, 4), strides=[1, 1, 1, 1], padding="SAME",
         dilations=[2, 1, 1, 1]),
])
def test_conv_errors_vs_tf(case):
    """Same class and message as TF's (TF raises the CPU kernel's errors at run time, minitf
    when the graph is built)."""
    tf1 = _tf1()
    x = np.ones(case.pop("x"), np.float32)
    w = np.ones(case.pop("w"), np.float32)
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        with pytest.raises(Exception) as te:  # noqa: B017 - compared below
            sess.run(tf1.conv(x, w, **case))
    with tf.Graph().as_default(), pytest.raises(Exception) as me:  # noqa: B017
        tf.conv(x, w, **case)
    assert type(me.value).__name__ == type(te.value).__name__
    t_msg = getattr(te.value, "message", str(te.value))
    m_msg = str(me.value).split(" (input ")[0]
    assert m_msg in t_msg, (m_msg, t_msg)


def test_backprop_v2_have_no_cpu_kernel_in_tf_either():
    tf1 = _tf1()
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        f = tf1.conv2d_backprop_filter_v2(np.ones((1, 3, 3, 1), np.float32),
                                          np.ones((2, 2, 1, 1), np.float32),
                                          np.ones((1, 2, 2, 1), np.float32), [1, 1, 1, 1],
                                          "VALID")
        with pytest.raises(tf1.errors.InvalidArgumentError, match="No OpKernel was registered"):
            sess.run(f)


def test_cluster_spec_vs_tf():
    tf1 = _tf1()
    specs = [{"worker": ["w0:1", "w1:1"], "ps": {0: "p0:2", 3: "p3:2"}}, {},
             {"chief": ("c:1",), "w": {"2": "x:3"}}]
    for d in specs:
        t, m = tf1.train.ClusterSpec(d), ClusterSpec(d)
        assert (repr(m), m.jobs, m.as_dict(), bool(m)) == (repr(t), t.jobs, t.as_dict(), bool(t))
        for job in t.jobs:
            assert (m.num_tasks(job), m.task_indices(job), m.job_tasks(job)) == (
                t.num_tasks(job), t.task_indices(job), t.job_tasks(job))
        assert (m == d) == (t == d)
        parsed = type(t.as_cluster_def()).FromString(m.as_cluster_def().SerializeToString())
        assert parsed == t.as_cluster_def()
    t = tf1.train.ClusterSpec(specs[0])
    m = ClusterSpec(t.as_cluster_def())  # from TF's own ClusterDef
    assert m.as_dict() == t.as_dict()
    for bad in ({"w": "a:1"}, ["a:1"], {"w": [1]}):
        with pytest.raises(TypeError) as te:
            tf1.train.ClusterSpec(bad)
        with pytest.raises(TypeError) as me:
            ClusterSpec(bad)
        assert str(me.value) == str(te.value)
    for call in (lambda s: s.num_tasks("nope"), lambda s: s.task_address("ps", 1)):
        with pytest.raises(ValueError) as te:
            call(t)
        with pytest.raises(ValueError) as me:
            call(ClusterSpec(specs[0]))
        assert str(me.value) == str(te.value)


def test_identity_initializer_and_io_vs_tf(tmp_path):
    tf1 = _tf1()
    for n in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / n).write_text(n)
    pattern = str(tmp_path / "*.txt")
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        v = tf1.get_variable("v", [3, 2], initializer=tf1.initializers.identity(2.5))
        m = tf1.io.match_filenames_once(pattern)
        want_names = (m.op.name, [x.op.name for x in tf1.local_variables()],
                      [x.op.name for x in tf1.trainable_variables()])
        sess.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
        want_v, want_m = sess.run([v, m])
        want_cfg = tf1.initializers.identity(2.5).get_config()
    with tf.Graph().as_default(), tf.Session() as sess:
        v = tf.get_variable("v", [3, 2], initializer=tf.initializers.identity(2.5))
        m = tf.io.match_filenames_once(pattern)
        assert (m.op.name, [x.op.name for x in tf.local_variables()],
                [x.op.name for x in tf.trainable_variables()]) == want_names
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        got_v, got_m = sess.run([v, m])
    np.testing.assert_array_equal(got_v, want_v)
    assert sorted(got_m.tolist()) == sorted(want_m.tolist())
    assert tf.initializers.identity(2.5).get_config() == want_cfg
    for parts in (("a", "b"), ("/a/", "b", "c"), ("gs://bk/d", "e", "f"), ("s3://bk", "k")):
        assert tf.io.gfile.join(*parts) == tf1.io.gfile.join(*parts), parts


def test_test_extras_vs_tf():
    tf1 = _tf1()
    assert tf.test.benchmark_config().SerializeToString() == (
        tf1.test.benchmark_config().SerializeToString())
    with pytest.raises(AssertionError, match="Unknown CPU target"):
        tf1.test.is_cpu_target_available("vax")

    def build(t, op):
        g = t.Graph()
        with g.as_default():
            a = t.constant(1.0, name="a")
            b = t.constant(2.0, name="b")
            with t.control_dependencies([b]):
                op(t, a)
        return g.as_graph_def()

    def add(t, a):
        t.add(a, a, name="s")

    def mul(t, a):
        t.multiply(a, a, name="s")

    def add_b(t, a):
        t.add(a, t.get_default_graph().get_tensor_by_name("b:0"), name="s")

    def only_a(t, a):
        pass

    def check(op1, op2):
        t_err = m_err = None
        try:
            tf1.test.assert_equal_graph_def(build(tf1, op1), build(tf1, op2))
        except AssertionError as e:
            t_err = str(e)
        try:
            tf.test.assert_equal_graph_def(build(tf, op1), build(tf, op2))
        except AssertionError as e:
            m_err = str(e)
        return t_err, m_err

    assert check(add, add) == (None, None)
    for pair in ((mul, add), (add_b, add)):
        t_err, m_err = check(*pair)
        assert t_err is not None and m_err == t_err
    t_err, m_err = check(only_a, add)
    assert t_err == m_err == ("Did not find expected node '{{node s}} = AddV2[T=DT_FLOAT](a, a, "
                              "^b)'")
    t_err, m_err = check(add, only_a)
    assert t_err == m_err
