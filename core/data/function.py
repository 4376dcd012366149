"""The user functions of a pipeline (map, filter, flat_map, interleave), traced into graphs.

A function is called once, when the dataset is built, with placeholders standing for the
element's components, in a private Graph of its own; each element then runs that graph through
a Plan, the one executor. A function without stateful ops compiles one Plan, shared by every
iterator; one with stateful ops (random augmentation) gets a Plan per iterator instance, so its
random ops start over, from their seeds, whenever the iterator is initialised, and two sessions
draw the same numbers, as TF's do.

The private graph takes the user graph's seed, so op seeds are deterministic exactly as for
random ops in the user graph. It cannot see the user graph's tensors: a function using one (a
placeholder, a variable) is refused with the tensor's name; such values go through the dataset.
"""

from __future__ import annotations

import re

from ..graph import Graph, Tensor, convert_to_tensor, get_default_graph
from ..ops.array_ops import placeholder
from ..plan import Plan, Resources
from . import structure as st

_FOREIGN = re.compile(r"Tensor (\S+) must be from the same graph")

_CAPTURE_HINT = ("a dataset function runs in a graph of its own: make constants inside the "
                 "function (numpy values work too) and pass tensors such as placeholders or "
                 "variables through the dataset instead (e.g. Dataset.zip with "
                 "Dataset.from_tensors(t).repeat(), or as a component of from_tensor_slices)")


class Function:
    """``fn`` traced on ``input_structure`` (a nest of TensorSpecs) for ``what`` (the API
    name, for error messages)."""

    def __init__(self, fn, input_structure, what: str):
        if not callable(fn):
            raise TypeError(f"{what}: expected a callable, got {fn!r}")
        self.what = what
        self.graph = graph = Graph()
        graph.seed = get_default_graph().seed
        with graph.as_default():
            specs = st.components(input_structure)
            self.inputs = [placeholder(s.dtype, s.shape, name=f"args_{i}")
                           for i, s in enumerate(specs)]
            args = st.pack_components(input_structure, self.inputs)
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
        self.stateful = any(op._opdef.stateful for op in graph._ops)
        self._plan = None
        self.outputs: list[Tensor] = []

    def check_tensor(self, t: Tensor, where: str = "returns"):
        if t.graph is not self.graph:
            raise ValueError(f"{self.what}: the function {where} tensor {t.name} of another "
                             f"graph (the graph the dataset is used in?): {_CAPTURE_HINT}")

    def output_structure(self):
        """The function's result as a nest of its graph's tensors (map's element): lists
        become tuples (as TF), Python values constants; anything else is refused."""
        with self.graph.as_default():
            out = self._as_nest(self.returned)
        self.outputs = st.component_values(out)
        return out

    def _as_nest(self, value):
        if isinstance(value, list):  # TF's map turns a returned list into a tuple
            value = tuple(value)
        if isinstance(value, dict):
            return {k: self._as_nest(v) for k, v in value.items()}
        if isinstance(value, tuple) and not isinstance(value, st.SparseTensorValue):
            items = [self._as_nest(v) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        if isinstance(value, st.SparseTensorValue):
            value = st.SparseTensor.from_value(value)
        if isinstance(value, st.SparseTensor):  # a leaf: its three tensors are the outputs
            for t in (value.indices, value.values, value.dense_shape):
                self.check_tensor(t)
            return value
        if hasattr(value, "_as_tensor") and not isinstance(value, Tensor):
            value = value._as_tensor()  # a Variable
        if isinstance(value, Tensor):
            self.check_tensor(value)
            return value
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
        """The tensors each call computes (flat_map: the captures of the returned dataset)."""
        for t in tensors:
            self.check_tensor(t, "returns a dataset using")
        self.outputs = list(tensors)

    def finalize(self):
        self.graph.finalize()  # nothing may be added once traced: the Plans would not see it

    def compile(self) -> Plan:
        return Plan.compile(self.graph, self.inputs, self.outputs, (), Resources())

    def runner(self, cache: dict):
        """The Plan's ``run`` for one iterator instance (``cache`` is that instance's)."""
        if not self.stateful:
            if self._plan is None:
                self._plan = self.compile()
            return self._plan.run
        run = cache.get(self)
        if run is None:
            run = cache[self] = self.compile().run
        return run
