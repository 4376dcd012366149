"""``tf.logging``: TF1's logging module (levels, verbosity, log calls) on Python's logging,
under the "minitf" logger."""

from __future__ import annotations

import logging as _logging
import sys as _sys

DEBUG, INFO, WARN, ERROR, FATAL = (_logging.DEBUG, _logging.INFO, _logging.WARNING,
                                   _logging.ERROR, _logging.FATAL)
_logger = _logging.getLogger("minitf")

__all__ = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL", "set_verbosity", "get_verbosity", "log",
           "debug", "info", "warn", "warning", "error", "fatal", "vlog",
           "get_logger", "log_every_n", "log_first_n", "log_if", "flush",
           "TaskLevelStatusMessage"]


def set_verbosity(v):
    _logger.setLevel(v)
    if not _logger.handlers and not _logging.getLogger().handlers:
        _logging.basicConfig()  # TF prints to stderr once a level is set


def get_verbosity() -> int:
    return _logger.getEffectiveLevel()


def log(level, msg, *args, **kwargs):
    _logger.log(level, msg, *args, **kwargs)


def vlog(level, msg, *args, **kwargs):
    _logger.log(level, msg, *args, **kwargs)


debug, info, warning, error, fatal = (_logger.debug, _logger.info, _logger.warning,
                                      _logger.error, _logger.critical)
warn = warning


def get_logger() -> _logging.Logger:
    """``tf.get_logger()``: the logger tf.logging writes to ("minitf"; TF's is "tensorflow")."""
    return _logger


def log_if(level, msg, condition, *args):
    """Logs ``msg % args`` at ``level`` when ``condition`` holds."""
    if condition:
        _logger.log(level, msg, *args)


# Calls so far per call site (file, line), as TF counts them for log_every_n / log_first_n.
_calls_per_site: dict = {}


def _next_count_at_caller() -> int:
    frame = _sys._getframe(2)  # the caller of log_every_n / log_first_n
    site = (frame.f_code.co_filename, frame.f_lineno)
    _calls_per_site[site] = count = _calls_per_site.get(site, -1) + 1
    return count


def log_every_n(level, msg, n, *args):
    """Logs the 1st, (n+1)th, (2n+1)th... call from the same line of code."""
    log_if(level, msg, not _next_count_at_caller() % n, *args)


def log_first_n(level, msg, n, *args):
    """Logs only the first ``n`` calls from the same line of code."""
    log_if(level, msg, _next_count_at_caller() < n, *args)


def flush():
    """Flushes the handlers that tf.logging's messages reach. (TF 1.x's raises
    NotImplementedError; flushing is what the name promises and what callers want.)"""
    logger = _logger
    while logger is not None:
        for handler in logger.handlers:
            handler.flush()
        logger = logger.parent if logger.propagate else None


def TaskLevelStatusMessage(msg):  # noqa: N802 - TF's name
    """A task's status line: logged at ERROR level, as TF does."""
    error(msg)
