"""The dtype constraints of TensorFlow's OpDefs (core/op_type_constraints.py): every op
refuses an input (or type attr) whose dtype TF's registry does not allow, with TF's TypeError,
when the graph is built, as TF 1.x's op_def_library does; and the table is still what TF's
registry says (where TensorFlow is installed; run this file as a script to print it again)."""

import numpy as np
import pytest

import minitf as tf
from minitf.op_type_constraints import ALLOWED
from minitf.opdef import registered


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


@pytest.mark.parametrize("build, param, dtype", [
    # The classic slip: the mean of a comparison without a cast.
    (lambda: tf.reduce_mean(tf.equal([1, 2, 3], [1, 0, 3])), "input", "bool"),
    (lambda: tf.reduce_sum(tf.constant(["a"])), "input", "string"),
    (lambda: tf.gather([10, 20, 30], [1.0, 0.0]), "indices", "float32"),
    (lambda: tf.one_hot([1.5], 3), "indices", "float32"),
    (lambda: tf.unsorted_segment_sum([1.0, 2.0], [0.0, 1.0], 2), "segment_ids", "float32"),
    (lambda: tf.matmul(tf.constant([[True]]), tf.constant([[True]])), "a", "bool"),
    (lambda: tf.add(tf.constant(True), tf.constant(False)), "x", "bool"),
    (lambda: tf.reshape(tf.ones([4]), tf.constant([2.0, 2.0])), "shape", "float32"),
    (lambda: tf.tile(tf.ones([2]), tf.constant([2.0])), "multiples", "float32"),
    (lambda: tf.transpose(tf.ones([2, 3]), tf.constant([1.0, 0.0])), "perm", "float32"),
    (lambda: tf.argmax(tf.ones([3]), output_type=tf.float32), "output_type", "float32"),
    (lambda: tf.raw_ops.DecodeCSV(records=["1"], record_defaults=[tf.constant([1], tf.float16)]),
     "record_defaults", "float16"),  # a list(type) attr
])
def test_refused_as_tensorflow_refuses(build, param, dtype):
    with pytest.raises(TypeError, match=f"Value passed to parameter '{param}' has DataType "
                                        f"{dtype} not in list of allowed values: "):
        build()


def test_allowed_dtypes_still_build_and_run():
    with tf.Session() as sess:
        got = sess.run([tf.reduce_mean(tf.cast(tf.equal([1, 2, 3], [1, 0, 3]), tf.float32)),
                        tf.gather([10, 20, 30], tf.constant([2, 0], tf.int64)),
                        tf.one_hot(tf.constant([1], tf.uint8), 3),
                        tf.reduce_sum(tf.constant([1 + 2j, 3j]))])
    assert got[0] == pytest.approx(2 / 3)
    np.testing.assert_array_equal(got[1], [30, 10])
    np.testing.assert_array_equal(got[2], [[0, 1, 0]])
    assert got[3] == 1 + 5j


# TF's attrs minitf leaves out on purpose: TopKV2's Tk (k stays int32, so TF 1.x, which has no
# Tk, still reads minitf's exports).
UNDECLARED = {("TopKV2", "Tk")}


def test_every_constrained_attr_is_one_minitf_declares():
    ops = registered()
    for op_type, attrs in ALLOWED.items():
        opdef = ops[op_type]
        declared = set(opdef.attr_kinds) | set(opdef.derived_attrs)
        assert {a for a in attrs if (op_type, a) not in UNDECLARED} <= declared, op_type


def tf_table(tf_) -> dict:
    """``ALLOWED`` as TF's registry gives it for minitf's ops: the allowed dtypes of each
    ``type`` or ``list(type)`` attr that has a list, in TF's order (its messages list them
    so)."""
    from tensorflow.python.framework import op_def_registry

    table = {}
    for op_type in sorted(registered()):
        proto = op_def_registry.get(op_type)
        if proto is None:
            continue
        rows = {a.name: tuple(tf_.dtypes.as_dtype(t).name for t in a.allowed_values.list.type)
                for a in proto.attr if a.type in ("type", "list(type)") and
                a.HasField("allowed_values")}
        if rows:
            table[op_type] = rows
    return table


def test_table_matches_tensorflow_registry():
    assert ALLOWED == tf_table(pytest.importorskip("tensorflow"))


def _wrapped(head: str, items: list, tail: str, indent: str) -> list:
    """``head + ", ".join(items) + tail`` in lines of at most 100 characters."""
    lines, line = [], head
    for i, item in enumerate(items):
        piece = item + (", " if i < len(items) - 1 else tail)
        if len(line) + len(piece.rstrip()) > 100:
            lines.append(line.rstrip())
            line = indent
        line += piece
    return lines + [line]


if __name__ == "__main__":  # prints core/op_type_constraints.py's table
    import tensorflow

    table = tf_table(tensorflow)
    lists = sorted({v for rows in table.values() for v in rows.values()},
                   key=lambda v: (-sum(v == x for r in table.values() for x in r.values()), v))
    names = {v: f"_L{i}" for i, v in enumerate(lists)}
    for v, n in names.items():
        print("\n".join(_wrapped(f"{n} = (", [f'"{d}"' for d in v], ",)" if len(v) == 1
                                  else ")", " " * (len(n) + 4))))
    print("\nALLOWED = {")
    for op_type, rows in table.items():
        print("\n".join(_wrapped(f'    "{op_type}": {{', [f'"{k}": {names[v]}'
                                                           for k, v in rows.items()],
                                  "},", " " * 8)))
    print("}")


def test_operators_and_wrappers_that_come_before_the_op_check():
    """What TF's Python does before an op's dtype check: ``bool * bool`` through the operator
    is a logical and (Cast, Mul, Cast; ``tf.multiply`` of bools stays a TypeError), and the
    random wrappers name a dtype they do not take with a ValueError."""
    x = tf.placeholder(tf.bool, [4])
    with tf.Session() as sess:
        got = sess.run([x * x, x * True, False * x], {x: [True, False, True, False]})
    np.testing.assert_array_equal(got, [[True, False, True, False]] * 2 +
                                  [[False, False, False, False]])
    with pytest.raises(TypeError, match="parameter 'x' has DataType bool"):
        tf.multiply(x, x)
    with pytest.raises(ValueError, match=r"Argument `dtype` got invalid value <dtype: "
                                         r"'uint8'>. Accepted dtypes are \(tf.float16, "):
        tf.random_uniform([2], maxval=5, dtype=tf.uint8)
    with pytest.raises(ValueError, match=r"Accepted dtypes are \(tf.int32, tf.int64\)"):
        tf.multinomial([[0.5, 0.5]], 2, output_dtype=tf.int16)
