"""``tf.estimator.Estimator``: train, evaluate, predict and export a model_fn, each in a graph
of its own, with checkpoints and summaries in ``model_dir`` laid out as TF 1.x writes them
(model.ckpt-N in TensorFlow's checkpoint format, graph.pbtxt, events; eval/ or eval_<name>/).
One process, no TPUs; RunConfig's train_distribute / eval_distribute strategies run through
core/distribute/estimator_training.py."""

from __future__ import annotations

import copy
import os
import tempfile

from .. import summary
from .. import tf_logging as logging
from ..errors import UnimplementedError
from ..graph import Graph, GraphKeys, get_default_graph
from ..train import basic_session_run_hooks as hooks_lib
from ..train.monitored_session import (ChiefSessionCreator, MonitoredSession,
                                       MonitoredTrainingSession, Scaffold)
from ..train.saver import (Saver, SaverDef, latest_checkpoint,
                           list_variables, load_checkpoint, load_variable)
from ..train.session_run_hook import SessionRunHook
from ..train.step import create_global_step, get_global_step
from .evaluation import (_evaluate_once, _extract_metric_update_ops, _StopAfterNEvalsHook,
                         _write_checkpoint_path_to_summary, _write_dict_to_summary)
from .model_fn import EstimatorSpec, ModeKeys, fn_args
from .run_config import RunConfig
from .warm_starting import _warm_start, _warm_start_settings

_VALID_MODEL_FN_ARGS = {"features", "labels", "mode", "params", "self", "config"}


def maybe_overwrite_model_dir_and_session_config(config, model_dir):
    """TF's rule for an Estimator's RunConfig: one model_dir from the constructor or the
    config (both, differing, is a ValueError), a temporary folder when neither names one."""
    if config is None:
        config = RunConfig()
    elif not isinstance(config, RunConfig):
        raise ValueError(f"config must be an instance of `RunConfig`, but provided {config}.")
    model_dir = os.fspath(model_dir) if model_dir is not None else None
    if model_dir and config.model_dir and model_dir != config.model_dir:
        raise ValueError(f"`model_dir` are set both in constructor and `RunConfig`, but with "
                         f"different values. In constructor: '{model_dir}', in `RunConfig`: "
                         f"'{config.model_dir}' ")
    if model_dir:
        return config.replace(model_dir=model_dir)
    if config.model_dir is None:
        model_dir = tempfile.mkdtemp()
        logging.warning("Using temporary folder as model directory: %s", model_dir)
        return config.replace(model_dir=model_dir)
    return config


