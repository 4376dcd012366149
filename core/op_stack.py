"""Where each op was made: the user's call stack at its creation, as TF records it.

``Operation.traceback`` and an OpError's ``str()`` (TF's "Original stack trace for ...") read
it. Frames inside minitf are left out, so what remains is the user's code. A stack is a tuple of
(code, line) pairs interned by value: ops built on the same path (a loop, a layer called many
times) share one tuple, so a graph costs a reference per op plus one tuple per distinct path.
"""

from __future__ import annotations

import os
import sys
import traceback

_HERE = os.path.dirname(os.path.abspath(__file__))
# The package's folders: installed, export/ and serving/ are inside it; in a checkout (the
# package root is core/) they sit beside it.
_OWN = tuple(os.path.join(d, "") for d in (
    [_HERE] + ([os.path.join(os.path.dirname(_HERE), sub) for sub in ("export", "serving")]
               if os.path.basename(_HERE) == "core" else [])))
_stacks: dict = {}
_MAX_STACKS = 1 << 16  # distinct paths kept interned; past that, stacks are not shared


def capture() -> tuple:
    """The caller's stack outside minitf, outermost frame first."""
    # Keyed by the code objects' ids (hashing a code object hashes its contents, too slow per
    # op); the stored stack holds the code objects, so those ids stay theirs.
    key = []
    f = sys._getframe(1)
    while f is not None:
        code = f.f_code
        if not code.co_filename.startswith(_OWN):
            key.append(id(code))
            key.append(f.f_lineno)
        f = f.f_back
    key = tuple(key)
    stack = _stacks.get(key)
    if stack is None:
        frames = []
        f = sys._getframe(1)
        while f is not None:
            if not f.f_code.co_filename.startswith(_OWN):
                frames.append((f.f_code, f.f_lineno))
            f = f.f_back
        frames.reverse()
        stack = tuple(frames)
        if len(_stacks) < _MAX_STACKS:
            _stacks[key] = stack
    return stack


def summary(stack: tuple) -> traceback.StackSummary:
    """The stack as Python's StackSummary: FrameSummary entries that unpack as TF 1.x's
    (filename, lineno, name, line) tuples; source lines are read when first asked for."""
    return traceback.StackSummary.from_list(
        [traceback.FrameSummary(code.co_filename, line, code.co_name, lookup_line=False)
         for code, line in stack])
