"""``tf.estimator.RunConfig``: where an Estimator writes and how often. One process: the
cluster properties answer as a local chief's do (TF_CONFIG naming a cluster is refused).
train_distribute / eval_distribute take tf.distribute strategies."""

from __future__ import annotations

import copy
import json
import os

from ..errors import UnimplementedError
from ..tf1_aliases import ClusterSpec

_USE_DEFAULT = object()
_SAVE_CKPT_ERR = "`save_checkpoints_steps` and `save_checkpoints_secs` cannot be both set."
_DEFAULT_REPLACEABLE_LIST = [
    "model_dir", "tf_random_seed", "save_summary_steps", "save_checkpoints_steps",
    "save_checkpoints_secs", "session_config", "keep_checkpoint_max",
    "keep_checkpoint_every_n_hours", "log_step_count_steps", "train_distribute", "device_fn",
    "protocol", "eval_distribute", "experimental_distribute",
    "experimental_max_worker_delay_secs", "session_creation_timeout_secs",
    "checkpoint_save_graph_def"]


class TaskType:
    MASTER = "master"
    PS = "ps"
    WORKER = "worker"
    CHIEF = "chief"
    EVALUATOR = "evaluator"


def _refuse_cluster():
    tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    if tf_config.get("cluster"):
        raise UnimplementedError(None, None, "TF_CONFIG names a cluster: minitf's Estimator "
                                 "runs in one process (no parameter servers or workers)")


class RunConfig:
    """TF 1.x's defaults: summaries every 100 steps, a checkpoint every 600 seconds (unless
    ``save_checkpoints_steps`` is given), 5 checkpoints kept, steps/sec logged every 100."""

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_steps=_USE_DEFAULT, save_checkpoints_secs=_USE_DEFAULT,
                 session_config=None, keep_checkpoint_max=5,
                 keep_checkpoint_every_n_hours=10000, log_step_count_steps=100,
                 train_distribute=None, device_fn=None, protocol=None, eval_distribute=None,
                 experimental_distribute=None, experimental_max_worker_delay_secs=None,
                 session_creation_timeout_secs=7200, checkpoint_save_graph_def=True):
        if save_checkpoints_steps is _USE_DEFAULT and save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_steps, save_checkpoints_secs = None, 600
        elif save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_secs = None
        elif save_checkpoints_steps is _USE_DEFAULT:
            save_checkpoints_steps = None
        elif save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise ValueError(_SAVE_CKPT_ERR)
        train_distribute, eval_distribute = _distribute_config(
            train_distribute, eval_distribute, experimental_distribute)
        _refuse_cluster()
        self._model_dir = os.fspath(model_dir) if model_dir is not None else None
        self._tf_random_seed = tf_random_seed
        self._save_summary_steps = save_summary_steps
        self._save_checkpoints_steps = save_checkpoints_steps
        self._save_checkpoints_secs = save_checkpoints_secs
        self._session_config = session_config
        self._keep_checkpoint_max = keep_checkpoint_max
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._log_step_count_steps = log_step_count_steps
        # Strategies (tf.distribute): Estimator trains / evaluates under them.
        self._train_distribute, self._eval_distribute = train_distribute, eval_distribute
        self._experimental_distribute = experimental_distribute
        self._device_fn, self._protocol = device_fn, protocol
        self._experimental_max_worker_delay_secs = experimental_max_worker_delay_secs
        self._session_creation_timeout_secs = session_creation_timeout_secs
        self._checkpoint_save_graph_def = checkpoint_save_graph_def
        _validate(self)

    def replace(self, **kwargs) -> RunConfig:
        """A copy with the named properties replaced (only those TF lets you replace)."""
        new = copy.deepcopy(self)
        for key, value in kwargs.items():
            if key not in _DEFAULT_REPLACEABLE_LIST:
                raise ValueError(f"Replacing {key} is not supported. Allowed properties are "
                                 f"{_DEFAULT_REPLACEABLE_LIST}.")
            if key == "model_dir" and value is not None:
                value = os.fspath(value)
            setattr(new, "_" + key, value)
        steps, secs = "save_checkpoints_steps" in kwargs, "save_checkpoints_secs" in kwargs
        if steps and secs:
            if new._save_checkpoints_steps and new._save_checkpoints_secs:
                raise ValueError(_SAVE_CKPT_ERR)
        elif steps and new._save_checkpoints_steps is not None:
            new._save_checkpoints_secs = None
        elif secs and new._save_checkpoints_secs is not None:
            new._save_checkpoints_steps = None
        _validate(new)
        return new

    model_dir = property(lambda self: self._model_dir)
    tf_random_seed = property(lambda self: self._tf_random_seed)
    save_summary_steps = property(lambda self: self._save_summary_steps)
    save_checkpoints_steps = property(lambda self: self._save_checkpoints_steps)
    save_checkpoints_secs = property(lambda self: self._save_checkpoints_secs)
    session_config = property(lambda self: self._session_config)
    keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max)
    keep_checkpoint_every_n_hours = property(lambda self: self._keep_checkpoint_every_n_hours)
    log_step_count_steps = property(lambda self: self._log_step_count_steps)
    train_distribute = property(lambda self: self._train_distribute)
    eval_distribute = property(lambda self: self._eval_distribute)
    experimental_distribute = property(lambda self: self._experimental_distribute)
    device_fn = property(lambda self: self._device_fn)
    protocol = property(lambda self: self._protocol)
    session_creation_timeout_secs = property(lambda self: self._session_creation_timeout_secs)
    checkpoint_save_graph_def = property(lambda self: self._checkpoint_save_graph_def)
    experimental_max_worker_delay_secs = property(
        lambda self: self._experimental_max_worker_delay_secs)
    # A single local chief: TF's local mode (an empty ClusterSpec, equal to {}).
    cluster_spec = property(lambda self: ClusterSpec({}))
    evaluation_master = property(lambda self: "")
    master = property(lambda self: "")
    is_chief = property(lambda self: True)
    num_ps_replicas = property(lambda self: 0)
    num_worker_replicas = property(lambda self: 1)
    task_id = property(lambda self: 0)
    task_type = property(lambda self: TaskType.WORKER)
    global_id_in_cluster = property(lambda self: 0)
    service = property(lambda self: None)

    def __repr__(self):
        keys = ("model_dir", "tf_random_seed", "save_summary_steps", "save_checkpoints_steps",
                "save_checkpoints_secs", "keep_checkpoint_max", "log_step_count_steps")
        return "RunConfig(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in keys) + ")"


