"""``tf.train.Coordinator``: threads ask each other to stop, and the first exception a thread
reports is raised again in ``join``."""

from __future__ import annotations

import contextlib
import sys
import threading
import time

from ..errors import OutOfRangeError


class Coordinator:
    def __init__(self, clean_stop_exception_types=None):
        # OutOfRangeError (input exhausted) ends training normally, as in TF.
        self._clean = tuple(clean_stop_exception_types
                            if clean_stop_exception_types is not None else (OutOfRangeError,))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._exc_info = None
        self._threads: set = set()
        self._joined = False

    def request_stop(self, ex=None):
        """Asks every thread to stop; ``ex`` (an exception or exc_info triple) is kept to be
        raised by ``join``, unless it is one of the clean stop types."""
        with self._lock:
            info = None if ex is None else \
                ex if isinstance(ex, tuple) else (type(ex), ex, ex.__traceback__)
            if info is not None and issubclass(info[0], self._clean):
                info = None
            if self._joined and info is not None:
                # join has returned: nobody would see it kept, so it is raised here (TF1)
                raise info[1].with_traceback(info[2])
            # As TF1, only the first stop may carry an exception: one reported after a stop
            # was requested (a thread failing while the others wind down) is dropped.
            if not self._stop.is_set():
                self._exc_info = info
            self._stop.set()

    def clear_stop(self):
        with self._lock:
            self._joined = False
            self._exc_info = None
            self._stop.clear()

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def wait_for_stop(self, timeout=None) -> bool:
        return self._stop.wait(timeout)

    @contextlib.contextmanager
    def stop_on_exception(self):
        """Any exception in the block requests a stop (and is kept for ``join``)."""
        try:
            yield
        except BaseException:  # noqa: BLE001 - any failure stops the others; join raises it
            self.request_stop(sys.exc_info())

    def register_thread(self, thread):
        with self._lock:
            self._threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Waits for a stop request, then for the threads; raises the kept exception, or a
        RuntimeError naming the threads still running after the grace period."""
        threads = set(threads or ()) | self._threads
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(0.1):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._joined = True
            self._threads = set()
            info = self._exc_info
        if info is not None:
            raise info[1].with_traceback(info[2])
        alive = sorted(t.name for t in threads if t.is_alive())
        if alive and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: "
                               f"{' '.join(alive)}")

    @property
    def joined(self) -> bool:
        return self._joined

    def raise_requested_exception(self):
        with self._lock:
            info = self._exc_info
        if info is not None:
            raise info[1].with_traceback(info[2])
