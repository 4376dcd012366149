"""tf.distribute side by side with TensorFlow's tf.compat.v1 (skipped without TensorFlow):
context semantics, reductions, aggregated assigns, a training step and an Estimator-style
input_fn loop under MirroredStrategy give TF's answers."""

import numpy as np
import pytest

import minitf as tf

from ..side_by_side import tf1_or_skip

pytestmark = pytest.mark.tensorflow
X = np.array([[1., 2.], [3., 4.], [5., 6.], [7., 8.]], np.float32)
Y = np.array([[1.], [2.], [3.], [4.]], np.float32)


@pytest.fixture(scope="module")
def tf1():
    # TF's side builds in graphs of its own (tf1.Graph().as_default()); the process keeps
    # TF's eager default, which the other modules' TensorFlow comparisons need.
    return tf1_or_skip()


def _run_fn(lib, s):
    return getattr(s, "experimental_run_v2", None) or s.run


def _contexts(lib):
    """What the context functions answer in each place, as plain Python values."""
    d = lib.distribute
    out = {"default": (d.get_replica_context() is not None, d.in_cross_replica_context(),
                       d.has_strategy(), d.get_replica_context().replica_id_in_sync_group,
                       d.get_strategy().num_replicas_in_sync)}
    with lib.Graph().as_default():
        s = d.MirroredStrategy()
        out["devices"] = tuple(s.extended.worker_devices)
        with s.scope():
            out["scope"] = (d.get_replica_context() is None, d.in_cross_replica_context(),
                            d.has_strategy(), d.get_strategy() is s)

            def fn():
                ctx = d.get_replica_context()
                out["replica"] = (ctx is not None, d.in_cross_replica_context(),
                                  ctx.num_replicas_in_sync, ctx.strategy is s,
                                  ctx.replica_id_in_sync_group.dtype.name)
                out["merge"] = ctx.merge_call(
                    lambda strategy: (strategy is s, d.in_cross_replica_context(),
                                      d.get_replica_context() is None))
                for name, call in (("reduce", lambda: s.reduce("SUM", lib.constant(1.0))),
                                   ("scope", lambda: s.scope().__enter__())):
                    try:
                        call()
                    except RuntimeError as e:
                        out["err_" + name] = str(e)
            _run_fn(lib, s)(fn)
            try:
                d.MirroredStrategy().scope().__enter__()
            except RuntimeError as e:
                out["err_mix"] = str(e).split(":")[0]
        out["after"] = (d.has_strategy(), d.in_cross_replica_context())
    return out


def test_context_semantics_match_tf(tf1):
    assert _contexts(tf) == _contexts(tf1)


def _reductions(lib):
    s = lib.distribute.MirroredStrategy()
    x = np.array([[1., 2., 3.], [4., 5., 6.]], np.float32)
    with lib.Graph().as_default():
        with s.scope():
            v = _run_fn(lib, s)(lambda: lib.constant(x))
            outs = [s.reduce("SUM", v, axis=None), s.reduce("MEAN", v, axis=0),
                    s.reduce("SUM", v, axis=1), s.reduce("MEAN", v, axis=-1)]
            outs.append(_run_fn(lib, s)(lambda: lib.distribute.get_replica_context().all_reduce(
                lib.distribute.ReduceOp.MEAN, v * 2.0)))
        with lib.Session() as sess:
            return sess.run(outs)


def test_reductions_match_tf(tf1):
    for got, want in zip(_reductions(tf), _reductions(tf1)):
        np.testing.assert_allclose(got, want)


