"""minitf: TensorFlow 1.x's graph API on numpy. ``import minitf as tf`` runs TF1 graph code.

Op wrappers come from ``core/ops/*`` (each module's ``__all__``); tf.nn, tf.math, tf.train,
tf.losses, tf.summary are submodules.
"""

from . import (compat, data, debugging, dtypes, errors, flags, gfile, graph_util, image,
               initializers, io, layers, linalg, lookup, losses, manip, math, metrics, nn,
               nest, python_io, random, saved_model, sparse, strings, summary, train)
from .math import log_sigmoid
from .linalg import matrix_transpose, trace
from . import tf_logging as logging
from . import feature_column
from . import estimator
from . import distribute
from . import contrib  # loads its submodules on first use
from . import keras  # tf.keras as TF 1.x graph mode has it
from . import sets
from ._protos import lazy_classes
from .flags import app
from .dtypes import (DType, as_dtype, bool, complex64, complex128, double, float16, float32,
                     float64, half, int8, int16, int32, int64, resource, string, uint8, uint16,
                     uint32, uint64, variant)
from .dtypes import QUANTIZED_DTYPES, qint8, qint16, qint32, quint8, quint16
from .clip_ops import clip_by_global_norm, clip_by_norm, global_norm
from .composites import (argsort, boolean_mask, clip_by_average_norm, einsum, eye, lin_space,
                         linspace, meshgrid, norm, reverse, reverse_v2, saturate_cast,
                         sequence_mask, sort, tensordot)
from .control_flow import case, cond, while_loop
from .functional_ops import foldl, foldr, map_fn, scan
from .gradients import NotDifferentiable, RegisterGradient, gradients, hessians, no_gradient
from .gradients import AggregationMethod, UnconnectedGradients
from .custom_gradient import custom_gradient
from .gradients import NotDifferentiable as NoGradient
from .indexed_slices import IndexedSlices, IndexedSlicesValue
from .graph_util import import_graph_def
from .graph import (Graph, GraphKeys, Operation, Tensor, add_to_collection, add_to_collections,
                    colocate_with, container, control_dependencies, convert_to_tensor, device,
                    get_collection, get_collection_ref, get_default_graph, name_scope,
                    reset_default_graph)
from .init_ops import (constant_initializer, glorot_normal_initializer,
                       glorot_uniform_initializer, ones_initializer, random_normal_initializer,
                       random_uniform_initializer, truncated_normal_initializer,
                       variance_scaling_initializer, zeros_initializer)
from .init_ops import orthogonal_initializer, uniform_unit_scaling_initializer
from .opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register
from .ops.array_ops import *
from .ops.array_ops import range_ as range  # TF's name shadows the builtin, as in TF
from .ops.array_ops import tuple_ as tuple  # noqa: A004 - likewise TF's name
from .ops.concat_split_ops import *
from .ops.depthwise_conv_ops import batch_to_space_nd, space_to_batch_nd
from .ops.depthwise_conv_ops import batch_to_space, space_to_batch
from .ops.count_ops import *
from .ops.decomposition_ops import *
from .ops.diag_ops import *
from .ops.gather_ops import *
from .ops.linalg_ops import *
from .ops.logging_ops import *
from .template import make_template
from .check_ops import *
from .ops.logic_ops import *
from .ops.manip_ops import *
from .ops.math_ops import *
from .ops.math_extra_ops import *
from .math_extra import (accumulate_n, floor_div, is_non_decreasing, is_strictly_increasing,
                         lbeta, unsorted_segment_sqrt_n)
from .ops.pad_ops import *
from .ops.parsing_ops import *
from .ops.random_ops import *
from .ops.reduction_ops import *
from .ops.script_ops import *
from .ops.segment_prod_ops import *
from .ops.slicing_ops import *
from .ops.special_ops import *
from .ops.state_ops import *
from .ops.tensor_array_ops import *
from .ops.tensor_scatter_ops import *
from .ops.array_extra_ops import *
from .ops.partition_ops import *
from .array_extra import *
from .ops.transform_ops import *
from .ops.unary_ops import *
from .image import random_crop
from .session import InteractiveSession, Session, get_default_session
from .ops.io_ops import decode_csv, matching_files, read_file, write_file
from .queues import *  # FIFOQueue, RandomShuffleQueue, ..., TFRecordReader, TextLineReader, ...
from . import queues as queue  # tf.queue.FIFOQueue, ...
from .sparse import SparseTensor, SparseTensorValue, sparse_placeholder, sparse_to_dense
from .sparse import add as sparse_add
from .sparse import concat as sparse_concat
from .sparse import fill_empty_rows as sparse_fill_empty_rows
from .sparse import merge as sparse_merge
from .sparse import reduce_max as sparse_reduce_max
from .sparse import reduce_sum as sparse_reduce_sum
from .sparse import reorder as sparse_reorder
from .sparse import reshape as sparse_reshape
from .sparse import retain as sparse_retain
from .sparse import slice as sparse_slice
from .sparse import softmax as sparse_softmax
from .sparse import sparse_dense_matmul as sparse_tensor_dense_matmul
from .sparse import to_dense as sparse_tensor_to_dense
from .sparse import to_indicator as sparse_to_indicator
from .sparse import transpose as sparse_transpose
from .ops.sparse_segment_ops import *
from .strings import as_string, reduce_join, regex_replace, string_split
from .strings import join as string_join
from .strings import strip as string_strip
from .strings import substr
from .strings import to_hash_bucket_fast as string_to_hash_bucket_fast
from .strings import to_number as string_to_number
from .tensor_shape import Dimension, TensorShape
from .train.moving_averages import moving_average_variables
from .v2_compat import *
from .partitioned_variables import (fixed_size_partitioner, min_max_variable_partitioner,
                                   variable_axis_size_partitioner)
