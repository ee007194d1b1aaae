"""The six 835 tables (payments, claims, service_lines, adjustments, remarks,
provider_adjustments) and their balancing findings (DOMAIN 3.5), computed over whole columns.

    tables = extract(edi.read_file("remit.835"))       # or extract_batch(documents)
    tables["claims"].column("paid_cents")               # int64 cents
    tables["service_lines"].to_pandas()
    findings = balance_findings(tables)

The column kernel (`edi._fast._remit`, twin `edi._py.remit`) walks each 835 transaction's
segment ids in order straight from the SegmentIndex and emits keys, amounts (int64 cents) and
dates (a large run is cut into parts that threads walk side by side, one per core: between
transactions, or at a CLP inside a large one); see the twin's docstring for which segments belong to which claim and line. Text columns
are not copied: each is the (start, end) spans of an element (or component) in the document's
bytes, which the kernel's `element_spans` finds through the index arrays the first time the
column is used. Dates are datetime64[D] (NaT when absent or invalid).

Keys link the rows: `source` (the position of the document in a batch), `transaction` (the
position of the transaction in its source's transactions), `claim` and `line` (0-based numbers
in the source, so that `claims` row `claim` and `service_lines` row `line` of a single source are
the rows they name). Adjustments and remarks have `level` "claim" or "line" (their `line` is null
at claim level). Every table has the `byte_offset` and `segment_number` of the segment each row
comes from, in its file.

Sums the kernel adds up while it walks, for balancing and posting: service_lines
`adjustment_cents` (the line's CAS amounts), claims `adjustment_cents` (the claim's CAS amounts
at claim and line level) and `pr_adjustment_cents` (those of group PR), payments
`claims_paid_cents` (CLP04 of the transaction's claims) and `provider_adjustment_cents` (its PLB
amounts; both on the transaction's first BPR, 0 on any other).

Amounts: absent or unreadable ones are null (`Table.nulls`; in the sums they count 0); amounts
finer than cents are rounded half-even and reported. Those value findings (AMOUNT_PRECISION, BAD_AMOUNT, BAD_DATE)
are `RemittanceTables.findings`; `balance_findings` gives the balancing ones.
"""
from __future__ import annotations

import itertools
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .. import _backend
from .._py.remit import BAD_AMOUNT, BAD_DATE, INEXACT, LAYOUTS, TABLES
from ..errors import EdiError, Finding, FindingCode, Location
from ..index import SegmentIndex, pack_tag
from ..model import Document, Transaction
from ..table import StringColumn, Table

ROW = "row"  # in TEXT: the row's own element (a CAS triple's reason, a remark code, a PLB pair)

