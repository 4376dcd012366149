"""TF 1.x's convolution-orthogonal initializers (``init_ops.ConvolutionDeltaOrthogonal`` and
``ConvolutionOrthogonal1D/2D/3D``), which TF 1.15 exposed only through ``tf.contrib.framework``
as ``convolutional_delta_orthogonal`` and ``convolutional_orthogonal_{1,2,3}d``.

The orthogonal ones build the kernel as TF does (Xiao et al. 2018): a product of "block
orthogonal" filters, each a symmetric projection ``P`` and its complement ``I - P`` along every
spatial axis, convolved together, then multiplied by a random semi-orthogonal ``[cin, cout]``
matrix. Each axis gets its own projection, so one n-dimensional routine serves 1-D, 2-D and 3-D.
The result is paraunitary: ``sum_p K[p] K[p]^T = gain**2 I`` (the convolution preserves norms).
"""

from __future__ import annotations

import itertools

from .. import dtypes as _dt
from ..composites import eye
from ..init_ops import Initializer
from ..ops import (array_ops, concat_split_ops, diag_ops, math_ops, random_ops,
                   transform_ops, unary_ops)
from ..ops.decomposition_ops import qr
from ..ops.gather_ops import scatter_nd
from ..tensor_shape import as_shape

__all__ = ["ConvolutionDeltaOrthogonal", "ConvolutionOrthogonal", "ConvolutionOrthogonal1D",
           "ConvolutionOrthogonal2D", "ConvolutionOrthogonal3D",
           "convolutional_delta_orthogonal", "convolutional_orthogonal_1d",
           "convolutional_orthogonal_2d", "convolutional_orthogonal_3d"]


def _float_dtype(dtype):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype}.")
    return dtype


def _check_filters(shape):
    if shape[-2] > shape[-1]:
        raise ValueError(f"In_filters, specified by shape[-2]={shape[-2]} cannot be greater "
                         f"than out_filters, specified by shape[-1]={shape[-1]}.")


def _signed_q(n, dtype, seed):
    """Q of the QR of an n x n standard normal matrix, columns signed by R's diagonal (so Q
    is uniformly distributed over the orthogonal group)."""
    q, r = qr(random_ops.random_normal([n, n], dtype=dtype, seed=seed))
    return q * unary_ops.sign(diag_ops.matrix_diag_part(r))


