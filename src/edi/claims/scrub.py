"""Claim scrubbing: the edits of DOMAIN 7 that payers and clearinghouses reject 837 claims for,
run before the claims are sent.

    for finding in scrub(edi.read_file("claims.837")):
        print(finding)      # error npi: NPI fails its check digit, claim 3, line 2, at byte 812 ...

Each rule is a small function registered in `RULES` under its id, with a severity and a
description; it looks at one claim (its objects, and the raw segments where the objects keep
less than the rule needs) and yields what it finds. A finding names the rule, the claim (its
0-based position in the document, the `claim` key of the tables), the line (1-based in its
claim, None at claim level) and the location of the segment and element at fault; messages
name positions and rules, never values (they may be patient data).

Dates are judged against the transaction's creation date (BHT04), so that a file scrubs the
same way whenever it is checked; `today` replaces it when BHT04 is missing.

Not checked (they need data we do not ship or payer rules): billable ICD-10 leaf codes valid
on the date of service, the CMS place-of-service list beyond its codes, the NUCC taxonomy list,
timely filing, COB balancing (2320/2430) and payer-specific edits (SNIP 7). Loop and segment
usage and repeats are `edi.validate`'s (SNIP 1-2).
"""
from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator

import numpy as np

from ..errors import EdiError, Finding, FindingCode, Location, Severity
from ..model import Document, Segment
from .objects import Claim, ClaimBatch, Party, Provider, Submission
from .structure import BILLING, PATIENT, SUBSCRIBER, Structure


@dataclass(frozen=True, slots=True)
class ScrubFinding(Finding):
    """A finding of one scrub rule (its code, `FindingCode.SCRUB_*`), on which claim and line."""

    claim: int = 0  # 0-based position of the claim in the document (the tables' `claim` key)
    line: int | None = None  # 1-based position of the service line in its claim; None at claim level

    @property
    def rule(self) -> str:
        """The rule's id, a key of RULES."""
        return self.code.id.removeprefix("scrub_")

    @property
    def message(self) -> str:
        where = f"claim {self.claim + 1}" + (f", line {self.line}" if self.line is not None else "")
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.code.description}{detail}, {where}, at {self.location}"

    def to_dict(self) -> dict:
        return {**Finding.to_dict(self), "rule": self.rule, "claim": self.claim, "line": self.line}

    def __str__(self) -> str:
        return f"{self.severity.value} {self.rule}: {self.message}"


@dataclass(frozen=True)
class Rule:
    code: FindingCode
    check: Callable[["_Claim"], Iterable[tuple[Location | None, int | None, str]]]

    id = property(lambda self: self.code.id.removeprefix("scrub_"))
    severity = property(lambda self: self.code.severity)
    description = property(lambda self: self.code.description)


#: Every rule by id, in the order they run.
RULES: dict[str, Rule] = {}


def rule(code: FindingCode):
    """Register a check for a rule (its FindingCode): a function of a `_Claim` yielding
    (location, line, detail)."""
    def register(check):
        entry = Rule(code, check)
        RULES[entry.id] = entry
        return check
    return register


def scrub(document: Document, *, today: datetime.date | None = None) -> list[ScrubFinding]:
    """The findings of every rule on every claim of the document's 837s, claim by claim."""
    return _scrub(ClaimBatch([document]), today)


def _scrub(batch: ClaimBatch, today: datetime.date | None) -> list[ScrubFinding]:
    s = batch.structures[0]
    claims = batch.claims
    context = _Document(s, batch.submissions, claims, today or datetime.date.today())
    findings = []
    for k, claim in enumerate(claims):
        view = _Claim(context, k, claim)
        for entry in RULES.values():
            for location, line, detail in entry.check(view):
                findings.append(ScrubFinding(entry.code, location or view.clm.location, detail, claim=k, line=line))
    return findings


# --- what the rules see ------------------------------------------------------------------------

