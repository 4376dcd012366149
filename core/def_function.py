"""``tf.function`` for graph mode (eager execution disabled), as TF 1.15 behaves there.

TF traces the Python function into a function graph and adds a call op per call; minitf has no
call op, so each call traces the function into the calling graph (inline), in a name scope
named after it (``f``, ``f_1``, ...), and gives what TF's call gives:

- tensor arguments enter through an Identity named after the parameter (a PlaceholderWithDefault
  when the input signature's shape is less specific: the body sees the signature's shape);
  numpy arrays become constants; other Python values pass as they are;
- the results are Identities of the returned tensors (Python numbers become constants; an
  Operation or other object is TF 1.15's TypeError); None gives an Operation that runs the
  body's stateful ops, as TF 1.15 gives its call op;
- automatic control dependencies: the body's stateful ops run in program order (per variable,
  and the others among themselves), and fetching any result runs them all;
- ``input_signature`` checks and converts the arguments with TF's errors;
- variables may be created on the first call only, outside the call's name and control scopes
  (TF lifts them); a later call that creates one raises TF's ValueError.

Not as TF: the Python function runs on every call (TF re-traces only for a new signature), so
its Python side effects happen per call; a function creating variables unconditionally fails on
its second call here, on its first in TF (which traces twice). No AutoGraph: Python ``if`` /
``while`` / ``for`` on a Tensor raises a TypeError saying so (use tf.cond, tf.while_loop).
``autograph``'s options, ``experimental_relax_shapes`` and ``experimental_compile`` change
nothing. Reads through a variable's shared ``read`` snapshot are not ordered after the body's
assignments (``read_value()`` is); as TF1's reference variables, a read shares the variable's
buffer, so an assignment later in the same call shows through it (TF 2's resource reads copy).
"""

from __future__ import annotations

import functools
import inspect
import re
import weakref

import numpy as np

from . import nest
from .gradient_tape import _is_variable
from .graph import Operation, Tensor, convert_to_tensor, get_default_graph
from .module import variable_creator_scope
from .type_spec_base import TensorSpec

__all__ = ["function", "Function", "ConcreteFunction"]

_NON_FIRST = "tf.function-decorated function tried to create variables on non-first call."
_NONE_ON_FIRST = ("Creating variables on a non-first call to a function decorated with "
                  "tf.function.")
_NO_AUTOGRAPH = (" [minitf's tf.function has no AutoGraph: Python control flow on a Tensor "
                 "(`if`, `while`, `for` over it) is not converted in {name}; write it with "
                 "tf.cond / tf.while_loop / tf.map_fn instead.]")


