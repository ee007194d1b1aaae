"""835 to 837 matching (edi.remittance.matching): the minimal 837 reader against a raw scan of
every corpus 837; a generated 837P against an 835 built to pay it; hand-built pairs for each
rule (REF*6R, LX01, CLM01 cut to 20 characters, corrected claims, bundling, unbundling, code and
date, ordinal, unmatched on both sides). Every match is also held to the invariants of its
tables: totals equal the objects', keys name the rows of the 835 tables and the 837 reading."""
from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import edi
import edi.remittance as remittance
from edi.remittance.matching import SubmissionBatch

from conftest import corpus_files, corpus_id
from test_remittance import raw_number, raw_segments

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import generate_837p  # noqa: E402

D = Decimal
DAY1, DAY2 = "20240105", "20240106"


# --- building X12 by hand --------------------------------------------------------------------------
class Line(NamedTuple):
    """An 837 service line."""

    procedure: str  # composite: "HC:99213:25"
    charge: str
    date: str = DAY1  # "CCYYMMDD-CCYYMMDD" is sent as RD8
    ref: str = ""  # REF*6R
    revenue: str = ""  # SV201 (837I)


class Submission(NamedTuple):
    """An 837 claim."""

    number: str  # CLM01
    lines: list[Line]
    frequency: str = "1"
    f8: str = ""  # REF*F8


class Svc(NamedTuple):
    """An 835 service line."""

    procedure: str
    charge: str
    paid: str
    date: str = DAY1
    ref: str = ""  # REF*6R
    original: str = ""  # SVC06


class Clp(NamedTuple):
    """An 835 claim."""

    number: str  # CLP01
    lines: list[Svc]
    status: str = "1"
    icn: str = "ICN1"  # CLP07
    frequency: str = "1"  # CLP09
    f8: str = ""  # REF*F8


