"""edi.remittance objects: every corpus 835 against an independent raw scan of its segments,
specific values of small corpus files checked by eye, sloppy files (no LX, no payee, several
interchanges, no guide for the version), and findings for values that cannot be read."""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

import edi
import edi.remittance as remittance
from edi import schema
from edi import FindingCode as F

from conftest import CORPUS, corpus_files, corpus_id

FILES_835 = corpus_files("835")
D = Decimal


def corpus_835(name: str) -> Path:
    return CORPUS / "835" / name


# --- an independent oracle: split the raw text on the file's own delimiters ------------------------

def raw_segments(data: bytes) -> list[list[str]]:
    """Every segment as its list of elements, split with the delimiters of the first ISA (the
    element separator follows "ISA", the terminator follows ISA16), or "*" and "~" when there is
    no ISA. Layout whitespace around segments is dropped."""
    text = data.decode("latin-1")
    start = text.find("ISA")
    if start < 0:
        sep, term, start = "*", "~", 0
    else:
        sep = text[start + 3]
        end = start
        for _ in range(16):
            end = text.index(sep, end + 1)
        term = text[end + 2]
    return [piece.strip().split(sep) for piece in text[start:].split(term) if piece.strip()]


def raw_number(text: str) -> Decimal | None:
    if not text.lstrip("-").replace(".", "", 1).isdigit():
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def raw_sum(segments: list[list[str]], segment_id: str, positions) -> Decimal:
    """Sum of the numeric values at `positions` of every segment with this id."""
    total = D(0)
    for seg in segments:
        if seg[0].upper() == segment_id:
            for j in positions:
                value = raw_number(seg[j]) if j < len(seg) else None
                total += value if value is not None else 0
    return total


def raw_count(segments, segment_id: str) -> int:
    return sum(1 for seg in segments if seg[0].upper() == segment_id)


def total(values) -> Decimal:
    return sum((v for v in values if v is not None), D(0))


@pytest.mark.parametrize("path", [pytest.param(p, id=corpus_id(p)) for p in FILES_835])
def test_corpus_amounts_match_a_raw_scan(path):
    """Counts and sums of CLP, SVC, CAS, PLB, BPR and LQ over the objects equal those of the raw
    segments: nothing is lost or read twice, whatever the file's layout or version."""
    segments = raw_segments(path.read_bytes())
    batch = remittance.read_file(path)
    claims = batch.claims
    lines = [line for claim in claims for line in claim.lines]
    adjustments = [a for claim in claims for a in claim.adjustments] + [a for line in lines for a in line.adjustments]
    plbs = [p for r in batch.remittances for p in r.provider_adjustments]

    assert len(batch.remittances) == raw_count(segments, "ST")
    assert len(claims) == raw_count(segments, "CLP")
    assert len(lines) == raw_count(segments, "SVC")
    assert total(c.charge for c in claims) == raw_sum(segments, "CLP", [3])
    assert total(c.paid for c in claims) == raw_sum(segments, "CLP", [4])
    assert total(c.patient_responsibility for c in claims) == raw_sum(segments, "CLP", [5])
    assert total(line.charge for line in lines) == raw_sum(segments, "SVC", [2])
    assert total(line.paid for line in lines) == raw_sum(segments, "SVC", [3])
    assert total(a.amount for a in adjustments) == raw_sum(segments, "CAS", range(3, 20, 3))
    assert total(p.amount for p in plbs) == raw_sum(segments, "PLB", range(4, 15, 2))
    assert total(r.payment.amount for r in batch.remittances) == raw_sum(segments, "BPR", [2])
    assert sum(len(line.remarks) + len(line.reject_codes) for line in lines) == raw_count(segments, "LQ")


def test_raw_scan_on_a_known_text():
    """The oracle itself, on a text with CRLF layout and a separator other than '*'."""
    isa = b"ISA|00|          |00|          |ZZ|A              |ZZ|B              |240101|1200|^|00501|000000001|0|P|:~"
    data = b"note\r\n" + isa + b"\r\nST|835|1~\r\n  CLP|A|1|10.50|5~CLP|B|1|x|2.25~SE|4|1~"
    segments = raw_segments(data)
    assert [s[0] for s in segments] == ["ISA", "ST", "CLP", "CLP", "SE"]
    assert raw_sum(segments, "CLP", [3]) == D("10.50")
    assert raw_sum(segments, "CLP", [4]) == D("7.25")


