"""tf.contrib.opt's AdaMax, AdamGS / LazyAdamGS, LARS, RegAdagrad, VariableClipping,
MultitaskOptimizerWrapper, clip_gradients_by_global_norm, DropStaleGradient and the
external (scipy) optimizer interface, against numpy updates written from TF's formulas,
with dense and IndexedSlices (tf.gather) gradients, TF1's slot names and the errors."""

import sys

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import opt

W0 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], np.float64)
GRADS = [np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]]),
         np.array([[-0.1, 0.6], [0.2, -0.3], [0.4, 0.1]]),
         np.array([[0.2, 0.2], [-0.4, 0.5], [0.3, -0.6]])]
IDX = np.array([0, 2, 0])  # row 0 twice (summed), row 1 never


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _train(make_opt, sparse=False, steps=3, w0=W0, grads=GRADS, minimize=None, step0=0):
    """``steps`` updates with the fed coefficients, the global step starting at ``step0``;
    returns (w after each step, opt, w, the global step after each step)."""
    w = tf.Variable(w0, name="w")
    gstep = tf.train.get_or_create_global_step()
    o = make_opt(gstep)
    c = tf.placeholder(tf.float64, [3, 2])
    loss = tf.reduce_sum(c * (tf.gather(w, IDX) if sparse else w))
    train = (minimize or (lambda o, loss: o.minimize(loss, global_step=gstep)))(o, loss)
    out, steps_seen = [], []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gstep.load(step0, sess)
        for k in range(steps):
            sess.run(train, {c: grads[k]})
            out.append(sess.run(w))
            steps_seen.append(sess.run(gstep))
    return out, o, w, steps_seen


def _grad(k, sparse, grads=GRADS):
    """Step k's gradient wrt w and the rows it touches."""
    if not sparse:
        return grads[k], np.ones(3, bool)
    g = np.zeros_like(W0)
    np.add.at(g, IDX, grads[k])
    rows = np.zeros(3, bool)
    rows[IDX] = True
    return g, rows


@pytest.mark.parametrize("sparse", [False, True])
def test_adamax_matches_hand_computed_steps(sparse):
    lr, b1, b2, eps = 0.1, 0.9, 0.99, 1e-8
    out, o, w, _ = _train(lambda gs: opt.AdaMaxOptimizer(lr, b1, b2, eps), sparse)
    var, m, u = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t in range(1, 4):
        g, rows = _grad(t - 1, sparse)
        # dense: every row; sparse: only the rows with a gradient move (TF's sparse AdaMax)
        m[rows] = b1 * m[rows] + (1 - b1) * g[rows]
        u[rows] = np.maximum(b2 * u[rows], np.abs(g[rows]))
        var[rows] -= lr / (1 - b1 ** t) * m[rows] / (u[rows] + eps)
        np.testing.assert_allclose(out[t - 1], var, rtol=1e-6)  # float32 hyperparameters
    assert sorted(o.get_slot_names()) == ["m", "v"]
    assert o.get_slot(w, "m").op.name == "w/AdaMax"
    assert o.get_slot(w, "v").op.name == "w/AdaMax_1"
    assert sorted(v.op.name for v in o.variables() if "power" in v.op.name) == [
        "beta1_power", "beta2_power"]


def test_adamax_dense_is_one_apply_ada_max_node():
    w = tf.Variable(W0, name="w")
    opt.AdaMaxOptimizer(0.1).minimize(tf.reduce_sum(w * w))
    assert [op.type for op in tf.get_default_graph().get_operations()].count("ApplyAdaMax") == 1


def _adam_ref(sparse, lazy, lr, b1, b2, eps, t_of_step):
    var, m, v, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), []
    for k in range(3):
        g, rows = _grad(k, sparse)
        t = t_of_step(k)
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        rows = rows if lazy else np.ones(3, bool)
        m[rows] = b1 * m[rows] + (1 - b1) * g[rows]
        v[rows] = b2 * v[rows] + (1 - b2) * g[rows] ** 2
        var[rows] -= lr_t * m[rows] / (np.sqrt(v[rows]) + eps)
        out.append(var.copy())
    return out


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_adam_gs_takes_beta_powers_from_the_global_step(sparse, lazy):
    lr, b1, b2, eps = 0.05, 0.8, 0.95, 1e-7
    cls = opt.LazyAdamGSOptimizer if lazy else opt.AdamGSOptimizer
    # the step starts at 5: t = global_step + 1 = 6, 7, 8
    out, o, w, steps = _train(lambda gs: cls(gs, lr, b1, b2, eps), sparse, step0=5)
    want = _adam_ref(sparse, lazy and sparse, lr, b1, b2, eps, lambda k: 6 + k)
    for got, ref in zip(out, want):
        np.testing.assert_allclose(got, ref, rtol=1e-7)
    assert steps == [6, 7, 8]
    assert o.get_slot(w, "m").op.name == "w/Adam" and o.get_slot(w, "v").op.name == "w/Adam_1"
    assert not [v for v in tf.global_variables() if "power" in v.op.name]


