"""``tf.contrib.image``'s warps and components (TF 1.15), composed from ops as TF composed
them: ``interpolate_bilinear`` (TF's private ``_interpolate_bilinear``, the grid sampler under
``dense_image_warp``: corners clamped into the grid, weights clamped to [0, 1]),
``dense_image_warp`` (pixel (y, x) reads the image at (y, x) - flow), ``interpolate_spline``
(polyharmonic spline fit by one linear solve per batch), ``sparse_image_warp`` (a spline of
control-point flows made dense, then ``dense_image_warp``) and ``connected_components``
(ImageConnectedComponents, then ids renumbered 1, 2, ... in order of first appearance).
"""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..ops.image_transform_ops import IMAGE_CONNECTED_COMPONENTS

__all__ = ["connected_components", "dense_image_warp", "interpolate_bilinear",
           "interpolate_spline", "sparse_image_warp"]

EPSILON = 0.0000000001


def interpolate_bilinear(grid, query_points, name="interpolate_bilinear", indexing="ij"):
    """TF's _interpolate_bilinear: values [batch, N, channels] of a 4-D grid at query points
    [batch, N, 2] given as (row, column) ('ij') or (x, y) ('xy')."""
    if indexing not in ("ij", "xy"):
        raise ValueError("Indexing mode must be 'ij' or 'xy'")
    with tf.name_scope(name):
        grid = tf.convert_to_tensor(grid)
        query_points = tf.convert_to_tensor(query_points)
        if grid.shape.rank != 4:
            raise ValueError(f"Grid must be 4 dimensional. Received size: {grid.shape}")
        if query_points.shape.rank is not None and query_points.shape.rank != 3:
            raise tf.errors.InvalidArgumentError(None, None, "Query points must be 3 "
                                                 "dimensional.")
        grid_shape = tf.shape(grid)
        batch_size, height, width, channels = (grid_shape[0], grid_shape[1], grid_shape[2],
                                               grid_shape[3])
        shape = [batch_size, height, width, channels]
        query_type, grid_type = query_points.dtype, grid.dtype
        with tf.control_dependencies([
                tf.assert_equal(tf.shape(query_points)[2], 2,
                                message="Query points must be size 2 in dim 2.")]):
            num_queries = tf.shape(query_points)[1]
        with tf.control_dependencies([
                tf.assert_greater_equal(height, 2, message="Grid height must be at least 2."),
                tf.assert_greater_equal(width, 2, message="Grid width must be at least 2.")]):
            alphas, floors, ceils = [], [], []
            index_order = [0, 1] if indexing == "ij" else [1, 0]
            unstacked_query_points = tf.unstack(query_points, axis=2)
        for dim in index_order:
            with tf.name_scope("dim-" + str(dim)):
                queries = unstacked_query_points[dim]
                # TF 1.15's: in 'xy' mode this is the other axis's size (fixed only later,
                # in tensorflow_addons); kept so results match TF 1.15
                size_in_indexing_dimension = shape[dim + 1]
                # max_floor + 1 must still index the grid
                max_floor = tf.cast(size_in_indexing_dimension - 2, query_type)
                min_floor = tf.constant(0.0, dtype=query_type)
                floor = tf.minimum(tf.maximum(min_floor, tf.floor(queries)), max_floor)
                int_floor = tf.cast(floor, tf.int32)
                floors.append(int_floor)
                ceils.append(int_floor + 1)
                alpha = tf.cast(queries - floor, grid_type)
                alpha = tf.minimum(tf.maximum(tf.constant(0.0, dtype=grid_type), alpha),
                                   tf.constant(1.0, dtype=grid_type))
                alphas.append(tf.expand_dims(alpha, 2))
        with tf.control_dependencies([
                tf.assert_less_equal(
                    tf.cast(batch_size * height * width, dtype=tf.float32),
                    np.iinfo(np.int32).max / 8,
                    message="The image size or batch size is sufficiently large that the "
                            "linearized addresses used by array_ops.gather may exceed the "
                            "int32 limit.")]):
            flattened_grid = tf.reshape(grid, [batch_size * height * width, channels])
            batch_offsets = tf.reshape(tf.range(batch_size) * height * width, [batch_size, 1])

        def gather(y_coords, x_coords, name):
            with tf.name_scope("gather-" + name):
                linear_coordinates = batch_offsets + y_coords * width + x_coords
                gathered_values = tf.gather(flattened_grid, linear_coordinates)
                return tf.reshape(gathered_values, [batch_size, num_queries, channels])

        top_left = gather(floors[0], floors[1], "top_left")
        top_right = gather(floors[0], ceils[1], "top_right")
        bottom_left = gather(ceils[0], floors[1], "bottom_left")
        bottom_right = gather(ceils[0], ceils[1], "bottom_right")
        with tf.name_scope("interpolate"):
            interp_top = alphas[1] * (top_right - top_left) + top_left
            interp_bottom = alphas[1] * (bottom_right - bottom_left) + bottom_left
            return alphas[0] * (interp_bottom - interp_top) + interp_top


