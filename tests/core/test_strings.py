"""tf.strings and TF1's root string functions: values written out by hand, the SparseTensors
of the splits, static shapes, and the errors that name what is wrong. (Each op's kernel is also
checked by op_cases/strings.py; data/strings_vs_tf.py compares the same graphs with
tf.compat.v1.)"""

import importlib.util
import re

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

from .legacy_tf import run_against_tf


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_join_reduce_join_and_static_shapes():
    with tf.Graph().as_default():
        w = tf.constant([["a", "b"], ["c", "d"]])
        joined = tf.strings.join([w, "-", w])
        rj = tf.reduce_join(w, axis=1, separator=",")
        rj_all = tf.reduce_join(w)
        rj_keep = tf.reduce_join(w, 0, keep_dims=True)
        assert joined.shape.as_list() == [2, 2] and rj.shape.as_list() == [2]
        assert rj_all.shape.as_list() == [] and rj_keep.shape.as_list() == [1, 2]
        got = _run([joined, rj, rj_all, rj_keep, tf.string_join(["x", "y"], "+")])
    assert got[0].tolist() == [[b"a-a", b"b-b"], [b"c-c", b"d-d"]]
    assert got[1].tolist() == [b"a,b", b"c,d"]
    assert got[2] == b"abcd"
    assert got[3].tolist() == [[b"ac", b"bd"]]
    assert got[4] == b"x+y"
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="do not match"):
        _run(tf.strings.join([tf.placeholder_with_default(["a", "b"], [None]),
                              tf.placeholder_with_default(["a", "b", "c"], [None])]))


def test_length_substr_case_strip():
    with tf.Graph().as_default():
        x = tf.constant(["h\u00e9llo", "  Mixed Case \n"])
        got = _run([tf.strings.length(x), tf.strings.length(x, unit="UTF8_CHAR"),
                    tf.strings.substr(x, 1, 3), tf.substr(x, -3, 2),
                    tf.strings.substr(x, 1, 3, unit="UTF8_CHAR"), tf.strings.lower(x),
                    tf.strings.upper(x), tf.string_strip(x)])
        with pytest.raises(InvalidArgumentError, match="pos 9 out of range"):
            _run(tf.strings.substr(x, 9, 1))
        with pytest.raises(ValueError, match="unit must be"):
            tf.strings.length(x, unit="CHAR")
    assert got[0].tolist() == [6, 14] and got[1].tolist() == [5, 14]
    assert got[2].tolist() == ["\u00e9l".encode(), b" Mi"]
    assert got[3].tolist() == [b"ll", b"e "]
    assert got[4].tolist() == ["\u00e9ll".encode(), b" Mi"]
    assert got[5].tolist() == ["h\u00e9llo".encode(), b"  mixed case \n"]
    assert got[6].tolist() == ["H\u00e9LLO".encode(), b"  MIXED CASE \n"]
    assert got[7].tolist() == ["h\u00e9llo".encode(), b"Mixed Case"]


def test_numbers_to_strings_and_back():
    with tf.Graph().as_default():
        got = _run([tf.as_string([1.5, -0.125]), tf.as_string([1.5], precision=1),
                    tf.as_string([1234.5], scientific=True), tf.as_string([12], width=4),
                    tf.as_string([True]), tf.strings.to_number(["2.5", "-1e2"]),
                    tf.string_to_number(["17"], out_type=tf.int32)])
        with pytest.raises(InvalidArgumentError, match="could not correctly convert string: "
                                                       "seven"):
            _run(tf.strings.to_number(["seven"]))
        with pytest.raises(InvalidArgumentError, match="convert string: 3000000000"):
            _run(tf.strings.to_number(["3000000000"], out_type=tf.int32))
        with pytest.raises(TypeError, match="out_type"):
            tf.strings.to_number(["1"], out_type=tf.bool)
    assert got[0].tolist() == [b"1.500000", b"-0.125000"]
    assert got[1].tolist() == [b"1.5"] and got[2].tolist() == [b"1.234500e+03"]
    assert got[3].tolist() == [b"  12"] and got[4].tolist() == [b"true"]
    np.testing.assert_array_equal(got[5], np.array([2.5, -100.0], np.float32))
    assert got[6].dtype == np.int32 and got[6].tolist() == [17]


def test_regular_expressions():
    with tf.Graph().as_default():
        x = tf.constant(["one two", "three"])
        static = tf.regex_replace(x, r"(\w+) (\w+)", r"\2 \1")
        dynamic = tf.strings.regex_replace(x, tf.constant("e"), tf.constant("E"),
                                           replace_global=False)
        assert static.op.type == "StaticRegexReplace" and dynamic.op.type == "RegexReplace"
        got = _run([static, dynamic, tf.strings.regex_full_match(x, "[a-z]+")])
        with pytest.raises(InvalidArgumentError, match="Invalid pattern"):
            _run(tf.strings.regex_replace(x, "(", "x"))
    assert got[0].tolist() == [b"two one", b"three"]
    assert got[1].tolist() == [b"onE two", b"thrEe"]
    assert got[2].tolist() == [False, True]


