"""Helpers of TF1's ``tf.distributions`` that TF keeps in ``distributions/util.py`` and
``special_math.py``, composed from minitf ops as TF composes them: the embedded argument
checks (with TF's messages), logits/probs conversion, log-combinations, derived seeds, and the
normal / Laplace CDFs (ndtr, log_ndtr, log_cdf_laplace) and the normal quantile (ndtri)."""

from __future__ import annotations

import hashlib

import numpy as np

from . import check_ops
from . import dtypes as _dt
from .graph import control_dependencies, convert_to_tensor, name_scope
from .ops import (array_ops, logging_ops, logic_ops, math_ops, reduction_ops, softmax_ops,
                  special_ops, unary_ops)


def with_dependencies(dependencies, output, name=None):
    """TF's control_flow_ops.with_dependencies: ``output`` through an Identity that runs after
    ``dependencies``."""
    with name_scope(name, "control_dependency", list(dependencies) + [output]) as scope:
        with control_dependencies(dependencies):
            return array_ops.identity(output, name=scope)


def _assert_integer_form(x, message, int_dtype=None):
    """Fails the run unless ``x`` survives a round trip through an integer dtype."""
    with name_scope("assert_integer_form", values=[x]):
        int_dtype = int_dtype or {_dt.float16: _dt.int16, _dt.float32: _dt.int32,
                                  _dt.float64: _dt.int64}[x.dtype]
        return logging_ops.assert_equal(
            x, math_ops.cast(math_ops.cast(x, int_dtype), x.dtype), message=message)


def _largest_integer(dtype):
    """The largest integer ``dtype`` holds exactly (TF's _largest_integer_by_dtype)."""
    if dtype.is_floating:
        return int(2 ** (np.finfo(dtype.as_numpy_dtype).nmant + 1))
    return 1 if dtype == _dt.bool else int(np.iinfo(dtype.as_numpy_dtype).max)


def embed_check_nonnegative_integer_form(x, name="embed_check_nonnegative_integer_form"):
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        assertions = [logging_ops.assert_non_negative(x, message=f"'{x}' must be non-negative.")]
        if not x.dtype.is_integer:
            assertions.append(_assert_integer_form(
                x, f"'{x}' cannot contain fractional components."))
        return with_dependencies(assertions, x)


def embed_check_integer_casting_closed(x, target_dtype, name="embed_check_casting_closed"):
    """``x`` with checks that it is non-negative and representable in ``target_dtype``."""
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        assertions = [logging_ops.assert_non_negative(x, message="Elements must be non-negative.")]
        if x.dtype.is_floating:
            assertions.append(_assert_integer_form(
                x, f"Elements must be {target_dtype.name}-equivalent.", target_dtype))
        elif _largest_integer(x.dtype) > _largest_integer(target_dtype):
            big = _largest_integer(target_dtype)
            assertions.append(logging_ops.assert_less_equal(
                x, np.array(big, x.dtype.as_numpy_dtype), message=f"Elements cannot exceed {big}."))
        return with_dependencies(assertions, x)


def embed_check_categorical_event_shape(param, name="embed_check_categorical_event_shape"):
    """``param`` checked to have a last axis of at least 2 events (statically when known)."""
    with name_scope(name, values=[param]):
        x = convert_to_tensor(param, name="categorical_param")
        if not x.dtype.is_floating:
            raise TypeError(f"Unable to validate size of unrecognized dtype ({x.dtype.name}).")
        max_size = _largest_integer(x.dtype)
        if x.shape.ndims == 0:
            raise ValueError("A categorical-distribution parameter must have at least 1 "
                             "dimension.")
        size = x.shape.dims[-1].value if x.shape.ndims is not None else None
        if size is not None:
            if size < 2:
                raise ValueError("A categorical-distribution parameter must have at least 2 "
                                 "events.")
            return x
        event_size = array_ops.shape(x, name="x_shape")[-1]
        return with_dependencies([
            check_ops.assert_rank_at_least(x, 1, message="A categorical-distribution parameter "
                                           "must have at least 1 dimension."),
            logging_ops.assert_greater_equal(array_ops.shape(x)[-1], 2, message="A categorical-"
                                             "distribution parameter must have at least 2 events."),
            logging_ops.assert_less_equal(event_size, max_size, message=(
                f"Number of classes exceeds `dtype` precision, i.e., {x.dtype.name} dtype cannot "
                f"exceed {max_size} shape."))], x)


