"""270 eligibility inquiries (005010X279A1) built from plain Python values.

    inquiry = Inquiry(Person("DOE", "JANE", member_id="W123456789", date_of_birth=date(1980, 2, 3)),
                      service_types=("30", "98"), date_of_service=date(2026, 5, 4))
    data = build_270([inquiry], payer=Payer("ACME HEALTH", "12345"),
                     provider=Provider("1234567893", "SMITH CLINIC"), sender="CLINIC", receiver="ACME",
                     trace_assigner="1123456789", control_number=7)

Every value is checked before anything is built; a bad one raises ValueError naming the field
(`inquiries[2].subscriber.date_of_birth: ...`), never quoting it, since it may be patient data.
The hierarchy is the guide's: information source (HL 20), receiver (21), subscriber (22) and,
when the patient is a dependent, dependent (23). The patient's level carries the TRN trace
number that the 271 echoes back, the date of service (DTP*291) and one EQ per service type.
"""
from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import Sequence

from .. import schema
from ..schema import SegmentNode
from ..dialect import Delimiters
from ..model import Document, Group, Interchange, Segment, Transaction
from ..writer import write

GUIDE = "005010X279A1"
#: Characters a value may not hold: the separators this builder writes with.
_DELIMITERS = Delimiters()
_FORBIDDEN = {d.decode() for d in (_DELIMITERS.element, _DELIMITERS.component, _DELIMITERS.repetition,
                                   _DELIMITERS.segment)}


@dataclass(frozen=True, slots=True)
class Payer:
    """The information source (2100A): the payer asked."""

    name: str
    id: str
    id_qualifier: str = "PI"  # NM108: PI payer id, XV CMS plan id, FI tax id, NI NAIC code, 24 EIN, 46 ETIN, XX NPI


@dataclass(frozen=True, slots=True)
class Provider:
    """The information receiver (2100B): the provider asking, identified by NPI. A person when
    `first_name` is given (`name` is then the last name), else an organization."""

    npi: str
    name: str
    first_name: str = ""
    entity: str = "1P"  # NM101: 1P provider, FA facility, 80 hospital, GP gateway


@dataclass(frozen=True, slots=True, repr=False)
class Person:
    """A subscriber or dependent. A subscriber needs a member id, or a last name and a date of
    birth; a dependent needs a last name and has no member id of its own in 5010 (a dependent
    with their own member id is asked about as a subscriber)."""

    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    member_id: str = ""
    date_of_birth: datetime.date | None = None
    gender: str = ""  # "F", "M" or "" (DMG03)

    def __repr__(self) -> str:  # no names, ids or dates: patient data
        return "<Person>"


@dataclass(frozen=True, slots=True, repr=False)
class Inquiry:
    """One patient's question: the subscriber, the dependent when the patient is one, the
    service types asked about (EQ01, "30" for the plan as a whole), the date of service (a
    date, or a (first, last) range; None lets the payer use the day it answers) and the trace
    number that matches the 271 to this inquiry (by default "<control number>-<n>")."""

    subscriber: Person
    dependent: Person | None = None
    service_types: tuple[str, ...] = ("30",)
    date_of_service: datetime.date | tuple[datetime.date, datetime.date] | None = None
    trace_number: str = ""

    def __repr__(self) -> str:
        return f"<Inquiry for a {'dependent' if self.dependent else 'subscriber'}, {len(self.service_types)} service types>"


def build_270(inquiries: Inquiry | Sequence[Inquiry], *, payer: Payer, provider: Provider, sender: str,
              receiver: str, trace_assigner: str, control_number: int = 1, now: datetime.datetime | None = None,
              usage: str = "P", sender_qualifier: str = "ZZ", receiver_qualifier: str = "ZZ",
              one_transaction: bool = False) -> bytes:
    """A 270 interchange asking `payer` about each inquiry, on behalf of `provider`.

    `sender`/`receiver` go to ISA06/ISA08 and GS02/GS03; `trace_assigner` is TRN03, the
    10-character id of whoever numbers the traces (usually "1" and the provider's EIN);
    `control_number` is ISA13 and GS06; `now` (default: the clock) dates the envelopes and BHT.
    Each inquiry is its own transaction set, as real-time payers require; `one_transaction`
    puts them all under one source and receiver in a single set instead (a batch).
    """
    inquiries = [inquiries] if isinstance(inquiries, Inquiry) else list(inquiries)
    now = now or datetime.datetime.now()
    _check_envelope(inquiries, sender, receiver, trace_assigner, control_number, usage)
    _check_party(payer, provider)
    for n, inquiry in enumerate(inquiries):
        _check_inquiry(inquiry, f"inquiries[{n}]", now.date())
    traces = [q.trace_number or f"{control_number}-{n}" for n, q in enumerate(inquiries, 1)]
    if len(set(traces)) < len(traces):
        raise ValueError(f"inquiries[{_first_repeat(traces)}].trace_number: repeats an earlier inquiry's")

    pairs = list(zip(inquiries, traces))
    batches = [pairs] if one_transaction else [[pair] for pair in pairs]
    transactions = [
        Transaction.build("270", f"{k:04d}", _body(batch, payer, provider, trace_assigner, f"{control_number}-{k}", now),
                          GUIDE)
        for k, batch in enumerate(batches, 1)
    ]
    group = Group.build("HS", sender, receiver, str(control_number), GUIDE, transactions, now.strftime("%Y%m%d"),
                        now.strftime("%H%M"))
    interchange = Interchange.build(sender, receiver, control_number, [group], date=now.strftime("%y%m%d"),
                                    time=now.strftime("%H%M"), sender_qualifier=sender_qualifier,
                                    receiver_qualifier=receiver_qualifier, usage=usage, delimiters=_DELIMITERS)
    return write(Document.build([interchange]))


