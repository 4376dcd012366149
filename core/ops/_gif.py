"""GIF decoding as TensorFlow does it: giflib 5.2's DGifOpen/DGifSlurp (record parsing, LZW with
giflib's table and quirks) and TF's gif_io.cc compositing of the frames.

TF's rules, which differ from a browser's:

- the canvas is the largest frame width by the largest frame height (the logical screen size
  is ignored), frame 0 starts black, and every later frame starts as a copy of the previous
  one: disposal methods are ignored;
- a frame's transparent index (its Graphics Control Extension) leaves the canvas pixel as it
  is (black in frame 0); a frame is clipped to the canvas;
- a frame with neither a local nor a global colour table, or a pixel index past the table's
  end, fails the whole decode;
- an error in a frame (truncated or defective data, an LZW end code before the last pixel)
  drops that frame; after at least one good frame TF only logs it and returns the frames so
  far, so a file cut short still decodes. Before any, it is the error.
"""

from __future__ import annotations

import numpy as np

# giflib's error strings (gif_err.c), by the condition that raises them.
READ_FAILED = "Failed to read from given file"
NOT_GIF = "Data is not in GIF format"
NO_SCREEN = "No screen descriptor detected"
NO_IMAGE = "No Image Descriptor detected"
WRONG_RECORD = "Wrong record type detected"
IMAGE_DEFECT = "Image is defective, decoding aborted"
EOF_TOO_SOON = "Image EOF detected before image complete"
UNKNOWN = "Unknown error"  # GifErrorString of 0: TF's GifErrorStringNonNull

_LZ_MAX_CODE, _LZ_BITS, _NO_SUCH_CODE = 4095, 12, 4098
_GRAPHICS_EXT = 0xF9
_INTERLACE = ((0, 8), (4, 8), (2, 4), (1, 2))
_BYTES = [bytes([i]) for i in range(256)]


class GifError(Exception):
    """A decode failure with TF's message (after "Invalid GIF data (size N), ")."""


class _Frame:
    def __init__(self, left, top, width, height, colors, interlaced):
        self.left, self.top, self.width, self.height = left, top, width, height
        self.colors, self.interlaced = colors, interlaced
        self.raster = None
        self.transparent = -1


class _GiflibError(Exception):
    """giflib returned GIF_ERROR with this error string."""


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, n: int) -> bytes:
        # TF's input callback returns what is left; giflib fails a short read.
        chunk = self.data[self.pos:self.pos + n]
        self.pos += len(chunk)
        if len(chunk) != n:
            raise _GiflibError(READ_FAILED)
        return chunk

    def word(self) -> int:
        b = self.read(2)
        return b[0] | b[1] << 8

    def color_map(self, flags: int):
        if not flags & 0x80:
            return None
        n = 1 << ((flags & 7) + 1)
        return np.frombuffer(self.read(3 * n), np.uint8).reshape(n, 3)

    def sub_blocks(self):
        """The data of the sub-blocks from here (the LZW stream) and the error giflib meets
        if it reads past them: a zero-length block is a defect, a short one a read failure.
        Stops after the terminator (None for the error then)."""
        parts, data = [], self.data
        while True:
            if self.pos >= len(data):
                return b"".join(parts), READ_FAILED, False
            n = data[self.pos]
            if n == 0:
                self.pos += 1
                return b"".join(parts), IMAGE_DEFECT, True
            if self.pos + 1 + n > len(data):
                self.pos = len(data)
                return b"".join(parts), READ_FAILED, False
            parts.append(data[self.pos + 1:self.pos + 1 + n])
            self.pos += 1 + n


def _trace(prefix, suffix, code: int, clear: int) -> bytes | None:
    """The pixels of a defined code by giflib's stack walk; None where giflib flags a defect."""
    stack = []
    while len(stack) < _LZ_MAX_CODE and clear < code <= _LZ_MAX_CODE:
        stack.append(suffix[code])
        code = prefix[code]
    if len(stack) >= _LZ_MAX_CODE or code > _LZ_MAX_CODE:
        return None
    stack.append(code & 0xFF)
    return bytes(reversed(stack))


