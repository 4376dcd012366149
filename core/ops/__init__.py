"""Op declarations, one family per module. Importing this package registers every OpDef."""

from . import (array_ops, batch_norm_ops, candidate_ops, concat_split_ops,  # noqa: F401
               control_flow_ops, conv_ops, count_ops, decomposition_ops, depthwise_conv_ops,
               diag_ops, ftrl_ops, gather_ops, image_ops, iterator_ops, linalg_ops, lookup_ops,
               logging_ops, logic_ops, manip_ops, math_ops, nn_ops, pad_ops, parsing_ops,
               pool_ops, random_ops, reduction_ops, reverse_ops, script_ops, segment_prod_ops,
               slicing_ops, softmax_ops, sparse_ops, sparse_segment_ops, sparse_slice_ops,
               special_ops, stack_ops, state_ops, string_ops, tensor_array_ops,
               tensor_scatter_ops, training_ops, transform_ops, unary_ops)
from . import math_extra_ops  # noqa: F401 - Acos..Atanh, Xlogy, EuclideanNorm, ...
from . import feature_ops  # noqa: F401 - Bucketize, SparseCross (tf.feature_column)
from . import array_extra_ops, partition_ops  # noqa: F401 - ListDiff..., DynamicPartition/Stitch
from . import io_ops, queue_ops, reader_ops  # noqa: F401 - queues, readers, DecodeCSV, files
from . import set_ops  # noqa: F401 - SetSize, Dense/SparseTo*SetOperation (tf.sets)
from . import conv3d_ops, pool3d_ops  # noqa: F401 - Conv3D..., MaxPool3D..., MaxPoolV2...
from . import png_ops  # noqa: F401 - DecodePng, DecodeImage, EncodePng
from . import dataset_reduce_ops  # noqa: F401 - DatasetToSingleElement (tf.data)
from . import training_da_ops  # noqa: F401 - ApplyAdagradDA, SparseApplyAdagradDA
from . import stateless_random_ops  # noqa: F401 - StatelessRandom*, Philox (tf.random.stateless_*)
from . import checkpoint_ops  # noqa: F401 - SaveV2, RestoreV2, MergeV2Checkpoints (tf.train.Saver)
from . import bitwise_ops  # noqa: F401 - BitwiseAnd..., PopulationCount (tf.bitwise)
from . import ctc_ops  # noqa: F401 - CTCLoss, CTCGreedyDecoder, CTCBeamSearchDecoder
from . import image_extra_ops, nms_ops  # noqa: F401 - CropAndResize..., NonMaxSuppression*
from . import linalg_extra_ops, tridiagonal_ops  # noqa: F401 - MatrixTriangularSolve, Lu...
from . import nn_extra_ops  # noqa: F401 - Dilation2D..., BatchNormWithGlobalNormalization
from . import random_gamma_ops  # noqa: F401 - RandomGamma, RandomGammaGrad, RandomPoissonV2
from . import sparse_extra_ops  # noqa: F401 - SparseSparseMaximum..., SparseSplit, SparseCrossV2
from . import serialization_ops, string_extra_ops  # noqa: F401 - StringFormat, PrintV2...
from . import sparse_matmul_ops  # noqa: F401 - SparseMatMul (tf.sparse_matmul)
from . import legacy_ops  # noqa: F401 - Inv, Div, Mod, Concat, BiasAddV1 (TF1 GraphDefs)
from . import sparse_count_ops  # noqa: F401 - DenseCountSparseOutput... (tf.sparse.bincount)
from . import einsum_ops, fake_quant_ops, graph_compat_ops  # noqa: F401 - FakeQuant*, Einsum, ...
from . import parsing_sequence_ops  # noqa: F401 - ParseSingleSequenceExample, ParseSequenceExample(V2)
from . import gif_bmp_ops, sample_box_ops  # noqa: F401 - DecodeBmp, DecodeGif, SampleDistortedBoundingBox*
from . import audio_ops  # noqa: F401 - DecodeWav, EncodeWav, AudioSpectrogram, Mfcc
from . import jpeg_ops  # noqa: F401 - DecodeJpeg, ExtractJpegShape
from . import complex_ops, fft_ops  # noqa: F401 - Complex, Real, Imag, ComplexAbs..., FFT..IRFFT3D
from . import optional_ops  # noqa: F401 - Optional*, IteratorGetNextAsOptional (tf.data Optional)
from . import special_extra_ops  # noqa: F401 - Igamma, Betainc, Zeta, Bessel*, ...
from . import misc_extra_ops  # noqa: F401 - Timestamp, GuaranteeConst, ExtractVolumePatches, ...
from . import unicode_ops  # noqa: F401 - UnicodeDecode, UnicodeEncode, UnicodeTranscode, ...
from . import accumulator_ops  # noqa: F401 - ConditionalAccumulator, SparseConditionalAccumulator
from . import fractional_pool_ops  # noqa: F401 - FractionalMaxPool, FractionalAvgPool (+ grads)
from . import stateless_random_extra_ops  # noqa: F401 - StatelessMultinomial, ...Poisson/Binomial
from . import stateless_random_gamma_ops, stateless_random_ptn_ops  # noqa: F401 - ...GammaV2/V3
from . import approx_topk_ops, box_proposal_ops  # noqa: F401 - ApproxTopK, GenerateBoundingBox...
from . import fftnd_ops, glimpse_ops, logm_ops  # noqa: F401 - FFTND..., ExtractGlimpse(V2), Logm
from . import jpeg_encode_ops  # noqa: F401 - EncodeJpeg, EncodeJpegVariableQuality
from . import stateful_random_ops  # noqa: F401 - RngReadAndSkip, StatefulUniform*, ...
from . import quantize_and_dequantize_ops, quantize_ops  # noqa: F401 - QuantizeV2, Dequantize, ...
from . import quantized_math_ops, quantized_nn_ops  # noqa: F401 - QuantizedConv2D, ...Pool, ...Relu*, MatMul, BiasAdd
from . import requantize_ops  # noqa: F401 - Requantize, RequantizationRange, QuantizeDownAndShrinkRange, QuantizedReshape
from . import list_gather_ops, list_ops  # noqa: F401 - TensorList* (TF2's TensorArray v2)
from . import ragged_gather_ops  # noqa: F401 - RaggedGather, RaggedCross (ragged gather/concat/cross)
from . import gather_tree_ops  # noqa: F401 - GatherTree (tf.contrib.seq2seq beam search)
from . import rnn_block_ops  # noqa: F401 - LSTMBlockCell, BlockLSTM(V2), GRUBlockCell and grads
from . import image_transform_ops  # noqa: F401 - ImageProjectiveTransformV2/V3, ImageConnectedComponents...
from . import summary_writer_ops  # noqa: F401 - TF 2 summary writers (tf.contrib.summary)
from . import nth_element_ops  # noqa: F401 - NthElement (tf.contrib.nn.nth_element)
from . import resampler_ops  # noqa: F401 - Resampler, ResamplerGrad (tf.contrib.resampler)
from . import skip_gram_ops  # noqa: F401 - SkipGramGenerateCandidates (tf.contrib.text)
from . import cudnn_rnn_ops  # noqa: F401 - CudnnRNN family, with CPU kernels (tf.contrib.cudnn_rnn)
from . import sparse_feature_cross_ops  # noqa: F401 - SparseFeatureCross(V2) (tf.contrib.layers crossed_column)
from . import zero_initializer_ops  # noqa: F401 - ZeroInitializer (tf.contrib.framework.zero_initializer)
from . import clustering_ops  # noqa: F401 - NearestNeighbors, KmeansPlusPlus/KMC2 (contrib.factorization)
from . import wals_ops  # noqa: F401 - WALSComputePartialLhsAndRhs, MaskedMatmul (contrib.factorization)
from . import xla_ops  # noqa: F401 - XlaClusterOutput (tf.xla.experimental.compile)
from . import stage_ops  # noqa: F401 - Stage, Unstage, StagePeek, StageSize, StageClear (contrib.staging)
from . import batch_ops  # noqa: F401 - Batch, Unbatch (contrib.batching.batch_function)
from . import libsvm_ops  # noqa: F401 - DecodeLibsvm (tf.contrib.libsvm)
from . import sparse_tensors_map_ops  # noqa: F401 - SparseTensorsMap ops (train.batch of sparse)
