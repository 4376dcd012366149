"""A PNG codec in numpy + zlib, behind DecodePng, DecodeImage, EncodePng and ImageSummary.

The decoder reads every colour type (grey, RGB, palette, grey+alpha, RGBA) at every legal bit
depth, Adam7-interlaced or not, and converts the result as TensorFlow's libpng-based kernel does
(tensorflow/core/lib/png/png_io.cc): the same channel conversions, the same integer rgb-to-grey
arithmetic, 16 -> 8 bits by keeping the high byte, 8 -> 16 bits by multiplying by 257. Critical
chunks must pass their CRC (libpng refuses them); a bad ancillary chunk is dropped, as libpng does.

Errors are ``PngError``s carrying whether they happened before the first IDAT (libpng fails in
png_read_info: TF says "Failed to initialize decoder") or while reading the image data.
"""

from __future__ import annotations

import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Adam7 passes: (first row, first column, row step, column step).
_ADAM7 = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2),
          (1, 0, 2, 1))
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # samples per pixel of each colour type
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_ENCODE_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> grey, grey+alpha, RGB, RGBA
# TF asks libpng for rgb-to-grey with red 0.299 and green 0.587; libpng keeps them in 1/32768ths
# (truncated) and gives blue the rest. 8-bit pixels truncate, 16-bit ones round (libpng's code).
_GRAY_WEIGHTS = np.array([9797, 19234, 32768 - 9797 - 19234], np.int64)
_MAX_SIDE = 1_000_000  # libpng's default user limit on width and height


class PngError(Exception):
    def __init__(self, message: str, in_header: bool):
        super().__init__(message)
        self.in_header = in_header


def sniff(data: bytes) -> str | None:
    """The image format of ``data`` by its magic bytes (the formats TF's DecodeImage knows)."""
    if data.startswith(SIGNATURE):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"GIF8"):
        return "GIF"
    if data.startswith(b"BM"):
        return "BMP"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "JPEG XL"
    return None


# -- chunks ----------------------------------------------------------------------------------------


def _read_chunks(data: bytes):
    """(header fields, palette, tRNS bytes, compressed image data) of a PNG file."""
    ihdr = palette = trns = None
    idat: list[bytes] = []
    pos, idat_ended = len(SIGNATURE), False
    while True:
        if pos + 12 > len(data):
            raise PngError("file ends before its IEND chunk", not idat)
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        in_header = not idat and kind != b"IDAT"  # libpng reads IDATs after png_read_info
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise PngError(f"truncated {kind!r} chunk", in_header)
        body = data[pos + 8:end - 4]
        critical = not kind[0] & 0x20  # an upper-case first letter
        pos = end
        if zlib.crc32(kind + body) != int.from_bytes(data[end - 4:end], "big"):
            if critical:
                raise PngError(f"CRC error in {kind.decode(errors='replace')} chunk", in_header)
            continue  # libpng drops an ancillary chunk with a bad CRC
        if ihdr is None:
            if kind != b"IHDR":
                raise PngError("the first chunk is not IHDR", True)
            ihdr = _header(body)
        elif kind == b"IDAT":
            if ihdr[3] == 3 and palette is None:
                raise PngError("palette image without a PLTE chunk", True)
            if not idat_ended:  # data after the first run of IDATs is extra, as libpng sees it
                idat.append(body)
            continue
        elif kind == b"IEND":
            break
        elif kind == b"PLTE" and not idat:
            if not length or length % 3 or length > 768:
                if ihdr[3] == 3:
                    raise PngError(f"invalid PLTE length {length}", True)
            else:
                palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS" and not idat:
            trns = body
        elif critical and kind not in (b"IHDR", b"PLTE"):
            raise PngError(f"unknown critical chunk {kind!r}", in_header)
        idat_ended = bool(idat)
    if not idat:
        raise PngError("no IDAT chunk", True)
    return ihdr, palette, trns, b"".join(idat)


def _header(body: bytes):
    if len(body) != 13:
        raise PngError(f"IHDR has length {len(body)}, not 13", True)
    width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
    depth, color_type, compression, filter_method, interlace = body[8:13]
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        raise PngError(f"unsupported image size {width}x{height}", True)
    if depth not in _DEPTHS.get(color_type, ()):
        raise PngError(f"invalid bit depth {depth} for colour type {color_type}", True)
    if compression or filter_method or interlace > 1:
        raise PngError("unknown compression, filter or interlace method", True)
    return width, height, depth, color_type, interlace


# -- scanlines ------------------------------------------------------------------------------------


