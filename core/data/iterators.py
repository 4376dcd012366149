"""TF1's iterators over datasets: one-shot, initializable, reinitializable (from_structure) and
feedable (from_string_handle). The graph ops are in core/ops/iterator_ops.py."""

from __future__ import annotations

from ..graph import Operation, Tensor, constant_value, convert_to_tensor, get_default_graph
from ..type_spec_base import TensorSpec
from ..ops import iterator_ops as ops
from ..tensor_shape import TensorShape
from . import structure as st
from .dataset_ops import Dataset


class Iterator(st.Structured):
    """``tf.data.Iterator``: ``get_next()`` gives the next element's tensors, one element per
    run however many ops consume them."""

    def __init__(self, handle: Tensor, initializer: Operation | None, structure):
        self._handle = handle
        self._initializer = initializer
        self._structure = structure

    # -- construction ----------------------------------------------------------------------------
    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None):
        """A reinitializable iterator: ``make_initializer(dataset)`` for each dataset of this
        structure points it at that dataset."""
        structure = _structure_of(output_types, output_shapes, output_classes)
        return Iterator(_iterator_op(structure, shared_name), None, structure)

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None,
                           output_classes=None):
        """A feedable iterator: the iterator whose ``string_handle()`` value is fed to
        ``string_handle`` gives the elements."""
        structure = _structure_of(output_types, output_shapes, output_classes)
        specs = st.components(structure)
        handle = ops.FROM_STRING_HANDLE(convert_to_tensor(string_handle),
                                        output_types=[s.dtype for s in specs],
                                        output_shapes=[s.shape for s in specs],
                                        name="IteratorFromStringHandleV2")
        return Iterator(handle, None, structure)

    # -- use --------------------------------------------------------------------------------------
    @property
    def initializer(self) -> Operation:
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer: a one-shot iterator "
                             "starts itself; make_initializer(dataset) makes one for a "
                             "reinitializable iterator")
        return self._initializer

    def make_initializer(self, dataset, name=None) -> Operation:
        """The op (re)starting this iterator on ``dataset``, from the current values of the
        tensors it captures (feed them when running it)."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"make_initializer() expects a Dataset, got "
                            f"{type(dataset).__name__}")
        mine, theirs = self._structure, dataset._structure
        if not st.same_structure(mine, theirs):
            raise TypeError(f"Expected output structure {st.describe(mine)} but got dataset "
                            f"with output structure {st.describe(theirs)}.")
        for a, b in zip(st.flatten(mine), st.flatten(theirs)):
            if a.dtype != b.dtype:
                raise TypeError(f"Expected output types {_types(mine)} but got dataset with "
                                f"output types {_types(theirs)}.")
            if not a.shape.is_compatible_with(b.shape):
                raise TypeError(f"Expected output shapes compatible with {_shapes(mine)} but got "
                                f"dataset with output shapes {_shapes(theirs)}.")
        token = ops.register_dataset(self._handle.graph, dataset)
        return ops.MAKE_ITERATOR(self._handle, dataset._captures(), dataset=token,
                                 name=name or "MakeIterator")

    def get_next(self, name=None):
        """The next element's tensors (in the dataset's structure), with its static shapes."""
        specs = st.components(self._structure)
        outs = ops.GET_NEXT(self._handle, output_types=[s.dtype for s in specs],
                            output_shapes=[s.shape for s in specs],
                            name=name or "IteratorGetNext")
        outs = outs if isinstance(outs, list) else [outs]
        return st.pack_components(self._structure, outs)

    def get_next_as_optional(self):
        """The next element as a ``tf.data.experimental.Optional``, empty at the end of the
        data (no OutOfRangeError)."""
        from .optional import get_next_as_optional

        return get_next_as_optional(self)

    def string_handle(self, name=None) -> Tensor:
        """A string scalar naming this iterator in the session: feed it to a
        ``from_string_handle`` iterator's handle placeholder."""
        return ops.TO_STRING_HANDLE(self._handle, name=name or "IteratorToStringHandle")



_types, _shapes = st.legacy_types, st.legacy_shapes