def dense_image_warp(image, flow, name="dense_image_warp"):
    """TF's dense_image_warp: output[b, y, x] = image[b] bilinearly sampled at
    (y, x) - flow[b, y, x]."""
    with tf.name_scope(name):
        image = tf.convert_to_tensor(image)
        flow = tf.convert_to_tensor(flow)
        image_shape = tf.shape(image)
        batch_size, height, width, channels = (image_shape[0], image_shape[1], image_shape[2],
                                               image_shape[3])
        grid_x, grid_y = tf.meshgrid(tf.range(width), tf.range(height))
        stacked_grid = tf.cast(tf.stack([grid_y, grid_x], axis=2), flow.dtype)
        batched_grid = tf.expand_dims(stacked_grid, axis=0)
        query_points_on_grid = batched_grid - flow
        query_points_flattened = tf.reshape(query_points_on_grid,
                                            [batch_size, height * width, 2])
        interpolated = interpolate_bilinear(image, query_points_flattened)
        return tf.reshape(interpolated, [batch_size, height, width, channels])


# -- splines ------------------------------------------------------------------------------------


def _cross_squared_distance_matrix(x, y):
    x_norm_squared = tf.expand_dims(tf.reduce_sum(tf.square(x), 2), 2)
    y_norm_squared = tf.expand_dims(tf.reduce_sum(tf.square(y), 2), 1)
    x_y_transpose = tf.matmul(x, y, adjoint_b=True)
    return x_norm_squared - 2 * x_y_transpose + y_norm_squared


def _pairwise_squared_distance_matrix(x):
    x_x_transpose = tf.matmul(x, x, adjoint_b=True)
    x_norm_squared_tile = tf.expand_dims(tf.matrix_diag_part(x_x_transpose), 2)
    return (x_norm_squared_tile - 2 * x_x_transpose +
            tf.transpose(x_norm_squared_tile, [0, 2, 1]))


def _phi(r, order):
    """The polyharmonic kernel of ``order`` on squared distances (TF's _phi)."""
    with tf.name_scope("phi"):
        if order == 1:
            return tf.sqrt(tf.maximum(r, EPSILON))
        if order == 2:
            return 0.5 * r * tf.log(tf.maximum(r, EPSILON))
        if order == 4:
            return 0.5 * tf.square(r) * tf.log(tf.maximum(r, EPSILON))
        r = tf.maximum(r, EPSILON)
        if order % 2 == 0:
            return 0.5 * tf.pow(r, 0.5 * order) * tf.log(r)
        return tf.pow(r, 0.5 * order)


def _solve_interpolation(train_points, train_values, order, regularization_weight):
    b, n, d = train_points.shape.as_list()
    k = train_values.shape.as_list()[2]
    c, f = train_points, train_values
    with tf.name_scope("construct_linear_system"):
        matrix_a = _phi(_pairwise_squared_distance_matrix(c), order)  # [b, n, n]
        if regularization_weight > 0:
            matrix_a += regularization_weight * tf.expand_dims(tf.eye(n, dtype=c.dtype), 0)
        ones = tf.ones_like(c[..., :1], dtype=c.dtype)
        matrix_b = tf.concat([c, ones], 2)  # [b, n, d + 1]
        left_block = tf.concat([matrix_a, tf.transpose(matrix_b, [0, 2, 1])], 1)
        num_b_cols = d + 1
        lhs_zeros = tf.zeros([b, num_b_cols, num_b_cols], train_points.dtype)
        right_block = tf.concat([matrix_b, lhs_zeros], 1)  # [b, n + d + 1, d + 1]
        lhs = tf.concat([left_block, right_block], 2)  # [b, n + d + 1, n + d + 1]
        rhs = tf.concat([f, tf.zeros([b, d + 1, k], train_points.dtype)], 1)
    with tf.name_scope("solve_linear_system"):
        w_v = tf.matrix_solve(lhs, rhs)
        return w_v[:, :n, :], w_v[:, n:, :]


def _apply_interpolation(query_points, train_points, w, v, order):
    phi_pairwise_dists = _phi(_cross_squared_distance_matrix(query_points, train_points), order)
    rbf_term = tf.matmul(phi_pairwise_dists, w)
    query_points_pad = tf.concat(
        [query_points, tf.ones_like(query_points[..., :1], train_points.dtype)], 2)
    return rbf_term + tf.matmul(query_points_pad, v)


def interpolate_spline(train_points, train_values, query_points, order,
                       regularization_weight=0.0, name="interpolate_spline"):
    """TF's interpolate_spline: a polyharmonic spline through (train_points, train_values)
    [b, n, d] / [b, n, k] evaluated at query_points [b, m, d]."""
    with tf.name_scope(name):
        train_points = tf.convert_to_tensor(train_points)
        train_values = tf.convert_to_tensor(train_values)
        query_points = tf.convert_to_tensor(query_points)
        with tf.name_scope("solve"):
            w, v = _solve_interpolation(train_points, train_values, order,
                                        regularization_weight)
        with tf.name_scope("predict"):
            return _apply_interpolation(query_points, train_points, w, v, order)


