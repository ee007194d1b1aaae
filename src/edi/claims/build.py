"""Writing 837P (005010X222A1) and 837I (005010X223A2) files from `Submission` objects.

    data = build_837p(submission, sender_id="SUBMITTER", receiver_id="PAYER")
    assert edi.claims.read(data).submissions == [submission]

Each submission becomes one transaction. Its claims are grouped into the HL tree: consecutive
claims with an equal billing provider share a 2000A, then an equal subscriber, payer and
"subscriber is the patient" share a 2000B (SBR02 = 18 and no 2000C when the claim has no
patient), then an equal patient shares a 2000C. HL ids, parents and child codes, LX numbers, ST
and SE control numbers and every count are written by the builder (the model's builders and
`edi.write`). Diagnoses are written in the guide's order (principal, admitting, reasons for
visit, external causes, others), at most 12 per HI. Values are written as given: the builder
refuses only what the guide has no place for (a provider role the claim or line loops do not
have, a taxonomy or address in a loop without PRV or N3/N4, an 837P diagnosis qualifier other
than principal and other, CLM06 in an 837I); the validator and `scrub` judge the rest.
"""
from __future__ import annotations

import dataclasses
import datetime
from typing import Sequence

from ..dialect import Delimiters
from ..model import Document, Group, Interchange, Segment, Transaction
from ..writer import write
from .objects import Claim, Diagnosis, Party, Person, Provider, ServiceLine, Submission

GUIDES = {"P": "005010X222A1", "I": "005010X223A2"}
SERVICE = {"P": "SV1", "I": "SV2"}
#: Provider loops by kind and level: NM101 -> (PRV01 when the loop has a PRV, whether it has
#: N3/N4), in the guide's loop order.
CLAIM_PROVIDERS = {
    "P": {"DN": (None, False), "P3": (None, False), "82": ("PE", False), "77": (None, True), "DQ": (None, False),
          "PW": (None, True), "45": (None, True)},
    "I": {"71": ("AT", False), "72": (None, False), "ZZ": (None, False), "82": (None, False), "77": (None, True),
          "DN": (None, False)},
}
LINE_PROVIDERS = {
    "P": {"82": ("PE", False), "QB": (None, False), "77": (None, True), "DQ": (None, False), "DK": (None, True),
          "DN": (None, False), "P3": (None, False), "PW": (None, True), "45": (None, True)},
    "I": {"72": (None, False), "ZZ": (None, False), "82": (None, False), "DN": (None, False)},
}
#: HI groups by kind, in the guide's order: (qualifiers, composites per HI segment).
DIAGNOSIS_GROUPS = {
    "P": ((("ABK", "ABF", "BK", "BF"), 12),),
    "I": ((("ABK", "BK"), 1), (("ABJ", "BJ"), 1), (("APR", "PR"), 3), (("ABN", "BN"), 12), (("ABF", "BF"), 12)),
}
#: Claim dates always written as a range (RD8), even when from = to.
RANGE_DATES = {"434"}


def build_837p(submissions: Submission | Sequence[Submission], **envelope) -> bytes:
    """An 837P interchange holding one transaction per submission; see `build` for `envelope`."""
    return build("P", submissions, **envelope)


def build_837i(submissions: Submission | Sequence[Submission], **envelope) -> bytes:
    """An 837I interchange holding one transaction per submission; see `build` for `envelope`."""
    return build("I", submissions, **envelope)


