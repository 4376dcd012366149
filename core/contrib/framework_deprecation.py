"""The deprecation decorators TF 1.15 re-exported in ``tf.contrib.framework`` (TF's
``tensorflow.python.util.deprecation``): ``deprecated``, ``deprecated_args`` and
``deprecated_arg_values``. Each logs a warning through minitf's logger when the deprecated
thing is used (once, unless ``warn_once=False``) and adds TF's notice to the docstring."""

from __future__ import annotations

import functools
import inspect
import re

from ..tf_logging import warning as _warning

__all__ = ["deprecated", "deprecated_args", "deprecated_arg_values"]


# -- deprecation decorators ---------------------------------------------------------------------
_WARNED = set()


def _validate_deprecation(date, instructions):
    if date is not None and not re.match(r"20\d\d-[01]\d-[0123]\d", date):
        raise ValueError("Date must be YYYY-MM-DD.")
    if not instructions:
        raise ValueError("Don't deprecate things without conversion instructions!")


def _removal(date):
    return "in a future version" if date is None else f"after {date}"


def _with_notice(doc, instructions, no_doc, suffix, notice):
    """TF's docstring edit: ``suffix`` on the first line, the notice lines after it."""
    if not doc:
        lines = [no_doc]
    else:
        lines = inspect.cleandoc(doc).splitlines()
        lines[0] += " " + suffix
    notice = [""] + notice + ([instructions] if instructions else [])
    if len(lines) > 1:
        if lines[1].strip():
            notice.append("")
        lines[1:1] = notice
    else:
        lines += notice
    return "\n".join(lines)


def _checked_callable(func, decorator):
    if not callable(func):
        raise ValueError(f"{func} is not callable.")
    if isinstance(func, functools.partial):
        raise ValueError(f"{decorator} cannot be applied to functools.partial.")


def _warn_once(key, warn_once, message, *args):
    if key in _WARNED:
        return
    if warn_once:
        _WARNED.add(key)
    _warning(message, *args)


def _decorated(func, new_func, doc):
    wrapper = functools.wraps(func)(new_func)
    wrapper.__doc__ = doc
    return wrapper


def deprecated(date, instructions, warn_once=True):
    """Decorator: calling the function logs that it is deprecated (once unless
    ``warn_once=False``) and its docstring gets TF's deprecation notice. ``date``
    ('YYYY-MM-DD' or None) is when it goes away."""
    _validate_deprecation(date, instructions)

    def decorator(func):
        _checked_callable(func, "deprecated")

        def new_func(*args, **kwargs):
            _warn_once(func, warn_once, "From %s: %s (from %s) is deprecated and will be removed "
                       "%s.\nInstructions for updating:\n%s", _caller(), func.__qualname__,
                       func.__module__, _removal(date), instructions)
            return func(*args, **kwargs)

        main = [f"THIS FUNCTION IS DEPRECATED. It will be removed {_removal(date)}."]
        if instructions:
            main.append("Instructions for updating:")
        return _decorated(func, new_func, _with_notice(
            func.__doc__, instructions, "DEPRECATED FUNCTION", "(deprecated)", main))
    return decorator


def _same_value(a, b) -> bool:
    if a is b:
        return True
    try:
        equal = a == b
    except TypeError:
        return False
    return equal if isinstance(equal, bool) else False


