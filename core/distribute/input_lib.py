"""Input for strategies (TF 1.15's input_lib, for one replica): distributed datasets and their
iterators (an iterator built on the worker's host device; ``get_next()`` gives the replica's
element, ``initialize()`` the op to run first), input-function iterators, and the
``MultiStepContext`` loop of ``experimental_run_steps_on_iterator``."""

from __future__ import annotations

from ..graph import control_dependencies, get_default_graph
from ..nest import flatten, pack_sequence_as
from ..ops.constant_ops import constant, group
from . import context as ctx_lib

__all__ = ["DefaultInputIterator", "DistributedDataset", "DistributedIterator",
           "InputFunctionIterator", "MultiStepContext"]


def _is_dataset(x) -> bool:
    from ..data import Dataset

    return isinstance(x, Dataset)


class DefaultInputIterator:
    """The default strategy's iterator: an initializable iterator over the dataset."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._iterator = dataset.make_initializable_iterator()

    def get_next(self):
        return self._iterator.get_next()

    def initialize(self):
        return [self._iterator.initializer]


class _SingleWorkerCallableIterator:
    """An input function returned a callable: each get_next() calls it."""

    def __init__(self, fn, worker):
        self._fn, self._worker = fn, worker

    def get_next(self, name=None):
        with get_default_graph().device(self._worker):
            return self._fn()

    def initialize(self):
        return []


class DistributedIterator:
    """Iterator over a distributed dataset (TF's DistributedIteratorV1)."""

    def __init__(self, dataset_or_fn, worker):
        self._worker = worker
        if _is_dataset(dataset_or_fn):
            with get_default_graph().device(worker):
                self._iterator = dataset_or_fn.make_initializable_iterator()
        elif callable(dataset_or_fn):
            self._iterator = _SingleWorkerCallableIterator(dataset_or_fn, worker)
        else:
            raise ValueError("input_fn must return a tf.data.Dataset or a callable.")

    def get_next(self, name=None):
        """The next input of the (one) replica, made on the worker's host device."""
        with get_default_graph().device(self._worker):
            if isinstance(self._iterator, _SingleWorkerCallableIterator):
                return self._iterator.get_next()
            return self._iterator.get_next(name=name)

    def initialize(self):
        """The op initializing the underlying iterator (run it before get_next's values)."""
        inits = self._iterator.initialize() if isinstance(
            self._iterator, _SingleWorkerCallableIterator) else [self._iterator.initializer]
        return group(*inits)

    initializer = property(initialize)
    output_types = property(lambda self: self._iterator.output_types)
    output_shapes = property(lambda self: self._iterator.output_shapes)
    output_classes = property(lambda self: self._iterator.output_classes)


class InputFunctionIterator(DistributedIterator):
    """An iterator over what ``input_fn(input_context)`` returns, called on the worker."""

    def __init__(self, input_fn, worker, input_context):
        with get_default_graph().device(worker):
            result = input_fn(input_context)
        super().__init__(result, worker)


class DistributedDataset:
    """What ``experimental_distribute_dataset`` returns in graph mode: make an initializable
    iterator from it (one replica: each element goes to that replica unsplit)."""

    def __init__(self, dataset, worker):
        if not _is_dataset(dataset):
            raise TypeError(f"Expected a tf.data.Dataset, got {type(dataset).__name__}")
        self._dataset, self._worker = dataset, worker

    def make_initializable_iterator(self):
        return DistributedIterator(self._dataset, self._worker)

    def make_one_shot_iterator(self):
        raise ValueError("Cannot create a one shot iterator. Please use "
                         "`make_initializable_iterator()` instead.")

    def __iter__(self):
        raise RuntimeError("__iter__() is only supported inside of tf.function or when eager "
                           "execution is enabled.")


# -- experimental_run_steps_on_iterator ---------------------------------------------------------
class MultiStepContext:
    """Passed to the step function of ``experimental_run_steps_on_iterator``: it records the
    outputs of the last step (``set_last_step_output``) and non-tensor outputs."""

    def __init__(self):
        self._last_step_outputs = {}
        self._last_step_outputs_reduce_ops = {}
        self._non_tensor_outputs = {}
        self.run_op = None

    last_step_outputs = property(lambda self: self._last_step_outputs)
    non_tensor_outputs = property(lambda self: self._non_tensor_outputs)

    def _set_last_step_outputs(self, outputs):
        if not isinstance(outputs, dict):
            raise ValueError("Need a dictionary to set last_step_outputs.")
        self._last_step_outputs = outputs

    def set_last_step_output(self, name, output, reduce_op=None):
        """Records ``output`` (reduced across replicas with ``reduce_op`` if given; in a
        replica context ``reduce_op`` is required)."""
        if ctx_lib.in_cross_replica_context():
            self._last_step_outputs_reduce_ops[name] = reduce_op
            self._last_step_outputs[name] = output if reduce_op is None else \
                ctx_lib.get_strategy().reduce(reduce_op, output, axis=None)
            return
        if reduce_op is None:
            raise ValueError("set_last_step_output in a replica context needs a reduce_op")

        def merge_fn(distribution, value):
            self._last_step_outputs[name] = distribution.reduce(reduce_op, value, axis=None)
            self._last_step_outputs_reduce_ops[name] = reduce_op

        ctx_lib.get_replica_context().merge_call(merge_fn, args=(output,))

    def set_non_tensor_output(self, name, output):
        if ctx_lib.in_cross_replica_context():
            self._non_tensor_outputs[name] = output
            return

        def merge_fn(distribution, value):
            self._non_tensor_outputs[name] = distribution.experimental_local_results(value)

        ctx_lib.get_replica_context().merge_call(merge_fn, args=(output,))


def run_steps_on_iterator(extended, fn, iterator, iterations, initial_loop_values):
    """A while loop running ``fn(ctx, iterator.get_next())`` ``iterations`` times; returns the
    context with ``run_op`` and the last step's outputs."""
    from ..control_flow_while import while_loop

    initial = flatten(initial_loop_values if initial_loop_values is not None else {})
    ctx = MultiStepContext()

    def body(i, *args):
        fn_result = fn(ctx, iterator.get_next())
        with control_dependencies([fn_result]):
            return [i + 1] + flatten(ctx.last_step_outputs)

    if isinstance(iterations, int) and iterations == 1:
        # One step needs no loop (same values); it also lets the step differentiate with
        # respect to variables, which minitf cannot do inside a while loop's body.
        loop = body(constant(0), *initial)
    else:
        loop = while_loop(lambda i, *args: i < iterations, body, [constant(0)] + initial,
                          parallel_iterations=1, back_prop=False, return_same_structure=True)
    ctx.run_op = group(loop)
    ctx._set_last_step_outputs(pack_sequence_as(ctx.last_step_outputs, list(loop[1:])))
    return ctx
