"""837 claims read (edi.claims): every corpus 837 reads; claims, lines and diagnoses are counted
as an independent raw scan counts them; objects and tables agree on every corpus file; values
of two corpus files as read by eye; the claims kernel against its twin."""
from __future__ import annotations

import datetime
import os
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edi
import edi.claims
from edi import _backend
from edi.claims import values
from edi.claims.objects import DIAGNOSIS_QUALIFIERS
from edi.claims.tables import COLUMNS

from conftest import CORPUS, corpus_files, corpus_id

CLAIM_FILES = corpus_files("837p", "837i", "837d")
needs_cython = pytest.mark.skipif("cython" not in _backend.KERNELS, reason="the Cython extension is not built")


def raw_counts(document: edi.Document) -> tuple[int, int, int]:
    """(claims, lines, diagnoses) of the 837s by splitting the bytes on the delimiters: a CLM
    opens a claim until the next HL or SE, LX counts inside a claim, and so do HI composites
    with a diagnosis qualifier."""
    delimiters = document.index.dialects[0].delimiters
    claims = lines = diagnoses = 0
    in_837 = in_claim = False
    for raw in document.index.buf.split(delimiters.segment):
        fields = raw.strip().decode("latin-1").split(delimiters.element.decode())
        sid = fields[0].upper()
        if sid == "ST":
            in_837, in_claim = fields[1:2] == ["837"], False
        elif not in_837:
            continue
        elif sid in ("HL", "SE"):
            in_claim = False
        elif sid == "CLM":
            claims, in_claim = claims + 1, True
        elif sid == "LX" and in_claim:
            lines += 1
        elif sid == "HI" and in_claim:
            diagnoses += sum(f.split(delimiters.component.decode())[0] in DIAGNOSIS_QUALIFIERS for f in fields[1:])
    return claims, lines, diagnoses


def test_the_corpus_has_every_kind():
    kinds = {p.parent.name for p in CLAIM_FILES}
    assert kinds == {"837p", "837i", "837d"} and len(CLAIM_FILES) >= 150


@pytest.mark.parametrize("path", CLAIM_FILES, ids=corpus_id)
def test_corpus_file_reads(path):
    """Objects and tables of every corpus 837; counts as the raw scan counts them (files whose
    interchanges use different delimiters are only read); totals of the tables are the objects'."""
    batch = edi.claims.read_file(path)
    claims, tables = batch.claims, batch.tables
    assert [len(tables[name]) for name in COLUMNS] == [
        len(claims), sum(len(c.lines) for c in claims), sum(len(c.diagnoses) for c in claims)]
    if len({d.delimiters for d in batch.documents[0].index.dialects}) == 1:
        assert raw_counts(batch.documents[0]) == tuple(len(tables[name]) for name in COLUMNS)
    cents = lambda amount: int(amount * 100)  # noqa: E731 (corpus amounts have at most 2 decimals)
    assert int(tables["claims"].column("charge_cents").sum()) == sum(cents(c.charge) for c in claims if c.charge)
    lines = [line for claim in claims for line in claim.lines]
    assert tables["service_lines"].column("charge_cents").tolist() == [
        cents(line.charge) if line.charge is not None else 0 for line in lines]
    units = tables["service_lines"].column("units")
    assert [None if np.isnan(u) else Decimal(str(u)) for u in units] == [line.units for line in lines]
    assert tables["service_lines"].column("procedure_code").tolist() == [
        line.procedure.code if line.procedure else "" for line in lines]
    assert tables["service_lines"].column("service_from").astype(object).tolist() == [line.service_from for line in lines]
    assert tables["diagnoses"].column("code").tolist() == [d.code for c in claims for d in c.diagnoses]
    assert tables["claims"].column("billing_npi").tolist() == [
        c.billing_provider.id if c.billing_provider else "" for c in claims]
    assert tables["claims"].column("kind").tolist() == [s.kind for s in batch.submissions for _ in s.claims]
    assert tables["claims"].column("principal_diagnosis").tolist() == [
        c.principal_diagnosis.code if c.principal_diagnosis else "" for c in claims]
    assert tables["claims"].column("rendering_npi").tolist() == [
        c.rendering_provider.id if c.rendering_provider else "" for c in claims]


