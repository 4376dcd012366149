"""One loaded model version: its signatures, one compiled Plan per (signature, outputs),
input validation and warm-up."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import numpy as np

from minitf import dtypes as _dt
from minitf.errors import FailedPreconditionError, InvalidArgumentError, OpError
from minitf.export import Model, Signature, TensorInfo
from minitf.export.saved_model import checked_defaults
from minitf.plan import Plan, Resources

DEFAULT_SIGNATURE = "serving_default"

# Plans kept per signature for output subsets beyond those compiled at load (all outputs, each
# single output). Clients choose the subsets, so the cache is bounded like Session's and
# DataPlane's plan caches. A plan's own cost is its steps and slots (folded constants are shared
# by all plans of a graph, core/plan_compile.py), so 64 costs little, yet covers every pair of
# up to 11 outputs, or the handful of filters real clients repeat; a client cycling through
# more only pays a recompile (what an unfiltered request avoids entirely).
SUBSET_PLAN_CACHE = 64

log = logging.getLogger("minitf.serving")


class SignatureRunner:
    """Executes one signature: validated inputs in, requested outputs out.

    The Plan for all outputs and for each single output is compiled at load and kept for the
    version's life (warm_up runs them); other output subsets (Predict's ``output_filter``:
    up to 2**K - 1 of them, chosen by clients) are compiled on first use and kept in an LRU of
    at most SUBSET_PLAN_CACHE plans, as Session and DataPlane bound theirs.
    """

    def __init__(self, model: Model, name: str, signature: Signature, resources=None):
        self.name = name
        self._resources = resources
        self.signature = signature
        self.method_name = signature.method_name
        self.input_names = tuple(sorted(signature.inputs))
        self.output_names = tuple(sorted(signature.outputs))
        self._graph = model.graph
        self._feeds = tuple(model.tensor(signature.inputs[a].name) for a in self.input_names)
        # What validate() checks per input, precomputed: (alias, dtype, dims, TensorInfo).
        self._input_set = frozenset(self.input_names)
        infos = [(a, signature.inputs[a]) for a in self.input_names]
        self._checks = tuple((a, np.dtype(_np_dtype(i.dtype)), i.shape.as_tuple(), i)
                             for a, i in infos)
        # Checked (and made arrays) here too: a Signature may be built by hand, not loaded.
        self.defaults = checked_defaults(signature.defaults, signature.inputs,
                                         f"signature '{name}'")
        self._plans: dict[tuple, Plan] = {}  # compiled at load, never evicted
        self._subset_plans: OrderedDict[tuple, Plan] = OrderedDict()  # LRU, least recent first
        self._lock = threading.Lock()
        loaded = [self.output_names]
        if len(self.output_names) > 1:
            loaded += [(a,) for a in self.output_names]
        for outputs in loaded:
            self._plans[outputs] = self._compile(outputs)
        # Batchable when every input and output has an unknown leading (batch) dimension.
        self.batchable = all(_leading_unknown(i.shape) for i in signature.inputs.values()) and \
            all(_leading_unknown(o.shape) for o in signature.outputs.values())

    def plan_for(self, outputs: tuple) -> Plan:
        plan = self._plans.get(outputs)  # no lock: filled at load, read-only since
        if plan is not None:
            return plan
        with self._lock:
            cache = self._subset_plans
            plan = cache.get(outputs)
            if plan is not None:
                cache.move_to_end(outputs)
                return plan
            # Compiled under the lock: concurrent requests for one new subset compile it once.
            plan = cache[outputs] = self._compile(outputs)
            if len(cache) > SUBSET_PLAN_CACHE:
                cache.popitem(last=False)
        return plan

    def _compile(self, outputs: tuple) -> Plan:
        fetches = [self._graph.get_tensor_by_name(self.signature.outputs[a].name)
                   for a in outputs]
        return Plan.compile(self._graph, self._feeds, fetches, resources=self._resources)

    def output_aliases(self, output_filter: Sequence[str] | None) -> tuple:
        """The requested output aliases in a canonical order; all outputs if none given."""
        if not output_filter:
            return self.output_names
        seen = set()
        for a in output_filter:
            if a not in self.signature.outputs:
                raise InvalidArgumentError(
                    None, None, f"output tensor alias not found in signature: {a} Outputs "
                    f"expected to be in the set {{{','.join(self.output_names)}}}.")
            if a in seen:
                raise InvalidArgumentError(None, None, f"duplicate output tensor alias: {a}")
            seen.add(a)
        return tuple(sorted(seen))

    def validate(self, inputs: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Checks aliases, dtypes and shapes against the signature; returns feeds in order."""
        if inputs.keys() != self._input_set:
            inputs = self._with_defaults(inputs)
        out = []
        for alias, dtype, dims, info in self._checks:
            arr = inputs[alias]
            if arr.dtype != dtype or not _shape_matches(dims, arr.shape):
                check_tensor(alias, arr, info)  # raises, naming what is wrong
            out.append(arr)
        return out

    def _with_defaults(self, inputs: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
        """The request's inputs, the signature's defaults for those it leaves out; refused as
        TF Serving refuses them (predict_util.cc's VerifyRequestInputsSize: more inputs than
        the signature's, or fewer when it has no defaults; then saved_model's GetInputValues:
        an input left out without a default, or a name that is no input)."""
        sent, want = set(inputs), set(self.input_names)
        # (Without defaults, a request of the right size naming another input gets this
        # message too, which names both sides.)
        if len(sent) > len(want) or not self.defaults:
            extra, missing = sorted(sent - want), sorted(want - sent)
            parts = [f"input size does not match signature: {len(sent)}!={len(want)} "
                     f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(sorted(want))}}})."]
            if extra:
                parts.append(f"Sent extra: {{{','.join(extra)}}}.")
            if missing:
                parts.append(f"Missing but required: {{{','.join(missing)}}}.")
            raise InvalidArgumentError(None, None, " ".join(parts))
        filled = dict(inputs)
        for alias in sorted(want - sent):
            if alias not in self.defaults:
                raise InvalidArgumentError(
                    None, None, f"Signature input alias: {alias}(feed name: "
                    f"{self.signature.inputs[alias].name}) not found in request and no default "
                    f"value provided. Inputs expected to be in the request "
                    f"{{{','.join(sorted(sent))}}}, or default input alias set: "
                    f"{','.join(sorted(self.defaults))}")
            filled[alias] = self.defaults[alias]
        if sent - want:
            raise InvalidArgumentError(
                None, None, "Inputs contains invalid name. Used request inputs: "
                f"{','.join(sorted(sent & want))}, request input: {','.join(sorted(sent))}")
        return filled

    def run(self, feeds: list[np.ndarray], outputs: tuple) -> dict[str, np.ndarray]:
        values = self.plan_for(outputs).run(feeds)
        return dict(zip(outputs, values))

    def warm_up(self, batch: int = 1):
        """Runs every compiled plan once on zeros (unknown dims -> ``batch``; an input with a
        default gets its default, as a request leaving it out), so a version's
        first requests do not pay for first-touch costs. Best effort: zeros are not always a
        valid input (a reshape to a fixed width, an integer division), and an input of unknown
        rank has no shape to make zeros of, so such a version loads anyway and runs cold
        (TF Serving warms up only from recorded requests, and never rejects a model for it)."""
        feeds = []
        for alias in self.input_names:
            if alias in self.defaults:  # what a request leaving it out is fed
                feeds.append(self.defaults[alias])
                continue
            info = self.signature.inputs[alias]
            dims = info.shape.as_tuple()
            if dims is None:
                log.info("signature '%s' not warmed up: input '%s' has unknown rank", self.name,
                         alias)
                return
            shape = tuple(batch if d is None else d for d in dims)
            np_type = _np_dtype(info.dtype)
            # A string's zero is b"" (np.zeros of object gives the integer 0, which a
            # vocabulary lookup refuses).
            feeds.append(np.full(shape, b"", dtype=object) if np_type is object else
                         np.zeros(shape, dtype=np_type))
        # An empty string is rarely a valid input (a tf.Example signature's required features
        # are missing from it): failing on one is expected, not worth a warning.
        expected = any(f.dtype == object for f in feeds)
        for outputs in list(self._plans):
            try:
                self.run(feeds, outputs)
            except OpError as e:
                log.log(logging.INFO if expected else logging.WARNING,
                        "signature '%s' not warmed up: it fails on zeros (%s: %s); it "
                        "loads anyway and serves whatever its real inputs give",
                        self.name, type(e).__name__, e.message)
                return


