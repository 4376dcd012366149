"""TF 1.x optimizers: compute_gradients / apply_gradients / minimize with slot variables.

Updates are TensorFlow's Apply* ops (core/ops/training_ops.py), so one training step is one
``sess.run(train_op, feed_dict)`` and the variables are updated in place. Slot variables are
named as TensorFlow names them (``w/Adam``, ``w/Adam_1``, ``beta1_power``).
"""

from __future__ import annotations

from .. import dtypes as _dt
from .. import init_ops, nest
from ..gradients import gradients
from ..graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from ..indexed_slices import IndexedSlices
from ..ops import array_ops, state_ops, training_ops
from ..partitioned_variables import SaveSliceInfo
from ..tensor_shape import as_shape
from ..variables import (Variable, call_initializer, get_variable, get_variable_scope,
                         trainable_variables, variable_scope)


class Optimizer:
    """Base class, with TF1's protected API for subclasses: ``_create_slots``, ``_prepare``,
    ``_apply_dense``, ``_apply_sparse``, ``_finish``, and the slot and non-slot helpers
    (``_zeros_slot``, ``_get_or_make_slot``, ``_create_non_slot_variable``, ...)."""

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking: bool, name: str):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict[str, dict[Variable, Variable]] = {}
        # Keyed (name, graph) as TF keys them: one optimizer may serve several graphs.
        self._non_slot_dict: dict[tuple, Variable] = {}

    def get_name(self) -> str:
        return self._name

    # -- the TF1 API ----------------------------------------------------------------------------
    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """[(gradient, variable)] for ``var_list`` (default: the trainable variables)."""
        if callable(loss):
            raise NotImplementedError("loss must be a Tensor (eager callables are TF2)")
        loss = convert_to_tensor(loss)
        self._assert_valid_dtypes([loss])
        if var_list is None:
            var_list = trainable_variables()
            if not var_list:
                var_list = loss.graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        var_list = nest.flatten(var_list)  # TF1's: one variable, a dict, nested lists
        for v in var_list:
            _check_target(v)
        if not var_list:
            raise ValueError("No variables to optimize.")
        if gate_gradients not in (self.GATE_NONE, self.GATE_OP, self.GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, "
                             f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not {gate_gradients}")
        grads = gradients(loss, var_list, grad_ys=grad_loss,
                          gate_gradients=gate_gradients == self.GATE_OP,
                          aggregation_method=aggregation_method,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == self.GATE_GRAPH:  # every gradient waits for all of them
            grads = array_ops.tuple_(grads)
        pairs = list(zip(grads, var_list))
        self._assert_valid_dtypes([v for g, v in pairs if g is not None])
        return pairs

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """One op applying the gradients (and incrementing ``global_step`` if given). Calls the
        hooks in TF1's order: ``_create_slots`` (outside any control dependency), then in the
        ``name`` scope ``_prepare``, one ``_apply_dense``/``_apply_sparse`` per variable (in an
        ``update_<var>`` scope) and ``_finish``. As TF1 places them: each variable's update ops
        are colocated with the variable, the global step's increment with the global step (so
        under a replica_device_setter they run on the parameter server holding it)."""
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        pairs = []
        for g, v in grads_and_vars:
            _check_target(v)
            if g is not None:
                if not isinstance(v, Variable):  # TF1's _TensorProcessor.update_op
                    raise NotImplementedError("Trying to update a Tensor ", v)
                if not isinstance(g, IndexedSlices):
                    g = convert_to_tensor(g)
                if g.dtype != v.dtype:
                    raise TypeError(f"Gradient for {v.name} has dtype {g.dtype.name}, variable "
                                    f"has {v.dtype.name}")
                pairs.append((g, v))
        if not pairs:
            raise ValueError("No gradients provided for any variable: "
                             f"{[str(v) for _, v in grads_and_vars]}.")
        # Under a tf.distribute strategy: TF1's merge_call path (distribute imports train).
        from ..distribute.optimizer_v1 import apply_in_strategy
        applied = apply_in_strategy(self, pairs, global_step, name)
        if applied is not None:
            return applied
        graph = pairs[0][1].graph
        with graph.as_default():
            with graph.control_dependencies(None):
                self._create_slots([v for _, v in pairs])
            with graph.name_scope(name or self._name) as scope:
                self._prepare()
                updates = []
                for g, v in pairs:
                    with graph.name_scope("update_" + v.op.name), graph.colocate_with(v):
                        updates.append(self._update(g, v, graph))
                if global_step is None:
                    apply_op = self._finish(updates, scope)
                else:
                    with graph.control_dependencies([self._finish(updates, "update")]), \
                            graph.colocate_with(global_step):
                        apply_op = state_ops.assign_add(global_step, 1, name=scope).op
            if isinstance(apply_op, Tensor):
                apply_op = apply_op.op
            if apply_op not in graph.get_collection(GraphKeys.TRAIN_OP):
                graph.add_to_collection(GraphKeys.TRAIN_OP, apply_op)
            return apply_op

    def _resource_only(self) -> bool:
        """An optimizer written for resource variables only: minitf's variables stand in for
        the handles (their assign/scatter methods work; resource ops do not exist here)."""
        return self._overrides("_resource_apply_dense") and not self._overrides("_apply_dense")

    def _update(self, grad, var, graph):
        resource_only = self._resource_only()
        if isinstance(grad, IndexedSlices):
            if var.constraint is not None:
                raise RuntimeError("Cannot use a constraint function on a sparse variable.")
            if resource_only and self._overrides("_resource_apply_sparse"):
                return self._resource_apply_sparse_duplicate_indices(grad.values, var,
                                                                     grad.indices)
            return self._apply_sparse_duplicate_indices(grad, var)
        update = (self._resource_apply_dense if resource_only else self._apply_dense)(grad, var)
        if var.constraint is None:
            return update
        with graph.control_dependencies([update]):  # TF1: project after the update
            return var.assign(var.constraint(var))

    def _overrides(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(Optimizer, method)

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                "support gradients, between variables "
                f"{[str(v) for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def _distributed_apply(self, distribution, grads_and_vars, global_step=None, name=None):
        """TF1's apply_gradients for a cross-replica context (a merge_call function)."""
        from ..distribute.optimizer_v1 import distributed_apply
        return distributed_apply(distribution, self, grads_and_vars, global_step, name)

    def _valid_dtypes(self):
        return {_dt.float16, _dt.float32, _dt.float64}

    def _assert_valid_dtypes(self, tensors):
        valid = self._valid_dtypes()
        for t in tensors:
            if t.dtype not in valid:
                raise ValueError(f"Invalid type {t.dtype!r} for {t.name}, expected: "
                                 f"{sorted(valid, key=lambda d: d.name)}.")

    @staticmethod
    def _call_if_callable(param):
        return param() if callable(param) else param

    # -- slots ----------------------------------------------------------------------------------
    def get_slot_names(self) -> list:
        return sorted(self._slots)

    def get_slot(self, var, name):
        return self._slots.get(name, {}).get(var)

    def variables(self) -> list:
        """The optimizer's variables (slots and non-slot ones) in the current default graph,
        sorted by name as TF1's."""
        graph = get_default_graph()
        out = [v for v in self._non_slot_dict.values() if v.graph is graph]
        for slots in self._slots.values():
            out.extend(v for v in slots.values() if v.graph is graph)
        return sorted(out, key=lambda v: v.name)

    def _slot_dict(self, slot_name) -> dict:
        return self._slots.setdefault(slot_name, {})

    def _make_slot(self, var: Variable, slot_name: str, init_value, op_name):
        """A slot variable made as TF1's slot_creator makes it: by ``get_variable`` in a new
        variable scope ``<var>/<op_name>`` (``_1``, ``_2``... if taken) inside the current one
        (``scope/scope/w/Adam``), so that scope's reuse, custom getter and regularizer apply
        (under reuse=True there is no slot to reuse: ValueError, as in TF1), without its
        partitioner; colocated with ``var`` (same device, ``_class`` ``loc:@var``; the device
        scopes around do not apply). ``init_value``: a Tensor or a function."""
        slots = self._slot_dict(slot_name)
        if var not in slots:
            graph = var.graph
            shape = (init_value if isinstance(init_value, Tensor) else var).shape
            with graph.as_default(), graph.name_scope(None), graph.colocate_with(var), \
                    variable_scope(None, default_name=f"{var.op.name}/{op_name or self._name}"):
                get_variable_scope().set_partitioner(None)
                slots[var] = slot = get_variable(
                    "", initializer=init_value, trainable=False,
                    use_resource=getattr(var, "_resource", None),
                    validate_shape=shape.is_fully_defined())
            _slice_like(slot, var)
        return slots[var]

    def _get_or_make_slot(self, var, val, slot_name, op_name):
        """The slot ``slot_name`` of ``var``, made from the value ``val`` (a Tensor) if new."""
        return self._make_slot(var, slot_name, val, op_name)

    def _get_or_make_slot_with_initializer(self, var, initializer, shape, dtype, slot_name,
                                           op_name):
        """The slot ``slot_name`` of ``var``, made by ``initializer(shape, dtype)`` if new
        (``initializer`` may also be a Tensor, as TF1 accepts)."""
        if isinstance(initializer, Tensor):
            return self._make_slot(var, slot_name, initializer, op_name)
        dims, dtype = as_shape(shape).as_list(), _dt.as_dtype(dtype)
        return self._make_slot(var, slot_name, lambda: call_initializer(
            initializer, dims, dtype), op_name)

    def _zeros_slot(self, var, slot_name, op_name=None):
        shape, dtype = var.shape.as_list(), var.dtype
        return self._make_slot(var, slot_name,
                               lambda: array_ops.zeros(shape, dtype=dtype), op_name)

    def _create_non_slot_variable(self, initial_value, name, colocate_with):
        """A variable of the optimizer's own (Adam's ``beta1_power``), made once per graph in
        ``colocate_with``'s graph and the current name scope, colocated with ``colocate_with``
        (Adam's accumulators sit with the first variable by name), as in TF1. Its dtype is the
        value's (float32 for a Python float)."""
        graph = colocate_with.graph
        key = (name, graph)
        if key not in self._non_slot_dict:
            with graph.as_default(), graph.colocate_with(colocate_with):
                self._non_slot_dict[key] = Variable(initial_value, trainable=False, name=name)
        return self._non_slot_dict[key]

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot_dict.get((name, graph))

    def _non_slot_variables(self):
        return self._non_slot_dict.values()

    # -- hooks for subclasses ---------------------------------------------------------------
    def _create_slots(self, var_list):
        pass

    def _prepare(self):
        pass

    def _apply_dense(self, grad, var):
        raise NotImplementedError()

    def _apply_sparse(self, grad, var):
        """Gets the gradient with repeated indices summed (TF1's hook). A subclass without
        one gets the dense update instead (see _apply_sparse_duplicate_indices)."""
        raise NotImplementedError()

    def _resource_apply_dense(self, grad, handle):
        raise NotImplementedError()

    def _resource_apply_sparse(self, grad, handle, indices):
        raise NotImplementedError()

    def _resource_apply_sparse_duplicate_indices(self, grad, handle, indices):
        values, unique = _deduplicate(grad, indices)
        return self._resource_apply_sparse(values, handle, unique)

    def _apply_sparse_duplicate_indices(self, grad, var):
        """A sparse gradient (IndexedSlices): repeated indices summed, then _apply_sparse.
        Without a sparse kernel, the dense update: for GradientDescent, Adam and Adagrad,
        TF1's sparse updates give the same numbers (a row without a gradient changes exactly
        as a zero gradient changes it)."""
        values, unique = _deduplicate(grad.values, grad.indices)
        if self._overrides("_apply_sparse"):
            return self._apply_sparse(IndexedSlices(values, unique, grad.dense_shape), var)
        # A hand-built one without dense_shape: the variable's shape, as TF1 uses.
        shape = array_ops.shape(var) if grad.dense_shape is None else grad.dense_shape
        dense = self._resource_apply_dense if self._resource_only() else self._apply_dense
        # Densifying drops a negative index (UnsortedSegmentSum) where TF1's sparse updates
        # (ScatterAdd of the deduplicated indices) fail: a gather of those rows fails first,
        # with the same message ("indices[0] = -1 is not in [0, 4)"), before any update.
        from ..ops import gather_ops

        with var.graph.control_dependencies([gather_ops.gather(var, unique)]):
            return dense(convert_to_tensor(IndexedSlices(values, unique, shape)), var)

    def _finish(self, update_ops, name_scope):
        return array_ops.group(*update_ops, name=name_scope)


def _check_target(v):
    """As TF1's _get_processor: a Variable, or a Tensor (its gradient is computed; updating it
    is NotImplementedError); anything else fails as there."""
    if isinstance(v, (Variable, Tensor)):
        return
    if not hasattr(v, "op"):  # TF1 reads v.op first: a set, a generator, a string
        raise AttributeError(f"'{type(v).__name__}' object has no attribute 'op'")
    raise NotImplementedError("Trying to optimize unsupported type ", v)


def _deduplicate(values, indices):
    """(values summed per distinct index, the distinct indices): TF1's
    _deduplicate_indexed_slices."""
    from ..ops import gather_ops

    unique, positions = gather_ops.unique(indices)
    summed = gather_ops.unsorted_segment_sum(values, positions, array_ops.shape(unique)[0])
    return summed, unique


class GradientDescentOptimizer(Optimizer):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._learning_rate_tensor = None

    def _prepare(self):
        self._learning_rate_tensor = convert_to_tensor(
            self._call_if_callable(self._learning_rate), name="learning_rate")

    def _apply_dense(self, grad, var):
        return training_ops.APPLY_GRADIENT_DESCENT(
            var, _cast_to(self._learning_rate_tensor, var.dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse_duplicate_indices(self, grad, var):
        # TF1: ScatterSub of the scaled rows; repeated indices subtract in turn (same sum).
        delta = IndexedSlices(grad.values * _cast_to(self._learning_rate_tensor, var.dtype),
                              grad.indices, grad.dense_shape)
        return var.scatter_sub(delta, use_locking=self._use_locking)


class MomentumOptimizer(Optimizer):
    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = convert_to_tensor(
            self._call_if_callable(self._learning_rate), name="learning_rate")
        self._momentum_tensor = convert_to_tensor(self._call_if_callable(self._momentum),
                                                  name="momentum")

    def _apply_dense(self, grad, var):
        return self._update_momentum(training_ops.APPLY_MOMENTUM, var, (grad,))

    def _apply_sparse(self, grad, var):
        # Only the rows with a gradient: their accumulators decay, the others' do not (TF1).
        return self._update_momentum(training_ops.SPARSE_APPLY_MOMENTUM, var,
                                     (grad.values, grad.indices))

    def _update_momentum(self, kernel, var, grad_args):
        dt = var.dtype
        return kernel(var, self.get_slot(var, "momentum"),
                      _cast_to(self._learning_rate_tensor, dt), *grad_args,
                      _cast_to(self._momentum_tensor, dt),
                      use_locking=self._use_locking, use_nesterov=self._use_nesterov).op


class AdamOptimizer(Optimizer):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon
        self._lr_t = self._beta1_t = self._beta2_t = self._epsilon_t = None

    def _get_beta_accumulators(self):
        graph = get_default_graph()
        return (self._get_non_slot_variable("beta1_power", graph=graph),
                self._get_non_slot_variable("beta2_power", graph=graph))

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.name)
        self._create_non_slot_variable(self._beta1, "beta1_power", first)
        self._create_non_slot_variable(self._beta2, "beta2_power", first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _prepare(self):
        call = self._call_if_callable
        self._lr_t = convert_to_tensor(call(self._lr), name="learning_rate")
        self._beta1_t = convert_to_tensor(call(self._beta1), name="beta1")
        self._beta2_t = convert_to_tensor(call(self._beta2), name="beta2")
        self._epsilon_t = convert_to_tensor(call(self._epsilon), name="epsilon")

    def _apply_dense(self, grad, var):
        dt = var.dtype
        b1p, b2p = self._get_beta_accumulators()
        return training_ops.APPLY_ADAM(
            var, self.get_slot(var, "m"), self.get_slot(var, "v"),
            _cast_to(b1p.value(), dt), _cast_to(b2p.value(), dt), _cast_to(self._lr_t, dt),
            _cast_to(self._beta1_t, dt), _cast_to(self._beta2_t, dt),
            _cast_to(self._epsilon_t, dt), grad, use_locking=self._use_locking).op

    def _finish(self, update_ops, name_scope):
        graph = get_default_graph()
        b1p, b2p = self._get_beta_accumulators()
        # TF1: the accumulators' updates run where the accumulators are.
        with graph.control_dependencies(update_ops), graph.colocate_with(b1p):
            up1 = b1p.assign(b1p.value() * _cast_to(self._beta1_t, b1p.dtype),
                             use_locking=self._use_locking)
            up2 = b2p.assign(b2p.value() * _cast_to(self._beta2_t, b2p.dtype),
                             use_locking=self._use_locking)
        return array_ops.group(*update_ops, up1, up2, name=name_scope)


class RMSPropOptimizer(Optimizer):
    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False,
                 centered=False, name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate, self._decay, self._momentum = learning_rate, decay, momentum
        self._epsilon, self._centered = epsilon, centered
        self._learning_rate_tensor = self._decay_tensor = None
        self._momentum_tensor = self._epsilon_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            # TF1 starts the mean square at one, so the first steps are not huge.
            self._get_or_make_slot_with_initializer(
                v, init_ops.ones_initializer(dtype=v.dtype), v.shape, v.dtype, "rms",
                self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        call = self._call_if_callable
        self._learning_rate_tensor = convert_to_tensor(call(self._learning_rate),
                                                       name="learning_rate")
        self._decay_tensor = convert_to_tensor(call(self._decay), name="decay")
        self._momentum_tensor = convert_to_tensor(call(self._momentum), name="momentum")
        self._epsilon_tensor = convert_to_tensor(call(self._epsilon), name="epsilon")

    def _apply_dense(self, grad, var):
        return self._update_rms(var, (grad,), sparse=False)

    def _apply_sparse(self, grad, var):
        # Only the rows with a gradient: their mean squares decay, the others' do not (TF1).
        return self._update_rms(var, (grad.values, grad.indices), sparse=True)

    def _update_rms(self, var, grad_args, sparse):
        dt = var.dtype
        hyper = [_cast_to(t, dt) for t in (self._learning_rate_tensor, self._decay_tensor,
                                           self._momentum_tensor, self._epsilon_tensor)]
        slots = ([self.get_slot(var, "mg")] if self._centered else []) + [
            self.get_slot(var, "rms"), self.get_slot(var, "momentum")]
        kernel = {(False, False): training_ops.APPLY_RMS_PROP,
                  (True, False): training_ops.APPLY_CENTERED_RMS_PROP,
                  (False, True): training_ops.SPARSE_APPLY_RMS_PROP,
                  (True, True): training_ops.SPARSE_APPLY_CENTERED_RMS_PROP}[
            (self._centered, sparse)]
        return kernel(var, *slots, *hyper, *grad_args, use_locking=self._use_locking).op


class AdadeltaOptimizer(Optimizer):
    """TF1's Adadelta: slots ``accum`` and ``accum_update`` (``w/Adadelta``, ``w/Adadelta_1``);
    with a sparse gradient only its rows move (SparseApplyAdadelta)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False,
                 name="Adadelta"):
        super().__init__(use_locking, name)
        self._lr, self._rho, self._epsilon = learning_rate, rho, epsilon
        self._lr_t = self._rho_t = self._epsilon_t = None

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self):
        call = self._call_if_callable
        self._lr_t = convert_to_tensor(call(self._lr), name="lr")
        self._rho_t = convert_to_tensor(call(self._rho), name="rho")
        self._epsilon_t = convert_to_tensor(call(self._epsilon), name="epsilon")

    def _apply_dense(self, grad, var):
        return self._update_adadelta(training_ops.APPLY_ADADELTA, var, (grad,))

    def _apply_sparse(self, grad, var):
        return self._update_adadelta(training_ops.SPARSE_APPLY_ADADELTA, var,
                                     (grad.values, grad.indices))

    def _update_adadelta(self, kernel, var, grad_args):
        dt = var.dtype
        return kernel(var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
                      _cast_to(self._lr_t, dt), _cast_to(self._rho_t, dt),
                      _cast_to(self._epsilon_t, dt), *grad_args,
                      use_locking=self._use_locking).op


class AdagradOptimizer(Optimizer):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._learning_rate_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            init = init_ops.constant_initializer(self._initial_accumulator_value, dtype=v.dtype)
            self._get_or_make_slot_with_initializer(v, init, v.shape, v.dtype, "accumulator",
                                                    self._name)

    def _prepare(self):
        self._learning_rate_tensor = convert_to_tensor(
            self._call_if_callable(self._learning_rate), name="learning_rate")

    def _apply_dense(self, grad, var):
        return training_ops.APPLY_ADAGRAD(
            var, self.get_slot(var, "accumulator"),
            _cast_to(self._learning_rate_tensor, var.dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.SPARSE_APPLY_ADAGRAD(
            var, self.get_slot(var, "accumulator"),
            _cast_to(self._learning_rate_tensor, var.dtype), grad.values, grad.indices,
            use_locking=self._use_locking).op


def _slice_like(slot, var):
    """As TF's slot_creator: the slot of a partitioned variable's part (``w/part_0/Adam``) is
    the same part of the slot's whole tensor (``w/Adam``), so a Saver saves it in slices too.
    A scalar slot is saved whole. The slot's own name is cut by the length of the variable's
    name, whatever its prefix, as TF's: a slot made in a scope that repeats the variable's
    (the canned estimators' 'dnn/dnn/.../part_0/Adagrad') keeps part of it
    ('dnn/hiddenlayer_0/kernel/t_0/Adagrad'), which TF1's checkpoints hold."""
    info = var._save_slice_info
    rank = slot.shape.rank
    if info is None or rank == 0:
        return
    real = slot.op.name[len(var.op.name) + 1:]
    slot._save_slice_info = SaveSliceInfo(f"{info.full_name}/{real}", info.full_shape[:rank],
                                          info.var_offset[:rank], info.var_shape[:rank])


def _cast_to(t: Tensor, dtype: _dt.DType) -> Tensor:
    if t.dtype == dtype:
        return t
    from ..ops.math_ops import cast

    return cast(t, dtype)
