"""``tf.contrib.factorization.WALSModel`` (TF 1.15's factorization_ops.py): weighted
alternating least squares matrix factorization, A ~ U V^T.

It minimizes ``|sqrt(W) * (A - U V^T)|_F^2 + lambda (|U|_F^2 + |V|_F^2)`` where
``W_ij = w0 + R_i C_j`` for an observed entry and ``w0`` (``unobserved_weight``) otherwise;
``row_weights`` / ``col_weights`` of None make every weight w0 (plain ALS). A row update
solves, for each row i given, ``(w0 V^T V + lambda I + sum_j R_i C_j v_j v_j^T) u_i =
sum_j a_ij (w0 + R_i C_j) v_j`` over its observed entries: V^T V is the Gramian of the other
side (prepared by ``row_update_prep_gramian_op``), the sums come from
WALSComputePartialLhsAndRhs. The variables are TF's: "row_factors_shard_<i>",
"col_factors_shard_<i>", "row_gramian", "col_gramian", "row_weights_shard_<i>",
"col_weights_shard_<i>" and the local caches; factors shard rows as TF does (the first
``rows % shards`` shards get one more row, looked up with partition_strategy "div").

The updates return TF's five values: (new factors, update op, the unregularized loss and the
regularization of the rows given, each scaled by ``total rows / rows given``, and the sum of
the weights scaled the same way).
"""

from __future__ import annotations

import collections.abc
import numbers

import minitf as tf

from ..ops.wals_ops import masked_matmul, wals_compute_partial_lhs_and_rhs

__all__ = ["WALSModel"]


