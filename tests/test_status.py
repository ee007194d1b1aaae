"""edi.status: the 276 we build reads back as its inquiries and validates clean (for any valid
input, by hypothesis); every corpus 276/277/277CA file reads, with one claim per TRN at a
subscriber, dependent or patient level as an independent raw scan counts them; values of corpus
277CAs and 277s checked by eye; category states; descriptions the user loads; `edi status`.

pyx12 cannot check our 276: it has no 005010X212 276 map (only the 277 X212 and X214 maps), so
`test_pyx12_has_no_5010_276_map` stands guard until it gains one."""
from __future__ import annotations

import argparse
import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edi
from edi import status
from edi.status import ClaimInquiry, LineInquiry, Payer, Person, Provider, Receiver
from edi.validate import validate

from conftest import CORPUS, corpus_files, corpus_id
from test_remittance import raw_segments

D = Decimal
DAY = datetime.date
NOW = datetime.datetime(2026, 11, 27, 9, 30)
STATUS_FILES = corpus_files("276", "277", "277ca")
PAYER = Payer("ABC INSURANCE", "12345")
RECEIVER = Receiver("XYZ SERVICE", "X67E")


def corpus(kind: str, name: str) -> Path:
    path = CORPUS / kind / name
    if not path.exists():
        pytest.skip("corpus not present")
    return path


# --- building a 276 -------------------------------------------------------------------------------

HOSPITAL = Provider("HOME HOSPITAL", "1666666661")
PHYSICIANS = Provider("HOME HOSPITAL PHYSICIANS", "1666666666")
SMITH = Person("SMITH", "FRED", "123456789A", DAY(1930, 12, 10), "M")
MANN = Person("MANN", "JOHN", "345678901")
JOSEPH = Person("MANN", "JOSEPH", birth_date=DAY(1995, 11, 1), gender="M")
CLAIMS = [
    ClaimInquiry("ABCXYZ1", HOSPITAL, SMITH, patient_control_number="SM123456", bill_type="111",
                 charge=D("8513.88"), service_start=DAY(2005, 8, 31), service_end=DAY(2005, 9, 6)),
    ClaimInquiry("ABCXYZ3", PHYSICIANS, MANN, JOSEPH, patient_control_number="MA345678",
                 lines=(LineInquiry("99203", D("150.00"), DAY(2005, 5, 1), modifiers=("25",), units=D(1),
                                    control_number="LINE1"),)),
    ClaimInquiry("ABCXYZ2", HOSPITAL, SMITH, payer_claim_number="0529675341", charge=D("7599"),
                 service_start=DAY(2005, 7, 31)),
]


def test_build_276_reads_back():
    data = status.build_276(PAYER, RECEIVER, CLAIMS, control_number=7, now=NOW)
    doc = edi.read(data)
    assert validate(doc) == []
    (txn,) = doc.transactions
    assert (txn.set_id, txn.version, txn.group.functional_id, doc.interchanges[0].control_number) == \
        ("276", "005010X212", "HR", "000000007")
    ids = [loop.id for loop in txn.root.walk()]
    # one payer, one receiver, two providers, two subscriber levels (SMITH's claims share one), one dependent
    assert [ids.count(i) for i in ("2000A", "2000B", "2000C", "2000D", "2000E")] == [1, 1, 2, 2, 1]
    assert [ids.count(i) for i in ("2200D", "2200E", "2210E")] == [2, 1, 1]

    inquiries = status.read(data)
    assert [c.trace for c in inquiries] == ["ABCXYZ1", "ABCXYZ2", "ABCXYZ3"]  # grouped by provider, subscriber
    first, second, third = inquiries
    assert {c.state for c in inquiries} == {"requested"} and all(c.statuses == [] for c in inquiries)
    assert (first.patient_control_number, first.bill_type, first.charge) == ("SM123456", "111", D("8513.88"))
    assert (first.service_start, first.service_end) == (DAY(2005, 8, 31), DAY(2005, 9, 6))
    assert (second.payer_claim_number, second.charge, second.service_end) == ("0529675341", D("7599"), DAY(2005, 7, 31))
    assert (first.payer.id, first.provider.id, first.patient.id) == ("12345", "1666666661", "123456789A")
    assert (third.patient.name, third.patient.first_name, third.parties["subscriber"].id) == \
        ("MANN", "JOSEPH", "345678901")
    (line,) = third.lines
    assert (line.procedure.code, line.procedure.modifiers, line.charge, line.units, line.control_number) == \
        ("99203", ["25"], D("150.00"), D(1), "LINE1")
    assert (line.paid, line.service_start, line.state) == (None, DAY(2005, 5, 1), "requested")