@pytest.mark.parametrize("folder, kind", [("837p", "P"), ("837i", "I"), ("837d", "D")])
def test_kinds_follow_the_service_segments(folder, kind):
    """Corpus files sort by kind; a few name another guide in GS08 but hold its service segments
    (the 837d folder also holds two X300 examples with professional SV1 lines)."""
    kinds = {s.kind for path in corpus_files(folder) for s in edi.claims.read_file(path).submissions}
    assert kinds == {kind} if folder != "837d" else kind in kinds


def test_professional_claim_by_eye():
    """A patient who is not the subscriber, a claim-level rendering provider and facility, and
    an other subscriber (2330A NM1*IL after a 2320 SBR) that must not replace the subscriber."""
    path = CORPUS / "837p" / "lfh-x12__837_005010X222A2_demo.cob.example3.A.837"
    batch = edi.claims.read_file(path)
    submission, = batch.submissions
    assert (submission.kind, submission.reference, submission.created) == ("P", "0123", datetime.datetime(2005, 10, 15, 10, 23))
    assert (submission.submitter.name, submission.contact.phone, submission.receiver.id) == (
        "PREMIER BILLING SERVICE", "3055552222", "66783JJT")
    claim, = batch.claims
    assert (claim.claim_id, claim.charge, claim.facility_code, claim.frequency) == ("26407789", Decimal("79.04"), "11", "1")
    billing = claim.billing_provider
    assert (billing.name, billing.first_name, billing.npi, billing.tax_id, billing.address.postal_code) == (
        "KILDARE", "BEN", "1999996666", "123456789", "33111")
    assert (claim.subscriber.first_name, claim.subscriber.id, claim.subscriber.birth_date) == (
        "JANE", "111223333", datetime.date(1943, 5, 1))
    assert (claim.subscriber.responsibility, claim.subscriber.filing_indicator) == ("P", "CI")
    assert (claim.payer.name, claim.payer.id, claim.payer.references) == ("KEY INSURANCE COMPANY", "999996666", {"G2": "PBS3334"})
    assert (claim.patient.first_name, claim.patient.relationship, claim.patient.gender) == ("TED", "19", "M")
    assert claim.patient.address.line1 == "236 N MAIN ST"
    assert sorted(claim.providers) == ["77", "82"]
    assert (claim.rendering_provider.taxonomy, claim.rendering_provider.references) == ("204C00000X", {"G2": "KA6663"})
    assert [(d.qualifier, d.code) for d in claim.diagnoses] == [("BK", "4779"), ("BF", "2724"), ("BF", "2780"), ("BF", "53081")]
    assert [(l.number, l.procedure.code, l.charge, l.units, l.unit_basis, l.diagnosis_pointers, l.service_from)
            for l in claim.lines] == [
        (1, "99213", Decimal("43.00"), Decimal("1.00"), "UN", (1, 2, 3, 4), datetime.date(2005, 10, 3)),
        (2, "90782", Decimal("15.00"), Decimal("1.00"), "UN", (1, 2), datetime.date(2005, 10, 3)),
        (3, "J3301", Decimal("21.04"), Decimal("1.00"), "UN", (1, 2), datetime.date(2005, 10, 3)),
    ]
    row = batch.tables["claims"][0]
    assert (row["patient_first_name"], row["subscriber_first_name"], row["rendering_npi"], row["lines"],
            row["diagnoses"], row["principal_diagnosis"], row["line_charge_cents"]) == (
        "TED", "JANE", "1999996666", 3, 4, "4779", 7904)
    assert (row["byte_offset"], row["segment_number"]) == (claim.location.byte_offset, claim.location.segment_number)
    assert "SMITH" not in repr(claim) + repr(claim.patient) + repr(claim.lines[0])