def _distribute_config(train_distribute, eval_distribute, experimental_distribute):
    """TF's rule: experimental_distribute (a DistributeConfig) may give the strategies
    instead; a remote cluster is refused (one process)."""
    if experimental_distribute is not None:
        if experimental_distribute.train_distribute:
            if train_distribute:
                raise ValueError("Either `train_distribute` or"
                                 "`experimental_distribute.train_distribute` can be set.")
            train_distribute = experimental_distribute.train_distribute
        if experimental_distribute.eval_distribute:
            if eval_distribute:
                raise ValueError("Either `eval_distribute` or"
                                 "`experimental_distribute.eval_distribute` can be set.")
            eval_distribute = experimental_distribute.eval_distribute
        if experimental_distribute.remote_cluster:
            raise UnimplementedError(None, None, "RunConfig(experimental_distribute="
                                     "DistributeConfig(remote_cluster=...)): minitf runs in "
                                     "one process (no remote cluster)")
    return train_distribute, eval_distribute


def _validate(config):
    def check(key, ok, message):
        value = getattr(config, "_" + key)
        if value is not None and not ok(value):
            raise ValueError(message)

    check("model_dir", lambda d: bool(d), "model_dir should be non-empty")
    check("save_summary_steps", lambda s: s >= 0, "save_summary_steps should be >= 0")
    check("save_checkpoints_steps", lambda s: s >= 0, "save_checkpoints_steps should be >= 0")
    check("save_checkpoints_secs", lambda s: s >= 0, "save_checkpoints_secs should be >= 0")
    check("session_config", lambda c: type(c).__name__ == "ConfigProto",
          "session_config must be instance of ConfigProto")
    check("keep_checkpoint_max", lambda k: k >= 0, "keep_checkpoint_max should be >= 0")
    check("keep_checkpoint_every_n_hours", lambda k: k > 0,
          "keep_checkpoint_every_n_hours should be > 0")
    check("log_step_count_steps", lambda s: s >= 0, "log_step_count_steps should be >= 0")
    check("tf_random_seed", lambda s: isinstance(s, int), "tf_random_seed must be integer.")
    check("experimental_max_worker_delay_secs", lambda d: isinstance(d, int),
          "experimental_max_worker_delay_secs must be an integer if set.")
    check("device_fn", callable, "device_fn must be callable with exactly one argument \"op\".")
