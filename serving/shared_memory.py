"""Triton's system shared-memory extension: clients on the same host register POSIX shared
memory regions (``shm_open`` keys) under names, then pass tensors by region, offset and byte size
instead of in the request (``shared_memory_region``, ``shared_memory_offset``,
``shared_memory_byte_size`` parameters on an input or a requested output).

The manager maps each registered region once. Inputs are copied out of a region and outputs
into it under the manager's lock, so an unregister never unmaps memory a request is using and a
request never keeps a view into memory its client may overwrite. Errors are worded as Triton's
shared_memory_manager.cc words them.
"""

from __future__ import annotations

import mmap
import os
import threading
from dataclasses import dataclass

from minitf.errors import (AlreadyExistsError, InternalError, InvalidArgumentError,
                           NotFoundError)

try:  # the stdlib's shm_open, which multiprocessing.shared_memory (and tritonclient) use
    import _posixshmem
except ImportError:  # not a POSIX build: registering is refused
    _posixshmem = None


@dataclass
class Region:
    name: str
    key: str
    offset: int
    byte_size: int
    memory: mmap.mmap
    start: int  # where the region begins in ``memory`` (mmap offsets are page-aligned)


class SharedMemoryManager:
    """The registered system shared-memory regions of one server, by name."""

    def __init__(self):
        self._regions: dict[str, Region] = {}
        self._lock = threading.Lock()

    def register(self, name: str, key: str, offset: int, byte_size: int):
        if _posixshmem is None:
            raise InvalidArgumentError(None, None, "shared memory is not supported on this "
                                       "platform")
        with self._lock:
            if name in self._regions:
                raise AlreadyExistsError(None, None, f"shared memory region '{name}' already "
                                         "in manager")
            try:
                fd = _posixshmem.shm_open(key, os.O_RDWR, mode=0o600)
            except (OSError, ValueError):  # ValueError: a key with a NUL byte
                raise InternalError(None, None, f"Unable to open shared memory region: "
                                    f"'{key}'") from None
            try:
                if byte_size <= 0 or offset + byte_size > os.fstat(fd).st_size:
                    raise InvalidArgumentError(None, None, f"failed to register shared memory "
                                               f"region '{name}': invalid args")
                start = offset % mmap.ALLOCATIONGRANULARITY  # mmap maps from a page boundary
                memory = mmap.mmap(fd, start + byte_size, offset=offset - start)
            except OSError as e:
                raise InvalidArgumentError(None, None, f"failed to register shared memory "
                                           f"region '{name}': {e.strerror}") from None
            finally:
                os.close(fd)
            self._regions[name] = Region(name, key, offset, byte_size, memory, start)

    def unregister(self, name: str = ""):
        """Unmaps ``name`` (every region when empty); an unknown name is not an error."""
        with self._lock:
            names = list(self._regions) if not name else [name] if name in self._regions \
                else []
            for n in names:
                self._regions.pop(n).memory.close()

    def status(self, name: str = "") -> list[Region]:
        with self._lock:
            if not name:
                return list(self._regions.values())
            if name not in self._regions:
                raise NotFoundError(None, None, "Unable to find system shared memory region: "
                                    f"'{name}'")
            return [self._regions[name]]

    def _span(self, name: str, offset: int, byte_size: int) -> Region:
        """The region of a tensor's ``name``, ``offset`` and ``byte_size``, checked to lie in
        it (call with the lock held)."""
        region = self._regions.get(name)
        if region is None:
            raise NotFoundError(None, None, f"Unable to find shared memory region: '{name}'")
        if offset < 0 or offset >= region.byte_size:
            raise InvalidArgumentError(None, None, "Invalid offset for shared memory region: "
                                       f"'{name}'")
        if byte_size < 0 or offset + byte_size > region.byte_size:
            raise InvalidArgumentError(None, None, "Invalid offset + byte size for shared "
                                       f"memory region: '{name}'")
        return region

    def read(self, name: str, offset: int, byte_size: int) -> bytes:
        """A copy of ``byte_size`` bytes at ``offset`` in region ``name``."""
        with self._lock:
            region = self._span(name, offset, byte_size)
            offset += region.start
            return region.memory[offset:offset + byte_size]

    def write(self, name: str, offset: int, byte_size: int, data: bytes, what: str):
        """Writes ``data`` at ``offset`` in region ``name``, whose span for it is
        ``byte_size`` bytes (``what`` names the tensor in errors)."""
        with self._lock:
            region = self._span(name, offset, byte_size)
            if len(data) > byte_size:
                raise InvalidArgumentError(
                    None, None, f"shared memory size specified with the request for {what} "
                    f"({byte_size} bytes) should be at least {len(data)} bytes to hold the "
                    "results")
            offset += region.start
            region.memory[offset:offset + len(data)] = data


@dataclass(frozen=True)
class TensorSpan:
    """Where a tensor's data lives: region name, offset and byte size."""
    region: str
    offset: int
    byte_size: int


def tensor_span(kind: str, name: str, params: dict) -> TensorSpan | None:
    """The shared-memory parameters of an input or requested output (``kind``), given as
    ``{key: python value}``; None when it names no region. Checked as Triton checks them."""
    if not any(k.startswith("shared_memory_") for k in params):
        return None
    what = f"{kind} '{name}'"
    region = params.get("shared_memory_region")
    if region is None:
        key = next(k for k in params if k.startswith("shared_memory_"))
        raise InvalidArgumentError(None, None, f"'{key}' can not be specified without "
                                   f"'shared_memory_region' parameter for {what}")
    if not isinstance(region, str):
        raise InvalidArgumentError(None, None, "invalid value type for 'shared_memory_region' "
                                   f"parameter for {what}, expected string_param")
    values = {}
    for key in ("shared_memory_offset", "shared_memory_byte_size"):
        value = params.get(key, 0 if key == "shared_memory_offset" else None)
        if value is None:
            raise InvalidArgumentError(None, None, f"'{key}' must be specified along with "
                                       f"'shared_memory_region' parameter for {what}")
        if type(value) is not int:
            raise InvalidArgumentError(None, None, f"invalid value type for '{key}' parameter "
                                       f"for {what}, expected int64_param")
        values[key] = value
    return TensorSpan(region, values["shared_memory_offset"], values["shared_memory_byte_size"])


__all__ = ["Region", "SharedMemoryManager", "TensorSpan", "tensor_span"]
