"""Claim status: build 276 requests (005010X212), read 277 responses and 277CA acknowledgments.

    data = edi.status.build_276(payer, receiver, [ClaimInquiry(...)])   # X12 bytes
    for claim in edi.status.read_file("acks.277"):                     # 277 (X212) or 277CA (X214)
        print(claim.level, claim.trace, claim.state, [str(c) for c in claim.codes], claim.charge)
        for line in claim.lines:
            print(line.procedure.code, line.state)

`read` gives one `ClaimStatus` per claim (a 2200D/2200E loop, opened by its TRN), with a
`LineStatus` per service line below it; the status a 277CA gives a whole receiver (2200B) or
provider (2200C) comes as an entry of its own, with level "receiver" or "provider". The level
is the HL03 of the HL before the TRN (22, 23, PT: claim; 21: receiver; 19: provider), so a
claim that a sloppy file puts in an odd loop is still a claim. A 276 reads as its inquiries,
with no statuses and the state "requested".

Each STC is a `Status`: its code composites (STC01, STC10, STC11) as `StatusCode`s, the action
(STC03: WQ accept, U reject in a 277CA), amounts and dates. `state` (accepted, rejected, pending,
finalized, other) follows from the category code (DOMAIN.md 6): A0/A1/A2/A5 accepted, A3/A6/A7/A8
rejected, P pending, R (more information asked for) pending, F finalized, the rest other; a
category we do not know falls back on the action code. A claim is rejected when any of its
statuses is, else it takes the state of its first.

Category meanings are ours, in short words. Status codes (508) come without text: X12's
descriptions are not ours to ship (DOMAIN.md 4.2); `load_descriptions` reads a list the user
has. Money is Decimal, dates datetime.date; values that cannot be read are None and a finding.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from . import schema
from .errors import EdiError, Finding, Location
from .model import Document, Group, Interchange, Loop, Segment, Transaction
from .remittance.objects import Party, Procedure
from .writer import write
from .values import ValueReader

#: The states a claim or line can be in; "requested" is a 276 inquiry, which has no status yet.
STATES = ("accepted", "rejected", "pending", "finalized", "other", "requested")

#: Claim status category codes (507), in our own words.
CATEGORY_MEANINGS = {
    "A0": "forwarded to another entity",
    "A1": "received, not yet accepted",
    "A2": "accepted into adjudication",
    "A3": "rejected: returned as unprocessable",
    "A4": "not found",
    "A5": "split on acceptance",
    "A6": "rejected: missing information",
    "A7": "rejected: invalid information",
    "A8": "rejected: relational field in error",
    "D0": "data search unsuccessful",
    "F1": "finalized: paid",
    "F2": "finalized: denied",
    "F3": "finalized: revised",
    "F4": "finalized: adjudication complete, no payment forthcoming",
}
_CATEGORY_STATES = {"A0": "accepted", "A1": "accepted", "A2": "accepted", "A5": "accepted", "A3": "rejected",
                    "A6": "rejected", "A7": "rejected", "A8": "rejected", "A4": "other", "D0": "other"}
#: The numbered families (E0-E4, F0-F5, F3F, F3N, P0-P5, R0-R17, RQ): meaning and state by letter.
_FAMILY = re.compile(r"(?:[EFP]\d|F3[FN]|R\d{1,2}|RQ)\Z")
_FAMILIES = {"E": ("response not possible: error", "other"), "F": ("finalized", "finalized"),
             "P": ("pending", "pending"), "R": ("more information requested", "pending")}
_ACTION_STATES = {"WQ": "accepted", "U": "rejected"}

#: The HL03 level codes that open a claim (276/277 subscriber and dependent, 277CA patient), and
#: the other levels a status or a party can belong to.
_LEVELS = {"22": "claim", "23": "claim", "PT": "claim", "21": "receiver", "19": "provider"}
_ROLES = {"20": "payer", "21": "receiver", "19": "provider", "22": "subscriber", "23": "patient", "PT": "patient"}


_DESCRIPTIONS: dict[str, dict[str, str]] = {"507": {}, "508": {}}


def load_descriptions(path: str | os.PathLike, source: str = "508") -> int:
    """Read descriptions of status codes (`source` "508") or category codes ("507") from a CSV
    file you have the right to use (X12 publishes the lists; their text does not ship with edi):
    a header line names the columns `code` and `description`, as for `edi.codes.load_descriptions`.
    Replaces what was loaded for that source before; returns how many were read."""
    if source not in _DESCRIPTIONS:
        raise EdiError('the source is "507" (category codes) or "508" (status codes)')
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or ()]
        if not {"code", "description"} <= set(reader.fieldnames):
            raise EdiError(f"{path}: the header needs the columns code and description")
        table = {row["code"].strip().upper(): (row["description"] or "").strip() for row in reader if row["code"]}
    _DESCRIPTIONS[source] = table
    return len(table)


def category_meaning(category: str) -> str:
    """Our short words for a category code, "" for a code we do not know."""
    family = _FAMILIES[category[0]][0] if _FAMILY.match(category) else ""
    return CATEGORY_MEANINGS.get(category, family)


def category_state(category: str, action: str = "") -> str:
    """accepted, rejected, pending, finalized or other, from a category code and, when the
    category is not one we know, from the action code (WQ accepted, U rejected)."""
    if category in _CATEGORY_STATES:
        return _CATEGORY_STATES[category]
    if _FAMILY.match(category):
        return _FAMILIES[category[0]][1]
    return _ACTION_STATES.get(action, "other")


# --- what a 277 says ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StatusCode:
    """One STC01/STC10/STC11 composite: category (507), status code (508), the entity it is
    about (85 billing provider, QC patient, PR payer, 41 submitter...) and, for NCPDP reject
    codes, the code list qualifier (RX)."""

    category: str
    code: str
    entity: str = ""
    code_list: str = ""

    @property
    def meaning(self) -> str:
        """The category's meaning, in our words."""
        return category_meaning(self.category)

    @property
    def description(self) -> str:
        """The status code's description from `load_descriptions`, "" when none was loaded."""
        return _DESCRIPTIONS["508"].get(self.code, "")

    @property
    def category_description(self) -> str:
        """The category's description from `load_descriptions(..., "507")`, "" when none."""
        return _DESCRIPTIONS["507"].get(self.category, "")

    def __str__(self) -> str:
        parts = [self.category, self.code, self.entity, self.code_list]
        while len(parts) > 2 and not parts[-1]:
            parts.pop()
        return ":".join(parts)


