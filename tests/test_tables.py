"""Tables: `edi.Table` itself, the six 835 tables (edi.remittance.tables) against an independent
oracle on every corpus 835, balancing findings, and the column kernel against its twin.

The oracle splits each 835 transaction's text on its delimiters and adds amounts with Decimal,
following the attribution rules of `edi._py.remit` (CLP opens a claim, SVC a line, ...) but
none of its code."""
from __future__ import annotations

import csv
import datetime
import os
import re
import sys
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edi
from edi import _backend
from edi.remittance.tables import COLUMNS, balance_findings, concat, extract, extract_batch
from edi.table import StringColumn, Table

from conftest import corpus_files, corpus_id

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
from generate import generate_835  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
needs_cython = pytest.mark.skipif("cython" not in _backend.KERNELS, reason="the Cython extension is not built")
F = edi.FindingCode

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:"


def x835(*body: str, element: str = "*", component: str = ":", control: int = 1) -> bytes:
    """One interchange holding one 835 with these body segments (written with '*' and ':')."""
    segments = ["ST*835*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = ISA.replace("000000001", f"{control:09d}")[:-1] + component
    envelope = [isa, "GS*HP*S*R*20240101*1200*1*X*005010X221A1", *segments, "GE*1*1", f"IEA*1*{control:09d}"]
    text = "~".join(s if s is isa else s.replace(":", component) for s in envelope) + "~"
    return text.replace("*", element).encode()


def x835_sets(*bodies: list[str]) -> bytes:
    """One interchange holding an 835 for each body (control numbers 0001, 0002, ...)."""
    sets = []
    for k, body in enumerate(bodies, 1):
        sets += [f"ST*835*{k:04d}", *body, f"SE*{len(body) + 2}*{k:04d}"]
    envelope = [ISA, "GS*HP*S*R*20240101*1200*1*X*005010X221A1", *sets, f"GE*{len(bodies)}*1", "IEA*1*000000001"]
    return ("~".join(envelope) + "~").encode()


def number(body: list[str], k: int) -> int:
    """Segment number of body[k] in `x835(*body)` (ISA, GS, ST come first)."""
    return k + 4


# --- Table -----------------------------------------------------------------------------------

def sample_table() -> Table:
    return Table(
        {"id": np.array([1, 2, 3]), "name": StringColumn.from_strings(["a", "bé", ""]),
         "cents": np.array([150, 0, -5]), "day": np.array(["2024-01-02", "NaT", "2024-12-31"], "datetime64[D]")},
        {"cents": np.array([False, True, False])},
    )


def test_table_reads_columns_rows_and_nulls():
    table = sample_table()
    assert len(table) == 3 and table.column_names == ["id", "name", "cents", "day"]
    assert table.column("name").tolist() == ["a", "bé", ""]
    assert table.nulls("cents").tolist() == [False, True, False]
    assert table.nulls("day").tolist() == [False, True, False]
    assert table.nulls("id").tolist() == [False] * 3
    assert table[1] == {"id": 2, "name": "bé", "cents": None, "day": None}
    assert table[-1]["day"] == datetime.date(2024, 12, 31)
    assert list(table.rows()) == [table[0], table[1], table[2]]
    assert "3 rows" in repr(table)
    with pytest.raises(IndexError):
        table[3]
    with pytest.raises(ValueError):
        Table({"a": np.zeros(2), "b": np.zeros(3)})


def test_table_columns_can_be_lazy():
    calls = []
    table = Table({"a": np.arange(2), "b": lambda: calls.append(1) or np.array([5, 6])})
    assert not calls
    assert table.column("b").tolist() == [5, 6] and table.column("b").tolist() == [5, 6]
    assert calls == [1]


def test_string_column_equals_compact_and_decode():
    buf = b"PR*CO*PRX*P*\xff\xfe*PR"
    column = StringColumn(buf, np.array([0, 3, 6, 10, 12, 15, 0]), np.array([2, 5, 9, 11, 14, 17, 0]))
    assert column.equals("PR").tolist() == [True, False, False, False, False, True, False]
    assert column.equals("").tolist() == [False] * 6 + [True]
    compact = column.compact()
    assert compact.buf == b"PRCOPRXP\xff\xfePR" and compact.to_numpy().tolist() == column.to_numpy().tolist()
    assert column[4] == b"\xff\xfe".decode("utf-8", "surrogateescape")


def test_concat_keeps_a_shared_buffer_and_copies_others():
    a = StringColumn(b"ABCD", np.array([0, 2]), np.array([2, 4]))
    b = StringColumn(a.buf, np.array([1]), np.array([3]))
    joined = StringColumn.concat([a, b])
    assert joined.buf is a.buf and joined.to_numpy().tolist() == ["AB", "CD", "BC"]
    other = StringColumn.concat([a, StringColumn(b"xyz", np.array([1]), np.array([3]))])
    assert other.buf == b"ABCDyz" and other.to_numpy().tolist() == ["AB", "CD", "yz"]
    table = Table.concat([sample_table(), sample_table()])
    assert len(table) == 6 and table.nulls("cents").tolist() == [False, True, False] * 2
    assert table.column("name").tolist() == ["a", "bé", ""] * 2
    with pytest.raises(ValueError):
        Table.concat([sample_table(), Table({"id": np.zeros(1)})])


def test_to_arrow():
    pa = pytest.importorskip("pyarrow")
    arrow = sample_table().to_arrow()
    assert arrow.schema.types == [pa.int64(), pa.large_string(), pa.int64(), pa.date32()]
    assert arrow.to_pylist() == list(sample_table().rows())
    binary = Table({"raw": StringColumn(b"\xff", np.array([0]), np.array([1]))}).to_arrow()
    assert binary.schema.types == [pa.large_binary()] and binary.column(0).to_pylist() == [b"\xff"]


def test_to_pandas():
    pytest.importorskip("pandas")
    frame = sample_table().to_pandas()
    assert str(frame["cents"].dtype) == "Int64" and frame["cents"].isna().tolist() == [False, True, False]
    assert frame["name"].tolist() == ["a", "bé", ""] and frame["day"].isna().tolist() == [False, True, False]


def test_to_polars():
    pl = pytest.importorskip("polars")
    frame = sample_table().to_polars()
    assert frame.schema["day"] == pl.Date and frame.schema["name"] == pl.String
    assert frame.to_dicts() == list(sample_table().rows())


def test_csv_round_trip(tmp_path):
    path = tmp_path / "t.csv"
    sample_table().write_csv(path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [["id", "name", "cents", "day"], ["1", "a", "150", "2024-01-02"], ["2", "bé", "", ""],
                    ["3", "", "-5", "2024-12-31"]]


def test_parquet_round_trip(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "t.parquet"
    sample_table().write_parquet(path)
    assert pq.read_table(path).to_pylist() == list(sample_table().rows())


def test_a_missing_extra_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(edi.EdiError, match=r"pip install 'edi\[arrow\]'"):
        sample_table().to_arrow()


# --- values ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, cents, code", [
    ("12.5", 1250, None), ("-0.5", -50, None), (".5", 50, None), ("5.", 500, None), ("0", 0, None),
    ("-0", 0, None), ("1.00000", 100, None), ("007.10", 710, None),
    ("12.345", 1234, F.AMOUNT_PRECISION), ("12.355", 1236, F.AMOUNT_PRECISION), ("12.3451", 1235, F.AMOUNT_PRECISION),
    ("-12.345", -1234, F.AMOUNT_PRECISION), ("0.005", 0, F.AMOUNT_PRECISION), ("0.015", 2, F.AMOUNT_PRECISION),
    ("92233720368547758.07", None, F.BAD_AMOUNT), ("92233720368547757", 9223372036854775700, None),
    ("abc", None, F.BAD_AMOUNT), ("1e3", None, F.BAD_AMOUNT), ("+5", None, F.BAD_AMOUNT), (" 5", None, F.BAD_AMOUNT),
    ("-", None, F.BAD_AMOUNT), (".", None, F.BAD_AMOUNT), ("1.2.3", None, F.BAD_AMOUNT), ("1,000", None, F.BAD_AMOUNT),
    ("", None, None),
])
def test_amounts(text, cents, code):
    tables = extract(edi.read(x835("BPR*I*0*C*NON", f"CLP*A*1*{text}*0")))
    claims = tables["claims"]
    assert claims.raw("charge_cents")[0] == (cents or 0) and claims.nulls("charge_cents")[0] == (cents is None)
    assert [f.code for f in tables.findings] == ([code] if code else [])
    if code:
        location = tables.findings[0].location
        assert (location.segment_id, location.segment_number, location.element) == ("CLP", 5, 3)
        assert tables.findings[0].detail == ("rounded half-even in the tables" if cents is not None else "null in the tables")


@pytest.mark.parametrize("text, day", [
    ("20240229", datetime.date(2024, 2, 29)), ("20000229", datetime.date(2000, 2, 29)),
    ("00010101", datetime.date(1, 1, 1)), ("99991231", datetime.date(9999, 12, 31)),
    ("19691231", datetime.date(1969, 12, 31)),
    ("20230229", None), ("19000229", None), ("20241301", None), ("20240100", None), ("00000101", None),
    ("2024022", None), ("2024-02-2", None), ("", None), ("\0" * 8, None),
])
def test_dates(text, day):
    tables = extract(edi.read(x835("BPR*I*0*C*NON", "CLP*A*1*0*0", f"DTM*232*{text}")))
    assert tables["claims"][0]["statement_from"] == day
    assert [f.code for f in tables.findings] == ([F.BAD_DATE] if day is None and text else [])


def test_dates_read_again_are_the_dates_read_first():
    """The kernel remembers the dates it parsed (by their text), from one transaction to the
    next: 300 distinct dates, read again in each of three transactions, and an invalid one
    among them each time, come out as parsed."""
    days = [datetime.date(2020, 1, 1) + datetime.timedelta(days=7 * k) for k in range(300)]
    body = ["BPR*I*0*C*NON"]
    for day in days:
        body += ["CLP*A*1*0*0", f"DTM*232*{day:%Y%m%d}", "DTM*233*20230229"]
    document = edi.read(x835_sets(body, body, body))
    assert document.findings == [] and len(document.transactions) == 3
    tables = extract(document)
    assert tables["claims"].column("statement_from").astype(object).tolist() == days * 3
    assert tables["claims"].column("transaction").tolist() == [0] * 300 + [1] * 300 + [2] * 300
    assert tables["claims"].nulls("statement_to").all()
    assert [f.code for f in tables.findings] == [F.BAD_DATE] * 900


# --- what belongs where ----------------------------------------------------------------------

BODY = [
    "BPR*I*100.00*C*CHK************20240105",
    "TRN*1*TRACE1*1999999999",
    "N1*PR*A PAYER",
    "N1*PE*A PAYEE*XX*1234567890",
    "CAS*CO*45*1.00",                                   # before any claim: skipped
    "LX*1",
    "CLP*PCN1*1*150.00*100.00*20.00*12*ICN1*11*1",
    "CAS*OA*23*5.00",                                   # claim level
    "MOA***MA01*MA02",
    "DTM*232*20240101",
    "DTM*233*20240102",
    "DTM*050*20240103",
    "SVC*HC:99213:25:59*100.00*70.00**1",
    "DTM*472*20240101",
    "CAS*CO*45*10.00**253*5.00",
    "CAS*PR*2*15.00",
    "REF*6R*LINE1",
    "AMT*B6*85.00",
    "LQ*HE*N130",
    "SVC*NU:0450*50.00*30.00*0450**HC:0451",
    "DTM*150*20240101",
    "DTM*151*20240102",
    "CAS*CO*45*20.00",
    "MIA*1****MA03",                                   # a claim's, although it follows a line
    "CLP*PCN2*22*-10.00*-10.00**12*ICN2",
    "SVC*HC:A0001*-10.00*-10.00",
    "PLB*1234567890*20241231*WO:REF1*-5.00*L6*1.00",
]


def test_rows_keys_and_text():
    tables = extract(edi.read(x835(*BODY)))
    assert {name: len(t) for name, t in tables.items()} == {
        "payments": 1, "claims": 2, "service_lines": 3, "adjustments": 5, "remarks": 4, "provider_adjustments": 2}
    assert list(tables) == list(COLUMNS) and all(t.column_names == list(COLUMNS[n]) for n, t in tables.items())
    payment = tables["payments"][0]
    assert payment == {
        "source": 0, "transaction": 0, "control_number": "0001", "handling": "I", "amount_cents": 10000,
        "credit_debit": "C", "method": "CHK", "payment_date": datetime.date(2024, 1, 5), "trace_number": "TRACE1",
        "payer_id": "1999999999", "payer_name": "A PAYER", "payee_name": "A PAYEE", "payee_id": "1234567890",
        "claims_paid_cents": 9000, "provider_adjustment_cents": -400,  # 100.00 - 10.00; -5.00 + 1.00
        "byte_offset": x835(*BODY).index(b"BPR"), "segment_number": number(BODY, 0)}
    claim = tables["claims"][0]
    assert {k: claim[k] for k in ("claim", "patient_control_number", "status", "charge_cents", "paid_cents",
                                  "patient_responsibility_cents", "filing_indicator", "payer_claim_control_number",
                                  "facility_code", "frequency", "statement_from", "statement_to", "received")} == {
        "claim": 0, "patient_control_number": "PCN1", "status": "1", "charge_cents": 15000, "paid_cents": 10000,
        "patient_responsibility_cents": 2000, "filing_indicator": "12", "payer_claim_control_number": "ICN1",
        "facility_code": "11", "frequency": "1", "statement_from": datetime.date(2024, 1, 1),
        "statement_to": datetime.date(2024, 1, 2), "received": datetime.date(2024, 1, 3)}
    assert tables["claims"][1]["patient_responsibility_cents"] is None
    # The sums balancing uses: all CAS of a claim (OA 5.00 at claim level, 30.00 and 20.00 on its
    # lines), the PR ones among them, and each line's.
    assert tables["claims"].column("adjustment_cents").tolist() == [5500, 0]
    assert tables["claims"].column("pr_adjustment_cents").tolist() == [1500, 0]
    assert tables["service_lines"].column("adjustment_cents").tolist() == [3000, 2000, 0]
    lines = list(tables["service_lines"].rows())
    assert [(x["claim"], x["line"], x["procedure_qualifier"], x["procedure_code"], x["modifier_1"], x["modifier_2"],
             x["modifier_3"], x["revenue_code"], x["original_procedure_code"], x["line_control_number"],
             x["charge_cents"], x["paid_cents"], x["allowed_cents"], x["service_start"], x["service_end"])
            for x in lines] == [
        (0, 0, "HC", "99213", "25", "59", "", "", "", "LINE1", 10000, 7000, 8500,
         datetime.date(2024, 1, 1), datetime.date(2024, 1, 1)),
        (0, 1, "NU", "0450", "", "", "", "0450", "0451", "", 5000, 3000, None,
         datetime.date(2024, 1, 1), datetime.date(2024, 1, 2)),
        (1, 2, "HC", "A0001", "", "", "", "", "", "", -1000, -1000, None, None, None)]
    assert [(a["claim"], a["line"], a["level"], a["group"], a["reason"], a["amount_cents"], a["segment_number"])
            for a in tables["adjustments"].rows()] == [
        (0, None, "claim", "OA", "23", 500, number(BODY, 7)),
        (0, 0, "line", "CO", "45", 1000, number(BODY, 14)), (0, 0, "line", "CO", "253", 500, number(BODY, 14)),
        (0, 0, "line", "PR", "2", 1500, number(BODY, 15)), (0, 1, "line", "CO", "45", 2000, number(BODY, 22))]
    assert [(r["claim"], r["line"], r["level"], r["segment_id"], r["qualifier"], r["code"])
            for r in tables["remarks"].rows()] == [
        (0, None, "claim", "MOA", "", "MA01"), (0, None, "claim", "MOA", "", "MA02"),
        (0, 0, "line", "LQ", "HE", "N130"), (0, None, "claim", "MIA", "", "MA03")]
    assert [(p["provider_id"], p["fiscal_date"], p["reason"], p["reference"], p["amount_cents"])
            for p in tables["provider_adjustments"].rows()] == [
        ("1234567890", datetime.date(2024, 12, 31), "WO", "REF1", -500),
        ("1234567890", datetime.date(2024, 12, 31), "L6", "", 100)]


def test_balancing_findings_give_the_delta_at_the_segment():
    findings = balance_findings(extract(edi.read(x835(*BODY))))
    assert [(f.code, f.location.segment_id, f.location.segment_number, f.location.element, f.detail)
            for f in findings] == [
        (F.TRANSACTION_UNBALANCED, "BPR", number(BODY, 0), 2, "sum of CLP04 - sum of PLB - BPR02 = -6.00"),
        (F.CLAIM_UNBALANCED, "CLP", number(BODY, 6), 4, "CLP03 - CAS - CLP04 = -5.00"),
        (F.PATIENT_RESPONSIBILITY_MISMATCH, "CLP", number(BODY, 6), 5, "CLP05 - PR adjustments = 5.00")]
    assert findings[0].location.byte_offset == x835(*BODY).index(b"BPR")


def test_unbalanced_lines_and_debits():
    body = ["BPR*D*30*D*ACH", "CLP*A*1*100*-30", "SVC*HC:1*100*-30", "CAS*CO*45*129.99"]
    findings = balance_findings(extract(edi.read(x835(*body))))
    assert [(f.code, f.location.segment_id, f.detail) for f in findings] == [
        (F.CLAIM_UNBALANCED, "CLP", "CLP03 - CAS - CLP04 = 0.01"),
        (F.LINE_UNBALANCED, "SVC", "SVC02 - line CAS - SVC03 = 0.01")]


def test_reversals_need_no_patient_responsibility():
    body = ["BPR*I*0*C*NON", "CLP*A*22*-100*0*5", "CAS*PR*1*-100"]
    assert balance_findings(extract(edi.read(x835(*body)))) == []


def test_lowercase_ids_and_other_separators():
    data = x835("bpr*I*1*C*CHK", "clp*A*1*1*1", "svc*HC>X1>M1*1*1", element="|", component=">")
    tables = extract(edi.read(data))
    assert tables["service_lines"][0]["procedure_code"] == "X1" and tables["service_lines"][0]["modifier_1"] == "M1"
    assert balance_findings(tables) == []


def test_interchanges_with_different_component_separators():
    data = x835("BPR*I*1*C*CHK", "CLP*A*1*1*1", "SVC*HC:X1:M1*1*1") + x835(
        "BPR*I*2*C*CHK", "CLP*B*1*2*2", "SVC*HC>X2>M2*2*2", component=">", control=2)
    lines = extract(edi.read(data))["service_lines"]
    assert lines.column("procedure_code").tolist() == ["X1", "X2"]
    assert lines.column("modifier_1").tolist() == ["M1", "M2"]
    assert lines.column("transaction").tolist() == [0, 1]


def test_only_835_transactions_and_empty_inputs():
    doc = edi.read(x835(*BODY).replace(b"ST*835", b"ST*837"))
    tables = extract(doc)
    assert all(len(t) == 0 for t in tables.values()) and balance_findings(tables) == []
    empty = extract([])
    assert all(len(t) == 0 for t in empty.values()) and empty.transaction_count == 0
    assert all(t.column_names == list(COLUMNS[n]) for n, t in empty.items())


def test_edited_documents_are_read_again():
    doc = edi.read(x835(*BODY))
    clp = next(s for s in doc.transactions[0].segments if s.id == "CLP")
    clp[3] = "160.00"
    assert extract(doc)["claims"][0]["charge_cents"] == 16000
    with pytest.raises(edi.EdiError):
        extract(doc.transactions)


def test_backend_is_switched(backend):
    assert _backend.columns is _backend.COLUMN_KERNELS[backend]


# --- batches and windows ---------------------------------------------------------------------

def table_values(tables) -> dict:
    return {name: {c: (t.column(c).tolist(), t.nulls(c).tolist()) for c in t.column_names} for name, t in tables.items()}


def test_batches_number_sources_and_keep_keys_linked():
    docs = [edi.read(x835(*BODY)), edi.read(x835(*BODY[:8]))]
    batch = extract_batch(docs)
    assert batch["claims"].column("source").tolist() == [0, 0, 1]
    assert batch["claims"].column("claim").tolist() == [0, 1, 0]
    assert batch["adjustments"].column("source").tolist() == [0] * 5 + [1]
    assert batch.transaction_count == 2
    found = balance_findings(batch)  # in order of source, then segment
    assert [(f.code, f.location.segment_number) for f in found] == [
        (F.TRANSACTION_UNBALANCED, number(BODY, 0)), (F.CLAIM_UNBALANCED, number(BODY, 6)),
        (F.PATIENT_RESPONSIBILITY_MISMATCH, number(BODY, 6)), (F.CLAIM_UNBALANCED, number(BODY, 6)),
        (F.PATIENT_RESPONSIBILITY_MISMATCH, number(BODY, 6))]


def test_windows_concatenate_to_the_whole():
    data = generate_835(60_000, seed=7)
    doc = edi.read(data)
    whole = extract(doc)
    txns = doc.transactions
    parts = [extract(txns[:1]), extract(txns[1:3]), extract(txns[3:])]
    joined = concat(parts, [0, 0, 0])
    assert joined.transaction_count == len(txns)
    assert table_values(joined) == table_values(whole)


def test_streamed_windows_give_the_same_tables(tmp_path):
    data = generate_835(200_000, seed=11)
    path = tmp_path / "big.835"
    path.write_bytes(data)
    reader = edi.TransactionReader(path, window=1 << 14)
    windows = [extract([txn]) for txn in reader]
    assert table_values(concat(windows, [0] * len(windows))) == table_values(extract(edi.read(data)))


# --- the corpus, against the oracle ----------------------------------------------------------

AMOUNT = re.compile(rb"-?(\d+\.?\d*|\.\d+)")
CENT = Decimal("0.01")


def cents(raw: bytes) -> int:
    """What the table holds for an amount: its cents rounded half-even, 0 when absent or bad."""
    if not AMOUNT.fullmatch(raw):
        return 0
    return int(Decimal(raw.decode()).quantize(CENT, ROUND_HALF_EVEN) * 100)


def oracle(doc: edi.Document) -> dict:
    """Counts, totals, text and unbalanced rows of every 835 of `doc`, read independently."""
    out = {"payments": 0, "claims": 0, "service_lines": 0, "adjustments": 0, "remarks": 0, "provider_adjustments": 0,
           "bpr02": 0, "clp03": 0, "clp04": 0, "clp05": 0, "svc02": 0, "svc03": 0, "b6": 0, "cas": 0, "plb": 0,
           "pcn": [], "codes": [], "reasons": [], "remark_codes": [], "trace": [], "bad_transactions": []}
    claims, lines = [], []
    index = doc.index
    for txn in doc.transactions:
        if txn.set_id != "835":
            continue
        d = index.delimiters(txn.first)
        text = index.buf[int(index.seg_start[txn.first]) : int(index.seg_start[txn.last] + index.seg_len[txn.last])]
        claim = line = bpr = None
        paid = provider = 0
        for raw in text.split(d.segment)[1:]:
            e = raw.lstrip(b" \t\r\n").split(d.element)
            sid, get = e[0].upper(), (lambda j, e=e: e[j] if j < len(e) else b"")
            if sid == b"BPR":
                out["payments"] += 1
                out["bpr02"] += cents(get(2))
                bpr = bpr or ((-1 if get(3) == b"D" else 1) * cents(get(2)), out["payments"] - 1)
            elif sid == b"TRN" and claim is None and bpr:
                out["trace"].append(get(2))
            elif sid == b"LX":
                claim = line = None
            elif sid == b"CLP":
                claim = {"charge": cents(get(3)), "paid": cents(get(4)), "pr": cents(get(5)), "cas": 0, "pr_cas": 0,
                         "reversal": get(2) == b"22"}
                claims.append(claim)
                out["pcn"].append(get(1))
                paid += claim["paid"]
                line = None
            elif sid == b"SVC" and claim is not None:
                line = {"charge": cents(get(2)), "paid": cents(get(3)), "cas": 0}
                lines.append(line)
                parts = get(1).split(d.component)
                out["codes"].append(parts[1] if len(parts) > 1 else b"")
            elif sid == b"CAS" and claim is not None:
                for k in range(6):
                    reason, amount = get(2 + 3 * k), get(3 + 3 * k)
                    if reason or amount:
                        out["adjustments"] += 1
                        out["cas"] += cents(amount)
                        out["reasons"].append((get(1), reason))
                        claim["cas"] += cents(amount)
                        claim["pr_cas"] += cents(amount) if get(1) == b"PR" else 0
                        if line is not None:
                            line["cas"] += cents(amount)
            elif sid == b"AMT" and line is not None and get(1) == b"B6":
                out["b6"] += cents(get(2))
            elif sid in (b"MOA", b"MIA") and claim is not None:
                codes = [get(j) for j in ((3, 4, 5, 6, 7) if sid == b"MOA" else (5, 20, 21, 22, 23))]
                out["remark_codes"] += [code for code in codes if code]
            elif sid == b"LQ" and claim is not None and get(2):
                out["remark_codes"].append(get(2))
            elif sid == b"PLB":
                claim = line = None
                for k in range(6):
                    reason, amount = get(3 + 2 * k), get(4 + 2 * k)
                    if reason or amount:
                        out["provider_adjustments"] += 1
                        out["plb"] += cents(amount)
                        provider += cents(amount)
        if bpr and paid - provider != bpr[0]:
            out["bad_transactions"].append(bpr[1])
    out.update(
        claims=len(claims), service_lines=len(lines), remarks=len(out["remark_codes"]),
        clp03=sum(c["charge"] for c in claims), clp04=sum(c["paid"] for c in claims), clp05=sum(c["pr"] for c in claims),
        svc02=sum(x["charge"] for x in lines), svc03=sum(x["paid"] for x in lines),
        bad_claims=[n for n, c in enumerate(claims) if c["charge"] - c["cas"] != c["paid"]],
        bad_pr=[n for n, c in enumerate(claims) if c["pr"] != c["pr_cas"] and not c["reversal"]],
        bad_lines=[n for n, x in enumerate(lines) if x["charge"] - x["cas"] != x["paid"]],
        claim_cas=[c["cas"] for c in claims], claim_pr_cas=[c["pr_cas"] for c in claims],
        line_cas=[x["cas"] for x in lines],
    )
    return out


def rows_with(tables, findings, code, table) -> list[int]:
    """Rows of `table` at whose segment a finding with `code` stands."""
    numbers = tables[table].column("segment_number").tolist()
    return sorted(numbers.index(f.location.segment_number) for f in findings if f.code is code)


CORPUS_835 = [p for p in corpus_files("835", "mixed", "invalid") if b"835" in p.read_bytes()]


def read_835(path):
    try:
        doc = edi.read_file(path)
    except edi.EdiError:
        pytest.skip("not readable")
    if not any(t.set_id == "835" for t in doc.transactions):
        pytest.skip("no 835 transaction")
    return doc


@pytest.mark.parametrize("path", CORPUS_835, ids=corpus_id)
def test_corpus_835s_agree_with_the_oracle(path):
    doc = read_835(path)
    tables, expected = extract(doc), oracle(doc)
    for name in COLUMNS:
        assert len(tables[name]) == expected[name], name
    sums = {key: int(tables[t].raw(c).sum()) for key, t, c in [
        ("bpr02", "payments", "amount_cents"), ("clp03", "claims", "charge_cents"), ("clp04", "claims", "paid_cents"),
        ("clp05", "claims", "patient_responsibility_cents"), ("svc02", "service_lines", "charge_cents"),
        ("svc03", "service_lines", "paid_cents"), ("b6", "service_lines", "allowed_cents"),
        ("cas", "adjustments", "amount_cents"), ("plb", "provider_adjustments", "amount_cents")]}
    assert sums == {key: expected[key] for key in sums}
    assert tables["claims"].column("adjustment_cents").tolist() == expected["claim_cas"]
    assert tables["claims"].column("pr_adjustment_cents").tolist() == expected["claim_pr_cas"]
    assert tables["service_lines"].column("adjustment_cents").tolist() == expected["line_cas"]
    decode = lambda values: [v.decode("utf-8", "surrogateescape") for v in values]  # noqa: E731
    assert tables["claims"].column("patient_control_number").tolist() == decode(expected["pcn"])
    assert tables["service_lines"].column("procedure_code").tolist() == decode(expected["codes"])
    adjustments = tables["adjustments"]
    assert list(zip(adjustments.column("group").tolist(), adjustments.column("reason").tolist())) == [
        tuple(decode(pair)) for pair in expected["reasons"]]
    assert tables["remarks"].column("code").tolist() == decode(expected["remark_codes"])
    assert [t for t in tables["payments"].column("trace_number").tolist() if t] == [
        t for t in decode(expected["trace"]) if t]
    for name, table in tables.items():
        ids = {doc.index.segment_id(n - 1).upper() for n in table.column("segment_number").tolist()}
        assert ids <= {"payments": {"BPR"}, "claims": {"CLP"}, "service_lines": {"SVC"}, "adjustments": {"CAS"},
                       "remarks": {"MOA", "MIA", "LQ"}, "provider_adjustments": {"PLB"}}[name]
    findings = balance_findings(tables)
    assert rows_with(tables, findings, F.LINE_UNBALANCED, "service_lines") == expected["bad_lines"]
    assert rows_with(tables, findings, F.CLAIM_UNBALANCED, "claims") == expected["bad_claims"]
    assert rows_with(tables, findings, F.PATIENT_RESPONSIBILITY_MISMATCH, "claims") == expected["bad_pr"]
    assert rows_with(tables, findings, F.TRANSACTION_UNBALANCED, "payments") == expected["bad_transactions"]
    for finding in findings:
        assert re.fullmatch(r"[A-Za-z0-9 -]+ = -?\d+\.\d\d", finding.detail)


def test_generated_835_balances():
    data = generate_835(400_000, seed=3)
    doc = edi.read(data)
    tables = extract(doc)
    expected = oracle(doc)
    assert {name: len(t) for name, t in tables.items()} == {name: expected[name] for name in COLUMNS}
    assert balance_findings(tables) == [] and tables.findings == []


# --- the kernel and its twin -----------------------------------------------------------------

def kernel_outputs(name: str, index, firsts, lasts, parts: int = 1):
    tables, issues = _backend.COLUMN_KERNELS[name].extract_835(index, firsts, lasts, parts)
    return {k: [(a.dtype.str, a.shape, a.tolist()) for a in arrays] for k, arrays in tables.items()}, issues


def assert_kernels_agree(data: bytes):
    try:
        doc = edi.read(data)
    except edi.EdiError:
        return
    txns = doc.transactions
    firsts, lasts = [t.first for t in txns], [t.last for t in txns]  # every set, read as an 835
    assert kernel_outputs("python", doc.index, firsts, lasts) == kernel_outputs("cython", doc.index, firsts, lasts)
    # Cut into parts, walked by threads: the same rows, whatever gaps the parts' bounds left.
    firsts, lasts = firsts * 3, lasts * 3
    expected = kernel_outputs("python", doc.index, firsts, lasts)
    for parts in (2, 3, 5):
        assert kernel_outputs("cython", doc.index, firsts, lasts, parts) == expected
    n = len(doc.index)
    segments = np.array([-1] + list(range(n)) * 2, np.int64)
    elements = np.resize(np.arange(0, 9), len(segments))
    for component in (0, 1, 2, 5):
        for sep in (b":", b">", "…".encode()):
            py = _backend.COLUMN_KERNELS["python"].element_spans(doc.index, segments, elements, component, sep)
            c = _backend.COLUMN_KERNELS["cython"].element_spans(doc.index, segments, elements, component, sep)
            assert [a.tolist() for a in py] == [a.tolist() for a in c]


AMOUNTS = st.sampled_from(["", "0", "12.5", "-0.50", ".5", "5.", "1.005", "12.3456", "abc", "+1", "-", "9" * 20,
                           "100.00", "7.10"])
DATES = st.sampled_from(["", "20240229", "20230229", "2024010", "20241301", "99991231", "x"])
CODES = st.sampled_from(["", "CO", "PR", "OA", "45", "HE", "6R", "B6", "472", "150", "151", "232", "050", "PE",
                         "HC:99213:25", "WO:REF", "N130", "22"])
SEGMENTS = {
    "BPR": [CODES, AMOUNTS, st.sampled_from(["C", "D"]), CODES] + [CODES] * 11 + [DATES],
    "TRN": [CODES, CODES, CODES], "N1": [st.sampled_from(["PR", "PE", "XX"]), CODES, CODES, CODES],
    "LX": [CODES], "CLP": [CODES, CODES, AMOUNTS, AMOUNTS, AMOUNTS, CODES, CODES, CODES, CODES],
    "SVC": [CODES, AMOUNTS, AMOUNTS, CODES, AMOUNTS, CODES], "CAS": [CODES] + [CODES, AMOUNTS, AMOUNTS] * 7,
    "DTM": [st.sampled_from(["472", "150", "151", "232", "233", "050", "036"]), DATES],
    "REF": [st.sampled_from(["6R", "1L"]), CODES], "AMT": [st.sampled_from(["B6", "AU"]), AMOUNTS],
    "MOA": [CODES] * 9, "MIA": [CODES] * 24, "LQ": [st.sampled_from(["HE", "RX"]), CODES],
    "PLB": [CODES, DATES] + [CODES, AMOUNTS] * 7, "NM1": [CODES, CODES],
}


@st.composite
def remittances(draw):
    body = []
    for _ in range(draw(st.integers(0, 30))):
        sid = draw(st.sampled_from(sorted(SEGMENTS)))
        strategies = SEGMENTS[sid][: draw(st.integers(0, len(SEGMENTS[sid])))]
        body.append("*".join([sid.lower() if draw(st.integers(0, 9)) == 0 else sid] + [draw(s) for s in strategies]))
    return x835(*body, component=draw(st.sampled_from([":", ">"])))


@needs_cython
@SETTINGS
@given(remittances())
def test_kernels_agree_on_generated_remittances(data):
    assert_kernels_agree(data)


GENERATED = generate_835(20_000, seed=5)


@needs_cython
@SETTINGS
@given(st.data())
def test_kernels_agree_on_mutated_remittances(data):
    raw = bytearray(data.draw(st.sampled_from([GENERATED, x835(*BODY)])))
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "flip":
            raw[pos] = data.draw(st.sampled_from(b"*:~.-0123456789ABCSVP \n"))
        elif op == "insert":
            raw[pos:pos] = data.draw(st.sampled_from([b"~CAS*PR*1*", b"~SVC*HC:1*", b"~CLP*X*1*", b"~LX*1", b"~PLB*1*",
                                                      b"*", b"~", b".5", b"~DTM*472*2024"]))
        else:
            del raw[pos : pos + data.draw(st.integers(1, 40))]
    assert_kernels_agree(bytes(raw))


@needs_cython
def test_kernels_agree_on_the_corpus():
    for path in CORPUS_835:
        assert_kernels_agree(path.read_bytes())


@needs_cython
def test_parts_walked_by_threads_give_the_rows_of_one_walk():
    """A line before any claim is counted but skipped, so each part leaves a gap in the service
    lines (and MOA's five remark slots one in the remarks): the gaps are closed and the line
    numbers of later parts follow their rows."""
    data = x835("SVC*HC:1*1*1", *BODY)
    index = edi.read(data).index
    first, last = 2, len(index) - 3
    firsts, lasts = [first] * 4, [last] * 4
    one = kernel_outputs("cython", index, firsts, lasts)
    assert one == kernel_outputs("python", index, firsts, lasts)
    keys = one[0]["service_lines"][0][2]  # (transaction, claim, line, segment, element) of each line
    assert [k[2] for k in keys] == list(range(12)) and [k[1] for k in keys] == [0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7]
    for parts in (2, 4):
        assert kernel_outputs("cython", index, firsts, lasts, parts) == one


@needs_cython
def test_one_large_transaction_is_cut_at_its_claims():
    """With one transaction there is no other place to cut it for a second thread than at a CLP
    inside it: the pieces after the cut carry the payment rows in effect there (a TRN after an
    LX still names the payment, PLBs still balance against it), and give one walk's rows."""
    body = [*BODY[:-1], "LX*2", "TRN*1*LATE*1999999999"] + [*BODY[4:-1]] * 6 + ["PLB*1234567890*20241231*WO*-5.00"]
    index = edi.read(x835(*body)).index
    firsts, lasts = [2], [len(index) - 3]
    for parts in (2, 3, 4, 7):  # the cuts fall inside the transaction, each at a CLP
        cuts = _backend.COLUMN_KERNELS["cython"].cut_points(index, firsts, lasts, parts)
        assert cuts and all(firsts[0] + 1 < c <= lasts[0] and index.segment_id(c) == "CLP" for c in cuts)
    one = kernel_outputs("python", index, firsts, lasts)
    for parts in (1, 2, 3, 4, 7):
        assert kernel_outputs("cython", index, firsts, lasts, parts) == one
    tables = extract(edi.read(x835(*body)))
    assert tables["payments"][0]["trace_number"] == "LATE"
    assert tables["payments"][0]["claims_paid_cents"] == int(tables["claims"].column("paid_cents").sum())


@pytest.mark.parametrize("name", sorted(_backend.COLUMN_KERNELS))
def test_kernels_reject_ranges_outside_the_index(name):
    index = edi.read(x835(*BODY)).index
    kernel = _backend.COLUMN_KERNELS[name]
    for firsts, lasts in [([0], [len(index)]), ([-1], [3]), ([5], [4]), ([0, 1], [2])]:
        with pytest.raises(ValueError):
            kernel.extract_835(index, firsts, lasts)
    with pytest.raises(ValueError):
        kernel.element_spans(index, [len(index)], 1, 0, b":")


def test_transactions_of_several_documents_are_numbered_in_the_order_given():
    """Transactions from several indexes (documents, stream windows) are one kernel run per
    index; each run's transaction keys go on from the runs before it, non-835 ones counted."""
    first = edi.read(x835("BPR*I*1*C*NON", "CLP*A*1*1*1"))
    other = edi.read(x835("BPR*I*2*C*NON").replace(b"ST*835*", b"ST*999*"))
    last = edi.read(x835("BPR*I*3*C*NON", "CLP*B*1*3*3", "CLP*C*1*3*0"))
    tables = extract([*first.transactions, *other.transactions, *last.transactions])
    assert tables.transaction_count == 3
    assert tables["payments"].column("transaction").tolist() == [0, 2]
    assert tables["payments"].column("amount_cents").tolist() == [100, 300]
    assert tables["claims"].column("transaction").tolist() == [0, 2, 2]
    assert tables["claims"].column("claim").tolist() == [0, 1, 2]


def test_element_is_compares_whole_elements():
    index = edi.read(x835("BPR*I*835*C*NON", "CLP*8350*1*83*835")).index
    segments = np.array([2, 3, 4, 4, -1])  # ST, BPR, CLP, CLP, none
    elements = [_backend.columns.element_is(index, segments[k:k + 1], j, b"835")[0]
                for k, j in enumerate([1, 2, 1, 4, 1])]
    assert elements == [True, True, False, True, False]
    assert _backend.columns.element_is(index, segments, 3, b"83").tolist() == [False, False, True, True, False]
    with pytest.raises(ValueError):
        _backend.columns.element_is(index, np.array([len(index)]), 1, b"835")
