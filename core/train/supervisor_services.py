"""The Supervisor's background services (``tf.train.LooperThread`` and the summary,
step-counter and checkpoint threads built on it), as in TF's supervisor.py and
coordinator.py."""

from __future__ import annotations

import itertools
import threading
import time

from .. import _wire
from .. import tf_logging as logging
from .coordinator import Coordinator

# SessionLog.status values (event.proto); core encodes the message by hand.
_START, _STOP, _CHECKPOINT = 1, 2, 3


def _session_log(status, checkpoint_path=None) -> bytes:
    return _wire.uint(1, status) + (_wire.string(2, checkpoint_path) if checkpoint_path else b"")


def _step(sess, step_tensor) -> int:
    return int(sess.run(step_tensor))


# -- threads -------------------------------------------------------------------------------------
class LooperThread(threading.Thread):
    """``tf.train.LooperThread``: calls ``run_loop()`` (or ``target``) every
    ``timer_interval_secs`` from the start, or back to back when it is None, until the
    coordinator stops; an exception is reported to the coordinator and ends the thread."""

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")
        super().__init__(daemon=True)
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target = target
        if target:
            self._args, self._kwargs = args or (), kwargs or {}
        elif args or kwargs:
            raise ValueError("'args' and 'kwargs' argument require that you also pass "
                             "'target'")
        coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None):
        looper = LooperThread(coord, timer_interval_secs, target=target, args=args,
                              kwargs=kwargs)
        looper.start()
        return looper

    def run(self):
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.monotonic() + getattr(self, "_first_delay", 0.0)
                while not self._coord.wait_for_stop(next_time - time.monotonic()):
                    # Ticks missed while run_loop was slow are coalesced into one (TF would
                    # run them back to back).
                    next_time = max(next_time + self._timer_interval_secs, time.monotonic())
                    self.run_loop()
            self.stop_loop()

    def start_loop(self):
        """Called once when the thread starts."""

    def stop_loop(self):
        """Called once when the thread ends without an exception."""

    def run_loop(self):
        if self._target:
            self._target(*self._args, **self._kwargs)


class SVSummaryThread(LooperThread):
    """Runs the summary op every ``save_summaries_secs`` and writes the result."""

    def __init__(self, sv, sess):
        super().__init__(sv.coord, sv.save_summaries_secs)
        self._sv, self._sess = sv, sess

    def run_loop(self):
        if self._sv.global_step is not None:
            summary, step = self._sess.run([self._sv.summary_op, self._sv.global_step])
        else:
            summary, step = self._sess.run(self._sv.summary_op), None
        if self._sv.summary_writer:
            logging.info("Recording summary at step %s.", step)
            self._sv.summary_writer.add_summary(summary, step)


_rates_logged = itertools.count()  # next() is atomic: several Supervisors' threads share it


class SVStepCounterThread(LooperThread):
    """Writes ``<step op name>/sec``, the steps per second, every ``save_summaries_secs``."""

    def __init__(self, sv, sess, step_counter=None):
        super().__init__(sv.coord, sv.save_summaries_secs)
        self._sv, self._sess = sv, sess
        self._step_counter = sv.global_step if step_counter is None else step_counter
        self._summary_tag = f"{self._step_counter.op.name}/sec"
        self._last_time, self._last_step = 0.0, 0

    def start_loop(self):
        self._last_time = time.monotonic()
        self._last_step = _step(self._sess, self._step_counter)

    def run_loop(self):
        step = _step(self._sess, self._step_counter)
        now = time.monotonic()
        elapsed = now - self._last_time
        rate = (step - self._last_step) / elapsed if elapsed > 0 else float("inf")
        self._last_step, self._last_time = step, now
        if self._sv.summary_writer:
            # Summary{value{tag=1, simple_value=2}}
            value = _wire.string(1, self._summary_tag) + _wire.float32(2, rate)
            self._sv.summary_writer.add_summary(_wire.length_delimited(1, value), step)
        if next(_rates_logged) < 10:  # TF logs only the first ten rates
            logging.info("%s: %g", self._summary_tag, rate)


class SVTimerCheckpointThread(LooperThread):
    """Saves a checkpoint every ``save_model_secs`` (SessionLog CHECKPOINT follows)."""

    def __init__(self, sv, sess):
        super().__init__(sv.coord, sv.save_model_secs)
        self._sv, self._sess = sv, sess

    def start(self):
        # TF's thread saves at once, then every interval. That first save is made here,
        # before training goes on: from the thread it could land after a short run's final
        # save and leave `checkpoint` naming step 0.
        self.run_loop()
        self._first_delay = self._timer_interval_secs
        super().start()

    def run_loop(self):
        logging.info("Saving checkpoint to path %s", self._sv.save_path)
        self._sv.saver.save(self._sess, self._sv.save_path, global_step=self._sv.global_step)
        if self._sv.summary_writer and self._sv.global_step is not None:
            self._sv.summary_writer.add_session_log(
                _session_log(_CHECKPOINT, self._sv.save_path),
                _step(self._sess, self._sv.global_step))
