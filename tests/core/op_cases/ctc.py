"""Cases for the CTC ops (CTCLoss, CTCGreedyDecoder, CTCBeamSearchDecoder) and PreventGradient.

The references are brute force and so independent of the kernels' recursions: every alignment
(all C**T class paths) is scored, collapsed to its labelling and summed. That gives the loss,
its gradient (softmax minus each class's posterior occupancy) and, for a beam wide enough to
hold every prefix, the exact beam-search result (no pruning)."""

import itertools

import numpy as np

from .harness import Case


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def collapse(path, blank, merge=True):
    """An alignment's labelling: runs merged (when ``merge``), blanks removed."""
    out, prev = [], None
    for k in path:
        if k != blank and not (merge and k == prev):
            out.append(k)
        prev = k
    return tuple(out)


def labelling_probs(x, merge=True):
    """{labelling: probability} over every alignment of logits ``x`` [T, C]."""
    y = softmax(x.astype(np.float64))
    steps, classes = y.shape
    out = {}
    for path in itertools.product(range(classes), repeat=steps):
        p = np.prod(y[np.arange(steps), path])
        key = collapse(path, classes - 1, merge)
        out[key] = out.get(key, 0.0) + p
    return out


def brute_loss(x, label, merge=True):
    """(loss, gradient) of one element's logits ``x`` [T, C] and target ``label``."""
    y = softmax(x.astype(np.float64))
    steps, classes = y.shape
    total, occupancy = 0.0, np.zeros_like(y)
    for path in itertools.product(range(classes), repeat=steps):
        if collapse(path, classes - 1, merge) == tuple(label):
            p = np.prod(y[np.arange(steps), path])
            total += p
            occupancy[np.arange(steps), path] += p
    return -np.log(total), y - occupancy / total


def ref_ctc_loss(x, idx, vals, seq, preprocess_collapse_repeated=False, ctc_merge_repeated=True,
                 ignore_longer_outputs_than_inputs=False):
    loss, grad = np.zeros(x.shape[1], x.dtype), np.zeros_like(x)
    for b in range(x.shape[1]):
        label = [v for (r, _), v in zip(idx.tolist(), vals.tolist()) if r == b]
        if preprocess_collapse_repeated:
            label = list(collapse(label, None))
        n = int(seq[b])
        loss[b], grad[:n, b] = brute_loss(x[:n, b], label, ctc_merge_repeated)
    return loss, grad


def ref_greedy(x, seq, merge_repeated=False, blank_index=-1):
    blank = blank_index % x.shape[2]
    paths = []
    for b in range(x.shape[1]):
        best = [int(np.argmax(x[t, b])) for t in range(seq[b])]
        out = [k for t, k in enumerate(best) if k != blank
               and not (merge_repeated and t and best[t - 1] == k)]
        paths.append(out)
    neg_sum = np.array([[-sum(x[t, b].max() for t in range(seq[b]))]
                        for b in range(x.shape[1])], x.dtype)
    return (*sparse_of(paths), neg_sum)


def sparse_of(paths):
    indices = np.array([[b, t] for b, p in enumerate(paths) for t in range(len(p))],
                       np.int64).reshape(-1, 2)
    values = np.array([v for p in paths for v in p], np.int64)
    return indices, values, np.array([len(paths), max(map(len, paths))], np.int64)


def ref_exhaustive_beam(x, seq, beam_width, top_paths, merge_repeated=True):
    """The beam search when the beam holds every prefix: the most probable labellings."""
    per_path, scores = [[] for _ in range(top_paths)], []
    for b in range(x.shape[1]):
        probs = labelling_probs(x[:seq[b], b])
        best = sorted(probs.items(), key=lambda kv: -kv[1])[:top_paths]
        for p, (labels, _) in enumerate(best):
            per_path[p].append(list(collapse(labels, None)) if merge_repeated else list(labels))
        scores.append([np.log(v) for _, v in best])
    parts = [sparse_of(paths) for paths in per_path]
    return ([p[0] for p in parts] + [p[1] for p in parts] + [p[2] for p in parts]
            + [np.array(scores, x.dtype)])


RNG = np.random.default_rng(7)
X = (RNG.standard_normal((4, 3, 3)) * 1.5).astype(np.float32)  # [time, batch, classes]
# Element 0: a repeat (needs a blank between); 1: one label over 3 frames; 2: two labels.
IDX = np.array([[0, 0], [0, 1], [1, 0], [2, 0], [2, 1]], np.int64)
VALS = np.array([1, 1, 0, 0, 1], np.int32)
SEQ = np.array([4, 3, 4], np.int32)
XB = (RNG.standard_normal((3, 2, 3)) * 2).astype(np.float32)  # 15 prefixes: all fit in 16

CASES = [
    Case("CTCLoss", [X, IDX, VALS, SEQ], ref_ctc_loss, grad=[], rtol=1e-4, atol=1e-5),
    Case("CTCLoss", [X, IDX, VALS, SEQ], ref_ctc_loss, grad=[], rtol=1e-4, atol=1e-5,
         attrs={"ctc_merge_repeated": False}, id="CTCLoss-no-merge"),
    Case("CTCLoss", [X, IDX, VALS, SEQ], ref_ctc_loss, grad=[], rtol=1e-4, atol=1e-5,
         attrs={"preprocess_collapse_repeated": True}, id="CTCLoss-collapse"),
    Case("CTCGreedyDecoder", [X, SEQ], ref_greedy, exact_shape=False),
    Case("CTCGreedyDecoder", [X, np.array([2, 0, 4], np.int32)], ref_greedy,
         attrs={"merge_repeated": True, "blank_index": 0}, exact_shape=False,
         id="CTCGreedyDecoder-merge-blank0"),
    Case("CTCBeamSearchDecoder", [XB, np.array([3, 2], np.int32)], ref_exhaustive_beam,
         attrs={"beam_width": 16, "top_paths": 3, "merge_repeated": False}, exact_shape=False,
         rtol=1e-5),
    Case("CTCBeamSearchDecoder", [XB, np.array([3, 3], np.int32)], ref_exhaustive_beam,
         attrs={"beam_width": 16, "top_paths": 2, "merge_repeated": True}, exact_shape=False,
         id="CTCBeamSearchDecoder-merge"),
    Case("PreventGradient", [X], lambda x, message="": x, grad=[], attrs={"message": "no"}),
]

COVERED_BY = {
    # The loss gradient is the op's second output, which the harness would also differentiate
    # (TF refuses that second derivative): test_ctc.py checks it against central differences.
    "CTCLoss": "test_ctc.py::test_loss_gradient_matches_central_differences",
    "PreventGradient": "test_ctc.py::test_second_derivative_is_refused",
}
