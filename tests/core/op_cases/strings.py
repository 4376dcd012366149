"""Cases for the string ops. References are Python's own str/bytes methods applied one string
at a time, or values written out by hand (AsString's printf formats, the split layouts)."""

import re

import numpy as np

from .harness import Case, Const


def s(*items, shape=None):
    out = np.empty(len(items), dtype=object)
    out[:] = [i.encode() if isinstance(i, str) else i for i in items]
    return out.reshape(shape) if shape else out


def each(fn, dtype=object):
    def ref(x, **_):
        x = np.asarray(x, dtype=object)
        out = np.empty(x.shape, dtype=dtype)
        for i in np.ndindex(x.shape):
            out[i] = fn(x[i])
        return out
    return ref


W = s("Hello World", "  padded\t", "a,b,,c", "h\xe9llo", shape=(2, 2))
FLAT = W.reshape(-1)


def _split_ref(tokens_of):
    def ref(x, sep, **_):
        rows = [tokens_of(v) for v in x]
        idx = [[r, c] for r, row in enumerate(rows) for c in range(len(row))]
        vals = s(*[t for row in rows for t in row])
        return (np.array(idx, np.int64).reshape(-1, 2), vals,
                np.array([len(rows), max((len(r) for r in rows), default=0)], np.int64))
    return ref


