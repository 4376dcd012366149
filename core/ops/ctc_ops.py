"""Connectionist Temporal Classification: CTCLoss, CTCGreedyDecoder and CTCBeamSearchDecoder
with TensorFlow's op types, attrs, checks and messages, and TF1's ``tf.nn`` wrappers.

The blank is the last class; inputs are time-major logits ``[max_time, batch, classes]``. The
loss runs TF's CTCLossCalculator recursions in log space, so it stays finite where TF's float
softmax underflows. The beam search replays TF's prefix-tree search (CTCBeamSearchDecoder::Step)
entry by entry, so its beams, evictions and scores are TF's."""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np

from .. import dtypes as _dt
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..sparse_tensor import SparseTensor
from ._math_util import _check_dtype, _silence_float_warnings
from .array_ops import PREVENT_GRADIENT
from .math_ops import cast
from .sparse_ops import _check_bounds, _linear

__all__ = ["ctc_beam_search_decoder", "ctc_beam_search_decoder_v2", "ctc_greedy_decoder",
           "ctc_loss"]

_silence_float_warnings(__name__)  # logaddexp(-inf, -inf) is the log of a zero probability
_NEG_INF = -np.inf


def _bad(message):
    return InvalidArgumentError(None, None, message)


# -- label sequences ------------------------------------------------------------------------------
def _label_sequences(indices, values, batch):
    """The labels of each batch element from the sparse (indices, values) pair, checked as
    TF's CTCLoss kernel checks them (SparseTensor::IndicesValid over [batch, max_label_len])."""
    idx, vals = np.asarray(indices, np.int64), np.asarray(values)
    width = int(idx[:, 1].max()) + 1 if idx.shape[0] else 0
    shape = np.array([batch, width], np.int64)
    try:
        _check_bounds(idx, shape)
    except InvalidArgumentError as e:
        raise _bad(f"label SparseTensor is not valid: {e.message}") from None
    step = np.diff(_linear(idx, shape)) if idx.shape[0] > 1 else np.zeros(0)
    if (step <= 0).any():
        i = int(np.argmax(step <= 0)) + 1
        problem = "is repeated" if step[i - 1] == 0 else (
            "is out of order. Many sparse ops require sorted indices.\n    Use "
            "`tf.sparse.reorder` to create a correctly ordered copy.\n\n")
        raise _bad(f"label SparseTensor is not valid: indices[{i}] = "
                   f"[{idx[i, 0]},{idx[i, 1]}] {problem}")
    seqs = [[] for _ in range(batch)]
    for b, v in zip(idx[:, 0].tolist(), vals.tolist()):
        seqs[b].append(v)
    return seqs


def _target(label, b, num_classes, collapse, ignore_longer, seq_len):
    """TF's PopulateLPrimes for one element: the target after optional collapsing of repeats;
    labels >= num_classes - 1 (the blank) end the sequence and may only be followed by more."""
    if not label:
        raise _bad(f"Labels length is zero in batch {b}")
    target, finished = [], False
    for i, v in enumerate(label):
        if i and collapse and v == label[i - 1]:
            continue
        if v >= num_classes - 1:
            finished = True
        elif finished:
            raise _bad("Saw a non-null label (index >= num_classes - 1) following a null label, "
                       f"batch: {b} num_classes: {num_classes} labels: "
                       f"{','.join(map(str, label))} labels seen so far: "
                       f"{','.join(map(str, target))}")
        else:
            target.append(v)
    if any(v < 0 for v in target):
        raise _bad(f"All labels must be nonnegative integers, batch: {b} labels: "
                   f"{','.join(map(str, target))}")
    if not ignore_longer and len(label) > seq_len:
        raise _bad(f"Not enough time for target transition sequence (required: {len(label)}, "
                   f"available: {seq_len}){b}You can turn this error into a warning by using "
                   "the flag ignore_longer_outputs_than_inputs")
    return target


