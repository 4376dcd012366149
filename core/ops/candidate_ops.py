"""TF1's candidate samplers (negative classes for the sampled losses) and ComputeAccidentalHits.

Every sampler draws ``num_sampled`` classes from its distribution over [0, range) and gives the
expected count of each true and sampled class, as TF's ``Sampler``: ``p * num_sampled``, or
with ``unique`` draws ``1 - (1 - p) ** num_tries`` over the draws it took. The distributions
are TF's: uniform; log-uniform ``(log(k + 2) - log(k + 1)) / log(range + 1)``; learned unigram
(weights start at 1 and each run adds 1 per true class, after sampling); fixed unigram
(``unigrams`` or a CSV ``vocab_file``'s last column, raised to ``distortion``, after
``num_reserved_ids`` zero weights, keeping this ``shard``'s entries); and "all" (every class
once). The draws are reproducible from the seeds but are not TensorFlow's random numbers;
the expected counts are TF's. (RandomGamma and RandomPoissonV2: random_gamma_ops.py.)"""

from __future__ import annotations

import threading

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, NotFoundError
from ..graph import convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, kinded, register, req, shape_error
from . import (math_ops)
from .random_ops import _seed_attrs

__all__ = ["all_candidate_sampler", "compute_accidental_hits", "fixed_unigram_candidate_sampler",
           "learned_unigram_candidate_sampler", "uniform_candidate_sampler"]


def _expected_count(p, num_sampled, num_tries):
    """TF's ExpectedCountHelper: how many times a class of probability p is expected among
    the draws (with unique sampling, over the num_tries draws it took)."""
    if num_tries == num_sampled:
        return p * num_sampled
    return -np.expm1(num_tries * np.log1p(-p))


def _check_true_classes(true_classes, num_true, num_sampled, unique, range_):
    if true_classes.ndim != 2:
        raise InvalidArgumentError(None, None, "true_classes must be a matrix")
    if true_classes.shape[1] != num_true:  # TF's words, expected and was swapped
        raise InvalidArgumentError(None, None, f"true_classes must have num_true columns, "
                                   f"expected: {true_classes.shape[1]} was: {num_true}")
    if unique and num_sampled > range_:
        raise InvalidArgumentError(None, None, f"Sampler's range is too small: num_sampled "
                                   f"{num_sampled} > range {range_} with unique")
    bad = true_classes[(true_classes < 0) | (true_classes >= range_)]
    if bad.size:
        raise InvalidArgumentError(None, None, f"`true_candidate` out of range [0, {range_}), "
                                   f"received {bad[0]}")


def _sample(rng, true_classes, num_true, num_sampled, unique, range_, prob, draw):
    """The three outputs of a sampler given its ``prob(classes)`` and ``draw(rng, n)``."""
    true_classes = np.asarray(true_classes)
    _check_true_classes(true_classes, num_true, num_sampled, unique, range_)
    if unique:  # redraw classes already picked, counting every draw as TF does
        picked, seen, tries = [], set(), 0
        while len(picked) < num_sampled:
            for k in draw(rng, num_sampled).tolist():
                tries += 1
                if k not in seen:
                    seen.add(k)
                    picked.append(k)
                    if len(picked) == num_sampled:
                        break
        sampled = np.array(picked, dtype=np.int64)
    else:
        sampled, tries = draw(rng, num_sampled).astype(np.int64), num_sampled
    true_expected = _expected_count(prob(true_classes), num_sampled, tries)
    sampled_expected = _expected_count(prob(sampled), num_sampled, tries)
    return [sampled, true_expected.astype(np.float32), sampled_expected.astype(np.float32)]


def _weighted(weights):
    """(prob, draw) of a distribution proportional to ``weights``."""
    total = weights.sum()
    return (lambda k: weights[k] / total,
            lambda rng, n: rng.choice(len(weights), size=n, p=weights / total))


# -- kernels -------------------------------------------------------------------------------------


