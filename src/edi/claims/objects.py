"""837 claims as objects: one `Submission` per 837 transaction, holding its `Claim`s with their
billing provider, subscriber, payer, patient, providers, diagnoses and service lines.

Objects are read from the attribution of `structure.py` (the same one the tables use), one
claim at a time over its segments. Money is `Decimal` exactly as sent, dates are
`datetime.date`; an unreadable amount or date becomes None and a finding (BAD_AMOUNT,
BAD_DATE), an amount finer than cents stays exact with AMOUNT_PRECISION. Every object can be
built by hand and written with `build_837p` / `build_837i`: equality compares the data only,
never where it was read (`location`) or numbering the writer assigns (LX01, ST02). Reprs show
no names, ids or codes of people: they are patient data.

Not read yet: the other-payer loops (2320/2330, COB), the pay-to loops (2010AB/AC), line
adjudication (2430), drug (2410) and tooth (TOO) detail, and HI codes that are not diagnoses
(condition, occurrence, value and procedure codes).
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Sequence

import numpy as np

from ..errors import EdiError, Finding, FindingCode, Location
from ..model import Document, Segment
from .structure import BILLING, CLAIM, LINE, PATIENT, SUBSCRIBER, Structure, structure, tag
from ..values import ValueReader, gc_paused

#: HI qualifiers of diagnosis codes (ICD-10 and, in 4010 files, ICD-9).
DIAGNOSIS_QUALIFIERS = frozenset({"ABK", "ABF", "ABJ", "APR", "ABN", "BK", "BF", "BJ", "PR", "BN", "ZZ"})
#: Those that service lines point at (SV107, SV311): the principal and other diagnoses.
POINTED_QUALIFIERS = frozenset({"ABK", "ABF", "BK", "BF"})
PRINCIPAL_QUALIFIERS = frozenset({"ABK", "BK"})
_RANGE = re.compile(r"\d{8}-\d{8}\Z")
_TIME = re.compile(r"(\d{4}|\d{6})\Z")
_HL, _LX, _NM1 = tag("HL"), tag("LX"), tag("NM1")


@dataclass(slots=True)
class Address:
    """N3 and N4."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    location: Location | None = field(default=None, compare=False)  # of the N3 (or N4 without N3)


@dataclass(slots=True)
class Contact:
    """A PER segment's name and numbers (TE phone, EM email)."""

    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(slots=True, repr=False)
class Party:
    """An NM1 and the segments of its loop: a submitter, receiver, payer or provider."""

    name: str = ""  # NM103: organization or last name
    first_name: str = ""  # NM104
    middle_name: str = ""  # NM105
    suffix: str = ""  # NM107
    id_qualifier: str = ""  # NM108: XX NPI, MI member id, PI payer id, 46 electronic transmitter id
    id: str = ""  # NM109
    entity_type: str = "2"  # NM102: 1 person, 2 organization
    address: Address | None = None  # N3, N4
    references: dict[str, str] = field(default_factory=dict)  # REF01 -> REF02 of the loop
    location: Location | None = field(default=None, compare=False)  # of the NM1

    def __repr__(self) -> str:  # no names or ids: they may be patient data
        return f"<{type(self).__name__} {self.id_qualifier or 'without id'}>"


@dataclass(slots=True, repr=False)
class Provider(Party):
    """A billing, rendering, referring, attending... provider (NM1 with PRV)."""

    taxonomy: str = ""  # PRV03, the NUCC provider taxonomy code

    @property
    def npi(self) -> str:
        return self.id if self.id_qualifier == "XX" else ""

    @property
    def tax_id(self) -> str:
        """REF*EI (employer id), else REF*SY (social security number)."""
        return self.references.get("EI") or self.references.get("SY", "")


@dataclass(slots=True, repr=False)
class Person(Party):
    """A subscriber or patient: NM1 with DMG."""

    birth_date: datetime.date | None = None  # DMG02
    gender: str = ""  # DMG03: F, M, U


@dataclass(slots=True, repr=False)
class Subscriber(Person):
    """2000B/2010BA: the insured, with the SBR of their coverage."""

    responsibility: str = "P"  # SBR01: P primary, S secondary, T tertiary...
    group_number: str = ""  # SBR03
    group_name: str = ""  # SBR04
    insurance_type: str = ""  # SBR05 (Medicare secondary payer type)
    filing_indicator: str = ""  # SBR09: MB Medicare B, MA Medicare A, MC Medicaid, CI commercial...


@dataclass(slots=True, repr=False)
class Patient(Person):
    """2000C/2010CA: a patient who is not the subscriber."""

    relationship: str = ""  # PAT01: 01 spouse, 19 child, 20 employee, 21 unknown, 39, 40, 53, G8


