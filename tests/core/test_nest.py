"""tf.nest: TF's public rules for nested structures (hand-written expectations), and the same
calls side by side with TensorFlow's nest, messages included."""

import collections

import numpy as np
import pytest

import minitf as tf

P = collections.namedtuple("P", "a b")
Q = collections.namedtuple("Q", "a b")
P_TWIN = collections.namedtuple("P", "a b")  # another class with P's name and fields


def outcome(fn):
    try:
        return "ok", repr(fn())
    except (TypeError, ValueError) as e:
        return type(e).__name__, str(e)


# Each case takes the nest module under test.
CASES = {
    "flatten mixed": lambda n: n.flatten({"b": [1, (2, None)], "a": P(3, {"z": 4})}),
    "flatten leaf": lambda n: n.flatten(None),
    "flatten array is a leaf": lambda n: n.flatten([np.zeros(2)]),
    "flatten ordered dict sorts": lambda n: n.flatten(collections.OrderedDict(b=1, a=2)),
    "flatten keys view": lambda n: n.flatten({"b": 1, "a": 2}.keys()),
    "flatten items view": lambda n: n.flatten({"b": 1, "a": 2}.items()),
    "flatten range": lambda n: n.flatten(range(3)),
    "map range": lambda n: n.map_structure(lambda x: x * 2, [range(3)]),
    "pack range": lambda n: n.pack_sequence_as(range(3), [7, 8, 9]),
    "flatten set is a leaf": lambda n: n.flatten([{1, 2}]),
    "flatten unsortable keys": lambda n: n.flatten({1: 2, "a": 3}),
    "is_nested": lambda n: [n.is_nested(v) for v in (
        [], (), {}, "ab", b"ab", {1}, np.zeros(2), None, P(1, 2), {}.values(), range(2))],
    "pack dict keeps key order": lambda n: n.pack_sequence_as({"b": 1, "a": 2}, [10, 20]),
    "pack ordered dict": lambda n: n.pack_sequence_as(collections.OrderedDict(b=1, a=2), [7, 8]),
    "pack defaultdict": lambda n: n.pack_sequence_as(
        collections.defaultdict(list, b=1, a=2), [7, 8]),
    "pack values view": lambda n: n.pack_sequence_as({"b": 1, "a": 2}.values(), [7, 8]),
    "pack namedtuple": lambda n: n.pack_sequence_as([P(1, [2]), ()], [5, 6]),
    "pack empty": lambda n: n.pack_sequence_as([[], [1]], [5]),
    "pack scalar": lambda n: n.pack_sequence_as(1, [9]),
    "pack too few": lambda n: n.pack_sequence_as([1, 2], [1]),
    "pack scalar from many": lambda n: n.pack_sequence_as(1, [1, 2]),
    "pack scalar from none": lambda n: n.pack_sequence_as(1, []),
    "pack from a leaf": lambda n: n.pack_sequence_as([1, [2]], 3),
    "map two": lambda n: n.map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)]),
    "map scalar": lambda n: n.map_structure(lambda x: x * 2, 3),
    "map empty parts": lambda n: n.map_structure(lambda x: x * 2, {"a": [], "b": (1,)}),
    "map no structure": lambda n: n.map_structure(lambda a: a),
    "map bad keyword": lambda n: n.map_structure(lambda a: a, [1], foo=1),
    "map types differ": lambda n: n.map_structure(lambda a, b: a, [1], (1,)),
    "map types unchecked": lambda n: n.map_structure(lambda a, b: a, [1], (1,),
                                                     check_types=False),
    "map dict keys unchecked": lambda n: n.map_structure(lambda a, b: (a, b), {"a": 1},
                                                         {"b": 2}, check_types=False),
    "same: list vs tuple": lambda n: n.assert_same_structure([1, 2], (1, 2)),
    "same: deeper": lambda n: n.assert_same_structure([1, 2], [1, [2]]),
    "same: scalar vs list": lambda n: n.assert_same_structure(1, [1]),
    "same: lengths": lambda n: n.assert_same_structure([1, (2,)], [1, (2, 3)]),
    "same: namedtuples": lambda n: n.assert_same_structure(P(1, 2), Q(1, 2)),
    "same: namedtuple twins": lambda n: n.assert_same_structure(P(1, 2), P_TWIN(3, 4)),
    "same: dict keys": lambda n: n.assert_same_structure({"a": 1, "b": 2}, {"a": 1}),
    "same: dict vs ordered dict": lambda n: n.assert_same_structure(
        {"a": 1}, collections.OrderedDict(a=1)),
    "same: strings are leaves": lambda n: n.assert_same_structure("ab", "cde"),
    "same: unchecked keys": lambda n: n.assert_same_structure({"a": 1}, {"b": 2},
                                                              check_types=False),
}