def _np_dtype(dtype: _dt.DType):
    return object if dtype is _dt.string else dtype.as_numpy_dtype


def _shape_matches(dims, shape) -> bool:
    if dims is None:
        return True
    if len(dims) != len(shape):
        return False
    for d, s in zip(dims, shape):  # a loop: cheaper than all() over a generator, per request
        if d is not None and d != s:
            return False
    return True


def _leading_unknown(shape) -> bool:
    dims = shape.as_tuple()
    return bool(dims) and dims[0] is None


def check_tensor(alias: str, arr: np.ndarray, info: TensorInfo):
    want = _np_dtype(info.dtype)
    if arr.dtype != np.dtype(want):
        got = _dt.from_numpy(arr).name if arr.dtype != object else "string"
        raise InvalidArgumentError(None, None, f"input '{alias}': expected dtype "
                                   f"{info.dtype.name}, got {got}")
    dims = info.shape.as_tuple()
    if dims is not None and (len(dims) != arr.ndim or any(
            d is not None and d != s for d, s in zip(dims, arr.shape))):
        expect = "[" + ",".join("-1" if d is None else str(d) for d in dims) + "]"
        raise InvalidArgumentError(None, None, f"input '{alias}': expected shape {expect}, got "
                                   f"{list(arr.shape)}")