def interchange(functional_id: str, version: str, set_id: str, body: list[str]) -> bytes:
    st = f"ST*{set_id}*0001" + (f"*{version}" if set_id == "837" else "")
    segments = [st, *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = f"ISA*00*{'':10}*00*{'':10}*ZZ*{'SUBMITTER':<15}*ZZ*{'RECEIVER':<15}*240115*1200*^*00501*000000001*0*P*:"
    gs = f"GS*{functional_id}*SUBMITTER*RECEIVER*20240115*1200*1*X*{version}"
    return ("~".join([isa, gs, *segments, "GE*1*1", "IEA*1*000000001"]) + "~").encode()


def x837(*claims: Submission, institutional: bool = False) -> bytes:
    body = [
        "BHT*0019*00*1*20240115*1200*CH", "NM1*41*2*BILLING*****46*S1", "PER*IC*DESK*TE*5555550100",
        "NM1*40*2*RECEIVER*****46*R1", "HL*1**20*1", "NM1*85*2*CLINIC*****XX*1234567893", "N3*1 MAIN ST",
        "N4*TOWN*NY*100010001", "REF*EI*123456789", "HL*2*1*22*0", "SBR*P*18*******CI",
        "NM1*IL*1*DOE*JANE****MI*M1", "NM1*PR*2*PAYER*****PI*P1",
    ]
    for claim in claims:
        total = sum(D(line.charge) for line in claim.lines)
        facility = "13:A" if institutional else "11:B"
        body += [f"CLM*{claim.number}*{total}***{facility}:{claim.frequency}*Y*A*Y*Y"]
        body += [f"REF*F8*{claim.f8}"] if claim.f8 else []
        body += ["HI*ABK:I10"]
        for n, line in enumerate(claim.lines, 1):
            service = (f"SV2*{line.revenue}*{line.procedure}*{line.charge}*UN*1" if institutional
                       else f"SV1*{line.procedure}*{line.charge}*UN*1***1")
            dates = f"RD8*{line.date}" if "-" in line.date else f"D8*{line.date}"
            body += [f"LX*{n}", service, f"DTP*472*{dates}"] + ([f"REF*6R*{line.ref}"] if line.ref else [])
    return interchange("HC", "005010X223A2" if institutional else "005010X222A1", "837", body)


def x835(*claims: Clp) -> bytes:
    paid = sum(D(svc.paid) for claim in claims for svc in claim.lines)
    body = [f"BPR*I*{paid}*C*NON************20240120", "TRN*1*TRACE1*1999999999", "N1*PR*PAYER",
            "N1*PE*CLINIC*XX*1234567893", "LX*1"]
    for claim in claims:
        charge = sum(D(svc.charge) for svc in claim.lines)
        claim_paid = sum(D(svc.paid) for svc in claim.lines)
        body += [f"CLP*{claim.number}*{claim.status}*{charge}*{claim_paid}**12*{claim.icn}*11*{claim.frequency}",
                 "NM1*QC*1*DOE*JANE"]
        body += [f"REF*F8*{claim.f8}"] if claim.f8 else []
        for svc in claim.lines:
            original = f"**1*{svc.original}" if svc.original else ""
            body += [f"SVC*{svc.procedure}*{svc.charge}*{svc.paid}{original}", f"DTM*472*{svc.date}"]
            body += [f"REF*6R*{svc.ref}"] if svc.ref else []
    return interchange("HP", "005010X221A1", "835", body)


# --- matching, held to the invariants of its tables ---------------------------------------------------
def cents(amount: Decimal | None) -> int:
    return 0 if amount is None else int(amount * 100)


def column_total(table: edi.Table, name: str) -> int:
    return int(table.column(name)[~table.nulls(name)].sum())


def matched(remit: bytes | list[bytes], claims: bytes | list[bytes]) -> remittance.MatchResult:
    """Read and match, then check what must hold for any input: every 835 claim and line has one
    row, every submitted claim and line is named, each amount column sums to its side's total,
    and the keys name the rows of batch.tables and the submissions."""
    remits = remit if isinstance(remit, list) else [remit]
    batch = remittance.RemittanceBatch([edi.read(data) for data in remits])
    submissions = remittance.read_claims(*(claims if isinstance(claims, list) else [claims]))
    result = remittance.match(batch, submissions)
    check_invariants(result, batch, submissions)
    return result


def check_invariants(result, batch, submissions: SubmissionBatch) -> None:
    claims, lines = result.claims, result.lines
    assert len(claims) == len(result.claim_matches) and len(lines) == len(result.line_matches)
    all_lines = [line for claim in batch.claims for line in claim.lines]
    assert [m.adjudicated for m in result.claim_matches if m.adjudicated] == batch.claims
    assert [m.adjudicated for m in result.line_matches if m.adjudicated] == all_lines
    assert {m.submitted.key for m in result.claim_matches if m.submitted} == {c.key for c in submissions.claims}
    assert {m.submitted.key for m in result.line_matches if m.submitted} == {x.key for x in submissions.lines}
    for table, adjudicated, submitted in ((claims, batch.claims, submissions.claims),
                                          (lines, all_lines, submissions.lines)):
        assert column_total(table, "paid_cents") == sum(cents(x.paid) for x in adjudicated)
        assert column_total(table, "charge_cents_835") == sum(cents(x.charge) for x in adjudicated)
        assert column_total(table, "charge_cents_837") == sum(cents(x.charge) for x in submitted)
    for m, row in zip(result.line_matches, lines.rows()):
        assert row["status"] == m.status and row["method"] == m.method
        assert m.status == ("matched" if m.adjudicated and m.submitted else
                            "unmatched_835" if m.adjudicated else "unmatched_837")
        if m.submitted is not None:
            assert (row["source_837"], row["transaction_837"], row["claim_837"], row["line_837"]) == m.submitted.key
    rows_835 = {(r["source"], r["transaction"], r["claim"], r["line"]): r for r in batch.tables["service_lines"].rows()}
    for row in lines.rows():
        if row["line_835"] is not None:
            source = rows_835[(row["source_835"], row["transaction_835"], row["claim_835"], row["line_835"])]
            assert (source["paid_cents"], source["procedure_code"]) == (row["paid_cents"], row["procedure_code_835"])
    claims_835 = {(r["source"], r["transaction"], r["claim"]): r for r in batch.tables["claims"].rows()}
    for row in claims.rows():
        if row["claim_835"] is not None:
            source = claims_835[(row["source_835"], row["transaction_835"], row["claim_835"])]
            assert source["paid_cents"] == row["paid_cents"]


def methods(result) -> list[tuple[str, str]]:
    return [(m.status, m.method) for m in result.line_matches]


def pairs(result) -> list[tuple]:
    """(835 procedure code, submitted line number LX01) per line row."""
    return [(m.adjudicated.procedure.code if m.adjudicated else None,
             m.submitted.line_number if m.submitted else None) for m in result.line_matches]


# --- the 837 reader --------------------------------------------------------------------------------
FILES_837 = corpus_files("837p", "837i", "837d")
SERVICE_CHARGE = {"SV1": 2, "SV2": 3, "SV3": 2}


@pytest.mark.parametrize("path", [pytest.param(p, id=corpus_id(p)) for p in FILES_837])
def test_corpus_claims_and_lines_match_a_raw_scan(path):
    """Claims = CLM segments, lines = LX segments (in an 837 LX only opens a 2400 line), and
    their charges sum as CLM02 and the SV102/SV203/SV302 of LX-opened lines do, in the 837
    transactions of the file (unless an amount is unreadable: one file has a space in an SV302).
    An SV1 without an LX (one file) is no line: the loop walker places it in 2310B."""
    counts = {"CLM": 0, "LX": 0}
    claim_total = line_total = D(0)
    in_837 = in_line = False
    for seg in raw_segments(path.read_bytes()):
        sid = seg[0].upper()
        if sid == "ST":
            in_837 = seg[1] == "837"
        elif in_837 and sid in counts:
            counts[sid] += 1
            in_line = sid == "LX"
        if in_837 and sid == "CLM":
            claim_total += raw_number(seg[2]) or 0
        elif in_line and sid in SERVICE_CHARGE and len(seg) > SERVICE_CHARGE[sid]:
            line_total += raw_number(seg[SERVICE_CHARGE[sid]]) or 0
    submissions = remittance.read_claims(path)
    assert len(submissions.claims) == counts["CLM"]
    assert len(submissions.lines) == counts["LX"]
    if any(f.code == edi.FindingCode.BAD_AMOUNT for f in submissions.findings):
        return  # a value the reader could not take (a space in an amount): the raw scan strips it
    assert sum((c.charge for c in submissions.claims if c.charge is not None), D(0)) == claim_total
    assert sum((x.charge for x in submissions.lines if x.charge is not None), D(0)) == line_total


def test_reader_values_for_each_service_segment():
    """837P SV1, 837I SV2 (revenue code, RD8 dates) and a bad date read as documented."""
    professional = remittance.read_claims(x837(Submission("PCN1", [Line("HC:97140:GP:59", "60", DAY2, "R1")],
                                                          frequency="7", f8="ICN0")))
    claim = professional.claims[0]
    assert (claim.patient_control_number, claim.charge, claim.frequency, claim.payer_claim_control_number) == \
        ("PCN1", D("60"), "7", "ICN0")
    line = claim.lines[0]
    assert (line.line_number, line.control_number, line.procedure.qualifier, line.procedure.code,
            line.procedure.modifiers, line.charge, line.units, str(line.service_start)) == \
        ("1", "R1", "HC", "97140", ["GP", "59"], D("60"), D(1), "2024-01-06")
    assert line.claim is claim and line.key == (0, 0, 0, 0) and claim.service_period == (line.service_start,) * 2

    institutional = remittance.read_claims(x837(Submission("PCN2", [
        Line("", "50", "20241305", revenue="0300"), Line("HC:99283", "500", "20240101-20240103", revenue="0450"),
    ]), institutional=True))
    first, second = institutional.claims[0].lines
    assert (first.revenue_code, first.procedure.code, first.service_start) == ("0300", "", None)
    assert (second.revenue_code, second.procedure.code, second.units) == ("0450", "99283", D(1))
    assert (str(second.service_start), str(second.service_end)) == ("2024-01-01", "2024-01-03")
    assert [(f.code, f.location.segment_id, f.location.element) for f in institutional.findings] == \
        [(edi.FindingCode.BAD_DATE, "DTP", 3)]


def test_sources_are_numbered_and_reprs_hold_no_patient_data(tmp_path):
    path = tmp_path / "claims.837"
    path.write_bytes(x837(Submission("SECRETPCN", [Line("HC:99213", "100")])))
    data = x837(Submission("OTHERPCN", [Line("HC:99213", "100")]))
    submissions = remittance.read_claims(path, data, edi.read(data))
    assert [c.key for c in submissions.claims] == [(0, 0, 0), (1, 0, 0), (2, 0, 0)]
    assert submissions.sources == [str(path), "<bytes>", "<document>"]
    result = remittance.match(remittance.read(x835(Clp("SECRETPCN", [Svc("HC:99213", "100", "80")]))), submissions)
    for thing in (submissions, submissions.claims[0], submissions.lines[0], result, *result.claim_matches,
                  *result.line_matches):
        assert "SECRETPCN" not in repr(thing) and "99213" not in repr(thing)


# --- a generated 837P and an 835 built to pay it ------------------------------------------------------
def composite(procedure) -> str:
    return ":".join([procedure.qualifier, procedure.code, *procedure.modifiers])


def payment_for(claim, with_refs: bool) -> Clp:
    """An 835 claim paying every line of a submitted claim at 80 %."""
    return Clp(claim.patient_control_number, [
        Svc(composite(line.procedure), str(line.charge), str((line.charge * D("0.8")).quantize(D("0.01"))),
            line.service_start.strftime("%Y%m%d"), line.control_number if with_refs else "")
        for line in claim.lines
    ])


def test_generated_837p_and_the_835_that_pays_it():
    """Claims 0, 3, 6... are paid with REF*6R, 1, 4, 7... without (code and date, in order, even
    for duplicates), 2, 5, 8... are not paid; one 835 claim answers nothing."""
    claims_837 = generate_837p(30 << 10, seed=7, claims_per_transaction=10)
    submissions = remittance.read_claims(claims_837)
    paid = [(claim, k % 3 == 0) for k, claim in enumerate(submissions.claims) if k % 3 != 2]
    stranger = Clp("NOSUCHCLAIM", [Svc("HC:99213", "100", "80")])
    result = matched(x835(*(payment_for(claim, refs) for claim, refs in paid), stranger), claims_837)

    claim_rows = list(result.claims.rows())
    assert [(r["status"], r["method"]) for r in claim_rows[:len(paid) + 1]] == \
        [("matched", "patient_control_number")] * len(paid) + [("unmatched_835", "")]
    assert [m.submitted.key for m in result.claim_matches[:len(paid)]] == [claim.key for claim, _ in paid]
    unpaid = [claim for k, claim in enumerate(submissions.claims) if k % 3 == 2]
    assert [m.submitted.key for m in result.claim_matches[len(paid) + 1:]] == [claim.key for claim in unpaid]
    assert {r["status"] for r in claim_rows[len(paid) + 1:]} == {"unmatched_837"}

    expected = [(line.key, "line_control_number" if refs else "procedure_and_date") for claim, refs in paid
                for line in claim.lines]
    answered = [(m.submitted.key, m.method) for m in result.line_matches[:len(expected)]]
    assert answered == expected
    assert methods(result)[len(expected)] == ("unmatched_835", "")
    assert [m.submitted.key for m in result.line_matches[len(expected) + 1:]] == \
        [line.key for claim in unpaid for line in claim.lines]


# --- hand-built pairs ----------------------------------------------------------------------------
def test_lines_by_line_control_number_whatever_the_order_and_code():
    claims = x837(Submission("PCN1", [Line("HC:99213", "100", ref="A1"), Line("HC:36415", "20", ref="A2")]))
    remit = x835(Clp("PCN1", [Svc("HC:36416", "20", "15", ref="A2"), Svc("HC:99212", "100", "70", ref="A1")]))
    result = matched(remit, claims)
    assert methods(result) == [("matched", "line_control_number")] * 2
    assert pairs(result) == [("36416", "2"), ("99212", "1")]
    assert [r["procedure_code_837"] for r in result.lines.rows()] == ["36415", "99213"]


def test_lx01_echoed_in_ref_6r_when_no_ref_6r_was_sent():
    claims = x837(Submission("PCN1", [Line("HC:99213", "100"), Line("HC:36415", "20")]))
    remit = x835(Clp("PCN1", [Svc("HC:99999", "20", "15", ref="2"), Svc("HC:99998", "100", "70", ref="1")]))
    result = matched(remit, claims)
    assert methods(result) == [("matched", "line_number")] * 2
    assert pairs(result) == [("99999", "2"), ("99998", "1")]


def test_clm01_longer_than_20_characters_matches_on_its_first_20():
    long_number = "ABCDEFGHIJKLMNOPQRSTUVWXY"
    claims = [x837(Submission(long_number, [Line("HC:99213", "100", ref="L1")])),
              x837(Submission(long_number[:20] + "Z", [Line("HC:99213", "90", ref="L1")]))]
    result = matched(x835(Clp(long_number[:20], [Svc("HC:99213", "100", "80", ref="L1")])), claims)
    claim = result.claim_matches[0]
    assert (claim.method, claim.tie_break) == ("patient_control_number_20", "charge")
    assert claim.submitted.patient_control_number == long_number
    assert result.claims[0]["patient_control_number"] == long_number  # the 837's, not cut

    exact = matched(x835(Clp(long_number[:20], [Svc("HC:99213", "100", "80")])),
                    [claims[0], x837(Submission(long_number[:20], [Line("HC:99213", "100")]))])
    assert exact.claim_matches[0].method == "patient_control_number"
    assert exact.claim_matches[0].submitted.key == (1, 0, 0)


ORIGINAL = Submission("PCN7", [Line("HC:99213", "100", ref="O1")])
CORRECTED = Submission("PCN7", [Line("HC:99214", "150", ref="C1")], frequency="7", f8="ICN1")


@pytest.mark.parametrize("correction", [
    pytest.param(Clp("PCN7", [Svc("HC:99214", "150", "120", ref="C1")], icn="ICN2", frequency="7", f8="ICN1"),
                 id="835-quotes-the-original"),
    pytest.param(Clp("PCN7", [Svc("HC:99214", "150", "120", ref="C1")], icn="ICN1", frequency="7"),
                 id="payer-keeps-the-number"),
])
def test_corrected_claim_picks_the_submission_by_ref_f8(correction):
    """The original's adjudication and its reversal (CLP07 ICN1, frequency 1) answer the original;
    the correction answers the submission quoting ICN1 in REF*F8."""
    original = Clp("PCN7", [Svc("HC:99213", "100", "80", ref="O1")])
    reversal = Clp("PCN7", [Svc("HC:99213", "-100", "-80", ref="O1")], status="22")
    result = matched([x835(original), x835(reversal, correction)], x837(ORIGINAL, CORRECTED))
    chosen = [(m.submitted.frequency, m.method, m.tie_break) for m in result.claim_matches]
    assert chosen == [("1", "patient_control_number", "payer_claim_control_number")] * 2 + \
        [("7", "patient_control_number", "payer_claim_control_number")]
    assert methods(result) == [("matched", "line_control_number")] * 3
    assert [r["source_835"] for r in result.claims.rows()] == [0, 1, 1]
    # The original's charge is given once, on the first row that names it.
    assert [r["charge_cents_837"] for r in result.claims.rows()] == [10000, None, 15000]


@pytest.mark.parametrize("submissions, clp, chosen, tie_break", [
    pytest.param([Submission("P", [Line("HC:99213", "100")]), Submission("P", [Line("HC:99213", "120")])],
                 Clp("P", [Svc("HC:99213", "120", "90")]), 1, "charge", id="charge"),
    pytest.param([Submission("P", [Line("HC:99213", "100")]), Submission("P", [Line("HC:99213", "100", DAY2)])],
                 Clp("P", [Svc("HC:99213", "100", "90", DAY2)]), 1, "service_dates", id="dates"),
    pytest.param([Submission("P", [Line("HC:99213", "100")], frequency="7"),
                  Submission("P", [Line("HC:99213", "100")])],
                 Clp("P", [Svc("HC:99213", "100", "90")], frequency="7"), 0, "frequency", id="frequency"),
    pytest.param([Submission("P", [Line("HC:99213", "100")]), Submission("P", [Line("HC:99213", "100")])],
                 Clp("P", [Svc("HC:99213", "100", "90")]), 1, "ambiguous", id="ambiguous-takes-the-last"),
])
def test_submissions_sharing_clm01_are_told_apart(submissions, clp, chosen, tie_break):
    result = matched(x835(clp), x837(*submissions))
    claim = result.claim_matches[0]
    assert (claim.submitted.index, claim.tie_break) == (chosen, tie_break)
    assert result.claims[0]["tie_break"] == tie_break
    assert [r["status"] for r in result.claims.rows()] == ["matched", "unmatched_837"]


@pytest.mark.parametrize("bundled_first", [False, True])
def test_bundled_lines_match_through_svc06(bundled_first):
    """DOMAIN 3.7.2: the bundled line shows SVC01 = the code it went into, SVC06 = its own."""
    claims = x837(Submission("PCN1", [Line("HC:99213", "100"), Line("HC:36415", "20")]))
    paid = Svc("HC:99213", "100", "100")
    bundled = Svc("HC:99213", "20", "0", original="HC:36415")
    lines = [bundled, paid] if bundled_first else [paid, bundled]
    result = matched(x835(Clp("PCN1", lines)), claims)
    expected = {"99213": "procedure_and_date", "36415": "original_procedure_and_date"}
    assert [m.submitted.procedure.code for m in result.line_matches] == \
        [(svc.original or svc.procedure).split(":")[1] for svc in lines]
    assert methods(result) == [("matched", expected[m.submitted.procedure.code]) for m in result.line_matches]


@pytest.mark.parametrize("ref", ["R1", ""], ids=["shared-ref-6r", "shared-svc06"])
def test_unbundled_lines_all_go_to_the_one_submitted_line(ref):
    """DOMAIN 3.7.3: the first new SVC carries the charge, later ones 0, all share REF*6R (or,
    without it, SVC06)."""
    claims = x837(Submission("PCN1", [Line("HC:80053", "48", ref=ref), Line("HC:99213", "100", ref=ref and "R2")]))
    remit = x835(Clp("PCN1", [Svc("HC:82947", "48", "10", ref=ref, original="HC:80053"),
                              Svc("HC:84132", "0", "0", ref=ref, original="HC:80053"),
                              Svc("HC:99213", "100", "80", ref=ref and "R2")]))
    result = matched(remit, claims)
    assert pairs(result) == [("82947", "1"), ("84132", "1"), ("99213", "2")]
    method = "line_control_number" if ref else "original_procedure_and_date"
    assert methods(result)[:2] == [("matched", method)] * 2
    assert [r["charge_cents_837"] for r in result.lines.rows()] == [4800, None, 10000]


def test_lines_without_ref_6r_by_code_and_date_then_ordinal():
    """Duplicates pair in order, dates tell equal codes apart, modifiers may come in any order,
    and a line recoded without SVC06 falls to the ordinal rule."""
    claims = x837(Submission("PCN1", [
        Line("HC:99213", "100", DAY1), Line("HC:99213", "101", DAY2), Line("HC:97140:GP:59", "60"),
        Line("HC:97140:GP:59", "61"), Line("HC:87880:QW", "42"),
    ]))
    remit = x835(Clp("PCN1", [
        Svc("HC:99213", "101", "80", DAY2), Svc("HC:97140:59:GP", "60", "50"), Svc("HC:99213", "100", "80", DAY1),
        Svc("HC:87081", "42", "30"), Svc("HC:97140:GP:59", "61", "50"),
    ]))
    result = matched(remit, claims)
    assert pairs(result) == [("99213", "2"), ("97140", "3"), ("99213", "1"), ("87081", "5"), ("97140", "4")]
    assert [m for _, m in methods(result)] == ["procedure_and_date"] * 3 + ["ordinal", "procedure_and_date"]


def test_revenue_codes_match_institutional_lines():
    claims = x837(Submission("PCN1", [Line("", "50", revenue="0300"), Line("HC:99283", "500", revenue="0450")]),
                  institutional=True)
    result = matched(x835(Clp("PCN1", [Svc("HC:99283", "500", "400"), Svc("NU:0300", "50", "40")])), claims)
    assert pairs(result) == [("99283", "2"), ("0300", "1")]
    assert methods(result) == [("matched", "procedure_and_date")] * 2


def test_unmatched_on_both_sides():
    claims = x837(Submission("PCN1", [Line("HC:99213", "100", ref="A1"), Line("HC:36415", "20", ref="A2")]),
                  Submission("PCN2", [Line("HC:99214", "150", ref="B1")]))
    remit = x835(Clp("PCN1", [Svc("HC:99213", "100", "80", ref="A1"), Svc("HC:71046", "110", "0", DAY2)]),
                 Clp("PCN9", [Svc("HC:99213", "100", "80")]))
    result = matched(remit, claims)
    assert [(m.status, m.method) for m in result.claim_matches] == \
        [("matched", "patient_control_number"), ("unmatched_835", ""), ("unmatched_837", "")]
    assert methods(result) == [("matched", "line_control_number"), ("unmatched_835", ""), ("unmatched_835", ""),
                               ("unmatched_837", ""), ("unmatched_837", "")]
    rows = list(result.lines.rows())
    assert [(r["claim_835"], r["line_835"], r["claim_837"], r["line_837"]) for r in rows] == \
        [(0, 0, 0, 0), (0, 1, None, None), (1, 2, None, None), (None, None, 0, 1), (None, None, 1, 2)]
    assert [r["patient_control_number"] for r in rows] == ["PCN1", "PCN1", "PCN9", "PCN1", "PCN2"]
    assert result.claims.nulls("paid_cents").tolist() == [False, False, True]


def test_nothing_to_match():
    result = remittance.match(remittance.read(x835()), [])
    assert len(result.claims) == len(result.lines) == 0
    assert result.lines.column_names[-3:] == ["charge_cents_835", "charge_cents_837", "paid_cents"]
    assert result.lines.column("paid_cents").dtype == np.int64


FILES_835 = corpus_files("835")


@pytest.mark.parametrize("path", [pytest.param(p, id=corpus_id(p)) for p in FILES_835])
def test_corpus_835_keys_name_the_table_rows(path):
    """With no 837 every corpus 835 claim and line is unmatched, and its keys name its rows."""
    batch = remittance.read_file(path)
    result = remittance.match(batch, [])
    check_invariants(result, batch, SubmissionBatch([]))
    assert {m.status for m in result.line_matches} <= {"unmatched_835"}
