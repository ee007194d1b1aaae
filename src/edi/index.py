"""SegmentIndex: where every segment and element of a buffer lies, as numpy arrays.

No Python object exists per segment or element. For segment `i`:
- `seg_start[i]` (int64) is its first byte and `seg_len[i]` (uint32) its length without the
  terminator, so `seg_end = seg_start + seg_len`;
- `seg_tag[i]` (uint32) is its 2-3 byte id packed first-byte-highest (0 if not a valid id);
- its elements after the id are `elem_ptr[i]:elem_ptr[i+1]` (int64, CSR style), and
  `elem_offset[k]` (uint16) is where element k starts, relative to the segment start. An element
  ends one byte before the next one starts (the separator), the last one at the segment end.

Storing element starts once, relative and 16-bit, keeps the index near the size of the input
(segments are at most 65535 bytes; BIN payloads are the last element, so they may be longer).
Absolute `elem_start`/`elem_end` arrays are computed on request.
"""
from __future__ import annotations

import numpy as np

from .dialect import Delimiters, Dialect
from .errors import Finding

#: How element bytes become text: undecodable bytes survive a round trip through str.
ENCODING, ERRORS = "utf-8", "surrogateescape"


def pack_tag(segment_id: str) -> int:
    """The `seg_tag` value of a segment id ("CLP" -> 0x434C50, "LX" -> 0x4C5800)."""
    raw = segment_id.encode("ascii")
    raw = raw + b"\0" * (3 - len(raw))
    return (raw[0] << 16) | (raw[1] << 8) | raw[2]


def unpack_tag(tag: int) -> str:
    """The segment id of a `seg_tag` value ("" for 0)."""
    raw = bytes(((tag >> 16) & 0xFF, (tag >> 8) & 0xFF, tag & 0xFF)).rstrip(b"\0")
    return raw.decode("ascii", "replace")


BIN_TAG = pack_tag("BIN")
#: The ids whose segments the tokenizer lists (`SegmentIndex.controls`).
CONTROL_IDS = frozenset(("ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"))


