"""``tf.contrib.distributions.bijectors`` (TF 1.15): invertible transforms of random
variables with the log-determinants of their Jacobians, for TransformedDistribution and
normalizing flows. The base class is in distributions_bijectors_base.py; the bijectors by
kind in the ``distributions_bijectors_*`` siblings."""

from .distributions_bijectors_base import Bijector, ConditionalBijector
from .distributions_bijectors_compose import Chain, Identity, Inline, Invert
from .distributions_bijectors_flows import (BatchNormalization, MaskedAutoregressiveFlow,
                                            RealNVP, masked_autoregressive_default_template,
                                            masked_dense, real_nvp_default_template)
from .distributions_bijectors_matrix import (CholeskyOuterProduct, FillTriangular,
                                             MatrixInverseTriL, ScaleTriL, TransformDiagonal)
from .distributions_bijectors_scalar import (AbsoluteValue, AffineScalar, Exp, Gumbel,
                                             Kumaraswamy, PowerTransform, Sigmoid, SinhArcsinh,
                                             Softplus, Softsign, Square)
from .distributions_bijectors_vector import (Affine, AffineLinearOperator, Ordered, Permute,
                                             Reshape, SoftmaxCentered)

__all__ = ["AbsoluteValue", "Affine", "AffineLinearOperator", "AffineScalar",
           "BatchNormalization", "Bijector", "Chain", "CholeskyOuterProduct",
           "ConditionalBijector", "Exp", "FillTriangular", "Gumbel", "Identity", "Inline",
           "Invert", "Kumaraswamy", "MaskedAutoregressiveFlow", "MatrixInverseTriL", "Ordered",
           "Permute", "PowerTransform", "RealNVP", "Reshape", "ScaleTriL", "Sigmoid",
           "SinhArcsinh", "SoftmaxCentered", "Softplus", "Softsign", "Square",
           "TransformDiagonal", "masked_autoregressive_default_template", "masked_dense",
           "real_nvp_default_template"]