def deprecated_args(date, instructions, *deprecated_arg_names_or_tuples, **kwargs):
    """Decorator: calling the function with one of the named arguments (an ``(name,
    ok_value)`` pair spares that value) logs a deprecation warning. ValueError if an
    argument is not in the function's signature."""
    _validate_deprecation(date, instructions)
    if not deprecated_arg_names_or_tuples:
        raise ValueError("Specify which argument is deprecated.")
    if kwargs and list(kwargs) != ["warn_once"]:
        kwargs.pop("warn_once", None)
        raise ValueError(f"Illegal argument to deprecated_args: {kwargs}")
    warn_once = kwargs.get("warn_once", True)
    ok_values = {}  # name -> (has an ok value, the ok value)
    for item in deprecated_arg_names_or_tuples:
        if isinstance(item, tuple):
            ok_values[item[0]] = (True, item[1])
        else:
            ok_values[item] = (False, None)

    def decorator(func):
        _checked_callable(func, "deprecated_args")
        spec = inspect.getfullargspec(func)
        positions = {n: spec.args.index(n) for n in ok_values if n in spec.args}
        varargs_deprecated = spec.varargs in ok_values
        varkw_deprecated = spec.varkw in ok_values
        if len(positions) + varargs_deprecated + varkw_deprecated != \
                len(deprecated_arg_names_or_tuples):
            known = spec.args + [spec.varargs, spec.varkw]
            missing = [n for n in ok_values if n not in known]
            raise ValueError("The following deprecated arguments are not present in the "
                             f"function signature: {missing}. Found next arguments: {known}.")

        def spared(arg_name, named):
            has_ok, ok = ok_values[arg_name]
            return has_ok and _same_value(named[arg_name], ok)

        def new_func(*args, **kw):
            named = inspect.getcallargs(func, *args, **kw)
            used = [n for n, pos in positions.items() if pos < len(args) and
                    not spared(n, named)]
            if varargs_deprecated and len(args) > len(spec.args):
                used.append(spec.varargs)
            if varkw_deprecated and kw:
                used.append(spec.varkw)
            used += [n for n in ok_values if n in kw and not spared(n, named)]
            for arg_name in used:
                _warn_once((func, arg_name), warn_once, "From %s: calling %s (from %s) with %s "
                           "is deprecated and will be removed %s.\nInstructions for "
                           "updating:\n%s", _caller(), func.__qualname__, func.__module__,
                           arg_name, _removal(date), instructions)
            return func(*args, **kw)

        names = ", ".join(sorted(ok_values))
        return _decorated(func, new_func, _with_notice(
            func.__doc__, instructions, "DEPRECATED FUNCTION ARGUMENTS",
            "(deprecated arguments)",
            [f"SOME ARGUMENTS ARE DEPRECATED: `({names})`. They will be removed "
             f"{_removal(date)}.", "Instructions for updating:"]))
    return decorator


def deprecated_arg_values(date, instructions, warn_once=True, **deprecated_kwargs):
    """Decorator: calling the function with an argument equal to its value in
    ``deprecated_kwargs`` logs a deprecation warning."""
    _validate_deprecation(date, instructions)
    if not deprecated_kwargs:
        raise ValueError("Specify which argument values are deprecated.")

    def decorator(func):
        _checked_callable(func, "deprecated_arg_values")

        def new_func(*args, **kwargs):
            named = inspect.getcallargs(func, *args, **kwargs)
            for arg_name, value in deprecated_kwargs.items():
                if arg_name in named and named[arg_name] == value:
                    _warn_once((func, arg_name), warn_once, "From %s: calling %s (from %s) with "
                               "%s=%s is deprecated and will be removed %s.\nInstructions for "
                               "updating:\n%s", _caller(), func.__qualname__, func.__module__,
                               arg_name, value, _removal(date), instructions)
            return func(*args, **kwargs)

        values = ", ".join(f"{k}={v!r}" for k, v in sorted(deprecated_kwargs.items()))
        return _decorated(func, new_func, _with_notice(
            func.__doc__, instructions, "DEPRECATED FUNCTION ARGUMENT VALUES",
            "(deprecated argument values)",
            [f"SOME ARGUMENT VALUES ARE DEPRECATED: `({values})`. They will be removed "
             f"{_removal(date)}.", "Instructions for updating:"]))
    return decorator


def _caller() -> str:
    """file:line of the code that called the deprecated function."""
    frame = inspect.currentframe()
    for _ in range(3):  # _caller <- _warn_once <- new_func <- the caller
        frame = frame.f_back if frame.f_back is not None else frame
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
