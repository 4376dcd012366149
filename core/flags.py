"""``tf.flags`` / ``tf.app.flags`` and ``tf.app.run``: TF1's command-line flags, which are
absl's. ``FLAGS`` parses ``sys.argv`` on first use, as TF1's wrapper does; ``app.run`` parses
the given argv (leaving flags nobody defined, as TF1's ``app.run`` does) and calls ``main`` with
what is left. A bad value, or a required or validated flag that fails its check, ends
``app.run`` with absl's "FATAL Flags parsing error" and exit status 1.

    tf.app.flags.DEFINE_integer("epochs", 10, "passes over the data", lower_bound=1)
    tf.app.flags.mark_flag_as_required("data_dir")
    FLAGS = tf.app.flags.FLAGS
    def main(argv): print(FLAGS.epochs)
    tf.app.run()
"""

from __future__ import annotations

import csv
import sys
import types

from . import tf_logging as logging

__all__ = ["FLAGS", "DEFINE_bool", "DEFINE_boolean", "DEFINE_enum", "DEFINE_float",
           "DEFINE_integer", "DEFINE_list", "DEFINE_multi_enum", "DEFINE_multi_float",
           "DEFINE_multi_integer", "DEFINE_multi_string", "DEFINE_string", "DuplicateFlagError",
           "Error", "FlagValues", "IllegalFlagValueError", "UnrecognizedFlagError",
           "ValidationError", "mark_flag_as_required", "mark_flags_as_mutual_exclusive",
           "mark_flags_as_required", "multi_flags_validator", "register_validator", "run",
           "validator"]


class Error(Exception):
    """The base of the flag errors (absl's ``flags.Error``)."""


class DuplicateFlagError(Error):
    """A flag name defined twice."""


class IllegalFlagValueError(Error):
    """A value a flag cannot take, or one its validators refuse."""


class UnrecognizedFlagError(Error):
    """A flag nobody defined."""


class ValidationError(Error):
    """Raised by a validator's checker to refuse a value with its own message."""


# -- value parsers: text (or a Python default) -> value; ValueError names what is wrong ---------
def _boolean(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).lower()
    if text in ("true", "t", "1"):
        return True
    if text in ("false", "f", "0"):
        return False
    raise ValueError(f"Non-boolean argument to boolean flag: {value!r}")


def _integer(value):
    if isinstance(value, str):
        base = {"0x": 16, "0o": 8, "0b": 2}.get(value[:2].lower(), 10) if len(value) > 2 else 10
        return int(value, base)
    if isinstance(value, bool) or int(value) != value:
        raise ValueError(f"Expect argument to be a string or int, found {type(value)}")
    return int(value)


def _list(value):
    if not isinstance(value, str):
        return list(value)
    return [s.strip() for s in next(csv.reader([value], strict=True))] if value else []


def _bounded(convert, kind, lower, upper):
    if lower is None and upper is None:
        return convert
    if lower is not None and upper is not None:
        syntax = f"{'an integer' if kind == 'integer' else 'a number'} in the range " \
                 f"[{lower}, {upper}]"
    elif upper is None:
        syntax = {0: f"a non-negative {kind}", 1: f"a positive {kind}"}.get(
            lower, f"{'an' if kind == 'integer' else 'a'} {kind} >= {lower}")
    else:
        syntax = {0: f"a non-positive {kind}", -1: f"a negative {kind}"}.get(
            upper, f"{'an' if kind == 'integer' else 'a'} {kind} <= {upper}")

    def parse(value):
        out = convert(value)
        if (lower is not None and out < lower) or (upper is not None and out > upper):
            raise ValueError(f"{out} is not {syntax}")
        return out
    return parse


def _enum(values, case_sensitive=True):
    if not values:
        raise ValueError("enum_values cannot be empty")

    def parse(value):
        if value in values:
            return value
        if not case_sensitive:
            for v in values:
                if str(value).upper() == v.upper():
                    return v
        raise ValueError(f"value should be one of <{'|'.join(values)}>")
    return parse


