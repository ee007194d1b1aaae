"""Writing 837P and 837I (edi.claims.build): what we build reads back as the objects it was
built from (a hypothesis property), and validates clean with our validator and with pyx12."""
from __future__ import annotations

import io
import logging
import os

import pytest
from hypothesis import HealthCheck, given, settings

import edi
import edi.claims
from edi.claims import Diagnosis, Provider
from edi.errors import Severity
from edi.validate import validate

from claims_data import CREATED, clean_submission, submissions

SETTINGS = settings(max_examples=40, deadline=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
BUILD = {"P": edi.claims.build_837p, "I": edi.claims.build_837i}


def build(submission) -> bytes:
    return BUILD[submission.kind](submission, sender_id="SENDER", receiver_id="RECEIVER", created=CREATED)


def errors(data: bytes) -> list:
    return [str(f) for f in validate(edi.read(data)) if f.severity is Severity.ERROR]


def pyx12_accepts(data: bytes) -> bool:
    x12n_document = pytest.importorskip("pyx12.x12n_document")
    import pyx12.params

    logging.disable(logging.CRITICAL)
    try:
        return x12n_document.x12n_document(pyx12.params.params(), io.StringIO(data.decode()), io.StringIO(), None)
    finally:
        logging.disable(logging.NOTSET)


@SETTINGS
@given(submissions("P"))
def test_professional_round_trip(backend, submission):
    data = build(submission)
    assert edi.claims.read(data).submissions == [submission]
    assert errors(data) == []


@SETTINGS
@given(submissions("I"))
def test_institutional_round_trip(backend, submission):
    data = build(submission)
    assert edi.claims.read(data).submissions == [submission]
    assert errors(data) == []


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(submissions("P") | submissions("I"))
def test_pyx12_accepts_what_we_build(backend, submission):
    assert pyx12_accepts(build(submission))


@pytest.mark.parametrize("kind", ["P", "I"])
def test_clean_example_validates_with_both(kind):
    data = build(clean_submission(kind))
    assert errors(data) == [] and pyx12_accepts(data)


def test_hierarchy_shares_levels_and_numbers_everything():
    """Two claims of one subscriber-patient and one dependent: one 2000A, one 2000B with
    HL04 1 (it has a 2000C), and a second 2000B with SBR02 18; counts and control numbers."""
    submission = clean_submission("P")
    data = edi.claims.build_837p([submission, submission], sender_id="S", receiver_id="R", control_number=42,
                                 created=CREATED)
    segments = data.decode().split("~")
    assert [s for s in segments if s.startswith("HL")] == ["HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*1", "HL*4*3*23*0"] * 2
    starts = [n for n, s in enumerate(segments) if s.startswith("ST*")]
    count = next(n for n, s in enumerate(segments) if s.startswith("SE*")) - starts[0] + 1
    assert [s for s in segments if s.startswith(("ST", "SE", "GE", "IEA"))] == [
        "ST*837*0001*005010X222A1", f"SE*{count}*0001", "ST*837*0002*005010X222A1", f"SE*{count}*0002", "GE*2*42",
        "IEA*1*000000042"]
    assert [s[:7] for s in segments if s.startswith("SBR")] == ["SBR*P*1", "SBR*P**"] * 2
    assert edi.read(data).findings == []


def test_the_professional_file_we_read_is_the_file_we_build():
    """The generated fixture read and built again gives the same segments after the envelope."""
    original = open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "claims.837"), "rb").read()
    submission, = edi.claims.read(original).submissions
    rebuilt = edi.claims.build_837p(submission, sender_id="S", receiver_id="R", created=submission.created)
    body = lambda data: data.replace(b"\n", b"").split(b"~")[3:-4]  # noqa: E731 (ST02 onwards, without SE/GE/IEA)
    assert body(rebuilt) == body(original)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.providers.update({"71": Provider("X")}), "no provider loop for NM1\\*71"),
    (lambda c: c.providers.update({"DN": Provider("X", taxonomy="207Q00000X")}), "no PRV"),
    (lambda c: c.diagnoses.append(Diagnosis("ABJ", "R509")), "no HI"),
])
def test_what_the_guide_has_no_place_for_is_refused(change, message):
    submission = clean_submission("P")
    change(submission.claims[0])
    with pytest.raises(ValueError, match=message):
        build(submission)


def test_kinds_must_match():
    with pytest.raises(ValueError, match="837I, not an 837P"):
        edi.claims.build_837p(clean_submission("I"), sender_id="S", receiver_id="R")