CASES = [
    Case("StringJoin", [[W, Const(s("!").reshape(())), W]], attrs={"separator": "|"},
         ref=lambda xs, separator: each(lambda v: v + b"|!|" + v)(xs[0])),
    Case("ReduceJoin", [W, Const(np.array(1, np.int32))], attrs={"separator": "-"},
         ref=lambda x, axis, separator, keep_dims=False: s(b"-".join(x[0]), b"-".join(x[1]))),
    Case("ReduceJoin", [W, Const(np.array([0, 1], np.int32))],
         attrs={"keep_dims": True},
         ref=lambda x, axis, keep_dims, separator="": np.array(
             [[b"".join(W.T.reshape(-1))]], dtype=object), id="ReduceJoin-all-keep"),
    Case("ReduceJoin", [W, Const(np.array([0, 1], np.int32))], attrs={"separator": "/"},
         ref=lambda x, axis, separator, keep_dims=False: np.array(
             b"Hello World/a,b,,c/  padded\t/h\xc3\xa9llo", dtype=object),
         id="ReduceJoin-first-axis-fastest"),  # TF's order (read from TF 2.21)
    Case("StringLength", [W], ref=each(len, np.int32)),
    Case("StringLength", [W], attrs={"unit": "UTF8_CHAR"},
         ref=each(lambda v: len(v.decode()), np.int32), id="StringLength-utf8"),
    Case("Substr", [FLAT, np.array([1, -3, 0, 2], np.int32), np.array([3, 2, 9, 1], np.int32)],
         ref=lambda x, p, n, unit="BYTE": s(b"ell", b"ed", b"a,b,,c", b"\xa9")),
    Case("Substr", [FLAT, np.array([1, -3, 0, 2], np.int32), np.array([-1, -1, 2, -5], np.int32)],
         ref=lambda x, p, n, unit="BYTE": s(b"ello World", b"ed\t", b"a,", b"\xa9llo"),
         id="Substr-negative-len"),  # TF: the rest of the string
    Case("StringToNumber", [s("0x10", "+5", " .5 ", "-Infinity")],
         ref=lambda x, out_type=None: np.array([16, 5, 0.5, -np.inf], np.float32),
         id="StringToNumber-strtod"),
    Case("StringToNumber", [s("1.5", " -2e3", "7")],
         ref=lambda x, out_type=None: np.array([1.5, -2000.0, 7.0], np.float32)),
    Case("StringToNumber", [s("12", "-40")], attrs={"out_type": np.int64},
         ref=lambda x, out_type: np.array([12, -40], np.int64), id="StringToNumber-int64"),
    Case("AsString", [np.array([1.5, -0.25, 1e-7], np.float32)],
         ref=lambda x, **_: s("1.500000", "-0.250000", "0.000000")),
    Case("AsString", [np.array([7, -3], np.int64)], attrs={"width": 4, "fill": "0"},
         ref=lambda x, **_: s("0007", "-003"), id="AsString-int-width"),
    Case("AsString", [np.array([1.5, 100000.0], np.float64)], attrs={"shortest": True},
         ref=lambda x, **_: s("1.5", "100000"), id="AsString-shortest"),
    Case("AsString", [np.array([True, False])], ref=lambda x, **_: s("true", "false"),
         id="AsString-bool"),
    Case("RegexReplace", [W, Const(s("[aeiou]").reshape(())), Const(s("_").reshape(()))],
         ref=lambda x, p, r, replace_global=True: each(
             lambda v: re.sub(rb"[aeiou]", b"_", v))(x)),
    Case("StaticRegexReplace", [FLAT], attrs={"pattern": r"(\w+) (\w+)", "rewrite": r"\2 \1",
                                             "replace_global": False},
         ref=lambda x, **_: s("World Hello", "  padded\t", "a,b,,c", "h\xe9llo")),
    Case("StaticRegexReplace", [FLAT], attrs={"pattern": r"[[:punct:]]|\pL\b|l*",
                                             "rewrite": r"<\0>"},
         ref=lambda x, **_: s("<>H<>e<ll><o> <>W<>o<>r<l><d>", "<> <> <>p<>a<>d<>d<>e<d>\t<>",
                              "<a><,><b><,><,><c>", "<h><\xe9><ll><o>"),
         id="StaticRegexReplace-re2"),  # RE2's classes and empty matches (TF 2.21's values)
    Case("RegexFullMatch", [FLAT, Const(s("[A-Za-z ]+").reshape(()))],
         ref=lambda x, p: np.array([True, False, False, False])),
    Case("StaticRegexFullMatch", [FLAT], attrs={"pattern": ".*,.*"},
         ref=lambda x, pattern: np.array([False, False, True, False])),
    Case("StringStrip", [W], ref=each(bytes.strip)),
    Case("StringLower", [W], ref=each(bytes.lower)),
    Case("StringUpper", [W], ref=each(bytes.upper)),
    Case("StringSplit", [FLAT, Const(s(" ,").reshape(()))], exact_shape=False,
         ref=_split_ref(lambda v: [t for t in re.split(rb"[ ,]", v) if t])),
    Case("StringSplit", [s("ab", ""), Const(s("").reshape(()))], attrs={"skip_empty": False},
         exact_shape=False, ref=_split_ref(lambda v: [v[i:i + 1] for i in range(len(v))]),
         id="StringSplit-bytes"),
    Case("StringSplit", [s("a,b", "", ","), Const(s(",").reshape(()))],
         attrs={"skip_empty": False}, exact_shape=False,
         ref=_split_ref(lambda v: v.split(b",") if v else []), id="StringSplit-keep-empty"),
    Case("StringSplitV2", [FLAT, Const(s("").reshape(()))], exact_shape=False,
         ref=_split_ref(bytes.split)),
    Case("StringSplitV2", [FLAT, Const(s(",").reshape(()))], attrs={"maxsplit": 2},
         exact_shape=False, ref=_split_ref(lambda v: v.split(b",", 2)),
         id="StringSplitV2-sep-maxsplit"),
    # Buckets read from TensorFlow 2.21 (tf.strings.to_hash_bucket_fast, 97 buckets).
    Case("StringToHashBucketFast", [s("", "a", "abc", "hello", "fingerprint",
                                      "seventeen bytes!!", "x" * 40, bytes(range(100)),
                                      "h\xe9llo w\xf6rld")],
         attrs={"num_buckets": 97},
         ref=lambda x, num_buckets: np.array([17, 53, 34, 22, 0, 17, 94, 68, 79], np.int64)),
]