@dataclass(eq=False, slots=True)
class Status:
    """One STC segment."""

    codes: list[StatusCode]  # STC01, then STC10 and STC11 when sent
    date: datetime.date | None  # STC02: when the status took effect
    action: str  # STC03: WQ accept, U reject (277CA)
    charge: Decimal | None  # STC04: total claim (or line) charge
    paid: Decimal | None  # STC05: claim payment (X212)
    adjudicated: datetime.date | None  # STC06
    payment_method: str  # STC07: ACH, BOP, CHK, FWT, NON
    payment_date: datetime.date | None  # STC08: check issue or EFT date
    check_number: str  # STC09: check or EFT trace number
    message: str  # STC12: free-form text (277CA)
    segment: Segment = field(repr=False)

    @property
    def state(self) -> str:
        return category_state(self.codes[0].category, self.action)

    def __repr__(self) -> str:  # no STC12 text: it may name a patient
        return f"<Status {' '.join(map(str, self.codes))} {self.action or '(no action)'}>"

    @property
    def location(self) -> Location:
        return self.segment.location


class _WithStatuses:
    """What a claim's and a line's status share: their state, codes and place, from
    `statuses`, `set_id` and `segment`."""

    __slots__ = ()

    @property
    def state(self) -> str:
        return _state(self.statuses, self.set_id)

    @property
    def codes(self) -> list[StatusCode]:
        """Every status code of every STC, in order."""
        return [code for status in self.statuses for code in status.codes]

    @property
    def location(self) -> Location:
        return self.segment.location


