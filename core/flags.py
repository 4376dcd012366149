"""``tf.flags`` / ``tf.app.flags`` and ``tf.app.run``: TF1's command-line flags (absl's), on
argparse. ``FLAGS`` parses ``sys.argv`` on first use, as TF1's wrapper does; ``app.run`` parses
the given argv and calls ``main`` with what is left.

    tf.app.flags.DEFINE_integer("epochs", 10, "passes over the data")
    FLAGS = tf.app.flags.FLAGS
    def main(argv): print(FLAGS.epochs)
    tf.app.run()
"""

from __future__ import annotations

import argparse
import sys
import types

__all__ = ["FLAGS", "DEFINE_string", "DEFINE_integer", "DEFINE_float", "DEFINE_boolean",
           "DEFINE_bool", "DEFINE_list", "run"]


def _boolean(text: str) -> bool:
    value = text.lower()
    if value in ("true", "t", "1", "yes"):
        return True
    if value in ("false", "f", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


class _Flags:
    """The defined flags; values come from the command line (or the defaults)."""

    def __init__(self):
        object.__setattr__(self, "_defs", {})  # name -> (parse, default, help)
        object.__setattr__(self, "_values", None)

    def _define(self, name, default, help_text, parse):
        if name in self._defs:
            raise ValueError(f"flag --{name} is defined twice")
        self._defs[name] = (parse, default, help_text)
        if self._values is not None:
            self._values[name] = default

    def _parse(self, argv):
        """Parses ``argv`` (program name first); returns the arguments no flag took."""
        parser = argparse.ArgumentParser(prog=argv[0] if argv else None)
        for name, (parse, default, help_text) in self._defs.items():
            if parse is _boolean:  # --name, --noname
                parser.add_argument(f"--{name}", action="store_true", default=default,
                                    help=help_text)
                parser.add_argument(f"--no{name}", dest=name, action="store_false")
            else:
                parser.add_argument(f"--{name}", type=parse, default=default, help=help_text)
        args = []
        for arg in argv[1:]:  # a boolean takes no separate value: --name=false is --noname
            name, eq, value = arg[2:].partition("=")
            if arg.startswith("--") and eq and self._defs.get(name, (None,))[0] is _boolean:
                try:
                    arg = f"--{name}" if _boolean(value) else f"--no{name}"
                except argparse.ArgumentTypeError as e:
                    parser.error(f"argument --{name}: {e}")
            args.append(arg)
        known, rest = parser.parse_known_args(args)
        object.__setattr__(self, "_values", vars(known))
        return argv[:1] + rest

    def __getattr__(self, name):
        if name not in self._defs:
            raise AttributeError(f"no flag --{name} is defined")
        if self._values is None:
            self._parse(sys.argv)
        return self._values[name]

    def __setattr__(self, name, value):
        if name not in self._defs:
            raise AttributeError(f"no flag --{name} is defined")
        if self._values is None:
            self._parse(sys.argv)
        self._values[name] = value

    def __contains__(self, name):
        return name in self._defs


FLAGS = _Flags()


def DEFINE_string(name, default, help=None):  # noqa: N802, A002 - TF's names
    FLAGS._define(name, default, help, str)


def DEFINE_integer(name, default, help=None):  # noqa: N802, A002
    FLAGS._define(name, default, help, int)


def DEFINE_float(name, default, help=None):  # noqa: N802, A002
    FLAGS._define(name, default, help, float)


def DEFINE_boolean(name, default, help=None):  # noqa: N802, A002
    FLAGS._define(name, default, help, _boolean)


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name, default, help=None):  # noqa: N802, A002
    FLAGS._define(name, default, help, lambda text: [s for s in text.split(",") if s])


def run(main=None, argv=None):
    """Parses the flags in ``argv`` (``sys.argv`` by default), then exits with
    ``main(remaining argv)`` (``__main__.main`` when not given), as ``tf.app.run`` does."""
    rest = FLAGS._parse(sys.argv if argv is None else argv)
    main = main or sys.modules["__main__"].main
    sys.exit(main(rest))


app = types.SimpleNamespace(run=run, flags=sys.modules[__name__])  # tf.app
