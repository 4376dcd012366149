"""``tf.nn``: activations, softmax, cross-entropy, convolution, pooling, dropout."""

from .nn_impl import *
from .nn_conv3d import *  # conv3d, max_pool3d, max_pool_with_argmax, max_pool_v2...
from .ops.batch_norm_ops import *
from .ops.conv_ops import *
from .ops.depthwise_conv_ops import *
from .ops.nn_ops import *
from .ops.pool_ops import *
from .ops.softmax_ops import *
from . import rnn_cell  # noqa: E402,F401 - tf.nn.rnn_cell
from .rnn import (bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn,  # noqa: E402,F401
                  static_rnn)
from .ops.gather_ops import top_k  # noqa: E402,F401 - tf.nn.top_k
from .ops.manip_ops import depth_to_space, space_to_depth  # noqa: E402,F401 - tf.nn's too
from .sparse import embedding_lookup_sparse, safe_embedding_lookup_sparse  # noqa: E402,F401
from .math_extra import (log_poisson_loss, normalize_moments,  # noqa: E402,F401
                         sufficient_statistics, weighted_moments, zero_fraction)
from .ops.ctc_ops import *  # noqa: E402,F401 - ctc_loss, ctc_greedy_decoder, ...
from .ops.nn_extra_ops import *  # noqa: E402,F401 - dilation2d, candidate samplers, ...
from .ops.fractional_pool_ops import *  # noqa: E402,F401,F403 - fractional_max_pool, ...
from .rnn_extra import *  # noqa: E402,F401,F403 - raw_rnn, static_state_saving_rnn
from .ops.approx_topk_ops import approx_max_k, approx_min_k  # noqa: E402,F401
from .ops.quantized_nn_ops import *  # noqa: E402,F401,F403 - quantized_conv2d, ..._pool, ..._relu_x
