"""The rest of tf.contrib.framework: nest's path and shallow-structure utilities against
TensorFlow's own nest, tensor checks, deprecation decorators, name-scope rewriting, fuse_op,
smart_cond/smart_case, contrib's py_func, zero_initializer (the ZeroInitializer op), the
convolution-orthogonal initializers and BoundedTensorSpec (TensorFlow side by side where it
still has the function, else numpy and hand-computed values)."""

import collections
import logging

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import framework as fw
from tests.core.side_by_side import tf1_or_skip, tf_run

nest = fw.nest
NT = collections.namedtuple("NT", "a b")
OT = collections.namedtuple("OT", "add mul")


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _tf_nest():
    tf1_or_skip()
    from tensorflow.python.util import nest as tf_nest
    return tf_nest


# -- nest -----------------------------------------------------------------------------------------
NESTS = [{"b": [1, (2, 3)], "a": NT(4, {"z": 5, "y": 6})}, [[("a", 1), [("b", 2)]]], 7,
         (1, [], {"k": ()})]


@pytest.mark.parametrize("structure", NESTS)
def test_paths_match_tf_nest(structure):
    t = _tf_nest()
    assert list(nest.yield_flat_paths(structure)) == list(t.yield_flat_paths(structure))
    assert nest.flatten_with_tuple_paths(structure) == t.flatten_with_tuple_paths(structure)
    assert nest.flatten_with_joined_string_paths(structure, separator="|") == \
        t.flatten_with_joined_string_paths(structure, separator="|")
    assert nest.is_sequence(structure) == t.is_nested(structure)


def test_up_to_functions_match_tf_nest():
    t = _tf_nest()
    cases = [([[True, True], [False, True]], [[[2, 2], [3, 3]], [[4, 9], [5, 5]]]),
             ([["l1", ["l2", ["l3"]]]], [[("a", 1), [("b", 2), [("c", 3)]]]]),
             (0, [0, 1, 2]), ({"a": 1, "b": NT(1, 2)}, {"a": [1, 2], "b": NT(a=3, b={"x": 4})})]
    for shallow, tree in cases:
        assert nest.flatten_up_to(shallow, tree) == t.flatten_up_to(shallow, tree)
        assert nest.flatten_with_tuple_paths_up_to(shallow, tree) == \
            t.flatten_with_tuple_paths_up_to(shallow, tree)
        assert nest.map_structure_up_to(shallow, repr, tree) == \
            t.map_structure_up_to(shallow, repr, tree)
    val, ops = NT(a=2, b=3), NT(a=OT(1, 2), b=OT(2, 3))
    assert nest.map_structure_up_to(val, lambda v, o: (v + o.add) * o.mul, val, ops) == \
        NT(a=6, b=15)

    def f(path, *v):
        return (path, v)
    lower, upper = {"a": "a", "b": ("b0", "b1")}, {"a": "A", "b": ("B0", "B1")}
    assert nest.map_structure_with_tuple_paths(f, lower, upper) == \
        t.map_structure_with_tuple_paths(f, lower, upper)
    assert nest.map_structure_with_paths(f, lower, upper) == \
        t.map_structure_with_paths(f, lower, upper)
    assert nest.map_structure_with_tuple_paths_up_to({"a": None}, f, {"a": [1]}, {"a": [2]}) == \
        t.map_structure_with_tuple_paths_up_to({"a": None}, f, {"a": [1]}, {"a": [2]})
    d = {(4, 5, (6, 8)): ("a", "b", ("c", "d")), 9: "x"}
    assert nest.flatten_dict_items(d) == t.flatten_dict_items(d) == \
        {4: "a", 5: "b", 6: "c", 8: "d", 9: "x"}
    structure = {"a": (1, 2), "b": [3, (4,)]}
    for fn in (lambda s: not isinstance(s, tuple),
               lambda s: [True, False] if isinstance(s, list) else True):
        assert nest.get_traverse_shallow_structure(fn, structure) == \
            t.get_traverse_shallow_structure(fn, structure)


def test_composite_paths_match_tf_nest():
    t = _tf_nest()
    tf2 = pytest.importorskip("tensorflow")
    theirs = list(t.yield_flat_paths({"a": tf2.SparseTensor([[0, 0]], [1.], [2, 2])},
                                     expand_composites=True))
    ours = list(nest.yield_flat_paths({"a": tf.SparseTensor([[0, 0]], [1.], [2, 2])},
                                      expand_composites=True))
    assert ours == theirs == [("a", "SparseTensor", 0), ("a", "SparseTensor", 1),
                              ("a", "SparseTensor", 2)]
    sp = tf.SparseTensor([[0]], [1.], [2])
    assert nest.is_sequence_or_composite(sp) and not nest.is_sequence(sp)