def _scope_name(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", name).strip("_-.")
    return name or "function"


def _format(inputs, signature) -> str:
    return ("  inputs: (\n    " + ",\n    ".join(str(i) for i in inputs) + ")\n"
            "  input_signature: (\n    " + ",\n    ".join(str(s) for s in signature) + ")")


class Function:
    """What ``tf.function`` returns: callable like the Python function; see the module
    docstring."""

    def __init__(self, python_function, name=None, input_signature=None, autograph=True,
                 experimental_autograph_options=None, experimental_relax_shapes=False,
                 experimental_compile=None, _bound_to=None):
        if not callable(python_function):
            raise TypeError(f"tf.function expects a callable, got {python_function!r}")
        self._python_function = python_function
        self._call_target = python_function
        self._name = name or getattr(python_function, "__name__", type(python_function).__name__)
        self._autograph = autograph
        self._autograph_options = experimental_autograph_options
        self._relax_shapes = experimental_relax_shapes
        self._compile = experimental_compile
        self._descriptor_cache = weakref.WeakKeyDictionary()
        self._variables = None  # the variables of the first call, once it is done
        self._concrete: dict = {}
        if _bound_to is not None:  # a method: `self` held weakly, as TF's descriptor does
            ref = weakref.ref(_bound_to)
            self._call_target = lambda *a, **k: python_function(ref(), *a, **k)
            self._signature = _drop_first(inspect.signature(python_function))
        else:
            try:
                self._signature = inspect.signature(python_function)
            except (TypeError, ValueError):
                self._signature = None  # a builtin: arguments pass as given
        self._input_signature = None
        if input_signature is not None:
            if not isinstance(input_signature, (tuple, list)):
                raise TypeError("input_signature must be either a tuple or a list, received "
                                + str(type(input_signature)))
            bad = [s for s in nest.flatten(input_signature) if not isinstance(s, TensorSpec)]
            if bad:
                raise TypeError(f"Invalid input_signature {input_signature}; input_signature "
                                f"must be a possibly nested sequence of TensorSpec objects.")
            params = self._signature.parameters.values() if self._signature else ()
            if any(p.kind == p.KEYWORD_ONLY for p in params):
                raise ValueError("Cannot define a TensorFlow function from a Python function "
                                 "with keyword arguments when input_signature is provided.")
            self._input_signature = tuple(input_signature)
        functools.update_wrapper(self, python_function, updated=())

    python_function = property(lambda self: self._python_function)
    input_signature = property(lambda self: self._input_signature)

    def __get__(self, instance, owner):
        """A method: one Function per instance, so each instance creates its variables."""
        if instance is None:
            return self
        bound = self._descriptor_cache.get(instance)
        if bound is None:
            bound = Function(self._python_function, self._name, self._input_signature,
                             self._autograph, self._autograph_options, self._relax_shapes,
                             self._compile, _bound_to=instance)
            self._descriptor_cache[instance] = bound
        return bound

    def __repr__(self):
        return f"<minitf Function {self._name}>"

    # -- calls --------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        args, kwargs, specs = self._canonicalize(args, kwargs)
        return self._trace(args, kwargs, specs)[0]

    def get_concrete_function(self, *args, **kwargs):
        """The function traced for these arguments (TensorSpecs, Tensors, or Python values):
        in graph mode a trace into the default graph from placeholders, whose ``inputs``,
        ``outputs`` and ``structured_outputs`` can be run with those fed. Calling it traces
        again, for the given tensors (as the function would be called)."""
        if self._input_signature is not None:
            if kwargs:
                raise ValueError("Cannot define a TensorFlow function from a Python function "
                                 "with keyword arguments when input_signature is provided.")
            if args:
                _check_against_signature(args, self._input_signature)
            args, kwargs = self._input_signature, {}
        else:
            bound = self._bind(args, kwargs)
            if bound is not None:  # TF's structured_input_signature holds the defaults too
                bound.apply_defaults()
                args, kwargs = bound.args, bound.kwargs
            args = nest.map_structure(_spec_or_value, args)
            kwargs = nest.map_structure(_spec_or_value, kwargs)
        key = _cache_key(args, kwargs)
        if key is None or key not in self._concrete:
            concrete = ConcreteFunction(self, args, kwargs)
            if key is None:
                return concrete
            self._concrete[key] = concrete
        return self._concrete[key]

    def _canonicalize(self, args, kwargs):
        """(args, kwargs, signature specs or None), as TF's FunctionSpec binds them."""
        sig = self._input_signature
        if sig is None:
            args = nest.map_structure(_numpy_to_tensor, args)
            kwargs = nest.map_structure(_numpy_to_tensor, kwargs)
            self._bind(args, kwargs)
            return args, kwargs, None
        names = list(self._signature.parameters) if self._signature else []
        if len(args) > len(sig):
            raise TypeError(f"When input_signature is provided, only pass arguments covered "
                            f"by it. Received {len(args)} argument(s).")
        for key in kwargs:
            if key not in names:
                raise TypeError(f"Function got an unexpected keyword argument {key}")
            if names.index(key) >= len(sig):
                raise TypeError(f"When input_signature is provided, only pass arguments "
                                f"covered by it. Received argument {key}.")
        bound = self._bind(args, kwargs)
        bound.apply_defaults()
        inputs = list(bound.args)
        try:
            flat = _flatten_up_to(sig, tuple(inputs[:len(sig)]))
        except ValueError:
            raise ValueError("Structure of Python function inputs does not match "
                             "input_signature:\n" + _format(inputs, sig)) from None
        specs = nest.flatten(sig)
        for k, (value, spec) in enumerate(zip(flat, specs)):
            if not isinstance(value, Tensor):
                try:
                    flat[k] = convert_to_tensor(value, dtype_hint=spec.dtype)
                except (ValueError, TypeError):
                    raise ValueError("When input_signature is provided, all inputs to the "
                                     "Python function must be convertible to tensors:\n"
                                     + _format(inputs, sig)) from None
        if any(not spec.is_compatible_with(v) for spec, v in zip(specs, flat)):
            raise ValueError("Python inputs incompatible with input_signature:\n"
                             + _format(inputs, sig))
        covered = nest.pack_sequence_as(sig, flat)  # TF packs into the signature's structure
        return tuple(covered) + tuple(inputs[len(sig):]), {}, specs

    def _bind(self, args, kwargs):
        if self._signature is None:
            return None
        try:
            return self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self._name}() {e}") from None

    # -- tracing --------------------------------------------------------------------------------
    def _trace(self, args, kwargs, specs=None):
        """Runs the Python function inline; (structured result, flat result tensors)."""
        graph = get_default_graph()
        with graph.name_scope(_scope_name(self._name)) as scope:
            args, kwargs = self._enter_inputs(args, kwargs, specs)
            start = len(graph._ops)
            lifted: set = set()
            creator, created = self._creator(graph, scope, lifted)
            try:
                with variable_creator_scope(creator):
                    out = self._call_target(*args, **kwargs)
            except TypeError as e:
                text = str(e)
                if self._autograph and "has no AutoGraph" not in text and (
                        "as a Python `bool`" in text or "only iterable when eager" in text):
                    raise TypeError(text + _NO_AUTOGRAPH.format(name=self._name)) from e
                raise
            must_run = _auto_control_dependencies(graph._ops[start:], lifted, graph)
            if self._variables is None:
                self._variables = created
            return _outputs(out, must_run, self._python_function, graph)

    def _enter_inputs(self, args, kwargs, specs):
        """Each tensor argument through an op named after its parameter."""
        from .ops import array_ops

        names = list(self._signature.parameters) if self._signature else []
        spec_iter = iter(specs or ())

        def enter(value, name, use_spec):
            spec = next(spec_iter) if use_spec else None
            if not isinstance(value, Tensor):
                return value
            if spec is not None and not _same_shape(spec.shape, value.shape):
                return array_ops.placeholder_with_default(value, spec.shape, name=name)
            return array_ops.identity(value, name=name)

        n_sig = len(specs and self._input_signature or ())
        out_args = [nest.map_structure(functools.partial(
            enter, name=_arg_name(names, k), use_spec=k < n_sig), a) for k, a in enumerate(args)]
        out_kwargs = {key: nest.map_structure(
            functools.partial(enter, name=_scope_name(key), use_spec=False), v)
            for key, v in kwargs.items()}
        return tuple(out_args), out_kwargs

    def _creator(self, graph, scope, lifted):
        """The variable creator of one call: on the first, variables are made outside the
        call's name scope (TF lifts them out of the function) and remembered; later, none."""
        created: list = []
        first = self._variables is None

        def creator(next_creator, **kwargs):
            if not first:
                raise ValueError(_NON_FIRST if self._variables else _NONE_ON_FIRST)
            inner = graph._name_stack
            prefix = scope.rstrip("/")
            relative = inner[len(prefix):].lstrip("/") if inner.startswith(prefix) else inner
            begin = len(graph._ops)
            with graph.name_scope(relative + "/" if relative else None):
                v = next_creator(**kwargs)
            lifted.update(graph._ops[begin:])
            created.append(v)
            return v

        return creator, created


