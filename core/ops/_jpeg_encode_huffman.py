"""The entropy coder of core/ops/_jpeg_encode.py: the scans of a sequential (jchuff.c) or
progressive (jcphuff.c, jpeg_simple_progression's script) JPEG, with the standard Huffman tables
or tables optimised for the image (jpeg_gen_optimal_table), bit for bit as libjpeg writes them.

A scan is first turned into a token stream, numpy arrays in output order: the Huffman table of
each token (-1 for raw bits: DC refinement and AC correction bits), its symbol, and the value
bits after it. Counting the symbols gives the optimised tables; looking their codes up and
packing the (code, bits) pairs with a few bincounts gives the entropy-coded bytes. Sequential
scans and first progressive passes are vectorised; EOB runs and the AC refinement pass (whose
correction bits are buffered across blocks) walk the blocks in Python, touching only nonzero
coefficients.
"""

from __future__ import annotations

import numpy as np

from ._jpeg_scan import ZIGZAG


class JpegEncodeError(Exception):
    """libjpeg refused (TF reports it as "JPEG encoding failed")."""


_ZZ = ZIGZAG[:64]


def _std_tables():
    """The JPEG standard's example AC tables (Annex K.3), which jpeg_set_defaults installs:
    (code counts per length 1..16, symbols)."""
    ac_luma = [0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13,
               0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42,
               0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A,
               0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A]
    ac_luma += [r * 16 + s for r in range(3, 9) for s in range(4 if r == 3 else 3, 11)]
    ac_luma += [r * 16 + s for r in range(9, 14) for s in range(2, 11)]  # 0x92..0xDA
    ac_luma += [0xE1] + [0xE0 + s for s in range(2, 11)] + [0xF1] + [0xF0 + s for s in range(2, 11)]
    ac_chroma = [0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51,
                 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1,
                 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0, 0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24,
                 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26, 0x27, 0x28, 0x29, 0x2A]
    ac_chroma += [r * 16 + s for r in range(3, 8) for s in range(5 if r == 3 else 3, 11)]
    ac_chroma += [r * 16 + s for r in range(8, 14) for s in range(2, 11)]  # 0x82..0xDA
    ac_chroma += [0xE0 + s for s in range(2, 11)] + [0xF0 + s for s in range(2, 11)]
    return {
        2: ((0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D), bytes(ac_luma)),
        3: ((0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77), bytes(ac_chroma)),
    }


# Table keys: 0 / 1 the DC tables of luma / chroma, 2 / 3 the AC ones; -1 marks raw bits.
STD_TABLES = {0: ((0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0), bytes(range(12))),
              1: ((0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0), bytes(range(12))),
              **_std_tables()}
_EOBRUN_MAX = 0x7FFF
_MAX_CORR_BITS = 1000  # jcphuff.c: the correction-bit buffer


def huffman_codes(counts, symbols):
    """jchuff.c jpeg_make_c_derived_tbl: (code, length) arrays indexed by symbol (0..255)."""
    code_of, length_of = np.zeros(256, np.int64), np.zeros(256, np.int64)
    code, k = 0, 0
    for bits, n in enumerate(counts, 1):
        for _ in range(n):
            code_of[symbols[k]], length_of[symbols[k]] = code, bits
            code, k = code + 1, k + 1
        code <<= 1
    return code_of, length_of


