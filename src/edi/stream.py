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

from .envelope import TAG, trailer_mismatches
from .errors import Finding, FindingCode, Location
from .index import SegmentIndex
from .model import Group, Interchange, Segment, Transaction
from .tokenizer import DEFAULT_LIMITS, Limits, scan_buffer

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
        dialect = previous = None
        read_size = self.window
        unwrapping = False
        while True:
            chunk = f.read(read_size)
            eof = not chunk
            data = pending + chunk if pending else chunk
            if not data:  # the input ended right after what the last window consumed
                state.close_interchange(None)
                break
            scan, index = scan_buffer(data, self.strict, self.limits, final=eof, file_start=base_offset == 0,
                                      resume=dialect, previous=previous, unwrapped=unwrapping,
                                      base_offset=base_offset, base_segment=base_segment)
            data = index.buf  # without line breaks once the file was found wrapped (see tokenize)
            unwrapping = unwrapping or data is not index.source
            cut = len(index) if eof else state.cut_point(index)
            dialect = index.dialect(cut) if cut < len(index) else scan.open_dialect
            previous = scan.last_dialect or previous
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
        """The first segment of the transaction still open at the end of a window (an ST
        that no control segment follows), or the end of the window."""
        controls = index.positions("ISA", "IEA", "GS", "GE", "ST", "SE")
        if len(controls) and index.seg_tag[controls[-1]] == TAG["ST"]:
            return int(controls[-1])
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
        for code, element, detail in trailer_mismatches(txn.trailer, count, txn.header[2]):
            self.report(txn, code, _element(txn.trailer, element, count), detail)

    def close_group(self, trailer: Segment | None) -> None:
        group, self.group = self.group, None
        if group is None:
            return
        if trailer is None:
            self.report(group, FindingCode.GE_MISSING, Location(segment_id="GS"))
            return
        for code, element, detail in trailer_mismatches(trailer, self.set_count, group.header[6]):
            self.report(group, code, _element(trailer, element), detail)

    def close_interchange(self, trailer: Segment | None) -> None:
        self.close_group(None)
        interchange, self.interchange = self.interchange, None
        if interchange is None:
            return
        if trailer is None:
            self.report(interchange, FindingCode.IEA_MISSING, Location(segment_id="ISA"))
            return
        for code, element, detail in trailer_mismatches(trailer, self.group_count, interchange.header[13]):
            self.report(interchange, code, _element(trailer, element), detail)

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
