"""Ops TF 1.x colocates with their variables: optimizer slots, non-slot variables (Adam's
beta powers), the update ops and the global step's increment, tf.group's per-device NoOps,
tf.tuple's identities, ExponentialMovingAverage's shadows and updates, batch normalization's
moving-statistics updates. They take the variable's device (not the device scope around) and
its colocation group (``_class: loc:@var``), as TF writes them into GraphDefs.

The expected devices and groups written out below are what TensorFlow 2.21 (tf.compat.v1,
ref variables) gave for the same graphs; the side-by-side tests rebuild the graphs in
tf.compat.v1 and compare every op's device and ``_class``."""

import importlib.util
import re

import numpy as np
import pytest

import minitf as tf


def _ref_var(T, value, name, **kw):
    return T.Variable(value, name=name, use_resource=False, **kw)


def _placement(graph) -> dict:
    """{op name: (device, _class list)} as the graph's GraphDef carries them, gradient ops
    left out (their names and structure are tf.gradients' business)."""
    return {n.name: (n.device, list(n.attr["_class"].list.s)) for n in
            graph.as_graph_def().node if not re.match(r"gradients(_\d+)?/", n.name)}


def _loc(*names):
    return [b"loc:@" + n.encode() for n in names]


# -- graphs built the same way in minitf and tf.compat.v1 ----------------------------------------

def _adam_graph(T):
    with T.device("/cpu:0"):
        v = _ref_var(T, [1.0, 2.0], "v")
        gs = _ref_var(T, 0, "gs", trainable=False)
    with T.device("/gpu:0"):
        loss = T.reduce_sum(v * v)
        train = T.train.AdamOptimizer(0.1).minimize(loss, global_step=gs)
    return v, gs, train


def _replica_graph(T):
    setter = T.train.replica_device_setter(ps_tasks=2, worker_device="/job:worker/task:0/gpu:0")
    with T.device(setter):
        v1 = _ref_var(T, [1.0, 2.0], "v1")
        v2 = _ref_var(T, [3.0, 4.0], "v2")
        v3 = _ref_var(T, [1.0, 2.0], "v3")
        gs = _ref_var(T, 0, "global_step", trainable=False, dtype=T.int64)
        loss = T.reduce_sum(v1 * v2 * v3)
        train = T.train.AdamOptimizer(0.1).minimize(loss, global_step=gs)
    return train


def _other_optimizers_graph(T):
    with T.device("/cpu:0"):
        v = _ref_var(T, np.ones([2, 3], np.float32), "v")
        w = _ref_var(T, [1.0, 2.0, 3.0], "w")
    with T.device("/gpu:0"):
        loss = T.reduce_sum(T.matmul(T.ones([1, 2]), v) * w)
        T.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
        T.train.RMSPropOptimizer(0.1, centered=True).minimize(loss)
        T.train.AdagradOptimizer(0.1).minimize(loss)
        T.train.AdadeltaOptimizer(0.1).minimize(loss)
        T.train.GradientDescentOptimizer(0.1).minimize(loss)


def _group_graph(T):
    with T.device("/cpu:0"):
        a = T.constant(1.0, name="a") * 2
        b = T.constant(2.0, name="b") * 3
    with T.device("/gpu:1"):
        c = T.constant(1.0, name="c") * 2
    d = T.constant(3.0, name="d")
    with T.device("/gpu:0"):
        T.group(a, b, name="g1")
        T.group(a, c, name="g2")
        T.group(a.op, name="g3")
        T.group(a, c, d, name="g4")
        T.group(name="g5")
        T.group([c, [a]], name="g6")
        T.tuple([a, c])
        T.tuple([a, None, c], control_inputs=[d.op], name="tt")
    T.group(a, d, name="g7")
    with T.device("/cpu:0"):
        T.group(d, name="g8")


def _ema_graph(T):
    # ref variables for tensors' shadows too (tf.compat.v1 makes resource ones in TF2 mode)
    with T.variable_scope(T.get_variable_scope(), use_resource=False), T.device("/cpu:0"):
        v = _ref_var(T, [1.0, 2.0], "v")
        w = _ref_var(T, [3.0, 4.0], "w")
        with T.device("/gpu:0"):
            x = T.identity(v * 2, name="x")
            T.train.ExponentialMovingAverage(0.9).apply([v, w])
            ema = T.train.ExponentialMovingAverage(0.9, num_updates=T.constant(3), name="E2")
            ema.apply([v, x])
        with T.device("/gpu:1"):
            T.train.ExponentialMovingAverage(0.9, zero_debias=True, name="E3").apply([x])


# -- TF-free: the placements TensorFlow gave, written out -----------------------------------------

