"""271 eligibility responses read into one `EligibilitySummary` per subscriber or dependent level.

    for summary in edi.eligibility.read_file("reply.271"):
        print(summary.level, summary.active, summary.plan, summary.plan_period)
        for deductible in summary.deductibles:
            print(deductible.service_type, deductible.network, deductible.total, deductible.remaining)
        for rejection in summary.rejections:
            print(rejection.reason_label, "->", rejection.action_label)

A summary keeps every EB row of its patient as a `Benefit` (category, service types, coverage
level, network, time period, amount, percent, quantity, authorization flag, dates, messages,
related entities, rejections), so nothing is lost; the front-desk views (DOMAIN.md 5: active,
copays, coinsurance, deductibles and out-of-pocket totals with what remains, prior authorization,
non-covered services, limitations, other payers) are computed from them. Money and quantities are
`Decimal` as sent; EB08 percents stay fractions as sent (0.2 is 20%); dates are `datetime.date`,
RD8 ranges (first, last) tuples. Values that cannot be read become None and a finding (BAD_AMOUNT,
BAD_DATE) on the response. Reprs and findings never show names, ids or dates.

A 271 whose GS08 names no guide we have (005010X279 without A1, 004010X092) is read with the
005010X279A1 loops (004010X092A1 for 4010): the 271 loops are the same in every version. A
response rejected above the patients (the payer cannot answer, the provider is unknown) may
have no patient level at all: `read_responses` keeps those rejections on the response.
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import Finding, FindingCode, Location
from ..model import Document, Loop, Segment, Transaction
from . import codes
from ..values import ValueReader

#: Message text that hints at a prior authorization, precertification or referral rule.
_AUTH_HINT = re.compile(r"AUTH|PRE-?CERT|REFERRAL", re.IGNORECASE)

Dates = dict  # DTP01 qualifier -> datetime.date, or (first, last) for an RD8 range


@dataclass(eq=False, slots=True)
class Entity:
    """A named party: the payer (2100A), the provider asked for (2100B), or an entity a benefit
    names (2120C/D: primary care provider, other payer, whom to contact)."""

    role: str  # NM101: PR payer, 1P provider, P3 primary care provider, PRP primary payer...
    name: str  # organization or last name
    first_name: str = ""
    middle_name: str = ""
    id_qualifier: str = ""  # NM108: PI payer id, XX NPI, MI member id...
    id: str = ""  # NM109
    contacts: list[tuple[str, str]] = field(default_factory=list)  # PER (TE phone, UR web, FX fax, EM email, number)

    @property
    def full_name(self) -> str:
        """"LAST, FIRST MIDDLE" for a person, the name for an organization."""
        return _full_name(self.name, self.first_name, self.middle_name)

    def to_dict(self) -> dict:
        return _json(dataclasses.asdict(self))

    def __repr__(self) -> str:  # no names or ids: an entity may be the insured
        return f"<Entity {self.role}>"


@dataclass(eq=False, slots=True)
class Member:
    """A subscriber or dependent as the payer knows them (2100C/D)."""

    last_name: str
    first_name: str
    middle_name: str
    suffix: str
    id_qualifier: str  # NM108: MI member id (empty for a dependent)
    member_id: str
    date_of_birth: datetime.date | None  # DMG02
    gender: str  # DMG03
    relationship: str  # INS02: 18 self, 01 spouse, 19 child...
    address: list[str]  # N301, N302, N401 city, N402 state, N403 postal code (those sent)
    references: dict[str, str]  # REF01 -> REF02: 18 plan number, 1L group number, 6P group, IG policy...
    dates: Dates  # DTP: 346 plan begin, 347 plan end, 291 plan, 356/357 eligibility begin/end, 307 eligibility...

    @property
    def name(self) -> str:
        """"LAST, FIRST MIDDLE SUFFIX", for display."""
        return _full_name(self.last_name, self.first_name, self.middle_name, self.suffix)

    def to_dict(self) -> dict:
        return _json(dataclasses.asdict(self))

    def __repr__(self) -> str:  # no names, ids or dates: patient data
        return "<Member>"


@dataclass(eq=False, slots=True)
class Rejection:
    """An AAA segment: the request (or part of it) could not be answered, why, and what to do."""

    loop: str  # where it was: 2000A/2100A (source), 2100B (receiver), 2100C/D (patient), 2110C/D (a benefit)
    valid: bool  # AAA01: True when the request was valid but still could not be answered
    reason: str  # AAA03
    action: str  # AAA04
    segment: Segment = field(repr=False)

    reason_label = property(lambda self: codes.label(codes.REJECT_REASON, self.reason))
    action_label = property(lambda self: codes.label(codes.FOLLOW_UP, self.action))

    @property
    def location(self) -> Location:
        return self.segment.location

    def to_dict(self) -> dict:
        return {"loop": self.loop, "valid": self.valid, "reason": self.reason, "reason_label": self.reason_label,
                "action": self.action, "action_label": self.action_label}


@dataclass(eq=False, slots=True)
class Benefit:
    """One EB row (a 2110C/D loop) with what its loop adds: HSD delivery limits, REF, DTP, AAA,
    MSG, III additional information and the 2120 entities inside LS/LE."""

    category: str  # EB01 (codes.BENEFIT_CATEGORY): 1 active, 6 inactive, B copay, C deductible...
    coverage_level: str  # EB02: IND, FAM, ...
    service_types: list[str]  # EB03 repetitions (EQ01 codes); empty when the payer sent none
    insurance_type: str  # EB04
    plan: str  # EB05 plan coverage description
    time_period: str  # EB06 (codes.TIME_PERIOD): 23 calendar year, 27 visit, 29 remaining...
    amount: Decimal | None  # EB07, money
    percent: Decimal | None  # EB08, a fraction as sent: 0.2 means 20%
    quantity_qualifier: str  # EB09 (codes.QUANTITY)
    quantity: Decimal | None  # EB10
    authorization: str  # EB11: Y required, N not required, U unknown
    network: str  # EB12: Y in network, N out of network, W both, U unknown
    procedure: list[str]  # EB13 components: qualifier, code, modifiers
    diagnosis_pointers: list[str]  # EB14 components
    delivery: list[list[str]]  # each HSD's elements (quantity, unit, period, ...)
    references: dict[str, str]  # REF01 -> REF02
    dates: Dates  # DTP01 -> date or (first, last)
    messages: list[str]  # MSG01
    additional: list[list[str]]  # each 2115 III's elements
    entities: list[Entity]  # 2120 NM1 loops
    rejections: list[Rejection]  # AAA
    segment: Segment = field(repr=False)

    category_label = property(lambda self: codes.label(codes.BENEFIT_CATEGORY, self.category))

    @property
    def location(self) -> Location:
        return self.segment.location

    def to_dict(self) -> dict:
        """The row's JSON form, without its empty elements."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("segment", "entities", "rejections")}
        out["entities"] = _dicts(self.entities)
        out["rejections"] = _dicts(self.rejections)
        return {"category_label": self.category_label, **_compact(out)}

    def __repr__(self) -> str:
        return f"<Benefit {self.category} {'^'.join(self.service_types)}>"


