"""TF 1.15's decoding helpers (``tf.contrib.seq2seq.*Helper``, contrib/seq2seq/python/ops/
helper.py): what a BasicDecoder feeds its cell at each step and how it picks the sample ids.

Training helpers read the next input from a TensorArray of the (time-major) inputs; the
embedding helpers feed back the embedding of the argmax or of a sample; the scheduled helpers
mix the two with a Bernoulli draw per batch entry. Name scopes are TF's
(``TrainingHelperNextInputs``...), so the graphs read like TF1's.
"""

from __future__ import annotations

import minitf as tf

__all__ = ["CustomHelper", "GreedyEmbeddingHelper", "Helper", "InferenceHelper",
           "SampleEmbeddingHelper", "ScheduledEmbeddingTrainingHelper",
           "ScheduledOutputTrainingHelper", "TrainingHelper"]

_nest = tf.nest


def _transpose_batch_time(x):
    """[batch, time, ...] <-> [time, batch, ...] (rank >= 2; TF's rnn._transpose_batch_time)."""
    x = tf.convert_to_tensor(x)
    rank = x.shape.rank
    if rank is not None and rank < 2:
        raise ValueError(f"Expected input tensor {x} to have rank at least 2, but saw shape: "
                         f"{x.shape}")
    return tf.transpose(x, [1, 0] + list(range(2, rank)))


def _unstack_ta(inp):
    return tf.TensorArray(dtype=inp.dtype, size=tf.shape(inp)[0],
                          element_shape=inp.shape[1:]).unstack(inp)


def _embedding_fn(embedding):
    if callable(embedding):
        return embedding
    return lambda ids: tf.nn.embedding_lookup(embedding, ids)


def _sampling_probability(sampling_probability):
    probability = tf.convert_to_tensor(sampling_probability, name="sampling_probability")
    if probability.shape.rank not in (0, 1):
        raise ValueError("sampling_probability must be either a scalar or a vector. "
                         f"saw shape: {probability.shape}")
    return probability


class Helper:
    """TF1's ``tf.contrib.seq2seq.Helper``: the interface a BasicDecoder samples through.
    minitf's helpers keep their batch size and sample ids' shape and dtype in ``_batch_size``,
    ``_sample_ids_shape`` and ``_sample_ids_dtype``; a subclass without them defines the
    properties itself."""

    @property
    def batch_size(self):
        if not hasattr(self, "_batch_size"):
            raise NotImplementedError("batch_size")
        return self._batch_size

    @property
    def sample_ids_shape(self):
        if not hasattr(self, "_sample_ids_shape"):
            raise NotImplementedError("sample_ids_shape")
        return self._sample_ids_shape

    @property
    def sample_ids_dtype(self):
        if not hasattr(self, "_sample_ids_dtype"):
            raise NotImplementedError("sample_ids_dtype")
        return self._sample_ids_dtype

    def initialize(self, name=None):
        """(initial_finished, initial_inputs)."""
        raise NotImplementedError("initialize")

    def sample(self, time, outputs, state, name=None):
        """The sample ids of one step's outputs."""
        raise NotImplementedError("sample")

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        """(finished, next_inputs, next_state)."""
        raise NotImplementedError("next_inputs")


class CustomHelper(Helper):
    """TF1's ``tf.contrib.seq2seq.CustomHelper``: a Helper from three callables."""

    def __init__(self, initialize_fn, sample_fn, next_inputs_fn, sample_ids_shape=None,
                 sample_ids_dtype=None):
        self._initialize_fn = initialize_fn
        self._sample_fn = sample_fn
        self._next_inputs_fn = next_inputs_fn
        self._batch_size = None
        self._sample_ids_shape = tf.TensorShape(sample_ids_shape or [])
        self._sample_ids_dtype = sample_ids_dtype or tf.int32

    @property
    def batch_size(self):
        if self._batch_size is None:
            raise ValueError("batch_size accessed before initialize was called")
        return self._batch_size

    def initialize(self, name=None):
        with tf.name_scope(name, f"{type(self).__name__}Initialize"):
            finished, next_inputs = self._initialize_fn()
            if self._batch_size is None:
                self._batch_size = tf.size(finished)
        return finished, next_inputs

    def sample(self, time, outputs, state, name=None):
        with tf.name_scope(name, f"{type(self).__name__}Sample", (time, outputs, state)):
            return self._sample_fn(time=time, outputs=outputs, state=state)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        with tf.name_scope(name, f"{type(self).__name__}NextInputs", (time, outputs, state)):
            return self._next_inputs_fn(time=time, outputs=outputs, state=state,
                                        sample_ids=sample_ids)


