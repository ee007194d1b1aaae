"""Pure-Python twin of `edi._fast._tokenizer.scan_segments`: same arguments, same arrays, same
status codes. It is used when the extension is missing or `EDI_NO_EXTENSIONS=1`, and the test
suite runs against both and checks that they agree byte for byte.

The kernel scans one region of one interchange (the delimiters are fixed) and writes, per segment,
its start offset, length, packed tag and the starts of its elements relative to the segment start.
"""
from __future__ import annotations

from array import array

import numpy as np

from ..index import CONTROL_IDS

# Status codes returned with the arrays (mirrored in _fast/_tokenizer.pyx).
STATUS_END = 0  # the region is used up
STATUS_ISA = 1  # stopped before a new ISA header (its delimiters must be sniffed first)
STATUS_IEA = 2  # stopped right after an IEA trailer
STATUS_NEED_MORE = 3  # (not final) the region ends inside a segment: stop is that segment's start
STATUS_SEGMENT_TOO_LONG = -1
STATUS_TOO_MANY_ELEMENTS = -2
STATUS_BAD_BINARY = -3

WHITESPACE = frozenset(b" \t\r\n\x00\x0b\x0c")
TAG_IEA = (ord("I") << 16) | (ord("E") << 8) | ord("A")
#: Segment ids whose positions the kernel lists (the envelope is built from them).
CONTROL_TAGS = frozenset(int.from_bytes(name.encode().ljust(3, b"\0"), "big") for name in CONTROL_IDS)
#: The counts returned with the arrays, in order: segments with no bytes, segments whose id is
#: not one, ids with a lowercase letter, and segments after layout that followed a terminator.
COUNTS = ("empty", "bad_id", "lowercase", "gaps")


def _is_id_byte(byte: int) -> bool:
    return 48 <= byte <= 57 or 65 <= byte <= 90 or 97 <= byte <= 122


def pack_tag(buf: bytes, start: int, end: int) -> int:
    """Pack a 2-3 character segment id into an int (first byte highest); 0 if not an id."""
    length = end - start
    if length < 2 or length > 3:
        return 0
    tag = 0
    for byte in buf[start:end]:
        if not _is_id_byte(byte):
            return 0
        tag = (tag << 8) | byte
    return tag << 8 if length == 2 else tag


def scan_segments(
    buf: bytes,
    start: int,
    end: int,
    first_segment_end: int,
    element_separator: int,
    terminator: bytes,
    max_segment_length: int,
    max_elements: int,
    final: bool,
    threads: int = 1,
):
    """Tokenize `buf[start:end]`. Returns (seg_start int64, seg_len uint32, seg_tag uint32,
    elem_ptr int64 (n+1), elem_offset uint16, controls int64, counts int64, stop, status):
    `controls` are the positions (in these arrays) of the CONTROL_IDS segments and `counts`
    the COUNTS, so that the driver's checks and the envelope need not scan the arrays again.
    `first_segment_end`, when not -1, is where the first segment ends (the ISA, whose end the
    dialect sniffer already knows). `threads` (how many the native kernel may use) changes
    nothing here."""
    seg_start = array("q")
    seg_len = array("I")
    seg_tag = array("I")
    elem_ptr = array("q", [0])
    elem_offset = array("H")
    sep = bytes([element_separator])
    term_len = len(terminator)
    layout = WHITESPACE - {element_separator}
    p = start
    status = STATUS_END
    stop = end
    controls = array("q")
    counts = [0] * len(COUNTS)
    last_end = -1  # just past the previous segment's terminator

    while True:
        while p < end and buf[p] in layout:
            p += 1
        if p >= end:
            stop = end
            break
        s = p
        if len(seg_start) and buf.startswith(b"ISA", s) and s + 3 < end and _isa_separator(buf[s + 3]):
            stop, status = s, STATUS_ISA
            break
        n_before = len(elem_offset)

        if len(seg_start) == 0 and first_segment_end >= 0:
            e = first_segment_end
            _add_elements(buf, s, e, sep, elem_offset)
            p = e + term_len
        elif buf.startswith(b"BIN", s) and s + 3 < end and buf[s + 3] == element_separator:
            e, failed = _binary_segment(buf, s, end, sep, terminator, elem_offset)
            if failed:
                del elem_offset[n_before:]
                if not final and e < 0:
                    stop, status = s, STATUS_NEED_MORE
                else:
                    stop, status = s, STATUS_BAD_BINARY
                break
            p = e + term_len
        else:
            limit = min(end, s + max_segment_length + term_len)
            e = buf.find(terminator, s, limit)
            if e < 0:
                if limit < end or (final and end - s > max_segment_length):
                    stop, status = s, STATUS_SEGMENT_TOO_LONG
                    break
                if not final:
                    stop, status = s, STATUS_NEED_MORE
                    break
                e = end
                p = end
            else:
                p = e + term_len
            _add_elements(buf, s, e, sep, elem_offset)
            if p == end and e == end:  # unterminated last segment: trailing layout is not data
                last = elem_offset[-1] + s if len(elem_offset) > n_before else s
                while e > last and buf[e - 1] in layout:
                    e -= 1

        if len(elem_offset) - n_before > max_elements:
            del elem_offset[n_before:]
            stop, status = s, STATUS_TOO_MANY_ELEMENTS
            break
        id_end = elem_offset[n_before] + s - 1 if len(elem_offset) > n_before else e
        tag = pack_tag(buf, s, id_end)
        if tag in CONTROL_TAGS:
            controls.append(len(seg_start))
        counts[0] += e == s
        counts[1] += tag == 0 and e > s
        counts[2] += ((tag >> 1) & tag & 0x202020) != 0
        counts[3] += 0 <= last_end < s
        last_end = p
        seg_start.append(s)
        seg_len.append(e - s)
        seg_tag.append(tag)
        elem_ptr.append(len(elem_offset))
        if tag == TAG_IEA:
            stop, status = p, STATUS_IEA
            break

    return (
        np.frombuffer(seg_start, dtype=np.int64).copy(),
        np.frombuffer(seg_len, dtype=np.uint32).copy(),
        np.frombuffer(seg_tag, dtype=np.uint32).copy(),
        np.frombuffer(elem_ptr, dtype=np.int64).copy(),
        np.frombuffer(elem_offset, dtype=np.uint16).copy(),
        np.frombuffer(controls, dtype=np.int64).copy(),
        np.array(counts, dtype=np.int64),
        stop,
        status,
    )


def _isa_separator(byte: int) -> bool:
    return not _is_id_byte(byte) and byte not in WHITESPACE


def _add_elements(buf: bytes, s: int, e: int, sep: bytes, elem_offset: array) -> None:
    q = buf.find(sep, s, e)
    while q >= 0:
        elem_offset.append(q + 1 - s)
        q = buf.find(sep, q + 1, e)


def _binary_segment(buf: bytes, s: int, end: int, sep: bytes, terminator: bytes, elem_offset: array):
    """A BIN segment: BIN01 is the byte length of BIN02, which may hold any bytes at all.
    Returns (segment end, failed); a failed scan with end -1 ran past the region."""
    length_start = s + 4
    q = length_start
    while q < end and 48 <= buf[q] <= 57:
        q += 1
    if q >= end:
        return -1, True
    if q == length_start or q - length_start > 10 or buf[q] != sep[0]:
        return 0, True
    data_start = q + 1
    e = data_start + int(buf[length_start:q])
    if e + len(terminator) > end:
        return -1, True
    if buf[e : e + len(terminator)] != terminator:
        return 0, True
    elem_offset.append(4)
    elem_offset.append(data_start - s)
    return e, False