class SegmentIndex:
    """The tokenizer's output: the buffer, the arrays, and the dialect of each interchange.

    `chunk_first[k]` is the first segment of the k-th scanned run, written in `dialects[k]`
    (one run per interchange, more when an interchange was resumed). `findings` lists what the
    lenient reader repaired. Offsets are into `buf`; `base_offset` and `base_segment` say where
    `buf` lies in its file when it is one window of a stream.
    """

    __slots__ = (
        "buf", "seg_start", "seg_len", "seg_tag", "elem_ptr", "elem_offset",
        "chunk_first", "dialects", "findings", "base_offset", "base_segment", "source", "name", "_empties",
        "_separators", "controls",
    )

    def __init__(self, buf: bytes, seg_start, seg_len, seg_tag, elem_ptr, elem_offset,
                 chunk_first, dialects: list[Dialect], findings: list[Finding],
                 base_offset: int = 0, base_segment: int = 0):
        self.buf = buf
        self.seg_start = seg_start
        self.seg_len = seg_len
        self.seg_tag = seg_tag
        self.elem_ptr = elem_ptr
        self.elem_offset = elem_offset
        self.chunk_first = chunk_first
        self.dialects = dialects
        self.findings = findings
        self.base_offset = base_offset  # file offset of buf[0] (a streaming window starts later)
        self.base_segment = base_segment  # segments in the file before this index's first
        self.source = buf  # the bytes as read; differs from buf only when wrapped lines were joined
        self.name = None  # the file the bytes were read from, named in locations
        self._empties = None
        self._separators = None  # per run: the element separator as text, None when not ASCII
        #: Positions of the ISA, IEA, GS, GE, ST, SE and TA1 segments, as the tokenizer listed
        #: them (None when it did not), so that `positions` need not scan every tag for them.
        self.controls: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.seg_start)

    def __repr__(self) -> str:
        return f"<SegmentIndex {len(self)} segments, {len(self.elem_offset)} elements, {len(self.buf)} bytes>"

    @property
    def seg_end(self) -> np.ndarray:
        """Offset just past each segment's last byte (its terminator starts there)."""
        return self.seg_start + self.seg_len

    @property
    def elem_start(self) -> np.ndarray:
        """Absolute start offset of every element after the ids (computed on request)."""
        counts = np.diff(self.elem_ptr)
        return np.repeat(self.seg_start, counts) + self.elem_offset

    @property
    def elem_end(self) -> np.ndarray:
        """Absolute end offset of every element after the ids (computed on request)."""
        ends = self.elem_start - 1
        if len(ends):
            ends[:-1] = ends[1:]  # an element ends where the next one's separator stands ...
            has_elements = np.diff(self.elem_ptr) > 0
            ends[self.elem_ptr[1:][has_elements] - 1] = self.seg_end[has_elements]  # ... or at its segment's end
        return ends

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (not the buffer)."""
        return sum(a.nbytes for a in (self.seg_start, self.seg_len, self.seg_tag, self.elem_ptr, self.elem_offset))

    def dialect(self, i: int) -> Dialect:
        """The dialect (delimiters, version) segment `i` is written in."""
        return self.dialects[int(np.searchsorted(self.chunk_first, i, side="right")) - 1]

    def delimiters(self, i: int) -> Delimiters:
        """The delimiters segment `i` is written with."""
        return self.dialect(i).delimiters

    def segment_id(self, i: int) -> str:
        """The id of segment `i` as written (uppercased for lookups by the caller if needed)."""
        start = int(self.seg_start[i])
        return self.buf[start : start + self.id_length(i)].decode("ascii", "replace")

    def id_length(self, i: int) -> int:
        first, last = self.elem_ptr[i], self.elem_ptr[i + 1]
        return int(self.elem_offset[first]) - 1 if last > first else int(self.seg_len[i])

    def element_count(self, i: int) -> int:
        """Number of elements after the id."""
        return int(self.elem_ptr[i + 1] - self.elem_ptr[i])

    def element_span(self, i: int, j: int) -> tuple[int, int]:
        """Absolute (start, end) of element j (1-based) of segment i; j must exist."""
        start = int(self.seg_start[i])
        k = int(self.elem_ptr[i]) + j - 1
        elem_from = start + int(self.elem_offset[k])
        if k + 1 < self.elem_ptr[i + 1]:
            return elem_from, start + int(self.elem_offset[k + 1]) - 1
        return elem_from, start + int(self.seg_len[i])

    def element(self, i: int, j: int) -> bytes:
        """Element j (1-based, 0 is the id) of segment i as bytes; b"" when absent."""
        if j == 0:
            start = int(self.seg_start[i])
            return self.buf[start : start + self.id_length(i)]
        if j < 0 or j > self.element_count(i):
            return b""
        a, b = self.element_span(i, j)
        return self.buf[a:b]

    def elements(self, i: int) -> list[bytes]:
        """All elements of segment i, the id first (one read of the offsets for all of them)."""
        start = int(self.seg_start[i])
        end = start + int(self.seg_len[i])
        first, last = int(self.elem_ptr[i]), int(self.elem_ptr[i + 1])
        if first == last:
            return [self.buf[start:end]]
        starts = [start + offset for offset in self.elem_offset[first:last].tolist()]
        ends = [at - 1 for at in starts[1:]] + [end]
        buf = self.buf
        return [buf[start : starts[0] - 1]] + [buf[a:b] for a, b in zip(starts, ends)]

    def texts(self, i: int) -> list[str]:
        """All elements of segment i as text, the id first (what `elements` gives, decoded).
        One decode and split of the segment's bytes where that is the same thing: an ASCII
        separator never falls inside a UTF-8 sequence, and only BIN data may hold separators."""
        if self._separators is None:
            self._separators = [d.delimiters.element.decode(ENCODING) if d.delimiters.element < b"\x80" else None
                                for d in self.dialects]
        run = 0 if len(self._separators) == 1 else int(np.searchsorted(self.chunk_first, i, side="right")) - 1
        separator = self._separators[run]
        if separator is None or self.seg_tag[i] == BIN_TAG:
            return [value.decode(ENCODING, ERRORS) for value in self.elements(i)]
        start = int(self.seg_start[i])
        return self.buf[start : start + int(self.seg_len[i])].decode(ENCODING, ERRORS).split(separator)

    def segment_bytes(self, i: int) -> bytes:
        """The bytes of segment i, without its terminator."""
        start = int(self.seg_start[i])
        return self.buf[start : start + int(self.seg_len[i])]

    def positions(self, *segment_ids: str, fold_case: bool = False) -> np.ndarray:
        """Indexes of the segments with any of these ids (ids of letters only when `fold_case`,
        which also matches them written in lowercase)."""
        if self.controls is not None and not fold_case and set(segment_ids) <= CONTROL_IDS:
            tags = self.seg_tag[self.controls]
            hits = tags == pack_tag(segment_ids[0])
            for segment_id in segment_ids[1:]:
                hits |= tags == pack_tag(segment_id)
            return self.controls[hits]
        tags = self.seg_tag & np.uint32(~0x202020 & 0xFFFFFFFF) if fold_case else self.seg_tag
        hits = tags == pack_tag(segment_ids[0])
        for segment_id in segment_ids[1:]:
            hits |= tags == pack_tag(segment_id)
        return np.flatnonzero(hits)

    def count_segments(self, first: int, last: int) -> int:
        """Non-empty segments in first..last inclusive (what SE01 counts)."""
        empties = self._empty_segments()
        count = last - first + 1
        if len(empties):
            count -= int(np.searchsorted(empties, last, "right") - np.searchsorted(empties, first, "left"))
        return count

    def known_no_empty_segments(self) -> None:
        """The tokenizer counted no empty segment: `count_segments` need not look for any."""
        self._empties = np.zeros(0, np.int64)

    def _empty_segments(self) -> np.ndarray:
        if self._empties is None:
            self._empties = np.flatnonzero(self.seg_len == 0)
        return self._empties


def element_values(index: SegmentIndex, positions, j) -> list[bytes]:
    """Element j (>= 1; or j[r] for row r) of each segment in `positions`, as bytes (b"" when
    absent): the spans are computed for all at once, then each value is one slice of the buffer."""
    positions = np.asarray(positions, dtype=np.int64)
    if not len(index.elem_offset):
        return [b""] * len(positions)
    start, stop = index.seg_start[positions], index.elem_ptr[positions + 1]
    k = index.elem_ptr[positions] + (j - 1)
    present = k < stop
    last = len(index.elem_offset) - 1
    begin = start + index.elem_offset[np.minimum(k, last)]
    end = np.where(k + 1 < stop, start + index.elem_offset[np.minimum(k + 1, last)] - 1, start + index.seg_len[positions])
    buf = index.buf
    return [buf[a:b] if ok else b"" for a, b, ok in zip(begin.tolist(), end.tolist(), present.tolist())]
