"""835 to 837 matching: which submitted claim and line each adjudicated claim and line answers
(DOMAIN.md 3.2 and 3.7), with the rule that decided each link, and what is left unmatched.

    claims = edi.remittance.read_claims("claims.837", "corrected.837")
    result = edi.remittance.match(edi.remittance.read_file("remit.835"), claims)
    result.lines.to_pandas()          # one row per 835 line, then the 837 lines nothing answered
    result.claims                     # the same for claims
    result.claim_matches[0].method    # the objects behind the rows, row for row

The submitted side is read by `edi.claims` (837P, 837I and 837D, any guide version): per claim
CLM01, CLM02, CLM05-3, REF*F8 and the dates, per line LX01, REF*6R, the SV1, SV2 or SV3
procedure, revenue code, charge and units, and DTP*472.

Claims: CLP01 = CLM01, else the first 20 characters of both (receivers need only keep 20).
When several submissions share the number (a corrected claim, a resubmission), tie-breaks
narrow them in order, each kept only when it leaves at least one:
1. `payer_claim_control_number`: a corrected claim (CLM05-3 7 or 8) quotes in REF*F8 the payer
   claim number (CLP07) of the claim it replaces. An 835 claim that quotes an original in its
   own REF*F8 answers the submissions quoting that number. Otherwise its CLP07 was the
   replaced claim's: it answers the submissions quoting it when its CLP09 is 7 or 8 (the
   payer kept the number for the correction), and the others (the original, its reversal)
   when not;
2. `frequency`: CLP09 = CLM05-3;
3. `charge`: |CLP03| = CLM02 (a reversal's charge is negated);
4. `service_dates`: the service periods overlap;
5. `ambiguous`: several are left; the last one read is taken.
One submission may answer several 835 claims (an original, its reversal and its correction).

Lines, within each claim pair (DOMAIN 3.7), every 835 line by the first rule that finds one:
1. `line_control_number`: REF*6R = the 837 REF*6R;
2. `line_number`: REF*6R = LX01 of a line sent without REF*6R (payers may echo LX01);
3. `original_procedure_and_date`: SVC06 (the submitted procedure, sent when SVC01 differs:
   bundling, unbundling, recoding), or `procedure_and_date`: SVC01 otherwise; code and
   modifiers (in any order; qualifier NU compares the revenue code) and the service date
   where both sides have one. Among equal lines the first not yet taken, so duplicates pair in
   order; unbundled lines sharing one SVC06 all go to the submitted line the first one took;
4. `ordinal`: the lines still unmatched on both sides, paired in order where their dates agree.
Several 835 lines may so answer one submitted line (unbundling, DOMAIN 3.7.3; shared REF*6R).

Tables: one row per 835 claim or line (status `matched` or `unmatched_835`) in batch order,
then one per submitted claim or line that no 835 row answered (`unmatched_837`). Keys name the
rows of `batch.tables` on the 835 side (source, transaction, claim, line) and the same numbers
of the 837 reading on the other; a missing side is null. Money is int64 cents (half-even). An
837 amount is given on the first row that names its claim or line only (null on the rows that
name it again), so that every amount column sums to its side's total.
"""
from __future__ import annotations

import datetime
import os
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Iterable, Iterator, Sequence

import numpy as np

from ..claims import ClaimBatch
from ..claims.objects import Procedure as Procedure837
from ..claims.objects import Submission
from ..errors import Finding, Location
from ..model import Document
from ..table import StringColumn, Table
from .objects import Claim, Procedure, RemittanceBatch, ServiceLine

MATCHED, UNMATCHED_835, UNMATCHED_837 = "matched", "unmatched_835", "unmatched_837"

_CLAIM_DATES = ("472", "434")  # 2300 service date (837D), statement period (837I)
_REPLACEMENT = ("7", "8")  # claim frequency codes of a corrected or voided claim


# --- the submitted claims (837) ------------------------------------------------------------------
@dataclass(eq=False, slots=True)
class SubmittedLine:
    """One 2400 loop: a service line as submitted."""

    index: int  # the `line` key: position among the lines of its source, from 0
    line_number: str  # LX01
    control_number: str  # REF*6R line item control number
    procedure: Procedure  # SV101 / SV202 / SV301
    revenue_code: str  # SV201 (837I)
    charge: Decimal | None  # SV102 / SV203 / SV302
    units: Decimal | None  # SV104 / SV205 / SV306
    service_start: datetime.date | None  # DTP*472 (D8: both dates the same)
    service_end: datetime.date | None
    location: Location | None = field(default=None, repr=False)  # of the LX
    claim: "SubmittedClaim | None" = field(default=None, repr=False)

    @property
    def key(self) -> tuple[int, int, int, int]:
        """(source, transaction, claim, line), as in the match tables."""
        return (*self.claim.key, self.index)

    def __repr__(self) -> str:  # no codes or dates: they may be patient data
        return f"<SubmittedLine {self.index}>"


