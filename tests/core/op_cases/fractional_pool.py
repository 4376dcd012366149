"""Cases for FractionalMaxPool, FractionalAvgPool and their gradient ops, with a plain-loop numpy
reference of the pooling over given row and column sequences (one cell at a time).

With ``deterministic`` and a seed the ops draw TF's sequences: the ones below are what
TensorFlow 2.21 returned for the same shapes, ratios and seeds (tf.compat.v1 graph). Without a
seed the sequences are random, so those cases check the sequences' properties and the output
against the reference over the sequences the op returned."""

import numpy as np

from .harness import Case, Const

F = np.float32


# -- the reference ---------------------------------------------------------------------------------


def cell_bounds(seq, size, overlapping):
    """[(first, last)] of each cell: TF's a[i] .. a[i+1] - 1 (a[i+1] when overlapping), the
    last clipped to the input."""
    seq = [int(v) for v in np.ravel(seq)]
    return [(seq[i], min(seq[i + 1] - (0 if overlapping else 1), size - 1))
            for i in range(len(seq) - 1)]


def _mean(cell, dtype):
    total = cell.sum(axis=(1, 2), dtype=np.float64 if dtype.kind == "f" else dtype)
    count = cell.shape[1] * cell.shape[2]
    if dtype.kind == "f":
        return (total / count).astype(dtype)
    return (np.sign(total) * (np.abs(total) // count)).astype(dtype)  # C++: toward zero


def pool_ref(x, rows, cols, overlapping=False, mode="max"):
    """Fractional max or average pooling of NHWC ``x`` over the given sequences."""
    x = np.asarray(x)
    b, h, w, c = x.shape
    rb, cb = cell_bounds(rows, h, overlapping), cell_bounds(cols, w, overlapping)
    out = np.zeros((b, len(rb), len(cb), c), x.dtype)
    for i, (r0, r1) in enumerate(rb):
        for j, (c0, c1) in enumerate(cb):
            cell = x[:, r0:r1 + 1, c0:c1 + 1, :]
            out[:, i, j] = cell.max(axis=(1, 2)) if mode == "max" else _mean(cell, x.dtype)
    return out


def max_pool_grad_ref(x, dy, rows, cols, overlapping=False):
    """Each cell's gradient to its first maximum (row-major order), per batch and channel."""
    x, dy = np.asarray(x), np.asarray(dy)
    b, h, w, c = x.shape
    dx = np.zeros_like(x)
    for i, (r0, r1) in enumerate(cell_bounds(rows, h, overlapping)):
        for j, (c0, c1) in enumerate(cell_bounds(cols, w, overlapping)):
            for n in range(b):
                for d in range(c):
                    cell = x[n, r0:r1 + 1, c0:c1 + 1, d]
                    k = int(np.argmax(cell))
                    dx[n, r0 + k // cell.shape[1], c0 + k % cell.shape[1], d] += dy[n, i, j, d]
    return dx


def avg_pool_grad_ref(in_shape, dy, rows, cols, overlapping=False):
    """Each cell's gradient shared evenly by its elements (in double, then cast)."""
    dy = np.asarray(dy)
    b, h, w, c = (int(v) for v in in_shape)
    dx = np.zeros((b, h, w, c))
    for i, (r0, r1) in enumerate(cell_bounds(rows, h, overlapping)[:dy.shape[1]]):
        for j, (c0, c1) in enumerate(cell_bounds(cols, w, overlapping)[:dy.shape[2]]):
            if r1 < r0 or c1 < c0:
                continue
            dx[:, r0:r1 + 1, c0:c1 + 1, :] += \
                dy[:, i, j][:, None, None, :] / ((r1 - r0 + 1) * (c1 - c0 + 1))
    return dx.astype(dy.dtype)


def check_sequence(seq, size, n_out):
    """A valid cumulative pooling sequence: 0 .. size in n_out steps of K or K + 1."""
    seq = np.asarray(seq)
    assert seq.dtype == np.int64 and seq.shape == (n_out + 1,), (seq.dtype, seq.shape)
    assert seq[0] == 0 and seq[-1] == size, seq
    k = size // n_out
    assert set(np.diff(seq).tolist()) <= {k, k + 1}, seq


# -- cases ----------------------------------------------------------------------------------------

rng = np.random.default_rng(11)
X = rng.standard_normal((2, 10, 7, 3)).astype(F)
XI = rng.integers(-50, 50, (1, 9, 8, 2)).astype(np.int32)
XL = rng.integers(-10**12, 10**12, (1, 6, 6, 1)).astype(np.int64)
RATIO = [1.0, 1.44, 1.73, 1.0]
# What TensorFlow 2.21 returned for X's shape, RATIO and seed=7, seed2=3.
TF_ROWS = {False: [0, 2, 3, 5, 7, 9, 10], True: [0, 1, 3, 5, 6, 8, 10]}  # by pseudo_random
TF_COLS = {False: [0, 2, 4, 6, 7], True: [0, 2, 4, 6, 7]}


def _seeded(mode, pseudo, overlapping):
    rows, cols = np.array(TF_ROWS[pseudo]), np.array(TF_COLS[pseudo])
    return lambda x, **_: (pool_ref(x, rows, cols, overlapping, mode), rows, cols)


def _random_check(mode, ratio, overlapping):
    def check(outputs, inputs):
        out, rows, cols = outputs
        x = inputs[0]
        n_rows, n_cols = (int(np.floor(F(d) / F(r))) for d, r in zip(x.shape[1:3], ratio[1:3]))
        check_sequence(rows, x.shape[1], n_rows)
        check_sequence(cols, x.shape[2], n_cols)
        want = pool_ref(x, rows, cols, overlapping, mode)
        np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6)
    return check


def _attrs(pseudo, overlapping, ratio=RATIO, seed=7, seed2=3):
    return {"pooling_ratio": ratio, "pseudo_random": pseudo, "overlapping": overlapping,
            "deterministic": True, "seed": seed, "seed2": seed2}


CASES = [
    Case(op, [X], attrs=_attrs(pseudo, overlapping), ref=_seeded(mode, pseudo, overlapping),
         grad=[0], id=f"{op}-tf-seeded-pseudo{int(pseudo)}-overlap{int(overlapping)}")
    for op, mode in (("FractionalMaxPool", "max"), ("FractionalAvgPool", "avg"))
    for pseudo in (False, True) for overlapping in (False, True)
] + [
    # Unseeded: random sequences every run, checked for their form and against the reference.
    Case("FractionalMaxPool", [X], attrs={"pooling_ratio": [1.0, 2.5, 1.5, 1.0]},
         check=_random_check("max", [1.0, 2.5, 1.5, 1.0], False), ref=None,
         grad=[], id="FractionalMaxPool-random"),
    Case("FractionalAvgPool", [X],
         attrs={"pooling_ratio": [1.0, 1.2, 2.0, 1.0], "pseudo_random": True,
                "overlapping": True},
         check=_random_check("avg", [1.0, 1.2, 2.0, 1.0], True), ref=None,
         grad=[], id="FractionalAvgPool-random-pseudo-overlapping"),
    Case("FractionalAvgPool", [XI], attrs={"pooling_ratio": [1.0, 1.5, 1.5, 1.0]},
         check=_random_check("avg", [1.0, 1.5, 1.5, 1.0], False), ref=None,
         id="FractionalAvgPool-int32-truncates"),
    Case("FractionalMaxPool", [XL], attrs={"pooling_ratio": [1.0, 2.0, 1.5, 1.0],
                                           "overlapping": True},
         check=_random_check("max", [1.0, 2.0, 1.5, 1.0], True), ref=None,
         id="FractionalMaxPool-int64"),
]

# The gradient ops over explicit sequences: uneven, overlapping, and with a tie.
TIE = np.array([[3, 1, 3, 0], [2, 3, 1, 3], [0, 1, 2, 2]], F).reshape(1, 3, 4, 1)
GRAD_SEQS = [(X, [0, 2, 3, 5, 7, 9, 10], [0, 2, 4, 6, 7], False),
             (X, [0, 1, 3, 5, 6, 8, 10], [0, 3, 5, 7], True),
             (TIE, [0, 2, 3], [0, 2, 4], False)]


def _max_grad_case(x, rows, cols, overlapping, k):
    rows, cols = np.array(rows, np.int64), np.array(cols, np.int64)
    y = pool_ref(x, rows, cols, overlapping, "max")
    dy = np.random.default_rng(k).standard_normal(y.shape).astype(x.dtype)
    return Case("FractionalMaxPoolGrad", [x, y, dy, rows, cols],
                attrs={"overlapping": overlapping},
                ref=lambda x, y, dy, r, c, overlapping: max_pool_grad_ref(x, dy, r, c,
                                                                          overlapping),
                id=f"FractionalMaxPoolGrad-{k}")


def _avg_grad_case(x, rows, cols, overlapping, k, dtype=F):
    rows, cols = np.array(rows, np.int64), np.array(cols, np.int64)
    dy = np.random.default_rng(k).standard_normal(
        (x.shape[0], len(rows) - 1, len(cols) - 1, x.shape[3])) * 10
    return Case("FractionalAvgPoolGrad",
                [Const(np.array(x.shape, np.int64)), dy.astype(dtype), rows, cols],
                attrs={"overlapping": overlapping},
                ref=lambda s, dy, r, c, overlapping: avg_pool_grad_ref(s, dy, r, c,
                                                                       overlapping),
                id=f"FractionalAvgPoolGrad-{k}-{np.dtype(dtype).name}")


CASES += [_max_grad_case(*args, k) for k, args in enumerate(GRAD_SEQS)]
CASES += [_avg_grad_case(*args, k) for k, args in enumerate(GRAD_SEQS)]
CASES += [_avg_grad_case(*GRAD_SEQS[1], 9, dtype=np.int32)]
