"""``tf.random.Generator``: TF 2.21's stateful random-number generator, in graph mode.

A Generator keeps its state in an int64 variable named ``random_generator/StateVar`` (not
trainable, in GLOBAL_VARIABLES, so ``global_variables_initializer`` sets it and savers save it),
in TF's layout: for Philox ``[counter_lo, counter_hi, key]``. Every draw builds what TF builds:
``RngReadAndSkip`` reads the state and advances the counter by 256 per output, and a stateless
V2 op draws from the key and counter it read; so values and states are TF's bit for bit.
``binomial`` builds ``StatefulRandomBinomial``. Each run of a draw advances the state once.

TF's variable is a resource variable; minitf's is a reference variable (minitf has no resource
variables) and the ops take it as a ``Ref(int64)`` input. ``reset*`` return the assignment
(TF returns None, which in graph mode leaves its assign op reachable only through the graph).
The global generator, as TF's, is one per process, made from OS entropy in the graph that is
the default when ``get_global_generator`` is first called.
"""

from __future__ import annotations

from . import dtypes as _dt
from .graph import Tensor, convert_to_tensor, get_default_graph, name_scope
from .ops import state_ops
from .ops.stateful_random_ops import (RNG_READ_AND_SKIP, STATEFUL_RANDOM_BINOMIAL,
                                      non_deterministic_ints)
from .ops.stateless_random_ops import (STATELESS_RANDOM_NORMAL_V2,
                                       STATELESS_RANDOM_UNIFORM_FULL_INT_V2,
                                       STATELESS_RANDOM_UNIFORM_INT_V2,
                                       STATELESS_RANDOM_UNIFORM_V2,
                                       STATELESS_TRUNCATED_NORMAL_V2)
from .ops.stateless_random_seed import (Algorithm, _unsupported_alg, convert_alg_to_int,
                                        create_rng_state)

__all__ = ["Generator", "get_global_generator", "set_global_generator"]

_SEED_MAX = 2**63 - 1
_STATE_SIZES = {Algorithm.PHILOX.value: 3, Algorithm.THREEFRY.value: 2,
                Algorithm.AUTO_SELECT.value: 3}  # AUTO_SELECT is managed as Philox
_COUNTER_SIZES = {Algorithm.PHILOX.value: 2, Algorithm.THREEFRY.value: 1,
                  Algorithm.AUTO_SELECT.value: 2}
DEFAULT_ALGORITHM = Algorithm.PHILOX.value


def _state_size(alg) -> int:
    if alg not in _STATE_SIZES:
        raise ValueError(_unsupported_alg(alg))
    return _STATE_SIZES[alg]


def _counter_size(alg) -> int:
    if alg not in _COUNTER_SIZES:
        raise ValueError(_unsupported_alg(alg))
    return _COUNTER_SIZES[alg]


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")


def _uint_to_int(n):
    if isinstance(n, (list, tuple)):
        return [_uint_to_int(v) for v in n]
    if isinstance(n, int) and not isinstance(n, bool) and n > _SEED_MAX:
        return n - 2**64
    return n


def _convert_to_state_tensor(t):
    """TF's _convert_to_state_tensor: unsigned Python ints above int64 wrap, then int64; a list
    holding tensors is stacked (TF's auto-packing)."""
    from .ops.concat_split_ops import stack
    from .ops.math_ops import cast

    if isinstance(t, (list, tuple)) and any(_is_tensor(v) for v in t):
        return stack([cast(_convert_to_state_tensor(v), _dt.int64) for v in t])
    if not _is_tensor(t):
        t = convert_to_tensor(_uint_to_int(t))
    return cast(t, _dt.int64)


def _shape_tensor(shape):
    """TF's Generator ``_shape_tensor``: an empty list is int64; otherwise as converted."""
    from .ops.constant_ops import constant
    from .ops.fill_ops import shape_list_tensor

    if isinstance(shape, (tuple, list)) and not shape:
        return constant([], dtype=_dt.int64, name="shape")
    if _is_tensor(shape):
        return convert_to_tensor(shape)
    if isinstance(shape, (tuple, list)):
        return shape_list_tensor(list(shape), name="shape")
    return convert_to_tensor(shape, name="shape")


def _key_counter_state(key, counter, alg):
    from .ops.concat_split_ops import concat
    from .ops.shape_ops import reshape

    counter = _convert_to_state_tensor(counter)
    key = _convert_to_state_tensor(key)
    counter.shape.assert_is_compatible_with([_state_size(alg) - 1])
    key.shape.assert_is_compatible_with([])
    return concat([counter, reshape(key, [1])], 0)


