"""SkipGramGenerateCandidates (TF 1.x's contrib/text kernel): the (token, label) pairs of
skip-gram training from a rank-1 tensor of tokens. Its public wrapper is
``tf.contrib.text.skip_gram_sample`` (core/contrib/text.py).

TensorFlow 2 dropped the op, so the kernel follows TF 1.15's C++ one: the tokens used are
``input[start:end]`` (``end`` is the input's length when ``limit`` < 0, else
``min(start + limit, length)``); each token i draws one window size ``skips`` uniformly from
[min_skips, max_skips] and pairs itself with every token j of that window, |j - i| <= skips,
that lies in [start, end) (itself only when ``emit_self_as_target``), tokens in order and
labels from left to right. The window sizes are numpy draws from the op's seeded generator,
not TF's Philox numbers; with min_skips == max_skips the output is fully determined.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error

__all__ = ["SKIP_GRAM_GENERATE_CANDIDATES", "skip_gram_generate_candidates"]

# The dtypes TF 1.15 registers a kernel for (its OpDef takes any type).
_KERNEL_TYPES = ("string", "int64", "int32", "int16")


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _skip_gram_kernel(rng, input_tensor, min_skips, max_skips, start, limit,
                      emit_self_as_target, *, seed, seed2):
    tokens = np.asarray(input_tensor)
    scalars = {"min_skips": min_skips, "max_skips": max_skips, "start": start, "limit": limit,
               "emit_self_as_target": emit_self_as_target}
    for name, value in scalars.items():
        if np.ndim(value) != 0:
            raise _invalid(f"{name} must be a scalar, got shape {list(np.shape(value))}")
    min_skips, max_skips, start, limit = (int(v) for v in (min_skips, max_skips, start, limit))
    if min_skips < 0 or max_skips < 0:
        raise _invalid("Both min_skips and max_skips must be >= 0.")
    if min_skips > max_skips:
        raise _invalid("min_skips must be <= max_skips.")
    size = tokens.reshape(-1).shape[0]
    if start < 0:  # TF reads before the input here (undefined behaviour); refused instead
        raise _invalid(f"start must be >= 0, got {start}")
    end = size if limit < 0 else min(start + limit, size)
    emit_self = bool(emit_self_as_target)
    flat = tokens.reshape(-1)
    token_at, label_at = [], []
    for i in range(start, end):
        skips = int(rng.integers(min_skips, max_skips + 1))
        for j in range(max(start, i - skips), min(end, i + skips + 1)):
            if j == i and not emit_self:
                continue
            token_at.append(i)
            label_at.append(j)
    token_at = np.asarray(token_at, np.int64)
    label_at = np.asarray(label_at, np.int64)
    return flat[token_at], flat[label_at]


def _skip_gram_infer(input_tensor, min_skips, max_skips, start, limit, emit_self_as_target, *,
                     seed, seed2):
    if input_tensor.dtype.name not in _KERNEL_TYPES:
        raise TypeError(f"SkipGramGenerateCandidates has no kernel for {input_tensor.dtype.name} "
                        f"tokens: TF's are {', '.join(_KERNEL_TYPES)}")
    if input_tensor.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {input_tensor.shape.rank} for "
                          "'input_tensor'")
    for name, spec in (("min_skips", min_skips), ("max_skips", max_skips), ("start", start),
                       ("limit", limit), ("emit_self_as_target", emit_self_as_target)):
        if spec.shape.rank not in (None, 0):
            raise shape_error(f"Shape must be rank 0 but is rank {spec.shape.rank} for "
                              f"'{name}'")
    # How many pairs depends on the drawn window sizes: only the rank is known.
    return [TensorSpec([None], input_tensor.dtype), TensorSpec([None], input_tensor.dtype)]


SKIP_GRAM_GENERATE_CANDIDATES = register(OpDef(
    "SkipGramGenerateCandidates",
    inputs=["input_tensor:T", "min_skips:int32", "max_skips:int32", "start:int32",
            "limit:int32", "emit_self_as_target:bool"],
    attrs={"seed": 0, "seed2": 0},
    kernel=_skip_gram_kernel, infer=_skip_gram_infer,
    grad=NOT_DIFFERENTIABLE,  # TF: ops.NotDifferentiable("SkipGramGenerateCandidates")
    stateful=True, resource="rng",
    doc="(tokens, labels): the skip-gram pairs of a rank-1 tensor of tokens",
))


def skip_gram_generate_candidates(input_tensor, min_skips, max_skips, start, limit,
                                  emit_self_as_target, seed=0, seed2=0, name=None):
    """The SkipGramGenerateCandidates op: ``[tokens, labels]``."""
    return SKIP_GRAM_GENERATE_CANDIDATES(input_tensor, min_skips, max_skips, start, limit,
                                         emit_self_as_target, seed=seed, seed2=seed2, name=name)
