"""tf.data differences from TF 1.x graph mode, fixed (a third probe): padded_batch of scalar
strings, Variables as scalar arguments, unbatch of scalar elements, from_generator's
conversion of Python numbers, a map function's StopIteration (alone and fused with batch),
padded_batch's static shape from a shape tensor (bucket_by_sequence_length). TF-free tests
with hand-computed expected values, then the same pipelines side by side with
tf.compat.v1 (skipped where TensorFlow is not installed)."""

import numpy as np
import pytest

import minitf as tf
from tests.core.test_data_probe_fixes import _plain, _tf1

END = "END"


def _drain(lib, build, limit=12, reinit=None):
    """What ``build(lib)``'s dataset gives through an initializable iterator, each get_next
    as nested lists or the class name of its error, until two OutOfRange in a row ("END"):
    after an error or an end the iterator is asked again, as TF lets it be. ``reinit(lib,
    sess)``, if given, runs and the iterator is initialized again for a second pass."""
    with lib.Graph().as_default() as graph:
        it = lib.data.make_initializable_iterator(build(lib))
        nxt = it.get_next()
        out = []
        with lib.Session(graph=graph) as sess:
            sess.run(lib.global_variables_initializer())
            for _ in range(1 if reinit is None else 2):
                if out:
                    reinit(lib, sess)
                sess.run(it.initializer)
                for _ in range(limit):
                    try:
                        out.append(_plain(sess.run(nxt)))
                    except lib.errors.OutOfRangeError:
                        out.append(END)
                        if out[-2:] == [END, END]:
                            break
                    except lib.errors.OpError as e:
                        out.append(type(e).__name__)
    return out


def _stop_at(n):
    """A py_func body that raises StopIteration at ``n`` (a Python function ending the data
    early, as TF lets it)."""
    def fn(x):
        if x == n:
            raise StopIteration
        return x
    return fn


def _stopping(lib, n, fn="py_func"):
    return lambda x: getattr(lib, fn)(_stop_at(n), [x], lib.int64)


# -- 1. padded_batch of scalar strings ------------------------------------------------------------
def _strings(lib):
    return lib.data.Dataset.from_tensor_slices([b"a", b"bc", b"def"])


STRING_CASES = {
    "scalar": lambda lib: _strings(lib).padded_batch(2, []),
    "default_shapes": lambda lib: _strings(lib).padded_batch(2),
    "pad_value": lambda lib: _strings(lib).padded_batch(2, [], padding_values=b"-"),
    "tuple": lambda lib: lib.data.Dataset.zip((_strings(lib), lib.data.Dataset.range(3)))
    .padded_batch(2, ([], [])),
    "vector": lambda lib: _strings(lib).map(lambda s: lib.stack([s, s])).padded_batch(2, [3]),
}


def test_padded_batch_of_scalar_strings_keeps_the_bytes():
    got = _drain(tf, STRING_CASES["scalar"])
    assert got == [[b"a", b"bc"], [b"def"], END, END]
    assert all(type(v) is bytes for batch in got[:2] for v in batch)
    assert _drain(tf, STRING_CASES["tuple"]) == [([b"a", b"bc"], [0, 1]), ([b"def"], [2]),
                                                 END, END]
    assert _drain(tf, STRING_CASES["vector"])[0] == [[b"a", b"a", b""], [b"bc", b"bc", b""]]


@pytest.mark.parametrize("case", sorted(STRING_CASES))
def test_padded_batch_of_strings_vs_tf(case):
    assert _drain(tf, STRING_CASES[case]) == _drain(_tf1(), STRING_CASES[case])


# -- 2. a Variable as a scalar argument ------------------------------------------------------------
def _var(lib, value):
    return lib.Variable(value, dtype=lib.int64)


def _inner(lib):
    return lambda x: lib.data.Dataset.from_tensors(x).repeat(2)


