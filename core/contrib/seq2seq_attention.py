"""TF 1.15's attention mechanisms (``tf.contrib.seq2seq.BahdanauAttention``,
``LuongAttention`` and their monotonic variants; contrib/seq2seq/python/ops/
attention_wrapper.py).

A mechanism keeps the encoder ``memory`` (masked past ``memory_sequence_length``) as its
values and their projection by ``memory_layer`` (a bias-free Dense, variable
``memory_layer/kernel``) as its keys; called with a query and its previous state it returns the
alignments over memory positions. Score variables are TF1's: ``attention_v``, ``attention_g``,
``attention_b``, ``attention_score_bias``, ``query_layer/kernel``, in a scope named
``bahdanau_attention``/``luong_attention``... opened where the mechanism is called.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import minitf as tf

__all__ = ["AttentionMechanism", "BahdanauAttention", "BahdanauMonotonicAttention",
           "LuongAttention", "LuongMonotonicAttention", "monotonic_attention", "safe_cumprod"]

_nest = tf.nest


def _dim(tensor, axis):
    """A dimension's static value, else its value at run time."""
    value = tensor.shape[axis].value if tensor.shape.rank is not None else None
    return value if value is not None else tf.shape(tensor)[axis]


class AttentionMechanism:
    """TF1's ``tf.contrib.seq2seq.AttentionMechanism`` (the base class AttentionWrapper
    accepts)."""

    @property
    def alignments_size(self):
        raise NotImplementedError

    @property
    def state_size(self):
        raise NotImplementedError


def _prepare_memory(memory, memory_sequence_length, check_inner_dims_defined):
    """``memory`` with the steps past each entry's length zeroed."""
    memory = _nest.map_structure(lambda m: tf.convert_to_tensor(m, name="memory"), memory)
    if memory_sequence_length is not None:
        memory_sequence_length = tf.convert_to_tensor(memory_sequence_length,
                                                      name="memory_sequence_length")
    if check_inner_dims_defined:
        def _check_dims(m):
            if not m.shape[2:].is_fully_defined():
                raise ValueError(f"Expected memory {m.name} to have fully defined inner dims, "
                                 f"but saw shape: {m.shape}")
        _nest.map_structure(_check_dims, memory)
    if memory_sequence_length is None:
        return memory
    first = _nest.flatten(memory)[0]
    seq_len_mask = tf.sequence_mask(memory_sequence_length, maxlen=tf.shape(first)[1],
                                    dtype=first.dtype)
    seq_len_batch_size = _dim(memory_sequence_length, 0)

    def _maybe_mask(m):
        rank = m.shape.rank if m.shape.rank is not None else tf.rank(m)
        extra_ones = tf.ones(rank - 2, dtype=tf.int32)
        m_batch_size = _dim(m, 0)
        message = "memory_sequence_length and memory tensor batch sizes do not match."
        with tf.control_dependencies([tf.assert_equal(seq_len_batch_size, m_batch_size,
                                                      message=message)]):
            mask = tf.reshape(seq_len_mask, tf.concat((tf.shape(seq_len_mask), extra_ones), 0))
            return m * mask

    return _nest.map_structure(_maybe_mask, memory)


def _maybe_mask_score(score, memory_sequence_length, score_mask_value):
    if memory_sequence_length is None:
        return score
    message = "All values in memory_sequence_length must greater than zero."
    with tf.control_dependencies([tf.assert_positive(memory_sequence_length,
                                                     message=message)]):
        score_mask = tf.sequence_mask(memory_sequence_length, maxlen=tf.shape(score)[1])
        score_mask_values = score_mask_value * tf.ones_like(score)
        return tf.where(score_mask, score, score_mask_values)


