"""``tf.train.SyncReplicasOptimizer``: synchronous data-parallel training in TF1's way, built as
TF builds it (training/sync_replicas_optimizer.py) on the gradient accumulators of
core/accumulators.py and a FIFO queue of tokens.

Every replica runs ``train_op``: it pushes its gradients into one accumulator per variable
(tagged with its local step, so a gradient computed on old variables is dropped), then takes a
token from ``sync_token_q`` and makes the token's global step its local step, which waits until
the variables are updated. The chief's queue runner (``get_chief_queue_runner``) takes the mean
of ``replicas_to_aggregate`` gradients from every accumulator, applies them with the wrapped
optimizer, increments the global step and puts one token per replica in the queue.
``make_session_run_hook`` initialises the local step and the accumulators' global steps, puts
the first tokens in the queue and starts that runner when the session is made.

As in TF, a replica's first step after the initial tokens computes a gradient that is dropped
(its local step is behind the global step once the first update is made); TF's documentation
notes it. minitf runs in one process: the replicas are threads sharing one graph and session (so
one ``sync_rep_local_step``), and resources are not shared by ``shared_name`` across ops.
"""

from __future__ import annotations

from .. import tf_logging as logging
from ..accumulators import ConditionalAccumulator, SparseConditionalAccumulator
from ..graph import GraphKeys, Tensor, colocate_with, control_dependencies, device, name_scope
from ..indexed_slices import IndexedSlices
from ..ops import array_ops, state_ops
from ..queues import FIFOQueue
from ..variables import Variable, global_variables, report_uninitialized_variables
from .optimizer import Optimizer
from .queue_runner import QueueRunner
from .session_manager import _ready
from .session_run_hook import SessionRunHook

__all__ = ["SyncReplicasOptimizer"]


