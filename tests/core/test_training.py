"""Optimizers against hand-computed numpy updates; slot naming; global step."""

import numpy as np
import pytest

import minitf as tf

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]], np.float32)
Y = np.array([1.0, -2.0, 0.5], np.float32)
W0 = np.array([0.2, -0.1], np.float32)
B0 = np.float32(0.3)


def _model():
    x = tf.constant(X)
    w = tf.Variable(W0, name="w")
    b = tf.Variable(B0, name="b")
    pred = tf.reduce_sum(x * w, axis=1) + b
    loss = tf.reduce_mean(tf.square(pred - Y))
    return w, b, loss


def _grads(w, b):
    """d loss / d (w, b) for loss = mean((X w + b - Y)^2), in float64."""
    r = X.astype(np.float64) @ w + b - Y
    return 2 * X.T @ r / len(Y), 2 * r.mean()


def _run(optimizer, steps=3):
    w, b, loss = _model()
    train = optimizer.minimize(loss)
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            sess.run(train)
            out.append((sess.run(w).astype(np.float64), float(sess.run(b))))
    return out


def _check(got, want):
    for (gw, gb), (ww, wb) in zip(got, want):
        np.testing.assert_allclose(gw, ww, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(gb, wb, rtol=1e-6, atol=1e-6)


def test_gradient_descent_matches_numpy():
    lr = 0.1
    w, b, want = W0.astype(np.float64), float(B0), []
    for _ in range(3):
        gw, gb = _grads(w, b)
        w, b = w - lr * gw, b - lr * gb
        want.append((w, b))
    _check(_run(tf.train.GradientDescentOptimizer(lr)), want)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_numpy(nesterov):
    lr, mu = 0.1, 0.9
    w, b, want = W0.astype(np.float64), float(B0), []
    aw, ab = np.zeros(2), 0.0
    for _ in range(3):
        gw, gb = _grads(w, b)
        aw, ab = aw * mu + gw, ab * mu + gb
        if nesterov:
            w, b = w - (gw * lr + aw * mu * lr), b - (gb * lr + ab * mu * lr)
        else:
            w, b = w - lr * aw, b - lr * ab
        want.append((w, b))
    _check(_run(tf.train.MomentumOptimizer(lr, mu, use_nesterov=nesterov)), want)


def test_adam_matches_numpy():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    w, b, want = W0.astype(np.float64), float(B0), []
    m = [np.zeros(2), 0.0]
    v = [np.zeros(2), 0.0]
    for t in range(1, 4):
        gs = _grads(w, b)
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        params = [w, b]
        for i, g in enumerate(gs):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            params[i] = params[i] - lr_t * m[i] / (np.sqrt(v[i]) + eps)
        w, b = params
        want.append((w, b))
    _check(_run(tf.train.AdamOptimizer(lr, b1, b2, eps)), want)


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_matches_numpy(centered):
    lr, rho, mu, eps = 0.01, 0.9, 0.5, 1e-10
    w, b, want = W0.astype(np.float64), float(B0), []
    ms = [np.ones(2), 1.0]  # TF1 initialises the mean square with ones
    mg = [np.zeros(2), 0.0]
    mom = [np.zeros(2), 0.0]
    for _ in range(3):
        gs = _grads(w, b)
        params = [w, b]
        for i, g in enumerate(gs):
            ms[i] = rho * ms[i] + (1 - rho) * g * g
            denom = ms[i]
            if centered:
                mg[i] = rho * mg[i] + (1 - rho) * g
                denom = ms[i] - mg[i] ** 2
            mom[i] = mu * mom[i] + lr * g / np.sqrt(denom + eps)
            params[i] = params[i] - mom[i]
        w, b = params
        want.append((w, b))
    _check(_run(tf.train.RMSPropOptimizer(lr, rho, mu, eps, centered=centered)), want)


def test_adagrad_matches_numpy():
    lr, init = 0.1, 0.1
    w, b, want = W0.astype(np.float64), float(B0), []
    acc = [np.full(2, init), init]
    for _ in range(3):
        gs = _grads(w, b)
        params = [w, b]
        for i, g in enumerate(gs):
            acc[i] = acc[i] + g * g
            params[i] = params[i] - lr * g / np.sqrt(acc[i])
        w, b = params
        want.append((w, b))
    _check(_run(tf.train.AdagradOptimizer(lr, init)), want)


def test_adadelta_matches_numpy():
    """TF's ApplyAdadelta by hand (dense), and with an embedding's sparse gradient only the
    looked-up rows and their slots move (SparseApplyAdadelta, repeated ids summed)."""
    lr, rho, eps = 1.0, 0.9, 1e-6
    w, b, want = W0.astype(np.float64), float(B0), []
    acc = [np.zeros(2), 0.0]
    upd = [np.zeros(2), 0.0]
    for _ in range(3):
        params = [w, b]
        for i, g in enumerate(_grads(w, b)):
            acc[i] = acc[i] * rho + g * g * (1 - rho)
            step = np.sqrt(upd[i] + eps) / np.sqrt(acc[i] + eps) * g
            params[i] = params[i] - lr * step
            upd[i] = upd[i] * rho + step * step * (1 - rho)
        w, b = params
        want.append((w, b))
    _check(_run(tf.train.AdadeltaOptimizer(lr, rho, eps)), want)

    tf.reset_default_graph()
    emb = tf.Variable(np.ones((3, 2), np.float32), name="emb")
    ids = tf.placeholder(tf.int32, [None])
    opt = tf.train.AdadeltaOptimizer(lr, rho, eps)
    train = opt.minimize(tf.reduce_sum(tf.gather(emb, ids)))
    assert "SparseApplyAdadelta" in {op.type for op in tf.get_default_graph().get_operations()}
    assert [opt.get_slot(emb, n).op.name for n in opt.get_slot_names()] == [
        "emb/Adadelta", "emb/Adadelta_1"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: [0, 0]})  # row 0: gradient 2 (summed); rows 1, 2 untouched
        got = sess.run(emb)
    a = (1 - rho) * 4.0
    step = np.sqrt(eps) / np.sqrt(a + eps) * 2.0
    np.testing.assert_allclose(got, [[1 - step] * 2, [1, 1], [1, 1]], rtol=1e-5)