@dataclass(eq=False, slots=True)
class SubmittedClaim:
    """One 2300 loop: a claim as submitted, with its service lines."""

    source: int  # position of its document among those read
    transaction: int  # position of its transaction in the document
    index: int  # the `claim` key: position among the claims of its source, from 0
    patient_control_number: str  # CLM01
    charge: Decimal | None  # CLM02
    frequency: str  # CLM05-3: 1 original, 7 replacement, 8 void...
    payer_claim_control_number: str  # REF*F8: the payer's number (835 CLP07) of the claim it corrects
    service_start: datetime.date | None  # 2300 DTP*472 (837D), else DTP*434 statement period (837I)
    service_end: datetime.date | None
    lines: list[SubmittedLine]
    location: Location | None = field(default=None, repr=False)  # of the CLM

    @property
    def key(self) -> tuple[int, int, int]:
        """(source, transaction, claim), as in the match tables."""
        return (self.source, self.transaction, self.index)

    @property
    def service_period(self) -> tuple[datetime.date, datetime.date] | None:
        """First and last date of service: the claim's dates, else its lines'."""
        dates = [self.service_start, self.service_end]
        if not any(dates):
            dates = [d for line in self.lines for d in (line.service_start, line.service_end)]
        dates = [d for d in dates if d]
        return (min(dates), max(dates)) if dates else None

    def __repr__(self) -> str:  # no CLM01: it may be patient data
        return f"<SubmittedClaim {self.index} with {len(self.lines)} lines>"


class SubmissionBatch:
    """The claims of the 837 transactions of one or more documents, numbered by source;
    `findings` holds the documents' reading findings and the values that could not be read."""

    def __init__(self, documents: Sequence[Document], sources: Sequence[str] | None = None):
        self.documents = list(documents)
        self.sources = list(sources) if sources is not None else ["<bytes>"] * len(self.documents)
        self.claims: list[SubmittedClaim] = []
        self.findings: list[Finding] = []
        for source, doc in enumerate(self.documents):
            batch = ClaimBatch([doc])
            self.claims += _submitted(source, doc, batch.submissions)
            self.findings += batch.findings

    @property
    def lines(self) -> list[SubmittedLine]:
        return [line for claim in self.claims for line in claim.lines]

    def __repr__(self) -> str:
        return f"<SubmissionBatch {len(self.documents)} documents, {len(self.claims)} claims>"


def read_claims(*sources: str | os.PathLike | bytes | Document, strict: bool = False) -> SubmissionBatch:
    """Read the 837 claims of files, X12 bytes or documents already read, as one batch."""
    from .. import read, read_file

    documents, names = [], []
    for source in sources:
        if isinstance(source, Document):
            documents.append(source)
            names.append("<document>")
        elif isinstance(source, (bytes, bytearray)):
            documents.append(read(bytes(source), strict=strict))
            names.append("<bytes>")
        else:
            documents.append(read_file(source, strict=strict))
            names.append(os.fspath(source))
    return SubmissionBatch(documents, names)


def _submitted(source: int, doc: Document, submissions: list[Submission]) -> list[SubmittedClaim]:
    """The claims of one source's 837s, numbered from 0 with their lines."""
    positions = {txn.first: k for k, txn in enumerate(doc.transactions)}  # ST index -> position
    claims, line_count = [], 0
    for submission in submissions:
        transaction = positions[submission.location.segment_number - 1]
        for claim in submission.claims:
            dates = next((claim.dates[q] for q in _CLAIM_DATES if q in claim.dates), (None, None))
            submitted = SubmittedClaim(source, transaction, len(claims), claim.claim_id, claim.charge, claim.frequency,
                                       claim.prior_claim_number, *dates, [], claim.location)
            for line in claim.lines:
                procedure = line.procedure or Procedure837("", "")
                submitted.lines.append(SubmittedLine(
                    line_count, "" if line.number is None else str(line.number), line.control_number,
                    Procedure(procedure.qualifier, procedure.code, list(procedure.modifiers)), line.revenue_code,
                    line.charge, line.units, line.service_from, line.service_to, line.location, submitted))
                line_count += 1
            claims.append(submitted)
    return claims