# --- segments ------------------------------------------------------------------------------------

def _body(batch, payer: Payer, provider: Provider, trace_assigner: str, reference: str,
          now: datetime.datetime) -> list[Segment]:
    """BHT and the HL tree of one transaction set: source, receiver, then each patient."""
    person = "1" if provider.first_name else "2"
    segments = [
        Segment.build("BHT", "0022", "13", reference, now.strftime("%Y%m%d"), now.strftime("%H%M")),
        Segment.build("HL", "1", "", "20", "1"),
        Segment.build("NM1", "PR", "2", payer.name, "", "", "", "", payer.id_qualifier, payer.id),
        Segment.build("HL", "2", "1", "21", "1"),
        Segment.build("NM1", provider.entity, person, provider.name, provider.first_name, "", "", "", "XX", provider.npi),
    ]
    hl = 2
    for inquiry, trace in batch:
        hl += 1
        trn = Segment.build("TRN", "1", trace, trace_assigner)
        if inquiry.dependent is None:
            segments += [Segment.build("HL", str(hl), "2", "22", "0"), trn, *_person("IL", inquiry.subscriber)]
        else:
            segments += [Segment.build("HL", str(hl), "2", "22", "1"), *_person("IL", inquiry.subscriber),
                         Segment.build("HL", str(hl + 1), str(hl), "23", "0"), trn, *_person("03", inquiry.dependent)]
            hl += 1
        segments += _inquiry_details(inquiry)
    return segments


def _person(entity: str, person: Person) -> list[Segment]:
    """NM1 (with the member id for a subscriber) and DMG when there is a birth date or gender."""
    id_elements = ("MI", person.member_id) if person.member_id else ()
    out = [Segment.build("NM1", entity, "1", person.last_name, person.first_name, person.middle_name, "",
                         person.suffix, *id_elements)]
    if person.date_of_birth or person.gender:
        dob = person.date_of_birth.strftime("%Y%m%d") if person.date_of_birth else ""
        out.append(Segment.build("DMG", "D8" if dob else "", dob, person.gender))
    return out


def _inquiry_details(inquiry: Inquiry) -> list[Segment]:
    """DTP*291 (the date of service, when given) and one EQ per service type."""
    out = []
    when = inquiry.date_of_service
    if isinstance(when, tuple):
        out.append(Segment.build("DTP", "291", "RD8", f"{when[0]:%Y%m%d}-{when[1]:%Y%m%d}"))
    elif when is not None:
        out.append(Segment.build("DTP", "291", "D8", f"{when:%Y%m%d}"))
    out += [Segment.build("EQ", code) for code in inquiry.service_types]
    return out


# --- checks --------------------------------------------------------------------------------------

@functools.cache
def _guide_codes(loop_id: str, segment_id: str, element: int) -> frozenset:
    """The codes the guide allows in an element of a segment of a loop (from the 270 schema)."""
    loop = next(node for node in schema.find(GUIDE, "270").loops if node.id == loop_id)
    segment = next(node for node in loop.children if isinstance(node, SegmentNode) and node.id == segment_id)
    return frozenset(segment.elements[element - 1]["codes"])


def _code(value, field: str, loop_id: str, segment_id: str, element: int) -> None:
    if value not in _guide_codes(loop_id, segment_id, element):
        raise ValueError(f"{field}: not a code the guide allows in {segment_id}{element:02d} of loop {loop_id}")


