"""Optimizer API that TF1 custom optimizers use (the protected hooks and helpers, TF's private
attribute names), clip_by_global_norm with an infinite norm, and AdagradDAOptimizer.

Reference numbers marked "TF printed" come from tf.compat.v1 (TensorFlow 2.21, graph mode, ref
variables) running the same graph; CI has no TensorFlow, so they are pasted here.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitf as tf
from minitf.opdef import NOT_DIFFERENTIABLE
from minitf.ops import training_da_ops


class _MyOpt(tf.train.Optimizer):
    """Adam's pattern as many AdamW/LAMB ports write it: a non-slot power and a slot."""

    def __init__(self, lr=0.1, name="MyOpt"):
        super().__init__(False, name)
        self._lr = lr

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda x: x.name)
        self._create_non_slot_variable(initial_value=0.9, name="beta1_power", colocate_with=first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)

    def _prepare(self):
        self._lr_t = tf.convert_to_tensor(self._call_if_callable(self._lr), name="learning_rate")

    def _apply_dense(self, grad, var):
        m = self.get_slot(var, "m")
        b1p = self._get_non_slot_variable("beta1_power", graph=var.graph)
        m_t = m.assign(0.9 * m + grad)
        return var.assign_sub(self._lr_t * m_t * b1p).op

    def _finish(self, update_ops, name_scope):
        b1p = self._get_non_slot_variable("beta1_power", graph=tf.get_default_graph())
        with tf.control_dependencies(update_ops):
            up = b1p.assign(b1p * 0.9)
        return tf.group(*update_ops + [up], name=name_scope)


def test_custom_optimizer_with_non_slot_variable_trains_as_tensorflow():
    w = tf.Variable([1.0, 2.0, 3.0], name="w")
    opt = _MyOpt(lr=lambda: 0.1)  # a callable hyperparameter, through _call_if_callable
    op = opt.minimize(tf.reduce_sum(w * w))
    assert op.name == "MyOpt"
    assert sorted(v.name for v in tf.global_variables()) == [
        "beta1_power:0", "w/MyOpt:0", "w:0"]
    assert [v.op.name for v in opt._non_slot_variables()] == ["beta1_power"]
    assert opt._get_non_slot_variable("beta1_power") is None  # keyed by graph, as TF's
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(op)
        got = sess.run(w)
    # TF printed, with Grappler off (its rewrites round the float32 sums differently:
    # [0.23673141, 0.47346282, 0.7101943] with them on); numpy float32 by hand agrees.
    np.testing.assert_array_equal(got, np.float32([0.23673135042190552, 0.47346270084381104,
                                                   0.7101942300796509]))


