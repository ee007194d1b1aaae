"""Denials in 835 remittances (DOMAIN.md 4.3): one row per denial adjustment, its root cause and
playbook, denial rates, and the work queue.

    denials = edi.denials.extract(edi.remittance.read_files(paths))   # or extract(tables, names=paths)
    denials.column("category"), denials.column("amount_cents")
    print(render(summarize(tables, denials), queue(denials)))

A row is one CAS group/reason pair, on a claim or on a line, that denies money:

- its amount is positive (an adjustment of 0, or a negative one, takes nothing away), its claim
  is not a reversal (CLP02 = 22: DOMAIN.md 3.6), and
- its CARC is a denial code of `edi.codes` (DOMAIN.md 4.4), in any group: under PR it is a
  patient-liable denial (PR-96, PR-204...); or the CARC is unclassified, the group is not PR and
  nothing is paid (SVC03 = 0 for a line adjustment, CLP04 = 0 for a claim adjustment).
  So PR-1/2/3 (patient cost share), CO-45 and other contractual codes, OA-23 (the prior payer's
  part) and informational or pending codes (133, 257, 277) are never rows. This is the rule
  `edi.remittance.posting.is_denial` applies to the objects; the tests hold the two to it.

Each row gets:
- `scope`: "claim" when the claim is fully denied (CLP02 = 4; or an adjudicated status 1, 2, 3,
  19, 20, 21 with CLP04 = 0, CLP03 > 0 and a denial row), else "line" for a line adjustment
  on a line paid nothing (SVC03 = 0), else "partial" (a reduction of a paid line or claim);
- `kind`: "patient" under PR (route the balance to the patient; it still counts as a denial for
  the payer), "soft" for a bundling CARC when another line of the claim was paid (left out of
  the hard denial rates: the DOMAIN.md 4.3 decision), else "hard";
- `category`: the CARC's, refined by remark codes for a generic CARC (16, A1, 125) or an
  unclassified one: the first remark with a category of ours (`edi.codes.rarc`), the line's
  LQ*HE first, then the claim's MOA/MIA; `refined_by` names it;
- `playbook`: the key of its playbook: "category:kind" when the playbooks have one, else the
  category.

Extraction works on the six tables' columns (numpy over keys), never on objects: CARC texts are
matched as packed integers. Text columns that only describe a row (payer, claim and line ids,
procedure, modifiers, remark codes) are computed when first used, as the tables' own text is.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import functools
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from . import codes
from .errors import EdiError
from .remittance.objects import RemittanceBatch
from .remittance.tables import KEY_SPAN, _numbered_rows, _payment_rows, extract_batch
from .table import StringColumn, Table

KINDS = ("hard", "soft", "patient")
#: Our root-cause categories (edi.codes.CATEGORIES), in the order the extraction numbers them.
CATEGORIES = list(codes.CATEGORIES)
SCOPES = ("claim", "line", "partial")
#: The columns of `extract`, in order.
COLUMNS = (
    "source", "file", "transaction", "claim", "line", "level", "payer", "payer_id", "payment_date",
    "patient_control_number", "payer_claim_control_number", "claim_status", "line_control_number",
    "procedure_code", "modifiers", "service_date", "group", "carc", "rarcs", "category", "refined_by", "kind",
    "scope", "amount_cents", "charge_cents", "paid_cents", "playbook", "byte_offset", "segment_number",
)
#: Columns the work queue adds from the playbook.
PLAYBOOK_COLUMNS = ("owner", "action", "correct", "attach", "turn_days", "resubmit", "carc_description")
NAT = np.datetime64("NaT", "D")


def extract(source: RemittanceBatch | Mapping[str, Table], *, names: Sequence[str] | None = None,
            playbooks: dict | None = None) -> Table:
    """One row per denial adjustment of a batch (or of the six tables, with the file `names` of
    their sources), in reading order; see the module docstring for the rules and COLUMNS."""
    if isinstance(source, RemittanceBatch):
        tables, names = source.tables, source.sources
    else:
        tables = source
    book = playbooks if playbooks is not None else _default_playbooks()
    adjustments, claims, lines = tables["adjustments"], tables["claims"], tables["service_lines"]

    amount = adjustments.raw("amount_cents")
    carcs, which = _lookup(adjustments.raw("reason"), codes.carc, _carc_table())
    rows = np.flatnonzero(np.array([c.denial or not c.known for c in carcs], bool)[which] & (amount > 0))
    which = which[rows]
    denial = np.array([c.denial for c in carcs], bool)[which]

    # The rows' claims and lines, and what was paid there.
    source, claim_key, line_key = (adjustments.raw(name)[rows] for name in ("source", "claim", "line"))
    claim = _numbered_rows(claims, "claim", source, claim_key)
    at_line = line_key >= 0
    line = line_key.copy()
    line[at_line] = _numbered_rows(lines, "line", source[at_line], line_key[at_line])
    line_paid = _gather(lines.raw("paid_cents"), line, 0)
    claim_paid = claims.raw("paid_cents")[claim]
    patient = adjustments.raw("group").take(rows).equals("PR")
    status = claims.raw("status").take(claim)
    status_key = _packed(status, 4)[0]
    paid = np.where(at_line, line_paid, claim_paid)
    keep = np.flatnonzero((status_key != _key("22")) & (denial | (~patient & (paid == 0))))
    rows, source, claim_key, line_key, claim, line, at_line, line_paid, claim_paid, patient, which, status_key = (
        a[keep] for a in (rows, source, claim_key, line_key, claim, line, at_line, line_paid, claim_paid, patient,
                          which, status_key))
    status = status.take(keep)

    # Scope (DOMAIN.md 4.3): the whole claim, a line paid nothing, or a reduction.
    claim_charge = claims.raw("charge_cents")[claim]
    adjudicated = np.isin(status_key, [_key(code) for code in codes.ADJUDICATED])
    whole = (status_key == _key("4")) | (adjudicated & (claim_paid == 0) & (claim_charge > 0))
    scope = np.where(whole, 0, np.where(at_line & (line_paid == 0), 1, 2))

    # Kind: patient-liable, soft (bundled into a paid sibling line), or hard.
    soft = np.flatnonzero(np.array([c.soft for c in carcs], bool)[which])
    if len(soft):
        first, end = _claim_lines(lines, source[soft], claim_key[soft])
        paid_before = np.concatenate([[0], np.cumsum(lines.raw("paid_cents") > 0)])
        soft = soft[paid_before[end] - paid_before[first] - (line_paid[soft] > 0) > 0]
    kind = np.zeros(len(rows), np.int64)
    kind[soft] = 1
    kind[patient] = 2

    # Category, refined by remark codes for generic and unclassified CARCs.
    category = np.array([CATEGORIES.index(c.category) for c in carcs], np.int64)[which]
    refinable = np.array([c.refine or not c.known for c in carcs], bool)[which]
    remarks = tables["remarks"]
    remark, remark_category = _refining_remarks(remarks, source, claim_key, line_key, refinable)
    category[remark >= 0] = remark_category[remark >= 0]

    playbook_keys, playbook = _playbook_index(book, category, kind)
    payments = tables["payments"]
    transaction = adjustments.raw("transaction")[rows]
    payment = _payment_rows(payments, Table({"source": source, "transaction": transaction}))
    columns = {
        "source": source,
        "file": _categorical(list(names or []), source, default=""),
        "transaction": transaction,
        "claim": claim_key,
        "line": line_key,
        "level": adjustments.raw("level").take(rows),
        "payer": lambda: _take(payments.raw("payer_name"), payment),
        "payer_id": lambda: _take(payments.raw("payer_id"), payment),
        "payment_date": _gather(payments.raw("payment_date"), payment, NAT),
        "patient_control_number": lambda: claims.raw("patient_control_number").take(claim),
        "payer_claim_control_number": lambda: claims.raw("payer_claim_control_number").take(claim),
        "claim_status": status,
        "line_control_number": lambda: _take(lines.raw("line_control_number"), line),
        "procedure_code": lambda: _take(lines.raw("procedure_code"), line),
        "modifiers": lambda: _modifiers(lines, line),
        "service_date": _service_dates(claims, lines, source, claim_key, claim, line),
        "group": adjustments.raw("group").take(rows),
        "carc": adjustments.raw("reason").take(rows),
        "rarcs": lambda: _rarc_lists(remarks, source, claim_key, line_key),
        "category": _categorical(CATEGORIES, category),
        "refined_by": lambda: _take(remarks.raw("code"), remark),
        "kind": _categorical(list(KINDS), kind),
        "scope": _categorical(list(SCOPES), scope),
        "amount_cents": amount[rows],
        "charge_cents": np.where(at_line, _gather(lines.raw("charge_cents"), line, 0), claim_charge),
        "paid_cents": np.where(at_line, line_paid, claim_paid),
        "playbook": _categorical(playbook_keys, playbook),
        "byte_offset": lambda: adjustments.raw("byte_offset")[rows],
        "segment_number": lambda: adjustments.raw("segment_number")[rows],
    }
    return Table({name: columns[name] for name in COLUMNS}, {"line": ~at_line}, len(rows))


# --- matching code texts without decoding them ------------------------------------------------------

class _CodeTable:
    """A list's codes, found among cells by integer: each code of up to `width` bytes packed
    little-endian (`_packed`), looked up through a multiplicative hash that has no collisions
    among the list's codes (found once, when the table is made)."""

    def __init__(self, entries: Mapping[str, object]):
        self.values = list(entries.values())
        self.width = 4 if max(map(len, entries)) <= 4 else 8
        self.keys = np.array([_key(code) for code in entries], np.uint64)
        self.bits = max(len(entries) - 1, 1).bit_length() + 7  # about 128 slots a code
        odd_multiples = ((0x9E3779B97F4A7C15 * k) % (1 << 64) for k in range(1, 1 << 20, 2))
        self.multiplier = next(m for m in odd_multiples
                               if len(np.unique(self._hash(self.keys, np.uint64(m)))) == len(entries))
        self.slots = np.zeros(1 << self.bits, np.int32)  # empty slots point at any code: the keys differ
        self.slots[self._hash(self.keys, np.uint64(self.multiplier))] = np.arange(len(entries))

    def _hash(self, keys: np.ndarray, multiplier: np.uint64) -> np.ndarray:
        return (keys.astype(np.uint64) * multiplier) >> np.uint64(64 - self.bits)

    def find(self, column: StringColumn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The index in `values` of each cell's code (-1 when not in the list), and the cells'
        packed keys with where they hold the whole cell."""
        keys, fits = _packed(column, self.width)
        at = self.slots[self._hash(keys, np.uint64(self.multiplier))]
        return np.where(fits & (self.keys[at] == keys), at, -1), keys, fits


def _key(code: str) -> int:
    """A code as `_packed` packs it."""
    return int.from_bytes(code.encode(), "little")


def _packed(column: StringColumn, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's bytes as one little-endian integer of `width` (4 or 8) bytes, zero-padded, and
    where that holds the whole cell (not for longer cells, nor the buffer's last bytes)."""
    length = column.end - column.start
    if len(column.buf) < width:
        return np.zeros(len(column), np.uint64), np.zeros(len(column), bool)
    dtype = np.dtype("<u4" if width == 4 else "<u8")
    windows = np.ndarray((len(column.buf) - width + 1,), dtype=dtype, buffer=column.buf, strides=(1,))
    fits = (length <= width) & (column.start < len(windows))
    masks = np.array([(1 << (8 * k)) - 1 for k in range(width + 1)], dtype)
    return windows[np.where(fits, column.start, 0)] & masks[np.where(fits, length, 0)], fits


def _lookup(column: StringColumn, function: Callable, table: _CodeTable) -> tuple[list, np.ndarray]:
    """`function(text)` for every cell, as (values, index of each cell's value). Codes of `table`
    are found by integer; `function` runs once per other distinct code (codes outside the table,
    lower case, surrounding spaces), and once per cell for cells longer than the table's width."""
    index, keys, fits = table.find(column)
    values = list(table.values)
    missed = np.flatnonzero(index < 0)
    if len(missed):
        short = missed[fits[missed]]
        _, first, inverse = np.unique(keys[short], return_index=True, return_inverse=True)
        index[short] = len(values) + inverse
        values += [function(text) for text in column.take(short[first]).to_numpy().tolist()]
        long = missed[~fits[missed]]
        index[long] = len(values) + np.arange(len(long))
        values += [function(text) for text in column.take(long).to_numpy().tolist()]
    return values, index


@functools.cache
def _carc_table() -> _CodeTable:
    return _CodeTable(codes.carcs())


def _rarc_category(code: str) -> int:
    """The index in CATEGORIES of a RARC's category, -1 when it has none."""
    category = codes.rarc(code).category
    return CATEGORIES.index(category) if category else -1


@functools.cache
def _rarc_table() -> _CodeTable:
    return _CodeTable({code: _rarc_category(code) for code in codes.rarcs()})


@functools.cache
def _default_playbooks() -> dict:
    """The bundled playbooks, read once (this module only reads them)."""
    return codes.playbooks()


# --- remark codes ------------------------------------------------------------------------------------

def _remark_rows(remarks: Table) -> np.ndarray:
    """The remarks that are RARCs: MOA and MIA codes and LQ*HE (LQ*RX are NCPDP codes)."""
    return ~remarks.raw("segment_id").equals("LQ") | remarks.raw("qualifier").equals("HE")


def _refining_remarks(remarks: Table, sources: np.ndarray, claims: np.ndarray,
                      lines: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each denial row (its source, claim and line keys) that `wanted` refining, the remark
    row of the first RARC with a category of ours, on its line first, then on its claim (-1 when
    none), and the index of that category in CATEGORIES."""
    found, category = np.full(len(sources), -1, np.int64), np.full(len(sources), -1, np.int64)
    if not wanted.any() or not len(remarks):
        return found, category
    rarcs = np.flatnonzero(_remark_rows(remarks))
    remark_lines = remarks.raw("line")[rarcs]
    for level, rows, keys in (("line", rarcs[remark_lines >= 0], lines), ("claim", rarcs[remark_lines < 0], claims)):
        ask = np.flatnonzero(wanted & (found < 0) & (keys >= 0))
        asked = sources[ask] * KEY_SPAN + keys[ask]
        rows = rows[np.isin(remarks.raw("source")[rows] * KEY_SPAN + remarks.raw(level)[rows], asked)]
        found_categories, which = _lookup(remarks.raw("code").take(rows), _rarc_category, _rarc_table())
        index = np.array(found_categories, np.int64)[which]
        rows, index = rows[index >= 0], index[index >= 0]
        # Remarks are in reading order: np.unique's first index is each owner's first remark.
        owners, first = np.unique(remarks.raw("source")[rows] * KEY_SPAN + remarks.raw(level)[rows], return_index=True)
        at = np.minimum(np.searchsorted(owners, asked), max(len(owners) - 1, 0))
        hit = (owners[at] == asked) if len(owners) else np.zeros(len(asked), bool)
        found[ask[hit]] = rows[first[at[hit]]]
        category[ask[hit]] = index[first[at[hit]]]
    return found, category


def _rarc_lists(remarks: Table, sources, claims, lines) -> StringColumn:
    """Each row's RARCs, comma-separated: its line's LQ*HE codes, then its claim's MOA/MIA codes."""
    rarc_rows = np.flatnonzero(_remark_rows(remarks))
    text = remarks.raw("code").take(rarc_rows).to_numpy().tolist()
    remark_lines = remarks.raw("line")[rarc_rows].tolist()
    by_line, by_claim = defaultdict(list), defaultdict(list)
    for source, claim, line, code in zip(remarks.raw("source")[rarc_rows].tolist(),
                                         remarks.raw("claim")[rarc_rows].tolist(), remark_lines, text):
        (by_line[source, line] if line >= 0 else by_claim[source, claim]).append(code)
    return StringColumn.from_strings([
        ",".join(by_line.get((source, line), []) + by_claim.get((source, claim), []))
        for source, claim, line in zip(sources.tolist(), claims.tolist(), lines.tolist())
    ])


# --- other columns -----------------------------------------------------------------------------------

def _gather(values: np.ndarray, rows: np.ndarray, default) -> np.ndarray:
    """values[rows], `default` where a row is -1 (no such row)."""
    out = np.full(len(rows), default, values.dtype)
    present = rows >= 0
    out[present] = values[rows[present]]
    return out


def _take(column: StringColumn, rows: np.ndarray) -> StringColumn:
    """The cells of `rows`, empty where a row is -1 (no such row)."""
    if not len(column):  # then every row is -1
        return StringColumn(b"", np.zeros(len(rows), np.int64), np.zeros(len(rows), np.int64))
    return StringColumn(column.buf, _gather(column.start, rows, 0), _gather(column.end, rows, 0))


def _categorical(values: list[str], index: np.ndarray, default: str | None = None) -> StringColumn:
    """A text column of a few distinct values: cell r is values[index[r]] (or `default` when the
    index is outside `values`), as spans of one small buffer."""
    if default is not None:
        values = values + [default]
        index = np.where((index >= 0) & (index < len(values) - 1), index, len(values) - 1)
    cells = StringColumn.from_strings(values)
    return StringColumn(cells.buf, cells.start[index], cells.end[index])


def _playbook_index(book: dict, category: np.ndarray, kind: np.ndarray):
    """The playbook key of each row: "category:kind" when the book has it, else the category."""
    keys = [f"{name}:{k}" if f"{name}:{k}" in book["playbooks"] else name for name in CATEGORIES for k in KINDS]
    return keys, category * len(KINDS) + kind


def _line_claims(claims: Table, lines: Table) -> np.ndarray:
    """The claims row of every service line."""
    return _numbered_rows(claims, "claim", lines.raw("source"), lines.raw("claim"))


def _claim_lines(lines: Table, sources: np.ndarray, claim_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows [first, end) of the lines of each (source, claim key): lines are in reading order,
    so a claim's lines follow each other and their keys are sorted."""
    keys = lines.raw("source") * KEY_SPAN + lines.raw("claim")
    wanted = sources * KEY_SPAN + claim_keys
    return np.searchsorted(keys, wanted, "left"), np.searchsorted(keys, wanted, "right")


def _service_dates(claims: Table, lines: Table, sources: np.ndarray, claim_keys: np.ndarray, claim: np.ndarray,
                   line: np.ndarray) -> np.ndarray:
    """A line's service date (DTM*472 or 150); for a claim adjustment the statement start
    (DTM*232), else the earliest date of the claim's lines."""
    dates = np.where(line >= 0, _gather(lines.raw("service_start"), line, NAT), claims.raw("statement_from")[claim])
    missing = np.flatnonzero(np.isnat(dates) & (line < 0))
    if len(missing):
        first, end = _claim_lines(lines, sources[missing], claim_keys[missing])
        never = np.iinfo(np.int64).max
        starts = lines.raw("service_start")
        starts = np.append(np.where(np.isnat(starts), never, starts.view(np.int64)), never)
        earliest = np.minimum.reduceat(starts, np.stack([first, end], 1).ravel())[::2]
        earliest = np.where(end > first, earliest, never)
        dates[missing] = np.where(earliest == never, NAT, earliest.astype("datetime64[D]"))
    return dates


def _modifiers(lines: Table, line: np.ndarray) -> StringColumn:
    """The line's modifiers joined by ":" ("" at claim level)."""
    columns = [_take(lines.raw(f"modifier_{k}"), line).to_numpy().tolist() for k in range(1, 5)]
    return StringColumn.from_strings([":".join(m for m in mods if m) for mods in zip(*columns)])


# --- the work queue and the summary ------------------------------------------------------------------

def queue(denials: Table, playbooks: dict | None = None) -> list[dict]:
    """The work queue: every denial row, oldest payment date first and then largest amount, with
    what its playbook says (owner, action, what to correct and attach, turn time in days, the
    replacement-claim fields for correct-and-resubmit) and the CARC's official description when
    descriptions are loaded."""
    book = playbooks if playbooks is not None else _default_playbooks()
    dates = denials.raw("payment_date").view(np.int64)
    dates = np.where(dates == np.iinfo(np.int64).min, np.iinfo(np.int64).max, dates)  # unknown dates last
    order = np.lexsort((-denials.raw("amount_cents"), dates))
    rows = list(denials.rows())
    result = []
    for r in order.tolist():
        row = rows[r]
        entry = book["playbooks"][row["playbook"]]
        resubmit = ""
        if entry["action"] == "correct_resubmit":
            resubmit = f"CLM05-3=7 REF*F8={row['payer_claim_control_number']}"
        result.append({**row, "owner": entry["owner"], "action": entry["action"], "correct": entry["correct"],
                       "attach": "; ".join(entry["attach"]), "turn_days": entry["turn_days"], "resubmit": resubmit,
                       "carc_description": codes.description("carc", row["carc"])})
    return result


def summarize(tables: Mapping[str, Table], denials: Table, top: int = 10) -> dict:
    """Denial rates and top lists, as JSON-able data (money in cents):

    - `claims`, `lines`: what was remitted (reversals, CLP02 = 22, left out): count, charges;
    - `denied_claims`: claims fully denied (CLP02 = 4, or a `scope` "claim" row); `hard`: those
      with a row that is not soft, or with no denial row at all;
    - `denied_lines`: lines paid nothing (SVC03 = 0) with a line denial row; `hard` likewise;
    - `rates`: denied / remitted, by count and by charges (`*_by_dollars`), all and hard;
    - `denied_cents`: the denial amounts, in all and by kind (hard, soft, patient);
    - `top`: categories, CARCs (group-CARC), payers and procedures by denied amount."""
    claims, lines = tables["claims"], tables["service_lines"]
    reversal = claims.raw("status").equals("22")
    row_claims = _numbered_rows(claims, "claim", denials.raw("source"), denials.raw("claim"))
    hard_row = ~denials.raw("kind").equals("soft")
    denied = claims.raw("status").equals("4") | _marked(len(claims), row_claims[denials.raw("scope").equals("claim")])
    denied &= ~reversal
    hard = denied & (_marked(len(claims), row_claims[hard_row]) | ~_marked(len(claims), row_claims))

    line_owner = _line_claims(claims, lines)
    remitted_lines = ~reversal[line_owner]
    at_line = ~denials.nulls("line")
    row_lines = _numbered_rows(lines, "line", denials.raw("source")[at_line], denials.raw("line")[at_line])
    line_denied = _marked(len(lines), row_lines)
    line_hard = _marked(len(lines), row_lines[hard_row[at_line]])
    nothing_paid = (lines.raw("paid_cents") == 0) & remitted_lines
    amounts = denials.raw("amount_cents")
    kinds = {kind: denials.raw("kind").equals(kind) for kind in KINDS}

    claim_charge, line_charge = claims.raw("charge_cents"), lines.raw("charge_cents")
    counted = {
        "claims": _count(~reversal, claim_charge),
        "lines": _count(remitted_lines, line_charge),
        "denied_claims": {"all": _count(denied, claim_charge), "hard": _count(hard, claim_charge)},
        "denied_lines": {"all": _count(line_denied & nothing_paid, line_charge),
                         "hard": _count(line_hard & nothing_paid, line_charge)},
    }
    rates = {}
    for level, total in (("claims", counted["claims"]), ("lines", counted["lines"])):
        for which in ("all", "hard"):
            part = counted[f"denied_{level}"][which]
            rates.setdefault(f"{level}_by_count", {})[which] = _rate(part["count"], total["count"])
            rates.setdefault(f"{level}_by_dollars", {})[which] = _rate(part["charge_cents"], total["charge_cents"])
    return {
        **counted,
        "rates": rates,
        "denied_cents": {"all": int(amounts.sum()), "by_kind": {k: int(amounts[m].sum()) for k, m in kinds.items()}},
        "top": _tops(denials, top),
        "denials": len(denials),
        "code_versions": codes.versions(),
    }


def _marked(n: int, rows: np.ndarray) -> np.ndarray:
    """n flags, True at `rows`."""
    marked = np.zeros(n, bool)
    marked[rows] = True
    return marked


def _count(mask: np.ndarray, charges: np.ndarray) -> dict:
    return {"count": int(mask.sum()), "charge_cents": int(charges[mask].sum())}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _tops(denials: Table, top: int) -> dict:
    """The largest groups of denial rows by amount, for each of the report's dimensions."""
    amounts = denials.raw("amount_cents").tolist()
    dimensions = {
        "categories": denials.column("category").tolist(),
        "carcs": [f"{g}-{c}" for g, c in zip(denials.column("group").tolist(), denials.column("carc").tolist())],
        "payers": denials.column("payer").tolist(),
        "procedures": denials.column("procedure_code").tolist(),
    }
    result = {}
    for name, keys in dimensions.items():
        totals: dict[str, list[int]] = {}
        for key, amount in zip(keys, amounts):
            if key:
                entry = totals.setdefault(key, [0, 0])
                entry[0] += 1
                entry[1] += amount
        ranked = sorted(totals.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))[:top]
        result[name] = [{"key": key, "label": _label(name, key), "count": count, "amount_cents": cents}
                        for key, (count, cents) in ranked]
    return result


def _label(dimension: str, key: str) -> str:
    """What to print beside a top-list key: the category's or the CARC's label (the official
    description when loaded)."""
    if dimension == "categories":
        return codes.CATEGORIES.get(key, "")
    if dimension == "carcs":
        code = key.partition("-")[2]
        return codes.description("carc", code) or codes.carc(code).label
    return ""


# --- the command ---------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `edi denials`."""
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="835 files, or directories of them")
    parser.add_argument("--csv", metavar="QUEUE.csv", help="write the whole work queue as CSV")
    parser.add_argument("--json", action="store_true", help="print the summary and the work queue as JSON")
    parser.add_argument("--playbooks", metavar="FILE", help="a JSON file overriding the playbooks")
    parser.add_argument("--descriptions", metavar="CSV", help="official code descriptions (a CSV file)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="rows of each top list (default 10)")
    parser.add_argument("--strict", action="store_true", help="reject files that need repairs")


def run(args: argparse.Namespace) -> int:
    """`edi denials`: read the files, print the denial report (text or JSON), write the queue
    CSV. A file that cannot be read is reported on stderr and the others go on; exit status 1
    if any failed or an option file is wrong."""
    from . import read_file

    try:
        book = codes.playbooks(args.playbooks)
        if args.descriptions:
            codes.load_descriptions(args.descriptions)
    except (OSError, EdiError) as error:
        print(f"edi denials: {error}", file=sys.stderr)
        return 1
    status, documents, names = 0, [], []
    for path in _files(args.paths):
        try:
            documents.append(read_file(path, strict=args.strict))
            names.append(path)
        except (OSError, EdiError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            status = 1
    tables = extract_batch(documents)
    denials = extract(tables, names=names, playbooks=book)
    summary = summarize(tables, denials, args.top)
    work = queue(denials, book)
    if args.csv:
        write_queue(work, args.csv)
    if args.json:
        json.dump({"files": names, "summary": summary, "queue": [_jsonable(row) for row in work]}, sys.stdout, indent=1)
        print()
    else:
        print(render(summary, work, names, book))
    return status


def _files(paths: Sequence[str]) -> list[str]:
    """The paths given, directories replaced by the files under them (sorted, hidden ones left out)."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            found += sorted(str(p) for p in Path(path).rglob("*")
                            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            found.append(path)
    return found


def _jsonable(row: dict) -> dict:
    """A row with its dates as ISO text."""
    return {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in row.items()}


def write_queue(work: list[dict], path: str | os.PathLike) -> None:
    """Write the work queue as CSV (dates ISO, money in cents, nulls empty), atomically."""
    names = list(COLUMNS) + list(PLAYBOOK_COLUMNS)
    partial = f"{os.fspath(path)}.partial"
    with open(partial, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for row in map(_jsonable, work):
            writer.writerow(["" if row[n] is None else row[n] for n in names])
    os.replace(partial, path)


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


QUEUE_LINES = 20


def render(summary: dict, work: list[dict], names: Sequence[str] = (), playbooks: dict | None = None) -> str:
    """The text report: rates, top lists and the head of the work queue."""
    book = playbooks if playbooks is not None else _default_playbooks()
    claims, lines = summary["claims"], summary["lines"]
    out = [f"{len(names)} files: {claims['count']:,} claims ({_money(claims['charge_cents'])} charged),"
           f" {lines['count']:,} lines; {summary['denials']:,} denial adjustments"]
    out.append("")
    out.append(f"  {'denial rate':<22}{'count':>22}{'%':>8}{'charges':>30}{'%':>8}")
    for level in ("claims", "lines"):
        for which in ("all", "hard"):
            part, total = summary[f"denied_{level}"][which], summary[level]
            rates = summary["rates"]
            out.append(f"  {level + ' (' + which + ')':<22}{part['count']:>11,} of {total['count']:<8,}"
                       f"{_percent(rates[f'{level}_by_count'][which]):>8}"
                       f"{_money(part['charge_cents']):>15} of {_money(total['charge_cents']):<11}"
                       f"{_percent(rates[f'{level}_by_dollars'][which]):>8}")
    cents = summary["denied_cents"]
    kinds = cents["by_kind"]
    out.append(f"  denied amounts: {_money(cents['all'])} (hard {_money(kinds['hard'])},"
               f" soft bundling {_money(kinds['soft'])}, patient-liable {_money(kinds['patient'])})")
    titles = {"categories": "categories", "carcs": "reason codes", "payers": "payers", "procedures": "procedures"}
    for name, title in titles.items():
        rows = summary["top"][name]
        if not rows:
            continue
        out += ["", f"  top {title} by denied amount"]
        for row in rows:
            out.append(f"    {row['key'][:23]:<24}{row['count']:>8,}{_money(row['amount_cents']):>16}  {row['label']}")
    out += ["", f"  work queue: {len(work):,} denials, oldest payment first, then largest"]
    out.append(f"    {'paid on':<11}{'payer':<18}{'claim':<16}{'payer claim':<16}{'proc':<7}{'reason':<9}"
               f"{'remarks':<12}{'amount':>12}  {'kind':<8}{'owner':<14}action")
    for row in work[:QUEUE_LINES]:
        date = row["payment_date"].isoformat() if row["payment_date"] else "-"
        out.append(f"    {date:<11}{row['payer'][:17]:<18}{row['patient_control_number'][:15]:<16}"
                   f"{row['payer_claim_control_number'][:15]:<16}{row['procedure_code'][:6]:<7}"
                   f"{row['group'] + '-' + row['carc']:<9}{row['rarcs'][:11]:<12}{_money(row['amount_cents']):>12}"
                   f"  {row['kind']:<8}{book['owners'][row['owner']]:<14}{row['action']}")
    if len(work) > QUEUE_LINES:
        out.append(f"    ... {len(work) - QUEUE_LINES:,} more (--csv QUEUE.csv writes them all)")
    return "\n".join(out)


__all__ = ["COLUMNS", "KINDS", "SCOPES", "add_arguments", "extract", "queue", "render", "run", "summarize",
           "write_queue"]