def build(kind: str, submissions: Submission | Sequence[Submission], *, sender_id: str, receiver_id: str,
          control_number: int = 1, created: datetime.datetime | None = None, usage: str = "P",
          delimiters: Delimiters = Delimiters()) -> bytes:
    """The bytes of one interchange (ISA13 and GS06 `control_number`, sender and receiver ids in
    ISA06/ISA08 and GS02/GS03, dated `created` or now) with one group of 837 transactions of
    this kind ("P" or "I"), numbered 0001, 0002..."""
    if kind not in GUIDES:
        raise ValueError(f"no 837 guide to write for kind {kind!r}")
    submissions = [submissions] if isinstance(submissions, Submission) else list(submissions)
    when = created or datetime.datetime.now().replace(microsecond=0)
    transactions = []
    for number, submission in enumerate(submissions, 1):
        if submission.kind != kind:
            raise ValueError(f"submission {number} is an 837{submission.kind}, not an 837{kind}")
        segments = _Transaction(kind, submission, submission.created or when).segments
        transactions.append(Transaction.build("837", f"{number:04d}", segments, GUIDES[kind]))
    group = Group.build("HC", sender_id, receiver_id, str(control_number), GUIDES[kind], transactions,
                        date=when.strftime("%Y%m%d"), time=when.strftime("%H%M"))
    interchange = Interchange.build(sender_id, receiver_id, control_number, [group], date=when.strftime("%y%m%d"),
                                    time=when.strftime("%H%M"), usage=usage, delimiters=delimiters)
    return write(Document.build([interchange]))


def _amount(value) -> str:
    return "" if value is None else format(value, "f")


