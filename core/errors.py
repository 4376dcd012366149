"""TensorFlow's error classes with canonical codes (the gRPC status numbers).

Each class also subclasses the matching Python builtin, so ``except ValueError`` keeps working
for code that does not know about OpError.
"""

from __future__ import annotations

import traceback

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """Base class of runtime errors: ``OpError(node_def, op, message)``, as in TensorFlow."""

    error_code = UNKNOWN

    def __init__(self, node_def, op, message, *args):
        super().__init__(message)
        self._node_def = node_def
        self._op = op
        self._message = message
        if args:  # OpError(node_def, op, message, error_code)
            self.error_code = args[0]

    @property
    def message(self) -> str:
        return self._message

    @property
    def op(self):
        return self._op

    @property
    def node_def(self):
        return self._node_def

    def __str__(self):
        # TF's: the op's creation stack follows the message (``message`` stays without it).
        stack = getattr(self._op, "traceback", None)
        if not stack:
            return self._message
        return (f"{self._message}\n\nOriginal stack trace for {self._op.name!r}:\n"
                + "".join(traceback.format_list(stack)))

    def __reduce__(self):
        return type(self), (None, None, self._message)


def _error(name, code, builtin):
    cls = type(name, (OpError, builtin), {"error_code": code, "__module__": __name__})
    cls.__init__ = lambda self, node_def, op, message, *a: OpError.__init__(
        self, node_def, op, message, *a)
    return cls


CancelledError = _error("CancelledError", CANCELLED, RuntimeError)
UnknownError = _error("UnknownError", UNKNOWN, RuntimeError)
InvalidArgumentError = _error("InvalidArgumentError", INVALID_ARGUMENT, ValueError)
DeadlineExceededError = _error("DeadlineExceededError", DEADLINE_EXCEEDED, TimeoutError)
NotFoundError = _error("NotFoundError", NOT_FOUND, KeyError)
AlreadyExistsError = _error("AlreadyExistsError", ALREADY_EXISTS, ValueError)
PermissionDeniedError = _error("PermissionDeniedError", PERMISSION_DENIED, PermissionError)
ResourceExhaustedError = _error("ResourceExhaustedError", RESOURCE_EXHAUSTED, RuntimeError)
FailedPreconditionError = _error("FailedPreconditionError", FAILED_PRECONDITION, RuntimeError)
AbortedError = _error("AbortedError", ABORTED, RuntimeError)
OutOfRangeError = _error("OutOfRangeError", OUT_OF_RANGE, IndexError)
UnimplementedError = _error("UnimplementedError", UNIMPLEMENTED, NotImplementedError)
InternalError = _error("InternalError", INTERNAL, RuntimeError)
UnavailableError = _error("UnavailableError", UNAVAILABLE, RuntimeError)
DataLossError = _error("DataLossError", DATA_LOSS, ValueError)
UnauthenticatedError = _error("UnauthenticatedError", UNAUTHENTICATED, PermissionError)

_BY_CODE = {c.error_code: c for c in (
    CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError, NotFoundError,
    AlreadyExistsError, PermissionDeniedError, ResourceExhaustedError, FailedPreconditionError,
    AbortedError, OutOfRangeError, UnimplementedError, InternalError, UnavailableError,
    DataLossError, UnauthenticatedError)}


def exception_type_from_error_code(code: int) -> type:
    return _BY_CODE[code]


def error_code_from_exception_type(cls: type) -> int:
    return cls.error_code