@pytest.mark.parametrize("change, what", [
    ({"claims": []}, "at least one claim"),
    ({"payer": Payer("ABC*INSURANCE", "12345")}, "NM103 holds an X12 delimiter"),
    ({"claims": [ClaimInquiry("A:1", HOSPITAL, SMITH)]}, "TRN02 holds an X12 delimiter"),
    ({"claims": [ClaimInquiry("A1", HOSPITAL, MANN, Person("MANN", "JOSEPH"))]}, "birth date"),
    ({"claims": [ClaimInquiry("A1", HOSPITAL, Person("DOE"))]}, "member id"),
])
def test_build_276_refuses_what_the_guide_cannot_carry(change, what):
    args = {"payer": PAYER, "receiver": RECEIVER, "claims": CLAIMS} | change
    with pytest.raises(ValueError, match=what) as error:
        status.build_276(args["payer"], args["receiver"], args["claims"], now=NOW)
    assert "INSURANCE" not in str(error.value)  # the message names the element, not the value


text = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=12)
dates = st.dates(DAY(2000, 1, 1), DAY(2030, 12, 31))
money = st.decimals(0, 99999, places=2)
providers = st.builds(Provider, text, st.from_regex(r"\A[0-9]{10}\Z"), st.sampled_from(["", "ANN"]))
subscribers = st.builds(Person, text, text, text, st.none() | dates, st.sampled_from("FMU"))
dependents = st.builds(Person, text, text, birth_date=dates)
lines = st.builds(LineInquiry, st.from_regex(r"\A[A-Z0-9]{5}\Z"), money, dates, st.none() | dates,
                  st.sampled_from(["HC", "NU"]), st.lists(st.from_regex(r"\A[A-Z0-9]{2}\Z"), max_size=4).map(tuple),
                  st.sampled_from(["", "0450"]), st.none() | st.integers(1, 99).map(D), st.sampled_from(["", "7"]))
claims = st.builds(ClaimInquiry, text, st.sampled_from([HOSPITAL, PHYSICIANS]) | providers,
                   st.sampled_from([SMITH, MANN]) | subscribers, st.none() | dependents, text,
                   st.sampled_from(["", "X1"]), st.sampled_from(["", "131"]), st.none() | money, st.none() | dates,
                   st.none() | dates,
                   st.lists(lines, max_size=3).map(tuple))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.builds(Payer, text, text, st.sampled_from(["PI", "XV"])), st.builds(Receiver, text, text),
       st.lists(claims, min_size=1, max_size=6))
def test_any_valid_276_validates_clean(payer, receiver, inquiries):
    data = status.build_276(payer, receiver, inquiries, now=NOW)
    assert validate(edi.read(data)) == []
    read_back = status.read(data)
    assert sorted(c.trace for c in read_back) == sorted(c.trace for c in inquiries)
    assert sum(len(c.lines) for c in read_back) == sum(len(c.lines) for c in inquiries)


def test_pyx12_has_no_5010_276_map():
    """When pyx12 gains a 005010X212 276 map, validate the 276 we build with it too."""
    pyx12 = pytest.importorskip("pyx12")
    maps = (Path(pyx12.__file__).parent / "map" / "maps.xml").read_text()
    assert 'vriic="005010X212" fic="HR"' not in maps


# --- reading: the corpus against a raw scan -------------------------------------------------------

def raw_claim_traces(data: bytes) -> list[str]:
    """TRN02 of every TRN whose HL (the last one before it) is a subscriber, dependent or patient
    level: one claim each."""
    traces, level = [], ""
    for seg in raw_segments(data):
        if seg[0] == "HL":
            level = seg[3] if len(seg) > 3 else ""
        elif seg[0] == "TRN" and level in ("22", "23", "PT"):
            traces.append(seg[2] if len(seg) > 2 else "")
    return traces


@pytest.mark.parametrize("path", STATUS_FILES, ids=corpus_id)
def test_corpus_file_reads_with_one_entry_per_claim(path):
    entries = status.read_file(path)
    claims = [e for e in entries if e.level == "claim"]
    assert [c.trace for c in claims] == raw_claim_traces(path.read_bytes())
    for entry in entries:
        assert entry.state in status.STATES
        assert entry.set_id == path.parent.name[:3]
        assert entry.level == "claim" or entry.statuses  # receivers and providers only with a status
        assert all(str(code) for code in entry.codes) and all(f.location.source == str(path) for f in entry.findings)


def test_the_corpus_has_claims_of_each_kind():
    if not STATUS_FILES:
        pytest.skip("corpus not present")
    counts = {kind: sum(e.level == "claim" for p in corpus_files(kind) for e in status.read_file(p))
              for kind in ("276", "277", "277ca")}
    assert all(n >= 10 for n in counts.values()), counts


