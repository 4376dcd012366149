"""The user functions of a pipeline (map, filter, flat_map, interleave), traced into graphs.

A function is called once, when the dataset is built, with placeholders standing for the
element's components, in a private Graph of its own; each element then runs that graph through
a Plan, the one executor. A function without stateful ops compiles one Plan, shared by every
iterator; one with stateful ops (random augmentation) gets a Plan per iterator instance, so its
random ops start over, from their seeds, whenever the iterator is initialised, and two sessions
draw the same numbers, as TF's do.

The private graph takes the user graph's seed, so op seeds are deterministic exactly as for
random ops in the user graph. A user-graph tensor the function reads (a placeholder, a
variable's value, a lookup table's handle) is captured as TF captures it: an input of the
function whose value is the tensor's when the iterator's initializer runs (the dataset lists
it among its captures, so the initializer's run computes it; a one-shot iterator takes only
constants).
"""

from __future__ import annotations

import re

from ..graph import Graph, GraphKeys, Tensor, convert_to_tensor, get_default_graph
from ..ops.array_ops import placeholder
from ..plan import Plan, Resources
from . import structure as st

_FOREIGN = re.compile(r"Tensor (\S+) must be from the same graph")

_CAPTURE_HINT = ("a dataset function runs in a graph of its own, which reads the values of "
                 "the dataset's graph's tensors (taken when its iterator is initialised) but "
                 "cannot change that graph's variables or use a third graph's tensors")