class _BaseAttentionMechanism(AttentionMechanism):
    """Keys, values, masking and the initial alignments shared by every mechanism."""

    def __init__(self, query_layer, memory, probability_fn, memory_sequence_length=None,
                 memory_layer=None, check_inner_dims_defined=True, score_mask_value=None,
                 custom_key_value_fn=None, name=None):
        if query_layer is not None and not isinstance(query_layer, tf.layers.Layer):
            raise TypeError(f"query_layer is not a Layer: {type(query_layer).__name__}")
        if memory_layer is not None and not isinstance(memory_layer, tf.layers.Layer):
            raise TypeError(f"memory_layer is not a Layer: {type(memory_layer).__name__}")
        self._query_layer = query_layer
        self._memory_layer = memory_layer
        self.dtype = memory_layer.dtype
        if not callable(probability_fn):
            raise TypeError("probability_fn must be callable, saw type: "
                            f"{type(probability_fn).__name__}")
        if score_mask_value is None:
            score_mask_value = tf.as_dtype(self._memory_layer.dtype).as_numpy_dtype(-np.inf)
        self._probability_fn = lambda score, prev: probability_fn(
            _maybe_mask_score(score, memory_sequence_length, score_mask_value), prev)
        with tf.name_scope(name, "BaseAttentionMechanismInit", _nest.flatten(memory)):
            self._values = _prepare_memory(memory, memory_sequence_length,
                                           check_inner_dims_defined)
            self._keys = self.memory_layer(self._values) if self.memory_layer else self._values
            if custom_key_value_fn is not None:
                self._keys, self._values = custom_key_value_fn(self._keys, self._values)
            self._batch_size = _dim(self._keys, 0)
            self._alignments_size = _dim(self._keys, 1)

    @property
    def memory_layer(self):
        return self._memory_layer

    @property
    def query_layer(self):
        return self._query_layer

    @property
    def values(self):
        return self._values

    @property
    def keys(self):
        return self._keys

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def alignments_size(self):
        return self._alignments_size

    @property
    def state_size(self):
        return self._alignments_size

    def initial_alignments(self, batch_size, dtype):
        """Zeros [batch_size, alignments_size]."""
        from .seq2seq_decoder import _zero_state_tensors
        return _zero_state_tensors(self._alignments_size, batch_size, dtype)

    def initial_state(self, batch_size, dtype):
        return self.initial_alignments(batch_size, dtype)


def _luong_score(query, keys, scale):
    depth, key_units = query.shape[-1], keys.shape[-1]
    if depth != key_units:
        raise ValueError(
            "Incompatible or unknown inner dimensions between query and keys.  Query "
            f"({query}) has units: {depth}.  Keys ({keys}) have units: {key_units}.  Perhaps "
            f"you need to set num_units to the keys' dimension ({key_units})?")
    score = tf.squeeze(tf.matmul(tf.expand_dims(query, 1), keys, transpose_b=True), [1])
    if scale:
        g = tf.get_variable("attention_g", dtype=query.dtype,
                            initializer=tf.ones_initializer(), shape=())
        score = g * score
    return score


def _bahdanau_score(processed_query, keys, normalize):
    dtype = processed_query.dtype
    num_units = _dim(keys, 2)
    processed_query = tf.expand_dims(processed_query, 1)
    v = tf.get_variable("attention_v", [num_units], dtype=dtype)
    if normalize:
        g = tf.get_variable("attention_g", dtype=dtype, shape=(),
                            initializer=tf.constant_initializer(math.sqrt(1.0 / num_units)))
        b = tf.get_variable("attention_b", [num_units], dtype=dtype,
                            initializer=tf.zeros_initializer())
        normed_v = g * v * tf.rsqrt(tf.reduce_sum(tf.square(v)))
        return tf.reduce_sum(normed_v * tf.tanh(keys + processed_query + b), [2])
    return tf.reduce_sum(v * tf.tanh(keys + processed_query), [2])


def _dense(num_units, name, dtype):
    return tf.layers.Dense(num_units, name=name, use_bias=False, dtype=dtype)


class LuongAttention(_BaseAttentionMechanism):
    """TF1's ``tf.contrib.seq2seq.LuongAttention``: multiplicative scores
    ``query . keys`` (times a learned scalar ``attention_g`` if ``scale``)."""

    def __init__(self, num_units, memory, memory_sequence_length=None, scale=False,
                 probability_fn=None, score_mask_value=None, dtype=None,
                 custom_key_value_fn=None, name="LuongAttention"):
        probability_fn = probability_fn or tf.nn.softmax
        dtype = dtype or tf.float32
        super().__init__(query_layer=None, memory_layer=_dense(num_units, "memory_layer", dtype),
                         memory=memory, probability_fn=lambda score, _: probability_fn(score),
                         memory_sequence_length=memory_sequence_length,
                         score_mask_value=score_mask_value,
                         custom_key_value_fn=custom_key_value_fn, name=name)
        self._num_units = num_units
        self._scale = scale
        self._name = name

    def __call__(self, query, state):
        """(alignments, next_state) for ``query`` [batch, num_units]."""
        with tf.variable_scope(None, "luong_attention", [query]):
            score = _luong_score(query, self._keys, self._scale)
        alignments = self._probability_fn(score, state)
        return alignments, alignments