VARIABLE_CASES = {
    "batch": (lambda lib: lib.data.Dataset.range(5).batch(_var(lib, 2)),
              [[0, 1], [2, 3], [4], END, END]),
    "padded_batch": (lambda lib: lib.data.Dataset.range(3).padded_batch(_var(lib, 2), []),
                     [[0, 1], [2], END, END]),
    "take": (lambda lib: lib.data.Dataset.range(5).take(_var(lib, 3)), [0, 1, 2, END, END]),
    "skip": (lambda lib: lib.data.Dataset.range(5).skip(_var(lib, 3)), [3, 4, END, END]),
    "repeat": (lambda lib: lib.data.Dataset.range(2).repeat(_var(lib, 2)),
               [0, 1, 0, 1, END, END]),
    "shuffle": (lambda lib: lib.data.Dataset.range(3).shuffle(_var(lib, 1)),
                [0, 1, 2, END, END]),  # a buffer of one keeps the order
    "shard": (lambda lib: lib.data.Dataset.range(5).shard(_var(lib, 2), _var(lib, 1)),
              [1, 3, END, END]),
    "range": (lambda lib: lib.data.Dataset.range(_var(lib, 1), _var(lib, 7), _var(lib, 2)),
              [1, 3, 5, END, END]),
    "range_stop": (lambda lib: lib.data.Dataset.range(_var(lib, 3)), [0, 1, 2, END, END]),
    "cycle_length": (lambda lib: lib.data.Dataset.range(2).interleave(
        _inner(lib), cycle_length=_var(lib, 2)), [0, 1, 0, 1, END, END]),
    "block_length": (lambda lib: lib.data.Dataset.range(2).interleave(
        _inner(lib), cycle_length=2, block_length=_var(lib, 2)), [0, 0, 1, 1, END, END]),
}


@pytest.mark.parametrize("case", sorted(VARIABLE_CASES))
def test_variable_as_scalar_argument(case):
    build, expected = VARIABLE_CASES[case]
    assert _drain(tf, build) == expected


def _assign_all(lib, sess, value):
    sess.run([v.assign(value) for v in lib.global_variables()])


def test_variable_argument_is_read_when_the_iterator_is_initialized():
    build = lambda lib: lib.data.Dataset.range(5).batch(_var(lib, 2))  # noqa: E731
    got = _drain(tf, build, reinit=lambda lib, sess: _assign_all(lib, sess, 3))
    assert got == [[0, 1], [2, 3], [4], END, END, [0, 1, 2], [3, 4], END, END]


@pytest.mark.parametrize("case", sorted(VARIABLE_CASES))
def test_variable_as_scalar_argument_vs_tf(case):
    build, _ = VARIABLE_CASES[case]
    assert _drain(tf, build) == _drain(_tf1(), build)


def test_variable_argument_read_at_initialization_vs_tf():
    build = lambda lib: lib.data.Dataset.range(5).take(_var(lib, 2))  # noqa: E731
    reinit = lambda lib, sess: _assign_all(lib, sess, 4)  # noqa: E731
    assert _drain(tf, build, reinit=reinit) == _drain(_tf1(), build, reinit=reinit)


# -- 3. unbatch of scalar elements ----------------------------------------------------------------
def _ragged(lib):
    # Static shape unknown: the scalar 3 is found only when the iterator reaches it.
    return lib.data.Dataset.from_generator(lambda: iter([[1, 2], 3, [4]]), lib.int64)


def _ragged_pairs(lib):
    return lib.data.Dataset.from_generator(
        lambda: iter([([1, 2], [5, 6]), ([3], 7), ([4], [8])]), (lib.int64, lib.int64))


UNBATCH_CASES = {
    "one": (lambda lib: _ragged(lib).unbatch(),
            [1, 2, "InvalidArgumentError", 4, END, END]),
    "one_ignore_errors": (lambda lib: _ragged(lib).unbatch().apply(
        lib.data.experimental.ignore_errors()), [1, 2, 4, END, END]),
    "pairs": (lambda lib: _ragged_pairs(lib).unbatch(),
              [(1, 5), (2, 6), "InvalidArgumentError", (4, 8), END, END]),
    "pairs_ignore_errors": (lambda lib: _ragged_pairs(lib).unbatch().apply(
        lib.data.experimental.ignore_errors()), [(1, 5), (2, 6), (4, 8), END, END]),
}


@pytest.mark.parametrize("case", sorted(UNBATCH_CASES))
def test_unbatch_of_a_scalar_fails_that_element(case):
    build, expected = UNBATCH_CASES[case]
    assert _drain(tf, build) == expected


@pytest.mark.parametrize("case", sorted(UNBATCH_CASES))
def test_unbatch_of_a_scalar_vs_tf(case):
    build, _ = UNBATCH_CASES[case]
    assert _drain(tf, build) == _drain(_tf1(), build)