class _Document:
    """One document's attribution and objects, and what the rules share across its claims."""

    def __init__(self, s: Structure, submissions: list[Submission], claims: list[Claim], today: datetime.date):
        self.s = s
        self.submission_of = [submission for submission in submissions for _ in submission.claims]
        self.kinds = [s.kinds[t] for t in s.claim_transaction.tolist()]
        self.today = today
        self.first_line = np.searchsorted(s.line_claim, np.arange(len(claims) + 1)).tolist()
        self.services = s.services().tolist()
        self.levels = {zone: s.ancestor(s.claim_level, zone).tolist() for zone in (BILLING, SUBSCRIBER, PATIENT)}
        level_transactions = s.transaction_of(s.level_at)
        self.first_level = np.searchsorted(level_transactions, level_transactions).tolist()  # per HL row
        self.claim_ids: dict[str, int] = {}
        for claim in claims:
            self.claim_ids[claim.claim_id] = self.claim_ids.get(claim.claim_id, 0) + 1


class _Claim:
    """One claim as the rules see it: its objects, its kind and raw segments."""

    def __init__(self, document: _Document, k: int, claim: Claim):
        self.document = document
        self.s = document.s
        self.k = k
        self.claim = claim
        self.submission = document.submission_of[k]
        self.kind = document.kinds[k]
        created = self.submission.created
        self.reference_date = created.date() if created else document.today
        self.clm = self.segment(int(self.s.claim_at[k]))
        rows = range(document.first_line[k], document.first_line[k + 1])
        self.services = [self.segment(document.services[r]) if document.services[r] >= 0 else None for r in rows]

    def segment(self, i: int) -> Segment:
        return Segment(self.s.index, i)

    def level(self, zone: int) -> int:
        """This claim's HL row in `zone` (itself or an ancestor), -1 if none."""
        return self.document.levels[zone][self.k]

    def hl(self, row: int) -> Segment:
        return self.segment(int(self.s.level_at[row]))

    def direct(self, row: int, segment_id: str) -> Segment | None:
        """The first segment with this id directly in HL row `row` (not in one of its NM1 loops)."""
        i = int(self.s.level_at[row]) + 1
        while i < len(self.s.tag) and self.s.zone_of([i])[0] == self.s.level_zone[row]:
            if self.s.entity_of([i])[0] < 0 and self.segment(i).id == segment_id:
                return self.segment(i)
            i += 1
        return None

    def member(self, party: Party, segment_id: str) -> Segment | None:
        """The first segment with this id in the NM1 loop of a party read from this document."""
        i = party.location.segment_number - 1 - self.s.index.base_segment
        j = i + 1
        while j < len(self.s.tag) and self.s.entity_of([j])[0] == i:
            if self.segment(j).id == segment_id:
                return self.segment(j)
            j += 1
        return None

    def providers(self) -> Iterator[tuple[Provider, int | None]]:
        """Every provider of the claim with its line (None: claim level)."""
        if self.claim.billing_provider is not None:
            yield self.claim.billing_provider, None
        for provider in self.claim.providers.values():
            yield provider, None
        for n, line in enumerate(self.claim.lines, 1):
            for provider in line.providers.values():
                yield provider, n

    def patient(self) -> Party | None:
        return self.claim.patient or self.claim.subscriber


def _at(location: Location | None, element: int | None = None, component: int | None = None) -> Location | None:
    """The location, at this element (or the one it names) and component."""
    if location is None:
        return None
    return replace(location, element=location.element if element is None else element, component=component)


# --- 1. NPI ------------------------------------------------------------------------------------

def npi_is_valid(npi: str) -> bool:
    """10 digits, the first 1 or 2, and the Luhn check digit over "80840" + the first nine
    (the constant 24 stands for the prefix)."""
    if not re.fullmatch(r"[12][0-9]{9}", npi):
        return False
    total = 24
    for position, digit in enumerate(int(c) for c in reversed(npi[:9])):
        if position % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


@rule(FindingCode.SCRUB_NPI)
def check_npi(c: _Claim):
    for provider, line in c.providers():
        if provider.id_qualifier == "XX" and not npi_is_valid(provider.id):
            yield _at(provider.location, 9), line, ""


# --- 2. and 3. billing provider and taxonomy ---------------------------------------------------

PO_BOX = re.compile(r"\b(P\.?\s*O\.?\s*BOX|POST\s+OFFICE\s+BOX|LOCK\s*BOX)\b", re.IGNORECASE)
TAXONOMY = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")


