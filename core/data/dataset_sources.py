"""The Dataset sources: ``from_tensors``, ``from_tensor_slices`` (and the row slicing of dense
and sparse components that batching shares), ``range``, ``from_generator`` and ``list_files``.

Split from dataset_ops.py (the Dataset class, whose static methods build these, re-exports
them) so that each module reads in one sitting; what they have in common is that they take
no input dataset: their elements come from captured tensors, Python or the file system.
"""

from __future__ import annotations

import os

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OpError
from ..graph import Tensor
from ..ops import script_ops
from ..type_spec_base import TensorSpec
from ..tensor_shape import TensorShape
from . import structure as st
from .dataset_ops import Dataset, _captured, attempt, tensor_arg


# -- sources --------------------------------------------------------------------------------------
class _Tensors(Dataset):
    def __init__(self, tensors):
        self._value = st.normalize(tensors, "Dataset.from_tensors()")
        leaves = st.component_values(self._value)
        super().__init__(st.map_structure(st.spec_of, self._value), (), _captured(leaves))

    def _elements(self, ctx):
        yield tuple(_frozen(ctx.value(x)) for x in st.component_values(self._value))


class _TensorSlices(Dataset):
    def __init__(self, tensors):
        value = st.normalize(tensors, "Dataset.from_tensor_slices()")
        leaves = st.flatten(value)
        specs = [st.spec_of(x) for x in leaves]
        first = None
        for leaf, spec in zip(leaves, specs):
            if spec.shape.rank == 0:
                raise ValueError(f"Dataset.from_tensor_slices(): component {_name(leaf)} is a "
                                 "scalar; slicing needs every component to have rank >= 1")
            n = spec.shape[0].value if spec.shape.rank is not None else None
            if n is not None:
                if first is not None and n != first[0]:
                    raise ValueError(
                        f"Dataset.from_tensor_slices(): all components must have the same size "
                        f"in their first dimension, but {_name(first[1])} has {first[0]} and "
                        f"{_name(leaf)} has {n}")
                first = first or (n, leaf)
        self._leaves = leaves
        self._sparse = [isinstance(sp, st.SparseTensorSpec) for sp in specs]
        super().__init__(st.pack(value, [st.unbatched(s, "Dataset.from_tensor_slices()")
                                         for s in specs]), (), _captured(
                                             st.component_values(value)))

    def _elements(self, ctx):
        slicers = [_sparse_rows(*[_frozen(ctx.value(p)) for p in
                                  (x.indices, x.values, x.dense_shape)]) if sparse else
                   _dense_rows(_frozen(ctx.value(x))) for x, sparse in
                   zip(self._leaves, self._sparse)]
        yield from _rows_of(slicers, "Dataset.from_tensor_slices(): all components")


def _rows_of(slicers, what):
    """The elements of the rows of ``slicers`` ((rows, row(i)) per leaf: _dense_rows,
    _sparse_rows), which must have as many rows each."""
    sizes = {n for n, _ in slicers}
    if len(sizes) > 1:
        raise InvalidArgumentError(None, None, f"{what} must have the same size in their first "
                                   f"dimension, got sizes {[n for n, _ in slicers]}")
    for i in range(sizes.pop() if sizes else 0):
        yield tuple(c for _, row in slicers for c in row(i))


def _dense_rows(a):
    return len(a), lambda i: (a[i, ...],)


def _sparse_rows(indices, values, shape):
    """(rows, row(i)) of a SparseTensor's components along its first dimension: row i is the
    SparseTensor of the entries with index i there, one rank lower (as TF slices it)."""
    if shape.size == 0:
        raise InvalidArgumentError(None, None, "cannot slice a SparseTensor of rank 0")
    order = np.argsort(indices[:, 0], kind="stable")
    starts = np.searchsorted(indices[order, 0], np.arange(int(shape[0]) + 1))

    def row(i):
        take = order[starts[i]:starts[i + 1]]
        return indices[take, 1:], values[take], shape[1:]
    return int(shape[0]), row


def _frozen(a) -> np.ndarray:
    """A read-only view: the elements slice the user's arrays (and feeds), and the executor
    copies read-only values it hands out, so a fetched element never aliases them."""
    a = np.asarray(a).view()
    a.flags.writeable = False
    return a


def _name(leaf) -> str:
    if isinstance(leaf, Tensor):
        return leaf.name
    if isinstance(leaf, st.SparseTensor):
        return f"SparseTensor {leaf.values.name}"
    if isinstance(leaf, st.SparseTensorValue):
        return f"SparseTensorValue of dense shape {tuple(leaf.dense_shape.tolist())}"
    return f"of shape {tuple(leaf.shape)}"