# -- CTCLoss ---------------------------------------------------------------------------------------
def _shift(a, k):
    return np.concatenate([np.full(k, _NEG_INF), a[:-k]])


def _forward_backward(lp, l_prime, blank, merge):
    """log alpha (with y at t) and log beta (without it) of GravesTh 7.3, [T, U] each, with
    TF's transitions: no self-loop on a label unless ``merge``; no skip onto a repeat if so."""
    steps, width = lp.shape[0], len(l_prime)
    lab = np.asarray(l_prime)
    obs = lp[:, lab]  # [T, U]: log y of each l' state
    self_ok = np.full(width, True) if merge else lab == blank
    skip_ok = np.zeros(width, bool)  # the u-2 -> u transition
    skip_ok[2:] = (lab[2:] != blank) & ~(merge & (lab[2:] == lab[:-2]))
    alpha = np.full((steps, width), _NEG_INF)
    beta = np.full((steps, width), _NEG_INF)
    alpha[0, :2] = obs[0, :2]
    for t in range(1, steps):
        prev = alpha[t - 1]
        a = np.logaddexp(np.where(self_ok, prev, _NEG_INF), _shift(prev, 1))
        if width > 2:
            a = np.logaddexp(a, np.where(skip_ok, _shift(prev, 2), _NEG_INF))
        alpha[t] = a + obs[t]
    beta[steps - 1, -2:] = 0.0
    for t in range(steps - 2, -1, -1):
        nxt = beta[t + 1] + obs[t + 1]
        b = np.where(self_ok, nxt, _NEG_INF)
        b[:-1] = np.logaddexp(b[:-1], nxt[1:])
        if width > 2:
            b[:-2] = np.logaddexp(b[:-2], np.where(skip_ok[2:], nxt[2:], _NEG_INF))
        beta[t] = b
    return alpha, beta


def _element_loss(x, target, num_classes, merge):
    """(loss, gradient w.r.t. the logits) of one element's logits ``x`` [T, C]."""
    blank = num_classes - 1
    xm = x - x.max(axis=1, keepdims=True)
    lp = xm - np.log(np.exp(xm).sum(axis=1, keepdims=True))
    y = np.exp(lp)
    l_prime = [blank]
    for v in target:
        l_prime += [v, blank]
    alpha, beta = _forward_backward(lp, l_prime, blank, merge)
    log_p = np.logaddexp.reduce(alpha[0] + beta[0])
    if log_p == _NEG_INF:  # no path fits (repeats need blanks between): TF gives softmax
        return np.inf, y
    occupancy = np.exp(alpha + beta - log_p) @ np.eye(num_classes)[l_prime]
    return -log_p, y - occupancy


def _ctc_loss_kernel(inputs, labels_indices, labels_values, sequence_length, *,
                     preprocess_collapse_repeated, ctc_merge_repeated,
                     ignore_longer_outputs_than_inputs):
    for arr, rank, what in ((inputs, 3, "inputs is not a 3-Tensor"),
                            (sequence_length, 1, "sequence_length is not a vector"),
                            (labels_indices, 2, "labels_indices is not a matrix"),
                            (labels_values, 1, "labels_values is not a vector")):
        if np.ndim(arr) != rank:
            raise _bad(what)
    max_time, batch, num_classes = inputs.shape
    if sequence_length.shape[0] != batch:
        raise _bad(f"len(sequence_length) != batch_size.  len(sequence_length):  "
                   f"{sequence_length.shape[0]} batch_size: {batch}")
    if labels_indices.shape[0] != labels_values.shape[0]:
        raise _bad("labels_indices and labels_values must contain the same number of rows, but "
                   f"saw shapes: {list(labels_indices.shape)} vs. {list(labels_values.shape)}")
    if batch == 0:
        raise _bad("batch_size must not be 0")
    labels = _label_sequences(labels_indices, labels_values, batch)
    seq = [int(s) for s in sequence_length]
    for b, s in enumerate(seq):
        if s > max_time:
            raise _bad(f"sequence_length({b}) <= {max_time}")
    for b, s in enumerate(seq):
        if s < 0:
            raise _bad(f"seq_len({b}) < 0")
    targets = [_target(labels[b], b, num_classes, preprocess_collapse_repeated,
                       ignore_longer_outputs_than_inputs, seq[b]) for b in range(batch)]
    loss = np.zeros(batch, inputs.dtype)
    grad = np.zeros_like(inputs)
    for b in range(batch):
        if seq[b] == 0 or (ignore_longer_outputs_than_inputs and len(labels[b]) > seq[b]):
            continue  # TF: zero loss and gradient for what CTC cannot score
        x = inputs[:seq[b], b].astype(np.float64)
        loss[b], grad[:seq[b], b] = _element_loss(x, targets[b], num_classes, ctc_merge_repeated)
    return loss, grad