class Estimator:
    """Runs ``model_fn(features, labels, mode, params, config)`` (any subset of those
    arguments) for training, evaluation, prediction and export."""

    def __init__(self, model_fn, model_dir=None, config=None, params=None,
                 warm_start_from=None):
        if model_fn is None:
            raise ValueError("model_fn must be provided to Estimator.")
        _verify_model_fn_args(model_fn, params)
        config = maybe_overwrite_model_dir_and_session_config(config, model_dir)
        self._config = config
        self._model_dir = config.model_dir
        logging.info("Using config: %s", config)
        self._model_fn = model_fn
        self._params = copy.deepcopy(params or {})
        self._warm_start_settings = _warm_start_settings(warm_start_from)

    model_dir = property(lambda self: self._model_dir)
    config = property(lambda self: copy.deepcopy(self._config))
    params = property(lambda self: copy.deepcopy(self._params))

    @property
    def model_fn(self):
        """The model_fn bound to this Estimator's params, taking ``(features, labels, mode,
        config)`` whatever the user's takes, as TF's."""
        def public_model_fn(features, labels, mode, config):
            return self._call_model_fn(features, labels, mode, config)
        return public_model_fn

    def eval_dir(self, name=None) -> str:
        return os.path.join(self._model_dir, "eval" if not name else "eval_" + name)

    # -- checkpoints ----------------------------------------------------------------------------
    def latest_checkpoint(self):
        return latest_checkpoint(self._model_dir)

    def get_variable_names(self) -> list:
        _check_checkpoint_available(self._model_dir)
        return [name for name, _ in list_variables(self._model_dir)]

    def get_variable_value(self, name):
        _check_checkpoint_available(self._model_dir)
        return load_variable(self._model_dir, name)

    # -- train ----------------------------------------------------------------------------------
    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains until ``input_fn``'s data ends, ``steps`` more steps or global step
        ``max_steps``; resumes from the latest checkpoint in model_dir. Returns self."""
        if max_steps is not None and steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        if max_steps is not None:
            start_step = _load_global_step_from_checkpoint_dir(self._model_dir)
            if max_steps <= start_step:
                logging.info("Skipping training since max_steps has already saved.")
                return self
        hooks = _check_hooks_type(hooks)
        if steps is not None or max_steps is not None:
            hooks.append(hooks_lib.StopAtStepHook(steps, max_steps))
        saving_listeners = _check_listeners_type(saving_listeners)
        loss = self._train_model(input_fn, hooks, saving_listeners)
        logging.info("Loss for final step: %s.", loss)
        return self

    def _train_model(self, input_fn, hooks, saving_listeners):
        if self._config.train_distribute is not None:
            from ..distribute.estimator_training import train_model_distributed

            return train_model_distributed(self, input_fn, hooks, saving_listeners)
        with Graph().as_default() as g:
            self._new_graph(g)
            features, labels, input_hooks = self._get_features_and_labels_from_input_fn(
                input_fn, ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, ModeKeys.TRAIN, self.config)
            return self._train_with_estimator_spec(spec, list(input_hooks), hooks,
                                                   get_global_step(g), saving_listeners)

    def _train_with_estimator_spec(self, spec, worker_hooks, hooks, global_step_tensor,
                                   saving_listeners):
        config = self._config
        if self._warm_start_settings:
            logging.info("Warm-starting with WarmStartSettings: %s", self._warm_start_settings)
            _warm_start(self._warm_start_settings)
        # A 'loss' summary unless model_fn made one, so TensorBoard shows it where TF's is.
        if not any(x.op.name == "loss" for x in get_default_graph().get_collection(
                GraphKeys.SUMMARIES)):
            summary.scalar("loss", spec.loss)
        worker_hooks.extend(hooks)
        worker_hooks.append(hooks_lib.NanTensorHook(spec.loss))
        if config.log_step_count_steps:
            worker_hooks.append(hooks_lib.LoggingTensorHook(
                {"loss": spec.loss, "step": global_step_tensor},
                every_n_iter=config.log_step_count_steps))
        worker_hooks.extend(spec.training_hooks)
        graph = get_default_graph()
        if not (spec.scaffold.saver or graph.get_collection(GraphKeys.SAVERS)):
            # TF's checkpoint format (model.ckpt-N.index/.data-*), so TensorFlow reads them.
            saver = Saver(sharded=True, max_to_keep=config.keep_checkpoint_max,
                          keep_checkpoint_every_n_hours=config.keep_checkpoint_every_n_hours,
                          defer_build=True, save_relative_paths=True,
                          write_version=SaverDef.V2)
            graph.add_to_collection(GraphKeys.SAVERS, saver)
        chief_hooks = []
        all_hooks = worker_hooks + list(spec.training_chief_hooks)
        saver_hooks = [h for h in all_hooks if isinstance(h, hooks_lib.CheckpointSaverHook)]
        if config.save_checkpoints_secs or config.save_checkpoints_steps:
            if not saver_hooks:
                chief_hooks = [hooks_lib.CheckpointSaverHook(
                    self._model_dir, save_secs=config.save_checkpoints_secs,
                    save_steps=config.save_checkpoints_steps, scaffold=spec.scaffold,
                    save_graph_def=config.checkpoint_save_graph_def)]
                saver_hooks = [chief_hooks[0]]
                if config.checkpoint_save_graph_def:
                    chief_hooks.append(_GraphSummaryHook(self._model_dir))
        if saving_listeners:
            if not saver_hooks:
                raise ValueError("There should be a CheckpointSaverHook to use "
                                 "saving_listeners. Please set one of the "
                                 "RunConfig.save_checkpoints_steps or "
                                 "RunConfig.save_checkpoints_secs.")
            for listener in saving_listeners:
                if listener not in saver_hooks[0]._listeners:
                    saver_hooks[0]._listeners.append(listener)
        loss, any_step_done = None, False
        with MonitoredTrainingSession(
                checkpoint_dir=self._model_dir, scaffold=spec.scaffold, hooks=worker_hooks,
                chief_only_hooks=tuple(chief_hooks) + tuple(spec.training_chief_hooks),
                save_checkpoint_secs=0, save_summaries_steps=config.save_summary_steps,
                config=config.session_config, log_step_count_steps=config.log_step_count_steps,
                save_graph_def=config.checkpoint_save_graph_def) as mon_sess:
            while not mon_sess.should_stop():
                _, loss = mon_sess.run([spec.train_op, spec.loss])
                any_step_done = True
        if not any_step_done:
            logging.warning("Training with estimator made no steps. Perhaps input is empty or "
                            "misspecified.")
        return loss

    # -- evaluate -------------------------------------------------------------------------------
    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """Runs the eval metrics over ``input_fn`` (to its end, or ``steps`` batches) with the
        latest checkpoint (or ``checkpoint_path``); returns them with ``loss`` and
        ``global_step``, and writes them to ``eval_dir(name)``'s events."""
        hooks = _check_hooks_type(hooks)
        if steps is not None:
            if steps <= 0:
                raise ValueError(f"Must specify steps > 0, given: {steps}")
            hooks.append(_StopAfterNEvalsHook(num_evals=steps))
        if not checkpoint_path:
            checkpoint_path = latest_checkpoint(self._model_dir)
            if not checkpoint_path:
                logging.info("Could not find trained model in model_dir: %s, running "
                             "initialization to evaluate.", self._model_dir)
        with Graph().as_default():
            scaffold, update_op, eval_dict, all_hooks = self._evaluate_build_graph(
                input_fn, hooks, checkpoint_path)
            results = _evaluate_once(checkpoint_path, scaffold, update_op, eval_dict,
                                     all_hooks, self._config.session_config)
            # Still in the eval graph: a new eval dir's writer records it, as TF's does.
            step = int(results[GraphKeys.GLOBAL_STEP])
            output_dir = self.eval_dir(name)
            _write_dict_to_summary(output_dir, results, step)
            if checkpoint_path:
                _write_checkpoint_path_to_summary(output_dir, checkpoint_path, step)
        return results

    def _evaluate_build_graph(self, input_fn, hooks, checkpoint_path=None):
        """``evaluate``'s graph, built in the default graph (InMemoryEvaluatorHook's too, as
        TF's): (scaffold, grouped metric updates, {name: value tensor} with ``loss`` and
        ``global_step``, all hooks)."""
        from .. import metrics

        if self._config.eval_distribute is not None:
            from ..distribute.estimator_training import evaluate_build_graph_distributed

            return evaluate_build_graph_distributed(self, input_fn, hooks, checkpoint_path)
        g = get_default_graph()
        self._new_graph(g)
        features, labels, input_hooks = self._get_features_and_labels_from_input_fn(
            input_fn, ModeKeys.EVAL)
        spec = self._call_model_fn(features, labels, ModeKeys.EVAL, self.config)
        self._maybe_warm_start(checkpoint_path)
        if "loss" in spec.eval_metric_ops:
            raise ValueError('Metric with name "loss" is not allowed, because Estimator '
                             'already defines a default metric with the same name.')
        eval_metric_ops = dict(spec.eval_metric_ops)
        eval_metric_ops["loss"] = metrics.mean(spec.loss)
        update_op, eval_dict = _extract_metric_update_ops(eval_metric_ops)
        if GraphKeys.GLOBAL_STEP in eval_dict:
            raise ValueError("Metric with name `global_step` is not allowed, because "
                             "Estimator already defines a default metric with the same "
                             "name.")
        eval_dict[GraphKeys.GLOBAL_STEP] = get_global_step(g)
        all_hooks = list(input_hooks) + list(hooks) + list(spec.evaluation_hooks)
        return spec.scaffold, update_op, eval_dict, all_hooks

    # -- predict --------------------------------------------------------------------------------
    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None,
                yield_single_examples=True):
        """Yields predictions (one example at a time, or whole batches) until ``input_fn``'s
        data ends."""
        hooks = _check_hooks_type(hooks)
        if not checkpoint_path:
            checkpoint_path = latest_checkpoint(self._model_dir)
            if not checkpoint_path:
                logging.info("Could not find trained model in model_dir: %s, running "
                             "initialization to predict.", self._model_dir)
        with Graph().as_default() as g:
            self._new_graph(g)
            result = self._call_input_fn(input_fn, ModeKeys.PREDICT)
            features, _, input_hooks = _parse_input_fn_result(result)
            spec = self._call_model_fn(features, None, ModeKeys.PREDICT, self.config)
            self._maybe_warm_start(checkpoint_path)
            predictions = _extract_keys(spec.predictions, predict_keys)
            all_hooks = list(input_hooks) + hooks + list(spec.prediction_hooks)
            creator = ChiefSessionCreator(scaffold=spec.scaffold,
                                          checkpoint_filename_with_path=checkpoint_path,
                                          config=self._config.session_config)
            mon_sess = MonitoredSession(session_creator=creator, hooks=all_hooks)
        # The loop runs outside the graph's as_default: while suspended at a yield this
        # generator leaves the caller's default graph alone (TF's leaves its own in place).
        with mon_sess:
            while not mon_sess.should_stop():
                values = mon_sess.run(predictions)
                if not yield_single_examples:
                    yield values
                elif not isinstance(predictions, dict):
                    yield from values
                else:
                    for i in range(_extract_batch_length(values)):
                        yield {key: value[i] for key, value in values.items()}

    # -- export ---------------------------------------------------------------------------------
    def export_saved_model(self, export_dir_base, serving_input_receiver_fn, assets_extra=None,
                           as_text=False, checkpoint_path=None,
                           experimental_mode=ModeKeys.PREDICT):
        """Writes ``<export_dir_base>/<timestamp>/``: a SavedModel (tag ``serve``) of the
        PREDICT graph over the receiver's tensors, one signature per export output, frozen
        with the checkpoint's values (as ``tf.saved_model.Builder`` does in minitf). Returns
        its path as bytes, as TF does."""
        from ..session import Session
        from .export import build_all_signature_defs, write_saved_model

        if not serving_input_receiver_fn:
            raise ValueError("An input_receiver_fn must be defined.")
        if experimental_mode != ModeKeys.PREDICT:
            raise UnimplementedError(None, None, "minitf exports the PREDICT graph only "
                                     "(frozen SavedModels hold no training or eval graph)")
        if not checkpoint_path:
            checkpoint_path = latest_checkpoint(self._model_dir)
        if not checkpoint_path:
            raise ValueError(f"Couldn't find trained model at {self._model_dir}.")
        with Graph().as_default() as g:
            self._new_graph(g)
            receiver = serving_input_receiver_fn()
            spec = self._call_model_fn(receiver.features, getattr(receiver, "labels", None),
                                       ModeKeys.PREDICT, self.config)
            signatures = build_all_signature_defs(receiver.receiver_tensors,
                                                  spec.export_outputs,
                                                  receiver.receiver_tensors_alternatives)
            saver = spec.scaffold.saver or Saver(sharded=True)
            local_init_op = spec.scaffold.local_init_op or Scaffold.default_local_init_op()
            with Session(config=self._config.session_config) as sess:
                saver.restore(sess, checkpoint_path)
                sess.run(local_init_op)
                path = write_saved_model(export_dir_base, sess, signatures, assets_extra,
                                         as_text, main_op=local_init_op)
        logging.info("SavedModel written to: %s", os.fsdecode(path))
        return path

    def export_savedmodel(self, export_dir_base, serving_input_receiver_fn, assets_extra=None,
                          as_text=False, checkpoint_path=None, strip_default_attrs=False):
        """TF 1.x's earlier name of ``export_saved_model``."""
        return self.export_saved_model(export_dir_base, serving_input_receiver_fn,
                                       assets_extra=assets_extra, as_text=as_text,
                                       checkpoint_path=checkpoint_path)

    # -- helpers --------------------------------------------------------------------------------
    def _new_graph(self, graph):
        from ..random import set_random_seed

        if self._config.tf_random_seed is not None:
            set_random_seed(self._config.tf_random_seed)
        step = create_global_step(graph)
        if not step.dtype.is_integer:
            raise TypeError("global_step must be an integer variable")

    def _call_input_fn(self, input_fn, mode):
        if not callable(input_fn):
            raise TypeError(f"input_fn must be callable, given: {input_fn}")
        args = fn_args(input_fn)
        kwargs = {}
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = self.params
        if "config" in args:
            kwargs["config"] = self.config
        return input_fn(**kwargs)

    def _get_features_and_labels_from_input_fn(self, input_fn, mode):
        return _parse_input_fn_result(self._call_input_fn(input_fn, mode))

    def _call_model_fn(self, features, labels, mode, config):
        kwargs = _model_fn_kwargs(self._model_fn, labels, mode, config, self.params)
        logging.info("Calling model_fn.")
        spec = self._model_fn(features=features, **kwargs)
        logging.info("Done calling model_fn.")
        if not isinstance(spec, EstimatorSpec):
            raise ValueError("model_fn should return an EstimatorSpec.")
        return spec

    def _maybe_warm_start(self, checkpoint_path):
        if not checkpoint_path and self._warm_start_settings:
            logging.info("Warm-starting with WarmStartSettings: %s", self._warm_start_settings)
            _warm_start(self._warm_start_settings)


