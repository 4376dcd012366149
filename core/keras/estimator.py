"""``tf.keras.estimator.model_to_estimator`` (TF 1.15, tensorflow_estimator's keras.py): an
Estimator whose model_fn clones the compiled Keras model into the Estimator's graph on the
input_fn's features, so a Keras model trains, evaluates, predicts and exports for serving
through ``tf.estimator``.

As TF: the clone is rebuilt in every mode with the learning phase fixed (1 in TRAIN, 0 in
EVAL/PREDICT, so Dropout and BatchNormalization behave); in TRAIN/EVAL it is compiled again
(same loss, loss weights and metrics, a fresh optimizer from the model's optimizer config) on
the labels, and its optimizer's ``iterations`` is the global step, so the train op increments
it. Before the Estimator exists, the Keras model's current weights are written to
``model_dir/keras/keras_model.ckpt`` by a clone in a graph of its own, and the Estimator
warm-starts from that checkpoint (``warm_start_from=<path>``: TF's default, trainable
variables only) until model_dir has a checkpoint of its own.

The loss is the clone's compiled total loss; with input_fn features of the form
``{"features": ..., "sample_weights": ...}`` compile takes those sample weights in place of its
(by default all-ones) sample-weight inputs (TF's convention). Eval metrics are the compiled
metrics as ``(value, update_op)`` pairs, named as ``model.metrics_names`` names them."""

from __future__ import annotations

import os

from .. import nest
from .. import tf_logging as logging
from ..graph import Graph, get_default_graph, name_scope
from ..ops import constant_ops
from . import backend
from . import metrics as metrics_mod
from . import models, optimizers

__all__ = ["model_to_estimator"]

_DEFAULT_SERVING_KEY = "serving_default"


def model_to_estimator(keras_model=None, keras_model_path=None, custom_objects=None,
                       model_dir=None, config=None, checkpoint_format="saver"):
    """An Estimator of the compiled ``keras_model`` (or of the model saved at
    ``keras_model_path``), starting from the model's current weights."""
    from ..estimator import Estimator
    from ..estimator.estimator import maybe_overwrite_model_dir_and_session_config

    if not (keras_model or keras_model_path):
        raise ValueError("Either `keras_model` or `keras_model_path` needs to be provided.")
    if keras_model and keras_model_path:
        raise ValueError("Please specity either `keras_model` or `keras_model_path`, but not "
                         "both.")
    config = maybe_overwrite_model_dir_and_session_config(config, model_dir)
    if not keras_model:
        logging.info("Loading models from %s", keras_model_path)
        keras_model = models.load_model(keras_model_path, custom_objects=custom_objects)
    else:
        logging.info("Using the Keras model provided.")
    if checkpoint_format not in ("saver",):
        if checkpoint_format in (None, "checkpoint"):
            raise ValueError("checkpoint_format='checkpoint' (object-based Estimator "
                             "checkpoints) is not supported by minitf; use 'saver' (TF "
                             "1.15's default).")
        raise ValueError(f'Checkpoint format must be one of "checkpoint" or "saver". Got '
                         f"{checkpoint_format}")
    if not getattr(keras_model, "optimizer", None):
        raise ValueError("The given keras model has not been compiled yet. Please compile the "
                         "model with `model.compile()` before calling `model_to_estimator()`.")
    optimizer_config = _optimizer_config(keras_model)
    keras_model_fn = _create_keras_model_fn(keras_model, custom_objects, optimizer_config)
    warm_start_path = None
    if keras_model._is_graph_network:
        warm_start_path = _save_first_checkpoint(keras_model, custom_objects, config,
                                                 optimizer_config)
    elif keras_model.built:
        logging.warning("You are creating an Estimator from a Keras model manually subclassed "
                        "from `Model`, that was already called on some inputs (and thus "
                        "already had weights). We are currently unable to preserve the "
                        "model's state (its weights) as part of the estimator in this case. "
                        "Be warned that the estimator has been created using a freshly "
                        "initialized version of your model.")
    return Estimator(keras_model_fn, config=config, warm_start_from=warm_start_path)