@dataclass(eq=False, slots=True)
class LineStatus(_WithStatuses):
    """One service line (2220D/E of a 277, 2210D/E of a 276) and its statuses."""

    procedure: Procedure  # SVC01
    charge: Decimal | None  # SVC02
    paid: Decimal | None  # SVC03 (277 only)
    revenue_code: str  # SVC04
    units: Decimal | None  # SVC07
    control_number: str  # REF*FJ: the 837's line item control number
    references: dict[str, str]  # REF01 -> REF02 (FJ, XZ prescription number...)
    service_start: datetime.date | None  # DTP*472
    service_end: datetime.date | None
    statuses: list[Status]
    set_id: str  # 276 (a line asked about) or 277
    segment: Segment = field(repr=False)  # the SVC

    def __repr__(self) -> str:  # no identifiers: they may point at a patient
        return f"<LineStatus {self.state} {' '.join(map(str, self.codes)) or '(no status)'}>"


@dataclass(eq=False, slots=True)
class ClaimStatus(_WithStatuses):
    """The status of one claim (level "claim"), or of everything a receiver or provider sent
    (level "receiver" or "provider", 2200B/2200C), as one 277 or 277CA gives it; or one
    inquiry of a 276 (state "requested")."""

    level: str  # claim, receiver or provider
    set_id: str  # 276 or 277
    guide: str  # GS08: 005010X212, 005010X214...
    trace: str  # TRN02: the claim's id (the 837 CLM01 in a 277CA), or the batch/provider trace
    references: dict[str, str]  # REF01 -> REF02: 1K payer claim number, EJ, D9, BLT, TJ...
    statuses: list[Status]
    service_start: datetime.date | None  # DTP*472
    service_end: datetime.date | None
    quantities: dict[str, Decimal]  # QTY01 -> QTY02: 90/QA accepted, AA/QC rejected (277CA)
    amounts: dict[str, Decimal]  # AMT01 -> AMT02: YU accepted, YY rejected (277CA), T3 (276)
    parties: dict[str, Party]  # by role: payer, receiver, provider, subscriber, patient
    lines: list[LineStatus]
    findings: list[Finding]  # values that could not be read
    segment: Segment = field(repr=False)  # the TRN

    @property
    def action(self) -> str:
        """STC03 of the first status."""
        return self.statuses[0].action if self.statuses else ""

    @property
    def charge(self) -> Decimal | None:
        """The claim's total charge: STC04 of the first status (AMT*T3 in a 276)."""
        return self.statuses[0].charge if self.statuses else self.amounts.get("T3")

    @property
    def paid(self) -> Decimal | None:
        """STC05 of the first status (X212 responses)."""
        return self.statuses[0].paid if self.statuses else None

    payer_claim_number = property(lambda self: self.references.get("1K", ""), doc="REF*1K")
    patient_control_number = property(lambda self: self.references.get("EJ", ""), doc="REF*EJ (X212)")
    clearinghouse_trace = property(lambda self: self.references.get("D9", ""), doc="REF*D9")
    bill_type = property(lambda self: self.references.get("BLT", ""), doc="REF*BLT")
    accepted_count = property(lambda self: self.quantities.get("90", self.quantities.get("QA")), doc="QTY*90/QA")
    rejected_count = property(lambda self: self.quantities.get("AA", self.quantities.get("QC")), doc="QTY*AA/QC")
    accepted_amount = property(lambda self: self.amounts.get("YU"), doc="AMT*YU")
    rejected_amount = property(lambda self: self.amounts.get("YY"), doc="AMT*YY")
    payer = property(lambda self: self.parties.get("payer"), doc="2100A NM1")
    provider = property(lambda self: self.parties.get("provider"), doc="2100C NM1")
    patient = property(lambda self: self.parties.get("patient") or self.parties.get("subscriber"),
                       doc="the patient's NM1: the dependent's, else the subscriber's")

    def __repr__(self) -> str:  # no trace or names: they may identify a patient
        codes = " ".join(map(str, self.codes)) or "(no status)"
        return f"<ClaimStatus {self.level} {self.state} {codes}, {len(self.lines)} lines>"


