"""tf.contrib.integrate: odeint (dopri5) against analytic solutions (decay, oscillator,
complex rotation, N-D state), tolerances and the info dict; Lorenz against scipy when present;
odeint_fixed against the same RK4 / midpoint steps written in numpy and their convergence
orders; gradients through both; bad input."""

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import run

integrate = tf.contrib.integrate


def test_odeint_exponential_decay_and_info_dict():
    t = np.linspace(0.0, 3.0, 7)
    with tf.Graph().as_default():
        y, info = integrate.odeint(lambda y, _: -y, np.float64(1.0), t, rtol=1e-10,
                                   atol=1e-12, full_output=True)
        assert y.shape.as_list() == [7]
        got, info = run([y, info])
    np.testing.assert_allclose(got, np.exp(-t), rtol=1e-8)
    points, ratios = info["integrate_points"], info["error_ratio"]
    assert info["num_func_evals"] == 6 * len(points) + 1
    assert len(points) == len(ratios)
    assert ratios[0] > 1  # the default first step of 1.0 is too long and is rejected
    accepted = points[ratios <= 1]
    assert np.all(np.diff(accepted) > 0) and accepted[-1] >= t[-1]


def test_odeint_tolerance_controls_the_error():
    t = np.array([0.0, 2.0])
    errs, steps = [], []
    for rtol in (1e-3, 1e-6, 1e-9):
        with tf.Graph().as_default():
            y, info = integrate.odeint(lambda y, _: -y, np.float64(1.0), t, rtol=rtol,
                                       full_output=True)
            got, info = run([y, info])
        errs.append(abs(got[-1] - np.exp(-2.0)))
        steps.append(len(info["integrate_points"]))
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-9
    assert steps[0] < steps[1] < steps[2]


def test_odeint_harmonic_oscillator_system():
    t = np.linspace(0.0, 10.0, 21)

    def f(state, _):
        x, v = tf.unstack(state)
        return tf.stack([v, -x])

    with tf.Graph().as_default():
        got = run(integrate.odeint(f, np.array([1.0, 0.0]), t, rtol=1e-9, atol=1e-10))
    np.testing.assert_allclose(got[:, 0], np.cos(t), atol=1e-7)
    np.testing.assert_allclose(got[:, 1], -np.sin(t), atol=1e-7)


def test_odeint_time_dependent_nd_state_float32():
    t = np.linspace(0.0, 1.0, 4).astype(np.float32)
    y0 = np.ones((2, 3), np.float32)
    with tf.Graph().as_default():
        # t is converted to float64 (as TF: preferred dtype), so func casts the time
        y = integrate.odeint(lambda y, s: 2.0 * tf.cast(s, y.dtype) * tf.ones_like(y), y0, t)
        assert y.dtype == tf.float32 and y.shape.as_list() == [4, 2, 3]
        got = run(y)
    np.testing.assert_allclose(got, 1.0 + (t ** 2)[:, None, None] * np.ones((1, 2, 3)),
                               rtol=1e-5)


def test_odeint_complex_state():
    t = np.linspace(0.0, 2.0, 5)
    with tf.Graph().as_default():
        y = integrate.odeint(lambda y, _: 1j * y, np.complex128(1.0), t, rtol=1e-9)
        got = run(y)
    np.testing.assert_allclose(got, np.exp(1j * t), atol=1e-7)


def test_odeint_lorenz_matches_scipy():
    scipy_integrate = pytest.importorskip("scipy.integrate")
    rho, sigma, beta = 28.0, 10.0, 8.0 / 3.0
    t = np.linspace(0.0, 1.0, 11)

    def lorenz(state, _):
        x, y, z = tf.unstack(state)
        return tf.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])

    with tf.Graph().as_default():
        got = run(integrate.odeint(lorenz, np.array([0.0, 2.0, 20.0]), t, rtol=1e-10,
                                   atol=1e-10))
    ref = scipy_integrate.solve_ivp(
        lambda _, s: [sigma * (s[1] - s[0]), s[0] * (rho - s[2]) - s[1], s[0] * s[1] - beta * s[2]],
        (0.0, 1.0), [0.0, 2.0, 20.0], t_eval=t, rtol=1e-12, atol=1e-12, method="DOP853")
    np.testing.assert_allclose(got, ref.y.T, atol=1e-6)


def test_odeint_options_and_gradient():
    t = np.array([0.0, 1.0])
    with tf.Graph().as_default():
        a = tf.constant(-0.7, tf.float64)
        y0 = tf.constant(2.0, tf.float64)
        y, info = integrate.odeint(lambda y, _: a * y, y0, t, method="dopri5",
                                   options={"first_step": 0.01}, full_output=True)
        ga, gy0 = tf.gradients(y[-1], [a, y0])
        got, info, ga, gy0 = run([y, info, ga, gy0])
    assert info["error_ratio"][0] <= 1  # a small first step is accepted
    np.testing.assert_allclose(got[-1], 2.0 * np.exp(-0.7), rtol=1e-6)
    np.testing.assert_allclose(ga, 2.0 * np.exp(-0.7), rtol=1e-5)  # d/da y0 e^{a t}
    np.testing.assert_allclose(gy0, np.exp(-0.7), rtol=1e-5)


