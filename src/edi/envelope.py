"""Envelope structure: ISA/IEA, GS/GE and ST/SE pairs found in a SegmentIndex, with the control
checks of DOMAIN section 8 (counts, control numbers, missing trailers, duplicates) as findings.

A faultless envelope is checked by a kernel in one pass (`regular_ranges`) and its tree built
when first used; any other is walked control segment by control segment in Python (`_Builder`),
which reports what is wrong.
"""
from __future__ import annotations

import functools

import numpy as np

from .errors import Finding, FindingCode, Location
from . import _backend
from .index import SegmentIndex, element_values, pack_tag
from .model import Document, Group, Interchange, Segment, Transaction

CONTROL_IDS = ("ISA", "IEA", "GS", "GE", "ST", "SE")
TAG = {name: pack_tag(name) for name in CONTROL_IDS}
#: Segments that may stand in an interchange outside any transaction set.
INTERCHANGE_LEVEL_IDS = ("ISA", "IEA", "GS", "GE", "TA1")


#: Per trailer: the finding for a wrong count (element 01), and for a wrong control number (02).
TRAILER_CODES = {
    "SE": (FindingCode.SE_SEGMENT_COUNT, FindingCode.ST_SE_CONTROL_MISMATCH),
    "GE": (FindingCode.GE_SET_COUNT, FindingCode.GS_GE_CONTROL_MISMATCH),
    "IEA": (FindingCode.IEA_GROUP_COUNT, FindingCode.ISA_IEA_CONTROL_MISMATCH),
}


def trailer_mismatches(trailer: Segment, count: int, control: str) -> list[tuple[FindingCode, int, str]]:
    """(code, element, detail) for each of the trailer's count and control number that is wrong."""
    count_code, control_code = TRAILER_CODES[trailer.id]
    mismatches = []
    if trailer[1].strip() != str(count):
        mismatches.append((count_code, 1, f"{trailer.id}01 is not {count}"))
    if trailer[2].strip() != control.strip():
        mismatches.append((control_code, 2, ""))
    return mismatches


def build_document(index: SegmentIndex) -> Document:
    """Assemble the Interchange/Group/Transaction tree and check its control values. An
    envelope that passes every check as read (`regular_ranges`) gets its tree built when first
    used: the document knows its transactions' ranges without it."""
    ranges = regular_ranges(index)
    if ranges is not None:
        return Document(index, None, list(index.findings), ranges=ranges, build=functools.partial(build_tree, index))
    builder = _Builder(index)
    builder.walk()
    findings = list(index.findings) + builder.findings
    return Document(index, builder.interchanges, findings)


def build_tree(index: SegmentIndex) -> list[Interchange]:
    """The interchanges of an index whose envelope `regular_ranges` found without fault."""
    builder = _Builder(index)
    builder.walk()
    return builder.interchanges


def regular_ranges(index: SegmentIndex) -> tuple[np.ndarray, np.ndarray] | None:
    """The (ST, SE) positions of every transaction set when the envelope is one that `_Builder`
    would accept without a finding, checked by a kernel (`_fast._envelope`, twin
    `_py.envelope`): well-nested ISA/GS/ST/SE/GE/IEA segments in uppercase, every
    trailer's count and control number equal as bytes to what the builder expects, no
    duplicate control numbers, no empty segment, and no segment outside a set but the
    interchange-level ones. None when anything is otherwise (or merely written otherwise, such
    as a count with leading zeros): the builder then walks the envelope and reports."""
    if any(f.code is FindingCode.LOWERCASE_SEGMENT_ID for f in index.findings):
        return None
    return _backend.envelope_ranges(index)