def _optimizer_config(keras_model):
    """The optimizer's config, read now (its current learning rate, in the Keras model's
    graph), as TF reads it when the Estimator is made; None for a tf.train optimizer."""
    if isinstance(keras_model.optimizer, optimizers.TFOptimizer):
        return None
    graph = keras_model.outputs[0].graph if keras_model.outputs else get_default_graph()
    with graph.as_default():
        return keras_model.optimizer.get_config()


def _create_keras_model_fn(keras_model, custom_objects=None, optimizer_config=None):
    """The Estimator's model_fn."""
    def model_fn(features, labels, mode):
        from ..estimator import EstimatorSpec, ModeKeys
        from ..estimator.export import PredictOutput

        model = _clone_and_build_model(mode, keras_model, custom_objects, features, labels,
                                       optimizer_config)
        predictions = dict(zip(model.output_names, model.outputs))
        loss = train_op = eval_metric_ops = None
        if mode != ModeKeys.PREDICT:
            loss, eval_metric_ops = model.total_loss, _eval_metric_ops(model)
        if mode == ModeKeys.TRAIN:
            with name_scope("training"):
                params = model.trainable_weights
                # by keyword, as TF calls it (keras-rl's wrappers take (params, loss))
                updates = list(model.optimizer.get_updates(params=params, loss=loss)) \
                    if params else []
                updates += [getattr(u, "op", u) for u in model.updates]
                train_op = constant_ops.group(*updates)
        return EstimatorSpec(mode=mode, predictions=predictions, loss=loss, train_op=train_op,
                             eval_metric_ops=eval_metric_ops,
                             export_outputs={_DEFAULT_SERVING_KEY: PredictOutput(predictions)})

    return model_fn


def _clone_and_build_model(mode, keras_model, custom_objects, features=None, labels=None,
                           optimizer_config=None):
    """The model cloned in the default graph on ``features`` (placeholders when None), with
    the learning phase of ``mode``; compiled on ``labels`` unless predicting."""
    from ..estimator import ModeKeys
    from ..train.step import get_or_create_global_step

    backend.set_learning_phase(1 if mode == ModeKeys.TRAIN else 0)
    features, sample_weights = _extract_sample_weight_tensors(features)
    inputs = _ordered_tensors(features, keras_model.input_names, "features", "inputs")
    if inputs is not None and len(inputs) != len(keras_model.inputs):
        raise ValueError(f"The model has {len(keras_model.inputs)} inputs "
                         f"{keras_model.input_names}, but the features give {len(inputs)} "
                         f"tensor(s): pass a dict keyed by the input names.")
    clone = _clone(keras_model, inputs, custom_objects)
    if mode == ModeKeys.PREDICT:
        return clone
    targets = _ordered_tensors(labels, keras_model.output_names, "labels", "outputs")
    if targets is None and features is not None:
        raise ValueError(f"The Keras model's Estimator needs labels in mode {mode!r}: the "
                         f"input_fn must return (features, labels).")
    global_step = get_or_create_global_step()
    original = keras_model.optimizer
    if isinstance(original, optimizers.TFOptimizer):
        optimizer = optimizers.TFOptimizer(original.optimizer, global_step)
    else:
        optimizer = type(original).from_config(optimizer_config)
        optimizer._iterations = global_step  # TF's optimizer_iterations=global_step
    if sample_weights is not None:
        clone._given_sample_weights = _ordered_tensors(sample_weights, clone.output_names,
                                                       "sample_weights", "outputs")
    args = keras_model._compile_args
    clone.compile(optimizer, loss=keras_model.loss,
                  metrics=_clone_metrics(args["metrics"]),
                  loss_weights=args["loss_weights"],
                  sample_weight_mode=args["sample_weight_mode"],
                  weighted_metrics=_clone_metrics(args["weighted_metrics"]),
                  target_tensors=targets)
    return clone


