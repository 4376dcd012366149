"""Registry-driven op tests: every op against a numpy reference, its static inference against
the kernel's real output, and (when differentiable) a numerical gradient check in float64."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.gradients import gradients
from minitf.opdef import registered

from .op_cases import all_cases, covered_elsewhere
from .op_cases.harness import Const, allow_float64, flat_inputs

CASES = all_cases()
COVERED_BY = covered_elsewhere()


def _build(case, unknown=False, dtype_override=None):
    """Builds the op; returns (outputs, placeholders, feed values)."""
    opdef = registered()[case.op]
    phs, feeds = [], []

    def tensor_for(v):
        if isinstance(v, Const):
            return tf.constant(v.value)
        arr = np.asarray(v)
        if dtype_override is not None and arr.dtype.kind == "f":
            arr = arr.astype(dtype_override)
        ph = tf.placeholder(tf.as_dtype(arr.dtype), None if unknown else arr.shape)
        phs.append(ph)
        feeds.append(arr)
        return ph

    args = [[tensor_for(x) for x in v] if isinstance(v, list) else tensor_for(v)
            for v in case.inputs]
    out = opdef(*args, **case.attrs)
    if isinstance(out, tf.Operation):
        outs = []
    elif isinstance(out, list):
        outs = out
    else:
        outs = [out]
    return outs, phs, feeds


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_forward_matches_numpy_and_inference(case):
    for unknown in ([False, True] if case.unknown_shapes else [False]):
        tf.reset_default_graph()
        outs, phs, feeds = _build(case, unknown=unknown)
        with tf.Session() as sess:
            got = sess.run(outs, dict(zip(phs, feeds)))
        raw = [_raw_value(v) for v in case.inputs]
        for i, (t, g) in enumerate(zip(outs, got)):
            g = _as_array(g)
            # Static inference agrees with what the kernel really produced.
            assert _value_type(t.dtype) == g.dtype.type or (
                t.dtype == tf.string and g.dtype == object), \
                f"{case.id} output {i}: inferred {t.dtype.name}, kernel gave {g.dtype}"
            assert t.shape.is_compatible_with(g.shape), \
                f"{case.id} output {i}: inferred {t.shape}, kernel gave {g.shape}"
            if not unknown and case.exact_shape:
                assert t.shape.as_tuple() == g.shape, \
                    f"{case.id} output {i}: inferred {t.shape} is not exact ({g.shape})"
        if case.check is not None:
            case.check([_as_array(g) for g in got], raw)
            continue
        want = _as_tuple(case.ref(*raw, **case.attrs))
        assert len(want) == len(outs), f"{case.id}: ref gives {len(want)} outputs, op {len(outs)}"
        for i, (g, w) in enumerate(zip(got, want)):
            if case.compare is not None and i not in case.compare:
                continue
            g, w = _as_array(g), _as_array(w)
            assert g.shape == w.shape, f"{case.id} output {i}: shape {g.shape} != ref {w.shape}"
            if g.dtype.kind in "fc":
                np.testing.assert_allclose(g, w, rtol=case.rtol, atol=case.atol,
                                           err_msg=f"{case.id} output {i}")
            else:
                np.testing.assert_array_equal(g, w, err_msg=f"{case.id} output {i}")


def _value_type(dtype):
    """The numpy type of a tensor's values: a quantized type's numpy dtype is a one-field record
    (TF's), but its values are arrays of the field's integers, as TF's Session.run returns."""
    np_dtype = np.dtype(dtype.as_numpy_dtype)
    return np_dtype[0].type if np_dtype.names else np_dtype.type


def _as_array(v):
    # A scalar tf.string fetch is bytes; numpy's "S" dtype would drop its trailing NUL bytes.
    return np.array(v, dtype=object) if isinstance(v, bytes) else np.asarray(v)


def _raw_value(v):
    if isinstance(v, Const):
        return v.value
    if isinstance(v, list):
        return [_raw_value(e) for e in v]
    return np.asarray(v)


def _grad_positions(case, feeds):
    opdef = registered()[case.op]
    if not opdef.differentiable:
        return []
    if case.grad is not None:
        return list(case.grad)
    return [i for i, v in enumerate(feeds) if v.dtype.kind == "f"]


def _has_float_feed(case):
    return any(not is_const and np.asarray(v).dtype.kind == "f" for v, is_const in
               flat_inputs(case))


# Cases of differentiable ops with something to differentiate (integer-only cases have nothing).
GRAD_CASES = [c for c in CASES if registered()[c.op].differentiable and c.grad != []
              and (c.grad is not None or _has_float_feed(c))]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_numerical_gradient(case, monkeypatch):
    """Central differences in float64 against the symbolic gradient."""
    allow_float64(monkeypatch)
    outs, phs, feeds = _build(case, dtype_override=np.float64)
    positions = _grad_positions(case, feeds)
    assert positions, f"{case.id}: differentiable op with nothing to check"
    rng = np.random.default_rng(0)
    float_outs = [t for t in outs if t.dtype.is_floating]
    weights = [rng.standard_normal(t.shape.as_list()) if t.shape.is_fully_defined() else None
               for t in float_outs]
    with tf.Session() as sess:
        shapes = sess.run(float_outs, dict(zip(phs, feeds)))
    weights = [w if w is not None else rng.standard_normal(np.shape(s))
               for w, s in zip(weights, shapes)]
    loss = tf.add_n([tf.reduce_sum(t * tf.constant(w)) for t, w in zip(float_outs, weights)]) \
        if len(float_outs) > 1 else tf.reduce_sum(float_outs[0] * tf.constant(weights[0]))
    xs = [phs[i] for i in positions]
    sym = gradients(loss, xs)
    eps = 1e-6
    with tf.Session() as sess:
        base_feed = dict(zip(phs, feeds))
        # A sparse gradient (a gather's IndexedSlices) is compared in its dense form.
        got = sess.run([tf.convert_to_tensor(g) if g is not None else tf.zeros_like(x)
                        for g, x in zip(sym, xs)], base_feed)
        for k, i in enumerate(positions):
            assert sym[k] is not None, f"{case.id}: no gradient for input {i}"
            x0 = feeds[i]
            num = np.zeros_like(x0)
            for j in np.ndindex(*x0.shape):
                for sign in (1, -1):
                    x = x0.copy()
                    x[j] += sign * eps
                    feed = dict(base_feed)
                    feed[phs[i]] = x
                    num[j] += sign * sess.run(loss, feed) / (2 * eps)
            np.testing.assert_allclose(got[k], num, rtol=case.grad_rtol, atol=case.grad_atol,
                                       err_msg=f"{case.id}: gradient of input {i}")


def test_every_op_has_a_case():
    covered = {c.op for c in CASES} | set(COVERED_BY)
    missing = sorted(set(registered()) - covered)
    assert not missing, f"ops without a test case: {missing}"


def test_every_differentiable_op_has_a_gradient_case():
    covered = {c.op for c in GRAD_CASES} | set(COVERED_BY)
    missing = sorted(t for t, d in registered().items() if d.differentiable and t not in covered)
    assert not missing, f"differentiable ops without a gradient case: {missing}"


def test_covered_elsewhere_names_real_tests():
    """Each exemption points at a test function that exists."""
    import importlib
    import pathlib

    for op, where in COVERED_BY.items():
        assert op in registered(), f"COVERED_BY names unknown op {op}"
        path, _, func = where.partition("::")
        parts = pathlib.PurePosixPath(path.removeprefix("tests/core/")).with_suffix("").parts
        module = importlib.import_module("tests.core." + ".".join(parts))
        assert callable(getattr(module, func, None)), f"{op}: {where} does not exist"