@dataclass(eq=False, slots=True)
class CostShare:
    """A copay (`amount`) or coinsurance (`percent`, a fraction) for one service type,
    coverage level and network."""

    service_type: str  # "" when the payer named none
    coverage_level: str
    network: str
    insurance_type: str
    period: str  # EB06: 27 per visit, 23 per calendar year...
    amount: Decimal | None
    percent: Decimal | None
    benefit: Benefit = field(repr=False)

    def to_dict(self) -> dict:
        return _json({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "benefit"})


@dataclass(eq=False, slots=True)
class Accumulator:
    """A deductible or out-of-pocket maximum for one service type, coverage level, network and
    insurance type: the total for its period, what remains (EB06 29, 33) and what was met so
    far (EB06 24), from as many EB rows as the payer sent."""

    service_type: str
    coverage_level: str
    network: str
    insurance_type: str
    period: str = ""  # EB06 of the total: 23 calendar year, 22 service year, 32 lifetime...
    total: Decimal | None = None
    remaining: Decimal | None = None
    met: Decimal | None = None
    benefits: list[Benefit] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return _json({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "benefits"})


@dataclass(eq=False, slots=True)
class AuthorizationFlag:
    """Whether a service type needs prior authorization: from EB11 (True, False, or None for
    U), or None with source "message" when a MSG of the benefit mentions one."""

    service_type: str
    network: str
    required: bool | None
    source: str  # "EB11" or "message"
    benefit: Benefit = field(repr=False)

    def to_dict(self) -> dict:
        return {"service_type": self.service_type, "network": self.network, "required": self.required,
                "source": self.source}