@pytest.mark.parametrize("shallow,tree,kwargs", [
    (["a", "b"], ["c", ["d", "e"], "f"], {}), ({"a": 1, "b": 2}, {"a": 1, "c": 2}, {}),
    ([1, 2], (1, 2), {}), (NT(1, 2), (1, 2), {}), ([1, [2]], [1, 3], {}),
    ((1, 2), NT(1, 2), {}), ({"a": 1}, collections.OrderedDict(a=2), {}),
    ((1, 2), [1, 2], {"check_types": False})])
def test_assert_shallow_structure_matches_tf_nest(shallow, tree, kwargs):
    t = _tf_nest()

    def outcome(module):
        try:
            module.assert_shallow_structure(shallow, tree, **kwargs)
            return "ok"
        except (TypeError, ValueError) as e:
            return f"{type(e).__name__}: {e}"
    assert outcome(nest) == outcome(t)


def test_subtrees_length_and_errors_by_hand():
    # without check_subtrees_length the input may be longer (and its tail is dropped)
    assert nest.flatten_up_to(["a", "b"], ["c", ["d", "e"], "f"],
                              check_subtrees_length=False) == ["c", ["d", "e"]]
    with pytest.raises(ValueError, match="input_tree has fewer elements"):
        nest.assert_shallow_structure([1, 2, 3], [1, 2], check_subtrees_length=False)
    with pytest.raises(ValueError, match="Cannot map over no sequences"):
        nest.map_structure_up_to([1], repr)
    with pytest.raises(TypeError, match="input must be a dictionary"):
        nest.flatten_dict_items([1])
    with pytest.raises(ValueError, match="key 1 is not unique"):
        nest.flatten_dict_items({(1, 2): (3, 4), 1: 5})
    with pytest.raises(ValueError, match="Key had 2 elements, but value had 1"):
        nest.flatten_dict_items({(1, 2): (3,)})
    with pytest.raises(TypeError, match="returned a non-bool scalar"):
        nest.get_traverse_shallow_structure(lambda s: 3, [1])
    # the kwargs not about structure reach func
    assert nest.map_structure_up_to([0, 0], lambda x, k: x * k, [1, [2]], k=3) == [3, [2, 2, 2]]


# -- tensor checks --------------------------------------------------------------------------------
def test_assert_scalar_int_and_reexports():
    x = tf.constant(3, tf.int64)
    assert fw.assert_scalar_int(x) is x
    with pytest.raises(ValueError, match="Expected integer type for Const_1:0"):
        fw.assert_scalar_int(tf.constant(1.0))
    with pytest.raises(ValueError, match="Expected scalar shape"):
        fw.assert_scalar_int(tf.constant([1, 2]))
    assert fw.assert_same_float_dtype([tf.constant(1.0)]) == tf.float32 and \
        fw.is_numeric_tensor(x) and not fw.is_numeric_tensor(tf.constant("s"))
    with tf.Session() as sess:
        assert sess.run([fw.is_non_decreasing([1, 1, 2]), fw.is_strictly_increasing([1, 1, 2])]) \
            == [True, False]


def test_remove_squeezable_dimensions_static_and_dynamic():
    p, lab = fw.remove_squeezable_dimensions(tf.zeros([4, 1]), tf.zeros([4]))
    assert p.shape.as_list() == [4] and lab.shape.as_list() == [4]
    p, lab = fw.remove_squeezable_dimensions(tf.zeros([4]), tf.zeros([4, 1]))
    assert p.shape.as_list() == [4] and lab.shape.as_list() == [4]
    p, lab = fw.remove_squeezable_dimensions(tf.zeros([4, 2]), tf.zeros([4, 2]))
    assert p.shape.as_list() == [4, 2] and lab.shape.as_list() == [4, 2]
    unknown = tf.placeholder(tf.float32)
    p, lab = fw.remove_squeezable_dimensions(unknown, tf.zeros([3]))
    with tf.Session() as sess:
        assert sess.run(p, {unknown: np.ones([3, 1])}).shape == (3,)
        assert sess.run(p, {unknown: np.ones([3])}).shape == (3,)


