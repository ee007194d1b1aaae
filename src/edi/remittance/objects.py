"""835 remittance objects built from the loop tree of each transaction.

`RemittanceBatch` holds one `Remittance` per 835 transaction of the documents it was given;
each has its payer, payee, payment, claims (with their service lines and adjustments) and
provider-level adjustments. Money is `Decimal`, exactly as sent; dates are `datetime.date`.
Values that cannot be read become None and a finding (BAD_AMOUNT, BAD_DATE), and amounts finer
than cents are kept exact with an AMOUNT_PRECISION finding. Findings give positions, never values.

The objects are built by one walk over each transaction's segment ids, with the rules of the
tables' kernel (see `edi._py.remit`), so that objects and tables agree: CLP opens a claim (2100),
SVC a service line (2110); CAS, DTM, REF, AMT and LQ belong to the open line, else to the open
claim; NM1, MOA and MIA to the claim; LX and PLB close the claim. Before the first claim, N1*PR
and N1*PE open the payer and payee (1000A/1000B) whose REFs follow, and the first BPR, TRN and
DTM*405 are the payment's. No loop tree is built, so sloppy files read too (a CLP without an LX,
a missing payee, a guide version we have no schema for, several transactions and interchanges
per file), and a 50 MB file reads in seconds. A repeated NM1, REF, AMT or DTM qualifier keeps
the last value, as the tables do.
"""
from __future__ import annotations

import dataclasses
import datetime
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Sequence

import numpy as np

from .._py.remit import FOLD
from ..codes import CLAIM_STATUS, CarcCategory, carc_category
from ..errors import EdiError, Finding, Location
from ..index import pack_tag
from ..model import Document, Segment, Transaction
from ..values import ValueReader, gc_paused
from . import posting
from .posting import PostingBuckets

_REMARKS = {"MOA": range(3, 8), "MIA": (5, 20, 21, 22, 23)}  # elements that hold claim-level RARCs
#: Segment ids packed and case-folded as the index packs them (`edi._py.remit.FOLD`).
_BPR, _TRN, _N1, _DTM, _LX, _CLP, _SVC, _CAS, _REF, _AMT, _NM1, _MOA, _MIA, _LQ, _PLB = (
    pack_tag(s) & FOLD for s in ("BPR", "TRN", "N1", "DTM", "LX", "CLP", "SVC", "CAS", "REF", "AMT", "NM1", "MOA",
                                 "MIA", "LQ", "PLB"))
#: The segments the walk reads; every other is passed over without a look at its elements.
_READ = frozenset((_BPR, _TRN, _N1, _DTM, _LX, _CLP, _SVC, _CAS, _REF, _AMT, _NM1, _MOA, _MIA, _LQ, _PLB))
_CLAIM_DATES = {"232": "statement_from", "233": "statement_to", "050": "received"}
_LINE_DATES = {"472": ("service_start", "service_end"), "150": ("service_start",), "151": ("service_end",)}


@dataclass(eq=False, slots=True)
class Party:
    """A payer, payee, patient, insured or provider (an N1 or NM1 segment)."""

    entity: str  # N101 / NM101: PR payer, PE payee, QC patient, IL insured, 82 rendering...
    name: str  # organization or last name
    first_name: str = ""
    middle_name: str = ""
    id_qualifier: str = ""  # N103 / NM108: XX NPI, FI tax id, MI member id...
    id: str = ""  # N104 / NM109
    references: dict[str, str] = field(default_factory=dict)  # REF01 -> REF02 of a 1000A/1000B loop

    def __repr__(self) -> str:  # no names or ids: they may be patient data
        return f"<Party {self.entity}>"


@dataclass(eq=False, slots=True)
class Payment:
    """BPR and TRN: how much was paid, how, when, and the trace number of the deposit."""

    handling: str  # BPR01: C payment with remittance, I remittance only, H notification...
    amount: Decimal | None  # BPR02
    credit_debit: str  # BPR03: C or D
    method: str  # BPR04: ACH, CHK, BOP, FWT, NON
    date: datetime.date | None  # BPR16: check issue or EFT effective date
    trace_number: str  # TRN02: check or EFT trace number
    payer_id: str  # TRN03: originating company id (usually "1" + EIN)