class BahdanauAttention(_BaseAttentionMechanism):
    """TF1's ``tf.contrib.seq2seq.BahdanauAttention``: additive scores
    ``v . tanh(keys + query_layer(query))`` (weight-normalized ``v`` if ``normalize``)."""

    def __init__(self, num_units, memory, memory_sequence_length=None, normalize=False,
                 probability_fn=None, score_mask_value=None, dtype=None,
                 custom_key_value_fn=None, name="BahdanauAttention"):
        probability_fn = probability_fn or tf.nn.softmax
        dtype = dtype or tf.float32
        super().__init__(query_layer=_dense(num_units, "query_layer", dtype),
                         memory_layer=_dense(num_units, "memory_layer", dtype),
                         memory=memory, probability_fn=lambda score, _: probability_fn(score),
                         memory_sequence_length=memory_sequence_length,
                         score_mask_value=score_mask_value,
                         custom_key_value_fn=custom_key_value_fn, name=name)
        self._num_units = num_units
        self._normalize = normalize
        self._name = name

    def __call__(self, query, state):
        """(alignments, next_state) for ``query`` [batch, query_depth]."""
        with tf.variable_scope(None, "bahdanau_attention", [query]):
            processed_query = self.query_layer(query) if self.query_layer else query
            score = _bahdanau_score(processed_query, self._keys, self._normalize)
        alignments = self._probability_fn(score, state)
        return alignments, alignments


def safe_cumprod(x, *args, **kwargs):
    """TF1's ``tf.contrib.seq2seq.safe_cumprod``: cumprod computed as exp(cumsum(log x)), x
    clipped to [tiny, 1], so its gradient stays finite."""
    with tf.name_scope(None, "SafeCumprod", [x]):
        x = tf.convert_to_tensor(x, name="x")
        tiny = np.finfo(x.dtype.as_numpy_dtype).tiny
        return tf.exp(tf.cumsum(tf.log(tf.clip_by_value(x, tiny, 1)), *args, **kwargs))


def monotonic_attention(p_choose_i, previous_attention, mode):
    """TF1's ``tf.contrib.seq2seq.monotonic_attention``: the expected monotonic alignment from
    the choosing probabilities and the previous alignment (``mode``: 'recursive', 'parallel'
    or 'hard')."""
    p_choose_i = tf.convert_to_tensor(p_choose_i, name="p_choose_i")
    previous_attention = tf.convert_to_tensor(previous_attention, name="previous_attention")
    if mode == "recursive":
        batch_size = _dim(p_choose_i, 0)
        shifted_1mp_choose_i = tf.concat(
            [tf.ones((batch_size, 1), dtype=p_choose_i.dtype), 1 - p_choose_i[:, :-1]], 1)
        attention = p_choose_i * tf.transpose(tf.scan(
            lambda x, yz: tf.reshape(yz[0] * x + yz[1], (batch_size,)),
            [tf.transpose(shifted_1mp_choose_i), tf.transpose(previous_attention)],
            tf.zeros((batch_size,), dtype=p_choose_i.dtype)))
    elif mode == "parallel":
        cumprod_1mp_choose_i = safe_cumprod(1 - p_choose_i, axis=1, exclusive=True)
        attention = p_choose_i * cumprod_1mp_choose_i * tf.cumsum(
            previous_attention / tf.clip_by_value(cumprod_1mp_choose_i, 1e-10, 1.), axis=1)
    elif mode == "hard":
        # Probabilities before the position chosen last step are removed; the exclusive
        # cumprod then keeps only the first chosen position.
        p_choose_i *= tf.cumsum(previous_attention, axis=1)
        attention = p_choose_i * tf.cumprod(1 - p_choose_i, axis=1, exclusive=True)
    else:
        raise ValueError("mode must be 'recursive', 'parallel', or 'hard'.")
    return attention


