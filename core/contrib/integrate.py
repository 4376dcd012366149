"""``tf.contrib.integrate`` (TF 1.15): ODE solvers built as graph loops of minitf's ops.

``odeint`` is TF 1.15's adaptive Dormand-Prince (dopri5) Runge-Kutta with error control
(``rtol``/``atol``), 4th-order dense output to hit the requested times, and an optional
``info_dict`` (function evaluations, step end points, error ratios). ``odeint_fixed`` steps on a
fixed grid with the explicit midpoint or classic RK4 method (TF 1.15 had no other). Both are
differentiable where their loops are (fixed grids always)."""

from __future__ import annotations

import collections

import minitf as tf

__all__ = ["odeint", "odeint_fixed"]

_ButcherTableau = collections.namedtuple("_ButcherTableau", "alpha beta c_sol c_mid c_error")

# Shampine (1986), section 4: the Dormand-Prince 5(4) pair with a mid-point for dense output.
_DORMAND_PRINCE_TABLEAU = _ButcherTableau(
    alpha=[1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0],
    beta=[[1 / 5],
          [3 / 40, 9 / 40],
          [44 / 45, -56 / 15, 32 / 9],
          [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
          [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
          [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]],
    c_sol=[35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
    c_mid=[6025192743 / 30085553152 / 2, 0, 51252292925 / 65400821598 / 2,
           -2691868925 / 45128329728 / 2, 187940372067 / 1594534317056 / 2,
           -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2],
    c_error=[1951 / 21600 - 35 / 384, 0, 22642 / 50085 - 500 / 1113, 451 / 720 - 125 / 192,
             -12231 / 42400 - -2187 / 6784, 649 / 6300 - 11 / 84, 1 / 60],
)


def _possibly_nonzero(x):
    return isinstance(x, tf.Tensor) or x != 0


def _scaled_dot_product(scale, xs, ys, name=None):
    """sum(scale * x * y), skipping the tableau's zero coefficients."""
    with tf.name_scope(name, "scaled_dot_product", [scale, xs, ys]) as scope:
        return tf.add_n([(scale * x) * y for x, y in zip(xs, ys)
                         if _possibly_nonzero(x) or _possibly_nonzero(y)], name=scope)


def _dot_product(xs, ys, name=None):
    with tf.name_scope(name, "dot_product", [xs, ys]) as scope:
        return tf.add_n([x * y for x, y in zip(xs, ys)], name=scope)


def _runge_kutta_step(func, y0, f0, t0, dt, tableau=_DORMAND_PRINCE_TABLEAU, name=None):
    """One explicit Runge-Kutta step: ``(y1, f1, y1_error, k)`` at ``t0 + dt``."""
    with tf.name_scope(name, "runge_kutta_step", [y0, f0, t0, dt]) as scope:
        y0 = tf.convert_to_tensor(y0, name="y0")
        f0 = tf.convert_to_tensor(f0, name="f0")
        t0 = tf.convert_to_tensor(t0, name="t0")
        dt = tf.convert_to_tensor(dt, name="dt")
        dt_cast = tf.cast(dt, y0.dtype)
        k = [f0]
        for alpha_i, beta_i in zip(tableau.alpha, tableau.beta):
            ti = t0 + alpha_i * dt
            yi = y0 + _scaled_dot_product(dt_cast, beta_i, k)
            k.append(func(yi, ti))
        yi = y0 + _scaled_dot_product(dt_cast, tableau.c_sol, k)
        y1 = tf.identity(yi, name=f"{scope}y1")
        f1 = tf.identity(k[-1], name=f"{scope}f1")
        y1_error = _scaled_dot_product(dt_cast, tableau.c_error, k, name=f"{scope}y1_error")
        return y1, f1, y1_error, k


def _interp_fit(y0, y1, y_mid, f0, f1, dt):
    """Coefficients [a, b, c, d, e] of the quartic through y0, y_mid, y1 with slopes f0, f1
    at the ends, in x = (t - t0) / dt."""
    values = [f0, f1, y0, y1, y_mid]
    a = _dot_product([-2 * dt, 2 * dt, -8, -8, 16], values)
    b = _dot_product([5 * dt, -3 * dt, 18, 14, -32], values)
    c = _dot_product([-4 * dt, dt, -11, -5, 16], values)
    return [a, b, c, dt * f0, y0]


def _interp_fit_rk(y0, y1, k, dt, tableau=_DORMAND_PRINCE_TABLEAU):
    with tf.name_scope("interp_fit_rk"):
        dt = tf.cast(dt, y0.dtype)
        y_mid = y0 + _scaled_dot_product(dt, tableau.c_mid, k)
        return _interp_fit(y0, y1, y_mid, k[0], k[-1], dt)


def _interp_evaluate(coefficients, t0, t1, t):
    """The dense-output polynomial at ``t`` in ``[t0, t1]`` (checked at run time)."""
    with tf.name_scope("interp_evaluate"):
        t0, t1, t = (tf.convert_to_tensor(v) for v in (t0, t1, t))
        dtype = coefficients[0].dtype
        assert_op = tf.Assert((t0 <= t) & (t <= t1),
                              ["invalid interpolation, fails `t0 <= t <= t1`:", t0, t, t1])
        with tf.control_dependencies([assert_op]):
            x = tf.cast((t - t0) / (t1 - t0), dtype)
        xs = [tf.constant(1, dtype), x]
        for _ in range(2, len(coefficients)):
            xs.append(xs[-1] * x)
        return _dot_product(coefficients, reversed(xs))


def _optimal_step_size(last_step, error_ratio, safety=0.9, ifactor=10.0, dfactor=0.2,
                       order=5, name=None):
    """The next step: last_step / clip(error_ratio**(1/order) / safety, 1/ifactor,
    1/dfactor)."""
    with tf.name_scope(name, "optimal_step_size", [last_step, error_ratio]) as scope:
        error_ratio = tf.cast(error_ratio, last_step.dtype)
        exponent = tf.cast(1 / order, last_step.dtype)
        # error_ratio stays in the numerator, so a zero error cannot divide by zero
        factor = tf.maximum(1 / ifactor, tf.minimum(error_ratio ** exponent / safety,
                                                    1 / dfactor))
        return tf.div(last_step, factor, name=scope)


def _abs_square(x):
    if x.dtype.is_complex:
        return tf.square(tf.real(x)) + tf.square(tf.imag(x))
    return tf.square(x)


def _ta_append(tensor_array, value):
    return tensor_array.write(tensor_array.size(), value)


class _RungeKuttaState(collections.namedtuple(
        "_RungeKuttaState", "y1, f1, t0, t1, dt, interp_coeff")):
    """The solver's state after a step: the solution and slope at t1, the last interval
    [t0, t1], the next step size and the interval's interpolation coefficients."""


class _History(collections.namedtuple("_History", "integrate_points, error_ratio")):
    """TensorArrays of every step's end point and error ratio (for ``info_dict``)."""


def _assert_increasing(t):
    assert_increasing = tf.Assert(tf.reduce_all(t[1:] > t[:-1]),
                                  ["`t` must be monotonic increasing"])
    return tf.control_dependencies([assert_increasing])


def _check_input_types(y0, t, dt=None):
    if not (y0.dtype.is_floating or y0.dtype.is_complex):
        raise TypeError("`y0` must have a floating point or complex floating point dtype")
    if not t.dtype.is_floating:
        raise TypeError("`t` must have a floating point dtype")
    if dt is not None and not dt.dtype.is_floating:
        raise TypeError("`dt` must have a floating point dtype")


def _check_input_sizes(t, dt):
    if t.shape.rank is not None and t.shape.rank > 1:
        raise ValueError("`t` must be a 1D tensor")
    if dt.shape.rank is not None and dt.shape.rank > 1:
        raise ValueError("`dt` must be a 1D tensor")
    n_t = t.shape[0].value if t.shape.rank else None
    n_dt = dt.shape[0].value if dt.shape.rank else None
    if n_t is not None and n_dt is not None and n_t != n_dt + 1:
        raise ValueError("`t` and `dt` have incompatible lengths, must be N and N-1")


def _dopri5(func, y0, t, rtol, atol, full_output=False, first_step=None, safety=0.9,
            ifactor=10.0, dfactor=0.2, max_num_steps=1000, name=None):
    """``odeint`` with method='dopri5'."""
    if first_step is None:
        first_step = 1.0  # TF 1.15's fixed guess
    with tf.name_scope(name, "dopri5",
                       [y0, t, rtol, atol, safety, ifactor, dfactor, max_num_steps]) as scope:
        first_step = tf.convert_to_tensor(first_step, dtype=t.dtype, name="first_step")
        safety = tf.convert_to_tensor(safety, dtype=t.dtype, name="safety")
        ifactor = tf.convert_to_tensor(ifactor, dtype=t.dtype, name="ifactor")
        dfactor = tf.convert_to_tensor(dfactor, dtype=t.dtype, name="dfactor")
        max_num_steps = tf.convert_to_tensor(max_num_steps, dtype=tf.int32,
                                             name="max_num_steps")

        def adaptive_runge_kutta_step(rk_state, history, n_steps):
            y0, f0, _, t0, dt, interp_coeff = rk_state
            with tf.name_scope("assertions"):
                check_underflow = tf.Assert(t0 + dt > t0, ["underflow in dt", dt])
                check_max_num_steps = tf.Assert(n_steps < max_num_steps,
                                                ["max_num_steps exceeded"])
                check_numerics = tf.Assert(tf.reduce_all(tf.is_finite(abs(y0))),
                                           ["non-finite values in state `y`", y0])
            with tf.control_dependencies([check_underflow, check_max_num_steps,
                                          check_numerics]):
                y1, f1, y1_error, k = _runge_kutta_step(func, y0, f0, t0, dt)

            with tf.name_scope("error_ratio"):
                # As the dopri5 Fortran code: RMS of the error over the tolerance.
                error_tol = atol + rtol * tf.maximum(abs(y0), abs(y1))
                tensor_error_ratio = _abs_square(y1_error) / _abs_square(error_tol)
                error_ratio = tf.sqrt(tf.reduce_mean(tensor_error_ratio))
                accept_step = error_ratio <= 1

            with tf.name_scope("update/rk_state"):
                # A rejected step leaves an empty interval [t0, t0]; the loop steps again.
                y_next = tf.cond(accept_step, lambda: y1, lambda: y0)
                f_next = tf.cond(accept_step, lambda: f1, lambda: f0)
                t_next = tf.cond(accept_step, lambda: t0 + dt, lambda: t0)
                interp_coeff = tf.cond(accept_step, lambda: _interp_fit_rk(y0, y1, k, dt),
                                       lambda: interp_coeff)
                dt_next = _optimal_step_size(dt, error_ratio, safety, ifactor, dfactor)
                rk_state = _RungeKuttaState(y_next, f_next, t0, t_next, dt_next, interp_coeff)

            with tf.name_scope("update/history"):
                history = _History(_ta_append(history.integrate_points, t0 + dt),
                                   _ta_append(history.error_ratio, error_ratio))
            return rk_state, history, n_steps + 1

        def interpolate(solution, history, rk_state, i):
            with tf.name_scope("interpolate"):
                rk_state, history, _ = tf.while_loop(
                    lambda rk_state, *_: t[i] > rk_state.t1, adaptive_runge_kutta_step,
                    (rk_state, history, 0), name="integrate_loop")
                y = _interp_evaluate(rk_state.interp_coeff, rk_state.t0, rk_state.t1, t[i])
                solution = solution.write(i, y)
                return solution, history, rk_state, i + 1

        with _assert_increasing(t):
            num_times = tf.size(t)

        solution = tf.TensorArray(y0.dtype, size=num_times).write(0, y0)
        history = _History(
            integrate_points=tf.TensorArray(t.dtype, size=0, dynamic_size=True),
            error_ratio=tf.TensorArray(rtol.dtype, size=0, dynamic_size=True))
        rk_state = _RungeKuttaState(y0, func(y0, t[0]), t[0], t[0], first_step,
                                    interp_coeff=[y0] * 5)
        solution, history, _, _ = tf.while_loop(
            lambda _, __, ___, i: i < num_times, interpolate, (solution, history, rk_state, 1),
            name="interpolate_loop")

        y = solution.stack(name=scope)
        y.set_shape(t.get_shape().concatenate(y0.get_shape()))
        if not full_output:
            return y
        integrate_points = history.integrate_points.stack()
        info_dict = {"num_func_evals": 6 * tf.size(integrate_points) + 1,
                     "integrate_points": integrate_points,
                     "error_ratio": history.error_ratio.stack()}
        return y, info_dict


def odeint(func, y0, t, rtol=1e-6, atol=1e-12, method=None, options=None, full_output=False,
           name=None):
    """Solves ``dy/dt = func(y, t)``, ``y(t[0]) = y0`` at the increasing times ``t``
    (``[len(t), *y0.shape]``). ``method`` may only be 'dopri5' (the default); its ``options``
    are first_step (1.0), safety (0.9), ifactor (10), dfactor (0.2) and max_num_steps (1000,
    per output interval). ``full_output=True`` also returns ``info_dict`` with
    ``num_func_evals``, ``integrate_points`` and ``error_ratio`` (> 1: a rejected step)."""
    if method is not None and method != "dopri5":
        raise ValueError(f"invalid method: {method!r}")
    if options is None:
        options = {}
    elif method is None:
        raise ValueError("cannot supply `options` without specifying `method`")
    with tf.name_scope(name, "odeint", [y0, t, rtol, atol]) as scope:
        y0 = tf.convert_to_tensor(y0, name="y0")
        t = tf.convert_to_tensor(t, preferred_dtype=tf.float64, name="t")
        _check_input_types(y0, t)
        error_dtype = abs(y0).dtype
        rtol = tf.convert_to_tensor(rtol, dtype=error_dtype, name="rtol")
        atol = tf.convert_to_tensor(atol, dtype=error_dtype, name="atol")
        return _dopri5(func, y0, t, rtol=rtol, atol=atol, full_output=full_output, name=scope,
                       **options)


class _FixedGridIntegrator:
    """Integrates interval by interval, taking ``steps[i]`` equal steps ``dt[i]`` in each."""

    def integrate(self, evol_func, y0, time_grid, dt_grid, steps_on_intervals):
        iteration_func = self._make_iteration_func(evol_func, dt_grid)
        integrate_interval = self._make_interval_integrator(iteration_func, steps_on_intervals)
        num_times = tf.size(time_grid)
        solution_array = tf.TensorArray(y0.dtype, num_times).write(0, y0)
        solution_array, _, _, _ = tf.while_loop(
            lambda _a, _b, _c, i: i < num_times, integrate_interval,
            (solution_array, y0, time_grid[0], 1))
        solution = solution_array.stack()
        solution.set_shape(time_grid.get_shape().concatenate(y0.get_shape()))
        return solution

    def _make_iteration_func(self, evol_func, dt_grid):
        def iteration_func(y, t, dt_step, interval_step):
            dt = dt_grid[interval_step - 1]
            dy = tf.cast(self._step_function(evol_func, t, dt, y), dtype=y.dtype)
            return y + dy, t + dt, dt_step + 1, interval_step
        return iteration_func

    def _make_interval_integrator(self, iteration_func, interval_sizes):
        def integrate_interval(solution_array, y, t, interval_num):
            y, t, _, _ = tf.while_loop(
                lambda _a, _b, j, interval_num: j < interval_sizes[interval_num - 1],
                iteration_func, (y, t, 0, interval_num))
            return solution_array.write(interval_num, y), y, t, interval_num + 1
        return integrate_interval

    def _step_function(self, evol_func, t, dt, y):
        raise NotImplementedError


class _MidpointFixedGridIntegrator(_FixedGridIntegrator):
    """Explicit midpoint: y + dt f(y + dt/2 f(y, t), t + dt/2) (global error O(dt^2))."""

    def _step_function(self, evol_func, t, dt, y):
        dt_cast = tf.cast(dt, y.dtype)
        return dt_cast * evol_func(y + evol_func(y, t) * dt_cast / 2, t + dt / 2)


class _RK4FixedGridIntegrator(_FixedGridIntegrator):
    """The classic 4th-order Runge-Kutta step (global error O(dt^4))."""

    def _step_function(self, evol_func, t, dt, y):
        k1 = evol_func(y, t)
        half_step = t + dt / 2
        dt_cast = tf.cast(dt, y.dtype)
        k2 = evol_func(y + dt_cast * k1 / 2, half_step)
        k3 = evol_func(y + dt_cast * k2 / 2, half_step)
        k4 = evol_func(y + dt_cast * k3, t + dt)
        return tf.add_n([k1, 2 * k2, 2 * k3, k4]) * (dt_cast / 6)


def odeint_fixed(func, y0, t, dt=None, method="rk4", name=None):
    """Solves ``dy/dt = func(y, t)`` on a fixed grid: each interval of ``t`` is split into
    ``ceil(interval / dt)`` equal steps (``dt`` a scalar, one per interval, or None for one
    step per interval) of ``method`` 'midpoint' or 'rk4'."""
    with tf.name_scope(name, "odeint_fixed", [y0, t, dt]):
        t = tf.convert_to_tensor(t, preferred_dtype=tf.float64, name="t")
        y0 = tf.convert_to_tensor(y0, name="y0")
        intervals = t[1:] - t[:-1]
        if dt is None:
            dt = intervals
        dt = tf.convert_to_tensor(dt, preferred_dtype=tf.float64, name="dt")
        # Checked before the arithmetic below, so a bad dt is named (TF checks after it).
        _check_input_types(y0, t, dt)
        _check_input_sizes(t, dt)
        steps_on_intervals = tf.ceil(intervals / dt)
        dt = intervals / steps_on_intervals
        steps_on_intervals = tf.cast(steps_on_intervals, dtype=tf.int32)
        with _assert_increasing(t):
            with tf.name_scope(method):
                if method == "midpoint":
                    integrator = _MidpointFixedGridIntegrator()
                elif method == "rk4":
                    integrator = _RK4FixedGridIntegrator()
                else:
                    raise ValueError(f"method not supported: {method!s}")
                return integrator.integrate(func, y0, t, dt, steps_on_intervals)