@dataclass(eq=False, slots=True)
class Procedure:
    """An SVC01 or SVC06 composite: qualifier (HC, NU, N4...), code and modifiers."""

    qualifier: str
    code: str
    modifiers: list[str]


@dataclass(eq=False, slots=True)
class Adjustment:
    """One CAS reason/amount/quantity triple. A positive amount reduces the payment.
    `category` is the CARC's (edi.codes), `denial` and `bucket` come from edi.remittance.posting."""

    level: str  # "claim" or "line"
    group: str  # CAS01: CO, OA, PI, PR (CR in 4010)
    reason: str  # CARC
    amount: Decimal | None
    quantity: Decimal | None
    category: CarcCategory
    denial: bool
    bucket: str
    segment: Segment = field(repr=False)
    element: int = field(repr=False)  # position of the reason code in the CAS segment

    @property
    def location(self) -> Location:
        return dataclasses.replace(self.segment.location, element=self.element)


@dataclass(eq=False, slots=True)
class ServiceLine:
    """One 2110 loop: the adjudication of a service line."""

    procedure: Procedure  # SVC01, as adjudicated
    original_procedure: Procedure | None  # SVC06, as submitted when it differs
    charge: Decimal | None  # SVC02
    paid: Decimal | None  # SVC03
    revenue_code: str  # SVC04
    units: Decimal | None  # SVC05; 1 when absent (the TR3 sends it only when it differs)
    original_units: Decimal | None  # SVC07; None when absent (same as units)
    service_start: datetime.date | None  # DTM*472, or DTM*150
    service_end: datetime.date | None  # DTM*472, or DTM*151
    control_number: str  # REF*6R line item control number
    references: dict[str, str]  # the other REF01 -> REF02
    amounts: dict[str, Decimal]  # AMT01 -> AMT02 (informational, outside balancing)
    allowed: Decimal | None  # AMT*B6, else derived (posting.derive_allowed)
    allowed_derived: bool  # True when `allowed` was derived, not sent
    adjustments: list[Adjustment]
    remarks: list[str]  # LQ*HE: remittance advice remark codes
    reject_codes: list[str]  # LQ*RX: NCPDP reject/payment codes
    segment: Segment = field(repr=False)
    claim: "Claim | None" = field(default=None, repr=False)

    @property
    def buckets(self) -> PostingBuckets:
        """Where the charge went (edi.remittance.posting): adds up to `charge` when the line balances."""
        return posting.post(self.paid, self.adjustments)

    @property
    def location(self) -> Location:
        return self.segment.location


