"""Pure-Python twin of `edi._fast._remit.extract_835`: the 835 column extractor. Same arguments,
same arrays, same issues; the tests require identical results on the corpus and on generated
and mutated inputs.

The extractor reads each 835 transaction's segments in order, by segment id (case folded), and
keeps which claim and service line is open. That is what the loop tree says for an 835: CLP
opens a claim (2100), SVC a service line (2110); CAS, LQ, DTM, REF*6R and AMT*B6 after an SVC
belong to that line until the next SVC, CLP, LX, PLB or SE; CAS, DTM after a CLP and before its
first SVC belong to the claim; MOA and MIA always belong to the claim; TRN and N1 before the
first claim belong to the payment (BPR). Segments outside a claim that only make sense inside
one (a CAS before any CLP) are skipped. DTM*472 gives a line's start and end date, 150 and 151
one each; 232, 233 and 050 are the claim's. A repeated REF*6R, AMT*B6 or DTM keeps the last.

Output, per table (`TABLES`, slots named by `LAYOUTS`), five arrays with a row each:
- `keys` int64 (n, 5): transaction (position in `firsts`), claim row, line row (-1: none), the
  segment the row comes from (its index in the SegmentIndex), and the element where the row's
  part of that segment starts (the CAS reason, PLB reason or remark code; 0 for whole segments);
- `refs` int64 (n, r): other segments whose text the row uses (TRN, N1, REF*6R...), -1 if none.
  Text is not copied: the caller reads it from the index where and when it is needed;
- `money` int64 (n, m): amounts in cents, and `nulls` uint8 (n, m): 1 where absent or unreadable.
  The last slots of payments, claims and service lines are the sums that balancing needs, added
  up during the walk (never null; absent and unreadable amounts count 0): a line's CAS amounts;
  a claim's CAS amounts at claim and line level, and those of group PR; and for the first BPR of
  a transaction, its claims' CLP04 and its PLB amounts;
- `dates` int64 (n, d): days since 1970-01-01, `NAT` (numpy's NaT) when absent or invalid.
Then `issues`: (segment, element, code) for each amount with more precision than cents
(`INEXACT`, stored rounded half-even), each amount that is not a number (`BAD_AMOUNT`) and each
date that is not a valid CCYYMMDD (`BAD_DATE`).

`element_spans` locates the text of a column (an element or a component of one) for the caller.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .values import NOT_A_DATE as NAT
from .values import NUMBER_BAD, NUMBER_INEXACT, parse_date, parse_number

INEXACT, BAD_AMOUNT, BAD_DATE = 1, 2, 3
#: Upper bounds of rows per segment (for sizing the outputs before the walk).
MAX_CAS_TRIPLES = 6
MAX_PLB_PAIRS = 6
MOA_REMARKS = (3, 4, 5, 6, 7)
MIA_REMARKS = (5, 20, 21, 22, 23)
#: DTM qualifiers read, and their slot in the claim's or the line's dates.
CLAIM_DATES = {b"232": (0,), b"233": (1,), b"050": (2,)}
LINE_DATES = {b"472": (0, 1), b"150": (0,), b"151": (1,)}


class Layout(NamedTuple):
    """Names of a table's `refs`, `money` and `dates` slots, in slot order."""

    refs: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()


KEYS = ("transaction", "claim", "line", "segment", "element")
LAYOUTS = {
    "payments": Layout(("st", "trn", "payer", "payee"),
                       ("amount_cents", "claims_paid_cents", "provider_adjustment_cents"), ("payment_date",)),
    "claims": Layout((), ("charge_cents", "paid_cents", "patient_responsibility_cents", "adjustment_cents",
                          "pr_adjustment_cents"), ("statement_from", "statement_to", "received")),
    "service_lines": Layout(("ref_6r",), ("charge_cents", "paid_cents", "allowed_cents", "adjustment_cents"),
                            ("service_start", "service_end")),
    "adjustments": Layout((), ("amount_cents",)),
    "remarks": Layout(("lq",)),
    "provider_adjustments": Layout((), ("amount_cents",), ("fiscal_date",)),
}
TABLES = tuple(LAYOUTS)
PAYMENTS, CLAIMS, LINES, ADJUSTMENTS, REMARKS, PROVIDER_ADJUSTMENTS = range(6)
#: Money slots of the sums.
PAYMENT_CLAIMS_PAID, PAYMENT_PROVIDER_ADJUSTMENTS = 1, 2
CLAIM_ADJUSTMENTS, CLAIM_PR_ADJUSTMENTS = 3, 4
LINE_ADJUSTMENTS = 3
#: The sum slots of each table, which start at 0 and are never null.
SUMS = {"payments": (PAYMENT_CLAIMS_PAID, PAYMENT_PROVIDER_ADJUSTMENTS),
        "claims": (CLAIM_ADJUSTMENTS, CLAIM_PR_ADJUSTMENTS), "service_lines": (LINE_ADJUSTMENTS,)}

#: Letters fold to uppercase when this mask is applied to a packed id (digits change too, but
#: no two valid ids fold alike).
FOLD = 0xDFDFDF


