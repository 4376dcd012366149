"""tf.strings' Unicode functions (core/ops/unicode_ops.py): TF-free checks against Python's own
codecs and hand-written values, then the same graphs side by side with TensorFlow 2.21
(skipped where it is not installed), malformed input under every ``errors`` mode included."""

import random
import sys

import numpy as np
import pytest

import minitf as tf

from .op_cases.unicode import handled, python_decode
from .side_by_side import tf_run

MALFORMED = [b"", b"abc", "h\xe9llo \U0001F60A".encode(), b"\xff", b"a\x80b", b"\xc0\x80",
             b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe4\xb8", b"\xe4\xb8a",
             b"\xf0\x9f\x98", b"\xf0\x9f\x98x", b"\xc2", b"\xe1\x80\xe2\x82\xac",
             b"\xf8\x88\x80\x80\x80", b"\x01\x1fA\x7f\x00", b"\xef\xbf\xbf\xef\xbf\xbe",
             b"\xc3(", b"\xa0\xa1", b"\xe2(\xa1", b"\xf0(\x8c\xbc", b"\xf0\x90(\xbc",
             b"\xf5\x80\x80\x80", b"\xfe\xfe\xff\xff"]
UTF16 = [b"", b"\x00a\x00b", b"\xd8\x3d\xde\x0a", b"\xd8\x3d", b"\xde\x0a", b"\xd8\x3d\x00a",
         b"\x00", b"\x00a\x00", b"\xd8\x3d\xde", b"\xde\x0a\xd8\x3d\xde\x0a",
         b"\xd8\x00\xd8\x00\xdc\x00", b"\xff\xfe\x00a", b"\x00\x01"]
UTF32 = [b"", b"\x00\x00\x00a", b"\x00\x01\xf6\x0a", b"\x00\x11\x00\x00", b"\x00\x00\xd8\x00",
         b"\xff\xff\xff\xff", b"\x00\x00\x00", b"\x00\x00\x00a\x00", b"\x80\x00\x00\x41"]

LE16, BE16 = b"\xff\xfe", b"\xfe\xff"
LE32, BE32 = b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"
# One string at a time (a fresh converter), as ICU's BOM-detecting "UTF-16" / "UTF-32" decode
# them: (input, code points, offsets), worked out by hand.
BOM16 = [(LE16 + b"h\x00i\x00", [104, 105], [0, 4]), (BE16 + b"\x00h\x00i", [104, 105], [0, 4]),
         (b"\x00h\x00i", [104, 105], [0, 2]), (b"h\x00i\x00", [0x6800, 0x6900], [0, 2]),
         (LE16, [0xFFFF], [0]), (BE16, [0xFFFF], [0]), (LE16 + b"h", [0xFFFD], [0]),
         (LE16 + b"\x3d\xd8\x0a\xde", [0x1F60A], [0]), (LE16 + LE16, [0xFEFF], [0]),
         (BE16 + b"\xdc\x00\x00a", [0xFFFD, 97], [0, 4]), (b"\xff\xff\x00h", [0xFFFF, 104], [0, 2]),
         (b"\xff", [0xFFFD], [0]), (b"", [], [])]
BOM32 = [(LE32 + b"h\x00\x00\x00i\x00\x00\x00", [104, 105], [0, 8]),
         (BE32 + b"\x00\x00\x00h", [104], [0]), (b"\x00\x00\x00h", [104], [0]),
         (b"h\x00\x00\x00", [0xFFFD], [0]), (LE32, [0xFFFF], [0]), (LE32[:3], [0xFFFD], [0]),
         (BE32 + b"\x00\x01\xf6\x0a\x00\x00\xd8\x00", [0x1F60A, 0xFFFD], [0, 8]),
         (LE32 + b"\x00", [0xFFFD], [0])]


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def lists(value):
    return value.to_list() if hasattr(value, "to_list") else np.asarray(value).tolist()


# -- TF-free ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("errors", ["replace", "ignore"])
@pytest.mark.parametrize("control", [False, True])
def test_decode_matches_python_codecs_on_malformed_utf8(errors, control):
    cps, offsets = tf.strings.unicode_decode_with_offsets(
        MALFORMED, "UTF-8", errors=errors, replacement_char=0x2A,
        replace_control_characters=control)
    got_c, got_o = run([cps, offsets])
    want = [handled(v, "UTF-8", errors, 0x2A, control) for v in MALFORMED]
    assert got_c.to_list() == [c for c, _ in want]
    assert got_o.to_list() == [o for _, o in want]


