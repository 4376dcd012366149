"""TF2's TensorList ops (core/ops/list_ops.py, list_gather_ops.py): lists built, read and
written (also as loop variables of a TF1 tf.while_loop) against numpy; unset elements, errors
and gradients as TensorFlow's; and, where TensorFlow is installed, a TF2 tf.function over
tf.TensorArray in a while loop, frozen and imported, against TF's own outputs."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minitf as tf

R = tf.raw_ops
F32 = tf.float32
X = np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _from(x, element_shape=-1):
    return R.TensorListFromTensor(tensor=x, element_shape=element_shape)


def _stack(handle, element_shape=-1, dtype=F32, **kw):
    return R.TensorListStack(input_handle=handle, element_shape=element_shape,
                             element_dtype=dtype, **kw)


def _get(handle, index, element_shape=-1, dtype=F32):
    return R.TensorListGetItem(input_handle=handle, index=index, element_shape=element_shape,
                               element_dtype=dtype)


def _set(handle, index, item, **kw):
    return R.TensorListSetItem(input_handle=handle, index=index, item=item, **kw)


def _reserve(element_shape, n, dtype=F32):
    return R.TensorListReserve(element_shape=element_shape, num_elements=n,
                               element_dtype=dtype)


# -- values -------------------------------------------------------------------------------------
def test_from_tensor_get_set_stack_against_numpy():
    x = tf.placeholder(F32, [3, 2])
    lst = _from(x, [2])
    second = _get(lst, 1, [2])
    changed = _set(lst, 0, second * 10.0)
    got = _run([second, _stack(changed, [2], num_elements=3), _stack(lst)], {x: X})
    np.testing.assert_array_equal(got[0], X[1])
    np.testing.assert_array_equal(got[1], np.stack([X[1] * 10, X[1], X[2]]))
    np.testing.assert_array_equal(got[2], X)
    assert lst.dtype == tf.variant and lst.shape.as_list() == []


def test_reserve_set_get_stack_in_a_while_loop():
    """A TF1 loop threading list handles as loop variables, as TF2's lowered RNN loops do:
    h_t = tanh(x_t + 0.5 h_{t-1}), every h_t written to a reserved list."""
    x = tf.placeholder(F32, [None, 2])
    n = tf.shape(x)[0]
    inputs = _from(x, [2])
    outputs = _reserve([2], n)

    def body(i, h, out):
        h = tf.tanh(_get(inputs, i, [2]) + 0.5 * h)
        return i + 1, h, _set(out, i, h)

    _, last, outputs = tf.while_loop(lambda i, *_: i < n, body,
                                     [tf.constant(0), tf.zeros([2]), outputs])
    stacked = _stack(outputs, [2])
    assert stacked.shape.as_list() == [None, 2]
    xs = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    want, h = [], np.zeros(2, np.float32)
    for row in xs:
        h = np.tanh(row + 0.5 * h)
        want.append(h)
    got_stack, got_last = _run([stacked, last], {x: xs})
    np.testing.assert_allclose(got_stack, want, rtol=1e-6)
    np.testing.assert_allclose(got_last, want[-1], rtol=1e-6)


def test_set_item_leaves_its_input_unchanged():
    """Value semantics: both versions of the list are readable in one run."""
    lst = _from(tf.constant(X))
    new = _set(lst, 2, tf.constant([7.0, 8.0]))
    newer = _set(new, 0, tf.constant([1.0, 1.0]))
    old, mid, last = _run([_stack(lst), _stack(new), _stack(newer)])
    np.testing.assert_array_equal(old, X)
    np.testing.assert_array_equal(mid, [X[0], X[1], [7, 8]])
    np.testing.assert_array_equal(last, [[1, 1], X[1], [7, 8]])
    grown = _set(lst, 4, tf.constant([9.0, 9.0]), resize_if_index_out_of_bounds=True)
    np.testing.assert_array_equal(_run(_stack(grown)), [*X, [0, 0], [9, 9]])


def test_unset_elements_read_as_zeros_or_fail():
    """An unset element reads as zeros when its shape is known: from the list, the op's
    element_shape, or (Stack) the elements that are set; otherwise InvalidArgumentError."""
    known, partial = _reserve([2], 3), _reserve([-1, 2], 3)
    one = _set(partial, 1, tf.constant([[1.0, 2.0]]))
    got = _run([_get(known, 0), _stack(known), _get(partial, 0, [4, -1]), _stack(one),
                _get(one, 2)])
    np.testing.assert_array_equal(got[0], np.zeros(2))
    np.testing.assert_array_equal(got[1], np.zeros((3, 2)))
    np.testing.assert_array_equal(got[2], np.zeros((4, 2)))
    np.testing.assert_array_equal(got[3], [[[0, 0]], [[1, 2]], [[0, 0]]])
    np.testing.assert_array_equal(got[4], [[0, 0]])  # inferred from the set element
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
            "Trying to read an uninitialized tensor but element_shape is not fully defined: "
            "[?,2] and no list element is set.")):
        _run(_get(partial, 0))
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
            "Tried to stack list which only contains uninitialized tensors and has a "
            "non-fully-defined element_shape: <unknown>")):
        _run(_stack(_reserve(-1, 2)))
    empty = R.EmptyTensorList(element_shape=[-1], max_num_elements=-1, element_dtype=F32)
    np.testing.assert_array_equal(_run(_stack(empty, [3])), np.zeros((0, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="empty list with non-fully"):
        _run(_stack(empty))


def test_push_back_pop_back_and_capacity():
    empty = R.EmptyTensorList(element_shape=[2], max_num_elements=2, element_dtype=F32)
    two = R.TensorListPushBack(input_handle=R.TensorListPushBack(
        input_handle=empty, tensor=tf.constant(X[0])), tensor=tf.constant(X[1]))
    rest, last = R.TensorListPopBack(input_handle=two, element_shape=[2], element_dtype=F32)
    assert last.shape.as_list() == [2]
    got = _run([_stack(two), last, R.TensorListLength(input_handle=rest), _stack(rest)])
    np.testing.assert_array_equal(got[0], X[:2])
    np.testing.assert_array_equal(got[1], X[1])
    assert got[2] == 1
    np.testing.assert_array_equal(got[3], X[:1])
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
            "Tried to push item into a full list list size: 2 max_num_elements: 2")):
        _run(R.TensorListPushBack(input_handle=two, tensor=tf.constant(X[2])))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Trying to pop from an empty"):
        _run(R.TensorListPopBack(input_handle=empty, element_shape=-1, element_dtype=F32))
    unset = _reserve([3], 1)
    _, zeros = R.TensorListPopBack(input_handle=unset, element_shape=-1, element_dtype=F32)
    np.testing.assert_array_equal(_run(zeros), np.zeros(3))


def test_gather_and_scatter_into_existing_list():
    lst = _from(tf.constant(X))
    gathered = R.TensorListGather(input_handle=lst, indices=[2, 0, 2], element_shape=[2],
                                  element_dtype=F32)
    assert gathered.shape.as_list() == [3, 2]
    scattered = R.TensorListScatterIntoExistingList(
        input_handle=_reserve([2], 2), tensor=tf.constant(X[:2]), indices=[3, 0])
    got = _run([gathered, _stack(scattered), R.TensorListLength(input_handle=scattered)])
    np.testing.assert_array_equal(got[0], X[[2, 0, 2]])
    np.testing.assert_array_equal(got[1], [X[1], [0, 0], [0, 0], X[0]])  # grown to index 3
    assert got[2] == 4
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
            "Expected len(indices) == tensor.shape[0], but saw: 2 vs. 1")):
        _run(R.TensorListScatterIntoExistingList(input_handle=lst, tensor=tf.constant(X[:1]),
                                                 indices=[0, 1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
            "Trying to gather element 3 in a list with 3 elements.")):
        _run(R.TensorListGather(input_handle=lst, indices=[3], element_shape=-1,
                                element_dtype=F32))


def test_concat_v2_and_split():
    flat = np.arange(12, dtype=np.float32).reshape(6, 2)
    parts = R.TensorListSplit(tensor=tf.constant(flat), element_shape=[-1, 2],
                              lengths=np.array([1, 2, 3], np.int64))
    joined, lengths = R.TensorListConcatV2(input_handle=parts, element_shape=[-1, 2],
                                           leading_dims=np.zeros(0, np.int64),
                                           element_dtype=F32)
    assert joined.shape.as_list() == [None, 2]
    unset = R.TensorListConcatV2(input_handle=_set(_reserve([-1, 2], 3), 1, tf.ones([2, 2])),
                                 element_shape=-1, leading_dims=np.array([1, 9, 3], np.int64),
                                 element_dtype=F32)
    got = _run([joined, lengths, _get(parts, 1), *unset])
    np.testing.assert_array_equal(got[0], flat)
    np.testing.assert_array_equal(got[1], [1, 2, 3])
    np.testing.assert_array_equal(got[2], flat[1:3])
    np.testing.assert_array_equal(got[3], [[0, 0], [1, 1], [1, 1], [0, 0], [0, 0], [0, 0]])
    np.testing.assert_array_equal(got[4], [1, 2, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unused values in tensor"):
        _run(R.TensorListSplit(tensor=tf.constant(flat), element_shape=-1,
                               lengths=np.array([1, 2], np.int64)))
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
            "Concat saw a scalar shape at index 0 but requires at least vectors.")):
        _run(R.TensorListConcatV2(input_handle=_from(tf.constant([1.0, 2.0])),
                                  element_shape=-1, leading_dims=np.zeros(0, np.int64),
                                  element_dtype=F32))


def test_resize_length_element_shape():
    lst = _reserve([-1, 2], 3)
    shorter = R.TensorListResize(input_handle=_from(tf.constant(X)), size=2)
    longer = R.TensorListResize(input_handle=shorter, size=4)
    got = _run([R.TensorListLength(input_handle=lst),
                R.TensorListElementShape(input_handle=lst, shape_type=tf.int64),
                R.TensorListElementShape(input_handle=_reserve(-1, 1), shape_type=tf.int32),
                _stack(longer, [2])])
    assert got[0] == 3 and got[0].dtype == np.int32
    np.testing.assert_array_equal(got[1], [-1, 2])
    assert got[1].dtype == np.int64
    assert got[2] == -1 and got[2].shape == ()
    np.testing.assert_array_equal(got[3], [X[0], X[1], [0, 0], [0, 0]])


def test_add_n_sums_lists_element_wise():
    """AddN of list handles (how gradients sum a list used twice) adds element by element;
    an unset element counts as zeros."""
    a = _set(_reserve([2], 2), 0, tf.constant([1.0, 2.0]))
    b = _from(tf.constant(X[:2]))
    got = _run(_stack(tf.add_n([a, b])))
    np.testing.assert_array_equal(got, [X[0] + [1, 2], X[1]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="different lengths. One is 2 "
                       "and the other is 3"):
        _run(_stack(tf.add_n([a, _from(tf.constant(X))])))


def test_zeros_like_of_a_list_is_a_list_of_zeros():
    """ZerosLike of a list handle (a loop gradient's start for a list variable) is a list of
    the same length with each set element's zeros, unset ones left unset, as TF's
    TensorListZerosLike; its input is unchanged."""
    b = _from(tf.constant(X))
    partial = _set(_reserve([2], 3), 1, tf.constant([5.0, 6.0]))
    zeros, kept, partial_zeros, length = _run([
        _stack(tf.zeros_like(b)), _stack(b), _stack(tf.zeros_like(partial)),
        R.TensorListLength(input_handle=tf.zeros_like(partial))])
    np.testing.assert_array_equal(zeros, np.zeros((3, 2), np.float32))
    np.testing.assert_array_equal(kept, X)
    np.testing.assert_array_equal(partial_zeros, np.zeros((3, 2), np.float32))
    assert length == 3

# -- errors ---------------------------------------------------------------------------------------
# (program, TensorFlow's message): the same raw ops in TF give these (see the side-by-side test).
BAD_RUNS = {
    "get_out_of_range": (lambda T: T.raw_ops.TensorListGetItem(
        input_handle=_tl(T), index=3, element_shape=[2], element_dtype=T.float32),
        "Trying to access element 3 in a list with 3 elements."),
    "get_negative": (lambda T: T.raw_ops.TensorListGetItem(
        input_handle=_tl(T), index=-1, element_shape=[2], element_dtype=T.float32),
        "Trying to access element -1 in a list with 3 elements."),
    "get_dtype": (lambda T: T.raw_ops.TensorListGetItem(
        input_handle=_tl(T), index=0, element_shape=[2], element_dtype=T.int32),
        "Invalid data types; op elements int32 but list elements float"),
    "set_out_of_range": (lambda T: T.raw_ops.TensorListSetItem(
        input_handle=_tl(T), index=3, item=T.constant([1.0, 2.0])),
        "Trying to modify element 3 in a list with 3 elements."),
    "set_dtype": (lambda T: T.raw_ops.TensorListSetItem(
        input_handle=_tl(T), index=0, item=T.constant([1, 2])),
        "Invalid data types; op elements int32 but list elements float"),
    "set_shape": (lambda T: T.raw_ops.TensorListSetItem(
        input_handle=_tl(T), index=0, item=T.constant([1.0, 2.0, 3.0])),
        "Tried to set a tensor with incompatible shape at a list index. Item element shape: "
        "[3] list shape: [2]"),
    "stack_count": (lambda T: T.raw_ops.TensorListStack(
        input_handle=_tl(T), element_shape=-1, element_dtype=T.float32, num_elements=2),
        "Operation expected a list with 2 elements but got a list with 3 elements."),
    "stack_shape": (lambda T: T.raw_ops.TensorListStack(
        input_handle=_tl(T), element_shape=[3], element_dtype=T.float32),
        "PartialTensorShape: Incompatible shapes during merge: [3] vs. [2]"),
    "reserve_negative": (lambda T: T.raw_ops.TensorListReserve(
        element_shape=[2], num_elements=-1, element_dtype=T.float32),
        "The num_elements to reserve must be a non negative number, but got -1"),
    "resize_negative": (lambda T: T.raw_ops.TensorListResize(input_handle=_tl(T), size=-1),
        "TensorListSlice expects size to be non-negative. Got: -1"),
    "split_unused": (lambda T: T.raw_ops.TensorListSplit(
        tensor=T.zeros([6, 2]), element_shape=-1, lengths=T.constant([1, 2], T.int64)),
        "Unused values in tensor. Length of tensor: 6 Values used: 3"),
    "concat_empty": (lambda T: T.raw_ops.TensorListConcatV2(
        input_handle=T.raw_ops.EmptyTensorList(element_shape=-1, max_num_elements=-1,
                                               element_dtype=T.float32),
        element_shape=-1, leading_dims=T.zeros([0], T.int64), element_dtype=T.float32)[0],
        "All except the first dimension must be fully defined when concating an empty tensor "
        "list. element_shape: <unknown>"),
    "pop_unset": (lambda T: T.raw_ops.TensorListPopBack(
        input_handle=T.raw_ops.TensorListReserve(element_shape=-1, num_elements=3,
                                                 element_dtype=T.float32),
        element_shape=-1, element_dtype=T.float32)[1],
        "Trying to read an uninitialized tensor but element_shape is not fully "
        "defined.<unknown>"),
    "push_shape": (lambda T: T.raw_ops.TensorListPushBack(
        input_handle=_tl(T), tensor=T.constant([1.0, 2.0, 3.0])),
        "Tried to append a tensor with incompatible shape to a list. Op element shape: [3] "
        "list shape: [2]"),
    "gather_unset": (lambda T: T.raw_ops.TensorListGather(
        input_handle=T.raw_ops.TensorListReserve(element_shape=-1, num_elements=3,
                                                 element_dtype=T.float32),
        indices=[0], element_shape=-1, element_dtype=T.float32),
        "Tried to gather uninitialized tensors from a list with non-fully-defined "
        "element_shape: <unknown>"),
}


def _tl(T):
    """A list of 3 unset float elements of shape [2]."""
    return T.raw_ops.TensorListReserve(element_shape=[2], num_elements=3,
                                       element_dtype=T.float32)


@pytest.mark.parametrize("case", sorted(BAD_RUNS))
def test_runtime_errors_name_what_is_wrong(case):
    build, message = BAD_RUNS[case]
    out = build(tf)
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
        _run(out)


def test_construction_errors():
    with pytest.raises(ValueError, match="The only valid scalar shape tensor is the fully "
                       "unknown shape specified as -1"):
        _reserve(3, 1)
    with pytest.raises(TypeError, match="Input 'input_handle' of 'TensorListGetItem' Op has "
                       "type float32 that does not match expected type of variant"):
        _get(tf.constant(1.0), 0)
    with pytest.raises(ValueError, match="index must be a scalar"):
        _get(_tl(tf), [0, 1])
    with pytest.raises(ValueError, match="Specified a list with shape"):
        _from(tf.zeros([3, 2]), [3])
    with pytest.raises(ValueError, match="Tensor must be at least a vector"):
        _from(tf.constant(1.0))


def test_static_shapes():
    lst = _tl(tf)
    n = tf.placeholder(tf.int32, [])
    assert _get(lst, 0, [2]).shape.as_list() == [2]
    assert _get(lst, 0).shape.rank is None
    assert _get(lst, 0, tf.stack([n, 2])).shape.as_list() == [None, 2]
    assert _stack(lst, [2], num_elements=3).shape.as_list() == [3, 2]
    assert _stack(lst, [-1, 4]).shape.as_list() == [None, None, 4]
    assert R.TensorListLength(input_handle=lst).shape.as_list() == []


# -- gradients ------------------------------------------------------------------------------------
F64 = tf.float64


def _grad_cases():
    """name -> (builder of the output from x [3, 2] float64). Each sends x's gradient through
    list handles: the rules of the ops on the path (TF's, tensorflow/python/ops/list_ops.py)."""

    def lst(x):
        return _from(x, [2])

    def get(h, i):
        return _get(h, i, [2], F64)

    def stack(h, **kw):
        return _stack(h, [2], F64, **kw)

    def push_pop(x):
        two = R.TensorListPushBack(input_handle=R.TensorListPushBack(
            input_handle=R.EmptyTensorList(element_shape=[2], max_num_elements=-1,
                                           element_dtype=F64), tensor=x[0]), tensor=x[1] * 2.0)
        rest, last = R.TensorListPopBack(input_handle=two, element_shape=[2], element_dtype=F64)
        return tf.concat([stack(rest), last[None] * x[2]], 0)

    def gather_scatter(x):
        scattered = R.TensorListScatterIntoExistingList(input_handle=lst(x), tensor=x[:2] * x[:2],
                                                        indices=[2, 0])
        return R.TensorListGather(input_handle=scattered, indices=[2, 1], element_shape=[2],
                                  element_dtype=F64)  # (repeated indices: see the TF test)

    def concat_split(x):
        parts = R.TensorListSplit(tensor=tf.reshape(x, [6, 1]), element_shape=[-1, 1],
                                  lengths=np.array([1, 2, 3], np.int64))
        return R.TensorListConcatV2(input_handle=parts, element_shape=[-1, 1],
                                    leading_dims=np.zeros(0, np.int64), element_dtype=F64)[0]

    return {
        "get_item_twice": lambda x: get(lst(x), 1) * 3.0 + get(lst(x), 2) ** 2,
        "set_item_stack": lambda x: stack(_set(lst(x), 0, x[2] * x[1]), num_elements=3),
        "set_item_resize": lambda x: stack(_set(lst(x), 4, x[0] * 2.0,
                                                resize_if_index_out_of_bounds=True)),
        "reserve_set_get": lambda x: get(_set(_reserve([2], 3, F64), 1, tf.sin(x[0])), 1) * x[1],
        "resize": lambda x: stack(R.TensorListResize(input_handle=lst(x), size=2)),
        "push_pop": push_pop,
        "gather_scatter": gather_scatter,
        "concat_split": concat_split,
    }


@pytest.mark.parametrize("name", sorted(_grad_cases()))
def test_gradients_against_numerical(name):
    """tf.gradients passes through the lists (variant tensors carry gradients, as TF's)."""
    x = tf.placeholder(F64, [3, 2])
    out = _grad_cases()[name](x)
    weights = np.random.default_rng(1).normal(size=_run(tf.shape(out), {x: X}))
    loss = tf.reduce_sum(out * weights)
    grad, = tf.gradients(loss, x)
    assert grad is not None
    x0 = np.random.default_rng(2).normal(size=(3, 2))
    with tf.Session() as sess:
        got = sess.run(grad, {x: x0})
        num = np.zeros_like(x0)
        for j in np.ndindex(*x0.shape):
            for sign in (1, -1):
                moved = x0.copy()
                moved[j] += sign * 1e-6
                num[j] += sign * sess.run(loss, {x: moved}) / 2e-6
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-8)


# -- side by side with TensorFlow -----------------------------------------------------------------
def _tf_message(error) -> str:
    """TF's eager message without its "{{function_node ...}}" prefix and "[Op:...]" suffix."""
    text = re.sub(r"^\{\{function_node [^}]*\}\}\s*", "", str(error).split("\n")[0])
    return re.sub(r"\s*\[Op:\w+\].*$", "", text)


@pytest.mark.parametrize("case", sorted(BAD_RUNS))
def test_errors_are_tensorflows(case):
    """Each bad program run in TensorFlow gives the message minitf's test expects."""
    tf2 = pytest.importorskip("tensorflow")
    build, message = BAD_RUNS[case]
    with pytest.raises(tf2.errors.InvalidArgumentError) as raised:
        build(tf2)
    assert _tf_message(raised.value) == message


def _tensorflow_rnn(tf2):
    """A TF2 tf.function: tf.TensorArray (TensorList ops in TF2) read and written in a
    tf.while_loop over time, with variables (frozen below); both outputs and a gather."""
    w = tf2.Variable(np.random.default_rng(3).normal(size=(3, 4)).astype(np.float32))
    u = tf2.Variable(np.random.default_rng(4).normal(size=(4, 4)).astype(np.float32) * 0.3)

    @tf2.function(input_signature=[tf2.TensorSpec([None, None, 3], tf2.float32)])
    def rnn(x):
        steps = tf2.shape(x)[0]
        inputs = tf2.TensorArray(tf2.float32, size=steps).unstack(x)
        outputs = tf2.TensorArray(tf2.float32, size=steps, element_shape=[None, 4])
        h0 = tf2.zeros([tf2.shape(x)[1], 4])

        def body(t, h, outputs):
            h = tf2.tanh(tf2.matmul(inputs.read(t), w) + tf2.matmul(h, u))
            return t + 1, h, outputs.write(t, h)

        _, h, outputs = tf2.while_loop(lambda t, *_: t < steps, body,
                                       [tf2.constant(0), h0, outputs])
        return outputs.stack(), h, outputs.gather([0, steps - 1])

    return rnn, (w, u)


@pytest.mark.parametrize("lower_control_flow", [False, True])
def test_tensorflow_2_tensor_array_loop_frozen_and_imported(lower_control_flow):
    """Frozen with While kept (minitf lowers it to TF1 frames at import) or lowered by TF;
    the list handles travel as loop variables either way."""
    tf2 = pytest.importorskip("tensorflow")
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    from minitf.protos import graph_pb2

    rnn, _ = _tensorflow_rnn(tf2)
    frozen = convert_variables_to_constants_v2(rnn.get_concrete_function(),
                                               lower_control_flow=lower_control_flow)
    gd = graph_pb2.GraphDef.FromString(frozen.graph.as_graph_def().SerializeToString())
    ops = {n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def}
    assert {"TensorListReserve", "TensorListFromTensor", "TensorListGetItem",
            "TensorListSetItem", "TensorListStack", "TensorListGather"} <= ops
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(gd, name="")
    names = [t.name for t in frozen.outputs]
    rng = np.random.default_rng(5)
    with tf.Session(graph=graph) as sess:
        for shape in [(5, 2, 3), (1, 3, 3), (7, 1, 3)]:
            x = rng.normal(size=shape).astype(np.float32)
            want = [t.numpy() for t in frozen(tf2.constant(x))]
            got = sess.run(names, {frozen.inputs[0].name: x})
            for g, w in zip(got, want):
                assert g.shape == w.shape and g.dtype == w.dtype
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_gather_gradient_with_repeated_indices_is_tensorflows():
    """TF's rule scatters the gradient back with TensorListScatterIntoExistingList, which
    overwrites: an element gathered twice gets the last gradient, not the sum. minitf follows
    the rule, so both give the same (not the numerical) gradient."""
    tf2 = pytest.importorskip("tensorflow")
    weights = np.array([[1.0, 1.0], [10.0, 10.0], [100.0, 100.0]], np.float32)

    def program(T, x):
        lst = T.raw_ops.TensorListFromTensor(tensor=x, element_shape=[2])
        out = T.raw_ops.TensorListGather(input_handle=lst, indices=[2, 1, 2], element_shape=[2],
                                         element_dtype=T.float32)
        return T.reduce_sum(out * weights)

    x0 = tf2.constant(X)
    with tf2.GradientTape() as tape:
        tape.watch(x0)
        loss = program(tf2, x0)
    want = tape.gradient(loss, x0).numpy()
    x = tf.constant(X)
    got = _run(tf.gradients(program(tf, x), x)[0])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, [[0, 0], [10, 10], [100, 100]])