def _log_uniform_kernel(rng, true_classes, *, num_true, num_sampled, unique, range_max, seed,
                        seed2):
    log_range = np.log(range_max + 1.0)

    def prob(k):
        k = np.asarray(k, dtype=np.float64)
        return (np.log(k + 2.0) - np.log(k + 1.0)) / log_range

    def draw(rng, n):  # inverse of the log-uniform CDF, as TF's LogUniformSampler
        return (np.exp(rng.random(n) * log_range).astype(np.int64) - 1) % range_max

    return _sample(rng, true_classes, num_true, num_sampled, unique, range_max, prob, draw)


def _uniform_kernel(rng, true_classes, *, num_true, num_sampled, unique, range_max, seed,
                    seed2):
    return _sample(rng, true_classes, num_true, num_sampled, unique, range_max,
                   lambda k: np.full(np.shape(k), 1.0 / range_max),
                   lambda rng, n: rng.integers(0, range_max, size=n))


def _learned_unigram_kernel(state, true_classes, *, num_true, num_sampled, unique, range_max,
                            seed, seed2):
    """Samples from the counts so far, then counts this run's true classes (TF's order).
    Runs of the op in other threads of the session take turns on its state (TF's sampler
    locks its counts too): a count added while another run normalizes them would not sum
    to 1."""
    lock = state.get("lock")
    if lock is None:
        lock = state.setdefault("lock", threading.Lock())  # atomic: one lock wins
    with lock:
        if "weights" not in state:  # the op's own generator, seeded as the executor seeds
            entropy = None if seed == 0 and seed2 == 0 else [seed & 0xFFFFFFFF, seed2]
            state["rng"] = np.random.default_rng(entropy)  # "rng" ops
            state["weights"] = np.ones(range_max, np.float64)
        weights = state["weights"]
        prob, draw = _weighted(weights)
        out = _sample(state["rng"], true_classes, num_true, num_sampled, unique, range_max,
                      prob, draw)
        np.add.at(weights, np.asarray(true_classes).reshape(-1), 1.0)
    return out