def _paeth(a, b, c):
    pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _unfilter(rows: np.ndarray, bpp: int) -> np.ndarray:
    """The raw bytes of filtered scanlines [rows, 1 + stride] (filter byte first)."""
    kinds, data = rows[:, 0], rows[:, 1:]
    if (kinds > 4).any():
        raise PngError(f"unknown filter type {int(kinds.max())}", False)
    h, stride = data.shape
    if not np.isin(kinds, (3, 4)).any():
        # None, Sub and Up only: each row at once (Sub is a running sum per byte lane, mod 256).
        out = np.empty_like(data)
        prior = np.zeros(stride, np.uint8)
        for r in range(h):
            if kinds[r] == 1:
                out[r] = np.cumsum(data[r].reshape(-1, bpp), 0, dtype=np.uint8).reshape(-1)
            else:
                out[r] = data[r] + prior if kinds[r] == 2 else data[r]
            prior = out[r]
        return out
    # Average and Paeth read the decoded bytes to the left, above and above-left, so the pixels
    # of one anti-diagonal (row + column = t) are independent: sweep t, vectorised over rows,
    # keeping the two previous diagonals (indexed by row + 1; index 0 is the zero row above).
    n = stride // bpp
    f = data.reshape(h * n, bpp).astype(np.int16)
    out = np.empty((h * n, bpp), np.uint8)
    kind = kinds[:, None, None]
    sub, up, avg, paeth = kind == 1, kind == 2, kind == 3, kind == 4
    prev2 = np.zeros((h + 1, bpp), np.int16)
    prev1 = np.zeros((h + 1, bpp), np.int16)
    rows = np.arange(h) * (n - 1)  # flat index of (r, t - r) is r * (n - 1) + t
    for t in range(h + n - 1):
        r0, r1 = max(0, t - n + 1), min(h, t + 1)
        a, b, c = prev1[r0 + 1:r1 + 1], prev1[r0:r1], prev2[r0:r1]
        rs = slice(r0, r1)
        pred = np.where(sub[rs, 0], a, np.where(up[rs, 0], b, np.where(
            avg[rs, 0], (a + b) >> 1, np.where(paeth[rs, 0], _paeth(a, b, c), 0))))
        at = rows[rs] + t
        cur = np.zeros((h + 1, bpp), np.int16)
        cur[r0 + 1:r1 + 1] = (f[at] + pred) & 255
        out[at] = cur[r0 + 1:r1 + 1]
        prev2, prev1 = prev1, cur
    return out.reshape(h, stride)


def _samples(raw: np.ndarray, width: int, spp: int, depth: int) -> np.ndarray:
    """Unpacked samples [rows, width, spp] (uint8, or uint16 for 16-bit) of raw scanlines."""
    h = raw.shape[0]
    if depth == 16:
        return raw.view(">u2").astype(np.uint16).reshape(h, width, spp)
    if depth == 8:
        return raw.reshape(h, width, spp)
    bits = np.unpackbits(raw, axis=1)[:, :width * depth].reshape(h, width, depth)
    weights = (1 << np.arange(depth - 1, -1, -1)).astype(np.uint8)
    return (bits * weights).sum(-1, dtype=np.uint8)[..., None]