def test_adam_gs_default_global_step_is_step_one_forever():
    out, *_ = _train(lambda gs: opt.AdamGSOptimizer(learning_rate=0.1))
    want = _adam_ref(False, False, 0.1, 0.9, 0.999, 1e-8, lambda k: 1)
    np.testing.assert_allclose(out[-1], want[-1], rtol=1e-7)


@pytest.mark.parametrize("skip", [False, True])
def test_lars_scales_momentum_by_trust_ratio(skip):
    lr, mom, wd, eeta, eps = 0.5, 0.9, 0.01, 0.002, 1e-6
    out, o, w, _ = _train(lambda gs: opt.LARSOptimizer(
        lr, mom, wd, eeta, eps, skip_list=["w"] if skip else None))
    var, acc = W0.copy(), np.zeros_like(W0)
    for k in range(3):
        g = GRADS[k]
        wn, gn = np.linalg.norm(var), np.linalg.norm(g)
        scaled = lr if skip else lr * eeta * wn / (gn + wd * wn + eps)
        acc = mom * acc + g
        var = var - scaled * acc
        np.testing.assert_allclose(out[k], var, rtol=1e-6)  # float32 momentum
    assert o.get_slot(w, "momentum").op.name == "w/LARSOptimizer"


def test_lars_trust_ratio_is_one_for_zero_weights_and_sparse_is_momentum():
    out, *_ = _train(lambda gs: opt.LARSOptimizer(0.5, 0.0), w0=np.zeros_like(W0), steps=1)
    np.testing.assert_allclose(out[0], -0.5 * GRADS[0])
    out, *_ = _train(lambda gs: opt.LARSOptimizer(0.5, 0.9), sparse=True, steps=2)
    var, acc = W0.copy(), np.zeros_like(W0)
    for k in range(2):  # SparseApplyMomentum: only the gradient's rows, unscaled lr
        g, rows = _grad(k, True)
        acc[rows] = 0.9 * acc[rows] + g[rows]
        var[rows] -= 0.5 * acc[rows]
    np.testing.assert_allclose(out[-1], var)
    with pytest.raises(ValueError, match="momentum should be positive"):
        opt.LARSOptimizer(0.1, momentum=-1.0)
    with pytest.raises(ValueError, match="weight_decay should be positive"):
        opt.LARSOptimizer(0.1, weight_decay=-1.0)


@pytest.mark.parametrize("sparse", [False, True])
def test_reg_adagrad_avoid_updating_slots(sparse):
    lr = 0.3

    def two_updates(o, loss):
        main = o.minimize(loss)
        # After the main update, so the run's result does not depend on the schedule.
        with o.avoid_updating_slots(), tf.control_dependencies([main]):
            reg = o.minimize(0.5 * tf.reduce_sum(tf.square(tf.trainable_variables()[0])))
        assert o._should_update_slots  # restored after the block
        return tf.group(main, reg)

    out, o, w, _ = _train(lambda gs: opt.RegAdagradOptimizer(lr), sparse, steps=2,
                          minimize=two_updates)
    var, acc = W0.copy(), np.full_like(W0, 0.1)
    for k in range(2):
        # One run applies the loss's update, then the regulariser's; the accumulator sees the
        # loss's gradient only.
        g, rows = _grad(k, sparse)
        acc2 = acc.copy()
        acc2[rows] += g[rows] ** 2
        a = var.copy()
        a[rows] -= lr * g[rows] / np.sqrt(acc2[rows])
        a -= lr * a / np.sqrt(acc2)
        np.testing.assert_allclose(out[k], a, rtol=1e-6)
        var, acc = out[k], acc2
    assert o.get_slot(w, "accumulator").op.name == "w/RegAdagrad"


def _clip_rows(x, max_norm):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x * max_norm / np.maximum(n, max_norm)


