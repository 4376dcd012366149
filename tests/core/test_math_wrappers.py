"""Wrapper behaviour of the math ops: TF1 signatures, node names, operators, defaults, error
messages, gradients (ties, zeros, second derivatives) and the dynamic-shape gradient paths.
Expectations were verified against TensorFlow 2.21 (tf.compat.v1, graph mode) and are
hard-coded here."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.ops import linalg_ops, logic_ops, math_ops, reduction_ops, unary_ops

_MATH_MODULES = (math_ops, unary_ops, logic_ops, reduction_ops, linalg_ops)

# The math op modules silence numpy's inf/nan RuntimeWarnings with module warnings filters; pytest
# drops filters installed during collection, so restate them for these tests.
pytestmark = [pytest.mark.filterwarnings(f"ignore::RuntimeWarning:minitf.ops.{m}")
              for m in ("_math_util", "math_ops", "unary_ops", "logic_ops", "reduction_ops",
                        "linalg_ops")]


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _ops():
    return [(op.name, op.type) for op in tf.get_default_graph().get_operations()
            if op.type != "Placeholder"]


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _ph(shape=None, dtype=tf.float32):
    return tf.placeholder(dtype, shape)


# -- exports ---------------------------------------------------------------------------------------


def _home(name):
    """The math op module whose ``__all__`` exports ``name`` (exactly one does)."""
    homes = [m for m in _MATH_MODULES if name in m.__all__]
    assert len(homes) == 1, (name, homes)
    return homes[0]


def test_root_and_tf_math_names():
    for name in ("floordiv", "floormod", "mod", "abs", "sign", "pow", "exp", "log", "log1p",
                 "sqrt", "rsqrt", "squared_difference", "reciprocal", "maximum", "minimum",
                 "floor", "ceil", "round", "tanh", "sigmoid", "equal", "not_equal", "less",
                 "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
                 "logical_not", "logical_xor", "where", "where_v2", "reduce_max", "reduce_min",
                 "reduce_prod", "reduce_all", "reduce_any", "argmax", "argmin", "div",
                 "div_no_nan", "clip_by_value", "cumsum", "cumprod", "count_nonzero",
                 "reduce_logsumexp", "scalar_mul", "to_float", "to_int32", "to_int64",
                 "to_double", "is_finite", "is_nan", "is_inf"):
        assert getattr(tf, name) is getattr(_home(name), name), name
    for name in ("add", "log", "reduce_sum", "reduce_mean", "argmax", "sigmoid", "square",
                 "floormod", "logical_xor", "reduce_logsumexp", "cumsum", "is_nan", "truediv"):
        assert getattr(tf.math, name) is getattr(_home(name), name), name
    assert tf.math.divide_no_nan is tf.div_no_nan
    # Root-only TF1 names are not in tf.math.
    for name in ("div", "where", "clip_by_value", "to_float", "cast", "matmul"):
        assert not hasattr(tf.math, name), name


# -- wrapper node names (TF 2.21 compat.v1 graphs) ------------------------------------------------

x_ = lambda: _ph([2, 3])  # noqa: E731
i_ = lambda: _ph([2, 3], tf.int32)  # noqa: E731
b_ = lambda: _ph([2, 3], tf.bool)  # noqa: E731

NAMING = [
    (lambda: tf.floordiv(x_(), x_()), [("floordiv", "FloorDiv")]),
    (lambda: tf.floordiv(i_(), 2), [("floordiv/y", "Const"), ("floordiv", "FloorDiv")]),
    (lambda: tf.floormod(x_(), x_()), [("FloorMod", "FloorMod")]),
    (lambda: tf.mod(x_(), x_()), [("FloorMod", "FloorMod")]),
    (lambda: tf.pow(x_(), 2.0), [("Pow/y", "Const"), ("Pow", "Pow")]),
    (lambda: tf.minimum(x_(), 0.0), [("Minimum/y", "Const"), ("Minimum", "Minimum")]),
    (lambda: tf.squared_difference(x_(), x_()), [("SquaredDifference", "SquaredDifference")]),
    (lambda: [tf.abs(x_()), tf.sign(x_()), tf.exp(x_()), tf.log(x_()), tf.log1p(x_()),
              tf.sqrt(x_()), tf.rsqrt(x_()), tf.reciprocal(x_()), tf.floor(x_()),
              tf.ceil(x_()), tf.round(x_()), tf.tanh(x_()), tf.sigmoid(x_())],
     [("Abs", "Abs"), ("Sign", "Sign"), ("Exp", "Exp"), ("Log", "Log"), ("Log1p", "Log1p"),
      ("Sqrt", "Sqrt"), ("Rsqrt", "Rsqrt"), ("Reciprocal", "Reciprocal"), ("Floor", "Floor"),
      ("Ceil", "Ceil"), ("Round", "Round"), ("Tanh", "Tanh"), ("Sigmoid", "Sigmoid")]),
    (lambda: tf.sigmoid([1.0, 2.0]), [("Sigmoid/x", "Const"), ("Sigmoid", "Sigmoid")]),
    (lambda: [tf.equal(x_(), x_()), tf.not_equal(x_(), x_()), tf.less(x_(), x_()),
              tf.less_equal(x_(), x_()), tf.greater(x_(), x_()), tf.greater_equal(x_(), x_())],
     [("Equal", "Equal"), ("NotEqual", "NotEqual"), ("Less", "Less"),
      ("LessEqual", "LessEqual"), ("Greater", "Greater"), ("GreaterEqual", "GreaterEqual")]),
    (lambda: tf.logical_xor(b_(), b_()),
     [("LogicalOr", "LogicalOr"), ("LogicalAnd", "LogicalAnd"), ("LogicalNot", "LogicalNot"),
      ("LogicalXor", "LogicalAnd")]),
    (lambda: tf.where(b_(), x_(), x_()), [("Select", "Select")]),
    (lambda: tf.where(b_()), [("Where", "Where")]),
    (lambda: tf.where([True, False]), [("Where/condition", "Const"), ("Where", "Where")]),
    (lambda: tf.where_v2(b_(), x_(), x_()), [("SelectV2", "SelectV2")]),
    (lambda: tf.where_v2(b_()), [("Where", "Where")]),
    (lambda: tf.reduce_max(x_()), [("Const", "Const"), ("Max", "Max")]),
    (lambda: tf.reduce_max(x_(), 1, keepdims=True),
     [("Max/reduction_indices", "Const"), ("Max", "Max")]),
    (lambda: tf.reduce_prod(x_()), [("Const", "Const"), ("Prod", "Prod")]),
    (lambda: tf.reduce_all(b_()), [("Const", "Const"), ("All", "All")]),
    (lambda: tf.reduce_any(b_(), 0), [("Any/reduction_indices", "Const"), ("Any", "Any")]),
    (lambda: tf.argmax(x_()), [("ArgMax/dimension", "Const"), ("ArgMax", "ArgMax")]),
    (lambda: tf.argmin(x_(), dimension=1), [("ArgMin/dimension", "Const"), ("ArgMin", "ArgMin")]),
    (lambda: tf.div(x_(), x_()), [("div", "RealDiv")]),
    (lambda: tf.div(i_(), 2), [("div/y", "Const"), ("div", "FloorDiv")]),
    (lambda: tf.div_no_nan(x_(), x_()), [("div_no_nan", "DivNoNan")]),
    (lambda: tf.clip_by_value(x_(), 0.0, 1.0),
     [("clip_by_value/Minimum/y", "Const"), ("clip_by_value/Minimum", "Minimum"),
      ("clip_by_value/y", "Const"), ("clip_by_value", "Maximum")]),
    (lambda: tf.clip_by_value([1.0, 2.0], 0.0, 1.0),
     [("clip_by_value/t", "Const"), ("clip_by_value/Minimum/y", "Const"),
      ("clip_by_value/Minimum", "Minimum"), ("clip_by_value/y", "Const"),
      ("clip_by_value", "Maximum")]),
    (lambda: tf.cumsum(x_(), 1), [("Cumsum/axis", "Const"), ("Cumsum", "Cumsum")]),
    (lambda: tf.cumprod([1.0, 2.0]),
     [("Cumprod/x", "Const"), ("Cumprod/axis", "Const"), ("Cumprod", "Cumprod")]),
    (lambda: tf.count_nonzero(x_()),
     [("count_nonzero/zeros", "Const"), ("count_nonzero/NotEqual", "NotEqual"),
      ("count_nonzero/Cast", "Cast"), ("count_nonzero/Const", "Const"),
      ("count_nonzero/Sum", "Sum")]),
    (lambda: tf.count_nonzero(i_(), 1, keepdims=True, dtype=tf.int32),
     [("count_nonzero/zeros", "Const"), ("count_nonzero/NotEqual", "NotEqual"),
      ("count_nonzero/Cast", "Cast"), ("count_nonzero/Sum/reduction_indices", "Const"),
      ("count_nonzero/Sum", "Sum"), ("count_nonzero/Cast_1", "Cast")]),
    (lambda: tf.reduce_logsumexp(x_()),
     [("ReduceLogSumExp/Const", "Const"), ("ReduceLogSumExp/Max", "Max"),
      ("ReduceLogSumExp/IsFinite", "IsFinite"), ("ReduceLogSumExp/SelectV2/e", "Const"),
      ("ReduceLogSumExp/SelectV2", "SelectV2"), ("ReduceLogSumExp/StopGradient", "StopGradient"),
      ("ReduceLogSumExp/Sub", "Sub"), ("ReduceLogSumExp/Exp", "Exp"),
      ("ReduceLogSumExp/Const_1", "Const"), ("ReduceLogSumExp/Sum", "Sum"),
      ("ReduceLogSumExp/Log", "Log"), ("ReduceLogSumExp/Shape", "Shape"),
      ("ReduceLogSumExp/Reshape", "Reshape"), ("ReduceLogSumExp", "AddV2")]),
    (lambda: tf.scalar_mul(2.0, x_()), [("scalar", "Const"), ("Mul", "Mul")]),
    (lambda: [tf.to_float(i_()), tf.to_int32(x_()), tf.to_int64(x_()), tf.to_double(x_())],
     [("ToFloat", "Cast"), ("ToInt32", "Cast"), ("ToInt64", "Cast"), ("ToDouble", "Cast")]),
    (lambda: [tf.is_finite(x_()), tf.is_nan(x_()), tf.is_inf(x_())],
     [("IsFinite", "IsFinite"), ("IsNan", "IsNan"), ("IsInf", "IsInf")]),
    (lambda: tf.matmul(_ph([4, 2, 3]), _ph([4, 3, 2])), [("MatMul", "BatchMatMulV2")]),
    (lambda: tf.matmul(_ph(), _ph([2, 3])), [("MatMul", "BatchMatMulV2")]),
    (lambda: tf.matmul([[1.0]], [[2.0]]),
     [("MatMul/a", "Const"), ("MatMul/b", "Const"), ("MatMul", "MatMul")]),
]


@pytest.mark.parametrize("build,expected", NAMING, ids=[str(i) for i in range(len(NAMING))])
def test_wrapper_node_names(build, expected):
    build()
    assert _ops() == expected


def test_wrapper_output_names_dtypes_and_shapes():
    assert tf.count_nonzero(x_()).name == "count_nonzero/Sum:0"
    assert tf.count_nonzero(x_()).dtype == tf.int64
    assert tf.argmax(x_(), 1, output_type=tf.int32).dtype == tf.int32
    assert tf.argmax(x_()).shape.as_list() == [3]
    assert tf.where(b_()).shape.as_list() == [None, 2]
    assert tf.reduce_logsumexp(x_(), 1, keepdims=True).shape.as_list() == [2, 1]
    # A full reduction is a scalar even when the input's rank is unknown.
    assert tf.reduce_max(_ph()).shape.as_list() == []
    assert tf.reduce_logsumexp(_ph()).shape.as_list() == []
    assert tf.reduce_sum(_ph(), keepdims=True).shape.rank is None
    # BatchMatMulV2 broadcasts batch dims statically.
    m = tf.matmul(_ph([None, None, 2, 3]), _ph([5, 3, None]))
    assert m.shape.as_list() == [None, 5, 2, None]


def test_round_of_integers_is_the_tensor_itself():
    i = i_()
    assert tf.round(i) is i
    assert _ops() == []


def test_reduction_over_unknown_rank_uses_rank_and_range():
    tf.reduce_sum(_ph())
    assert [t for _, t in _ops()] == ["Rank", "Const", "Const", "Range", "Sum"]


# -- operators -----------------------------------------------------------------------------------

OPERATORS = [
    (lambda x, y, b, c: x // y, [("floordiv", "FloorDiv")], "floordiv:0"),
    (lambda x, y, b, c: 2.0 // x, [("floordiv/x", "Const"), ("floordiv", "FloorDiv")], None),
    (lambda x, y, b, c: x % y, [("mod", "FloorMod")], "mod:0"),
    (lambda x, y, b, c: x ** y, [("pow", "Pow")], "pow:0"),
    (lambda x, y, b, c: x ** 2, [("pow/y", "Const"), ("pow", "Pow")], None),
    (lambda x, y, b, c: 2 ** x, [("pow/x", "Const"), ("pow", "Pow")], None),
    (lambda x, y, b, c: abs(x), [("Abs", "Abs")], "Abs:0"),
    (lambda x, y, b, c: x < y, [("Less", "Less")], "Less:0"),
    (lambda x, y, b, c: x <= 1.0, [("LessEqual/y", "Const"), ("LessEqual", "LessEqual")], None),
    (lambda x, y, b, c: x > y, [("Greater", "Greater")], None),
    (lambda x, y, b, c: x >= y, [("GreaterEqual", "GreaterEqual")], None),
    (lambda x, y, b, c: 1.0 < x, [("Greater/y", "Const"), ("Greater", "Greater")], None),
    (lambda x, y, b, c: b & c, [("and", "LogicalAnd")], "and:0"),
    (lambda x, y, b, c: b | c, [("or", "LogicalOr")], "or:0"),
    (lambda x, y, b, c: b ^ c, [("xor/LogicalOr", "LogicalOr"), ("xor/LogicalAnd", "LogicalAnd"),
                                ("xor/LogicalNot", "LogicalNot"), ("xor", "LogicalAnd")], "xor:0"),
    (lambda x, y, b, c: ~b, [("LogicalNot", "LogicalNot")], "LogicalNot:0"),
    (lambda x, y, b, c: True & b, [("and/x", "Const"), ("and", "LogicalAnd")], None),
    (lambda x, y, b, c: True | b, [("or/x", "Const"), ("or", "LogicalOr")], None),
    (lambda x, y, b, c: True ^ b,
     [("xor/x", "Const"), ("xor/LogicalOr", "LogicalOr"), ("xor/LogicalAnd", "LogicalAnd"),
      ("xor/LogicalNot", "LogicalNot"), ("xor", "LogicalAnd")], None),
    (lambda x, y, b, c: [[1.0, 2.0]] @ x, [("matmul/x", "Const"), ("matmul", "MatMul")], None),
    (lambda x, y, b, c: 1 - x, [("sub/x", "Const"), ("sub", "Sub")], None),
    (lambda x, y, b, c: 1 / x, [("truediv/x", "Const"), ("truediv", "RealDiv")], None),
    (lambda x, y, b, c: 1 + x, [("add/x", "Const"), ("add", "AddV2")], None),
    (lambda x, y, b, c: 2 * x, [("mul/x", "Const"), ("mul", "Mul")], None),
    (lambda x, y, b, c: -x, [("Neg", "Neg")], None),
]


@pytest.mark.parametrize("build,expected,out_name", OPERATORS,
                         ids=[str(i) for i in range(len(OPERATORS))])
def test_operators(build, expected, out_name):
    out = build(x_(), x_(), b_(), b_())
    assert _ops() == expected
    if out_name:
        assert out.name == out_name


def test_matmul_operator_on_batches_uses_batch_matmul():
    out = _ph([4, 2, 3]) @ _ph([4, 3, 2])
    assert _ops() == [("matmul", "BatchMatMulV2")]
    assert out.shape.as_list() == [4, 2, 2]


def test_equality_operators_stay_identity():
    x, y = x_(), x_()
    assert (x == y) is False and (x == x) is True and (x != y) is True
    assert _ops() == []


def test_operator_values():
    x = tf.constant([7.0, -7.0, 7.5])
    y = tf.constant([2.0, 2.0, -2.0])
    b = tf.constant([True, True, False])
    c = tf.constant([True, False, False])
    got = _run([x // y, x % y, y ** 2, 2 ** y, abs(x), x < y, b & c, b | c, b ^ c, ~b])
    np.testing.assert_array_equal(got[0], [3.0, -4.0, -4.0])
    np.testing.assert_array_equal(got[1], [1.0, 1.0, -0.5])
    np.testing.assert_array_equal(got[2], [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(got[3], [4.0, 4.0, 0.25])
    np.testing.assert_array_equal(got[4], [7.0, 7.0, 7.5])
    np.testing.assert_array_equal(got[5], [False, True, False])
    np.testing.assert_array_equal(got[6:], [[True, False, False], [True, True, False],
                                            [False, True, False], [False, False, True]])


def test_logical_operators_need_bool_tensors():
    with pytest.raises(TypeError, match="Input 'x' of 'LogicalAnd' Op has type int32 that does "
                                        "not match expected type of bool."):
        tf.logical_and(tf.constant([1]), tf.constant([1]))


# -- values verified with TensorFlow ---------------------------------------------------------------


def test_floor_division_and_modulo_follow_the_divisor_sign():
    a, b = tf.constant([7, -7, 7, -7]), tf.constant([2, 2, -2, -2])
    fa, fb = tf.constant([7.5, -7.5, 7.5, -7.5]), tf.constant([2.0, 2.0, -2.0, -2.0])
    q, r, fr, fq = _run([tf.floordiv(a, b), tf.floormod(a, b), tf.floormod(fa, fb),
                         tf.floordiv(tf.constant([1.0, -1.0, 7.5]),
                                     tf.constant([0.1, 0.3, -2.0]))])
    np.testing.assert_array_equal(q, [3, -4, -4, 3])
    np.testing.assert_array_equal(r, [1, 1, -1, -1])
    np.testing.assert_array_equal(fr, [1.5, 0.5, -0.5, -1.5])
    np.testing.assert_array_equal(fq, [10.0, -4.0, -4.0])  # floor(x / y), not Python's //


def test_div_is_floor_division_for_integers_and_div_no_nan():
    d, dn = _run([tf.div(tf.constant([7, -7]), 2), tf.div_no_nan(1.0, 0.0)])
    np.testing.assert_array_equal(d, [3, -4])
    assert d.dtype == np.int32 and dn == 0.0


def test_round_sign_and_special_values():
    r, s, fin, sig, lg = _run([
        tf.round(tf.constant([0.5, 1.5, 2.5, -0.5, -1.5, 2.4])),
        tf.sign(tf.constant([-2.0, 0.0, 3.0, np.nan])),
        tf.is_finite(tf.constant([1.0, np.inf, np.nan])),
        tf.sigmoid(tf.constant([-100.0, 0.0, 100.0])),  # exp overflows to inf: exactly 0
        tf.log(tf.constant([-1.0, 0.0]))])
    np.testing.assert_array_equal(r, [0.0, 2.0, 2.0, -0.0, -2.0, 2.0])
    np.testing.assert_array_equal(s[:3], [-1.0, 0.0, 1.0])
    assert np.isnan(s[3])
    np.testing.assert_array_equal(fin, [True, False, False])
    np.testing.assert_array_equal(sig, [0.0, 0.5, 1.0])
    assert np.isnan(lg[0]) and lg[1] == -np.inf


def test_inf_and_nan_results_do_not_warn_outside_pytest():
    """TF returns inf/nan silently; so do the kernels (a warnings filter, no np.errstate)."""
    import subprocess
    import sys

    code = ("import warnings; warnings.simplefilter('default'); import numpy as np, minitf as tf; "
            "s = tf.Session(); s.run([tf.sigmoid(tf.constant([-100.0])), tf.log(0.0), "
            "tf.exp(1000.0), tf.reciprocal(0.0), tf.floormod(1.0, 0.0), tf.div_no_nan(1.0, 0.0)])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeWarning" not in proc.stderr


def test_empty_reductions_give_the_identity():
    mx, mn, pr, am = _run([tf.reduce_max(tf.zeros([0, 3]), 0),
                           tf.reduce_min(tf.zeros([0, 3], tf.int32), 0),
                           tf.reduce_prod(tf.zeros([0, 3]), 0),
                           tf.argmax(tf.constant([False, True]), 0)])
    np.testing.assert_array_equal(mx, [-np.inf] * 3)
    np.testing.assert_array_equal(mn, [2147483647] * 3)
    np.testing.assert_array_equal(pr, [1.0] * 3)
    assert am == 1


@pytest.mark.parametrize("values,arg_max,arg_min", [
    ([1.0, np.nan, 3.0], 2, 0),
    ([np.nan, 1.0, 0.0], 1, 2),
    ([np.nan, np.nan], 0, 0),
    ([np.nan, -np.inf], 0, 1),
    ([-np.inf, np.nan, -np.inf], 0, 0),
    ([2.0, np.nan, 2.0], 0, 0),
])
def test_argmax_and_argmin_skip_nan_like_tensorflow(values, arg_max, arg_min):
    x = tf.constant(values)
    rows = tf.reshape(tf.concat([x, x], 0), [2, -1])
    got = _run([tf.argmax(x), tf.argmin(x), tf.argmax(rows, 1), tf.argmin(rows, 1)])
    assert got[0] == arg_max and got[1] == arg_min
    np.testing.assert_array_equal(got[2], [arg_max] * 2)
    np.testing.assert_array_equal(got[3], [arg_min] * 2)


def test_where_coordinates_select_and_select_v2():
    cond = tf.constant([[True, False, True], [False, True, False]])
    coords, sel, sel2 = _run([
        tf.where(cond),
        tf.where(tf.constant([True, False]), tf.ones([2, 3]), tf.zeros([2, 3])),
        tf.where_v2(tf.constant([True, False, True]), tf.ones([2, 3]), tf.zeros([2, 1]))])
    np.testing.assert_array_equal(coords, [[0, 0], [0, 2], [1, 1]])
    assert coords.dtype == np.int64
    np.testing.assert_array_equal(sel, [[1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(sel2, [[1, 0, 1], [1, 0, 1]])


def test_equality_of_strings_and_bools():
    e = tf.equal(tf.constant(["a", "b"]), "a")
    assert _ops() == [("Const", "Const"), ("Equal/y", "Const"), ("Equal", "Equal")]
    s = tf.placeholder(tf.string, [2])
    got = _run([e, tf.not_equal(s, "b"), tf.equal(tf.constant([True]), True)],
               {s: np.array([b"a", b"b"], dtype=object)})
    np.testing.assert_array_equal(got[0], [True, False])
    np.testing.assert_array_equal(got[1], [True, False])
    np.testing.assert_array_equal(got[2], [True])


def test_equal_with_incompatible_shape_error_false():
    x, y = _ph(None), _ph(None)
    eq = logic_ops.EQUAL(x, y, incompatible_shape_error=False)
    ne = logic_ops.NOT_EQUAL(x, y, incompatible_shape_error=False)
    assert eq.shape.rank is None
    got = _run([eq, ne], {x: np.ones(2), y: np.ones(3)})
    assert got[0].shape == () and not got[0] and got[1]
    static = logic_ops.EQUAL(tf.ones([2]), tf.ones([3]), incompatible_shape_error=False)
    assert static.shape.as_list() == []


def test_count_nonzero_logsumexp_cumsum_and_clip():
    cn, cb, lse, cs, clip = _run([
        tf.count_nonzero(tf.constant([[0.0, 1.5], [2.0, 0.0]])),
        tf.count_nonzero(tf.constant([True, False, True])),
        tf.reduce_logsumexp(tf.constant([[0.0, 2.0, 3.0], [-np.inf, -np.inf, -np.inf]]), 1),
        tf.cumsum(tf.constant([1, 2, 3]), exclusive=True, reverse=True),
        tf.clip_by_value(tf.constant([1, 5, 9]), 2, 6)])
    assert cn == 2 and cn.dtype == np.int64 and cb == 2
    np.testing.assert_allclose(lse, [3.3490124, -np.inf], rtol=1e-6)
    np.testing.assert_array_equal(cs, [5, 3, 0])
    np.testing.assert_array_equal(clip, [2, 5, 6])


# -- graph-construction errors ---------------------------------------------------------------------


def test_dtype_errors_use_tensorflow_wording():
    with pytest.raises(TypeError, match="Value passed to parameter 'x' has DataType int32 not "
                                        "in list of allowed values: bfloat16, float16, float32, "
                                        "float64, complex64, complex128"):
        tf.exp(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="parameter 'x' has DataType bool not in list"):
        tf.less(tf.constant([True]), True)
    with pytest.raises(TypeError, match="parameter 'input' has DataType bool not in list"):
        tf.reduce_max(tf.constant([True]))
    with pytest.raises(TypeError, match="Input 'input' of 'All' Op has type float32"):
        tf.reduce_all(tf.constant([1.0]))


def test_argument_conflicts():
    with pytest.raises(ValueError, match="Cannot specify both 'reduction_indices' and 'axis'."):
        tf.reduce_max(tf.ones([2]), axis=0, reduction_indices=0)
    with pytest.raises(ValueError, match="Cannot specify both 'keep_dims' and 'keepdims'."):
        tf.reduce_prod(tf.ones([2]), keepdims=True, keep_dims=True)
    with pytest.raises(ValueError, match="Cannot specify both 'dimension' and 'axis'."):
        tf.argmax(tf.ones([2]), axis=0, dimension=0)
    with pytest.raises(ValueError, match="x and y must both be non-None or both be None."):
        tf.where(tf.constant([True]), x=tf.ones([1]))
    with pytest.raises(ValueError, match="The input scalar must be a 0-D value. Received shape "):
        tf.scalar_mul([1.0, 2.0], tf.ones([2]))
    with pytest.raises(ValueError, match=r"Shapes \(3,\) and \(2, 3\) are incompatible"):
        tf.clip_by_value(tf.ones([3]), tf.zeros([2, 1]), 1.0)
    with pytest.raises(ValueError, match="Only one of `transpose_b` and `adjoint_b` can be True."):
        tf.matmul(tf.ones([2, 2]), tf.ones([2, 2]), transpose_b=True, adjoint_b=True)


def test_static_shape_errors():
    cases = [
        (lambda: tf.where(tf.constant([True, False, True]), tf.ones([2, 3]), tf.zeros([2, 3])),
         "Dimension 0 in both shapes must be equal, but are 3 and 2. Shapes are [3] and [2]."),
        (lambda: tf.where(tf.constant([[True, False, True]]), tf.ones([2, 3]), tf.zeros([2, 3])),
         "Dimension 0 in both shapes must be equal, but are 2 and 1. Shapes are [2,3] and "
         "[1,3]."),
        (lambda: tf.where(tf.constant([True, False]), tf.ones([2, 3]), tf.zeros([3])),
         "Shapes must be equal rank, but are 2 and 1"),
        (lambda: tf.where_v2(tf.ones([2], tf.bool), tf.ones([3]), 0.0),
         "Dimensions must be equal, but are 2 and 3"),
        (lambda: tf.equal(tf.ones([2]), tf.ones([3])), "Dimensions must be equal, but are 2 and 3"),
        (lambda: tf.matmul(tf.ones([2, 2, 3]), tf.ones([3, 2, 2])),
         "Dimensions must be equal, but are 3 and 2"),
        (lambda: tf.matmul(tf.ones([2, 2, 3]), tf.ones([3, 3, 2])),
         "Dimensions must be equal, but are 2 and 3"),
        (lambda: linalg_ops.BATCH_MATMUL_V2(tf.ones([2, 2, 3]), tf.ones([3])),
         "Shape must be at least rank 2 but is rank 1"),
        (lambda: tf.reduce_max(tf.ones([2, 3]), 2),
         "Invalid reduction dimension 2 for input with 2 dimensions."),
        (lambda: tf.reduce_sum(tf.constant(3.0), 0),
         "Invalid reduction dimension 0 for input with 0 dimensions."),
        (lambda: tf.argmax(tf.zeros([2, 3]), 2),
         "Dimension (2) must be in the range [-2, 2), where 2 is the number of dimensions in "
         "the input."),
        (lambda: reduction_ops.ARG_MAX(tf.ones([2, 3]), [1]), "Shape must be rank 0 but is rank 1"),
    ]
    for build, message in cases:
        with pytest.raises(ValueError) as info:
            build()
        assert message in str(info.value)


# -- runtime errors --------------------------------------------------------------------------------


def _fed(value):
    return tf.placeholder_with_default(np.asarray(value), None)


@pytest.mark.parametrize("build,message", [
    (lambda: tf.floordiv(tf.constant([7]), _fed(np.array([0], np.int32))),
     "Integer division by zero"),
    (lambda: tf.floormod(tf.constant([7]), _fed(np.array([0], np.int32))),
     "Integer division by zero"),
    (lambda: tf.pow(tf.constant([2]), _fed(np.array([-1], np.int32))),
     "Integers to negative integer powers are not allowed"),
    (lambda: tf.argmax(_fed(np.zeros((0, 3), np.float32)), 0),
     "Reduction axis 0 is empty in shape [0,3]"),
    (lambda: tf.equal(_fed(np.ones(2, np.float32)), _fed(np.ones(3, np.float32))),
     "Incompatible shapes: [2] vs. [3]"),
    (lambda: tf.maximum(_fed(np.ones(2, np.float32)), _fed(np.ones(3, np.float32))),
     "Incompatible shapes: [2] vs. [3]"),
    (lambda: tf.where(_fed([True, False]), _fed(np.ones((2, 3), np.float32)),
                      _fed(np.ones(3, np.float32))),
     "'then' and 'else' must have the same size.  but received: [2,3] vs. [3]"),
    (lambda: tf.where(_fed([True, False, True]), _fed(np.ones((2, 3), np.float32)),
                      _fed(np.ones((2, 3), np.float32))),
     "Number of batches of 'then' must match size of 'cond', but saw: 2 vs. 3"),
    (lambda: tf.where(_fed([[True, False, True]]), _fed(np.ones((2, 3), np.float32)),
                      _fed(np.ones((2, 3), np.float32))),
     "Inputs to operation Select of type Select must have the same size and shape.  Input 0: "
     "[1,3] != input 1: [2,3]"),
    (lambda: tf.matmul(_fed(np.ones((2, 2, 3), np.float32)), _fed(np.ones((2, 2, 2), np.float32))),
     "Matrix size-incompatible: In[0]: [2,2,3], In[1]: [2,2,2] 0 0"),
    (lambda: tf.matmul(_fed(np.ones((2, 2, 3), np.float32)), _fed(np.ones((3, 3, 2), np.float32))),
     "In[0] and In[1] must have compatible batch dimensions: [2,2,3] vs. [3,3,2]"),
    (lambda: tf.matmul(_fed(np.ones(3, np.float32)), _fed(np.ones((3, 3, 2), np.float32))),
     "In[0] ndims must be >= 2: 1"),
    (lambda: tf.cumsum(_fed(np.array([1, 2, 3], np.int32)), 1),
     "ScanOp: Expected scan axis in the range [-1, 1), but got 1"),
    (lambda: tf.where(tf.constant(True)), "WhereOp : Unhandled input dimensions: 0"),
    (lambda: tf.reduce_max(_fed(np.ones((2, 3), np.float32)), 2),
     "Invalid reduction dimension 2 for input with 2 dimensions."),
])
def test_runtime_errors(build, message):
    out = build()
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        _run(out)
    assert message in str(info.value)


# -- gradients verified with TensorFlow ------------------------------------------------------------


def test_max_and_maximum_gradients_split_ties():
    x = tf.constant([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    a, b = tf.constant([1.0, 3.0, 3.0]), tf.constant([3.0, 3.0, 1.0])
    g_max = tf.gradients(tf.reduce_max(x, axis=1), x)[0]
    g_a, g_b = tf.gradients(tf.maximum(a, b), [a, b])
    g_min = tf.gradients(tf.reduce_min(x), x)[0]
    got = _run([g_max, g_a, g_b, g_min])
    np.testing.assert_array_equal(got[0], [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    np.testing.assert_array_equal(got[1], [0, 1, 1])  # ties go to x (x >= y)
    np.testing.assert_array_equal(got[2], [1, 0, 0])
    np.testing.assert_array_equal(got[3], [[0, 0, 0], [0, 0, 1]])


def test_pow_gradient_uses_zero_log_where_base_is_not_positive():
    x, y = tf.constant([0.0, 2.0, -1.0]), tf.constant([2.0, 3.0, 2.0])
    gx, gy = _run(tf.gradients(tf.pow(x, y), [x, y]))
    np.testing.assert_allclose(gx, [0.0, 12.0, -2.0])
    np.testing.assert_allclose(gy, [0.0, 5.5451775, 0.0], rtol=1e-6)


def test_prod_gradient_handles_zeros():
    x = tf.constant([[0.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
    y = tf.constant([[0.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    g1, g2, g3 = _run([tf.gradients(tf.reduce_prod(x, 1), x)[0],
                       tf.gradients(tf.reduce_prod(x), x)[0],
                       tf.gradients(tf.reduce_prod(y), y)[0]])
    np.testing.assert_array_equal(g1, [[6, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(g2, np.zeros((2, 3)))
    np.testing.assert_array_equal(g3, [[720, 0, 0], [0, 0, 0]])


def test_scan_floormod_and_squared_difference_gradients():
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 0.0, 6.0]])
    fx, fy = tf.constant([7.5, -7.5]), tf.constant([2.0, 2.0])
    sx, sy = tf.constant([[0.0, 2.0, 3.0]]), tf.constant([[1.0], [2.0]])
    got = _run([tf.gradients(tf.cumprod(x, 1), x)[0],
                tf.gradients(tf.cumprod(x, 1, exclusive=True, reverse=True), x)[0],
                tf.gradients(tf.cumsum(x, 1, exclusive=True), x)[0],
                *tf.gradients(tf.floormod(fx, fy), [fx, fy]),
                *tf.gradients(tf.squared_difference(sx, sy), [sx, sy])])
    np.testing.assert_array_equal(got[0], [[9, 4, 2], [1, 0, 0]])  # TF's div_no_nan at 0
    np.testing.assert_array_equal(got[1], [[0, 3, 3], [0, 0, 1]])
    np.testing.assert_array_equal(got[2], [[2, 1, 0], [2, 1, 0]])
    np.testing.assert_array_equal(got[3], [1, 1])
    np.testing.assert_array_equal(got[4], [-3, 4])
    np.testing.assert_array_equal(got[5], [[-6, 2, 6]])
    np.testing.assert_array_equal(got[6], [[-4], [2]])


def test_batch_matmul_gradient_sums_broadcast_batches():
    x = tf.constant(np.arange(6.0).reshape(1, 2, 3))
    y = tf.constant(np.arange(24.0).reshape(4, 3, 2))
    gx, gy = _run(tf.gradients(tf.matmul(x, y), [x, y]))
    np.testing.assert_array_equal(gx, [[[76, 92, 108], [76, 92, 108]]])
    np.testing.assert_array_equal(gy, np.tile([[3, 3], [5, 5], [7, 7]], (4, 1, 1)))


def test_second_derivatives_through_the_gradient_ops():
    x = tf.constant([0.3, 1.2])
    seconds = []
    for f in (tf.tanh, tf.sigmoid, tf.sqrt, tf.rsqrt, tf.reciprocal):
        first = tf.gradients(f(x), x)[0]
        seconds.append(tf.gradients(first, x)[0])
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert {"TanhGrad", "SigmoidGrad", "SqrtGrad", "RsqrtGrad", "ReciprocalGrad"} <= types
    got = _run(seconds)
    expected = [[-0.5331819, -0.50856245], [-0.03639621, -0.09553813],
                [-1.5214514, -0.19018142], [15.214512, 0.4754535], [74.074066, 1.1574073]]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_non_differentiable_ops_give_no_gradient_and_sign_gives_zeros():
    x = tf.constant([1.5])
    assert tf.gradients(tf.floor(x) + tf.round(x) + tf.ceil(x), x) == [None]
    assert tf.gradients(tf.floordiv(x, 2.0), x) == [None]
    assert tf.gradients(tf.reduce_sum(tf.cast(tf.argmax(x), tf.float32)), x) == [None]
    np.testing.assert_array_equal(_run(tf.gradients(tf.sign(x), x)[0]), [0.0])


def test_logsumexp_gradient_ignores_the_stopped_max():
    x = tf.constant([[0.0, 2.0, 3.0]])
    g = _run(tf.gradients(tf.reduce_logsumexp(x, 1), x)[0])
    np.testing.assert_allclose(g, [[0.03511902, 0.25949645, 0.7053845]], rtol=1e-6)


# -- dynamic-shape gradient paths ------------------------------------------------------------------


def _numeric_grad(sess, loss, x, value, feed=None, eps=1e-6):
    g = np.zeros_like(value)
    for j in np.ndindex(*value.shape):
        hi, lo = value.copy(), value.copy()
        hi[j] += eps
        lo[j] -= eps
        g[j] = (sess.run(loss, {x: hi, **(feed or {})}) -
                sess.run(loss, {x: lo, **(feed or {})})) / (2 * eps)
    return g


REDUCERS = {"sum": tf.reduce_sum, "mean": tf.reduce_mean, "max": tf.reduce_max,
            "min": tf.reduce_min, "prod": tf.reduce_prod, "logsumexp": tf.reduce_logsumexp}


@pytest.mark.parametrize("reducer", sorted(REDUCERS))
@pytest.mark.parametrize("shape", [None, [None, None, None]], ids=["unknown-rank", "unknown-dims"])
@pytest.mark.parametrize("axis,keep", [(None, False), (1, False), ([0, -1], True), (-2, True)])
def test_reduction_gradients_with_unknown_shapes(reducer, shape, axis, keep):
    value = np.random.default_rng(3).standard_normal((2, 3, 2))
    value[0, 1, 1] = 0.0  # a zero for Prod
    x = tf.placeholder(tf.float64, shape)
    y = REDUCERS[reducer](x, axis=axis, keepdims=keep)
    loss = tf.reduce_sum(y * y)
    g = tf.gradients(loss, x)[0]
    with tf.Session() as sess:
        got = sess.run(g, {x: value})
        np.testing.assert_allclose(got, _numeric_grad(sess, loss, x, value), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("reducer", ["sum", "mean", "max", "prod"])
@pytest.mark.parametrize("shape", [None, [2, 3, 2]], ids=["unknown-rank", "known"])
def test_reduction_gradients_with_axes_fed_at_run_time(reducer, shape):
    value = np.random.default_rng(4).standard_normal((2, 3, 2))
    value[1, 0, 1] = 0.0
    x = tf.placeholder(tf.float64, shape)
    axes = tf.placeholder(tf.int32, None)
    loss = tf.reduce_sum(tf.square(REDUCERS[reducer](x, axis=axes)))
    g = tf.gradients(loss, x)[0]
    with tf.Session() as sess:
        for a in (np.array([0, 2]), np.array(-2), np.array([1, 0])):
            got = sess.run(g, {x: value, axes: a})
            np.testing.assert_allclose(got, _numeric_grad(sess, loss, x, value, {axes: a}),
                                       rtol=1e-4, atol=1e-5)


def test_broadcasting_gradients_with_unknown_shapes():
    x, y = tf.placeholder(tf.float64, None), tf.placeholder(tf.float64, [None, 1])
    xv, yv = np.array([[0.5, 1.5, 2.0]]), np.array([[1.2], [0.7]])
    loss = tf.reduce_sum(tf.pow(x, y) + tf.maximum(x, y) + tf.squared_difference(x, y) +
                         tf.where_v2(x > 1.0, x, y))
    gx, gy = tf.gradients(loss, [x, y])
    with tf.Session() as sess:
        got_x, got_y = sess.run([gx, gy], {x: xv, y: yv})
        np.testing.assert_allclose(got_x, _numeric_grad(sess, loss, x, xv, {y: yv}), rtol=1e-5)
        np.testing.assert_allclose(got_y, _numeric_grad(sess, loss, y, yv, {x: xv}), rtol=1e-5)


def test_tf_math_and_tf_random_namespaces_of_tf_1_13():
    assert tf.math.softplus is tf.nn.softplus and tf.math.softsign is tf.nn.softsign
    assert tf.math.in_top_k is tf.nn.in_top_k and tf.math.l2_normalize is tf.nn.l2_normalize
    assert tf.random.normal is tf.random_normal and tf.random.uniform is tf.random_uniform
    assert tf.random.truncated_normal is tf.truncated_normal
    assert tf.random.set_random_seed is tf.set_random_seed
    x = np.array([-40.0, -1.0, 0.0, 3.0, 40.0])
    y = tf.math.log_sigmoid(tf.constant(x))
    assert y.op.name == "LogSigmoid" and tf.log_sigmoid is tf.math.log_sigmoid
    with tf.Session() as sess:
        got = sess.run(y)
    # log(1 / (1 + e^-x)) = -log1p(e^-x), written stably for the reference
    np.testing.assert_allclose(got, np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))), rtol=1e-12)


def test_string_addition_is_tfs_add_op():
    """As TF's math_ops.add: strings concatenate through Add, which TensorFlow has a string
    kernel for (AddV2 has none, so a GraphDef holding a string AddV2 would not import)."""
    words = tf.constant(["ab", "c"])
    joined, numbers = words + "x", tf.constant(1.0) + 2.0
    listed, arrays = tf.add(["a"], ["b"]), tf.add(np.array([b"a"]), np.array([b"b"]))
    assert joined.op.type == "Add" and numbers.op.type == "AddV2"
    assert listed.op.type == "Add" and arrays.op.type == "Add"
    with tf.Session() as sess:
        assert list(sess.run(joined)) == [b"abx", b"cx"]
