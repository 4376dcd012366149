"""tf.strings.split of any rank (a SparseTensor of rank N + 1, a scalar as one row),
result_type="RaggedTensor" for tf.strings.split and tf.string_split, tf.strings.ngrams of a
RaggedTensor, and tf.strings.lower/upper with encoding="utf-8" (U+FFFD for invalid UTF-8, no
other encoding). Values written out by hand; _VS_TF runs the same graphs in tf.compat.v1."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

from .legacy_tf import run_against_tf


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _sparse(v):
    return v.indices.tolist(), v.values.tolist(), v.dense_shape.tolist()


def test_split_of_a_scalar_is_one_row():
    with tf.Graph().as_default():
        st = tf.strings.split("a b c")
        comma = tf.strings.split("a,b", sep=",")
        assert isinstance(st, tf.SparseTensor) and st.indices.shape.as_list() == [None, 2]
        got = _run([st, comma])
    assert _sparse(got[0]) == ([[0, 0], [0, 1], [0, 2]], [b"a", b"b", b"c"], [1, 3])
    assert _sparse(got[1]) == ([[0, 0], [0, 1]], [b"a", b"b"], [1, 2])


def test_split_of_higher_ranks_adds_one_axis():
    with tf.Graph().as_default():
        st = tf.strings.split([["a b"], ["c"]])
        wide = tf.strings.split([["a b", "x y z"], ["c", ""]])
        deep = tf.strings.split([[["a b"]]])
        none = tf.strings.split(tf.zeros([2, 0], tf.string))
        assert st.indices.shape.as_list() == [None, 3] and deep.indices.shape[1] == 4
        got = _run([st, wide, deep, none])
    assert _sparse(got[0]) == ([[0, 0, 0], [0, 0, 1], [1, 0, 0]], [b"a", b"b", b"c"],
                               [2, 1, 2])
    assert _sparse(got[1]) == ([[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [0, 1, 2],
                                [1, 0, 0]], [b"a", b"b", b"x", b"y", b"z", b"c"], [2, 2, 3])
    assert _sparse(got[2]) == ([[0, 0, 0, 0], [0, 0, 0, 1]], [b"a", b"b"], [1, 1, 1, 2])
    assert _sparse(got[3]) == ([], [], [2, 0, 0])


def test_dataset_map_splits_each_scalar():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(["a,b", "c"]).map(
            lambda s: tf.strings.split(s, sep=","))
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            first, second = sess.run(nxt), sess.run(nxt)
    assert _sparse(first) == ([[0, 0], [0, 1]], [b"a", b"b"], [1, 2])
    assert _sparse(second) == ([[0, 0]], [b"c"], [1, 1])


def test_string_split_stays_vector_only():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 0"):
            tf.string_split("a b")
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            tf.string_split([["a b"]])


def test_ragged_results():
    with tf.Graph().as_default():
        rt = tf.strings.split(["a b", "c"], result_type="RaggedTensor")
        assert isinstance(rt, tf.RaggedTensor) and rt.shape.as_list() == [2, None]
        one = tf.strings.split("a b", result_type="RaggedTensor")
        assert one.shape.as_list() == [1, None]
        two = tf.strings.split([["a b"], ["c"]], result_type="RaggedTensor")
        assert two.shape.as_list() == [2, 1, None]
        v1 = tf.string_split(["a,,b", "c"], delimiter=",", skip_empty=False,
                             result_type="RaggedTensor")
        again = tf.strings.split(tf.ragged.constant([["a b"], [], ["c d", "e"]]),
                                 result_type="RaggedTensor")
        got = _run([rt.to_tensor(""), rt, one, two.to_tensor(""), v1.to_tensor(""), again])
        for bad in (lambda: tf.strings.split(["a"], result_type="Ragged"),
                    lambda: tf.string_split(["a"], result_type="dense")):
            with pytest.raises(ValueError, match="result_type must be 'RaggedTensor' or "
                                                 "'SparseTensor'"):
                bad()
    assert got[0].tolist() == [[b"a", b"b"], [b"c", b""]]
    assert got[1].to_list() == [[b"a", b"b"], [b"c"]]
    assert got[2].to_list() == [[b"a", b"b"]]
    assert got[3].tolist() == [[[b"a", b"b"]], [[b"c", b""]]]
    assert got[4].tolist() == [[b"a", b"", b"b"], [b"c", b"", b""]]
    assert got[5].to_list() == [[[b"a", b"b"]], [], [[b"c", b"d"], [b"e"]]]


def test_ngrams_of_ragged_rows():
    with tf.Graph().as_default():
        chars = tf.strings.unicode_split(["abc", "de"], "UTF-8")
        bigrams = tf.strings.ngrams(chars, 2, separator="")
        assert isinstance(bigrams, tf.RaggedTensor)
        padded = tf.strings.ngrams(tf.strings.unicode_split(["abc", "d"], "UTF-8"), [1, 2],
                                   separator="", pad_values="#")
        short = tf.strings.ngrams(tf.strings.unicode_split(["abc", "d"], "UTF-8"), 3,
                                  separator="", preserve_short_sequences=True)
        nested = tf.strings.ngrams(tf.strings.split([["a b c"], ["d e"]],
                                                    result_type="RaggedTensor"), 2)
        got = _run([bigrams, padded, short, nested])
    assert got[0].to_list() == [[b"ab", b"bc"], [b"de"]]
    assert got[1].to_list() == [[b"a", b"b", b"c", b"#a", b"ab", b"bc", b"c#"],
                                [b"d", b"#d", b"d#"]]
    assert got[2].to_list() == [[b"abc"], [b"d"]]
    assert got[3].to_list() == [[[b"a b", b"b c"]], [[b"d e"]]]


def test_case_with_utf8_replaces_invalid_bytes():
    with tf.Graph().as_default():
        got = _run([tf.strings.lower([b"A\xffB"], encoding="utf-8"),
                    tf.strings.upper([b"a\xffb\xc3\xa9", "ß".encode()], encoding="utf-8"),
                    tf.strings.lower([b"A\xc3", b"A\xed\xa0\x80B"], encoding="utf-8"),
                    tf.strings.upper([b"\xc3\xa9\xff"])])  # no encoding: ASCII bytes only
    fffd = "\ufffd".encode()
    assert got[0].tolist() == [b"a" + fffd + b"b"]
    assert got[1].tolist() == [b"A" + fffd + b"B\xc3\x89", b"SS"]
    assert got[2].tolist() == [b"a" + fffd, b"a" + fffd * 3 + b"b"]
    assert got[3].tolist() == [b"\xc3\xa9\xff"]


def test_case_encodings_other_than_utf8_fail_when_run():
    with tf.Graph().as_default():
        ops = [tf.strings.lower([b"\xc9"], encoding="latin1"),
               tf.strings.upper(["a"], encoding="UTF-8"),  # TF's check is exact
               tf.strings.lower(np.zeros([0], object), encoding="utf8")]  # even on no strings
        for op, enc in zip(ops, ["latin1", "UTF-8", "utf8"]):
            with pytest.raises(InvalidArgumentError,
                               match=f"only utf-8 or '' \\(no encoding\\) is supported, "
                                     f"received {enc}"):
                _run(op)


_VS_TF = r'''
import os
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1
import minitf as mtf
tf1.disable_v2_behavior()


def plain(v):
    if hasattr(v, "dense_shape"):
        return [v.indices.tolist(), v.values.tolist(), v.dense_shape.tolist()]
    if hasattr(v, "to_list"):
        return ["ragged", v.to_list()]
    return np.asarray(v).tolist()


def outcome(tf, build):
    try:
        with tf.Graph().as_default():
            with tf.Session() as s:
                return ["ok", plain(s.run(build(tf)))]
    except Exception as e:
        lines = [l for l in str(e).splitlines() if "only utf-8" in l or "result_type" in l]
        return [type(e).__name__.replace("InvalidArgumentError", "IAE"), lines[:1]]


CASES = {
    "scalar": lambda tf: tf.strings.split("a b c"),
    "scalar_sep": lambda tf: tf.strings.split("a,,b", sep=","),
    "rank2": lambda tf: tf.strings.split([["a b"], ["c"]]),
    "rank2_wide": lambda tf: tf.strings.split([["a b", "x y z"], ["c", ""]], maxsplit=1),
    "rank3": lambda tf: tf.strings.split([[["a  b"]]], sep=" "),
    "empty": lambda tf: tf.strings.split(tf.zeros([0, 2], tf.string)),
    "ragged": lambda tf: tf.strings.split(["a b", "c"], result_type="RaggedTensor"),
    "ragged_dense": lambda tf: tf.strings.split(["a b", "c"],
                                                result_type="RaggedTensor").to_tensor(""),
    "ragged_rank2": lambda tf: tf.strings.split([["a b"], ["c"]], result_type="RaggedTensor"),
    "ragged_in": lambda tf: tf.strings.split(tf.ragged.constant([["a b"], [], ["c d", "e"]]),
                                             result_type="RaggedTensor"),
    "ss_ragged": lambda tf: tf.string_split(["a,,b", "c"], delimiter=",", skip_empty=False,
                                            result_type="RaggedTensor"),
    "bad_result_type": lambda tf: tf.strings.split(["a"], result_type="Ragged"),
    "ngrams": lambda tf: tf.strings.ngrams(tf.strings.unicode_split(["abc", "de"], "UTF-8"),
                                           2, separator=""),
    "ngrams_pad": lambda tf: tf.strings.ngrams(tf.strings.unicode_split(["abc", "d"], "UTF-8"),
                                               [1, 2], separator="", pad_values=("<", ">")),
    "ngrams_nested": lambda tf: tf.strings.ngrams(
        tf.strings.split([["a b c"], ["d e"]], result_type="RaggedTensor"), 2),
    "lower": lambda tf: tf.strings.lower([b"A\xffB", b"\xc3\x89\xc0\x80", b"A\xed\xa0\x80"],
                                         encoding="utf-8"),
    "upper": lambda tf: tf.strings.upper([b"a\xf0\x9fb", "straße".encode()], encoding="utf-8"),
    "latin1": lambda tf: tf.strings.lower([b"\xc9"], encoding="latin1"),
    "UTF-8": lambda tf: tf.strings.upper(["a"], encoding="UTF-8"),
}
for name, build in CASES.items():
    mine, theirs = outcome(mtf, build), outcome(tf1, build)
    print(name, "OK" if mine == theirs else "DIFF %r vs TF %r" % (mine, theirs))
'''


def test_against_tensorflow(tmp_path):
    run_against_tf("strings_split_ragged_vs_tf.py", cases=19, source=_VS_TF, tmp_path=tmp_path)
