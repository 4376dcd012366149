"""TF1 root names of core/tf1_misc.py and core/tf1_misc_more.py: tf.switch_case, tf.py_function,
tf.timestamp, tf.guarantee_const, tf.grad_pass_through, tf.recompute_grad,
tf.extract_volume_patches, tf.required_space_to_batch_paddings, tf.is_symbolic_tensor,
tf.to_complex64/128, tf.create_partitioned_variables, tf.math.nextafter and tf.DeviceSpec.
Each against numpy or hand-computed values first; then side by side with real TensorFlow
(tf.compat.v1 graphs of its own) where it is installed."""

import itertools
import time

import numpy as np
import pytest

import minitf as tf
from minitf import errors


def _run(fetches, feed_dict=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed_dict)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


X3 = np.array([0.5, 1.0, 2.0], np.float32)


# -- switch_case ---------------------------------------------------------------------------------
def _three_branches(x):
    return [lambda: x * 2.0, lambda: x * x, lambda: tf.sin(x)]


def test_switch_case_runs_the_indexed_branch_and_the_last_out_of_range():
    i, x = tf.placeholder(tf.int32, []), tf.placeholder(tf.float32, [3])
    y = tf.switch_case(i, _three_branches(x))
    (dx,) = tf.gradients(y, x)
    want = {0: (2 * X3, np.full(3, 2.0)), 1: (X3 ** 2, 2 * X3), 2: (np.sin(X3), np.cos(X3))}
    with tf.Session() as sess:
        for k in (-3, -1, 0, 1, 2, 3, 99):
            got = sess.run([y, dx], {i: k, x: X3})
            value, grad = want[k if k in (0, 1) else 2]
            np.testing.assert_allclose(got[0], value, rtol=1e-6)
            np.testing.assert_allclose(got[1], grad, rtol=1e-6)


def test_switch_case_default_and_keyed_branches_keep_their_structure():
    i, x = tf.placeholder(tf.int32, []), tf.constant(X3)
    keyed = tf.switch_case(i, {1: lambda: (x * 3, {"n": tf.constant(1)}),
                               0: lambda: (x, {"n": tf.constant(0)})},
                           default=lambda: (-x, {"n": tf.constant(-1)}))
    listed = tf.switch_case(i, [(1, lambda: [x + 1.0]), (0, lambda: [x])])
    assert isinstance(keyed, tuple) and isinstance(keyed[1], dict) and isinstance(listed, list)
    with tf.Session() as sess:
        for k, (scale, n) in {0: (1, 0), 1: (3, 1), 2: (-1, -1), -1: (-1, -1)}.items():
            got = sess.run([keyed, listed], {i: k})
            np.testing.assert_allclose(got[0][0], scale * X3)
            assert got[0][1]["n"] == n
            np.testing.assert_allclose(got[1][0], X3 + (1.0 if k == 1 else 0.0) if k in (0, 1)
                                       else X3 + 1.0)


def test_switch_case_runs_only_the_taken_branch():
    i = tf.placeholder(tf.int32, [])
    fails = lambda: tf.identity(tf.check_numerics(tf.constant(np.nan), "branch ran"))  # noqa: E731
    y = tf.switch_case(i, [lambda: tf.constant(1.0), fails])
    with tf.Session() as sess:
        assert sess.run(y, {i: 0}) == 1.0
        with pytest.raises(errors.InvalidArgumentError, match="branch ran"):
            sess.run(y, {i: 1})


def test_switch_case_python_values_and_a_single_branch():
    i = tf.placeholder(tf.int32, [])
    y = tf.switch_case(i, [lambda: 1.0, lambda: 2.0])
    only = tf.switch_case(i, [lambda: tf.constant([4, 5])])
    assert y.dtype == tf.float32
    with tf.Session() as sess:
        assert [sess.run(y, {i: k}) for k in (0, 1, 5)] == [1.0, 2.0, 2.0]
        assert sess.run(only, {i: 7}).tolist() == [4, 5]


@pytest.mark.parametrize("call, error, match", [
    (lambda i, x: tf.switch_case(1, [lambda: x]), TypeError, "must be a Tensor"),
    (lambda i, x: tf.switch_case(tf.constant(1.0), [lambda: x]), TypeError, "integer Tensor"),
    (lambda i, x: tf.switch_case(tf.constant(1, tf.int64), [lambda: x]), TypeError,
     "does not match expected type of int32"),
    (lambda i, x: tf.switch_case(i, []), ValueError, "at least one item"),
    (lambda i, x: tf.switch_case(i, 3), TypeError, "list, tuple, or dict"),
    (lambda i, x: tf.switch_case(i, {0: lambda: x, 2: lambda: x}), ValueError,
     r"contiguous range of \[0 to 2\) but found \{0,2\}"),
    (lambda i, x: tf.switch_case(i, [(0, 1)]), TypeError, "fn for key 0 must be callable"),
    (lambda i, x: tf.switch_case(i, [(0.5, lambda: x)]), TypeError, "Python `int`"),
    (lambda i, x: tf.switch_case(i, [lambda: x, lambda: (x, x)]), TypeError,
     r"branches\[0\] and branches\[1\]"),
    (lambda i, x: tf.switch_case(i, [lambda: x, lambda: tf.cast(x, tf.int32)]), TypeError,
     "same number, type"),
    (lambda i, x: tf.switch_case(i, [lambda: x], default=3), TypeError, "callable"),
    (lambda i, x: tf.switch_case(tf.constant([1, 0]), [lambda: x, lambda: x]),
     errors.InvalidArgumentError, "must be a scalar"),
])
def test_switch_case_refuses_what_tf_refuses(call, error, match):
    with pytest.raises(error, match=match):
        call(tf.placeholder(tf.int32, []), tf.constant(X3))