#: Text columns: (segment: "segment" or a `refs` slot, element number or ROW, component or 0).
TEXT = {
    "payments": {
        "control_number": ("st", 2, 0), "handling": ("segment", 1, 0), "credit_debit": ("segment", 3, 0),
        "method": ("segment", 4, 0), "trace_number": ("trn", 2, 0), "payer_id": ("trn", 3, 0),
        "payer_name": ("payer", 2, 0), "payee_name": ("payee", 2, 0), "payee_id": ("payee", 4, 0),
    },
    "claims": {
        "patient_control_number": ("segment", 1, 0), "status": ("segment", 2, 0),
        "filing_indicator": ("segment", 6, 0), "payer_claim_control_number": ("segment", 7, 0),
        "facility_code": ("segment", 8, 0), "frequency": ("segment", 9, 0),
    },
    "service_lines": {
        "procedure_qualifier": ("segment", 1, 1), "procedure_code": ("segment", 1, 2),
        "modifier_1": ("segment", 1, 3), "modifier_2": ("segment", 1, 4), "modifier_3": ("segment", 1, 5),
        "modifier_4": ("segment", 1, 6), "revenue_code": ("segment", 4, 0),
        "original_procedure_code": ("segment", 6, 2), "line_control_number": ("ref_6r", 2, 0),
    },
    "adjustments": {"group": ("segment", 1, 0), "reason": ("segment", ROW, 0)},
    "remarks": {"qualifier": ("lq", 1, 0), "code": ("segment", ROW, 0)},
    "provider_adjustments": {
        "provider_id": ("segment", 1, 0), "reason": ("segment", ROW, 1), "reference": ("segment", ROW, 2),
    },
}
LOCATION = ("byte_offset", "segment_number")
#: Every table's columns, in order.
COLUMNS = {
    "payments": ("source", "transaction", "control_number", "handling", "amount_cents", "credit_debit", "method",
                 "payment_date", "trace_number", "payer_id", "payer_name", "payee_name", "payee_id",
                 "claims_paid_cents", "provider_adjustment_cents") + LOCATION,
    "claims": ("source", "transaction", "claim", "patient_control_number", "status", "charge_cents", "paid_cents",
               "patient_responsibility_cents", "filing_indicator", "payer_claim_control_number", "facility_code",
               "frequency", "statement_from", "statement_to", "received", "adjustment_cents",
               "pr_adjustment_cents") + LOCATION,
    "service_lines": ("source", "transaction", "claim", "line", "procedure_qualifier", "procedure_code",
                      "modifier_1", "modifier_2", "modifier_3", "modifier_4", "charge_cents", "paid_cents",
                      "allowed_cents", "revenue_code", "original_procedure_code", "line_control_number",
                      "service_start", "service_end", "adjustment_cents") + LOCATION,
    "adjustments": ("source", "transaction", "claim", "line", "level", "group", "reason", "amount_cents") + LOCATION,
    "remarks": ("source", "transaction", "claim", "line", "level", "segment_id", "qualifier", "code") + LOCATION,
    "provider_adjustments": ("source", "transaction", "provider_id", "fiscal_date", "reason", "reference",
                             "amount_cents") + LOCATION,
}
#: Constant text of `level` and remark `segment_id` cells, as spans of one buffer.
LEVELS = b"claimline"
REMARK_SEGMENTS = b"MOAMIALQ"
#: The dtype of date columns (the kernel's int64 days, viewed as dates).
DAYS = np.dtype("datetime64[D]")
#: A kernel run over more segments than this is cut into parts walked by threads (`_parts`).
SEGMENTS_PER_PART = 25_000
#: Sources and keys combine into one sortable int64: source * KEY_SPAN + key.
KEY_SPAN = 1 << 40
VALUE_FINDINGS = {
    INEXACT: (FindingCode.AMOUNT_PRECISION, "rounded half-even in the tables"),
    BAD_AMOUNT: (FindingCode.BAD_AMOUNT, "null in the tables"),
    BAD_DATE: (FindingCode.BAD_DATE, "null in the tables"),
}


class RemittanceTables(dict):
    """The six tables by name, with the findings about values met while extracting them and
    the number of transactions read (which numbers the next part's in `concat`)."""

    def __init__(self, tables: Mapping[str, Table], findings: list[Finding], transaction_count: int):
        super().__init__(tables)
        self.findings = findings
        self.transaction_count = transaction_count


def extract(source: Document | Iterable[Transaction]) -> RemittanceTables:
    """The six tables of the 835 transactions of a document, or of transactions as read (for
    example one window of `edi.iter_transactions`). A document that was edited is written and
    read again first, so the tables show its current content."""
    if isinstance(source, Document):
        if source.changed:
            from .. import read, write

            source = read(write(source))
        firsts, lasts = source.transaction_ranges()
        runs = [(source.index, firsts, lasts)] if len(firsts) else []
        count = len(firsts)
    else:
        transactions = list(source)
        if any(txn.index is None or txn.changed for txn in transactions):
            raise EdiError("extract() reads transactions as read; write and read edited ones first")
        # Consecutive transactions over one index (a stream window) make one kernel run; `concat`
        # numbers each run's transactions on from the runs before it.
        runs = []
        for index, run in itertools.groupby(transactions, key=lambda txn: txn.index):
            run = list(run)
            runs.append((index, np.array([t.first for t in run], np.int64), np.array([t.last for t in run], np.int64)))
        count = len(transactions)
    parts = [_extract_run(*run) for run in runs]
    if not parts:
        return _empty()
    tables = concat(parts, [0] * len(parts)) if len(parts) > 1 else parts[0]
    tables.transaction_count = count
    return tables


def extract_batch(sources: Iterable[Document | Iterable[Transaction]]) -> RemittanceTables:
    """The six tables of several documents, `source` numbering them in order."""
    return concat([extract(source) for source in sources])


