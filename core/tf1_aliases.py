"""TF1 root names that are aliases or small compositions: ``tf.OpError``, ``tf.conv`` (TF's raw
N-d Conv op), ``tf.conv2d_backprop_filter_v2`` / ``tf.conv2d_backprop_input_v2``,
``tf.convert_to_tensor_or_indexed_slices``, ``tf.CXX_VERSION`` and ``tf.train.ClusterSpec``.

``tf.conv`` is built from the Conv2D/Conv3D ops minitf has (with Pad and Reshape for explicit
padding and extra batch dimensions), so its graph holds those nodes rather than TF's single
"Conv" node; its values are TF's, and what TF's CPU kernel refuses is refused. The two
``*_v2`` backprop ops have no CPU kernel in TensorFlow (a CPU-only TF builds the node and fails
at run time), so minitf refuses them when they are built, naming the CPU ops that compute the
same gradient.
"""

from __future__ import annotations

from .errors import InvalidArgumentError, OpError, UnimplementedError
from .graph import convert_to_tensor, name_scope
from .sysconfig import CXX_VERSION

# ClusterSpec is not in __all__: TF has it as tf.train.ClusterSpec only (wired there).
__all__ = ["CXX_VERSION", "OpError", "conv", "conv2d_backprop_filter_v2",
           "conv2d_backprop_input_v2", "convert_to_tensor_or_indexed_slices"]


def convert_to_tensor_or_indexed_slices(value, dtype=None, name=None):
    """An IndexedSlices or SparseTensor as it is (ValueError when ``dtype`` differs from its
    own, TF's wording), anything else through ``convert_to_tensor``."""
    from . import dtypes as _dt
    from .indexed_slices import IndexedSlices
    from .sparse_tensor import SparseTensor

    if isinstance(value, (IndexedSlices, SparseTensor)):
        if dtype is not None and not _dt.as_dtype(dtype).is_compatible_with(value.dtype):
            raise ValueError(f"Incompatible tensor conversion requested to `dtype` "
                             f"{_dt.as_dtype(dtype).name} for `value` ({value}) with dtype "
                             f"{value.dtype.name}.")
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def _no_cpu_kernel(op_type, instead):
    raise InvalidArgumentError(None, None, f"No OpKernel was registered to support Op "
                               f"'{op_type}': TensorFlow has GPU kernels only for it, and minitf "
                               f"runs on the CPU. Use {instead}, which computes the same "
                               "gradient on the CPU.")


def conv2d_backprop_filter_v2(input, filter, out_backprop, strides, padding,  # noqa: A002
                              use_cudnn_on_gpu=True, explicit_paddings=[],  # noqa: B006
                              data_format="NHWC", dilations=[1, 1, 1, 1],  # noqa: B006
                              name=None):
    """Refused: Conv2DBackpropFilterV2 has no CPU kernel (InvalidArgumentError, TF's class at
    run time); ``tf.nn.conv2d_backprop_filter(input, tf.shape(filter), ...)`` is its CPU form."""
    _no_cpu_kernel("Conv2DBackpropFilterV2", "tf.nn.conv2d_backprop_filter(input, "
                   "tf.shape(filter), out_backprop, ...)")


def conv2d_backprop_input_v2(input, filter, out_backprop, strides, padding,  # noqa: A002
                             use_cudnn_on_gpu=True, explicit_paddings=[],  # noqa: B006
                             data_format="NHWC", dilations=[1, 1, 1, 1],  # noqa: B006
                             name=None):
    """Refused: Conv2DBackpropInputV2 has no CPU kernel (InvalidArgumentError, TF's class at run
    time); ``tf.nn.conv2d_backprop_input(tf.shape(input), filter, ...)`` is its CPU form."""
    _no_cpu_kernel("Conv2DBackpropInputV2", "tf.nn.conv2d_backprop_input(tf.shape(input), "
                   "filter, out_backprop, ...)")