class WALSModel:
    """A model for Weighted Alternating Least Squares matrix factorization (TF 1.15's).

    Run ``initialize_op`` once, ``worker_init`` once per worker; then for each sweep over
    rows (columns): ``row_update_prep_gramian_op``, ``initialize_row_update_op``, and the
    update op of ``update_row_factors(sp_input)`` for each slice of the input.
    """

    def __init__(self, input_rows, input_cols, n_components, unobserved_weight=0.1,
                 regularization=None, row_init="random", col_init="random", num_row_shards=1,
                 num_col_shards=1, row_weights=1, col_weights=1, use_factors_weights_cache=True,
                 use_gramian_cache=True, use_scoped_vars=False):
        if (row_weights is None) != (col_weights is None):
            raise ValueError("row_weights and col_weights must both be None (plain ALS) or "
                             f"both be set; got row_weights={row_weights!r}, "
                             f"col_weights={col_weights!r}")
        self._input_rows = input_rows
        self._input_cols = input_cols
        self._num_row_shards = num_row_shards
        self._num_col_shards = num_col_shards
        self._n_components = n_components
        self._unobserved_weight = unobserved_weight
        self._regularization = regularization
        self._regularization_matrix = (regularization * tf.eye(self._n_components)
                                       if regularization is not None else None)
        self._use_factors_weights_cache = use_factors_weights_cache
        self._use_gramian_cache = use_gramian_cache
        self._use_scoped_vars = use_scoped_vars

        def scoped(name, build):
            if not use_scoped_vars:
                return build()
            with tf.name_scope(name):
                return build()

        self._row_weights = scoped("row_weights", lambda: WALSModel._create_weights(
            row_weights, self._input_rows, self._num_row_shards, "row_weights"))
        self._col_weights = scoped("col_weights", lambda: WALSModel._create_weights(
            col_weights, self._input_cols, self._num_col_shards, "col_weights"))
        self._row_factors = scoped("row_factors", lambda: self._create_factors(
            self._input_rows, self._n_components, self._num_row_shards, row_init,
            "row_factors"))
        self._col_factors = scoped("col_factors", lambda: self._create_factors(
            self._input_cols, self._n_components, self._num_col_shards, col_init,
            "col_factors"))
        self._row_gramian = self._create_gramian(self._n_components, "row_gramian")
        self._col_gramian = self._create_gramian(self._n_components, "col_gramian")
        with tf.name_scope("row_prepare_gramian"):
            self._row_update_prep_gramian = self._prepare_gramian(self._col_factors,
                                                                  self._col_gramian)
        with tf.name_scope("col_prepare_gramian"):
            self._col_update_prep_gramian = self._prepare_gramian(self._row_factors,
                                                                  self._row_gramian)
        with tf.name_scope("transient_vars"):
            self._create_transient_vars()

    row_factors = property(lambda self: self._row_factors,
                           doc="The row factor shards (Variables).")
    col_factors = property(lambda self: self._col_factors,
                           doc="The column factor shards (Variables).")
    row_weights = property(lambda self: self._row_weights,
                           doc="The row weight shards (Variables), or None.")
    col_weights = property(lambda self: self._col_weights,
                           doc="The column weight shards (Variables), or None.")

    @property
    def initialize_op(self):
        """Initializes the factors, Gramians and weights."""
        all_vars = self._row_factors + self._col_factors
        all_vars.extend([self._row_gramian, self._col_gramian])
        if self._row_weights is not None:
            all_vars.extend(self._row_weights + self._col_weights)
        return tf.variables_initializer(all_vars)

    @classmethod
    def _shard_sizes(cls, dims, num_shards):
        """``dims`` split into ``num_shards``, the first ``dims % num_shards`` one larger."""
        shard_size, residual = divmod(dims, num_shards)
        return [shard_size + 1] * residual + [shard_size] * (num_shards - residual)

    @classmethod
    def _create_factors(cls, rows, cols, num_shards, init, name):
        """Factor shards "<name>_shard_<i>": standard normal ("random") or the given
        value(s) (one per shard; a single value for a single shard)."""
        if callable(init):
            init = init()
        is_random = isinstance(init, str) and init == "random"
        if isinstance(init, list):
            if len(init) != num_shards:
                raise ValueError(f"{name}: {len(init)} initial values for {num_shards} shards")
        elif isinstance(init, str) and not is_random:
            raise ValueError(f"{name}: unsupported initializer {init!r} (\"random\", a tensor, "
                             "an array or a list of them, one per shard)")
        elif not is_random:
            if num_shards != 1:
                raise ValueError(f"{name}: one initial value for {num_shards} shards; give a "
                                 "list with one per shard")
            init = [init]
        sizes = cls._shard_sizes(rows, num_shards)

        def make_initializer(i, size):
            def initializer():
                return tf.random_normal([size, cols]) if is_random else init[i]
            return initializer

        return [tf.Variable(make_initializer(i, size), dtype=tf.float32,
                            name=f"{name}_shard_{i}")
                for i, size in enumerate(sizes)]

    @classmethod
    def _create_weights(cls, wt_init, num_wts, num_shards, name):
        """Weight shards "<name>_shard_<i>" from a non-negative number (every weight) or a
        list of per-shard lists; None gives None."""
        if wt_init is None:
            return None
        init_mode = "list"
        if isinstance(wt_init, collections.abc.Iterable):
            if num_shards == 1 and len(wt_init) == num_wts:
                wt_init = [wt_init]
            if len(wt_init) != num_shards:
                raise ValueError(f"{name}: {len(wt_init)} weight lists for {num_shards} shards")
        elif isinstance(wt_init, numbers.Real) and wt_init >= 0:
            init_mode = "scalar"
        else:
            raise ValueError("Invalid weight initialization argument. Must be one of these: "
                             "None, a real non-negative real number, or a list of lists of "
                             "non-negative real numbers (or equivalent iterables) corresponding "
                             f"to sharded factors; {name} is {wt_init!r}.")
        sizes = cls._shard_sizes(num_wts, num_shards)

        def make_wt_initializer(i, size):
            def initializer():
                if init_mode == "scalar":
                    return wt_init * tf.ones([size])
                return wt_init[i]
            return initializer

        return [tf.Variable(make_wt_initializer(i, size), dtype=tf.float32,
                            name=f"{name}_shard_{i}")
                for i, size in enumerate(sizes)]

    @staticmethod
    def _create_gramian(n_components, name):
        return tf.Variable(tf.zeros([n_components, n_components]), dtype=tf.float32,
                           name=name)

    @staticmethod
    def _transient_var(name):
        """A local, untrained cache variable of any shape (1.0 until filled)."""
        return tf.Variable(1.0, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES],
                           validate_shape=False, name=name)

    def _prepare_gramian(self, factors, gramian):
        """gramian := sum over shards of F^T F."""
        partial_gramians = [tf.matmul(f, f, transpose_a=True) for f in factors]
        return tf.assign(gramian, tf.add_n(partial_gramians)).op

    def _cached_copy(self, var, name, pass_through=False):
        """(cache, init op, reset op): a local copy of a Variable or of each shard of a list
        (copied one shard after another), or ``var`` itself with ``pass_through``."""
        if var is None:
            return None, None, None
        if pass_through:
            return var, tf.no_op(), tf.no_op()
        if isinstance(var, tf.Variable):
            cache = WALSModel._transient_var(name=name)
            return (cache, tf.assign(cache, var, validate_shape=False),
                    tf.assign(cache, 1.0, validate_shape=False))
        cache = [WALSModel._transient_var(name=f"{name}_shard_{i}") for i in range(len(var))]
        reset_ops, cache_init = [], None
        for i, c in enumerate(cache):
            if cache_init is None:
                cache_init = tf.assign(c, var[i], validate_shape=False)
            else:
                with tf.control_dependencies([cache_init]):
                    cache_init = tf.assign(c, var[i], validate_shape=False)
            reset_ops.append(tf.assign(c, 1.0, validate_shape=False))
        return cache, cache_init, tf.group(*reset_ops)

    def _create_transient_vars(self):
        """Caches of the other side's factors, weights and Gramian for each sweep."""
        no_cache = not self._use_factors_weights_cache
        (self._row_factors_cache, row_factors_cache_init,
         row_factors_cache_reset) = self._cached_copy(self._row_factors, "row_factors_cache",
                                                      pass_through=no_cache)
        (self._col_factors_cache, col_factors_cache_init,
         col_factors_cache_reset) = self._cached_copy(self._col_factors, "col_factors_cache",
                                                      pass_through=no_cache)
        self._row_wt_cache, row_wt_cache_init, _ = self._cached_copy(
            self._row_weights, "row_wt_cache", pass_through=no_cache)
        self._col_wt_cache, col_wt_cache_init, _ = self._cached_copy(
            self._col_weights, "col_wt_cache", pass_through=no_cache)
        no_gramian_cache = not self._use_gramian_cache
        (self._row_gramian_cache, row_gramian_cache_init,
         row_gramian_cache_reset) = self._cached_copy(self._row_gramian, "row_gramian_cache",
                                                      pass_through=no_gramian_cache)
        (self._col_gramian_cache, col_gramian_cache_init,
         col_gramian_cache_reset) = self._cached_copy(self._col_gramian, "col_gramian_cache",
                                                      pass_through=no_gramian_cache)
        self._row_updates_init = tf.group(col_factors_cache_init, row_factors_cache_reset,
                                          col_gramian_cache_init, row_gramian_cache_reset)
        self._col_updates_init = tf.group(row_factors_cache_init, col_factors_cache_reset,
                                          row_gramian_cache_init, col_gramian_cache_reset)
        if self._row_wt_cache is not None:
            self._worker_init = tf.group(row_wt_cache_init, col_wt_cache_init,
                                         name="worker_init")
        else:
            self._worker_init = tf.no_op(name="worker_init")

    worker_init = property(lambda self: self._worker_init,
                           doc="Fills the weight caches; run once per worker first.")
    row_update_prep_gramian_op = property(lambda self: self._row_update_prep_gramian,
                                          doc="col_gramian := V^T V; run before a row sweep.")
    col_update_prep_gramian_op = property(lambda self: self._col_update_prep_gramian,
                                          doc="row_gramian := U^T U; run before a col sweep.")
    initialize_row_update_op = property(lambda self: self._row_updates_init,
                                        doc="Fills the caches a row sweep reads.")
    initialize_col_update_op = property(lambda self: self._col_updates_init,
                                        doc="Fills the caches a column sweep reads.")

    @staticmethod
    def _get_sharding_func(size, num_shards):
        """ids -> (shard of each id, its index within the shard), "div" sharding."""
        def func(ids):
            if num_shards == 1:
                return None, ids
            ids_per_shard = size // num_shards
            extras = size % num_shards
            assignments = tf.maximum(ids // (ids_per_shard + 1),
                                     (ids - extras) // ids_per_shard)
            new_ids = tf.where(assignments < extras, ids % (ids_per_shard + 1),
                               (ids - extras) % ids_per_shard)
            return assignments, new_ids
        return func

    @classmethod
    def scatter_update(cls, factor, indices, values, sharding_func, name=None):
        """Writes ``values`` to the rows ``indices`` of the sharded ``factor``."""
        assert isinstance(factor, list)
        if len(factor) == 1:
            return tf.scatter_update(factor[0], indices, values, name=name).op
        num_shards = len(factor)
        assignments, new_ids = sharding_func(indices)
        assignments = tf.cast(assignments, tf.int32)
        sharded_ids = tf.dynamic_partition(new_ids, assignments, num_shards)
        sharded_values = tf.dynamic_partition(values, assignments, num_shards)
        updates = [tf.scatter_update(factor[i], sharded_ids[i], sharded_values[i])
                   for i in range(num_shards)]
        return tf.group(*updates, name=name)

    def update_row_factors(self, sp_input=None, transpose_input=False):
        """Solves for the rows of ``sp_input`` (a SparseTensor of some rows of the input, in
        the input's indexing; logically transposed with ``transpose_input``). Returns
        (new_values, update_op, unregularized_loss, regularization, sum_weights)."""
        return self._process_input_helper(True, sp_input=sp_input,
                                          transpose_input=transpose_input)

    def update_col_factors(self, sp_input=None, transpose_input=False):
        """``update_row_factors`` for columns: ``sp_input`` holds some columns (or, with
        ``transpose_input``, rows of the transposed input)."""
        return self._process_input_helper(False, sp_input=sp_input,
                                          transpose_input=transpose_input)

    def project_row_factors(self, sp_input=None, transpose_input=False,
                            projection_weights=None):
        """The row factors solved for new rows (their row indices ignored) from the current
        column factors, with ``projection_weights`` (default 1) as their row weights."""
        if projection_weights is None:
            projection_weights = 1
        return self._process_input_helper(True, sp_input=sp_input,
                                          transpose_input=transpose_input,
                                          row_weights=projection_weights)[0]

    def project_col_factors(self, sp_input=None, transpose_input=False,
                            projection_weights=None):
        """``project_row_factors`` for columns."""
        if projection_weights is None:
            projection_weights = 1
        return self._process_input_helper(False, sp_input=sp_input,
                                          transpose_input=transpose_input,
                                          row_weights=projection_weights)[0]

    def _process_input_helper(self, update_row_factors, sp_input=None, transpose_input=False,
                              row_weights=None):
        if not isinstance(sp_input, tf.SparseTensor):
            raise TypeError(f"sp_input must be a SparseTensor, got {type(sp_input).__name__}")
        if update_row_factors:
            left, right_factors = self._row_factors, self._col_factors_cache
            row_wt, col_wt = self._row_wt_cache, self._col_wt_cache
            total_rows, total_cols = self._input_rows, self._input_cols
            sharding_func = WALSModel._get_sharding_func(self._input_rows,
                                                         self._num_row_shards)
            gramian = self._col_gramian_cache
        else:
            left, right_factors = self._col_factors, self._row_factors_cache
            row_wt, col_wt = self._col_wt_cache, self._row_wt_cache
            total_rows, total_cols = self._input_cols, self._input_rows
            sharding_func = WALSModel._get_sharding_func(self._input_cols,
                                                         self._num_col_shards)
            gramian = self._row_gramian_cache
            transpose_input = not transpose_input

        # Renumber the rows and columns present 0.. in order of appearance, so the kernel sees
        # a block dense along the rows solved for.
        row_ids, col_ids = tf.split(sp_input.indices, num_or_size_splits=2, axis=1)
        update_row_indices, all_row_ids = tf.unique(row_ids[:, 0])
        update_col_indices, all_col_ids = tf.unique(col_ids[:, 0])
        col_ids = tf.expand_dims(tf.cast(all_col_ids, tf.int64), 1)
        row_ids = tf.expand_dims(tf.cast(all_row_ids, tf.int64), 1)
        if transpose_input:
            update_indices, gather_indices = update_col_indices, update_row_indices
            row_shape = [tf.cast(tf.shape(update_row_indices)[0], tf.int64)]
        else:
            update_indices, gather_indices = update_row_indices, update_col_indices
            row_shape = [tf.cast(tf.shape(update_col_indices)[0], tf.int64)]
        num_rows = tf.cast(tf.shape(update_indices)[0], tf.int64)
        col_shape = [num_rows]
        right = tf.nn.embedding_lookup(right_factors, gather_indices, partition_strategy="div")
        new_sp_indices = tf.concat([row_ids, col_ids], 1)
        new_sp_shape = (tf.concat([row_shape, col_shape], 0) if transpose_input
                        else tf.concat([col_shape, row_shape], 0))
        new_sp_input = tf.SparseTensor(indices=new_sp_indices, values=sp_input.values,
                                       dense_shape=new_sp_shape)

        # The normal equations: w0 G (+ lambda I), plus the observed entries' terms.
        total_lhs = self._unobserved_weight * gramian
        if self._regularization_matrix is not None:
            total_lhs += self._regularization_matrix
        if self._row_weights is None:  # plain ALS: one matrix for every row
            total_rhs = self._unobserved_weight * tf.sparse_tensor_dense_matmul(
                new_sp_input, right, adjoint_a=transpose_input)
            new_left_values = tf.transpose(tf.matrix_solve(total_lhs,
                                                           tf.transpose(total_rhs)))
        else:
            if row_weights is None:
                row_weights_slice = tf.nn.embedding_lookup(row_wt, update_indices,
                                                           partition_strategy="div")
            else:
                num_indices = tf.shape(update_indices)[0]
                with tf.control_dependencies([tf.assert_less_equal(tf.rank(row_weights), 1)]):
                    row_weights_slice = tf.cond(
                        tf.equal(tf.rank(row_weights), 0),
                        lambda: tf.ones([num_indices]) * row_weights,
                        lambda: tf.cast(row_weights, tf.float32))
            col_weights = tf.nn.embedding_lookup(col_wt, gather_indices,
                                                 partition_strategy="div")
            partial_lhs, total_rhs = wals_compute_partial_lhs_and_rhs(
                right, col_weights, self._unobserved_weight, row_weights_slice,
                new_sp_input.indices, new_sp_input.values, [], num_rows, transpose_input,
                name="wals_compute_partial_lhs_rhs")
            total_lhs = tf.expand_dims(total_lhs, 0) + partial_lhs
            total_rhs = tf.expand_dims(total_rhs, -1)
            new_left_values = tf.squeeze(tf.matrix_solve(total_lhs, total_rhs), [2])

        update_op_name = "row_update" if update_row_factors else "col_update"
        update_op = self.scatter_update(left, update_indices, new_left_values, sharding_func,
                                        name=update_op_name)

        # The loss, from the observed entries and the Gramians:
        # w0 (sum_obs r^2 - sum_obs (uv)^2 + tr(U^T U G)) + sum_obs R C r^2, r = a - uv.
        loss_sp_input = (tf.sparse_transpose(new_sp_input) if transpose_input
                         else new_sp_input)
        sp_approx_vals = masked_matmul(new_left_values, right, loss_sp_input.indices,
                                       transpose_a=False, transpose_b=True)
        sp_approx = tf.SparseTensor(loss_sp_input.indices, sp_approx_vals,
                                    loss_sp_input.dense_shape)
        sp_approx_sq = tf.square(sp_approx)
        sp_residual = tf.sparse_add(loss_sp_input, sp_approx * (-1))
        sp_residual_sq = tf.square(sp_residual)
        row_wt_mat = (tf.constant(0.) if self._row_weights is None
                      else tf.expand_dims(row_weights_slice, 1))
        col_wt_mat = (tf.constant(0.) if self._col_weights is None
                      else tf.expand_dims(col_weights, 0))
        partial_row_gramian = tf.matmul(new_left_values, new_left_values, transpose_a=True)
        normalization_factor = total_rows / tf.cast(num_rows, tf.float32)
        # (TF writes row_wt_mat * (...): minitf's dense * sparse is spelled sparse * dense)
        unregularized_loss = (
            self._unobserved_weight * (
                tf.sparse_reduce_sum(sp_residual_sq) - tf.sparse_reduce_sum(sp_approx_sq)
                + tf.trace(tf.matmul(partial_row_gramian, gramian)))
            + tf.sparse_reduce_sum((sp_residual_sq * col_wt_mat) * row_wt_mat)
        ) * normalization_factor
        if self._regularization is not None:
            regularization = self._regularization * (
                tf.trace(partial_row_gramian) * normalization_factor + tf.trace(gramian))
        else:
            regularization = tf.constant(0.)
        sum_weights = self._unobserved_weight * tf.cast(total_rows * total_cols, tf.float32)
        if self._row_weights is not None and self._col_weights is not None:
            ones = tf.SparseTensor(indices=loss_sp_input.indices,
                                   values=tf.ones(tf.shape(loss_sp_input.values)),
                                   dense_shape=loss_sp_input.dense_shape)
            sum_weights += tf.sparse_reduce_sum(
                (ones * col_wt_mat) * row_wt_mat) * normalization_factor
        return new_left_values, update_op, unregularized_loss, regularization, sum_weights