def test_with_same_shape():
    x = tf.placeholder(tf.float32, [None, 3])
    y = fw.with_same_shape(tf.zeros([2, 3]), x)
    assert y.shape.as_list() == [2, 3]
    with tf.Session() as sess:
        assert sess.run(y, {x: np.ones([2, 3])}).shape == (2, 3)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Wrong shape"):
            sess.run(y, {x: np.ones([4, 3])})
    dynamic = tf.placeholder(tf.float32, [None])
    z = fw.with_same_shape(dynamic, tf.placeholder(tf.float32, [None], name="z"))
    with tf.Session() as sess:
        sess.run(z, {dynamic: [1, 2], "z:0": [3, 4]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Wrong shape"):
            sess.run(z, {dynamic: [1, 2], "z:0": [3]})
    with pytest.raises(ValueError, match="Invalid shape"):
        fw.with_same_shape(tf.zeros([2]), tf.zeros([3]))


def test_get_graph_from_inputs_and_placeholders():
    a = tf.placeholder(tf.float32, name="a")
    b = tf.constant(1.0)
    g = tf.get_default_graph()
    assert fw.get_graph_from_inputs([a, b.op, 3]) is g
    assert fw.get_graph_from_inputs([]) is g
    other = tf.Graph()
    with other.as_default():
        c = tf.constant(2.0)
        tf.placeholder(tf.int32, name="p")
    with pytest.raises(ValueError, match="must be from the same graph"):
        fw.get_graph_from_inputs([a, c])
    with pytest.raises(ValueError, match="is not from the passed-in graph"):
        fw.get_graph_from_inputs([a], graph=other)
    with pytest.raises(TypeError, match="Input graph needs to be a Graph"):
        fw.get_graph_from_inputs([a], graph="g")
    assert fw.get_placeholders(g) == [a]
    assert [t.name for t in fw.get_placeholders(other)] == ["p:0"]
    with pytest.raises(TypeError, match="Input graph needs to be a Graph"):
        fw.get_placeholders(None)


# -- deprecation ----------------------------------------------------------------------------------
def _tf_deprecation():
    tf1_or_skip()
    from tensorflow.python.util import deprecation
    return deprecation


def _decorate(module):
    def f(a, b=1):
        """Doc.

        More.
        """
        return a + b

    def g(a, b=1, c=3):
        """Doc g."""
        return a + b + c

    def h(a, b=1):
        return a * b
    return (module.deprecated(None, "Use k.")(f),
            module.deprecated_args("2020-01-01", "No b.", "b", ("c", 3))(g),
            module.deprecated_arg_values(None, "No b=2.", b=2)(h))


def test_deprecation_docstrings_match_tf():
    ours = [d.__doc__ for d in _decorate(fw)]
    theirs = [d.__doc__.replace("Deprecated: ", "")  # a TF 2.x prefix, not TF 1.15's
              for d in _decorate(_tf_deprecation())]
    assert ours == theirs
    assert ours[0] == ("Doc. (deprecated)\n\nTHIS FUNCTION IS DEPRECATED. It will be removed in "
                       "a future version.\nInstructions for updating:\nUse k.\n\nMore.")


def test_deprecation_warnings(caplog):
    f, g, h = _decorate(fw)
    with caplog.at_level(logging.WARNING, logger="minitf"):
        assert (f(1), f(2)) == (2, 3)
        assert g(1) == 5 and g(1, c=3) == 5  # c's ok value: no warning
        assert g(1, 2) == 6 and g(1, b=2) == 6
        assert h(2, b=3) == 6 and h(2, 2) == 4 and h(3, b=2) == 6
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3  # once each
    assert "f (from" in messages[0] and "is deprecated and will be removed in a future" in \
        messages[0] and messages[0].endswith("Use k.")
    assert "with b is deprecated and will be removed after 2020-01-01" in messages[1]
    assert "with b=2 is deprecated" in messages[2]
    assert f.__name__ == "f" and f.__wrapped__(1) == 2


def test_deprecation_rejects_bad_declarations():
    with pytest.raises(ValueError, match="Date must be YYYY-MM-DD"):
        fw.deprecated("2020/01/01", "x")
    with pytest.raises(ValueError, match="Don't deprecate things without conversion"):
        fw.deprecated(None, "")
    with pytest.raises(ValueError, match="Specify which argument is deprecated"):
        fw.deprecated_args(None, "x")
    with pytest.raises(ValueError, match="not present in the function signature: \\['zz'\\]"):
        fw.deprecated_args(None, "x", "zz")(lambda a: a)
    with pytest.raises(ValueError, match="Specify which argument values are deprecated"):
        fw.deprecated_arg_values(None, "x")
    with pytest.raises(ValueError, match="Illegal argument to deprecated_args"):
        fw.deprecated_args(None, "x", "a", bad=1)


# -- name scopes and GraphDefs --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["a/b", "^a/b", "loc:@a/b", "x/a/b", "a//b", b"a/b"])
@pytest.mark.parametrize("scope", ["a", "a/", "", None])
def test_name_scope_rewrites_match_tf(name, scope):
    tf1_or_skip()
    from tensorflow.python.framework import ops
    assert fw.prepend_name_scope(name, scope) == ops.prepend_name_scope(name, scope)
    assert fw.strip_name_scope(name, scope) == ops.strip_name_scope(name, scope)


def test_fuse_op_replaces_the_subgraph():
    x = tf.placeholder(tf.float32, name="x")
    a = tf.add(x, 1.0, name="a")
    b = tf.multiply(a, 2.0, name="b")
    out = tf.identity(b, name="out")
    tf.identity(out, name="after")
    gd = tf.get_default_graph().as_graph_def()
    fused = fw.fuse_op(gd, ["x"], ["out"], [tf.float32], True, "fused", "MyOp")
    names = [n.name for n in fused.node]
    assert names == ["x", "fused", "out", "after"]
    node = fused.node[1]
    assert node.op == "MyOp" and list(node.input) == ["x"]
    assert list(node.attr["_output_types"].list.type) == [tf.float32.as_datatype_enum]
    assert node.attr["_output_quantized"].b and list(fused.node[2].input) == ["fused"]
    with pytest.raises(TypeError, match="graph_def must be a graph_pb2.GraphDef"):
        fw.fuse_op("gd", ["x"], ["out"], [tf.float32], False, "f", "T")
    with pytest.raises(TypeError, match="input_nodes must be a list"):
        fw.fuse_op(gd, "x", ["out"], [tf.float32], False, "f", "T")
    with pytest.raises(AssertionError, match="nope is not in graph"):
        fw.fuse_op(gd, ["nope"], ["out"], [tf.float32], False, "f", "T")
    with pytest.raises(TypeError, match="Node c uses input x not in input_nodes"):
        fw.fuse_op(_reads_past_input(), ["b"], ["out"], [tf.float32], False, "f", "T")


def _reads_past_input():
    """c reads b, the fused part's input, but also x behind it."""
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, name="x")
        b = tf.add(x, 1.0, name="b")
        tf.identity(tf.multiply(b, x, name="c"), name="out")
    return g.as_graph_def()


# -- smart_cond -----------------------------------------------------------------------------------
def _smart(module_cond, t):
    p = t.placeholder(t.bool, [], name="p")
    static = module_cond.smart_cond(t.constant(True), lambda: t.constant(1),
                                    lambda: t.constant(2))
    folded = module_cond.smart_cond(t.equal(t.constant(1), 2), lambda: t.constant(1),
                                    lambda: t.constant(2))
    dynamic = module_cond.smart_cond(p, lambda: t.constant(10), lambda: t.constant(20))
    case = module_cond.smart_case([(False, lambda: t.constant(1)),
                                   (t.logical_not(p), lambda: t.constant(2))],
                                  default=lambda: t.constant(3))
    return p, [static, folded, dynamic, case]


def test_smart_cond_and_case_match_tf():
    def build(t):
        from tensorflow.python.framework import smart_cond
        p, fetches = _smart(smart_cond, t)
        with t.Session() as sess:
            return [sess.run(fetches, {p: v}) for v in (True, False)]
    tf2 = tf1_or_skip()
    with tf2.Graph().as_default():
        want = build(tf2)
    p, fetches = _smart(fw, tf)
    with tf.Session() as sess:
        got = [sess.run(fetches, {p: v}) for v in (True, False)]
    assert got == want == [[1, 2, 10, 3], [1, 2, 20, 2]]
    # a predicate known statically builds no cond
    with tf.Graph().as_default() as g:
        fw.smart_cond(tf.equal(1, 1), lambda: tf.constant(1), lambda: tf.constant(2))
        fw.smart_case([(tf.constant(False), lambda: tf.constant(1))],
                      default=lambda: tf.constant(2))
        assert not [op for op in g.get_operations() if op.type == "Switch"]
        fw.smart_cond(tf.placeholder(tf.bool), lambda: tf.constant(1), lambda: tf.constant(2))
        assert [op for op in g.get_operations() if op.type == "Switch"]


def test_smart_constant_value_and_errors():
    assert fw.smart_constant_value(1) is True and fw.smart_constant_value(False) is False
    assert fw.smart_constant_value(tf.constant(True)) is True
    assert fw.smart_constant_value(tf.placeholder(tf.bool)) is None
    with pytest.raises(TypeError, match="`pred` must be a Tensor, or a Python bool"):
        fw.smart_constant_value("yes")
    with pytest.raises(TypeError, match="`true_fn` must be callable"):
        fw.smart_cond(True, 1, lambda: 2)
    with pytest.raises(TypeError, match="`false_fn` must be callable"):
        fw.smart_cond(True, lambda: 1, None)
    p = tf.placeholder(tf.bool, [])
    r = fw.smart_case([(p, lambda: tf.constant(1)), (tf.logical_not(p), lambda: tf.constant(2))],
                      exclusive=True)
    with tf.Session() as sess:
        assert [sess.run(r, {p: True}), sess.run(r, {p: False})] == [1, 2]
    with pytest.raises(TypeError, match="pred must be Tensor of type bool"):
        fw.smart_case([(tf.constant(1), lambda: 1)])


# -- py_func --------------------------------------------------------------------------------------
def test_py_func_nested_outputs_kwargs_and_shapes():
    def func(a, b=None):
        return {"s": a + b, "p": (a * b, np.float32(a))}
    types = {"s": tf.float32, "p": (tf.float32, tf.float32)}
    out = fw.py_func(func, [tf.constant(2.0)], {"b": tf.constant(3.0)}, output_types=types,
                     output_shapes={"s": [], "p": ([], None)})
    assert out["s"].shape.as_list() == [] and out["p"][1].shape.rank is None
    callable_types = fw.py_func(lambda x: x * 2, [tf.constant([1, 2])],
                                output_types=lambda x: x.dtype,
                                output_shapes=lambda x: x.shape)
    assert callable_types.shape.as_list() == [2]
    with tf.Session() as sess:
        got = sess.run(out)
        assert got == {"s": 5.0, "p": (6.0, 2.0)}
        np.testing.assert_array_equal(sess.run(callable_types), [2, 4])
    bad = fw.py_func(lambda: [1.0], [], output_types=(tf.float32, tf.float32))
    with tf.Session() as sess:
        with pytest.raises(Exception, match="same sequence length|sequence type"):
            sess.run(bad)
    with pytest.raises(TypeError, match="args must be list"):
        fw.py_func(lambda x: x, tf.constant(1.0), output_types=tf.float32)
    with pytest.raises(TypeError, match="kwargs must be dict"):
        fw.py_func(lambda x: x, [], [1], output_types=tf.float32)


def test_sort_and_argsort_match_tf():
    values = np.array([[3, 1, 2], [0, 5, 4]], np.int32)
    with tf.Session() as sess:
        got = sess.run([fw.sort(values), fw.argsort(values, direction="DESCENDING")])
    want = tf_run(lambda t: [t.sort(values), t.argsort(values, direction="DESCENDING")])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# -- zero_initializer -----------------------------------------------------------------------------
def test_zero_initializer_zeroes_an_uninitialized_variable():
    v = tf.Variable(tf.ones([2, 3], tf.int32), name="v")
    z = fw.zero_initializer(v)
    assert z.op.type == "ZeroInitializer" and z.dtype == tf.int32 and z.shape == [2, 3]
    node = [n for n in tf.get_default_graph().as_graph_def().node if n.name == z.op.name][0]
    assert sorted(node.attr) == ["T"] and list(node.input) == ["v"]  # TF's NodeDef
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized"):
            sess.run(v)
        np.testing.assert_array_equal(sess.run(z), np.zeros([2, 3]))
        np.testing.assert_array_equal(sess.run(v), np.zeros([2, 3]))
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="input is already initialized"):
            sess.run(z)
        np.testing.assert_array_equal(sess.run(v), np.ones([2, 3]))


