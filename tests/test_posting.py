"""Posting (edi.remittance.posting) and the CARC table (edi.codes): where each adjustment goes,
that buckets add up to charges on balanced generated files and corpus lines, derived allowed
amounts, and reversals paired with their corrections in files built with edi's builders."""
from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

import edi
import edi.remittance as remittance
from edi import FindingCode as F
from edi import Segment
from edi.codes import CLAIM_STATUS, UNCLASSIFIED, carc_category
from edi.remittance import BUCKETS, PostingBuckets, bucket_of, derive_allowed

from conftest import corpus_files, corpus_id

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import generate_835  # noqa: E402

D = Decimal


# --- the CARC table ------------------------------------------------------------------------------

@pytest.mark.parametrize("code, category, denial, soft, deactivated", [
    ("1", "patient_responsibility", False, False, False),
    ("45", "contractual", False, False, False),
    ("94", "contractual", False, False, False),
    ("23", "informational", False, False, False),
    ("97", "bundling", True, True, False),
    ("29", "timely_filing", True, False, False),
    ("B13", "duplicate", True, False, False),
    ("204", "non_covered", True, False, False),
    ("A1", "generic", True, False, False),
    ("15", "authorization", True, False, True),
    ("57", "medical_necessity", True, False, True),
    ("62", "authorization", True, False, True),
    ("125", "coding", True, False, True),
    ("42", UNCLASSIFIED, False, False, False),
    (" b13 ", "duplicate", True, False, False),
])
def test_carc_category(code, category, denial, soft, deactivated):
    found = carc_category(code)
    assert (found.category, found.denial, found.soft, found.deactivated) == (category, denial, soft, deactivated)
    assert found.code == code.strip().upper() and found.label


