"""`tokenize(data) -> SegmentIndex`: find the interchanges of a buffer, sniff each one's
delimiters, and let the kernel (Cython, or its pure-Python twin) index the segments.

The driver is plain Python and shared by both backends; only `scan_segments` differs. After the
scan, the checks that strict mode enforces (layout between segments, empty or malformed segment
ids, a missing final terminator) run as vectorized numpy over the arrays, not per segment.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _backend
from ._py.tokenizer import (
    COUNTS,
    STATUS_BAD_BINARY,
    STATUS_END,
    STATUS_NEED_MORE,
    STATUS_SEGMENT_TOO_LONG,
    STATUS_TOO_MANY_ELEMENTS,
)
from .dialect import (
    ISA_SCAN_LIMIT,
    WHITESPACE,
    Dialect,
    find_next_isa,
    guess_headerless,
    is_separator_byte,
    looks_like_isa,
    sniff_isa,
)
from .errors import EdiSyntaxError, Finding, FindingCode, Location
from .index import SegmentIndex, unpack_tag

BOM = b"\xef\xbb\xbf"
#: Unreadable "ISA" headers skipped as leading text before reading gives up (hostile input).
MAX_BAD_HEADERS = 16
#: A stream window decides that a file has no ISA only after this much text without one.
HEADERLESS_WINDOW = 1 << 16
#: Element offsets are stored as uint16, so no segment (other than a BIN payload) may be longer.
MAX_SEGMENT_LENGTH = 65535


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds for untrusted input, enforced identically by both backends."""

    max_segment_length: int = MAX_SEGMENT_LENGTH
    max_elements: int = 1024

    def __post_init__(self):
        if not 1 <= self.max_segment_length <= MAX_SEGMENT_LENGTH:
            raise ValueError(f"max_segment_length must be between 1 and {MAX_SEGMENT_LENGTH}")
        if self.max_elements < 1:
            raise ValueError("max_elements must be positive")


DEFAULT_LIMITS = Limits()


def tokenize(data: bytes, *, strict: bool = False, limits: Limits = DEFAULT_LIMITS) -> SegmentIndex:
    """Index every segment of `data` (one or more interchanges). Strict mode raises
    `EdiSyntaxError` where lenient mode (the default) repairs and records a finding."""
    if not isinstance(data, bytes):
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        else:
            raise TypeError(f"tokenize() takes bytes, not {type(data).__name__}")
    return scan_buffer(data, strict, limits)[1]


def scan_buffer(data: bytes, strict: bool, limits: Limits, *, final: bool = True, file_start: bool = True,
                resume: Dialect | None = None, previous: Dialect | None = None, unwrapped: bool = False,
                base_offset: int = 0, base_segment: int = 0) -> tuple["Scan", SegmentIndex]:
    """Scan a whole file, or one window of a stream (`final=False`, see `Scan.run` for `resume`
    and `previous`). Lenient mode reads fixed-width wrapped lines without their line breaks:
    then `index.buf` is the unwrapped text, `index.source` the bytes given, and the findings
    start with LINE_BREAKS_IN_SEGMENTS. `unwrapped=True` unwraps from the start (a stream
    whose earlier windows were wrapped)."""
    text = unwrap(data) if unwrapped else data
    scan = Scan(text, strict, limits, final)
    scan.run(scan.skip_bom() if file_start else 0, resume, previous)
    index = scan.index(base_offset, base_segment)
    wrapped = None if strict or unwrapped else wrapped_lines(index)
    if wrapped is not None:
        scan = Scan(unwrap(data), strict, limits, final)
        scan.findings.append(wrapped)
        scan.run(scan.skip_bom() if file_start else 0, resume, previous)
        index = scan.index(base_offset, base_segment)
    index.source = data
    return scan, index


def unwrap(data: bytes) -> bytes:
    """Lines wrapped at a fixed width: CR and LF are not X12 data, so read without them."""
    return data.replace(b"\r", b"").replace(b"\n", b"")