def _leaf_widths(structure) -> list[int]:
    """How many runtime components each leaf of a structure takes (3 for a SparseTensor)."""
    return [3 if isinstance(s, st.SparseTensorSpec) else 1 for s in st.flatten(structure)]


def _range_arg(value, name: str):
    """An int64 as TF converts it: Python floats and strings are refused (numpy scalars are
    cast), a tensor (or a Variable) must be an integer one."""
    value = tensor_arg(value)
    if isinstance(value, Tensor):
        if not value.dtype.is_integer:
            raise ValueError(f"{name}: Tensor conversion requested dtype int64 for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value
    if isinstance(value, (float, str, bytes)) or not isinstance(
            value, (int, np.generic, np.ndarray)):
        raise TypeError(f"Expected int64, but got {value!s} of type "
                        f"'{type(value).__name__}'.")
    return int(np.asarray(value))


class _Range(Dataset):
    def __init__(self, args, output_type):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Dataset.range() takes 1 to 3 arguments (start, stop, step), got "
                             f"{len(args)}")
        names = ("stop",) if len(args) == 1 else ("start", "stop", "step")[:len(args)]
        values = [_range_arg(a, n) for a, n in zip(args, names)]
        start, stop, step = (0, values[0], 1) if len(values) == 1 else \
            (*values, 1) if len(values) == 2 else values
        if isinstance(step, int) and step == 0:
            raise ValueError("Dataset.range(): step must not be 0")
        self._args = (start, stop, step)
        self._dtype = _dt.as_dtype(output_type)
        super().__init__(TensorSpec(TensorShape([]), self._dtype), (), _captured(values))

    def _elements(self, ctx):
        start, stop, step = (ctx.int_value(x) for x in self._args)
        if step == 0:
            raise InvalidArgumentError(None, None, "Dataset.range(): step must not be 0")
        np_type = self._dtype.as_numpy_dtype
        for v in range(start, stop, step):
            yield (np.asarray(v, dtype=np_type),)


class _Generator(Dataset):
    def __init__(self, generator, output_types, output_shapes, args, output_signature=None):
        if not callable(generator):
            raise TypeError(f"Dataset.from_generator(): `generator` must be callable, got "
                            f"{generator!r}")
        if output_signature is not None:
            structure = _signature(output_signature, output_types, output_shapes)
        elif output_types is None:
            raise TypeError("To specify the output signature you need to provide either the "
                            "`output_signature` argument or the `output_types` argument.")
        else:
            types = _dtype_nest(output_types)
            type_leaves = [_dt.as_dtype(t) for t in st.flatten(types)]
            if output_shapes is None:
                shapes = [TensorShape(None)] * len(type_leaves)
            else:
                shapes = [st.shape_arg(s, "Dataset.from_generator()") for s in
                          st.flatten_up_to(types, output_shapes, "output_shapes")]
            structure = st.pack(types, [TensorSpec(s, t) for s, t in zip(shapes, type_leaves)])
        self._generator = generator
        # TF checks SparseTensor components by their spec (no conversion), dense ones as before
        self._by_spec = any(isinstance(s, st.SparseTensorSpec) for s in st.flatten(structure))
        # TF converts a yielded value as an EagerTensor (a Python float is no int) for that,
        # or for one dense component of unknown rank (its `if output_types and output_shapes`:
        # an unknown TensorShape is false); else with numpy's astype (2.5 -> 2 for an int).
        self._eager = self._by_spec or (not st.is_nest(structure) and
                                        structure.shape.rank is None)
        self._args = [st.normalize(a, "Dataset.from_generator() args") for a in (args or ())]
        super().__init__(structure, (), _captured(self._args))

    def _elements(self, ctx):
        # As TF's (a py_func's inputs): a scalar as a numpy scalar, or bytes for a string.
        args = [np.asarray(v)[()] if np.ndim(v) == 0 else v
                for v in (ctx.value(a) for a in self._args)]
        specs = self._specs()
        # A value that does not convert fails its element only (the generator goes on, as
        # TF's); an exception of the generator's own ends it.
        for value in _reported(self._generator(*args)):
            if self._by_spec:
                yield attempt(_signature_element, value, self._structure)
            else:
                yield attempt(self._converted, value, specs)

    def _converted(self, value, specs) -> tuple:
        try:
            leaves = st.flatten_up_to(self._structure, value, "element")
        except ValueError:
            raise InvalidArgumentError(
                None, None, "`generator` yielded an element that did not match the expected "
                f"structure. The expected structure was {st.describe(self._structure)}, "
                f"but the yielded element was {value}.") from None
        return tuple(_generated(v, s, self._eager) for v, s in zip(leaves, specs))


