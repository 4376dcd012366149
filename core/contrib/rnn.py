"""``tf.contrib.rnn`` (TF 1.x): the recurrent cells, wrappers and RNN functions TF1 programs
import from there. What TF1's contrib.rnn re-exported from ``tf.nn.rnn_cell`` / ``tf.nn`` is
minitf's own (one class, so ``isinstance`` and checkpoints agree); the contrib-only parts are
in rnn_legacy.py (projection/embedding/highway/attention wrappers, stacked bidirectional RNNs),
rnn_block.py (the fused LSTMBlockCell / LSTMBlockFusedCell / GRUBlockCell on TF's fused ops)
and rnn_cells.py (LayerNormBasicLSTMCell, NASCell, UGRNNCell, the IndRNN family...).
"""

from ..rnn import (BasicLSTMCell, BasicRNNCell, DeviceWrapper, DropoutWrapper,  # noqa: F401
                   GRUCell, LSTMCell, LSTMStateTuple, MultiRNNCell, ResidualWrapper, RNNCell,
                   static_bidirectional_rnn, static_rnn)
from ..rnn_extra import static_state_saving_rnn  # noqa: F401
from .rnn_block import (FusedRNNCell, FusedRNNCellAdaptor, GRUBlockCell,  # noqa: F401
                        GRUBlockCellV2, LSTMBlockCell, LSTMBlockFusedCell, LSTMBlockWrapper,
                        TimeReversedFusedRNN)
from .rnn_cells import (CoupledInputForgetGateLSTMCell, IndRNNCell, IndyGRUCell,  # noqa: F401
                        IndyLSTMCell, IntersectionRNNCell, LayerNormBasicLSTMCell, NASCell,
                        UGRNNCell)
from .rnn_grid import (BidirectionalGridLSTMCell, GridLSTMCell,  # noqa: F401
                        TimeFreqLSTMCell, WeightNormLSTMCell)
from .rnn_legacy import (AttentionCellWrapper, CompiledWrapper,  # noqa: F401
                         EmbeddingWrapper, HighwayWrapper, InputProjectionWrapper,
                         OutputProjectionWrapper,
                         stack_bidirectional_dynamic_rnn, stack_bidirectional_rnn)
from .rnn_more import (CFNCell, Conv1DLSTMCell, Conv2DLSTMCell, Conv3DLSTMCell,  # noqa: F401
                       ConvLSTMCell, CudnnCompatibleGRUCell, CudnnCompatibleLSTMCell,
                       LayerRNNCell, MinimalRNNCell, SRUCell, best_effort_input_batch_size,
                       transpose_batch_time)
from .rnn_more_lstm import GLSTMCell, LayerNormLSTMCell, PhasedLSTMCell  # noqa: F401

__all__ = ["AttentionCellWrapper", "BasicLSTMCell", "BasicRNNCell", "CompiledWrapper",
           "CoupledInputForgetGateLSTMCell", "DeviceWrapper", "DropoutWrapper",
           "EmbeddingWrapper", "FusedRNNCell", "FusedRNNCellAdaptor", "GRUBlockCell",
           "GRUBlockCellV2", "GRUCell", "HighwayWrapper", "IndRNNCell", "IndyGRUCell",
           "IndyLSTMCell", "InputProjectionWrapper", "IntersectionRNNCell", "LSTMBlockCell",
           "LSTMBlockFusedCell", "LSTMBlockWrapper", "LSTMCell", "LSTMStateTuple",
           "LayerNormBasicLSTMCell", "MultiRNNCell", "NASCell", "OutputProjectionWrapper",
           "RNNCell", "ResidualWrapper", "TimeReversedFusedRNN", "UGRNNCell",
           "static_bidirectional_rnn", "static_rnn", "static_state_saving_rnn",
           "stack_bidirectional_dynamic_rnn", "stack_bidirectional_rnn",
           # rnn_more.py / rnn_more_lstm.py
           "CFNCell", "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell", "ConvLSTMCell",
           "CudnnCompatibleGRUCell", "CudnnCompatibleLSTMCell", "GLSTMCell",
           "LayerNormLSTMCell", "LayerRNNCell", "MinimalRNNCell", "PhasedLSTMCell", "SRUCell",
           "best_effort_input_batch_size", "transpose_batch_time",
           # rnn_grid.py
           "BidirectionalGridLSTMCell", "GridLSTMCell", "TimeFreqLSTMCell",
           "WeightNormLSTMCell"]