def _state(statuses: list[Status], set_id: str) -> str:
    """"requested" in a 276; else rejected when any status is, else the first status's state."""
    if set_id == "276":
        return "requested"
    if not statuses:
        return "other"
    states = [status.state for status in statuses]
    return "rejected" if "rejected" in states else states[0]


# --- reading ------------------------------------------------------------------------------------

def read(data: bytes, *, strict: bool = False) -> list[ClaimStatus]:
    """The claim statuses (and 276 inquiries) in X12 bytes."""
    from . import read as read_bytes

    return read_document(read_bytes(data, strict=strict))


def read_file(path: str | os.PathLike, *, strict: bool = False) -> list[ClaimStatus]:
    """The claim statuses (and 276 inquiries) in a file."""
    from . import read_file as read_path

    return read_document(read_path(path, strict=strict))


def read_document(doc: Document) -> list[ClaimStatus]:
    """The claim statuses of every 276 and 277 transaction of a document read from bytes."""
    return [entry for txn in doc.transactions if txn.set_id in ("276", "277") for entry in _Reader(txn).entries()]


def _loop_root(txn: Transaction) -> Loop:
    """The loop tree, with a 5010 guide when the transaction names none we have (a 277 whose
    BHT01 is 0085 reads as a 277CA, as the X364 encounter acknowledgments do)."""
    if txn.index is None:
        raise EdiError("claim statuses are read from bytes: read a built document with edi.read(edi.write(doc))")
    if txn.root is None:
        bht = next((s for s in txn.segments[1:3] if s.id == "BHT"), None)
        guide = "005010X214" if txn.set_id == "277" and bht is not None and bht[1] == "0085" else "005010X212"
        txn.use_schema(schema.find(guide, txn.set_id))
    return txn.root


