"""``tf.train.SessionRunHook`` and the values passed to it around each ``MonitoredSession.run``:
a hook may add fetches and feeds to the run (``before_run``), see their results
(``after_run``) and ask the session to stop."""

from __future__ import annotations

import collections


class SessionRunHook:
    """Base class: every method is optional (a no-op here)."""

    def begin(self):
        """Called once before the session is created; the graph may still be changed."""

    def after_create_session(self, session, coord):
        """Called once the session is created and initialised (the graph is finalized)."""

    def before_run(self, run_context):
        """Returns None or a SessionRunArgs to add to the coming ``run``."""
        return None

    def after_run(self, run_context, run_values):
        """``run_values.results`` holds what ``before_run`` asked for."""

    def end(self, session):
        """Called when the session closes without an error."""


class SessionRunArgs(collections.namedtuple("SessionRunArgs",
                                            ["fetches", "feed_dict", "options"])):
    """What a hook adds to a run: fetches (any structure Session.run takes) and feeds."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunContext:
    """The run as the caller asked for it, the raw session, and a way to ask to stop."""

    def __init__(self, original_args, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self):
        return self._original_args

    @property
    def session(self):
        return self._session

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self):
        self._stop_requested = True


SessionRunValues = collections.namedtuple("SessionRunValues",
                                          ["results", "options", "run_metadata"])
