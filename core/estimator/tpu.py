"""``tf.estimator.tpu`` (TF 1.15's v1 API): TPUEstimator, TPUEstimatorSpec, RunConfig,
TPUConfig and InputPipelineConfig are tf.contrib.tpu's (core/contrib/tpu.py and
tpu_estimator.py: they run with ``use_tpu=False``), looked up on first use since those modules
build on the whole of minitf. ``experimental.EmbeddingConfigSpec`` is validated as TF 1.15
validates it; TPUEstimator refuses it (TPU embeddings need a TPU)."""

from __future__ import annotations

import collections
import types

_FROM_CONTRIB = ("InputPipelineConfig", "RunConfig", "TPUConfig", "TPUEstimator",
                 "TPUEstimatorSpec")
__all__ = sorted(_FROM_CONTRIB + ("experimental",))


def __getattr__(name):
    if name in _FROM_CONTRIB:
        from ..contrib import tpu as contrib_tpu

        value = getattr(contrib_tpu, name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    raise AttributeError(f"module 'minitf.estimator.tpu' has no attribute {name!r}: minitf "
                         f"provides tf.estimator.tpu.{{{', '.join(__all__)}}}")


def __dir__():
    return list(__all__)


def _supported_column_classes():
    """TF accepts numeric and embedding columns (TPU ones too, which minitf cannot build:
    tf.tpu.experimental.embedding_column is refused)."""
    from ..feature_column.columns import _NumericColumn
    from ..feature_column.dense import _EmbeddingColumn

    return (_NumericColumn, _EmbeddingColumn)


class EmbeddingConfigSpec(collections.namedtuple("EmbeddingConfigSpec", [
        "feature_columns", "optimization_parameters", "clipping_limit",
        "pipeline_execution_with_tensor_core", "experimental_gradient_multiplier_fn",
        "feature_to_config_dict", "table_to_config_dict", "partition_strategy"])):
    """The TPU-embedding settings TPUEstimator takes (``embedding_config_spec``)."""

    def __new__(cls, feature_columns=None, optimization_parameters=None, clipping_limit=None,
                pipeline_execution_with_tensor_core=False,
                experimental_gradient_multiplier_fn=None, feature_to_config_dict=None,
                table_to_config_dict=None, partition_strategy="div"):
        from ..errors import UnimplementedError
        from ..tpu import _OptimizationParameters

        by_dicts = bool(feature_to_config_dict and table_to_config_dict)
        if (not feature_columns and not by_dicts) or (feature_columns and by_dicts):
            raise ValueError("Exactly one of `feature_columns` and the pair "
                             "`feature_to_config_dict` and `table_to_config_dict` must be be "
                             "specified.")
        if partition_strategy not in ("div", "mod"):
            raise ValueError(f'Invalid partition_strategy {partition_strategy}. Must be one '
                             f'of "mod" or "div".')
        if feature_columns:
            supported = _supported_column_classes()
            for column in feature_columns:
                if not isinstance(column, supported):
                    raise TypeError(f"All feature columns must be supported types in "
                                    f"{supported}. Got {type(column)}")
            if not isinstance(optimization_parameters, _OptimizationParameters):
                raise ValueError(
                    "optimization_parameters must be an instance of type (AdagradParameters, "
                    "AdamParameters, StochasticGradientDescentParameters). Got "
                    f"{type(optimization_parameters)}.")
        else:
            # TF checks these hold tpu_embedding.FeatureConfig / TableConfig objects, a TPU
            # library minitf does not have.
            raise UnimplementedError(None, None, "EmbeddingConfigSpec(feature_to_config_dict, "
                                     "table_to_config_dict): tpu_embedding FeatureConfig / "
                                     "TableConfig need a TPU library minitf does not have")
        return super().__new__(cls, feature_columns, optimization_parameters, clipping_limit,
                               pipeline_execution_with_tensor_core,
                               experimental_gradient_multiplier_fn, feature_to_config_dict,
                               table_to_config_dict, partition_strategy)


class _Experimental(types.ModuleType):
    def __getattr__(self, name):
        raise AttributeError(f"module 'minitf.estimator.tpu.experimental' has no attribute "
                             f"{name!r}: minitf provides "
                             f"tf.estimator.tpu.experimental.{{{', '.join(self.__all__)}}}")

    def __dir__(self):
        return list(self.__all__)


experimental = _Experimental("minitf.estimator.tpu.experimental",
                             "TF 1.15's tf.estimator.tpu.experimental.")
experimental.EmbeddingConfigSpec = EmbeddingConfigSpec
experimental.__all__ = ["EmbeddingConfigSpec"]
