"""TF Serving's model warm-up: the requests recorded in a version's
``assets.extra/tf_serving_warmup_requests`` are replayed while it loads, before it serves.

The file is a TFRecord file of ``tensorflow.serving.PredictionLog`` (TF Serving's
saved_model_warmup_util.cc): at most 1000 records, each run ``num_request_iterations``
times. Every request goes through the servicer that answers it live (PredictionService's
Predict, Classify, Regress and MultiInference), so it is decoded, validated and answered as a
client's would be, on the version being loaded whatever its ModelSpec names (as TF Serving runs
it on the bundle it is loading); only the gRPC layer is skipped. A session_run_log is refused,
as TF Serving refuses it. Any failure (a damaged file, a record that does not parse, a log type
warm-up does not run, a request that fails) fails the load, naming the file, the record (counted
from 0) and what went wrong. Without the file every signature warms up once on zeros
(``SignatureRunner.warm_up``), best effort.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

from google.protobuf.message import DecodeError

from minitf.errors import (DataLossError, InvalidArgumentError, OpError, UnimplementedError,
                           UnknownError)
from minitf.protos import prediction_log_pb2
from minitf.python_io import tf_record_iterator

from .servable import Servable

__all__ = ["ASSETS_EXTRA", "MAX_RECORDS", "WARMUP_FILE", "replay", "warm_up", "warmup_file"]

log = logging.getLogger("minitf.serving")

ASSETS_EXTRA = "assets.extra"  # TF's kSavedModelAssetsExtraDirectory
WARMUP_FILE = "tf_serving_warmup_requests"  # WarmupConsts::kRequestsFileName
MAX_RECORDS = 1000  # WarmupConsts::kMaxNumRecords


def warmup_file(version_path: str) -> str:
    return os.path.join(version_path, ASSETS_EXTRA, WARMUP_FILE)


def warm_up(servable: Servable, version_path: str, num_request_iterations: int = 1
            ) -> int | None:
    """Warms ``servable`` up before it serves: replays the version's recorded requests when it
    has them (returns how many records ran; raises, failing the load, if one fails), else runs
    each signature once on zeros (returns None; never raises)."""
    path = warmup_file(version_path)
    if not os.path.exists(path):
        log.info("No warmup data file found at %s: model %s version %d warms up on zeros",
                 path, servable.name, servable.version)
        servable.warm_up()
        return None
    return replay(servable, path, num_request_iterations)


def replay(servable: Servable, path: str, num_request_iterations: int = 1) -> int:
    """Runs every PredictionLog of the TFRecord file ``path`` on ``servable``,
    ``num_request_iterations`` times each; returns the number of records."""
    if num_request_iterations < 1:
        raise InvalidArgumentError(None, None, "num_request_iterations must be >= 1, got "
                                   f"{num_request_iterations}")
    start = time.monotonic()
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: a poller or worker thread
        count = asyncio.run(_replay(servable, path, num_request_iterations))
    else:  # called from a coroutine: the replay gets a loop of its own on another thread
        with ThreadPoolExecutor(1, thread_name_prefix="warmup") as pool:
            count = pool.submit(asyncio.run,
                                _replay(servable, path, num_request_iterations)).result()
    log.info("Finished reading warmup data for model %s version %d at %s. Number of warmup "
             "records read: %d (each run %d time%s). Elapsed time (microseconds): %d.",
             servable.name, servable.version, path, count, num_request_iterations,
             "" if num_request_iterations == 1 else "s", (time.monotonic() - start) * 1e6)
    return count


class _ThisVersion:
    """The repository of the replay's data plane: whatever model, version or label a record's
    ModelSpec names, it resolves to the version being loaded."""

    def __init__(self, entry):
        self._entry = entry

    def get(self, name, version=None, label=None):
        return self._entry

    def is_ready(self) -> bool:
        return False


class _NoDeadline:
    """The part of a gRPC ServicerContext the servicers read: no deadline."""

    @staticmethod
    def time_remaining():
        return None


async def _replay(servable: Servable, path: str, iterations: int) -> int:
    # The data plane and the servicers import the repository, which loads versions through
    # this module: imported here, when a version loads.
    from .dataplane import DataPlane
    from .repository import LoadedVersion
    from .services.common import RequestInfo
    from .services.tfserving import PredictionService

    plane = DataPlane(_ThisVersion(LoadedVersion(servable, {}, os.path.dirname(path))))
    prediction = PredictionService(plane)
    calls = {"predict_log": prediction.predict, "classify_log": prediction.classify,
             "regress_log": prediction.regress, "multi_inference_log": prediction.multi_inference}
    context = _NoDeadline()
    index = 0
    records = tf_record_iterator(path)  # a missing file: NotFoundError, naming it
    try:
        while True:
            try:
                record = next(records, None)
            except DataLossError as e:
                raise DataLossError(None, None, f"warm-up record {index}: {e.message}. Please "
                                    "verify your warmup data is in TFRecord format.") from None
            if record is None:
                return index
            if index >= MAX_RECORDS:
                raise InvalidArgumentError(None, None, "Number of warmup records exceeds the "
                                           f"maximum ({MAX_RECORDS}) at {path}")
            try:
                entry = prediction_log_pb2.PredictionLog.FromString(record)
            except DecodeError as e:
                raise InvalidArgumentError(None, None, f"Failed to parse warmup record {index} "
                                           f"from {path}: {e}") from None
            kind = entry.WhichOneof("log_type")
            call = calls.get(kind)
            if call is None:  # none set, session_run_log, or predict_streamed_log
                number = entry.DESCRIPTOR.fields_by_name[kind].number if kind else 0
                raise UnimplementedError(None, None, f"{path}: warm-up record {index}: "
                                         f"Unsupported log_type for warmup: {number} "
                                         f"({kind or 'no log_type set'})")
            request = getattr(entry, kind).request
            if kind != "multi_inference_log" and not request.model_spec.name:
                request.model_spec.name = servable.name  # TF Serving never reads the name
            for _ in range(iterations):
                try:
                    await call(request, context, RequestInfo(len(record)))
                except OpError as e:
                    raise type(e)(None, None, f"{path}: warm-up record {index} ({kind}) failed: "
                                  f"{e.message}") from None
                except Exception as e:  # noqa: BLE001 - reported as the load's failure, named
                    raise UnknownError(None, None, f"{path}: warm-up record {index} ({kind}) "
                                       f"failed: {type(e).__name__}: {e}") from e
            index += 1
    finally:  # a failed replay closes its file now, not when the generator is collected
        records.close()