def _tag(segment_id: str) -> int:
    raw = segment_id.encode().ljust(3, b"\0")
    return ((raw[0] << 16) | (raw[1] << 8) | raw[2]) & FOLD


BPR, TRN, N1, LX, CLP, SVC, CAS, DTM, REF, AMT, MOA, MIA, LQ, PLB = (
    _tag(s) for s in ("BPR", "TRN", "N1", "LX", "CLP", "SVC", "CAS", "DTM", "REF", "AMT", "MOA", "MIA", "LQ", "PLB"))


def extract_835(index, firsts, lasts, parts: int = 1):
    """Rows of the six tables from the 835 transactions in segments firsts[t]..lasts[t] of
    `index` (ST..SE), and the value issues; see the module docstring for the arrays. `parts`
    (how many threads the native kernel may use) changes nothing here."""
    firsts, lasts = [int(f) for f in firsts], [int(last) for last in lasts]
    if len(firsts) != len(lasts) or not all(0 <= f <= last < len(index) for f, last in zip(firsts, lasts)):
        raise ValueError("transaction range outside the index")
    extractor = _Extractor(index, _count_rows(index, firsts, lasts))
    for t, (first, last) in enumerate(zip(firsts, lasts)):
        extractor.transaction(t, first, last)
    return {name: rows.arrays() for name, rows in zip(TABLES, extractor.rows)}, extractor.issues