def lzw_decode(stream: bytes, end_error: str, min_bits: int, npix: int):
    """giflib's DGifDecompressLine over a whole frame: (pixels, error or None). The pixels stop
    where giflib stopped; codes below the clear code are pixels truncated to a byte."""
    clear = 1 << min_bits
    eof = clear + 1
    running_code, running_bits = eof + 1, min_bits + 1
    max_code1 = 1 << running_bits
    prefix = [_NO_SUCH_CODE] * (_LZ_MAX_CODE + 1)
    suffix = [0] * (_LZ_MAX_CODE + 1)
    # Each code's pixels while its chain is sound (the fast path); giflib walks the chain.
    strings: list = [_BYTES[c & 0xFF] for c in range(clear)] + [None] * (4096 - clear)
    last = _NO_SUCH_CODE
    out = bytearray()
    acc = nbits = pos = 0
    n_stream = len(stream)
    while len(out) < npix:
        while nbits < running_bits:
            if pos >= n_stream:
                return out, end_error
            acc |= stream[pos] << nbits
            pos += 1
            nbits += 8
        code = acc & ((1 << running_bits) - 1)
        acc >>= running_bits
        nbits -= running_bits
        if running_code < _LZ_MAX_CODE + 2:
            running_code += 1
            if running_code > max_code1 and running_bits < _LZ_BITS:
                max_code1 <<= 1
                running_bits += 1
        if code == eof:
            return out, EOF_TOO_SOON
        if code == clear:
            prefix = [_NO_SUCH_CODE] * (_LZ_MAX_CODE + 1)
            strings[clear:] = [None] * (4096 - clear)
            running_code, running_bits = eof + 1, min_bits + 1
            max_code1 = 1 << running_bits
            last = _NO_SUCH_CODE
            continue
        new = running_code - 2
        # ``lead`` is the first pixel of the code's string: giflib's DGifGetPrefixChar.
        if code < clear:
            lead = code & 0xFF
            out.append(lead)
        elif prefix[code] != _NO_SUCH_CODE:
            s = strings[code]
            if s is None and (s := _trace(prefix, suffix, code, clear)) is None:
                return out, IMAGE_DEFECT
            out += s
            lead = s[0]
        else:
            # KwKwK (the code being defined) repeats the last string's first pixel; a code
            # from the future gets pixel 2 (giflib's NO_SUCH_CODE as a byte).
            head = None if last > _LZ_MAX_CODE else strings[last]
            if head is None and (last > _LZ_MAX_CODE or
                                 (head := _trace(prefix, suffix, last, clear)) is None):
                return out, IMAGE_DEFECT
            lead = head[0] if code == new else _NO_SUCH_CODE & 0xFF
            suffix[new] = lead
            strings[new] = None
            out += head
            out.append(lead)
        if last != _NO_SUCH_CODE and new <= _LZ_MAX_CODE and prefix[new] == _NO_SUCH_CODE:
            prefix[new], suffix[new] = last, lead
            head = strings[last]
            strings[new] = None if head is None else head + _BYTES[lead]
        last = code
    del out[npix:]
    return out, None


def _rows_order(height: int) -> np.ndarray:
    return np.concatenate([np.arange(start, height, step) for start, step in _INTERLACE])