def _reported(generator):
    """``generator``'s values; an exception it raises becomes the OpError a py_func's would
    (TF runs the generator through one: RuntimeError is Unknown, ValueError InvalidArgument)."""
    it = iter(generator)
    while True:
        try:
            value = next(it)
        except StopIteration:
            return
        except OpError:
            raise
        except Exception as e:  # noqa: BLE001 - reported with TF's code for its kind
            raise script_ops.python_error(e) from e
        yield value


def _signature(output_signature, output_types, output_shapes):
    """from_generator's ``output_signature`` as the element structure (TF's checks)."""
    from ..type_spec_base import TypeSpec

    if output_types is not None:
        raise TypeError("The `output_types` argument can not be used together with the "
                        "`output_signature` argument.")
    if output_shapes is not None:
        raise TypeError("The `output_shapes` argument can not be used together with the "
                        "`output_signature` argument.")
    signature = _tuples(output_signature)
    for spec in st.flatten(signature):
        if not isinstance(spec, TypeSpec):
            raise TypeError(f"`output_signature` must contain objects that are subclass of "
                            f"`tf.TypeSpec` but found {type(spec)} which is not.")
        if not isinstance(spec, (TensorSpec, st.SparseTensorSpec)):
            raise TypeError(f"Dataset.from_generator(): minitf datasets hold tensors and "
                            f"SparseTensors only, so `output_signature` can not contain {spec}")
    return signature


def _signature_element(value, signature) -> tuple:
    """A yielded element checked against an output_signature holding SparseTensorSpecs, as
    TF's: dense leaves converted to their dtype, SparseTensorValues taken as they are; then
    the element's spec must be compatible with the signature."""
    from ..graph import to_numpy

    def mismatch():
        return InvalidArgumentError(
            None, None, "`generator` yielded an element that did not match the expected "
            f"structure. The expected structure was {signature!r}, but the yielded element "
            f"was {value}.")

    try:
        leaves = st.flatten_up_to(signature, value, "element")
    except ValueError:
        raise mismatch() from None
    normalized = []
    for leaf, spec in zip(leaves, st.flatten(signature)):
        if isinstance(spec, st.SparseTensorSpec):
            if not isinstance(leaf, st.SparseTensorValue):
                raise mismatch()
            try:
                leaf = st.SparseTensorValue(to_numpy(leaf.indices, _dt.int64),
                                            to_numpy(leaf.values),
                                            to_numpy(leaf.dense_shape, _dt.int64))
            except (TypeError, ValueError):
                raise mismatch() from None
        else:
            try:
                leaf = _yielded_as(leaf, spec.dtype, eager=True)
            except (TypeError, ValueError):
                raise mismatch() from None
        normalized.append(leaf)
    got = st.pack(signature, [st.spec_of(x) for x in normalized])
    if not all(s.is_compatible_with(g) for s, g in zip(st.flatten(signature), st.flatten(got))):
        raise InvalidArgumentError(None, None, f"`generator` yielded an element of {got!r} "
                                   f"where an element of {signature!r} was expected.")
    return tuple(st.component_values(st.pack(signature, normalized)))


def _tuples(value):
    """output_types: a nest of dtypes, lists taken as tuples."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list) or (isinstance(value, tuple) and not hasattr(value, "_fields")):
        return tuple(_tuples(v) for v in value)
    return value


def _dtype_nest(value):
    """from_generator's output_types: tuples and dicts of dtypes. tf.data's nest takes a list as
    one leaf, so a list is given to as_dtype and refused there, with TF's TypeError."""
    if isinstance(value, dict):
        return {k: _dtype_nest(v) for k, v in value.items()}
    if isinstance(value, tuple):
        leaves = [_dtype_nest(v) for v in value]
        return type(value)(*leaves) if hasattr(value, "_fields") else tuple(leaves)
    return _dt.as_dtype(value)