@dataclass(slots=True)
class Procedure:
    """A procedure composite (SV101, SV202, SV301): qualifier (HC, AD, ER, IV, WK...), code and
    modifiers."""

    qualifier: str
    code: str
    modifiers: tuple[str, ...] = ()


@dataclass(slots=True)
class Diagnosis:
    """One HI composite with a diagnosis qualifier (ABK principal, ABF other, ABJ admitting, APR
    reason for visit, ABN external cause; BK, BF, BJ... in 4010)."""

    qualifier: str
    code: str
    present_on_admission: str = ""  # HI0n-9 (837I): Y, N, U, W, 1
    location: Location | None = field(default=None, compare=False)  # the HI and the element


@dataclass(slots=True, repr=False)
class ServiceLine:
    """One 2400 loop: LX, the service (SV1, SV2 or SV3), its dates, control number and
    line-level providers."""

    procedure: Procedure | None = None  # SV101, SV202, SV301
    charge: Decimal | None = None  # SV102, SV203, SV302
    units: Decimal | None = None  # SV104, SV205, SV306
    unit_basis: str = ""  # SV103, SV204: UN units, MJ minutes, DA days, F2 international units
    place_of_service: str = ""  # SV105, SV303
    diagnosis_pointers: tuple[int, ...] = ()  # SV107, SV311: positions among the claim's pointed diagnoses
    revenue_code: str = ""  # SV201
    service_from: datetime.date | None = None  # DTP*472 (D8: from = to)
    service_to: datetime.date | None = None
    control_number: str = ""  # REF*6R, echoed in the 835
    providers: dict[str, Provider] = field(default_factory=dict)  # 2420 loops by NM101 (82 rendering...)
    number: int | None = field(default=None, compare=False)  # LX01 (the writer numbers lines 1, 2, ...)
    location: Location | None = field(default=None, compare=False)  # of the LX

    @property
    def rendering_provider(self) -> Provider | None:
        return self.providers.get("82")

    def __repr__(self) -> str:
        return f"<ServiceLine {self.number}>"


@dataclass(slots=True, repr=False)
class Claim:
    """One 2300 loop with the parties of the HL levels above it and its service lines."""

    claim_id: str = ""  # CLM01, the patient control number (the 835 returns it in CLP01)
    charge: Decimal | None = None  # CLM02, the total of the line charges
    facility_code: str = ""  # CLM05-1: place of service (837P, 837D) or facility type (837I)
    frequency: str = ""  # CLM05-3: 1 original, 7 replacement, 8 void...
    provider_signature: str = ""  # CLM06 (not used in 837I)
    assignment: str = ""  # CLM07: A assigned, B lab services only, C not assigned
    benefits_assigned: str = ""  # CLM08: Y, N, W
    release_of_information: str = ""  # CLM09: Y, I
    billing_provider: Provider | None = None  # 2000A PRV and 2010AA
    subscriber: Subscriber | None = None  # 2000B SBR and 2010BA
    payer: Party | None = None  # 2010BB
    patient: Patient | None = None  # 2000C/2010CA; None when the subscriber is the patient
    #: 2310 loops by NM101: 82 rendering, DN referring, 71 attending, 77 service facility...
    providers: dict[str, Provider] = field(default_factory=dict)
    diagnoses: list[Diagnosis] = field(default_factory=list)  # HI, in order
    #: 2300 REF by REF01: F8 payer claim control number of the original, G1 prior authorization...
    references: dict[str, str] = field(default_factory=dict)
    #: 2300 DTP by qualifier, (from, to) (D8: from = to): 434 statement, 435 admission, 431 onset...
    dates: dict[str, tuple[datetime.date | None, datetime.date | None]] = field(default_factory=dict)
    admission_type: str = ""  # CL101 (837I)
    admission_source: str = ""  # CL102 (837I)
    patient_status: str = ""  # CL103 (837I)
    lines: list[ServiceLine] = field(default_factory=list)
    location: Location | None = field(default=None, compare=False)  # of the CLM

    @property
    def rendering_provider(self) -> Provider | None:
        return self.providers.get("82")

    @property
    def prior_claim_number(self) -> str:
        """REF*F8: the payer's claim control number (835 CLP07) of the claim this one replaces or voids."""
        return self.references.get("F8", "")

    @property
    def principal_diagnosis(self) -> Diagnosis | None:
        return next((d for d in self.diagnoses if d.qualifier in PRINCIPAL_QUALIFIERS), None)

    @property
    def pointed_diagnoses(self) -> list[Diagnosis]:
        """The diagnoses service-line pointers count (1 is the first)."""
        return [d for d in self.diagnoses if d.qualifier in POINTED_QUALIFIERS]

    def __repr__(self) -> str:  # no CLM01, names or codes: they may be patient data
        return f"<Claim with {len(self.lines)} lines>"