class _Builder:
    def __init__(self, index: SegmentIndex):
        self.index = index
        self.tags = index.seg_tag
        self.interchanges: list[Interchange] = []
        self.findings: list[Finding] = []
        self.interchange: Interchange | None = None
        self.group: Group | None = None
        self.transaction: Transaction | None = None
        # Lowercase ids (reported by the tokenizer) still frame the envelope.
        self.fold_case = any(f.code is FindingCode.LOWERCASE_SEGMENT_ID for f in index.findings)

    def walk(self) -> None:
        tags = self.tags
        controls = self.index.positions(*CONTROL_IDS, fold_case=self.fold_case)
        # Elements 1 and 2 of every control segment, read at once for the ST/SE checks.
        self.values = dict(zip(controls.tolist(), zip(element_values(self.index, controls, 1),
                                                      element_values(self.index, controls, 2))))
        isa, gs, st, se, ge, iea = (TAG[name] for name in ("ISA", "GS", "ST", "SE", "GE", "IEA"))
        control_tags = tags[controls] & np.uint32(~0x202020 & 0xFFFFFF) if self.fold_case else tags[controls]
        for i, tag in zip(controls.tolist(), control_tags.tolist()):
            if tag == st:  # the most frequent, with SE
                self.close_transaction(i - 1)
                group = self.open_group(i)
                self.transaction = Transaction(self.index, i, i, Segment(self.index, i), None, group)
                group.transactions.append(self.transaction)
            elif tag == se:
                if self.transaction is None:
                    self.outside(i)
                    continue
                self.transaction.trailer = Segment(self.index, i)
                self.close_transaction(i)
            elif tag == isa:
                self.close_interchange(i - 1)
                self.interchange = Interchange(self.index, i, i, Segment(self.index, i), None, self.index.delimiters(i))
                self.interchanges.append(self.interchange)
            elif tag == gs:
                self.close_group(i - 1)
                interchange = self.open_interchange(i)
                self.group = Group(self.index, i, i, Segment(self.index, i), None, interchange)
                interchange.groups.append(self.group)
            elif tag == ge:
                self.close_transaction(i - 1)
                if self.group is None or self.group.header is None:
                    self.outside(i)
                    continue
                self.group.trailer = Segment(self.index, i)
                self.close_group(i)
            elif tag == iea:
                self.close_group(i - 1)
                if self.interchange is None or self.interchange.header is None:
                    self.outside(i)
                    continue
                self.interchange.trailer = Segment(self.index, i)
                self.close_interchange(i)
        self.close_interchange(len(tags) - 1)
        for interchange in self.interchanges:
            interchange._snapshot()
            for group in interchange.groups:
                group._snapshot()
        self.check_strays()
        self.check_duplicates()

    def check_strays(self) -> None:
        """Report segments outside every transaction set (but for the interchange-level ones)."""
        index = self.index
        transactions = [t for ic in self.interchanges for t in ic.transactions]
        allowed = index.positions(*INTERCHANGE_LEVEL_IDS, fold_case=self.fold_case)
        inside = sum(t.last - t.first + 1 for t in transactions)
        if inside + len(allowed) + len(index._empty_segments()) == len(index):
            return
        stray = index.seg_len > 0
        stray[allowed] = False
        for txn in transactions:
            stray[txn.first : txn.last + 1] = False
        for i in np.flatnonzero(stray).tolist():
            if int(self.tags[i]) not in (TAG["SE"], TAG["GE"], TAG["IEA"]):  # reported when met
                self.outside(i)

    # --- opening containers that have no header ------------------------------------------
    def open_interchange(self, i: int) -> Interchange:
        """The interchange segment i is in; with no ISA, one that starts after the previous
        interchange, so that segments before the first GS or ST belong to it."""
        if self.interchange is None:
            first = self.interchanges[-1].last + 1 if self.interchanges else 0
            self.interchange = Interchange(self.index, first, i, None, None, self.index.delimiters(i))
            self.interchanges.append(self.interchange)
        return self.interchange

    def open_group(self, i: int) -> Group:
        if self.group is None:
            interchange = self.open_interchange(i)
            groups = interchange.groups
            first = groups[-1].last + 1 if groups else interchange.first + (interchange.header is not None)
            self.group = Group(self.index, first, i, None, None, interchange)
            interchange.groups.append(self.group)
            self.findings.append(Finding(FindingCode.SET_OUTSIDE_GROUP, self.at(i, 2)))
        return self.group

    # --- closing, with the trailer checks --------------------------------------------------
    def close_transaction(self, last: int) -> None:
        txn, self.transaction = self.transaction, None
        if txn is None:
            return
        txn.last = last
        if txn.trailer is None:
            self.report(txn, FindingCode.SE_MISSING, self.at(txn.first, None, txn))
            return
        counted = self.index.count_segments(txn.first, last)
        se01, se02 = self.values[txn.trailer.position]
        if se01 == b"%d" % counted and se02 == self.values[txn.first][1]:
            return  # equal bytes: trailer_mismatches would find nothing
        for code, element, detail in trailer_mismatches(txn.trailer, counted, txn.header[2]):
            self.report(txn, code, self.at(last, element, txn), detail)

    def close_group(self, last: int) -> None:
        self.close_transaction(last)
        group, self.group = self.group, None
        if group is None:
            return
        group.last = last
        if group.header is None:
            return
        if group.trailer is None:
            self.report(group, FindingCode.GE_MISSING, self.at(group.first, None))
            return
        for code, element, detail in trailer_mismatches(group.trailer, len(group.transactions), group.header[6]):
            self.report(group, code, self.at(last, element), detail)

    def close_interchange(self, last: int) -> None:
        self.close_group(last)
        interchange, self.interchange = self.interchange, None
        if interchange is None:
            return
        interchange.last = last
        if interchange.header is None:
            return
        if interchange.trailer is None:
            self.report(interchange, FindingCode.IEA_MISSING, self.at(interchange.first, None))
            return
        for code, element, detail in trailer_mismatches(interchange.trailer, len(interchange.groups),
                                                        interchange.header[13]):
            self.report(interchange, code, self.at(last, element), detail)

    def check_duplicates(self) -> None:
        """ISA13 unique in the file, GS06 in its interchange, ST02 in its group."""
        seen_isa: set[str] = set()
        for interchange in self.interchanges:
            if interchange.header is not None:
                self.once(seen_isa, interchange.control_number, interchange, FindingCode.DUPLICATE_INTERCHANGE, 13)
            seen_gs: set[str] = set()
            for group in interchange.groups:
                if group.header is not None:
                    self.once(seen_gs, group.control_number, group, FindingCode.DUPLICATE_GROUP, 6)
                seen_st: set[bytes] = set()  # ST02 as read: equal bytes are equal text
                for txn in group.transactions:
                    self.once(seen_st, self.values[txn.first][1], txn, FindingCode.DUPLICATE_SET, 2, txn)

    def once(self, seen: set, value: str, container, code: FindingCode, element: int, txn=None) -> None:
        if value in seen:
            self.report(container, code, self.at(container.first, element, txn))
        seen.add(value)

    # --- findings ----------------------------------------------------------------------------
    def report(self, container, code: FindingCode, location: Location, detail: str = "") -> None:
        finding = Finding(code, location, detail)
        container.findings.append(finding)
        self.findings.append(finding)

    def outside(self, i: int) -> None:
        self.findings.append(Finding(FindingCode.SEGMENT_OUTSIDE_ENVELOPE, self.at(i, None)))

    def at(self, i: int, element: int | None, txn: Transaction | None = None) -> Location:
        """Location of segment i; with `txn`, also its position in that set (ST = 1)."""
        segment = Segment(self.index, i)
        set_position = None
        if txn is not None and i >= txn.first:
            set_position = self.index.count_segments(txn.first, i)
        location = segment.location
        return Location(location.byte_offset, location.segment_number, location.segment_id, set_position,
                        element=element, source=location.source)
