"""Cases for the SequenceExample ops (ParseSequenceExampleV2, ParseSequenceExample,
ParseSingleSequenceExample). Records are built with protobuf's generated classes
(minitf.protos.example_pb2), independently of the kernel's hand decoder; the expected arrays are
written out by hand (TF 2.21 gave the same)."""

import numpy as np

from .harness import Case


def sequence_example(context=None, lists=None) -> bytes:
    """A serialized SequenceExample; a step of None is an empty Feature (no kind set)."""
    from minitf.protos import example_pb2

    se = example_pb2.SequenceExample()
    for key, values in (context or {}).items():
        _fill(se.context.feature[key], values)
    for key, steps in (lists or {}).items():
        feature_list = se.feature_lists.feature_list[key]
        feature_list.SetInParent()
        for values in steps:
            feature = feature_list.feature.add()
            if values is not None:
                _fill(feature, values)
    return se.SerializeToString()


def _fill(feature, values):
    if isinstance(values[0], bytes):
        feature.bytes_list.value.extend(values)
    elif isinstance(values[0], float):
        feature.float_list.value.extend(values)
    else:
        feature.int64_list.value.extend(values)


def strings(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


_EMPTY = strings()
R1 = sequence_example({"a": [1, 2]}, {"x": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
                                      "y": [[b"a"], [b"b", b"c"], None]})
R2 = sequence_example({"a": [3, 4], "v": [1.5]}, {"x": [[7.0, 8.0]], "y": [None, [b"q"]]})
_NO_RAGGED = {"context_ragged_value_types": [], "context_ragged_split_types": [],
              "feature_list_ragged_value_types": [], "feature_list_ragged_split_types": []}
_TYPES = {"context_sparse_types": [np.float32], "context_dense_shapes": [[2]],
          "feature_list_sparse_types": [np.str_], "feature_list_dense_types": [np.float32],
          "feature_list_dense_shapes": [[2]]}
_COUNTS = {"Ncontext_sparse": 1, "Nfeature_list_sparse": 1, "Nfeature_list_dense": 1}

# Batch of R1, R2: context v (sparse), a (dense); feature lists y (sparse), x (dense).
_BATCH_WANT = (
    np.array([[1, 0]], np.int64), np.array([1.5], np.float32), np.array([2, 1], np.int64),
    np.array([[1, 2], [3, 4]], np.int64),
    np.array([[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 1, 0]], np.int64),
    strings(b"a", b"b", b"c", b"q"), np.array([2, 3, 2], np.int64),
    np.array([[[1, 2], [3, 4], [5, 6]], [[7, 8], [0, 0], [0, 0]]], np.float32),
    np.array([3, 1], np.int64))
# R1 alone: no batch dimension anywhere.
_SINGLE_WANT = (
    np.zeros([0, 1], np.int64), np.zeros([0], np.float32), np.array([0], np.int64),
    np.array([1, 2], np.int64), np.array([[0, 0], [1, 0], [1, 1]], np.int64),
    strings(b"a", b"b", b"c"), np.array([3, 2], np.int64),
    np.array([[1, 2], [3, 4], [5, 6]], np.float32))


def _want(values):
    return lambda *a, **k: values


CASES = [
    Case("ParseSequenceExampleV2",
         [strings(R1, R2), strings(b"r1", b"r2"), strings(b"v"), strings(b"a"), _EMPTY,
          strings(b"y"), strings(b"x"), _EMPTY, np.array([True]), [np.zeros([0], np.int64)]],
         attrs={**_TYPES, **_NO_RAGGED, **_COUNTS}, ref=_want(_BATCH_WANT),
         id="ParseSequenceExampleV2-batch", exact_shape=False),
    Case("ParseSequenceExampleV2",
         [np.array(R1, dtype=object), _EMPTY, strings(b"v"), strings(b"a"), _EMPTY,
          strings(b"y"), strings(b"x"), _EMPTY, np.array([False]), [np.zeros([0], np.int64)]],
         attrs={**_TYPES, **_NO_RAGGED, **_COUNTS},
         ref=_want(_SINGLE_WANT + (np.array(3, np.int64),)),
         id="ParseSequenceExampleV2-single", exact_shape=False),
    Case("ParseSequenceExample",
         [strings(R1, R2), _EMPTY, [np.zeros([0], np.int64)]],
         attrs={**_TYPES, **_COUNTS, "Ncontext_dense": 1, "context_sparse_keys": ["v"],
                "context_dense_keys": ["a"], "feature_list_sparse_keys": ["y"],
                "feature_list_dense_keys": ["x"],
                "feature_list_dense_missing_assumed_empty": []},
         ref=_want(_BATCH_WANT), id="ParseSequenceExample-v1", exact_shape=False),
    Case("ParseSingleSequenceExample",
         [np.array(R1, dtype=object), _EMPTY, [np.array(b"v", dtype=object)],
          [np.array(b"a", dtype=object)], [np.array(b"y", dtype=object)],
          [np.array(b"x", dtype=object)], [np.zeros([0], np.int64)],
          np.array(b"", dtype=object)],
         attrs=_TYPES, ref=_want(_SINGLE_WANT), id="ParseSingleSequenceExample-v1",
         exact_shape=False),
]
