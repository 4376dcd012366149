"""Triton's system shared-memory extension: clients on the same host register POSIX shared
memory regions (``shm_open`` keys) under names, then pass tensors by region, offset and byte size
instead of in the request (``shared_memory_region``, ``shared_memory_offset``,
``shared_memory_byte_size`` parameters on an input or a requested output).

A region keeps its shm object's descriptor open and is read and written with pread/pwrite, not
mapped: a client that shrinks the object after registering it gets an error, where a mapping
would kill the server with SIGBUS. A request leases the regions it names when it arrives, so an
output goes to the region named then, even if the name is unregistered (or registered again) while
the request runs; the descriptor is closed when the last lease ends, as Triton unmaps a region
only after its in-flight requests. Errors are worded as Triton's shared_memory_manager.cc words
them.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from minitf.errors import (AlreadyExistsError, InternalError, InvalidArgumentError,
                           NotFoundError, UnimplementedError)

try:  # the stdlib's shm_open, which multiprocessing.shared_memory (and tritonclient) use
    import _posixshmem
except ImportError:  # not a POSIX build: registering is refused
    _posixshmem = None

DISABLED = "system shared memory is disabled on this server (--no_shared_memory)"


class Region:
    __slots__ = ("name", "key", "offset", "byte_size", "fd", "leases", "unregistered")

    def __init__(self, name, key, offset, byte_size, fd):
        self.name, self.key, self.offset, self.byte_size, self.fd = \
            name, key, offset, byte_size, fd
        self.leases, self.unregistered = 0, False


@dataclass(frozen=True)
class TensorSpan:
    """Where a request says a tensor's data lives: region name, offset and byte size."""
    region: str
    offset: int
    byte_size: int


class Lease:
    """A request's hold on the part of a region one of its tensors names."""

    def __init__(self, manager, region: Region, offset: int, byte_size: int):
        self._manager, self.region, self.offset, self.byte_size = \
            manager, region, offset, byte_size

    def read(self) -> bytes:
        data = os.pread(self.region.fd, self.byte_size, self.region.offset + self.offset)
        if len(data) != self.byte_size:
            raise InvalidArgumentError(None, None, f"shared memory region "
                                       f"'{self.region.name}' is smaller than registered (its "
                                       "object was truncated)")
        return data

    def write(self, data: bytes, what: str):
        if len(data) > self.byte_size:  # INTERNAL, as Triton's response allocator says it
            raise InternalError(
                None, None, f"shared memory size specified with the request for {what} "
                f"({self.byte_size} bytes) should be at least {len(data)} bytes to hold the "
                "results")
        start = self.region.offset + self.offset
        if os.fstat(self.region.fd).st_size < start + len(data):
            raise InvalidArgumentError(None, None, f"shared memory region "
                                       f"'{self.region.name}' is smaller than registered (its "
                                       "object was truncated)")
        os.pwrite(self.region.fd, data, start)

    def release(self):
        if self.region is not None:
            self._manager._release(self.region)
            self.region = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


class SharedMemoryManager:
    """The registered system shared-memory regions of one server, by name."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._regions: dict[str, Region] = {}
        self._lock = threading.Lock()

    def register(self, name: str, key: str, offset: int, byte_size: int):
        if not self.enabled:
            raise UnimplementedError(None, None, DISABLED)
        if _posixshmem is None:
            raise UnimplementedError(None, None, "shared memory is not supported on this "
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
            if byte_size <= 0 or offset + byte_size > os.fstat(fd).st_size:
                os.close(fd)
                raise InvalidArgumentError(None, None, f"failed to register shared memory "
                                           f"region '{name}': invalid args")
            self._regions[name] = Region(name, key, offset, byte_size, fd)

    def unregister(self, name: str = ""):
        """Unregisters ``name`` (every region when empty); an unknown name is not an error.
        A region's descriptor is closed once no request holds a lease on it."""
        with self._lock:
            names = list(self._regions) if not name else [name] if name in self._regions \
                else []
            for n in names:
                region = self._regions.pop(n)
                region.unregistered = True
                if not region.leases:
                    os.close(region.fd)

    def status(self, name: str = "") -> list[Region]:
        with self._lock:
            if not name:
                return list(self._regions.values())
            if name not in self._regions:
                raise NotFoundError(None, None, "Unable to find system shared memory region: "
                                    f"'{name}'")
            return [self._regions[name]]

    def lease(self, span: TensorSpan) -> Lease:
        """The part of its region ``span`` names, checked to lie in it and held until the
        lease is released."""
        if not self.enabled:
            raise UnimplementedError(None, None, DISABLED)
        with self._lock:
            region = self._regions.get(span.region)
            if region is None:
                raise NotFoundError(None, None, "Unable to find shared memory region: "
                                    f"'{span.region}'")
            if span.offset < 0 or span.offset >= region.byte_size:
                raise InvalidArgumentError(None, None, "Invalid offset for shared memory "
                                           f"region: '{span.region}'")
            if span.byte_size < 0 or span.offset + span.byte_size > region.byte_size:
                raise InvalidArgumentError(None, None, "Invalid offset + byte size for shared "
                                           f"memory region: '{span.region}'")
            region.leases += 1
        return Lease(self, region, span.offset, span.byte_size)

    def read(self, span: TensorSpan) -> bytes:
        with self.lease(span) as lease:
            return lease.read()

    def _release(self, region: Region):
        with self._lock:
            region.leases -= 1
            if region.unregistered and not region.leases:
                os.close(region.fd)


_SPAN_KEYS = ("shared_memory_region", "shared_memory_offset", "shared_memory_byte_size")


def tensor_span(kind: str, name: str, params: dict) -> TensorSpan | None:
    """The shared-memory parameters of an input or requested output (``kind``), given as
    ``{key: python value}``; None when it names no region. Checked as Triton checks them
    (other keys, ``shared_memory_*`` ones included, are not this extension's)."""
    if not any(k in params for k in _SPAN_KEYS):
        return None
    what = f"{kind} '{name}'"
    region = params.get("shared_memory_region")
    if region is None:
        key = next(k for k in _SPAN_KEYS if k in params)
        raise InvalidArgumentError(None, None, f"'{key}' can not be specified without "
                                   f"'shared_memory_region' parameter for {what}")
    if not isinstance(region, str):
        raise InvalidArgumentError(None, None, "invalid value type for 'shared_memory_region' "
                                   f"parameter for {what}, expected string_param")
    values = {}
    for key in _SPAN_KEYS[1:]:
        value = params.get(key, 0 if key == "shared_memory_offset" else None)
        if value is None:
            raise InvalidArgumentError(None, None, f"'{key}' must be specified along with "
                                       f"'shared_memory_region' parameter for {what}")
        if type(value) is not int:
            raise InvalidArgumentError(None, None, f"invalid value type for '{key}' parameter "
                                       f"for {what}, expected int64_param")
        values[key] = value
    return TensorSpan(region, values["shared_memory_offset"], values["shared_memory_byte_size"])


__all__ = ["DISABLED", "Lease", "Region", "SharedMemoryManager", "TensorSpan", "tensor_span"]
