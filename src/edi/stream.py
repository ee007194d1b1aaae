"""`iter_transactions(path_or_file)`: one transaction at a time, memory bounded by the largest
transaction (plus one read window), not by the file.

The file is read in windows. Each window is tokenized without assuming it is complete; every
transaction whose SE is inside the window is yielded as a view over that window's index, and the
bytes from the first unfinished transaction on are carried into the next window. Envelope
checks (SE/GE/IEA counts and control numbers, missing trailers) run as the stream goes and land
in `reader.findings`, with offsets in the file.
"""
from __future__ import annotations

import dataclasses
import os
from typing import BinaryIO, Iterator

import numpy as np

from .envelope import TAG
from .errors import Finding, FindingCode, Location
from .index import SegmentIndex
from .model import Group, Interchange, Segment, Transaction
from .tokenizer import DEFAULT_LIMITS, Limits, Scan, unwrap, wrapped_lines

WINDOW = 8 << 20


def iter_transactions(source: str | os.PathLike | BinaryIO, *, strict: bool = False,
                      limits: Limits = DEFAULT_LIMITS, window: int = WINDOW) -> "TransactionReader":
    """Stream the transactions of a file (a path, or a binary file object opened for reading)."""
    return TransactionReader(source, strict=strict, limits=limits, window=window)


class TransactionReader:
    """Iterable of Transaction; `findings` fills as the stream is read. A transaction's `group`
    and `group.interchange` carry the GS and ISA headers (their lists of children stay empty, so
    that memory does not grow with the file)."""

    def __init__(self, source, *, strict: bool = False, limits: Limits = DEFAULT_LIMITS, window: int = WINDOW):
        self.source = source
        self.strict = strict
        self.limits = limits
        self.window = window
        self.findings: list[Finding] = []

    def __iter__(self) -> Iterator[Transaction]:
        if isinstance(self.source, (str, os.PathLike)):
            with open(self.source, "rb") as f:
                yield from self._read(f)
        else:
            yield from self._read(self.source)

    def _read(self, f: BinaryIO) -> Iterator[Transaction]:
        state = _EnvelopeState(self.findings)
        pending = b""
        base_offset = base_segment = 0
        dialect = None
        read_size = self.window
        unwrapping = False
        while True:
            chunk = f.read(read_size)
            eof = not chunk
            data = pending + chunk if pending else chunk
            if not data:  # the input ended right after what the last window consumed
                state.close_interchange(None)
                break
            if unwrapping:
                data = unwrap(data)
            scan, index = self._scan(data, eof, base_offset, base_segment, dialect)
            wrapped = None if self.strict or unwrapping else wrapped_lines(index)
            if wrapped is not None:  # from here on, read without line breaks (see tokenize)
                unwrapping = True
                self.findings.append(_rebase(wrapped, base_offset, base_segment))
                data = unwrap(data)
                scan, index = self._scan(data, eof, base_offset, base_segment, dialect)
            if len(index.dialects):
                dialect = index.dialects[-1]
            cut = len(index) if eof else state.cut_point(index)
            consumed = len(data) if eof else int(index.seg_start[cut]) if cut < len(index) else scan.stop
            # What lies past the cut is scanned again with the next window: report it then.
            self.findings.extend(
                _rebase(f, base_offset, base_segment) for f in index.findings
                if f.location.byte_offset is None or f.location.byte_offset < consumed
            )
            yield from state.walk(index, cut)
            if eof:
                state.close_interchange(None)
                break
            # Grow the read when a single transaction outgrew the window, so re-scans stay linear.
            read_size = self.window if cut > 0 else read_size * 2
            pending = data[consumed:]
            base_offset += consumed
            base_segment += cut


    def _scan(self, data: bytes, eof: bool, base_offset: int, base_segment: int, dialect):
        """Tokenize one window; a window that is not the file's last may end mid-segment."""
        scan = Scan(data, self.strict, self.limits, final=eof)
        scan.run(scan.skip_bom() if base_offset == 0 else 0, dialect)
        return scan, scan.index(base_offset, base_segment)