def test_switch_case_operation_branches_give_the_index_once_the_op_has_run():
    """TF's switch_case turns an Operation result into the branch index, run after the op."""
    i, v = tf.placeholder(tf.int32, []), tf.Variable(0)
    grouped = tf.switch_case(i, [lambda: tf.group(tf.assign_add(v, 1)),
                                 lambda: tf.group(tf.assign_add(v, 10))])
    raw_op = tf.switch_case(i, [lambda: tf.assign_add(v, 100).op,
                                lambda: tf.assign_add(v, 1000).op])
    mixed = tf.switch_case(i, [lambda: (tf.group(tf.assign_add(v, 1)), tf.constant(7)),
                               lambda: (tf.group(tf.assign_add(v, 10)), tf.constant(8))])
    single = tf.switch_case(i, [lambda: tf.group(tf.assign_add(v, 5))])
    assert grouped.dtype == tf.int32 and grouped.shape.as_list() == []
    assert isinstance(mixed, tuple) and mixed[0].dtype == tf.int32
    with tf.Session() as sess:
        sess.run(v.initializer)
        total = 0
        for k in (0, 1, 5, -2):
            taken = 0 if k == 0 else 1  # out of range: the last branch
            assert sess.run(grouped, {i: k}) == k
            total += (1, 10)[taken]
            assert sess.run(v) == total
            assert sess.run(raw_op, {i: k}) == k
            total += (100, 1000)[taken]
            assert sess.run(v) == total
            assert sess.run(mixed, {i: k}) == (k, (7, 8)[taken])
            total += (1, 10)[taken]
            assert sess.run(single, {i: k}) == k
            total += 5
            assert sess.run(v) == total


def test_switch_case_none_results_stay_none():
    i = tf.placeholder(tf.int32, [])
    assert tf.switch_case(i, [lambda: None, lambda: None]) is None
    assert tf.switch_case(i, [lambda: None]) is None
    assert tf.switch_case(i, [lambda: [None, None], lambda: [None, None]]) == [None, None]
    listed = tf.switch_case(i, [lambda: [None, tf.constant(1)], lambda: [None, tf.constant(2)]],
                            default=lambda: [None, tf.constant(3)])
    keyed = tf.switch_case(i, [lambda: {"a": None, "b": tf.constant(1.0)},
                               lambda: {"a": None, "b": tf.constant(2.0)}])
    assert listed[0] is None and keyed["a"] is None
    with tf.Session() as sess:
        assert [sess.run(listed[1], {i: k}) for k in (0, 1, 2, 9)] == [1, 2, 3, 3]
        assert [sess.run(keyed["b"], {i: k}) for k in (0, 1)] == [1.0, 2.0]


@pytest.mark.parametrize("fns, error, match", [
    ([lambda: None, lambda: tf.constant(1)], ValueError, "Lengths of branch outputs of case"),
    ([lambda: None, lambda: tf.no_op()], ValueError, r"len\(graphs\[1\]\.outputs\): 1"),
    ([lambda: tf.no_op(), lambda: tf.constant(1.0)], TypeError, "same number, type"),
    ([lambda: [None], lambda: None], TypeError, r"branches\[0\] and branches\[1\]"),
])
def test_switch_case_none_and_operation_mismatches(fns, error, match):
    with pytest.raises(error, match=match):
        tf.switch_case(tf.placeholder(tf.int32, []), fns)

# -- py_function ---------------------------------------------------------------------------------
def test_py_function_passes_eager_tensors():
    seen = []

    def func(a, n, s):
        seen.append((a.dtype, a.shape.as_list(), n.numpy(), s.numpy(), type(a.numpy())))
        return a * 2.0 + float(n), a.numpy().sum()

    x, n, s = tf.placeholder(tf.float32, [3]), tf.placeholder(tf.int32, []), tf.constant("hi")
    one = tf.py_function(lambda a: a.numpy() + 1, [x], tf.float32)
    two = tf.py_function(func, [x, n, s], [tf.float32, tf.float32])
    listed = tf.py_function(lambda a: [a.numpy()], [x], [tf.float32])
    assert one.op.type == "EagerPyFunc" and one.shape.rank is None
    assert one.op.get_attr("Tout") == [tf.float32] and isinstance(two, list)
    assert isinstance(listed, list) and len(listed) == 1
    got = _run([one, two, listed], {x: X3, n: 4})
    np.testing.assert_allclose(got[0], X3 + 1)
    np.testing.assert_allclose(got[1][0], 2 * X3 + 4)
    assert got[1][1] == pytest.approx(X3.sum()) and got[1][1].dtype == np.float32
    np.testing.assert_allclose(got[2][0], X3)
    assert seen == [(tf.float32, [3], 4, b"hi", np.ndarray)]