# -- 4. from_generator converting a Python number ------------------------------------------------
def _gen(values, **kw):
    """from_generator of ``values``; keyword values that are callables get ``lib``."""
    def build(lib):
        args = {k: v(lib) if callable(v) else v for k, v in kw.items()}
        return lib.data.Dataset.from_generator(lambda: iter(values), **args)
    return build


# TF converts a yielded value as an EagerTensor (strict: 2.5 is no int32) for one component
# of unknown rank, and with numpy's astype (2.5 -> 2) for a known rank or a nest.
GENERATOR_CASES = {
    "float_for_int32": (_gen([1, 2.5, 3], output_types=lambda lib: lib.int32),
                        [1, "InvalidArgumentError", 3, END, END]),
    "whole_float_for_int64": (_gen([1, 2.0], output_types=lambda lib: lib.int64),
                              [1, "InvalidArgumentError", END, END]),
    "float_in_list": (_gen([[1, 2], [2.5, 1]], output_types=lambda lib: lib.int32),
                      [[1, 2], "InvalidArgumentError", END, END]),
    "bool_for_uint8": (_gen([True, 2], output_types=lambda lib: lib.uint8),
                       ["InvalidArgumentError", 2, END, END]),
    "bool_for_int32": (_gen([True, 2], output_types=lambda lib: lib.int32), [1, 2, END, END]),
    "int_then_bool_for_uint8": (_gen([[1, True]], output_types=lambda lib: lib.uint8),
                                [[1, 1], END, END]),
    "bool_then_int_for_uint8": (_gen([[True, 1]], output_types=lambda lib: lib.uint8),
                                ["InvalidArgumentError", END, END]),
    "numpy_float_for_int32": (_gen([np.float64(2.5)], output_types=lambda lib: lib.int32),
                              [2, END, END]),
    "float_ignore_errors": (lambda lib: _gen([1, 2.5, 3], output_types=lambda lib: lib.int32)(
        lib).apply(lib.data.experimental.ignore_errors()), [1, 3, END, END]),
    "signature_unknown_rank": (
        _gen([2.5], output_signature=lambda lib: lib.TensorSpec(None, lib.int32)),
        ["InvalidArgumentError", END, END]),
    # numpy's cast where a shape or a nest is given
    "known_shape": (_gen([2.5], output_types=lambda lib: lib.int32, output_shapes=[]),
                    [2, END, END]),
    "known_vector_shape": (_gen([[2.5]], output_types=lambda lib: lib.int32,
                                output_shapes=[None]), [[2], END, END]),
    "tuple": (_gen([(2.5, 1)], output_types=lambda lib: (lib.int32, lib.int32)),
              [(2, 1), END, END]),
    "dict": (_gen([{"a": 2.5}], output_types=lambda lib: {"a": lib.int32}),
             [{"a": 2}, END, END]),
    "signature_scalar": (_gen([2.5], output_signature=lambda lib: lib.TensorSpec([], lib.int32)),
                         [2, END, END]),
    "known_shape_bool_for_uint8": (_gen([True], output_types=lambda lib: lib.uint8,
                                        output_shapes=[]), [1, END, END]),
}


@pytest.mark.parametrize("case", sorted(GENERATOR_CASES))
def test_from_generator_converts_python_numbers_as_tf(case):
    build, expected = GENERATOR_CASES[case]
    assert _drain(tf, build) == expected


@pytest.mark.parametrize("case", sorted(GENERATOR_CASES))
def test_from_generator_conversion_vs_tf(case):
    build, _ = GENERATOR_CASES[case]
    assert _drain(tf, build) == _drain(_tf1(), build)


# -- 5. a map function's StopIteration -------------------------------------------------------------
def _no_fusion(lib):
    options = lib.data.Options()
    options.experimental_optimization.map_and_batch_fusion = False
    return options


def _other_options(lib):
    options = lib.data.Options()
    options.experimental_deterministic = False
    return options


def _map_batch(lib, stop, size, drop=False):
    return lib.data.Dataset.range(7).map(_stopping(lib, stop)).batch(size, drop_remainder=drop)