def test_adam_slots_updates_and_global_step_sit_with_their_variables():
    g = tf.Graph()
    with g.as_default():
        _adam_graph(tf)
    p = _placement(g)
    cpu, gpu = "/device:CPU:0", "/device:GPU:0"
    with_v = (cpu, _loc("v"))
    expected = {
        "v/Adam": with_v, "v/Adam/Initializer/zeros": with_v, "v/Adam/Assign": with_v,
        "v/Adam/read": with_v, "v/Adam_1": with_v, "v/Adam_1/Assign": with_v,
        "beta1_power": with_v, "beta1_power/initial_value": with_v,
        "beta1_power/Assign": with_v, "beta2_power": with_v, "beta2_power/read": with_v,
        "Adam/update_v/ApplyAdam": with_v,
        "Adam/mul": with_v, "Adam/mul_1": with_v, "Adam/Assign": with_v,
        "Adam/Assign_1": with_v,
        "Adam/update": (cpu, []),  # group of updates all on CPU:0: its NoOp there too
        "Adam": (cpu, _loc("gs")), "Adam/value": (cpu, _loc("gs")),
        "Adam/learning_rate": (gpu, []), "Adam/beta1": (gpu, []), "Sum": (gpu, []),
        "v": (cpu, []), "gs": (cpu, []),
    }
    assert {k: p[k] for k in expected} == expected


def test_replica_device_setter_keeps_optimizer_state_on_the_variables_ps_task():
    g = tf.Graph()
    with g.as_default():
        train = _replica_graph(tf)
    p = _placement(g)
    ps0, ps1, worker = "/job:ps/task:0", "/job:ps/task:1", "/job:worker/task:0/device:GPU:0"
    expected = {
        "v1": (ps0, []), "v2": (ps1, []), "v3": (ps0, []), "global_step": (ps1, []),
        # slots do not take a round-robin turn: they follow their variable
        "v1/Adam": (ps0, _loc("v1")), "v1/Adam_1": (ps0, _loc("v1")),
        "v2/Adam": (ps1, _loc("v2")), "v2/Adam_1": (ps1, _loc("v2")),
        "v3/Adam": (ps0, _loc("v3")), "v3/Adam_1": (ps0, _loc("v3")),
        # the beta powers sit with the first variable by name
        "beta1_power": (ps0, _loc("v1")), "beta2_power": (ps0, _loc("v1")),
        "Adam/update_v2/ApplyAdam": (ps1, _loc("v2")),
        "Adam/update/NoOp": (ps0 + "/device:GPU:0", []),
        "Adam/update/NoOp_1": (ps1 + "/device:GPU:0", []),
        "Adam/update": (worker, []),
        "Adam": (ps1, _loc("global_step")),
    }
    assert {k: p[k] for k in expected} == expected
    assert train.device == ps1


def test_every_optimizers_slots_and_updates_sit_with_the_variable():
    g = tf.Graph()
    with g.as_default():
        _other_optimizers_graph(tf)
    p = _placement(g)
    cpu = "/device:CPU:0"
    slots = ["Momentum", "RMSProp", "RMSProp_1", "RMSProp_2", "Adagrad", "Adadelta",
             "Adadelta_1"]
    for var in ("v", "w"):
        for slot in slots:
            assert p[f"{var}/{slot}"] == (cpu, _loc(var)), (var, slot)
        for update in ("Momentum/update_{}/ApplyMomentum",
                       "RMSProp/update_{}/ApplyCenteredRMSProp",
                       "Adagrad/update_{}/ApplyAdagrad", "Adadelta/update_{}/ApplyAdadelta",
                       "GradientDescent/update_{}/ApplyGradientDescent"):
            assert p[update.format(var)] == (cpu, _loc(var)), update
    # the hyperparameters stay in the device scope around minimize
    assert p["Momentum/learning_rate"] == ("/device:GPU:0", [])
    assert p["Momentum"] == (cpu, [])  # its inputs all on CPU:0