def _pixels(raw: bytes, width, height, depth, color_type, interlace) -> np.ndarray:
    spp = _SAMPLES[color_type]
    bits = spp * depth
    bpp = max(1, bits // 8)
    passes = [(r0, c0, dr, dc, -(-(height - r0) // dr), -(-(width - c0) // dc))
              for r0, c0, dr, dc in (_ADAM7 if interlace else ((0, 0, 1, 1),))]
    passes = [p for p in passes if p[4] > 0 and p[5] > 0]  # an empty pass has no scanlines
    sizes = [ph * (1 + (pw * bits + 7) // 8) for *_, ph, pw in passes]
    try:  # max_length: a small file cannot make us inflate more than the image needs
        data = zlib.decompressobj().decompress(raw, sum(sizes))
    except zlib.error as e:
        raise PngError(f"bad compressed data ({e})", False) from None
    if len(data) < sum(sizes):
        raise PngError("not enough image data", False)
    buf = np.frombuffer(data, np.uint8)
    image = np.zeros((height, width, spp), np.uint16 if depth == 16 else np.uint8)
    pos = 0
    for (r0, c0, dr, dc, ph, pw), size in zip(passes, sizes):
        rows = _unfilter(buf[pos:pos + size].reshape(ph, -1), bpp)
        image[r0::dr, c0::dc] = _samples(rows, pw, spp, depth)
        pos += size
    return image


# -- colour conversion ----------------------------------------------------------------------------


def _to_gray(rgb: np.ndarray, depth: int) -> np.ndarray:
    y = rgb.astype(np.int64) @ _GRAY_WEIGHTS
    y = (y + 16384) >> 15 if depth == 16 else y >> 15
    return y.astype(rgb.dtype)[..., None]


def _convert(pixels, depth, color_type, palette, trns, channels):
    """libpng's transformations as TF requests them: (image, its bit depth: 8 or 16)."""
    alpha = transparent = None
    # TF asks libpng for an opaque alpha filler, which libpng cuts to the file's bit depth: an
    # alpha channel added to a 1/2/4-bit image without tRNS is 1, 3 or 15 (TF's output).
    filler = (1 << depth) - 1 if depth < 8 else 255 if depth == 8 else 65535
    if color_type == 3:
        table = np.zeros((256, 3), np.uint8)  # libpng pads the palette with black
        table[:len(palette)] = palette
        index = pixels[..., 0]
        color, is_gray = table[index], False
        if trns is not None and 0 < len(trns) <= len(palette):  # else libpng ignores it
            alphas = np.full(256, 255, np.uint8)
            alphas[:len(trns)] = np.frombuffer(trns, np.uint8)
            alpha = alphas[index][..., None]
        depth = 8
    else:
        is_gray = color_type in (0, 4)
        has_alpha = color_type in (4, 6)
        color = pixels[..., :-1] if has_alpha else pixels
        alpha = pixels[..., -1:] if has_alpha else None
        if trns is not None and not has_alpha and len(trns) == 2 * color.shape[-1]:
            key = np.frombuffer(trns, ">u2") & ((1 << depth) - 1)  # libpng masks to the depth
            transparent = (color == key).all(-1, keepdims=True)
        if depth < 8:  # libpng scales 1/2/4-bit grey to 8 bits (0b11 -> 255)
            color = color * np.uint8(255 // ((1 << depth) - 1))
            depth = 8
    want_gray = channels == 1 or (channels == 0 and is_gray)
    # Asked for as stored, a grey or RGB image's tRNS does not add a channel (TF's choice).
    want_alpha = channels == 4 or (channels == 0 and alpha is not None)
    if want_gray and not is_gray:
        color = _to_gray(color, depth)
    elif not want_gray and is_gray:
        color = np.repeat(color, 3, axis=-1)
    if want_alpha:
        if transparent is not None:
            alpha = np.where(transparent, 0, np.iinfo(color.dtype).max).astype(color.dtype)
        elif alpha is None:
            alpha = np.full(color.shape[:-1] + (1,), filler, color.dtype)
        color = np.concatenate([color, alpha], axis=-1)
    return color, depth


def decode_png(data: bytes, channels: int = 0, sixteen_bit: bool = False) -> np.ndarray:
    """[height, width, channels] uint8 (uint16 when ``sixteen_bit``) pixels of a PNG file.
    ``channels``: 0 as stored, 1 grey, 3 RGB, 4 RGBA. Raises PngError on corrupt data."""
    if not data.startswith(SIGNATURE):
        raise PngError("not a PNG file", True)
    (width, height, depth, color_type, interlace), palette, trns, raw = _read_chunks(data)
    pixels = _pixels(raw, width, height, depth, color_type, interlace)
    image, depth = _convert(pixels, depth, color_type, palette, trns, channels)
    if sixteen_bit:
        return image if depth == 16 else image.astype(np.uint16) * np.uint16(257)
    return (image >> 8).astype(np.uint8) if depth == 16 else image


# -- encoder --------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (len(data).to_bytes(4, "big") + kind + data
            + (zlib.crc32(kind + data) & 0xFFFFFFFF).to_bytes(4, "big"))


def encode_png(image: np.ndarray, compression: int = -1) -> bytes:
    """A PNG of a uint8 or uint16 [height, width, channels] array (1-4 channels, not empty);
    ``compression`` is zlib's level (-1: its default)."""
    h, w, c = image.shape
    depth = 16 if image.dtype == np.uint16 else 8
    rows = np.ascontiguousarray(image, ">u2" if depth == 16 else np.uint8).view(np.uint8)
    raw = np.zeros((h, 1 + rows.size // h), np.uint8)  # filter byte 0 ("None") on each row
    raw[:, 1:] = rows.reshape(h, -1)
    ihdr = (w.to_bytes(4, "big") + h.to_bytes(4, "big")
            + bytes([depth, _ENCODE_COLOR_TYPE[c], 0, 0, 0]))
    return (SIGNATURE + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), compression)) + _chunk(b"IEND", b""))