def _text(value, field: str, maximum: int, *, minimum: int = 1, required: bool = True) -> None:
    """A value for an AN element: a string of printable ASCII without our separators."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: must be a string")
    if not value.strip():
        if value:
            raise ValueError(f"{field}: is blank")
        if required:
            raise ValueError(f"{field}: is required")
        return
    if not value.isascii() or not value.isprintable() or any(c in value for c in _FORBIDDEN):
        raise ValueError(f"{field}: only printable ASCII without * : ^ ~ can be sent")
    if not minimum <= len(value) <= maximum:
        raise ValueError(f"{field}: must be {minimum} to {maximum} characters long")


def _date(value, field: str) -> None:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise ValueError(f"{field}: must be a datetime.date")


def _check_envelope(inquiries, sender, receiver, trace_assigner, control_number, usage) -> None:
    if not inquiries:
        raise ValueError("inquiries: at least one is needed")
    if any(not isinstance(q, Inquiry) for q in inquiries):
        raise ValueError("inquiries: each must be an Inquiry")
    _text(sender, "sender", 15, minimum=2)
    _text(receiver, "receiver", 15, minimum=2)
    _text(trace_assigner, "trace_assigner", 10, minimum=10)
    if not isinstance(control_number, int) or not 0 < control_number <= 999_999_999:
        raise ValueError("control_number: must be an integer from 1 to 999999999")
    if usage not in ("P", "T"):
        raise ValueError("usage: must be P (production) or T (test)")


def _check_party(payer: Payer, provider: Provider) -> None:
    _text(payer.name, "payer.name", 60)
    _text(payer.id, "payer.id", 80, minimum=2)
    _code(payer.id_qualifier, "payer.id_qualifier", "2100A", "NM1", 8)
    if not is_npi(provider.npi):
        raise ValueError("provider.npi: must be 10 digits with a valid check digit")
    _text(provider.name, "provider.name", 60)
    _text(provider.first_name, "provider.first_name", 35, required=False)
    _code(provider.entity, "provider.entity", "2100B", "NM1", 1)


def _check_inquiry(inquiry: Inquiry, field: str, today: datetime.date) -> None:
    _check_person(inquiry.subscriber, f"{field}.subscriber", today)
    subscriber = inquiry.subscriber
    if not subscriber.member_id and not (subscriber.last_name and subscriber.date_of_birth):
        raise ValueError(f"{field}.subscriber: needs a member_id, or a last_name and a date_of_birth")
    if inquiry.dependent is not None:
        _check_person(inquiry.dependent, f"{field}.dependent", today)
        if inquiry.dependent.member_id:
            raise ValueError(f"{field}.dependent.member_id: a dependent has none in 5010; "
                             "ask about a patient with their own member id as the subscriber")
        if not inquiry.dependent.last_name:
            raise ValueError(f"{field}.dependent.last_name: is required")
    types = inquiry.service_types
    if isinstance(types, str) or not 1 <= len(types) <= 99:
        raise ValueError(f"{field}.service_types: must be a sequence of 1 to 99 codes")
    for k, code in enumerate(types):
        _code(code, f"{field}.service_types[{k}]", "2110C", "EQ", 1)
    when = inquiry.date_of_service
    if isinstance(when, tuple):
        if len(when) != 2:
            raise ValueError(f"{field}.date_of_service: a range must be (first, last)")
        _date(when[0], f"{field}.date_of_service[0]")
        _date(when[1], f"{field}.date_of_service[1]")
        if when[0] > when[1]:
            raise ValueError(f"{field}.date_of_service: the range ends before it starts")
    elif when is not None:
        _date(when, f"{field}.date_of_service")
    _text(inquiry.trace_number, f"{field}.trace_number", 50, required=False)


def _check_person(person: Person, field: str, today: datetime.date) -> None:
    if not isinstance(person, Person):
        raise ValueError(f"{field}: must be a Person")
    _text(person.last_name, f"{field}.last_name", 60, required=False)
    _text(person.first_name, f"{field}.first_name", 35, required=False)
    _text(person.middle_name, f"{field}.middle_name", 25, required=False)
    _text(person.suffix, f"{field}.suffix", 10, required=False)
    _text(person.member_id, f"{field}.member_id", 80, minimum=2, required=False)
    if (person.first_name or person.middle_name or person.suffix) and not person.last_name:
        raise ValueError(f"{field}.last_name: is required with a first or middle name or suffix")
    if person.date_of_birth is not None:
        _date(person.date_of_birth, f"{field}.date_of_birth")
        if person.date_of_birth > today:
            raise ValueError(f"{field}.date_of_birth: is in the future")
    if person.gender not in ("", "F", "M"):
        raise ValueError(f"{field}.gender: must be F, M or empty")


def is_npi(value) -> bool:
    """True for a 10-digit NPI whose last digit is its Luhn check digit (computed with the
    80840 prefix, as CMS specifies)."""
    if not isinstance(value, str) or len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    total = 24  # the doubled-and-summed digits of the 80840 prefix
    for k, digit in enumerate(int(c) for c in reversed(value[:9])):
        if k % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return (10 - total % 10) % 10 == int(value[9])


def _first_repeat(values: list) -> int:
    seen = set()
    for n, value in enumerate(values):
        if value in seen:
            return n
        seen.add(value)
    return -1