def test_slot_and_non_slot_names_follow_tensorflow():
    w, b, loss = _model()
    opt = tf.train.AdamOptimizer()
    opt.minimize(loss)
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == sorted(["w", "b", "beta1_power", "beta2_power", "w/Adam", "w/Adam_1",
                            "b/Adam", "b/Adam_1"])
    assert opt.get_slot(w, "m").op.name == "w/Adam" and opt.get_slot(w, "v").op.name == \
        "w/Adam_1"
    assert opt.get_slot_names() == ["m", "v"]
    assert [v.op.name for v in tf.trainable_variables()] == ["w", "b"]
    tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    tf.train.RMSPropOptimizer(0.1).minimize(loss)
    tf.train.AdagradOptimizer(0.1).minimize(loss)
    names = {v.op.name for v in tf.global_variables()}
    assert {"w/Momentum", "w/RMSProp", "w/RMSProp_1", "w/Adagrad"} <= names


def test_optimizer_variable_names_under_scopes_follow_tensorflow():
    """TF1 makes slots in a variable scope named after the variable under the current one (so
    "mom/mom/u/Adam") and Adam's beta powers in the current name scope; the list below is
    what tf.compat.v1 gives for the same graph."""
    with tf.variable_scope("mom"):
        u = tf.get_variable("u", [2])
        tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(u * u))
        tf.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(u * u))
    with tf.name_scope("ns"):
        w = tf.Variable([1.0], name="w")
        tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(w * w))
    assert [v.name for v in tf.global_variables()] == [
        "mom/u:0", "mom/beta1_power:0", "mom/beta2_power:0", "mom/mom/u/Adam:0",
        "mom/mom/u/Adam_1:0", "mom/mom/u/Momentum:0", "ns/w:0", "ns/beta1_power:0",
        "ns/beta2_power:0", "ns/w/Adam:0", "ns/w/Adam_1:0"]


def test_float64_variables_see_float32_rounded_python_hyperparameters():
    """As TF1 does: a Python float hyperparameter becomes a float32 tensor, then is cast to the
    variable's dtype; Adam's beta powers are float32 variables. With float64 variables the
    difference from exact hyperparameters is visible (about 2.5e-6 relative after 5 steps)."""
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    f = [float(np.float32(h)) for h in (lr, b1, b2, eps)]  # what TF1 computes with
    x64, y64 = X.astype(np.float64), Y.astype(np.float64)
    w, m, v = W0.astype(np.float64), np.zeros(2), np.zeros(2)
    b1p, b2p = np.float32(b1), np.float32(b2)  # float32 variables, multiplied in float32
    want = []
    for _ in range(5):
        g = 2 * x64.T @ (x64 @ w - y64) / len(Y)
        lr_t = f[0] * np.sqrt(1 - np.float64(b2p)) / (1 - np.float64(b1p))
        m = m + (g - m) * (1 - f[1])
        v = v + (g * g - v) * (1 - f[2])
        w = w - lr_t * m / (np.sqrt(v) + f[3])
        b1p, b2p = b1p * np.float32(b1), b2p * np.float32(b2)
        want.append(w)
    wv = tf.Variable(W0.astype(np.float64), name="w")
    loss = tf.reduce_mean(tf.square(tf.reduce_sum(tf.constant(x64) * wv, axis=1) - y64))
    opt = tf.train.AdamOptimizer(lr, b1, b2, eps)
    train = opt.minimize(loss)
    assert [(v.op.name, v.dtype) for v in opt.variables()] == [
        ("beta1_power", tf.float32), ("beta2_power", tf.float32), ("w/Adam", tf.float64),
        ("w/Adam_1", tf.float64)]  # sorted by name, as TF1's variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(5):
            sess.run(train)
            np.testing.assert_allclose(sess.run(wv), want[step], rtol=1e-12, atol=0)
    # The exact-hyperparameter update differs by more than that tolerance: the test can fail.
    exact = W0.astype(np.float64)
    m, v = np.zeros(2), np.zeros(2)
    g = 2 * x64.T @ (x64 @ exact - y64) / len(Y)
    m, v = (1 - b1) * g, (1 - b2) * g * g
    exact = exact - lr * np.sqrt(1 - b2) / (1 - b1) * m / (np.sqrt(v) + eps)
    assert not np.allclose(exact, want[0], rtol=1e-12, atol=0)


def test_update_ops_are_tensorflow_ops_and_a_step_is_one_run():
    w, b, loss = _model()
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert "ApplyGradientDescent" in types
    assert train.type == "AssignAdd" and train in tf.get_collection(tf.GraphKeys.TRAIN_OP)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(loss)
        for _ in range(5):
            sess.run(train)
        assert sess.run(step) == 5 and sess.run(loss) < before
        assert tf.train.global_step(sess, step) == 5