def _monotonic_probability_fn(score, previous_alignments, sigmoid_noise, mode, seed=None):
    if sigmoid_noise > 0:
        score += sigmoid_noise * tf.random_normal(tf.shape(score), dtype=score.dtype, seed=seed)
    if mode == "hard":
        p_choose_i = tf.cast(score > 0, score.dtype)
    else:
        p_choose_i = tf.sigmoid(score)
    return monotonic_attention(p_choose_i, previous_alignments, mode)


class _BaseMonotonicAttentionMechanism(_BaseAttentionMechanism):
    def initial_alignments(self, batch_size, dtype):
        """All the attention on the first memory position."""
        return tf.one_hot(tf.zeros((batch_size,), dtype=tf.int32), self._alignments_size,
                          dtype=dtype)


class BahdanauMonotonicAttention(_BaseMonotonicAttentionMechanism):
    """TF1's ``tf.contrib.seq2seq.BahdanauMonotonicAttention``: Bahdanau scores plus a learned
    ``attention_score_bias``, through a sigmoid into monotonic_attention."""

    def __init__(self, num_units, memory, memory_sequence_length=None, normalize=False,
                 score_mask_value=None, sigmoid_noise=0., sigmoid_noise_seed=None,
                 score_bias_init=0., mode="parallel", dtype=None,
                 name="BahdanauMonotonicAttention"):
        dtype = dtype or tf.float32
        wrapped_probability_fn = functools.partial(
            _monotonic_probability_fn, sigmoid_noise=sigmoid_noise, mode=mode,
            seed=sigmoid_noise_seed)
        super().__init__(query_layer=_dense(num_units, "query_layer", dtype),
                         memory_layer=_dense(num_units, "memory_layer", dtype),
                         memory=memory, probability_fn=wrapped_probability_fn,
                         memory_sequence_length=memory_sequence_length,
                         score_mask_value=score_mask_value, name=name)
        self._num_units = num_units
        self._normalize = normalize
        self._name = name
        self._score_bias_init = score_bias_init

    def __call__(self, query, state):
        """(alignments, next_state)."""
        with tf.variable_scope(None, "bahdanau_monotonic_attention", [query]):
            processed_query = self.query_layer(query) if self.query_layer else query
            score = _bahdanau_score(processed_query, self._keys, self._normalize)
            score_bias = tf.get_variable("attention_score_bias", dtype=processed_query.dtype,
                                         initializer=self._score_bias_init)
            score += score_bias
        alignments = self._probability_fn(score, state)
        return alignments, alignments


class LuongMonotonicAttention(_BaseMonotonicAttentionMechanism):
    """TF1's ``tf.contrib.seq2seq.LuongMonotonicAttention``: Luong scores plus a learned
    ``attention_score_bias``, through a sigmoid into monotonic_attention."""

    def __init__(self, num_units, memory, memory_sequence_length=None, scale=False,
                 score_mask_value=None, sigmoid_noise=0., sigmoid_noise_seed=None,
                 score_bias_init=0., mode="parallel", dtype=None,
                 name="LuongMonotonicAttention"):
        dtype = dtype or tf.float32
        wrapped_probability_fn = functools.partial(
            _monotonic_probability_fn, sigmoid_noise=sigmoid_noise, mode=mode,
            seed=sigmoid_noise_seed)
        super().__init__(query_layer=None, memory_layer=_dense(num_units, "memory_layer", dtype),
                         memory=memory, probability_fn=wrapped_probability_fn,
                         memory_sequence_length=memory_sequence_length,
                         score_mask_value=score_mask_value, name=name)
        self._num_units = num_units
        self._scale = scale
        self._score_bias_init = score_bias_init
        self._name = name

    def __call__(self, query, state):
        """(alignments, next_state)."""
        with tf.variable_scope(None, "luong_monotonic_attention", [query]):
            score = _luong_score(query, self._keys, self._scale)
            score_bias = tf.get_variable("attention_score_bias", dtype=query.dtype,
                                         initializer=self._score_bias_init)
            score += score_bias
        alignments = self._probability_fn(score, state)
        return alignments, alignments
