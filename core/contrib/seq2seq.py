"""``tf.contrib.seq2seq`` (TF 1.15): the decoder stack of TF1 translation and summarization
code — helpers, BasicDecoder and dynamic_decode, attention mechanisms and AttentionWrapper,
BeamSearchDecoder, sequence_loss. Built on minitf's tf.while_loop, TensorArrays, tf.layers
and tf.nn.rnn_cell, with TF1's variable names and name scopes."""

from ..ops.gather_tree_ops import gather_tree
from .seq2seq_attention import (AttentionMechanism, BahdanauAttention,
                                BahdanauMonotonicAttention, LuongAttention,
                                LuongMonotonicAttention, monotonic_attention, safe_cumprod)
from .seq2seq_attention_wrapper import AttentionWrapper, AttentionWrapperState
from .seq2seq_beam import (BeamSearchDecoder, BeamSearchDecoderOutput, BeamSearchDecoderState,
                           FinalBeamSearchDecoderOutput, tile_batch)
from .seq2seq_decoder import BasicDecoder, BasicDecoderOutput, Decoder, dynamic_decode
from .seq2seq_helper import (CustomHelper, GreedyEmbeddingHelper, Helper, InferenceHelper,
                             SampleEmbeddingHelper, ScheduledEmbeddingTrainingHelper,
                             ScheduledOutputTrainingHelper, TrainingHelper)
from .seq2seq_loss import hardmax, sequence_loss

__all__ = [
    "AttentionMechanism", "AttentionWrapper", "AttentionWrapperState", "BahdanauAttention",
    "BahdanauMonotonicAttention", "BasicDecoder", "BasicDecoderOutput", "BeamSearchDecoder",
    "BeamSearchDecoderOutput", "BeamSearchDecoderState", "CustomHelper", "Decoder",
    "FinalBeamSearchDecoderOutput", "GreedyEmbeddingHelper", "Helper", "InferenceHelper",
    "LuongAttention", "LuongMonotonicAttention", "SampleEmbeddingHelper",
    "ScheduledEmbeddingTrainingHelper", "ScheduledOutputTrainingHelper", "TrainingHelper",
    "dynamic_decode", "gather_tree", "hardmax", "monotonic_attention", "safe_cumprod",
    "sequence_loss", "tile_batch",
]
