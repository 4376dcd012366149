"""``tf.keras.layers``: each module's ``__all__``, plus the engine's Layer, Input and InputSpec."""

from ..base_layer import InputSpec, Layer  # noqa: F401
from ..input_layer import Input, InputLayer  # noqa: F401
from .advanced_activations import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .core import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .merge import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .wrappers import *  # noqa: F401,F403
