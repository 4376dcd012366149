"""The stock ``tf.train`` SessionRunHooks: stop at a step, save checkpoints and summaries, count
steps per second, log tensors, fail on a NaN loss, feed each run, run final ops, and profile
(a Chrome trace of a traced run every N steps or seconds)."""

from __future__ import annotations

import importlib
import os
import time

import numpy as np

from .. import tf_logging as logging
from ..graph import Tensor, get_default_graph
from .session_run_hook import SessionRunArgs, SessionRunHook
from .step import get_global_step


class SecondOrStepTimer:
    """Triggers every ``every_secs`` seconds or every ``every_steps`` steps (exactly one)."""

    def __init__(self, every_secs=None, every_steps=None):
        if every_secs is None and every_steps is None:
            raise ValueError("Either every_secs or every_steps should be provided.")
        if every_secs is not None and every_steps is not None:
            raise ValueError("Can not provide both every_secs and every_steps.")
        self._every_secs, self._every_steps = every_secs, every_steps
        self.reset()

    def reset(self):
        self._last_time = self._last_step = None

    def should_trigger_for_step(self, step) -> bool:
        if self._last_step is None:
            return True
        if self._last_step == step:
            return False
        if self._every_secs is not None:
            return time.time() >= self._last_time + self._every_secs
        return step >= self._last_step + self._every_steps

    def update_last_triggered_step(self, step):
        """Records a trigger; returns (seconds, steps) since the last one (None the first
        time)."""
        now = time.time()
        elapsed = None if self._last_time is None else (now - self._last_time,
                                                        step - self._last_step)
        self._last_time, self._last_step = now, step
        return elapsed or (None, None)

    def last_triggered_step(self):
        return self._last_step


def _global_step_or_raise(hook: str):
    step = get_global_step()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook}.")
    return step


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches ``last_step`` (or ``num_steps`` more than
    it was when the session was created)."""

    def __init__(self, num_steps=None, last_step=None):
        if (num_steps is None) == (last_step is None):
            raise ValueError("Exactly one of num_steps or last_step must be provided.")
        if num_steps is not None and num_steps < 0:
            raise ValueError("num_steps must be non-negative.")
        self._num_steps, self._last_step = num_steps, last_step

    def begin(self):
        self._step_tensor = _global_step_or_raise("StopAtStepHook")

    def after_create_session(self, session, coord):
        if self._num_steps is not None:
            self._last_step = int(session.run(self._step_tensor)) + self._num_steps

    def before_run(self, run_context):
        return SessionRunArgs(self._step_tensor)

    def after_run(self, run_context, run_values):
        # The results are from before this run's increment: read the step again only when it
        # may have reached the end (as TF does).
        if int(run_values.results) + 1 >= self._last_step:
            if int(run_context.session.run(self._step_tensor)) >= self._last_step:
                run_context.request_stop()


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint when the session starts, every ``save_secs`` or ``save_steps``, and
    at the end. As TF's, it also writes to the events file of ``checkpoint_dir``: the graph and
    its meta graph once, and a CHECKPOINT session log per save."""

    def __init__(self, checkpoint_dir, save_secs=None, save_steps=None, saver=None,
                 checkpoint_basename="model.ckpt", scaffold=None, listeners=None,
                 save_graph_def=True):
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._dir = os.fspath(checkpoint_dir)
        self._path = os.path.join(self._dir, checkpoint_basename)
        self._saver, self._scaffold = saver, scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = list(listeners or [])
        self._save_graph_def = save_graph_def

    def begin(self):
        from ..summary import FileWriterCache

        self._writer = FileWriterCache.get(self._dir)
        self._step_tensor = _global_step_or_raise("CheckpointSaverHook")
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session, coord):
        step = int(session.run(self._step_tensor))
        # Here, not in begin: other hooks' begin may add to the graph.
        if self._save_graph_def:
            from ..graph_util import write_graph

            os.makedirs(self._dir, exist_ok=True)
            write_graph(session.graph, self._dir, "graph.pbtxt")
        from .saver import export_meta_graph

        saver = self._get_saver()
        self._writer.add_graph(session.graph)
        self._writer.add_meta_graph(export_meta_graph(
            graph=session.graph, saver_def=saver.as_saver_def() if saver is not None else None))
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def before_run(self, run_context):
        return SessionRunArgs(self._step_tensor)

    def after_run(self, run_context, run_values):
        if self._timer.should_trigger_for_step(int(run_values.results) + 1):
            step = int(run_context.session.run(self._step_tensor))
            if self._timer.should_trigger_for_step(step):
                self._timer.update_last_triggered_step(step)
                if self._save(run_context.session, step):
                    run_context.request_stop()

    def end(self, session):
        step = int(session.run(self._step_tensor))
        if step != self._timer.last_triggered_step():
            self._save(session, step)
        for listener in self._listeners:
            listener.end(session, step)
        self._writer.flush()  # the last save's log on disk when training returns

    def _save(self, session, step) -> bool:
        """Saves; True when a listener asks to stop training."""
        for listener in self._listeners:
            listener.before_save(session, step)
        logging.info("Saving checkpoints for %d into %s.", step, self._path)
        self._get_saver().save(session, self._path, global_step=step,
                               write_meta_graph=self._save_graph_def)
        from ..summary import SessionLog

        self._writer.add_session_log(SessionLog(status=SessionLog.CHECKPOINT,
                                                checkpoint_path=self._path), step)
        return any([bool(listener.after_save(session, step)) for listener in self._listeners])

    def _get_saver(self):
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        from ..graph import GraphKeys

        savers = get_default_graph().get_collection(GraphKeys.SAVERS)
        if len(savers) != 1:
            raise RuntimeError(f"There should be exactly one saver in the SAVERS collection "
                               f"(found {len(savers)}); pass saver= or scaffold=.")
        return savers[0]