# -- module helpers ---------------------------------------------------------------------------
def _model_fn_kwargs(model_fn, labels, mode, config, params) -> dict:
    """The arguments ``model_fn`` names, as TF's Estimator passes them (``features`` aside)."""
    args = fn_args(model_fn)
    if "labels" not in args and labels is not None:
        raise ValueError("model_fn does not take labels, but input_fn returns labels.")
    given = {"labels": labels, "mode": mode, "params": params, "config": config}
    return {k: v for k, v in given.items() if k in args}


def _verify_model_fn_args(model_fn, params):
    args = set(fn_args(model_fn))
    if "features" not in args:
        raise ValueError(f"model_fn ({model_fn}) must include features argument.")
    if params is not None and "params" not in args:
        raise ValueError(f"model_fn ({model_fn}) does not include params argument, but params "
                         f"({params}) is passed to Estimator.")
    if params is None and "params" in args:
        logging.warning("Estimator's model_fn (%s) includes params argument, but params are not "
                        "passed to Estimator.", model_fn)
    invalid = sorted(args - _VALID_MODEL_FN_ARGS)
    if invalid:
        raise ValueError(f"model_fn ({model_fn}) has following not expected args: {invalid}")


def _check_hooks_type(hooks) -> list:
    hooks = list(hooks or [])
    for h in hooks:
        if not isinstance(h, SessionRunHook):
            raise TypeError(f"Hooks must be a SessionRunHook, given: {h}")
    return hooks