def get_logits_and_probs(logits=None, probs=None, multidimensional=False, validate_args=False,
                         name="get_logits_and_probs", dtype=None):
    """The (logits, probs) pair from either one, as TF's util.get_logits_and_probs."""
    with name_scope(name, values=[probs, logits]):
        if (probs is None) == (logits is None):
            raise ValueError("Must pass probs or logits, but not both.")
        if probs is None:
            logits = convert_to_tensor(logits, name="logits", dtype=dtype)
            if not logits.dtype.is_floating:
                raise TypeError("logits must having floating type.")
            if multidimensional:
                if validate_args:
                    logits = embed_check_categorical_event_shape(logits)
                return logits, softmax_ops.softmax(logits, name="probs")
            return logits, unary_ops.sigmoid(logits, name="probs")
        probs = convert_to_tensor(probs, name="probs", dtype=dtype)
        if not probs.dtype.is_floating:
            raise TypeError("probs must having floating type.")
        if validate_args:
            with name_scope("validate_probs"):
                one = array_ops.constant(1.0, probs.dtype)
                deps = [logging_ops.assert_non_negative(probs)]
                if multidimensional:
                    probs = embed_check_categorical_event_shape(probs)
                    deps.append(check_ops.assert_near(reduction_ops.reduce_sum(probs, -1), one,
                                                      message="probs does not sum to 1."))
                else:
                    deps.append(logging_ops.assert_less_equal(
                        probs, one, message="probs has components greater than 1."))
                probs = with_dependencies(deps, probs)
        with name_scope("logits"):
            if multidimensional:
                return unary_ops.log(probs), probs
            return unary_ops.log(probs) - unary_ops.log1p(-1.0 * probs), probs


def log_combinations(n, counts, name="log_combinations"):
    """log(n! / prod(counts!)) over the last axis of ``counts``."""
    with name_scope(name, values=[n, counts]):
        n = convert_to_tensor(n, name="n")
        counts = convert_to_tensor(counts, name="counts")
        redundant = reduction_ops.reduce_sum(special_ops.lgamma(counts + 1), axis=[-1])
        return special_ops.lgamma(n + 1) - redundant


def gen_new_seed(seed, salt):
    """A second op seed derived from ``seed`` (TF's md5 rule, so seeded graphs match TF's)."""
    if seed is None:
        return None
    return int(hashlib.md5((str(seed) + salt).encode("utf-8")).hexdigest()[:8], 16) & 0x7FFFFFFF


def ndtr(x, name="ndtr"):
    """The standard normal CDF, by erf near 0 and erfc in the tails (TF's special_math.ndtr)."""
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if x.dtype not in (_dt.float32, _dt.float64):
            raise TypeError(f"x.dtype={x.dtype} is not handled, see docstring for supported "
                            "types.")
        return _ndtr(x)


def _ndtr(x):
    half_sqrt_2 = array_ops.constant(0.5 * np.sqrt(2.0), dtype=x.dtype, name="half_sqrt_2")
    w = x * half_sqrt_2
    z = unary_ops.abs(w)
    y = logic_ops.where_v2(logic_ops.less(z, half_sqrt_2), 1.0 + special_ops.erf(w),
                           logic_ops.where_v2(logic_ops.greater(w, 0.0),
                                              2.0 - special_ops.erfc(z), special_ops.erfc(z)))
    return 0.5 * y