def _yielded_as(value, dtype, eager: bool) -> np.ndarray:
    """A generator's value as TF's from_generator converts it: a number cast to ``dtype`` as
    numpy casts (2.5 -> 2 for int32, 2**40 wraps, 300 is 44 as a uint8); converted
    ``eager``ly, a Python value must first be of a kind ``dtype`` takes (_python_kinds_fit).
    Strings and anything numpy cannot cast go through the usual conversion (and its errors)."""
    from ..graph import to_numpy

    if eager and not hasattr(type(value), "__array__") and not _python_kinds_fit(value, dtype):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    arr = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    if arr is not None and arr.dtype.kind in "biuf" and not dtype.is_quantized and \
            dtype != _dt.string:
        return arr.astype(dtype.as_numpy_dtype, copy=False)
    return to_numpy(value, dtype)


# The dtypes TF's eager conversion fills from a Python list directly, taking a Python bool as
# a number; for the others it infers the list's dtype from its first leaf (a Python bool makes
# it bool) and casts only from a kind the target holds (int to any number, float to float or
# complex).
_DIRECT = frozenset(("int32", "int64", "uint64", "float16", "float32", "float64", "complex128"))
_KIND = {"b": "b", "i": "i", "u": "i", "f": "f", "c": "c"}


def _python_kinds_fit(value, dtype) -> bool:
    """Whether TF converts the Python number, bool or (nested) list of them ``value`` to
    ``dtype``: no float for an integer type, only bools for bool, Python bools as numbers for
    the _DIRECT types or after a number, numpy bools inside a list for bool only. Leaves of
    other kinds (strings, None) are left to the conversion."""
    kinds = []  # in order: the first one matters
    for v in _leaves(value):
        if isinstance(v, bool):
            kinds.append("B")  # a Python bool (an int subclass: checked first)
        elif isinstance(v, (int, np.integer)):
            kinds.append("i")
        elif isinstance(v, (float, np.floating)):
            kinds.append("f")
        elif isinstance(v, (complex, np.complexfloating)):
            kinds.append("c")
        elif isinstance(v, (np.bool_, np.ndarray)) and np.asarray(v).dtype.kind in _KIND:
            kinds.append(_KIND[np.asarray(v).dtype.kind])
        else:
            return True
    py_bool = {"B"} if dtype.name in _DIRECT or kinds[:1] not in (["B"], ["b"]) else set()
    kinds = set(kinds)
    if dtype.is_bool:
        return kinds <= {"B", "b"}
    if dtype.is_integer:
        return kinds <= {"i"} | py_bool
    if dtype.is_floating:
        return kinds <= {"i", "f"} | py_bool
    if dtype.is_complex:
        return kinds <= {"i", "f", "c"} | py_bool
    return True


def _leaves(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _generated(value, spec: TensorSpec, eager: bool) -> np.ndarray:
    try:
        arr = _yielded_as(value, spec.dtype, eager)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            None, None, "`generator` yielded an element that could not be converted to the "
            f"expected type. The expected type was {spec.dtype.name}, but the yielded element "
            f"was {value}.") from None
    if not spec.shape.is_compatible_with(TensorShape(arr.shape)):
        raise InvalidArgumentError(
            None, None, f"`generator` yielded an element of shape {arr.shape} where an element "
            f"of shape {tuple(spec.shape.as_list())} was expected.")
    return arr



_ALL = 2 ** 62  # a shuffle buffer that holds every file name


class _ListFiles(Dataset):
    def __init__(self, file_pattern):
        if isinstance(file_pattern, Tensor):  # matched when the iterator starts, as TF's
            if file_pattern.dtype != _dt.string or file_pattern.shape.rank not in (None, 0, 1):
                raise TypeError(f"Dataset.list_files(): file_pattern must be a tf.string "
                                f"scalar or vector tensor, got {file_pattern!r}")
            self._patterns = file_pattern
        else:
            patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else \
                file_pattern
            if not all(isinstance(p, (str, bytes)) for p in patterns):
                raise TypeError(f"Dataset.list_files(): file_pattern must be a string, a list "
                                f"of strings or a string tensor, got {file_pattern!r}")
            self._patterns = [os.fsdecode(p) for p in patterns]
        super().__init__(TensorSpec(TensorShape([]), _dt.string), (),
                         _captured([self._patterns]))

    def _elements(self, ctx):
        import glob

        patterns = [os.fsdecode(p) for p in
                    np.asarray(ctx.value(self._patterns), dtype=object).reshape(-1)]
        names = sorted({n for p in patterns for n in glob.glob(p)})
        if not names:
            raise InvalidArgumentError(None, None, f"No files matched pattern: "
                                       f"{', '.join(patterns)}")
        for n in names:
            yield (np.asarray(n.encode(), dtype=object),)