def _check_listeners_type(listeners) -> list:
    listeners = list(listeners or [])
    for listener in listeners:
        if not isinstance(listener, hooks_lib.CheckpointSaverListener):
            raise TypeError(f"saving_listeners must be a list of CheckpointSaverListener, given: "
                            f"{listener}")
    return listeners


def _check_checkpoint_available(model_dir):
    if latest_checkpoint(model_dir) is None:
        raise ValueError(f"Could not find trained model in model_dir: {model_dir}.")


def _load_global_step_from_checkpoint_dir(checkpoint_dir) -> int:
    try:
        reader = load_checkpoint(latest_checkpoint(checkpoint_dir))
        return int(reader.get_tensor(GraphKeys.GLOBAL_STEP))
    except Exception:  # noqa: BLE001 - no checkpoint or no step: start from 0, as TF
        return 0


class _DatasetInitializerHook(SessionRunHook):
    """Initialises the input Dataset's iterator when the session starts."""

    def __init__(self, iterator):
        self._iterator = iterator

    def begin(self):
        self._initializer = self._iterator.initializer

    def after_create_session(self, session, coord):
        session.run(self._initializer)


def _parse_input_fn_result(result):
    """(features, labels, hooks) from what an input_fn returned: a Dataset (of features or
    (features, labels)), a (features, labels) pair, or features alone."""
    from ..data import Dataset

    hooks = []
    if isinstance(result, Dataset):
        iterator = result.make_initializable_iterator()
        hooks.append(_DatasetInitializerHook(iterator))
        result = iterator.get_next()
    if isinstance(result, (list, tuple)):
        if len(result) != 2:
            raise ValueError("input_fn should return (features, labels) as a len 2 tuple.")
        return result[0], result[1], hooks
    return result, None, hooks


def _extract_keys(predictions, predict_keys):
    if predict_keys is None:
        return predictions
    if not isinstance(predictions, dict):
        raise ValueError("predict_keys argument is not valid in case of non-dict predictions.")
    existing = list(predictions)
    predictions = {k: v for k, v in predictions.items() if k in predict_keys}
    if not predictions:
        raise ValueError(f"Expected to run at least one output from {existing}, provided "
                         f"{predict_keys}.")
    return predictions


def _extract_batch_length(values) -> int:
    length = None
    for key, value in values.items():
        length = length or value.shape[0]
        if value.shape[0] != length:
            raise ValueError(f"Batch length of predictions should be same. {key} has different "
                             f"batch length than others.")
    return length


class _GraphSummaryHook(SessionRunHook):
    """Writes the training graph to model_dir's events, as TF's CheckpointSaverHook does (the
    Graphs tab of TensorBoard)."""

    def __init__(self, output_dir):
        self._output_dir = output_dir

    def after_create_session(self, session, coord):
        summary.FileWriterCache.get(self._output_dir).add_graph(session.graph)