def test_py_function_converts_results_as_tf_eager():
    x = tf.constant(X3)
    cases = {
        "python float": (lambda a: 3.5, tf.float32, np.float32(3.5)),
        "python int to float": (lambda a: 3, tf.float32, np.float32(3.0)),
        "float64 array cast": (lambda a: a.numpy().astype(np.float64), tf.float32, X3),
        "int64 scalar cast": (lambda a: np.int64(4), tf.int32, np.int32(4)),
        "extra values dropped": (lambda a: [1.0, 2.0], tf.float32, np.float32(1.0)),
        "string": (lambda a: "abc", tf.string, b"abc"),
        "eager tensor back": (lambda a: a, tf.float32, X3),
    }
    outs = {k: tf.py_function(f, [x], t) for k, (f, t, _) in cases.items()}
    got = _run(outs)
    for k, (_, _, want) in cases.items():
        assert np.asarray(got[k]).dtype == np.asarray(want).dtype, k
        np.testing.assert_array_equal(got[k], want, err_msg=k)


@pytest.mark.parametrize("func, tout, error, match", [
    (lambda a: 3.5, tf.int32, errors.InvalidArgumentError, "Cannot convert 3.5"),
    (lambda a: (1.0,), [tf.float32, tf.float32], errors.InvalidArgumentError,
     "returns 1 values, but expects to see 2 values"),
    (lambda a: None, tf.float32, errors.InvalidArgumentError, "returns 0 values"),
    (lambda a: a, tf.float64, errors.InvalidArgumentError, "requested dtype float64"),
    (lambda a: 1 / 0, tf.float32, errors.UnknownError, "ZeroDivisionError"),
    (lambda a: int("x"), tf.float32, errors.InvalidArgumentError, "invalid literal"),
    (lambda a: 1.0, [], errors.UnknownError, "IndexError"),
])
def test_py_function_run_time_errors_have_tf_classes(func, tout, error, match):
    y = tf.py_function(func, [tf.constant(X3)], tout)
    with pytest.raises(error, match=match):
        _run(y)


def test_py_function_no_outputs_decorator_and_argument_errors():
    calls = []
    op = tf.py_function(lambda a: calls.append(a.numpy()), [tf.constant(2)], [])
    assert isinstance(op, tf.Operation)

    @tf.py_function(Tout=tf.float32)
    def tripled(a):
        return a.numpy() * 3

    y = tripled(tf.constant(X3))
    with tf.Session() as sess:
        sess.run(op)
        sess.run(op)  # stateful: runs each time, constant inputs or not
        np.testing.assert_allclose(sess.run(y), 3 * X3)
    assert calls == [2, 2]
    with pytest.raises(ValueError, match="Expected func to be callable"):
        tf.py_function(3, [1.0], tf.float32)
    with pytest.raises(TypeError, match="Tout"):
        tf.py_function(lambda a: a, [1.0])
    with pytest.raises(TypeError, match="inp"):
        tf.py_function(lambda a: a, Tout=tf.float32)
    with pytest.raises(TypeError, match="inp"):
        tf.py_function(Tout=tf.float32, inp=[1.0])
    with pytest.raises(TypeError, match="iterating"):
        tf.py_function(lambda a: a, tf.constant(X3), tf.float32)


def test_py_function_gradient_is_refused_not_silently_none():
    x = tf.constant(X3)
    y = tf.py_function(lambda a: a * a, [x], tf.float32)
    with pytest.raises(LookupError, match="EagerPyFunc"):
        tf.gradients(y, x)


def test_eager_tensor_stand_in_behaves_like_numpy():
    from minitf.ops.misc_extra_ops import EagerTensor

    e = EagerTensor(np.array([1.0, -2.0], np.float32))
    assert (-e).numpy().tolist() == [-1.0, 2.0] and (2 - e).numpy().tolist() == [1.0, 4.0]
    assert (e * e).dtype == tf.float32 and abs(e).numpy().tolist() == [1.0, 2.0]
    assert (e > 0).numpy().tolist() == [True, False] and float(e[1]) == -2.0
    assert len(e) == 2 and [float(v) for v in e] == [1.0, -2.0]
    np.testing.assert_array_equal(np.asarray(e), [1.0, -2.0])
    copy = e.numpy()
    copy[0] = 9.0
    assert e.numpy()[0] == 1.0  # numpy() hands out a copy
    with pytest.raises(TypeError):
        hash(e)
    with pytest.raises(TypeError):
        len(EagerTensor(np.float32(1)))


# -- timestamp, guarantee_const ------------------------------------------------------------------
def test_timestamp_is_the_clock_at_run_time():
    x = tf.placeholder(tf.float32, [])
    t = tf.timestamp()
    assert (t.op.type, t.dtype, t.shape.as_list()) == ("Timestamp", tf.float64, [])
    with tf.Session() as sess:
        before = time.time()
        first = sess.run(t)
        time.sleep(0.01)
        second = sess.run(t)
        after = time.time()
    assert before - 1e-3 <= first < second <= after + 1e-3
    assert tf.gradients(t * tf.cast(x, tf.float64), x)[0] is not None
    assert tf.gradients(t, x) == [None]


def test_guarantee_const_is_identity_without_a_gradient():
    x = tf.placeholder(tf.float32, [3])
    y = tf.guarantee_const(x)
    assert (y.op.type, y.dtype, y.shape.as_list()) == ("GuaranteeConst", tf.float32, [3])
    np.testing.assert_array_equal(_run(y, {x: X3}), X3)
    with pytest.raises(LookupError, match="GuaranteeConst"):
        tf.gradients(y, x)


