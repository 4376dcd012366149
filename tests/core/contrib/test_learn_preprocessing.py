"""tf.contrib.learn.preprocessing: the tokenizer, CategoricalVocabulary, VocabularyProcessor,
ByteProcessor and CategoricalProcessor against hand-computed id matrices (TF 1.x's rules:
first-seen ids, frequency trimming with value-ordered ties, unknown -> 0, truncation/padding),
and save/restore as JSON with pickles refused unopened."""

import json
import pickle

import numpy as np
import pytest

import minitf as tf
from minitf.contrib.learn import preprocessing
from minitf.contrib.learn.preprocessing import (
    ByteProcessor, CategoricalProcessor, CategoricalVocabulary, VocabularyProcessor, tokenizer)


def _ids(processor, docs, fit=False):
    rows = processor.fit_transform(docs) if fit else processor.transform(docs)
    return np.array(list(rows))


def test_namespace_matches_tf():
    learn = tf.contrib.learn
    assert learn.preprocessing.VocabularyProcessor is VocabularyProcessor
    assert learn.preprocessing.text.VocabularyProcessor is VocabularyProcessor
    assert preprocessing.categorical_vocabulary.CategoricalVocabulary is CategoricalVocabulary


def test_tokenizer_splits_as_tf_regex():
    docs = ["I'm a well-known NASA scientist", "HelloWorld ABCdef x_y 3.5", ""]
    assert list(tokenizer(docs)) == [
        ["I'm", "a", "well-known", "NASA", "scientist"],
        # "Hello" is cut before the next capital; "AB" is a capital run not starting "Cdef"
        ["Hello", "World", "AB", "Cdef", "x_y", "3", "5"],
        [],
    ]


def test_categorical_vocabulary_get_add_freeze_reverse():
    v = CategoricalVocabulary()
    assert len(v) == 1 and v.get("<UNK>") == 0
    assert (v.get("a"), v.get("b"), v.get("a")) == (1, 2, 1)
    v.add("c", 3)
    assert v.get("c") == 3 and len(v) == 4 and v._freq["c"] == 3
    v.freeze()
    assert v.get("new") == 0 and len(v) == 4
    v.add("new")  # frozen: unknown, not counted
    assert "new" not in v._freq
    v.freeze(False)
    assert v.get("new") == 4
    assert [v.reverse(i) for i in range(5)] == ["<UNK>", "a", "b", "c", "new"]
    no_reverse = CategoricalVocabulary(unknown_token="?", support_reverse=False)
    assert no_reverse.get("?") == 0 and no_reverse.get("x") == 1
    with pytest.raises(ValueError, match="support_reverse"):
        no_reverse.reverse(1)


def test_categorical_vocabulary_trim_orders_by_frequency_then_value():
    v = CategoricalVocabulary()
    for word, count in (("d", 1), ("b", 3), ("c", 2), ("a", 3), ("e", 5)):
        v.add(word, count)
    v.trim(1, max_frequency=5)  # e: too frequent; d: not more than 1
    # a and b tie at 3: value order; then c
    assert v._mapping == {"<UNK>": 0, "a": 1, "b": 2, "c": 3}
    assert v._reverse_mapping == ["<UNK>", "a", "b", "c"]
    assert len(v) == 4
    mixed = CategoricalVocabulary()
    for value in ("z", 7, "z", 7, 2, 2):
        mixed.add(value)
    mixed.trim(1)  # all tie at 2: non-strings (ascending) before strings
    assert mixed._reverse_mapping == ["<UNK>", 2, 7, "z"]


def test_vocabulary_processor_first_seen_ids_truncation_and_unknowns():
    vp = VocabularyProcessor(4)
    got = _ids(vp, ["a b c", "c b d e f", "a"], fit=True)
    np.testing.assert_array_equal(got, [[1, 2, 3, 0], [3, 2, 4, 5], [1, 0, 0, 0]])
    assert got.dtype == np.int64
    assert len(vp.vocabulary_) == 7  # <UNK> a b c d e f (f counted though cut from the row)
    # frozen after fit: z is unknown, tokens past 4 are dropped
    np.testing.assert_array_equal(_ids(vp, ["a z f b c d"]), [[1, 0, 6, 2]])
    assert len(vp.vocabulary_) == 7
    assert list(vp.reverse([[1, 2, 0], [6, 5, 4]])) == ["a b <UNK>", "f e d"]