def test_scatter_and_split_keep_a_tensor_of_lists_variant():
    """A stacked list of lists is a variant tensor; scattering or splitting it makes lists of
    variant elements, not of strings (both are numpy object arrays)."""
    shape = tf.constant([], tf.int32)
    outer = R.EmptyTensorList(element_shape=shape, max_num_elements=-1,
                              element_dtype=tf.variant)
    for v in (1.0, 2.0):
        inner = R.TensorListPushBack(input_handle=R.EmptyTensorList(
            element_shape=shape, max_num_elements=-1, element_dtype=tf.float32),
            tensor=tf.constant(v))
        outer = R.TensorListPushBack(input_handle=outer, tensor=inner)
    lists = R.TensorListStack(input_handle=outer, element_shape=shape,
                              element_dtype=tf.variant, num_elements=-1)
    scattered = R.TensorListScatterIntoExistingList(input_handle=R.TensorListReserve(
        element_shape=shape, num_elements=2, element_dtype=tf.variant), tensor=lists,
        indices=[1, 0])
    split = R.TensorListSplit(tensor=lists, element_shape=tf.constant([-1]), lengths=[1, 1])

    def first_of(handle, index, dtype, element_shape):
        return R.TensorListGetItem(input_handle=handle, index=index,
                                   element_shape=element_shape, element_dtype=dtype)

    picked = first_of(first_of(scattered, 0, tf.variant, shape), 0, tf.float32, shape)
    pieces = R.TensorListGetItem(input_handle=split, index=1, element_shape=tf.constant([-1]),
                                 element_dtype=tf.variant)
    second = first_of(R.TensorListFromTensor(tensor=pieces, element_shape=shape), 0,
                      tf.variant, shape)
    with tf.Session() as sess:
        got = sess.run([picked, first_of(second, 0, tf.float32, shape)])
    assert [float(v) for v in got] == [2.0, 2.0]