def _count_rows(index, firsts, lasts) -> list[int]:
    """An upper bound of each table's rows."""
    counts = [0] * 6
    for first, last in zip(firsts, lasts):
        for i in range(first, last + 1):
            tag = int(index.seg_tag[i]) & FOLD
            elements = int(index.elem_ptr[i + 1] - index.elem_ptr[i])
            if tag == BPR:
                counts[PAYMENTS] += 1
            elif tag == CLP:
                counts[CLAIMS] += 1
            elif tag == SVC:
                counts[LINES] += 1
            elif tag == CAS:
                counts[ADJUSTMENTS] += min(MAX_CAS_TRIPLES, (elements + 1) // 3)
            elif tag == MOA or tag == MIA:
                counts[REMARKS] += 5
            elif tag == LQ:
                counts[REMARKS] += 1
            elif tag == PLB:
                counts[PROVIDER_ADJUSTMENTS] += min(MAX_PLB_PAIRS, max(0, elements - 1) // 2)
    return counts


class _Rows:
    """One table's output arrays, filled row by row."""

    def __init__(self, capacity: int, name: str):
        layout = LAYOUTS[name]
        self.keys = np.full((capacity, len(KEYS)), -1, np.int64, order="F")
        self.refs = np.full((capacity, len(layout.refs)), -1, np.int64, order="F")
        self.money = np.zeros((capacity, len(layout.money)), np.int64, order="F")
        self.nulls = np.ones((capacity, len(layout.money)), np.uint8, order="F")
        self.nulls[:, list(SUMS.get(name, ()))] = 0
        self.dates = np.full((capacity, len(layout.dates)), NAT, np.int64, order="F")
        self.n = 0

    def add(self, t: int, claim: int, line: int, i: int, element: int = 0) -> int:
        r = self.n
        self.keys[r] = (t, claim, line, i, element)
        self.n += 1
        return r

    def arrays(self):
        n = self.n
        return self.keys[:n], self.refs[:n], self.money[:n], self.nulls[:n], self.dates[:n]


class _Extractor:
    def __init__(self, index, counts: list[int]):
        self.index = index
        self.buf = index.buf
        self.rows = [_Rows(count, name) for count, name in zip(counts, TABLES)]
        self.issues: list[tuple[int, int, int]] = []

    def element(self, i: int, j: int) -> bytes:
        """Element j of segment i, b"" when the segment has no element j."""
        if 1 <= j <= self.index.element_count(i):
            start, end = self.index.element_span(i, j)
            return self.buf[start:end]
        return b""

    def amount(self, rows: _Rows, r: int, slot: int, i: int, j: int) -> int:
        """Store element j of segment i as cents in `slot` of row r (left null when absent or
        not a number); returns the cents stored, 0 if none."""
        raw = self.element(i, j)
        if not raw:
            return 0
        cents, parsed = parse_number(raw, 2)
        issue = BAD_AMOUNT if parsed == NUMBER_BAD else INEXACT if parsed == NUMBER_INEXACT else 0
        if issue:
            self.issues.append((i, j, issue))
        if issue == BAD_AMOUNT:
            return 0
        rows.money[r, slot] = cents
        rows.nulls[r, slot] = 0
        return cents

    def date(self, i: int, j: int) -> int:
        """The days of element j, NAT when absent or invalid (an issue)."""
        raw = self.element(i, j)
        if not raw:
            return NAT
        days = parse_date(raw)
        if days == NAT:
            self.issues.append((i, j, BAD_DATE))
        return days

    def transaction(self, t: int, first: int, last: int) -> None:
        payments, claims, lines, adjustments, remarks, plbs = self.rows
        payment = claim = line = first_payment = -1
        claims_paid = provider_total = 0
        for i in range(first + 1, last + 1):
            tag = int(self.index.seg_tag[i]) & FOLD
            if tag == BPR:
                payment = r = payments.add(t, -1, -1, i)
                first_payment = r if first_payment < 0 else first_payment
                payments.refs[r, 0] = first
                self.amount(payments, r, 0, i, 2)
                payments.dates[r, 0] = self.date(i, 16)
            elif tag == TRN:
                if payment >= 0 and claim < 0:
                    payments.refs[payment, 1] = i
            elif tag == N1:
                if payment >= 0 and claim < 0:
                    qualifier = self.element(i, 1)
                    if qualifier == b"PR":
                        payments.refs[payment, 2] = i
                    elif qualifier == b"PE":
                        payments.refs[payment, 3] = i
            elif tag == LX:
                claim = line = -1
            elif tag == CLP:
                line = -1
                claim = r = claims.add(t, claims.n, -1, i)
                self.amount(claims, r, 0, i, 3)
                claims_paid += self.amount(claims, r, 1, i, 4)
                self.amount(claims, r, 2, i, 5)
            elif tag == SVC:
                if claim >= 0:
                    line = r = lines.add(t, claim, lines.n, i)
                    self.amount(lines, r, 0, i, 2)
                    self.amount(lines, r, 1, i, 3)
            elif tag == CAS:
                if claim >= 0:
                    is_pr = self.element(i, 1) == b"PR"
                    for k in range(MAX_CAS_TRIPLES):
                        j = 2 + 3 * k
                        if self.element(i, j) or self.element(i, j + 1):
                            r = adjustments.add(t, claim, line, i, j)
                            cents = self.amount(adjustments, r, 0, i, j + 1)
                            claims.money[claim, CLAIM_ADJUSTMENTS] += cents
                            claims.money[claim, CLAIM_PR_ADJUSTMENTS] += cents if is_pr else 0
                            if line >= 0:
                                lines.money[line, LINE_ADJUSTMENTS] += cents
            elif tag == DTM:
                rows, r = (lines, line) if line >= 0 else (claims, claim)
                slots = (LINE_DATES if line >= 0 else CLAIM_DATES).get(self.element(i, 1), ())
                if r >= 0 and slots:
                    rows.dates[r, slots] = self.date(i, 2)
            elif tag == REF:
                if line >= 0 and self.element(i, 1) == b"6R":
                    lines.refs[line, 0] = i
            elif tag == AMT:
                if line >= 0 and self.element(i, 1) == b"B6":
                    self.amount(lines, line, 2, i, 2)
            elif tag == MOA or tag == MIA:
                if claim >= 0:
                    for j in MOA_REMARKS if tag == MOA else MIA_REMARKS:
                        if self.element(i, j):
                            remarks.add(t, claim, -1, i, j)
            elif tag == LQ:
                if claim >= 0 and self.element(i, 2):
                    r = remarks.add(t, claim, line, i, 2)
                    remarks.refs[r, 0] = i
            elif tag == PLB:
                claim = line = -1
                fiscal_period = self.date(i, 2)
                for k in range(MAX_PLB_PAIRS):
                    j = 3 + 2 * k
                    if self.element(i, j) or self.element(i, j + 1):
                        r = plbs.add(t, -1, -1, i, j)
                        provider_total += self.amount(plbs, r, 0, i, j + 1)
                        plbs.dates[r, 0] = fiscal_period
        # A transaction's claims and PLBs balance against its first payment (BPR).
        if first_payment >= 0:
            payments.money[first_payment, PAYMENT_CLAIMS_PAID] = claims_paid
            payments.money[first_payment, PAYMENT_PROVIDER_ADJUSTMENTS] = provider_total


def element_spans(index, segments, elements, component: int, separator: bytes):
    """(start, end) arrays: element elements[r] of segment segments[r] (1-based), or component
    `component` of it when that is not 0 (split on `separator`); (0, 0) where the segment is -1
    or lacks it. `elements` is one int for all rows, or one per row."""
    segments = np.asarray(segments, np.int64)
    elements = np.broadcast_to(np.asarray(elements, np.int64), segments.shape)
    if len(segments) and (segments.min() < -1 or segments.max() >= len(index)):
        raise ValueError("segment outside the index")
    start = np.zeros(len(segments), np.int64)
    end = np.zeros(len(segments), np.int64)
    buf = index.buf
    for r, (i, j) in enumerate(zip(segments.tolist(), elements.tolist())):
        if i < 0 or not 1 <= j <= index.element_count(i):
            continue
        a, b = index.element_span(i, j)
        if component:
            for _ in range(component - 1):
                at = buf.find(separator, a, b)
                if at < 0:
                    a = b = 0
                    break
                a = at + len(separator)
            at = buf.find(separator, a, b)
            b = b if at < 0 else at
        start[r], end[r] = a, b
    return start, end


def element_is(index, segments, element: int, text: bytes) -> np.ndarray:
    """A bool array: whether element `element` of each of the segments is exactly `text`."""
    start, end = element_spans(index, segments, element, 0, b"")
    buf = index.buf
    return np.array([buf[a:b] == text for a, b in zip(start.tolist(), end.tolist())], bool)