def test_vocabulary_processor_min_frequency():
    vp = VocabularyProcessor(3, min_frequency=1)
    got = _ids(vp, ["a b c", "c b d", "c e"], fit=True)
    # counts a1 b2 c3 d1 e1: only c (-> 1) and b (-> 2) are seen more than once
    np.testing.assert_array_equal(got, [[0, 2, 1], [1, 2, 0], [1, 0, 0]])
    assert len(vp.vocabulary_) == 3
    vp2 = VocabularyProcessor(5, min_frequency=1)
    np.testing.assert_array_equal(_ids(vp2, ["b a b a c"], fit=True), [[2, 1, 2, 1, 0]])


def test_vocabulary_processor_custom_tokenizer_and_unfitted_transform():
    vp = VocabularyProcessor(3, tokenizer_fn=lambda docs: (d.split(",") for d in docs))
    np.testing.assert_array_equal(_ids(vp, ["x y,z", "z"], fit=True), [[1, 2, 0], [2, 0, 0]])
    fresh = VocabularyProcessor(2)  # never fitted: TF's vocabulary grows on transform
    np.testing.assert_array_equal(_ids(fresh, ["p q", "q r"]), [[1, 2], [2, 3]])


def _tokens_by_comma(docs):
    for doc in docs:
        yield doc.split(",")


def test_save_restore_round_trip(tmp_path):
    docs = ["the cat sat", "the dog sat down", "a cat", "the end"]
    vp = VocabularyProcessor(5, min_frequency=1)
    before = _ids(vp, docs, fit=True)
    path = tmp_path / "vocab"
    vp.save(str(path))
    state = json.loads(path.read_text(encoding="utf-8"))  # plain JSON, nothing executable
    assert state["format"] == "minitf.contrib.learn.VocabularyProcessor"
    restored = VocabularyProcessor.restore(str(path))
    assert restored.max_document_length == 5 and restored.min_frequency == 1
    np.testing.assert_array_equal(_ids(restored, docs), before)
    new_docs = ["the zebra sat", "cat cat cat cat cat cat"]
    np.testing.assert_array_equal(_ids(restored, new_docs), _ids(vp, new_docs))
    assert restored.vocabulary_._mapping == vp.vocabulary_._mapping
    assert dict(restored.vocabulary_._freq) == dict(vp.vocabulary_._freq)
    assert restored.vocabulary_._freeze and len(restored.vocabulary_) == len(vp.vocabulary_)
    assert list(restored.reverse(before)) == list(vp.reverse(before))
    # unicode words and a vocabulary without reverse support survive too
    vp2 = VocabularyProcessor(2, vocabulary=CategoricalVocabulary("UNK", support_reverse=False))
    first = _ids(vp2, ["größe café", "café"], fit=True)
    vp2.save(tmp_path / "v2")
    back = VocabularyProcessor.restore(tmp_path / "v2")
    np.testing.assert_array_equal(_ids(back, ["größe café", "café"]), first)
    assert not back.vocabulary_._support_reverse and back.vocabulary_._unknown_token == "UNK"


def test_custom_tokenizer_must_be_passed_back(tmp_path):
    vp = VocabularyProcessor(3, tokenizer_fn=_tokens_by_comma)
    expected = _ids(vp, ["a,b", "b,c"], fit=True)
    vp.save(tmp_path / "v")
    with pytest.raises(ValueError, match=r"custom tokenizer_fn .*_tokens_by_comma.*pass it"):
        VocabularyProcessor.restore(tmp_path / "v")
    back = VocabularyProcessor.restore(tmp_path / "v", tokenizer_fn=_tokens_by_comma)
    np.testing.assert_array_equal(_ids(back, ["a,b", "b,c"]), expected)