class Flag:
    """One defined flag: its name, default, help, current ``value`` and whether the command
    line gave it (``present``)."""

    def __init__(self, name, default, help_text, parse, multi=False, boolean=False):
        self.name, self.help, self._parse_one = name, help_text, parse
        self.multi, self.boolean = multi, boolean
        self.default = self._convert(default, "default")
        self.value, self.present, self.validators = self.default, 0, []

    def _convert(self, value, given=None):
        if value is None:
            return None
        try:
            if self.multi:
                items = value if isinstance(value, (list, tuple)) else [value]
                return [self._parse_one(v) for v in items]
            return self._parse_one(value)
        except (TypeError, ValueError) as e:
            raise IllegalFlagValueError(f"flag --{self.name}={value}: {e}") from None

    def __repr__(self):
        return f"Flag(--{self.name}={self.value!r})"


class FlagValues:
    """The defined flags (absl's ``FlagValues``): attribute access reads a flag's value
    (parsing ``sys.argv`` first if nothing has been parsed), assignment sets it and runs its
    validators, ``FLAGS(argv)`` parses an argv and returns what no flag took."""

    def __init__(self):
        object.__setattr__(self, "_defs", {})
        object.__setattr__(self, "_validators", [])
        object.__setattr__(self, "_parsed", False)

    # -- definition ------------------------------------------------------------------------
    def _define(self, name, default, help_text, parse, multi=False, boolean=False):
        if name in self._defs:
            raise DuplicateFlagError(f"The flag '{name}' is defined twice.")
        self._defs[name] = Flag(name, default, help_text, parse, multi, boolean)

    def _add_validator(self, names, checker, message, multi):
        for name in names:
            if name not in self._defs:
                raise KeyError(f"Flag --{name} does not exist.")
        entry = (tuple(names), checker, message, multi)
        self._validators.append(entry)
        for name in names:
            self._defs[name].validators.append(entry)

    def _check(self, entry):
        names, checker, message, multi = entry
        values = {n: self._defs[n].value for n in names}
        try:
            ok = checker(values if multi else values[names[0]])
        except ValidationError as e:
            ok, message = False, str(e)
        if not ok:
            shown = ", ".join(f"--{n}={v}" for n, v in values.items())
            raise IllegalFlagValueError(f"flag {shown}: {message}")

    # -- parsing -----------------------------------------------------------------------------
    def __call__(self, argv, known_only=False):
        """Parses ``argv`` (program name first); returns the program name and the arguments
        no flag took. Flags nobody defined are an UnrecognizedFlagError unless
        ``known_only``, which leaves them in the result."""
        rest, seen, i = list(argv[:1]), {}, 1
        while i < len(argv):
            arg = argv[i]
            i += 1
            if arg == "--":  # the rest is the program's (absl keeps "--" for known_only)
                rest.extend(argv[i - 1:] if known_only else argv[i:])
                break
            if not arg.startswith("-") or arg == "-":
                rest.append(arg)
                continue
            name, eq, value = arg.lstrip("-").partition("=")
            flag = self._defs.get(name)
            if flag is None and not eq and name.startswith("no") and \
                    getattr(self._defs.get(name[2:]), "boolean", False):
                seen.setdefault(name[2:], []).append(False)
                continue
            if flag is None:
                if not known_only:
                    raise UnrecognizedFlagError(f"Unknown command line flag '{name}'")
                rest.append(arg)
                continue
            if not eq:
                if flag.boolean:
                    value = True
                elif i < len(argv):
                    value, i = argv[i], i + 1
                else:
                    raise IllegalFlagValueError(f"flag --{name}: Missing value")
            seen.setdefault(name, []).append(value)
        for name, values in seen.items():
            flag = self._defs[name]
            parsed = [flag._convert(v) for v in values]
            flag.value = [x for p in parsed for x in p] if flag.multi else parsed[-1]
            flag.present = len(values)
        object.__setattr__(self, "_parsed", True)
        for entry in self._validators:
            self._check(entry)
        return rest

    def _parse(self, argv):
        """``tf.app.run``'s parse: flags nobody defined stay in the returned argv."""
        return self(argv, known_only=True)

    def _parse_flags(self, args=None):  # TF <= 1.4's spelling
        return self._parse(sys.argv if args is None else args)

    def is_parsed(self) -> bool:
        return self._parsed

    def mark_as_parsed(self):
        object.__setattr__(self, "_parsed", True)

    def unparse_flags(self):
        for flag in self._defs.values():
            flag.value, flag.present = flag.default, 0
        object.__setattr__(self, "_parsed", False)

    # -- access ------------------------------------------------------------------------------
    def __getattr__(self, name):
        if name == "__flags":  # TF1 code reads FLAGS.__flags for the flag table
            return dict(self._defs)
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in self._defs:
            raise AttributeError(f"no flag --{name} is defined")
        if not self._parsed:
            self._parse(sys.argv)
        return self._defs[name].value

    def __setattr__(self, name, value):
        if name not in self._defs:
            raise AttributeError(f"no flag --{name} is defined")
        if not self._parsed:
            self._parse(sys.argv)
        flag = self._defs[name]
        flag.value = value
        for entry in flag.validators:
            self._check(entry)

    def __getitem__(self, name):
        if name not in self._defs:
            raise KeyError(name)
        return self._defs[name]

    def __contains__(self, name):
        return name in self._defs

    def __iter__(self):
        return iter(self._defs)

    def __len__(self):
        return len(self._defs)

    def flag_values_dict(self) -> dict:
        return {name: flag.value for name, flag in self._defs.items()}

    def get_flag_value(self, name, default):
        return self._defs[name].value if name in self._defs else default

    def _help(self) -> str:
        return "\n".join(f"  --{n}: {f.help or ''}\n    (default: {f.default!r})"
                         for n, f in sorted(self._defs.items()))