class TrainingHelper(Helper):
    """TF1's ``tf.contrib.seq2seq.TrainingHelper``: teacher forcing, reading each step's input
    from ``inputs`` ([batch, time, ...], or time-major); an entry finishes after its
    ``sequence_length`` steps."""

    _sample_ids_shape, _sample_ids_dtype = tf.TensorShape([]), tf.int32

    def __init__(self, inputs, sequence_length, time_major=False, name=None):
        with tf.name_scope(name, "TrainingHelper", [inputs, sequence_length]):
            inputs = tf.convert_to_tensor(inputs, name="inputs")
            self._inputs = inputs
            if not time_major:
                inputs = _nest.map_structure(_transpose_batch_time, inputs)
            self._input_tas = _nest.map_structure(_unstack_ta, inputs)
            self._sequence_length = tf.convert_to_tensor(sequence_length,
                                                         name="sequence_length")
            if self._sequence_length.shape.rank != 1:
                raise ValueError("Expected sequence_length to be a vector, but received shape: "
                                 f"{self._sequence_length.shape}")
            self._zero_inputs = _nest.map_structure(lambda inp: tf.zeros_like(inp[0, :]),
                                                    inputs)
            self._batch_size = tf.size(sequence_length)

    @property
    def inputs(self):
        return self._inputs

    @property
    def sequence_length(self):
        return self._sequence_length

    def initialize(self, name=None):
        with tf.name_scope(name, "TrainingHelperInitialize"):
            finished = tf.equal(0, self._sequence_length)
            all_finished = tf.reduce_all(finished)
            next_inputs = tf.cond(
                all_finished, lambda: self._zero_inputs,
                lambda: _nest.map_structure(lambda inp: inp.read(0), self._input_tas))
            return finished, next_inputs

    def sample(self, time, outputs, name=None, **unused_kwargs):
        with tf.name_scope(name, "TrainingHelperSample", [time, outputs]):
            return tf.cast(tf.argmax(outputs, axis=-1), tf.int32)

    def next_inputs(self, time, outputs, state, name=None, **unused_kwargs):
        with tf.name_scope(name, "TrainingHelperNextInputs", [time, outputs, state]):
            next_time = time + 1
            finished = next_time >= self._sequence_length
            all_finished = tf.reduce_all(finished)
            next_inputs = tf.cond(
                all_finished, lambda: self._zero_inputs,
                lambda: _nest.map_structure(lambda inp: inp.read(next_time), self._input_tas))
            return finished, next_inputs, state


class ScheduledEmbeddingTrainingHelper(TrainingHelper):
    """TF1's ``tf.contrib.seq2seq.ScheduledEmbeddingTrainingHelper``: teacher forcing, except
    that with ``sampling_probability`` an entry's next input is the embedding of an id sampled
    from its outputs (sample id -1 where it was not)."""

    def __init__(self, inputs, sequence_length, embedding, sampling_probability,
                 time_major=False, seed=None, scheduling_seed=None, name=None):
        with tf.name_scope(name, "ScheduledEmbeddingSamplingWrapper",
                           [embedding, sampling_probability]):
            self._embedding_fn = _embedding_fn(embedding)
            self._sampling_probability = _sampling_probability(sampling_probability)
            self._seed = seed
            self._scheduling_seed = scheduling_seed
            super().__init__(inputs=inputs, sequence_length=sequence_length,
                             time_major=time_major, name=name)

    def sample(self, time, outputs, state, name=None):
        with tf.name_scope(name, "ScheduledEmbeddingTrainingHelperSample",
                           [time, outputs, state]):
            select_sampler = tf.distributions.Bernoulli(probs=self._sampling_probability,
                                                        dtype=tf.bool)
            select_sample = select_sampler.sample(sample_shape=self.batch_size,
                                                  seed=self._scheduling_seed)
            sample_id_sampler = tf.distributions.Categorical(logits=outputs)
            return tf.where(select_sample, sample_id_sampler.sample(seed=self._seed),
                            tf.fill([self.batch_size], -1))

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        with tf.name_scope(name, "ScheduledEmbeddingTrainingHelperNextInputs",
                           [time, outputs, state]):
            finished, base_next_inputs, state = super().next_inputs(
                time=time, outputs=outputs, state=state, sample_ids=sample_ids, name=name)

            def maybe_sample():
                where_sampling = tf.cast(tf.where(sample_ids > -1), tf.int32)
                where_not_sampling = tf.cast(tf.where(sample_ids <= -1), tf.int32)
                sample_ids_sampling = tf.gather_nd(sample_ids, where_sampling)
                inputs_not_sampling = tf.gather_nd(base_next_inputs, where_not_sampling)
                sampled_next_inputs = self._embedding_fn(sample_ids_sampling)
                base_shape = tf.shape(base_next_inputs)
                return (tf.scatter_nd(where_sampling, sampled_next_inputs, base_shape)
                        + tf.scatter_nd(where_not_sampling, inputs_not_sampling, base_shape))

            all_finished = tf.reduce_all(finished)
            next_inputs = tf.cond(all_finished, lambda: base_next_inputs, maybe_sample)
            return finished, next_inputs, state


