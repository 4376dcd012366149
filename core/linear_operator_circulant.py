"""Operators diagonalised by the discrete Fourier transform, as TF writes them:
``LinearOperatorCirculant`` (and the block-circulant ``...2D`` / ``...3D``), given by their
spectrum, so matmul is ``ifft(spectrum * fft(x))`` and solve ``ifft(fft(x) / spectrum)``; and
``LinearOperatorToeplitz``, embedded in a circulant of twice the size for its matmul."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from . import linear_operator_util as lou
from .array_extra import broadcast_static_shape
from .composites import reverse
from .graph import convert_to_tensor, name_scope
from .linear_operator_base import LinearOperator
from .ops import (array_ops, complex_ops, concat_split_ops, fft_ops, gather_ops, logging_ops,
                  math_ops, reduction_ops, transform_ops, unary_ops)
from .ops.array_extra_ops import broadcast_dynamic_shape

__all__ = ["LinearOperatorCirculant", "LinearOperatorCirculant2D", "LinearOperatorCirculant3D",
           "LinearOperatorToeplitz"]

_FFT_OP = {1: fft_ops.fft, 2: fft_ops.fft2d, 3: fft_ops.fft3d}
_IFFT_OP = {1: fft_ops.ifft, 2: fft_ops.ifft2d, 3: fft_ops.ifft3d}


def _to_complex(x):
    if x.dtype.is_complex:
        return x
    return math_ops.cast(x, _dt.complex128 if x.dtype == _dt.float64 else _dt.complex64)


def _divide_same_dtype(spectrum, fft_rhs):
    """``fft_rhs / spectrum``, with TF's truediv check that both have one dtype."""
    if fft_rhs.dtype.base_dtype != spectrum.dtype.base_dtype:
        raise TypeError(f"`x` and `y` must have the same dtype, got {fft_rhs.dtype!r} != "
                        f"{spectrum.dtype!r}.")
    return fft_rhs / spectrum