STOP_CASES = {
    # map alone: the data ends for good
    "map": (lambda lib: lib.data.Dataset.range(5).map(_stopping(lib, 2)), [0, 1, END, END]),
    "numpy_function": (lambda lib: lib.data.Dataset.range(5).map(
        _stopping(lib, 2, "numpy_function")), [0, 1, END, END]),
    "map_repeat": (lambda lib: lib.data.Dataset.range(5).map(_stopping(lib, 2)).repeat(2),
                   [0, 1, 0, 1, END, END]),
    "map_prefetch_batch": (lambda lib: lib.data.Dataset.range(7).map(_stopping(lib, 3))
                           .prefetch(1).batch(2), [[0, 1], [2], END, END]),
    "map_batch_unfused": (lambda lib: _map_batch(lib, 3, 2).with_options(_no_fusion(lib)),
                          [[0, 1], [2], END, END]),
    "map_padded_batch": (lambda lib: lib.data.Dataset.range(7).map(_stopping(lib, 3))
                         .padded_batch(2, []), [[0, 1], [2], END, END]),
    "inside_flat_map": (lambda lib: lib.data.Dataset.range(2).flat_map(
        lambda x: lib.data.Dataset.range(4).map(_stopping(lib, 2))), [0, 1, 0, 1, END, END]),
    # map then batch, fused: the batch ends at the stop (its elements read, the rest lost);
    # an empty or dropped batch is an end for that get_next only, the data goes on after it
    "fused_partial": (lambda lib: _map_batch(lib, 3, 2), [[0, 1], [2], [4, 5], [6], END, END]),
    "fused_at_start": (lambda lib: _map_batch(lib, 2, 2),
                       [[0, 1], END, [4, 5], [6], END, END]),
    "fused_first": (lambda lib: _map_batch(lib, 0, 2), [END, [2, 3], [4, 5], [6], END, END]),
    "fused_start_of_three": (lambda lib: _map_batch(lib, 3, 3), [[0, 1, 2], END, [6], END, END]),
    "fused_drop": (lambda lib: _map_batch(lib, 3, 2, drop=True), [[0, 1], END, [4, 5], END, END]),
    "fused_then_map": (lambda lib: _map_batch(lib, 2, 2).map(lambda x: x + 1),
                       [[1, 2], END, [5, 6], [7], END, END]),
    "fused_with_options": (lambda lib: _map_batch(lib, 2, 2).with_options(_other_options(lib)),
                           [[0, 1], END, [4, 5], [6], END, END]),
    # ... and any other stage reading that end ends there
    "fused_then_take": (lambda lib: _map_batch(lib, 2, 2).take(10), [[0, 1], END, END]),
    "fused_then_filter": (lambda lib: _map_batch(lib, 2, 2).filter(lambda x: True),
                          [[0, 1], END, END]),
    "fused_then_prefetch": (lambda lib: _map_batch(lib, 2, 2).prefetch(1), [[0, 1], END, END]),
    "fused_then_unbatch": (lambda lib: _map_batch(lib, 2, 2).unbatch(), [0, 1, END, END]),
    "fused_then_repeat": (lambda lib: _map_batch(lib, 2, 2).repeat(2),
                          [[0, 1], [0, 1], END, END]),
    "fused_in_flat_map": (lambda lib: lib.data.Dataset.range(2).flat_map(
        lambda x: lib.data.Dataset.range(5).map(_stopping(lib, 2)).batch(2)),
        [[0, 1], [0, 1], END, END]),
    "fused_then_ignore_errors": (lambda lib: _map_batch(lib, 2, 2).apply(
        lib.data.experimental.ignore_errors()), [[0, 1], END, END]),
}


@pytest.mark.parametrize("case", sorted(STOP_CASES))
def test_stop_iteration_in_map(case):
    build, expected = STOP_CASES[case]
    assert _drain(tf, build) == expected


@pytest.mark.parametrize("case", sorted(STOP_CASES))
def test_stop_iteration_in_map_vs_tf(case):
    build, _ = STOP_CASES[case]
    assert _drain(tf, build) == _drain(_tf1(), build)


def _single_and_optional(lib):
    """get_single_element of a fused batch that is an end at once, and get_next_as_optional
    over one that is an end for one get_next."""
    with lib.Graph().as_default() as graph:
        single = lib.data.experimental.get_single_element(
            lib.data.Dataset.range(4).map(_stopping(lib, 0)).batch(2))
        it = lib.data.make_initializable_iterator(_map_batch(lib, 2, 2))
        opt = lib.data.experimental.get_next_as_optional(it)
        has = opt.has_value()
        with lib.Session(graph=graph) as sess:
            try:
                sess.run(single)
                first = "no error"
            except lib.errors.OpError as e:
                first = type(e).__name__
            sess.run(it.initializer)
            return first, [bool(sess.run(has)) for _ in range(5)]