def _merge_dims(a, b, what):
    if a is not None and b is not None and a != b:
        raise shape_error(f"Dimensions must be equal, but are {a} and {b} ({what})")
    return a if a is not None else b


def _dims(spec, rank, name):
    if spec.shape.rank not in (None, rank):
        raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank} for "
                          f"{name}")
    return spec.shape.as_tuple() or (None,) * rank


def _ctc_loss_infer(inputs, labels_indices, labels_values, sequence_length, **_):
    _check_dtype(inputs, ("float32", "float64"), "inputs")
    x = _dims(inputs, 3, "inputs")
    rows = _dims(labels_indices, 2, "labels_indices")[0]
    _merge_dims(rows, _dims(labels_values, 1, "labels_values")[0],
                "labels_indices rows vs labels_values")
    batch = _merge_dims(x[1], _dims(sequence_length, 1, "sequence_length")[0],
                        "inputs batch vs sequence_length")
    return [TensorSpec([batch], inputs.dtype), TensorSpec([x[0], batch, x[2]], inputs.dtype)]


def _ctc_loss_grad(op, grad_loss, _):
    """TF's _CTCLossGrad: the op's own gradient output scaled by each element's incoming
    gradient; a second derivative is refused (PreventGradient), as in TF."""
    from .transform_ops import expand_dims

    grad = PREVENT_GRADIENT(op.outputs[1], message=(
        "Currently there is no way to take the second  derivative of ctc_loss due to the "
        "fused implementation's interaction  with tf.gradients()"))
    return [expand_dims(grad_loss, -1) * grad, None, None, None]


CTC_LOSS = register(OpDef(
    "CTCLoss",
    inputs=["inputs:T", "labels_indices:int64", "labels_values:int32", "sequence_length:int32"],
    attrs={"preprocess_collapse_repeated": False, "ctc_merge_repeated": True,
           "ignore_longer_outputs_than_inputs": False},
    kernel=_ctc_loss_kernel, infer=_ctc_loss_infer, grad=_ctc_loss_grad,
))


# -- TF's prefix beam search (ctc_beam_search.h with the default scorer) ---------------------------
def _log_sum_exp(a, b):
    hi, lo = (a, b) if a > b else (b, a)
    return hi if lo == _NEG_INF else hi + math.log1p(math.exp(lo - hi))


class _Entry:
    """A prefix in the beam tree: its last label, its parent and its children by label, with
    log P(prefix ending in a blank / in its label / total) now (n*) and one step back (o*)."""

    __slots__ = ("parent", "label", "children", "nb", "nl", "nt", "ob", "ol", "ot")

    def __init__(self, parent, label):
        self.parent, self.label, self.children = parent, label, {}
        self.nb = self.nl = self.nt = self.ob = self.ol = self.ot = _NEG_INF

    def labels(self, merge_repeated):
        out, e, prev = [], self, -1
        while e.parent is not None:
            if not merge_repeated or e.label != prev:
                out.append(e.label)
            prev, e = e.label, e.parent
        return out[::-1]