def test_zero_initializer_rejects_non_variables():
    with pytest.raises(TypeError, match="mutable tensor"):
        fw.zero_initializer(tf.constant([1.0]))
    with pytest.raises(TypeError, match="not a real number type"):
        fw.zero_initializer(tf.Variable([True]))
    v = tf.Variable(tf.zeros([2]), validate_shape=False)
    with pytest.raises(ValueError, match="fully defined shape"):
        fw.zero_initializer(v)


# -- initializers ---------------------------------------------------------------------------------
def _circular_conv(x, k):
    """Circular N-D convolution of x [spatial..., cin] with k [ksize..., cin, cout]."""
    nd = k.ndim - 2
    out = np.zeros(x.shape[:nd] + (k.shape[-1],))
    for offset in np.ndindex(*k.shape[:nd]):
        shifted = np.roll(x, [-o for o in offset], axis=tuple(range(nd)))
        out += shifted @ k[offset]
    return out


@pytest.mark.parametrize("init,shape", [
    (fw.convolutional_orthogonal_1d, [3, 4, 4]), (fw.convolutional_orthogonal_2d, [3, 3, 5, 5]),
    (fw.convolutional_orthogonal_3d, [2, 2, 2, 3, 3]),
    (fw.convolutional_delta_orthogonal, [3, 3, 4, 4]),
    (fw.convolutional_orthogonal_2d, [2, 2, 3, 6]),
    (fw.convolutional_delta_orthogonal, [3, 2, 5])])