def conv(input, filter, strides, padding, explicit_paddings=[],  # noqa: A002,B006
         data_format="CHANNELS_LAST", dilations=[], batch_dims=1, groups=1,  # noqa: B006
         name=None):
    """``tf.conv``: TF's raw Conv op, 2 or 3 spatial dimensions (input rank 4 or 5 after
    ``batch_dims`` leading batch dimensions), ``strides`` / ``dilations`` with one entry per
    dimension (1 for batch and channels; ``dilations=[]`` is no dilation), ``padding`` 'VALID',
    'SAME' or 'EXPLICIT' (``explicit_paddings``: a (before, after) pair per dimension). What
    TF's CPU kernel refuses at run time (CHANNELS_FIRST, groups, batch or depth strides) minitf
    refuses here, with TF's class and message."""
    from .nn_convolution import convolution
    from .ops import array_ops
    from .ops.concat_split_ops import concat
    from .ops.pad_ops import pad

    if padding not in ("SAME", "VALID", "EXPLICIT"):
        raise ValueError(f"Attr 'padding' of 'Conv' Op passed string '{padding}' not in: "
                         '"SAME", "VALID", "EXPLICIT".')
    if data_format not in ("CHANNELS_FIRST", "CHANNELS_LAST"):
        raise ValueError(f"Attr 'data_format' of 'Conv' Op passed string '{data_format}' not "
                         'in: "CHANNELS_FIRST", "CHANNELS_LAST".')
    with name_scope(name, "Conv", [input, filter]) as scope:
        input = convert_to_tensor(input, name="input")  # noqa: A001
        filter = convert_to_tensor(filter, name="filter", dtype=input.dtype)  # noqa: A001
        if input.shape.rank is None or filter.shape.rank is None:
            raise ValueError(f"Conv: minitf needs the ranks of input ({input.shape}) and filter "
                             f"({filter.shape})")
        rank = input.shape.rank - batch_dims + 1  # with one batch dimension
        if rank not in (4, 5):
            raise ValueError(f"Input tensor must be rank 4 or 5, excluding extra batch "
                             f"dimensions, but got: {rank} (input {input.shape}, filter "
                             f"{filter.shape})")
        if filter.shape.rank != rank:
            raise ValueError(f"Conv: the filter must have rank {rank}, got {filter.shape}")
        dilations = list(dilations) or [1] * rank
        for what, seq in (("Stride", strides), ("Dilation", dilations)):
            if len(seq) != rank:
                raise ValueError(f"{what} attribute should contain {rank} values, but got: "
                                 f"{len(seq)}")
        if data_format == "CHANNELS_FIRST":
            raise UnimplementedError(None, None, f"The Conv{rank - 2}D op currently only "
                                     "supports the NHWC tensor format on the CPU. The op was "
                                     f"given the format: {'NCHW' if rank == 4 else 'NCDHW'}")
        depth, fdepth = input.shape[-1], filter.shape[-2]
        if depth.value is not None and fdepth.value is not None and depth.value % fdepth.value:
            raise ValueError(f"Depth of input ({depth.value}) is not a multiple of input depth "
                             f"of filter ({fdepth.value})")
        if groups != 1 or (depth.value is not None and depth.value != fdepth.value):
            raise UnimplementedError(None, None, "Grouped/Depthwise Convolutions are not "
                                     "supported yet.")
        for what, seq in (("strides", strides), ("dilation rates", dilations)):
            if seq[0] != 1 or seq[-1] != 1:
                raise InvalidArgumentError(None, None, f"Current implementation does not "
                                           f"support {what} in the batch and depth dimensions.")
        x = input
        if batch_dims != 1:  # fold the batch dimensions into one
            shape = array_ops.shape(x)
            x = array_ops.reshape(x, concat([[-1], shape[batch_dims:]], 0))
        if padding == "EXPLICIT":
            if len(explicit_paddings) != 2 * rank:
                raise ValueError(f"explicit_paddings attribute must contain {2 * rank} values, "
                                 f"but got: {len(explicit_paddings)}")
            pairs = [list(explicit_paddings[k:k + 2]) for k in range(0, 2 * rank, 2)]
            x = pad(x, pairs)
            padding = "VALID"
        y = convolution(x, filter, padding=padding, strides=list(strides[1:-1]),
                        dilations=list(dilations[1:-1]),
                        data_format="NHWC" if rank == 4 else "NDHWC")
        if batch_dims != 1:
            y = array_ops.reshape(y, concat([shape[:batch_dims], array_ops.shape(y)[1:]], 0))
        return array_ops.identity(y, name=scope)