# -- grad_pass_through, recompute_grad -----------------------------------------------------------
def test_grad_pass_through_keeps_values_and_passes_gradients():
    x = tf.placeholder(tf.float32, [3])
    w = tf.get_variable("w", initializer=tf.constant([1.0, 2.0, 3.0]))
    y = tf.grad_pass_through(lambda a: tf.round(a) * 3.0)(x)
    pair = tf.grad_pass_through(lambda a, b: (a * w, b ** 2))(x, x)
    gx = tf.gradients(y, x)[0]
    gpair = tf.gradients(pair, [x, w])
    assert gpair[1] is None  # variables f reads get no gradient, as in TF
    xv = np.array([0.4, 1.6, 2.5], np.float32)
    got = _run([y, gx, pair, gpair[0]], {x: xv})
    np.testing.assert_allclose(got[0], np.round(xv) * 3)
    np.testing.assert_allclose(got[1], np.ones(3))
    np.testing.assert_allclose(got[2][0], xv * [1, 2, 3], rtol=1e-6)
    np.testing.assert_allclose(got[3], np.full(3, 2.0))


def test_recompute_grad_matches_f_and_recomputes():
    x = tf.placeholder(tf.float32, [3])
    w = tf.get_variable("w", initializer=tf.constant([1.0, 2.0, 3.0]))

    def f(a):
        return tf.sin(a) * a * w

    y = tf.recompute_grad(f)(x)
    sines = sum(op.type == "Sin" for op in tf.get_default_graph().get_operations())
    gx, gw = tf.gradients(tf.reduce_sum(y * y), [x, w])
    after = sum(op.type == "Sin" for op in tf.get_default_graph().get_operations())
    assert after > sines  # the gradient graph computes f again
    got = _run([y, gx, gw], {x: X3})
    wv = np.array([1.0, 2.0, 3.0])
    value = np.sin(X3) * X3 * wv
    np.testing.assert_allclose(got[0], value, rtol=1e-6)
    np.testing.assert_allclose(got[1], 2 * value * (np.cos(X3) * X3 + np.sin(X3)) * wv,
                               rtol=1e-5)
    np.testing.assert_allclose(got[2], 2 * value * np.sin(X3) * X3, rtol=1e-5)


def test_recompute_grad_get_variable_inside_fails_as_in_tf():
    x = tf.placeholder(tf.float32, [3])

    def f(a):
        return a * tf.get_variable("v", initializer=tf.constant(2.0))

    y = tf.recompute_grad(f)(x)
    with pytest.raises(ValueError, match="already exists"):
        tf.gradients(y, x)


