"""LogUniformCandidateSampler: TF1's Zipfian sampler of negative classes, for the sampled losses
(``tf.nn.nce_loss``, ``tf.nn.sampled_softmax_loss``). Class k is drawn with probability
``(log(k + 2) - log(k + 1)) / log(range_max + 1)``, as in TF; the draws are reproducible from
the seeds but are not TensorFlow's random numbers."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error

__all__: list[str] = []


def _probability(k, range_max):
    k = np.asarray(k, dtype=np.float64)
    return (np.log(k + 2.0) - np.log(k + 1.0)) / np.log(range_max + 1.0)


def _expected_count(p, num_sampled, num_tries):
    """TF's ExpectedCountHelper: how many times a class of probability p is expected among
    the draws (with unique sampling, over the num_tries draws it took)."""
    if num_tries == num_sampled:
        return p * num_sampled
    return -np.expm1(num_tries * np.log1p(-p))


def _sampler_kernel(rng, true_classes, *, num_true, num_sampled, unique, range_max, seed,
                    seed2):
    true_classes = np.asarray(true_classes)
    if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
        raise InvalidArgumentError(None, None, f"true_classes must be a matrix of shape [batch, "
                                   f"num_true={num_true}], got {list(true_classes.shape)}")
    if unique and num_sampled > range_max:
        raise InvalidArgumentError(None, None, f"Sampler's range is too small: num_sampled "
                                   f"{num_sampled} > range_max {range_max} with unique")
    log_range = np.log(range_max + 1.0)

    def draw(n):  # inverse of the log-uniform CDF, as TF's LogUniformSampler
        return (np.exp(rng.random(n) * log_range).astype(np.int64) - 1) % range_max

    if unique:
        picked, seen, tries = [], set(), 0
        while len(picked) < num_sampled:
            for k in draw(num_sampled).tolist():
                tries += 1
                if k not in seen:
                    seen.add(k)
                    picked.append(k)
                    if len(picked) == num_sampled:
                        break
        sampled = np.array(picked, dtype=np.int64)
    else:
        sampled, tries = draw(num_sampled), num_sampled
    true_expected = _expected_count(_probability(true_classes, range_max), num_sampled, tries)
    sampled_expected = _expected_count(_probability(sampled, range_max), num_sampled, tries)
    return [sampled, true_expected.astype(np.float32), sampled_expected.astype(np.float32)]


def _sampler_infer(true_classes, *, num_true, num_sampled, unique, range_max, seed, seed2):
    if true_classes.shape.rank not in (None, 2):
        raise shape_error(f"true_classes must be a matrix, got shape {true_classes.shape}")
    if num_sampled < 1 or range_max < 1:
        raise shape_error("num_sampled and range_max must be positive")
    batch = true_classes.shape[0].value if true_classes.shape.rank == 2 else None
    return [TensorSpec([num_sampled], _dt.int64), TensorSpec([batch, num_true], _dt.float32),
            TensorSpec([num_sampled], _dt.float32)]


LOG_UNIFORM_CANDIDATE_SAMPLER = register(OpDef(
    "LogUniformCandidateSampler", inputs=["true_classes:int64"],
    attrs={"num_true": 1, "num_sampled": 1, "unique": True, "range_max": 1, "seed": 0,
           "seed2": 0},
    kernel=_sampler_kernel, infer=_sampler_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True, resource="rng",
    doc="(sampled_candidates, true_expected_count, sampled_expected_count) from a log-uniform "
        "(Zipfian) distribution over [0, range_max)",
))