def test_orthogonal_kernels_preserve_norms(init, shape):
    kernel = init(gain=1.5, seed=4)(shape)
    assert kernel.shape.as_list() == shape
    with tf.Session() as sess:
        k = sess.run(kernel)
    flat = k.reshape(-1, shape[-2], shape[-1])
    np.testing.assert_allclose(sum(m @ m.T for m in flat), 1.5 ** 2 * np.eye(shape[-2]),
                               atol=1e-4)
    if shape[-2] == shape[-1]:  # square: the circular convolution scales norms by the gain
        x = np.random.RandomState(0).randn(*([7] * (len(shape) - 2) + [shape[-1]]))
        np.testing.assert_allclose(np.linalg.norm(_circular_conv(x, k)),
                                   1.5 * np.linalg.norm(x), rtol=1e-4)


def test_orthogonal_initializer_errors_match_tf():
    tf1_or_skip()
    from tensorflow.python.ops import init_ops
    cases = [("convolutional_orthogonal_2d", [3, 3, 5]), ("convolutional_orthogonal_2d",
             [3, 2, 4, 4]), ("convolutional_orthogonal_1d", [3, 5, 4]),
             ("convolutional_delta_orthogonal", [3, 4]),
             ("convolutional_delta_orthogonal", [3, 3, 5, 4]),
             ("convolutional_orthogonal_3d", [2, 2, 3, 2, 2])]
    for name, shape in cases:
        with pytest.raises(ValueError) as ours:
            getattr(fw, name)()(shape)
        with pytest.raises(ValueError) as theirs:
            getattr(init_ops, name)()(shape)
        assert str(ours.value).split(".")[0].split("=")[0] == \
            str(theirs.value).split(".")[0].split("=")[0], name
    with pytest.raises(ValueError, match="Expected floating point type"):
        fw.convolutional_orthogonal_2d(dtype=tf.int32)