# --- reading: values checked by eye ---------------------------------------------------------------

def test_277ca_payer_acceptance_and_rejections():
    """Business scenario 4 of the X214 guide (stupidedi's copy): 3 claims accepted by the payer,
    2 rejected, and a second provider rejected as a whole (not an approved submitter)."""
    entries = status.read_file(corpus("277ca", "stupidedi__X214-HN277_pass_business-scenario-4.edi"))
    by_trace = {e.trace: e for e in entries}
    assert [e.level for e in entries] == ["receiver", "provider"] + ["claim"] * 5 + ["provider"]

    receiver = entries[0]
    assert (receiver.state, str(receiver.codes[0]), receiver.action, receiver.charge) == \
        ("accepted", "A1:19:PR", "WQ", D(455))
    assert (receiver.accepted_count, receiver.rejected_count) == (D(3), D(5))
    assert (receiver.accepted_amount, receiver.rejected_amount) == (D(155), D(300))

    accepted = by_trace["PATIENT22222"]
    (code,) = accepted.codes
    assert (accepted.state, code.category, code.code, code.entity, accepted.action) == \
        ("accepted", "A2", "20", "PR", "WQ")
    assert code.meaning == "accepted into adjudication"
    assert (accepted.charge, accepted.payer_claim_number, accepted.statuses[0].date) == \
        (D(55), "220216359803X", DAY(2006, 3, 21))
    assert (accepted.service_start, accepted.service_end) == (DAY(2006, 3, 14), DAY(2006, 3, 14))
    assert (accepted.payer.id, accepted.provider.id, accepted.patient.id) == ("OIC02", "5365432101", "2222222222")

    rejected = by_trace["PATIENT33333"]
    assert (rejected.state, [str(c) for c in rejected.codes], rejected.action) == ("rejected", ["A3:187:PR"], "U")
    assert (rejected.charge, rejected.payer_claim_number) == (D(50), "")  # a rejected claim gets no payer number
    assert (rejected.service_start, rejected.service_end) == (DAY(2006, 8, 20), DAY(2006, 8, 25))
    assert [str(c) for c in by_trace["JONES44444"].codes] == ["A3:116"]  # no entity
    assert "PATIENT33333" not in repr(rejected) and "PATIENT33333" not in repr(rejected.statuses[0])

    reed = entries[-1]
    assert (reed.level, reed.trace, reed.state, str(reed.codes[0])) == \
        ("provider", "00023456789", "rejected", "A3:24:85")
    assert (reed.rejected_count, reed.rejected_amount, reed.charge) == (D(3), D(150), D(150))
    assert sum(e.charge for e in entries if e.level == "claim" and e.state == "accepted") == D(155)


def test_277ca_line_rejection():
    """Scenario 1: the claim is rejected because of its line, which names two reasons (STC01, STC10)."""
    entries = status.read_file(corpus("277ca", "stupidedi__X214-HN277_pass_business-scenario-1.edi"))
    claim = next(e for e in entries if e.trace == "DOE0221")
    assert (claim.state, [str(c) for c in claim.codes]) == ("rejected", ["A3:21:82"])
    (line,) = claim.lines
    assert (line.procedure.qualifier, line.procedure.code, line.procedure.modifiers) == ("HC", "22305", ["22"])
    assert (line.charge, line.units, line.control_number, line.state) == (D(350), D(1), "11", "rejected")
    assert [str(c) for c in line.codes] == ["A3:122", "A3:153:82"]
    assert line.statuses[0].action == "U"


def test_277_claim_status_response():
    """A 277 (X212) answer: pending, finalized with payment, and denied with a line."""
    entries = status.read_file(corpus("277", "lfh-x12__demo-file_demo.277"))
    assert [(e.trace, e.state) for e in entries] == [("ABCXYZ1", "pending"), ("ABCXYZ2", "finalized"),
                                                     ("ABCXYC3", "finalized")]
    pending, paid, denied = entries
    assert (pending.patient_control_number, pending.charge, pending.codes[0].meaning) == \
        ("SM123456", D("8513.88"), "pending")
    assert (paid.charge, paid.paid, paid.statuses[0].date, paid.payer_claim_number) == \
        (D("7599.00"), D("7599.00"), DAY(2005, 9, 15), "0529675341")
    assert (str(denied.codes[0]), denied.codes[0].meaning, denied.paid) == ("F2:88:QC", "finalized: denied", D("0.00"))
    assert (denied.patient.first_name, denied.parties["subscriber"].first_name) == ("JOSEPH", "JOHN")
    (line,) = denied.lines
    assert (line.charge, line.paid, line.service_start, line.state) == \
        (D("150.00"), D("0.00"), DAY(2005, 5, 1), "finalized")