@pytest.mark.parametrize("encoding,cases", [("UTF-16-BE", UTF16), ("UTF-32-BE", UTF32)])
def test_decode_matches_python_codecs_utf16_utf32(encoding, cases):
    got_c, got_o = run(list(tf.strings.unicode_decode_with_offsets(cases, encoding)))
    want = [handled(v, encoding) for v in cases]
    assert got_c.to_list() == [c for c, _ in want]
    assert got_o.to_list() == [o for _, o in want]


def test_decode_fuzz_against_python_codecs():
    rng = random.Random(7)
    pool = [0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xA0, 0xED, 0x9F, 0xEF, 0xF0,
            0x90, 0xF4, 0x8F, 0xF5, 0xFF, 0xD8, 0xDC]
    data = [bytes(rng.choice(pool) for _ in range(rng.randrange(9))) for _ in range(300)]
    for encoding in ("UTF-8", "UTF-16-BE"):
        got = run(tf.strings.unicode_decode(data, encoding, errors="ignore"))
        assert got.to_list() == [handled(v, encoding, "ignore")[0] for v in data]


def test_decode_scalar_and_ranks():
    scalar = tf.strings.unicode_decode("h\xe9", "UTF-8")
    assert isinstance(scalar, tf.Tensor) and scalar.shape.as_list() == [None]
    m = tf.strings.unicode_decode([["ab", "c"], ["", "d\xe9f"]], "UTF-8")
    assert isinstance(m, tf.RaggedTensor) and m.ragged_rank == 2
    assert m.shape.as_list() == [2, 2, None]
    got = run({"s": scalar, "m": m})
    assert got["s"].tolist() == [104, 233]
    assert got["m"].to_list() == [[[97, 98], [99]], [[], [100, 233, 102]]]
    with pytest.raises(ValueError, match="Rank of `input` must be statically known"):
        tf.strings.unicode_decode(tf.placeholder(tf.string), "UTF-8")


def test_decode_ragged_input():
    rt = tf.ragged.constant([["ab", "c"], ["d\xe9"]])
    got = run(tf.strings.unicode_decode(rt, "UTF-8"))
    assert got.to_list() == [[[97, 98], [99]], [[100, 233]]]