@dataclass(eq=False, slots=True)
class EligibilitySummary:
    """What a 271 says about one patient: a subscriber level (2000C) or a dependent level
    (2000D, with its subscriber)."""

    level: str  # "subscriber" or "dependent"
    subscriber: Member
    dependent: Member | None
    payer: Entity | None  # 2100A
    receiver: Entity | None  # 2100B
    traces: list[tuple[str, str, str]]  # TRN01 (2: ours echoed, 1: the payer's), TRN02 number, TRN03 assigner
    benefits: list[Benefit]
    rejections: list[Rejection]  # every AAA that concerns the patient, from the source level down to the benefits
    transaction: Transaction = field(repr=False)

    @property
    def patient(self) -> Member:
        return self.dependent if self.dependent is not None else self.subscriber

    # --- status and plan -------------------------------------------------------------------------
    @property
    def rejected(self) -> bool:
        """True when an AAA above the benefits (source, receiver, subscriber or dependent level)
        says the request could not be answered."""
        return any(r.loop[:4] != "2110" for r in self.rejections)

    @property
    def active(self) -> bool | None:
        """True when some coverage is active (EB01 1-5) with no inactive row (6-8) for the same
        service and insurance type; else False when some is inactive with no active row; None
        (could not tell) when the request was rejected above the benefits, when no row gives a
        status (EB01 V, or no EB at all), or when the rows contradict each other."""
        if self.rejected:
            return None
        states: dict[tuple, set] = {}
        for benefit in self.benefits:
            if benefit.category in codes.ACTIVE or benefit.category in codes.INACTIVE:
                for service_type in benefit.service_types or [""]:
                    states.setdefault((service_type, benefit.insurance_type), set()).add(benefit.category in codes.ACTIVE)
        if any(found == {True} for found in states.values()):
            return True
        if any(found == {False} for found in states.values()):
            return False
        return None

    def _status_rows(self) -> list[Benefit]:
        """The coverage status rows, active ones first."""
        return [b for b in self.benefits if b.category in codes.ACTIVE] + \
               [b for b in self.benefits if b.category in codes.INACTIVE]

    @property
    def status_benefit(self) -> Benefit | None:
        """The first active row, else the first inactive one: its dates complete the patient's."""
        return next(iter(self._status_rows()), None)

    @property
    def plan(self) -> str:
        """EB05 of the first status row that names one (active rows first)."""
        return next((b.plan for b in self._status_rows() if b.plan), "")

    @property
    def dates(self) -> Dates:
        """The patient's dates: the status row's, overridden by the subscriber's, overridden by
        the dependent's (the more specific level wins)."""
        status = self.status_benefit
        merged = dict(status.dates) if status is not None else {}
        merged.update(self.subscriber.dates)
        if self.dependent is not None:
            merged.update(self.dependent.dates)
        return merged

    @property
    def plan_period(self) -> tuple[datetime.date | None, datetime.date | None]:
        """(begin, end) of the plan: DTP 346/347, else 291 (a range or its first day)."""
        return _period(self.dates, "346", "347", "291")

    @property
    def eligibility_period(self) -> tuple[datetime.date | None, datetime.date | None]:
        """(begin, end) of eligibility: DTP 356/357, else 307."""
        return _period(self.dates, "356", "357", "307")

    # --- cost sharing ----------------------------------------------------------------------------
    @property
    def copays(self) -> list[CostShare]:
        return self._cost_shares("B")

    @property
    def coinsurance(self) -> list[CostShare]:
        return self._cost_shares("A")

    @property
    def deductibles(self) -> list[Accumulator]:
        return self._accumulators("C")

    @property
    def out_of_pocket(self) -> list[Accumulator]:
        return self._accumulators("G")

    def _cost_shares(self, category: str) -> list[CostShare]:
        return [CostShare(service_type, b.coverage_level, b.network, b.insurance_type, b.time_period, b.amount,
                          b.percent, b)
                for b in self.benefits_of(category) for service_type in b.service_types or [""]]

    def _accumulators(self, category: str) -> list[Accumulator]:
        """One accumulator per service type, coverage level, network and insurance type, filled
        from the rows in order; a row whose slot (total, remaining, met) is already taken starts
        another one (a second period, or another admission)."""
        found: list[Accumulator] = []
        current: dict[tuple, Accumulator] = {}
        for b in self.benefits_of(category):
            slot = "remaining" if b.time_period in codes.REMAINING else "met" if b.time_period in codes.MET else "total"
            for service_type in b.service_types or [""]:
                key = (service_type, b.coverage_level, b.network, b.insurance_type)
                accumulator = current.get(key)
                if accumulator is None or getattr(accumulator, slot) is not None:
                    accumulator = current[key] = Accumulator(*key)
                    found.append(accumulator)
                if b.amount is not None:
                    setattr(accumulator, slot, b.amount)
                    if slot == "total":
                        accumulator.period = b.time_period
                accumulator.benefits.append(b)
        return found

    # --- rules and other benefits ----------------------------------------------------------------
    @property
    def authorizations(self) -> list[AuthorizationFlag]:
        """Prior authorization per service type: EB11, else a hint in the benefit's messages."""
        flags = []
        for b in self.benefits:
            if b.authorization:
                required, source = {"Y": True, "N": False}.get(b.authorization), "EB11"
            elif any(_AUTH_HINT.search(m) for m in b.messages):
                required, source = None, "message"
            else:
                continue
            flags += [AuthorizationFlag(s, b.network, required, source, b) for s in b.service_types or [""]]
        return flags

    non_covered = property(lambda self: self.benefits_of("I"), doc="EB01 I rows: services not covered")
    limitations = property(lambda self: self.benefits_of("F"), doc="EB01 F rows: visit, day or dollar limits")
    other_payers = property(lambda self: self.benefits_of("R"), doc="EB01 R rows, with the other payer in .entities")
    primary_care = property(lambda self: self.benefits_of("L"), doc="EB01 L rows, with the provider in .entities")
    contacts = property(lambda self: self.benefits_of("U"), doc="EB01 U rows: whom to contact, in .entities")

    def benefits_of(self, category: str) -> list[Benefit]:
        """The rows with this EB01 code."""
        return [b for b in self.benefits if b.category == category]

    def to_dict(self) -> dict:
        """A JSON-able form: the patient, the derived views, and every benefit row."""
        return {
            "level": self.level,
            "subscriber": self.subscriber.to_dict(),
            "dependent": self.dependent.to_dict() if self.dependent is not None else None,
            "payer": self.payer.to_dict() if self.payer is not None else None,
            "receiver": self.receiver.to_dict() if self.receiver is not None else None,
            "traces": [list(t) for t in self.traces],
            "active": self.active,
            "plan": self.plan,
            "plan_period": _json(self.plan_period),
            "eligibility_period": _json(self.eligibility_period),
            "copays": _dicts(self.copays),
            "coinsurance": _dicts(self.coinsurance),
            "deductibles": _dicts(self.deductibles),
            "out_of_pocket": _dicts(self.out_of_pocket),
            "authorizations": _dicts(self.authorizations),
            "non_covered": _dicts(self.non_covered),
            "limitations": _dicts(self.limitations),
            "other_payers": _dicts(self.other_payers),
            "rejections": _dicts(self.rejections),
            "benefits": _dicts(self.benefits),
        }

    def __repr__(self) -> str:  # no names or ids: patient data
        return f"<EligibilitySummary {self.level} active={self.active} with {len(self.benefits)} benefits>"


