"""``tf.keras.backend``: TF1 Keras' session and graph state, plus its math functions
(core/keras/backend_math.py, core/keras/backend_ops.py, core/keras/backend_nn.py).

The session rule is TF1 Keras': ``get_session()`` is the default session if one is open (``with
tf.Session() as s: model.fit(...)``), else one Keras keeps per graph; either way, before it is
returned, the variables Keras made that are not yet initialized get initialized, so a model
trains without a ``global_variables_initializer`` of the user's. Keras numbers layer names per
graph (``dense``, ``dense_1``) and keeps one learning-phase placeholder per graph (False unless
fed: inference by default).
"""

from __future__ import annotations

import threading

import numpy as np

from .. import dtypes as _dt
from ..default_graph import reset_default_graph
from ..graph import get_default_graph, name_scope  # noqa: F401 - K.name_scope is TF1's
from ..init_ops import random_normal_initializer, random_uniform_initializer
from ..ops.constant_ops import placeholder_with_default
from ..ops.state_ops import is_variable_initialized
from ..session import Session, get_default_session
from ..variables import variables_initializer

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"

_SESSION = threading.local()  # .session: Keras' own session, one per thread (as TF1's)
_MANUAL_VAR_INIT = False  # manual_variable_initialization(True): get_session initializes none


class _GraphState:
    """What Keras keeps per graph. The graph holds it (a table keyed by graph would keep every
    graph alive: the variables and the placeholder here refer back to it)."""

    __slots__ = ("uids", "unchecked", "learning_phase")

    def __init__(self):
        self.uids: dict = {}  # prefix -> count
        self.unchecked: list = []  # variables Keras made that get_session has not seen yet
        self.learning_phase = None  # the placeholder, or set_learning_phase's 0/1


def _state(graph) -> _GraphState:
    state = graph.__dict__.get("_keras_state")
    if state is None:
        state = graph.__dict__.setdefault("_keras_state", _GraphState())
    return state


# -- configuration -----------------------------------------------------------------------------
def floatx() -> str:
    return _FLOATX


def set_floatx(value) -> None:
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}")
    _FLOATX = str(value)


def epsilon() -> float:
    return _EPSILON


def set_epsilon(value) -> None:
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format) -> None:
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format: {data_format!r}")
    _IMAGE_DATA_FORMAT = str(data_format)


def cast_to_floatx(x):
    return np.asarray(x, dtype=_FLOATX)


def backend() -> str:
    """The backend's name, for multi-backend Keras code: always "tensorflow"."""
    return "tensorflow"


# -- names ------------------------------------------------------------------------------------
def get_uid(prefix: str = "") -> int:
    """1, 2, ... per prefix and graph (Keras' layer and Input names)."""
    uids = _state(get_default_graph()).uids
    uids[prefix] = uids.get(prefix, 0) + 1
    return uids[prefix]


def reset_uids() -> None:
    _state(get_default_graph()).uids.clear()


def unique_object_name(base: str) -> str:
    """``base``, then ``base_1``, ``base_2``... in the default graph."""
    n = get_uid(base) - 1
    return base if n == 0 else f"{base}_{n}"


# -- sessions and variables -------------------------------------------------------------------
def track_variable(v) -> None:
    """Registers a variable Keras made, for ``get_session``'s initialization."""
    _state(v.graph).unchecked.append(v)


def _initialize_variables(session) -> None:
    """Initializes the variables Keras made since the last call that are not initialized yet
    (TF1 Keras' ``_keras_initialized`` flag: each is looked at once, so a train step that
    calls get_session pays nothing once all are seen)."""
    state = _state(session.graph)
    candidates, state.unchecked = state.unchecked, []
    if not candidates:
        return
    flags = session.run([is_variable_initialized(v) for v in candidates])
    todo = [v for v, ok in zip(candidates, flags) if not ok]
    if todo:
        session.run(variables_initializer(todo))


def get_session(op_input_list=()):
    """The default session, else Keras' own for the default graph (made on first use); its
    uninitialized Keras variables are initialized first."""
    session = get_default_session()
    if session is None:
        session = getattr(_SESSION, "session", None)
        if session is None or session.graph is not get_default_graph() or session._closed:
            session = _SESSION.session = Session(graph=get_default_graph())
    if not _MANUAL_VAR_INIT:
        _initialize_variables(session)
    return session


def manual_variable_initialization(value) -> None:
    """TF1 Keras' flag: True leaves the initialization of Keras' variables to the user
    (``get_session`` then initializes none); False, the default, initializes them."""
    global _MANUAL_VAR_INIT
    _MANUAL_VAR_INIT = value


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A Keras variable drawn from N(mean, scale**2); without a seed, one drawn from numpy's
    global RNG (so ``np.random.seed`` makes it repeatable, as in TF1 Keras)."""
    from .backend_math import variable
    dtype = dtype or floatx()
    if seed is None:
        seed = np.random.randint(10e8)
    value = random_normal_initializer(mean, scale, dtype=_dt.as_dtype(dtype), seed=seed)(shape)
    return variable(value, dtype=dtype, name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A Keras variable drawn from U[low, high); the seed as random_normal_variable's."""
    from .backend_math import variable
    dtype = dtype or floatx()
    if seed is None:
        seed = np.random.randint(10e8)
    value = random_uniform_initializer(low, high, dtype=_dt.as_dtype(dtype), seed=seed)(shape)
    return variable(value, dtype=dtype, name=name)


def set_session(session) -> None:
    """Makes ``session`` Keras' own session (in this thread)."""
    _SESSION.session = session


def clear_session() -> None:
    """A new default graph and a closed Keras session: layer names start again at ``dense``."""
    session = getattr(_SESSION, "session", None)
    if session is not None:
        session.close()
    _SESSION.session = None
    reset_default_graph()


# -- the learning phase -----------------------------------------------------------------------
def learning_phase():
    """A bool placeholder defaulting to False (``keras_learning_phase``), one per graph, or the
    0/1 ``set_learning_phase`` fixed."""
    graph = get_default_graph()
    state = _state(graph)
    if state.learning_phase is None:
        with graph.as_default(), graph.name_scope(""):
            state.learning_phase = placeholder_with_default(False, shape=(),
                                                            name="keras_learning_phase")
    return state.learning_phase


def set_learning_phase(value) -> None:
    if value not in (0, 1):
        raise ValueError("Expected learning phase to be 0 or 1.")
    _state(get_default_graph()).learning_phase = int(value)


# -- values -----------------------------------------------------------------------------------
def get_value(x):
    """A variable's (or tensor's) value, read in ``get_session()``."""
    return get_session().run(x)


def batch_get_value(tensors) -> list:
    return get_session().run(list(tensors)) if tensors else []


def set_value(x, value) -> None:
    x.load(np.asarray(value, dtype=_dt.as_dtype(x.dtype).base_dtype.as_numpy_dtype),
           get_session())


def batch_set_value(tuples) -> None:
    for x, value in tuples:
        set_value(x, value)


from .backend_math import *  # noqa: E402,F401,F403 - Keras' backend namespace is one module
from .backend_ops import *  # noqa: E402,F401,F403
from .backend_nn import *  # noqa: E402,F401,F403
