"""Builds the same string graphs in minitf and tf.compat.v1 and compares op types and values
(SparseTensorValues of the splits part by part), and the messages of two runtime errors.
Prints ALL OK when everything agrees."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
WORDS = [["Hello World", "  tab\tand  spaces "], ["a,b,,c", "héllo"]]
TYPES = {"StringJoin", "ReduceJoin", "StringLength", "Substr", "StringToNumber", "AsString",
         "RegexReplace", "StaticRegexReplace", "RegexFullMatch", "StaticRegexFullMatch",
         "StringStrip", "StringLower", "StringUpper", "StringSplit", "StringSplitV2",
         "StringToHashBucketFast"}


def build(tf, w):
    flat = tf.reshape(w, [-1])
    return [
        ("join", tf.strings.join([w, "!", w], separator="|")),
        ("string_join", tf.string_join([flat, flat])),
        ("reduce_join0", tf.reduce_join(w, 0)),
        ("reduce_join1k", tf.reduce_join(w, 1, keep_dims=True, separator="-")),
        ("reduce_join_all", tf.reduce_join(w)),
        ("length", tf.strings.length(w)),
        ("length_utf8", tf.strings.length(w, unit="UTF8_CHAR")),
        ("substr", tf.strings.substr(w, 1, 4)),
        ("substr_neg", tf.substr(flat, [-3, -2, -1, 0], [2, 2, 2, 3])),
        ("substr_utf8", tf.strings.substr(flat, 1, 3, unit="UTF8_CHAR")),
        ("to_number", tf.strings.to_number(["1.5", "-2e3", " 7"])),
        ("to_int", tf.string_to_number(["12", "-40"], out_type=tf.int64)),
        ("as_string_f", tf.as_string([1.5, -0.25, 1e-7, 123456.789])),
        ("as_string_p", tf.as_string([1.5, 2.0], precision=3)),
        ("as_string_e", tf.as_string(tf.constant([1.5, 2.0], tf.float64), scientific=True)),
        ("as_string_g", tf.as_string([1.5, 100000.0, 1e-5], shortest=True)),
        ("as_string_i", tf.as_string([7, -3], width=5, fill="0")),
        ("as_string_b", tf.as_string([True, False])),
        ("regex", tf.regex_replace(w, "[aeiou]", "_")),
        ("regex_groups", tf.strings.regex_replace(flat, r"(\w+) (\w+)", r"\2 \1")),
        ("regex_first", tf.strings.regex_replace(flat, "l", "L", replace_global=False)),
        ("regex_dyn", tf.strings.regex_replace(flat, tf.constant("o"), tf.constant("0"))),
        ("full_match", tf.strings.regex_full_match(flat, "[a-zA-Z ]+")),
        ("strip", tf.strings.strip(w)),
        ("lower", tf.strings.lower(w)),
        ("upper", tf.strings.upper(w)),
        ("split_v1", tf.string_split(flat)),
        ("split_v1_set", tf.string_split(flat, delimiter=", ")),
        ("split_v1_keep", tf.string_split(flat, delimiter=",", skip_empty=False)),
        ("split_v1_chars", tf.string_split(["abc", "de"], delimiter="")),
        ("split_v2", tf.strings.split(flat)),
        ("split_v2_sep", tf.strings.split(flat, sep=",")),
        ("split_v2_max", tf.strings.split(flat, sep=" ", maxsplit=1)),
        ("hash", tf.strings.to_hash_bucket_fast(flat, 1000)),
        # RE2 patterns on UTF-8 text and RE2's rewrites and empty matches
        ("regex_posix", tf.strings.regex_replace(flat, "[[:punct:]]", r" \0 ")),
        ("regex_unicode", tf.strings.regex_replace(flat, r"\pL+|\p{Han}|\PL$", "#")),
        ("regex_utf8_first", tf.strings.regex_replace(flat, "[^a-z]", "_", replace_global=False)),
        ("regex_ascii_w", tf.strings.regex_replace(flat, r"\w\b|[[:^alpha:]]\z", "#")),
        ("regex_empty", tf.strings.regex_replace(flat, "l*", "-")),
        ("regex_rewrite", tf.strings.regex_replace(flat, "(l+)", r"<\1\\\0>")),
        ("regex_rewrite_bad", tf.strings.regex_replace(flat, "(o)", r"[\n]")),
        ("regex_rewrite_missing", tf.strings.regex_replace(flat, "(o)", r"\2")),
        ("regex_syntax", tf.strings.regex_replace(
            flat, r"(?U)\Q,\E.+|(?i)L{2}|\x{e9}|[\d-z]$|(?m)s$", "#")),
        ("regex_dollar", tf.strings.regex_replace(["line\n", "a\nb\n"], "$", ";")),
        ("full_match_posix", tf.strings.regex_full_match(flat, "[[:alpha:][:space:]]+")),
        # reduce_join's axis order, splits of empty strings, substr's negative len, to_number
        ("reduce_join_order", tf.reduce_join(w, [0, 1], separator="/")),
        ("reduce_join_r3", tf.reduce_join(tf.reshape(tf.tile(flat, [6]), [2, 3, 4]), [0, 2],
                                          separator="/")),
        ("reduce_join_empty", tf.reduce_join(tf.reshape(tf.constant([], tf.string), [0, 2]),
                                             1)),
        ("split_v1_empty", tf.string_split(["a,b", "", ","], ",", skip_empty=False)),
        ("split_v1_only_empty", tf.string_split([""], ",", skip_empty=False)),
        ("substr_neg_len", tf.substr(flat, [1, -3, 0, 2], [-1, -1, 2, -5])),
        ("substr_utf8_neg_len", tf.strings.substr(flat, [1, 0, 2, 3], [-1] * 4,
                                                            unit="UTF8_CHAR")),
        ("to_number_c", tf.strings.to_number(["0x10", "+5", " 5 ", "-inf", "nan", "0x1p3", ".5",
                                              "1e400", "Infinity", "5 "])),
        ("to_int_c", tf.strings.to_number(["+5", " -7 ", "010"], out_type=tf.int32)),
        ("hash_long", tf.string_to_hash_bucket_fast(
            tf.strings.join([flat, flat, flat, flat, flat, flat], separator="#"), 7)),
    ]


def run(tf):
    graph = tf.Graph()
    with graph.as_default():
        w = tf.placeholder(tf.string, [2, 2])
        built = build(tf, w)
        types = sorted({op.type for op in graph.get_operations()} & TYPES)
        with tf.Session(graph=graph) as sess:
            values = sess.run([y for _, y in built], {w: np.array(
                [[s.encode() for s in row] for row in WORDS], dtype=object)})
            errors = []
            for bad in (tf.strings.to_number(["x1"]), tf.strings.substr(["hello"], 7, 2),
                        tf.strings.to_number(["1_000"]), tf.strings.to_number(["0x10"], tf.int64),
                        tf.strings.substr(["héllo"], -1, -1, unit="UTF8_CHAR"),
                        tf.strings.regex_replace(["a"], "a(?=b)", "x"),
                        tf.strings.regex_replace(["a"], r"(a)\1", "x"),
                        tf.strings.regex_full_match(["a"], r"\Z"),
                        tf.reduce_join(w, [1, -1])):
                try:
                    sess.run(bad)
                    errors.append(None)
                except tf.errors.InvalidArgumentError as e:
                    errors.append(e.message.split("\n")[-2 if tf is tf1 else 0].strip()
                                  if tf is tf1 else e.message)
    return types, dict(zip([n for n, _ in built], values)), errors


def flat(v):
    if hasattr(v, "indices"):
        return [np.asarray(v.indices), np.asarray(v.values), np.asarray(v.dense_shape)]
    return [np.asarray(v, dtype=object) if isinstance(v, bytes) else np.asarray(v)]


(t_ours, ours, e_ours), (t_tf, theirs, e_tf) = run(mtf), run(tf1)
failures = []
if t_ours != t_tf:
    failures.append(f"op types {t_ours} vs TF {t_tf}")
for name in ours:
    a_all, b_all = flat(ours[name]), flat(theirs[name])
    for i, (a, b) in enumerate(zip(a_all, b_all)):
        if a.shape != b.shape or a.dtype != b.dtype or not (
                np.array_equal(a, b) if a.dtype == object or a.dtype.kind in "iub" else
                np.allclose(a, b, equal_nan=True)):
            failures.append(f"{name}[{i}]: {a!r} vs TF {b!r}")
for a, b in zip(e_ours, e_tf):
    if a is None or b is None or b not in a:
        failures.append(f"error {a!r} vs TF {b!r}")
print("\n".join(failures) or "ALL OK")
