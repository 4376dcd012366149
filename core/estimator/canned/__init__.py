"""TF 1.x's canned estimators: baseline (bias-only), linear, DNN and combined ("wide & deep")
classifiers and regressors, the same networks with a user-given head, and their heads."""

from .baseline import BaselineClassifier, BaselineEstimator, BaselineRegressor
from .dnn import DNNClassifier, DNNRegressor
from .dnn_linear_combined import DNNLinearCombinedClassifier, DNNLinearCombinedRegressor
from .parsing_utils import classifier_parse_example_spec, regressor_parse_example_spec
from .head_estimators import DNNEstimator, DNNLinearCombinedEstimator, LinearEstimator
from .linear import LinearClassifier, LinearRegressor

__all__ = ["BaselineClassifier", "BaselineEstimator", "BaselineRegressor", "DNNClassifier",
           "DNNEstimator", "DNNLinearCombinedClassifier", "DNNLinearCombinedEstimator",
           "DNNLinearCombinedRegressor", "DNNRegressor", "LinearClassifier", "LinearEstimator",
           "LinearRegressor", "classifier_parse_example_spec", "regressor_parse_example_spec"]