def test_group_places_its_noops_by_the_inputs_devices():
    g = tf.Graph()
    with g.as_default():
        _group_graph(tf)
    p = _placement(g)
    cpu, gpu0, gpu1 = "/device:CPU:0", "/device:GPU:0", "/device:GPU:1"
    expected = {
        "g1": (cpu, []), "g3": (cpu, []), "g8": (cpu, []),
        # several devices: one NoOp per device, sorted by device string, and the group's
        # NoOp in the scope around
        "g2": (gpu0, []), "g2/NoOp": (cpu, []), "g2/NoOp_1": (gpu1, []),
        "g4": (gpu0, []), "g4/NoOp": (gpu0, []), "g4/NoOp_1": (cpu, []),
        "g4/NoOp_2": (gpu1, []),  # "" (no device) sorts first and keeps the scope's
        "g5": (gpu0, []), "g6": (gpu0, []), "g6/NoOp": (cpu, []), "g6/NoOp_1": (gpu1, []),
        "g7": ("", []), "g7/NoOp": ("", []), "g7/NoOp_1": (cpu, []),
        "tuple/group_deps": (gpu0, []),
        "tuple/control_dependency": (cpu, _loc("mul")),
        "tuple/control_dependency_1": (gpu1, _loc("mul_2")),
        "tt/control_dependency": (cpu, _loc("mul")),
        "tt/control_dependency_1": (gpu1, _loc("mul_2")),
    }
    assert {k: p[k] for k in expected} == expected
    nodes = {n.name: n for n in g.as_graph_def().node}
    assert sorted(nodes["g2"].input) == ["^g2/NoOp", "^g2/NoOp_1"]
    assert sorted(nodes["g4/NoOp"].input) == ["^d"]
    assert "g1/NoOp" not in nodes  # one device: a single NoOp


def test_group_on_several_devices_still_runs_every_input():
    g = tf.Graph()
    with g.as_default():
        with tf.device("/cpu:0"):
            v = tf.Variable([1.0, 2.0], name="v")
        with tf.device("/gpu:1"):
            w = tf.Variable(5.0, name="w")
        with tf.device("/gpu:0"):
            step = tf.group(v.assign_add([1.0, 1.0]), w.assign(7.0), name="step")
            t = tf.tuple([v.value() * 2, w.value() + 1])
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(step)
            assert sess.run(v).tolist() == [2.0, 3.0] and sess.run(w) == 7.0
            assert [x.tolist() for x in sess.run(t)] == [[4.0, 6.0], 8.0]


def test_group_refuses_what_is_not_a_tensor():
    with tf.Graph().as_default(), pytest.raises(TypeError, match="should be zero or more"):
        tf.group(tf.constant(1.0), 3)


def test_moving_average_shadows_and_updates_sit_with_the_variable():
    g = tf.Graph()
    with g.as_default():
        _ema_graph(tf)
    p = _placement(g)
    cpu, gpu0, gpu1 = "/device:CPU:0", "/device:GPU:0", "/device:GPU:1"
    expected = {
        "v/ExponentialMovingAverage": (cpu, _loc("v")),
        "v/ExponentialMovingAverage/Assign": (cpu, _loc("v")),
        "v/ExponentialMovingAverage/read": (cpu, _loc("v")),
        "w/ExponentialMovingAverage": (cpu, _loc("w")),
        # the assignment runs where the shadow is, the arithmetic in the scope around
        "ExponentialMovingAverage/AssignMovingAvg": (cpu, _loc("v")),
        "ExponentialMovingAverage/AssignMovingAvg_1": (cpu, _loc("w")),
        "ExponentialMovingAverage/AssignMovingAvg/sub/x": (gpu0, []),
        "ExponentialMovingAverage/AssignMovingAvg/sub": (gpu0, []),
        "ExponentialMovingAverage/AssignMovingAvg/sub_1": (gpu0, []),
        "ExponentialMovingAverage/AssignMovingAvg/mul": (gpu0, []),
        "ExponentialMovingAverage/decay": (gpu0, []),
        "ExponentialMovingAverage": (cpu, []),
        "v/E2": (cpu, _loc("v")), "E2/AssignMovingAvg": (cpu, _loc("v")),
        # a tensor's shadow is not colocated: it takes the device scope
        "E2/AssignMovingAvg_1": (gpu0, _loc("x/E2")),
        "E2": (gpu0, []), "E2/NoOp": (cpu, []), "E2/NoOp_1": (gpu0, []),
        # zero debiasing: biased and local_step sit with the shadow, each write with its
        # variable, the 1 added to local_step in the scope around
        "x/E3/biased": (gpu1, _loc("x/E3")),
        "x/E3/local_step": (gpu1, _loc("x/E3")),
        "E3/AssignMovingAvg/AssignSub": (gpu1, _loc("x/E3")),
        "E3/AssignMovingAvg/AssignAdd": (gpu1, _loc("x/E3")),
        "E3/AssignMovingAvg/AssignAdd/value": (gpu1, []),
        "E3/AssignMovingAvg": (gpu1, _loc("x/E3")),
    }
    assert {k: p[k] for k in expected} == expected
    # (TF also gives these VariableV2 ops a ``_class`` of their own name: see the module of
    # tf.Variable; only their devices are checked here)
    assert (p["x/E2"][0], p["x/E3"][0]) == (gpu0, gpu1)