def _vocab_weights(vocab_file, first_id, keep):
    """The last comma-separated column of each line of ``vocab_file`` this shard keeps."""
    try:
        with open(vocab_file, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise NotFoundError(None, None, f"{vocab_file}: {e.strerror}") from e
    out = []
    for word_id, line in enumerate(lines, first_id):
        if keep(word_id):
            try:
                out.append(float(line.split(",")[-1]))
            except ValueError:
                raise InvalidArgumentError(None, None, f"Wrong vocabulary format at line: "
                                           f"{line}") from None
    return out


def _fixed_weights(range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard,
                   unigrams):
    """TF's FixedUnigramSampler weights: this shard's reserved ids (weight 0), then its
    entries, numbered from the count of weights so far (TF's numbering, kept as is)."""
    if not vocab_file and not unigrams:
        raise InvalidArgumentError(None, None, "Must provide either vocab_file or unigrams.")
    if vocab_file and unigrams:
        raise InvalidArgumentError(None, None, "Must only provide one of vocab_file and "
                                   "unigrams.")

    def keep(word_id):
        return word_id % num_shards == shard

    reserved = [0.0 for word_id in range(num_reserved_ids) if keep(word_id)]
    first = len(reserved)
    if vocab_file:
        entries = _vocab_weights(vocab_file, first, keep)
    else:
        entries = [w for word_id, w in enumerate(unigrams, first) if keep(word_id)]
    weights = np.array(reserved + [float(np.power(np.float32(w), np.float32(distortion)))
                                   for w in entries], np.float64)
    if len(weights) != range_max:
        raise InvalidArgumentError(None, None, f"range is {range_max} must be equal to weights "
                                   f"size  {len(weights)}")
    return weights


def _fixed_unigram_kernel(rng, true_classes, *, num_true, num_sampled, unique, range_max,
                          vocab_file, distortion, num_reserved_ids, num_shards, shard, unigrams,
                          seed, seed2):
    weights = _fixed_weights(range_max, vocab_file, distortion, num_reserved_ids, num_shards,
                             shard, unigrams)
    prob, draw = _weighted(weights)
    return _sample(rng, true_classes, num_true, num_sampled, unique, range_max, prob, draw)


def _all_kernel(rng, true_classes, *, num_true, num_sampled, unique, seed, seed2):
    """Every class of [0, num_sampled) once, each expected exactly once (TF's AllSampler)."""
    true_classes = np.asarray(true_classes)
    _check_true_classes(true_classes, num_true, num_sampled, unique, num_sampled)
    return [np.arange(num_sampled, dtype=np.int64), np.ones(true_classes.shape, np.float32),
            np.ones(num_sampled, np.float32)]


def _accidental_hits_kernel(true_classes, sampled_candidates, *, num_true, seed, seed2):
    """(row, sampled position, -FLT_MAX) for each true class that was also sampled; a class
    sampled twice is matched at its last position, as TF's map keeps the last."""
    true_classes = np.asarray(true_classes)
    if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
        raise InvalidArgumentError(None, None, f"true_classes must be a matrix of shape "
                                   f"[batch, num_true={num_true}], got "
                                   f"{list(true_classes.shape)}")
    position = {int(c): i for i, c in enumerate(np.asarray(sampled_candidates).tolist())}
    hits = [(row, position[int(c)]) for row, c in np.ndenumerate(true_classes)
            if int(c) in position]
    rows = np.array([r[0] for r, _ in hits], np.int32)
    ids = np.array([p for _, p in hits], np.int64)
    return [rows, ids, np.full(len(hits), np.finfo(np.float32).min, np.float32)]


# -- inference -----------------------------------------------------------------------------------


def _sampler_infer(op_type):
    def infer(true_classes, *, num_true, num_sampled, **attrs):
        for name in ("num_true", "num_sampled", "range_max"):
            value = {"num_true": num_true, "num_sampled": num_sampled}.get(name,
                                                                           attrs.get(name, 1))
            if value < 1:
                raise shape_error(f"Attr '{name}' of '{op_type}' Op passed {value} less than "
                                  f"minimum 1.")
        if true_classes.shape.rank not in (None, 2):
            raise shape_error(f"Shape must be rank 2 but is rank {true_classes.shape.rank}")
        batch = true_classes.shape[0].value if true_classes.shape.rank == 2 else None
        return [TensorSpec([num_sampled], _dt.int64), TensorSpec([batch, num_true], _dt.float32),
                TensorSpec([num_sampled], _dt.float32)]
    return infer


def _accidental_hits_infer(true_classes, sampled_candidates, *, num_true, seed, seed2):
    shape = true_classes.shape
    if shape.rank not in (None, 2):
        raise shape_error(f"Shape must be rank 2 but is rank {shape.rank}")
    if shape.rank == 2 and shape[1].value not in (None, num_true):
        raise shape_error(f"Dimension must be {num_true} but is {shape[1].value}")
    if sampled_candidates.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {sampled_candidates.shape.rank}")
    return [TensorSpec([None], _dt.int32), TensorSpec([None], _dt.int64),
            TensorSpec([None], _dt.float32)]


_SAMPLER_ATTRS = {"num_true": req("int"), "num_sampled": req("int"), "unique": req("bool"),
                  "range_max": req("int"), "seed": 0, "seed2": 0}
_OUTPUTS_DOC = "(sampled_candidates, true_expected_count, sampled_expected_count)"


def _sampler(op_type, kernel, attrs, what, resource="rng"):
    return register(OpDef(
        op_type, inputs=["true_classes:int64"], attrs=attrs, kernel=kernel,
        infer=_sampler_infer(op_type), grad=NOT_DIFFERENTIABLE, stateful=True,
        resource=resource, doc=f"{_OUTPUTS_DOC} from {what}"))


LOG_UNIFORM_CANDIDATE_SAMPLER = _sampler(
    "LogUniformCandidateSampler", _log_uniform_kernel, dict(_SAMPLER_ATTRS),
    "a log-uniform (Zipfian) distribution over [0, range_max)")
UNIFORM_CANDIDATE_SAMPLER = _sampler(
    "UniformCandidateSampler", _uniform_kernel, dict(_SAMPLER_ATTRS),
    "a uniform distribution over [0, range_max)")
LEARNED_UNIGRAM_CANDIDATE_SAMPLER = _sampler(
    "LearnedUnigramCandidateSampler", _learned_unigram_kernel, dict(_SAMPLER_ATTRS),
    "the counts of the true classes seen so far", resource="state")
FIXED_UNIGRAM_CANDIDATE_SAMPLER = _sampler(
    "FixedUnigramCandidateSampler", _fixed_unigram_kernel,
    dict(_SAMPLER_ATTRS, vocab_file="", distortion=1.0, num_reserved_ids=0, num_shards=1,
         shard=0, unigrams=kinded([], "list(float)")),
    "given unigram weights (a list or a vocabulary file)")
ALL_CANDIDATE_SAMPLER = _sampler(
    "AllCandidateSampler", _all_kernel,
    {"num_true": req("int"), "num_sampled": req("int"), "unique": req("bool"), "seed": 0,
     "seed2": 0},
    "every class in [0, num_sampled)")
COMPUTE_ACCIDENTAL_HITS = register(OpDef(
    "ComputeAccidentalHits", inputs=["true_classes:int64", "sampled_candidates:int64"],
    attrs={"num_true": req("int"), "seed": 0, "seed2": 0},
    kernel=_accidental_hits_kernel, infer=_accidental_hits_infer, grad=NOT_DIFFERENTIABLE,
    doc="(indices, ids, weights): the sampled positions that are also true classes",
))


# -- tf.nn / tf.random wrappers (TF1 signatures) -------------------------------------------------


def _int64(true_classes):
    return math_ops.cast(convert_to_tensor(true_classes), _dt.int64)


def _call(opdef, true_classes, seed, name, **attrs):
    return tuple(opdef(_int64(true_classes), **attrs, **_seed_attrs(seed), name=name))


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                              seed=None, name=None):
    """``tf.nn.uniform_candidate_sampler``: classes drawn uniformly from [0, range_max)."""
    return _call(UNIFORM_CANDIDATE_SAMPLER, true_classes, seed, name, num_true=num_true,
                 num_sampled=num_sampled, unique=unique, range_max=range_max)


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                      seed=None, name=None):
    """``tf.nn.learned_unigram_candidate_sampler``: classes drawn by how often each has been
    a true class in this op's earlier runs (counts start at 1)."""
    if range_max > 2147483647:
        raise ValueError(f"Value of range_max:{range_max} is too large to handle")
    return _call(LEARNED_UNIGRAM_CANDIDATE_SAMPLER, true_classes, seed, name, num_true=num_true,
                 num_sampled=num_sampled, unique=unique, range_max=range_max)


