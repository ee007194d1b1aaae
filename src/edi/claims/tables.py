"""The three 837 tables (claims, service_lines, diagnoses), made with numpy from the attribution
of structure.py: each column gathers one element of the segments that hold it, for all rows at
once. No Python object is made per claim, line or segment.

    tables = extract(edi.read_file("claims.837"))      # or ClaimBatch.tables
    tables["claims"].column("charge_cents")             # int64 cents
    tables["service_lines"].to_pandas()

Keys link the rows: `source` (the position of the document in a batch), `transaction` (the
position of the transaction among its document's transactions), `claim` and `line` (0-based
numbers in the source: `claims` row `claim` and `service_lines` row `line` of a single source are
the rows they name). Every row has the `byte_offset` and `segment_number` of its segment (CLM,
LX, HI). Amounts are int64 cents (null when absent or unreadable; finer amounts are rounded
half-even, the objects keep them exact), units float64, dates datetime64[D] (NaT when absent),
text StringColumns pointing into the document's bytes.

The patient columns of a claim are its 2010CA patient's, or its subscriber's when the
subscriber is the patient (no 2000C). `billing_npi` and `rendering_npi` are NM109: an NPI in
5010 (NM108 XX); 4010 files may carry other ids there.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..model import Document
from ..table import StringColumn, Table
from . import values
from .objects import DIAGNOSIS_QUALIFIERS, POINTED_QUALIFIERS, PRINCIPAL_QUALIFIERS, SERVICE_ELEMENTS
from .structure import BILLING, CLAIM, LINE, PATIENT, SERVICES, SUBSCRIBER, Structure, structure, tag

LOCATION = ("byte_offset", "segment_number")
COLUMNS = {
    "claims": ("source", "transaction", "claim", "kind", "claim_id", "charge_cents", "line_charge_cents",
               "facility_code", "facility_qualifier", "frequency", "billing_npi", "billing_name", "billing_tax_id",
               "subscriber_id", "subscriber_last_name", "subscriber_first_name", "filing_indicator", "payer_id",
               "payer_name", "patient_last_name", "patient_first_name", "patient_birth_date", "patient_gender",
               "rendering_npi", "prior_claim_number", "statement_from", "statement_to", "lines", "diagnoses",
               "principal_diagnosis") + LOCATION,
    "service_lines": ("source", "transaction", "claim", "line", "line_number", "procedure_qualifier",
                      "procedure_code", "modifier_1", "modifier_2", "modifier_3", "modifier_4", "charge_cents",
                      "unit_basis", "units", "place_of_service", "pointer_1", "pointer_2", "pointer_3", "pointer_4",
                      "revenue_code", "service_from", "service_to", "line_control_number", "rendering_npi") + LOCATION,
    "diagnoses": ("source", "transaction", "claim", "sequence", "qualifier", "code", "pointer",
                  "present_on_admission", "element") + LOCATION,
}
KINDS = b"PID"  # the `kind` cells, as spans of one buffer


def extract(document: Document) -> dict[str, Table]:
    """The three tables of the 837 transactions of a document (as read)."""
    return extract_structure(structure(document))


def extract_batch(structures: Sequence[Structure]) -> dict[str, Table]:
    """The tables of several documents' attributions, `source` numbering them in order."""
    parts = [extract_structure(s, source) for source, s in enumerate(structures)]
    if not parts:
        raise ValueError("no documents to extract claims from")
    return {name: Table.concat([part[name] for part in parts]) for name in COLUMNS}


def extract_structure(s: Structure, source: int = 0) -> dict[str, Table]:
    """The three tables of one document's attribution (`source`: its position in a batch)."""
    lines = _lines(s, source)
    diagnoses, principal = _diagnoses(s, source)
    return {"claims": _claims(s, source, lines, diagnoses, principal), "service_lines": lines, "diagnoses": diagnoses}