class _Leaves:
    """gtl::TopN of the beam: at most ``width`` entries; an entry's score never changes while
    it is in, except the bottom's, which TF resets right before the push that evicts it."""

    def __init__(self, width):
        self.width, self.heap, self.order = width, [], itertools.count()

    def push(self, entry):
        """Adds an entry; a full beam drops its bottom (which TF zeroed just before)."""
        item = (entry.nt, next(self.order), entry)
        (heapq.heapreplace if self.full() else heapq.heappush)(self.heap, item)

    def bottom(self):
        return self.heap[0][2]

    def full(self):
        return len(self.heap) == self.width

    def admits(self, total):
        """TF's is_candidate: a nonzero probability that beats the bottom of a full beam."""
        return total > _NEG_INF and (not self.full() or total > self.bottom().nt)

    def extract(self):
        """All entries, best first; the leaves are left empty."""
        out = [e for _, _, e in sorted(self.heap, key=lambda it: (-it[0], it[1]))]
        self.heap = []
        return out


def _beam_step(leaves, lp, blank):
    """One CTCBeamSearchDecoder::Step over the log-softmax ``lp`` (a numpy row) of a frame."""
    branches = leaves.extract()
    for b in branches:
        b.ob, b.ol, b.ot = b.nb, b.nl, b.nt
    for b in branches:
        if b.parent is not None:
            if b.parent.nt != _NEG_INF:  # the parent is still in the beam
                prev = b.parent.ob if b.label == b.parent.label else b.parent.ot
                b.nl = _log_sum_exp(b.nl, prev)
            b.nl += float(lp[b.label])
        b.nb = b.ot + float(lp[blank])
        b.nt = _log_sum_exp(b.nb, b.nl)
        leaves.push(b)
    for b in branches:
        if not leaves.admits(b.ot):
            continue
        totals = lp[:blank] + b.ot  # each child's score, in label order as TF grows them
        if b.label >= 0:
            totals[b.label] = lp[b.label] + b.ob  # a repeat needs a blank in between
        # TF visits every label; a child it would make and drop at once (not admitted) is
        # made here only if it exists already, since dropping resets its probabilities one
        # step back, which its own turn as a branch then reads. The bottom only rises, so the
        # other labels under the floor would be dropped too.
        floor = leaves.bottom().nt if leaves.full() else _NEG_INF
        for label in sorted(set(np.flatnonzero(totals > floor).tolist()).union(b.children)):
            c = b.children.get(label)
            if c is not None and c.nt != _NEG_INF:  # already in the beam
                continue
            total = float(totals[label])
            if not leaves.admits(total):
                if c is not None:
                    c.ob = c.ol = c.ot = c.nb = c.nl = c.nt = _NEG_INF
                continue
            if c is None:
                c = b.children[label] = _Entry(b, label)
            c.nb, c.nl, c.nt = _NEG_INF, total, total
            if leaves.full():  # TF zeroes the bottom, which the push then evicts
                bottom = leaves.bottom()
                bottom.nb = bottom.nl = bottom.nt = _NEG_INF
            leaves.push(c)


def beam_search(logits, beam_width, top_paths, merge_repeated):
    """(paths, log probabilities) of the best ``top_paths`` beams (fewer when the beam holds
    fewer) after TF's beam search over ``logits`` [T, C] (blank = C - 1)."""
    x = logits.astype(np.float64)
    lp = (x - x.max(axis=1, keepdims=True))
    lp = lp - np.log(np.exp(lp).sum(axis=1, keepdims=True))
    root = _Entry(None, -1)
    root.nt = root.nb = 0.0
    leaves = _Leaves(beam_width)
    leaves.push(root)
    for frame in lp:
        _beam_step(leaves, frame, len(frame) - 1)
    best = leaves.extract()[:top_paths]
    return [e.labels(merge_repeated) for e in best], [e.nt for e in best]


