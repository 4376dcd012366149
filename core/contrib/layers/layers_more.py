"""More of ``tf.contrib.layers`` (TF 1.15): the GDN layer (layers.py), reversible residual
blocks and ``recompute_grad`` (rev_block_lib.py) and ``bow_encoder`` (encoders.py); the
deprecated target columns are target_column.py.

``recompute_grad`` and RevBlock give a subgraph a gradient of its own as TF does: the
subgraph's inputs, the trainable variables it creates and its outputs go through one
IdentityN whose gradient is overridden; the subgraph itself gets none (its activations are
recomputed, or, for a reversible block, reconstructed from its outputs)."""

from __future__ import annotations

import functools
import itertools
import re

import numpy as np

import minitf as tf

from ...gradients import RegisterGradient
from ...layers_base import InputSpec, Layer
from ..arg_scope import arg_scope, current_arg_scope
from .feature_column import _dense_to_sparse
from .layers import _model_variable
from .layers_extra import safe_embedding_lookup_sparse

__all__ = ["GDN", "RevBlock", "bow_encoder", "gdn", "recompute_grad", "rev_block"]

_names = itertools.count()


# -- GDN ------------------------------------------------------------------------------------------


@RegisterGradient("GDNLowerBound")
def _lower_bound_grad(op, grad):
    # Passed through where the input is above the bound, or where the step would raise it.
    inputs, bound = op.inputs
    return [tf.cast(tf.logical_or(inputs >= bound, grad < 0), grad.dtype) * grad, None]