def ndtri(p, name="ndtri"):
    """The inverse of the standard normal CDF (TF's special_math.ndtri, Cephes' rational
    approximations composed from ops). Unlike the Ndtri op, which gives nan outside [0, 1], it
    is -inf for p <= 0 and inf for p >= 1, as Normal.quantile is in TF."""
    with name_scope(name, values=[p]):
        p = convert_to_tensor(p, name="p")
        if p.dtype not in (_dt.float32, _dt.float64):
            raise TypeError(f"p.dtype={p.dtype} is not handled, see docstring for supported "
                            "types.")
        return _ndtri(p)


# Cephes' coefficients (ndtri.c), highest power first: P0/Q0 for p > exp(-2), P1/Q1 for
# z = sqrt(-2 log p) < 8, P2/Q2 beyond.
_NDTRI_P0 = (-1.23916583867381258016E0, 1.39312609387279679503E1, -5.66762857469070293439E1,
             9.80010754185999661536E1, -5.99633501014107895267E1)
_NDTRI_Q0 = (-1.18331621121330003142E0, 1.59056225126211695515E1, -8.20372256168333339912E1,
             2.00260212380060660359E2, -2.25462687854119370527E2, 8.63602421390890590575E1,
             4.67627912898881538453E0, 1.95448858338141759834E0, 1.0)
_NDTRI_P1 = (-8.57456785154685413611E-4, -3.50424626827848203418E-2, -1.40256079171354495875E-1,
             2.18663306850790267539E0, 1.46849561928858024014E1, 4.40805073893200834700E1,
             5.71628192246421288162E1, 3.15251094599893866154E1, 4.05544892305962419923E0)
_NDTRI_Q1 = (-9.33259480895457427372E-4, -3.80806407691578277194E-2, -1.42182922854787788574E-1,
             2.50464946208309415979E0, 1.50425385692907503408E1, 4.13172038254672030440E1,
             4.53907635128879210584E1, 1.57799883256466749731E1, 1.0)
_NDTRI_P2 = (6.23974539184983293730E-9, 2.65806974686737550832E-6, 3.01581553508235416007E-4,
             1.23716634817820021358E-2, 2.01485389549179081538E-1, 1.33303460815807542389E0,
             3.93881025292474443415E0, 6.91522889068984211695E0, 3.23774891776946035970E0)
_NDTRI_Q2 = (6.79019408009981274425E-9, 2.89247864745380683936E-6, 3.28014464682127739104E-4,
             1.34204006088543189037E-2, 2.16236993594496635890E-1, 1.37702099489081330271E0,
             3.67983563856160859403E0, 6.02427039364742014255E0, 1.0)


def _polynomial(var, coeffs):
    """Horner's method in TF's recursion (so its ops come in TF's order)."""
    coeffs = np.array(coeffs, var.dtype.as_numpy_dtype)
    if not coeffs.size:
        return array_ops.zeros_like(var)
    return coeffs[0] + _polynomial(var, coeffs[1:]) * var


def _ndtri(p):
    where = logic_ops.where_v2
    maybe_complement_p = where(p > -np.expm1(-2.0), 1.0 - p, p)
    # 0.5 stands in for p <= 0, whose result is replaced below: no nan on the way.
    sanitized_mcp = where(maybe_complement_p <= 0.0,
                          array_ops.fill(array_ops.shape(p),
                                         np.array(0.5, p.dtype.as_numpy_dtype)),
                          maybe_complement_p)
    w = sanitized_mcp - 0.5
    ww = w ** 2
    x_for_big_p = w + w * ww * (_polynomial(ww, _NDTRI_P0) / _polynomial(ww, _NDTRI_Q0))
    x_for_big_p *= -np.sqrt(2.0 * np.pi)
    z = unary_ops.sqrt(-2.0 * unary_ops.log(sanitized_mcp))
    first_term = z - unary_ops.log(z) / z
    second_term_small_p = _polynomial(1.0 / z, _NDTRI_P2) / _polynomial(1.0 / z, _NDTRI_Q2) / z
    second_term_otherwise = (_polynomial(1.0 / z, _NDTRI_P1) / _polynomial(1.0 / z, _NDTRI_Q1)
                             / z)
    x_for_small_p = first_term - second_term_small_p
    x_otherwise = first_term - second_term_otherwise
    x = where(sanitized_mcp > np.exp(-2.0), x_for_big_p,
              where(z >= 8.0, x_for_small_p, x_otherwise))
    x = where(p > 1.0 - np.exp(-2.0), x, -x)
    infinity = array_ops.fill(array_ops.shape(p),
                              array_ops.constant(np.inf, dtype=p.dtype))
    return where(p <= 0.0, -infinity, where(p >= 1.0, infinity, x))


