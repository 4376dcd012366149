"""``tf.random``: TF 1.13+'s names for the random ops (``tf.random.normal`` is
``tf.random_normal``), bound to the same functions, the candidate samplers TF1 also lists
here, and the rest of TF 2.21's ``tf.compat.v1.random``: the stateless samplers (categorical,
gamma, Poisson, binomial, parameterized truncated normal), the seed helpers and ``Algorithm``.

The stateful generator (``Generator``, ``get_global_generator``, ``set_global_generator``)
is core/random_generator.py's, on a variable state and the RngReadAndSkip / Stateful* ops.

``tf.random.experimental`` holds TF's aliases: the seed helpers (``stateless_split``,
``stateless_fold_in``, ``create_rng_state``, ``Algorithm``), the generator names, and
``index_shuffle`` / ``stateless_shuffle`` (core/ops/stateful_random_shuffle_ops.py)."""

import sys
import types

from .nn_impl import log_uniform_candidate_sampler
from .ops.candidate_ops import (all_candidate_sampler, fixed_unigram_candidate_sampler,
                                learned_unigram_candidate_sampler, uniform_candidate_sampler)
from .ops.random_gamma_ops import random_gamma as gamma
from .ops.random_gamma_ops import random_poisson as poisson
from .ops.random_ops import random_normal as normal
from .ops.random_ops import random_uniform as uniform
from .ops.random_ops import random_shuffle as shuffle
from .ops.random_ops import categorical, multinomial, set_random_seed, truncated_normal
from .ops.stateless_random_extra_ops import stateless_categorical, stateless_multinomial
from .ops.stateless_random_extra_ops import stateless_random_binomial as stateless_binomial
from .ops.stateless_random_extra_ops import stateless_random_poisson as stateless_poisson
from .ops.stateless_random_gamma_ops import stateless_random_gamma as stateless_gamma
from .ops.stateless_random_ops import stateless_random_normal as stateless_normal
from .ops.stateless_random_ptn_ops import stateless_parameterized_truncated_normal
from .ops.stateless_random_ops import stateless_random_uniform as stateless_uniform
from .ops.stateless_random_ops import stateless_truncated_normal
from .ops.stateful_random_shuffle_ops import index_shuffle, stateless_shuffle
from .ops.stateless_random_seed import Algorithm, create_rng_state, fold_in, get_seed, split
from .random_generator import Generator, get_global_generator, set_global_generator

__all__ = ["Algorithm", "Generator", "all_candidate_sampler", "categorical", "create_rng_state",
           "fixed_unigram_candidate_sampler", "fold_in", "gamma", "get_global_generator",
           "get_seed", "learned_unigram_candidate_sampler", "log_uniform_candidate_sampler",
           "multinomial", "normal", "poisson", "set_global_generator", "set_random_seed",
           "shuffle", "split", "stateless_binomial", "stateless_categorical", "stateless_gamma",
           "stateless_multinomial", "stateless_normal", "stateless_parameterized_truncated_normal",
           "stateless_poisson", "stateless_truncated_normal", "stateless_uniform",
           "truncated_normal", "uniform", "uniform_candidate_sampler"]

experimental = types.ModuleType(__name__ + ".experimental",
                                "TF's tf.random.experimental: aliases of the seed helpers and "
                                "the generator; index_shuffle and stateless_shuffle.")
experimental.Algorithm = Algorithm
experimental.create_rng_state = create_rng_state
experimental.stateless_fold_in = fold_in
experimental.stateless_split = split
experimental.Generator = Generator
experimental.get_global_generator = get_global_generator
experimental.set_global_generator = set_global_generator
experimental.index_shuffle = index_shuffle
experimental.stateless_shuffle = stateless_shuffle
experimental.__all__ = ["Algorithm", "Generator", "create_rng_state", "get_global_generator",
                        "index_shuffle", "set_global_generator", "stateless_fold_in",
                        "stateless_shuffle", "stateless_split"]
sys.modules[experimental.__name__] = experimental
__all__.append("experimental")