class Servable:
    """A loaded model version. Immutable after construction; safe to share across threads."""

    def __init__(self, name: str, version: int, model: Model, warm_up: bool = True):
        self.name = name
        self.version = version
        self.model = model
        self.path = model.path
        # The version's state (its lookup tables): one for every plan that runs it.
        self.resources = Resources()
        self.session_plans: dict = {}  # SessionRun's plans by fetch set (DataPlane fills it)
        self.signatures = {n: SignatureRunner(model, n, s, self.resources)
                           for n, s in model.signatures.items()}
        if model.init_ops:
            self._initialize(model)
        if warm_up:
            self.warm_up()

    def warm_up(self):
        """Runs every signature once on zeros (best effort: see SignatureRunner.warm_up). The
        repository's loader replays a version's recorded warm-up requests instead when it has
        them (warmup.py)."""
        for runner in self.signatures.values():
            runner.warm_up()

    def _initialize(self, model: Model):
        """Runs the model's init ops (filling its tables), its asset files fed, as TF Serving
        runs a SavedModel's main op before the version serves."""
        graph = model.graph
        feeds = [graph.get_tensor_by_name(name) for name in model.assets]
        targets = [graph.get_operation_by_name(name) for name in model.init_ops]
        values = [np.array(path.encode(), dtype=object) for path in model.assets.values()]
        Plan.compile(graph, feeds, (), targets, self.resources).run(values)

    def signature(self, name: str | None) -> SignatureRunner:
        key = name or DEFAULT_SIGNATURE
        runner = self.signatures.get(key)
        if runner is None:
            if not name and len(self.signatures) == 1:
                return next(iter(self.signatures.values()))
            if key in self.model.left_out:  # in the file, but minitf cannot serve it
                raise FailedPreconditionError(
                    None, None, f'Serving signature key "{key}" is not served: '
                    f"{self.model.left_out[key]}; it was left out when the model loaded.")
            raise FailedPreconditionError(None, None, f'Serving signature key "{key}" not '
                                          "found.")
        return runner

    def __repr__(self):
        return f"<Servable {self.name}:{self.version} {sorted(self.signatures)}>"
