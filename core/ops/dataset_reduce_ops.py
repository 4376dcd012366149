"""``DatasetToSingleElement``: a dataset's one element as tensors
(``tf.data.experimental.get_single_element``). Like MakeIterator, the attr ``dataset`` names
the Dataset object registered by core/ops/iterator_ops.register_dataset; the inputs are the
tensors it captures. The pipeline runs anew each time the op runs."""

from __future__ import annotations

from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from .iterator_ops import _dataset

_END = object()


def _single_element_kernel(captured, *, dataset, output_types, output_shapes):
    elements = _dataset(dataset)._start(list(captured))
    first = next(elements, _END)
    if first is _END:
        raise InvalidArgumentError(None, None, "Dataset was empty.")
    if next(elements, _END) is not _END:
        raise InvalidArgumentError(None, None, "Dataset had more than one element.")
    return first[0] if len(first) == 1 else tuple(first)


DATASET_TO_SINGLE_ELEMENT = register(OpDef(
    "DatasetToSingleElement", inputs=["captured:list(Tcaptured)"],
    attrs={"dataset": req("string"), "output_types": req("list(type)"),
           "output_shapes": req("list(shape)")},
    kernel=_single_element_kernel,
    infer=lambda captured, *, dataset, output_types, output_shapes: [
        TensorSpec(s, t) for s, t in zip(output_shapes, output_types)],
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="the only element of the dataset (InvalidArgumentError when it has none or several)",
))
