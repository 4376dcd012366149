"""``tf.random``: TF 1.13+'s names for the random ops (``tf.random.normal`` is
``tf.random_normal``), bound to the same functions, and the candidate samplers TF1 also lists
here."""

from .nn_impl import log_uniform_candidate_sampler
from .ops.candidate_ops import (all_candidate_sampler, fixed_unigram_candidate_sampler,
                                learned_unigram_candidate_sampler, uniform_candidate_sampler)
from .ops.random_gamma_ops import random_gamma as gamma
from .ops.random_gamma_ops import random_poisson as poisson
from .ops.random_ops import random_normal as normal
from .ops.random_ops import random_uniform as uniform
from .ops.random_ops import random_shuffle as shuffle
from .ops.random_ops import categorical, multinomial, set_random_seed, truncated_normal
from .ops.stateless_random_ops import stateless_random_normal as stateless_normal
from .ops.stateless_random_ops import stateless_random_uniform as stateless_uniform
from .ops.stateless_random_ops import stateless_truncated_normal

__all__ = ["all_candidate_sampler", "categorical", "fixed_unigram_candidate_sampler", "gamma",
           "learned_unigram_candidate_sampler", "log_uniform_candidate_sampler", "multinomial",
           "normal", "poisson", "set_random_seed", "shuffle", "stateless_normal",
           "stateless_truncated_normal", "stateless_uniform", "truncated_normal", "uniform",
           "uniform_candidate_sampler"]
