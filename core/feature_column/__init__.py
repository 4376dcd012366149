"""``tf.feature_column``: TF 1.x's feature columns for graph mode. Columns describe how raw
features (a dict of Tensors and SparseTensors by key, e.g. from ``tf.parse_example`` with
``make_parse_example_spec``) become a network's input (``input_layer``) or a linear model
(``linear_model``), with TF's variable names, column order, ids and hashes."""

from .categorical import (categorical_column_with_hash_bucket,
                          categorical_column_with_vocabulary_file,
                          categorical_column_with_vocabulary_list, crossed_column,
                          weighted_categorical_column)
from .columns import bucketized_column, categorical_column_with_identity, numeric_column
from .dense import embedding_column, indicator_column, shared_embedding_columns
from .layer import input_layer, linear_model, make_parse_example_spec
from .sequence import (sequence_categorical_column_with_hash_bucket,
                       sequence_categorical_column_with_identity,
                       sequence_categorical_column_with_vocabulary_file,
                       sequence_categorical_column_with_vocabulary_list, sequence_numeric_column)

__all__ = ["bucketized_column", "categorical_column_with_hash_bucket",
           "categorical_column_with_identity", "categorical_column_with_vocabulary_file",
           "categorical_column_with_vocabulary_list", "crossed_column", "embedding_column",
           "indicator_column", "input_layer", "linear_model", "make_parse_example_spec",
           "numeric_column", "sequence_categorical_column_with_hash_bucket",
           "sequence_categorical_column_with_identity",
           "sequence_categorical_column_with_vocabulary_file",
           "sequence_categorical_column_with_vocabulary_list", "sequence_numeric_column",
           "shared_embedding_columns", "weighted_categorical_column"]
