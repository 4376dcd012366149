"""``tf.contrib.sparsemax`` (TF 1.15): the sparsemax activation and its loss (Martins & Astudillo,
2016, https://arxiv.org/abs/1602.02068), composed from minitf's ops as TF 1.15 composed them,
so gradients come from autodiff through top_k, cumsum, gather_nd and maximum.

Rows that are invalid (a NaN, or +inf so no support is found) give NaN probabilities, as
TF 1.15 does; ``sparsemax_loss`` treats ``labels == 0`` with ``logits == -inf`` as no cost."""

from __future__ import annotations

import minitf as tf

__all__ = ["sparsemax", "sparsemax_loss"]


def _check_rank2(tensor, what):
    rank = tensor.shape.rank
    if rank is not None and rank != 2:
        raise ValueError(f"{what}: {tensor.name} must be rank 2 [batch, classes], got shape "
                         f"{tensor.shape}")


def _check_float(tensor, what):
    if not tensor.dtype.is_floating:
        raise TypeError(f"{what}: {tensor.name} must be half, float32 or float64, got "
                        f"{tensor.dtype.name}")


def sparsemax(logits, name=None):
    """Sparsemax over the last axis of the ``[batch, classes]`` ``logits``:
    ``max(logits - tau(logits), 0)`` with ``tau`` chosen so each row sums to 1."""
    with tf.name_scope(name, "sparsemax", [logits]):
        logits = tf.convert_to_tensor(logits, name="logits")
        _check_float(logits, "sparsemax")
        _check_rank2(logits, "sparsemax")
        obs = tf.shape(logits)[0]
        dims = tf.shape(logits)[1]
        z = logits  # TF 1.15 no longer centres z: the mean breaks inf/nan inputs

        z_sorted, _ = tf.nn.top_k(z, k=dims)
        z_cumsum = tf.cumsum(z_sorted, axis=1)
        k = tf.range(1, tf.cast(dims, logits.dtype) + 1, dtype=logits.dtype)
        z_check = 1 + k * z_sorted > z_cumsum
        # The support is a prefix of the sorted row, so its size is the count of Trues.
        k_z = tf.reduce_sum(tf.cast(z_check, tf.int32), axis=1)

        # k_z == 0 (inf input) would index -1: use 1 now, the row becomes NaN below.
        k_z_safe = tf.maximum(k_z, 1)
        indices = tf.stack([tf.range(0, obs), k_z_safe - 1], axis=1)
        tau_sum = tf.gather_nd(z_cumsum, indices)
        tau_z = (tau_sum - 1) / tf.cast(k_z, logits.dtype)

        p = tf.maximum(tf.cast(0, logits.dtype), z - tau_z[:, tf.newaxis])
        invalid = tf.logical_or(tf.equal(k_z, 0), tf.is_nan(z_cumsum[:, -1]))
        return tf.where(invalid, tf.fill([obs, dims], tf.cast(float("nan"), logits.dtype)), p)


def sparsemax_loss(logits, sparsemax, labels, name=None):
    """The sparsemax loss per row ``[batch]`` of ``logits`` given their ``sparsemax`` and the
    target distribution ``labels`` (all three ``[batch, classes]`` of one float type)."""
    with tf.name_scope(name, "sparsemax_loss", [logits, sparsemax, labels]):
        logits = tf.convert_to_tensor(logits, name="logits")
        sparsemax = tf.convert_to_tensor(sparsemax, name="sparsemax")
        labels = tf.convert_to_tensor(labels, name="labels")
        _check_float(logits, "sparsemax_loss")
        for t in (sparsemax, labels):
            if t.dtype.base_dtype != logits.dtype.base_dtype:
                raise TypeError(f"sparsemax_loss: {t.name} has type {t.dtype.name}, logits "
                                f"{logits.dtype.name}: they must match")
        for t in (logits, sparsemax, labels):
            _check_rank2(t, "sparsemax_loss")
        z = logits
        # where, not a product: z = -inf outside the support must not give 0 * -inf = nan.
        sum_s = tf.where(tf.logical_or(sparsemax > 0, tf.is_nan(sparsemax)),
                         sparsemax * (z - 0.5 * sparsemax), tf.zeros_like(sparsemax))
        q_part = labels * (0.5 * labels - z)
        # labels == 0 with z = +-inf costs nothing (z = +inf already made sum_s nan).
        q_part_safe = tf.where(tf.logical_and(tf.equal(labels, 0), tf.is_inf(z)),
                               tf.zeros_like(z), q_part)
        return tf.reduce_sum(sum_s + q_part_safe, axis=1)