class ConvolutionDeltaOrthogonal(Initializer):
    """A ``[k..., cin, cout]`` (3 to 5 dims) kernel that is zero but at its spatial centre,
    where it holds ``gain`` times a random semi-orthogonal ``[cin, cout]`` matrix."""

    def __init__(self, gain=1.0, seed=None, dtype=_dt.float32):
        self.gain = gain
        self.dtype = _float_dtype(dtype)
        self.seed = seed

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self.dtype if dtype is None else _dt.as_dtype(dtype)
        shape = as_shape(shape).as_list()
        if not 3 <= len(shape) <= 5:
            raise ValueError("The tensor to initialize, specified by argument `shape` must be "
                             "at least three-dimensional and at most five-dimensional. "
                             f"Received shape={shape}")
        _check_filters(shape)
        q = _signed_q(shape[-1], dtype, self.seed)[:shape[-2], :]
        q = q * math_ops.cast(self.gain, dtype)
        centre = [[(k - 1) // 2 for k in shape[:-2]]]
        return scatter_nd(centre, transform_ops.expand_dims(q, 0), shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed, "dtype": self.dtype.name}


class ConvolutionOrthogonal(Initializer):
    """The base of the orthogonal convolution initializers; ``ndims`` spatial axes."""

    ndims = None

    def __init__(self, gain=1.0, seed=None, dtype=_dt.float32):
        self.gain = gain
        self.dtype = _float_dtype(dtype)
        self.seed = seed

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed, "dtype": self.dtype.name}

    def _next_seed(self):
        # TF moves a given seed on after each random op, so the matrices differ.
        seed = self.seed
        if self.seed:
            self.seed += 1
        return seed

    def _orthogonal_matrix(self, n):
        return _signed_q(n, self.dtype, self._next_seed())

    def _symmetric_projection(self, n):
        """``C C^T`` for C a random orthogonal matrix with a random half of its columns
        zeroed: a symmetric projection (``P P = P``)."""
        q = self._orthogonal_matrix(n)
        keep = math_ops.cast(random_ops.random_normal([n], seed=self._next_seed()) > 0,
                             self.dtype)
        c = q * keep
        return math_ops.matmul(c, c, transpose_b=True)

    def _block_orth(self, projections):
        """The 2 x ... x 2 filter whose entry at ``bits`` is the product over the axes of
        ``P_d`` (bit 0) or ``I - P_d`` (bit 1)."""
        n = projections[0].shape[0].value
        ident = eye(n, dtype=self.dtype)
        kernel = {}
        for bits in itertools.product((0, 1), repeat=len(projections)):
            factors = [p if b == 0 else ident - p for p, b in zip(projections, bits)]
            out = factors[0]
            for f in factors[1:]:
                out = math_ops.matmul(out, f)
            kernel[bits] = out
        return kernel

    def _matrix_conv(self, m1, m2):
        """The full convolution of two filters of matrices (dicts by index tuple)."""
        n = m1[next(iter(m1))].shape[0].value
        k = max(i[0] for i in m1) + 1
        l = max(i[0] for i in m2) + 1  # noqa: E741 - the filter sizes k and l
        result = {}
        for out in itertools.product(range(k + l - 1), repeat=self.ndims):
            acc = array_ops.zeros([n, n], self.dtype)
            ranges = [range(max(0, o - l + 1), min(k, o + 1)) for o in out]
            for first in itertools.product(*ranges):
                second = tuple(o - f for o, f in zip(out, first))
                acc += math_ops.matmul(m1[first], m2[second])
            result[out] = acc
        return result

    def _to_tensor(self, kernel, ksize):
        def stack(prefix):
            if len(prefix) == self.ndims:
                return kernel[prefix]
            return concat_split_ops.stack([stack(prefix + (i,)) for i in range(ksize)])
        return stack(())

    def _orthogonal_kernel(self, ksize, cin, cout):
        if cin > cout:
            raise ValueError(f"The number of input channels (cin={cin}) cannot exceed the "
                             f"number of output channels (cout={cout}).")
        orth = self._orthogonal_matrix(cout)[0:cin, :]
        if ksize == 1:
            out = orth
            for _ in range(self.ndims):
                out = transform_ops.expand_dims(out, 0)
            return out
        p = self._block_orth([self._symmetric_projection(cout) for _ in range(self.ndims)])
        for _ in range(ksize - 2):
            p = self._matrix_conv(
                p, self._block_orth([self._symmetric_projection(cout)
                                     for _ in range(self.ndims)]))
        p = {index: math_ops.matmul(orth, m) for index, m in p.items()}
        return self._to_tensor(p, ksize)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self.dtype if dtype is None else _dt.as_dtype(dtype)
        shape = as_shape(shape).as_list()
        words = {1: "three", 2: "four", 3: "five"}
        if len(shape) != self.ndims + 2:
            raise ValueError("The tensor to initialize, specified by argument `shape` must be "
                             f"{words[self.ndims]}-dimensional. Received shape={shape}")
        _check_filters(shape)
        if len(set(shape[:self.ndims])) != 1:
            given = [f"shape[{i}]={shape[i]}" for i in range(self.ndims)]
            raise ValueError(f"Kernel sizes, specified by {', '.join(given[:-1])} and "
                             f"{given[-1]} must be equal.")
        kernel = self._orthogonal_kernel(shape[0], shape[-2], shape[-1])
        return kernel * math_ops.cast(self.gain, dtype)


class ConvolutionOrthogonal1D(ConvolutionOrthogonal):
    """A ``[k, cin, cout]`` kernel whose 1-D convolution (circular padding) is orthogonal."""

    ndims = 1


class ConvolutionOrthogonal2D(ConvolutionOrthogonal):
    """A ``[k, k, cin, cout]`` kernel whose 2-D convolution (circular padding) is orthogonal."""

    ndims = 2


class ConvolutionOrthogonal3D(ConvolutionOrthogonal):
    """A ``[k, k, k, cin, cout]`` kernel whose 3-D convolution is orthogonal."""

    ndims = 3


convolutional_delta_orthogonal = ConvolutionDeltaOrthogonal
convolutional_orthogonal_1d = ConvolutionOrthogonal1D
convolutional_orthogonal_2d = ConvolutionOrthogonal2D
convolutional_orthogonal_3d = ConvolutionOrthogonal3D