def test_claim_status_meanings():
    assert set(CLAIM_STATUS) == {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"}


# --- buckets -------------------------------------------------------------------------------------

@pytest.mark.parametrize("group, reason, paid, bucket", [
    ("PR", "1", D(10), "deductible"),
    ("PR", "2", D(10), "coinsurance"),
    ("PR", "3", D(10), "copay"),
    ("PR", "96", D(0), "patient_other"),  # a patient-liable denial stays with the patient
    ("PR", "45", D(10), "patient_other"),
    ("CO", "45", D(10), "contractual"),
    ("PI", "131", D(10), "contractual"),
    ("CO", "94", D(10), "contractual"),
    ("OA", "94", D(10), "other"),  # the negative bundling offset
    ("OA", "23", D(10), "prior_payer"),
    ("CO", "23", D(10), "prior_payer"),
    ("CO", "97", D(0), "denied"),
    ("OA", "18", D(0), "denied"),
    ("CO", "50", D(10), "denied"),  # a partial denial on a paid line
    ("CO", "42", D(10), "contractual"),  # unclassified, line paid: a reduction
    ("CO", "42", D(0), "denied"),  # unclassified, nothing paid: a denial
    ("CO", "42", None, "denied"),
    ("OA", "42", D(10), "other"),
    ("CO", "133", D(0), "other"),  # pending, informational
])
def test_bucket_of(group, reason, paid, bucket):
    assert bucket in BUCKETS
    assert bucket_of(group, reason, paid) == bucket


def test_posting_buckets_arithmetic():
    a = PostingBuckets(paid=D(50), contractual=D(30), deductible=D(5), copay=D(10), other=D("-5"))
    b = PostingBuckets(paid=D(1), denied=D(2), prior_payer=D(3), coinsurance=D(4), patient_other=D(6))
    assert a.patient_responsibility == D(15) and a.adjusted == D(40) and a.total == D(90)
    s = a + b
    assert (s.paid, s.denied, s.patient_responsibility, s.total) == (D(51), D(2), D(25), D(106))


# --- generated files: every total is known by construction ----------------------------------------

GENERATED = generate_835(200 << 10, seed=11, claims_per_transaction=25)


@pytest.fixture
def generated():
    """A balanced generated 835 (benchmarks/generate.py), read with the test's backend: lines and
    claims balance, CLP05 is the sum of PR adjustments, every line has AMT*B6, and every reversal
    is followed by its correction."""
    return remittance.read(GENERATED)


def test_generated_buckets_add_up_to_charges(generated):
    """charge = paid + every bucket, for every line and every claim (claim-level CAS included)."""
    claims = generated.claims
    assert len(claims) > 400 and not any(r.findings for r in generated.remittances)
    for claim in claims:
        assert claim.buckets.total == claim.charge
        assert claim.buckets.patient_responsibility == claim.patient_responsibility
        for line in claim.lines:
            assert line.buckets.total == line.charge
            assert line.buckets.paid == line.paid


def test_generated_secondary_claims_post_prior_payer_at_claim_level(generated):
    secondary = [c for c in generated.claims if c.status == "2" and c.adjustments]
    assert secondary
    for claim in secondary:
        (adj,) = claim.adjustments
        assert (adj.group, adj.reason, adj.level) == ("OA", "23", "claim")
        assert claim.buckets.prior_payer == adj.amount
        assert all(line.buckets.prior_payer == 0 for line in claim.lines)
        assert claim.buckets.paid == claim.paid == sum(line.paid for line in claim.lines) - adj.amount


def test_generated_allowed_amounts_are_derived_exactly(generated):
    """The derivation used when AMT*B6 is absent gives the AMT*B6 the generator sent, on every
    line: paid, contractual, copay/deductible/coinsurance, denied (CO and PR) and reversed lines."""
    lines = [line for claim in generated.claims for line in claim.lines]
    assert all(not line.allowed_derived for line in lines)
    buckets = {a.bucket for line in lines for a in line.adjustments}
    assert buckets >= {"contractual", "deductible", "coinsurance", "copay", "denied", "patient_other"}
    for line in lines:
        assert derive_allowed(line.charge, line.adjustments) == line.allowed


def test_generated_reversals_pair_with_the_next_claim(generated):
    claims = generated.claims
    reversals = [i for i, c in enumerate(claims) if c.is_reversal]
    assert reversals and not generated.reversal_findings
    for i in reversals:
        reversal, correction = claims[i], claims[i + 1]
        assert reversal.correction is correction and correction.reversal is reversal
        assert correction.patient_control_number == reversal.patient_control_number
        assert reversal.buckets.total == reversal.charge < 0


# --- corpus: the identity on every balanced line ---------------------------------------------------

@pytest.mark.parametrize("path", [pytest.param(p, id=corpus_id(p)) for p in corpus_files("835")])
def test_corpus_buckets_add_up_on_balanced_lines(path):
    """Where SVC02 - sum(line CAS) = SVC03 (most corpus lines; masked files break it), the
    buckets add up to SVC02; where CLP03 - sum(all CAS) = CLP04, the claim's add up to CLP03."""
    for claim in remittance.read_file(path).claims:
        for line in claim.lines:
            cas = sum((a.amount for a in line.adjustments if a.amount is not None), D(0))
            if line.charge is not None and line.paid is not None and line.charge - cas == line.paid:
                assert line.buckets.total == line.charge
        everything = [*claim.adjustments, *(a for line in claim.lines for a in line.adjustments)]
        cas = sum((a.amount for a in everything if a.amount is not None), D(0))
        if claim.charge is not None and claim.paid is not None and claim.charge - cas == claim.paid:
            assert claim.buckets.total == claim.charge


# --- reversal pairing, on files built with edi's builders -----------------------------------------

def claim(clp01: str, status: str, charge: str, icn: str, dos: str) -> list[Segment]:
    """One 2100 loop: CLP, statement dates and one line paid in full (negated on a reversal)."""
    return [
        Segment.build("CLP", clp01, status, charge, charge, "0", "12", icn, "11", "1"),
        Segment.build("DTM", "232", dos),
        Segment.build("DTM", "233", dos),
        Segment.build("SVC", ("HC", "99213"), charge, charge),
        Segment.build("DTM", "472", dos),
    ]


def build_835(*claims: list[Segment], control: str = "0001") -> bytes:
    """An 835 interchange around these claims, written to bytes with edi's builders."""
    body = [
        Segment.build("BPR", "I", "0", "C", "NON", *[""] * 11, "20240301"),
        Segment.build("TRN", "1", "TRACE" + control, "1999999999"),
        Segment.build("N1", "PR", "PAYER"),
        Segment.build("N1", "PE", "CLINIC", "XX", "1234567893"),
        Segment.build("LX", "1"),
        *(s for segments in claims for s in segments),
    ]
    txn = edi.Transaction.build("835", control, body)
    group = edi.Group.build("HP", "PAYER", "CLINIC", control, "005010X221A1", [txn], "20240301", "1200")
    interchange = edi.Interchange.build("PAYER", "CLINIC", int(control), [group], date="240301", time="1200")
    return edi.write(edi.Document.build([interchange]))


def test_reversal_pairs_with_its_correction():
    """The decoy has the same CLP01 but other dates; the correction comes later with a new
    CLP07; the unrelated claim matches nothing."""
    batch = remittance.read(build_835(
        claim("A1", "22", "-100.00", "ICN1", "20240105"),
        claim("ZZ", "1", "50.00", "ICN9", "20240105"),
        claim("A1", "1", "100.00", "ICN3", "20230105"),  # decoy
        claim("A1", "1", "100.00", "ICN2", "20240105"),  # correction
    ))
    reversal, unrelated, decoy, correction = batch.claims
    assert reversal.is_reversal and reversal.status_meaning == "reversal of a previous payment"
    assert reversal.correction is correction and correction.reversal is reversal
    assert decoy.reversal is None and unrelated.reversal is None
    assert batch.reversal_findings == []


def test_correction_found_by_payer_claim_number_and_preferred_by_it():
    """A corrected CLM01 keeps the payer's CLP07; a same-CLP07 candidate beats a nearer same-CLP01 one."""
    batch = remittance.read(build_835(
        claim("B1", "22", "-80.00", "ICN7", "20240110"),
        claim("B1", "1", "80.00", "ICN8", "20240110"),
        claim("B1-NEW", "1", "75.00", "ICN7", "20240110"),
    ))
    reversal, nearer, same_icn = batch.claims
    assert reversal.correction is same_icn and nearer.reversal is None


def test_unpaired_reversal_is_a_finding_at_its_clp():
    """A claim before the reversal is not its correction (that is the original it reverses)."""
    data = build_835(
        claim("C1", "1", "60.00", "ICN5", "20240201"),
        claim("C1", "22", "-60.00", "ICN5", "20240201"),
    )
    batch = remittance.read(data)
    original, reversal = batch.claims
    assert reversal.correction is None and original.reversal is None
    (finding,) = batch.reversal_findings
    assert finding.code is F.REVERSAL_UNPAIRED
    assert finding.location == reversal.segment.location
    assert data[finding.location.byte_offset:].startswith(b"CLP*C1*22")


def test_reversals_pair_across_the_files_of_a_batch(tmp_path):
    first, second = tmp_path / "week1.835", tmp_path / "week2.835"
    first.write_bytes(build_835(claim("D1", "22", "-40.00", "ICN4", "20240301"), control="0001"))
    second.write_bytes(build_835(claim("D1", "1", "40.00", "ICN6", "20240301"), control="0002"))
    batch = remittance.read_files([first, second])
    reversal, correction = batch.claims
    assert reversal.correction is correction and batch.reversal_findings == []
    assert remittance.read_file(first).reversal_findings[0].code is F.REVERSAL_UNPAIRED