def test_fused_batch_end_in_single_element_and_optional():
    # The single-element op reads an end (the dataset is empty); the optional is empty for
    # that get_next and has the next batches after it.
    assert _single_and_optional(tf) == ("InvalidArgumentError", [True, False, True, True, False])


def test_fused_batch_end_in_single_element_and_optional_vs_tf():
    assert _single_and_optional(tf) == _single_and_optional(_tf1())


# -- 6. padded_batch's static shape from a shape tensor -------------------------------------------
def _shapes(lib, build):
    with lib.Graph().as_default():
        shapes = lib.data.get_output_shapes(build(lib))
    as_list = lambda s: s.as_list() if s.rank is not None else None  # noqa: E731
    if isinstance(shapes, dict):
        return {k: as_list(v) for k, v in shapes.items()}
    return tuple(as_list(s) for s in shapes) if isinstance(shapes, tuple) else as_list(shapes)


def _lengths(lib):
    return lib.data.Dataset.from_generator(lambda: iter([[1] * n for n in (1, 3, 5, 2, 7)]),
                                           lib.int64, [None])


def _triples(lib):
    return _lengths(lib).map(lambda x: (x, lib.fill([2, lib.size(x)], x[0]), lib.size(x)))


def _bucketed(lib, dataset, length, **kw):
    return dataset.apply(lib.data.experimental.bucket_by_sequence_length(
        length, [3, 6, 9], [2, 2, 2, 2], pad_to_bucket_boundary=True, **kw))


def _pairs_of_rows(lib):  # elements of shape (n, 2)
    return lib.data.Dataset.from_generator(lambda: iter([[[1, 1]] * n for n in (1, 3)]),
                                           lib.int64, [None, 2])


def _int64(lib, value, shape):
    return lib.placeholder_with_default(lib.constant(value, lib.int64), shape)


SHAPE_CASES = {
    "bucket_boundary": (lambda lib: _bucketed(lib, _lengths(lib), lambda x: lib.size(x)),
                        [None, None]),
    "bucket_boundary_tuple": (lambda lib: _bucketed(lib, _triples(lib), lambda x, y, n: n),
                              ([None, None], [None, 2, None], [None])),
    "bucket_boundary_shapes": (lambda lib: _bucketed(
        lib, _triples(lib), lambda x, y, n: n, padded_shapes=([None], [2, None], [])),
        ([None, None], [None, 2, None], [None])),
    "bucket_boundary_dict": (lambda lib: _bucketed(
        lib, _lengths(lib).map(lambda x: {"a": x, "n": lib.size(x)}), lambda d: d["n"]),
        {"a": [None, None], "n": [None]}),
    "stacked": (lambda lib: _pairs_of_rows(lib).padded_batch(
        2, lib.stack([_int64(lib, 4, []), 2])), [None, None, 2]),
    "concatenated": (lambda lib: _pairs_of_rows(lib).padded_batch(
        2, lib.concat([_int64(lib, [4], [1]), lib.constant([2], lib.int64)], 0)),
        [None, None, 2]),
    "unknown_length": (lambda lib: _pairs_of_rows(lib).padded_batch(
        2, _int64(lib, [4, 2], [None])), None),
    "unknown_rank": (lambda lib: _pairs_of_rows(lib).padded_batch(
        2, _int64(lib, [4, 2], None)), None),
}


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_padded_batch_static_shape_from_a_shape_tensor(case):
    build, expected = SHAPE_CASES[case]
    assert _shapes(tf, build) == expected


def test_bucket_to_boundary_values():
    # Buckets [0, 3), [3, 6), [6, 9) padded to 2, 5 and 8; y keeps its 2 rows.
    got = _drain(tf, lambda lib: _bucketed(lib, _triples(lib), lambda x, y, n: n))
    assert got == [([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]],
                    [[[1, 1, 1, 0, 0]] * 2, [[1, 1, 1, 1, 1]] * 2], [3, 5]),
                   ([[1, 0], [1, 1]], [[[1, 0]] * 2, [[1, 1]] * 2], [1, 2]),
                   ([[1] * 7 + [0]], [[[1] * 7 + [0]] * 2], [7]), END, END]


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_padded_batch_static_shape_vs_tf(case):
    build, _ = SHAPE_CASES[case]
    tf1 = _tf1()
    assert _shapes(tf, build) == _shapes(tf1, build)
    assert _drain(tf, build) == _drain(tf1, build)