# --- matching ------------------------------------------------------------------------------------
@dataclass(eq=False, slots=True)
class ClaimMatch:
    """An 835 claim and the submission it answers, or either side alone."""

    status: str  # matched, unmatched_835, unmatched_837
    method: str  # patient_control_number, patient_control_number_20, or "" when unmatched
    tie_break: str  # the rule that chose among submissions sharing the number ("" when one)
    adjudicated: Claim | None
    adjudicated_key: tuple[int, int, int] | None  # (source, transaction, claim) of batch.tables
    submitted: SubmittedClaim | None

    def __repr__(self) -> str:  # rules and status only: the claims hold patient data
        return f"<ClaimMatch {' '.join(filter(None, (self.status, self.method, self.tie_break)))}>"


@dataclass(eq=False, slots=True)
class LineMatch:
    """An 835 service line and the submitted line it answers, or either side alone."""

    status: str  # matched, unmatched_835, unmatched_837
    method: str  # line_control_number, line_number, original_procedure_and_date, procedure_and_date, ordinal, ""
    adjudicated: ServiceLine | None
    adjudicated_key: tuple[int, int, int, int] | None  # (source, transaction, claim, line) of batch.tables
    submitted: SubmittedLine | None

    def __repr__(self) -> str:
        return f"<LineMatch {' '.join(filter(None, (self.status, self.method)))}>"


CLAIM_COLUMNS = (
    "status", "method", "tie_break", "source_835", "transaction_835", "claim_835", "source_837",
    "transaction_837", "claim_837", "patient_control_number", "payer_claim_control_number",
    "charge_cents_835", "charge_cents_837", "paid_cents",
)
LINE_COLUMNS = (
    "status", "method", "source_835", "transaction_835", "claim_835", "line_835", "source_837",
    "transaction_837", "claim_837", "line_837", "patient_control_number", "procedure_code_835",
    "procedure_code_837", "charge_cents_835", "charge_cents_837", "paid_cents",
)
_TEXT = {"status", "method", "tie_break", "patient_control_number", "payer_claim_control_number",
         "procedure_code_835", "procedure_code_837"}


class MatchResult:
    """Claim and line matches as objects (`claim_matches`, `line_matches`) and as Tables
    (`claims`, `lines`), row r of a table being item r of its list."""

    def __init__(self, claim_matches: list[ClaimMatch], line_matches: list[LineMatch]):
        self.claim_matches = claim_matches
        self.line_matches = line_matches
        self.claims = _table(CLAIM_COLUMNS, _claim_rows(claim_matches))
        self.lines = _table(LINE_COLUMNS, _line_rows(line_matches))

    def __repr__(self) -> str:
        return f"<MatchResult {len(self.claim_matches)} claim rows, {len(self.line_matches)} line rows>"


def match(remittances: RemittanceBatch, submissions: SubmissionBatch | Iterable[SubmittedClaim]) -> MatchResult:
    """Link the claims and lines of 835 remittances to the 837 claims they answer (module docstring)."""
    claims = submissions.claims if isinstance(submissions, SubmissionBatch) else list(submissions)
    index = _Submissions(claims)
    claim_matches, line_matches = [], []
    answered: set[int] = set()  # ids of the submitted claims and lines some 835 row answers
    for claim, key, line_keys in _adjudicated(remittances):
        submitted, method, tie_break = index.find(claim)
        claim_matches.append(ClaimMatch(MATCHED if submitted else UNMATCHED_835, method, tie_break, claim, key,
                                        submitted))
        pairs = _pair_lines(claim.lines, submitted.lines if submitted else [])
        for line, line_key, (found, how) in zip(claim.lines, line_keys, pairs):
            line_matches.append(LineMatch(MATCHED if found else UNMATCHED_835, how, line, line_key, found))
        answered.update(id(x) for x in [submitted, *(found for found, _ in pairs)] if x is not None)
    for submitted in claims:
        if id(submitted) not in answered:
            claim_matches.append(ClaimMatch(UNMATCHED_837, "", "", None, None, submitted))
        line_matches += [LineMatch(UNMATCHED_837, "", None, None, line)
                         for line in submitted.lines if id(line) not in answered]
    return MatchResult(claim_matches, line_matches)