# --- specific files, values read by eye ----------------------------------------------------------

SECONDARY = "stupidedi__X221A1-HP835_pass_secondary-payments.edi"


def test_secondary_payment_values():
    """stupidedi secondary-payments: header, payee, a claim adjusted only at claim level (OA-23)
    and a claim with two lines."""
    batch = remittance.read_file(corpus_835(SECONDARY))
    assert batch.sources == [str(corpus_835(SECONDARY))]
    (remit,) = batch.remittances
    assert remit.control_number == "0001"
    pay = remit.payment
    assert (pay.handling, pay.amount, pay.credit_debit, pay.method) == ("I", D("1222"), "C", "CHK")
    assert (pay.date, pay.trace_number, pay.payer_id) == (datetime.date(2005, 4, 12), "0012524965", "1559123456")
    assert remit.production_date == datetime.date(2005, 4, 12)
    assert remit.payer.name == "YOUR TAX DOLLARS AT WORK"
    assert (remit.payee.name, remit.payee.id_qualifier, remit.payee.id) == ("ACME MEDICAL CENTER", "FI", "599944521")
    assert remit.payee.references == {"PQ": "10488"}

    first, second = remit.claims
    assert (first.patient_control_number, first.status) == ("L0004828311", "2")
    assert first.status_meaning == "processed as secondary"
    assert (first.charge, first.paid, first.patient_responsibility) == (D("10323.64"), D("912"), None)
    assert (first.filing_indicator, first.payer_claim_control_number) == ("12", "05090256390")
    assert (first.facility_code, first.frequency) == ("11", "1")
    assert (first.statement_from, first.statement_to) == (datetime.date(2005, 3, 3), datetime.date(2005, 3, 4))
    assert (first.patient.name, first.patient.first_name, first.patient.id) == ("TOWNSEND", "WILLIAM", "XXX123456789")
    assert first.rendering_provider.name == "ACME MEDICAL CENTER" and first.insured is None
    assert first.amounts == {"AU": D("912")}
    (adj,) = first.adjustments
    assert (adj.level, adj.group, adj.reason, adj.amount, adj.bucket) == ("claim", "OA", "23", D("9411.64"), "prior_payer")
    assert first.lines == []

    line1, line2 = second.lines
    assert (line1.procedure.qualifier, line1.procedure.code, line1.procedure.modifiers) == ("HC", "12345", ["26"])
    assert (line1.charge, line1.paid, line1.units) == (D("166.5"), D("30"), D(1))
    assert (line1.allowed, line1.allowed_derived) == (D("150"), False)
    assert line1.service_start == line1.service_end == datetime.date(2005, 1, 6)
    assert line1.references == {"1B": "43285"} and line1.claim is second
    assert (line2.revenue_code, line2.units) == ("220", D(1))
    assert [(a.group, a.reason, a.amount, a.bucket) for a in line2.adjustments] == [
        ("PR", "1", D("150"), "deductible"), ("PR", "2", D("70"), "coinsurance"), ("CO", "42", D("85"), "contractual")]
    assert second.patient_responsibility == D("220") == second.buckets.patient_responsibility


def test_misplaced_values_are_read_as_sent():
    """lfh-x12's copy of the same remittance puts the payment date in BPR15 and separates
    SVC01's components with '>' while ISA16 is ':'. Nothing is guessed: no date, one component."""
    (remit,) = remittance.read_file(corpus_835("lfh-x12__secondary-payment.835")).remittances
    assert remit.payment.date is None
    assert remit.claims[1].lines[0].procedure.qualifier == "HC>12345>26"