class SyncReplicasOptimizer(Optimizer):
    """Aggregates ``replicas_to_aggregate`` gradients per variable (their mean) before ``opt``
    applies them. ``total_num_replicas`` (default ``replicas_to_aggregate``) workers run the
    train op; more than ``replicas_to_aggregate`` makes the extra ones backups, fewer makes each
    compute several batches per update."""

    def __init__(self, opt, replicas_to_aggregate, total_num_replicas=None,
                 variable_averages=None, variables_to_average=None, use_locking=False,
                 name="sync_replicas"):
        if total_num_replicas is None:
            total_num_replicas = replicas_to_aggregate
        super().__init__(use_locking, name)
        logging.info("SyncReplicasV2: replicas_to_aggregate=%s; total_num_replicas=%s",
                     replicas_to_aggregate, total_num_replicas)
        self._opt = opt
        self._replicas_to_aggregate = replicas_to_aggregate
        self._gradients_applied = False
        self._variable_averages = variable_averages
        self._variables_to_average = variables_to_average
        self._total_num_replicas = total_num_replicas
        self._tokens_per_step = max(total_num_replicas, replicas_to_aggregate)
        self._global_step = None
        self._sync_token_queue = None
        self._chief_queue_runner = None
        self._accumulator_list = []

    def compute_gradients(self, *args, **kwargs):
        """The wrapped optimizer's: gradients are aggregated in ``apply_gradients``, so they may
        be changed (clipped per replica, say) in between."""
        return self._opt.compute_gradients(*args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """The op each replica runs (``train_op``): push the gradients into the accumulators,
        then wait for a token. Also builds the chief's ops: ``chief_init_op``,
        ``local_step_init_op``, ``ready_for_local_init_op`` and the chief queue runner.
        ``name`` is not used, as in TF."""
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("Must supply at least one variable")
        if global_step is None:
            raise ValueError("Global step is required to check staleness")
        self._global_step = global_step
        train_ops, aggregated_grad, var_list = [], [], []

        local_anchor = array_ops.no_op()
        with colocate_with(local_anchor):
            self._local_step = Variable(initial_value=0, trainable=False,
                                        collections=[GraphKeys.LOCAL_VARIABLES],
                                        dtype=global_step.dtype.base_dtype,
                                        name="sync_rep_local_step")
        self.local_step_init_op = state_ops.assign(self._local_step, global_step)
        chief_init_ops = [self.local_step_init_op]
        self.ready_for_local_init_op = report_uninitialized_variables(global_variables())

        with name_scope(None, self._name):
            for grad, var in grads_and_vars:
                var_list.append(var)
                with device(var.device):
                    if grad is None:
                        aggregated_grad.append(None)  # pass-through
                        continue
                    if isinstance(grad, Tensor):
                        accum = ConditionalAccumulator(grad.dtype, shape=var.get_shape(),
                                                       shared_name=var.name + "/grad_accum")
                        train_ops.append(accum.apply_grad(grad, local_step=self._local_step))
                        aggregated_grad.append(accum.take_grad(self._replicas_to_aggregate))
                    else:
                        if not isinstance(grad, IndexedSlices):
                            raise ValueError("Unknown grad type!")
                        accum = SparseConditionalAccumulator(
                            grad.dtype, shape=(), shared_name=var.name + "/grad_accum")
                        train_ops.append(accum.apply_indexed_slices_grad(
                            grad, local_step=self._local_step))
                        aggregated_grad.append(accum.take_indexed_slices_grad(
                            self._replicas_to_aggregate))
                    self._accumulator_list.append((accum, var.device))

            with device(global_step.device), name_scope(""):
                update_op = self._opt.apply_gradients(zip(aggregated_grad, var_list),
                                                      global_step)
                self._sync_token_queue = FIFOQueue(
                    -1, global_step.dtype.base_dtype, shapes=(), name="sync_token_q",
                    shared_name="sync_token_q")
                with control_dependencies(train_ops):
                    token = self._sync_token_queue.dequeue()
                train_op = state_ops.assign(self._local_step, token)
                with control_dependencies([update_op]):
                    tokens = array_ops.fill([self._tokens_per_step], global_step)
                    sync_op = self._sync_token_queue.enqueue_many((tokens,))
                if self._variable_averages is not None:
                    with control_dependencies([sync_op]), name_scope(""):
                        sync_op = self._variable_averages.apply(self._variables_to_average)
                self._chief_queue_runner = QueueRunner(self._sync_token_queue, [sync_op])
            for accum, dev in self._accumulator_list:
                with device(dev):
                    chief_init_ops.append(accum.set_global_step(global_step,
                                                                 name="SetGlobalStep"))
            self.chief_init_op = array_ops.group(*chief_init_ops)
            self._gradients_applied = True
            return train_op

    def get_chief_queue_runner(self) -> QueueRunner:
        """The QueueRunner the chief runs: aggregate, apply, increment the global step, put
        the tokens. ValueError before ``apply_gradients``."""
        if self._gradients_applied is False:
            raise ValueError("Should be called after apply_gradients().")
        return self._chief_queue_runner

    def get_slot(self, *args, **kwargs):
        return self._opt.get_slot(*args, **kwargs)

    def variables(self) -> list:
        """The wrapped optimizer's variables (not the local step)."""
        return self._opt.variables()

    def get_slot_names(self, *args, **kwargs) -> list:
        return self._opt.get_slot_names(*args, **kwargs)

    def get_init_tokens_op(self, num_tokens=-1):
        """The op putting ``num_tokens`` (default ``replicas_to_aggregate``) tokens of the
        global step in the token queue, which the chief runs first; at least
        ``replicas_to_aggregate - total_num_replicas`` are needed to finish the first step."""
        if self._gradients_applied is False:
            raise ValueError("get_init_tokens_op() should be called after apply_gradients().")
        tokens_needed = self._replicas_to_aggregate - self._total_num_replicas
        if num_tokens == -1:
            num_tokens = self._replicas_to_aggregate
        elif num_tokens < tokens_needed:
            raise ValueError(f"Too few tokens to finish the first step: {num_tokens} (given) vs "
                             f"{tokens_needed} (needed)")
        if num_tokens > 0:
            with device(self._global_step.device), name_scope(""):
                tokens = array_ops.fill([num_tokens], self._global_step)
                return self._sync_token_queue.enqueue_many((tokens,))
        return array_ops.no_op(name="no_init_tokens")

    def make_session_run_hook(self, is_chief, num_tokens=-1):
        """The hook that initialises the sync ops when the session is made (and, on the chief,
        puts the first tokens and starts the chief queue runner)."""
        return _SyncReplicasOptimizerHook(self, is_chief, num_tokens)


class _SyncReplicasOptimizerHook(SessionRunHook):
    def __init__(self, sync_optimizer, is_chief, num_tokens):
        self._sync_optimizer = sync_optimizer
        self._is_chief = is_chief
        self._num_tokens = num_tokens

    def begin(self):
        opt = self._sync_optimizer
        if opt._gradients_applied is False:
            raise ValueError("SyncReplicasOptimizer.apply_gradient should be called before "
                             "using the hook.")
        self._ready_for_local_init_op = opt.ready_for_local_init_op
        if self._is_chief:
            self._local_init_op = opt.chief_init_op
            self._q_runner = opt.get_chief_queue_runner()
            self._init_tokens_op = opt.get_init_tokens_op(self._num_tokens)
        else:
            self._local_init_op = opt.local_step_init_op
            self._q_runner = None
            self._init_tokens_op = None

    def after_create_session(self, session, coord):
        ready, msg = _ready(self._ready_for_local_init_op, session,
                            "Model is not ready for SyncReplicasOptimizer local init.")
        if not ready:
            raise RuntimeError("Init operations did not make model ready for "
                               "SyncReplicasOptimizer local_init. Init op: "
                               f"{self._local_init_op.name}, error: {msg}")
        session.run(self._local_init_op)
        if self._init_tokens_op is not None:
            session.run(self._init_tokens_op)
        if self._q_runner is not None:
            self._q_runner.create_threads(session, coord=coord, daemon=True, start=True)