class _EnvelopeState:
    """The open interchange and group of a stream, and the checks made when they close."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        self.interchange: Interchange | None = None
        self.group: Group | None = None
        self.group_count = 0
        self.set_count = 0

    @staticmethod
    def cut_point(index: SegmentIndex) -> int:
        """The first segment of the unfinished transaction at the end of a window."""
        starts = index.positions("ST")
        ends = index.positions("SE")
        if len(starts) and (not len(ends) or starts[-1] > ends[-1]):
            return int(starts[-1])
        return len(index)

    def walk(self, index: SegmentIndex, cut: int) -> Iterator[Transaction]:
        """Check and yield what lies before segment `cut`."""
        tags = index.seg_tag
        controls = index.positions("ISA", "IEA", "GS", "GE", "ST")
        controls = controls[controls < cut]
        ends = index.positions("SE")
        for n, i in enumerate(controls.tolist()):
            tag = int(tags[i])
            if tag == TAG["ISA"]:
                self.close_interchange(None)
                header = _detached(index, i)
                self.interchange = Interchange(None, -1, -1, header, None, index.delimiters(i))
                self.group_count = 0
            elif tag == TAG["GS"]:
                self.close_group(None)
                self.group = Group(None, -1, -1, _detached(index, i), None, self.interchange)
                self.group_count += 1
                self.set_count = 0
            elif tag == TAG["ST"]:
                # The set ends at its SE, unless another control segment comes first.
                stop = int(controls[n + 1]) - 1 if n + 1 < len(controls) else cut - 1
                k = int(np.searchsorted(ends, i))
                has_trailer = k < len(ends) and ends[k] <= stop
                last = int(ends[k]) if has_trailer else stop
                txn = Transaction(index, i, last, Segment(index, i), Segment(index, last) if has_trailer else None,
                                  self.group)
                self.check_transaction(txn, index)
                self.set_count += 1
                yield txn
            elif tag == TAG["GE"]:
                self.close_group(Segment(index, i))
            elif tag == TAG["IEA"]:
                self.close_interchange(Segment(index, i))

    def check_transaction(self, txn: Transaction, index: SegmentIndex) -> None:
        if txn.trailer is None:
            self.report(txn, FindingCode.SE_MISSING, txn.header.location)
            return
        count = index.count_segments(txn.first, txn.last)
        if txn.trailer[1].strip() != str(count):
            self.report(txn, FindingCode.SE_SEGMENT_COUNT, _element(txn.trailer, 1, count), f"SE01 is not {count}")
        if txn.trailer[2].strip() != txn.header[2].strip():
            self.report(txn, FindingCode.ST_SE_CONTROL_MISMATCH, _element(txn.trailer, 2, count))

    def close_group(self, trailer: Segment | None) -> None:
        group, self.group = self.group, None
        if group is None:
            return
        if trailer is None:
            self.report(group, FindingCode.GE_MISSING, Location(segment_id="GS"))
            return
        if trailer[1].strip() != str(self.set_count):
            self.report(group, FindingCode.GE_SET_COUNT, _element(trailer, 1), f"GE01 is not {self.set_count}")
        if trailer[2].strip() != group.header[6].strip():
            self.report(group, FindingCode.GS_GE_CONTROL_MISMATCH, _element(trailer, 2))

    def close_interchange(self, trailer: Segment | None) -> None:
        self.close_group(None)
        interchange, self.interchange = self.interchange, None
        if interchange is None:
            return
        if trailer is None:
            self.report(interchange, FindingCode.IEA_MISSING, Location(segment_id="ISA"))
            return
        if trailer[1].strip() != str(self.group_count):
            self.report(interchange, FindingCode.IEA_GROUP_COUNT, _element(trailer, 1), f"IEA01 is not {self.group_count}")
        if trailer[2].strip() != interchange.header[13].strip():
            self.report(interchange, FindingCode.ISA_IEA_CONTROL_MISMATCH, _element(trailer, 2))

    def report(self, container, code: FindingCode, location: Location, detail: str = "") -> None:
        finding = Finding(code, location, detail)
        container.findings.append(finding)
        self.findings.append(finding)


def _detached(index: SegmentIndex, i: int) -> Segment:
    """A copy of segment i that does not keep the window's buffer alive."""
    segment = Segment(index, i)
    segment._detach()
    segment._index = None
    return segment


def _element(segment: Segment, element: int, set_position: int | None = None) -> Location:
    return dataclasses.replace(segment.location, element=element, set_position=set_position)


def _rebase(finding: Finding, base_offset: int, base_segment: int) -> Finding:
    """A window's finding, with its location moved to file offsets."""
    loc = finding.location
    moved = dataclasses.replace(
        loc,
        byte_offset=None if loc.byte_offset is None else loc.byte_offset + base_offset,
        segment_number=None if loc.segment_number is None else loc.segment_number + base_segment,
    )
    return dataclasses.replace(finding, location=moved)
