"""JSON <-> numpy for the REST APIs.

TensorFlow Serving's rules are those of its util/json_tensor.cc: a tensor is a (nested) JSON
list whose shape is read from the first element at each level; values are checked against the
signature's dtype (a float must convert without loss, an int32 must be a JSON integer, ...);
``{"b64": "..."}`` carries binary DT_STRING values; floats are written with six significant
digits, or with full precision when six do not round-trip, ``.0`` appended to whole numbers,
and ``NaN`` / ``Infinity`` as bare literals (which Python's json reads, as rapidjson does with
kParseNanAndInfFlag). Error messages are TF Serving's. (KServe v2's JSON: rest_kserve.py.)
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re

import numpy as np

from minitf import dtypes as _dt
from minitf.errors import InvalidArgumentError, OpError, UnimplementedError
from minitf.protos import feature_pb2, input_pb2, types_pb2


B64 = "b64"
BYTES_SUFFIX = "_bytes"  # TF Serving writes a DT_STRING output so named as {"b64": ...}
_INT_RANGES = {  # dtype -> (low, high) of the JSON integers TF Serving takes for it
    _dt.int8: (-2**31, 2**31 - 1), _dt.int16: (-2**31, 2**31 - 1),
    _dt.int32: (-2**31, 2**31 - 1), _dt.uint8: (-2**31, 2**31 - 1),
    _dt.int64: (-2**63, 2**63 - 1), _dt.uint32: (0, 2**32 - 1), _dt.uint64: (0, 2**64 - 1)}
# The largest integers float and double hold exactly (IsLosslessDecimal).
_LOSSLESS = {_dt.float32: (2**24 - 1, float(np.finfo(np.float32).max)),
             _dt.float64: (2**53 - 1, float(np.finfo(np.float64).max))}
MAX_RANK = 64  # numpy's limit on an array's dimensions


# -- request bodies -------------------------------------------------------------------------------
class NumberTooBigError(ValueError):
    """A JSON number literal too big for a double, which TF Serving's and Triton's rapidjson
    refuse (kParseErrorNumberTooBig) and Python's json would read as infinity."""

    def __init__(self, literal: str):
        shown = literal if len(literal) <= 40 else \
            f"{literal[:20]}... ({len(literal)} characters)"
        super().__init__(f"Number too big to be stored in double: {shown}")


# A finite literal overflows a double only with a positive exponent of 3+ digits, or 210+
# digits before it (the largest double is ~1.8e308; a 2-digit exponent adds at most 99). One
# pass maps digits to "0" and "e", "E", "+" to "e": an exponent candidate then reads "e000"
# ("1e300"; "1E+300" reads "ee000"), a long integer part 210 zeros. Only a body with either (a
# string may hold one too: harmless) is parsed with the checking hooks, which cost a call per
# number. (re's literal search is faster than bytes' on text that is mostly "0".)
_NUMBER_CHARS = bytes(ord("0") if 0x30 <= c <= 0x39 else ord("e") if c in b"eE+" else ord(" ")
                      for c in range(256))
_EXPONENT = re.compile(rb"e000")
_LONG_RUN = b"0" * 210


