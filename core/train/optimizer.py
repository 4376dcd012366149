"""TF 1.x optimizers: compute_gradients / apply_gradients / minimize with slot variables.

Updates are TensorFlow's Apply* ops (core/ops/training_ops.py), so one training step is one
``sess.run(train_op, feed_dict)`` and the variables are updated in place. Slot variables are
named as TensorFlow names them (``w/Adam``, ``w/Adam_1``, ``beta1_power``).
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..gradients import gradients
from ..graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from ..indexed_slices import IndexedSlices
from ..ops import array_ops, state_ops, training_ops
from ..variables import Variable, get_variable_scope, trainable_variables


class Optimizer:
    """Base class: subclasses declare slots and one dense update per variable."""

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking: bool, name: str):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict[str, dict[Variable, Variable]] = {}
        self._non_slot: dict[str, Variable] = {}

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
        if var_list is None:
            var_list = trainable_variables()
            if not var_list:
                var_list = loss.graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not isinstance(v, Variable):
                raise TypeError(f"Argument is not a tf.Variable: {v!r}")
        grads = gradients(loss, var_list, grad_ys=grad_loss)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """One op applying the gradients (and incrementing ``global_step`` if given)."""
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        pairs = []
        for g, v in grads_and_vars:
            if not isinstance(v, Variable):
                raise TypeError(f"Variable must be a tf.Variable: {v!r}")
            if g is not None:
                if not isinstance(g, IndexedSlices):
                    g = convert_to_tensor(g)
                if g.dtype != v.dtype:
                    raise TypeError(f"Gradient for {v.name} has dtype {g.dtype.name}, variable "
                                    f"has {v.dtype.name}")
                pairs.append((g, v))
        if not pairs:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                "support gradients, between variables "
                f"{[v.name for _, v in grads_and_vars]} and loss.")
        graph = pairs[0][1].graph
        with graph.as_default():
            with graph.control_dependencies(None):
                self._create_slots([v for _, v in pairs])
            with graph.name_scope(name or self._name) as scope:
                self._prepare()
                updates = []
                for g, v in pairs:
                    with graph.name_scope("update_" + v.op.name):
                        updates.append(self._update(g, v, graph))
                if global_step is None:
                    apply_op = self._finish(updates, scope)
                else:
                    with graph.control_dependencies([self._finish(updates, "update")]):
                        apply_op = state_ops.assign_add(global_step, 1, name=scope).op
            graph.add_to_collection(GraphKeys.TRAIN_OP, apply_op)
            return apply_op

    def _update(self, grad, var, graph):
        if isinstance(grad, IndexedSlices):
            if var.constraint is not None:
                raise RuntimeError("Cannot use a constraint function on a sparse variable.")
            return self._apply_sparse_duplicate_indices(grad, var)
        update = self._apply_dense(grad, var)
        if var.constraint is None:
            return update
        with graph.control_dependencies([update]):  # TF1: project after the update
            return var.assign(var.constraint(var))

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        grads_and_vars = self.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                "support gradients, between variables "
                f"{[v.name for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    # -- slots ----------------------------------------------------------------------------------
    def get_slot_names(self) -> list:
        return sorted(self._slots)

    def get_slot(self, var, name):
        return self._slots.get(name, {}).get(var)

    def variables(self) -> list:
        """The optimizer's variables (slots and non-slot ones), sorted by name as TF1's."""
        out = list(self._non_slot.values())
        for slots in self._slots.values():
            out.extend(slots.values())
        return sorted(out, key=lambda v: v.name)

    def _slot(self, var: Variable, slot_name: str, init_value, op_name=None):
        """A slot variable named ``<var>/<optimizer name>`` (``_1``, ``_2``... if taken), under
        the variable scope the optimizer runs in, as TF1 names it (``scope/scope/w/Adam``)."""
        slots = self._slots.setdefault(slot_name, {})
        if var not in slots:
            graph = var.graph
            scope = get_variable_scope().name
            name = f"{var.op.name}/{op_name or self._name}"
            with graph.name_scope(None):
                slots[var] = Variable(init_value, trainable=False,
                                      name=f"{scope}/{name}" if scope else name)
        return slots[var]

    def _zeros_slot(self, var, slot_name, op_name=None):
        shape = var.shape.as_list()
        return self._slot(var, slot_name,
                          lambda: array_ops.zeros(shape, dtype=var.dtype), op_name)

    def _non_slot_variable(self, name, value, like: Variable):
        """A variable of the optimizer's own (Adam's ``beta1_power``), in ``like``'s graph and
        the current name scope, as in TF1. Its dtype is the value's, as in TF1 (float32 for a
        Python float); updates cast it."""
        if name not in self._non_slot:
            with like.graph.as_default():
                self._non_slot[name] = Variable(value, trainable=False, name=name)
        return self._non_slot[name]

    # -- hooks for subclasses ---------------------------------------------------------------
    def _create_slots(self, var_list):
        pass

    def _prepare(self):
        pass

    def _apply_dense(self, grad, var):
        raise NotImplementedError

    # A subclass with a sparse kernel defines _apply_sparse(grad, var): it gets the gradient
    # with repeated indices summed (TF1's hooks). Without one, the dense update.
    _apply_sparse = None

    def _apply_sparse_duplicate_indices(self, grad, var):
        """A sparse gradient (IndexedSlices). Without a sparse kernel, the dense update: for
        GradientDescent, Adam and Adagrad, TF1's sparse updates give the same numbers (a row
        without a gradient changes exactly as a zero gradient changes it)."""
        if self._apply_sparse is not None:
            from ..ops import gather_ops

            unique, positions = gather_ops.unique(grad.indices)
            values = gather_ops.unsorted_segment_sum(grad.values, positions,
                                                     array_ops.shape(unique)[0])
            return self._apply_sparse(IndexedSlices(values, unique, grad.dense_shape), var)
        if grad.dense_shape is None:  # a hand-built one: the variable's shape, as TF1 uses
            grad = IndexedSlices(grad.values, grad.indices, array_ops.shape(var))
        return self._apply_dense(convert_to_tensor(grad), var)

    def _finish(self, update_ops, name):
        return array_ops.group(*update_ops, name=name)

    @staticmethod
    def _hyper(value, name, dtype):
        """A hyperparameter as a tensor of the variable's dtype. As in TF1, a Python number
        becomes a tensor of its own (float32 for a float) and is then cast, so a float64
        variable sees the float32-rounded value, bit for bit what TensorFlow computes."""
        if callable(value):
            value = value()
        if not isinstance(value, Tensor):
            value = convert_to_tensor(value, name=name)
        return _cast_to(value, dtype)


class GradientDescentOptimizer(Optimizer):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _apply_dense(self, grad, var):
        lr = self._hyper(self._learning_rate, "learning_rate", var.dtype)
        return training_ops.APPLY_GRADIENT_DESCENT(var, lr, grad, use_locking=self._use_locking)


class MomentumOptimizer(Optimizer):
    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum")

    def _apply_dense(self, grad, var):
        return self._update_momentum(training_ops.APPLY_MOMENTUM, var, (grad,))

    def _apply_sparse(self, grad, var):
        # Only the rows with a gradient: their accumulators decay, the others' do not (TF1).
        return self._update_momentum(training_ops.SPARSE_APPLY_MOMENTUM, var,
                                     (grad.values, grad.indices))

    def _update_momentum(self, kernel, var, grad_args):
        return kernel(var, self.get_slot(var, "momentum"),
                      self._hyper(self._learning_rate, "learning_rate", var.dtype), *grad_args,
                      self._hyper(self._momentum, "momentum", var.dtype),
                      use_locking=self._use_locking, use_nesterov=self._use_nesterov)


class AdamOptimizer(Optimizer):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.name)
        self._non_slot_variable("beta1_power", self._beta1, first)
        self._non_slot_variable("beta2_power", self._beta2, first)
        for v in var_list:
            self._zeros_slot(v, "m")
            self._zeros_slot(v, "v")

    def _apply_dense(self, grad, var):
        dt = var.dtype
        b1p, b2p = self._non_slot["beta1_power"], self._non_slot["beta2_power"]
        return training_ops.APPLY_ADAM(
            var, self.get_slot(var, "m"), self.get_slot(var, "v"),
            _cast_to(b1p.value(), dt), _cast_to(b2p.value(), dt),
            self._hyper(self._lr, "learning_rate", dt), self._hyper(self._beta1, "beta1", dt),
            self._hyper(self._beta2, "beta2", dt), self._hyper(self._epsilon, "epsilon", dt),
            grad, use_locking=self._use_locking)

    def _finish(self, update_ops, name):
        graph = get_default_graph()
        b1p, b2p = self._non_slot["beta1_power"], self._non_slot["beta2_power"]
        with graph.control_dependencies(update_ops):
            up1 = b1p.assign(b1p.value() * self._hyper(self._beta1, "beta1", b1p.dtype))
            up2 = b2p.assign(b2p.value() * self._hyper(self._beta2, "beta2", b2p.dtype))
        return array_ops.group(*update_ops, up1, up2, name=name)


class RMSPropOptimizer(Optimizer):
    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False,
                 centered=False, name="RMSProp"):
        super().__init__(use_locking, name)
        self._lr, self._decay, self._momentum = learning_rate, decay, momentum
        self._epsilon, self._centered = epsilon, centered

    def _create_slots(self, var_list):
        for v in var_list:
            shape = v.shape.as_list()
            # TF1 starts the mean square at one, so the first steps are not huge.
            self._slot(v, "rms", lambda v=v, shape=shape: array_ops.ones(shape, dtype=v.dtype))
            if self._centered:
                self._zeros_slot(v, "mg")
            self._zeros_slot(v, "momentum")

    def _apply_dense(self, grad, var):
        return self._update_rms(var, (grad,), sparse=False)

    def _apply_sparse(self, grad, var):
        # Only the rows with a gradient: their mean squares decay, the others' do not (TF1).
        return self._update_rms(var, (grad.values, grad.indices), sparse=True)

    def _update_rms(self, var, grad_args, sparse):
        dt = var.dtype
        hyper = (self._hyper(self._lr, "learning_rate", dt),
                 self._hyper(self._decay, "decay", dt),
                 self._hyper(self._momentum, "momentum", dt),
                 self._hyper(self._epsilon, "epsilon", dt))
        slots = ([self.get_slot(var, "mg")] if self._centered else []) + [
            self.get_slot(var, "rms"), self.get_slot(var, "momentum")]
        kernel = {(False, False): training_ops.APPLY_RMS_PROP,
                  (True, False): training_ops.APPLY_CENTERED_RMS_PROP,
                  (False, True): training_ops.SPARSE_APPLY_RMS_PROP,
                  (True, True): training_ops.SPARSE_APPLY_CENTERED_RMS_PROP}[
            (self._centered, sparse)]
        return kernel(var, *slots, *hyper, *grad_args, use_locking=self._use_locking)


class AdadeltaOptimizer(Optimizer):
    """TF1's Adadelta: slots ``accum`` and ``accum_update`` (``w/Adadelta``, ``w/Adadelta_1``);
    with a sparse gradient only its rows move (SparseApplyAdadelta)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False,
                 name="Adadelta"):
        super().__init__(use_locking, name)
        self._lr, self._rho, self._epsilon = learning_rate, rho, epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum")
            self._zeros_slot(v, "accum_update")

    def _apply_dense(self, grad, var):
        return self._update_adadelta(training_ops.APPLY_ADADELTA, var, (grad,))

    def _apply_sparse(self, grad, var):
        return self._update_adadelta(training_ops.SPARSE_APPLY_ADADELTA, var,
                                     (grad.values, grad.indices))

    def _update_adadelta(self, kernel, var, grad_args):
        dt = var.dtype
        return kernel(var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
                      self._hyper(self._lr, "learning_rate", dt),
                      self._hyper(self._rho, "rho", dt), self._hyper(self._epsilon, "epsilon", dt),
                      *grad_args, use_locking=self._use_locking)


class AdagradOptimizer(Optimizer):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._initial = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            shape = v.shape.as_list()
            self._slot(v, "accumulator", lambda v=v, shape=shape: array_ops.fill(
                shape, array_ops.constant(self._initial, dtype=v.dtype)))

    def _apply_dense(self, grad, var):
        return training_ops.APPLY_ADAGRAD(
            var, self.get_slot(var, "accumulator"),
            self._hyper(self._lr, "learning_rate", var.dtype), grad,
            use_locking=self._use_locking)


def _cast_to(t: Tensor, dtype: _dt.DType) -> Tensor:
    if t.dtype == dtype:
        return t
    from ..ops.math_ops import cast

    return cast(t, dtype)