# -- extract_volume_patches ----------------------------------------------------------------------
def _patches_ref(x, k, s, padding):
    """Loops over every output position and tap; SAME's padding by TF's documented rule."""
    n, *spatial, c = x.shape
    outs, befores = [], []
    for size, kk, ss in zip(spatial, k, s):
        out = -(-size // ss) if padding == "SAME" else max((size - kk) // ss + 1, 0)
        outs.append(out)
        befores.append(max((out - 1) * ss + kk - size, 0) // 2 if padding == "SAME" else 0)
    ref = np.zeros((n, *outs, k[0] * k[1] * k[2] * c), x.dtype)
    sources = {}  # output element -> input element, for the gradient
    for b, *pos in itertools.product(range(n), *(range(o) for o in outs)):
        for t, tap in enumerate(itertools.product(*(range(kk) for kk in k))):
            at = tuple(p * ss - bb + d for p, ss, bb, d in zip(pos, s, befores, tap))
            if all(0 <= a < size for a, size in zip(at, spatial)):
                for ch in range(c):
                    ref[(b, *pos, t * c + ch)] = x[(b, *at, ch)]
                    sources[(b, *pos, t * c + ch)] = (b, *at, ch)
    return ref, sources


@pytest.mark.parametrize("shape, k, s, padding", [
    ((2, 4, 5, 3, 2), (2, 3, 2), (2, 1, 2), "SAME"),
    ((1, 4, 5, 3, 2), (2, 3, 2), (2, 1, 2), "VALID"),
    ((1, 3, 3, 3, 1), (3, 3, 3), (1, 1, 1), "SAME"),
])
def test_extract_volume_patches_values_and_gradient(shape, k, s, padding):
    xv = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    x = tf.placeholder(tf.float32, shape)
    y = tf.extract_volume_patches(x, [1, *k, 1], [1, *s, 1], padding)
    ref, sources = _patches_ref(xv, k, s, padding)
    assert y.shape.as_list() == list(ref.shape)
    dy = np.random.default_rng(2).standard_normal(ref.shape).astype(np.float32)
    (dx,) = tf.gradients(y, x, grad_ys=tf.constant(dy))
    got, got_dx = _run([y, dx], {x: xv})
    np.testing.assert_array_equal(got, ref)
    want_dx = np.zeros_like(xv)
    for out_at, in_at in sources.items():
        want_dx[in_at] += dy[out_at]
    np.testing.assert_allclose(got_dx, want_dx, rtol=1e-5, atol=1e-6)


def test_extract_volume_patches_refuses_what_tf_refuses():
    x = tf.placeholder(tf.float32, [2, 4, 5, 3, 2])
    evp = tf.extract_volume_patches
    with pytest.raises(ValueError, match="less than minimum 5"):
        evp(x, [1, 2, 3, 2], [1, 1, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match="not in"):
        evp(x, [1, 2, 3, 2, 1], [1, 1, 1, 1, 1], "FULL")
    with pytest.raises(ValueError, match="Stride must be > 0"):
        evp(x, [1, 2, 3, 2, 1], [1, 0, 1, 1, 1], "VALID")
    with pytest.raises(errors.UnimplementedError, match="ksizes across space"):
        evp(x, [2, 2, 3, 2, 1], [1, 1, 1, 1, 1], "VALID")
    with pytest.raises(errors.UnimplementedError, match="strides across space"):
        evp(x, [1, 2, 3, 2, 1], [1, 1, 1, 1, 2], "VALID")
    with pytest.raises(errors.OutOfRangeError, match="ksizes is out of range"):
        evp(x, [1, 0, 3, 2, 1], [1, 1, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match="rank 5"):
        evp(tf.zeros([2, 3, 3, 3]), [1, 2, 2, 2, 1], [1, 1, 1, 1, 1], "VALID")
    with pytest.raises(TypeError, match="bool"):
        evp(tf.zeros([1, 2, 2, 2, 1], tf.bool), [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], "VALID")
    unknown = tf.placeholder(tf.float32, [None, 4, None, 3, 2])
    y = evp(unknown, [1, 2, 3, 2, 1], [1, 2, 1, 2, 1], "VALID")
    assert y.shape.as_list() == [None, 2, None, 1, 24]  # (TF 2.21 infers a rank-4 shape here)
    with pytest.raises(TypeError, match="static sizes"):  # as TF's rule (it fails on None)
        tf.gradients(y, unknown)
    fed = tf.placeholder(tf.float32)
    with pytest.raises(errors.InvalidArgumentError, match="5-dimensional"):
        _run(evp(fed, [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], "VALID"), {fed: np.zeros([2, 2, 2, 2])})


# -- required_space_to_batch_paddings ------------------------------------------------------------
@pytest.mark.parametrize("shape, block, base", [
    ([4, 5], [2, 3], None), ([4, 5], [2, 3], [[1, 0], [2, 2]]), ([7], [3], [[2, 1]]),
    ([6, 6, 6], [2, 3, 4], [[0, 0], [1, 1], [0, 3]]),
])
def test_required_space_to_batch_paddings(shape, block, base):
    b = np.zeros((len(block), 2), int) if base is None else np.array(base)
    extra = (np.array(block) - (np.array(shape) + b.sum(1)) % np.array(block)) % block
    want_pad = np.stack([b[:, 0], b[:, 1] + extra], 1)
    want_crop = np.stack([np.zeros_like(extra), extra], 1)
    pads, crops = tf.required_space_to_batch_paddings(shape, block, base)
    fed = tf.placeholder(tf.int32, [len(shape)])
    pads2, crops2 = tf.required_space_to_batch_paddings(fed, block, base)
    got = _run([pads, crops, pads2, crops2], {fed: shape})
    for g, w in zip(got, [want_pad, want_crop] * 2):
        assert g.dtype == np.int32
        np.testing.assert_array_equal(g, w)
    assert ((np.array(shape) + want_pad.sum(1)) % block == 0).all()


def test_required_space_to_batch_paddings_edges_and_errors():
    pads, crops = tf.required_space_to_batch_paddings([], [])
    assert _run(pads).shape == (0, 2) and _run(crops).shape == (0, 2)
    with pytest.raises(ValueError, match="not fully defined"):
        tf.required_space_to_batch_paddings([4, 5], tf.placeholder(tf.int32, [None]))
    with pytest.raises(ValueError, match="incompatible"):
        tf.required_space_to_batch_paddings([4, 5, 6], [2, 3])
    with pytest.raises(ValueError, match="rank 1"):
        tf.required_space_to_batch_paddings([4, 5], [[2, 3]])
    with pytest.raises(ValueError, match="incompatible"):
        tf.required_space_to_batch_paddings([4, 5], [2, 3], [1, 2])


# -- small names ---------------------------------------------------------------------------------
def test_is_symbolic_tensor_and_complex_casts():
    x = tf.placeholder(tf.float32, [3])
    v = tf.Variable(1.0)
    assert tf.is_symbolic_tensor(x) and tf.is_symbolic_tensor(v.value())
    assert not any(tf.is_symbolic_tensor(o) for o in (v, np.ones(2), 3, tf.constant(1).op))
    c64, c128 = tf.to_complex64(tf.constant([1, -2])), tf.to_complex128(x)
    assert (c64.op.type, c64.op.name, c64.dtype) == ("Cast", "ToComplex64", tf.complex64)
    assert (c128.op.name, c128.dtype) == ("ToComplex128", tf.complex128)
    got = _run([c64, c128], {x: X3})
    np.testing.assert_array_equal(got[0], np.array([1, -2], np.complex64))
    np.testing.assert_array_equal(got[1], X3.astype(np.complex128))


def test_nextafter_is_under_tf_math_with_tf_gradient():
    assert not hasattr(tf, "nextafter")
    a = np.array([[0.0, 1.0, -1.0], [1.0, 2.0, np.finfo(np.float64).max]])
    b = np.array([1.0, 0.0, -np.inf])
    x1, x2 = tf.placeholder(tf.float64, [2, 3]), tf.placeholder(tf.float64, [3])
    y = tf.math.nextafter(x1, x2)
    g1, g2 = tf.gradients(y * 3.0, [x1, x2])
    got = _run([y, g1, g2], {x1: a, x2: b})
    np.testing.assert_array_equal(got[0], np.nextafter(a, b))
    assert got[0][0, 0] == 5e-324 and 1.79769e308 < got[0][1, 2] < np.finfo(np.float64).max
    np.testing.assert_array_equal(got[1], np.full((2, 3), 3.0))  # dy to x1, x2 gets zeros
    np.testing.assert_array_equal(got[2], np.zeros(3))
    y32 = tf.math.nextafter(np.float32([1.0]), np.float32([2.0]))
    assert _run(y32)[0] == np.nextafter(np.float32(1), np.float32(2))
    with pytest.raises(TypeError, match="not in list of allowed values: float64, float32"):
        tf.math.nextafter(tf.constant([1, 2]), tf.constant([1, 2]))
    with pytest.raises(TypeError, match="does not match"):
        tf.math.nextafter(tf.constant([1.0]), tf.constant([2.0], tf.float64))


# -- create_partitioned_variables ----------------------------------------------------------------
def test_create_partitioned_variables_names_slices_and_values():
    full = np.arange(15.0).reshape(5, 3)
    rows = tf.create_partitioned_variables([5, 3], [2, 1], tf.constant(full))
    cols = tf.create_partitioned_variables([5, 3], [1, 3], full.astype(np.float32), name="pv")
    ints = tf.create_partitioned_variables([6], [4], tf.zeros_initializer(), dtype=tf.int32,
                                           name="iv", trainable=False)
    with tf.variable_scope("outer"):
        unnamed = [tf.create_partitioned_variables([4], [2], tf.ones_initializer())
                   for _ in range(2)]
    assert [v.op.name for v in rows] == ["PartitionedVariable/part_0",
                                         "PartitionedVariable/part_1"]
    assert [v._save_slice_info.spec for v in rows] == ["5 3 0,3:0,3", "5 3 3,2:0,3"]
    assert [v.shape.as_list() for v in cols] == [[5, 1]] * 3 and rows[0].dtype.base_dtype == \
        tf.float64
    assert [v.shape.as_list() for v in ints] == [[2], [2], [1], [1]]
    assert not set(ints) & set(tf.trainable_variables())
    assert [v.op.name for v in unnamed[1]] == ["outer/PartitionedVariable_1/part_0",
                                               "outer/PartitionedVariable_1/part_1"]
    got = _run(rows + cols)
    np.testing.assert_array_equal(np.concatenate(got[:2], 0), full)
    np.testing.assert_array_equal(np.concatenate(got[2:], 1), full)
    again = tf.create_partitioned_variables([5, 3], [1, 3], tf.zeros_initializer(), name="pv",
                                            reuse=True)
    assert again == cols


@pytest.mark.parametrize("shape, slicing, name, match", [
    ([5, 3], [2], None, "must have the length"),
    ([], [], None, "rank at least 1"),
    ([4, 4], [2, 2], None, "only slice a variable along one dimension"),
    ([4, 4], [0, 1], None, "zero partitions"),
    ([4, 2], [5, 1], None, "Expected 0 <= offset < shape"),
    ([5, 3], [1, 3], "taken", "already exists"),
])
def test_create_partitioned_variables_errors(shape, slicing, name, match):
    tf.create_partitioned_variables([5, 3], [1, 3], tf.zeros_initializer(), name="taken")
    with pytest.raises(ValueError, match=match):
        tf.create_partitioned_variables(shape, slicing, tf.zeros_initializer(), name=name)


# -- DeviceSpec ----------------------------------------------------------------------------------
def test_device_spec_fields_strings_and_mutation():
    d = tf.DeviceSpec(job="ps", replica="1", task=0, device_type="gpu", device_index=2)
    assert (d.job, d.replica, d.task, d.device_type, d.device_index) == ("ps", 1, 0, "GPU", 2)
    assert d.to_string() == "/job:ps/replica:1/task:0/device:GPU:2"
    assert d == tf.DeviceSpec.from_string(d.to_string()) and len({d, d.replace()}) == 1
    d.device_index = None
    assert d.to_string() == "/job:ps/replica:1/task:0/device:GPU:*"
    e = tf.DeviceSpec()
    assert e.parse_from_string("/job:worker/task:3/cpu:0") is e
    assert (e.job, e.replica, e.task, e.device_type, e.device_index) == ("worker", None, 3,
                                                                         "CPU", 0)
    e.merge_from(tf.DeviceSpec(device_type="GPU"))
    assert e.to_string() == "/job:worker/task:3/device:GPU:0"
    assert e.replace(job="x").to_string() == "/job:x/task:3/device:GPU:0"
    assert e.make_merged_spec(tf.DeviceSpec(task=9)).to_string() == \
        "/job:worker/task:9/device:GPU:0"
    assert tf.DeviceSpec.from_string("device:tpu:3").device_type == "tpu"
    assert tf.DeviceSpec.from_string(None).to_string() == ""
    assert repr(tf.DeviceSpec(job="a")) == ("<DeviceSpec(job=a, replica=None, task=None, "
                                            "device_type=None, device_index=None)>")
    assert tf.DeviceSpec(job="a") != "/job:a"
    for bad in ("/job:a/replica:x", "/cpu:0/gpu:1", "/foo:1"):
        with pytest.raises(ValueError):
            tf.DeviceSpec.from_string(bad)
    with pytest.raises(TypeError):
        e.replace(jobs="x")
    with tf.device(tf.DeviceSpec(job="ps", device_type="CPU", device_index=0)):
        c = tf.constant(1)
    assert c.device == "/job:ps/device:CPU:0"


# -- side by side with TensorFlow ----------------------------------------------------------------
def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


def _both(build, feeds=lambda tfm, ph: {}, init=False):
    """``build(module)`` in minitf and in a TF graph of its own; both results."""
    tf1 = _tf1()
    out = []
    for mod in (tf, tf1):
        g = mod.Graph()
        with g.as_default():
            fetches, phs = build(mod)
            with mod.Session(graph=g) as sess:
                if init:
                    sess.run(mod.global_variables_initializer())
                out.append(sess.run(fetches, feeds(mod, phs)))
    return out


def test_vs_tf_switch_case_values_and_gradients():
    def build(m):
        i, x = m.placeholder(m.int32, []), m.placeholder(m.float32, [3])
        y = m.switch_case(i, [lambda: x * 2.0, lambda: x * x, lambda: m.sin(x)],
                          default=lambda: m.exp(x))
        return [y, m.gradients(y, x)], (i, x)

    for k in (-1, 0, 1, 2, 3, 9):
        mine, theirs = _both(build, lambda m, phs, k=k: {phs[0]: k, phs[1]: X3})
        np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-6)
        np.testing.assert_allclose(mine[1][0], theirs[1][0], rtol=1e-6)



def test_vs_tf_switch_case_operation_and_none_branches():
    def build(m):
        i, v = m.placeholder(m.int32, []), m.Variable(0)
        with m.control_dependencies([v.initializer]):
            r = m.switch_case(i, [lambda: m.group(m.assign_add(v, 1)),
                                  lambda: m.assign_add(v, 10).op,
                                  lambda: m.no_op()])
        both = m.switch_case(i, [lambda: [None, (m.no_op(), m.constant(1))],
                                 lambda: [None, (m.no_op(), m.constant(2))]])
        nothing = m.switch_case(i, [lambda: None, lambda: None])
        assert nothing is None and both[0] is None
        with m.control_dependencies([r]):
            after = m.identity(v.read_value() if hasattr(v, "read_value") else v)
        return [r, after, both[1]], (i,)

    for k in (-1, 0, 1, 2, 7):
        mine, theirs = _both(build, lambda m, phs, k=k: {phs[0]: k})
        assert [np.asarray(x).tolist() for x in mine] == [np.asarray(x).tolist()
                                                           for x in theirs]


@pytest.mark.parametrize("fns", [
    lambda m: [lambda: None, lambda: m.constant(1)],
    lambda m: [lambda: None, lambda: m.no_op()],
    lambda m: [lambda: m.no_op(), lambda: m.constant(1.0)],
    lambda m: [lambda: [None], lambda: None],
])
def test_vs_tf_switch_case_none_and_operation_mismatches_have_the_same_class(fns):
    tf1 = _tf1()
    kinds = []
    for m in (tf, tf1):
        with m.Graph().as_default():
            with pytest.raises(Exception) as info:
                m.switch_case(m.placeholder(m.int32, []), fns(m))
            kinds.append(type(info.value))
    mine, theirs = kinds
    for builtin in (TypeError, ValueError):
        assert issubclass(mine, builtin) == issubclass(theirs, builtin), (mine, theirs)

def test_vs_tf_py_function_values():
    def build(m):
        x = m.placeholder(m.float32, [3])
        return [m.py_function(lambda a: (a.numpy() * 2, np.float64(a.numpy().sum())), [x],
                              [m.float32, m.float32]),
                m.py_function(lambda a: 3, [x], m.float32)], (x,)

    mine, theirs = _both(build, lambda m, phs: {phs[0]: X3})
    for a, b in zip(mine[0] + [mine[1]], theirs[0] + [theirs[1]]):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape, k, s, padding", [
    ((2, 4, 5, 3, 2), (2, 3, 2), (2, 1, 2), "SAME"),
    ((2, 4, 5, 3, 2), (2, 3, 2), (2, 1, 2), "VALID"),
    ((1, 3, 4, 2, 3), (3, 2, 2), (1, 2, 1), "SAME"),
])
def test_vs_tf_extract_volume_patches(shape, k, s, padding):
    xv = np.random.default_rng(3).standard_normal(shape).astype(np.float32)

    def build(m):
        x = m.placeholder(m.float32, shape)
        y = m.extract_volume_patches(x, [1, *k, 1], [1, *s, 1], padding)
        w = m.reshape(m.range(m.size(y), dtype=m.float32), m.shape(y))
        return [y, m.gradients(y * w, x)[0]], (x,)

    mine, theirs = _both(build, lambda m, phs: {phs[0]: xv})
    np.testing.assert_array_equal(mine[0], theirs[0])
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-6)