@rule(FindingCode.SCRUB_BILLING_NPI)
def check_billing_npi(c: _Claim):
    provider = c.claim.billing_provider
    if provider is not None and provider.id_qualifier != "XX":
        yield _at(provider.location, 8), None, ""


@rule(FindingCode.SCRUB_BILLING_ADDRESS)
def check_billing_address(c: _Claim):
    provider = c.claim.billing_provider
    if provider is None:
        return
    address = provider.address
    if address is None:
        yield _at(provider.location), None, "no N3/N4"
        return
    if PO_BOX.search(f"{address.line1} {address.line2}"):
        yield _at(address.location, 1), None, "N3"
    if not re.fullmatch(r"[0-9]{9}", address.postal_code):
        n4 = c.member(provider, "N4")
        yield _at(n4.location if n4 is not None else address.location, 3), None, "N403"


@rule(FindingCode.SCRUB_BILLING_TAX_ID)
def check_billing_tax_id(c: _Claim):
    provider = c.claim.billing_provider
    if provider is not None and not provider.tax_id:
        yield _at(provider.location), None, ""


@rule(FindingCode.SCRUB_TAXONOMY)
def check_taxonomy(c: _Claim):
    for provider, line in c.providers():
        if provider.taxonomy and not TAXONOMY.fullmatch(provider.taxonomy):
            yield _at(provider.location), line, "PRV03"


# --- 4. required structure ---------------------------------------------------------------------

@rule(FindingCode.SCRUB_REQUIRED)
def check_required(c: _Claim):
    parts = [("BHT", c.submission.created is not None), ("submitter 1000A", c.submission.submitter is not None),
             ("receiver 1000B", c.submission.receiver is not None),
             ("billing provider 2010AA", c.claim.billing_provider is not None),
             ("subscriber SBR", c.level(SUBSCRIBER) >= 0 and c.direct(c.level(SUBSCRIBER), "SBR") is not None),
             ("subscriber 2010BA", c.claim.subscriber is not None), ("payer 2010BB", c.claim.payer is not None),
             ("diagnosis HI", bool(c.claim.diagnoses)), ("service line", bool(c.claim.lines))]
    for part, present in parts:
        if not present:
            yield None, None, part
    for n, service in enumerate(c.services, 1):
        if service is None:
            yield c.claim.lines[n - 1].location, n, "service segment"


@rule(FindingCode.SCRUB_HIERARCHY)
def check_hierarchy(c: _Claim):
    s = c.s
    row = int(s.claim_level[c.k])
    if row < 0 or s.level_zone[row] not in (SUBSCRIBER, PATIENT):
        yield None, None, "the claim is not under a subscriber or patient level"
        return
    expected = {PATIENT: SUBSCRIBER, SUBSCRIBER: BILLING}
    while row >= 0:
        hl = c.hl(row)
        if hl[1] != str(row - c.document.first_level[row] + 1):
            yield _at(hl.location, 1), None, "HL01"
        zone = int(s.level_zone[row])
        parent = int(s.level_parent[row])
        if zone in expected and (parent < 0 or s.level_zone[parent] != expected[zone]):
            yield _at(hl.location, 2), None, "HL02"
            return
        if zone == BILLING and hl[2]:
            yield _at(hl.location, 2), None, "HL02"
        row = parent if zone in expected else -1


@rule(FindingCode.SCRUB_LINE_NUMBERS)
def check_line_numbers(c: _Claim):
    for n, line in enumerate(c.claim.lines, 1):
        if line.number != n:
            yield _at(line.location, 1), n, ""


# --- 5. subscriber and patient -----------------------------------------------------------------

PATIENT_RELATIONSHIPS = {"01", "19", "20", "21", "39", "40", "53", "G8"}