class ConcreteFunction:
    """``Function.get_concrete_function(...)``: one trace, from placeholders (module
    docstring). ``inputs``: the placeholders; ``outputs``: the result tensors, flat;
    ``structured_outputs``; ``graph``: the graph traced into."""

    def __init__(self, function, args, kwargs):
        from .ops import array_ops

        self._function = function
        self.graph = get_default_graph()
        self.structured_input_signature = (tuple(args), dict(kwargs))
        names = list(function._signature.parameters) if function._signature else []
        self.inputs: list = []
        self._arg_keywords: list = []

        def placeholder(value, name):
            if not isinstance(value, TensorSpec):
                return value
            p = array_ops.placeholder(value.dtype, value.shape, name=value.name or name)
            self.inputs.append(p)
            self._arg_keywords.append(p.op.name.rsplit("/", 1)[-1])
            return p

        fed_args = tuple(nest.map_structure(functools.partial(placeholder, name=_arg_name(
            names, k)), a) for k, a in enumerate(args))
        fed_kwargs = {key: nest.map_structure(  # nest's order: sorted keys
            functools.partial(placeholder, name=_scope_name(key)), kwargs[key])
            for key in sorted(kwargs)}
        self.structured_outputs, self.outputs = function._trace(fed_args, fed_kwargs)
        self.name = function._name

    python_function = property(lambda self: self._function.python_function)

    def __call__(self, *args, **kwargs):
        """Calls the function with tensors for ``inputs``, by position or by name; the
        Python values of the trace stay as they were."""
        n = len(self.inputs)
        if len(args) > n:
            raise TypeError(f"Expected at most {n} positional arguments (and the rest "
                            f"keywords, of {self._arg_keywords}), got {len(args)}.")
        given = list(args)
        for keyword in self._arg_keywords[len(given):]:
            if keyword not in kwargs:
                raise TypeError(f"Expected argument names {self._arg_keywords} but got values "
                                f"for {self._arg_keywords[:len(given)] + list(kwargs)}. "
                                f"Missing: {keyword}.")
            given.append(kwargs.pop(keyword))
        if kwargs:
            raise TypeError(f"Keyword arguments {sorted(kwargs)} unknown. Expected "
                            f"{self._arg_keywords}.")
        for k, (value, p) in enumerate(zip(given, self.inputs)):
            if not (isinstance(value, Tensor) or _is_variable(value)):
                raise ValueError(f"All inputs to `ConcreteFunction`s must be Tensors; on "
                                 f"invocation of {self.name}, the {k}-th input ({value}) was "
                                 f"not a Tensor.")
            value = convert_to_tensor(value)
            if value.dtype.base_dtype != p.dtype or not p.shape.is_compatible_with(value.shape):
                raise ValueError(f"ConcreteFunction {self.name}: input {k} ({value}) is not "
                                 f"compatible with {TensorSpec(p.shape, p.dtype)}")
            given[k] = value
        feed = iter(given)  # in place of the specs, in nest's order as the placeholders were
        args, kwargs = nest.map_structure(lambda v: next(feed) if isinstance(v, TensorSpec)
                                          else v, self.structured_input_signature)
        return self._function._trace(args, kwargs)[0]