def wrapped_lines(index: SegmentIndex) -> Finding | None:
    """The finding for segment ids broken by line breaks, in a file whose terminators and
    separators are not line breaks (None when that is not the case)."""
    bad_id = next((f for f in index.findings if f.code is FindingCode.BAD_SEGMENT_ID), None)
    if bad_id is None:
        return None
    if any(b in d.delimiters.segment + d.delimiters.element for d in index.dialects for b in b"\r\n"):
        return None
    start = bad_id.location.byte_offset
    if b"\n" in index.buf[start : start + 4] or b"\r" in index.buf[start : start + 4]:
        return Finding(FindingCode.LINE_BREAKS_IN_SEGMENTS, bad_id.location)
    return None


class Scan:
    """One tokenizing pass over a buffer, run by `tokenize` and by the streaming reader."""

    def __init__(self, data: bytes, strict: bool, limits: Limits, final: bool):
        self.data = data
        self.strict = strict
        self.limits = limits
        self.final = final
        self.chunks: list[tuple] = []
        self.controls: list[np.ndarray] = []  # per chunk: its control segments, as index positions
        self.counts = np.zeros(len(COUNTS), np.int64)  # the kernel's COUNTS over every chunk
        self.dialects: list[Dialect] = []
        self.findings: list[Finding] = []
        self.n_segments = 0
        self.stop = 0  # where the scan stopped; below len(data) only when not final
        self.bad_headers = 0  # "ISA" headers that could not be read, skipped as text
        self.open_dialect: Dialect | None = None  # the interchange still open at `stop`, if any
        self.last_dialect: Dialect | None = None  # the dialect of the last run

    def repair(self, code: FindingCode, location: Location, detail: str = "") -> None:
        if self.strict:
            raise EdiSyntaxError(code.description, location)
        self.findings.append(Finding(code, location, detail))

    def skip_bom(self) -> int:
        """Where the X12 starts when the buffer is the start of a file."""
        if self.data.startswith(BOM):
            self.repair(FindingCode.BYTE_ORDER_MARK, Location(byte_offset=0))
            return len(BOM)
        return 0

    def run(self, pos: int, resume: Dialect | None = None, previous: Dialect | None = None) -> None:
        """Scan from `pos`. For a window of a stream: `resume` is the dialect of an interchange
        that the previous window left open at `pos` (its segments go on there, whatever they
        look like); `previous` the dialect of the last interchange before `pos`."""
        data = self.data
        dialect = resume or previous
        self.open_dialect = resume  # until a run of the kernel says otherwise
        while True:
            pos = _skip_layout(data, pos)
            if pos >= len(data):
                self.stop = len(data)
                return
            first_segment_end = -1
            if not self.final and len(data) - pos < ISA_SCAN_LIMIT:
                self.stop = pos  # too little left to tell an ISA from a segment: wait for more
                return
            if looks_like_isa(data, pos):
                try:
                    dialect, found = sniff_isa(data, pos, self.strict, self.n_segments + 1)
                except EdiSyntaxError:
                    self.bad_headers += 1
                    later = -1 if self.strict or self.bad_headers > MAX_BAD_HEADERS else find_next_isa(data, pos + 3)
                    if later < 0:
                        raise
                    self.repair(FindingCode.LEADING_TEXT, Location(byte_offset=pos), f"{later - pos} bytes")
                    pos = later
                    continue
                self.findings.extend(found)
                first_segment_end = dialect.isa_end
            elif resume is not None:
                pass  # the interchange goes on from the previous window
            elif dialect is None or not _looks_like_segment(data, pos, dialect.delimiters.element):
                isa = find_next_isa(data, pos)
                if isa >= 0:
                    self.repair(FindingCode.LEADING_TEXT, Location(byte_offset=pos), f"{isa - pos} bytes")
                    pos = isa
                    continue
                if not self.final and (dialect is not None or len(data) - pos < HEADERLESS_WINDOW):
                    self.stop = pos  # perhaps an ISA that is not read yet
                    return
                if dialect is None and _looks_like_segment(data, pos, None):
                    dialect = guess_headerless(data, pos, self.n_segments + 1)
                    self.repair(FindingCode.NO_INTERCHANGE, Location(byte_offset=pos, segment_number=self.n_segments + 1))
                elif dialect is None:
                    raise EdiSyntaxError("no ISA header and no X12 segment", Location(byte_offset=pos))
                else:
                    self.repair(FindingCode.TRAILING_TEXT, Location(byte_offset=pos), f"{len(data) - pos} bytes")
                    self.stop = len(data)
                    return
            resume = None
            pos = self._scan_run(pos, dialect, first_segment_end)
            if pos < 0:
                return

    def _scan_run(self, pos: int, dialect: Dialect, first_segment_end: int) -> int:
        """Run the kernel from `pos`; returns where to go on, or -1 when the scan is over."""
        delimiters = dialect.delimiters
        arrays = _backend.scan_segments(
            self.data, pos, len(self.data), first_segment_end, delimiters.element[0], delimiters.segment,
            self.limits.max_segment_length, self.limits.max_elements, self.final, _backend.cores(),
        )
        *columns, controls, counts, stop, status = arrays
        if len(columns[0]):
            self.chunks.append((self.n_segments, columns))
            self.controls.append(controls + self.n_segments)
            self.counts += counts
            self.dialects.append(dialect)
            self.n_segments += len(columns[0])
        if status < 0:
            self._raise_kernel_error(stop, status)
        self.last_dialect = dialect
        if status == STATUS_NEED_MORE or status == STATUS_END:
            self.stop = stop
            self.open_dialect = dialect
            return -1
        self.open_dialect = None
        return stop  # STATUS_ISA or STATUS_IEA: the driver looks at what follows

    def _raise_kernel_error(self, stop: int, status: int) -> None:
        end = self.data.find(b"*", stop, stop + 4)
        segment_id = self.data[stop : stop + 3].decode("ascii", "replace") if end < 0 else self.data[stop:end].decode("ascii", "replace")
        location = Location(byte_offset=stop, segment_number=self.n_segments + 1, segment_id=segment_id if segment_id.isalnum() else None)
        reasons = {
            STATUS_SEGMENT_TOO_LONG: f"segment longer than {self.limits.max_segment_length} bytes, or no terminator",
            STATUS_TOO_MANY_ELEMENTS: f"segment has more than {self.limits.max_elements} elements",
            STATUS_BAD_BINARY: "BIN segment length does not match its data",
        }
        raise EdiSyntaxError(reasons[status], location)

    def index(self, base_offset: int = 0, base_segment: int = 0) -> SegmentIndex:
        """The SegmentIndex of everything scanned, after the post-scan checks. The bases place
        a window of a stream in its file (for locations)."""
        if not self.chunks:
            if self.final and not self.findings:
                raise EdiSyntaxError("no X12 segments found", Location(byte_offset=0))
            empty = _empty_columns()
            return SegmentIndex(self.data, *empty, np.zeros(0, np.int64), [], self.findings, base_offset, base_segment)
        if len(self.chunks) == 1:
            columns = self.chunks[0][1]
        else:
            columns = _concatenate([c for _, c in self.chunks])
        chunk_first = np.array([first for first, _ in self.chunks], dtype=np.int64)
        index = SegmentIndex(self.data, *columns, chunk_first, self.dialects, self.findings, base_offset, base_segment)
        index.controls = np.concatenate(self.controls)
        self._check(index)
        return index

    def _check(self, index: SegmentIndex) -> None:
        """Vectorized checks of what strict mode rejects and lenient mode reports, each run only
        where the kernel counted something to find (`COUNTS`)."""
        empties, bad_ids, lowercase_ids, gaps = self.counts.tolist()
        if not empties:
            index.known_no_empty_segments()
        first_gap = _first_gap(index) if gaps or len(index.dialects) > 1 else None
        if first_gap is not None:
            self.repair(FindingCode.WHITESPACE_BETWEEN_SEGMENTS, _at(index, first_gap))
        if empties:  # one finding, however many: "~~~~" must not flood the findings
            empty = np.flatnonzero(index.seg_len == 0)
            self.repair(FindingCode.EMPTY_SEGMENT, _at(index, int(empty[0])), f"{len(empty)} in all")
        for i in np.flatnonzero(index.seg_tag == 0).tolist() if bad_ids else []:
            if index.seg_len[i] > 0:
                self.repair(FindingCode.BAD_SEGMENT_ID, _at(index, i))
        # A lowercase letter is the only id byte with both 0x40 and 0x20 set.
        tags = index.seg_tag
        lowercase = np.flatnonzero((tags >> np.uint32(1)) & tags & np.uint32(0x202020)).tolist() if lowercase_ids else []
        reported = set()
        for i in lowercase:
            segment_id = unpack_tag(int(tags[i]))
            if segment_id not in reported:
                reported.add(segment_id)
                self.repair(FindingCode.LOWERCASE_SEGMENT_ID, _at(index, i), segment_id)
        last = len(index) - 1
        terminator = index.delimiters(last).segment
        if self.final and not self.data.startswith(terminator, int(index.seg_start[last] + index.seg_len[last])):
            self.repair(FindingCode.MISSING_TERMINATOR, _at(index, last))