def _get_grid_locations(image_height, image_width):
    y_range = np.linspace(0, image_height - 1, image_height)
    x_range = np.linspace(0, image_width - 1, image_width)
    y_grid, x_grid = np.meshgrid(y_range, x_range, indexing="ij")
    return np.stack((y_grid, x_grid), -1)


def _expand_to_minibatch(np_array, batch_size):
    return np.tile(np.expand_dims(np_array, 0), [batch_size] + [1] * np_array.ndim)


def _get_boundary_locations(image_height, image_width, num_points_per_edge):
    y_range = np.linspace(0, image_height - 1, num_points_per_edge + 2)
    x_range = np.linspace(0, image_width - 1, num_points_per_edge + 2)
    ys, xs = np.meshgrid(y_range, x_range, indexing="ij")
    is_boundary = np.logical_or(np.logical_or(xs == 0, xs == image_width - 1),
                                np.logical_or(ys == 0, ys == image_height - 1))
    return np.stack([ys[is_boundary], xs[is_boundary]], axis=-1)


def _add_zero_flow_controls_at_boundary(locations, flows, image_height, image_width,
                                        boundary_points_per_edge):
    batch_size = locations.shape[0].value
    boundary = _get_boundary_locations(image_height, image_width, boundary_points_per_edge)
    zero_flows = np.zeros([boundary.shape[0], 2])
    dtype = locations.dtype
    boundary = tf.constant(_expand_to_minibatch(boundary, batch_size), dtype=dtype)
    zero_flows = tf.constant(_expand_to_minibatch(zero_flows, batch_size), dtype=dtype)
    return tf.concat([locations, boundary], 1), tf.concat([flows, zero_flows], 1)


def sparse_image_warp(image, source_control_point_locations, dest_control_point_locations,
                      interpolation_order=2, regularization_weight=0.0, num_boundary_points=0,
                      name="sparse_image_warp"):
    """TF's sparse_image_warp: warps so each source control point moves to its destination;
    returns (warped image, dense flows [b, h, w, 2])."""
    image = tf.convert_to_tensor(image)
    source = tf.convert_to_tensor(source_control_point_locations)
    dest = tf.convert_to_tensor(dest_control_point_locations)
    control_point_flows = dest - source
    clamp_boundaries = num_boundary_points > 0
    boundary_points_per_edge = num_boundary_points - 1
    with tf.name_scope(name):
        batch_size, image_height, image_width, _ = image.shape.as_list()
        grid_locations = _get_grid_locations(image_height, image_width)
        flattened = np.reshape(grid_locations, [image_height * image_width, 2])
        flattened = tf.constant(_expand_to_minibatch(flattened, batch_size), image.dtype)
        if clamp_boundaries:
            dest, control_point_flows = _add_zero_flow_controls_at_boundary(
                dest, control_point_flows, image_height, image_width, boundary_points_per_edge)
        flattened_flows = interpolate_spline(dest, control_point_flows, flattened,
                                             interpolation_order, regularization_weight)
        dense_flows = tf.reshape(flattened_flows, [batch_size, image_height, image_width, 2])
        return dense_image_warp(image, dense_flows), dense_flows


# -- connected components ------------------------------------------------------------------------


def connected_components(images):
    """TF's connected_components: int32 ids (what TF 1.15's Python makes of the op's int64) of
    the 4-connected components of equal non-zero pixels in [H, W] or [N, H, W] images,
    numbered 1, 2, ... over the batch (0: background)."""
    with tf.name_scope("connected_components"):
        image_or_images = tf.convert_to_tensor(images, name="images")
        rank = image_or_images.shape.rank
        if rank == 2:
            images = image_or_images[None, :, :]
        elif rank == 3:
            images = image_or_images
        else:
            raise TypeError("images should have rank 2 (HW) or 3 (NHW). Static shape is "
                            f"{image_or_images.shape}")
        components = IMAGE_CONNECTED_COMPONENTS(images)
        components_flat = tf.reshape(components, [-1])
        unique_ids, id_index = tf.unique(components_flat)
        id_is_zero = tf.where_v2(tf.equal(unique_ids, 0))[:, 0]
        # each non-zero id becomes 1, 2, ... in order of first appearance
        nonzero_consecutive_ids = tf.range(
            tf.shape(unique_ids)[0] - tf.shape(id_is_zero)[0]) + 1

        def no_zero():
            return nonzero_consecutive_ids

        def has_zero():
            # put 0 where zero appears in unique_ids (it appears once)
            zero_id_ind = tf.cast(id_is_zero[0], tf.int32)
            ids_before = nonzero_consecutive_ids[:zero_id_ind]
            ids_after = nonzero_consecutive_ids[zero_id_ind:]
            return tf.concat([ids_before, [0], ids_after], axis=0)

        new_ids = tf.cond(tf.equal(tf.shape(id_is_zero)[0], 0), no_zero, has_zero)
        components = tf.reshape(tf.gather(new_ids, id_index), tf.shape(components))
        if rank == 2:
            return components[0, :, :]
        return components