@dataclass(eq=False, slots=True)
class EligibilityResponse:
    """One 271 transaction: its patients' summaries, the rejections above the patient levels
    (a response may have no patient at all when the payer or provider level was rejected), and
    the findings about values that could not be read."""

    transaction: Transaction = field(repr=False)
    payer: Entity | None  # the first 2100A
    receiver: Entity | None  # the first 2100B
    rejections: list[Rejection]
    summaries: list[EligibilitySummary]
    findings: list[Finding]

    def to_dict(self) -> dict:
        return {
            "control_number": self.transaction.control_number,
            "payer": self.payer.to_dict() if self.payer is not None else None,
            "receiver": self.receiver.to_dict() if self.receiver is not None else None,
            "rejections": _dicts(self.rejections),
            "summaries": _dicts(self.summaries),
            "findings": _dicts(self.findings),
        }


# --- reading ---------------------------------------------------------------------------------------

def read(data: bytes, *, strict: bool = False) -> list[EligibilitySummary]:
    """The summaries of every 271 in X12 bytes, one per subscriber or dependent level."""
    from .. import read as read_document

    return summaries(read_document(data, strict=strict))


def read_file(path: str | os.PathLike, *, strict: bool = False) -> list[EligibilitySummary]:
    """The summaries of every 271 in a file, one per subscriber or dependent level."""
    from .. import read_file as read_document

    return summaries(read_document(path, strict=strict))


