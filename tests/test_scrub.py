"""Claim scrubbing (edi.claims.scrub): a clean 837P and 837I pass every rule; each rule fails on
a claim broken in just that way (in the objects before building, or in the bytes after), at the
claim, line and segment broken; the command line prints verdicts."""
from __future__ import annotations

import argparse
import datetime
import json
from decimal import Decimal

import pytest

import edi
import edi.claims
from edi.claims import Diagnosis, Procedure
from edi.claims.scrub import RULES, add_arguments, npi_is_valid, run
from edi.errors import Severity

from claims_data import CREATED, clean_submission


def built(kind: str, change=None) -> bytes:
    submission = clean_submission(kind)
    if change is not None:
        change(submission)
    return edi.claims.build.build(kind, submission, sender_id="S", receiver_id="R", created=CREATED)


def scrubbed(data: bytes) -> list:
    return edi.claims.scrub(edi.read(data))


def claim(n: int, **values):
    """A change setting attributes of claim n."""
    return lambda s: [setattr(s.claims[n], name, value) for name, value in values.items()]


def line(n: int, m: int, **values):
    """A change setting attributes of line m of claim n."""
    return lambda s: [setattr(s.claims[n].lines[m], name, value) for name, value in values.items()]


def party(get, **values):
    """A change setting attributes of the party `get(submission)`."""
    return lambda s: [setattr(get(s), name, value) for name, value in values.items()]


def text(*replacements: tuple[bytes, bytes]):
    """A change of the built bytes: (old, new) pairs, each replacing a first occurrence."""
    return list(replacements)


billing = lambda s: s.claims[0].billing_provider  # noqa: E731
rendering = lambda s: s.claims[0].providers.get("82") or s.claims[0].providers["71"]  # noqa: E731

#: rule -> (kind, change, where: (claim, line) of the first finding). A change is a function of
#: the clean submission, or a list of (old, new) bytes replaced in the built file.
FAILING = {
    "npi": ("P", party(rendering, id="1234567890"), (0, None)),
    "billing_npi": ("P", party(billing, id_qualifier="24"), (0, None)),
    "billing_address": ("P", party(billing, address=edi.claims.Address("PO BOX 12", city="OMAHA", state="NE",
                                                                       postal_code="681021234")), (0, None)),
    "billing_tax_id": ("P", party(billing, references={"G2": "X1"}), (0, None)),
    "taxonomy": ("P", party(billing, taxonomy="207Q0000X"), (0, None)),
    "required": ("P", text((b"NM1*PR*2*GREAT PLAN*****PI*GP001~", b"")), (0, None)),
    "hierarchy": ("P", text((b"HL*3*1*22*1~", b"HL*7*1*22*1~"), (b"HL*4*3*", b"HL*4*7*")), (1, None)),
    "line_numbers": ("P", text((b"LX*2~", b"LX*3~")), (0, 2)),
    "subscriber_patient": ("P", text((b"SBR*P*18*", b"SBR*P**")), (0, None)),
    "patient_demographics": ("P", party(lambda s: s.claims[0].subscriber, birth_date=datetime.date(1870, 1, 1)), (0, None)),
    "diagnosis_pointers": ("P", line(1, 0, diagnosis_pointers=(1, 3)), (1, 1)),
    "diagnosis_qualifier": ("P", claim(0, diagnoses=[Diagnosis("BK", "J209"), Diagnosis("BF", "E119")]), (0, None)),
    "icd10_format": ("P", claim(0, diagnoses=[Diagnosis("ABK", "J20.9"), Diagnosis("ABF", "E119")]), (0, None)),
    "diagnosis_duplicate": ("P", claim(0, diagnoses=[Diagnosis("ABK", "J209"), Diagnosis("ABF", "J209")]), (0, None)),
    "procedure_format": ("P", line(0, 1, procedure=Procedure("HC", "9921")), (0, 2)),
    "modifiers": ("P", line(0, 0, procedure=Procedure("HC", "99213", ("25", "25"))), (0, 1)),
    "units": ("P", line(0, 1, units=Decimal("0")), (0, 2)),
    "place_of_service": ("P", claim(1, facility_code="98"), (1, None)),
    "frequency": ("P", claim(0, frequency="6"), (0, None)),
    "replacement_reference": ("P", claim(0, frequency="7"), (0, None)),
    "charge_total": ("P", claim(0, charge=Decimal("145.00")), (0, None)),
    "negative_charge": ("P", lambda s: [line(0, 1, charge=Decimal("-20.50"))(s), claim(0, charge=Decimal("104.50"))(s)],
                        (0, 2)),
    "zero_charge": ("P", lambda s: [line(0, m, charge=Decimal("0"))(s) for m in (0, 1)] + [claim(0, charge=Decimal("0"))(s)],
                    (0, None)),
    "claim_id": ("P", claim(1, claim_id="CLAIM1"), (0, None)),
    "line_control_number": ("P", line(1, 1, control_number="201"), (1, 2)),
    "service_date": ("P", line(1, 0, service_from=datetime.date(2025, 3, 5), service_to=datetime.date(2025, 3, 5)),
                     (1, 1)),
    "date_span": ("P", line(0, 0, service_from=datetime.date(2024, 12, 30), service_to=datetime.date(2025, 1, 2)),
                  (0, 1)),
    "statement_dates": ("I", claim(0, dates={}), (0, None)),
    "discharge_hour": ("I", text((b":A:1*", b":A:2*"), (b"~CL1*", b"~DTP*096*TM*1130~CL1*")), (0, None)),
}


