"""The strategies' construction, devices, refusals, config updates and input pipelines."""

import copy
import json

import numpy as np
import pytest

import minitf as tf
from minitf import config as mconfig
from minitf.distribute import contrib as cds

ds = tf.distribute
CPU0 = "/replica:0/task:0/device:CPU:0"



@pytest.fixture
def two_logical_cpus():
    mconfig._reset()
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    yield
    mconfig._reset()


def test_mirrored_defaults_to_the_cpu():
    s = ds.MirroredStrategy()
    assert s.num_replicas_in_sync == 1
    assert s.extended.worker_devices == (CPU0,) and s.extended.parameter_devices == (CPU0,)
    assert s.extended.non_slot_devices([]) == (CPU0,)
    e = s.extended
    assert (e.experimental_between_graph, e.experimental_should_init, e.should_checkpoint,
            e.should_save_summary) == (False, True, True, True)
    for devices in (["/cpu:0"], ["/device:CPU:0"], ["/job:localhost/replica:0/cpu:0"]):
        assert ds.MirroredStrategy(devices).extended.worker_devices == (CPU0,)


@pytest.mark.parametrize("devices", [["/gpu:0"], ["/cpu:1"], ["/device:TPU:0"]])
def test_devices_this_process_lacks(devices):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="but available devices are \\[ /job:localhost/replica:0/task:0/"
                             "device:CPU:0 \\]"):
        ds.MirroredStrategy(devices)
    with pytest.raises(tf.errors.InvalidArgumentError, match="valid device"):
        ds.OneDeviceStrategy(devices[0])


def test_several_replicas_are_refused(two_logical_cpus):
    assert ds.MirroredStrategy(["/cpu:1"]).extended.worker_devices == (
        "/replica:0/task:0/device:CPU:1",)
    with pytest.raises(tf.errors.UnimplementedError, match="minitf runs one replica"):
        ds.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with pytest.raises(AssertionError, match="No duplicates allowed"):
        ds.MirroredStrategy(["/cpu:0", "/device:CPU:0"])


def test_bad_device_arguments():
    with pytest.raises(TypeError, match="must be a list of device strings"):
        ds.MirroredStrategy("/cpu:0")
    with pytest.raises(TypeError, match="device must be a string"):
        ds.OneDeviceStrategy(0)
    with pytest.raises(tf.errors.UnimplementedError, match="on job 'worker'"):
        ds.MirroredStrategy(["/job:worker/task:0"])
    with pytest.raises(TypeError, match="cross_device_ops must be"):
        ds.MirroredStrategy(cross_device_ops="nccl")


def test_one_device_strategy():
    s = ds.OneDeviceStrategy("/cpu:0")
    assert s.extended.worker_devices == (CPU0,) and s.extended.parameter_devices == (CPU0,)
    with s.scope():
        devices = s.experimental_run_v2(lambda: ds.get_replica_context().devices)
        t = s.experimental_run_v2(lambda: tf.constant(1.0) + 1.0)
    assert devices == (CPU0,) and t.device == CPU0


def test_update_config_proto_and_configure():
    cfg = tf.ConfigProto(allow_soft_placement=True)
    for s in (ds.MirroredStrategy(), ds.experimental.CentralStorageStrategy()):
        new = s.update_config_proto(cfg)
        assert new.isolate_session_state and new.allow_soft_placement
        assert not cfg.isolate_session_state  # a copy
    assert not ds.OneDeviceStrategy("/cpu:0").update_config_proto(cfg).isolate_session_state
    mw = ds.experimental.MultiWorkerMirroredStrategy().update_config_proto(cfg)
    rewrite = mw.graph_options.rewrite_options
    assert list(rewrite.scoped_allocator_opts.enable_op) == ["CollectiveReduce"]
    ds.MirroredStrategy().configure(cfg)  # in place, as TF's deprecated configure
    assert cfg.isolate_session_state
    with pytest.raises(tf.errors.UnimplementedError, match="one process"):
        ds.MirroredStrategy().configure(cluster_spec={"worker": ["a:1", "b:1"]})


def test_experimental_strategies_run_one_replica():
    cs = ds.experimental.CentralStorageStrategy()
    ps = ds.experimental.ParameterServerStrategy()
    mw = ds.experimental.MultiWorkerMirroredStrategy(
        ds.experimental.CollectiveCommunication.RING)
    for s in (cs, ps, mw):
        assert s.num_replicas_in_sync == 1 and s.extended.experimental_between_graph
        assert s.extended.worker_devices == (CPU0,)
    with cs.scope():
        v = tf.Variable(1.0, name="v")
    assert cs.extended.non_slot_devices([v]) is v
    with pytest.raises(AssertionError, match="CollectiveCommunication"):
        ds.experimental.MultiWorkerMirroredStrategy("RING")


def test_clusters_and_tpus_are_refused(monkeypatch):
    with pytest.raises(tf.errors.UnimplementedError, match="no TPU"):
        ds.experimental.TPUStrategy()
    with pytest.raises(tf.errors.UnimplementedError, match="no TPU"):
        cds.initialize_tpu_system()
    resolver = ds.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec({"ps": ["a:1"], "worker": ["b:1"]}), task_type="worker",
        task_id=0)
    with pytest.raises(tf.errors.UnimplementedError, match="one process"):
        ds.experimental.ParameterServerStrategy(resolver)
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}))
    with pytest.raises(tf.errors.UnimplementedError, match="unset TF_CONFIG"):
        ds.experimental.MultiWorkerMirroredStrategy()
    r = ds.cluster_resolver.TFConfigClusterResolver()
    assert (r.task_type, r.task_id, r.master()) == ("worker", 1, "b:1")
    assert r.cluster_spec().as_dict() == {"worker": ["a:1", "b:1"]}