def test_institutional_claim_by_eye():
    path = CORPUS / "837i" / "stupidedi__X223A2-HC837_pass_837-institutional-claim.edi"
    batch = edi.claims.read_file(path)
    claim, = batch.claims
    assert batch.submissions[0].kind == "I"
    assert (claim.claim_id, claim.charge, claim.facility_code, claim.frequency, claim.provider_signature) == (
        "756048Q", Decimal("89.93"), "14", "1", "")
    assert (claim.admission_type, claim.admission_source, claim.patient_status) == ("3", "", "01")
    assert claim.dates == {"434": (None, None)}  # "RD8*19960911" is not a range: a finding
    assert [f.code for f in batch.findings if f.code is edi.FindingCode.BAD_DATE] == [edi.FindingCode.BAD_DATE]
    assert (claim.billing_provider.taxonomy, claim.billing_provider.npi) == ("203BA0200N", "9876540809")
    assert claim.patient is None and claim.subscriber.name == "DOE"
    assert [(d.qualifier, d.code) for d in claim.diagnoses] == [("BK", "3669"), ("BF", "4019"), ("BF", "79431")]
    assert claim.providers["71"].name == "JONES"
    assert [(l.revenue_code, l.procedure.code, l.charge, l.units) for l in claim.lines] == [
        ("0305", "85025", Decimal("13.39"), Decimal("1")), ("0730", "93005", Decimal("76.54"), Decimal("3"))]
    lines = batch.tables["service_lines"]
    assert lines.column("revenue_code").tolist() == ["0305", "0730"]
    assert lines.column("units").tolist() == [1.0, 3.0]
    assert lines.nulls("pointer_1").all()


def test_tables_of_a_batch_number_their_sources():
    files = [CORPUS / "837p" / "lfh-x12__837_005010X222A2_demo.cob.example3.A.837",
             CORPUS / "837i" / "stupidedi__X223A2-HC837_pass_837-institutional-claim.edi"]
    tables = edi.claims.read_files(files).tables
    assert tables["claims"].column("source").tolist() == [0, 1]
    assert tables["claims"].column("claim").tolist() == [0, 0]
    assert tables["service_lines"].column("source").tolist() == [0, 0, 0, 1, 1]


def test_generated_file_totals():
    """The benchmark generator's claims: CLM02 is the sum of its lines, every line has a date."""
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
    from generate import generate_837p

    data = generate_837p(200_000, seed=5)
    tables = edi.claims.extract(edi.read(data))
    claims = tables["claims"]
    assert len(claims) == data.count(b"~CLM*") and len(tables["service_lines"]) == data.count(b"~LX*")
    assert np.array_equal(claims.column("charge_cents"), claims.column("line_charge_cents"))
    assert not np.isnat(tables["service_lines"].column("service_from")).any()


# --- the kernel and its twin -------------------------------------------------------------------

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:"
VALUE = st.text(alphabet="0123456789.-:A ", max_size=22)


def document_of(elements: list[str]) -> edi.Document:
    body = ["ST*837*0001", "REF*" + "*".join(elements), "DTP*472*RD8*" + (elements[0] if elements else ""),
            "DTP*472*D8*" + (elements[-1] if elements else ""), "SE*5*0001"]
    text = "~".join([ISA, "GS*HC*S*R*20240101*1200*1*X*005010X222A1", *body, "GE*1*1", "IEA*1*000000001"]) + "~"
    return edi.read(text.encode())