def test_splits_are_sparse_tensors():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.string, [None])
        v1 = tf.string_split(x, delimiter=" ,")
        v2 = tf.strings.split(x, sep=",")
        ws = tf.strings.split(x)
        assert isinstance(v1, tf.SparseTensor) and v1.indices.shape.as_list() == [None, 2]
        dense = tf.sparse.to_dense(v1, default_value="")
        got = _run([v1, v2, ws, dense], {x: ["a b,c", "", "d,,e"]})
        with pytest.raises(ValueError, match="result_type must be 'RaggedTensor' or"):
            tf.strings.split(x, result_type="Ragged")
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            tf.string_split(tf.constant([["a"]]))
        anything = tf.placeholder(tf.string)  # rank known only when run
        with pytest.raises(InvalidArgumentError, match="input must be a vector"):
            _run(tf.string_split(anything).values, {anything: [["a"]]})
    sv1, sv2, sws, d = got
    assert sv1.indices.tolist() == [[0, 0], [0, 1], [0, 2], [2, 0], [2, 1]]
    assert sv1.values.tolist() == [b"a", b"b", b"c", b"d", b"e"]
    assert sv1.dense_shape.tolist() == [3, 3]
    assert sv2.values.tolist() == [b"a b", b"c", b"", b"d", b"", b"e"]
    assert sv2.indices[:, 0].tolist() == [0, 0, 1, 2, 2, 2]
    assert sws.values.tolist() == [b"a", b"b,c", b"d,,e"]
    assert d.tolist() == [[b"a", b"b", b"c"], [b"", b"", b""], [b"d", b"e", b""]]


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")
def test_against_tensorflow():
    """Op types, values and two runtime messages against tf.compat.v1."""
    run_against_tf("strings_vs_tf.py", 1)


def test_fingerprint64_is_tensorflows():
    """FarmHash Fingerprint64 of every length class (0-16, 17-32, 33-64, longer), the values
    read from TensorFlow 2.21's tf.fingerprint."""
    from minitf.ops.farmhash import fingerprint64

    want = {b"": 0x9AE16A3B2F90404F, b"a": 0xB3454265B6DF75E3, b"abc": 0x24A5B3A074E7F369,
            b"hello": 0xB48BE5A931380CE8, b"fingerprint": 0xD993C59B8F34ACFA,
            b"seventeen bytes!!": 0x507A9D6592469765, b"x" * 40: 0xEBF8E8AEAC993C94,
            bytes(range(100)): 0x3CFF0F886D8D6195,
            "h\u00e9llo w\u00f6rld".encode(): 0x7CED6D0A96714893}
    assert {k: fingerprint64(k) for k in want} == want
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="num_buckets"):
            tf.strings.to_hash_bucket_fast(["a"], 0)


def test_vocabulary_table_with_oov_buckets():
    """Known keys get their ids, others vocab_size + their hash bucket (TF's numbers)."""
    with tf.Graph().as_default():
        table = tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
            ["a", "b"], tf.constant([0, 1], tf.int64)), 3)
        ids = table.lookup(tf.constant(["a", "zz", "b", "q"]))
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            got, size = sess.run([ids, table.size()])
    assert got.tolist() == [0, 3, 1, 4] and size == 5  # (read from TF 2.21)


def test_regex_rewrite_is_re2s():
    """RE2's rewrite: \\0 the match, \\1-\\9 groups, \\\\ a backslash; another escape ends
    the rewrite there (a first-only replace is then dropped), a missing group leaves the
    string as it is (values read from TF 2.21)."""
    with tf.Graph().as_default():
        x = tf.constant(["abc"])
        cases = [(r"<\0>", b"a<b>c"), (r"\1\1", b"abbc"), ("\\\\", b"a\\c"), (r"x\n", b"axc"),
                 (r"\g<1>", b"ac"), (r"\2", b"abc"), (r"\10", b"ab0c")]
        got = _run([tf.strings.regex_replace(x, "(b)", rw) for rw, _ in cases] +
                   [tf.strings.regex_replace(x, "(b)", r"x\n", replace_global=False),
                    tf.strings.regex_replace(["Hello, world!"], "[[:punct:]]", r" \0 ")])
    assert [g[0] for g in got] == [want for _, want in cases] + [b"abc", b"Hello ,  world ! "]