class ScheduledOutputTrainingHelper(TrainingHelper):
    """TF1's ``tf.contrib.seq2seq.ScheduledOutputTrainingHelper``: teacher forcing, except
    that with ``sampling_probability`` an entry's next input is its own output (through
    ``next_inputs_fn``, with ``auxiliary_inputs`` appended)."""

    def __init__(self, inputs, sequence_length, sampling_probability, time_major=False,
                 seed=None, next_inputs_fn=None, auxiliary_inputs=None, name=None):
        with tf.name_scope(name, "ScheduledOutputTrainingHelper",
                           [inputs, auxiliary_inputs, sampling_probability]):
            self._sampling_probability = _sampling_probability(sampling_probability)
            if auxiliary_inputs is None:
                maybe_concatenated_inputs = inputs
            else:
                inputs = tf.convert_to_tensor(inputs, name="inputs")
                auxiliary_inputs = tf.convert_to_tensor(auxiliary_inputs,
                                                        name="auxiliary_inputs")
                maybe_concatenated_inputs = _nest.map_structure(
                    lambda x, y: tf.concat((x, y), -1), inputs, auxiliary_inputs)
                if not time_major:
                    auxiliary_inputs = _nest.map_structure(_transpose_batch_time,
                                                           auxiliary_inputs)
            self._auxiliary_input_tas = (
                _nest.map_structure(_unstack_ta, auxiliary_inputs)
                if auxiliary_inputs is not None else None)
            self._seed = seed
            self._next_inputs_fn = next_inputs_fn
            super().__init__(inputs=maybe_concatenated_inputs, sequence_length=sequence_length,
                             time_major=time_major, name=name)

    def sample(self, time, outputs, state, name=None):
        with tf.name_scope(name, "ScheduledOutputTrainingHelperSample", [time, outputs, state]):
            sampler = tf.distributions.Bernoulli(probs=self._sampling_probability)
            return sampler.sample(sample_shape=self.batch_size, seed=self._seed)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        with tf.name_scope(name, "ScheduledOutputTrainingHelperNextInputs",
                           [time, outputs, state, sample_ids]):
            finished, base_next_inputs, state = super().next_inputs(
                time=time, outputs=outputs, state=state, sample_ids=sample_ids, name=name)
            sample_ids = tf.cast(sample_ids, tf.bool)

            def maybe_sample():
                def maybe_concatenate_auxiliary_inputs(outputs_, indices=None):
                    if self._auxiliary_input_tas is None:
                        return outputs_
                    next_time = time + 1
                    auxiliary_inputs = _nest.map_structure(lambda ta: ta.read(next_time),
                                                           self._auxiliary_input_tas)
                    if indices is not None:
                        auxiliary_inputs = tf.gather_nd(auxiliary_inputs, indices)
                    return _nest.map_structure(lambda x, y: tf.concat((x, y), -1),
                                               outputs_, auxiliary_inputs)

                if self._next_inputs_fn is None:
                    return tf.where(sample_ids, maybe_concatenate_auxiliary_inputs(outputs),
                                    base_next_inputs)
                where_sampling = tf.cast(tf.where(sample_ids), tf.int32)
                where_not_sampling = tf.cast(tf.where(tf.logical_not(sample_ids)), tf.int32)
                outputs_sampling = tf.gather_nd(outputs, where_sampling)
                inputs_not_sampling = tf.gather_nd(base_next_inputs, where_not_sampling)
                sampled_next_inputs = maybe_concatenate_auxiliary_inputs(
                    self._next_inputs_fn(outputs_sampling), where_sampling)
                base_shape = tf.shape(base_next_inputs)
                return (tf.scatter_nd(where_sampling, sampled_next_inputs, base_shape)
                        + tf.scatter_nd(where_not_sampling, inputs_not_sampling, base_shape))

            all_finished = tf.reduce_all(finished)
            no_samples = tf.logical_not(tf.reduce_any(sample_ids))
            next_inputs = tf.cond(tf.logical_or(all_finished, no_samples),
                                  lambda: base_next_inputs, maybe_sample)
            return finished, next_inputs, state