def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                    vocab_file="", distortion=1.0, num_reserved_ids=0,
                                    num_shards=1, shard=0, unigrams=(), seed=None, name=None):
    """``tf.nn.fixed_unigram_candidate_sampler``: classes drawn in proportion to the given
    unigram weights raised to ``distortion``."""
    return _call(FIXED_UNIGRAM_CANDIDATE_SAMPLER, true_classes, seed, name, num_true=num_true,
                 num_sampled=num_sampled, unique=unique, range_max=range_max,
                 vocab_file=vocab_file, distortion=distortion,
                 num_reserved_ids=num_reserved_ids, num_shards=num_shards, shard=shard,
                 unigrams=[float(u) for u in unigrams])


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """``tf.nn.all_candidate_sampler``: every class in [0, num_sampled), for tests."""
    return _call(ALL_CANDIDATE_SAMPLER, true_classes, seed, name, num_true=num_true,
                 num_sampled=num_sampled, unique=unique)


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """``tf.nn.compute_accidental_hits``: (indices, ids, weights) of the sampled candidates
    that are true classes of a row, for removing them from the sampled logits."""
    return tuple(COMPUTE_ACCIDENTAL_HITS(_int64(true_classes), _int64(sampled_candidates),
                                         num_true=num_true, **_seed_attrs(seed), name=name))