class _Reader(ValueReader):
    """Builds the entries of one 276/277 transaction; `findings` collects those of the entry
    being built."""

    def __init__(self, txn: Transaction):
        self.txn = txn
        self.guide = txn.version
        self.findings: list[Finding] = []

    def entries(self) -> list[ClaimStatus]:
        root = _loop_root(self.txn)
        levels, level = {}, ""
        for segment in self.txn.segments:  # the HL03 in force at each TRN
            if segment.id == "HL":
                level = segment[3]
            elif segment.id == "TRN":
                levels[segment.position] = level
        entries = []
        for loop in root.walk():
            first = loop.segments[0] if loop.segments else None
            if first is None or first.id != "TRN":
                continue
            kind = _LEVELS.get(levels.get(first.position, ""))
            if kind == "claim" or (kind and any(s.id == "STC" for s in loop.segments)):
                entries.append(self.entry(loop, kind))
        return entries

    # --- values ---------------------------------------------------------------------------------
    def period(self, segments: list[Segment]) -> tuple[datetime.date | None, datetime.date | None]:
        """The DTP*472 service dates: D8 (one day) or RD8 (from-to)."""
        dtp = next((s for s in segments if s.id == "DTP" and s[1] == "472"), None)
        if dtp is None:
            return None, None
        if dtp[2] == "RD8":
            start, _, end = dtp[3].partition("-")
            return self.date(dtp, 3, start), self.date(dtp, 3, end)
        day = self.date(dtp, 3)
        return day, day

    # --- objects --------------------------------------------------------------------------------
    def status(self, stc: Segment) -> Status:
        codes = [StatusCode(*(stc.components(j) + ["", "", ""])[:4]) for j in (1, 10, 11) if stc[j] or j == 1]
        return Status(codes, self.date(stc, 2), stc[3], self.amount(stc, 4), self.amount(stc, 5), self.date(stc, 6),
                      stc[7], self.date(stc, 8), stc[9], stc[12], stc)

    def entry(self, loop: Loop, level: str) -> ClaimStatus:
        self.findings = []
        segments = loop.segments
        start, end = self.period(segments)
        quantities = {s[1]: q for s in segments if s.id == "QTY" and (q := self.number(s, 2)) is not None}
        amounts = {s[1]: a for s in segments if s.id == "AMT" and (a := self.amount(s, 2)) is not None}
        lines = [self.line(child) for child in loop.children if child.segments and child.segments[0].id == "SVC"]
        return ClaimStatus(
            level, self.txn.set_id, self.guide, segments[0][2], {s[1]: s[2] for s in segments if s.id == "REF"},
            [self.status(s) for s in segments if s.id == "STC"], start, end, quantities, amounts, _parties(loop),
            lines, self.findings, segments[0],
        )

    def line(self, loop: Loop) -> LineStatus:
        svc = loop.segments[0]
        start, end = self.period(loop.segments)
        references = {s[1]: s[2] for s in loop.segments if s.id == "REF"}
        return LineStatus(
            Procedure(svc.component(1, 1), svc.component(1, 2), [m for m in svc.components(1)[2:6] if m]),
            self.amount(svc, 2), self.amount(svc, 3), svc[4], self.number(svc, 7), references.get("FJ", ""),
            references, start, end, [self.status(s) for s in loop.segments if s.id == "STC"], self.txn.set_id, svc,
        )


def _parties(loop: Loop) -> dict[str, Party]:
    """The NM1 of each HL level above a claim's loop, by role (payer, receiver, provider,
    subscriber, patient)."""
    parties = {}
    ancestor = loop.parent
    while ancestor is not None:
        head = ancestor.segments[0] if ancestor.segments else None
        if head is not None and head.id == "HL" and head[3] in _ROLES:
            name = next((c.segments[0] for c in ancestor.children if c.segments and c.segments[0].id == "NM1"), None)
            if name is not None:
                parties.setdefault(_ROLES[head[3]], Party(name[1], name[3], name[4], name[5], name[8], name[9]))
        ancestor = ancestor.parent
    return parties


# --- building a 276 -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Payer:
    """The payer asked (2100A)."""

    name: str
    id: str  # NM109: the payer id
    id_qualifier: str = "PI"  # PI payer id, XV CMS plan id


@dataclass(frozen=True, slots=True)
class Receiver:
    """Who asks and receives the answer (2100B): a clearinghouse, billing service or provider."""

    name: str  # organization name, or last name when `first_name` is given
    id: str  # NM109 with qualifier 46: the electronic transmitter id (ETIN)
    first_name: str = ""


@dataclass(frozen=True, slots=True)
class Provider:
    """The provider of the claims (2100C)."""

    name: str  # organization name, or last name when `first_name` is given
    npi: str
    first_name: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    """A subscriber (2100D, with a member id) or a dependent patient (2100E, with a birth date)."""

    last_name: str
    first_name: str = ""
    member_id: str = ""  # the subscriber's; a dependent has none of their own in 5010
    birth_date: datetime.date | None = None
    gender: str = "U"  # F, M or U (unknown)


@dataclass(frozen=True, slots=True)
class LineInquiry:
    """One service line asked about (2210D/E)."""

    procedure: str  # SVC01-2
    charge: Decimal  # SVC02
    service_start: datetime.date  # DTP*472
    service_end: datetime.date | None = None  # for a range of days
    qualifier: str = "HC"  # SVC01-1: HC CPT/HCPCS, NU revenue code, N4 NDC...
    modifiers: tuple[str, ...] = ()
    revenue_code: str = ""  # SVC04
    units: Decimal | None = None  # SVC07
    control_number: str = ""  # REF*FJ: the 837's line item control number