class _Boom:
    """Unpickling this creates a file: the test shows restore never unpickles."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_restore_refuses_pickles_without_loading_them(tmp_path, protocol):
    marker = tmp_path / "unpickled"
    for i, payload in enumerate((_Boom(str(marker)), {"max_document_length": 3})):
        path = tmp_path / f"vocab{i}"
        path.write_bytes(pickle.dumps(payload, protocol=protocol))
        with pytest.raises(ValueError, match=r"is a Python pickle .*never unpickles"):
            VocabularyProcessor.restore(str(path))
    assert not marker.exists()


def test_restore_errors(tmp_path):
    with pytest.raises(tf.errors.NotFoundError):
        VocabularyProcessor.restore(str(tmp_path / "missing"))
    bad = tmp_path / "bad"
    bad.write_text("not json")
    with pytest.raises(ValueError, match="not a VocabularyProcessor saved by minitf"):
        VocabularyProcessor.restore(str(bad))
    bad.write_text('{"words": []}')
    with pytest.raises(ValueError, match="JSON but not a VocabularyProcessor"):
        VocabularyProcessor.restore(str(bad))
    vp = VocabularyProcessor(2)
    vp.fit(["a b"])
    vp.save(bad)
    state = json.loads(bad.read_text())
    state["vocabulary"]["categories"] = ["a", "<UNK>", "b"]
    bad.write_text(json.dumps(state))
    with pytest.raises(ValueError, match="unknown token"):
        VocabularyProcessor.restore(str(bad))


def test_save_refuses_categories_json_cannot_hold(tmp_path):
    vp = VocabularyProcessor(2, tokenizer_fn=lambda docs: ([(1, 2)] for _ in docs))
    vp.fit(["x"])
    with pytest.raises(TypeError, match=r"category \(1, 2\) of type tuple"):
        vp.save(tmp_path / "v")


def test_byte_processor():
    bp = ByteProcessor(6)
    docs = ["abc", "héllo wörld", b"\x01\x02"]
    got = np.array(list(bp.fit_transform(docs)))
    expected = np.zeros((3, 6), np.uint8)
    for i, d in enumerate(docs):
        raw = (d.encode("utf-8") if isinstance(d, str) else d)[:6]
        expected[i, :len(raw)] = list(raw)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.uint8
    assert list(bp.reverse(got)) == ["abc", "héllo", "\x01\x02"]
    cut = np.array(list(ByteProcessor(9).transform(["héllo wörld"])))  # cuts 'ö' in half
    assert list(ByteProcessor(9).reverse(cut)) == [""]


def test_categorical_processor():
    x = [["0"], [1], [float("nan")], ["C"], ["C"], [1], ["0"], [np.nan], [3]]
    got = np.array(list(CategoricalProcessor().fit_transform(x)))
    np.testing.assert_array_equal(got.ravel(), [1, 2, 0, 3, 3, 2, 1, 0, 4])
    assert got.dtype == np.int64
    # counts "0":2 1:2 "C":2 3:1; ties ordered non-strings first: 1 -> 1, "0" -> 2, "C" -> 3
    trimmed = np.array(list(CategoricalProcessor(min_frequency=1).fit_transform(x)))
    np.testing.assert_array_equal(trimmed.ravel(), [2, 1, 0, 3, 3, 1, 2, 0, 0])
    table = [["a", "b"], ["b", "c"]]
    np.testing.assert_array_equal(list(CategoricalProcessor().fit_transform(table)),
                                  [[1, 1], [2, 2]])
    shared = CategoricalProcessor(share=True)
    np.testing.assert_array_equal(list(shared.fit_transform(table)), [[1, 2], [2, 3]])
    assert shared.vocabularies_[0] is shared.vocabularies_[1]
    np.testing.assert_array_equal(list(shared.transform([["c", "zz"]])), [[3, 0]])
    with pytest.raises(ValueError, match="call fit first"):
        list(CategoricalProcessor().transform(table))