@rule(FindingCode.SCRUB_SUBSCRIBER_PATIENT)
def check_subscriber_patient(c: _Claim):
    subscriber, patient = c.level(SUBSCRIBER), c.level(PATIENT)
    if subscriber < 0:
        return
    sbr = c.direct(subscriber, "SBR")
    hl = c.hl(subscriber)
    if sbr is None:
        return
    if sbr[2] == "18":
        if patient >= 0:
            yield _at(sbr.location, 2), None, "SBR02 18 with a patient level"
        if hl[4] != "0":
            yield _at(hl.location, 4), None, "HL04 with SBR02 18"
    else:
        if hl[4] != "1":
            yield _at(hl.location, 4), None, "HL04 without SBR02 18"
        if patient < 0:
            yield _at(sbr.location, 2), None, "no patient level without SBR02 18"
        elif c.claim.patient is None or c.claim.patient.relationship not in PATIENT_RELATIONSHIPS:
            pat = c.direct(patient, "PAT")
            yield _at(pat.location if pat is not None else c.hl(patient).location, 1), None, "PAT01"


@rule(FindingCode.SCRUB_PATIENT_DEMOGRAPHICS)
def check_patient_demographics(c: _Claim):
    person = c.patient()
    if person is None:
        return
    if person.birth_date is None or person.gender not in ("F", "M", "U"):
        yield _at(person.location), None, "DMG"
        return
    born, on = person.birth_date, c.reference_date
    if born > on or (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) >= 150:
        yield _at(person.location), None, "DMG02"


# --- 6. and 7. diagnoses -----------------------------------------------------------------------

ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")
POINTER_ELEMENTS = {"P": (7, 12), "D": (11, 4)}  # service element, highest pointer


@rule(FindingCode.SCRUB_DIAGNOSIS_POINTERS)
def check_diagnosis_pointers(c: _Claim):
    if c.kind not in POINTER_ELEMENTS:
        return
    element, highest = POINTER_ELEMENTS[c.kind]
    count = min(len(c.claim.pointed_diagnoses), highest)
    for n, service in enumerate(c.services, 1):
        if service is None:
            continue
        pointers = [p for p in service.components(element) if p] if service[element] else []
        if not pointers:
            yield _at(service.location, element, 1), n, "no first pointer"
        for m, pointer in enumerate(pointers[:4], 1):
            if not pointer.isdigit() or not 1 <= int(pointer) <= count or pointer in pointers[: m - 1]:
                yield _at(service.location, element, m), n, ""


@rule(FindingCode.SCRUB_DIAGNOSIS_QUALIFIER)
def check_diagnosis_qualifier(c: _Claim):
    pointed = c.claim.pointed_diagnoses
    for n, diagnosis in enumerate(pointed):
        if diagnosis.qualifier != ("ABK" if n == 0 else "ABF"):
            yield _at(diagnosis.location, component=1), None, ""


@rule(FindingCode.SCRUB_ICD10_FORMAT)
def check_icd10_format(c: _Claim):
    for diagnosis in c.claim.diagnoses:
        if not ICD10.fullmatch(diagnosis.code):
            yield _at(diagnosis.location, component=2), None, ""


@rule(FindingCode.SCRUB_DIAGNOSIS_DUPLICATE)
def check_diagnosis_duplicate(c: _Claim):
    seen = set()
    for diagnosis in c.claim.diagnoses:
        if diagnosis.code in seen:
            yield _at(diagnosis.location, component=2), None, ""
        seen.add(diagnosis.code)


# --- 8. procedures, modifiers, units -----------------------------------------------------------

CPT = re.compile(r"[0-9]{4}[0-9A-Z]")
HCPCS = re.compile(r"[A-V][0-9]{4}")
PROCEDURE_ELEMENT = {"SV1": 1, "SV2": 2, "SV3": 1}
UNIT_BASES = {"P": {"UN", "MJ"}, "I": {"UN", "DA"}}
UNITS_ELEMENT = {"SV1": 4, "SV2": 5, "SV3": 6}


@rule(FindingCode.SCRUB_PROCEDURE_FORMAT)
def check_procedure_format(c: _Claim):
    for n, (line, service) in enumerate(zip(c.claim.lines, c.services, strict=True), 1):
        procedure = line.procedure
        if procedure is not None and procedure.qualifier == "HC" and not (
                CPT.fullmatch(procedure.code) or HCPCS.fullmatch(procedure.code)):
            yield _at(service.location, PROCEDURE_ELEMENT[service.id], 2), n, ""