def test_component_separator_and_allowed_derivation():
    """x12-to-fhir claim-adjustment-reason-code-45: '|' separates components; a line without
    AMT*B6 gets a derived allowed amount, flagged."""
    (claim,) = remittance.read_file(corpus_835("x12-to-fhir__X221-claim-adjustment-reason-code-45.edi")).claims
    assert [line.procedure.code for line in claim.lines] == ["99213", "85003", "36415"]
    paid, denied, bundled = claim.lines
    assert (paid.allowed, paid.allowed_derived) == (D("80"), False)
    assert (denied.allowed, denied.allowed_derived) == (D("0"), True)
    assert [a.bucket for a in bundled.adjustments] == ["denied"] and bundled.adjustments[0].category.soft
    assert claim.received == datetime.date(2019, 2, 9)
    assert claim.references == {"1L": "12345F"}


def test_4010_file_with_provider_adjustments():
    """pyx12 835_simple (4010): DTM*150 service start, CR group codes, three PLB pairs."""
    batch = remittance.read_file(corpus_835("pyx12__835_simple.txt"))
    (remit,) = batch.remittances
    assert [c.status for c in remit.claims] == ["22", "1", "22"]
    line = remit.claims[0].lines[0]
    assert (line.service_start, line.service_end, line.units) == (datetime.date(2008, 1, 11), None, D(6))
    assert [(a.group, a.reason, a.amount) for a in line.adjustments] == [("CR", "45", D(-100))]
    plbs = remit.provider_adjustments
    assert [(p.provider_id, p.fiscal_date, p.reason, p.reference, p.amount) for p in plbs] == [
        ("382999999", datetime.date(2009, 9, 30), "CS", "", D("-1008.1")),
        ("382999999", datetime.date(2009, 9, 30), "CS", "", D("24.21")),
        ("382999999", datetime.date(2009, 9, 30), "CS", "", D("5.95")),
    ]
    assert [p.location.element for p in plbs] == [3, 5, 7]


def test_service_line_original_procedure():
    """SVC06 (the submitted code) is read when present, as in the Blue Cross NC sample."""
    (claim,) = remittance.read_file(corpus_835("edi-835-parser__blue_cross_nc_sample.txt")).claims
    first = claim.lines[0]
    assert (first.procedure.code, first.original_procedure.code) == ("59430", "59410")
    assert first.control_number == "0001"


# --- sloppy files --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["stupidedi__X221-HP835_3a-good.txt", "cybernescens-x12parser___5010_Example1.txt",
                                  "oopfactory-x12__835_DeIdent_01.dat", "edi-835-parser__blue_cross_nc_sample.txt"])
def test_versions_without_a_guide_are_read(name):
    """GS08 005010X221, "5010", a masked version or no GS at all: no schema names them, yet the
    claims and lines are read (the walk goes by segment ids, not by a guide's loops)."""
    doc = edi.read_file(corpus_835(name))
    assert schema.find(doc.transactions[0].version, "835") is None
    batch = remittance.RemittanceBatch([doc])
    segments = raw_segments(corpus_835(name).read_bytes())
    assert len(batch.claims) == raw_count(segments, "CLP") > 0
    assert sum(len(claim.lines) for claim in batch.claims) == raw_count(segments, "SVC")


def test_claims_without_lx_and_without_payee():
    """A CLP with no LX before it opens the loop it implies; a missing N1*PE leaves payee None."""
    data = corpus_835("lfh-x12__secondary-payment.835").read_bytes()
    for cut in (b"LX*1~\n", b"LX*2~\n", b"N1*PE*ACME MEDICAL CENTER*FI*599944521~\n"):
        assert cut in data
        data = data.replace(cut, b"")
    (remit,) = remittance.read(data).remittances
    assert remit.payee is None
    assert [c.patient_control_number for c in remit.claims] == ["L0004828311", "0001000053"]
    assert len(remit.claims[1].lines) == 2


@pytest.mark.parametrize("name, transactions", [("nifi-edireader__double-isa-file-5010.835", 2),
                                                ("tastypackets-x12__oneLine-2-ISA.edi", 2),
                                                ("oopfactory-x12__835_WithMultipleInterchanges.txt", 3)])
def test_several_interchanges_per_file(name, transactions):
    batch = remittance.read_file(corpus_835(name))
    assert len(batch.remittances) == transactions == len(batch.documents[0].interchanges)
    assert all(claim.remittance is remit for remit in batch.remittances for claim in remit.claims)