def optimal_table(freq: np.ndarray):
    """jchuff.c jpeg_gen_optimal_table: (counts, symbols) of a length-limited Huffman code for
    the 256 symbol frequencies, with its tie rule (of equal frequencies, the larger symbol is
    merged first) and the reserved all-ones code (a pseudo-symbol 256 of frequency 1); codes
    over 32 bits before limiting are libjpeg's JERR_HUFF_CLEN_OVERFLOW."""
    freq = np.append(np.asarray(freq, np.int64)[:256], 1)
    codesize = np.zeros(257, np.int64)
    others = [-1] * 257
    big = np.iinfo(np.int64).max
    while True:
        live = np.where(freq > 0, freq, big)
        v = live.min()
        c1 = 256 - int(np.argmax(live[::-1] == v))  # ties: the larger symbol
        live[c1] = big
        v = live.min()
        if v == big:
            break
        c2 = 256 - int(np.argmax(live[::-1] == v))
        freq[c1] += freq[c2]
        freq[c2] = 0
        codesize[c1] += 1
        while others[c1] >= 0:
            c1 = others[c1]
            codesize[c1] += 1
        others[c1] = c2
        codesize[c2] += 1
        while others[c2] >= 0:
            c2 = others[c2]
            codesize[c2] += 1
    if codesize.max() > 32:  # jchuff.c's MAX_CLEN
        raise JpegEncodeError("Huffman code size table overflow")
    bits = np.bincount(codesize[codesize > 0], minlength=33).tolist()
    for i in range(32, 16, -1):  # JPEG allows no code longer than 16 bits
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1  # the pseudo-symbol's code
    order = np.lexsort((np.arange(256), codesize[:256]))
    symbols = [int(s) for s in order if codesize[s] > 0]
    return tuple(bits[1:17]), bytes(symbols)


# -- token streams --------------------------------------------------------------------------------


class Tokens:
    """A scan's tokens in output order: table key, symbol, value bits and their count."""

    def __init__(self, table, symbol, extra, nextra):
        self.table, self.symbol = np.asarray(table, np.int64), np.asarray(symbol, np.int64)
        self.extra, self.nextra = np.asarray(extra, np.int64), np.asarray(nextra, np.int64)


def _nbits(a):
    """Bits of |a| (0 for 0), as JPEG_NBITS."""
    a = np.abs(a)
    n = np.zeros(a.shape, np.int64)
    while np.any(a):
        n += a > 0
        a = a >> 1
    return n


def _value_bits(v, size):
    """The size low bits of v, or of v - 1 for a negative v (one's complement of |v|)."""
    return np.where(v < 0, v - 1, v) & ((1 << size) - 1)


def dc_tokens(dc, comp_of_block, comps):
    """DC difference tokens of the blocks' (point-transformed) DC values, predicted per
    component in scan order."""
    diff = np.zeros_like(dc)
    for i in range(len(comps)):
        mask = comp_of_block == i
        diff[mask] = np.diff(dc[mask], prepend=0)
    size = _nbits(diff)
    tables = np.array([c.table for c in comps], np.int64)[comp_of_block]
    return Tokens(tables, size, _value_bits(diff, size), size)


def _ac_symbols(zz, al):
    """The nonzero coefficients of zz [n, bandwidth] after the point transform (|c| >> al,
    signed): (block, band position, run of zeros before it within its block, value)."""
    t = np.abs(zz) >> al
    t = np.where(zz < 0, -t, t)
    bi, ki = np.nonzero(t)
    prev = np.full(len(ki), -1, np.int64)
    same = np.zeros(len(ki), bool)
    same[1:] = bi[1:] == bi[:-1]
    prev[1:][same[1:]] = ki[:-1][same[1:]]
    return bi, ki, ki - prev - 1, t[bi, ki]


def ac_tokens(zz, table_of_block, al, sequential, dc=None):
    """AC tokens of blocks zz [n, bandwidth]: ZRLs, run/size symbols with their value bits, and
    either an EOB per block ending in zeros (sequential) or jcphuff.c's EOB runs; ``dc``
    (Tokens, one per block) goes before each block's AC tokens."""
    n, band = zz.shape
    bi, ki, run, val = _ac_symbols(zz, al)
    size = _nbits(val)
    zrl = run >> 4
    # Sort keys: block * 1024 + slot; a coefficient at k has its ZRLs at 4k..4k+2, itself at
    # 4k+3; an EOB run before a block's coefficients at slot 0, its DC at 1, its EOB at 1000.
    rep = np.repeat(np.arange(len(bi)), zrl)
    nth = np.arange(len(rep)) - np.repeat(np.cumsum(zrl) - zrl, zrl)
    keys = [bi[rep] * 1024 + 4 + 4 * ki[rep] + nth, bi * 1024 + 4 + 4 * ki + 3]
    tbl = table_of_block
    parts = [(tbl[bi[rep]], np.full(len(rep), 0xF0), 0, 0),
             (tbl[bi], ((run & 15) << 4) + size, _value_bits(val, size), size)]
    if dc is not None:
        keys.append(np.arange(n) * 1024 + 1)
        parts.append((dc.table, dc.symbol, dc.extra, dc.nextra))
    last = np.full(n, -1, np.int64)
    last[bi] = ki  # nonzero positions come sorted within each block
    trailing = last < band - 1
    if sequential:
        eob = np.nonzero(trailing)[0]
        keys.append(eob * 1024 + 1000)
        parts.append((tbl[eob], np.zeros(len(eob)), 0, 0))
    else:
        has = np.zeros(n, bool)
        has[bi] = True
        at, runs = _eob_runs(has.tolist(), trailing.tolist())
        at = np.array(at, np.int64)
        runs = np.array(runs, np.int64)
        nb = _nbits(runs) - 1
        keys.append(at * 1024)
        parts.append((np.full(len(at), tbl[0] if n else 0), nb << 4,
                      runs & ((1 << nb) - 1), nb))
    return _ordered(keys, parts)


