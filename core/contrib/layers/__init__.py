"""``tf.contrib.layers`` (TF 1.x): layer functions (layers.py, normalization.py,
layers_extra.py, layers_more.py), target columns (target_column.py) and the initializers,
regularizers, optimizers and summaries TF1 grouped with them (and slim's binary_svm_target,
which TF's contrib.layers namespace dropped)."""

from .initializers import *  # noqa: F403
from .regularizers import *  # noqa: F403
from .optimizers import *  # noqa: F403
from .summaries import *  # noqa: F403
from .layers import *  # noqa: F403
from .normalization import *  # noqa: F403
from .layers_extra import *  # noqa: F403
from .layers_legacy import *  # noqa: F403
from .layers_more import *  # noqa: F403
from .target_column import *  # noqa: F403
from . import utils  # noqa: F401 - tf.contrib.layers.utils (end-point aliases)
from .feature_column import *  # noqa: F403
from .feature_column_ops import *  # noqa: F403
from . import feature_column, feature_column_ops  # noqa: F401