def test_read_files_is_one_batch():
    paths = [corpus_835("lfh-x12__secondary-payment.835"), corpus_835("lfh-x12__tertiary-payment.835")]
    batch = remittance.read_files(paths)
    assert batch.sources == [str(p) for p in paths]
    assert len(batch.documents) == 2 and len(batch.remittances) == 2
    assert remittance.read(paths[0].read_bytes()).sources == ["<bytes>"]


def test_built_documents_are_refused():
    doc = edi.Document.build([])
    assert remittance.RemittanceBatch([doc]).remittances == []
    txn = edi.Transaction.build("835", "0001", [edi.Segment.build("BPR", "I", "1.00")])
    group = edi.Group.build("HP", "A", "B", "1", "005010X221A1", [txn], "20240101", "1200")
    built = edi.Document.build([edi.Interchange.build("A", "B", 1, [group], date="240101", time="1200")])
    with pytest.raises(edi.EdiError):
        remittance.RemittanceBatch([built])
    edited = edi.read_file(corpus_835(SECONDARY))
    edited.transactions[0].segments[3][2] = "0"  # the objects would not show the edit
    with pytest.raises(edi.EdiError, match="edited"):
        remittance.RemittanceBatch([edited])
    assert remittance.RemittanceBatch([edi.read(edi.write(edited))]).remittances


# --- values that cannot be read ------------------------------------------------------------------

def test_unreadable_values_are_findings_without_values():
    """A non-number, an amount finer than cents and an impossible date: None (or the exact
    value) and a finding at the element, whose text never shows the value."""
    data = corpus_835("lfh-x12__secondary-payment.835").read_bytes()
    edits = {b"CLP*0001000053*2*751.50*310.00": b"CLP*0001000053*2*751.50*31O.00",
             b"SVC*HC>12345>26*166.50": b"SVC*HC>12345>26*166.505",
             b"DTM*472*20050106~\nCAS*OA": b"DTM*472*20050231~\nCAS*OA"}
    for old, new in edits.items():
        assert old in data
        data = data.replace(old, new)
    batch = remittance.read(data)
    (remit,) = batch.remittances
    claim = remit.claims[1]
    assert claim.paid is None
    assert claim.lines[0].charge == D("166.505")
    assert claim.lines[0].service_start is None
    found = {(f.code, f.location.segment_id, f.location.element) for f in remit.findings}
    assert found == {(F.BAD_AMOUNT, "CLP", 4), (F.AMOUNT_PRECISION, "SVC", 2), (F.BAD_DATE, "DTM", 2)}
    for finding in remit.findings:
        assert finding.location.byte_offset is not None and finding.location.segment_number is not None
        text = finding.message + repr(finding)
        assert not any(value in text for value in ("31O.00", "166.505", "20050231"))


def test_bad_amounts_in_a_corpus_file():
    """pb-x12 example835One sends text where BPR02 and CLP05 should be amounts."""
    (remit,) = remittance.read_file(corpus_835("pb-x12-hzbarcea__example835One.txt")).remittances
    assert remit.payment.amount is None
    assert [(f.code, f.location.segment_id, f.location.element) for f in remit.findings] == [
        (F.BAD_AMOUNT, "BPR", 2), (F.BAD_AMOUNT, "CLP", 5), (F.BAD_AMOUNT, "CLP", 5)]


def test_reprs_show_no_patient_data():
    batch = remittance.read_file(corpus_835("lfh-x12__secondary-payment.835"))
    claim = batch.claims[1]
    text = " ".join(repr(x) for x in (batch, batch.remittances[0], claim, claim.patient, claim.lines[0]))
    assert not any(value in text for value in ("BAKI", "ANGI", "0001000053", "456789123"))


def test_batch_findings_collect_reading_and_reversals():
    pytest.importorskip("edi.remittance.tables", reason="the tables module is written separately")
    batch = remittance.read_file(corpus_835("pyx12__835_simple.txt"))
    codes = [f.code for f in batch.findings]
    assert codes.count(F.REVERSAL_UNPAIRED) == 1
    assert set(batch.documents[0].findings) <= set(batch.findings)