class CheckpointSaverListener:
    """Called around each save of a CheckpointSaverHook (``after_save`` returning True stops
    training)."""

    def begin(self):
        pass

    def before_save(self, session, global_step_value):
        pass

    def after_save(self, session, global_step_value):
        pass

    def end(self, session, global_step_value):
        pass


class SummarySaverHook(SessionRunHook):
    """Runs the summary op every ``save_steps`` steps or ``save_secs`` seconds and writes its
    result to ``output_dir``'s event file."""

    def __init__(self, save_steps=None, save_secs=None, output_dir=None, summary_writer=None,
                 scaffold=None, summary_op=None):
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op, self._scaffold = summary_op, scaffold
        self._writer, self._output_dir = summary_writer, output_dir
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        if self._writer is None and self._output_dir:
            from ..summary import FileWriterCache

            self._writer = FileWriterCache.get(self._output_dir)
        self._step_tensor = _global_step_or_raise("SummarySaver")
        self._next_step = None

    def _op(self):
        op = self._summary_op if self._summary_op is not None else self._scaffold.summary_op
        return op

    def before_run(self, run_context):
        self._request = self._next_step is None or \
            self._timer.should_trigger_for_step(self._next_step)
        fetches = {"global_step": self._step_tensor}
        if self._request and self._op() is not None:
            fetches["summary"] = self._op()
        return SessionRunArgs(fetches)

    def after_run(self, run_context, run_values):
        step = int(run_values.results["global_step"])
        if self._next_step is None:
            if self._writer is not None:  # TF's: the event file marks where the run started
                from ..summary import SessionLog

                self._writer.add_session_log(SessionLog(status=SessionLog.START), step)
            self._timer.update_last_triggered_step(step)
        elif self._request:
            self._timer.update_last_triggered_step(step)
        if "summary" in run_values.results and self._writer is not None:
            self._writer.add_summary(run_values.results["summary"], step)
        self._next_step = step + 1

    def end(self, session=None):
        if self._writer is not None:
            self._writer.flush()