class Function:
    """``fn`` traced on ``input_structure`` (a nest of TensorSpecs) for ``what`` (the API
    name, for error messages)."""

    def __init__(self, fn, input_structure, what: str, datasets_ok: bool = False):
        if not callable(fn):
            raise TypeError(f"{what}: expected a callable, got {fn!r}")
        self.what = what
        self.outer = get_default_graph()
        self.graph = graph = Graph()
        graph.seed = self.outer.seed
        self.captures: list[Tensor] = []  # outer tensors, in the order of their inputs
        self._captured: dict[Tensor, Tensor] = {}
        graph._capture = self._capture
        with graph.as_default():
            specs = st.components(input_structure)
            # A component that is a dataset (a window) is a Dataset argument, filled per call
            # through the context (``window_values``); the others are placeholders.
            self.windows = {i: s.argument() for i, s in enumerate(specs)
                            if isinstance(s, st.DatasetSpec)}
            if self.windows and not datasets_ok:
                raise TypeError(f"{what}: the elements are datasets (from window()); transform "
                                "them with flat_map() or interleave()")
            self.inputs = [placeholder(s.dtype, s.shape, name=f"args_{i}")
                           for i, s in enumerate(specs) if i not in self.windows]
            tensors = iter(self.inputs)
            args = st.pack_components(input_structure, [
                self.windows[i] if i in self.windows else next(tensors)
                for i in range(len(specs))])
            try:
                # A plain tuple is unpacked into positional arguments; a dict, a namedtuple or
                # a single component is one argument, as in TF.
                self.returned = fn(*args) if type(args) is tuple else fn(args)
            except ValueError as e:
                m = _FOREIGN.search(str(e))
                if m is None:
                    raise
                raise ValueError(f"{what}: the function mixes a tensor of another graph with "
                                 f"its own ({m.group(1)} is one of the two): "
                                 f"{_CAPTURE_HINT}") from None
        graph._capture = None  # only while tracing
        self.stateful = any(op._opdef.stateful for op in graph._ops)
        self._plan = None
        self.outputs: list[Tensor] = []

    def _capture(self, t: Tensor) -> Tensor:
        """The placeholder standing for outer tensor ``t`` (one per tensor); a tensor of a
        graph further out is captured by the enclosing function first (nested functions)."""
        if t.graph is not self.outer:
            if self.outer._capture is None:
                raise ValueError(f"Tensor {t.name} must be from the same graph as the other "
                                 f"inputs: {self.what}'s function reads it")
            t = self.outer._capture(t)
        inner = self._captured.get(t)
        if inner is None:
            with self.graph.as_default(), self.graph.control_dependencies(None):
                inner = placeholder(t.dtype, t.shape, name=f"captured_{len(self.captures)}")
            self._captured[t] = inner
            self.captures.append(t)
        return inner

    def _own(self, t: Tensor) -> Tensor:
        """A tensor the function returns, of its graph: an outer one is captured."""
        return t if t.graph is self.graph else self._capture(t)

    def output_structure(self):
        """The function's result as a nest of its graph's tensors (map's element): a returned
        list becomes a tuple (as TF), Python values constants; anything else is refused."""
        with self.graph.as_default():
            returned = self.returned
            if isinstance(returned, list):  # only the top level: TF's _should_pack
                returned = tuple(returned)
            out = self._as_nest(returned)
        self.outputs = st.component_values(out)
        return out

    def _as_nest(self, value):
        # A list below the top level is one value, as in tf.data's nest (lists are atoms):
        # it falls through to convert_to_tensor, which packs it into one tensor.
        if isinstance(value, dict):
            return st._mapping_like(value, ((k, self._as_nest(v)) for k, v in value.items()))
        if isinstance(value, tuple) and not isinstance(value, st.SparseTensorValue):
            items = [self._as_nest(v) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        if isinstance(value, st.SparseTensorValue):
            value = st.SparseTensor.from_value(value)
        if isinstance(value, st.SparseTensor):  # a leaf: its three tensors are the outputs
            parts = (value.indices, value.values, value.dense_shape)
            own = [self._own(t) for t in parts]
            if all(a is b for a, b in zip(own, parts)):
                return value
            out = st.SparseTensor(*own)
            out._shape = value.shape
            return out
        if hasattr(value, "_as_tensor") and not isinstance(value, Tensor):
            value = value._as_tensor()  # a Variable
        if isinstance(value, Tensor):
            return self._own(value)
        if value is None or callable(value) or hasattr(value, "_structure"):
            raise TypeError(f"{self.what}: the function must return tensors (or tuples/dicts "
                            f"of tensors), but it returned {value!r} of type "
                            f"{type(value).__name__}")
        try:
            return convert_to_tensor(value)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{self.what}: the function must return tensors (or tuples/dicts "
                            f"of tensors), but it returned {value!r} of type "
                            f"{type(value).__name__}, which is not convertible: {e}") from None

    def set_outputs(self, tensors):
        """The tensors each call computes (flat_map: the captures of the returned dataset,
        ``output_keys``; one of the outer graph is computed as its captured value)."""
        self.output_keys = list(tensors)
        self.outputs = [self._own(t) for t in tensors]

    def finalize(self):
        self.graph.finalize()  # nothing may be added once traced: the Plans would not see it

    def compile(self, ctx) -> Plan:
        """The function's Plan over a Resources of its own. Lookup tables made inside the
        function are filled first, as TF runs their initializers with the function (their
        inputs may be captured values: ``ctx``'s)."""
        captured = [self._captured[t] for t in self.captures]
        resources = Resources()
        inits = self.graph.get_collection(GraphKeys.TABLE_INITIALIZERS)
        if inits:
            Plan.compile(self.graph, captured, (), inits, resources).run(
                [ctx.value(t) for t in self.captures])
        return Plan.compile(self.graph, self.inputs + captured, self.outputs, (), resources)

    def runner(self, ctx):
        """The function of one element (a list of arrays) for the iterator instance of
        ``ctx``: its Plan's ``run``, given the captured values too."""
        if not self.stateful:
            if self._plan is None:
                self._plan = self.compile(ctx)
            run = self._plan.run
        else:
            run = ctx.runners.get(self)
            if run is None:
                run = ctx.runners[self] = self.compile(ctx).run
        if self.windows:
            run = self._without_windows(run)
        if not self.captures:
            return run
        extra = [ctx.value(t) for t in self.captures]
        return lambda element: run(element + extra)

    def _without_windows(self, run):
        n = len(self.inputs) + len(self.windows)
        return lambda values: run([v for i, v in enumerate(values)
                                   if i >= n or i not in self.windows])

    def window_values(self, element) -> dict:
        """{window Dataset argument: its elements} of one call, for the context it reads."""
        return {arg: element[i] for i, arg in self.windows.items()}
