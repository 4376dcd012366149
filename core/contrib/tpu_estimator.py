"""``tf.contrib.tpu.TPUEstimator`` (TF 1.15's tensorflow_estimator/python/estimator/tpu/
tpu_estimator.py) as it behaves with ``use_tpu=False``: input_fn and model_fn run on the CPU
through minitf's tf.estimator, with ``params['batch_size']`` the global train/eval/predict batch
size of the mode and ``params['use_tpu'] = False``; a TPUEstimatorSpec becomes an EstimatorSpec
(tpu.py). Where TF would start a TPU (``use_tpu=True`` training, evaluation with
``eval_on_tpu``, prediction) minitf raises UnimplementedError after TF's own checks; export
always builds the CPU graph, TF's ``export_to_cpu`` metagraph."""

from __future__ import annotations

import copy
import math

import minitf as tf

from .. import tf_logging as logging
from ..errors import UnimplementedError
from ..estimator.estimator import Estimator, _model_fn_kwargs, _verify_model_fn_args
from ..estimator.model_fn import ModeKeys, fn_args
from ..train.basic_session_run_hooks import StepCounterHook
from .tpu import (_BATCH_SIZE_KEY, _NO_TPU, _RESERVED_PARAMS_KEYS, _USE_TPU_KEY,
                  ExportSavedModelApiVersion, InputPipelineConfig, RunConfig, TPUEstimatorSpec,
                  _check_positive_integer, _parse_iterations_per_loop)

__all__ = ["ExamplesPerSecondHook", "TPUEstimator", "export_estimator_savedmodel"]


class ExamplesPerSecondHook(StepCounterHook):
    """StepCounterHook that also reports ``examples/sec`` (batch size x steps/sec), logged and
    written as summaries, as TPUEstimator adds to training."""

    def __init__(self, batch_size, every_n_steps=100, every_n_secs=None, output_dir=None,
                 summary_writer=None):
        self._batch_size = batch_size
        super().__init__(every_n_steps=every_n_steps, every_n_secs=every_n_secs,
                         output_dir=output_dir, summary_writer=summary_writer)

    def _log_and_record(self, elapsed_steps, elapsed_time, global_step):
        super()._log_and_record(elapsed_steps, elapsed_time, global_step)
        if self._batch_size is not None:  # TF multiplies None (a TypeError): left out
            rate = self._batch_size * elapsed_steps / elapsed_time
            logging.info("examples/sec: %g", rate)
            self._record("examples/sec", rate, global_step)


# -- TPUEstimator -------------------------------------------------------------------------------
class _ParamsWithoutBatchSize(dict):
    """params when the mode has no batch size: TF leaves 'batch_size' out, so reading it is a
    KeyError; this one says which TPUEstimator argument was None."""

    def __init__(self, params, why):
        super().__init__(params)
        self.why = why

    def __missing__(self, key):
        if key == _BATCH_SIZE_KEY:
            raise KeyError(f"'batch_size': {self.why}")
        raise KeyError(key)


def _add_item_to_params(params, key, value):
    if hasattr(params, "set_hparam"):  # an HParams
        if key in params:
            params.set_hparam(key, value)
        else:
            params.add_hparam(key, value)
    else:
        params[key] = value


_BATCH_ARG = {ModeKeys.TRAIN: "train_batch_size", ModeKeys.EVAL: "eval_batch_size",
              ModeKeys.PREDICT: "predict_batch_size"}