def _date(value: datetime.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


class _Transaction:
    """The body segments (BHT to the last claim) of one submission."""

    def __init__(self, kind: str, submission: Submission, created: datetime.datetime):
        self.kind = kind
        self.segments: list[Segment] = []
        self.levels = 0
        time = created.strftime("%H%M%S" if created.second else "%H%M")
        self.add("BHT", "0019", submission.purpose, submission.reference, created.strftime("%Y%m%d"), time,
                 submission.claim_type)
        self.party("41", submission.submitter or Party())
        contact = submission.contact
        if contact is not None:
            numbers = [(q, v) for q, v in (("TE", contact.phone), ("EM", contact.email)) if v]
            self.add("PER", "IC", contact.name, *(x for pair in numbers for x in pair))
        self.party("40", submission.receiver or Party())
        self.hierarchy(submission.claims)

    def add(self, segment_id: str, *elements) -> None:
        self.segments.append(Segment.build(segment_id, *elements))

    def level(self, parent: int | None, code: str, children: bool) -> int:
        self.levels += 1
        self.add("HL", str(self.levels), "" if parent is None else str(parent), code, "1" if children else "0")
        return self.levels

    def party(self, entity: str, party: Party, prv: str | None = None, address: bool = True) -> None:
        """An NM1 loop: NM1, PRV (with `prv`), N3 and N4 (when `address`), DMG, REFs."""
        self.add("NM1", entity, party.entity_type, party.name, party.first_name, party.middle_name, "", party.suffix,
                 party.id_qualifier, party.id)
        if isinstance(party, Provider) and party.taxonomy:
            if prv is None:
                raise ValueError(f"the NM1*{entity} loop has no PRV for a taxonomy")
            self.add("PRV", prv, "PXC", party.taxonomy)
        if party.address is not None:
            if not address:
                raise ValueError(f"the NM1*{entity} loop has no N3/N4 for an address")
            self.add("N3", party.address.line1, party.address.line2)
            self.add("N4", party.address.city, party.address.state, party.address.postal_code)
        if isinstance(party, Person) and (party.birth_date or party.gender):
            self.add("DMG", "D8" if party.birth_date else "", _date(party.birth_date), party.gender)
        for qualifier, value in party.references.items():
            self.add("REF", qualifier, value)

    def providers(self, providers: dict[str, Provider], loops: dict) -> None:
        """The provider loops of a claim or line, in the guide's order."""
        for entity in providers:
            if entity not in loops:
                raise ValueError(f"an 837{self.kind} has no provider loop for NM1*{entity} here")
        for entity, (prv, address) in loops.items():
            if entity in providers:
                self.party(entity, providers[entity], prv, address)

    def hierarchy(self, claims: list[Claim]) -> None:
        """2000A, 2000B and 2000C levels around the claims (see the module docstring)."""
        billing = subscriber = patient = None
        billing_level = subscriber_level = 0
        for claim in claims:
            if billing is None or claim.billing_provider != billing[0]:
                billing, subscriber = (claim.billing_provider,), None
                billing_level = self.level(None, "20", True)
                provider = claim.billing_provider or Provider()
                if provider.taxonomy:  # in the 2000A, before the 2010AA NM1
                    self.add("PRV", "BI", "PXC", provider.taxonomy)
                self.party("85", dataclasses.replace(provider, taxonomy=""))
            key = (claim.subscriber, claim.payer, claim.patient is None)
            if subscriber is None or key != subscriber:
                subscriber, patient = key, None
                subscriber_level = self.level(billing_level, "22", claim.patient is not None)
                self.subscriber(claim)
            if claim.patient is not None and (patient is None or claim.patient != patient):
                patient = claim.patient
                self.level(subscriber_level, "23", False)
                self.add("PAT", claim.patient.relationship)
                self.party("QC", claim.patient)
            self.claim(claim)

    def subscriber(self, claim: Claim) -> None:
        person = claim.subscriber
        if person is None:
            raise ValueError("a claim without a subscriber cannot be written")
        self.add("SBR", person.responsibility, "18" if claim.patient is None else "", person.group_number,
                 person.group_name, person.insurance_type, "", "", "", person.filing_indicator)
        self.party("IL", person)
        self.party("PR", claim.payer or Party())

    def claim(self, claim: Claim) -> None:
        composite = (claim.facility_code, "A" if self.kind == "I" else "B", claim.frequency)
        if self.kind == "I" and claim.provider_signature:
            raise ValueError("CLM06 (provider signature) is not used in an 837I")
        self.add("CLM", claim.claim_id, _amount(claim.charge), "", "", composite, claim.provider_signature,
                 claim.assignment, claim.benefits_assigned, claim.release_of_information)
        for qualifier, (low, high) in claim.dates.items():
            if qualifier in RANGE_DATES or (high is not None and high != low):
                self.add("DTP", qualifier, "RD8", f"{_date(low)}-{_date(high or low)}")
            else:
                self.add("DTP", qualifier, "D8", _date(low))
        if self.kind == "I":
            self.add("CL1", claim.admission_type, claim.admission_source, claim.patient_status)
        for qualifier, value in claim.references.items():
            self.add("REF", qualifier, value)
        self.diagnoses(claim.diagnoses)
        self.providers(claim.providers, CLAIM_PROVIDERS[self.kind])
        for number, line in enumerate(claim.lines, 1):
            self.line(number, line)

    def diagnoses(self, diagnoses: list[Diagnosis]) -> None:
        placed = 0
        for qualifiers, per_segment in DIAGNOSIS_GROUPS[self.kind]:
            group = [d for d in diagnoses if d.qualifier in qualifiers]
            placed += len(group)
            for start in range(0, len(group), per_segment):
                self.add("HI", *(_composite(d) for d in group[start : start + per_segment]))
        if placed != len(diagnoses):
            raise ValueError(f"an 837{self.kind} has no HI for some of these diagnosis qualifiers")

    def line(self, number: int, line: ServiceLine) -> None:
        self.add("LX", str(number))
        procedure = line.procedure
        composite = (procedure.qualifier, procedure.code, *procedure.modifiers) if procedure else ""
        if self.kind == "P":
            pointers = tuple(str(p) for p in line.diagnosis_pointers)
            self.add("SV1", composite, _amount(line.charge), line.unit_basis, _amount(line.units),
                     line.place_of_service, "", pointers if pointers else "")
        else:
            self.add("SV2", line.revenue_code, composite, _amount(line.charge), line.unit_basis, _amount(line.units))
        if line.service_from is not None:
            if line.service_to is not None and line.service_to != line.service_from:
                self.add("DTP", "472", "RD8", f"{_date(line.service_from)}-{_date(line.service_to)}")
            else:
                self.add("DTP", "472", "D8", _date(line.service_from))
        if line.control_number:
            self.add("REF", "6R", line.control_number)
        self.providers(line.providers, LINE_PROVIDERS[self.kind])


def _composite(diagnosis: Diagnosis) -> tuple:
    if diagnosis.present_on_admission:
        return (diagnosis.qualifier, diagnosis.code, "", "", "", "", "", "", diagnosis.present_on_admission)
    return (diagnosis.qualifier, diagnosis.code)
