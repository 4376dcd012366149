"""``minitf.compat.v1`` is minitf itself: the whole API is TensorFlow 1.x's."""

import sys as _sys

import minitf as v1

_sys.modules[__name__ + ".v1"] = v1