_LOG_NDTR_SEGMENTS = {_dt.float64: (-20.0, 8.0), _dt.float32: (-10.0, 5.0)}


def log_ndtr(x, series_order=3, name="log_ndtr"):
    """log of the normal CDF: -ndtr(-x) above the upper segment, log(ndtr) in the middle, an
    asymptotic series far in the lower tail (TF's special_math.log_ndtr)."""
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if x.dtype not in _LOG_NDTR_SEGMENTS:
            raise TypeError(f"x.dtype={x.dtype} is not supported.")
        lower, upper = (np.array(v, x.dtype.as_numpy_dtype) for v in _LOG_NDTR_SEGMENTS[x.dtype])
        return logic_ops.where_v2(
            logic_ops.greater(x, upper), -_ndtr(-x),
            logic_ops.where_v2(logic_ops.greater(x, lower),
                               unary_ops.log(_ndtr(math_ops.maximum(x, lower))),
                               _log_ndtr_lower(math_ops.minimum(x, lower), series_order)))


def _log_ndtr_lower(x, series_order):
    """log Phi(x) for x << 0: the asymptotic series 1 - 1/x^2 + 3/x^4 - 15/x^6 ... scaled by
    the normal density over -x."""
    x_2 = unary_ops.square(x)
    log_scale = -0.5 * x_2 - unary_ops.log(-x) - 0.5 * np.log(2.0 * np.pi)
    dtype = x.dtype.as_numpy_dtype
    even_sum, odd_sum, x_2n = array_ops.zeros_like(x), array_ops.zeros_like(x), x_2
    for n in range(1, series_order + 1):
        y = np.array(np.prod(np.arange(2 * n - 1, 1, -2)), dtype) / x_2n
        if n % 2:
            odd_sum += y
        else:
            even_sum += y
        x_2n *= x_2
    return log_scale + unary_ops.log(1.0 + even_sum - odd_sum)


def log_cdf_laplace(x, name="log_cdf_laplace"):
    """log of the standard Laplace CDF, stable in both tails."""
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        upper = unary_ops.log1p(-0.5 * unary_ops.exp(-unary_ops.abs(x)))
        return logic_ops.where_v2(x < 0.0, -np.log(2.0) + x, upper)


def checked_identities(values, checks):
    """TF's parameter idiom: Identity nodes named after the parameters, run after ``checks``,
    all of one floating dtype."""
    with control_dependencies(checks):
        tensors = [array_ops.identity(v, name=k) for k, v in values.items()]
        check_ops.assert_same_float_dtype(tensors)
    return tensors


def nan_where(condition, value, shape, dtype):
    """``value`` where ``condition``, NaN elsewhere (TF's undefined-statistic rule)."""
    nan = array_ops.fill(shape, np.array(np.nan, dtype.as_numpy_dtype), name="nan")
    return logic_ops.where_v2(condition, value, nan)


def assert_one_less(dtype, x, message):
    """Fails the run unless 1 < x element-wise (TF's check when allow_nan_stats=False)."""
    return logging_ops.assert_less(array_ops.ones([], dtype), x, message=message)