def _eob_runs(has_coef, trailing):
    """Where jcphuff.c emits its EOB runs (the index of the block before whose coefficients it
    goes, n for the end of the scan) and their lengths."""
    at, runs, pending = [], [], 0
    for b, (has, ends) in enumerate(zip(has_coef, trailing)):
        if has and pending:
            at.append(b)
            runs.append(pending)
            pending = 0
        if ends:
            pending += 1
            if pending == _EOBRUN_MAX:
                at.append(b + 1)
                runs.append(pending)
                pending = 0
    if pending:
        at.append(len(has_coef))
        runs.append(pending)
    return at, runs


def _ordered(keys, parts):
    order = np.argsort(np.concatenate(keys), kind="stable")
    cols = [np.concatenate([np.broadcast_to(np.asarray(p[i], np.int64), np.shape(keys[j]))
                            for j, p in enumerate(parts)])[order] for i in range(4)]
    return Tokens(*cols)


def refine_tokens(zz, table, al):
    """jcphuff.c encode_mcu_AC_refine over blocks zz [n, bandwidth]: for each coefficient that
    becomes nonzero at bit ``al`` a run/size-1 symbol and its sign bit, then the correction bits
    (raw, table -1) of the already-nonzero ones passed since the last symbol; EOB runs carry the
    correction bits of their blocks, and are forced out before that buffer could overflow."""
    absv = np.abs(zz) >> al
    n, band = zz.shape
    bi, ki = np.nonzero(absv)
    ones = absv[bi, ki] == 1
    last_one = np.full(n, -1, np.int64)
    np.maximum.at(last_one, bi[ones], ki[ones])  # jcphuff.c's EOB: the last new coefficient
    # Per nonzero coefficient: its position, and -1 (new, negative), -2 (new, positive) or its
    # correction bit.
    kinds = np.where(ones, np.where(zz[bi, ki] < 0, -1, -2), absv[bi, ki] & 1)
    starts = np.searchsorted(bi, np.arange(n + 1)).tolist()
    ks_all, kinds_all, eobs = ki.tolist(), kinds.tolist(), last_one.tolist()
    out = []  # (table, symbol, extra, nextra); raw bits come in chunks of up to 24
    emit = out.append
    eobrun, be, be_count = 0, [], 0  # be: the pending blocks' correction-bit chunks

    for b in range(n):
        lo, hi = starts[b], starts[b + 1]
        eob = eobs[b]
        r, prev, br, br_val, br_n, br_count = 0, -1, [], 0, 0, 0
        for k, kind in zip(ks_all[lo:hi], kinds_all[lo:hi]):
            r += k - prev - 1
            prev = k
            while r > 15 and k <= eob:
                if eobrun:
                    nb = eobrun.bit_length() - 1
                    emit((table, nb << 4, eobrun & ((1 << nb) - 1), nb))
                    out.extend(be)
                    eobrun, be, be_count = 0, [], 0
                emit((table, 0xF0, 0, 0))
                r -= 16
                out.extend(br)
                if br_n:
                    emit((-1, 0, br_val, br_n))
                br, br_val, br_n, br_count = [], 0, 0, 0
            if kind >= 0:
                br_val, br_n, br_count = (br_val << 1) | kind, br_n + 1, br_count + 1
                if br_n == 24:
                    br.append((-1, 0, br_val, 24))
                    br_val, br_n = 0, 0
                continue
            if eobrun:
                nb = eobrun.bit_length() - 1
                emit((table, nb << 4, eobrun & ((1 << nb) - 1), nb))
                out.extend(be)
                eobrun, be, be_count = 0, [], 0
            emit((table, (r << 4) + 1, 0 if kind == -1 else 1, 1))
            out.extend(br)
            if br_n:
                emit((-1, 0, br_val, br_n))
            br, br_val, br_n, br_count, r = [], 0, 0, 0, 0
        r += band - 1 - prev
        if r > 0 or br_count:
            eobrun += 1
            be.extend(br)
            if br_n:
                be.append((-1, 0, br_val, br_n))
            be_count += br_count
            if eobrun == _EOBRUN_MAX or be_count > _MAX_CORR_BITS - 64 + 1:
                nb = eobrun.bit_length() - 1
                emit((table, nb << 4, eobrun & ((1 << nb) - 1), nb))
                out.extend(be)
                eobrun, be, be_count = 0, [], 0
    if eobrun:
        nb = eobrun.bit_length() - 1
        emit((table, nb << 4, eobrun & ((1 << nb) - 1), nb))
        out.extend(be)
    return Tokens(*(zip(*out) if out else ([], [], [], [])))


