"""``tf.contrib.distributions`` (TF 1.15): everything ``tf.distributions`` has (the same
classes, so isinstance checks and registered KLs agree) plus contrib's own distributions and
helpers, which TF 1.15's ``tf.distributions`` did not have and minitf's does not either.

The contrib-only parts live in sibling modules: distributions_mvn.py (multivariate normals),
distributions_scalar.py (Logistic, Cauchy, HalfNormal, InverseGamma, Chi2, Kumaraswamy),
distributions_discrete.py (Poisson, Binomial, Geometric, NegativeBinomial, OneHotCategorical,
Deterministic), distributions_relaxed.py (the Concrete relaxations), distributions_mixture.py
(Mixture, MixtureSameFamily, Independent), distributions_softplus.py (the ``*WithSoftplus*``
variants), distributions_math.py (fill_triangular, percentile & co) and
distributions_stats.py (auto_correlation, the moving statistics); distributions_vector.py
(VectorLaplaceDiag, VectorExponentialDiag).

``bijectors`` is the module distributions_bijectors.py, with ``TransformedDistribution``
beside it. Not here: TF 1.15's Autoregressive, BatchReshape, ConditionalDistribution,
QuantizedDistribution, the SinhArcsinh, Wishart and diffeomixture families,
PoissonLogNormalQuadratureCompound and the quadrature schemes.
"""

from ..distributions import (FULLY_REPARAMETERIZED, NOT_REPARAMETERIZED,  # noqa: F401
                             Bernoulli, Beta, Categorical, Dirichlet, DirichletMultinomial,
                             Distribution, Exponential, Gamma, Laplace, Multinomial, Normal,
                             RegisterKL, ReparameterizationType, StudentT, Uniform,
                             kl_divergence)
from .distributions_discrete import (Binomial, Deterministic, Geometric,  # noqa: F401
                                     NegativeBinomial, OneHotCategorical, Poisson,
                                     VectorDeterministic)
from .distributions_math import (SeedStream, fill_triangular,  # noqa: F401
                                 fill_triangular_inverse, matrix_diag_transform,
                                 normal_conjugates_known_scale_posterior,
                                 normal_conjugates_known_scale_predictive, percentile,
                                 reduce_weighted_logsumexp, softplus_inverse, tridiag)
from .distributions_mixture import Independent, Mixture, MixtureSameFamily  # noqa: F401
from .distributions_mvn import (MultivariateNormalDiag,  # noqa: F401
                                MultivariateNormalDiagPlusLowRank,
                                MultivariateNormalDiagWithSoftplusScale,
                                MultivariateNormalFullCovariance,
                                MultivariateNormalLinearOperator, MultivariateNormalTriL)
from .distributions_relaxed import (ExpRelaxedOneHotCategorical,  # noqa: F401
                                    RelaxedBernoulli, RelaxedOneHotCategorical)
from .distributions_scalar import (Cauchy, Chi2, Chi2WithAbsDf, HalfNormal,  # noqa: F401
                                   InverseGamma, InverseGammaWithSoftplusConcentrationRate,
                                   Kumaraswamy, Logistic)
from .distributions_softplus import (BernoulliWithSigmoidProbs,  # noqa: F401
                                     BetaWithSoftplusConcentration,
                                     ExponentialWithSoftplusRate,
                                     GammaWithSoftplusConcentrationRate,
                                     LaplaceWithSoftplusScale, NormalWithSoftplusScale,
                                     StudentTWithAbsDfSoftplusScale)
from .distributions_stats import (assign_log_moving_mean_exp,  # noqa: F401
                                  assign_moving_mean_variance, auto_correlation,
                                  moving_mean_variance)
from .distributions_vector import VectorExponentialDiag, VectorLaplaceDiag  # noqa: F401
from . import distributions_bijectors as bijectors  # noqa: F401
from .distributions_bijectors_transformed import (  # noqa: F401
    ConditionalTransformedDistribution, TransformedDistribution)

__all__ = [
    "Bernoulli", "BernoulliWithSigmoidProbs", "Beta", "BetaWithSoftplusConcentration", "Binomial",
    "Categorical", "Cauchy", "Chi2", "Chi2WithAbsDf", "Deterministic", "Dirichlet",
    "DirichletMultinomial", "Distribution", "ExpRelaxedOneHotCategorical", "Exponential",
    "ExponentialWithSoftplusRate", "FULLY_REPARAMETERIZED", "Gamma",
    "GammaWithSoftplusConcentrationRate", "Geometric", "HalfNormal", "Independent", "InverseGamma",
    "InverseGammaWithSoftplusConcentrationRate", "Kumaraswamy", "Laplace",
    "LaplaceWithSoftplusScale", "Logistic", "Mixture", "MixtureSameFamily", "Multinomial",
    "MultivariateNormalDiag", "MultivariateNormalDiagPlusLowRank",
    "MultivariateNormalDiagWithSoftplusScale", "MultivariateNormalFullCovariance",
    "MultivariateNormalLinearOperator", "MultivariateNormalTriL", "NOT_REPARAMETERIZED",
    "NegativeBinomial", "Normal", "NormalWithSoftplusScale", "OneHotCategorical", "Poisson",
    "RegisterKL", "RelaxedBernoulli", "RelaxedOneHotCategorical", "ReparameterizationType",
    "SeedStream", "StudentT", "StudentTWithAbsDfSoftplusScale", "Uniform", "VectorDeterministic",
    "VectorExponentialDiag", "VectorLaplaceDiag", "TransformedDistribution",
    "ConditionalTransformedDistribution", "bijectors",
    "assign_log_moving_mean_exp", "assign_moving_mean_variance", "auto_correlation",
    "fill_triangular", "fill_triangular_inverse", "kl_divergence", "matrix_diag_transform",
    "moving_mean_variance", "normal_conjugates_known_scale_posterior",
    "normal_conjugates_known_scale_predictive", "percentile", "reduce_weighted_logsumexp",
    "softplus_inverse", "tridiag"
]

