"""``tf.nn.rnn_cell``: TF1's recurrent cells (defined in core/rnn.py)."""

from .rnn import (BasicLSTMCell, BasicRNNCell, GRUCell, LSTMCell, LSTMStateTuple,  # noqa: F401
                  MultiRNNCell, RNNCell)

__all__ = ["BasicLSTMCell", "BasicRNNCell", "GRUCell", "LSTMCell", "LSTMStateTuple",
           "MultiRNNCell", "RNNCell"]
