"""``tf.estimator.BestExporter`` (TF 1.15's tensorflow_estimator exporter.py): exports after an
evaluation only when its result beats the best so far by ``compare_fn`` (default: a smaller
``loss``), keeping the ``exports_to_keep`` newest exports. The best so far is first read back
from the eval event files under model_dir (``event_file_pattern``), so a restarted job does not
export a model worse than one it already exported."""

from __future__ import annotations

import glob
import os
import shutil

from .. import tf_logging as logging
from .model_fn import fn_args
from .training import Exporter


def _loss_smaller(best_eval_result, current_eval_result):
    """True when ``current_eval_result['loss']`` is smaller than the best's."""
    key = "loss"
    if not best_eval_result or key not in best_eval_result:
        raise ValueError("best_eval_result cannot be empty or no loss is found in it.")
    if not current_eval_result or key not in current_eval_result:
        raise ValueError("current_eval_result cannot be empty or no loss is found in it.")
    return best_eval_result[key] > current_eval_result[key]


def _verify_compare_fn_args(compare_fn):
    args = set(fn_args(compare_fn))
    for required in ("best_eval_result", "current_eval_result"):
        if required not in args:
            raise ValueError(f"compare_fn ({compare_fn}) must include {required} argument.")
    invalid = list(args - {"best_eval_result", "current_eval_result"})
    if invalid:
        raise ValueError(f"compare_fn ({compare_fn}) has following not expected args: "
                         f"{invalid}")


class BestExporter(Exporter):
    """Exports the serving graph and checkpoint each time the model is better than every
    model evaluated before it."""

    def __init__(self, name="best_exporter", serving_input_receiver_fn=None,
                 event_file_pattern="eval/*.tfevents.*", compare_fn=_loss_smaller,
                 assets_extra=None, as_text=False, exports_to_keep=5):
        if compare_fn is None:
            raise ValueError("`compare_fn` must not be None.")
        _verify_compare_fn_args(compare_fn)
        if exports_to_keep is not None and exports_to_keep <= 0:
            raise ValueError("`exports_to_keep`, if provided, must be a positive number. Got "
                             f"{exports_to_keep}")
        self._name, self._fn = name, serving_input_receiver_fn
        self._assets_extra, self._as_text = assets_extra, as_text
        self._compare_fn, self._event_file_pattern = compare_fn, event_file_pattern
        self._exports_to_keep = exports_to_keep
        self._model_dir = None
        self._best_eval_result = None
        self._has_exported = False

    @property
    def name(self):
        return self._name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if self._model_dir != estimator.model_dir and self._event_file_pattern:
            logging.info("Loading best metric from event files.")
            self._model_dir = estimator.model_dir
            self._best_eval_result = self._get_best_eval_result(
                os.path.join(self._model_dir, self._event_file_pattern))
        # The evaluation being exported is already in the event files: when it is the best
        # one read back and nothing was exported yet, it is exported.
        if (self._best_eval_result is None
                or (not self._has_exported and self._best_eval_result == eval_result)
                or self._compare_fn(best_eval_result=self._best_eval_result,
                                    current_eval_result=eval_result)):
            logging.info("Performing best model export.")
            self._best_eval_result = eval_result
            result = estimator.export_saved_model(export_path, self._fn,
                                                  assets_extra=self._assets_extra,
                                                  as_text=self._as_text,
                                                  checkpoint_path=checkpoint_path)
            self._garbage_collect_exports(export_path)
            self._has_exported = True
            return result
        return None

    def _garbage_collect_exports(self, export_dir_base):
        """Deletes all but the ``exports_to_keep`` largest export versions (10-digit
        timestamp directory names; anything else is left alone)."""
        if self._exports_to_keep is None:
            return
        base = os.fsdecode(export_dir_base)
        try:
            names = os.listdir(base)
        except FileNotFoundError:
            return
        versions = sorted(int(n) for n in names if len(n) == 10 and n.isdigit())
        for version in versions[:-self._exports_to_keep]:
            path = os.path.join(base, f"{version:010d}")
            try:
                shutil.rmtree(path)
            except FileNotFoundError as e:
                logging.warning("Can not delete %s recursively: %s", path, e)

    def _get_best_eval_result(self, event_files):
        """The best of the scalar summaries of each event in the files matching the
        pattern, by ``compare_fn``; None when there are none."""
        from ..train.training_extras import summary_iterator

        if not event_files:
            return None
        best = None
        for path in glob.glob(event_files):
            for event in summary_iterator(path):
                if not event.HasField("summary"):
                    continue
                result = {v.tag: v.simple_value for v in event.summary.value
                          if v.HasField("simple_value")}
                if result and (best is None or self._compare_fn(best, result)):
                    best = result
        return best