class _BaseLinearOperatorCirculant(LinearOperator):
    """A [nested] block circulant operator of ``block_depth`` levels, from its spectrum
    ``[B1,...,Bb, N0(, N1(, N2))]``: the operator is ``F^H diag(spectrum) F`` with F the
    (multi-dimensional) DFT, of size ``N = N0 * N1 * N2``."""

    _VARIANT = None  # the public subclass to build derived operators with

    def __init__(self, spectrum, block_depth, input_output_dtype=_dt.complex64,
                 is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=True, parameters=None, name="LinearOperatorCirculant"):
        self._name = name
        if block_depth not in (1, 2, 3):
            raise ValueError(f"Argument `block_depth` must be one of [1, 2, 3]. "
                             f"Received: {block_depth}.")
        self._block_depth = block_depth
        with name_scope(name, values=[spectrum]):
            self._spectrum = self._check_spectrum_and_return_tensor(spectrum)
            if not self.spectrum.dtype.is_complex:
                if is_self_adjoint is False:
                    raise ValueError(f"A real spectrum always corresponds to a self-adjoint "
                                     f"operator. Expected argument `is_self_adjoint` to be True "
                                     f"when `spectrum.dtype.is_complex` = True. "
                                     f"Received: {is_self_adjoint}.")
                is_self_adjoint = True
            if is_square is False:
                raise ValueError(f"A [[nested] block] circulant operator is always square. "
                                 f"Expected argument `is_square` to be True. "
                                 f"Received: {is_square}.")
            super().__init__(dtype=_dt.as_dtype(input_output_dtype),
                             is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=True,
                             parameters=parameters, name=name)

    def _check_spectrum_and_return_tensor(self, spectrum):
        spectrum = lou.convert_nonref_to_tensor(spectrum, name="spectrum")
        if spectrum.shape.rank is not None and spectrum.shape.rank < self.block_depth:
            raise ValueError(f"Argument `spectrum` must have at least {self.block_depth} "
                             f"dimensions. Received: {spectrum}.")
        return spectrum

    block_depth = property(lambda self: self._block_depth)
    spectrum = property(lambda self: self._spectrum)

    @property
    def block_shape(self):
        return self.spectrum.shape[-self.block_depth:]

    def block_shape_tensor(self):
        return self._block_shape_tensor()

    def _block_shape_tensor(self, spectrum_shape=None):
        if self.block_shape.is_fully_defined():
            return lou.shape_tensor(self.block_shape.as_list(), name="block_shape")
        spectrum_shape = array_ops.shape(self.spectrum) if spectrum_shape is None \
            else spectrum_shape
        return spectrum_shape[-self.block_depth:]

    def _derived(self, spectrum, **kwargs):
        cls = self._VARIANT or _BaseLinearOperatorCirculant
        if cls is _BaseLinearOperatorCirculant:
            kwargs["block_depth"] = self.block_depth
        return cls(spectrum=spectrum, is_square=True, **kwargs)

    def _linop_adjoint(self):
        spectrum = self.spectrum
        if spectrum.dtype.is_complex:
            spectrum = complex_ops.conj(spectrum)
        # As TF: the adjoint keeps the default input_output_dtype (complex64).
        return self._derived(spectrum, is_non_singular=self.is_non_singular,
                             is_self_adjoint=self.is_self_adjoint,
                             is_positive_definite=self.is_positive_definite)

    def _linop_inverse(self):
        return self._derived(1.0 / self.spectrum, is_non_singular=self.is_non_singular,
                             is_self_adjoint=self.is_self_adjoint,
                             is_positive_definite=self.is_positive_definite,
                             input_output_dtype=self.dtype)

    def _combined(self, left, right, spectrum):
        return self._derived(
            spectrum, is_non_singular=lou.combined_non_singular_hint(left, right),
            is_self_adjoint=lou.combined_commuting_self_adjoint_hint(left, right),
            is_positive_definite=lou.combined_commuting_positive_definite_hint(left, right))

    def _linop_matmul(self, left_operator, right_operator):
        cls = self._VARIANT or _BaseLinearOperatorCirculant
        if not isinstance(right_operator, cls) or \
                not isinstance(left_operator, type(right_operator)):
            return super()._linop_matmul(left_operator, right_operator)
        return self._combined(left_operator, right_operator,
                              left_operator.spectrum * right_operator.spectrum)

    def _linop_solve(self, left_operator, right_operator):
        cls = self._VARIANT or _BaseLinearOperatorCirculant
        if not isinstance(right_operator, cls) or (
                cls is _BaseLinearOperatorCirculant and
                not isinstance(left_operator, type(right_operator))):
            return super()._linop_solve(left_operator, right_operator)
        return self._combined(left_operator, right_operator,
                              right_operator.spectrum / left_operator.spectrum)

    # -- reshaping between [..., N, R] matrices and [R, ..., N0, N1, N2] block vectors ----------
    def _vectorize_then_blockify(self, matrix):
        vec = lou.rotate_transpose(matrix, shift=1)
        if vec.shape.is_fully_defined() and self.block_shape.is_fully_defined():
            final_shape = vec.shape[:-1].concatenate(self.block_shape).as_list()
        else:
            final_shape = concat_split_ops.concat(
                (array_ops.shape(vec)[:-1], self.block_shape_tensor()), 0)
        return array_ops.reshape(vec, final_shape)

    def _unblockify(self, x):
        depth = self.block_depth
        if x.shape.is_fully_defined():
            dims = x.shape.as_list()
            flat_shape = dims[:-depth] + [int(np.prod(dims[-depth:]))]
        else:
            x_shape = array_ops.shape(x)
            flat_shape = concat_split_ops.concat(
                (x_shape[:-depth], [reduction_ops.reduce_prod(x_shape[-depth:])]), 0)
        return array_ops.reshape(x, flat_shape)

    def _unblockify_then_matricize(self, vec):
        return lou.rotate_transpose(self._unblockify(vec), shift=-1)

    def _fft(self, x):
        return _FFT_OP[self.block_depth](_to_complex(x))

    def _ifft(self, x):
        return _IFFT_OP[self.block_depth](_to_complex(x))

    def convolution_kernel(self, name="convolution_kernel"):
        """The kernel h with ``A x = h (*) x`` (circular convolution): ifft(spectrum)."""
        with self._name_scope(name):
            return math_ops.cast(self._ifft(_to_complex(self.spectrum)), self.dtype)

    def _shape(self):
        s_shape = self._spectrum.shape
        trailing = s_shape[-self.block_depth:]
        n = int(np.prod(trailing.as_list())) if trailing.is_fully_defined() else None
        return s_shape[:-self.block_depth].concatenate([n, n])

    def _shape_tensor(self, spectrum=None):
        spectrum = self.spectrum if spectrum is None else spectrum
        s_shape = array_ops.shape(spectrum)
        n = reduction_ops.reduce_prod(s_shape[-self.block_depth:])
        return concat_split_ops.concat((s_shape[:-self.block_depth],
                                        concat_split_ops.stack([n, n])), 0)

    def assert_hermitian_spectrum(self, name="assert_hermitian_spectrum"):
        """An op failing the run unless the convolution kernel is real (up to eps * N)."""
        eps = np.finfo(self.dtype.real_dtype.as_numpy_dtype).eps
        with self._name_scope(name):
            max_err = eps * math_ops.cast(self.domain_dimension_tensor(), self.dtype.real_dtype)
            imag_kernel = complex_ops.imag(self.convolution_kernel())
            return logging_ops.assert_less(unary_ops.abs(imag_kernel), max_err,
                                           message="Spectrum was not Hermitian")

    def _assert_non_singular(self):
        return lou.assert_no_entries_with_modulus_zero(
            self.spectrum, message="Singular operator:  Spectrum contained zero values.")

    def _assert_positive_definite(self):
        return logging_ops.assert_positive(
            complex_ops.real(self.spectrum),
            message="Not positive definite:  Real part of spectrum was not all positive.")

    def _assert_self_adjoint(self):
        return lou.assert_zero_imag_part(
            self.spectrum,
            message="Not self-adjoint:  The spectrum contained non-zero imaginary part.")

    def _broadcast_batch_dims(self, x, spectrum):
        """x and spectrum with their batch dimensions broadcast against each other."""
        spectrum = convert_to_tensor(spectrum, name="spectrum")
        batch_shape = self._batch_shape_tensor(shape=self._shape_tensor(spectrum=spectrum))
        spec_mat = array_ops.reshape(spectrum,
                                     concat_split_ops.concat((batch_shape, [-1, 1]), axis=0))
        x, spec_mat = lou.broadcast_matrix_batch_dims((x, spec_mat))
        spectrum = array_ops.reshape(spec_mat, concat_split_ops.concat(
            (array_ops.shape(x)[:-2],
             self._block_shape_tensor(spectrum_shape=array_ops.shape(spectrum))), axis=0))
        return x, spectrum

    def _cond(self):
        abs_sv = unary_ops.abs(self._unblockify(self.spectrum))
        return reduction_ops.reduce_max(abs_sv, axis=-1) / reduction_ops.reduce_min(abs_sv,
                                                                                    axis=-1)

    def _eigvals(self):
        return convert_to_tensor(self._unblockify(self.spectrum))

    def _apply(self, x, adjoint, fn, cast_x):
        spectrum = _to_complex(self.spectrum)
        if adjoint:
            spectrum = complex_ops.conj(spectrum)
        if cast_x:
            x = math_ops.cast(x, spectrum.dtype)
        x, spectrum = self._broadcast_batch_dims(x, spectrum)
        x_vb = self._vectorize_then_blockify(x)
        y = self._unblockify_then_matricize(self._ifft(fn(spectrum, self._fft(x_vb))))
        return math_ops.cast(y, self.dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = lou.adjoint(x) if adjoint_arg else x
        return self._apply(x, adjoint, lambda s, fx: s * fx, cast_x=True)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        """As TF: unlike matmul, rhs is not cast to the spectrum's dtype, so a complex128
        spectrum with the default complex64 dtype is refused (TF's truediv TypeError) instead
        of being solved quietly at another precision."""
        rhs = lou.adjoint(rhs) if adjoint_arg else rhs
        return self._apply(rhs, adjoint, _divide_same_dtype, cast_x=False)

    def _determinant(self):
        axis = [-(i + 1) for i in range(self.block_depth)]
        return math_ops.cast(reduction_ops.reduce_prod(self.spectrum, axis=axis), self.dtype)

    def _log_abs_determinant(self):
        axis = [-(i + 1) for i in range(self.block_depth)]
        lad = reduction_ops.reduce_sum(unary_ops.log(unary_ops.abs(self.spectrum)), axis=axis)
        return math_ops.cast(lad, self.dtype)

    def _diag_part(self):
        if self.shape.is_fully_defined():
            diag_shape = self.shape[:-1].as_list()
            diag_size = self.domain_dimension.value
        else:
            diag_shape = self.shape_tensor()[:-1]
            diag_size = self.domain_dimension_tensor()
        ones_diag = array_ops.ones(diag_shape, dtype=self.dtype)
        diag_value = self.trace() / math_ops.cast(diag_size, self.dtype)
        return diag_value[..., None] * ones_diag

    def _trace(self):
        if self.spectrum.shape.is_fully_defined():
            rank = self.spectrum.shape.rank
            axis = np.arange(rank - self.block_depth, rank, dtype=np.int32)
        else:
            rank = array_ops.rank(self.spectrum)
            axis = array_ops.range_(rank - self.block_depth, rank)
        re_d_value = reduction_ops.reduce_sum(complex_ops.real(self.spectrum), axis=axis)
        if not self.dtype.is_complex:
            return math_ops.cast(re_d_value, self.dtype)
        if self.is_self_adjoint:
            im_d_value = array_ops.zeros_like(re_d_value)
        else:
            im_d_value = reduction_ops.reduce_sum(complex_ops.imag(self.spectrum), axis=axis)
        return math_ops.cast(complex_ops.complex(re_d_value, im_d_value), self.dtype)


class _CirculantVariant(_BaseLinearOperatorCirculant):
    """The public classes: a fixed block depth; derived operators keep the class."""

    _DEPTH = 1

    def __init__(self, spectrum, input_output_dtype=_dt.complex64, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=True, name=None):
        name = name or type(self).__name__
        parameters = dict(spectrum=spectrum, input_output_dtype=input_output_dtype,
                          is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        super().__init__(spectrum, block_depth=self._DEPTH,
                         input_output_dtype=input_output_dtype, is_non_singular=is_non_singular,
                         is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square,
                         parameters=parameters, name=name)

    @property
    def _VARIANT(self):  # noqa: N802 - read as a class constant by the base class
        return type(self)


class LinearOperatorCirculant(_CirculantVariant):
    """A [batch] circulant matrix (each row the previous one rotated right) from its spectrum
    ``[B, N]`` (the DFT of its first column); ``input_output_dtype`` is the dtype of the
    arguments and results (complex64 by default, real for a Hermitian spectrum)."""

    _DEPTH = 1


class LinearOperatorCirculant2D(_CirculantVariant):
    """A [batch] block circulant matrix with circulant blocks, from its spectrum
    ``[B, N0, N1]`` (2-D DFT); acts on vectors of size N0 * N1."""

    _DEPTH = 2


class LinearOperatorCirculant3D(_CirculantVariant):
    """A [batch] doubly nested block circulant matrix, from its spectrum ``[B, N0, N1, N2]``
    (3-D DFT); acts on vectors of size N0 * N1 * N2."""

    _DEPTH = 3


class LinearOperatorToeplitz(LinearOperator):
    """A [batch] Toeplitz matrix (constant diagonals) from its first column and first row
    (``row[0]`` is ignored, ``col[0]`` is the diagonal); matmul embeds it in a circulant of
    size 2N and uses the FFT."""

    def __init__(self, col, row, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorToeplitz"):
        parameters = dict(col=col, row=row, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        with name_scope(name, values=[row, col]):
            self._row = lou.convert_nonref_to_tensor(row, name="row")
            self._col = lou.convert_nonref_to_tensor(col, name="col")
            self._check_row_col(self._row, self._col)
            if is_square is False:
                raise ValueError("Only square Toeplitz operators currently supported.")
            super().__init__(dtype=self._row.dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=True,
                             parameters=parameters, name=name)

    @staticmethod
    def _check_row_col(row, col):
        for name, tensor in (("row", row), ("col", col)):
            if tensor.shape.rank is not None and tensor.shape.rank < 1:
                raise ValueError(f"Argument {name} must have at least 1 dimension.  "
                                 f"Found: {tensor}")
        if row.shape[-1].value is not None and col.shape[-1].value is not None and \
                row.shape[-1] != col.shape[-1]:
            raise ValueError("Expected square matrix, got row and col with mismatched "
                             "dimensions.")

    col = property(lambda self: self._col)
    row = property(lambda self: self._row)

    def _shape(self):
        v_shape = broadcast_static_shape(self.row.shape, self.col.shape)
        return v_shape.concatenate(v_shape[-1:])

    def _shape_tensor(self, row=None, col=None):
        row = self.row if row is None else row
        col = self.col if col is None else col
        v_shape = broadcast_dynamic_shape(array_ops.shape(row), array_ops.shape(col))
        return concat_split_ops.concat((v_shape, [v_shape[-1]]), 0)

    def _assert_self_adjoint(self):
        return logging_ops.assert_equal(
            self.row, self.col,
            message="row and col are not the same, and so this operator is not self-adjoint.")

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = lou.adjoint(x) if adjoint_arg else x
        expanded_x = concat_split_ops.concat([x, array_ops.zeros_like(x)], axis=-2)
        col, row = convert_to_tensor(self.col), convert_to_tensor(self.row)
        circulant_col = concat_split_ops.concat(
            [col, array_ops.zeros_like(col[..., 0:1]), reverse(row[..., 1:], axis=[-1])],
            axis=-1)
        circulant = LinearOperatorCirculant(fft_ops.fft(_to_toeplitz_complex(circulant_col)),
                                            input_output_dtype=row.dtype)
        result = circulant.matmul(expanded_x, adjoint=adjoint, adjoint_arg=False)
        shape = self._shape_tensor(row=row, col=col)
        n = self._domain_dimension_tensor(shape=shape)
        return math_ops.cast(result[..., :n, :], self.dtype)

    def _trace(self):
        return math_ops.cast(self.domain_dimension_tensor(), dtype=self.dtype) * \
            self.col[..., 0]

    def _diag_part(self):
        diag_entry = self.col[..., 0:1]
        return diag_entry * array_ops.ones(
            concat_split_ops.stack([self.domain_dimension_tensor()]), self.dtype)

    def _to_dense(self):
        row, col = convert_to_tensor(self.row), convert_to_tensor(self.col)
        total_shape = broadcast_dynamic_shape(array_ops.shape(row), array_ops.shape(col))
        n = array_ops.shape(row)[-1]
        row = transform_ops.broadcast_to(row, total_shape)
        col = transform_ops.broadcast_to(col, total_shape)
        elements = concat_split_ops.concat([reverse(col, axis=[-1]), row[..., 1:]], axis=-1)
        indices = math_ops.floormod(
            array_ops.range_(0, n) + array_ops.range_(n - 1, -1, -1)[..., None], 2 * n - 1)
        return gather_ops.gather(elements, indices, axis=-1)


def _to_toeplitz_complex(x):
    """TF's Toeplitz _to_complex: complex128 for float64/complex128 input, else complex64."""
    dtype = _dt.complex128 if x.dtype in (_dt.float64, _dt.complex128) else _dt.complex64
    return math_ops.cast(x, dtype)