@pytest.mark.parametrize("sparse", [False, True])
def test_variable_clipping_clips_rows_after_the_update(sparse):
    lr, max_norm = 0.5, 1.0
    out, o, w, steps = _train(lambda gs: opt.VariableClippingOptimizer(
        tf.train.GradientDescentOptimizer(lr), {tf.global_variables()[0]: [1]}, max_norm),
        sparse)
    var = W0.copy()
    for k in range(3):
        g, rows = _grad(k, sparse)
        var = var - lr * g
        clipped = _clip_rows(var, max_norm)
        var = np.where(rows[:, None], clipped, var)  # sparse: the updated rows, each once
        np.testing.assert_allclose(out[k], var, rtol=1e-12)
    assert steps == [1, 2, 3]  # the inner optimizer increments the global step


def test_variable_clipping_sparse_over_dim_0_clips_whole_variable():
    out, *_ = _train(lambda gs: opt.VariableClippingOptimizer(
        tf.train.GradientDescentOptimizer(0.5), {tf.global_variables()[0]: [0]}, 1.0),
        sparse=True, steps=1)
    var = W0 - 0.5 * _grad(0, True)[0]
    n = np.linalg.norm(var, axis=0, keepdims=True)
    np.testing.assert_allclose(out[0], var / np.maximum(n, 1.0))


def test_multitask_wrapper_skips_all_zero_gradients():
    w = tf.Variable([1.0, 2.0], name="w")
    u = tf.Variable([3.0, 4.0], name="u")
    cw, cu = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [2])
    mopt = opt.MultitaskOptimizerWrapper(tf.train.MomentumOptimizer(0.1, momentum=0.9))
    train = mopt.minimize(tf.reduce_sum(cw * w) + tf.reduce_sum(cu * u))
    assert mopt.get_name() == "Momentum"  # forwarded
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {cw: [1.0, 1.0], cu: [2.0, 0.0]})
        sess.run(train, {cw: [1.0, 1.0], cu: [0.0, 0.0]})  # u's gradient all zero: skipped
        w_val, u_val = sess.run([w, u])
        u_mom = sess.run(mopt.get_slot(u, "momentum"))
    # w: two momentum steps; u: one step, then nothing (momentum 0.9 would move it again)
    np.testing.assert_allclose(w_val, [1 - 0.1 - 0.1 * 1.9, 2 - 0.1 - 0.1 * 1.9], rtol=1e-6)
    np.testing.assert_allclose(u_val, [3 - 0.2, 4.0], rtol=1e-6)
    np.testing.assert_allclose(u_mom, [2.0, 0.0])
    with pytest.raises(TypeError, match="tf.train.Optimizer"):
        opt.MultitaskOptimizerWrapper("sgd")


def test_clip_gradients_by_global_norm_ignores_zero_gradients():
    a = np.array([3.0, 4.0], np.float32)
    b = np.array([[0.0, 12.0]], np.float32)
    va, vb, vz = tf.Variable(a), tf.Variable(b), tf.Variable([0.0])
    pairs = [(tf.constant(a), va), (tf.constant(b), vb), (tf.zeros([1]), vz), (None, vz)]
    clipped, norm = opt.clip_gradients_by_global_norm(pairs, clip_norm=6.5)
    with tf.Session() as sess:
        got_norm, *got = sess.run([norm] + [g for g, _ in clipped[:3]])
    assert clipped[3] == (None, vz) and [v for _, v in clipped] == [va, vb, vz, vz]
    np.testing.assert_allclose(got_norm, 13.0)
    for g, ref in zip(got, [a, b, np.zeros(1)]):
        np.testing.assert_allclose(g, ref * 6.5 / 13.0, rtol=1e-6)


@pytest.mark.parametrize("staleness,dropped", [(0, False), (-1, True)])
def test_drop_stale_gradient(staleness, dropped):
    out, o, w, steps = _train(lambda gs: opt.DropStaleGradientOptimizer(
        tf.train.GradientDescentOptimizer(0.5), staleness), steps=2)
    counter = [v for v in tf.global_variables() if v.op.name == "stale_counter"]
    with tf.Session() as sess:
        sess.run(tf.variables_initializer(counter))
    want = W0 if dropped else W0 - 0.5 * (GRADS[0] + GRADS[1])
    np.testing.assert_allclose(out[-1], want)
    assert steps == ([0, 0] if dropped else [1, 2])
    assert len(counter) == 1 and counter[0].dtype == tf.float32


def test_drop_stale_gradient_counts_drops_and_needs_a_global_step():
    w = tf.Variable(W0, name="w")
    o = opt.DropStaleGradientOptimizer(tf.train.GradientDescentOptimizer(0.5), -1)
    with pytest.raises(ValueError, match="global step"):
        o.compute_gradients(tf.reduce_sum(w))
    gs = tf.train.get_or_create_global_step()
    train = o.minimize(tf.reduce_sum(w), global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert [sess.run(train) for _ in range(3)] == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="needs global_step"):
        o.apply_gradients(o.compute_gradients(tf.reduce_sum(w)))


