"""Output argument names and API keyword renames of TensorFlow's ops, for ``tf.raw_ops``.

Facts from TensorFlow's registry, not code: minitf's OpDefs do not declare output names, and
TF's Python API renames a few inputs and attrs (``api_def`` renames, e.g. Sum's
``reduction_indices`` is the keyword ``axis``) that keep their OpDef names in GraphDefs.

``OUTPUTS`` holds only ops with more than one output argument or a list output; a list output
is written ``name*attr``, ``attr`` being the number attr or type-list attr giving its length.
``KEYWORD_RENAMES`` maps an op's OpDef argument/attr names to TF's raw_ops keyword names.

Generated once with TensorFlow 2.21 in the dev venv, for the ops minitf registered at the time,
by the script below piped into this file (never run at import; tests/core/test_raw_ops.py
re-derives both tables where TensorFlow is installed and fails when they drift):

    import inspect

    import tensorflow as tf
    from tensorflow.python.framework import op_def_registry

    import minitf.opdef as opdef

    outputs, renames = {}, {}
    for op_type in sorted(opdef.registered()):
        proto = op_def_registry.get(op_type)
        outs = proto.output_arg
        if len(outs) > 1 or any(a.number_attr or a.type_list_attr for a in outs):
            outputs[op_type] = tuple(
                a.name + ("*" + a.number_attr if a.number_attr else "")
                + ("*" + a.type_list_attr if a.type_list_attr else "") for a in outs)
        # TF's signature: inputs, attrs without a default, attrs with one (OpDef order each),
        # name; the attrs inputs set are not keywords. Pair them with the OpDef's names.
        inferred = {n for a in proto.input_arg
                    for n in (a.type_attr, a.number_attr, a.type_list_attr) if n}
        attrs = [a for a in proto.attr if a.name not in inferred]
        names = ([a.name for a in proto.input_arg]
                 + [a.name for a in attrs if not a.HasField("default_value")]
                 + [a.name for a in attrs if a.HasField("default_value")])
        params = list(inspect.signature(getattr(tf.raw_ops, op_type)).parameters)[:-1]
        assert len(names) == len(params), op_type
        pairs = {n: p for n, p in zip(names, params) if n != p}
        if pairs:
            renames[op_type] = pairs

    for table, rows in (("OUTPUTS", outputs), ("KEYWORD_RENAMES", renames)):
        print(f"{table} = {{")
        for k, v in rows.items():
            print(f"    {k!r}: {v!r},".replace("'", '"'))
        print("}\n")
"""