@needs_cython
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(VALUE, min_size=1, max_size=6), st.integers(0, 6))
def test_kernel_and_twin_agree(backend, elements, scale):
    index = document_of(elements).index
    rows = np.arange(len(index))
    python, cython = _backend.CLAIM_KERNELS["python"], _backend.CLAIM_KERNELS["cython"]
    for element, component in ((1, 0), (2, 0), (3, 1), (3, 2), (4, 3)):
        for kernel in ("numbers", "dates"):
            args = (index, rows, element, component, b":") + ((scale,) if kernel == "numbers" else ())
            expected, got = getattr(python, kernel)(*args), getattr(cython, kernel)(*args)
            for a, b in zip(*(x if isinstance(x, tuple) else (x,) for x in (expected, got))):
                assert np.array_equal(a, b)
    for a, b in zip(python.periods(index, rows), cython.periods(index, rows)):
        assert np.array_equal(a, b)


@needs_cython
@pytest.mark.parametrize("scale", [0, 2, 6])
def test_kernel_and_twin_agree_at_the_edges(backend, scale):
    """Where the kernel's fast path ends (18 - scale digits, `scale` decimals) and int64 does."""
    edges = ["645241454258004371826", "9223372036854775807", "9223372036854775806", "-9223372036854775807",
             "1234567890123456", "12345678901234567", "123456789012345678", "-0", "5.", ".5", "-.5", ".", "-.",
             "1.25", "1.255", "1.2500000", "0.125", "-", "12345678", "123456789", "-12345678", "1234567.89",
             "123456.78", "99999.99", "-9999.99", "0.00", "00", ".00", "-0.00", "1.0", "1..5", "+5", "5 ", "1.2.3"]
    for value in edges:
        index = document_of([value]).index
        rows = np.arange(len(index))
        python, cython = (_backend.CLAIM_KERNELS[name].numbers(index, rows, 1, 0, b":", scale)
                          for name in ("python", "cython"))
        assert all(np.array_equal(a, b) for a, b in zip(python, cython)), value


@needs_cython
@pytest.mark.parametrize("value", ["12.34", "1234567", "-5.00", "1.2.", "7"])
def test_kernel_and_twin_agree_on_the_last_bytes_of_the_buffer(backend, value):
    """An amount that ends the input (no terminator, no trailers) is read without reading past it."""
    index = edi.read((ISA + "~GS*HC*S*R*20240101*1200*1*X*005010X222A1~ST*837*0001~REF*" + value).encode()).index
    rows = np.array([len(index) - 1])
    python, cython = (_backend.CLAIM_KERNELS[name].numbers(index, rows, 1, 0, b":", 2)
                      for name in ("python", "cython"))
    assert all(np.array_equal(a, b) for a, b in zip(python, cython))
    assert index.buf.endswith(value.encode())


@pytest.mark.parametrize("raw, scale, expected", [
    (b"12.345", 2, (1234, 4)), (b"12.355", 2, (1236, 4)), (b"-5.5", 2, (-550, 0)), (b"100", 0, (100, 0)),
    (b"1.5", 0, (2, 4)), (b"2.5", 0, (2, 4)), (b"", 2, (0, 1)), (b"1-2", 2, (0, 2)), (b".", 2, (0, 2)),
    (b"99999999999999999", 2, (0, 2)), (b"9999999999999999", 2, (999999999999999900, 0)),
])
def test_numbers(raw, scale, expected):
    from edi._py.claims import parse_number

    assert parse_number(raw, scale) == expected


def test_values_split_components_with_each_interchange_separator():
    first = ISA + "~GS*HC*S*R*20240101*1200*1*X*005010X222A1~ST*837*0001~REF*A:1.5~SE*3*0001~GE*1*1~IEA*1*000000001~"
    second = first.replace("*P*:", "*P*>").replace("A:1.5", "A>2.25").replace("000000001", "000000002")
    index = edi.read((first + second).encode()).index
    rows = np.flatnonzero(index.seg_tag == edi.index.pack_tag("REF"))
    assert values.cents(index, rows, 1, 2)[0].tolist() == [150, 225]
    assert values.text(index, rows, 1, 1).to_numpy().tolist() == ["A", "A"]
