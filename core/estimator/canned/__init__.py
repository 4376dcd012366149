"""TF 1.x's canned estimators: linear, DNN and combined ("wide & deep") classifiers and
regressors, and their heads."""

from .dnn import DNNClassifier, DNNRegressor
from .dnn_linear_combined import DNNLinearCombinedClassifier, DNNLinearCombinedRegressor
from .parsing_utils import classifier_parse_example_spec, regressor_parse_example_spec
from .linear import LinearClassifier, LinearRegressor

__all__ = ["DNNClassifier", "DNNLinearCombinedClassifier", "DNNLinearCombinedRegressor",
           "DNNRegressor", "LinearClassifier", "LinearRegressor",
           "classifier_parse_example_spec", "regressor_parse_example_spec"]