def _adjudicated(batch: RemittanceBatch) -> Iterator[tuple[Claim, tuple, list[tuple]]]:
    """Every 835 claim of the batch with its key and its lines' keys, numbered as
    `batch.tables` numbers its rows (per source, over the source's transactions)."""
    remittances = iter(batch.remittances)
    for source, document in enumerate(batch.documents):
        claim_number = line_number = 0
        for position, txn in enumerate(document.transactions):
            if txn.set_id != "835":
                continue
            for claim in next(remittances).claims:
                line_keys = [(source, position, claim_number, line_number + k) for k in range(len(claim.lines))]
                yield claim, (source, position, claim_number), line_keys
                claim_number += 1
                line_number += len(claim.lines)


class _Submissions:
    """The submitted claims by CLM01 and by its first 20 characters."""

    def __init__(self, claims: list[SubmittedClaim]):
        self.by_number: dict[str, list[SubmittedClaim]] = defaultdict(list)
        self.by_prefix: dict[str, list[SubmittedClaim]] = defaultdict(list)
        for claim in claims:
            if claim.patient_control_number:
                self.by_number[claim.patient_control_number].append(claim)
                self.by_prefix[claim.patient_control_number[:20]].append(claim)

    def find(self, claim: Claim) -> tuple[SubmittedClaim | None, str, str]:
        """The submission an 835 claim answers, the method and the tie-break that chose it."""
        number = claim.patient_control_number
        if number:
            for method, candidates in (("patient_control_number", self.by_number.get(number)),
                                       ("patient_control_number_20", self.by_prefix.get(number[:20]))):
                if candidates:
                    submitted, tie_break = _choose(claim, candidates)
                    return submitted, method, tie_break
        return None, "", ""


def _choose(claim: Claim, candidates: list[SubmittedClaim]) -> tuple[SubmittedClaim, str]:
    """One of several submissions sharing the number, by the tie-breaks in order: each keeps
    the candidates it has positive evidence for, when there are any."""
    if len(candidates) == 1:
        return candidates[0], ""
    for name, keep in _TIE_BREAKS:
        narrowed = [s for s in candidates if keep(claim, s)]
        if len(narrowed) == 1:
            return narrowed[0], name
        candidates = narrowed or candidates
    return candidates[-1], "ambiguous"


def _same_claim_history(claim: Claim, submitted: SubmittedClaim) -> bool:
    """The REF*F8 / CLP07 rule (module docstring, tie-break 1)."""
    quoted = submitted.payer_claim_control_number
    original = claim.references.get("F8", "")
    if original:
        return quoted == original
    quotes_this_claim = bool(quoted) and quoted == claim.payer_claim_control_number
    return quotes_this_claim == (claim.frequency in _REPLACEMENT)


def _same_charge(claim: Claim, submitted: SubmittedClaim) -> bool:
    return claim.charge is not None and submitted.charge is not None and abs(claim.charge) == submitted.charge


def _same_frequency(claim: Claim, submitted: SubmittedClaim) -> bool:
    return bool(claim.frequency) and claim.frequency == submitted.frequency


def _same_dates(claim: Claim, submitted: SubmittedClaim) -> bool:
    return _overlap(claim.service_period, submitted.service_period) is True


_TIE_BREAKS = (
    ("payer_claim_control_number", _same_claim_history),
    ("frequency", _same_frequency),
    ("charge", _same_charge),
    ("service_dates", _same_dates),
)


def _pair_lines(lines: list[ServiceLine], submitted: list[SubmittedLine]) -> list[tuple[SubmittedLine | None, str]]:
    """For each 835 line of a claim pair, the submitted line it answers and the method (module
    docstring), or (None, "")."""
    pairs: list[tuple[SubmittedLine | None, str]] = [(None, "")] * len(lines)
    by_control, by_number = {}, {}
    for s in submitted:
        if s.control_number:
            by_control.setdefault(s.control_number, s)
        elif s.line_number:
            by_number.setdefault(s.line_number, s)
    for k, line in enumerate(lines):
        if line.control_number in by_control:
            pairs[k] = (by_control[line.control_number], "line_control_number")
        elif line.control_number in by_number:
            pairs[k] = (by_number[line.control_number], "line_number")

    taken = {id(s) for s, _ in pairs if s is not None}
    through_original: set[int] = set()  # submitted lines taken through SVC06: unbundled lines may share them
    codes = {id(s): _submitted_codes(s) for s in submitted}
    for k, line in enumerate(lines):
        if pairs[k][0] is not None:
            continue
        original = line.original_procedure
        code = _code(original or line.procedure)
        fits = [s for s in submitted if code in codes[id(s)] and _dates_agree(line, s)]
        free = [s for s in fits if id(s) not in taken]
        shared = [s for s in fits if id(s) in through_original] if original else []
        chosen = (free or shared or [None])[0]
        if chosen is not None:
            taken.add(id(chosen))
            if original:
                through_original.add(id(chosen))
            pairs[k] = (chosen, "original_procedure_and_date" if original else "procedure_and_date")

    for k, line in enumerate(lines):
        if pairs[k][0] is None:
            chosen = next((s for s in submitted if id(s) not in taken and _dates_agree(line, s)), None)
            if chosen is not None:
                taken.add(id(chosen))
                pairs[k] = (chosen, "ordinal")
    return pairs