class TPUEstimator(Estimator):
    """Estimator whose input_fn and model_fn take ``params`` and read the global batch size
    of the mode from ``params['batch_size']``; model_fn may return a TPUEstimatorSpec. With
    ``use_tpu=False`` everything runs on the CPU as TF runs it; ``use_tpu=True`` is accepted
    for export and CPU evaluation (``eval_on_tpu=False``) only."""

    def __init__(self, model_fn=None, model_dir=None, config=None, params=None, use_tpu=True,
                 train_batch_size=None, eval_batch_size=None, predict_batch_size=None,
                 batch_axis=None, eval_on_tpu=True, export_to_tpu=True, export_to_cpu=True,
                 warm_start_from=None, experimental_export_device_assignment=False,
                 embedding_config_spec=None,
                 export_saved_model_api_version=ExportSavedModelApiVersion.V1):
        if config is None or not isinstance(config, RunConfig):
            raise ValueError("`config` must be provided with type `tpu_config.RunConfig`")
        if params is not None and any(k in params for k in _RESERVED_PARAMS_KEYS):
            raise ValueError(f"{_RESERVED_PARAMS_KEYS} are reserved keys but existed in params "
                             f"{params}.")
        if use_tpu:
            if train_batch_size is None:
                raise ValueError("`train_batch_size` cannot be `None`")
            _check_positive_integer(train_batch_size, "train_batch_size")
            if (config.tpu_config.per_host_input_for_training is
                    InputPipelineConfig.PER_SHARD_V1 and config.tpu_config.num_cores_per_replica):
                raise ValueError("Model parallelism only supports per host input for training. "
                                 "Please adjust TPURunconfig.per_host_input_for_training.")
            if eval_batch_size is not None:
                _check_positive_integer(eval_batch_size, "eval_batch_size")
            if predict_batch_size is not None:
                _check_positive_integer(predict_batch_size, "predict_batch_size")
        elif eval_on_tpu:
            logging.warning("eval_on_tpu ignored because use_tpu is False.")
        if embedding_config_spec is not None:
            raise UnimplementedError(None, None, "TPUEstimator(embedding_config_spec=...): TPU "
                                     f"embeddings need a TPU ({_NO_TPU})")
        if model_fn is None:
            raise ValueError("model_fn must be provided to Estimator.")
        _verify_model_fn_args(model_fn, params)
        self._user_model_fn = model_fn
        self._use_tpu, self._eval_on_tpu = bool(use_tpu), bool(eval_on_tpu)
        self._batch_sizes = {ModeKeys.TRAIN: train_batch_size, ModeKeys.EVAL: eval_batch_size,
                             ModeKeys.PREDICT: predict_batch_size}
        # TF logs steps/sec and examples/sec itself (every log_step_count_steps steps, in
        # TPU loops of iterations_per_loop) instead of the Estimator's hooks.
        value, unit = _parse_iterations_per_loop(config.tpu_config.iterations_per_loop)
        self._log_every_n_steps = self._log_every_n_secs = None
        if unit == "seconds":
            self._log_every_n_secs = value
        elif config.log_step_count_steps is not None:
            self._log_every_n_steps = int(math.ceil(config.log_step_count_steps / value))
        config = config.replace(log_step_count_steps=None)
        super().__init__(model_fn=self._augmented_model_fn, model_dir=model_dir, config=config,
                         params=params or {}, warm_start_from=warm_start_from)
        if export_saved_model_api_version not in (ExportSavedModelApiVersion.V1,
                                                  ExportSavedModelApiVersion.V2, 1, 2):
            raise ValueError(f"export_saved_model_api_version should be 1 or 2; got "
                             f"{export_saved_model_api_version}.")
        self._export_to_cpu, self._export_to_tpu = export_to_cpu, export_to_tpu
        self._is_input_fn_invoked = None

    # -- where TF would run -----------------------------------------------------------------
    def _running_on_cpu(self, mode, is_export_mode=False) -> bool:
        return (not self._use_tpu or is_export_mode or
                (mode == ModeKeys.EVAL and not self._eval_on_tpu))

    def _refuse_tpu(self, mode):
        """TF's batch-size checks for a TPU run, then the TPU minitf does not have."""
        batch, arg = self._batch_sizes[mode], _BATCH_ARG[mode]
        verb = {ModeKeys.TRAIN: "trains", ModeKeys.EVAL: "evaluates",
                ModeKeys.PREDICT: "predicts"}[mode]
        if batch is None:
            raise ValueError(f"{arg} in TPUEstimator constructor cannot be `None` if "
                             f".{'evaluate' if mode == ModeKeys.EVAL else 'predict'} is "
                             "running on TPU.")
        tpu_config = self._config.tpu_config
        shards = tpu_config.num_shards
        if shards and batch % shards and \
                tpu_config.per_host_input_for_training is not InputPipelineConfig.BROADCAST:
            raise ValueError(f"{arg.split('_')[0]} batch size {batch} must be divisible by "
                             f"number of replicas {shards}")
        raise UnimplementedError(None, None, f"TPUEstimator(use_tpu=True) {verb} on a TPU: "
                                 f"{_NO_TPU}. Build it with use_tpu=False to run input_fn and "
                                 f"model_fn on the CPU (params['batch_size'] = {arg})")

    def _params_with_batch_size(self, params, batch, why):
        if batch is not None:
            _add_item_to_params(params, _BATCH_SIZE_KEY, batch)
            return params
        return _ParamsWithoutBatchSize(params, why) if type(params) is dict else params

    # -- overrides of Estimator -------------------------------------------------------------
    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        if not self._running_on_cpu(ModeKeys.TRAIN):
            if steps is None and max_steps is None:
                raise ValueError("For TPU training, one of `steps` or `max_steps` must be set. "
                                 "Cannot be both `None`.")
            if steps is not None:
                _check_positive_integer(steps, "Train steps")
            if max_steps is not None:
                _check_positive_integer(max_steps, "Train max_steps")
        return super().train(input_fn, hooks=hooks, steps=steps, max_steps=max_steps,
                             saving_listeners=saving_listeners)

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        if not self._running_on_cpu(ModeKeys.EVAL):
            if steps is None:
                raise ValueError("Evaluate `steps` must be set on TPU. Cannot be `None`.")
            _check_positive_integer(steps, "Eval steps")
        return super().evaluate(input_fn, steps=steps, hooks=hooks,
                                checkpoint_path=checkpoint_path, name=name)

    def export_saved_model(self, export_dir_base, serving_input_receiver_fn,
                           assets_extra=None, as_text=False, checkpoint_path=None,
                           experimental_mode=ModeKeys.PREDICT):
        """The CPU metagraph (tag ``serve``), model_fn called with ``params['use_tpu'] =
        False`` and no batch size; TF's extra TPU metagraph (``export_to_tpu``) is left out."""
        if not self._export_to_cpu and not self._export_to_tpu:
            raise ValueError("One of export_to_cpu and export_to_tpu must be true.")
        if not self._export_to_cpu:
            raise UnimplementedError(None, None, "TPUEstimator(export_to_cpu=False) exports "
                                     f"only the TPU metagraph (tpu.rewrite): {_NO_TPU}")
        if self._export_to_tpu and experimental_mode == ModeKeys.PREDICT:
            logging.warning("TPUEstimator exports the CPU metagraph only: the TPU one (tags "
                            "serve, tpu) needs tpu.rewrite, and %s.", _NO_TPU)
        self._is_input_fn_invoked = None
        return super().export_saved_model(
            export_dir_base, serving_input_receiver_fn, assets_extra=assets_extra,
            as_text=as_text, checkpoint_path=checkpoint_path,
            experimental_mode=experimental_mode)

    def _call_input_fn(self, input_fn, mode, input_context=None):
        args = fn_args(input_fn)
        if "params" not in args:
            raise ValueError(f"input_fn ({input_fn}) does not include params argument, required "
                             "by TPUEstimator to pass batch size as params[\"batch_size\"]")
        kwargs = {"params": self.params}
        if "config" in args:
            kwargs["config"] = self.config
        if "mode" in args:
            kwargs["mode"] = mode
        if "input_context" in args:
            kwargs["input_context"] = input_context
        self._is_input_fn_invoked = True
        if not self._running_on_cpu(mode):
            self._refuse_tpu(mode)
        if mode != ModeKeys.TRAIN and self._config.tpu_config.eval_training_input_configuration \
                is InputPipelineConfig.SLICED:
            raise ValueError("Invalid TPUConfig `eval_training_input_configuration` value. "
                             "SLICED mode only works on use_tpu = True.")
        arg = _BATCH_ARG[mode]
        kwargs["params"] = self._params_with_batch_size(
            kwargs["params"], self._batch_sizes[mode],
            f"TPUEstimator was built with {arg}=None, so its input_fn gets no batch size")
        with tf.device("/device:CPU:0"):
            return input_fn(**kwargs)

    def _augmented_model_fn(self, features, labels, mode, config, params):
        """The model_fn the Estimator calls: the user's, on the CPU, its TPUEstimatorSpec
        converted, with TF's examples/sec hook added to training."""
        # input_fn runs before model_fn in train/evaluate/predict, never in export.
        is_export_mode = not self._is_input_fn_invoked
        self._is_input_fn_invoked = None
        if not self._running_on_cpu(mode, is_export_mode):
            self._refuse_tpu(mode)
        spec = self._call_user_model_fn(features, labels, mode, config, params, is_export_mode)
        if self._log_every_n_steps is not None or self._log_every_n_secs is not None:
            hook = ExamplesPerSecondHook(
                self._batch_sizes[mode],
                output_dir=self.model_dir if not config or config.save_summary_steps else None,
                every_n_steps=self._log_every_n_steps, every_n_secs=self._log_every_n_secs)
            spec = spec._replace(training_hooks=spec.training_hooks + (hook,))
        return spec

    def _call_user_model_fn(self, features, labels, mode, config, params, is_export_mode):
        config, params = copy.deepcopy(config), copy.deepcopy(params)
        kwargs = _model_fn_kwargs(self._user_model_fn, labels, mode, config, params)
        if "params" not in kwargs:
            raise ValueError(f"model_fn ({self._user_model_fn}) does not include params "
                             "argument, required by TPUEstimator to pass batch size as "
                             "params['batch_size']")
        why = ("TPUEstimator passes no batch size to model_fn when exporting" if is_export_mode
               else f"TPUEstimator was built with {_BATCH_ARG[mode]}=None")
        params = self._params_with_batch_size(
            params, None if is_export_mode else self._batch_sizes[mode], why)
        _add_item_to_params(params, _USE_TPU_KEY, False)
        kwargs["params"] = params
        spec = self._user_model_fn(features=features, **kwargs)
        if isinstance(spec, TPUEstimatorSpec):
            return spec.as_estimator_spec()
        return spec


def export_estimator_savedmodel(estimator, export_dir_base, serving_input_receiver_fn,
                                assets_extra=None, as_text=False, checkpoint_path=None):
    """TF's helper exporting a trained Estimator's model_fn through a TPUEstimator (its
    model_fn must take ``params``); minitf writes the CPU metagraph only."""
    est = TPUEstimator(estimator._model_fn, config=RunConfig(model_dir=estimator.model_dir),
                       params=estimator.params, use_tpu=True, train_batch_size=2048,
                       eval_batch_size=2048)
    return est.export_saved_model(export_dir_base, serving_input_receiver_fn, assets_extra,
                                  as_text, checkpoint_path)