@dataclass(frozen=True, slots=True)
class ClaimInquiry:
    """One claim asked about (2200D, or 2200E when `patient` is a dependent of the subscriber).
    Claims are grouped under one provider, subscriber and patient level each, in first-seen order."""

    trace: str  # TRN02: comes back in the 277's TRN02
    provider: Provider
    subscriber: Person
    patient: Person | None = None  # a dependent; None when the subscriber is the patient
    patient_control_number: str = ""  # REF*EJ: the 837's CLM01
    payer_claim_number: str = ""  # REF*1K
    bill_type: str = ""  # REF*BLT (institutional claims)
    charge: Decimal | None = None  # AMT*T3: total claim charge
    service_start: datetime.date | None = None  # DTP*472
    service_end: datetime.date | None = None
    lines: tuple[LineInquiry, ...] = ()


GUIDE_276 = "005010X212"
_SEPARATORS = "*:^~"  # the default Delimiters the 276 is written with


def build_276(payer: Payer, receiver: Receiver, claims: Iterable[ClaimInquiry], *, control_number: int = 1,
              reference: str | None = None, sender_id: str | None = None, receiver_id: str | None = None,
              usage: str = "P", now: datetime.datetime | None = None) -> bytes:
    """A 276 claim status request (005010X212) in its own interchange. `reference` is BHT03
    (default the control number); the ISA and GS name the receiver's id as sender and the
    payer's as receiver unless `sender_id` / `receiver_id` say otherwise. Raises ValueError for
    a value the guide requires that is empty, or that holds an X12 delimiter."""
    claims = list(claims)
    if not claims:
        raise ValueError("a 276 asks about at least one claim")
    now = now or datetime.datetime.now()
    body = [_segment("BHT", "0010", "13", reference or str(control_number), now.strftime("%Y%m%d"),
                     now.strftime("%H%M"))]
    hl = _Hierarchy(body)
    payer_hl = hl.add("20", None, True, _name("PR", _required(payer.name, "payer name"), "", payer.id_qualifier,
                                              _required(payer.id, "payer id")))
    receiver_hl = hl.add("21", payer_hl, True, _name("41", receiver.name, receiver.first_name, "46",
                                                      _required(receiver.id, "receiver id")))
    for provider, by_provider in _grouped(claims, lambda c: c.provider):
        provider_hl = hl.add("19", receiver_hl, True,
                             _name("1P", provider.name, provider.first_name, "XX", _required(provider.npi, "NPI")))
        for subscriber, by_subscriber in _grouped(by_provider, lambda c: c.subscriber):
            own = [c for c in by_subscriber if c.patient is None]
            dependents = _grouped([c for c in by_subscriber if c.patient is not None], lambda c: c.patient)
            subscriber_hl = hl.add("22", provider_hl, bool(dependents), *_demographics(subscriber, False),
                                   _name("IL", _required(subscriber.last_name, "subscriber last name"),
                                         subscriber.first_name, "MI", _required(subscriber.member_id, "member id")))
            body += [s for claim in own for s in _claim_segments(claim)]
            for patient, by_patient in dependents:
                hl.add("23", subscriber_hl, None, *_demographics(patient, True),
                       _name("QC", _required(patient.last_name, "patient last name"), patient.first_name))
                body += [s for claim in by_patient for s in _claim_segments(claim)]
    txn = Transaction.build("276", "0001", body, GUIDE_276)
    sender, to = sender_id or receiver.id, receiver_id or payer.id
    if any(c in sender + to for c in _SEPARATORS):
        raise ValueError("the interchange sender or receiver id holds an X12 delimiter")
    group = Group.build("HR", sender, to, str(control_number), GUIDE_276, [txn], now.strftime("%Y%m%d"),
                        now.strftime("%H%M"))
    interchange = Interchange.build(sender, to, control_number, [group], date=now.strftime("%y%m%d"),
                                    time=now.strftime("%H%M"), usage=usage)
    return write(Document.build([interchange]))