def test_every_rule_has_a_failing_case():
    assert set(FAILING) == set(RULES)


@pytest.mark.parametrize("kind", ["P", "I"])
def test_a_clean_file_passes_every_rule(kind):
    """The passing case of every rule: the clean claims (a subscriber who is the patient and a
    dependent, with rendering or attending providers) have no finding."""
    assert scrubbed(built(kind)) == []


@pytest.mark.parametrize("rule", sorted(FAILING))
def test_each_rule_fails_where_it_should(rule):
    kind, change, (claim_number, line_number) = FAILING[rule]
    if isinstance(change, list):
        data = built(kind)
        for old, new in change:
            data = data.replace(old, new, 1)
    else:
        data = built(kind, change)
    findings = scrubbed(data)
    assert {f.rule for f in findings} == {rule}
    first = findings[0]
    assert (first.claim, first.line) == (claim_number, line_number)
    assert first.location.segment_number is not None and first.location.byte_offset is not None
    assert first.severity is RULES[rule].severity
    assert rule in str(first) and "DOE" not in str(first)


@pytest.mark.parametrize("change", [
    claim(0, frequency="7", references={"F8": "PAYER123"}),  # a replacement that names the original
    party(billing, taxonomy=""),  # no taxonomy at all is not a bad taxonomy
    line(0, 0, diagnosis_pointers=(2, 1)),  # pointers in any order
])
def test_passing_variants(change):
    assert scrubbed(built("P", change)) == []


def test_an_encounter_may_have_zero_charges():
    def zero(s):
        s.claim_type = "RP"
        for c in s.claims:
            c.charge = Decimal("0")
            for ln in c.lines:
                ln.charge = Decimal("0")
    assert scrubbed(built("P", zero)) == []


def test_npi_check_digit():
    assert npi_is_valid("1234567893")  # the CMS example
    assert not npi_is_valid("1234567890") and not npi_is_valid("3234567893") and not npi_is_valid("123456789")


def test_command_line_verdicts(tmp_path, capsys):
    good, bad = tmp_path / "good.837", tmp_path / "bad.837"
    good.write_bytes(built("P"))
    bad.write_bytes(built("P", claim(1, frequency="6")))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args([str(good)])) == 0
    assert "2 of 2 claims pass" in capsys.readouterr().out
    assert run(parser.parse_args([str(good), str(bad), "--json"])) == 1
    report = json.loads(capsys.readouterr().out)
    assert [[c["verdict"] for c in f["claims"]] for f in report] == [["pass", "pass"], ["pass", "fail"]]
    assert report[1]["claims"][1]["findings"][0]["rule"] == "frequency"
    assert run(parser.parse_args([str(tmp_path / "missing.837")])) == 1


def test_warnings_do_not_fail_a_claim(tmp_path, capsys):
    path = tmp_path / "warn.837"
    path.write_bytes(built("P", party(billing, taxonomy="207Q0000X")))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args([str(path)])) == 0
    assert RULES["taxonomy"].severity is Severity.WARNING