# -- external optimizers ------------------------------------------------------------------------


class _GradientDescent(opt.ExternalOptimizerInterface):
    """An outside minimizer in numpy: fixed-step gradient descent, no scipy needed."""

    def _minimize(self, initial_val, loss_grad_func, step_callback, optimizer_kwargs, **_):
        x = initial_val
        for _ in range(optimizer_kwargs["steps"]):
            _, g = loss_grad_func(x)
            x = x - optimizer_kwargs["lr"] * g
            step_callback(x)
        return x


def _quadratic():
    A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.5]])
    b = np.array([1.0, -2.0, 0.5])
    x = tf.Variable(np.zeros((1, 3)), name="x")  # two variables: packing and unpacking
    y = tf.Variable(np.zeros(()), name="y")
    z = tf.concat([tf.reshape(x, [-1]), [y - 1.0]], 0)  # z = (x, y - 1)
    A4 = np.eye(4)
    A4[:3, :3] = A
    loss = 0.5 * tf.reduce_sum(z * tf.linalg.matvec(tf.constant(A4), z)) - tf.reduce_sum(
        tf.constant(np.append(b, 0.0)) * z)
    return x, y, loss, np.linalg.solve(A, b)


def test_external_interface_drives_a_session_with_numpy_minimizer():
    x, y, loss, want = _quadratic()
    seen, losses = [], []
    ext = _GradientDescent(loss, steps=300, lr=0.3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        ext.minimize(sess, fetches=[loss], step_callback=seen.append,
                     loss_callback=losses.append)
        got_x, got_y = sess.run([x, y])
    np.testing.assert_allclose(got_x.ravel(), want, atol=1e-6)
    np.testing.assert_allclose(got_y, 1.0, atol=1e-6)
    assert len(seen) == 300 and len(losses) == 300 and losses[-1] < losses[0]


def test_external_interface_errors():
    x, y, loss, _ = _quadratic()
    base = opt.ExternalOptimizerInterface(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(NotImplementedError, match="_minimize"):
            base.minimize(sess)
    with pytest.raises(ValueError, match="minimize needs a session"):
        base.minimize()
    v = tf.Variable(tf.zeros([2]), validate_shape=False, name="unknown")
    if not v.shape.is_fully_defined():
        with pytest.raises(ValueError, match="known shape: unknown"):
            opt.ExternalOptimizerInterface(tf.reduce_sum(v), var_list=[v])


def test_scipy_interface_minimizes_quadratic_to_numpy_solution():
    pytest.importorskip("scipy.optimize")
    x, y, loss, want = _quadratic()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        opt.ScipyOptimizerInterface(loss, options={"maxiter": 100}).minimize(sess)
        got_x, got_y = sess.run([x, y])
    np.testing.assert_allclose(got_x.ravel(), want, atol=1e-5)
    np.testing.assert_allclose(got_y, 1.0, atol=1e-5)


def test_scipy_interface_bounds_and_constraints():
    pytest.importorskip("scipy.optimize")
    vector = tf.Variable([7.0, 7.0], name="vector")
    loss = tf.reduce_sum(tf.square(vector))
    bounded = opt.ScipyOptimizerInterface(loss, var_to_bounds={vector: ([1, 2], np.inf)})
    constrained = opt.ScipyOptimizerInterface(
        loss, equalities=[vector[1] - 1.0], inequalities=[vector[0] - 1.0], method="SLSQP")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        bounded.minimize(sess)
        np.testing.assert_allclose(sess.run(vector), [1.0, 2.0], atol=1e-5)
        sess.run(vector.initializer)
        constrained.minimize(sess)
        np.testing.assert_allclose(sess.run(vector), [1.0, 1.0], atol=1e-5)
        with pytest.raises(ValueError, match="var_to_bounds"):
            opt.ScipyOptimizerInterface(loss, bounds=[(0, 1)] * 2).minimize(sess)
        with pytest.raises(ValueError, match="'jac' is set automatically"):
            opt.ScipyOptimizerInterface(loss, jac=False).minimize(sess)


def test_scipy_interface_names_scipy_when_missing(monkeypatch):
    vector = tf.Variable([7.0, 7.0], name="vector")
    o = opt.ScipyOptimizerInterface(tf.reduce_sum(tf.square(vector)))
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(ImportError, match="needs scipy"):
            o.minimize(sess)