def test_moving_average_values_are_unchanged_by_placement():
    """shadow -= (1 - decay) * (shadow - value); zero-debiased: biased / (1 - decay^n)."""
    g = tf.Graph()
    with g.as_default():
        with tf.device("/cpu:0"):
            v = tf.Variable([1.0, 2.0], name="v")
        with tf.device("/gpu:0"):
            x = tf.identity(v * 2, name="x")
            ema = tf.train.ExponentialMovingAverage(0.9, zero_debias=True)
            update = ema.apply([v, x])
            bump = v.assign_add([1.0, 1.0])
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            shadow, biased, values = np.array([1.0, 2.0]), np.zeros(2), []
            for n in range(1, 4):
                sess.run(bump)
                sess.run(update)
                cur = np.array([1.0, 2.0]) + n
                shadow -= 0.1 * (shadow - cur)
                biased -= 0.1 * (biased - 2 * cur)
                values.append((shadow.copy(), biased / (1 - 0.9 ** n)))
            got_v, got_x = sess.run([ema.average(v), ema.average(x)])
    np.testing.assert_allclose(got_v, values[-1][0], rtol=1e-6)
    np.testing.assert_allclose(got_x, values[-1][1], rtol=1e-6)


def test_batch_norm_tower_updates_run_where_the_statistics_are():
    g = tf.Graph()
    with g.as_default():
        with tf.device("/cpu:0"):
            x = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
        for i in range(2):
            with tf.device(f"/gpu:{i}"), tf.variable_scope(tf.get_variable_scope(),
                                                           reuse=i > 0):
                tf.layers.batch_normalization(x, training=True, name="bn")
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        p = _placement(g)
        for scope in ("bn", "bn_1"):  # the second tower's too: on GPU:0, with the variable
            for op, var in (("AssignMovingAvg", "bn/moving_mean"),
                            ("AssignMovingAvg_1", "bn/moving_variance")):
                for suffix in ("", "/sub", "/mul"):
                    assert p[f"{scope}/{op}{suffix}"] == ("/device:GPU:0", _loc(var))
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            for update in updates:  # one by one: in one run the two towers' updates race
                sess.run(update)
            mean = sess.run(g.get_tensor_by_name("bn/moving_mean:0"))
    # two updates from 0 with momentum 0.99 toward the batch mean [4.5, 5.5, 6.5]
    batch = np.array([4.5, 5.5, 6.5])
    once = 0.01 * batch
    np.testing.assert_allclose(mean, once + 0.01 * (batch - once), rtol=1e-5)


def test_adam_under_device_scopes_trains_as_without_them():
    def train(scoped):
        g = tf.Graph()
        with g.as_default():
            if scoped:
                v, gs, step = _adam_graph(tf)
            else:
                v = tf.Variable([1.0, 2.0], name="v")
                gs = tf.Variable(0, name="gs", trainable=False)
                step = tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(v * v),
                                                            global_step=gs)
            with tf.Session(graph=g) as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(3):
                    sess.run(step)
                return sess.run([v, gs])

    # numpy Adam: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), var -= lr_t * m / (sqrt(v) + eps)
    w, m, s = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    for t in range(1, 4):
        grad = 2 * w
        m = 0.9 * m + 0.1 * grad
        s = 0.999 * s + 0.001 * grad * grad
        w = w - 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(s) + 1e-8)
    for scoped in (True, False):
        got, steps = train(scoped)
        np.testing.assert_allclose(got, w, rtol=1e-5)
        assert steps == 3


# -- side by side with tf.compat.v1 ---------------------------------------------------------------

def _both(build):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    graphs = []
    for T in (tf, tf1):
        g = T.Graph()
        with g.as_default():
            build(T)
        graphs.append(g)
    return [_placement(g) for g in graphs]


def _initializer_graph(T):
    """Initializers from a callable (get_variable's, a lambda) join the variable's group with
    no device, and device functions never see them; a tensor initial value is an op of its
    own."""
    calls = []

    def device_fn(op):
        calls.append(op.name)
        return "/cpu:0"

    with T.variable_scope("s", use_resource=False), T.device(device_fn):
        T.get_variable("v", [2], initializer=T.truncated_normal_initializer())
        _ref_var(T, lambda: T.ones([3]), "lam")
        _ref_var(T, [1.0, 2.0], "w")
        with T.colocate_with(T.constant(1.0, name="c")):
            T.get_variable("inside", [2], initializer=T.zeros_initializer())
    T.constant(sorted(calls), name="device_fn_calls")