def _read_image(reader: _Reader, extensions: list) -> _Frame:
    left, top, width, height = (reader.word() for _ in range(4))
    flags = reader.read(1)[0]
    frame = _Frame(left, top, width, height, reader.color_map(flags), bool(flags & 0x40))
    min_bits = reader.read(1)[0]
    if min_bits > 8:
        raise _GiflibError(READ_FAILED)
    if width <= 0 or height <= 0:  # giflib sets no error code of its own for these
        raise _GiflibError(UNKNOWN)
    stream, end_error, terminated = reader.sub_blocks()
    pixels, error = lzw_decode(stream, end_error, min_bits, width * height)
    if error is not None:
        raise _GiflibError(error)
    if not terminated:  # the flush of the remaining sub-blocks hit the end of the data
        raise _GiflibError(READ_FAILED)
    frame.raster = np.frombuffer(bytes(pixels), np.uint8)
    if frame.interlaced:
        # giflib reads the rows pass by pass (every 8th from 0, every 8th from 4, ...).
        raster = np.empty_like(frame.raster)
        raster.reshape(height, width)[_rows_order(height)] = frame.raster.reshape(height, width)
        frame.raster = raster
    for function, block in extensions:  # the first Graphics Control Extension counts
        if function == _GRAPHICS_EXT:
            if len(block) == 4 and block[0] & 1:
                frame.transparent = block[3]
            break
    extensions.clear()
    return frame


def _read_extension(reader: _Reader, extensions: list):
    function = reader.read(1)[0]
    first = True
    while True:
        n = reader.read(1)[0]
        if n == 0:
            return
        block = reader.read(n)
        extensions.append((function if first else 0, block))
        first = False


def slurp(data: bytes):
    """DGifOpen + DGifSlurp: (frames, error string or None). Raises GifError where TF gives up."""
    reader = _Reader(data)
    try:
        if reader.read(6)[:3] != b"GIF":
            raise GifError("failed to open gif file: " + NOT_GIF)
    except _GiflibError as e:
        raise GifError("failed to open gif file: " + str(e)) from None
    try:
        reader.read(4)  # the logical screen size, which TF ignores
        flags = reader.read(3)[0]
        global_colors = reader.color_map(flags)
    except _GiflibError:
        raise GifError("failed to open gif file: " + NO_SCREEN) from None
    frames: list = []
    extensions: list = []
    error = None
    try:
        while True:
            record = reader.read(1)[0]
            if record == 0x2C:
                frames.append(_read_image(reader, extensions))
            elif record == 0x21:
                _read_extension(reader, extensions)
            elif record == 0x3B:
                break
            else:
                raise _GiflibError(WRONG_RECORD)
        if not frames:
            raise _GiflibError(NO_IMAGE)
    except _GiflibError as e:
        error = str(e)
        if not frames:
            raise GifError("failed to slurp gif file: " + error) from None
    return frames, global_colors, error


def decode(data: bytes, expand_animations: bool = True) -> np.ndarray:
    """TF's gif::Decode: uint8 [frames, height, width, 3] (one frame unless expanding)."""
    frames, global_colors, _ = slurp(data)
    width = max(f.width for f in frames)
    height = max(f.height for f in frames)
    count = len(frames) if expand_animations else 1
    out = np.zeros((count, height, width, 3), np.uint8)
    for k in range(count):
        if k:
            out[k] = out[k - 1]
        _draw(out[k], frames[k], global_colors, k)
    return out


def _draw(canvas: np.ndarray, frame: _Frame, global_colors, k: int):
    colors = frame.colors if frame.colors is not None else global_colors
    if colors is None:
        raise GifError(f"missing color map for frame {k}")
    height, width = canvas.shape[:2]
    bottom = min(frame.top + frame.height, height)
    right = min(frame.left + frame.width, width)
    if frame.top >= bottom or frame.left >= right:
        return
    index = frame.raster.reshape(frame.height, frame.width)[
        :bottom - frame.top, :right - frame.left]
    opaque = index != frame.transparent
    bad = opaque & (index >= len(colors))
    if bad.any():  # TF stops at the first one in row-major order
        raise GifError(f"found color index {index[bad][0]} outside of color map range "
                       f"{len(colors)}")
    region = canvas[frame.top:bottom, frame.left:right]
    region[opaque] = colors[index[opaque]]
