"""``tf.keras.layers.Lambda`` (exported by core.py): a function as a layer. Its config holds
the function as Keras writes it (``func_dump``: marshalled code in base64, defaults, closure;
Python-version specific, as Keras') and its module, whose globals the loaded code gets (TF's
rule; ``clone_model`` rebuilds it so). Loading such code runs whatever the file says, so
``from_config`` refuses it unless told ``safe_mode=False`` (Keras 3's rule, as minitf never
loads pickles); a named function is looked up in ``custom_objects`` (in its module too with
``safe_mode=False``)."""

from __future__ import annotations

import codecs
import importlib
import inspect
import marshal
import sys
import types
import warnings

from ...graph import Graph
from ...ops import array_ops
from ...tensor_shape import TensorShape
from ..base_layer import Layer
from ..utils import get_custom_objects

__all__ = ["Lambda"]


def _func_dump(func):
    """Keras' generic_utils.func_dump: a function's code (marshal, base64 in lines),
    defaults, closure."""
    raw = marshal.dumps(func.__code__)
    code = codecs.encode(raw, "base64").decode("ascii")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def _func_load(code, defaults=None, closure=None, globs=None):
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    raw = codecs.decode(code.encode("ascii"), "base64")
    code = marshal.loads(raw)
    cells = None
    if closure is not None:
        cells = tuple(types.CellType(c) for c in closure)
    return types.FunctionType(code, globs or globals(), name=code.co_name,
                              argdefs=tuple(defaults) if defaults else None, closure=cells)


def _globals_for(module, custom_objects=None):
    """TF's Lambda._parse_function_from_config: code loaded from a config runs with the
    globals of the module it was written in (if that module is loaded: never imported for
    it), plus ``custom_objects``; without the module, this module's (with a warning, as TF)."""
    found = sys.modules.get(module) if module else None
    if found is None and module is not None:
        warnings.warn(f"{module} is not loaded, but a Lambda layer uses it. It may cause "
                      "errors.", UserWarning, stacklevel=3)
    globs = vars(found) if found is not None else globals()
    if custom_objects:
        globs = {**globs, **custom_objects}
    return globs


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` (given ``mask``/``training`` if it takes
    them) as a layer; its output shape is inferred on placeholders unless given."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"The `function` argument of a Lambda layer must be callable. "
                            f"Received: {function!r}")
        self.function = function
        self.arguments = arguments or {}
        self.mask = mask
        self._output_shape = output_shape
        params = inspect.signature(function).parameters
        self._fn_expects_training_arg = "training" in params
        self._fn_expects_mask_arg = "mask" in params
        self.supports_masking = mask is not None

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            with Graph().as_default():
                if isinstance(input_shape, (list, tuple)) and input_shape and \
                        isinstance(input_shape[0], (list, tuple, TensorShape)):
                    x = [array_ops.placeholder(self.dtype or "float32", TensorShape(s))
                         for s in input_shape]
                else:
                    x = array_ops.placeholder(self.dtype or "float32", TensorShape(input_shape))
                out = self.call(x)
                if isinstance(out, (list, tuple)):
                    return [o.shape for o in out]
                return out.shape
        if callable(self._output_shape):
            return TensorShape(self._output_shape(input_shape))
        dims = TensorShape(input_shape).as_list() if not isinstance(input_shape, list) or \
            not input_shape or not isinstance(input_shape[0], (list, tuple)) else [None]
        return TensorShape([dims[0]] + list(self._output_shape))

    @staticmethod
    def _serialize_function(fn):
        if isinstance(fn, types.LambdaType):  # as Keras: any Python function, by its code,
            # and its module, whose globals it is loaded with (the names it uses: K, SCALE)
            return _func_dump(fn), "lambda", fn.__module__
        if callable(fn):
            return fn.__name__, "function", fn.__module__
        return fn, "raw", None

    def get_config(self):
        function, function_type, module = self._serialize_function(self.function)
        config = {**Layer.get_config(self), "function": function,
                  "function_type": function_type, "module": module}
        if self._output_shape is not None and callable(self._output_shape):
            shape, shape_type, shape_module = self._serialize_function(self._output_shape)
        else:
            shape, shape_type, shape_module = self._output_shape, "raw", None
        config.update(output_shape=shape, output_shape_type=shape_type,
                      output_shape_module=shape_module)
        if self.mask is not None:
            mask, mask_type, mask_module = self._serialize_function(self.mask) if \
                callable(self.mask) else (self.mask, "raw", None)
            config.update(mask=mask, mask_type=mask_type, mask_module=mask_module)
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = dict(config)

        def load(key, default=None):
            value, kind = config.pop(key, default), config.pop(f"{key}_type", "raw")
            module = config.pop("module" if key == "function" else f"{key}_module", None)
            if kind == "lambda":
                if safe_mode:
                    raise ValueError(
                        f"Lambda layer {config.get('name')!r}: its {key} is Python bytecode "
                        "in the config, and loading it would run code from the file. If you "
                        "trust the source, pass safe_mode=False (to from_config, load_model "
                        "or model_from_json).")
                return _func_load(value, globs=_globals_for(module, custom_objects))
            if kind == "function":
                # custom_objects, then custom_object_scope's; a module the file names is
                # looked in (and imported) only with safe_mode=False: the file would pick any
                # function of any module (sys.exit, shutil.rmtree) and its arguments.
                found = (custom_objects or {}).get(value, get_custom_objects().get(value))
                if found is None and module and not safe_mode:
                    found = getattr(importlib.import_module(module), value, None)
                if found is None:
                    raise ValueError(f"Unknown function: {value!r} of Lambda layer "
                                     f"{config.get('name')!r}: pass it in custom_objects"
                                     + (f" (or safe_mode=False to take it from module "
                                        f"{module!r})" if module and safe_mode else ""))
                return found
            return value

        config["function"] = load("function")
        config["output_shape"] = load("output_shape")
        if "mask" in config:
            config["mask"] = load("mask")
        return cls(**config)
