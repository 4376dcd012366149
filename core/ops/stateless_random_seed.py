"""TF1's seed helpers of ``tf.random``: ``get_seed`` (graph seed + op seed -> the two seeds an
op's attrs get), ``fold_in`` and ``split`` (new stateless seeds from a seed, built from
``StatelessRandomUniformFullIntV2`` as TF builds them, so the values are TF's to the bit),
``create_rng_state`` and the ``Algorithm`` enum.

``get_seed`` follows TF 2.21's ``random_seed.get_seed``: with a graph seed and no op seed, the op
seed is a per-graph counter of such calls (0, 1, 2, ...), not the number of ops in the graph.
"""

from __future__ import annotations

import enum
import weakref

import numpy as np

from .. import dtypes as _dt
from ..graph import convert_to_tensor, get_default_graph

__all__ = ["Algorithm", "create_rng_state", "fold_in", "get_seed", "split"]

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1
# Graph -> how many op seeds get_seed has handed out in it (TF's _graph_to_seed_dict).
_OP_SEED_COUNTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_seed(op_seed):
    """``tf.random.get_seed`` (TF1): the (graph-level, op-level) seeds an op should use.

    - graph seed set: (graph seed, op seed); without an op seed, the graph's counter of such
      calls stands in (and advances), so successive ops get different streams;
    - only an op seed: (DEFAULT_GRAPH_SEED, op seed);
    - neither: (None, None), nondeterministic.
    Both are reduced modulo 2**31 - 1; (0, 0), which the kernels read as "nondeterministic",
    becomes (0, 2**31 - 1)."""
    graph = get_default_graph()
    if graph.seed is not None:
        if op_seed is None:
            op_seed = _OP_SEED_COUNTERS.get(graph, 0)
            _OP_SEED_COUNTERS[graph] = op_seed + 1
        seeds = graph.seed % _MAXINT32, op_seed % _MAXINT32
    elif op_seed is not None:
        seeds = DEFAULT_GRAPH_SEED, op_seed % _MAXINT32
    else:
        seeds = None, None
    if seeds == (0, 0):
        return 0, _MAXINT32
    return seeds


class Algorithm(enum.Enum):
    """A random-number-generation algorithm (TF's ids: framework/rng_alg.h). minitf's kernels
    run PHILOX (which AUTO_SELECT means on a CPU); THREEFRY is refused when a kernel runs."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


def _unsupported_alg(alg) -> str:
    if isinstance(alg, int):
        names = (Algorithm.PHILOX.value, Algorithm.THREEFRY.value, Algorithm.AUTO_SELECT.value)
    elif isinstance(alg, str):
        names = ("philox", "threefry", "auto_select")
    else:
        names = (Algorithm.PHILOX, Algorithm.THREEFRY, Algorithm.AUTO_SELECT)
    return (f"Argument `alg` got unsupported value {alg}. Supported values are {names[0]} for "
            f"the Philox algorithm, {names[1]} for the ThreeFry algorithm, and {names[2]} for "
            "auto-selection.")


def convert_alg_to_int(alg):
    """TF's convert_alg_to_int: an int, an Algorithm, a Tensor (kept) or a name."""
    if isinstance(alg, (int, np.integer)) and not isinstance(alg, bool):
        return int(alg)
    if isinstance(alg, Algorithm):
        return alg.value
    if hasattr(alg, "op"):
        return alg
    if isinstance(alg, str):
        canon = alg.strip().lower().replace("-", "").replace("_", "")
        ids = {"philox": 1, "threefry": 2, "autoselect": 3}
        if canon in ids:
            return ids[canon]
        raise ValueError(_unsupported_alg(alg))
    raise TypeError(f"Can't convert argument `alg` (of value {alg} and type {type(alg)}) "
                    "to int.")


_STATE_SIZES = {1: 3, 2: 2, 3: 3}  # Philox: counter 2 + key 1; ThreeFry: 1 + 1; auto: Philox's
_SEED_MAX = 2**63 - 1


def create_rng_state(seed, alg):
    """``tf.random.create_rng_state``: an int64 state vector for ``alg`` from an integer (split
    into 64-bit words, lowest first) or a vector (cut to the state size and zero-padded on the
    left, so a short seed fills the key rather than the counter)."""
    alg = convert_alg_to_int(alg)
    if alg not in _STATE_SIZES:
        raise ValueError(_unsupported_alg(alg))
    size = _STATE_SIZES[alg]
    if hasattr(seed, "op"):
        return _state_from_tensor(seed, size)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        seed, words = int(seed), []
        for _ in range(size):
            words.append(seed & (2**64 - 1))
            seed >>= 64
        seed = words
    words = [int(w) - 2**64 if int(w) > _SEED_MAX else int(w)
             for w in np.asarray(seed, dtype=object).reshape(-1)]
    words = np.array(words, dtype=np.int64)[:size]
    state = np.concatenate([np.zeros(size - words.size, np.int64), words])
    from .constant_ops import constant

    return constant(state, dtype=_dt.int64)


def _state_from_tensor(seed, size):
    from .concat_split_ops import concat
    from .fill_ops import zeros
    from .math_ops import cast, maximum
    from .shape_ops import reshape, shape

    seed = reshape(cast(seed, _dt.int64), [-1])[0:size]
    n = seed.shape[0].value if seed.shape.rank == 1 and seed.shape[0].value is not None \
        else shape(seed)[0]
    state = concat([zeros(reshape(maximum(size - n, 0), [1]), _dt.int64), seed], axis=0)
    state.set_shape([size])
    return state


def _alg_for_ops(alg):
    return convert_alg_to_int(alg) if isinstance(alg, Algorithm) else alg


def split(seed, num=2, alg="auto_select"):
    """``tf.random.split``: ``num`` new seeds of shape [num, 2] (seed's dtype), the full-range
    stateless integers of shape [num, 2] drawn from ``seed``."""
    from .stateless_random_ops import stateless_random_uniform

    seed = convert_to_tensor(seed)
    return stateless_random_uniform([num, 2], seed, dtype=seed.dtype, minval=None, maxval=None,
                                    alg=_alg_for_ops(alg))


def fold_in(seed, data, alg="auto_select"):
    """``tf.random.fold_in``: the seed [one full-range stateless integer from ``seed``, data],
    in data's dtype."""
    from .concat_split_ops import stack
    from .stateless_random_ops import stateless_random_uniform

    data = convert_to_tensor(data)
    seed1 = stateless_random_uniform([], seed, dtype=data.dtype, minval=None, maxval=None,
                                     alg=_alg_for_ops(alg))
    return stack([seed1, data])