_Flags = FlagValues  # the name earlier minitf code and tests use
FLAGS = FlagValues()


def _module():
    return sys.modules[__name__]


def _target(flag_values):
    return _module().FLAGS if flag_values is None else flag_values


def DEFINE_string(name, default, help=None, flag_values=None):  # noqa: N802, A002 - TF's names
    _target(flag_values)._define(name, default, help, str)


def DEFINE_integer(name, default, help=None, lower_bound=None,  # noqa: N802, A002
                   upper_bound=None, flag_values=None, **_):
    _target(flag_values)._define(
        name, default, help, _bounded(_integer, "integer", lower_bound, upper_bound))


def DEFINE_float(name, default, help=None, lower_bound=None,  # noqa: N802, A002
                 upper_bound=None, flag_values=None, **_):
    _target(flag_values)._define(
        name, default, help, _bounded(float, "number", lower_bound, upper_bound))


def DEFINE_boolean(name, default, help=None, flag_values=None, **_):  # noqa: N802, A002
    _target(flag_values)._define(name, default, help, _boolean, boolean=True)


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name, default, help=None, flag_values=None):  # noqa: N802, A002
    _target(flag_values)._define(name, default, help, _list)


def DEFINE_enum(name, default, enum_values, help=None,  # noqa: N802, A002
                flag_values=None, case_sensitive=True, **_):
    _target(flag_values)._define(name, default, help,
                                             _enum(list(enum_values), case_sensitive))


def DEFINE_multi_string(name, default, help=None, flag_values=None):  # noqa: N802, A002
    _target(flag_values)._define(name, default, help, str, multi=True)


def DEFINE_multi_integer(name, default, help=None, lower_bound=None,  # noqa: N802, A002
                         upper_bound=None, flag_values=None):
    _target(flag_values)._define(
        name, default, help, _bounded(_integer, "integer", lower_bound, upper_bound), multi=True)


