"""``tf.contrib.learn.RunConfig``: TF 1.x's deprecated constructor (master, num_cores,
gpu_memory_fraction, ...) over minitf's ``tf.estimator.RunConfig``, which it subclasses as TF's
did. One process: a remote ``master`` / ``evaluation_master`` is refused, as a TF_CONFIG
cluster is by the base class."""

from __future__ import annotations

import collections
import json
import os

from ...errors import UnimplementedError
from ...estimator.run_config import RunConfig as _CoreRunConfig

__all__ = ["Environment", "RunConfig"]

# Properties a caller may change without changing what runs (left out of ``uid``).
_DEFAULT_UID_WHITE_LIST = [
    "tf_random_seed", "save_summary_steps", "save_checkpoints_steps", "save_checkpoints_secs",
    "session_config", "keep_checkpoint_max", "keep_checkpoint_every_n_hours",
    "log_step_count_steps"]


class Environment:
    CLOUD = "cloud"
    GOOGLE = "google"
    LOCAL = "local"


def _model_dir(model_dir):
    """``model_dir``, else TF_CONFIG's; both given must agree (TF's rule)."""
    from_env = json.loads(os.environ.get("TF_CONFIG") or "{}").get("model_dir")
    if from_env is not None and model_dir is not None and from_env != model_dir:
        raise ValueError(
            "`model_dir` provided in RunConfig construct, if set, must have the same value as "
            f"the model_dir in TF_CONFIG. model_dir: {model_dir}\n"
            f"TF_CONFIG[\"model_dir\"]: {from_env}.\n")
    return model_dir or from_env


class RunConfig(_CoreRunConfig):
    """``save_checkpoints_secs`` left at its default (0) means 600 s unless
    ``save_checkpoints_steps`` is given. ``tf_config`` is the ConfigProto TF built from
    ``num_cores``, ``log_device_placement`` and ``gpu_memory_fraction`` (accepted; minitf
    runs on the CPU)."""

    _USE_DEFAULT = 0

    def __init__(self, master=None, num_cores=0, log_device_placement=False,
                 gpu_memory_fraction=1, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_secs=_USE_DEFAULT, save_checkpoints_steps=None,
                 keep_checkpoint_max=5, keep_checkpoint_every_n_hours=10000,
                 log_step_count_steps=100, protocol=None, evaluation_master="",
                 model_dir=None, session_config=None, session_creation_timeout_secs=7200):
        for what, value in (("master", master), ("evaluation_master", evaluation_master)):
            if value:
                raise UnimplementedError(None, None, f"RunConfig({what}={value!r}): minitf "
                                         "runs an Estimator in this process (no remote master)")
        if save_checkpoints_secs == RunConfig._USE_DEFAULT:
            save_checkpoints_secs = 600 if save_checkpoints_steps is None else None
        # TF's contrib class keeps both when both are given; the core base refuses that, so it
        # gets the steps and the seconds are set after.
        both = save_checkpoints_secs is not None and save_checkpoints_steps is not None
        super().__init__(
            model_dir=_model_dir(model_dir), tf_random_seed=tf_random_seed,
            save_summary_steps=save_summary_steps,
            save_checkpoints_steps=save_checkpoints_steps,
            save_checkpoints_secs=None if both else save_checkpoints_secs,
            session_config=session_config, keep_checkpoint_max=keep_checkpoint_max,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            log_step_count_steps=log_step_count_steps, protocol=protocol,
            session_creation_timeout_secs=session_creation_timeout_secs)
        self._save_checkpoints_secs = save_checkpoints_secs
        from ... import ConfigProto, GPUOptions  # the protos load on first use

        self._tf_config = ConfigProto(
            log_device_placement=log_device_placement,
            inter_op_parallelism_threads=num_cores, intra_op_parallelism_threads=num_cores,
            gpu_options=GPUOptions(per_process_gpu_memory_fraction=gpu_memory_fraction))

    tf_config = property(lambda self: self._tf_config)
    environment = property(lambda self: Environment.LOCAL)
    # TF's ClusterConfig without TF_CONFIG: no task type, task 0, chief.
    task_type = property(lambda self: None)
    num_worker_replicas = property(lambda self: 0)

    def uid(self, whitelist=None):
        """A string of every setting except those in ``whitelist`` (default: the ones that do
        not change what runs), to check that two configs describe the same run."""
        if whitelist is None:
            whitelist = _DEFAULT_UID_WHITE_LIST
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("__")}
        for key in whitelist:
            state.pop("_" + key, None)
        ordered = collections.OrderedDict(sorted(state.items()))
        return ", ".join(f"{k}={v!r}" for k, v in ordered.items())