def _structure_of(output_types, output_shapes, output_classes=None):
    from ..dtypes import as_dtype
    from .dataset_ops import _tuples

    types = _tuples(output_types)
    dtypes = [as_dtype(t) for t in st.flatten(types)]
    if output_shapes is None:
        shapes = [TensorShape(None)] * len(dtypes)
    else:
        shapes = [st.shape_arg(s, "Iterator") for s in
                  st.flatten_up_to(types, output_shapes, "output_shapes")]
    classes = [Tensor] * len(dtypes) if output_classes is None else \
        st.flatten_up_to(types, output_classes, "output_classes")
    return st.pack(types, [st.SparseTensorSpec(s, t) if c is st.SparseTensor else TensorSpec(s, t)
                           for s, t, c in zip(shapes, dtypes, classes)])


def _iterator_op(structure, shared_name=None, op=None, **attrs) -> Tensor:
    specs = st.components(structure)
    if any(isinstance(s, st.DatasetSpec) for s in specs):
        raise TypeError(f"Cannot iterate over a dataset whose elements are datasets "
                        f"({st.describe(structure)}, from window()); flatten them with "
                        "flat_map() or interleave() first")
    op = op or ops.ITERATOR
    base = "OneShotIterator" if op is ops.ONE_SHOT_ITERATOR else "IteratorV2"
    graph = get_default_graph()
    # The resource's name in errors ("the iterator 'IteratorV2' has not been initialized"):
    # the op's own name unless a shared_name is given.
    name = shared_name or graph.unique_name(base, mark_as_used=False)
    return op(shared_name=name, output_types=[s.dtype for s in specs],
              output_shapes=[s.shape for s in specs], name=base, **attrs)


def make_initializable_iterator(dataset, shared_name=None) -> Iterator:
    """``tf.data.make_initializable_iterator(dataset)``: run ``iterator.initializer`` (with
    feeds for the tensors the dataset captures) before ``get_next()``, and again to restart."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"make_initializable_iterator() expects a Dataset, got "
                        f"{type(dataset).__name__}")
    it = Iterator(_iterator_op(dataset._structure, shared_name), None, dataset._structure)
    it._initializer = it.make_initializer(dataset)
    return it


class _Bound:
    """A dataset with its captures' values fixed when the iterator was made (one-shot)."""

    def __init__(self, dataset, values):
        self.dataset, self.values = dataset, values

    def _start(self, _captured):
        return self.dataset._start(self.values)


def _stateless_value(t: Tensor):
    """The value of a tensor computed from constants by stateless ops (a
    placeholder_with_default takes its default), as TF's one-shot iterator copies such a
    subgraph into its function; None if it reads a placeholder, a variable or a stateful op."""
    from ..plan import Plan

    seen, stack = set(), [t.op]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type in ("Placeholder", "PlaceholderV2") or op._opdef.stateful or \
                op._opdef.resource is not None or op.control_inputs:
            return None
        stack.extend(x.op for x in op.inputs)
    try:
        return Plan.compile(t.graph, (), [t], ()).run([])[0]
    except Exception:  # noqa: BLE001 - not computable now: refused as a non-constant
        return None


def make_one_shot_iterator(dataset) -> Iterator:
    """``tf.data.make_one_shot_iterator(dataset)``: starts itself on first use in a session;
    the dataset may only capture constants (copied by value)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"make_one_shot_iterator() expects a Dataset, got "
                        f"{type(dataset).__name__}")
    values = []
    for t in dataset._captures():
        value = constant_value(t)
        if value is None:
            value = _stateless_value(t)
        if value is None:
            op = t.op
            while op.type == "Identity" and op.inputs:  # a variable's read
                op = op.inputs[0].op
            kind = "placeholder" if op.type.startswith("Placeholder") else \
                "stateful node" if op._opdef.stateful or op._opdef.resource == "variable" \
                else "tensor that is not a constant"
            raise ValueError(f"Cannot capture a {kind} (name:{op.name}, type:{op.type}) by "
                             "value: a one-shot iterator's dataset may only use constants. Use "
                             "make_initializable_iterator() (feeding placeholders when running "
                             "its initializer) instead.")
        values.append(value)
    token = ops.register_dataset(get_default_graph(), _Bound(dataset, values))
    handle = _iterator_op(dataset._structure, None, ops.ONE_SHOT_ITERATOR, dataset=token)
    return Iterator(handle, None, dataset._structure)


def get_output_types(dataset_or_iterator):
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator):
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator):
    return dataset_or_iterator.output_classes