def _code(procedure: Procedure) -> tuple[str, str, tuple[str, ...]]:
    """What the code rule compares: a revenue code (qualifier NU) alone, a procedure code with
    its modifiers in any order."""
    if procedure.qualifier == "NU":
        return ("NU", procedure.code, ())
    return ("", procedure.code, tuple(sorted(procedure.modifiers)))


def _submitted_codes(line: SubmittedLine) -> set[tuple]:
    """The codes an 835 line may quote for a submitted line: its procedure and its revenue code."""
    codes = {_code(line.procedure)} if line.procedure.code else set()
    if line.revenue_code:
        codes.add(("NU", line.revenue_code, ()))
    return codes


def _dates_agree(line: ServiceLine, submitted: SubmittedLine) -> bool:
    """The service dates overlap, or one side has none."""
    return _overlap(_period(line.service_start, line.service_end),
                    _period(submitted.service_start, submitted.service_end)) is not False


def _period(start: datetime.date | None, end: datetime.date | None) -> tuple[datetime.date, datetime.date] | None:
    if start is None and end is None:
        return None
    return (start or end, end or start)


def _overlap(a: tuple | None, b: tuple | None) -> bool | None:
    """Whether two (first, last) periods share a day; None when either is unknown."""
    if a is None or b is None:
        return None
    return a[0] <= b[1] and b[0] <= a[1]


# --- tables --------------------------------------------------------------------------------------
_NO_KEY = (None, None, None, None)


def _claim_rows(matches: list[ClaimMatch]) -> Iterator[tuple]:
    first = _first_mentions(m.submitted for m in matches)
    for m, is_first in zip(matches, first):
        a, s = m.adjudicated, m.submitted
        yield (
            m.status, m.method, m.tie_break, *(m.adjudicated_key or _NO_KEY[:3]), *(s.key if s else _NO_KEY[:3]),
            s.patient_control_number if s else a.patient_control_number,
            a.payer_claim_control_number if a else "",
            a.charge if a else None, s.charge if is_first else None, a.paid if a else None,
        )


def _line_rows(matches: list[LineMatch]) -> Iterator[tuple]:
    first = _first_mentions(m.submitted for m in matches)
    for m, is_first in zip(matches, first):
        a, s = m.adjudicated, m.submitted
        yield (
            m.status, m.method, *(m.adjudicated_key or _NO_KEY), *(s.key if s else _NO_KEY),
            s.claim.patient_control_number if s else a.claim.patient_control_number,
            a.procedure.code if a else "", s.procedure.code if s else "",
            a.charge if a else None, s.charge if is_first else None, a.paid if a else None,
        )


def _first_mentions(items: Iterable) -> list[bool]:
    """For each item (None or an object), whether it is the first mention of that object."""
    seen: set[int] = set()
    first = []
    for item in items:
        first.append(item is not None and id(item) not in seen)
        if item is not None:
            seen.add(id(item))
    return first


def _table(names: tuple[str, ...], rows: Iterable[tuple]) -> Table:
    """A Table of Python rows: text, and int keys or Decimal money (as cents) with None as null."""
    columns = list(zip(*rows)) or [()] * len(names)
    arrays, nulls = {}, {}
    for name, values in zip(names, columns):
        if name in _TEXT:
            arrays[name] = StringColumn.from_strings(values)
            continue
        nulls[name] = np.array([v is None for v in values], bool)
        arrays[name] = np.array([0 if v is None else _cents(v) if isinstance(v, Decimal) else v for v in values],
                                np.int64)
    return Table(arrays, nulls, len(columns[0]))


def _cents(amount: Decimal) -> int:
    """An amount in cents, rounded half-even as the 835 tables round."""
    return int(amount.scaleb(2).quantize(Decimal(1), ROUND_HALF_EVEN))
