"""Acknowledgments: the 999 (implementation acknowledgment, 005010X231A1) and the TA1
(interchange acknowledgment) for any document we read, valid or not.

The 999 answers every functional group with one 999 transaction set: AK1 names the group,
each of its transaction sets gets an AK2, its segment errors an IK3 (with IK4 per element
error) and its verdict an IK5; AK9 gives the group's verdict and counts. Verdicts come from
`edi.validate`: a set with any error finding is rejected (R), else accepted (A); a group is
accepted when all its sets are, partially accepted (P) when some are, rejected (R) when none
are or when the group itself is in error (AK905).

The acknowledgment interchange swaps the received sender and receiver, and uses the received
ISA's delimiters, so bad values copied into IK404 are written as they came. IK404 is omitted
when the value holds one of the acknowledgment's own delimiters.
"""
from __future__ import annotations

import datetime as _dt

from .errors import Finding, Severity
from .model import Document, Group, Interchange, Segment, Transaction
from .validate import findings_by_set, interchange_findings, loop_id
from .writer import write

#: IK403 codes whose IK404 copies the bad value (the others have no value to copy).
VALUE_CODES = {"4", "5", "6", "7", "8", "9", "12", "13", "I10"}
#: How many codes IK5 and AK9 carry at most.
MAX_CODES = 5


def build_999(doc: Document, *, control_number: int = 1, now: _dt.datetime | None = None) -> bytes:
    """The 999 acknowledging every group of every interchange of `doc` (one acknowledgment
    interchange per received interchange, one 999 per received group)."""
    now = now or _dt.datetime.now()
    out = []
    for n, interchange in enumerate(doc.interchanges):
        acks = [_ack_group(group, k) for k, group in enumerate(interchange.groups, 1)]
        gs_sender, gs_receiver = _group_parties(interchange)
        group = Group.build("FA", gs_receiver, gs_sender, str(control_number + n), "005010X231A1", acks,
                            now.strftime("%Y%m%d"), now.strftime("%H%M"))
        reply = _reply_interchange(interchange, control_number + n, [group], now)
        out.append(write(Document.build([reply])))
    return b"".join(out)


def build_ta1(doc: Document, *, control_number: int = 1, now: _dt.datetime | None = None) -> bytes:
    """One TA1 per received interchange, each in its own acknowledgment interchange: TA104 is
    A (accepted), E (accepted with errors: a later error in its groups) or R (rejected), TA105
    the note code of the first interchange-level error (000 when none)."""
    now = now or _dt.datetime.now()
    out = []
    for n, interchange in enumerate(doc.interchanges):
        errors = [f for f in interchange.findings + interchange_findings(interchange)
                  if f.code.ack == "TA105" and f.severity is Severity.ERROR]
        errors.sort(key=lambda f: f.code.ack_code != "001")  # a control number mismatch first
        note = errors[0].code.ack_code if errors else "000"
        verdict = "R" if errors else "A"
        header = interchange.header
        ta1 = Segment.build("TA1", header[13] if header is not None else "", header[9] if header is not None else "",
                            header[10] if header is not None else "", verdict, note)
        reply = _reply_interchange(interchange, control_number + n, [], now)
        d = reply.delimiters
        out.append(b"".join(segment.to_bytes(d) + d.segment for segment in (reply.header, ta1, reply.trailer)))
    return b"".join(out)


def _reply_interchange(interchange: Interchange, control_number: int, groups, now) -> Interchange:
    header = interchange.header
    reply = Interchange.build(
        interchange.receiver_id[:15] or "UNKNOWN", interchange.sender_id[:15] or "UNKNOWN", control_number, groups,
        date=now.strftime("%y%m%d"), time=now.strftime("%H%M"),
        sender_qualifier=interchange.receiver_qualifier or "ZZ", receiver_qualifier=interchange.sender_qualifier or "ZZ",
        usage=interchange.usage if header is not None and interchange.usage in ("P", "T") else "P",
        delimiters=interchange.delimiters,
    )
    if not groups:
        reply.trailer[1] = "0"
    return reply


def _group_parties(interchange: Interchange) -> tuple[str, str]:
    """GS02/GS03 of the first received group (the 999's group swaps them)."""
    for group in interchange.groups:
        if group.header is not None:
            return group.header[2] or "UNKNOWN", group.header[3] or "UNKNOWN"
    return interchange.sender_id or "UNKNOWN", interchange.receiver_id or "UNKNOWN"


def _ack_group(group: Group, number: int) -> Transaction:
    """The 999 transaction set for one received group."""
    header = group.header
    body = [Segment.build("AK1", *(header[j] for j in (1, 6, 8)))] if header is not None else [Segment.build("AK1", "", "")]
    accepted = 0
    for txn, found in zip(group.transactions, findings_by_set(group.transactions)):
        segments, verdict = _ack_transaction(txn, found)
        body.extend(segments)
        accepted += verdict == "A"
    received = len(group.transactions)
    group_codes = _codes([f for f in group.findings if f.code.ack == "AK905"])
    if group_codes or accepted == 0:
        verdict = "R"
    else:
        verdict = "A" if accepted == received else "P"
    included = group.trailer[1] if group.trailer is not None and group.trailer[1].isdigit() else str(received)
    body.append(Segment.build("AK9", verdict, included, str(received), str(accepted), *group_codes))
    return Transaction.build("999", f"{number:04d}", body, "005010X231A1")