class StepCounterHook(SessionRunHook):
    """Logs (and writes as the summary ``global_step/sec``) the steps per second."""

    def __init__(self, every_n_steps=100, every_n_secs=None, output_dir=None,
                 summary_writer=None):
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be "
                             "provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._writer, self._output_dir = summary_writer, output_dir

    def begin(self):
        if self._writer is None and self._output_dir:
            from ..summary import FileWriterCache

            self._writer = FileWriterCache.get(self._output_dir)
        self._step_tensor = _global_step_or_raise("StepCounter")

    def before_run(self, run_context):
        return SessionRunArgs(self._step_tensor)

    def after_run(self, run_context, run_values):
        # The step fetched with the train op may be read before or after its increment (TF's
        # order is not fixed; minitf's read sees the update): as TF, a step that could be due
        # reads the global step again and records that.
        if self._timer.should_trigger_for_step(int(run_values.results) + 1):
            step = int(run_context.session.run(self._step_tensor))
            if not self._timer.should_trigger_for_step(step):
                return
            secs, steps = self._timer.update_last_triggered_step(step)
            if secs:
                self._log_and_record(steps, secs, step)

    def _log_and_record(self, elapsed_steps, elapsed_time, global_step):
        """TF's extension point: logs and records the rate (subclasses add their own)."""
        rate = elapsed_steps / elapsed_time
        logging.info("global_step/sec: %g", rate)
        self._record("global_step/sec", rate, global_step)

    def _record(self, tag, value, step):
        if self._writer is not None:
            from .. import _wire
            # Summary{value{tag, simple_value}}: core encodes it by hand.
            summary = _wire.string(1, tag) + _wire.float32(2, value)
            self._writer.add_summary(_wire.length_delimited(1, summary), step)


class LoggingTensorHook(SessionRunHook):
    """Logs tensors' values every ``every_n_iter`` runs or ``every_n_secs`` seconds (and/or at
    the end)."""

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False,
                 formatter=None):
        only_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError("either at_end and/or exactly one of every_n_iter and "
                             "every_n_secs must be provided.")
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if isinstance(tensors, dict):
            self._tags = sorted(tensors)
        else:  # a list keeps its order, and its items (names or tensors) are the keys, as TF
            self._tags = list(tensors)
            tensors = {t: t for t in tensors}
        self._tensors = tensors
        self._timer = None if only_at_end else SecondOrStepTimer(every_secs=every_n_secs,
                                                                 every_steps=every_n_iter)
        self._at_end, self._formatter = at_end, formatter

    def begin(self):
        graph = get_default_graph()
        self._fetches = {tag: t if isinstance(t, Tensor) else graph.as_graph_element(t)
                         for tag, t in self._tensors.items()}
        self._iter = 0
        if self._timer is not None:
            self._timer.reset()

    def before_run(self, run_context):
        self._should = self._timer is not None and \
            self._timer.should_trigger_for_step(self._iter)
        return SessionRunArgs(self._fetches) if self._should else None

    def after_run(self, run_context, run_values):
        if self._should:
            self._log(run_values.results)
        self._iter += 1

    def end(self, session):
        if self._at_end:
            self._log(session.run(self._fetches))

    def _log(self, values):
        # TF's: the seconds since the last log follow the values (not on the first one).
        secs = None if self._timer is None else \
            self._timer.update_last_triggered_step(self._iter)[0]
        if self._formatter is not None:
            logging.info(self._formatter(values))
            return
        with np.printoptions(suppress=True):
            text = ", ".join(f"{tag} = {values[tag]}" for tag in self._tags)
        if secs is not None:
            logging.info("%s (%.3f sec)", text, secs)
        else:
            logging.info("%s", text)