def concat(parts: Sequence[RemittanceTables], sources: Sequence[int] | None = None, *,
           after: Mapping[int, tuple[int, int, int]] | None = None) -> RemittanceTables:
    """Join extracted parts. `sources[k]` is part k's source (default: k). Consecutive parts of
    one source (windows of a stream) continue its numbering of transactions, claims and lines;
    `after[source]` is the (transactions, claims, lines) numbered before these parts, for a
    stream whose earlier windows were written and let go."""
    sources = list(range(len(parts))) if sources is None else list(sources)
    if len(parts) == 1 and sources == [0] and not after:
        return parts[0]
    next_keys: dict[int, tuple[int, int, int]] = dict(after or {})
    shifted = []
    for part, source in zip(parts, sources):
        bases = next_keys.get(source, (0, 0, 0))
        shifted.append({name: _rekey(table, source, bases) for name, table in part.items()})
        next_keys[source] = (bases[0] + part.transaction_count, bases[1] + len(part["claims"]),
                             bases[2] + len(part["service_lines"]))
    tables = {name: Table.concat([part[name] for part in shifted]) for name in TABLES}
    return RemittanceTables(tables, [f for part in parts for f in part.findings],
                            sum(part.transaction_count for part in parts))


def _rekey(table: Table, source: int, bases: tuple[int, int, int]) -> Table:
    """The table with `source` set and its keys moved on by the parts before it."""
    columns = {"source": np.full(len(table), source, np.int64),
               "transaction": table.raw("transaction") + bases[0]}
    if "claim" in table:
        columns["claim"] = table.raw("claim") + bases[1]
    if "line" in table:
        line = table.raw("line")
        columns["line"] = np.where(line >= 0, line + bases[2], -1)
    return table.with_columns(columns)


# --- extraction ------------------------------------------------------------------------------
def _extract_run(index: SegmentIndex, firsts: np.ndarray, lasts: np.ndarray) -> RemittanceTables:
    """One kernel run over the 835 transactions among those in segments firsts[k]..lasts[k]
    of one index (ST..SE); k is the `transaction` key of transaction k, and every one of them
    counts in `transaction_count` (835 or not), so that `concat` numbers the next run's on."""
    count = len(firsts)
    # The kernel numbers the transactions it is given; where some are not 835s, their keys are
    # the positions of those it is given (None: the kernel's own numbers).
    positions = None
    is_835 = _backend.columns.element_is(index, firsts, 1, b"835")
    if not is_835.all():
        positions = np.flatnonzero(is_835)
        firsts, lasts = firsts[positions], lasts[positions]
    raw, issues = _backend.columns.extract_835(index, firsts, lasts, _parts(int((lasts - firsts + 1).sum())))
    # Component separators: `separators[codes[t]]` is transaction t's.
    chunk_components = [d.delimiters.component for d in index.dialects]
    separators = sorted(set(chunk_components))
    if len(separators) == 1:
        codes = np.zeros(len(firsts), np.int64)
    else:
        chunks = np.searchsorted(index.chunk_first, firsts, side="right") - 1
        codes = np.array([separators.index(c) for c in chunk_components], np.int64)[chunks]
    tables = {name: _table(name, index, raw[name], positions, separators, codes) for name in TABLES}
    findings = [_value_finding(index, *issue) for issue in issues]
    return RemittanceTables(tables, findings, count)