# -- decoders --------------------------------------------------------------------------------------
def _check_decoder_inputs(inputs, sequence_length):
    """CTCDecodeHelper::ValidateInputsGenerateOutputs; returns the lengths as ints."""
    if inputs.ndim != 3:
        raise _bad("inputs is not a 3-Tensor")
    if inputs.size == 0:
        raise _bad("inputs must not be empty")
    if sequence_length.ndim != 1:
        raise _bad("sequence_length is not a vector")
    max_time, batch = inputs.shape[:2]
    if sequence_length.shape[0] != batch:
        raise FailedPreconditionError(None, None, "len(sequence_length) != batch_size.  "
                                      f"len(sequence_length):  {sequence_length.shape[0]} "
                                      f"batch_size: {batch}")
    for b, s in enumerate(sequence_length.tolist()):
        if not s <= max_time:
            raise FailedPreconditionError(None, None, f"sequence_length({b}) <= {max_time}")
    return np.maximum(sequence_length, 0).tolist()  # TF decodes nothing for a negative length


def _sparse_paths(paths):
    """One decoded SparseTensor's (indices, values, dense_shape) from a path per element."""
    indices = [[b, t] for b, p in enumerate(paths) for t in range(len(p))]
    values = [v for p in paths for v in p]
    width = max((len(p) for p in paths), default=0)
    return (np.array(indices, np.int64).reshape(-1, 2), np.array(values, np.int64),
            np.array([len(paths), width], np.int64))


def _greedy_kernel(inputs, sequence_length, *, merge_repeated, blank_index):
    seq = _check_decoder_inputs(inputs, sequence_length)
    num_classes = inputs.shape[2]
    blank = blank_index + num_classes if blank_index < 0 else blank_index
    if not 0 <= blank < num_classes:
        raise _bad(f"blank_index expected to be between {-num_classes} and {num_classes - 1} "
                   f"but was {blank_index}")
    paths, log_prob = [], np.zeros((len(seq), 1), inputs.dtype)
    for b, n in enumerate(seq):
        best = inputs[:n, b].argmax(axis=1)  # the first maximum, as TF's RowMax
        log_prob[b, 0] = -inputs[np.arange(n), b, best].sum()
        keep = best != blank
        if merge_repeated and n:
            keep &= np.r_[True, best[1:] != best[:-1]]
        paths.append(best[keep].tolist())
    return [*_sparse_paths(paths), log_prob]


def _decoder_specs(inputs, sequence_length, paths):
    _check_dtype(inputs, ("float32", "float64"), "inputs")
    x = _dims(inputs, 3, "inputs")
    batch = _merge_dims(x[1], _dims(sequence_length, 1, "sequence_length")[0],
                        "inputs batch vs sequence_length")
    return ([TensorSpec([None, 2], _dt.int64)] * paths + [TensorSpec([None], _dt.int64)] * paths
            + [TensorSpec([2], _dt.int64)] * paths + [TensorSpec([batch, paths], inputs.dtype)])


CTC_GREEDY_DECODER = register(OpDef(
    "CTCGreedyDecoder", inputs=["inputs:T", "sequence_length:int32"],
    attrs={"merge_repeated": False, "blank_index": -1},
    kernel=_greedy_kernel, infer=lambda x, s, **_: _decoder_specs(x, s, 1),
    grad=NOT_DIFFERENTIABLE,
))


def _beam_kernel(inputs, sequence_length, *, beam_width, top_paths, merge_repeated):
    seq = _check_decoder_inputs(inputs, sequence_length)
    if top_paths > beam_width:
        raise _bad("requested more paths than the beam width.")
    decoded = [[] for _ in range(top_paths)]
    log_prob = np.zeros((len(seq), top_paths), inputs.dtype)
    for b, n in enumerate(seq):
        paths, scores = beam_search(inputs[:n, b], beam_width, top_paths, merge_repeated)
        if len(paths) < top_paths:
            raise _bad("Less leaves in the beam search than requested.")
        for p in range(top_paths):
            decoded[p].append(paths[p])
            log_prob[b, p] = scores[p]
    parts = [_sparse_paths(d) for d in decoded]
    return [p[0] for p in parts] + [p[1] for p in parts] + [p[2] for p in parts] + [log_prob]