@rule(FindingCode.SCRUB_MODIFIERS)
def check_modifiers(c: _Claim):
    for n, (line, service) in enumerate(zip(c.claim.lines, c.services, strict=True), 1):
        if line.procedure is None:
            continue
        for m, modifier in enumerate(line.procedure.modifiers):
            if not re.fullmatch(r"[0-9A-Z]{2}", modifier) or modifier in line.procedure.modifiers[:m]:
                yield _at(service.location, PROCEDURE_ELEMENT[service.id], m + 3), n, ""


@rule(FindingCode.SCRUB_UNITS)
def check_units(c: _Claim):
    for n, (line, service) in enumerate(zip(c.claim.lines, c.services, strict=True), 1):
        if service is None:
            continue
        if c.kind in UNIT_BASES and line.unit_basis not in UNIT_BASES[c.kind]:
            yield _at(service.location, UNITS_ELEMENT[service.id] - 1), n, "basis"
        if (line.units is None and c.kind != "D") or (line.units is not None and line.units <= 0):
            yield _at(service.location, UNITS_ELEMENT[service.id]), n, "quantity"


# --- 9. and 10. place of service, frequency, corrections ----------------------------------------

#: The CMS place-of-service codes (public domain), as of 2025.
PLACES_OF_SERVICE = frozenset(
    [f"{code:02d}" for code in (*range(1, 28), 31, 32, 33, 34, 41, 42, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 60,
                                61, 62, 65, 66, 71, 72, 81, 99)])
FREQUENCIES = {"P": {"1", "7", "8"}, "D": {"1", "7", "8"}, "I": set("012345789ABCDEFGHIJKMPQ")}
PLACE_ELEMENT = {"SV1": 5, "SV3": 3}


@rule(FindingCode.SCRUB_PLACE_OF_SERVICE)
def check_place_of_service(c: _Claim):
    clm = c.clm
    institutional = c.kind == "I"
    if clm.component(5, 2) != ("A" if institutional else "B"):
        yield _at(clm.location, 5, 2), None, ""
    code = clm.component(5, 1)
    if not (re.fullmatch(r"[0-9]{2}", code) if institutional else code in PLACES_OF_SERVICE):
        yield _at(clm.location, 5, 1), None, ""
    for n, (line, service) in enumerate(zip(c.claim.lines, c.services, strict=True), 1):
        if line.place_of_service and line.place_of_service not in PLACES_OF_SERVICE:
            yield _at(service.location, PLACE_ELEMENT[service.id]), n, ""


@rule(FindingCode.SCRUB_FREQUENCY)
def check_frequency(c: _Claim):
    if c.claim.frequency not in FREQUENCIES[c.kind]:
        yield _at(c.clm.location, 5, 3), None, ""


@rule(FindingCode.SCRUB_REPLACEMENT_REFERENCE)
def check_replacement_reference(c: _Claim):
    if c.claim.frequency in ("7", "8") and not c.claim.prior_claim_number:
        yield _at(c.clm.location, 5, 3), None, ""


# --- 11. charges -------------------------------------------------------------------------------

@rule(FindingCode.SCRUB_CHARGE_TOTAL)
def check_charge_total(c: _Claim):
    charges = [line.charge for line in c.claim.lines]
    if c.claim.charge is not None and charges and None not in charges and sum(charges) != c.claim.charge:
        yield _at(c.clm.location, 2), None, f"difference {c.claim.charge - sum(charges)}"


@rule(FindingCode.SCRUB_NEGATIVE_CHARGE)
def check_negative_charge(c: _Claim):
    if c.claim.charge is not None and c.claim.charge < 0:
        yield _at(c.clm.location, 2), None, ""
    for n, (line, service) in enumerate(zip(c.claim.lines, c.services, strict=True), 1):
        if line.charge is not None and line.charge < 0:
            yield _at(service.location, 3 if service.id == "SV2" else 2), n, ""


@rule(FindingCode.SCRUB_ZERO_CHARGE)
def check_zero_charge(c: _Claim):
    if c.claim.charge is not None and c.claim.charge == 0 and c.submission.claim_type != "RP":
        yield _at(c.clm.location, 2), None, ""


# --- 12. identifiers ---------------------------------------------------------------------------