def _first_gap(index: SegmentIndex, block: int = 4096) -> int | None:
    """The first segment preceded by layout (line breaks, spaces) after the terminator before
    it, or None. One sum tells whether there is any; the search then goes block by block, so
    a file with a line break after every segment is answered from its first block."""
    bounds = list(index.chunk_first) + [len(index)]
    for k, dialect in enumerate(index.dialects):
        first, stop = int(bounds[k]), int(bounds[k + 1])
        if k and index.seg_start[first] > index.seg_start[first - 1] + index.seg_len[first - 1] + len(
                index.dialects[k - 1].delimiters.segment):
            return first  # between two runs (after an IEA)
        term_len = len(dialect.delimiters.segment)
        start, length = index.seg_start[first:stop], index.seg_len[first:stop]
        span = int(start[-1]) + int(length[-1]) - int(start[0])
        if span == int(length.sum(dtype=np.int64)) + term_len * (len(start) - 1):
            continue
        for b in range(0, len(start) - 1, block):
            s = start[b : b + block + 1]
            gaps = np.flatnonzero(s[1:] - s[:-1] > length[b : b + len(s) - 1] + term_len)
            if len(gaps):
                return first + b + int(gaps[0]) + 1
    return None


def _at(index: SegmentIndex, i: int) -> Location:
    tag = int(index.seg_tag[i])
    return Location(byte_offset=int(index.seg_start[i]), segment_number=i + 1, segment_id=unpack_tag(tag) if tag else None)