def test_vs_tf_recompute_and_pass_through_gradients():
    xv = np.array([0.4, 1.6, 2.5], np.float32)

    def build(m):
        x = m.placeholder(m.float32, [3])
        w = m.get_variable("w", initializer=m.constant([1.0, 2.0, 3.0]), use_resource=True)
        y = m.recompute_grad(lambda a: m.sin(a) * a * w)(x)
        p = m.grad_pass_through(lambda a: m.round(a) * 3.0)(x)
        return [y, m.gradients(m.reduce_sum(y * y), [x, w]), p, m.gradients(p, x)], (x,)

    mine, theirs = _both(build, lambda m, phs: {phs[0]: xv}, init=True)
    np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-6)
    for a, b in zip(mine[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(mine[2], theirs[2])
    np.testing.assert_allclose(mine[3][0], theirs[3][0])


def test_vs_tf_small_names():
    def build(m):
        fed = m.placeholder(m.int32, [2])
        x1 = m.placeholder(m.float32, [2, 3])
        na = m.math.nextafter(x1, m.constant([1.0, 0.0, -np.inf], m.float32))
        return [m.required_space_to_batch_paddings([4, 5], [2, 3], [[1, 0], [2, 2]]),
                m.required_space_to_batch_paddings(fed, [2, 3]),
                m.to_complex64(m.constant([1, -2])), m.to_complex128(x1),
                m.guarantee_const(x1), na, m.gradients(na * na, x1),
                m.timestamp()], (fed, x1)

    xv = np.array([[0.5, 1, -1], [1, 2, 3]], np.float32)  # (TF flushes denormals to zero)
    mine, theirs = _both(build, lambda m, phs: {phs[0]: [7, 5], phs[1]: xv})
    for a, b in zip(mine[:-1], theirs[:-1]):
        for u, v in zip(np.atleast_1d(np.asarray(a, dtype=object)),
                        np.atleast_1d(np.asarray(b, dtype=object))):
            u, v = np.asarray(u), np.asarray(v)
            assert u.dtype == v.dtype
            np.testing.assert_array_equal(u, v)
    assert abs(mine[-1] - theirs[-1]) < 60 and type(mine[-1]) is type(theirs[-1])
    tf1 = _tf1()
    with tf1.Graph().as_default():
        objects = [tf1.placeholder(tf1.float32), tf1.Variable(1.0), np.ones(2), 3]
        assert [tf1.is_symbolic_tensor(o) for o in objects] == [True, False, False, False]
    objects = [tf.placeholder(tf.float32), tf.Variable(1.0), np.ones(2), 3]
    assert [tf.is_symbolic_tensor(o) for o in objects] == [True, False, False, False]


def test_vs_tf_create_partitioned_variables():
    full = np.arange(14.0, dtype=np.float32).reshape(7, 2)

    def build(m):
        a = m.create_partitioned_variables([7, 2], [3, 1], full, name="a")
        b = m.create_partitioned_variables([7, 2], [1, 2], m.zeros_initializer())
        names = [v.op.name for v in a + b]
        specs = [v._save_slice_info.spec for v in a + b]
        return [a, m.constant(names), m.constant(specs)], ()

    mine, theirs = _both(build, init=True)
    for u, v in zip(mine[0], theirs[0]):
        np.testing.assert_array_equal(u, v)
    assert mine[1].tolist() == theirs[1].tolist() and mine[2].tolist() == theirs[2].tolist()


def test_vs_tf_device_spec():
    tf1 = _tf1()
    for spec in ("/job:ps/replica:1/task:0/device:GPU:2", "/job:w/task:3/cpu:0", "gpu:*",
                 "/device:tpu:1", "", "/replica:2"):
        mine, theirs = tf.DeviceSpec.from_string(spec), tf1.DeviceSpec.from_string(spec)
        assert mine.to_string() == theirs.to_string()
        assert repr(mine) == repr(theirs)
        for m, t in ((mine, theirs), (mine.replace(task=4), theirs.replace(task=4))):
            m.merge_from(tf.DeviceSpec(job="x", device_index=1))
            t.merge_from(tf1.DeviceSpec(job="x", device_index=1))
            assert m.to_string() == t.to_string()
    for bad in ("/job:a/replica:x", "/cpu:0/gpu:1", "/foo:1"):
        with pytest.raises(ValueError):
            tf1.DeviceSpec.from_string(bad)
        with pytest.raises(ValueError):
            tf.DeviceSpec.from_string(bad)


@pytest.mark.parametrize("call", [
    lambda m, i, x: m.switch_case(1, [lambda: x]),
    lambda m, i, x: m.switch_case(m.constant(1.0), [lambda: x]),
    lambda m, i, x: m.switch_case(m.constant(1, m.int64), [lambda: x, lambda: x]),
    lambda m, i, x: m.switch_case(i, []),
    lambda m, i, x: m.switch_case(i, {0: lambda: x, 2: lambda: x}),
    lambda m, i, x: m.switch_case(i, [lambda: x, lambda: m.cast(x, m.int32)]),
    lambda m, i, x: m.extract_volume_patches(m.zeros([1, 2, 2, 2, 1]), [1, 1, 1], [1] * 5,
                                             "VALID"),
    lambda m, i, x: m.extract_volume_patches(m.zeros([1, 2, 2, 2, 1], m.bool), [1] * 5,
                                             [1] * 5, "VALID"),
    lambda m, i, x: m.create_partitioned_variables([4, 4], [2, 2], m.zeros_initializer()),
    lambda m, i, x: m.math.nextafter(m.constant([1]), m.constant([2])),
    lambda m, i, x: m.py_function(3, [x], m.float32),
])
def test_vs_tf_graph_construction_errors_have_the_same_class(call):
    tf1 = _tf1()
    kinds = []
    for m in (tf, tf1):
        with m.Graph().as_default():
            with pytest.raises(Exception) as info:
                call(m, m.placeholder(m.int32, []), m.constant(X3))
            kinds.append(info.value)
    mine, theirs = kinds
    for builtin in (TypeError, ValueError):
        assert isinstance(mine, builtin) == isinstance(theirs, builtin), (mine, theirs)
