"""tf.contrib.layers (placeholder)."""

from .initializers import *  # noqa: F403
from .regularizers import *  # noqa: F403
from .optimizers import *  # noqa: F403
from .summaries import *  # noqa: F403