def _skip_layout(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in WHITESPACE:
        pos += 1
    return pos


def _looks_like_segment(data: bytes, pos: int, separator: bytes | None) -> bool:
    """Does a segment start at `pos`: a 2-3 character id, then `separator` (or any separator
    byte when None)? Used for segments with no ISA before them."""
    for length in (2, 3):
        end = pos + length
        segment_id = data[pos:end]
        if end < len(data) and segment_id.isalnum() and segment_id.isascii() and segment_id == segment_id.upper():
            if data[end : end + 1] == separator if separator else is_separator_byte(data[end]):
                return True
    return False


def _empty_columns():
    return (np.zeros(0, np.int64), np.zeros(0, np.uint32), np.zeros(0, np.uint32),
            np.zeros(1, np.int64), np.zeros(0, np.uint16))


def _concatenate(runs: list[list[np.ndarray]]):
    """Join the arrays of several kernel runs; each run's elem_ptr is shifted by the elements before it."""
    seg_start = np.concatenate([r[0] for r in runs])
    seg_len = np.concatenate([r[1] for r in runs])
    seg_tag = np.concatenate([r[2] for r in runs])
    offsets = np.cumsum([0] + [len(r[4]) for r in runs[:-1]])
    elem_ptr = np.concatenate([np.zeros(1, np.int64)] + [r[3][1:] + shift for r, shift in zip(runs, offsets)])
    elem_offset = np.concatenate([r[4] for r in runs])
    return seg_start, seg_len, seg_tag, elem_ptr, elem_offset