def summaries(doc: Document) -> list[EligibilitySummary]:
    """The summaries of every 271 of a document read from bytes."""
    return [s for response in read_responses(doc) for s in response.summaries]


def read_responses(doc: Document) -> list[EligibilityResponse]:
    """One `EligibilityResponse` per 271 transaction of a document read from bytes."""
    return [_Reader(txn).response() for txn in doc.transactions if txn.set_id == "271"]


def _loop_root(txn: Transaction) -> Loop:
    """The loop tree of a 271, with the fallback guide when the transaction names none we have."""
    if txn.index is None:
        raise ValueError("271s are read from bytes: read a built document with edi.read(edi.write(doc))")
    return txn.fallback_root()


class _Reader(ValueReader):
    """Builds the summaries of one 271 transaction. The source, receiver and subscriber levels
    are read once each and shared by the summaries below them."""

    def __init__(self, txn: Transaction):
        self.txn = txn
        self.findings: list[Finding] = []
        self._levels: dict[int, tuple] = {}  # loop instance -> (entity or member, rejections)

    def response(self) -> EligibilityResponse:
        root = _loop_root(self.txn)
        sources, receivers = root.findall("2000A"), root.findall("2000B")
        rejections = [r for loop in sources + receivers for r in self.level(loop)[1]]
        patients = [self.summary(loop) for loop in root.walk() if loop.id in ("2000C", "2000D")]
        return EligibilityResponse(self.txn, self.level(sources[0])[0] if sources else None,
                                   self.level(receivers[0])[0] if receivers else None, rejections, patients,
                                   self.findings)

    def summary(self, hl: Loop) -> EligibilitySummary:
        levels = {}
        loop = hl
        while loop is not None:
            if loop.id[:4] == "2000":
                levels.setdefault(loop.id, loop)  # the nearest of each (a sloppy file may nest oddly)
            loop = loop.parent
        rejections = [r for level_id in ("2000A", "2000B", "2000C", "2000D") if level_id in levels
                      for r in self.level(levels[level_id])[1]]
        subscriber = self.level(levels["2000C"])[0] if "2000C" in levels else _empty_member()
        dependent = self.level(hl)[0] if hl.id == "2000D" else None
        name_loop = _name_loop(hl)
        benefits = [self.benefit(loop) for loop in name_loop.children if loop.id[:4] == "2110"] if name_loop else []
        rejections += [r for b in benefits for r in b.rejections]
        return EligibilitySummary(
            "dependent" if hl.id == "2000D" else "subscriber", subscriber, dependent,
            self.level(levels["2000A"])[0] if "2000A" in levels else None,
            self.level(levels["2000B"])[0] if "2000B" in levels else None,
            [(s[1], s[2], s[3]) for s in hl.segments if s.id == "TRN"], benefits, rejections, self.txn,
        )

    def level(self, hl: Loop) -> tuple:
        """(the party of an HL level, its AAA rejections): an Entity for the source and receiver,
        a Member for the subscriber and dependent levels."""
        if hl.instance not in self._levels:
            name_loop = _name_loop(hl)
            segments = hl.segments + (name_loop.segments if name_loop is not None else [])
            party = self.member(segments) if hl.id in ("2000C", "2000D") else self.entity(segments)
            self._levels[hl.instance] = (party, self.rejections(segments))
        return self._levels[hl.instance]

    @staticmethod
    def entity(segments: list[Segment]) -> Entity | None:
        nm1 = next((s for s in segments if s.id == "NM1"), None)
        if nm1 is None:
            return None
        contacts = [(per[j], per[j + 1]) for per in segments if per.id == "PER" for j in (3, 5, 7) if per[j + 1]]
        return Entity(nm1[1], nm1[3], nm1[4], nm1[5], nm1[8], nm1[9], contacts)

    def member(self, segments: list[Segment]) -> Member:
        nm1, dmg, ins = (_first(segments, sid) for sid in ("NM1", "DMG", "INS"))
        address = [s[j] for s in segments if s.id in ("N3", "N4") for j in (1, 2, 3) if s[j]]
        return Member(nm1[3], nm1[4], nm1[5], nm1[7], nm1[8], nm1[9], self.date(dmg, 2), dmg[3], ins[2], address,
                      _references(segments), self.dates(segments))

    def rejections(self, segments: list[Segment]) -> list[Rejection]:
        return [Rejection(s.loop.id if s.loop is not None else "", s[1] == "Y", s[3], s[4], s)
                for s in segments if s.id == "AAA"]

    def benefit(self, loop: Loop) -> Benefit:
        eb = loop.segments[0]
        segments = loop.segments
        return Benefit(
            eb[1], eb[2], [t for t in eb.repetitions(3) if t], eb[4], eb[5], eb[6], self.number(eb, 7, money=True),
            self.number(eb, 8), eb[9], self.number(eb, 10), eb[11], eb[12], _components(eb, 13), _components(eb, 14),
            delivery=[s.elements for s in segments if s.id == "HSD"], references=_references(segments),
            dates=self.dates(segments), messages=[s[1] for s in segments if s.id == "MSG"],
            additional=[c.segments[0].elements for c in loop.children if c.id[:4] == "2115"],
            entities=[self.entity(c.segments) for c in loop.children if c.id[:4] == "2120"],
            rejections=self.rejections(segments), segment=eb,
        )

    # --- values ----------------------------------------------------------------------------------
    def dates(self, segments: list[Segment]) -> Dates:
        """DTP01 -> a date (D8) or a (first, last) range (RD8); a repeated qualifier keeps the
        last, unreadable ones are findings."""
        found: Dates = {}
        for dtp in (s for s in segments if s.id == "DTP"):
            if dtp[2] == "RD8":
                first, _, last = dtp[3].partition("-")
                value = (self.date(dtp, 3, first), self.date(dtp, 3, last))
                value = value if None not in value else None
            elif dtp[2] == "D8":
                value = self.date(dtp, 3)
            else:
                self._finding(FindingCode.BAD_DATE, dtp, 2)
                value = None
            if value is not None:
                found[dtp[1]] = value
        return found