def test_strict_fails_the_run_and_controls_differ_between_decode_and_transcode():
    p = tf.placeholder(tf.string, [None])
    strict = tf.strings.unicode_decode(p, "UTF-8", errors="strict")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid formatting on input"):
        run(strict, {p: [b"ok", b"a\xff"]})
    # Decoding replaces controls even in strict mode; transcoding fails on them (TF's kernels).
    controls = tf.strings.unicode_decode(p, "UTF-8", errors="strict",
                                         replace_control_characters=True)
    assert run(controls, {p: [b"a\x01"]}).to_list() == [[97, 0xFFFD]]
    t = tf.strings.unicode_transcode(p, "UTF-8", "UTF-8", errors="strict",
                                     replace_control_characters=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid formatting on input"):
        run(t, {p: [b"a\x01"]})
    plain = tf.strings.unicode_transcode(p, "UTF-8", "UTF-8", errors="strict")
    assert run(plain, {p: [b"a\x01"]}).tolist() == [b"a\x01"]


def test_attr_and_run_time_errors():
    with pytest.raises(ValueError, match="Attr 'errors' of 'UnicodeDecode' Op passed string"):
        tf.strings.unicode_decode(["a"], "UTF-8", errors="bad")
    with pytest.raises(ValueError, match="'output_encoding' of 'UnicodeEncode' Op passed "
                       "string 'UTF8' not in"):
        tf.strings.unicode_encode([[97]], "UTF8")
    with pytest.raises(ValueError, match="not in"):
        tf.strings.unicode_split(["a"], "UTF8")  # TF re-encodes in the input encoding
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not create converter "
                       "for input encoding: bogus"):
        run(tf.strings.unicode_decode(["a"], "bogus"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="replacement_char out of"):
        run(tf.strings.unicode_transcode(["a"], "UTF-8", "UTF-8", replacement_char=0x110000))
    with pytest.raises(tf.errors.InvalidArgumentError, match="or is a surrogate"):
        run(tf.strings.unicode_encode([[0xD800]], "UTF-8", errors="strict"))


def test_encoding_names_as_icu_compares_them():
    got = run([tf.strings.unicode_decode(["ab"], name) for name in ("utf8", "Utf-8", "UTF_8")])
    assert all(g.to_list() == [[97, 98]] for g in got)
    le = run(tf.strings.unicode_decode(["a\U0001F60A".encode("utf-16-le")], "UTF-16LE"))
    assert le.to_list() == [[97, 0x1F60A]]
    assert run(tf.strings.unicode_decode([b"a\xff"], "ISO-8859-1")).to_list() == [[97, 255]]
    assert run(tf.strings.unicode_decode([b"a\xff"], "US-ASCII")).to_list() == [[97, 0xFFFD]]


def test_encode_ranks_and_round_trip():
    text = ["G\xf6\xf6dnight", "\U0001F60A", ""]
    cps = tf.ragged.constant([[ord(c) for c in t] for t in text])
    for enc, codec in (("UTF-8", "utf-8"), ("UTF-16-BE", "utf-16-be"),
                       ("UTF-32-BE", "utf-32-be")):
        assert run(tf.strings.unicode_encode(cps, enc)).tolist() == [t.encode(codec)
                                                                      for t in text]
    assert run(tf.strings.unicode_encode([104, 105], "UTF-8")) == b"hi"
    dense3 = run(tf.strings.unicode_encode(np.full((2, 1, 2), 97, np.int32), "UTF-8"))
    assert dense3.shape == (2, 1) and dense3.tolist() == [[b"aa"], [b"aa"]]
    nested = run(tf.strings.unicode_encode(tf.ragged.constant([[[104, 105]], [[], [65]]]),
                                           "UTF-8"))
    assert nested.to_list() == [[b"hi"], [b"", b"A"]]


def test_split_and_offsets():
    chars, offsets = tf.strings.unicode_split_with_offsets([b"a\xc3\xa9\xff", b""], "UTF-8")
    got_c, got_o = run([chars, offsets])
    assert got_c.to_list() == [[b"a", b"\xc3\xa9", b"\xef\xbf\xbd"], []]
    assert got_o.to_list() == [[0, 1, 3], []]
    assert run(tf.strings.unicode_split("ab", "UTF-8")).tolist() == [b"a", b"b"]
    ignore = run(tf.strings.unicode_split([b"a\xffb"], "UTF-8", errors="ignore"))
    assert ignore.to_list() == [[b"a", b"b"]]


def test_bytes_split_ranks():
    assert run(tf.strings.bytes_split("h\xe9")).tolist() == [b"h", b"\xc3", b"\xa9"]
    vec = tf.strings.bytes_split(["ab", "", "c"])
    assert vec.shape.as_list() == [3, None]
    assert run(vec).to_list() == [[b"a", b"b"], [], [b"c"]]
    mat = run(tf.strings.bytes_split([["ab"], ["c"]]))
    assert mat.to_list() == [[[b"a", b"b"]], [[b"c"]]]
    ragged = run(tf.strings.bytes_split(tf.ragged.constant([["ab", "c"], []])))
    assert ragged.to_list() == [[[b"a", b"b"], [b"c"]], []]


def test_python_decode_reference_marks_malformed_stretches():
    """The test reference itself: U+FFFD per maximal subpart, with its byte length."""
    assert python_decode(b"\xe4\xb8a", "UTF-8") == [(0xFFFD, 2, True), (97, 1, False)]
    assert python_decode(b"\xed\xa0\x80", "UTF-8") == [(0xFFFD, 1, True)] * 3



def test_decode_unicode_standard_table_3_8_example():
    """The Unicode Standard's own example of U+FFFD per maximal subpart (section 3.9)."""
    data = bytes.fromhex("61F18080E180C2628063 80BF64".replace(" ", ""))
    cps, offsets = run(list(tf.strings.unicode_decode_with_offsets([data], "UTF-8")))
    assert cps.to_list() == [[0x61, 0xFFFD, 0xFFFD, 0xFFFD, 0x62, 0xFFFD, 0x63, 0xFFFD, 0xFFFD,
                              0x64]]
    assert offsets.to_list() == [[0, 1, 4, 6, 7, 8, 9, 10, 11, 12]]


def _decode_each(strings, encoding, **kw):
    """Each string decoded in a run of its own (a fresh converter)."""
    p = tf.placeholder(tf.string, [None])
    op = list(tf.strings.unicode_decode_with_offsets(p, encoding, **kw))
    with tf.Session() as sess:
        return [[v.to_list()[0] for v in sess.run(op, {p: [x]})] for x in strings]


@pytest.mark.parametrize("encoding,cases", [("UTF-16", BOM16), ("UTF-32", BOM32),
                                            ("ucs-2", BOM16[:4]), ("ISO-10646-UCS-4", BOM32[:3])])
def test_utf16_utf32_detect_a_bom_and_default_to_big_endian(encoding, cases):
    got = _decode_each([x for x, _, _ in cases], encoding)
    assert got == [[c, o] for _, c, o in cases]


def test_utf16_bom_alone_is_kept_by_ignore_and_strict():
    for errors in ("ignore", "strict"):
        assert _decode_each([LE16, LE32[:2] + LE32], "UTF-16", errors=errors) == \
            [[[0xFFFF], [0]], [[0xFEFF, 0], [0, 4]]]


@pytest.mark.parametrize("batch, want", [
    # A byte order found stays for the next strings (their BOM is then a character) ...
    ([LE16 + b"h\x00i\x00", BE16 + b"\x00h\x00i", b"\x00h"],
     [[104, 105], [0xFFFE, 0x6800, 0x6900], [0x6800]]),
    ([b"\x00h\x00i", LE16 + b"h\x00"], [[104, 105], [0xFFFE, 0x6800]]),
    ([b"", LE16 + b"h\x00i\x00", b"", b"h\x00"], [[], [104, 105], [], [104]]),
    ([LE16 + b"\x3d\xd8\x0a\xde", b"h\x00"], [[0x1F60A], [104]]),
    # ... until the converter resets: a string that is one character after the BOM, or that
    # ends malformed, lets the next one be detected again.
    ([LE16 + b"h\x00", BE16 + b"\x00h\x00i"], [[104], [104, 105]]),
    ([LE16 + b"h\x00i\x00", b"h\x00\x00", BE16 + b"\x00h"], [[104, 105], [104, 0xFFFD], [104]]),
    ([LE16, b"\x00h\x00i"], [[0xFFFF], [104, 105]]),
])
def test_utf16_keeps_the_byte_order_it_found_for_the_next_strings(batch, want):
    """TF's kernels use one ICU converter for all the strings of a run (not reset between
    them); these batches were worked out by hand from ICU's converter states."""
    got = run(tf.strings.unicode_decode(np.array(batch, object), "UTF-16"))
    assert got.to_list() == want
    again = run(tf.strings.unicode_transcode(np.array(batch, object), "UTF-16", "UTF-32-BE"))
    assert again.tolist() == [np.array(w, ">u4").tobytes() for w in want]


def test_utf32_keeps_the_byte_order_it_found():
    batch = [LE32 + b"h\x00\x00\x00i\x00\x00\x00", BE32 + b"\x00\x00\x00h", b"h\x00\x00\x00"]
    got = run(tf.strings.unicode_decode_with_offsets(np.array(batch, object), "UTF-32"))
    assert got[0].to_list() == [[104, 105], [0xFFFD, 0xFFFD], [0xFFFD]]
    assert got[1].to_list() == [[0, 8], [0, 4], [0]]


def test_utf16_transcode_and_split():
    got = run(tf.strings.unicode_transcode(["h\xe9\U0001F60A".encode("utf-16-le")], "utf16",
                                           "UTF-8"))
    assert got.tolist() == ["\u6800\ue900\u3dd8\u0ade".encode()]  # no BOM: big-endian
    got = run(tf.strings.unicode_transcode([LE16 + "h\xe9".encode("utf-16-le")], "UTF-16",
                                           "UTF-8"))
    assert got.tolist() == ["h\xe9".encode()]
    with pytest.raises(ValueError, match="'output_encoding' of 'UnicodeEncode' Op passed "
                       "string 'UTF-16' not in"):  # TF's unicode_split re-encodes in UTF-16
        tf.strings.unicode_split(["a"], "UTF-16")


def test_encode_split_past_the_values_fails_in_row_order():
    def encode(values, splits, errors="replace"):
        from minitf.ops.unicode_ops import UNICODE_ENCODE

        return run(UNICODE_ENCODE(tf.constant(values, tf.int32), tf.constant(splits, tf.int64),
                                  output_encoding="UTF-8", errors=errors))

    with pytest.raises(tf.errors.InvalidArgumentError, match="less than or equal to "
                       "input_tensor length"):
        encode([65, 66, 67], [0, 5, 1, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="equal or in ascending order"):
        encode([65, 66, 67], [0, 2, 1, 5, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range for Unicode"):
        encode([-1, 66, 67], [0, 1, 5, 3], "strict")  # row 0 fails before row 1's split
    with pytest.raises(tf.errors.InvalidArgumentError, match="less than or equal"):
        encode([65, 66, -1], [0, 1, 5, 3], "strict")
    assert encode([65, -1, 66, -2], [0, 2, 2, 4], "ignore").tolist() == [b"A", b"", b"B"]


def _python_calls(fetch, feed):
    """How many Python functions and numpy functions/methods one run of ``fetch`` calls."""
    with tf.Session() as sess:
        sess.run(fetch, feed)
        count = [0]

        def profile(frame, event, arg):
            if event == "call" or event == "c_call" and (
                    (getattr(arg, "__module__", None) or "").startswith("numpy")
                    or isinstance(getattr(arg, "__self__", None), np.ndarray)):
                count[0] += 1

        sys.setprofile(profile)
        try:
            sess.run(fetch, feed)
        finally:
            sys.setprofile(None)
        return count[0]


@pytest.mark.parametrize("build", [
    lambda p: list(tf.strings.unicode_decode_with_offsets(p, "UTF-8")),
    lambda p: tf.strings.unicode_split(p, "UTF-8"),
    lambda p: tf.strings.unicode_encode(tf.strings.unicode_decode(p, "UTF-8"), "UTF-16-BE"),
    lambda p: tf.strings.unicode_transcode(p, "UTF-8", "UTF-32-BE"),
    lambda p: list(tf.strings.unicode_decode_with_offsets(
        tf.strings.unicode_transcode(p, "UTF-8", "UTF-16-BE"), "UTF-16")),
])
def test_kernels_call_no_function_per_string_on_well_formed_input(build):
    """The unicode kernels work on the whole batch (numpy and one codec call per string), so
    the Python functions and numpy calls of a run do not grow with the number of strings."""
    p = tf.placeholder(tf.string, [None])
    fetch = build(p)
    words = np.array([f"w\xf6rd{i}\U0001F60A".encode() for i in range(400)], object)
    assert _python_calls(fetch, {p: words[:20]}) == _python_calls(fetch, {p: words})

# -- side by side with TensorFlow -----------------------------------------------------------------
def _both(build):
    """``build(module)`` run in minitf and in TensorFlow; their results as lists."""
    tf.reset_default_graph()
    mine = run(build(tf))
    theirs = tf_run(build)
    return mine, theirs


def _assert_same(mine, theirs):
    if isinstance(mine, (list, tuple)):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            _assert_same(a, b)
        return
    assert type(mine).__name__ == type(theirs).__name__ or (
        isinstance(mine, (np.ndarray, bytes)) and isinstance(theirs, (np.ndarray, bytes)))
    if hasattr(theirs, "to_list"):
        assert mine.to_list() == theirs.to_list()
        assert [s.tolist() for s in mine.nested_row_splits] == \
            [s.tolist() for s in theirs.nested_row_splits]
        assert mine.flat_values.dtype == theirs.flat_values.dtype
    else:
        assert np.asarray(mine).tolist() == np.asarray(theirs).tolist()
        assert np.asarray(mine).dtype == np.asarray(theirs).dtype


@pytest.mark.parametrize("errors", ["replace", "ignore"])
@pytest.mark.parametrize("control", [False, True])
def test_vs_tf_decode_malformed_utf8(errors, control):
    mine, theirs = _both(lambda m: list(m.strings.unicode_decode_with_offsets(
        MALFORMED, "UTF-8", errors=errors, replacement_char=0x3F,
        replace_control_characters=control)))
    _assert_same(mine, theirs)


@pytest.mark.parametrize("encoding,cases", [("UTF-16-BE", UTF16), ("UTF-32-BE", UTF32),
                                            ("UTF-16LE", [c[::-1] for c in UTF16]),
                                            ("UTF-32LE", [c[::-1] for c in UTF32])])
@pytest.mark.parametrize("errors", ["replace", "ignore"])
def test_vs_tf_decode_utf16_utf32(encoding, cases, errors):
    mine, theirs = _both(lambda m: list(m.strings.unicode_decode_with_offsets(
        cases, encoding, errors=errors)))
    _assert_same(mine, theirs)


def test_vs_tf_strict_errors():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for build in (lambda m: m.strings.unicode_decode([b"a\xff"], "UTF-8", errors="strict"),
                  lambda m: m.strings.unicode_transcode([b"\x01"], "UTF-8", "UTF-16-BE",
                                                        errors="strict",
                                                        replace_control_characters=True),
                  lambda m: m.strings.unicode_encode([[-1]], "UTF-8", errors="strict")):
        tf.reset_default_graph()
        with pytest.raises(tf.errors.InvalidArgumentError) as mine:
            run(build(tf))
        with pytest.raises(tf1.errors.InvalidArgumentError) as theirs:
            tf_run(build)
        assert str(mine.value.message).split(" (")[0] in theirs.value.message


@pytest.mark.parametrize("out", ["UTF-8", "UTF-16-BE", "UTF-32-BE"])
@pytest.mark.parametrize("errors", ["replace", "ignore"])
@pytest.mark.parametrize("control", [False, True])
def test_vs_tf_transcode(out, errors, control):
    mine, theirs = _both(lambda m: m.strings.unicode_transcode(
        np.array(MALFORMED, object).reshape(5, 5), "UTF-8", out, errors=errors,
        replace_control_characters=control))
    _assert_same(mine, theirs)
    mine, theirs = _both(lambda m: m.strings.unicode_transcode(
        UTF16, "UTF-16-BE", out, errors=errors, replacement_char=0xD83D))
    _assert_same(mine, theirs)


@pytest.mark.parametrize("out", ["UTF-8", "UTF-16-BE", "UTF-32-BE"])
@pytest.mark.parametrize("errors", ["replace", "ignore"])
def test_vs_tf_encode(out, errors):
    rows = [[72, 0xD83D, 0xDE0A], [-1, 0x110000, 0x10FFFF], [], [0, 0xFFFD, 0xE9]]
    mine, theirs = _both(lambda m: [
        m.strings.unicode_encode(m.ragged.constant(rows), out, errors=errors,
                                 replacement_char=0x3F),
        m.strings.unicode_encode([[104, 105], [106, -7]], out, errors=errors),
        m.strings.unicode_encode([0x1F60A, 0xDFFF], out, errors=errors, replacement_char=0xD800),
        m.strings.unicode_encode(np.full((2, 3, 2), 0xE9, np.int32), out)])
    _assert_same(mine, theirs)


def test_vs_tf_split_and_bytes_split():
    data = [["G\xf6\xf6d".encode(), b"\xe4\xb8a\xff"], [b"", "\U0001F60A".encode()]]
    mine, theirs = _both(lambda m: [
        *m.strings.unicode_split_with_offsets(data, "UTF-8"),
        m.strings.unicode_split(data[0], "UTF-8", errors="ignore"),
        m.strings.unicode_split("h\xe9", "UTF-8"),
        m.strings.bytes_split(data), m.strings.bytes_split("h\xe9"),
        m.strings.bytes_split(m.ragged.constant([["ab", "c"], []])),
        m.strings.unicode_decode(m.ragged.constant([["ab", "c"], ["d"]]), "UTF-8")])
    _assert_same(mine, theirs)



@pytest.mark.parametrize("encoding,cases", [("UTF-16", BOM16), ("UTF-32", BOM32)])
def test_vs_tf_utf16_utf32_boms_one_string_at_a_time(encoding, cases):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    strings = [x for x, _, _ in cases] + [BE16 + b"\x00\x01\x00a", LE32 + b"\x1f\x00\x00\x00"]
    results = []
    for m in (tf, tf1):
        with m.Graph().as_default(), m.Session() as sess:
            p = m.placeholder(m.string, [None])
            fetches = [m.strings.unicode_transcode(p, encoding, out, errors=errors)
                       for out in ("UTF-8", "UTF-16-BE", "UTF-32-BE")
                       for errors in ("replace", "ignore")]
            for errors in ("replace", "ignore"):
                for control in (False, True):
                    fetches += list(m.strings.unicode_decode_with_offsets(
                        p, encoding, errors=errors, replace_control_characters=control))
            results.append([lists(v) for x in strings for v in sess.run(fetches, {p: [x]})])
    assert results[0] == results[1]


def test_vs_tf_utf16_utf32_batches_carry_the_byte_order():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = random.Random(5)
    pools = {}
    for enc, (be, le) in (("UTF-16", (BE16, LE16)), ("UTF-32", (BE32, LE32))):
        texts = ["", "h", "hi", "\ufeff", "\ufffe", "\ue000x", "\U0001F60A", "a\U0001F60A", "\x01"]
        codec = enc.lower()
        pools[enc] = [bom + t.encode(f"{codec}-{order}") for t in texts
                      for order, boms in (("be", (b"", be)), ("le", (b"", le))) for bom in boms]
        pools[enc] += [b"\xff", b"\x00", be + b"\x00", le + b"\x00\x00\x00", b"\xd8\x3d",
                       b"\xdc\x00\x00a", b"\x00a\xdc\x00", b"\x00\x11\x00\x00"]
    batches = [(enc, [rng.choice(pools[enc]) for _ in range(rng.randrange(1, 8))])
               for enc in ("UTF-16", "UTF-32") for _ in range(60)]
    results = []
    for m in (tf, tf1):
        with m.Graph().as_default(), m.Session() as sess:
            p = m.placeholder(m.string, [None])
            fetches = {enc: [*m.strings.unicode_decode_with_offsets(p, enc, errors="ignore"),
                             m.strings.unicode_decode(p, enc, replace_control_characters=True),
                             m.strings.unicode_transcode(p, enc, "UTF-8")]
                       for enc in ("UTF-16", "UTF-32")}
            results.append([[lists(v) for v in sess.run(fetches[enc], {p: batch})]
                            for enc, batch in batches])
    assert results[0] == results[1]


def test_vs_tf_encode_split_errors_in_row_order():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.ops.unicode_ops import UNICODE_ENCODE

    cases = [([65, 66, 67], [0, 5, 1, 3], "replace"), ([65, 66, 67], [0, 2, 1, 5, 3], "replace"),
             ([-1, 66, 67], [0, 1, 5, 3], "strict"), ([65, 66, -1], [0, 1, 5, 3], "strict"),
             ([65, -1, 66], [0, 2, 1, 3], "strict"), ([65, 66, 67], [0, 5, 2], "replace")]
    for values, splits, errors in cases:
        messages = []
        mine = (lambda input_values, input_splits, **attrs:  # noqa: E731
                UNICODE_ENCODE(input_values, input_splits, **attrs))
        for m, op in ((tf, mine), (tf1, tf1.raw_ops.UnicodeEncode)):
            with m.Graph().as_default(), m.Session() as sess:
                with pytest.raises(m.errors.InvalidArgumentError) as info:
                    sess.run(op(input_values=m.constant(values, m.int32),
                                input_splits=m.constant(splits, m.int64),
                                output_encoding="UTF-8", errors=errors))
                messages.append(info.value.message)
        assert messages[0].split(" (")[0].split("\n")[0] in messages[1]

def test_vs_tf_static_shapes():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    builds = [lambda m: m.strings.unicode_decode([["a", "b"]] * 3, "UTF-8"),
              lambda m: m.strings.unicode_decode(m.placeholder(m.string, [None, 4]), "UTF-8"),
              lambda m: m.strings.unicode_decode("a", "UTF-8"),
              lambda m: m.strings.bytes_split(["a", "b"]),
              lambda m: m.strings.unicode_encode(m.placeholder(m.int32, [5, 3]), "UTF-8")]
    for build in builds:
        tf.reset_default_graph()
        g = tf1.Graph()
        with g.as_default():
            want = build(tf1).shape.as_list()
        assert build(tf).shape.as_list() == want