# -- specs ----------------------------------------------------------------------------------------
def test_bounded_tensor_spec():
    spec = fw.BoundedTensorSpec([2], tf.float32, 0, [1, 2], name="s")
    assert repr(spec) == ("BoundedTensorSpec(shape=(2,), dtype=tf.float32, name='s', "
                          "minimum=array(0., dtype=float32), maximum=array([1., 2.], "
                          "dtype=float32))")
    assert not spec.minimum.flags.writeable
    assert spec == fw.BoundedTensorSpec([2], tf.float32, 0.0, [1.0, 2.0], name="s")
    assert spec != fw.BoundedTensorSpec([2], tf.float32, 0, 3, name="s")
    assert spec != fw.TensorSpec([2], tf.float32, "s")
    wide = fw.BoundedTensorSpec.from_spec(fw.TensorSpec([3], tf.int8))
    assert wide.minimum == -128 and wide.maximum == 127
    assert fw.BoundedTensorSpec.from_spec(spec) == spec
    with pytest.raises(ValueError, match="minimum and maximum must be provided"):
        fw.BoundedTensorSpec([2], tf.float32, None, 1)
    with pytest.raises(ValueError, match="minimum is not compatible with shape"):
        fw.BoundedTensorSpec([2], tf.float32, [0, 0, 0], 1)
    with pytest.raises(ValueError, match="maximum is not compatible with shape"):
        fw.BoundedTensorSpec([2, 3], tf.float32, 0, [1, 1])
