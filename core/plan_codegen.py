"""The closures a plan's steps are (``s`` is the run's slot list).

``_make_step`` binds a kernel with its attrs and resources; steps whose arguments are all
slots or cells get a straight-line closure from code generated once per shape
(``_step_factory``), the rest a general one. ``_unless_dead`` and ``_locked`` wrap a step for
ops that may see a dead input and for updates made with use_locking. This is the per-step hot
path of ``Plan.run``, apart from the compiler (core/plan_compile.py) that decides what to bind.
(Not named plan_steps: that is the module name the generated steps run under, _STEPS_MODULE.)
"""

from __future__ import annotations

import functools
import warnings

from .opdef import DEAD
from .plan_resources import Cell


def _unless_dead(step, reads: tuple, outs: tuple, free: tuple, ran: int | None):
    """``step`` for an op that may have a dead input: if one is, the op does not run and its
    outputs (and its ``ran`` slot, if it has one) are dead, TF1's dead-tensor propagation;
    else it runs as usual."""
    def guarded(s):
        for r in reads:
            if s[r] is DEAD:
                for o in outs:
                    s[o] = DEAD
                for f in free:
                    s[f] = None
                if ran is not None:
                    s[ran] = DEAD
                return
        step(s)
        if ran is not None:
            s[ran] = True
    guarded.op = step.op
    guarded.guard = (step, reads, outs, free, ran)  # to rebuild it traced (plan_trace)
    return guarded


def _deref(v):
    """A slot's value: a RefSwitch's Cell read, anything else (DEAD too) as it is."""
    return v.get() if type(v) is Cell else v


def _locked(kernel, lock):
    def locked(*args, **kwargs):
        with lock:
            return kernel(*args, **kwargs)
    return locked


def _make_step(kernel, pre, argspec, outs, kw, free):
    """A closure running one step: ``s`` is the run's slot list.

    Attrs, resources and leading bound arguments (variable cells) are bound once with
    functools.partial (no per-call dict unpacking). Steps whose arguments are all slots get a
    straight-line closure generated for their shape (number of inputs, outputs and slots to
    free); anything else (list arguments) the general one.
    """
    pre = list(pre)
    argspec = list(argspec)
    while argspec and isinstance(argspec[0], tuple) and argspec[0][0] == "bound":
        pre.append(argspec.pop(0)[1])  # leading bound args (the cells updates write to)
    fn = functools.partial(kernel, *pre, **kw) if (pre or kw) else kernel
    kinds = tuple("s" if isinstance(a, int) else "c" if isinstance(a, tuple) and
                  a[0] == "cell" else "r" if isinstance(a, tuple) and a[0] == "deref" else "x"
                  for a in argspec)
    if "x" not in kinds and len(argspec) <= 4 and len(free) <= 4 and 1 <= len(outs) <= 2:
        values = [a if isinstance(a, int) else a[1] for a in argspec]
        return _step_factory(kinds, len(outs), len(free))(fn, *values, *outs, *free)
    getters = []
    for a in argspec:
        if isinstance(a, int):
            getters.append((0, a))
        elif isinstance(a, list):
            getters.append((1, tuple(a)))
        elif a[0] == "cell":
            getters.append((3, a[1]))
        elif a[0] == "deref":
            getters.append((4, a[1]))
        elif a[0] == "derefs":
            getters.append((5, tuple(a[1])))
        else:
            getters.append((2, a[1]))
    single = len(outs) == 1
    o = outs[0] if single else None

    def step(s):
        args = []
        for kind, x in getters:
            if kind == 0:
                args.append(s[x])
            elif kind == 1:
                args.append([s[i] for i in x])
            elif kind == 3:
                args.append(x.get())
            elif kind == 4:
                args.append(s[x].get())
            elif kind == 5:
                args.append([_deref(s[i]) for i in x])
            else:
                args.append(x)
        r = fn(*args)
        if single:
            s[o] = r
        else:
            for i, v in zip(outs, r):
                s[i] = v
        for i in free:
            s[i] = None
    return step


# Hot kernels are numpy ufuncs called straight from the generated steps, so numpy's float
# warnings (inf - inf, overflow) are raised in those steps' frames. Their inf and nan results
# are TensorFlow's too, so the warnings are noise: the steps get a module name of their own,
# silenced once (as core/ops/_math_util.py does for the kernels' modules).
_STEPS_MODULE = "minitf.plan_steps"
warnings.filterwarnings("ignore", category=RuntimeWarning, module=_STEPS_MODULE + "$")


@functools.cache
def _step_factory(kinds: tuple, n_outs: int, n_free: int):
    """Generates (once per shape) a maker of straight-line step closures. ``kinds`` says per
    argument "s" (a slot), "c" (a variable Cell, read when the step runs) or "r" (a slot
    holding a RefSwitch's Cell, read likewise); e.g. ("s", "c"), 1 output, 1 freed slot:
    ``def step(s): s[o0] = fn(s[a0], a1.get()); s[f0] = None``."""
    a = [f"a{i}" for i in range(len(kinds))]
    o = [f"o{i}" for i in range(n_outs)]
    f = [f"f{i}" for i in range(n_free)]
    args = ", ".join(f"s[{x}]" if k == "s" else f"{x}.get()" if k == "c" else f"s[{x}].get()"
                     for x, k in zip(a, kinds))
    lines = [f"def make(fn, {', '.join(a + o + f)}):",
             "    def step(s):",
             f"        {', '.join(f's[{x}]' for x in o)} = fn({args})"]
    lines += [f"        s[{x}] = None" for x in f]
    lines += ["    return step"]
    namespace: dict = {"__name__": _STEPS_MODULE}
    exec("\n".join(lines), namespace)  # source built above from fixed templates
    return namespace["make"]