@dataclass(eq=False, slots=True)
class Claim:
    """One 2100 loop: the adjudication of a claim, with its service lines."""

    patient_control_number: str  # CLP01, the 837 CLM01
    status: str  # CLP02
    charge: Decimal | None  # CLP03
    paid: Decimal | None  # CLP04 (negative on reversals)
    patient_responsibility: Decimal | None  # CLP05
    filing_indicator: str  # CLP06
    payer_claim_control_number: str  # CLP07 (ICN)
    facility_code: str  # CLP08
    frequency: str  # CLP09
    parties: dict[str, Party]  # NM1 by NM101: QC patient, IL insured, 82 rendering, 74, TT, PR, GB
    statement_from: datetime.date | None  # DTM*232
    statement_to: datetime.date | None  # DTM*233
    received: datetime.date | None  # DTM*050
    references: dict[str, str]  # REF01 -> REF02 (1L group, EA medical record, F8 original claim...)
    amounts: dict[str, Decimal]  # AMT01 -> AMT02 (interest, coverage...; outside balancing)
    adjustments: list[Adjustment]  # claim-level CAS
    remarks: list[str]  # MOA03-07 and MIA05, MIA20-23 remark codes
    lines: list[ServiceLine]
    segment: Segment = field(repr=False)
    remittance: "Remittance | None" = field(default=None, repr=False)
    correction: "Claim | None" = field(default=None, repr=False)  # of a reversal (posting.pair_reversals)
    reversal: "Claim | None" = field(default=None, repr=False)  # that a correction follows

    @property
    def status_meaning(self) -> str:
        return CLAIM_STATUS.get(self.status, "")

    @property
    def is_reversal(self) -> bool:
        return self.status == "22"

    patient = property(lambda self: self.parties.get("QC"), doc="NM1*QC")
    insured = property(lambda self: self.parties.get("IL"), doc="NM1*IL")
    rendering_provider = property(lambda self: self.parties.get("82"), doc="NM1*82")

    @property
    def service_period(self) -> tuple[datetime.date, datetime.date] | None:
        """First and last date of service: the statement dates, else the lines' dates."""
        dates = [self.statement_from, self.statement_to]
        if not any(dates):
            dates = [d for line in self.lines for d in (line.service_start, line.service_end)]
        dates = [d for d in dates if d]
        return (min(dates), max(dates)) if dates else None

    @property
    def buckets(self) -> PostingBuckets:
        """Claim-level CAS and every line's CAS, with paid = CLP04 (edi.remittance.posting)."""
        return posting.post(self.paid, [*self.adjustments, *(a for line in self.lines for a in line.adjustments)])

    @property
    def location(self) -> Location:
        return self.segment.location

    def __repr__(self) -> str:  # no CLP01 or names: they may be patient data
        return f"<Claim status {self.status} with {len(self.lines)} lines>"


@dataclass(eq=False, slots=True)
class ProviderAdjustment:
    """One PLB reason/amount pair. A positive amount reduces the payment."""

    provider_id: str  # PLB01, normally the NPI
    fiscal_date: datetime.date | None  # PLB02
    reason: str  # PLB03-1: WO, L6, FB, 72, CS...
    reference: str  # PLB03-2: often a claim number or another 835's TRN02
    amount: Decimal | None
    segment: Segment = field(repr=False)
    element: int = field(repr=False)

    @property
    def location(self) -> Location:
        return dataclasses.replace(self.segment.location, element=self.element)


@dataclass(eq=False, slots=True)
class Remittance:
    """One 835 transaction."""

    transaction: Transaction = field(repr=False)
    payer: Party | None  # 1000A N1*PR
    payee: Party | None  # 1000B N1*PE (some payers leave it out)
    payment: Payment
    production_date: datetime.date | None  # DTM*405
    claims: list[Claim]
    provider_adjustments: list[ProviderAdjustment]
    findings: list[Finding]  # values that could not be read exactly

    @property
    def control_number(self) -> str:
        return self.transaction.control_number

    def __repr__(self) -> str:
        return f"<Remittance {self.control_number} with {len(self.claims)} claims>"


class RemittanceBatch:
    """The 835 transactions of one or more documents, read as `Remittance` objects, with the
    reversals paired to their corrections across the whole batch (posting.pair_reversals)."""

    def __init__(self, documents: Sequence[Document], sources: Sequence[str] | None = None):
        self.documents = list(documents)
        self.sources = list(sources) if sources is not None else ["<bytes>"] * len(self.documents)
        with gc_paused():
            self.remittances = [
                _TransactionReader(txn).remittance()
                for doc in self.documents for txn in doc.transactions if txn.set_id == "835"
            ]
            self.reversal_findings = posting.pair_reversals(self.claims)
        self._tables = None

    @property
    def claims(self) -> list[Claim]:
        """Every claim of the batch, in reading order."""
        return [claim for remittance in self.remittances for claim in remittance.claims]

    @property
    def tables(self) -> dict:
        """The six remittance tables of all documents (edi.remittance.tables), made once."""
        if self._tables is None:
            from .tables import extract_batch

            self._tables = extract_batch(self.documents)
        return self._tables

    @property
    def findings(self) -> list[Finding]:
        """Reading findings (envelope, repairs, unreadable values), balancing findings and
        unpaired reversals."""
        from .tables import balance_findings

        reading = [f for doc in self.documents for f in doc.findings]
        reading += [f for remittance in self.remittances for f in remittance.findings]
        return reading + balance_findings(self.tables, [doc.index.name for doc in self.documents]) + self.reversal_findings

    def __repr__(self) -> str:
        return f"<RemittanceBatch {len(self.documents)} documents, {len(self.remittances)} remittances>"


