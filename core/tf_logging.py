"""``tf.logging``: TF1's logging module (levels, verbosity, log calls) on Python's logging,
under the "minitf" logger."""

from __future__ import annotations

import logging as _logging

DEBUG, INFO, WARN, ERROR, FATAL = (_logging.DEBUG, _logging.INFO, _logging.WARNING,
                                   _logging.ERROR, _logging.FATAL)
_logger = _logging.getLogger("minitf")

__all__ = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL", "set_verbosity", "get_verbosity", "log",
           "debug", "info", "warn", "warning", "error", "fatal", "vlog"]


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
