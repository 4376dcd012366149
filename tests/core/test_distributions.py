"""tf.distributions (TF1) side by side with TensorFlow's tf.compat.v1.distributions: values of
every statistic on fixed inputs, static shapes, gradients of log_prob, KL divergences and the
validate_args errors (TF-gated); plus hand-computed values and sampling moments that run
without TensorFlow (test_distributions_local.py)."""

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import tf_run

F32 = np.float32


def _ours(build):
    g = tf.Graph()
    with g.as_default():
        fetches = build(tf)
        with tf.Session(graph=g) as sess:
            return sess.run(fetches)


def _close(ours, theirs, rtol, atol, path="") -> None:
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs), path
        for k in theirs:
            _close(ours[k], theirs[k], rtol, atol, f"{path}/{k}")
        return
    theirs = np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, (path, ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype, (path, ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=path)


def side_by_side(build, rtol=2e-5, atol=1e-6):
    theirs = tf_run(build)
    _close(_ours(build), theirs, rtol, atol)


# name -> (constructor(m, params), params, value, methods, second params for KL or None)
def _normal(m, p):
    return m.distributions.Normal(loc=p["loc"], scale=p["scale"])


CASES = {
    "normal": (_normal,
               {"loc": np.array([0.0, 1.5], F32), "scale": np.array([[1.0], [2.5]], F32)},
               np.array([[-0.3, 2.0], [-12.0, 40.0]], F32),
               ["log_prob", "prob", "cdf", "log_cdf", "survival_function",
                "log_survival_function", "quantile:0.3", "entropy", "mean", "mode", "stddev",
                "variance"],
               {"loc": np.array([0.5, -1.0], F32), "scale": np.array([0.7, 3.0], F32)}),
    "uniform": (lambda m, p: m.distributions.Uniform(low=p["low"], high=p["high"]),
                {"low": np.array([-1.0, 0.5], F32), "high": np.array([2.0, 4.0], F32)},
                np.array([[-2.0, 0.7], [1.5, 4.0]], F32),
                ["prob", "log_prob", "cdf", "log_cdf", "survival_function", "entropy", "mean",
                 "stddev", "variance"], None),
    "laplace": (lambda m, p: m.distributions.Laplace(loc=p["loc"], scale=p["scale"]),
                {"loc": np.array([0.0, 1.0], F32), "scale": np.array([0.5, 2.0], F32)},
                np.array([-3.0, 1.7], F32),
                ["log_prob", "prob", "cdf", "log_cdf", "survival_function",
                 "log_survival_function", "entropy", "mean", "mode", "stddev", "variance"],
                None),
    "bernoulli": (lambda m, p: m.distributions.Bernoulli(logits=p["logits"]),
                  {"logits": np.array([-1.0, 0.3, 2.0], F32)},
                  np.array([[0, 1, 1], [1, 0, 0]], np.int32),
                  ["log_prob", "prob", "entropy", "mean", "mode", "stddev", "variance"],
                  {"logits": np.array([0.5, -0.2, 1.0], F32)}),
    "categorical": (lambda m, p: m.distributions.Categorical(logits=p["logits"]),
                    {"logits": np.array([[0.1, 1.2, -0.5], [2.0, 0.0, 0.3]], F32)},
                    np.array([2, 0], np.int32),
                    ["log_prob", "prob", "cdf", "entropy", "mode"],
                    {"logits": np.array([[1.0, 0.2, 0.1], [-1.0, 0.5, 0.0]], F32)}),
    "gamma": (lambda m, p: m.distributions.Gamma(concentration=p["c"], rate=p["r"]),
              {"c": np.array([0.7, 2.5, 4.0], F32), "r": np.array([1.5, 0.5, 2.0], F32)},
              np.array([0.3, 4.0, 1.2], F32),
              ["log_prob", "prob", "cdf", "log_cdf", "survival_function", "entropy", "mean",
               "mode", "stddev", "variance"],
              {"c": np.array([1.2, 2.0, 3.0], F32), "r": np.array([1.0, 0.8, 2.5], F32)}),
    "exponential": (lambda m, p: m.distributions.Exponential(rate=p["r"]),
                    {"r": np.array([0.5, 2.0], F32)}, np.array([0.3, 1.7], F32),
                    ["log_prob", "prob", "cdf", "log_cdf", "survival_function",
                     "log_survival_function", "entropy", "mean", "stddev", "variance"], None),
    "beta": (lambda m, p: m.distributions.Beta(concentration1=p["a"], concentration0=p["b"]),
             {"a": np.array([0.8, 2.0, 5.0], F32), "b": np.array([1.5, 3.0, 1.2], F32)},
             np.array([0.2, 0.5, 0.9], F32),
             ["log_prob", "prob", "cdf", "log_cdf", "survival_function", "entropy", "mean",
              "mode", "stddev", "variance"],
             {"a": np.array([1.1, 2.5, 0.7], F32), "b": np.array([2.0, 1.0, 3.0], F32)}),
    "dirichlet": (lambda m, p: m.distributions.Dirichlet(concentration=p["c"]),
                  {"c": np.array([[1.5, 2.0, 3.0], [0.7, 4.0, 1.2]], F32)},
                  np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]], F32),
                  # mode: TF's where_v2 mis-broadcasts a batch against the event axis.
                  ["log_prob", "prob", "entropy", "mean", "stddev", "variance", "covariance"],
                  {"c": np.array([[1.0, 1.0, 1.0], [2.0, 3.0, 0.5]], F32)}),
    "multinomial": (lambda m, p: m.distributions.Multinomial(total_count=p["n"],
                                                             logits=p["logits"]),
                    {"n": np.array([5.0, 3.0], F32),
                     "logits": np.array([[0.1, 0.5, -0.2], [1.0, 0.0, 0.4]], F32)},
                    np.array([[2.0, 2.0, 1.0], [0.0, 3.0, 0.0]], F32),
                    ["log_prob", "prob", "mean", "stddev", "variance", "covariance"], None),
    "dirichlet_multinomial": (
        lambda m, p: m.distributions.DirichletMultinomial(total_count=p["n"],
                                                          concentration=p["c"]),
        {"n": np.array(6.0, F32), "c": np.array([[1.0, 2.0, 0.5], [3.0, 1.5, 2.0]], F32)},
        np.array([[1.0, 4.0, 1.0], [3.0, 0.0, 3.0]], F32),
        ["log_prob", "prob", "mean", "stddev", "variance", "covariance"], None),
    "student_t": (lambda m, p: m.distributions.StudentT(df=p["df"], loc=p["loc"],
                                                        scale=p["scale"]),
                  {"df": np.array([0.8, 1.5, 3.0, 7.0], F32), "loc": np.array(0.5, F32),
                   "scale": np.array([1.0, 2.0, 0.5, 1.5], F32)},
                  np.array([-1.0, 0.2, 2.0, 0.6], F32),
                  ["log_prob", "prob", "cdf", "survival_function", "entropy", "mean", "mode",
                   "stddev", "variance"], None),
}