def function(func=None, input_signature=None, autograph=True,
             experimental_autograph_options=None, experimental_relax_shapes=False,
             experimental_compile=None):
    """``tf.function``: ``tf.function(f)``, ``@tf.function`` or ``@tf.function(...)``."""
    def decorated(fn):
        return Function(fn, input_signature=input_signature, autograph=autograph,
                        experimental_autograph_options=experimental_autograph_options,
                        experimental_relax_shapes=experimental_relax_shapes,
                        experimental_compile=experimental_compile)

    if func is not None:
        return decorated(func)
    return decorated


# -- helpers ----------------------------------------------------------------------------------
def _drop_first(sig: inspect.Signature) -> inspect.Signature:
    params = list(sig.parameters.values())
    return sig.replace(parameters=params[1:] if params and params[0].kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD) else params)


def _check_against_signature(args, signature):
    """get_concrete_function's arguments given with an input signature: TF's checks."""
    try:
        nest.assert_same_structure(signature, args, check_types=False)
    except (ValueError, TypeError):
        raise ValueError("Structure of Python function inputs does not match "
                         "input_signature.") from None
    flat = nest.flatten(args)
    if any(not isinstance(a, (Tensor, TensorSpec)) and not _is_variable(a) for a in flat):
        raise ValueError("When input_signature is provided, all inputs to the Python function "
                         "must be Tensors, Variables, tf.TensorSpec or tf.VariableSpec objects.")
    if any(not s.is_compatible_with(_spec_of(a)) for s, a in zip(nest.flatten(signature), flat)):
        raise ValueError(f"Python inputs incompatible with input_signature: inputs ({args}), "
                         f"input_signature ({signature})")