@pytest.mark.parametrize("build", [_adam_graph, _replica_graph, _other_optimizers_graph,
                                   _group_graph, _initializer_graph],
                         ids=["adam", "replica", "optimizers", "group", "initializers"])
def test_placements_match_tensorflow(build):
    mine, theirs = _both(build)
    assert mine == theirs


def test_initializers_sit_with_their_variable_without_a_device():
    g = tf.Graph()
    with g.as_default():
        _initializer_graph(tf)
    placed = _placement(g)
    assert placed["s/v/Initializer/truncated_normal"] == ("", [b"loc:@s/v"])
    assert placed["s/lam/Initializer/ones"] == ("", [b"loc:@s/lam"])
    assert placed["s/w/initial_value"] == ("/cpu:0", [])
    assert placed["s/v"] == ("/cpu:0", [b"loc:@s/v"])  # TF1 names the variable's own group
    assert placed["s/inside/Initializer/zeros"] == ("/cpu:0", [b"loc:@s/c"])  # c decides
    calls = [bytes(c) for c in tf.make_ndarray(
        g.get_operation_by_name("device_fn_calls").get_attr("value"))]
    assert calls and all(b"Initializer" not in c for c in calls), calls


def _in_cond(name):
    return re.search(r"(^|/)cond(_\d+)?(/|_|$)", name) is not None


def test_moving_average_placements_match_tensorflow():
    """Both initialize a variable's shadow through a cond on is_variable_initialized
    (initialized_value), at the same names; TF 2.21 builds each as an If op where minitf
    builds TF1's Switch/Merge, so only the conds' insides differ. TF names a tensor shadow's
    zeros differently; every other op minitf builds is TF's, with TF's device and ``_class``.
    (One known difference, not about colocation with another variable: TF writes ``_class:
    loc:@<itself>`` on the VariableV2 of a variable made from an initializer function, which
    minitf's tf.Variable leaves out.)"""
    mine, theirs = _both(_ema_graph)
    extra = {k for k in mine if k not in theirs} - {"zeros", "zeros_1"}
    missing = {k for k in theirs if k not in mine}
    assert extra and all(_in_cond(k) for k in extra)
    assert all(_in_cond(k) or k.endswith("/Initializer/zeros") for k in missing)
    tf_conds = {k for k in missing if re.fullmatch(r"(.*/)?cond(_\d+)?", k)}
    assert tf_conds and all(any(k.startswith(c + "/") for k in extra) for c in tf_conds)
    extra |= {"zeros", "zeros_1"}
    own_class = {"x/E2", "x/E3"}
    assert {k: theirs[k][1] for k in own_class} == {k: _loc(k) for k in own_class}
    assert {k: mine[k][0] for k in own_class} == {k: theirs[k][0] for k in own_class}
    common = [k for k in mine if k not in extra | own_class]
    assert {k: mine[k] for k in common} == {k: theirs[k] for k in common}


def test_tuple_of_indexed_slices_gates_the_values_where_they_are():
    g = tf.Graph()
    with g.as_default():
        with tf.device("/cpu:0"):
            values = tf.constant([[1.0, 2.0]], name="values")
            slices = tf.IndexedSlices(values, tf.constant([1]), tf.constant([3, 2]))
        with tf.device("/gpu:0"):
            (out,) = tf.tuple([slices])
        assert isinstance(out, tf.IndexedSlices)
        assert (out.values.device, out.values.op.colocation_groups()) == (
            "/device:CPU:0", _loc("values"))
        with tf.Session(graph=g) as sess:
            assert sess.run(out.values).tolist() == [[1.0, 2.0]]


def test_meta_graph_round_trip_keeps_a_variables_device(tmp_path):
    """A variable names its own colocation group (TF1's _class loc:@v); imported again, it
    keeps its device and its initializer, Assign and read take it, as TF's importer does."""
    path = str(tmp_path / "m.meta")
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            tf.get_variable("v", [2], initializer=tf.ones_initializer())
        tf.train.export_meta_graph(path)
    libs = [tf]
    if importlib.util.find_spec("tensorflow") is not None:  # TF's importer too, if installed
        libs.append(importlib.import_module("tensorflow.compat.v1"))
    placed = []
    for lib in libs:
        with lib.Graph().as_default() as g:
            lib.train.import_meta_graph(path)
            placed.append({op.name: op.device for op in g.get_operations()})
    assert placed[0]["v"] == placed[0]["v/Assign"] == placed[0]["v/Initializer/ones"] == \
        "/device:CPU:0"
    for other in placed[1:]:  # (TF's import also adds a Saver's ops)
        assert {k: other[k] for k in placed[0]} == placed[0]