OUTPUTS = {
    "AllCandidateSampler": ("sampled_candidates", "true_expected_count", "sampled_expected_count"),
    "ApproxTopK": ("values", "indices"),
    "BatchNormWithGlobalNormalizationGrad": ("dx", "dm", "dv", "db", "dg"),
    "BroadcastGradientArgs": ("r0", "r1"),
    "CTCBeamSearchDecoder": (
        "decoded_indices*top_paths",
        "decoded_values*top_paths",
        "decoded_shape*top_paths",
        "log_probability",
    ),
    "CTCGreedyDecoder": ("decoded_indices", "decoded_values", "decoded_shape", "log_probability"),
    "CTCLoss": ("loss", "gradient"),
    "CombinedNonMaxSuppression": (
        "nmsed_boxes",
        "nmsed_scores",
        "nmsed_classes",
        "valid_detections",
    ),
    "ComputeAccidentalHits": ("indices", "ids", "weights"),
    "ConcatOffset": ("offset*N",),
    "DatasetToSingleElement": ("components*output_types",),
    "DecodeCSV": ("output*OUT_TYPE",),
    "DecodeWav": ("audio", "sample_rate"),
    "DenseCountSparseOutput": ("output_indices", "output_values", "output_dense_shape"),
    "DenseToDenseSetOperation": ("result_indices", "result_values", "result_shape"),
    "DenseToSparseSetOperation": ("result_indices", "result_values", "result_shape"),
    "DeserializeManySparse": ("sparse_indices", "sparse_values", "sparse_shape"),
    "DeserializeSparse": ("sparse_indices", "sparse_values", "sparse_shape"),
    "DynamicPartition": ("outputs*num_partitions",),
    "EagerPyFunc": ("output*Tout",),
    "FakeQuantWithMinMaxVarsGradient": (
        "backprops_wrt_input",
        "backprop_wrt_min",
        "backprop_wrt_max",
    ),
    "FakeQuantWithMinMaxVarsPerChannelGradient": (
        "backprops_wrt_input",
        "backprop_wrt_min",
        "backprop_wrt_max",
    ),
    "FixedUnigramCandidateSampler": (
        "sampled_candidates",
        "true_expected_count",
        "sampled_expected_count",
    ),
    "FractionalAvgPool": ("output", "row_pooling_sequence", "col_pooling_sequence"),
    "FractionalMaxPool": ("output", "row_pooling_sequence", "col_pooling_sequence"),
    "FusedBatchNorm": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormGrad": (
        "x_backprop",
        "scale_backprop",
        "offset_backprop",
        "reserve_space_3",
        "reserve_space_4",
    ),
    "FusedBatchNormGradV2": (
        "x_backprop",
        "scale_backprop",
        "offset_backprop",
        "reserve_space_3",
        "reserve_space_4",
    ),
    "FusedBatchNormGradV3": (
        "x_backprop",
        "scale_backprop",
        "offset_backprop",
        "reserve_space_4",
        "reserve_space_5",
    ),
    "FusedBatchNormV2": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV3": (
        "y",
        "batch_mean",
        "batch_variance",
        "reserve_space_1",
        "reserve_space_2",
        "reserve_space_3",
    ),
    "GenerateBoundingBoxProposals": ("rois", "roi_probabilities"),
    "IdentityN": ("output*T",),
    "IteratorGetNext": ("components*output_types",),
    "LearnedUnigramCandidateSampler": (
        "sampled_candidates",
        "true_expected_count",
        "sampled_expected_count",
    ),
    "ListDiff": ("out", "idx"),
    "LogMatrixDeterminant": ("sign", "log_abs_determinant"),
    "LogUniformCandidateSampler": (
        "sampled_candidates",
        "true_expected_count",
        "sampled_expected_count",
    ),
    "LookupTableExportV2": ("keys", "values"),
    "Lu": ("lu", "p"),
    "MaxPoolWithArgmax": ("output", "argmax"),
    "Merge": ("output", "value_index"),
    "NonMaxSuppressionV4": ("selected_indices", "valid_outputs"),
    "NonMaxSuppressionV5": ("selected_indices", "selected_scores", "valid_outputs"),
    "OptionalGetValue": ("components*output_types",),
    "ParseExample": (
        "sparse_indices*Nsparse",
        "sparse_values*sparse_types",
        "sparse_shapes*Nsparse",
        "dense_values*Tdense",
    ),
    "ParseExampleV2": (
        "sparse_indices*num_sparse",
        "sparse_values*sparse_types",
        "sparse_shapes*num_sparse",
        "dense_values*Tdense",
        "ragged_values*ragged_value_types",
        "ragged_row_splits*ragged_split_types",
    ),
    "ParseSequenceExample": (
        "context_sparse_indices*Ncontext_sparse",
        "context_sparse_values*context_sparse_types",
        "context_sparse_shapes*Ncontext_sparse",
        "context_dense_values*Tcontext_dense",
        "feature_list_sparse_indices*Nfeature_list_sparse",
        "feature_list_sparse_values*feature_list_sparse_types",
        "feature_list_sparse_shapes*Nfeature_list_sparse",
        "feature_list_dense_values*feature_list_dense_types",
        "feature_list_dense_lengths*Nfeature_list_dense",
    ),
    "ParseSequenceExampleV2": (
        "context_sparse_indices*Ncontext_sparse",
        "context_sparse_values*context_sparse_types",
        "context_sparse_shapes*Ncontext_sparse",
        "context_dense_values*Tcontext_dense",
        "context_ragged_values*context_ragged_value_types",
        "context_ragged_row_splits*context_ragged_split_types",
        "feature_list_sparse_indices*Nfeature_list_sparse",
        "feature_list_sparse_values*feature_list_sparse_types",
        "feature_list_sparse_shapes*Nfeature_list_sparse",
        "feature_list_dense_values*feature_list_dense_types",
        "feature_list_dense_lengths*Nfeature_list_dense",
        "feature_list_ragged_values*feature_list_ragged_value_types",
        "feature_list_ragged_outer_splits*feature_list_ragged_split_types",
        "feature_list_ragged_inner_splits*feature_list_ragged_split_types",
    ),
    "ParseSingleExample": (
        "sparse_indices*num_sparse",
        "sparse_values*sparse_types",
        "sparse_shapes*num_sparse",
        "dense_values*Tdense",
    ),
    "ParseSingleSequenceExample": (
        "context_sparse_indices*Ncontext_sparse",
        "context_sparse_values*context_sparse_types",
        "context_sparse_shapes*Ncontext_sparse",
        "context_dense_values*Tcontext_dense",
        "feature_list_sparse_indices*Nfeature_list_sparse",
        "feature_list_sparse_values*feature_list_sparse_types",
        "feature_list_sparse_shapes*Nfeature_list_sparse",
        "feature_list_dense_values*feature_list_dense_types",
    ),
    "PyFunc": ("output*Tout",),
    "PyFuncStateless": ("output*Tout",),
    "Qr": ("q", "r"),
    "QuantizeAndDequantizeV4Grad": ("input_backprop", "input_min_backprop", "input_max_backprop"),
    "QuantizeV2": ("output", "output_min", "output_max"),
    "QuantizedAvgPool": ("output", "min_output", "max_output"),
    "QuantizedBiasAdd": ("output", "min_out", "max_out"),
    "QuantizedConcat": ("output", "output_min", "output_max"),
    "QuantizedConv2D": ("output", "min_output", "max_output"),
    "QuantizedMatMul": ("out", "min_out", "max_out"),
    "QuantizedMaxPool": ("output", "min_output", "max_output"),
    "QuantizedRelu": ("activations", "min_activations", "max_activations"),
    "QuantizedRelu6": ("activations", "min_activations", "max_activations"),
    "QuantizedReluX": ("activations", "min_activations", "max_activations"),
    "QueueDequeueManyV2": ("components*component_types",),
    "QueueDequeueUpToV2": ("components*component_types",),
    "QueueDequeueV2": ("components*component_types",),
    "RaggedRange": ("rt_nested_splits", "rt_dense_values"),
    "RaggedTensorToSparse": ("sparse_indices", "sparse_values", "sparse_dense_shape"),
    "ReaderReadUpToV2": ("keys", "values"),
    "ReaderReadV2": ("key", "value"),
    "RefMerge": ("output", "value_index"),
    "RefSwitch": ("output_false", "output_true"),
    "RestoreV2": ("tensors*dtypes",),
    "SampleDistortedBoundingBox": ("begin", "size", "bboxes"),
    "SampleDistortedBoundingBoxV2": ("begin", "size", "bboxes"),
    "SelfAdjointEigV2": ("e", "v"),
    "ShapeN": ("output*N",),
    "SoftmaxCrossEntropyWithLogits": ("loss", "backprop"),
    "SparseAccumulatorTakeGradient": ("indices", "values", "shape"),
    "SparseAdd": ("sum_indices", "sum_values", "sum_shape"),
    "SparseAddGrad": ("a_val_grad", "b_val_grad"),
    "SparseConcat": ("output_indices", "output_values", "output_shape"),
    "SparseCountSparseOutput": ("output_indices", "output_values", "output_dense_shape"),
    "SparseCross": ("output_indices", "output_values", "output_shape"),
    "SparseCrossV2": ("output_indices", "output_values", "output_shape"),
    "SparseFillEmptyRows": (
        "output_indices",
        "output_values",
        "empty_row_indicator",
        "reverse_index_map",
    ),
    "SparseFillEmptyRowsGrad": ("d_values", "d_default_value"),
    "SparseReduceMaxSparse": ("output_indices", "output_values", "output_shape"),
    "SparseReduceSumSparse": ("output_indices", "output_values", "output_shape"),
    "SparseReorder": ("output_indices", "output_values"),
    "SparseReshape": ("output_indices", "output_shape"),
    "SparseSegmentMeanGradV2": ("output", "sorted_unique_indices"),
    "SparseSegmentSqrtNGradV2": ("output", "sorted_unique_indices"),
    "SparseSegmentSumGradV2": ("output", "sorted_unique_indices"),
    "SparseSlice": ("output_indices", "output_values", "output_shape"),
    "SparseSoftmaxCrossEntropyWithLogits": ("loss", "backprop"),
    "SparseSparseMaximum": ("output_indices", "output_values"),
    "SparseSparseMinimum": ("output_indices", "output_values"),
    "SparseSplit": (
        "output_indices*num_split",
        "output_values*num_split",
        "output_shape*num_split",
    ),
    "SparseToSparseSetOperation": ("result_indices", "result_values", "result_shape"),
    "Split": ("output*num_split",),
    "SplitV": ("output*num_split",),
    "StatelessRandomGetKeyCounter": ("key", "counter"),
    "StatelessRandomGetKeyCounterAlg": ("key", "counter", "alg"),
    "StatelessSampleDistortedBoundingBox": ("begin", "size", "bboxes"),
    "StringNGrams": ("ngrams", "ngrams_splits"),
    "StringSplit": ("indices", "values", "shape"),
    "StringSplitV2": ("indices", "values", "shape"),
    "Svd": ("s", "u", "v"),
    "Switch": ("output_false", "output_true"),
    "TensorArrayConcatV3": ("value", "lengths"),
    "TensorArrayGradV3": ("grad_handle", "flow_out"),
    "TensorArrayV3": ("handle", "flow"),
    "TopK": ("values", "indices"),
    "TopKV2": ("values", "indices"),
    "UnicodeDecode": ("row_splits", "char_values"),
    "UnicodeDecodeWithOffsets": ("row_splits", "char_values", "char_to_byte_starts"),
    "UniformCandidateSampler": (
        "sampled_candidates",
        "true_expected_count",
        "sampled_expected_count",
    ),
    "Unique": ("y", "idx"),
    "UniqueV2": ("y", "idx"),
    "UniqueWithCounts": ("y", "idx", "count"),
    "UniqueWithCountsV2": ("y", "idx", "count"),
    "Unpack": ("output*num",),
}

KEYWORD_RENAMES = {
    "All": {"reduction_indices": "axis"},
    "Any": {"reduction_indices": "axis"},
    "EuclideanNorm": {"reduction_indices": "axis"},
    "ExpandDims": {"dim": "axis"},
    "Max": {"reduction_indices": "axis"},
    "Mean": {"reduction_indices": "axis"},
    "Min": {"reduction_indices": "axis"},
    "Prod": {"reduction_indices": "axis"},
    "Select": {"t": "x", "e": "y"},
    "Split": {"split_dim": "axis"},
    "SplitV": {"split_dim": "axis"},
    "Squeeze": {"squeeze_dims": "axis"},
    "Sum": {"reduction_indices": "axis"},
    "Where": {"input": "condition"},
}