# -- bits -----------------------------------------------------------------------------------------


def pack(tokens: Tokens, codes: dict) -> bytes:
    """The entropy-coded bytes of a token stream: each Huffman code then its value bits, MSB
    first, the last byte filled with ones and every 0xFF byte followed by a stuffed 0x00."""
    if not len(tokens.symbol):
        return b""
    code, length = np.zeros(len(tokens.symbol), np.int64), np.zeros(len(tokens.symbol), np.int64)
    for key, (table_codes, table_lengths) in codes.items():
        mask = tokens.table == key
        code[mask] = table_codes[tokens.symbol[mask]]
        length[mask] = table_lengths[tokens.symbol[mask]]
    code = (code << tokens.nextra) | tokens.extra
    length = length + tokens.nextra
    ends = np.cumsum(length)
    starts = ends - length
    total = int(ends[-1])
    nbytes = -(-total // 8)
    window = code << (40 - (starts & 7) - length)  # 5 bytes from the token's first byte
    base = starts >> 3
    out = np.zeros(nbytes + 5)
    for i in range(5):
        out += np.bincount(base + i, weights=(window >> (32 - 8 * i)) & 0xFF,
                           minlength=nbytes + 5)
    data = out[:nbytes].astype(np.uint8)
    if total % 8:
        data[-1] |= (1 << (8 - total % 8)) - 1
    return data.tobytes().replace(b"\xff", b"\xff\x00")


def table_frequencies(tokens: Tokens, key: int) -> np.ndarray:
    return np.bincount(tokens.symbol[tokens.table == key], minlength=256)


def dht(key: int, table) -> bytes:
    counts, symbols = table
    body = bytes([(key >> 1) << 4 | (key & 1)]) + bytes(counts) + bytes(symbols)
    return b"\xff\xc4" + (len(body) + 2).to_bytes(2, "big") + body


def sos(comps, ss, se, ah, al) -> bytes:
    body = bytes([len(comps)])
    for c in comps:
        td = c.table if ss == 0 and ah == 0 else 0
        ta = c.table if se else 0
        body += bytes([c.id, td << 4 | ta])
    body += bytes([ss, se, ah << 4 | al])
    return b"\xff\xda" + (len(body) + 2).to_bytes(2, "big") + body


# -- scans ----------------------------------------------------------------------------------------


def scan_blocks(comps, mcu_cols, mcu_rows):
    """The blocks [n, 64] of a scan in its order, and each one's index in ``comps``: the MCU
    grid with dummy blocks when interleaved, the component's own blocks when not."""
    if len(comps) == 1:
        c = comps[0]
        blocks = c.coefs[:c.height_in_blocks, :c.width_in_blocks].reshape(-1, 64)
        return blocks, np.zeros(len(blocks), np.int64)
    per_mcu, owner = [], []
    for i, c in enumerate(comps):
        g = c.coefs.reshape(mcu_rows, c.v, mcu_cols, c.h, 64).transpose(0, 2, 1, 3, 4)
        per_mcu.append(g.reshape(mcu_rows * mcu_cols, c.v * c.h, 64))
        owner += [i] * (c.v * c.h)
    blocks = np.concatenate(per_mcu, axis=1).reshape(-1, 64)
    return blocks, np.tile(np.array(owner, np.int64), mcu_rows * mcu_cols)


def _scan_bytes(comps, tokens, keys, tables):
    """The scan's DHT segments (in jcmarker.c's order: per component, DC then AC, each table
    once) and its entropy-coded data; the caller puts the SOS between them."""
    codes = {k: huffman_codes(*tables[k]) for k in keys}
    return b"".join(dht(k, tables[k]) for k in keys), pack(tokens, codes)


def _table_keys(comps, dc, ac):
    keys = []
    for c in comps:
        for use, key in ((dc, c.table), (ac, 2 + c.table)):
            if use and key not in keys:
                keys.append(key)
    return keys


def sequential_scan(comps, mcu_cols, mcu_rows, optimize: bool) -> bytes:
    """DHT, SOS and data of a baseline JPEG's single scan (all components interleaved)."""
    blocks, owner = scan_blocks(comps, mcu_cols, mcu_rows)
    tables_of = np.array([c.table for c in comps], np.int64)[owner]
    dc = dc_tokens(blocks[:, 0], owner, comps)
    tokens = ac_tokens(blocks[:, _ZZ[1:]], tables_of + 2, 0, True, dc=dc)
    keys = _table_keys(comps, True, True)
    tables = {k: optimal_table(table_frequencies(tokens, k)) for k in keys} if optimize \
        else STD_TABLES
    head, data = _scan_bytes(comps, tokens, keys, tables)
    return head + sos(comps, 0, 63, 0, 0) + data


def simple_progression(ncomps):
    """jcparam.c jpeg_simple_progression's script: (components, Ss, Se, Ah, Al) per scan."""
    if ncomps == 3:
        return [((0, 1, 2), 0, 0, 0, 1), ((0,), 1, 5, 0, 2), ((2,), 1, 63, 0, 1),
                ((1,), 1, 63, 0, 1), ((0,), 6, 63, 0, 2), ((0,), 1, 63, 2, 1),
                ((0, 1, 2), 0, 0, 1, 0), ((2,), 1, 63, 1, 0), ((1,), 1, 63, 1, 0),
                ((0,), 1, 63, 1, 0)]
    return [((0,), 0, 0, 0, 1), ((0,), 1, 5, 0, 2), ((0,), 6, 63, 0, 2), ((0,), 1, 63, 2, 1),
            ((0,), 0, 0, 1, 0), ((0,), 1, 63, 1, 0)]


def progressive_scans(comps, mcu_cols, mcu_rows) -> bytes:
    """Every scan of a progressive JPEG, each with its own optimised tables (libjpeg always
    optimises progressive Huffman tables)."""
    out = bytearray()
    for which, ss, se, ah, al in simple_progression(len(comps)):
        scomps = [comps[i] for i in which]
        blocks, owner = scan_blocks(scomps, mcu_cols, mcu_rows)
        if ss == 0:
            dc = blocks[:, 0] >> al
            tokens = dc_tokens(dc, owner, scomps) if ah == 0 else \
                Tokens(np.full(len(dc), -1), np.zeros(len(dc)), dc & 1, np.ones(len(dc)))
        else:
            zz, key = blocks[:, _ZZ[ss:se + 1]], 2 + scomps[0].table
            tokens = ac_tokens(zz, np.full(len(zz), key), al, False) if ah == 0 else \
                refine_tokens(zz, key, al)
        keys = _table_keys(scomps, ss == 0 and ah == 0, se > 0)
        tables = {k: optimal_table(table_frequencies(tokens, k)) for k in keys}
        head, data = _scan_bytes(scomps, tokens, keys, tables)
        out += head + sos(scomps, ss, se, ah, al) + data
    return bytes(out)