def test_bad_dates_are_findings_not_values():
    path = corpus("277ca", "cybernescens-x12parser__FromLatitude81uk.txt")
    claim = next(e for e in status.read_file(path) if e.level == "claim")
    assert (claim.state, claim.statuses[0].date) == ("accepted", None)  # STC02 "5454545"
    (finding,) = claim.findings
    assert (finding.code, finding.location.segment_id, finding.location.element) == (edi.FindingCode.BAD_DATE, "STC", 2)
    assert "5454545" not in str(finding)


def test_a_claim_a_sloppy_file_puts_in_the_provider_loop_is_still_a_claim():
    """An X214-labelled 277 with a subscriber HL (22) and a TRN*1: the loop walker places it in
    2200C, but the HL before it says it is a claim."""
    (claim,) = status.read_file(corpus("277ca", "x12-to-json-parser__sample_277_request.x12"))
    assert (claim.level, claim.trace, claim.state, str(claim.codes[0])) == \
        ("claim", "CLM-2026-98124", "pending", "R4:294:PR")


# --- codes and descriptions -----------------------------------------------------------------------

@pytest.mark.parametrize("category, action, state", [
    ("A1", "WQ", "accepted"), ("A2", "", "accepted"), ("A3", "U", "rejected"), ("A7", "", "rejected"),
    ("A4", "", "other"), ("P1", "", "pending"), ("R13", "", "pending"), ("RQ", "", "pending"), ("F1", "", "finalized"),
    ("F3F", "", "finalized"), ("E1", "", "other"), ("D0", "", "other"), ("X9", "U", "rejected"),
    ("X9", "WQ", "accepted"), ("DR02", "", "other"), ("EQ", "", "other"),
])
def test_category_states(category, action, state):
    assert status.category_state(category, action) == state


def test_category_meanings_are_ours_and_status_codes_have_none():
    assert status.category_meaning("A7") == "rejected: invalid information"
    assert status.category_meaning("F3N") == "finalized"
    assert status.category_meaning("X9") == ""
    assert status.StatusCode("A3", "187", "PR").description == ""


def test_descriptions_the_user_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(status, "_DESCRIPTIONS", {"507": {}, "508": {}})
    (tmp_path / "508.csv").write_text("Code,Description,Start\n187,our text for 187,2008\n21,our text for 21,\n")
    (tmp_path / "507.csv").write_text("code,description\na3,category text\n")
    assert status.load_descriptions(tmp_path / "508.csv") == 2
    assert status.load_descriptions(tmp_path / "507.csv", "507") == 1
    code = status.StatusCode("A3", "187", "PR")
    assert (code.description, code.category_description, code.meaning) == \
        ("our text for 187", "category text", "rejected: returned as unprocessable")
    (tmp_path / "bad.csv").write_text("187,no header\n")
    for args in ((tmp_path / "508.csv", "139"), (tmp_path / "bad.csv",)):
        with pytest.raises(edi.EdiError):
            status.load_descriptions(*args)


# --- edi status -----------------------------------------------------------------------------------

def run_status(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    status.add_arguments(parser)
    return status.run(parser.parse_args(list(argv)))


def test_status_command(capsys):
    scenario4 = corpus("277ca", "stupidedi__X214-HN277_pass_business-scenario-4.edi")
    response = corpus("277", "lfh-x12__demo-file_demo.277")
    assert run_status(str(scenario4), str(response)) == 0
    out = capsys.readouterr().out
    assert "5 claims" in out and "total of 2 files: 8 claims" in out
    assert "PATIENT33333" in out and "A3:187:PR" in out and "A3:24:85" in out and "3 claims" in out

    assert run_status("--json", str(scenario4)) == 0
    (summary,) = json.loads(capsys.readouterr().out)
    assert summary["claims"] == 5
    assert summary["states"]["accepted"] == {"claims": 3, "charges": "155"}
    assert summary["states"]["rejected"] == {"claims": 2, "charges": "150"}
    assert [(r["level"], r["trace"], r["codes"]) for r in summary["rejections"]] == [
        ("claim", "PATIENT33333", ["A3:187:PR"]), ("claim", "JONES44444", ["A3:116"]),
        ("provider", "00023456789", ["A3:24:85"])]


def test_status_command_reports_unreadable_files(tmp_path, capsys):
    assert run_status(str(tmp_path / "missing.277")) == 1
    assert "missing.277" in capsys.readouterr().err