def _beam_infer(inputs, sequence_length, *, beam_width, top_paths, merge_repeated):
    for value, what in ((beam_width, "beam_width"), (top_paths, "top_paths")):
        if value < 1:
            raise shape_error(f"Value for attr '{what}' of {value} must be at least minimum 1")
    return _decoder_specs(inputs, sequence_length, top_paths)


CTC_BEAM_SEARCH_DECODER = register(OpDef(
    "CTCBeamSearchDecoder", inputs=["inputs:T", "sequence_length:int32"],
    attrs={"beam_width": req("int"), "top_paths": req("int"), "merge_repeated": True},
    kernel=_beam_kernel, infer=_beam_infer, grad=NOT_DIFFERENTIABLE,
))


# == Public wrappers (TF1's tf.nn signatures) ======================================================
def ctc_loss(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False,
             ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False, time_major=True,
             logits=None):
    """CTC negative log likelihood ``[batch]`` of sparse int32 ``labels`` (blank: the last class)
    under logits ``[max_time, batch, classes]`` (``[batch, max_time, classes]`` if not
    ``time_major``); float16 logits are scored in float32, as TF does."""
    if not isinstance(labels, SparseTensor):
        raise TypeError("Expected argument `labels` to be a SparseTensor. Received "
                        f"labels={labels} of type: {type(labels).__name__}")
    if logits is not None and inputs is not None:
        raise ValueError("Cannot specify both 'logits' and 'inputs'")
    inputs = convert_to_tensor(logits if logits is not None else inputs, name="logits")
    if not time_major:
        from .transform_ops import transpose
        inputs = transpose(inputs, [1, 0, 2])  # (B,T,N) => (T,B,N)
    half = inputs.dtype == _dt.float16
    loss, _ = CTC_LOSS(cast(inputs, _dt.float32) if half else inputs, labels.indices,
                       labels.values, sequence_length,
                       preprocess_collapse_repeated=preprocess_collapse_repeated,
                       ctc_merge_repeated=ctc_merge_repeated,
                       ignore_longer_outputs_than_inputs=ignore_longer_outputs_than_inputs)
    return cast(loss, inputs.dtype) if half else loss


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """Best-path decoding: ``([SparseTensor [batch, max_decoded]], neg_sum_logits [batch, 1])``;
    ``blank_index`` defaults to the last class, negative values count from the end."""
    ix, vals, shape, log_prob = CTC_GREEDY_DECODER(
        inputs, sequence_length, merge_repeated=merge_repeated,
        blank_index=-1 if blank_index is None else blank_index)
    return [SparseTensor(ix, vals, shape)], log_prob


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1,
                            merge_repeated=True):
    """TF's beam search: ``(top_paths SparseTensors, log_probability [batch, top_paths])``."""
    out = CTC_BEAM_SEARCH_DECODER(inputs, sequence_length, beam_width=beam_width,
                                  top_paths=top_paths, merge_repeated=merge_repeated)
    ixs, vals, shapes = (out[k * top_paths:(k + 1) * top_paths] for k in range(3))
    return [SparseTensor(i, v, s) for i, v, s in zip(ixs, vals, shapes)], out[-1]


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1):
    """TF2's ``tf.nn.ctc_beam_search_decoder`` (TF1's ``_v2``): merge_repeated is off."""
    return ctc_beam_search_decoder(inputs, sequence_length, beam_width=beam_width,
                                   top_paths=top_paths, merge_repeated=False)


# The Python compositions (ctc_loss_v2, collapse_repeated, ctc_unique_labels) live in core/ctc.py.
from ..ctc import *  # noqa: E402,F401,F403
from ..ctc import __all__ as _composed  # noqa: E402

__all__ += _composed