@dataclass(slots=True, repr=False)
class Submission:
    """One 837 transaction: who sends its claims to whom."""

    kind: str = "P"  # "P" professional, "I" institutional, "D" dental
    submitter: Party | None = None  # 1000A
    contact: Contact | None = None  # 1000A PER
    receiver: Party | None = None  # 1000B
    reference: str = ""  # BHT03, the originator's reference
    created: datetime.datetime | None = None  # BHT04 and BHT05
    purpose: str = "00"  # BHT02: 00 original, 18 reissue
    claim_type: str = "CH"  # BHT06: CH chargeable, RP reporting (encounters), 31 subrogation demand
    claims: list[Claim] = field(default_factory=list)
    control_number: str = field(default="", compare=False)  # ST02 (the writer numbers sets)
    location: Location | None = field(default=None, compare=False)  # of the ST

    def __repr__(self) -> str:
        return f"<Submission 837{self.kind} with {len(self.claims)} claims>"


class ClaimBatch:
    """The 837 transactions of one or more documents: `submissions` (objects), `claims` (all of
    them), `tables` (claims, service_lines, diagnoses; see tables.py) and `findings`. Objects
    and tables are made on first use, from one attribution per document."""

    def __init__(self, documents: Sequence[Document], sources: Sequence[str] | None = None):
        for document in documents:
            if document.index is None or document.changed:
                raise EdiError("claims are read as read: write and read an edited or built document first")
        self.documents = list(documents)
        self.sources = list(sources) if sources is not None else ["<bytes>"] * len(self.documents)
        self.structures = [structure(document) for document in self.documents]
        self._submissions: list[Submission] | None = None
        self._value_findings: list[Finding] = []
        self._tables = None

    @property
    def submissions(self) -> list[Submission]:
        if self._submissions is None:
            self._read()
        return self._submissions

    def _read(self) -> None:
        """Build the objects of every document, and the findings about their values."""
        readers = [_Reader(s) for s in self.structures]
        with gc_paused():
            self._submissions = [submission for reader in readers for submission in reader.submissions()]
        self._value_findings = [f for reader in readers for f in reader.findings]

    @property
    def claims(self) -> list[Claim]:
        return [claim for submission in self.submissions for claim in submission.claims]

    @property
    def tables(self) -> dict:
        if self._tables is None:
            from .tables import extract_batch

            self._tables = extract_batch(self.structures)
        return self._tables

    @property
    def findings(self) -> list[Finding]:
        """Reading findings (envelope, repairs) and unreadable values of the objects."""
        if self._submissions is None:
            self._read()
        return [f for document in self.documents for f in document.findings] + self._value_findings

    def __repr__(self) -> str:
        return f"<ClaimBatch {len(self.documents)} documents>"


def read(data: bytes, *, strict: bool = False) -> ClaimBatch:
    """Read the 837s in X12 bytes."""
    from .. import read as read_document

    return ClaimBatch([read_document(data, strict=strict)])


def read_file(path: str | os.PathLike, *, strict: bool = False) -> ClaimBatch:
    """Read the 837s of a file."""
    return read_files([path], strict=strict)


def read_files(paths: Sequence[str | os.PathLike], *, strict: bool = False) -> ClaimBatch:
    """Read the 837s of several files as one batch (`source` numbers them in the tables)."""
    from .. import read_file as read_document

    return ClaimBatch([read_document(p, strict=strict) for p in paths], [os.fspath(p) for p in paths])