def _flatten_up_to(shallow, value) -> list:
    """``value``'s parts at the leaves of ``shallow`` (a leaf of it takes a whole subtree):
    TF's nest.flatten_up_to; ValueError where the structures differ."""
    if not nest.is_nested(shallow):
        return [value]
    if isinstance(shallow, dict):
        if not isinstance(value, dict) or set(value) != set(shallow):
            raise ValueError("structures differ")
        keys = sorted(shallow)
        return [x for k in keys for x in _flatten_up_to(shallow[k], value[k])]
    if not isinstance(value, (list, tuple)) or len(value) != len(shallow):
        raise ValueError("structures differ")
    return [x for s, v in zip(shallow, value) for x in _flatten_up_to(s, v)]


def _arg_name(names: list, k: int) -> str:
    return _scope_name(names[k]) if k < len(names) else f"args_{k}"


def _same_shape(a, b) -> bool:
    if a.rank is None or b.rank is None:
        return a.rank is None and b.rank is None
    return a.as_list() == b.as_list()


def _numpy_to_tensor(value):
    return convert_to_tensor(value) if type(value) is np.ndarray else value


def _spec_of(value) -> TensorSpec:
    if isinstance(value, TensorSpec):
        return value
    t = convert_to_tensor(value)
    return TensorSpec(t.shape, t.dtype.base_dtype)


def _spec_or_value(value):
    """get_concrete_function's arguments: tensors (and variables) stand for their spec."""
    is_tensor = isinstance(value, Tensor) or _is_variable(value)
    return _spec_of(value) if is_tensor else _numpy_to_tensor(value)


def _cache_key(args, kwargs):
    """get_concrete_function's arguments as a hashable key (None: some are unhashable)."""
    flat = [("spec", str(v.shape), v.dtype.name, v.name) if isinstance(v, TensorSpec) else v
            for v in nest.flatten((args, kwargs))]
    key = (repr(nest.map_structure(lambda _: 0, (args, kwargs))), tuple(flat))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _auto_control_dependencies(new_ops, lifted, graph) -> list:
    """TF's automatic control dependencies over the ops a call made: ops using one variable
    run in program order, stateful ops using none likewise; returns the stateful ops, which
    the results wait for. Ops in a tf.cond or tf.while_loop are left to it."""
    last_by_variable: dict = {}
    last_other = None
    must_run = []
    for op in new_ops:
        if op in lifted or op in graph._control_flow_ops:
            continue
        storage = [t for t in op.inputs if t.op.type in ("VariableV2", "Variable")]
        stateful = op._opdef.stateful and op.type not in ("VariableV2", "Placeholder")
        for t in storage:
            before = last_by_variable.get(t)
            if before is not None:
                op._add_control_input(before)
            last_by_variable[t] = op
        if stateful and not storage:
            if last_other is not None:
                op._add_control_input(last_other)
            last_other = op
        if stateful:
            must_run.append(op)
    return must_run


def _outputs(out, must_run, python_function, graph):
    """The call's results (Identities of the returned tensors, after ``must_run``) and the
    flat list of them; a NoOp in place of None."""
    from .ops import array_ops

    if out is None:
        with graph.control_dependencies(must_run):
            return array_ops.group(*must_run), []
    flat = []

    def convert(x):
        if x is None:
            return None
        if type(x).__name__ in ("SparseTensor", "RaggedTensor", "IndexedSlices", "TensorArray"):
            return x  # composites pass as they are
        if isinstance(x, Operation):
            raise TypeError(_not_a_tensor(python_function, x))
        try:
            t = convert_to_tensor(x)
        except (TypeError, ValueError):
            raise TypeError(_not_a_tensor(python_function, x)) from None
        with graph.control_dependencies(must_run):
            t = array_ops.identity(t)
        flat.append(t)
        return t

    return nest.map_structure(convert, out), flat


def _not_a_tensor(python_function, x) -> str:
    return ("To be compatible with tf.contrib.eager.defun, Python functions must return zero "
            f"or more Tensors; in compilation of {python_function}, found return value of type "
            f"{type(x)}, which is not a Tensor.")