EXPECTED = {  # hand-written (and TF's, checked below)
    "flatten mixed": ("ok", "[3, 4, 1, 2, None]"),
    "flatten leaf": ("ok", "[None]"),
    "flatten ordered dict sorts": ("ok", "[2, 1]"),
    "flatten keys view": ("ok", "['b', 'a']"),
    "flatten items view": ("ok", "['b', 1, 'a', 2]"),
    "flatten range": ("ok", "[0, 1, 2]"),
    "map range": ("ok", "[[0, 2, 4]]"),
    "is_nested": ("ok", "[True, True, True, False, False, False, False, False, True, True, "
                        "True]"),
    "pack dict keeps key order": ("ok", "{'b': 20, 'a': 10}"),
    "pack ordered dict": ("ok", "OrderedDict([('b', 8), ('a', 7)])"),
    "pack namedtuple": ("ok", "[P(a=5, b=[6]), ()]"),
    "pack empty": ("ok", "[[], [5]]"),
    "map two": ("ok", "[11, (22, 33)]"),
    "map empty parts": ("ok", "{'a': [], 'b': (2,)}"),
    "same: namedtuple twins": ("ok", "None"),
    "same: dict vs ordered dict": ("ok", "None"),
    "pack too few": ("ValueError", "Could not pack sequence. Structure had 2 atoms, but "
                     "flat_sequence had 1 items.  Structure: [1, 2], flat_sequence: [1]."),
    "map no structure": ("ValueError", "Must provide at least one structure"),
    "same: lengths": (
        "ValueError", "The two structures don't have the same nested structure.\n\nFirst "
        "structure: type=list str=[1, (2,)]\n\nSecond structure: type=list str=[1, (2, 3)]\n\n"
        "More specifically: The two structures don't have the same number of elements. First "
        "structure: type=tuple str=(2,). Second structure: type=tuple str=(2, 3)\nEntire first "
        "structure:\n[., (.,)]\nEntire second structure:\n[., (., .)]"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_written(name):
    assert outcome(lambda: CASES[name](tf.nest)) == EXPECTED[name]


def test_type_and_key_errors():
    with pytest.raises(TypeError, match="don't have the same sequence type. First structure "
                       "type=P str=P\\(a=1, b=2\\) has type P, while second structure type=Q"):
        tf.nest.assert_same_structure(P(1, 2), Q(1, 2))
    with pytest.raises(ValueError, match=r"same set of keys. First structure has keys "
                       r"type=list str=\['a', 'b'\], while second structure has keys "
                       r"type=list str=\['a'\]"):
        tf.nest.assert_same_structure({"a": 1, "b": 2}, {"a": 1})
    with pytest.raises(ValueError, match='Substructure "type=list str=\\[2\\]" is a sequence, '
                       'while substructure "type=int str=2" is not'):
        tf.nest.assert_same_structure([1, 2], [1, [2]])
    with pytest.raises(TypeError, match="Attempted to pack value"):
        tf.nest.pack_sequence_as([1], 5)


def test_composites_expand_only_when_asked():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0]], [1.0], [2, 2])
        assert tf.nest.flatten([sp]) == [sp]
        assert not tf.nest.is_nested(sp)
        parts = tf.nest.flatten({"s": sp}, expand_composites=True)
        assert parts == [sp.indices, sp.values, sp.dense_shape]
        doubled = tf.nest.map_structure(lambda t: t * 2 if t.dtype == tf.float32 else t,
                                        sp, expand_composites=True)
        assert isinstance(doubled, tf.SparseTensor)
        rt = tf.ragged.constant([[[1, 2], [3]]])
        flat = tf.nest.flatten(rt, expand_composites=True)
        assert flat[0] is rt.flat_values and flat[1:] == list(rt.nested_row_splits)
        back = tf.nest.pack_sequence_as(rt, flat, expand_composites=True)
        with tf.Session() as sess:
            got = sess.run([doubled, back])
        np.testing.assert_array_equal(got[0].values, [2.0])
        assert got[1].to_list() == [[[1, 2], [3]]]
        with pytest.raises(TypeError, match="has type SparseTensor, while second structure "
                           "type=list"):
            tf.nest.assert_same_structure(sp, [1, 2, 3], expand_composites=True)
        with pytest.raises(ValueError, match="Incompatible CompositeTensor TypeSpecs"):
            tf.nest.assert_same_structure(rt, tf.ragged.constant([[1]]), expand_composites=True)
        with pytest.raises(ValueError, match="Entire first structure:\n\\[\\.\\]\n"):
            tf.nest.assert_same_structure([sp], [1], expand_composites=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_tensorflow(name):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert outcome(lambda: CASES[name](tf.nest)) == outcome(lambda: CASES[name](tf1.nest))


def test_composites_same_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def layout(nest_module, mod):
        with mod.Graph().as_default():
            values = [mod.SparseTensor([[0, 0]], [1.0], [2, 2]),
                      mod.ragged.constant([[[1, 2], [3]]]),
                      mod.IndexedSlices(mod.constant([1.0]), mod.constant([0]),
                                        mod.constant([3]))]
            flat = nest_module.flatten(values, expand_composites=True)
            return [(t.dtype.name, tuple(t.shape.as_list())) for t in flat], \
                len(nest_module.flatten(values))

    assert layout(tf.nest, tf) == layout(tf1.nest, tf1)