def test_global_step_helpers():
    assert tf.train.get_global_step() is None
    step = tf.train.get_or_create_global_step()
    assert step.op.name == "global_step" and step.dtype == tf.int64 and not step.trainable
    assert tf.train.get_or_create_global_step() is step and tf.train.get_global_step() is step
    with pytest.raises(ValueError, match='"global_step" already exists.'):
        tf.train.create_global_step()
    # A get_variable, as in TF1: named by the variable scope it is created in.
    graph = tf.Graph()
    with graph.as_default(), tf.variable_scope("model"):
        scoped = tf.train.get_or_create_global_step()
    assert scoped.op.name == "model/global_step" and tf.train.get_global_step(graph) is scoped
    assert graph.get_collection(tf.GraphKeys.GLOBAL_STEP) == [scoped]


def test_var_list_and_errors():
    w, b, loss = _model()
    opt = tf.train.GradientDescentOptimizer(0.5)
    train = opt.minimize(loss, var_list=[w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run(b) == pytest.approx(B0)
        assert not np.allclose(sess.run(w), W0)
    unrelated = tf.Variable(1.0, name="unrelated")
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.minimize(loss, var_list=[unrelated])
    gv = opt.compute_gradients(loss, var_list=[w, unrelated])
    assert gv[1][0] is None and gv[0][1] is w


def test_learning_rate_as_placeholder():
    w, b, loss = _model()
    lr = tf.placeholder(tf.float32, [])
    train = tf.train.GradientDescentOptimizer(lr).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {lr: 0.0})
        np.testing.assert_array_equal(sess.run(w), W0)
        sess.run(train, {lr: 0.1})
        assert not np.allclose(sess.run(w), W0)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam", "rmsprop", "centered",
                                  "adagrad"])