class Generator:
    """``tf.random.Generator``: a random-number generator whose state is a variable.

    Make one with ``from_seed``, ``from_non_deterministic_state``, ``from_state`` or
    ``from_key_counter``; draw with ``normal``, ``uniform``, ``truncated_normal``,
    ``uniform_full_int``, ``binomial``; derive seeds or generators with ``make_seeds`` and
    ``split``. Running a draw's tensor advances the state."""

    @classmethod
    def from_state(cls, state, alg):
        """A generator whose state is ``state`` (a variable is used as it is)."""
        return cls(alg=alg, state=state)

    @classmethod
    def from_seed(cls, seed, alg=None):
        """A generator whose state is ``create_rng_state(seed, alg)`` (default Philox)."""
        alg = convert_alg_to_int(DEFAULT_ALGORITHM if alg is None else alg)
        return cls(state=create_rng_state(seed, alg), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        """A generator whose state is drawn from the OS's entropy when it is initialized."""
        alg = convert_alg_to_int(DEFAULT_ALGORITHM if alg is None else alg)
        state = non_deterministic_ints(shape=[_state_size(alg)], dtype=_dt.int64)
        return cls(state=state, alg=alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg):
        """A generator with the key ``key`` (a scalar) and counter ``counter`` (a vector of
        the algorithm's counter size)."""
        alg = convert_alg_to_int(alg)
        return cls(state=_key_counter_state(key, counter, alg), alg=alg)

    def __init__(self, copy_from=None, state=None, alg=None):
        from .ref_variable import Variable

        if copy_from is not None:
            if (alg or state) is not None:
                raise ValueError("copy_from excludes state and alg")
            self._state_var = self._create_variable(copy_from.state)
            self._alg = copy_from.algorithm
            return
        if alg is None or state is None:
            raise ValueError("state and alg must be given together (or copy_from)")
        alg = convert_alg_to_int(alg)
        if isinstance(state, Variable):
            if not _is_tensor(alg):
                state.shape.assert_is_compatible_with([_state_size(int(alg))])
            self._state_var = state
        else:
            state = _convert_to_state_tensor(state)
            if not _is_tensor(alg):
                state.shape.assert_is_compatible_with([_state_size(int(alg))])
            self._state_var = self._create_variable(state)
        self._alg = alg

    @staticmethod
    def _create_variable(initial_value):
        from .ref_variable import Variable

        with name_scope("random_generator"):
            return Variable(initial_value, dtype=_dt.int64, trainable=False, name="StateVar")

    # -- state -------------------------------------------------------------------------------------
    @property
    def state(self):
        """The variable holding the RNG state."""
        return self._state_var

    @property
    def algorithm(self):
        """The RNG algorithm id (1 Philox, 2 ThreeFry, 3 auto-select)."""
        return self._alg

    @property
    def key(self):
        """The key part of the state: its last element."""
        if self._alg not in _STATE_SIZES:
            raise ValueError(_unsupported_alg(self._alg))
        return self._state_var[-1]

    def reset(self, state):
        """Sets the state to ``state``; returns the assignment (TF returns None)."""
        state = _convert_to_state_tensor(state)
        state.shape.assert_is_compatible_with([_state_size(self.algorithm)])
        return state_ops.assign(self._state_var, state)

    def reset_from_seed(self, seed):
        """Sets the state to ``create_rng_state(seed, alg)``."""
        return state_ops.assign(self._state_var, create_rng_state(seed, self.algorithm))

    def reset_from_key_counter(self, key, counter):
        """Sets the state to ``counter`` followed by ``key``."""
        return state_ops.assign(self._state_var,
                                _key_counter_state(key, counter, self.algorithm))

    def skip(self, delta):
        """Advances the counter as ``delta`` outputs would; returns the state before (int64
        [3], the counter padded to two words)."""
        from .ops.math_ops import cast

        return RNG_READ_AND_SKIP(self._state_var, cast(self.algorithm, _dt.int32),
                                 cast(delta, _dt.uint64))

    def _prepare_key_counter(self, shape):
        from .ops.array_extra_ops import bitcast
        from .ops.reduction_ops import reduce_prod

        counter_key = self.skip(reduce_prod(shape))
        size = _counter_size(self.algorithm)
        key = bitcast(counter_key[size:size + 1], _dt.uint64)
        # ThreeFry's one-word counter: RngReadAndSkip refuses ThreeFry when it runs (TF's CPU
        # kernels do), so the draw never runs; two words let the stateless op be built.
        counter = bitcast(counter_key[:max(size, 2)], _dt.uint64)
        return key, counter

    # -- distributions -----------------------------------------------------------------------------
    def _stateless(self, op, shape, dtype, **kw):
        key, counter = self._prepare_key_counter(shape)
        return op(shape, key, counter, self.algorithm, dtype=dtype, **kw)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        """Normal(mean, stddev) values of ``shape``."""
        return self._scaled(STATELESS_RANDOM_NORMAL_V2, "stateful_normal", shape, mean, stddev,
                            dtype, name)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        """Normal values within two standard deviations of ``mean``."""
        return self._scaled(STATELESS_TRUNCATED_NORMAL_V2, "truncated_normal", shape, mean,
                            stddev, dtype, name)

    def _scaled(self, op, default_name, shape, mean, stddev, dtype, name):
        from .ops.math_ops import ADD_V2, MUL

        dtype = _dt.as_dtype(dtype)
        with name_scope(name, default_name) as scope:
            shape = _shape_tensor(shape)
            mean = convert_to_tensor(mean, dtype=dtype, name="mean")
            stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
            rnd = self._stateless(op, shape, dtype)
            return ADD_V2(MUL(rnd, stddev, name="mul"), mean, name=scope)

    def uniform(self, shape, minval=0, maxval=None, dtype=_dt.float32, name=None):
        """Uniform values in [minval, maxval) (floats default to [0, 1)); integers need
        ``maxval``, or ``minval=maxval=None`` for the whole range."""
        from .ops.math_ops import ADD_V2, MUL, SUB

        dtype = _dt.as_dtype(dtype)
        if dtype.is_integer:
            if (minval is None) != (maxval is None):
                raise ValueError(f"For integer dtype <dtype: '{dtype.name}'>, minval and maxval "
                                 f"must be both `None` or both non-`None`; got minval={minval} "
                                 f"and maxval={maxval}")
        elif maxval is None:
            maxval = 1
        with name_scope(name, "stateful_uniform") as scope:
            shape = _shape_tensor(shape)
            if dtype.is_integer and minval is None:
                return self._stateless(STATELESS_RANDOM_UNIFORM_FULL_INT_V2, shape, dtype,
                                       name=scope)
            minval = convert_to_tensor(minval, dtype=dtype, name="min")
            maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
            if dtype.is_integer:
                key, counter = self._prepare_key_counter(shape)
                return STATELESS_RANDOM_UNIFORM_INT_V2(shape, key, counter, self.algorithm,
                                                       minval, maxval, name=scope)
            rnd = self._stateless(STATELESS_RANDOM_UNIFORM_V2, shape, dtype)
            return ADD_V2(MUL(rnd, SUB(maxval, minval, name="sub"), name="mul"), minval,
                          name=scope)

    def uniform_full_int(self, shape, dtype=_dt.uint64, name=None):
        """Integers uniform over the whole range of ``dtype``."""
        dtype = _dt.as_dtype(dtype)
        with name_scope(name, "stateful_uniform_full_int") as scope:
            shape = _shape_tensor(shape)
            return self._stateless(STATELESS_RANDOM_UNIFORM_FULL_INT_V2, shape, dtype,
                                   name=scope)

    def binomial(self, shape, counts, probs, dtype=_dt.int32, name=None):
        """Binomial(counts, probs) samples; ``shape`` ends with their broadcast shape."""
        dtype = _dt.as_dtype(dtype)
        with name_scope(name, "binomial") as scope:
            counts = convert_to_tensor(counts, name="counts")
            probs = convert_to_tensor(probs, name="probs")
            shape = _shape_tensor(shape)
            return STATEFUL_RANDOM_BINOMIAL(self._state_var, self.algorithm, shape, counts,
                                            probs, dtype=dtype, name=scope)

    # -- derived seeds and generators --------------------------------------------------------------
    def _make_int64_keys(self, shape=()):
        return self.uniform_full_int(shape=shape, dtype=_dt.int64)

    def make_seeds(self, count=1):
        """Seeds for the stateless ops: int64 [2, count], keys over zeros."""
        from .ops.concat_split_ops import stack
        from .ops.fill_ops import zeros_like

        if self.algorithm not in _STATE_SIZES:
            raise ValueError(_unsupported_alg(self.algorithm))
        keys = self._make_int64_keys(shape=[count])
        return stack([keys, zeros_like(keys)])

    def split(self, count=1):
        """``count`` new generators, each with a fresh key (drawn from this one, whose state
        advances) and a zero counter."""
        from .ops.concat_split_ops import unstack

        alg = self.algorithm
        if alg not in _STATE_SIZES:
            raise ValueError(_unsupported_alg(alg))
        keys = self._make_int64_keys(shape=[count])
        return [Generator(state=[0] * (_state_size(alg) - 1) + [key], alg=alg)
                for key in unstack(keys, num=count)]

    def __repr__(self):
        return f"<tf.random.Generator state={self._state_var.name} alg={self._alg}>"


# The process's generator, made on first use (TF makes it in the then-default graph).
global_generator = None


def get_global_generator() -> Generator:
    """``tf.random.get_global_generator``: the process's generator, made from OS entropy the
    first time (its variable lives in the graph that is the default then)."""
    global global_generator
    if global_generator is None:
        from .variables_extra import init_scope

        with get_default_graph().as_default(), init_scope():
            global_generator = Generator.from_non_deterministic_state()
    return global_generator


def set_global_generator(generator) -> None:
    """``tf.random.set_global_generator``: replaces the process's generator."""
    global global_generator
    global_generator = generator