def _clone(keras_model, inputs, custom_objects):
    from .utils import custom_object_scope

    with custom_object_scope(custom_objects or {}):
        if inputs is None:
            return models.clone_model(keras_model)
        return models.clone_model(keras_model, input_tensors=inputs if len(inputs) > 1
                                  else inputs[0])


def _clone_metrics(spec):
    """Metric objects made again from their configs (their variables belong to the Keras
    model's graph); names and functions as they are (TF's ``clone_metrics``)."""
    def one(m):
        if not isinstance(m, metrics_mod.Metric):
            return m
        if type(m) is metrics_mod.MeanMetricWrapper:
            return metrics_mod.MeanMetricWrapper(m._fn, name=m.name, dtype=m.dtype,
                                                 **m._fn_kwargs)
        return type(m).from_config(m.get_config())

    if spec is None:
        return None
    return nest.map_structure(one, spec)


def _extract_sample_weight_tensors(features):
    if isinstance(features, dict) and set(features) == {"features", "sample_weights"}:
        return features["features"], features["sample_weights"]
    return features, None


def _ordered_tensors(obj, key_order, obj_name, order_name):
    """TF's ``_to_ordered_tensor_list``: a dict must have exactly the model's names."""
    from ..ops.constant_ops import convert_to_tensor

    if obj is None:
        return None
    if isinstance(obj, (list, tuple)):
        return [convert_to_tensor(x) for x in obj]
    if isinstance(obj, dict):
        different = set(obj) ^ set(key_order)
        if different:
            raise KeyError(f"The dictionary passed into {obj_name} does not have the expected "
                           f"{order_name} keys defined in the keras model.\n\tExpected keys: "
                           f"{set(key_order)}\n\t{obj_name} keys: {set(obj)}\n\tDifference: "
                           f"{different}")
        return [convert_to_tensor(obj[k]) for k in key_order]
    return [convert_to_tensor(obj)]


# -- metrics ------------------------------------------------------------------------------
def _eval_metric_ops(model):
    """{name: (metric.result(), update_op)} for the compiled metrics, in compile's order."""
    names = model._metrics_names[len(model._metrics_names) - len(model._metric_objects):]
    ops = {}
    for name, metric, update in zip(names, model._metric_objects, model._metric_updates):
        with name_scope(name):
            ops[name] = (metric.result(), getattr(update, "op", update))
    return ops


# -- the first checkpoint -------------------------------------------------------------------
def _save_first_checkpoint(keras_model, custom_objects, config, optimizer_config):
    """``model_dir/keras/keras_model.ckpt``: the Keras model's current weights in a TRAIN
    clone of it (optimizer slots made, so their names are the Estimator's), unless a
    checkpoint is already there. Returns its path."""
    from ..estimator import ModeKeys
    from ..random import set_random_seed
    from ..session import Session
    from ..train.saver import Saver, SaverDef, latest_checkpoint
    from ..train.step import create_global_step
    from ..variables import global_variables_initializer, local_variables_initializer

    keras_model_dir = os.path.join(config.model_dir, "keras")
    latest_path = latest_checkpoint(keras_model_dir)
    if latest_path:
        return latest_path
    keras_weights = keras_model.get_weights()
    os.makedirs(keras_model_dir, exist_ok=True)
    with Graph().as_default() as graph:
        if config.tf_random_seed is not None:
            set_random_seed(config.tf_random_seed)
        create_global_step(graph)
        model = _clone_and_build_model(ModeKeys.TRAIN, keras_model, custom_objects,
                                       optimizer_config=optimizer_config)
        with name_scope("training"):
            model.optimizer.get_updates(params=model.trainable_weights, loss=model.total_loss)
        with Session(graph=graph, config=config.session_config) as sess:
            sess.run([global_variables_initializer(), local_variables_initializer()])
            with sess.as_default():
                model.set_weights(keras_weights)
            latest_path = os.path.join(keras_model_dir, "keras_model.ckpt")
            # TensorFlow's checkpoint format, as TF writes it (TF reads it back).
            Saver(write_version=SaverDef.V2, save_relative_paths=True).save(sess, latest_path)
    return latest_path