def test_hooks_run_in_tensorflows_order_scopes_and_arguments():
    calls = []

    class Rec(tf.train.GradientDescentOptimizer):
        def _create_slots(self, var_list):
            calls.append(("create_slots", [v.op.name for v in var_list],
                          tf.get_default_graph().get_name_scope()))
            for v in var_list:
                self._get_or_make_slot(v, tf.ones_like(v.initialized_value()) * 2.0, "twos",
                                       "Twos")
                self._get_or_make_slot_with_initializer(
                    v, tf.constant_initializer(3.0), v.shape, tf.float64, "threes", self._name)
            self._create_non_slot_variable(5, "counter", var_list[0])

        def _prepare(self):
            calls.append(("prepare", tf.get_default_graph().get_name_scope()))
            super()._prepare()

        def _apply_dense(self, grad, var):
            calls.append(("dense", var.op.name, tf.get_default_graph().get_name_scope()))
            return super()._apply_dense(grad + self.get_slot(var, "twos"), var)

        def _apply_sparse(self, grad, var):  # GradientDescent never calls it (TF's neither)
            calls.append(("sparse", var.op.name))
            raise AssertionError("not reached")

        def _finish(self, update_ops, name_scope):
            calls.append(("finish", len(update_ops), name_scope))
            return super()._finish(update_ops, name_scope)

    a = tf.Variable([1.0, 2.0], name="a")
    e = tf.Variable([[1.0], [2.0], [3.0]], name="e")
    loss = tf.reduce_sum(a * a) + tf.reduce_sum(tf.gather(e, [2, 0, 2]))
    opt = Rec(0.5)
    op = opt.minimize(loss, name="train")
    op2 = Rec(0.5, name="R2").minimize(loss, global_step=tf.train.get_or_create_global_step())
    # What TF printed for the same graph:
    assert calls == [("create_slots", ["a", "e"], ""), ("prepare", "train"),
                     ("dense", "a", "train/update_a"), ("finish", 2, "train/"),
                     ("create_slots", ["a", "e"], ""), ("prepare", "R2"),
                     ("dense", "a", "R2/update_a"), ("finish", 2, "update")]
    assert (op.name, op2.name) == ("train", "R2")
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "a", "a/GradientDescent", "a/R2", "a/Twos", "a/Twos_1", "counter", "counter_1", "e",
        "e/GradientDescent", "e/R2", "e/Twos", "e/Twos_1", "global_step"]
    assert [(v.op.name, v.dtype) for v in opt.variables()] == [
        ("a/GradientDescent", tf.float64), ("a/Twos", tf.float32), ("counter", tf.int32),
        ("e/GradientDescent", tf.float64), ("e/Twos", tf.float32)]
    assert opt._get_non_slot_variable("counter", graph=a.graph).op.name == "counter"
    assert (opt._call_if_callable(lambda: 4), opt._call_if_callable(3)) == (4, 3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        # a -= 0.5 * (2a + 2); e's rows 2 (twice) and 0 lose 0.5 per occurrence.
        assert sess.run(a).tolist() == [-1.0, -1.0]
        assert sess.run(e).tolist() == [[0.5], [2.0], [2.0]]
        assert sess.run(opt.get_slot(a, "threes")).tolist() == [3.0, 3.0]
    assert "ScatterSub" in {o.type for o in tf.get_default_graph().get_operations()}


def test_optimizer_that_only_defines_resource_hooks_still_trains():
    class ResourceOnly(tf.train.Optimizer):
        def __init__(self):
            super().__init__(False, "ResourceOnly")

        def _resource_apply_dense(self, grad, handle):
            return handle.assign_sub(0.5 * grad).op

        def _resource_apply_sparse(self, grad, handle, indices):
            return handle.scatter_sub(tf.IndexedSlices(0.5 * grad, indices)).op

    w = tf.Variable([1.0, 2.0], name="w")
    e = tf.Variable([[1.0], [2.0]], name="e")
    op = ResourceOnly().minimize(tf.reduce_sum(w * w) + tf.reduce_sum(tf.gather(e, [1, 1])))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        assert sess.run(w).tolist() == [0.0, 0.0]
        assert sess.run(e).tolist() == [[1.0], [1.0]]  # the repeated row's gradients summed


def test_private_hyperparameter_attributes_have_tensorflows_names():
    """The names TF's optimizers keep their hyperparameters under (before and after _prepare),
    which subclasses of them read."""
    w = tf.Variable([1.0, 2.0], name="w")
    loss = tf.reduce_sum(w * w)
    expected = {
        tf.train.GradientDescentOptimizer(0.1): ["_learning_rate", "_learning_rate_tensor"],
        tf.train.MomentumOptimizer(0.1, 0.9): ["_learning_rate", "_learning_rate_tensor",
                                               "_momentum", "_momentum_tensor",
                                               "_use_nesterov"],
        tf.train.AdamOptimizer(0.1): ["_beta1", "_beta1_t", "_beta2", "_beta2_t", "_epsilon",
                                      "_epsilon_t", "_lr", "_lr_t"],
        tf.train.RMSPropOptimizer(0.1): [
            "_centered", "_decay", "_decay_tensor", "_epsilon", "_epsilon_tensor",
            "_learning_rate", "_learning_rate_tensor", "_momentum", "_momentum_tensor"],
        tf.train.AdagradOptimizer(0.1): ["_initial_accumulator_value", "_learning_rate",
                                         "_learning_rate_tensor"],
        tf.train.AdadeltaOptimizer(0.1): ["_epsilon", "_epsilon_t", "_lr", "_lr_t", "_rho",
                                          "_rho_t"],
        tf.train.FtrlOptimizer(0.1): [
            "_accum_name", "_adjusted_l2_regularization_strength_tensor", "_beta",
            "_beta_tensor", "_initial_accumulator_value", "_l1_regularization_strength",
            "_l1_regularization_strength_tensor", "_l2_regularization_strength",
            "_l2_shrinkage_regularization_strength",
            "_l2_shrinkage_regularization_strength_tensor", "_learning_rate",
            "_learning_rate_power", "_learning_rate_power_tensor", "_learning_rate_tensor",
            "_linear_name"],
        tf.train.ProximalGradientDescentOptimizer(0.1): [
            "_l1_regularization_strength", "_l1_regularization_strength_tensor",
            "_l2_regularization_strength", "_l2_regularization_strength_tensor",
            "_learning_rate", "_learning_rate_tensor"],
        tf.train.ProximalAdagradOptimizer(0.1): [
            "_initial_accumulator_value", "_l1_regularization_strength",
            "_l1_regularization_strength_tensor", "_l2_regularization_strength",
            "_l2_regularization_strength_tensor", "_learning_rate", "_learning_rate_tensor"],
    }
    skip = {"_slots", "_non_slot_dict", "_use_locking", "_name"}
    for opt, names in expected.items():
        opt.minimize(loss)
        assert sorted(set(vars(opt)) - skip) == names, type(opt).__name__
        tensors = [n for n in names if n.endswith(("_t", "_tensor"))]
        assert all(isinstance(getattr(opt, n), tf.Tensor) for n in tensors), type(opt).__name__
    adam = tf.train.AdamOptimizer(0.1)
    adam.minimize(loss)
    b1, b2 = adam._get_beta_accumulators()
    assert (b1.op.name, b2.op.name) == ("beta1_power_1", "beta2_power_1")
    assert adam._lr_t.op.name == "Adam_1/learning_rate" and adam._beta1_t.dtype == tf.float32


def test_clip_by_global_norm_with_an_infinite_norm_gives_nan_everywhere():
    a = tf.constant([np.inf, 1.0])
    b = tf.constant([1.0, 2.0])
    w = tf.Variable([1.0, 2.0], name="w")
    (ca, cb), norm = tf.clip_by_global_norm([a, b], 1.0)
    op = tf.train.GradientDescentOptimizer(0.1).apply_gradients([(cb, w)])
    (fa, fb), _ = tf.clip_by_global_norm([b * 3.0, b * 4.0], 1.0)  # finite: plain scaling
    with tf.Session() as sess:
        sess.run(w.initializer)
        sess.run(op)
        got_a, got_b, got_norm, got_w = sess.run([ca, cb, norm, w])
        finite = sess.run([fa, fb])
    # TF's documented behaviour, and what it printed: NaN outputs, an infinite norm.
    assert np.isnan(got_a).all() and np.isnan(got_b).all() and np.isnan(got_w).all()
    assert got_norm == np.inf
    np.testing.assert_allclose(finite, np.array([[3, 6], [4, 8]]) / np.sqrt(125), rtol=1e-6)


def test_inf_minus_inf_prints_no_numpy_warning():
    """TF prints nothing for inf - inf (clip_by_global_norm's NaN): numpy's RuntimeWarning is
    silenced when constants are folded and in the plan's steps. A fresh interpreter, because
    pytest restores the warning filters the import of minitf added during collection."""
    script = textwrap.dedent("""
        import numpy as np, minitf as tf
        fed = tf.placeholder(tf.float32, [2])
        (folded, _), _ = tf.clip_by_global_norm([tf.constant([np.inf, 1.0]), [1.0, 2.0]], 1.0)
        (ran, _), _ = tf.clip_by_global_norm([fed, [1.0, 2.0]], 1.0)
        with tf.Session() as sess:
            print(sess.run([folded, ran], {fed: [np.inf, 1.0]}))
    """)
    done = subprocess.run([sys.executable, "-W", "default", "-c", script], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "nan" in done.stdout and "Warning" not in done.stderr, done.stderr


# -- AdagradDA -------------------------------------------------------------------------------------
def _adagrad_da(dtype, l1, l2, sparse, two_d, steps=3):
    gs = tf.train.get_or_create_global_step()
    init = np.array([[1.0, -2.0], [3.0, 4.0], [5.0, -6.0]]) if two_d else \
        np.array([1.0, -2.0, 3.0, 0.5])
    e = tf.Variable(init.astype(dtype), name="E")
    if sparse:
        loss = tf.reduce_sum(tf.square(tf.gather(e, [0, 2, 0]))) + tf.reduce_sum(
            tf.gather(e, [1]) * 0.3)
    else:
        scale = np.linspace(0.5, 1.5, init.size).reshape(init.shape).astype(dtype)
        loss = tf.reduce_sum(tf.square(e) * tf.constant(scale))
    opt = tf.train.AdagradDAOptimizer(0.1, gs, initial_gradient_squared_accumulator_value=0.2,
                                      l1_regularization_strength=l1,
                                      l2_regularization_strength=l2)
    op = opt.minimize(loss, global_step=gs)
    types = {o.type for o in tf.get_default_graph().get_operations() if "AdagradDA" in o.type}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            sess.run(op)
        slots = [sess.run(opt.get_slot(e, n)) for n in opt.get_slot_names()]
        assert sess.run(gs) == steps
        return types, sess.run(e), slots, opt


def test_adagrad_da_dense_matches_tensorflow():
    types, var, (ga, gga), opt = _adagrad_da(np.float32, 0.05, 0.1, sparse=False, two_d=True)
    assert types == {"ApplyAdagradDA"}
    assert opt.get_slot_names() == ["gradient_accumulator", "gradient_squared_accumulator"]
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "E", "E/AdagradDA", "E/AdagradDA_1", "global_step"]
    # TF printed (bit for bit):
    np.testing.assert_array_equal(var, np.float32(
        [[-0.061111193150281906, 0.08320052176713943],
         [-0.08989939838647842, -0.09292342513799667],
         [-0.0946054682135582, 0.09566405415534973]]))
    np.testing.assert_array_equal(ga, np.float32(
        [[0.8413004279136658, -2.5390970706939697], [5.053147315979004, 8.370552062988281],
         [12.48911190032959, -17.40819549560547]]))
    np.testing.assert_array_equal(gga, np.float32(
        [[1.2126796245574951, 8.074082374572754], [29.420181274414062, 77.73223876953125],
         [169.3305206298828, 324.3751525878906]]))


def test_adagrad_da_dense_without_regularization_and_in_float64():
    _, var, _, _ = _adagrad_da(np.float32, 0.0, 0.0, sparse=False, two_d=True)
    np.testing.assert_array_equal(var, np.float32(  # TF printed
        [[-0.07493522763252258, 0.08904235064983368],
         [-0.0930507555603981, -0.09488950669765472],
         [-0.09594841301441193, 0.0966394916176796]]))
    tf.reset_default_graph()
    _, var, (ga, gga), _ = _adagrad_da(np.float64, 0.3, 0.1, sparse=False, two_d=False)
    np.testing.assert_array_equal(var, [  # TF printed
        -0.0005802364633858921, 0.06344087335464675, -0.0804538282281493,
        -0.015196966948270984])
    np.testing.assert_array_equal(gga, [1.2049178367489881, 11.349738878761393,
                                        49.29148025405591, 2.5180427231740006])


def test_adagrad_da_first_step_by_hand():
    """One dense step from the kernel's formula: ga = g, gga = 0.1 + g^2, step T = 1,
    var = sign(-ga) lr max(|ga| - l1 T, 0) / (l2 T lr + sqrt(gga))."""
    gs = tf.train.get_or_create_global_step()
    w = tf.Variable([2.0, -0.01, 0.5], dtype=tf.float64, name="w")
    op = tf.train.AdagradDAOptimizer(0.2, gs, l1_regularization_strength=0.05,
                                     l2_regularization_strength=0.3).minimize(
        tf.reduce_sum(w * w), global_step=gs)
    g = np.array([4.0, -0.02, 1.0])
    want = np.sign(-g) * 0.2 * np.maximum(np.abs(g) - 0.05, 0) / (0.3 * 0.2 + np.sqrt(0.1 + g * g))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        np.testing.assert_allclose(sess.run(w), want, rtol=1e-7)  # float32-rounded hypers
        assert sess.run(w)[1] == 0.0  # |g| < l1: the weight is exactly zero (sparsity)


def test_adagrad_da_sparse_matches_tensorflow():
    # Rows of two elements: TF's per-row kernel in float32 (TF printed, bit for bit).
    types, var, (ga, gga), _ = _adagrad_da(np.float32, 0.01, 0.0, sparse=True, two_d=True)
    assert types == {"SparseApplyAdagradDA"}
    np.testing.assert_array_equal(var, np.float32(
        [[-0.07928896695375443, 0.0895635113120079],
         [-0.12690255045890808, -0.12690255045890808],
         [-0.09561745822429657, 0.09635800868272781]]))
    np.testing.assert_array_equal(gga, np.float32(
        [[16.482845306396484, 64.50198364257812], [0.4700000286102295, 0.4700000286102295],
         [100.27800750732422, 144.27835083007812]]))
    # One element per row: TF computes in double and stores float32 (TF printed).
    tf.reset_default_graph()
    _, var, (ga, _), _ = _adagrad_da(np.float32, 0.02, 0.1, sparse=True, two_d=False)
    np.testing.assert_array_equal(var, np.float32(
        [-0.07811722159385681, -0.11738968640565872, -0.09170366078615189, 0.5]))
    np.testing.assert_array_equal(ga, np.float32(
        [3.2545337677001953, 0.9000000357627869, 5.61076545715332, 0.0]))
    tf.reset_default_graph()
    _, var, _, _ = _adagrad_da(np.float64, 0.01, 0.02, sparse=True, two_d=True)
    np.testing.assert_array_equal(var, [  # TF printed
        [-0.07918583258523212, 0.0895003188740666],
        [-0.12580154214762954, -0.12580154214762954],
        [-0.0955613705187974, 0.09631071777265474]])


def test_adagrad_da_ops_and_arguments():
    with pytest.raises(ValueError, match="initial_gradient_squared_accumulator_value must be "
                                         "positive"):
        tf.train.AdagradDAOptimizer(0.1, None, initial_gradient_squared_accumulator_value=0.0)
    w = tf.Variable([1.0], name="w")
    with pytest.raises(ValueError, match="needs a global_step"):
        tf.train.AdagradDAOptimizer(0.1, None).minimize(tf.reduce_sum(w * w))
    gs = tf.train.get_or_create_global_step()
    tf.train.AdagradDAOptimizer(0.1, gs).minimize(tf.reduce_sum(w * w), global_step=gs)
    (op,) = [o for o in tf.get_default_graph().get_operations() if o.type == "ApplyAdagradDA"]
    assert [t.dtype for t in op.inputs][-1] == tf.int64
    assert op.get_attr("use_locking") is False
    for opdef in (training_da_ops.APPLY_ADAGRAD_DA, training_da_ops.SPARSE_APPLY_ADAGRAD_DA):
        assert opdef.grad is NOT_DIFFERENTIABLE and opdef.stateful