def _numpy_fixed(f, y0, t, n_steps, method):
    y, out = np.asarray(y0, np.float64), [np.asarray(y0, np.float64)]
    for t0, t1, n in zip(t[:-1], t[1:], n_steps):
        h = (t1 - t0) / n
        s = t0
        for _ in range(n):
            if method == "rk4":
                k1 = f(y, s)
                k2 = f(y + h * k1 / 2, s + h / 2)
                k3 = f(y + h * k2 / 2, s + h / 2)
                k4 = f(y + h * k3, s + h)
                y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            else:
                y = y + h * f(y + h / 2 * f(y, s), s + h / 2)
            s += h
        out.append(y)
    return np.array(out)


@pytest.mark.parametrize("method", ["rk4", "midpoint"])
def test_odeint_fixed_matches_the_numpy_scheme(method):
    t = np.array([0.0, 0.5, 0.6, 2.0])
    f_np = lambda y, s: np.array([y[1], -y[0] + np.sin(s)])  # noqa: E731

    def f(state, s):
        x, v = tf.unstack(state)
        return tf.stack([v, -x + tf.sin(s)])

    with tf.Graph().as_default():
        y = integrate.odeint_fixed(f, np.array([1.0, 0.0]), t, dt=0.25, method=method)
        got = run(y)
    # ceil(interval / 0.25) steps per interval: 2, 1, 6
    np.testing.assert_allclose(got, _numpy_fixed(f_np, [1.0, 0.0], t, [2, 1, 6], method),
                               rtol=1e-12)


@pytest.mark.parametrize("method,order", [("rk4", 4), ("midpoint", 2)])
def test_odeint_fixed_convergence_order(method, order):
    t = np.array([0.0, 1.0])
    errs = []
    for dt in (0.1, 0.05):
        with tf.Graph().as_default():
            y = integrate.odeint_fixed(lambda y, _: -y, np.float64(1.0), t, dt=dt,
                                       method=method)
            errs.append(abs(run(y)[-1] - np.exp(-1.0)))
    assert 2 ** order * 0.8 < errs[0] / errs[1] < 2 ** order * 1.2


def test_odeint_fixed_per_interval_dt_default_dt_and_gradient():
    t = np.array([0.0, 1.0, 3.0])
    with tf.Graph().as_default():
        a = tf.constant(0.3, tf.float64)
        y_vec = integrate.odeint_fixed(lambda y, _: a * y, np.float64(1.0), t, dt=[0.5, 0.25])
        y_none = integrate.odeint_fixed(lambda y, _: a * y, np.float64(1.0), t)
        (g,) = tf.gradients(y_vec[-1], a)
        got_vec, got_none, g = run([y_vec, y_none, g])
    f = lambda y, _: 0.3 * y  # noqa: E731
    np.testing.assert_allclose(got_vec, _numpy_fixed(f, 1.0, t, [2, 8], "rk4"), rtol=1e-12)
    np.testing.assert_allclose(got_none, _numpy_fixed(f, 1.0, t, [1, 1], "rk4"), rtol=1e-12)
    np.testing.assert_allclose(g, 3.0 * np.exp(0.9), rtol=1e-4)  # d/da e^{3a}


def test_bad_inputs():
    t = [0.0, 1.0]
    f = lambda y, _: -y  # noqa: E731
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="invalid method: 'rk45'"):
            integrate.odeint(f, 1.0, t, method="rk45")
        with pytest.raises(ValueError, match="cannot supply `options` without"):
            integrate.odeint(f, 1.0, t, options={"first_step": 0.1})
        with pytest.raises(TypeError, match="`y0` must have a floating point"):
            integrate.odeint(f, 1, t)
        with pytest.raises(TypeError, match="`t` must have a floating point"):
            integrate.odeint(f, 1.0, tf.constant([0, 1]))
        with pytest.raises(ValueError, match="method not supported: euler"):
            integrate.odeint_fixed(f, 1.0, t, method="euler")
        with pytest.raises(ValueError, match="incompatible lengths"):
            integrate.odeint_fixed(f, 1.0, [0.0, 1.0, 2.0], dt=[0.1, 0.1, 0.1])
        with pytest.raises(TypeError, match="`dt` must have a floating point"):
            integrate.odeint_fixed(f, 1.0, t, dt=tf.constant(1))
        with pytest.raises(tf.errors.InvalidArgumentError, match="monotonic increasing"):
            run(integrate.odeint(f, 1.0, [0.0, 2.0, 1.0]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="monotonic increasing"):
            run(integrate.odeint_fixed(f, 1.0, [0.0, 2.0, 1.0]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="max_num_steps exceeded"):
            run(integrate.odeint(f, 1.0, [0.0, 100.0], method="dopri5",
                                 options={"max_num_steps": 3}))