def test_deepcopy_keeps_the_extended_pointing_at_its_copy():
    s = ds.MirroredStrategy()
    c = copy.deepcopy(s)
    assert c is not s and c.extended._container_strategy() is c
    with pytest.raises(RuntimeError, match="Must only deepcopy"):
        copy.copy(s)


def test_input_pipelines():
    s = ds.MirroredStrategy()
    data = tf.data.Dataset.from_tensor_slices(np.arange(6.0)).batch(2)
    with s.scope():
        it = s.make_dataset_iterator(data)
        dist = s.experimental_distribute_dataset(data)
        dit = dist.make_initializable_iterator()
        fit = s.make_input_fn_iterator(
            lambda ctx: tf.data.Dataset.from_tensor_slices(
                np.arange(4.0) + ctx.input_pipeline_id * 100).batch(
                ctx.get_per_replica_batch_size(2)))
        calls = s.make_input_fn_iterator(lambda ctx: lambda: tf.constant(7.0))
        fn_data = s.experimental_distribute_datasets_from_function(
            lambda ctx: data.map(lambda x: x * ctx.num_replicas_in_sync))
        fdit = fn_data.make_initializable_iterator()
        nxt = [it.get_next(), dit.get_next(), fit.get_next(), fdit.get_next(),
               calls.get_next()]
        with pytest.raises(ValueError, match="Cannot create a one shot iterator"):
            dist.make_one_shot_iterator()
        with pytest.raises(ValueError, match="input_fn must return a tf.data.Dataset or a "
                           "callable"):
            s.make_input_fn_iterator(lambda ctx: (tf.constant(1.0), tf.constant(2.0)))
        with pytest.raises(ValueError, match="Input replication mode not supported"):
            s.make_input_fn_iterator(lambda ctx: data, replication_mode="ALL")
    assert nxt[0].device == CPU0
    with tf.Session() as sess:
        sess.run([it.initialize(), dit.initializer, fit.initialize(), fdit.initialize(),
                  calls.initialize()])
        first, second = sess.run(nxt), sess.run(nxt)
    for got, want in zip(first[:4], [[0., 1.]] * 4):
        np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(second[0], [2., 3.])
    assert first[4] == 7.0


def test_input_context():
    ctx = ds.InputContext(num_input_pipelines=2, input_pipeline_id=1, num_replicas_in_sync=4)
    assert ctx.get_per_replica_batch_size(8) == 2 and ctx.input_pipeline_id == 1
    with pytest.raises(ValueError, match="`global_batch_size` 6 is not divisible by "
                       "`num_replicas_in_sync` 4"):
        ctx.get_per_replica_batch_size(6)
    assert ds.InputReplicationMode.PER_WORKER.value == "PER_WORKER"


def test_numpy_dataset_and_run_steps_on_iterator():
    s = ds.MirroredStrategy()
    with s.scope():
        data = s.experimental_make_numpy_dataset(np.arange(4.0, dtype=np.float32))
        it = s.make_dataset_iterator(data.repeat())
        total = tf.Variable(0.0, aggregation=tf.VariableAggregation.SUM)

        def step(ctx, x):
            def fn(v):
                ctx.set_last_step_output("x", v, reduce_op=ds.ReduceOp.SUM)
                return total.assign_add(v)
            return s.experimental_run_v2(fn, args=(x,))

        ctx = s.extended.experimental_run_steps_on_iterator(
            step, it, iterations=3, initial_loop_values={"x": tf.constant(0.0)})
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), it.initialize()])
        _, last = sess.run([ctx.run_op, ctx.last_step_outputs["x"]])
        assert [sess.run(total), last] == [3.0, 2.0]  # 0 + 1 + 2; the last step's x: 2


def test_contrib_distribute():
    s = cds.MirroredStrategy(num_gpus=0)
    assert s.extended.worker_devices == (CPU0,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="GPU:0"):
        cds.MirroredStrategy(num_gpus=1)
    with pytest.raises(ValueError, match="both `num_gpus` and `num_gpus_per_worker`"):
        cds.MirroredStrategy(num_gpus=0, num_gpus_per_worker=0)
    assert cds.CollectiveAllReduceStrategy().extended.experimental_between_graph
    assert cds.ParameterServerStrategy().num_replicas_in_sync == 1
    assert cds.DistributionStrategy is ds.Strategy and cds.get_distribution_strategy() is \
        ds.get_strategy()
    cfg = cds.DistributeConfig(train_distribute=s)
    assert cfg.eval_distribute is None and cfg.remote_cluster is None
    with pytest.raises(tf.errors.UnimplementedError):
        cds.run_standard_tensorflow_server()


def test_contrib_step_and_monitor():
    s = cds.MirroredStrategy(num_gpus=0)
    with s.scope():
        w = tf.Variable([[0.0], [0.0]], name="w")
    x = np.array([[1., 2.]], np.float32)
    y = np.array([[1.]], np.float32)
    step = cds.StandardSingleLossStep(
        lambda: tf.data.Dataset.from_tensors((x, y)).repeat(),
        lambda ctx, inputs: tf.reduce_sum(tf.square(tf.matmul(inputs[0], w) - inputs[1])),
        tf.train.GradientDescentOptimizer(0.1), s)
    with tf.Session() as sess:
        sess.run(w.initializer)
        cds.Monitor(step, sess).run_steps(2)
        got = sess.run(w)
    want = np.zeros((2, 1))
    for _ in range(2):
        want = want - 0.1 * 2 * x.T @ (x @ want - y)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    with pytest.raises(ValueError, match="Should provide a `session`"):
        cds.Monitor(step)