def _ack_transaction(txn: Transaction, validated: list[Finding]) -> tuple[list[Segment], str]:
    """AK2, the IK3/IK4 loops and IK5 for one received transaction set (its envelope findings
    and `validated`, what validation found in it), and its verdict."""
    findings = [f for f in txn.findings + validated if f.severity is Severity.ERROR]
    ak2 = Segment.build("AK2", txn.set_id, txn.control_number, *([txn.header[3]] if txn.header[3] else []))
    out = [ak2]
    loops = txn.loops
    set_codes = [f for f in findings if f.code.ack == "IK502"]
    segment_findings = [f for f in findings if f.code.ack in ("IK304", "IK403")]
    for position, group in _by_segment(segment_findings):
        first = group[0]
        segment_id = first.location.segment_id or ""
        element_errors = [f for f in group if f.code.ack == "IK403"]
        for f in group:
            if f.code.ack == "IK304":
                missing = f.code.ack_code == "3"
                out.append(Segment.build("IK3", _missing_id(f) if missing else segment_id, str(position),
                                         _loop_of(f, loops, position), f.code.ack_code))
        if element_errors:
            out.append(Segment.build("IK3", segment_id, str(position), _loop_of(first, loops, position), "8"))
            out.extend(_ik4(txn, f, loops) for f in element_errors)
    codes = _codes(set_codes) + (["5"] if segment_findings else [])
    verdict = "R" if findings else "A"
    out.append(Segment.build("IK5", verdict, *codes[:MAX_CODES]))
    return out, verdict


def _by_segment(findings: list[Finding]):
    """Findings grouped by set position, in order."""
    groups: dict[int, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.location.set_position or 0, []).append(f)
    return sorted(groups.items())


def _missing_id(finding: Finding) -> str:
    """The id of a missing segment (the finding's detail starts with it)."""
    return finding.detail.split(" ", 1)[0] if finding.detail else (finding.location.segment_id or "")


def _loop_of(finding: Finding, loops, position: int) -> str:
    """IK303: the guide's id of the loop the finding concerns. Empty for the map's wrappers
    (HEADER, DETAIL: not loops of the guide) and for ids longer than the 4 characters data
    element 447 allows (2010BA): a truncated id would name another loop."""
    path = finding.location.loop_path
    found = path.rsplit("/", 1)[-1] if path else loop_id(loops, position - 1)
    return found if found[:1].isdigit() and len(found) <= 4 else ""


def _ik4(txn: Transaction, finding: Finding, loops) -> Segment:
    loc = finding.location
    d = txn.index.delimiters(txn.first)
    component = d.component.decode("utf-8", "replace")
    position = str(loc.element)
    if loc.component or loc.repetition:
        position += component + (str(loc.component) if loc.component else "")
        if loc.repetition:
            position += component + str(loc.repetition)
    fields = [position, _data_element(loops, loc), finding.code.ack_code]
    if finding.code.ack_code in VALUE_CODES:
        value = _bad_value(txn, loc)
        if value is not None:
            fields.append(value)
    return Segment.build("IK4", *fields)


def _data_element(loops, loc) -> str:
    """IK402: the data element reference number from the schema ("" when unknown)."""
    k = (loc.set_position or 1) - 1
    if loops is None or k >= len(loops.seg_node) or loops.seg_node[k] < 0:
        return ""
    elements = loops.schema.segments[int(loops.seg_node[k])].elements
    if not loc.element or loc.element > len(elements):
        return ""
    spec = elements[loc.element - 1]
    if loc.component and "components" in spec and loc.component <= len(spec["components"]):
        spec = spec["components"][loc.component - 1]
    return spec.get("data_element") or ""


def _bad_value(txn: Transaction, loc) -> str | None:
    """The value at the location, as sent (None when it cannot be copied safely)."""
    index = txn.index
    i = txn.first + (loc.set_position or 1) - 1
    raw = index.element(i, loc.element)
    d = index.delimiters(i)
    if d.repetition and loc.repetition:
        parts = raw.split(d.repetition)
        raw = parts[loc.repetition - 1] if loc.repetition <= len(parts) else b""
    if loc.component:
        parts = raw.split(d.component)
        raw = parts[loc.component - 1] if loc.component <= len(parts) else b""
    if not raw or len(raw) > 99 or any(sep and sep in raw for sep in (d.element, d.component, d.repetition, d.segment)):
        return None
    return raw.decode("utf-8", "replace")


def _codes(findings: list[Finding]) -> list[str]:
    """Distinct acknowledgment codes of the findings, in order, at most MAX_CODES."""
    codes: list[str] = []
    for f in findings:
        if f.code.ack_code not in codes:
            codes.append(f.code.ack_code)
    return codes[:MAX_CODES]