class GreedyEmbeddingHelper(Helper):
    """TF1's ``tf.contrib.seq2seq.GreedyEmbeddingHelper``: feeds back the embedding of the
    argmax of the outputs; an entry finishes when it emits ``end_token``."""

    _sample_ids_shape, _sample_ids_dtype = tf.TensorShape([]), tf.int32

    def __init__(self, embedding, start_tokens, end_token):
        self._embedding_fn = _embedding_fn(embedding)
        self._start_tokens = tf.convert_to_tensor(start_tokens, dtype=tf.int32,
                                                  name="start_tokens")
        self._end_token = tf.convert_to_tensor(end_token, dtype=tf.int32, name="end_token")
        if self._start_tokens.shape.rank != 1:
            raise ValueError("start_tokens must be a vector")
        self._batch_size = tf.size(start_tokens)
        if self._end_token.shape.rank != 0:
            raise ValueError("end_token must be a scalar")
        self._start_inputs = self._embedding_fn(self._start_tokens)

    def initialize(self, name=None):
        finished = tf.tile([False], [self._batch_size])
        return finished, self._start_inputs

    def _check_outputs(self, outputs):
        if not isinstance(outputs, tf.Tensor):
            raise TypeError(f"Expected outputs to be a single Tensor, got: {type(outputs)}")

    def sample(self, time, outputs, state, name=None):
        del time, state
        self._check_outputs(outputs)
        return tf.argmax(outputs, axis=-1, output_type=tf.int32)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        del time, outputs
        finished = tf.equal(sample_ids, self._end_token)
        all_finished = tf.reduce_all(finished)
        next_inputs = tf.cond(all_finished, lambda: self._start_inputs,
                              lambda: self._embedding_fn(sample_ids))
        return finished, next_inputs, state


class SampleEmbeddingHelper(GreedyEmbeddingHelper):
    """TF1's ``tf.contrib.seq2seq.SampleEmbeddingHelper``: like GreedyEmbeddingHelper, with
    ids sampled from the softmax of ``outputs / softmax_temperature``."""

    def __init__(self, embedding, start_tokens, end_token, softmax_temperature=None,
                 seed=None):
        super().__init__(embedding, start_tokens, end_token)
        self._softmax_temperature = softmax_temperature
        self._seed = seed

    def sample(self, time, outputs, state, name=None):
        del time, state
        self._check_outputs(outputs)
        logits = outputs if self._softmax_temperature is None else \
            outputs / self._softmax_temperature
        return tf.distributions.Categorical(logits=logits).sample(seed=self._seed)


class InferenceHelper(Helper):
    """TF1's ``tf.contrib.seq2seq.InferenceHelper``: samples with ``sample_fn``, feeds the
    samples back (through ``next_inputs_fn``) and finishes where ``end_fn`` says."""

    def __init__(self, sample_fn, sample_shape, sample_dtype, start_inputs, end_fn,
                 next_inputs_fn=None):
        self._sample_fn = sample_fn
        self._end_fn = end_fn
        self._sample_ids_shape = tf.TensorShape(sample_shape)
        self._sample_ids_dtype = sample_dtype
        self._next_inputs_fn = next_inputs_fn
        self._batch_size = tf.shape(start_inputs)[0]
        self._start_inputs = tf.convert_to_tensor(start_inputs, name="start_inputs")

    def initialize(self, name=None):
        finished = tf.tile([False], [self._batch_size])
        return finished, self._start_inputs

    def sample(self, time, outputs, state, name=None):
        del time, state
        return self._sample_fn(outputs)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        del time, outputs
        next_inputs = sample_ids if self._next_inputs_fn is None else \
            self._next_inputs_fn(sample_ids)
        return self._end_fn(sample_ids), next_inputs, state