class _Hierarchy:
    """Appends HL segments (and what follows each) to a body, numbering them."""

    def __init__(self, body: list[Segment]):
        self.body = body
        self.count = 0

    def add(self, level: str, parent: int | None, children: bool | None, *segments: Segment) -> int:
        """An HL of `level` under HL `parent`; HL04 is 1 or 0 by `children` (None: not sent)."""
        self.count += 1
        hl04 = () if children is None else ("1" if children else "0",)
        self.body += [_segment("HL", str(self.count), "" if parent is None else str(parent), level, *hl04),
                      *segments]
        return self.count


def _grouped(items: list, key) -> list[tuple]:
    """(key, items with that key) in first-seen order."""
    groups: dict = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.items())


def _required(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"the 276 needs the {what}")
    return value


def _name(entity: str, last: str, first: str = "", qualifier: str = "", id: str = "") -> Segment:
    """An NM1: a person (NM102 1) when there is a first name or the entity is one, else an organization."""
    person = "1" if first or entity in ("IL", "QC") else "2"
    return _segment("NM1", entity, person, last, first, "", "", "", qualifier, id)


def _demographics(person: Person, required: bool) -> list[Segment]:
    """The DMG of a subscriber (when a birth date is known) or a dependent (always)."""
    if person.birth_date is None:
        if required:
            raise ValueError("the 276 needs the dependent patient's birth date")
        return []
    return [_segment("DMG", "D8", _d8(person.birth_date), person.gender)]


def _claim_segments(claim: ClaimInquiry) -> list[Segment]:
    segments = [_segment("TRN", "1", _required(claim.trace, "claim trace number"))]
    segments += [_segment("REF", qualifier, value) for qualifier, value in (
        ("1K", claim.payer_claim_number), ("BLT", claim.bill_type), ("EJ", claim.patient_control_number)) if value]
    if claim.charge is not None:
        segments.append(_segment("AMT", "T3", _money(claim.charge)))
    if claim.service_start is not None:
        segments.append(_service_dates(claim.service_start, claim.service_end))
    for line in claim.lines:
        procedure = (line.qualifier, _required(line.procedure, "procedure code"), *line.modifiers)
        segments.append(_segment("SVC", procedure, _money(line.charge), "", line.revenue_code, "", "",
                                 "" if line.units is None else _money(line.units)))
        if line.control_number:
            segments.append(_segment("REF", "FJ", line.control_number))
        segments.append(_service_dates(line.service_start, line.service_end))
    return segments


def _service_dates(start: datetime.date, end: datetime.date | None) -> Segment:
    if end is None or end == start:
        return _segment("DTP", "472", "D8", _d8(start))
    return _segment("DTP", "472", "RD8", f"{_d8(start)}-{_d8(end)}")


def _d8(day: datetime.date) -> str:
    return day.strftime("%Y%m%d")


def _money(value: Decimal) -> str:
    return format(Decimal(value), "f")


def _segment(segment_id: str, *elements: str | tuple) -> Segment:
    """`Segment.build`, refusing a value that holds one of the separators (* : ^ ~) the 276 is
    written with: it would break the segment. The message names the element, never the value."""
    for j, element in enumerate(elements, 1):
        if any(c in part for part in (element if isinstance(element, tuple) else (element,)) for c in _SEPARATORS):
            raise ValueError(f"{segment_id}{j:02d} holds an X12 delimiter")
    return Segment.build(segment_id, *elements)


# --- the `edi status` command -------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `edi status`."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="277, 277CA (or 276) files")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--strict", action="store_true", help="reject files that need repairs")