def test_large_variables_take_the_blocked_parallel_path(name):
    """Big variables are updated block by block, split across cores: same numbers as the
    plain formula (checked over two steps with a ragged last block)."""
    from minitf.ops import training_ops

    n = 2 * training_ops.PARALLEL_MIN + 12345
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal(n).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    opt = {"sgd": tf.train.GradientDescentOptimizer(0.1),
           "momentum": tf.train.MomentumOptimizer(0.1, 0.9),
           "nesterov": tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
           "adam": tf.train.AdamOptimizer(0.01),
           "rmsprop": tf.train.RMSPropOptimizer(0.01, momentum=0.5),
           "centered": tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
           "adagrad": tf.train.AdagradOptimizer(0.1)}[name]
    w = tf.Variable(w0)
    train = opt.apply_gradients([(tf.constant(g), w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        sess.run(train)
        got = sess.run(w).astype(np.float64)
    w, g64 = w0.astype(np.float64), g.astype(np.float64)
    s1, s2, s3 = np.zeros(n), np.zeros(n), np.zeros(n)
    if name in ("rmsprop", "centered"):
        s1 = np.ones(n)
    if name == "adagrad":
        s1 = np.full(n, 0.1)
    for t in (1, 2):
        if name == "sgd":
            w = w - 0.1 * g64
        elif name in ("momentum", "nesterov"):
            s1 = s1 * 0.9 + g64
            w = w - (g64 * 0.1 + s1 * 0.09 if name == "nesterov" else 0.1 * s1)
        elif name == "adam":
            s1 = 0.9 * s1 + 0.1 * g64
            s2 = 0.999 * s2 + 0.001 * g64 * g64
            w = w - 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * s1 / (np.sqrt(s2) + 1e-8)
        elif name in ("rmsprop", "centered"):
            s1 = 0.9 * s1 + 0.1 * g64 * g64
            denom = s1
            if name == "centered":
                s3 = 0.9 * s3 + 0.1 * g64
                denom = s1 - s3 * s3
            s2 = 0.5 * s2 + 0.01 * g64 / np.sqrt(denom + 1e-10)
            w = w - s2
        else:
            s1 = s1 + g64 * g64
            w = w - 0.1 * g64 / np.sqrt(s1)
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


# -- sparse gradients (IndexedSlices) -------------------------------------------------------------
TABLE = (np.arange(12, dtype=np.float32).reshape(4, 3) - 5) / 10


def test_gather_gradient_is_indexed_slices():
    """As TF1: a gather's gradient is the rows it read and their indices; fetched, it is an
    IndexedSlicesValue; converted, the rows added into the dense shape (numpy's add.at)."""
    params = tf.Variable(TABLE, name="emb")
    ids = tf.placeholder(tf.int32, [None])
    c = tf.placeholder(tf.float32, [None, 3])
    [g] = tf.gradients(tf.reduce_sum(tf.gather(params, ids) * c), [params])
    assert isinstance(g, tf.IndexedSlices) and g.dtype == tf.float32
    assert g.shape.as_list() == [4, 3]
    rows = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float32)
    feed = {ids: [2, 0, 2], c: rows}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        value, dense = sess.run([g, tf.convert_to_tensor(g)], feed)
    assert isinstance(value, tf.IndexedSlicesValue)
    np.testing.assert_array_equal(value.values, rows)
    np.testing.assert_array_equal(value.indices, [2, 0, 2])
    np.testing.assert_array_equal(value.dense_shape, [4, 3])
    want = np.zeros((4, 3), np.float32)
    np.add.at(want, [2, 0, 2], rows)
    np.testing.assert_array_equal(dense, want)


def test_sparse_gradients_add_up_as_in_tf1():
    """Two sparse contributions concatenate their rows (still sparse); a dense one makes the
    sum dense."""
    params = tf.Variable(TABLE)
    a = tf.reduce_sum(tf.gather(params, [0, 1]))
    b = tf.reduce_sum(tf.gather(params, [1, 3]) * 2.0)
    [g] = tf.gradients(a + b, [params])
    [h] = tf.gradients(a + tf.reduce_sum(params * 3.0), [params])
    assert isinstance(g, tf.IndexedSlices) and isinstance(h, tf.Tensor)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gv, hv = sess.run([g, h])
    assert sorted(zip(gv.indices.tolist(), gv.values[:, 0].tolist())) == [
        (0, 1.0), (1, 1.0), (1, 2.0), (3, 2.0)]
    np.testing.assert_array_equal(hv, np.array([[4], [4], [3], [3]], np.float32) *
                                  np.ones((1, 3), np.float32))


def _lazy_reference(kind, steps, lr=0.1, mu=0.9, rho=0.9, eps=1e-10):
    """TF1's sparse updates by hand: per step, repeated ids summed, then only those rows move
    (float64)."""
    var = TABLE.astype(np.float64)
    acc = np.zeros_like(var)      # Momentum's accumulator; RMSProp's mom
    ms = np.ones_like(var)        # RMSProp starts its mean square at one
    mg = np.zeros_like(var)
    ada = np.full_like(var, 0.1)  # Adagrad's initial_accumulator_value
    out = []
    for ids, rows in steps:
        grads = {}
        for i, r in zip(ids, rows):
            grads[i] = grads.get(i, 0) + r.astype(np.float64)
        for i, g in grads.items():
            if kind == "adagrad":
                ada[i] += g * g
                var[i] -= lr * g / np.sqrt(ada[i])
            elif kind.startswith("momentum"):
                acc[i] = acc[i] * mu + g
                var[i] -= lr * g + lr * mu * acc[i] if kind == "momentum_nesterov" else \
                    lr * acc[i]
            else:
                ms[i] += (g * g - ms[i]) * (1 - rho)
                denom = ms[i] + eps
                if kind == "rmsprop_centered":
                    mg[i] += (g - mg[i]) * (1 - rho)
                    denom = ms[i] - mg[i] ** 2 + eps
                acc[i] = acc[i] * mu + lr * g / np.sqrt(denom)
                var[i] -= acc[i]
        out.append(var.copy())
    return out


SPARSE_STEPS = [([0, 1, 1], np.array([[1, 2, 3], [4, 5, 6], [-1, 0, 1]], np.float32)),
                ([2], np.array([[0.5, -0.5, 2]], np.float32)),
                ([0, 3], np.array([[-2, 1, 1], [3, 3, -3]], np.float32))]


@pytest.mark.parametrize("kind", ["momentum", "momentum_nesterov", "rmsprop",
                                  "rmsprop_centered", "adagrad"])
def test_sparse_kernels_update_only_their_rows(kind):
    """Momentum, RMSProp and Adagrad with an embedding's gradient: only the rows looked up move, and
    only their slots decay (TF1's SparseApply* kernels); repeated ids are summed first."""
    emb = tf.Variable(TABLE, name="emb")
    ids = tf.placeholder(tf.int32, [None])
    c = tf.placeholder(tf.float32, [None, 3])
    loss = tf.reduce_sum(tf.gather(emb, ids) * c)
    opt = {"momentum": tf.train.MomentumOptimizer(0.1, 0.9),
           "momentum_nesterov": tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
           "rmsprop": tf.train.RMSPropOptimizer(0.1, decay=0.9, momentum=0.9),
           "rmsprop_centered": tf.train.RMSPropOptimizer(0.1, decay=0.9, momentum=0.9,
                                                         centered=True),
           "adagrad": tf.train.AdagradOptimizer(0.1)}[kind]
    train = opt.minimize(loss)
    kernels = {op.type for op in tf.get_default_graph().get_operations()}
    assert ("SparseApplyMomentum" if kind.startswith("momentum") else
            "SparseApplyCenteredRMSProp" if kind == "rmsprop_centered" else
            "SparseApplyAdagrad" if kind == "adagrad" else "SparseApplyRMSProp") in kernels
    want = _lazy_reference(kind, SPARSE_STEPS)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for (step_ids, rows), expected in zip(SPARSE_STEPS, want):
            sess.run(train, {ids: step_ids, c: rows})
            np.testing.assert_allclose(sess.run(emb), expected, rtol=1e-5, atol=1e-6)


def test_sparse_kernel_applies_a_repeated_index_again_and_checks_its_inputs():
    """Called directly (TF1's optimizers sum repeats first), a repeated index is applied once
    per occurrence, in order, as TensorFlow's kernel does; bad indices are named."""
    from minitf.errors import InvalidArgumentError
    from minitf.ops import training_ops

    var = tf.Variable(np.zeros((4, 2), np.float32))
    accum = tf.Variable(np.zeros((4, 2), np.float32))
    values = tf.constant([[1.0, 1.0], [2.0, 2.0]])
    step = training_ops.SPARSE_APPLY_MOMENTUM(var, accum, 0.5, values, tf.constant([1, 1]), 0.5)
    bad = training_ops.SPARSE_APPLY_MOMENTUM(var, accum, 0.5, values, tf.constant([1, 4]), 0.5)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        # accum: 0*.5 + 1 = 1 then 1*.5 + 2 = 2.5; var: -0.5*1 then -0.5*2.5 -> -1.75
        np.testing.assert_allclose(sess.run(accum)[1], [2.5, 2.5])
        np.testing.assert_allclose(sess.run(var), [[0, 0], [-1.75, -1.75], [0, 0], [0, 0]])
        with pytest.raises(InvalidArgumentError, match=r"index 4 at offset 1 in indices is out "
                           r"of range \[0, 4\)"):
            sess.run(bad)


def test_clipping_keeps_sparse_gradients_sparse():
    """clip_by_global_norm and clip_by_norm scale an IndexedSlices' values (norm over the
    values, a repeated index counted each time, as TF1) and keep it sparse."""
    emb = tf.Variable(TABLE)
    w = tf.Variable(np.float32(2.0))
    loss = tf.reduce_sum(tf.gather(emb, [1, 1, 2])) + w * w
    grads = tf.gradients(loss, [emb, w])
    clipped, norm = tf.clip_by_global_norm(grads, 1.0)
    by_norm = tf.clip_by_norm(grads[0], 1.0)
    assert isinstance(clipped[0], tf.IndexedSlices) and isinstance(by_norm, tf.IndexedSlices)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        c0, c1, n, bn = sess.run([clipped[0], clipped[1], norm, by_norm])
    want_norm = np.sqrt(9 * 1.0 + 4.0 ** 2)  # three rows of ones (3 values each) and dw = 4
    np.testing.assert_allclose(n, want_norm, rtol=1e-6)
    np.testing.assert_allclose(c0.values, np.ones((3, 3)) / want_norm, rtol=1e-6)
    np.testing.assert_array_equal(c0.indices, [1, 1, 2])
    np.testing.assert_allclose(c1, 4.0 / want_norm, rtol=1e-6)
    np.testing.assert_allclose(bn.values, np.ones((3, 3)) / 3.0, rtol=1e-6)  # its norm is 3


def test_sparse_updates_match_tensorflow():
    """The same embedding training in tf.compat.v1, where TensorFlow is installed."""
    # Graphs of their own: no global disable_eager_execution, which later tests would feel.
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def run(T, make):
        graph = T.Graph()
        with graph.as_default():
            emb = T.Variable(TABLE, name="emb")
            ids = T.placeholder(T.int32, [None])
            c = T.placeholder(T.float32, [None, 3])
            opt = make(T)
            train = opt.minimize(T.reduce_sum(T.gather(emb, ids) * c))
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                for step_ids, rows in SPARSE_STEPS:
                    sess.run(train, {ids: step_ids, c: rows})
                return sess.run(emb), {n: sess.run(opt.get_slot(emb, n))
                                       for n in opt.get_slot_names()}

    for make in (lambda T: T.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
                 lambda T: T.train.RMSPropOptimizer(0.1, momentum=0.9, centered=True),
                 lambda T: T.train.AdadeltaOptimizer(1.0, rho=0.9, epsilon=1e-6),
                 lambda T: T.train.AdagradOptimizer(0.1), lambda T: T.train.AdamOptimizer(0.1)):
        ours, theirs = run(tf, make), run(tf1, make)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
        assert sorted(ours[1]) == sorted(theirs[1])
        for name in ours[1]:
            np.testing.assert_allclose(ours[1][name], theirs[1][name], rtol=1e-5, atol=1e-6)


# -- learning-rate schedules ----------------------------------------------------------------------
STEPS = [0, 1, 7, 10, 13, 20, 25, 40]


def _schedule_reference(kind, step):
    """TF1's formulas (training/learning_rate_decay.py), by hand in float64."""
    lr, steps, rate = 0.5, 10.0, 0.3
    p = step / steps
    if kind == "exponential":
        return lr * rate ** p
    if kind == "exponential_staircase":
        return lr * rate ** np.floor(p)
    if kind == "natural_exp":
        return lr * np.exp(-rate * p)
    if kind == "natural_exp_staircase":
        return lr * np.exp(-rate * np.floor(p))
    if kind == "inverse_time":
        return lr / (1 + rate * p)
    if kind == "inverse_time_staircase":
        return lr / (1 + rate * np.floor(p))
    if kind == "polynomial":
        s = min(step, steps)
        return (lr - 0.01) * (1 - s / steps) ** 2.0 + 0.01
    if kind == "polynomial_cycle":
        span = steps * (1 if step == 0 else np.ceil(step / steps))
        return (lr - 0.01) * (1 - step / span) ** 2.0 + 0.01
    if kind == "cosine":
        s = min(step, steps)
        return lr * ((1 - 0.1) * 0.5 * (1 + np.cos(np.pi * s / steps)) + 0.1)
    if kind == "piecewise":
        return 1.0 if step <= 7 else 0.5 if step <= 20 else 0.1
    raise AssertionError(kind)


def _schedule(T, kind, step):
    train = T.train
    decay = {
        "exponential": lambda: train.exponential_decay(0.5, step, 10, 0.3),
        "exponential_staircase": lambda: train.exponential_decay(0.5, step, 10, 0.3, True),
        "natural_exp": lambda: train.natural_exp_decay(0.5, step, 10, 0.3),
        "natural_exp_staircase": lambda: train.natural_exp_decay(0.5, step, 10, 0.3, True),
        "inverse_time": lambda: train.inverse_time_decay(0.5, step, 10, 0.3),
        "inverse_time_staircase": lambda: train.inverse_time_decay(0.5, step, 10, 0.3, True),
        "polynomial": lambda: train.polynomial_decay(0.5, step, 10, 0.01, power=2.0),
        "polynomial_cycle": lambda: train.polynomial_decay(0.5, step, 10, 0.01, power=2.0,
                                                           cycle=True),
        "cosine": lambda: train.cosine_decay(0.5, step, 10, alpha=0.1),
        "piecewise": lambda: train.piecewise_constant(step, [7, 20], [1.0, 0.5, 0.1]),
    }
    return decay[kind]()


SCHEDULES = ["exponential", "exponential_staircase", "natural_exp", "natural_exp_staircase",
             "inverse_time", "inverse_time_staircase", "polynomial", "polynomial_cycle",
             "cosine", "piecewise"]


@pytest.mark.parametrize("kind", SCHEDULES)
def test_learning_rate_schedules_follow_tf1_formulas(kind):
    step = tf.train.get_or_create_global_step()
    rate = _schedule(tf, kind, step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = [sess.run(rate, {step: s}) for s in STEPS]  # the step variable's value fed
    np.testing.assert_allclose(got, [_schedule_reference(kind, s) for s in STEPS],
                               rtol=1e-6, atol=1e-7)


def test_learning_rate_schedules_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for kind in SCHEDULES:
        values = []
        for T in (tf, tf1):
            graph = T.Graph()
            with graph.as_default():
                step = T.placeholder(T.int64, [])
                rate = _schedule(T, kind, step)
                with T.Session() as sess:
                    values.append([sess.run(rate, {step: s}) for s in STEPS])
        np.testing.assert_allclose(values[0], values[1], rtol=1e-6, err_msg=kind)


def test_piecewise_constant_checks_its_lists():
    with pytest.raises(ValueError, match="1 less than the length of values"):
        tf.train.piecewise_constant(tf.constant(3), [1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="same dtype"):
        tf.train.piecewise_constant(tf.constant(3), [1], [0.1, 2])


def test_piecewise_constant_boundaries_take_x_dtype_only_from_int32_to_int64():
    # TF's rule: an int64 boundary cast to an int32 step would wrap (3e9 -> negative) and
    # give 0.1 from step 0; a float step with int boundaries would compare other values.
    step32 = tf.placeholder(tf.int32, [])
    with pytest.raises(ValueError, match=r"Boundaries \(<dtype: 'int64'>\) must have the same "
                                         r"dtype as x \(<dtype: 'int32'>\)"):
        tf.train.piecewise_constant(step32, [np.int64(3_000_000_000)], [1.0, 0.1])
    with pytest.raises(ValueError, match="must have the same dtype as x"):
        tf.train.piecewise_constant(tf.placeholder(tf.float32, []), [10, 20], [1.0, 0.5, 0.1])
    step64 = tf.placeholder(tf.int64, [])
    lr = tf.train.piecewise_constant(step64, [10, 20], [1.0, 0.5, 0.1])  # int32 -> int64
    with tf.Session() as sess:
        assert [sess.run(lr, {step64: k}) for k in (10, 11, 21)] == pytest.approx([1.0, 0.5, 0.1])


# -- moving averages ------------------------------------------------------------------------------
def test_exponential_moving_average_follows_tf1_formula(tmp_path):
    """shadow -= (1 - decay) * (shadow - value) after each update, from the variable's initial
    value; with num_updates the decay is min(decay, (1 + n) / (10 + n)). A Saver built from
    variables_to_restore loads the averages into the variables (TF1's evaluation idiom)."""
    w = tf.Variable(np.float32(1.0), name="w")
    b = tf.Variable(np.array([2.0, -1.0], np.float32), name="b")
    n = tf.placeholder(tf.int32, [])
    moves = [tf.assign_add(w, 1.0), tf.assign(b, b * 2.0)]
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=n)
    with tf.control_dependencies(moves):
        update = ema.apply([w, b])
    assert ema.average(w).op.name == "w/ExponentialMovingAverage"
    assert ema.average_name(b) == "b/ExponentialMovingAverage"
    assert set(tf.moving_average_variables()) == {w, b}
    assert ema.average(w) in tf.global_variables() and ema.average(w) not in \
        tf.trainable_variables()
    ref_w, ref_b, shadow_w, shadow_b = 1.0, np.array([2.0, -1.0]), 1.0, np.array([2.0, -1.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in (0, 5, 100):
            sess.run(update, {n: step})
            decay = min(0.9, (1 + step) / (10 + step))
            ref_w, ref_b = ref_w + 1.0, ref_b * 2.0
            shadow_w -= (1 - decay) * (shadow_w - ref_w)
            shadow_b = shadow_b - (1 - decay) * (shadow_b - ref_b)
            got = sess.run([ema.average(w), ema.average(b)])
            np.testing.assert_allclose(got[0], shadow_w, rtol=1e-6)
            np.testing.assert_allclose(got[1], shadow_b, rtol=1e-6)
        path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    restore = tf.train.Saver(ema.variables_to_restore())
    with tf.Session() as sess:
        restore.restore(sess, path)
        np.testing.assert_allclose(sess.run(w), shadow_w, rtol=1e-6)
        np.testing.assert_allclose(sess.run(b), shadow_b, rtol=1e-6)
    with pytest.raises(ValueError, match="already computed"):
        ema.apply([w])
    with pytest.raises(TypeError, match="half, float, or double"):
        ema.apply([tf.Variable(1, name="count")])


def test_sparse_gradients_survive_clip_identity_cast_and_sharded_lookups():
    """As TF1: clip_by_value, identity and cast of an IndexedSlices act on its rows (clipped
    before repeats add up), Cast's gradient stays sparse, and a lookup over sharded tables
    gives each shard a sparse gradient of its own rows."""
    emb = tf.Variable(np.ones((4, 3), np.float32), name="emb")
    ids = tf.constant([2, 2, 0])
    loss = tf.reduce_sum(tf.gather(emb, ids) * tf.constant([[3.0], [3.0], [0.5]]))
    (g,) = tf.gradients(loss, [emb])
    clipped = tf.clip_by_value(tf.identity(g), -1.0, 1.0)
    assert isinstance(clipped, tf.IndexedSlices) and isinstance(tf.cast(g, tf.float64),
                                                                 tf.IndexedSlices)
    half = tf.Variable(np.ones((4, 3), np.float64), name="half")
    (gc,) = tf.gradients(tf.reduce_sum(tf.gather(tf.cast(half, tf.float32), [1])), [half])
    assert isinstance(gc, tf.IndexedSlices) and gc.dtype == tf.float64
    shards = [tf.Variable(np.ones((2, 3), np.float32), name=f"shard{i}") for i in range(2)]
    looked = tf.nn.embedding_lookup(shards, tf.constant([0, 3]), partition_strategy="div")
    shard_grads = tf.gradients(tf.reduce_sum(looked), shards)
    assert all(isinstance(s, tf.IndexedSlices) for s in shard_grads)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        c, s0, s1 = sess.run([tf.convert_to_tensor(clipped)] +
                             [tf.convert_to_tensor(s) for s in shard_grads])
    # row 2: two rows of 3 each clipped to 1, then added: 2 (clipping the sum would give 1)
    np.testing.assert_allclose(c, [[0.5] * 3, [0] * 3, [2] * 3, [0] * 3])
    np.testing.assert_array_equal(s0, [[1] * 3, [0] * 3])  # id 0: shard 0, row 0
    np.testing.assert_array_equal(s1, [[0] * 3, [1] * 3])  # id 3: shard 1, row 1
    # Momentum on a sharded table moves only the rows looked up (TF1's lazy update).
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(looked))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        sess.run(train)
        np.testing.assert_allclose(sess.run(shards[0]), [[1 - 0.1 - 0.19] * 3, [1] * 3])


def test_hand_built_indexed_slices_without_dense_shape_apply():
    w = tf.Variable(np.zeros((4, 3), np.float32))
    grad = tf.IndexedSlices(tf.ones([1, 3]), tf.constant([2]))  # no dense_shape
    step = tf.train.GradientDescentOptimizer(0.1).apply_gradients([(grad, w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        np.testing.assert_allclose(sess.run(w), [[0] * 3, [0] * 3, [-0.1] * 3, [0] * 3])


def test_converting_a_sparse_gradient_twice_makes_one_dense_tensor():
    p = tf.Variable(np.ones((4, 3), np.float32))
    (g,) = tf.gradients(tf.reduce_sum(tf.gather(p, [1])), [p])
    ops_before = len(tf.get_default_graph().get_operations())
    a = tf.add(g, 1.0)
    b = tf.multiply(g, 2.0)
    assert a.op.inputs[0] is b.op.inputs[0]  # the same dense tensor
    made = tf.get_default_graph().get_operations()[ops_before:]
    assert sum(op.type == "UnsortedSegmentSum" for op in made) == 1


def test_hessians_match_hand_computed_second_derivatives():
    """sum(x**3) + x'Ax has Hessian diag(6x) + A + A'; for a matrix x the result is shaped
    x.shape + x.shape; an x the ys do not depend on is a ValueError, as in TF1."""
    a = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 1.0], [0.5, 1.0, 4.0]], np.float32)
    xv = np.array([1.0, -2.0, 3.0], np.float32)
    x = tf.placeholder(tf.float32, [3])
    unused = tf.placeholder(tf.float32, [2])
    y = tf.reduce_sum(x ** 3) + tf.reduce_sum(x * tf.matmul(a, tf.reshape(x, [3, 1]))[:, 0])
    (h,) = tf.hessians(y, [x])
    with pytest.raises(ValueError, match="None values not supported"):
        tf.hessians(y, [x, unused])
    m = tf.placeholder(tf.float32, [2, 2])
    (hm,) = tf.hessians(tf.reduce_prod(m), m)
    assert h.shape.as_list() == [3, 3] and hm.shape.as_list() == [2, 2, 2, 2]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(h, {x: xv}), np.diag(6 * xv) + a + a.T, rtol=1e-6)
        mv = np.array([[2.0, 3.0], [5.0, 7.0]], np.float32)
        got = sess.run(hm, {m: mv})
    flat = mv.reshape(-1)
    want = np.zeros((4, 4), np.float32)
    for i in range(4):
        for j in range(4):
            if i != j:  # d2/dxi dxj of a product: the product of the other two elements
                want[i, j] = np.prod(np.delete(flat, [i, j]))
    np.testing.assert_allclose(got, want.reshape(2, 2, 2, 2), rtol=1e-6)
    # a shape known only when run: TF's loop over tf.size(x); d2/dx2 of sum(x^3) is diag(6x)
    free = tf.placeholder(tf.float32, [None])
    with tf.Session() as sess:
        got = sess.run(tf.hessians(tf.reduce_sum(free ** 3), free)[0], {free: [1.0, 2.0]})
    np.testing.assert_allclose(got, [[6.0, 0.0], [0.0, 12.0]], rtol=1e-6)


def _two_layer_step(T, gate, x_variable=False):
    """A two-matmul model's GradientDescent step with ``gate_gradients=gate``; returns the
    graph and its tuple ops as {name: (type, sorted control input names)}."""
    graph = T.Graph()
    with graph.as_default():
        ones = np.ones((2, 3), np.float32)
        x = T.Variable(ones, name="X") if x_variable else T.constant(ones)
        w1 = T.Variable(np.full((3, 4), 0.5, np.float32), name="W1")
        w2 = T.Variable(np.full((4, 1), 0.25, np.float32), name="W2")
        loss = T.reduce_sum(T.matmul(T.matmul(x, w1), w2))
        T.train.GradientDescentOptimizer(0.1).minimize(loss, gate_gradients=gate)
    tuples = {op.name: (op.type, sorted(c.name for c in op.control_inputs))
              for op in graph.get_operations() if "tuple/" in op.name}
    return graph, tuples


def _ancestors(op):
    seen, stack = set(), [op]  # control inputs included
    while stack:
        child = stack.pop()
        for parent in [t.op for t in child.inputs] + list(child.control_inputs):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def test_gate_gradients_gate_each_ops_gradients_as_tf1():
    """GATE_OP (the default): both gradients of a MatMul pass one gate, so the update of W2
    cannot run before the gradient that still reads W2 (TF1's ``tuple`` ops and names)."""
    graph, tuples = _two_layer_step(tf, tf.train.Optimizer.GATE_OP)
    scope = "gradients/MatMul_1_grad/"
    assert tuples[scope + "tuple/group_deps"] == ("NoOp", [scope + "MatMul", scope + "MatMul_1"])
    for name in ("control_dependency", "control_dependency_1"):
        assert tuples[scope + "tuple/" + name] == ("Identity", [scope + "tuple/group_deps"])
    update = graph.get_operation_by_name("GradientDescent/update_W2/ApplyGradientDescent")
    assert update.inputs[2].name == scope + "tuple/control_dependency_1:0"
    assert graph.get_operation_by_name(scope + "MatMul") in _ancestors(update)  # dy W2^T
    # The constant's gradient is used by nothing: TF1 gates (so computes) it, minitf not.
    assert not any(name.startswith("gradients/MatMul_grad/") for name in tuples)
    with tf.Session(graph=graph) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(graph.get_operation_by_name("GradientDescent"))
        # dL/dW2 = (x W1)^T 1 = 2 * 1.5 per row, dL/dW1 = x^T 1 W2^T = 2 * 0.25 (the old W2)
        np.testing.assert_allclose(sess.run("W2:0"), np.full((4, 1), 0.25 - 0.3), rtol=1e-6)
        np.testing.assert_allclose(sess.run("W1:0"), np.full((3, 4), 0.45), rtol=1e-6)

    _, none = _two_layer_step(tf, tf.train.Optimizer.GATE_NONE)
    assert none == {}
    _, whole = _two_layer_step(tf, tf.train.Optimizer.GATE_GRAPH)  # one gate for all of them
    assert whole["tuple/group_deps"] == ("NoOp", ["gradients/MatMul_1_grad/MatMul_1",
                                                  "gradients/MatMul_grad/MatMul_1"])
    with pytest.raises(ValueError, match="gate_gradients must be one of"):
        _two_layer_step(tf, 3)


def test_gate_gradients_build_the_graph_tensorflow_builds():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for gate in (0, 1, 2):
        ours, theirs = (_two_layer_step(T, gate, x_variable=True)[1] for T in (tf, tf1))
        assert ours == theirs, gate
        assert gate != 1 or "gradients/MatMul_grad/tuple/group_deps" in ours
    # With a constant input, TF1 gates the gradient nobody uses as well
    ours, theirs = (_two_layer_step(T, 1)[1] for T in (tf, tf1))
    assert {n: v for n, v in theirs.items() if not n.startswith("gradients/MatMul_grad/")} == ours


def test_tuple_takes_tf1s_positional_name_and_gates_operations():
    a, b = tf.constant(1.0), tf.constant(2.0)
    op = tf.no_op(name="side")
    x, y, z = tf.tuple([a, b, op], "pair")
    assert (x.op.name, y.op.name) == ("pair/control_dependency", "pair/control_dependency_1")
    gate = x.op.control_inputs[0]
    assert z.type == "NoOp" and set(z.control_inputs) == {gate, op}  # the op, behind the gate
    assert {o.name for o in gate.control_inputs} == {a.op.name, b.op.name, "side"}
    with tf.Session() as sess:
        assert sess.run([x, y, z]) == [1.0, 2.0, None]


def _ema_added_after_training(lib):
    """A variable trained (assigned) first; an EMA added afterwards and only its new
    variables initialized: the shadow starts where the variable is (TF1's
    initialized_value), not at its initial value."""
    with lib.Graph().as_default():
        v = lib.Variable([1.0, 2.0])
        with lib.Session() as sess:
            sess.run(v.initializer)
            sess.run(v.assign([5.0, 6.0]))
            ema = lib.train.ExponentialMovingAverage(0.5)
            update = ema.apply([v])
            shadow = ema.average(v)
            sess.run(shadow.initializer)
            first = sess.run(shadow)
            sess.run(update)
            return first.tolist(), sess.run(shadow).tolist()


def test_ema_added_after_training_starts_at_the_variables_value():
    assert _ema_added_after_training(tf) == ([5.0, 6.0], [5.0, 6.0])


def test_ema_added_after_training_side_by_side():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert _ema_added_after_training(tf1) == _ema_added_after_training(tf)