def _fetches(m, case):
    make, params, value, methods, other = case
    consts = {k: m.constant(v) for k, v in params.items()}
    d = make(m, consts)
    out = {"batch_shape_tensor": d.batch_shape_tensor(),
           "event_shape_tensor": d.event_shape_tensor()}
    for method in methods:
        name, _, arg = method.partition(":")
        fn = getattr(d, name)
        out[name] = fn(float(arg)) if arg else (fn(value) if _takes_value(name) else fn())
    if "log_prob" in methods:
        floats = [k for k, v in params.items() if v.dtype.kind == "f" and k != "n"]
        grads = m.gradients(m.reduce_sum(d.log_prob(value)), [consts[k] for k in floats])
        out.update({f"grad_{k}": gr for k, gr in zip(floats, grads)})
    if other is not None:
        d2 = make(m, {k: m.constant(v) for k, v in other.items()})
        out["kl"] = m.distributions.kl_divergence(d, d2)
        out["kl_method"] = d.kl_divergence(d2)
        out["cross_entropy"] = d.cross_entropy(d2)
    return out


def _takes_value(name):
    return name in ("log_prob", "prob", "cdf", "log_cdf", "survival_function",
                    "log_survival_function")


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_tf(name):
    side_by_side(lambda m: _fetches(m, CASES[name]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_static_shapes_and_properties_match_tf(name):
    make, params, _, _, _ = CASES[name]

    def build(m):
        d = make(m, {k: m.constant(v) for k, v in params.items()})
        s = d.sample([4, 2], seed=3)
        return {"batch": d.batch_shape.as_list(), "event": d.event_shape.as_list(),
                "sample": s.shape.as_list(), "dtype": d.dtype.name,
                "reparameterized":
                    d.reparameterization_type is m.distributions.FULLY_REPARAMETERIZED,
                "params": sorted(d.parameters), "name": d.name, "sample_op": s.op.name}

    ours = _ours_static(build)
    theirs = tf_run_static(build)
    assert ours == theirs


def _ours_static(build):
    with tf.Graph().as_default():
        return build(tf)


def tf_run_static(build):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default():
        return build(tf1)


def test_float64_and_broadcast_value_match_tf():
    def build(m):
        d = m.distributions.Normal(loc=np.zeros([3], np.float64), scale=np.float64(2.0))
        g = m.distributions.Gamma(concentration=np.array([[1.5], [3.0]]), rate=np.ones([2]))
        x = np.array([[-25.0], [0.5], [9.0]])
        return {"log_cdf": d.log_cdf(x), "log_sf": d.log_survival_function(x),
                "cdf": d.cdf(x), "gamma_lp": g.log_prob(np.array([0.5, 2.0])),
                "gamma_mode": g.mode()}
    side_by_side(build, rtol=1e-10, atol=1e-12)


def test_nan_stats_match_tf():
    def build(m):
        st = m.distributions.StudentT(df=[0.5, 1.5, 3.0], loc=0.0, scale=1.0)
        g = m.distributions.Gamma(concentration=[0.5, 2.0], rate=[1.0, 1.0])
        b = m.distributions.Beta(concentration1=[0.5, 2.0], concentration0=[2.0, 3.0])
        dr = m.distributions.Dirichlet([2.0, 3.0, 1.5])
        return {"st_mean": st.mean(), "st_var": st.variance(), "g_mode": g.mode(),
                "b_mode": b.mode(), "d_mode": dr.mode(),
                "d_nan_mode": m.distributions.Dirichlet([0.5, 2.0]).mode()}
    side_by_side(build)


def test_bernoulli_and_categorical_from_probs_match_tf():
    def build(m):
        b = m.distributions.Bernoulli(probs=[0.2, 0.9], dtype=m.float32)
        c = m.distributions.Categorical(probs=[[0.2, 0.3, 0.5]], dtype=m.int64)
        mn = m.distributions.Multinomial(total_count=4.0, probs=[0.25, 0.75])
        return {"b_logits": b.logits, "b_lp": b.log_prob([1.0, 0.0]), "b_mode": b.mode(),
                "c_logits": c.logits, "c_lp": c.log_prob([[0, 2], [1, 1]]),
                "c_cdf": c.cdf([[0, 3]]), "c_mode": c.mode(),
                "mn_lp": mn.log_prob([1.0, 3.0])}
    side_by_side(build)


_INVALID = [
    ("Normal", lambda m: m.distributions.Normal(0.0, -1.0, validate_args=True).mean(),
     "Condition x > 0 did not hold"),
    ("Uniform", lambda m: m.distributions.Uniform(2.0, 1.0, validate_args=True).mean(),
     "uniform not defined when low >= high."),
    ("Beta", lambda m: m.distributions.Beta(-1.0, 1.0, validate_args=True).mean(),
     "Concentration parameter must be positive."),
    ("Bernoulli", lambda m: m.distributions.Bernoulli(probs=1.5, validate_args=True).mean(),
     "probs has components greater than 1."),
    ("Categorical", lambda m: m.distributions.Categorical(
        probs=[0.5, 0.6], validate_args=True).probs, "probs does not sum to 1."),
    ("Multinomial", lambda m: m.distributions.Multinomial(
        3.0, probs=[0.5, 0.5], validate_args=True).log_prob([1.0, 1.0]),
     "counts must sum to `self.total_count`"),
    ("Dirichlet", lambda m: m.distributions.Dirichlet(
        [1.0, 2.0], validate_args=True).log_prob([0.5, 0.6]),
     "sample last-dimension must sum to `1`"),
    ("BernoulliEvent", lambda m: m.distributions.Bernoulli(
        logits=0.0, validate_args=True).log_prob(2), "Elements cannot exceed 1."),
    ("CategoricalEvent", lambda m: m.distributions.Categorical(
        logits=[0.0, 1.0], validate_args=True).log_prob(-1), "Elements must be non-negative."),
    ("CategoricalFloatEvent", lambda m: m.distributions.Categorical(
        logits=[0.0, 1.0], validate_args=True).log_prob(0.5), "Elements must be int32-equivalent."),
    ("DirichletMultinomialCounts", lambda m: m.distributions.DirichletMultinomial(
        2.0, [1.0, 1.0], validate_args=True).log_prob([0.5, 1.5]),
     "cannot contain fractional components."),
    ("BetaSample", lambda m: m.distributions.Beta(
        2.0, 2.0, validate_args=True).log_prob(1.5), "sample must be less than `1`."),
    ("GammaSample", lambda m: m.distributions.Gamma(
        2.0, 2.0, validate_args=True).log_prob(-1.0), "Condition x > 0 did not hold"),
    ("BetaMode", lambda m: m.distributions.Beta(
        0.5, 2.0, allow_nan_stats=False).mode(), "Mode undefined for concentration1 <= 1."),
    ("KLNoNaN", lambda m: m.distributions.Normal(0.0, 1.0, allow_nan_stats=False).kl_divergence(
        m.distributions.Normal(np.float32(np.nan), 1.0)), "returned NaN values"),
    ("GammaMode", lambda m: m.distributions.Gamma(
        0.5, 1.0, allow_nan_stats=False).mode(), "mode not defined when any concentration"),
    ("StudentTMean", lambda m: m.distributions.StudentT(
        0.5, 0.0, 1.0, allow_nan_stats=False).mean(), "mean not defined for components of df"),
]


def _placeholder_free_error(m, build):
    """The error class and message running ``build`` raises (at construction or run)."""
    g = m.Graph()
    with g.as_default():
        try:
            t = build(m)
            with m.Session(graph=g) as sess:
                sess.run(t)
        except Exception as e:  # noqa: BLE001 - we compare what both raise
            return type(e).__name__, str(e)
    return None, ""


@pytest.mark.parametrize("label,build,message", _INVALID, ids=[c[0] for c in _INVALID])
def test_validate_args_errors_match_tf(label, build, message):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    ours_cls, ours_msg = _placeholder_free_error(tf, build)
    theirs_cls, theirs_msg = _placeholder_free_error(tf1, build)
    assert message in theirs_msg, theirs_msg
    assert message in ours_msg, ours_msg
    assert ours_cls == theirs_cls


def test_kl_nan_check_and_unregistered_pair_match_tf():
    def nan_kl(m):
        a = m.distributions.Normal(0.0, 1.0, allow_nan_stats=False)
        b = m.distributions.Normal(np.float32(np.nan), 1.0)
        return a.kl_divergence(b)
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for m in (tf, tf1):
        cls, msg = _placeholder_free_error(m, nan_kl)
        assert cls == "InvalidArgumentError" and "returned NaN values" in msg
        with pytest.raises(NotImplementedError, match="No KL"):
            m.distributions.kl_divergence(m.distributions.Normal(0.0, 1.0),
                                          m.distributions.Gamma(1.0, 1.0))


def test_minitf_distribution_graph_runs_in_tensorflow():
    """Log-probabilities, statistics, KL and validate_args assertions built in minitf, frozen
    with minitf.export, imported into TensorFlow: same values, and the assertion still fires."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf import export

    def build(x, scale):
        tfd = tf.distributions
        n = tfd.Normal(loc=[0.0, 1.0], scale=scale, validate_args=True)
        g = tfd.Gamma(concentration=[2.0, 3.0], rate=1.5)
        st = tfd.StudentT(df=4.0, loc=0.0, scale=scale)
        c = tfd.Categorical(logits=[[0.1, 0.4, -1.0]])
        return {"normal_lcdf": n.log_cdf(x), "gamma_lp": g.log_prob(tf.abs(x) + 0.1),
                "st_lp": st.log_prob(x), "st_var": st.variance(), "entropy": g.entropy(),
                "cat_lp": c.log_prob(tf.cast(tf.abs(x), tf.int32)),
                "kl": tfd.kl_divergence(n, tfd.Normal(0.5, 2.0))}

    with tf.Graph().as_default() as ours:
        x = tf.placeholder(tf.float32, [2], name="x")
        scale = tf.placeholder(tf.float32, [], name="scale")
        outs = build(x, scale)
        with tf.Session() as sess:
            frozen = export.freeze(sess, {"x": x, "scale": scale},
                                   {k: tf.identity(v, name=k) for k, v in outs.items()})
            graph_def = frozen.as_graph_def().SerializeToString()
    fetches = [f"{k}:0" for k in sorted(outs)]
    with tf1.Graph().as_default() as g:
        tf1.import_graph_def(tf1.GraphDef.FromString(graph_def), name="")
    feed = {"x:0": np.array([-1.5, 2.0], F32), "scale:0": np.float32(1.5)}
    with tf1.Session(graph=g) as theirs, tf.Session(graph=ours) as sess:
        for got, want in zip(sess.run(fetches, feed), theirs.run(fetches, feed)):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        bad = dict(feed, **{"scale:0": np.float32(-1.0)})
        with pytest.raises(tf1.errors.InvalidArgumentError, match="Condition x > 0"):
            theirs.run("normal_lcdf:0", bad)