def run(args: argparse.Namespace) -> int:
    """`edi status FILE...`: per file and in total, how many claims are in each state and for
    how much, and every rejection with its codes and the claim's id (TRN02). Exit status 1 when
    a file cannot be read."""
    failed = 0
    summaries = []
    for path in args.files:
        try:
            entries = read_file(path, strict=args.strict)
        except (OSError, EdiError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            failed += 1
            continue
        summaries.append(summarize(path, entries))
    if len(summaries) > 1:
        summaries.append(_total(summaries))
    if args.json:
        json.dump(summaries, sys.stdout, indent=2)
        print()
    elif summaries:
        print("\n".join(render(summary) for summary in summaries))
    return 1 if failed else 0


def summarize(path: str, entries: Sequence[ClaimStatus]) -> dict:
    """A JSON-able summary of one file: claim counts and charges by state, and the rejections
    (of claims, their lines, and whole receivers or providers)."""
    claims = [e for e in entries if e.level == "claim"]
    counts = Counter(c.state for c in claims)
    charges = {state: sum((c.charge for c in claims if c.state == state and c.charge is not None), Decimal(0))
               for state in STATES}
    rejections = []
    for entry in entries:
        if entry.state == "rejected":
            rejections.append(_rejection(entry, entry.level, entry.codes, entry.charge))
        rejections += [_rejection(entry, "line", line.codes, line.charge, line.procedure)
                       for line in entry.lines if line.state == "rejected"]
    return {
        "file": path,
        "claims": len(claims),
        "states": {state: {"claims": counts[state], "charges": str(charges[state])} for state in STATES},
        "rejections": rejections,
        "findings": [f.to_dict() for e in entries for f in e.findings],
    }


def _rejection(entry: ClaimStatus, level: str, codes: list[StatusCode], charge: Decimal | None,
               procedure: Procedure | None = None) -> dict:
    rejection = {
        "level": level,
        "trace": entry.trace,
        "codes": [str(c) for c in codes],
        "meanings": [c.meaning for c in codes],
        "charge": None if charge is None else str(charge),
    }
    if procedure is not None:
        rejection["procedure"] = ":".join([procedure.qualifier, procedure.code, *procedure.modifiers])
    if level in ("receiver", "provider"):
        rejection["claims"] = None if entry.rejected_count is None else str(entry.rejected_count)
    return rejection


def _total(summaries: list[dict]) -> dict:
    """The files' claim counts and charges added up (their rejections stay with each file)."""
    return {
        "file": f"total of {len(summaries)} files",
        "claims": sum(s["claims"] for s in summaries),
        "states": {state: {"claims": sum(s["states"][state]["claims"] for s in summaries),
                           "charges": str(sum(Decimal(s["states"][state]["charges"]) for s in summaries))}
                   for state in STATES},
        "rejections": [],
        "findings": [],
    }


def render(summary: dict) -> str:
    """The text form of one summary."""
    states = summary["states"]
    lines = [f"{summary['file']}: {summary['claims']} claims", f"  {'state':<10} {'claims':>7} {'charges':>14}"]
    lines += [f"  {state:<10} {states[state]['claims']:>7} {Decimal(states[state]['charges']):>14,.2f}"
              for state in STATES if states[state]["claims"] or state in STATES[:4]]
    if summary["rejections"]:
        lines.append("  rejections:")
    for r in summary["rejections"]:
        where = r["trace"] + (f" {r['procedure']}" if "procedure" in r else "")
        charge = "" if r["charge"] is None else f"{Decimal(r['charge']):,.2f}"
        meanings = "; ".join(dict.fromkeys(m for m in r["meanings"] if m))
        claims = f"; {r['claims']} claims" if r.get("claims") else ""
        lines.append(f"    {r['level']:<8} {where:<24} {charge:>12}  {', '.join(r['codes'])}  {meanings}{claims}")
    if summary["findings"]:
        lines.append(f"  findings: {len(summary['findings'])} values could not be read (see --json)")
    return "\n".join(lines)
