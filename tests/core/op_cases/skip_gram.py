"""Cases for SkipGramGenerateCandidates (tf.contrib.text). TensorFlow 2 has no such op; with
min_skips == max_skips its output is fully determined, and the reference pairs every token of
input[start:end] with the tokens within ``skips`` of it in that range, by two loops. Random
windows and the wrapper: tests/core/contrib/test_contrib_text.py."""

import numpy as np

import minitf.ops.skip_gram_ops  # noqa: F401 - registers SkipGramGenerateCandidates (contrib)

from .harness import Case, Const


def ref_skip_gram(tokens, min_skips, max_skips, start, limit, emit_self, **_):
    assert min_skips == max_skips  # the deterministic case
    skips, start, limit = int(min_skips), int(start), int(limit)
    end = len(tokens) if limit < 0 else min(start + limit, len(tokens))
    pairs = [(tokens[i], tokens[j]) for i in range(start, end) for j in range(start, end)
             if abs(i - j) <= skips and (i != j or emit_self)]
    out_t = np.array([t for t, _ in pairs], tokens.dtype).reshape(-1)
    out_l = np.array([lab for _, lab in pairs], tokens.dtype).reshape(-1)
    return out_t, out_l


def _args(skips, start, limit, emit_self):
    return [Const(np.int32(skips)), Const(np.int32(skips)), Const(np.int32(start)),
            Const(np.int32(limit)), Const(np.bool_(emit_self))]


WORDS = np.array([b"the", b"quick", b"brown", b"fox", b"jumps", b"over"], dtype=object)
IDS = np.array([4, 8, 15, 16, 23, 42, 7], np.int64)

CASES = [
    Case("SkipGramGenerateCandidates", [WORDS, *_args(1, 0, -1, False)], ref=ref_skip_gram,
         exact_shape=False, id="SkipGramGenerateCandidates-strings-window-1"),
    Case("SkipGramGenerateCandidates", [IDS, *_args(2, 1, 4, True)], ref=ref_skip_gram,
         exact_shape=False, id="SkipGramGenerateCandidates-int64-start-limit-self"),
    Case("SkipGramGenerateCandidates", [IDS.astype(np.int32), *_args(0, 0, 100, True)],
         ref=ref_skip_gram, exact_shape=False, id="SkipGramGenerateCandidates-window-0"),
]
