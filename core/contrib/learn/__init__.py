"""``tf.contrib.learn`` (TF 1.x): the parts TF1 programs kept using after its Estimators were
superseded by ``tf.estimator``: ``preprocessing`` (VocabularyProcessor, ...), ``datasets``
(MNIST's ``read_data_sets``, CSV loaders, iris), ``ModeKeys`` and ``RunConfig``.

The contrib Estimators, Experiment, learn_runner, monitors and input functions are not
provided: asking for one is an AttributeError pointing at ``tf.estimator``."""

from . import datasets, preprocessing
from .run_config import RunConfig

__all__ = ["ModeKeys", "RunConfig", "datasets", "preprocessing"]


class ModeKeys:
    """The modes of a contrib ``model_fn`` (``INFER`` is core ModeKeys.PREDICT's value)."""

    TRAIN = "train"
    EVAL = "eval"
    INFER = "infer"


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"module 'minitf.contrib.learn' has no attribute {name!r}: minitf provides "
        f"tf.contrib.learn.{{{', '.join(__all__)}}} only; for Estimators, Experiment, "
        "learn_runner, monitors and input functions use tf.estimator (tf.estimator.Estimator, "
        "DNNClassifier, train_and_evaluate, inputs.numpy_input_fn, SessionRunHook).")


def __dir__():
    return __all__