def _name_loop(hl: Loop) -> Loop | None:
    """The 2100 loop of an HL level (source, receiver, subscriber or dependent name)."""
    return next((child for child in hl.children if child.id[:4] == "2100"), None)


def _full_name(last: str, *given: str) -> str:
    given_names = " ".join(p for p in given if p)
    return f"{last}, {given_names}" if given_names else last


def _first(segments: list[Segment], segment_id: str) -> Segment:
    """The first segment with this id, or an empty one (all elements "") when there is none."""
    return next((s for s in segments if s.id == segment_id), None) or Segment.build(segment_id)


def _empty_member() -> Member:
    return Member("", "", "", "", "", "", None, "", "", [], {}, {})


def _references(segments: list[Segment]) -> dict[str, str]:
    return {s[1]: s[2] for s in segments if s.id == "REF"}


def _components(segment: Segment, j: int) -> list[str]:
    return segment.components(j) if segment[j] else []


def _period(dates: Dates, begin: str, end: str, either: str) -> tuple[datetime.date | None, datetime.date | None]:
    """(begin, end) from a pair of qualifiers, else from a qualifier that holds a range or a
    first day."""
    if begin in dates or end in dates:
        return _day(dates.get(begin), 0), _day(dates.get(end), 1)
    value = dates.get(either)
    if isinstance(value, tuple):
        return value
    return value, None


def _day(value, side: int) -> datetime.date | None:
    """A single date, or one end of a range sent where a single date belongs."""
    return value[side] if isinstance(value, tuple) else value


def _dicts(items: list) -> list[dict]:
    return [item.to_dict() for item in items]


def _json(value):
    """Decimals as strings, dates as ISO text, tuples as lists, recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def _compact(values: dict) -> dict:
    """The JSON form of a record without its empty fields (keeps False and zero)."""
    return {k: _json(v) for k, v in values.items() if v not in ("", None, [], {})}