def _parts(segments: int) -> int:
    """Threads for a kernel run over this many segments: one per core, each with at least
    SEGMENTS_PER_PART (below that, handing a part to a helper costs more than it saves)."""
    return max(1, min(_backend.cores(), segments // SEGMENTS_PER_PART))


def _empty() -> RemittanceTables:
    """The six tables with no rows (nothing was read)."""
    tables = {}
    for name, names in COLUMNS.items():
        text = {*TEXT[name], "level", "segment_id"}
        tables[name] = Table({
            c: StringColumn(b"", np.zeros(0, np.int64), np.zeros(0, np.int64)) if c in text else
            np.zeros(0, "datetime64[D]") if c in LAYOUTS[name].dates else np.zeros(0, np.int64) for c in names})
    return RemittanceTables(tables, [], 0)


def _table(name: str, index, arrays, positions, separators, codes) -> Table:
    """One table from the kernel's arrays; `positions[t]` is the key of the run's transaction t
    (None: t itself). Columns that need work (text, levels, locations) are computed when used."""
    keys, refs, money, nulls, dates = arrays
    layout = LAYOUTS[name]
    ordinal, claim, line, segment, element_of_row = keys.T
    columns: dict = {"source": np.zeros(len(keys), np.int64),
                     "transaction": ordinal if positions is None else positions[ordinal]}
    masks = {}
    if name not in ("payments", "provider_adjustments"):
        columns["claim"] = claim
    if name in ("service_lines", "adjustments", "remarks"):
        columns["line"] = line
        masks["line"] = line < 0
    if name in ("adjustments", "remarks"):
        columns["level"] = _lazy(_levels, line)
    if name == "remarks":
        columns["segment_id"] = _lazy(_remark_segments, index, segment)
    for column, (where, element, component) in TEXT[name].items():
        segments = segment if where == "segment" else refs[:, layout.refs.index(where)]
        elements = element_of_row if element == ROW else element
        columns[column] = _lazy(_text, index, segments, elements, component, separators, codes, ordinal)
    for k, column in enumerate(layout.money):
        columns[column] = money[:, k]
        masks[column] = nulls[:, k].view(bool)
    for k, column in enumerate(layout.dates):
        columns[column] = dates[:, k].view(DAYS)
    columns["byte_offset"] = _lazy(lambda: index.base_offset + index.seg_start[segment])
    columns["segment_number"] = _lazy(lambda: index.base_segment + segment + 1)
    return Table({c: columns[c] for c in COLUMNS[name]}, masks, len(keys))


def _levels(line) -> StringColumn:
    """Each adjustment's or remark's level: "line" where it belongs to a line (`line` >= 0),
    else "claim"."""
    at_line = line >= 0
    return StringColumn(LEVELS, np.where(at_line, 5, 0), np.where(at_line, 9, 5))


def _remark_segments(index, segment) -> StringColumn:
    """Each remark's segment id: MOA, MIA or LQ."""
    tag = index.seg_tag[segment] & np.uint32(0xDFDFDF)
    kind = np.select([tag == pack_tag("MOA"), tag == pack_tag("MIA")], [0, 1], 2)
    return StringColumn(REMARK_SEGMENTS, kind * 3, np.minimum(kind * 3 + 3, 8))


def _lazy(function: Callable, *args) -> Callable:
    return lambda: function(*args)


def _text(index, segments, elements, component, separators, codes, transactions) -> StringColumn:
    """A text column: element `elements` (component `component`, if not 0) of each segment;
    the rows' transactions say which component separator is theirs."""
    if len(separators) == 1:
        start, end = _backend.columns.element_spans(index, segments, elements, component, separators[0])
    else:  # interchanges with different component separators
        start, end = np.zeros(len(segments), np.int64), np.zeros(len(segments), np.int64)
        elements = np.broadcast_to(elements, segments.shape)
        row_codes = codes[transactions]
        for code, separator in enumerate(separators):
            rows = np.flatnonzero(row_codes == code)
            start[rows], end[rows] = _backend.columns.element_spans(index, segments[rows], elements[rows],
                                                                    component, separator)
    return StringColumn(index.buf, start, end)


def _value_finding(index: SegmentIndex, i: int, element: int, issue: int) -> Finding:
    code, detail = VALUE_FINDINGS[issue]
    location = Location(byte_offset=index.base_offset + int(index.seg_start[i]),
                        segment_number=index.base_segment + i + 1, segment_id=index.segment_id(i).upper(),
                        element=element, source=index.name)
    return Finding(code, location, detail)


# --- balancing -------------------------------------------------------------------------------
def balance_findings(tables: Mapping[str, Table], names: Sequence[str | None] | None = None) -> list[Finding]:
    """The balancing findings of DOMAIN 3.5, each at the CLP, SVC or BPR segment whose amount
    disagrees, with the delta in its detail (amounts only, never patient data):
    - LINE_UNBALANCED: SVC02 - line CAS - SVC03 is not 0;
    - CLAIM_UNBALANCED: CLP03 - claim and line CAS - CLP04 is not 0;
    - PATIENT_RESPONSIBILITY_MISMATCH: CLP05 - PR-group CAS is not 0 (reversals, CLP02 = 22, are
      exempt);
    - TRANSACTION_UNBALANCED: sum of CLP04 - sum of PLB amounts - BPR02 is not 0 (BPR02 counts
      negative when BPR03 is D, a debit).
    Absent and unreadable amounts count as 0 (they have their own findings). The sums are the
    tables' own columns (`adjustment_cents`, `pr_adjustment_cents`, `claims_paid_cents`,
    `provider_adjustment_cents`), added up by `extract`, so this is whole-column arithmetic on
    tables as `extract` and `concat` make them, filtered or not. `names[source]` (the files
    read) go into the locations."""
    claims, lines, payments = tables["claims"], tables["service_lines"], tables["payments"]
    found = []

    delta = lines.raw("charge_cents") - lines.raw("adjustment_cents") - lines.raw("paid_cents")
    found += _report(names, lines, delta, np.flatnonzero(delta), FindingCode.LINE_UNBALANCED, "SVC", 3,
                     "SVC02 - line CAS - SVC03")

    delta = claims.raw("charge_cents") - claims.raw("adjustment_cents") - claims.raw("paid_cents")
    found += _report(names, claims, delta, np.flatnonzero(delta), FindingCode.CLAIM_UNBALANCED, "CLP", 4,
                     "CLP03 - CAS - CLP04")

    delta = claims.raw("patient_responsibility_cents") - claims.raw("pr_adjustment_cents")
    rows = np.flatnonzero(delta)
    if len(rows):
        rows = rows[~claims.raw("status").take(rows).equals("22")]
    found += _report(names, claims, delta, rows, FindingCode.PATIENT_RESPONSIBILITY_MISMATCH, "CLP", 5,
                     "CLP05 - PR adjustments")

    bpr02 = np.where(payments.raw("credit_debit").equals("D"), -1, 1) * payments.raw("amount_cents")
    delta = payments.raw("claims_paid_cents") - payments.raw("provider_adjustment_cents") - bpr02
    found += _report(names, payments, delta, np.flatnonzero(delta), FindingCode.TRANSACTION_UNBALANCED, "BPR", 2,
                     "sum of CLP04 - sum of PLB - BPR02")
    found.sort(key=lambda item: item[:2])
    return [finding for _, _, finding in found]


def _numbered_rows(parents: Table, key: str, sources: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """The row in `parents` of each (source, number) key. `extract` numbers claims and lines
    0, 1, ... in each source and `concat` keeps each source's rows together, so the row is the
    source's first row plus the number (checked)."""
    parent_sources = parents.raw("source")
    n = len(parent_sources)
    starts = np.flatnonzero(np.diff(parent_sources, prepend=-1) != 0)
    counts = np.diff(starts, append=n)
    first_rows = np.repeat(starts, counts)
    if (np.diff(parent_sources[starts]) <= 0).any() or not np.array_equal(parents.raw(key), np.arange(n) - first_rows):
        raise ValueError(f"{key} keys are not numbered 0, 1, ... per source, as extract() numbers them")
    at = np.minimum(np.searchsorted(parent_sources[starts], sources), max(len(starts) - 1, 0))
    if len(numbers) and not (n and (parent_sources[starts][at] == sources).all()
                             and (numbers >= 0).all() and (numbers < counts[at]).all()):
        raise ValueError(f"rows refer to {key} keys that are not in the table")
    return starts[at] + numbers if len(numbers) else np.zeros(0, np.int64)


def _payment_rows(payments: Table, children: Table) -> np.ndarray:
    """The payments row of each child's transaction (the first when a transaction has more
    than one BPR), -1 when it has none."""
    keys = _keys(payments, "transaction")
    wanted = _keys(children, "transaction")
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    found = (keys[at] == wanted) if len(keys) else np.zeros(len(wanted), bool)
    return np.where(found, at, -1)


def _keys(table: Table, name: str) -> np.ndarray:
    """One sortable int64 per row for (source, key)."""
    return table.raw("source") * KEY_SPAN + table.raw(name)


def _report(names, table: Table, delta: np.ndarray, rows: np.ndarray, code: FindingCode, segment_id: str,
            element: int, formula: str) -> list[tuple[int, int, Finding]]:
    """The findings at `rows` of the table, with their deltas."""
    if not len(rows):
        return []
    sources, offsets, numbers = (table.raw(c)[rows].tolist() for c in ("source", "byte_offset", "segment_number"))
    found = []
    for source, offset, number, cents in zip(sources, offsets, numbers, delta[rows].tolist()):
        location = Location(byte_offset=offset, segment_number=number, segment_id=segment_id, element=element,
                            source=names[source] if names is not None else None)
        found.append((source, number, Finding(code, location, f"{formula} = {_money(cents)}")))
    return found


def _money(cents: int) -> str:
    """Cents as a decimal amount: -150 -> "-1.50"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
