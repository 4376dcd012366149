"""More of ``tf.data.experimental`` (TF 1.15 / TF 2.21's compat.v1), the sources and sinks:
RandomDataset, TFRecordWriter (and its DatasetToTFRecord op), copy_to_device and
prefetch_to_device.

minitf runs on one CPU, so copying to a device and prefetching there give the elements
unchanged; the arguments are still checked as TF checks them.

Not here: make_saveable_from_iterator and CheckpointInputPipelineHook. Their point is to save
an iterator's position in a checkpoint and restore it; minitf's iterators are Python generators
over the pipeline, whose state (shuffle buffers, interleave cycles, random generators part way)
cannot be serialized, and replaying ``n`` elements is not the same thing (an unseeded shuffle
would restore to other elements)."""

from __future__ import annotations

import os

import numpy as np

from .. import dtypes as _dt
from ..graph import convert_to_tensor, get_default_graph
from ..opdef import NOT_DIFFERENTIABLE, OpDef, register, req
from ..tensor_shape import TensorShape
from ..type_spec_base import TensorSpec
from . import structure as st
from .dataset_ops import Dataset, raising

__all__ = ["RandomDataset", "TFRecordWriter", "copy_to_device", "prefetch_to_device"]

_SCALAR_STRING = TensorSpec(TensorShape([]), _dt.string)
_BLOCKS = 256  # Philox blocks (4 values each) drawn at a time


# -- RandomDataset -------------------------------------------------------------------------------
class RandomDataset(Dataset):
    """``tf.data.experimental.RandomDataset(seed=None)``: int64 scalars, uniform in
    [0, 2**32), forever. With a seed (op or graph level, as tf.random's get_seed combines them)
    they are TF's own: Philox4x32-10 keyed by the graph seed, counter starting at the op seed,
    each block's four 32-bit words in turn (TF's SingleSampleAdapter). Every iterator starts
    the sequence over; without any seed each iterator draws a fresh random one."""

    def __init__(self, seed=None):
        from ..ops.random_ops import get_seed

        self._seeds = get_seed(seed)
        super().__init__(TensorSpec(TensorShape([]), _dt.int64))

    def _elements(self, ctx):
        from ..ops.stateless_random_ops import philox_stream

        seed, seed2 = self._seeds
        if seed is None:  # TF's RandomSeeds(0, 0): nondeterministic
            seed, seed2 = (int.from_bytes(os.urandom(8), "little") for _ in range(2))
        key, counter = int(seed) & (2**64 - 1), (int(seed2) & (2**64 - 1)) << 64
        while True:
            for word in philox_stream(key, counter, _BLOCKS):
                yield (np.asarray(word, np.int64),)
            counter = (counter + _BLOCKS) & (2**128 - 1)

    def cardinality(self):
        from ..ops.array_ops import constant
        from .options import INFINITE

        return constant(np.int64(INFINITE), name="Cardinality")


# -- TFRecordWriter --------------------------------------------------------------------------------
def _to_tf_record_kernel(filename, compression_type, captured, *, dataset):
    from ..ops.iterator_ops import _dataset
    from ..python_io import TFRecordWriter as _Writer
    from ..errors import InvalidArgumentError
    from ..tf_logging import get_logger

    path = os.fsdecode(np.asarray(filename, dtype=object).item())
    kind = np.asarray(compression_type, dtype=object).item()
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    if kind not in ("", "ZLIB", "GZIP"):  # TF's RecordWriterOptions: logged, then unused
        get_logger().error(f"Unsupported compression_type:{kind}. No compression will be used.")
        kind = ""
    elements = raising(_dataset(dataset)._start(list(captured)))  # a failed one fails the op
    with _Writer(path, kind) as writer:
        for element in elements:
            value = np.asarray(element[0], dtype=object)
            if value.shape != ():
                raise InvalidArgumentError(None, None, "DatasetToTFRecord: the dataset's "
                                           f"elements must be string scalars, got shape "
                                           f"{list(value.shape)}")
            writer.write(value.item())
    return ()


DATASET_TO_TF_RECORD = register(OpDef(
    "DatasetToTFRecord", inputs=["filename:string", "compression_type:string",
                                 "captured:list(Tcaptured)"],
    attrs={"dataset": req("string")}, kernel=_to_tf_record_kernel,
    infer=lambda filename, compression_type, captured, **_: [],
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="writes every element of the dataset (string scalars) to a TFRecord file",
))


class TFRecordWriter:
    """``tf.data.experimental.TFRecordWriter(filename, compression_type=None)``:
    ``write(dataset)`` is an op that, each time it runs, writes the dataset's elements (string
    scalars) as the records of a new file, "" / "ZLIB" / "GZIP" compressed."""

    def __init__(self, filename, compression_type=None):
        self._filename = convert_to_tensor(filename, _dt.string, name="filename")
        self._compression_type = convert_to_tensor(
            "" if compression_type is None else compression_type, _dt.string,
            name="compression_type")

    def write(self, dataset):
        from ..ops import iterator_ops

        if not isinstance(dataset, Dataset):
            raise TypeError(f"Invalid `dataset.` Expected a `tf.data.Dataset` object but got "
                            f"{type(dataset)}.")
        spec = dataset._structure
        if st.is_nest(spec) or not _SCALAR_STRING.is_compatible_with(spec):
            raise TypeError("Invalid `dataset`. Expected a`dataset` that produces scalar "
                            "`tf.string` elements, but got a dataset which produces elements "
                            f"with shapes {st.legacy_shapes(spec)} and types "
                            f"{st.legacy_types(spec)!r}.")
        token = iterator_ops.register_dataset(get_default_graph(), dataset)
        return DATASET_TO_TF_RECORD(self._filename, self._compression_type,
                                    dataset._captures(), dataset=token,
                                    name="DatasetToTFRecord")


# -- copy_to_device / prefetch_to_device -------------------------------------------------------
def copy_to_device(target_device, source_device="/cpu:0"):
    """``dataset.apply(copy_to_device(target_device))``: the elements, on ``target_device``
    (unchanged here: minitf has one CPU device)."""
    return lambda dataset: CopyToDevice(dataset, target_device, source_device)


def prefetch_to_device(device, buffer_size=None):
    """``dataset.apply(prefetch_to_device(device))``: copy_to_device then prefetch, as TF
    composes it; it must be the last transformation of the pipeline."""
    return lambda dataset: dataset.apply(copy_to_device(target_device=device)).prefetch(
        buffer_size)


class CopyToDevice(Dataset):
    def __init__(self, dataset, target_device, source_device="/cpu:0"):
        from ..device import parse_device

        if not isinstance(dataset, Dataset):
            raise TypeError(f"copy_to_device() transforms a Dataset, got "
                            f"{type(dataset).__name__}")
        for name, device in (("target_device", target_device),
                             ("source_device", source_device)):
            if not isinstance(device, str):
                raise TypeError(f"`{name}` must be a device name string, got {device!r}")
        self._target_device = target_device
        self._is_gpu_target = parse_device(target_device).get("device_type") == "GPU"
        parse_device(source_device)
        self._source_device_string = source_device
        super().__init__(dataset._structure, (dataset,))

    def _elements(self, ctx):
        yield from self._inputs[0]._elements(ctx)

    def cardinality(self):
        return self._inputs[0].cardinality()

    def make_one_shot_iterator(self):
        if self._is_gpu_target:
            raise ValueError("`make_one_shot_iterator` is not compatible with GPU execution. "
                             "Please use `Dataset.make_initializable_iterator()` instead.")
        return super().make_one_shot_iterator()