def _pick(array: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """array[rows], -1 where rows is -1."""
    return np.where(rows >= 0, array[np.maximum(rows, 0)], -1) if len(array) else np.full(len(rows), -1, np.int64)


def _gather(column: StringColumn, rows: np.ndarray) -> StringColumn:
    """The cells `rows` of a text column ("" where the row is -1)."""
    return StringColumn(column.buf, np.maximum(_pick(column.start, rows), 0), np.maximum(_pick(column.end, rows), 0))


def _text(index, segments: np.ndarray, element, component: int = 0):
    """A text column made when first used: reading text is most of the cost of a table."""
    return lambda: values.text(index, segments, element, component)


def _common(s: Structure, source: int, segments: np.ndarray, transactions: np.ndarray) -> dict:
    """The source and transaction keys, and the location of each row's segment."""
    index = s.index
    return {
        "source": np.full(len(segments), source, np.int64),
        "transaction": s.numbers[transactions] if len(s.numbers) else np.zeros(0, np.int64),
        "byte_offset": index.base_offset + index.seg_start[segments],
        "segment_number": index.base_segment + segments + 1,
    }


def _claims(s: Structure, source: int, lines: Table, diagnoses: Table, principal: np.ndarray) -> Table:
    """One row per CLM; `principal` marks the diagnoses rows that are principal diagnoses."""
    index, n = s.index, len(s.claim_at)
    clm = s.claim_at
    billing, subscriber, patient = (s.ancestor(s.claim_level, zone) for zone in (BILLING, SUBSCRIBER, PATIENT))
    levels = len(s.level_at)
    per_level = lambda *where: s.first_per(s.find(*where), s.level_of, levels)  # noqa: E731
    per_claim = lambda *where, **kw: s.first_per(s.find(*where, **kw), s.claim_of, n)  # noqa: E731
    billing_nm1 = _pick(per_level("NM1", BILLING, "85"), billing)
    subscriber_nm1 = _pick(per_level("NM1", SUBSCRIBER, "IL"), subscriber)
    payer_nm1 = _pick(per_level("NM1", SUBSCRIBER, "PR"), subscriber)
    sbr = _pick(s.first_per(s.find("SBR", SUBSCRIBER, direct=True), s.level_of, levels), subscriber)
    patient_nm1 = np.where(patient >= 0, _pick(per_level("NM1", PATIENT, "QC"), patient), subscriber_nm1)
    dmg = s.member(patient_nm1, s.find("DMG", (SUBSCRIBER, PATIENT), direct=False))
    billing_tax_id = s.member(billing_nm1, s.find("REF", BILLING, ("EI", "SY"), direct=False))
    statement_from, statement_to = values.periods(index, per_claim("DTP", CLAIM, "434", direct=True))
    charge, charge_null = values.cents(index, clm, 2)
    line_charge = np.zeros(n, np.int64)
    np.add.at(line_charge, lines.raw("claim"), np.where(lines.nulls("charge_cents"), 0, lines.raw("charge_cents")))
    line_charge_null = np.bincount(lines.raw("claim"), minlength=n) == 0
    line_charge_null[lines.raw("claim")[lines.nulls("charge_cents")]] = True
    kinds = np.array(["PID".index(kind) for kind in s.kinds], np.int64)[s.claim_transaction] if n else np.zeros(0, np.int64)
    claim_keys = diagnoses.raw("claim")
    principal = np.flatnonzero(principal)
    principal_at = np.full(n, -1, np.int64)
    owned, first = np.unique(claim_keys[principal], return_index=True)
    principal_at[owned] = principal[first]
    columns = {
        **_common(s, source, clm, s.claim_transaction),
        "claim": np.arange(n, dtype=np.int64),
        "kind": StringColumn(KINDS, kinds, kinds + 1),
        "claim_id": _text(index, clm, 1),
        "charge_cents": charge,
        "line_charge_cents": line_charge,
        "facility_code": _text(index, clm, 5, 1),
        "facility_qualifier": _text(index, clm, 5, 2),
        "frequency": _text(index, clm, 5, 3),
        "billing_npi": _text(index, billing_nm1, 9),
        "billing_name": _text(index, billing_nm1, 3),
        "billing_tax_id": _text(index, billing_tax_id, 2),
        "subscriber_id": _text(index, subscriber_nm1, 9),
        "subscriber_last_name": _text(index, subscriber_nm1, 3),
        "subscriber_first_name": _text(index, subscriber_nm1, 4),
        "filing_indicator": _text(index, sbr, 9),
        "payer_id": _text(index, payer_nm1, 9),
        "payer_name": _text(index, payer_nm1, 3),
        "patient_last_name": _text(index, patient_nm1, 3),
        "patient_first_name": _text(index, patient_nm1, 4),
        "patient_birth_date": values.dates(index, dmg, 2),
        "patient_gender": _text(index, dmg, 3),
        "rendering_npi": _text(index, per_claim("NM1", CLAIM, "82"), 9),
        "prior_claim_number": _text(index, per_claim("REF", CLAIM, "F8", direct=True), 2),
        "statement_from": statement_from,
        "statement_to": statement_to,
        "lines": np.bincount(lines.raw("claim"), minlength=n).astype(np.int64),
        "diagnoses": np.bincount(claim_keys, minlength=n).astype(np.int64),
        "principal_diagnosis": lambda: _gather(diagnoses.raw("code"), principal_at),
    }
    nulls = {"charge_cents": charge_null, "line_charge_cents": line_charge_null}
    return Table({c: columns[c] for c in COLUMNS["claims"]}, nulls, n)


def _lines(s: Structure, source: int) -> Table:
    index, n = s.index, len(s.line_at)
    service = s.services()
    layout = np.zeros((n, 7), np.int64)  # element numbers of each line's service segment's fields
    service_tags = _pick(s.tag.astype(np.int64), service)
    for sid in SERVICES:
        layout[service_tags == tag(sid)] = SERVICE_ELEMENTS[sid]
    procedure, charge_at, basis, units_at, place, pointers, revenue = layout.T
    charge, charge_null = values.cents(index, service, charge_at)
    units = values.quantities(index, service, units_at)
    service_from, service_to = values.periods(index, s.first_per(s.find("DTP", LINE, "472", direct=True), s.line_of, n))
    claims = s.line_claim
    line_number, line_number_null = values.integers(index, s.line_at, 1)
    pointer = [values.integers(index, service, pointers, p) for p in range(1, 5)]
    columns = {
        **_common(s, source, s.line_at, s.transaction_of(s.line_at)),
        "claim": claims,
        "line": np.arange(n, dtype=np.int64),
        "line_number": line_number,
        "procedure_qualifier": _text(index, service, procedure, 1),
        "procedure_code": _text(index, service, procedure, 2),
        **{f"modifier_{m}": _text(index, service, procedure, m + 2) for m in range(1, 5)},
        "charge_cents": charge,
        "unit_basis": _text(index, service, basis),
        "units": units,
        "place_of_service": _text(index, service, place),
        **{f"pointer_{p}": pointer[p - 1][0] for p in range(1, 5)},
        "revenue_code": _text(index, service, revenue),
        "service_from": service_from,
        "service_to": service_to,
        "line_control_number": _text(index, s.first_per(s.find("REF", LINE, "6R", direct=True), s.line_of, n), 2),
        "rendering_npi": _text(index, s.first_per(s.find("NM1", LINE, "82"), s.line_of, n), 9),
    }
    nulls = {"charge_cents": charge_null, "units": np.isnan(units), "line_number": line_number_null,
             **{f"pointer_{p}": pointer[p - 1][1] for p in range(1, 5)}}
    return Table({c: columns[c] for c in COLUMNS["service_lines"]}, nulls, n)


def _diagnoses(s: Structure, source: int) -> tuple[Table, np.ndarray]:
    """One row per HI composite of a claim whose qualifier is a diagnosis's, and which of those
    rows are principal diagnoses."""
    index = s.index
    hi = s.find("HI", CLAIM, direct=True)
    counts = (index.elem_ptr[hi + 1] - index.elem_ptr[hi]).astype(np.int64)
    segments = np.repeat(hi, counts)
    elements = np.arange(len(segments), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    qualifiers = values.codes(index, segments, elements, 1)
    keep = np.isin(qualifiers, [values.code(c) for c in DIAGNOSIS_QUALIFIERS])
    segments, elements, qualifiers = segments[keep], elements[keep], qualifiers[keep]
    pointed = np.isin(qualifiers, [values.code(c) for c in POINTED_QUALIFIERS])
    principal = np.isin(qualifiers, [values.code(c) for c in PRINCIPAL_QUALIFIERS])
    claim = s.claim_of(segments)
    columns = {
        **_common(s, source, segments, s.transaction_of(segments)),
        "claim": claim,
        "sequence": _rank(claim, np.ones(len(claim), bool)),
        "qualifier": _text(index, segments, elements, 1),
        "code": _text(index, segments, elements, 2),
        "pointer": _rank(claim, pointed),
        "present_on_admission": _text(index, segments, elements, 9),
        "element": elements,
    }
    table = Table({c: columns[c] for c in COLUMNS["diagnoses"]}, {"pointer": ~pointed}, len(segments))
    return table, principal


def _rank(groups: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """1-based rank of each counted row among the counted rows of its group (rows sorted by
    group); 0 for rows not counted."""
    running = np.cumsum(counted)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(groups) else np.zeros(0, np.int64)
    before = np.repeat(running[starts] - counted[starts], np.diff(np.r_[starts, len(groups)]))
    return np.where(counted, running - before, 0).astype(np.int64)
