"""TF 1.x's canned estimators: linear and DNN classifiers and regressors, and their heads."""

from .dnn import DNNClassifier, DNNRegressor
from .parsing_utils import classifier_parse_example_spec, regressor_parse_example_spec
from .linear import LinearClassifier, LinearRegressor

__all__ = ["DNNClassifier", "DNNRegressor", "LinearClassifier", "LinearRegressor",
           "classifier_parse_example_spec", "regressor_parse_example_spec"]