def test_regex_patterns_are_re2_on_utf8_text():
    """RE2 syntax translated (values read from TF 2.21): characters not bytes, ASCII \\w and
    POSIX classes, Unicode \\p classes, $ only at the very end, RE2's empty matches."""
    text = "hello 日 a.b 1z"
    cases = [
        (text, r"\pL+", "# # #.# 1#"), (text, r"\p{Han}", "hello # a.b 1z"),
        (text, r"\PL", "hello#日#a#b##z"), (text, r"\x{65e5}", "hello # a.b 1z"),
        (text, r"\Qa.b\E", "hello 日 # 1z"), (text, r"(?U)a+", "hello 日 #.b 1z"),
        (text, r"[\d-z]", "hello 日 a.b ##"), (text, r"o\z", text),
        (text, r"z\z", "hello 日 a.b 1#"), (text, r"\Ah", "#ello 日 a.b 1z"), ("日本", ".", "##"),
        ("naïve café", "[éï]", "na#ve caf#"),
        ("naïve", "[^a-z]", "na#ve"), ("Hello, world!", "[[:punct:]]", "Hello# world#"),
        ("a1_é", r"\w", "###é"), ("a1 B", "[[:^alpha:]]", "a##B"), ("line\n", "$", "line\n#"),
        ("ab\ncd\n", "(?m)$", "ab#\ncd#\n#"), ("a\nb", ".", "#\n#"), ("abc", "b*", "#a#c#"),
        ("aB|Ab|c|C", "a(?i)b|c", "#|Ab|#|#"), ("é a", r"\b", "é #a#"), ("ab", "(?P<x>a)", "#b"),
    ]
    with tf.Graph().as_default():
        got = _run([tf.strings.regex_replace([s], p, "#") for s, p, _ in cases] +
                   [tf.strings.regex_replace(["日本"], ".", "", replace_global=False),
                    tf.strings.regex_replace([b"a\xffb"], ".", "_"),
                    tf.strings.regex_full_match(["abc", "ab1"], "[[:alpha:]]+")])
        for pattern, message in [("a(?=b)", "invalid perl operator: (?="),
                                 ("a(?<!b)", "invalid perl operator: (?<"),
                                 (r"(a)\1", r"invalid escape sequence: \1"),
                                 (r"\Z", r"invalid escape sequence: \Z"),
                                 ("a**", "bad repetition operator: **"),
                                 ("a{1001}", "invalid repetition size: {1001}"),
                                 (r"\p{Klingon}", r"invalid character class range: \p{Klingon}")]:
            with pytest.raises(InvalidArgumentError, match=re.escape(
                    f"Invalid pattern: {pattern}, error: {message}")):
                _run(tf.strings.regex_replace(["ab"], tf.constant(pattern), "x"))
    assert [g[0].decode() for g in got[:len(cases)]] == [want for _, _, want in cases]
    assert got[-3][0] == "本".encode()
    assert got[-2][0] == b"_\xff_"  # an invalid byte matches nothing, and stays
    assert got[-1].tolist() == [True, False]


def test_split_reduce_join_substr_to_number_as_tensorflow():
    """Values and messages read from TF 2.21."""
    x3 = np.array([str(i) for i in range(24)], dtype=object).reshape(2, 3, 4)
    with tf.Graph().as_default():
        a = tf.constant([["a", "b"], ["c", "d"]])
        empty = tf.reshape(tf.constant([], tf.string), [0, 2])
        got = _run([
            tf.string_split(["a,b", ""], ",", skip_empty=False),
            tf.string_split([""], ",", skip_empty=False),
            tf.reduce_join(a, [0, 1]), tf.reduce_join(a, [1, 0], separator="/"),
            tf.reduce_join(x3, [0, 2], separator="/"), tf.reduce_join(empty, 1),
            tf.reduce_join(empty, [0, 1], keep_dims=True),
            tf.strings.substr(["hello", "héllo"], [1, -3], [-1, -2]),
            tf.strings.substr(["héllo"], 1, -1, unit="UTF8_CHAR"),
            tf.strings.to_number(["0x10", "+5", " 5 ", "5 ", "-inf", "NaN", "0x1.8p1", ".5",
                                  "1e400", "Infinity"]),
            tf.strings.to_number(["+5", " -7\t", "010"], out_type=tf.int64)])
        for bad in ["1_000", "\u0663", "0x10", "1.5f", "", "1e5", "+-1"]:
            out_type = tf.int32 if bad in ("0x10", "1e5") else tf.float32
            with pytest.raises(InvalidArgumentError, match="could not correctly convert"):
                _run(tf.strings.to_number([bad], out_type))
        with pytest.raises(InvalidArgumentError, match="Duplicate reduction dimension -2"):
            _run(tf.reduce_join(a, [0, -2]))
        with pytest.raises(InvalidArgumentError, match="pos -1 out of range for string at"):
            _run(tf.strings.substr(["héllo"], -1, -1, unit="UTF8_CHAR"))
    split, split1 = got[0], got[1]
    assert split.values.tolist() == [b"a", b"b"] and split.dense_shape.tolist() == [2, 2]
    assert split1.values.size == 0 and split1.dense_shape.tolist() == [1, 0]
    assert got[2] == b"acbd" and got[3] == b"a/b/c/d"
    assert got[4].tolist() == [b"0/12/1/13/2/14/3/15", b"4/16/5/17/6/18/7/19",
                               b"8/20/9/21/10/22/11/23"]
    assert got[5].shape == (0,) and got[6].tolist() == [[b""]]
    assert got[7].tolist() == [b"ello", b"llo"] and got[8].tolist() == [b""]
    np.testing.assert_array_equal(got[9], np.array([16, 5, 5, 5, -np.inf, np.nan, 3, 0.5,
                                                    np.inf, np.inf], np.float32))
    assert got[10].tolist() == [5, -7, 10]