@rule(FindingCode.SCRUB_CLAIM_ID)
def check_claim_id(c: _Claim):
    claim_id = c.claim.claim_id
    if not claim_id or len(claim_id) > 20 or c.document.claim_ids[claim_id] > 1:
        yield _at(c.clm.location, 1), None, ""


@rule(FindingCode.SCRUB_LINE_CONTROL_NUMBER)
def check_line_control_number(c: _Claim):
    seen = set()
    for n, line in enumerate(c.claim.lines, 1):
        number = line.control_number
        if number and (len(number) > 30 or number in seen):
            yield _at(line.location), n, "REF*6R"
        seen.add(number)


# --- 13. dates ---------------------------------------------------------------------------------

@rule(FindingCode.SCRUB_SERVICE_DATE)
def check_service_date(c: _Claim):
    person = c.patient()
    born = person.birth_date if person is not None else None
    for n, line in enumerate(c.claim.lines, 1):
        start, end = line.service_from, line.service_to
        if start is None:
            if c.kind == "P":
                yield _at(line.location), n, "no DTP*472"
            continue
        if end is None or end < start or end > c.reference_date or (born is not None and start < born):
            yield _at(line.location), n, "DTP*472"


@rule(FindingCode.SCRUB_DATE_SPAN)
def check_date_span(c: _Claim):
    for n, line in enumerate(c.claim.lines, 1):
        if line.service_from and line.service_to and line.service_from.year != line.service_to.year:
            yield _at(line.location), n, "DTP*472"
    for qualifier, (start, end) in c.claim.dates.items():
        if start and end and start.year != end.year:
            yield None, None, f"DTP*{qualifier}"


@rule(FindingCode.SCRUB_STATEMENT_DATES)
def check_statement_dates(c: _Claim):
    if c.kind != "I":
        return
    start, end = c.claim.dates.get("434", (None, None))
    if start is None or end is None or end < start or end > c.reference_date:
        yield None, None, "DTP*434"


@rule(FindingCode.SCRUB_DISCHARGE_HOUR)
def check_discharge_hour(c: _Claim):
    if c.kind == "I" and c.claim.frequency in ("2", "3"):
        s = c.s
        for i in range(int(s.claim_at[c.k]) + 1, int(s.claim_end[c.k])):
            segment = c.segment(i)
            if segment.id == "DTP" and segment[1] == "096" and s.claim_of([i])[0] == c.k:
                yield segment.location, None, ""


# --- the command line --------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `edi scrub FILE... [--json]`."""
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace) -> int:
    """Print a verdict per claim (pass, or fail with its findings). Exit status 1 when a file
    cannot be read or a claim has an error."""
    from .. import read_file

    status = 0
    results = []
    for path in args.files:
        try:
            batch = ClaimBatch([read_file(path)])
            findings = _scrub(batch, None)
        except (OSError, EdiError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            status = 1
            continue
        verdicts = _verdicts(batch.structures[0], findings)
        status = status or int(any(v["verdict"] == "fail" for v in verdicts))
        if args.json:
            results.append({"file": path, "claims": verdicts})
            continue
        print(f"{path}: {sum(v['verdict'] == 'pass' for v in verdicts)} of {len(verdicts)} claims pass")
        for verdict in verdicts:
            print(f"  claim {verdict['claim'] + 1} ({verdict['location']}): {verdict['verdict']}")
            for finding in verdict["findings"]:
                print(f"    {finding['severity']} {finding['rule']}: {finding['message']}")
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    return status


def _verdicts(s: Structure, findings: list[ScrubFinding]) -> list[dict]:
    """Per claim: pass (no errors; warnings allowed) or fail, with its findings as data."""
    by_claim: dict[int, list[ScrubFinding]] = {}
    for finding in findings:
        by_claim.setdefault(finding.claim, []).append(finding)
    verdicts = []
    for k, position in enumerate(s.claim_at.tolist()):
        mine = by_claim.get(k, [])
        verdicts.append({
            "claim": k,
            "location": str(Segment(s.index, position).location),
            "verdict": "fail" if any(f.severity is Severity.ERROR for f in mine) else "pass",
            "findings": [f.to_dict() for f in mine],
        })
    return verdicts