class GDN(Layer):
    """TF's generalized divisive normalization (Ballé et al. 2016):
    ``y_i = x_i / sqrt(beta_i + sum_j gamma_ji x_j^2)`` over channels (``inverse``: times
    instead of divided). Variables ``reparam_beta`` / ``reparam_gamma`` hold the square roots
    (plus a pedestal) of beta and gamma, kept above ``beta_min`` / 0 by a lower bound whose
    gradient still lets them rise."""

    def __init__(self, inverse=False, beta_min=1e-6, gamma_init=.1, reparam_offset=2 ** -18,
                 data_format="channels_last", activity_regularizer=None, trainable=True,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.inverse = inverse
        self._beta_min, self._gamma_init = beta_min, gamma_init
        self._reparam_offset = reparam_offset
        self.data_format = data_format
        self._channel_axis()  # a bad data_format fails now
        self.input_spec = InputSpec(min_ndim=3, max_ndim=5)

    def _channel_axis(self):
        try:
            return {"channels_first": 1, "channels_last": -1}[self.data_format]
        except KeyError:
            raise ValueError(f"Unsupported `data_format` for GDN layer: {self.data_format}."
                             ) from None

    @staticmethod
    def _lower_bound(inputs, bound, name=None):
        """``tf.maximum(inputs, bound)`` with the pass-through gradient above."""
        with tf.name_scope(name, "GDNLowerBound", [inputs, bound]) as scope:
            inputs = tf.convert_to_tensor(inputs, name="inputs")
            bound = tf.convert_to_tensor(bound, name="bound")
            with tf.get_default_graph().gradient_override_map({"Maximum": "GDNLowerBound"}):
                return tf.maximum(inputs, bound, name=scope)

    def build(self, input_shape):
        channel_axis = self._channel_axis()
        input_shape = tf.TensorShape(input_shape)
        channels = input_shape[channel_axis].value
        if channels is None:
            raise ValueError("The channel dimension of the inputs to `GDN` must be defined.")
        self._input_rank = input_shape.ndims
        self.input_spec = InputSpec(ndim=input_shape.ndims, axes={channel_axis: channels})
        offset_sq = self._reparam_offset ** 2
        pedestal = tf.constant(offset_sq, dtype=self.dtype)
        beta_bound = tf.constant((self._beta_min + offset_sq) ** .5, dtype=self.dtype)
        gamma_bound = tf.constant(self._reparam_offset, dtype=self.dtype)

        def beta_init(shape, dtype=None, partition_info=None):
            return tf.sqrt(tf.ones(shape, dtype=dtype) + pedestal)

        def gamma_init(shape, dtype=None, partition_info=None):
            return tf.sqrt(self._gamma_init * tf.eye(shape[0], dtype=dtype) + pedestal)

        beta = self.add_weight("reparam_beta", shape=[channels], initializer=beta_init,
                               dtype=self.dtype, trainable=True)
        self.beta = tf.square(self._lower_bound(beta, beta_bound)) - pedestal
        gamma = self.add_weight("reparam_gamma", shape=[channels, channels],
                                initializer=gamma_init, dtype=self.dtype, trainable=True)
        self.gamma = tf.square(self._lower_bound(gamma, gamma_bound)) - pedestal
        self.built = True

    def call(self, inputs):
        inputs = tf.convert_to_tensor(inputs, dtype=self.dtype)
        ndim = self._input_rank
        gamma = tf.reshape(self.gamma, (ndim - 2) * [1] + self.gamma.shape.as_list())
        # The pool is a 1x1 convolution of x^2 with gamma, plus beta (TF's graph).
        if self.data_format == "channels_first":
            pool = tf.nn.convolution(tf.square(inputs), gamma, "VALID",
                                     data_format="NC" + "DHW"[-(ndim - 2):])
            if ndim == 3:
                pool = tf.squeeze(tf.nn.bias_add(tf.expand_dims(pool, 2), self.beta,
                                                 data_format="NCHW"), [2])
            elif ndim == 5:
                shape = tf.shape(pool)
                pool = tf.reshape(tf.nn.bias_add(tf.reshape(pool, tf.concat(
                    [shape[:3], [-1]], 0)), self.beta, data_format="NCHW"), shape)
            else:
                pool = tf.nn.bias_add(pool, self.beta, data_format="NCHW")
        else:
            pool = tf.nn.bias_add(tf.nn.convolution(tf.square(inputs), gamma, "VALID"),
                                  self.beta, data_format="NHWC")
        pool = tf.sqrt(pool)
        outputs = inputs * pool if self.inverse else inputs / pool
        outputs.set_shape(inputs.shape)
        return outputs

    def compute_output_shape(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        if not 3 <= input_shape.ndims <= 5:
            raise ValueError("`input_shape` must be of rank 3 to 5, inclusive.")
        if input_shape[self._channel_axis()].value is None:
            raise ValueError("The channel dimension of `input_shape` must be defined.")
        return input_shape


def gdn(inputs, inverse=False, beta_min=1e-6, gamma_init=.1, reparam_offset=2 ** -18,
        data_format="channels_last", activity_regularizer=None, trainable=True, name=None,
        reuse=None):
    """The GDN layer applied to ``inputs`` (rank 3 to 5): TF's functional ``gdn``."""
    inputs = tf.convert_to_tensor(inputs)
    return GDN(inverse=inverse, beta_min=beta_min, gamma_init=gamma_init,
               reparam_offset=reparam_offset, data_format=data_format,
               activity_regularizer=activity_regularizer, trainable=trainable, name=name,
               dtype=inputs.dtype.base_dtype, _scope=name, _reuse=reuse).apply(inputs)


# -- subgraphs with a gradient of their own --------------------------------------------------


def _fn_with_custom_grad(fn, inputs, grad_fn):
    """``fn(*inputs)``, whose gradient is ``grad_fn(inputs, variables, outputs, dys) ->
    (input grads, variable grads)``, ``variables`` the trainable ones ``fn`` created."""
    scope = tf.get_variable_scope()
    before = len(scope.trainable_variables())
    inputs = [tf.identity(x) for x in inputs]
    outputs = fn(*inputs)
    variables = scope.trainable_variables()[before:]
    if grad_fn is None:
        return outputs
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    name = f"IdentityCustomGrad-{next(_names)}"

    @RegisterGradient(name)
    def _grad(op, *dys):
        # The outputs' (the rest are unused); an unused float output's is 0, as a Defun's.
        dys = [tf.zeros_like(o) if d is None and o.dtype.is_floating else d
               for o, d in zip(outputs, dys[len(inputs) + len(variables):])]
        grad_inputs, grad_vars = grad_fn(inputs, variables, outputs, dys)
        return list(grad_inputs) + list(grad_vars) + [None] * len(outputs)

    with tf.get_default_graph().gradient_override_map({"IdentityN": name}), \
            tf.name_scope("identity_custom_grad"):
        flat = tf.identity_n(inputs + [v.value() for v in variables] + outputs)
    return tuple(flat[len(inputs) + len(variables):])


def _force_data_dependency(first_compute, then_compute):
    """``then_compute`` made to wait, by a zero-valued data dependency, for ``first_compute``
    (XLA ignores control dependencies)."""
    def first_element(x):
        if x.shape.ndims is None:
            raise ValueError(f"Rank of Tensor {x} must be known")
        return tf.reshape(tf.slice(x, [0] * x.shape.ndims, [1] * x.shape.ndims), [])

    total = tf.add_n([first_element(x) for x in first_compute if x is not None])
    if not total.dtype.is_floating:
        raise ValueError("_force_data_dependency only supports floating dtypes.")
    zero = tf.stop_gradient(np.finfo(total.dtype.as_numpy_dtype).tiny * total)
    return [None if x is None else tf.identity(x) + zero for x in then_compute]


def _enable_with_args(dec):
    @functools.wraps(dec)
    def new_dec(*args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]):
            return dec(args[0])
        return lambda fn: dec(fn, *args, **kwargs)
    return new_dec


@_enable_with_args
def recompute_grad(fn, use_data_dep=False, tupleize_grads=False):
    """Decorator (with or without arguments): ``fn``'s values, its activations recomputed
    (in the variable scope and arg_scope of the first call, with reuse) when the gradient is
    built instead of kept. ``fn`` takes Tensors and must create the variables it uses.
    ``use_data_dep``: order the recomputation by a data dependency rather than a control
    one; ``tupleize_grads``: all gradients are produced before any is used."""

    @functools.wraps(fn)
    def wrapped(*args):
        for arg in args:
            if not isinstance(arg, tf.Tensor):
                raise ValueError("All inputs to function must be Tensors")
        cached = []

        def grad_fn(inputs, variables, outputs, output_grads):
            live = [d for d in output_grads if d is not None]
            with tf.control_dependencies(live):
                if use_data_dep:
                    inputs = _force_data_dependency(live, inputs)
                vs, scope_args = cached[0]
                with arg_scope(scope_args), tf.variable_scope(vs, reuse=True):
                    outputs = fn(*inputs)
            outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
            pairs = [(y, d) for y, d in zip(outputs, output_grads) if d is not None]
            xs = list(inputs) + list(variables)
            grads = tf.gradients([y for y, _ in pairs], xs, [d for _, d in pairs]) \
                if pairs else [None] * len(xs)
            if tupleize_grads:
                grads = (_force_data_dependency(grads, grads) if use_data_dep
                         else _tuple_keep_none(grads))
            return grads[:len(inputs)], grads[len(inputs):]

        def fn_with_recompute(*args):
            cached.append((tf.get_variable_scope(), current_arg_scope()))
            return fn(*args)

        out = _fn_with_custom_grad(fn_with_recompute, list(args), grad_fn)
        return out[0] if len(out) == 1 else out

    return wrapped


def _tuple_keep_none(tensors):
    present = [t for t in tensors if t is not None]
    tupled = iter(tf.tuple(present)) if present else iter(())
    return [None if t is None else next(tupled) for t in tensors]


# -- reversible residual blocks --------------------------------------------------------------

_LAYER_RE = re.compile(".*revlayer_([0-9]*)/([fg])/.*")


def _acc_grads(*lists_of_grads):
    return [tf.add_n(gs) if gs else None for gs in
            ([g for g in grads if g is not None] for grads in zip(*lists_of_grads))]


def _call(fn, x, side):
    return fn(x, side) if side else fn(x)


def _rev_layer_backward(ys, grad_ys, f, g, f_vars, f_side, g_vars, g_side):
    """One layer's inputs rebuilt from its outputs, and the gradients of its inputs, of f's
    and g's variables and of the side inputs."""
    y1, y2 = ys
    grad_y1, grad_y2 = grad_ys
    # stop_gradient: the rebuilt values are leaves, so these gradients stop at this layer.
    y1_stop = tf.stop_gradient(y1)
    g_side = [tf.stop_gradient(t) for t in g_side]
    gy1 = _call(g, y1_stop, g_side)
    x2 = y2 - gy1
    x2_stop = tf.stop_gradient(x2)
    f_side = [tf.stop_gradient(t) for t in f_side]
    fx2 = _call(f, x2_stop, f_side)
    x1 = y1 - fx2
    grad_gy1_y2 = tf.gradients(gy1, y1_stop, grad_y2)[0]
    grad_x1 = grad_y1 + grad_gy1_y2
    grad_x2 = (tf.gradients(fx2, x2_stop, grad_y1)[0] + grad_y2 +
               tf.gradients(fx2, x2_stop, grad_gy1_y2)[0])
    grads_g = tf.gradients(gy1, g_vars + g_side, grad_y2)
    grads_f = _acc_grads(tf.gradients(fx2, f_vars + f_side, grad_y1),
                         tf.gradients(fx2, f_vars + f_side, grad_gy1_y2))
    # All at once (tf.tuple), so the next layer does not start on part of them.
    flat = _tuple_keep_none([x1, x2, grad_x1, grad_x2] + grads_f + grads_g)
    gf, gg = flat[4:4 + len(grads_f)], flat[4 + len(grads_f):]
    nf, ng = len(f_vars), len(g_vars)
    return (flat[0], flat[1]), (flat[2], flat[3]), (gf[:nf], gf[nf:]), (gg[:ng], gg[ng:])


def _scope_wrap(fn, scope):
    @functools.wraps(fn)
    def wrap(*args, **kwargs):
        with tf.variable_scope(scope):
            return fn(*args, **kwargs)
    return wrap


class RevBlock(Layer):
    """TF's block of reversible residual layers (Gomez et al. 2017), see ``rev_block``; its
    functions' variables live under ``<name>/revlayer_<i>/f`` and ``.../g``."""

    def __init__(self, f, g, num_layers=1, f_side_input=None, g_side_input=None,
                 use_efficient_backprop=True, name="revblock", **kwargs):
        super().__init__(name=name, **kwargs)
        f = f if isinstance(f, list) else [f] * num_layers
        g = g if isinstance(g, list) else [g] * num_layers
        if len(f) != num_layers or len(g) != num_layers:
            raise ValueError(f"RevBlock: {len(f)} f and {len(g)} g functions for "
                             f"num_layers={num_layers}")
        self.f = [_scope_wrap(fn, f"revlayer_{i}/f") for i, fn in enumerate(f)]
        self.g = [_scope_wrap(fn, f"revlayer_{i}/g") for i, fn in enumerate(g)]
        self.num_layers = num_layers
        self.f_side_input = list(f_side_input or [])
        self.g_side_input = list(g_side_input or [])
        self._use_efficient_backprop = use_efficient_backprop

    def build(self, _):
        tf.logging.warn("RevBlock constructs its variables on first call, not on build.")
        self.built = True

    def call(self, inputs, forward=True):
        vs = tf.get_variable_scope()
        before = len(vs.global_variables())
        out = self._forward(*inputs) if forward else self._backward(*inputs)
        self._track(vs.global_variables()[before:])
        return out

    def forward(self, x1, x2):
        return self.apply([x1, x2])

    def backward(self, y1, y2):
        return self.apply([y1, y2], forward=False)

    def _efficient_grad_fn(self, inputs, variables, ys, grad_ys):
        """The block's gradient from its outputs alone, layer by layer backwards."""
        f_vars = [[] for _ in range(self.num_layers)]
        g_vars = [[] for _ in range(self.num_layers)]
        where = []
        for v in variables:
            match = _LAYER_RE.match(v.op.name)
            if match is None:
                raise ValueError(f"RevBlock: variable {v.op.name} is not under a "
                                 "revlayer_<i>/f or /g scope: f and g must create theirs")
            layer, fn = int(match.group(1)), match.group(2)
            owner = (f_vars if fn == "f" else g_vars)[layer]
            where.append((fn, layer, len(owner)))
            owner.append(v)
        f_grads, g_grads, f_side, g_side = {}, {}, [], []
        with tf.variable_scope(self._scope, reuse=True):
            for i in reversed(range(self.num_layers)):
                ys, grad_ys, (gfv, gfs), (ggv, ggs) = _rev_layer_backward(
                    ys, grad_ys, self.f[i], self.g[i], f_vars[i], self.f_side_input,
                    g_vars[i], self.g_side_input)
                f_grads[i], g_grads[i] = gfv, ggv
                f_side.append(gfs)
                g_side.append(ggs)
        side_grads = _acc_grads(*f_side) + _acc_grads(*g_side)
        var_grads = [(f_grads if fn == "f" else g_grads)[layer][k] for fn, layer, k in where]
        return list(grad_ys) + side_grads, var_grads

    def _forward(self, x1, x2):
        side = self.f_side_input + self.g_side_input
        nf = len(self.f_side_input)

        def forward(x1_, x2_, *sides):
            out = (x1_, x2_)
            for f, g in zip(self.f, self.g):
                y1 = out[0] + _call(f, out[1], list(sides[:nf]))
                out = (y1, out[1] + _call(g, y1, list(sides[nf:])))
            return tuple(tf.tuple(list(out))) if self._use_efficient_backprop else out

        grad_fn = self._efficient_grad_fn if self._use_efficient_backprop else None
        return tuple(_fn_with_custom_grad(forward, [x1, x2] + side, grad_fn))

    def _backward(self, y1, y2):
        for f, g in zip(reversed(self.f), reversed(self.g)):
            x2 = y2 - _call(g, y1, self.g_side_input)
            y1, y2 = y1 - _call(f, x2, self.f_side_input), x2
        return y1, y2


def rev_block(x1, x2, f, g, num_layers=1, f_side_input=None, g_side_input=None,
              is_training=True):
    """``num_layers`` reversible residual layers ``y1 = x1 + f(x2)``, ``y2 = x2 + g(y1)``
    (``f(x, f_side_input)`` with side inputs), new variables per layer. With ``is_training``
    the gradient rebuilds each layer's inputs from its outputs instead of keeping them. f
    and g must not change shapes nor close over tensors (pass those as side inputs)."""
    return RevBlock(f=f, g=g, num_layers=num_layers, f_side_input=f_side_input,
                    g_side_input=g_side_input, use_efficient_backprop=is_training,
                    _reuse=tf.get_variable_scope().reuse).forward(x1, x2)


# -- encoders ------------------------------------------------------------------------------


def bow_encoder(ids, vocab_size, embed_dim, sparse_lookup=True, initializer=None,
                regularizer=None, trainable=True, scope=None, reuse=None):
    """``[batch, doc_length]`` ids (Tensor or SparseTensor) to ``[batch, embed_dim]``: the
    mean of their embeddings (model variable ``bow_encoder/embeddings``). With
    ``sparse_lookup``, ids 0 are padding and left out (a row of padding only gets id 0's
    embedding); without, every id counts."""
    if not vocab_size or not embed_dim:
        raise ValueError("Must specify vocab size and embedding dimension")
    with tf.variable_scope(scope, "bow_encoder", [ids], reuse=reuse):
        embeddings = _model_variable("embeddings", shape=[vocab_size, embed_dim],
                                     initializer=initializer, regularizer=regularizer,
                                     trainable=trainable)
        if sparse_lookup:
            sparse_ids = ids if isinstance(ids, tf.SparseTensor) else _dense_to_sparse(ids)
            return safe_embedding_lookup_sparse([embeddings], sparse_ids, combiner="mean",
                                                default_id=0)
        if isinstance(ids, tf.SparseTensor):
            raise TypeError(f"ids are expected to be dense Tensor, got: {ids}")
        return tf.reduce_mean(tf.nn.embedding_lookup(embeddings, ids), axis=1)