def DEFINE_multi_float(name, default, help=None, lower_bound=None,  # noqa: N802, A002
                       upper_bound=None, flag_values=None):
    _target(flag_values)._define(
        name, default, help, _bounded(float, "number", lower_bound, upper_bound), multi=True)


def DEFINE_multi_enum(name, default, enum_values, help=None,  # noqa: N802, A002
                      flag_values=None, case_sensitive=True):
    _target(flag_values)._define(
        name, default, help, _enum(list(enum_values), case_sensitive), multi=True)


def register_validator(flag_name, checker, message="Flag validation failed",
                       flag_values=None):
    """Refuses a value of ``flag_name`` for which ``checker(value)`` is false (or raises
    ValidationError), at parse time and on assignment."""
    _target(flag_values)._add_validator([flag_name], checker, message, False)


def validator(flag_name, message="Flag validation failed", flag_values=None):
    """``register_validator`` as a decorator."""
    def decorate(checker):
        register_validator(flag_name, checker, message, flag_values)
        return checker
    return decorate


def multi_flags_validator(flag_names, message="Flag validation failed", flag_values=None):
    """A decorator registering ``checker({name: value})`` over several flags."""
    def decorate(checker):
        _target(flag_values)._add_validator(list(flag_names), checker, message,
                                                        True)
        return checker
    return decorate


def mark_flag_as_required(flag_name, flag_values=None):
    """Parsing fails unless ``flag_name`` has a value other than None."""
    flags = _target(flag_values)
    if flag_name in flags and flags[flag_name].default is not None:
        logging.warning("Flag --%s has a non-None default value; therefore, "
                        "mark_flag_as_required will pass even if flag is not specified in the "
                        "command line!", flag_name)
    register_validator(flag_name, lambda value: value is not None,
                       f"Flag --{flag_name} must have a value other than None.", flags)


def mark_flags_as_required(flag_names, flag_values=None):
    for name in flag_names:
        mark_flag_as_required(name, flag_values)


def mark_flags_as_mutual_exclusive(flag_names, required=False, flag_values=None):
    """At most one (``required``: exactly one) of ``flag_names`` is not None."""
    count = "Exactly" if required else "At most"
    message = f"{count} one of ({', '.join(flag_names)}) must have a value other than None."
    multi_flags_validator(flag_names, message, flag_values)(
        lambda values: (sum(v is not None for v in values.values()) == 1) if required
        else sum(v is not None for v in values.values()) <= 1)


def run(main=None, argv=None):
    """Parses the flags in ``argv`` (``sys.argv`` by default), then exits with
    ``main(remaining argv)`` (``__main__.main`` when not given), as ``tf.app.run`` does."""
    argv = sys.argv if argv is None else argv
    flags = _module().FLAGS
    if any(a in ("--help", "-help", "-h", "--helpfull", "--helpshort") for a in argv[1:]):
        print(f"{argv[0] if argv else ''}:\n{flags._help()}")
        sys.exit(0)
    try:
        rest = flags._parse(_parse_absl_flags(argv))
    except Error as e:
        print(f"FATAL Flags parsing error: {e}\nPass --helpshort or --helpfull to see help on "
              "flags.", file=sys.stderr)
        sys.exit(1)
    main = main or sys.modules["__main__"].main
    sys.exit(main(rest))


def _parse_absl_flags(argv):
    """In TF 1.x ``tf.flags`` is absl's registry, so ``tf.app.run`` also parses flags a
    module defined through ``absl.flags`` (BERT's tokenization.py does): when absl is loaded,
    its flags are taken out of ``argv`` first; the rest is left for minitf's."""
    absl_flags = sys.modules.get("absl.flags")
    if absl_flags is None:
        return argv
    try:
        return absl_flags.FLAGS(list(argv), known_only=True)
    except absl_flags.Error as e:
        raise Error(str(e)) from None


app = types.SimpleNamespace(run=run, flags=sys.modules[__name__])  # tf.app