class _Reader(ValueReader):
    """Builds the objects of one document's 837s and collects the findings about their values."""

    def __init__(self, attribution: Structure):
        self.s = attribution
        self.index = attribution.index
        self.findings: list[Finding] = []
        everything = np.arange(len(self.index))
        self.zone = attribution.zone_of(everything).tolist()
        self.entity = attribution.entity_of(everything).tolist()
        self.tag = attribution.tag.tolist()
        self.services = set(attribution.services().tolist())  # each line's first SV1, SV2 or SV3
        self._levels: dict[int, dict] = {}
        #: Each claim's billing provider, subscriber and patient HL rows (-1: none).
        self.claim_levels = [attribution.ancestor(attribution.claim_level, zone).tolist()
                             for zone in (BILLING, SUBSCRIBER, PATIENT)]

    def segment(self, i: int) -> Segment:
        return Segment(self.index, i)

    def members(self, e: int) -> range:
        """The segments after the NM1 at `e` that belong to its loop."""
        end = e + 1
        while end < len(self.entity) and self.entity[end] == e:
            end += 1
        return range(e + 1, end)

    # --- values ------------------------------------------------------------------------------
    def period(self, dtp: Segment) -> tuple[datetime.date | None, datetime.date | None] | None:
        """DTP03 as (from, to): D8 gives the date twice; None for other formats (TM, DT). A range
        that is not CCYYMMDD-CCYYMMDD reads as (None, None) with BAD_DATE, as in the tables."""
        if dtp[2] == "D8":
            day = self.date(dtp, 3)
            return day, day
        if dtp[2] == "RD8":
            if _RANGE.match(dtp[3]):
                return self.date(dtp, 3, dtp[3][:8]), self.date(dtp, 3, dtp[3][9:])
            self._finding(FindingCode.BAD_DATE, dtp, 3)
            return None, None
        return None

    # --- objects -----------------------------------------------------------------------------
    def submissions(self) -> list[Submission]:
        s = self.s
        result = []
        for t, txn in enumerate(s.transactions):
            submission = Submission(kind=s.kinds[t], control_number=txn.control_number, location=txn.header.location)
            first_level = next((i for i in range(txn.first, txn.last + 1) if self.tag[i] == _HL), txn.last)
            for i in range(txn.first + 1, first_level):
                self.header_segment(submission, i)
            result.append(submission)
        for k, t in enumerate(s.claim_transaction.tolist()):
            result[t].claims.append(self.claim(k))
        return result

    def header_segment(self, submission: Submission, i: int) -> None:
        segment = self.segment(i)
        sid = segment.id
        if sid == "BHT":
            submission.purpose, submission.reference, submission.claim_type = segment[2], segment[3], segment[6]
            day, time = self.date(segment, 4), segment[5]
            if day is not None and _TIME.match(time):
                seconds = int(time[4:6] or 0)
                submission.created = datetime.datetime(day.year, day.month, day.day, int(time[:2]) % 24,
                                                       int(time[2:4]) % 60, seconds % 60)
            elif day is not None:
                submission.created = datetime.datetime(day.year, day.month, day.day)
        elif sid == "NM1" and segment[1] == "41":
            submission.submitter = self.party(i, Party)
        elif sid == "NM1" and segment[1] == "40":
            submission.receiver = self.party(i, Party)
        elif sid == "PER" and self.entity[i] >= 0 and submission.contact is None:
            numbers = {segment[j]: segment[j + 1] for j in (3, 5, 7)}
            submission.contact = Contact(segment[2], numbers.get("TE", ""), numbers.get("EM", ""))

    def party(self, e: int, cls: type) -> Party:
        """The party of the NM1 at `e`, with the N3, N4, REF, PRV and DMG of its loop."""
        nm1 = self.segment(e)
        party = cls(nm1[3], nm1[4], nm1[5], nm1[7], nm1[8], nm1[9], nm1[2], location=nm1.location)
        for i in self.members(e):
            segment = self.segment(i)
            sid = segment.id
            if sid in ("N3", "N4"):
                address = party.address = party.address or Address(location=segment.location)
                if sid == "N3":
                    address.line1, address.line2 = segment[1], segment[2]
                else:
                    address.city, address.state, address.postal_code = segment[1], segment[2], segment[3]
            elif sid == "REF":
                party.references.setdefault(segment[1], segment[2])
            elif sid == "PRV" and isinstance(party, Provider):
                party.taxonomy = segment[3]
            elif sid == "DMG" and isinstance(party, Person):
                party.birth_date = self.date(segment, 2) if segment[1] == "D8" else None
                party.gender = segment[3]
        return party

    def level(self, h: int) -> dict:
        """The parties of HL row h, by role: billing (with the level's PRV taxonomy), subscriber
        (with SBR), payer, patient (with PAT01). Read once per level."""
        if h in self._levels:
            return self._levels[h]
        s = self.s
        parties: dict = {}
        direct: dict[str, Segment] = {}
        i = int(s.level_at[h]) + 1
        while i < len(self.zone) and self.zone[i] == s.level_zone[h] and self.tag[i] != _HL:
            if self.entity[i] < 0:
                direct.setdefault(self.segment(i).id, self.segment(i))
            elif self.entity[i] == i and self.tag[i] == _NM1:
                role = {"85": ("billing", Provider), "IL": ("subscriber", Subscriber), "PR": ("payer", Party),
                        "QC": ("patient", Patient)}.get(self.segment(i)[1])
                if role is not None and role[0] not in parties:
                    parties[role[0]] = self.party(i, role[1])
            i += 1
        if "billing" in parties and "PRV" in direct:
            parties["billing"].taxonomy = direct["PRV"][3]
        if "subscriber" in parties and "SBR" in direct:
            sbr = direct["SBR"]
            subscriber = parties["subscriber"]
            subscriber.responsibility, subscriber.group_number, subscriber.group_name = sbr[1], sbr[3], sbr[4]
            subscriber.insurance_type, subscriber.filing_indicator = sbr[5], sbr[9]
        if "patient" in parties and "PAT" in direct:
            parties["patient"].relationship = direct["PAT"][1]
        self._levels[h] = parties
        return parties

    def claim(self, k: int) -> Claim:
        s = self.s
        billing, subscriber, patient = (self.level(int(rows[k])) if rows[k] >= 0 else {} for rows in self.claim_levels)
        clm = self.segment(int(s.claim_at[k]))
        claim = Claim(
            clm[1], self.number(clm, 2, money=True), clm.component(5, 1), clm.component(5, 3), clm[6], clm[7], clm[8],
            clm[9], billing_provider=billing.get("billing"), subscriber=subscriber.get("subscriber"),
            payer=subscriber.get("payer"), patient=patient.get("patient"), location=clm.location,
        )
        line = None
        for i in range(int(s.claim_at[k]) + 1, int(s.claim_end[k])):
            zone, entity = self.zone[i], self.entity[i]
            if zone == CLAIM and entity == i:
                segment = self.segment(i)
                claim.providers.setdefault(segment[1], self.party(i, Provider))
            elif zone == CLAIM and entity < 0:
                self.claim_segment(claim, self.segment(i))
            elif zone == LINE and self.tag[i] == _LX:
                lx = self.segment(i)
                line = ServiceLine(number=int(lx[1]) if lx[1].isdigit() else None, location=lx.location)
                claim.lines.append(line)
            elif zone == LINE and entity == i:
                segment = self.segment(i)
                line.providers.setdefault(segment[1], self.party(i, Provider))
            elif zone == LINE and entity < 0:
                self.line_segment(line, self.segment(i))
        return claim

    def claim_segment(self, claim: Claim, segment: Segment) -> None:
        sid = segment.id
        if sid == "DTP":
            period = self.period(segment)
            if period is not None:
                claim.dates.setdefault(segment[1], period)
        elif sid == "REF":
            claim.references.setdefault(segment[1], segment[2])
        elif sid == "HI":
            for j in range(1, len(segment) + 1):
                parts = segment.components(j)
                if parts[0] in DIAGNOSIS_QUALIFIERS:
                    claim.diagnoses.append(Diagnosis(parts[0], parts[1] if len(parts) > 1 else "",
                                                     parts[8] if len(parts) > 8 else "",
                                                     dataclasses.replace(segment.location, element=j)))
        elif sid == "CL1":
            claim.admission_type, claim.admission_source, claim.patient_status = segment[1], segment[2], segment[3]

    def line_segment(self, line: ServiceLine, segment: Segment) -> None:
        sid = segment.id
        if segment.position in self.services:
            procedure, charge, basis, units, place, pointers, revenue = SERVICE_ELEMENTS[sid]
            if segment[procedure]:
                parts = segment.components(procedure)
                line.procedure = Procedure(parts[0], parts[1] if len(parts) > 1 else "",
                                           tuple(m for m in parts[2:6] if m))
            line.charge = self.number(segment, charge, money=True)
            line.unit_basis = segment[basis] if basis else ""
            line.units = self.number(segment, units)
            line.place_of_service = segment[place] if place else ""
            if pointers:
                line.diagnosis_pointers = tuple(int(p) for p in segment.components(pointers) if p.isdigit())
            line.revenue_code = segment[revenue] if revenue else ""
        elif sid == "DTP" and segment[1] == "472" and line.service_from is None:
            line.service_from, line.service_to = self.period(segment) or (None, None)
        elif sid == "REF" and segment[1] == "6R" and not line.control_number:
            line.control_number = segment[2]


#: Where a service segment keeps (procedure, charge, unit basis, units, place of service,
#: diagnosis pointers, revenue code); 0: not in this segment.
SERVICE_ELEMENTS = {
    "SV1": (1, 2, 3, 4, 5, 7, 0),
    "SV2": (2, 3, 4, 5, 0, 0, 1),
    "SV3": (1, 2, 0, 6, 3, 11, 0),
}