class NanLossDuringTrainingError(RuntimeError):
    def __str__(self):
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Raises NanLossDuringTrainingError (or, with ``fail_on_nan_loss=False``, stops) when
    the loss is NaN."""

    def __init__(self, loss_tensor, fail_on_nan_loss=True):
        self._loss, self._fail = loss_tensor, fail_on_nan_loss

    def before_run(self, run_context):
        return SessionRunArgs(self._loss)

    def after_run(self, run_context, run_values):
        if np.isnan(run_values.results).any():
            if self._fail:
                logging.error("Model diverged with loss = NaN.")
                raise NanLossDuringTrainingError
            logging.warning("Model diverged with loss = NaN.")
            run_context.request_stop()


class FeedFnHook(SessionRunHook):
    """Adds ``feed_fn()``'s feeds to every run."""

    def __init__(self, feed_fn):
        self.feed_fn = feed_fn

    def before_run(self, run_context):
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class FinalOpsHook(SessionRunHook):
    """Runs ``final_ops`` when the session ends; their values are ``final_ops_values``."""

    def __init__(self, final_ops, final_ops_feed_dict=None):
        self._final_ops, self._feed = final_ops, final_ops_feed_dict
        self._values = None

    @property
    def final_ops_values(self):
        return self._values

    def end(self, session):
        if self._final_ops is not None:
            self._values = session.run(self._final_ops, feed_dict=self._feed)


class ProfilerHook(SessionRunHook):
    """Traces a run every ``save_steps`` steps or ``save_secs`` seconds (exactly one), and
    writes it as a Chrome trace, ``output_dir/timeline-<global step>.json``, and into
    ``output_dir``'s event file (``add_run_metadata``, tag ``step_<global step>``), as TF 1.x's.

    As TF's: the first run is never traced (it starts the timer at the global step before it);
    a traced run asks for FULL_TRACE through its SessionRunArgs' options (MonitoredSession
    merges them into the run's), and names its files by the global step after the run;
    ``output_dir=""`` is the current directory.
    """

    def __init__(self, save_steps=None, save_secs=None, output_dir="", show_dataflow=True,
                 show_memory=False):
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._output_file = os.path.join(os.fspath(output_dir), "timeline-{}.json")
        from ..summary import FileWriterCache

        # TF's FileWriter('') writes in the working directory; minitf's needs a directory name.
        self._file_writer = FileWriterCache.get(os.fspath(output_dir) or os.curdir)
        self._show_dataflow, self._show_memory = show_dataflow, show_memory

    def begin(self):
        self._next_step = None
        self._global_step_tensor = _global_step_or_raise("ProfilerHook")

    def before_run(self, run_context):
        if self._next_step is None:  # the step before the first run: where the timer starts
            self._start_step = int(run_context.session.run(self._global_step_tensor))
        self._request_summary = (self._next_step is not None
                                 and self._timer.should_trigger_for_step(self._next_step))
        options = None
        if self._request_summary:
            config_pb2 = importlib.import_module("minitf.protos.config_pb2")  # core: lazily
            options = config_pb2.RunOptions(trace_level=config_pb2.RunOptions.FULL_TRACE)
        return SessionRunArgs({"global_step": self._global_step_tensor}, options=options)

    def after_run(self, run_context, run_values):
        # TF reads the step before the run's increment and adds one; minitf reads a variable
        # fetched in the run that updates it after the update: the step this run reached.
        global_step = int(run_values.results["global_step"])
        if self._next_step is None:  # the first run starts the timer: not traced
            self._timer.update_last_triggered_step(self._start_step)
        if self._request_summary:
            run_metadata = run_values.run_metadata
            if run_metadata is None:
                raise RuntimeError("ProfilerHook asked for a traced run, but the session "
                                   "gave its hooks no run_metadata: it did not apply the "
                                   "hook's RunOptions")
            self._timer.update_last_triggered_step(global_step)
            self._save(global_step, self._output_file.format(global_step),
                       run_metadata.step_stats)
            self._file_writer.add_run_metadata(run_metadata, f"step_{global_step}")
        self._next_step = global_step + 1

    def _save(self, step, save_path, step_stats):
        from .. import gfile
        from ..timeline import Timeline

        logging.info("Saving timeline for %d into '%s'.", step, save_path)
        trace = Timeline(step_stats).generate_chrome_trace_format(
            show_dataflow=self._show_dataflow, show_memory=self._show_memory)
        with gfile.Open(save_path, "w") as f:
            f.write(trace)
