"""``tf.contrib.framework.arg_scope``: default keyword arguments for decorated functions.

TF 1.x keeps one process-wide stack of scopes (not per graph or thread); each scope maps a
decorated function's key to its default kwargs. Explicit kwargs at the call win.
"""

import contextlib
import functools
import inspect

__all__ = ["add_arg_scope", "arg_scope", "arg_scope_func_key", "arg_scoped_arguments",
           "current_arg_scope", "has_arg_scope"]

_STACK = [{}]
_DECORATED = {}  # key -> names of the keyword arguments the function takes


def current_arg_scope():
    return _STACK[-1]


def arg_scope_func_key(op):
    return getattr(op, "_key_op", op)


def _kwarg_names(func):
    return tuple(p.name for p in inspect.signature(func).parameters.values()
                 if p.default is not inspect.Parameter.empty)


def has_arg_scope(func) -> bool:
    return arg_scope_func_key(func) in _DECORATED


def arg_scoped_arguments(func):
    if not has_arg_scope(func):
        raise ValueError(f"{getattr(func, '__name__', func)} is not decorated with "
                         "@add_arg_scope")
    return _DECORATED[arg_scope_func_key(func)]


def add_arg_scope(func):
    """Lets ``arg_scope`` supply ``func``'s keyword arguments."""
    key = arg_scope_func_key(func)
    _DECORATED[key] = _kwarg_names(func)

    @functools.wraps(func)
    def func_with_args(*args, **kwargs):
        scoped = current_arg_scope().get(key)
        if scoped:
            kwargs = {**scoped, **kwargs}
        return func(*args, **kwargs)

    func_with_args._key_op = key
    return func_with_args


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
    """Sets ``kwargs`` as defaults of each function in ``list_ops_or_scope``, or re-enters a
    scope dict yielded by an earlier ``arg_scope`` (then no kwargs)."""
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError("When attempting to re-use a scope by suppling a dictionary, "
                             "kwargs must be empty.")
        scope = list_ops_or_scope.copy()
    else:
        if not isinstance(list_ops_or_scope, (list, tuple)):
            raise TypeError("list_ops_or_scope must either be a list/tuple or reused scope "
                            "(i.e. dict)")
        scope = {key: dict(args) for key, args in current_arg_scope().items()}
        for op in list_ops_or_scope:
            if not has_arg_scope(op):
                raise ValueError(f"{getattr(op, '__name__', op)} is not decorated with "
                                 "@add_arg_scope")
            key = arg_scope_func_key(op)
            scope[key] = {**scope.get(key, {}), **kwargs}
    _STACK.append(scope)
    try:
        yield scope
    finally:
        _STACK.pop()
