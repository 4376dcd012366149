"""tf.train optimizer behaviours a probe found different from TF 1.x: var_list flattened as
nest.flatten does, Tensors in var_list, sparse updates with an index out of range, global_norm
of only Nones, slots made through the variable-scope machinery (reuse, custom getters,
regularizers) and SparseApplyFtrl's input checks.

Expected values are hand-computed or TF's messages as TensorFlow 2.21 (tf.compat.v1, graph mode,
ref variables) prints them; the last test runs the same scripts under TensorFlow in a
subprocess when it is installed.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitf as tf
from minitf.ops import ftrl_ops


def _run(fetch, init=True):
    with tf.Session() as sess:
        if init:
            sess.run(tf.global_variables_initializer())
        return sess.run(fetch)


# -- 1. var_list is nest.flatten-ed ---------------------------------------------------------------
def test_var_list_is_flattened_one_variable_a_dict_and_nested_lists():
    a = tf.Variable([1.0, 2.0], name="a")
    b = tf.Variable(3.0, name="b")
    loss = tf.reduce_sum(a * a) * b  # d/da = 2ab = [6, 12], d/db = sum(a^2) = 5
    opt = tf.train.GradientDescentOptimizer(0.1)
    (pair,) = opt.compute_gradients(loss, var_list=a)
    assert pair[1] is a
    by_dict = opt.compute_gradients(loss, var_list={"w": a, "s": b})
    assert [v for _, v in by_dict] == [b, a]  # a dict flattens by sorted key: s, w
    nested = opt.compute_gradients(loss, var_list=[[a], [b]])
    assert [v for _, v in nested] == [a, b]
    got = _run([pair[0], by_dict[0][0], by_dict[1][0], nested[1][0]])
    np.testing.assert_allclose(got[0], [6.0, 12.0])
    np.testing.assert_allclose(got[1], 5.0)
    np.testing.assert_allclose(got[2], [6.0, 12.0])
    np.testing.assert_allclose(got[3], 5.0)
    train = opt.minimize(loss, var_list={"w": a, "s": b})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        a1, b1 = sess.run([a, b])
    np.testing.assert_allclose(a1, [1.0 - 0.6, 2.0 - 1.2], rtol=1e-6)
    np.testing.assert_allclose(b1, 3.0 - 0.5, rtol=1e-6)


def test_var_list_set_or_generator_fails_as_tf1_reading_op():
    a = tf.Variable([1.0, 2.0])
    loss = tf.reduce_sum(a * a)
    opt = tf.train.AdamOptimizer(0.1)
    with pytest.raises(AttributeError, match="'set' object has no attribute 'op'"):
        opt.compute_gradients(loss, var_list={a})
    with pytest.raises(AttributeError, match="'generator' object has no attribute 'op'"):
        opt.compute_gradients(loss, var_list=(v for v in [a]))
    with pytest.raises(ValueError, match="No variables to optimize"):
        opt.compute_gradients(loss, var_list=[])


# -- 3. Tensors in var_list -----------------------------------------------------------------------
def test_gradient_with_respect_to_a_tensor_in_var_list():
    w = tf.Variable([1.0, 2.0])
    h = w * 3.0
    loss = tf.reduce_sum(h * h)
    opt = tf.train.GradientDescentOptimizer(0.1)
    (gh, vh), (gw, vw) = opt.compute_gradients(loss, var_list=[h, w])
    assert vh is h and vw is w
    got_h, got_w = _run([gh, gw])
    np.testing.assert_allclose(got_h, [6.0, 12.0])   # 2h
    np.testing.assert_allclose(got_w, [18.0, 36.0])  # 2h * 3


def test_applying_a_gradient_to_a_tensor_is_not_implemented():
    w = tf.Variable([1.0, 2.0])
    h = w * 3.0
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(NotImplementedError) as info:
        opt.apply_gradients([(tf.ones([2]), h)])
    assert info.value.args == ("Trying to update a Tensor ", h)
    with pytest.raises(NotImplementedError):
        opt.minimize(tf.reduce_sum(h * h), var_list=[h, w])
    # A Tensor without a gradient is skipped, as TF1 skips every None gradient.
    step = opt.apply_gradients([(None, h), (tf.ones([2]), w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        np.testing.assert_allclose(sess.run(w), [0.9, 1.9], rtol=1e-6)


# -- 2. a sparse gradient densified for the update checks its indices ------------------------------
def _adam_sparse(indices, values, steps=1):
    w0 = np.arange(8, dtype=np.float32).reshape(4, 2)
    w = tf.Variable(w0)
    grad = tf.IndexedSlices(tf.constant(values, tf.float32), tf.constant(indices),
                            tf.constant([4, 2]))
    train = tf.train.AdamOptimizer(0.1).apply_gradients([(grad, w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        try:
            for _ in range(steps):
                sess.run(train)
            return None, sess.run(w)
        except tf.errors.InvalidArgumentError as e:
            return str(e), sess.run(w)


@pytest.mark.parametrize("indices, message", [
    ([-1, 1], "indices[0] = -1 is not in [0, 4)"),
    ([1, 5], "indices[1] = 5 is not in [0, 4)"),
    # TF1 checks the deduplicated indices (1, -1): the position is among those.
    ([1, 1, -1], "indices[1] = -1 is not in [0, 4)"),
])
def test_adam_sparse_index_out_of_range_fails_and_leaves_the_variable(indices, message):
    err, w = _adam_sparse(indices, np.ones((len(indices), 2)))
    assert err is not None and message in err
    np.testing.assert_array_equal(w, np.arange(8, dtype=np.float32).reshape(4, 2))


def test_adam_sparse_update_still_matches_numpy():
    """Rows 3 (twice, summed) and 0 move; rows 1 and 2 get a zero gradient (dense Adam)."""
    values = np.array([[1.0, -2.0], [0.5, 0.5], [3.0, 1.0]])
    err, got = _adam_sparse([3, 3, 0], values, steps=2)
    assert err is None
    g = np.zeros((4, 2))
    np.add.at(g, [3, 3, 0], values)
    w = np.arange(8, dtype=np.float64).reshape(4, 2)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in (1, 2):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        lr = 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        w = w - lr * m / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


# -- 4. global_norm of only Nones -----------------------------------------------------------------
def test_global_norm_of_only_nones_is_zero():
    norm = tf.global_norm([None])
    assert norm.dtype == tf.float32 and norm.name == "global_norm/global_norm:0"
    assert _run(norm, init=False) == 0.0
    clipped, norm2 = tf.clip_by_global_norm([None, None], 1.0)
    assert clipped == [None, None]
    assert _run(norm2, init=False) == 0.0


# -- 5. slots made by get_variable in a variable scope of their own --------------------------------
def test_minimize_under_reuse_true_has_no_slot_to_reuse():
    with tf.variable_scope("m"):
        w = tf.get_variable("w", initializer=[1.0, 2.0])
    with tf.variable_scope("m", reuse=True):
        w2 = tf.get_variable("w")
        assert w2 is w
        with pytest.raises(ValueError, match=r"^Variable m/m/w/Adam/ does not exist, or was not "
                           r"created with tf.get_variable\(\)\. Did you mean to set "
                           r"reuse=tf.AUTO_REUSE in VarScope\?"):
            tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(w2 * w2))


def test_slots_pass_through_the_scope_custom_getter_and_regularizer():
    seen = []

    def getter(getter, name, *args, **kwargs):
        seen.append(name)
        return getter(name, *args, **kwargs)

    with tf.variable_scope("m", custom_getter=getter, regularizer=tf.reduce_sum):
        w = tf.get_variable("w", initializer=[1.0, 2.0])
        tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(w * w))
        tf.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(w * w))
    assert seen == ["m/w", "m/m/w/Adam/", "m/m/w/Adam_1/", "m/m/w/Momentum/"]
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert [t.name for t in losses] == [
        "m/w/Regularizer/Sum:0", "m/m/w/Adam//Regularizer/Sum:0",
        "m/m/w/Adam_1//Regularizer/Sum:0", "m/m/w/Momentum//Regularizer/Sum:0"]
    assert [v.name for v in tf.global_variables()] == [
        "m/w:0", "m/beta1_power:0", "m/beta2_power:0", "m/m/w/Adam:0", "m/m/w/Adam_1:0",
        "m/m/w/Momentum:0"]


def test_slot_names_and_values_at_the_root_scope_unchanged():
    w = tf.Variable([1.0, 2.0], name="w")
    opt = tf.train.AdamOptimizer(0.1)
    opt.minimize(tf.reduce_sum(w * w))
    tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(w * w))
    assert [v.op.name for v in tf.global_variables()] == [
        "w", "beta1_power", "beta2_power", "w/Adam", "w/Adam_1", "beta1_power_1",
        "beta2_power_1", "w/Adam_2", "w/Adam_3"]
    assert not opt.get_slot(w, "m").trainable
    np.testing.assert_array_equal(_run(opt.get_slot(w, "v")), [0.0, 0.0])


def test_slots_of_a_partitioned_variable_are_not_partitioned_again():
    with tf.variable_scope("p", partitioner=tf.fixed_size_partitioner(2)):
        w = tf.get_variable("w", [4, 2], initializer=tf.ones_initializer())
        opt = tf.train.AdagradOptimizer(0.1)
        opt.minimize(tf.reduce_sum(tf.convert_to_tensor(w)))
    parts = list(w)
    slots = [opt.get_slot(p, "accumulator") for p in parts]
    assert [s.op.name for s in slots] == ["p/p/w/part_0/Adagrad", "p/p/w/part_1/Adagrad"]
    assert [s.shape.as_list() for s in slots] == [[2, 2], [2, 2]]


# -- 6. SparseApplyFtrl checks its hyperparameters ------------------------------------------------
LR_MSG = "lr is not a positive scalar (or zero if multiply_linear_by_lr is set): []"
L1_MSG = "l1 regularization strength is not a non-negative scalar: []"
L2_MSG = "l2 regularization strength is not a non-negative scalar: []"
SHRINK_MSG = "l2 shrinkage regularization strength is not a non-negative scalar: []"
POWER_MSG = "lr_power is not a non-positive scalar: []"


def test_ftrl_negative_beta_on_a_sparse_gradient_fails_in_the_kernel():
    w = tf.Variable([[1.0, -2.0], [0.0, 0.5]])
    x = tf.gather(w, [1, 1])
    train = tf.train.FtrlOptimizer(0.1, beta=-1.0).minimize(
        tf.reduce_sum(x * x * tf.constant([1.0, 0.0])))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(train)
        assert info.value.message.splitlines()[0] == L2_MSG
        np.testing.assert_array_equal(sess.run(w), [[1.0, -2.0], [0.0, 0.5]])


def _ftrl(op, dtype=np.float32, lr=0.1, l1=0.0, l2=0.0, shrink=0.0, power=-0.5, indices=(1,),
          by_lr=False):
    var = tf.Variable(np.ones((2, 2), dtype))
    accum = tf.Variable(np.full((2, 2), 0.1, dtype))
    linear = tf.Variable(np.zeros((2, 2), dtype))
    c = lambda x: tf.constant(x, dtype)  # noqa: E731
    sparse = op.type.startswith("Sparse")
    grad = tf.constant(np.ones((len(indices), 2) if sparse else (2, 2), dtype))
    args = [grad] + ([tf.constant(list(indices), tf.int32)] if sparse else [])
    scalars = [c(lr), c(l1), c(l2)] + ([c(shrink)] if op.type.endswith("V2") else []) + [c(power)]
    step = op(var, accum, linear, *args, *scalars, multiply_linear_by_lr=by_lr)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        try:
            sess.run(step)
        except tf.errors.InvalidArgumentError as e:
            return e.message.splitlines()[0], sess.run(var)
        return None, sess.run(var)


@pytest.mark.parametrize("op", [ftrl_ops.SPARSE_APPLY_FTRL, ftrl_ops.SPARSE_APPLY_FTRL_V2])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kwargs, message", [
    (dict(l2=-1.0), L2_MSG), (dict(l2=np.nan), L2_MSG), (dict(l1=-1.0), L1_MSG),
    (dict(lr=0.0), LR_MSG), (dict(lr=-0.1), LR_MSG), (dict(power=0.5), POWER_MSG),
    (dict(shrink=-1.0), SHRINK_MSG),
    # the first failing check wins: lr, l1, l2, shrinkage, lr_power
    (dict(lr=-1.0, l1=-1.0, l2=-1.0, shrink=-1.0, power=1.0), LR_MSG),
    (dict(l2=-1.0, indices=(5,)), L2_MSG),  # before the indices are looked at
    (dict(l2=-1.0, indices=()), L2_MSG),    # even with nothing to update
    (dict(lr=0.0, by_lr=True), None),       # zero lr allowed with multiply_linear_by_lr
])
def test_sparse_apply_ftrl_input_checks(op, dtype, kwargs, message):
    if op is ftrl_ops.SPARSE_APPLY_FTRL and "shrink" in kwargs and len(kwargs) == 1:
        message = None  # V1 has no shrinkage input
    err, var = _ftrl(op, dtype, **kwargs)
    if message is None:
        assert err is None
    else:
        assert err == message
        np.testing.assert_array_equal(var, np.ones((2, 2)))


@pytest.mark.parametrize("op", [ftrl_ops.APPLY_FTRL, ftrl_ops.APPLY_FTRL_V2])
def test_dense_apply_ftrl_makes_no_such_checks(op):
    """TF's dense kernels accept a negative l2: accum 0.1 -> 1.1, linear = 1 - (sqrt(1.1) -
    sqrt(0.1)) / 0.1, var = -linear / (sqrt(1.1) / 0.1 + 2 * l2)."""
    err, var = _ftrl(op, np.float64, l2=-1.0)
    assert err is None
    linear = 1 - (np.sqrt(1.1) - np.sqrt(0.1)) / 0.1
    np.testing.assert_allclose(var, np.full((2, 2), -linear / (np.sqrt(1.1) / 0.1 - 2.0)))


# -- the same scripts under TensorFlow ------------------------------------------------------------
_SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np
    if sys.argv[1] == "tf":
        import tensorflow.compat.v1 as tf
        tf.disable_v2_behavior()
    else:
        import minitf as tf

    def TRY(name, f):
        try:
            r = f()
            print(name, "OK", r if r is not None else "")
        except Exception as e:
            lines = [l for l in str(e).splitlines() if l.strip()]
            text = [l for l in lines if "indices" in l or "regularization" in l or
                    "exist" in l] or lines[:1]
            print(name, "ERR", type(e).__name__, text[0].strip() if text else "")

    def show(name, x):  # (minitf's dense Adam rounds differently in the last bits)
        print(name, np.round(np.asarray(x, np.float64), 5).ravel().tolist())

    g = tf.Graph()
    with g.as_default():
        a = tf.Variable([1.0, 2.0], name="a"); b = tf.Variable(3.0, name="b")
        loss = tf.reduce_sum(a * a) * b
        opt = tf.train.AdamOptimizer(0.1)
        TRY("one", lambda: opt.minimize(loss, var_list=a).name)
        TRY("dict", lambda: [v.op.name for _, v in opt.compute_gradients(loss, {"w": a, "s": b})])
        TRY("nested", lambda: opt.minimize(loss, var_list=[[a], [b]]).name)
        TRY("set", lambda: opt.compute_gradients(loss, var_list={a}))
        h = a * 3.0
        TRY("tensor", lambda: len(opt.compute_gradients(tf.reduce_sum(h * h), var_list=[h, a])))
        TRY("apply tensor", lambda: opt.apply_gradients([(tf.ones([2]), h)]))
        TRY("norm", lambda: tf.Session().run(tf.global_norm([None, None])))
        TRY("clip", lambda: tf.clip_by_global_norm([None, None], 1.0)[0])
    for idx in ([-1, 1], [1, 5], [1, 1, -1], [3, 3, 0]):
        g = tf.Graph()
        with g.as_default():
            w = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
            vals = tf.constant(np.arange(2 * len(idx), dtype=np.float32).reshape(-1, 2))
            gr = tf.IndexedSlices(vals, tf.constant(idx), tf.constant([4, 2]))
            tr = tf.train.AdamOptimizer(0.1).apply_gradients([(gr, w)])
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                TRY("adam %s" % idx, lambda: s.run(tr) and None)
                show("w", s.run(w))
    g = tf.Graph()
    with g.as_default():
        with tf.variable_scope("m"):
            w = tf.get_variable("w", initializer=[1.0, 2.0])
        with tf.variable_scope("m", reuse=True):
            w2 = tf.get_variable("w")
            TRY("reuse", lambda: tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(w2)).name)
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable([[1.0, -2.0], [0.0, 0.5]])
        x = tf.gather(w, [1, 1])
        tr = tf.train.FtrlOptimizer(0.1, beta=-1.0).minimize(
            tf.reduce_sum(x * x * tf.constant([1.0, 0.0])))
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            TRY("ftrl", lambda: s.run(tr) and None)
            show("w", s.run(w))
""")


def test_same_behaviour_as_tensorflow():
    pytest.importorskip("tensorflow")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    outs = [subprocess.run([sys.executable, "-c", _SCRIPT, which], capture_output=True,
                           text=True, env=env, timeout=300)
            for which in ("tf", "minitf")]
    for out in outs:
        assert out.returncode == 0, out.stderr[-2000:]
    theirs, ours = (out.stdout.splitlines() for out in outs)
    assert ours == theirs