def _double(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise NumberTooBigError(text)
    return value


def _integer(text: str) -> int:
    # rapidjson reads an integer past 64 bits as a double; one past a double's range is
    # refused. (The length test first: int() refuses more than 4300 digits with a ValueError.)
    if len(text) > 308 and float(text) in (math.inf, -math.inf):
        raise NumberTooBigError(text)
    return int(text)


def parse_body(body: bytes):
    """A request body's JSON, NaN and Infinity literals allowed (as TF Serving's
    kParseNanAndInfFlag); raises UnicodeDecodeError, json.JSONDecodeError, RecursionError
    (nested too deeply) or NumberTooBigError, all ValueErrors but RecursionError."""
    text = body.decode("utf-8")
    marks = body.translate(_NUMBER_CHARS)
    if _LONG_RUN in marks or _EXPONENT.search(marks) is not None:
        return json.loads(text, parse_float=_double, parse_int=_integer)
    return json.loads(text)


# -- TF Serving: reading --------------------------------------------------------------------------
def json_type(value) -> str:
    """rapidjson's type names, as TF Serving's messages use them."""
    if value is None or isinstance(value, bool):
        return {None: "Null", True: "True", False: "False"}[value]
    return {dict: "Object", list: "Array", str: "String"}.get(type(value), "Number")


def json_text(value) -> str:
    """A JSON value in an error message (TF Serving prints it with rapidjson's PrettyWriter)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=4)
    return json.dumps(value)


def dtype_string(dtype: _dt.DType) -> str:
    """TF's DataTypeString: DT_FLOAT -> "float"."""
    return types_pb2.DataType.Name(dtype.as_datatype_enum)[3:].lower()


def is_b64(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(B64), str)


def _bad(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _b64decode(value) -> bytes:
    if not is_b64(value):
        raise _bad(f"JSON Value: {json_text(value)} not formatted correctly for base64 data")
    text = value[B64]
    try:  # absl's Base64Unescape takes the standard alphabet, padding optional
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _bad("Unable to base64 decode") from None


def _type_error(value, dtype) -> InvalidArgumentError:
    return _bad(f"JSON Value: {json_text(value)} Type: {json_type(value)} is not of expected "
                f"type: {dtype_string(dtype)}")


def dense_shape(value) -> list[int]:
    """GetDenseTensorShape: each level's length, following first elements."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _leaves(value, shape: list[int]) -> list:
    """FillTensorProto's walk: every value at the tensor's rank, every list of its level's
    size; returns the values in row-major order."""
    rank, flat = len(shape), []

    def walk(v, level):
        if not isinstance(v, list):
            if level != rank:
                raise _bad(f"JSON Value: {json_text(v)} found at incorrect level: {level + 1} in "
                           f"the JSON DOM. Expected at level: {rank}")
            flat.append(v)
            return
        if level >= rank:
            raise _bad(f"Encountered list at unexpected level: {level} expected < {rank}")
        if len(v) != shape[level]:
            raise _bad(f"Encountered list at unexpected size: {len(v)} at level: {level} "
                       f"expected size: {shape[level]}")
        if level == rank - 1 and not any(isinstance(x, list) for x in v):
            flat.extend(v)  # the innermost level, all at once
            return
        for x in v:
            walk(x, level + 1)

    walk(value, 0)
    return flat


def _values(flat: list, dtype: _dt.DType) -> np.ndarray:
    """AddValueToTensor for each value (TF Serving's type checks and messages)."""
    if dtype in _LOSSLESS:
        max_int, max_float = _LOSSLESS[dtype]
        for v in flat:
            t = type(v)
            if t is int:
                ok = abs(v) <= max_int
            elif t is float:
                ok = not math.isfinite(v) or abs(v) <= max_float
            else:
                raise _type_error(v, dtype)
            if not ok:
                raise _bad(f"Cannot convert JSON value: {json_text(v)} to "
                           f"{dtype_string(dtype)} without loss of precision.")
        return np.array(flat, dtype=dtype.as_numpy_dtype)
    if dtype in _INT_RANGES:
        low, high = _INT_RANGES[dtype]
        np_type = np.dtype(dtype.as_numpy_dtype)
        info = np.iinfo(np_type)
        for v in flat:
            if type(v) is not int or not low <= v <= high:
                raise _type_error(v, dtype)
            if not info.min <= v <= info.max:  # TF Serving would wrap it around silently
                raise _bad(f"JSON Value: {v} is out of range for type: {dtype_string(dtype)}")
        return np.array(flat, dtype=np_type)
    if dtype == _dt.bool:
        for v in flat:
            if type(v) is not bool:
                raise _type_error(v, dtype)
        return np.array(flat, dtype=np.bool_)
    if dtype == _dt.string:
        out = np.empty(len(flat), dtype=object)
        for i, v in enumerate(flat):
            if isinstance(v, str):
                out[i] = v.encode("utf-8", "surrogatepass")
            elif isinstance(v, dict):
                out[i] = _b64decode(v)
            else:
                raise _type_error(v, dtype)
        return out
    shown = json_text(flat[0]) if flat else "[]"
    raise UnimplementedError(None, None, f"Conversion of JSON Value: {shown} to type: "
                             f"{dtype_string(dtype)}")


def json_to_tensor(value, dtype: _dt.DType, max_rank: int = MAX_RANK) -> np.ndarray:
    shape = dense_shape(value)
    if len(shape) > max_rank:
        raise _bad(f"JSON Value: lists nested {len(shape)} deep make a tensor of {len(shape)} "
                   f"dimensions, more than the {max_rank} supported" +
                   ("" if max_rank == MAX_RANK else " in a row of 'instances' (the batch "
                    "dimension is one more)"))
    return _values(_leaves(value, shape), dtype).reshape(shape)


def _status_text(e: OpError) -> str:
    """absl::Status::ToString(): "INVALID_ARGUMENT: message"."""
    from minitf.protos import error_codes_pb2
    return f"{error_codes_pb2.Code.Name(e.error_code)}: {e.message}"


def instances_to_inputs(instances: list, infos: dict) -> dict[str, np.ndarray]:
    """The row format ("instances"): one element per row, a plain value/list when the
    signature has one input, else an object keyed by input alias. Every row of an input
    must have the same shape; the rows stack into a batch."""
    if not isinstance(instances[0], dict) and len(infos) > 1:
        raise _bad("instances is a plain list, but expecting list of objects as multiple input "
                   "tensors required as per tensorinfo_map")

    def is_object(v):
        return isinstance(v, dict) and not is_b64(v)

    objects = is_object(instances[0])
    names = sorted(infos)
    rows: dict[str, list] = {}

    def add(item, name):
        if name not in infos:
            raise _bad(f"JSON object: does not have named input: {name}")
        arr = json_to_tensor(item, infos[name].dtype, MAX_RANK - 1)
        first = rows.setdefault(name, [arr])[0]
        if first is not arr:
            if first.size != arr.size:
                raise _bad(f"Expecting tensor size: {first.size} but got: {arr.size}")
            if first.shape != arr.shape:
                raise _bad(f"Expecting shape {_shape(first.shape)} but got: "
                           f"{_shape(arr.shape)}")
            rows[name].append(arr)

    for i, elem in enumerate(instances):
        if objects:
            if not is_object(elem):
                raise _bad(f"Expecting object but got list at item {i} of input list")
            for name, item in elem.items():
                try:
                    add(item, name)
                except OpError as e:
                    raise _bad(f"Failed to process element: {i} key: {name} of 'instances' "
                               f"list. Error: {_status_text(e)}") from None
            if set(elem) != set(names):
                raise _bad(f"Failed to process element: {i} of 'instances' list. JSON object: "
                           f"{json_text(elem)} must only have keys: {','.join(names)}")
        else:
            if is_object(elem):
                raise _bad(f"Expecting value/list but got object at item {i} of input list")
            try:
                add(elem, names[0])
            except OpError as e:
                raise _bad(f"Failed to process element: {i} of 'instances' list. Error: "
                           f"{_status_text(e)}") from None
    return {name: np.stack(arrs) for name, arrs in rows.items()}


def _shape(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def columnar_to_inputs(value, infos: dict) -> dict[str, np.ndarray]:
    """The columnar format ("inputs"): the one input's value, or an object with every input
    (keys the signature does not name are ignored, as in TF Serving)."""
    if not isinstance(value, dict) or is_b64(value):
        if len(infos) > 1:
            raise _bad("inputs is a plain value/list, but expecting an object as multiple input "
                       "tensors required as per tensorinfo_map")
        (name, info), = infos.items()
        return {name: json_to_tensor(value, info.dtype)}
    out = {}
    for name in sorted(infos):
        if name not in value:
            raise _bad(f"Missing named input: {name} in 'inputs' object.")
        out[name] = json_to_tensor(value[name], infos[name].dtype)
    return out


# -- TF Serving: writing --------------------------------------------------------------------------
def decimals(arr: np.ndarray) -> list[str]:
    """WriteDecimal for each value: "%g" with six digits if that reads back to the same
    float (or double), else max_digits10 (9 or 17); whole numbers get ".0"."""
    flat = arr.reshape(-1)
    values = flat.astype(np.float64).tolist()
    short = [f"{v:.6g}" for v in values]
    same = (np.array(short, dtype=np.str_).astype(flat.dtype) == flat).tolist() if short else []
    digits = 9 if flat.dtype == np.float32 else 17
    out = []
    for v, s, ok in zip(values, short, same):
        if v != v:
            out.append("NaN")
        elif v in (math.inf, -math.inf):
            out.append("Infinity" if v > 0 else "-Infinity")
        else:
            if not ok:
                s = f"{v:.{digits}g}"
            out.append(s if "." in s or "e" in s else s + ".0")
    return out


def _tokens(name: str, arr: np.ndarray) -> list[str]:
    """Each value of ``arr`` as JSON text (AddSingleValueAndAdvance)."""
    if arr.size == 0:  # no value is written, so no type can fail (as in TF Serving)
        return []
    kind = arr.dtype.kind
    if arr.dtype in (np.float32, np.float64):
        return decimals(arr)
    if kind == "b":
        return ["true" if v else "false" for v in arr.reshape(-1).tolist()]
    if kind in "iu":
        return [str(v) for v in arr.reshape(-1).tolist()]
    if kind == "O":
        as_b64 = name.endswith(BYTES_SUFFIX)
        out = []
        for v in arr.reshape(-1).tolist():
            b = v if isinstance(v, bytes) else str(v).encode()
            if not as_b64:
                try:
                    out.append(json.dumps(b.decode("utf-8")))
                    continue
                except UnicodeDecodeError:
                    pass  # JSON strings cannot carry it: the binary form instead
            out.append('{"b64": "' + base64.b64encode(b).decode("ascii") + '"}')
        return out
    # TF Serving's AddSingleValueAndAdvance has no case for DT_HALF (nor bfloat16, complex,
    # ...): it answers this error (tensorflow/serving#1639; the PR adding half, #1753, was
    # never merged). The tensor's name is added, which TF Serving's message lacks.
    try:
        type_name = dtype_string(_dt.from_numpy(arr))
    except (TypeError, ValueError, KeyError):
        type_name = str(arr.dtype)
    raise _bad(f"Failed to write JSON value for tensor type: {type_name} (output '{name}')")


def nest(tokens: list[str], shape) -> str:
    """JSON text of values laid out in ``shape`` (row-major)."""
    if not shape:
        return tokens[0]
    items = tokens
    for k in range(len(shape) - 1, -1, -1):
        d, groups = shape[k], int(np.prod(shape[:k], dtype=np.int64))
        items = ["[" + ",".join(items[g * d:(g + 1) * d]) + "]" for g in range(groups)]
    return items[0]


def predict_json(outputs: dict[str, np.ndarray], row: bool) -> str:
    """MakeJsonFromTensors: {"predictions": [...]} (row) or {"outputs": ...} (columnar); one
    output unnamed, several as objects keyed by alias (per row in the row format)."""
    if not outputs:
        raise _bad("Cannot convert empty tensor map to JSON")
    names = sorted(outputs)
    arrays = {n: np.asarray(outputs[n]) for n in names}
    several = len(names) > 1
    if not row:
        parts = {n: nest(_tokens(n, a), a.shape) for n, a in arrays.items()}
        body = "{" + ",".join(f"{json.dumps(n)}: {parts[n]}" for n in names) + "}" \
            if several else parts[names[0]]
        return '{"outputs": ' + body + "}"
    # Every output must have the same first dimension; 0 is allowed and gives
    # {"predictions": []} (tensorflow/serving#1615 dropped the "invalid batch size" check).
    batch = None
    for n, a in arrays.items():
        if a.ndim == 0:
            raise _bad(f"Tensor name: {n} has no shape information ")
        if batch is not None and a.shape[0] != batch:
            raise _bad(f"Tensor name: {n} has inconsistent batch size: {a.shape[0]} "
                       f"expecting: {batch}")
        batch = a.shape[0]
    per_row = {}
    for n, a in arrays.items():
        tokens, inner = _tokens(n, a), a.shape[1:]
        size = int(np.prod(inner, dtype=np.int64))
        per_row[n] = [nest(tokens[i * size:(i + 1) * size], inner) for i in range(batch)]
    if several:
        rows = ["{" + ",".join(f"{json.dumps(n)}: {per_row[n][i]}" for n in names) + "}"
                for i in range(batch)]
    else:
        rows = per_row[names[0]]
    return '{"predictions": [' + ",".join(rows) + "]}"


# -- TF Serving: Classify and Regress -------------------------------------------------------------
def _feature(name: str, content) -> feature_pb2.Feature:
    """MakeExampleFromJsonObject's values: a scalar or a list of strings (bytes), b64 objects
    (bytes), JSON integers and booleans (int64) or decimals (float)."""
    feature = feature_pb2.Feature()
    for v in content if isinstance(content, list) else [content]:
        if isinstance(v, (list, dict)) and not is_b64(v) or v is None:
            raise _bad(f"Feature: {name} has element with unexpected JSON type: {json_type(v)}")
        if isinstance(v, bool) or isinstance(v, int):
            kind = "int64_list"
            if not isinstance(v, bool) and not -2**63 <= v < 2**63:
                raise _bad(f"Feature: {name} has uint64 element. Only int64 is supported.")
            value = int(v)
        elif isinstance(v, float):
            kind = "float_list"
            if math.isfinite(v) and abs(v) > _LOSSLESS[_dt.float32][1]:
                raise _bad(f"Cannot convert JSON value: {json_text(v)} to float without loss "
                           "of precision.")
            value = v
        else:
            kind = "bytes_list"
            value = _b64decode(v) if isinstance(v, dict) else v.encode("utf-8", "surrogatepass")
        current = feature.WhichOneof("kind")
        if current not in (None, kind):
            raise _bad(f"Unexpected element type in feature: {name} expecting type: "
                       f"{current.split('_')[0]}")
        getattr(feature, kind).value.append(value)
    return feature


def _example(value, example) -> None:
    if not isinstance(value, dict):
        raise _bad(f"Example must be JSON object but got JSON {json_type(value)}")
    for name, content in value.items():
        try:
            feature = example.features.feature[name]
        except UnicodeEncodeError:  # protobuf strings are UTF-8: a lone surrogate is not
            raise _bad(f"Feature name {json.dumps(name)} is not valid Unicode (it holds a lone "
                       "surrogate)") from None
        feature.CopyFrom(_feature(name, content))


def examples_input(doc: dict) -> input_pb2.Input:
    """FillClassifyRegressRequestFromJson: "examples" (objects), optional "context"."""
    out = input_pb2.Input()
    context = "context" in doc
    if context:
        _example(doc["context"], out.example_list_with_context.context)
    examples = doc.get("examples")
    if examples is None:
        raise _bad(f"JSON Value: {json_text(doc)} When method is classify, key 'examples' is "
                   "expected and was not found")
    if not isinstance(examples, list):
        raise _bad(f"JSON Value: {json_text(doc)} Expecting 'examples' value to be an "
                   "list/array")
    if not examples:
        raise _bad(f"JSON Value: {json_text(doc)} 'examples' value is an empty array")
    target = out.example_list_with_context if context else out.example_list
    for value in examples:
        _example(value, target.examples.add())
    return out


def classification_json(result) -> str:
    rows = []
    for c in result.classifications:
        scores = decimals(np.array([k.score for k in c.classes], np.float32))
        rows.append("[" + ",".join(f"[{json.dumps(k.label)}, {s}]"
                                   for k, s in zip(c.classes, scores)) + "]")
    return '{"results": [' + ",".join(rows) + "]}"


def regression_json(result) -> str:
    values = decimals(np.array([r.value for r in result.regressions], np.float32))
    return '{"results": [' + ",".join(values) + "]}"