from .variables import get_local_variable, initialize_local_variables, initialize_variables
from .variables import (VariableAggregation, VariableSynchronization, batch_scatter_update,
                        init_scope, no_regularizer)
from .variables import (AUTO_REUSE, Variable, VariableScope, all_variables, get_variable,
                        get_variable_scope, global_variables, global_variables_initializer,
                        initialize_all_variables, local_variables, local_variables_initializer,
                        model_variables, report_uninitialized_variables, tables_initializer,
                        trainable_variables, variable_scope, variables_initializer)

from .ops.image_extra_ops import *
from .ops.linalg_extra_ops import *
from .ops.random_gamma_ops import *  # tf.random_gamma, tf.random_poisson
from .ops.fake_quant_ops import *  # tf.fake_quant_with_min_max_*
from .parsing_sequence import parse_single_sequence_example
from .ops.complex_ops import *  # tf.complex, real, imag, angle, conj
from .ops.fft_ops import *  # tf.fft, ifft, fft2d..., tf.spectral
from .ops.special_extra_ops import *  # tf.igamma, igammac, betainc, zeta
from .ops.sparse_extra_ops import *
from .ops.string_extra_ops import *
from .tf1_extras import *
from .tf1_misc import *  # switch_case, py_function, timestamp, guarantee_const, ...
from .accumulators import *  # ConditionalAccumulator, SparseConditionalAccumulator
from . import bitwise
from . import test
from . import audio
from . import quantization
from . import signal
from . import distributions
from . import ragged
from .ragged import RaggedTensor, RaggedTensorValue
from . import mixed_precision
from .ops.quantize_ops import *  # tf.quantize, dequantize, quantize_v2, quantized_concat
from . import profiler
from .timeline import client  # tf.client.timeline / tf.timeline: Chrome traces of step_stats
from . import config, resource_loader, sysconfig, version
from .tf1_aliases import *  # tf.OpError, tf.conv, tf.CXX_VERSION, ...
from .tf1_more import *  # tf.vectorized_map, tf.approx_top_k, tf.fftnd, ...
from .type_spec import *  # tf.TypeSpec, SparseTensorSpec, RaggedTensorSpec, ...
from .module import *  # tf.Module, tf.variable_creator_scope
from . import raw_ops  # tf.raw_ops.<OpName>(**kwargs), generated from the op registry
from . import tpu, xla  # tf.xla.experimental, tf.tpu
from .contrib.batching import batch_function as nondifferentiable_batch_function  # as TF 1.15
from .session_handle import *  # tf.get_session_handle, get_session_tensor, delete_session_tensor
from .ops.json_example_ops import *  # tf.decode_json_example
from .gradient_tape import GradientTape  # graph mode's tape (ops recorded by id)
from .def_function import function  # tf.function, traced inline per call

__version__ = "0.1.0"


# Protobuf classes TF1 code builds: ``tf.GraphDef`` (ParseFromString, then import_graph_def),
# ``tf.ConfigProto`` / ``tf.GPUOptions`` for a Session (accepted; minitf runs on the CPU),
# ``tf.RunOptions`` / ``tf.RunMetadata`` for a run, ``tf.AttrValue`` for ``Graph.create_op``.
# Imported on first use: core does not import the protos package.
__getattr__ = lazy_classes(__name__, {
    "GraphDef": "graph_pb2", "ConfigProto": "config_pb2", "GPUOptions": "config_pb2",
    "GraphOptions": "config_pb2", "OptimizerOptions": "config_pb2", "RunOptions": "config_pb2",
    "RunMetadata": "config_pb2", "Summary": "summary_pb2",
    "SummaryMetadata": "summary_pb2", "HistogramProto": "histogram_pb2", "Event": "event_pb2",
    "SessionLog": "event_pb2", "LogMessage": "event_pb2", "AttrValue": "attr_value_pb2",
    "NameAttrList": "attr_value_pb2", "NodeDef": "node_def_pb2", "MetaGraphDef": "meta_graph_pb2",
    "TensorInfo": "meta_graph_pb2"})