def read(data: bytes, *, strict: bool = False) -> RemittanceBatch:
    """Read the 835s in X12 bytes."""
    from .. import read as read_document

    return RemittanceBatch([read_document(data, strict=strict)], ["<bytes>"])


def read_file(path: str | os.PathLike, *, strict: bool = False) -> RemittanceBatch:
    """Read the 835s of a file."""
    return read_files([path], strict=strict)


def read_files(paths: Sequence[str | os.PathLike], *, strict: bool = False) -> RemittanceBatch:
    """Read the 835s of several files as one batch, so that reversals pair across files."""
    from .. import read_file as read_document

    return RemittanceBatch([read_document(p, strict=strict) for p in paths], [os.fspath(p) for p in paths])


class _TransactionReader(ValueReader):
    """Builds the objects of one 835 transaction and collects the findings about its values."""

    def __init__(self, txn: Transaction):
        if txn.index is None or txn.changed:
            raise EdiError("remittances are read from bytes: read a built or edited document with "
                           "edi.read(edi.write(doc))")
        self.txn = txn
        self.findings: list[Finding] = []

    def remittance(self) -> Remittance:
        txn, index = self.txn, self.txn.index
        first = txn.first + 1
        tags = (index.seg_tag[first : txn.last + 1] & np.uint32(FOLD)).tolist()
        payment = trn = production = production_date = party = claim = line = None
        parties: dict[str, Party] = {}
        claims, plbs = [], []
        for i, tag in enumerate(tags, first):
            if tag not in _READ:
                continue
            s = Segment(index, i)
            if tag == _CAS:
                if line is not None:
                    line.adjustments += self.adjustments(s, "line", line.paid)
                elif claim is not None:
                    claim.adjustments += self.adjustments(s, "claim", claim.paid)
            elif tag == _DTM:
                if line is not None:
                    if s[1] in _LINE_DATES:
                        value = self.date(s, 2)
                        for name in _LINE_DATES[s[1]]:
                            setattr(line, name, value)
                elif claim is not None:
                    if s[1] in _CLAIM_DATES:
                        setattr(claim, _CLAIM_DATES[s[1]], self.date(s, 2))
                elif production is None and s[1] == "405":
                    production, production_date = s, self.date(s, 2)
            elif tag == _SVC:
                if claim is not None:
                    line = self.line(s, claim)
            elif tag == _REF:
                if line is not None:
                    if s[1] == "6R":
                        line.control_number = s[2]
                    else:
                        line.references[s[1]] = s[2]
                elif claim is not None:
                    claim.references[s[1]] = s[2]
                elif party is not None:
                    party.references[s[1]] = s[2]
            elif tag == _AMT:
                target = line if line is not None else claim
                if target is not None:
                    self.put_amount(target.amounts, s)
            elif tag == _NM1:
                if claim is not None:
                    claim.parties[s[1]] = self.party(s)
            elif tag == _LQ:
                if line is not None:
                    (line.remarks if s[1] == "HE" else line.reject_codes).append(s[2])
            elif tag == _CLP:
                self.finish(line)
                claim, line, party = self.claim(s), None, None
                claims.append(claim)
            elif tag == _MOA or tag == _MIA:
                if claim is not None:
                    claim.remarks += [s[j] for j in _REMARKS[s.id] if s[j]]
            elif tag == _LX or tag == _PLB:
                self.finish(line)
                claim = line = party = None
                if tag == _PLB:
                    plbs += self.provider_adjustments(s)
            elif claim is None:  # BPR, TRN and N1 of the header and the 1000A/1000B loops
                if tag == _BPR:
                    payment = payment or self.payment(s)
                elif tag == _TRN:
                    trn = trn or s
                elif s[1] in ("PR", "PE") and s[1] not in parties:
                    party = parties[s[1]] = self.party(s)
                else:
                    party = None
        self.finish(line)
        payment = payment or self.payment(Segment.build("BPR"))
        if trn is not None:
            payment.trace_number, payment.payer_id = trn[2], trn[3]
        remittance = Remittance(txn, parties.get("PR"), parties.get("PE"), payment, production_date, claims, plbs,
                                self.findings)
        for claim in claims:
            claim.remittance = remittance
        return remittance

    def payment(self, bpr: Segment) -> Payment:
        """The payment of a BPR; its TRN fills in the trace number."""
        return Payment(bpr[1], self.amount(bpr, 2), bpr[3], bpr[4], self.date(bpr, 16), "", "")

    @staticmethod
    def party(segment: Segment) -> Party:
        if segment.id == "N1":
            return Party(segment[1], segment[2], id_qualifier=segment[3], id=segment[4])
        return Party(segment[1], segment[3], segment[4], segment[5], segment[8], segment[9])

    def adjustments(self, cas: Segment, level: str, paid: Decimal | None) -> list[Adjustment]:
        group = cas[1]
        result = []
        for j in range(2, min(len(cas), 19) + 1, 3):  # CAS02/03/04 ... CAS17/18/19
            reason = cas[j]
            if reason or cas[j + 1]:
                result.append(Adjustment(
                    level, group, reason, self.amount(cas, j + 1), self.number(cas, j + 2), carc_category(reason),
                    posting.is_denial(group, reason, paid), posting.bucket_of(group, reason, paid), cas, j,
                ))
        return result

    def claim(self, clp: Segment) -> Claim:
        return Claim(
            clp[1], clp[2], self.amount(clp, 3), self.amount(clp, 4), self.amount(clp, 5), clp[6], clp[7], clp[8],
            clp[9], parties={}, statement_from=None, statement_to=None, received=None, references={}, amounts={},
            adjustments=[], remarks=[], lines=[], segment=clp,
        )

    def line(self, svc: Segment, claim: Claim) -> ServiceLine:
        """A new line of `claim` (the one before it is finished)."""
        if claim.lines:
            self.finish(claim.lines[-1])
        line = ServiceLine(
            _procedure(svc, 1), _procedure(svc, 6) if svc[6] else None, self.amount(svc, 2), self.amount(svc, 3),
            svc[4], self.number(svc, 5) if svc[5] else Decimal(1), self.number(svc, 7), service_start=None,
            service_end=None, control_number="", references={}, amounts={}, allowed=None, allowed_derived=False,
            adjustments=[], remarks=[], reject_codes=[], segment=svc, claim=claim,
        )
        claim.lines.append(line)
        return line

    @staticmethod
    def finish(line: ServiceLine | None) -> None:
        """A line that closes gets its allowed amount: AMT*B6, else derived from its adjustments."""
        if line is None:
            return
        line.allowed = line.amounts.get("B6")
        if line.allowed is None:
            line.allowed = posting.derive_allowed(line.charge, line.adjustments)
            line.allowed_derived = line.allowed is not None

    def put_amount(self, amounts: dict[str, Decimal], amt: Segment) -> None:
        value = self.amount(amt, 2)
        if value is not None:
            amounts[amt[1]] = value

    def provider_adjustments(self, plb: Segment) -> list[ProviderAdjustment]:
        fiscal_date = self.date(plb, 2)
        result = []
        for j in range(3, min(len(plb), 14) + 1, 2):  # PLB03/04 ... PLB13/14
            if plb[j] or plb[j + 1]:
                result.append(ProviderAdjustment(plb[1], fiscal_date, plb.component(j, 1), plb.component(j, 2),
                                                 self.amount(plb, j + 1), plb, j))
        return result


def _procedure(svc: Segment, j: int) -> Procedure:
    return Procedure(svc.component(j, 1), svc.component(j, 2), [m for m in svc.components(j)[2:6] if m])