def _aggregated_assigns(lib):
    agg, sync = lib.VariableAggregation, lib.VariableSynchronization
    with lib.Graph().as_default():
        s = lib.distribute.MirroredStrategy()
        with s.scope():
            a = lib.Variable(1.0, aggregation=agg.SUM)
            b = lib.Variable(1.0, aggregation=agg.MEAN)
            c = lib.Variable(1.0, aggregation=agg.ONLY_FIRST_REPLICA)
            r = lib.Variable(1.0, synchronization=sync.ON_READ, aggregation=agg.SUM)
            ops = _run_fn(lib, s)(lambda: [a.assign_add(2.0), b.assign(5.0), c.assign_sub(0.5),
                                           r.assign_add(3.0)])
            later = [a.assign(7.0), r.assign(9.0)]
            kinds = [type(v).__name__ for v in (a, r)] + [r.trainable]
        with lib.Session() as sess:
            sess.run(lib.global_variables_initializer())
            sess.run(ops)
            first = sess.run([a, b, c, r])
            sess.run(later)
            return kinds, first, sess.run([a, r])


def test_aggregated_assigns_match_tf(tf1):
    assert _aggregated_assigns(tf) == _aggregated_assigns(tf1)


def _train(lib, steps=4):
    """A linear model trained with MirroredStrategy, as TF1 code writes it: input_fn iterator,
    replica step with a tf.train optimizer, reported loss reduced with MEAN."""
    with lib.Graph().as_default():
        s = lib.distribute.MirroredStrategy()
        with s.scope():
            it = s.make_input_fn_iterator(
                lambda ctx: lib.data.Dataset.from_tensor_slices((X, Y)).repeat().batch(
                    ctx.get_per_replica_batch_size(2)))
            w = lib.get_variable("w", [2, 1], initializer=lib.zeros_initializer())
            gs = lib.train.get_or_create_global_step()

            def step(inputs):
                x, y = inputs
                loss = lib.losses.mean_squared_error(y, lib.matmul(x, w))
                opt = lib.train.MomentumOptimizer(0.01, 0.9)
                if lib is tf and not hasattr(opt, "_distributed_apply"):
                    from minitf.distribute.optimizer_v1 import distributed_apply
                    pairs = opt.compute_gradients(loss)
                    train = lib.distribute.get_replica_context().merge_call(
                        lambda st, gv: distributed_apply(st, opt, gv, gs), args=(pairs,))
                else:
                    train = opt.minimize(loss, global_step=gs)
                with lib.control_dependencies([train]):
                    return lib.identity(loss)

            loss = s.reduce("MEAN", s.experimental_run(step, it))
        with lib.Session() as sess:
            sess.run([lib.global_variables_initializer(), it.initialize()])
            losses = [sess.run(loss) for _ in range(steps)]
            return losses, sess.run(w), sess.run(gs)


def test_training_matches_tf(tf1):
    got, want = _train(tf), _train(tf1)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5)
    assert got[2] == want[2] == 4


def test_estimator_train_distribute_matches_tf_loop(tf1, tmp_path):
    """TF 2.21 has no Estimator: its MirroredStrategy loop above is what TF 1.15's
    Estimator._train_model_distributed builds for this model_fn."""
    def model_fn(features, labels, mode):
        w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
        loss = tf.losses.mean_squared_error(labels, tf.matmul(features, w))
        train = tf.train.MomentumOptimizer(0.01, 0.9).minimize(
            loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train)

    cfg = tf.estimator.RunConfig(train_distribute=tf.distribute.MirroredStrategy(),
                                 log_step_count_steps=1000)
    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path), config=cfg)
    est.train(lambda input_context: tf.data.Dataset.from_tensor_slices((X, Y)).repeat().batch(
        input_context.get_per_replica_batch_size(2)), steps=4)
    np.testing.assert_allclose(est.get_variable_value("w"), _train(tf1)[1], rtol=1e-5)


def _configs(lib):
    out = []
    with lib.Graph().as_default():
        for s in (lib.distribute.MirroredStrategy(), lib.distribute.OneDeviceStrategy("/cpu:0"),
                  lib.distribute.experimental.CentralStorageStrategy()):
            cfg = s.update_config_proto(lib.ConfigProto(allow_soft_placement=True))
            out.append((cfg.isolate_session_state, cfg.allow_soft_placement,
                        tuple(s.extended.worker_devices), s.num_replicas_in_sync,
                        s.extended.experimental_between_graph))
    return out


def test_config_proto_and_devices_match_tf(tf1):
    assert _configs(tf) == _configs(tf1)