class ClusterSpec:
    """``tf.train.ClusterSpec``: job name -> task index -> "host:port", built from a dict (of
    lists, or of {index: address} dicts for sparse jobs), another ClusterSpec, or TensorFlow's
    own ClusterDef message. Pure bookkeeping: minitf runs no cluster. ``as_cluster_def()`` is
    a ``minitf.protos.cluster_pb2.ClusterDef`` built as TF builds it (jobs and tasks sorted), so
    its bytes are TF's; a ClusterDef given to the constructor is kept and returned as it is
    (TensorFlow's own ClusterDef is converted through its wire bytes)."""

    def __init__(self, cluster):
        if isinstance(cluster, dict):
            spec = {}
            for job_name, tasks in cluster.items():
                if isinstance(tasks, (list, tuple)):
                    spec[job_name] = dict(enumerate(tasks))
                elif isinstance(tasks, dict):
                    spec[job_name] = {int(i): t for i, t in tasks.items()}
                else:
                    raise TypeError(f"The tasks for job {job_name!r} must be a list or a "
                                    "dictionary from integers to strings.")
            for job_name, tasks in spec.items():
                if not isinstance(job_name, (str, bytes)):
                    raise TypeError(f"Job name {job_name!r} must be bytes or unicode")
                for address in tasks.values():
                    if not isinstance(address, (str, bytes)):
                        raise TypeError(f"Task address {address!r} must be bytes or unicode")
            self._cluster_spec = spec
            self._cluster_def = None  # built on first use: core imports the protos lazily
        elif isinstance(cluster, ClusterSpec):  # as TF: a copy of its ClusterDef, jobs sorted
            self._cluster_def = _cluster_pb2().ClusterDef()
            self._cluster_def.MergeFrom(cluster.as_cluster_def())
            self._cluster_spec = _spec_of(self._cluster_def)
        elif type(cluster).__name__ == "ClusterDef" and hasattr(cluster, "job"):
            own = _cluster_pb2().ClusterDef
            # Ours is kept as given (TF keeps its own); TensorFlow's travels by its wire bytes.
            self._cluster_def = (cluster if isinstance(cluster, own)
                                 else own.FromString(cluster.SerializeToString()))
            self._cluster_spec = _spec_of(self._cluster_def)
        else:
            raise TypeError("`cluster` must be a dictionary mapping one or more job names to "
                            "lists of network addresses, or a `ClusterDef` protocol buffer")

    def __bool__(self):
        return bool(self._cluster_spec)

    def __eq__(self, other):
        return self._cluster_spec == other

    def __ne__(self, other):
        return self._cluster_spec != other

    __hash__ = None  # mutable-looking and compared by value, as TF's (which defines __eq__)

    def __repr__(self):
        d = self.as_dict()
        return "ClusterSpec({" + ", ".join(f"{k!r}: {d[k]!r}" for k in sorted(d)) + "})"

    def _job(self, job_name):
        try:
            return self._cluster_spec[job_name]
        except KeyError:
            raise ValueError(f"No such job in cluster: {job_name!r}") from None

    def as_dict(self) -> dict:
        """{job: [addresses]} for dense jobs, {job: {index: address}} for sparse ones."""
        out = {}
        for job in self.jobs:
            indices = self.task_indices(job)
            if not indices:
                out[job] = {}
            elif max(indices) + 1 == len(indices):
                out[job] = self.job_tasks(job)
            else:
                out[job] = {i: self.task_address(job, i) for i in indices}
        return out

    @property
    def jobs(self) -> list:
        """The job names, in the order given."""
        return list(self._cluster_spec)

    def num_tasks(self, job_name) -> int:
        return len(self._job(job_name))

    def task_indices(self, job_name) -> list:
        return sorted(self._job(job_name))

    def task_address(self, job_name, task_index):
        job = self._job(job_name)
        try:
            return job[task_index]
        except KeyError:
            raise ValueError(f"No task with index {task_index!r} in job {job_name!r}") from None

    def as_cluster_def(self):
        """The ``ClusterDef`` message (``repeated JobDef job = 1``, JobDef ``name = 1`` and
        ``map<int32, string> tasks = 2``): jobs and tasks sorted, as TF builds it."""
        if self._cluster_def is None:
            cluster_def = _cluster_pb2().ClusterDef()
            for name, tasks in sorted(self._cluster_spec.items()):
                job = cluster_def.job.add(name=name)
                for index, address in sorted(tasks.items()):
                    job.tasks[index] = address
            self._cluster_def = cluster_def
        return self._cluster_def

    def job_tasks(self, job_name) -> list:
        """Addresses by task index, None where a sparse job has no task."""
        job = self._job(job_name)
        out = [None] * (max(job) + 1)
        for i, address in job.items():
            out[i] = address
        return out


def _cluster_pb2():
    import importlib

    return importlib.import_module("minitf.protos.cluster_pb2")  # core: lazily (DESIGN)


def _spec_of(cluster_def) -> dict:
    return {job.name: dict(job.tasks.items()) for job in cluster_def.job}
