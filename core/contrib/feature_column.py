"""``tf.contrib.feature_column`` (TF 1.15): sequence feature columns for RNN inputs
(core/feature_column/sequence.py) — ``sequence_*`` columns, ``sequence_input_layer`` and
``concatenate_context_input``."""

from ..feature_column.sequence import (concatenate_context_input,
                                       sequence_categorical_column_with_hash_bucket,
                                       sequence_categorical_column_with_identity,
                                       sequence_categorical_column_with_vocabulary_file,
                                       sequence_categorical_column_with_vocabulary_list,
                                       sequence_input_layer, sequence_numeric_column)

__all__ = ["concatenate_context_input", "sequence_categorical_column_with_hash_bucket",
           "sequence_categorical_column_with_identity",
           "sequence_categorical_column_with_vocabulary_file",
           "sequence_categorical_column_with_vocabulary_list", "sequence_input_layer",
           "sequence_numeric_column"]
