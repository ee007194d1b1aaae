"""edi.eligibility: the 270s we build read back as the guide's loops with right counts and validate
clean (pyx12 has no 5010 270 map, so only our validator applies), for fixed and generated inputs;
bad inputs are refused naming the field and never the value; every corpus 270/271 reads, with one
summary per subscriber or dependent level (counted by an independent raw scan); values of a few
corpus 271s checked by eye; the `edi eligibility` card and JSON."""
from __future__ import annotations

import argparse
import datetime
import json
import os
import string
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edi
from edi import eligibility
from edi.eligibility import Inquiry, Payer, Person, Provider, build_270
from edi.errors import FindingCode, Severity
from edi.validate import validate

from conftest import CORPUS, corpus_files, corpus_id
from test_remittance import raw_segments

SETTINGS = settings(max_examples=60, deadline=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NOW = datetime.datetime(2026, 5, 4, 9, 30)
D = Decimal
PAYER = Payer("ACME HEALTH", "12345")
PROVIDER = Provider("1234567893", "SMITH CLINIC")
ENVELOPE = dict(payer=PAYER, provider=PROVIDER, sender="CLINIC", receiver="ACME", trace_assigner="1123456789",
                now=NOW)
SUBSCRIBER = Inquiry(Person("DOE", "JANE", member_id="W123456789", date_of_birth=datetime.date(1980, 2, 3), gender="F"),
                     service_types=("30", "98"), date_of_service=datetime.date(2026, 5, 4))
DEPENDENT = Inquiry(Person("DOE", "JOHN", member_id="W555"), dependent=Person("DOE", "KID", date_of_birth=datetime.date(2015, 1, 1)),
                    date_of_service=(datetime.date(2026, 5, 1), datetime.date(2026, 5, 31)), trace_number="T-2")


def errors(findings):
    return [f for f in findings if f.severity is Severity.ERROR]


def loop_ids(txn) -> list[str]:
    return [loop.id for loop in txn.root.walk()][3:]  # without ST_LOOP, HEADER, DETAIL


def segments_of(txn, segment_id: str) -> list:
    return [s for s in txn.segments if s.id == segment_id]


# --- building 270s -------------------------------------------------------------------------------------

def test_build_270_round_trip():
    doc = edi.read(build_270([SUBSCRIBER, DEPENDENT], control_number=7, **ENVELOPE))
    assert errors(validate(doc)) == [] and doc.findings == []
    interchange = doc.interchanges[0]
    group = interchange.groups[0]
    first, second = doc.transactions
    assert loop_ids(first) == ["2000A", "2100A", "2000B", "2100B", "2000C", "2100C", "2110C", "2110C"]
    assert loop_ids(second) == ["2000A", "2100A", "2000B", "2100B", "2000C", "2100C", "2000D", "2100D", "2110D"]
    for txn in doc.transactions:
        assert txn.version == "005010X279A1" and txn.header[3] == "005010X279A1"
        assert int(txn.trailer[1]) == len(txn.segments) and txn.trailer[2] == txn.control_number
    assert (group.functional_id, group.control_number, group.trailer[1], group.trailer[2]) == ("HS", "7", "2", "7")
    assert (interchange.control_number, interchange.trailer[1], interchange.usage) == ("000000007", "1", "P")
    assert (interchange.sender_id, interchange.receiver_id, interchange.date, group.date) == ("CLINIC", "ACME", "260504", "20260504")

    subscriber = first.root.find("2100C").segments
    assert [str(s) for s in subscriber] == ["NM1*IL*1*DOE*JANE****MI*W123456789", "DMG*D8*19800203*F",
                                            "DTP*291*D8*20260504"]
    assert [s["EQ01"] for s in segments_of(first, "EQ")] == ["30", "98"]
    assert [str(s) for s in segments_of(first, "TRN")] == ["TRN*1*7-1*1123456789"]
    dependent_level = second.root.find("2000D")
    assert [str(s) for s in dependent_level.segments] == ["HL*4*3*23*0", "TRN*1*T-2*1123456789"]
    assert str(second.root.find("2100C").segments[0]) == "NM1*IL*1*DOE*JOHN****MI*W555"
    assert str(dependent_level.find("2100D").segments[-1]) == "DTP*291*RD8*20260501-20260531"
    assert str(segments_of(second, "NM1")[1]) == "NM1*1P*2*SMITH CLINIC*****XX*1234567893"


def test_build_270_many_inquiries_in_one_transaction():
    inquiries = [SUBSCRIBER, DEPENDENT, Inquiry(Person("ROE", member_id="ZZ1"))]
    doc = edi.read(build_270(inquiries, control_number=1, one_transaction=True, **ENVELOPE))
    assert errors(validate(doc)) == []
    (txn,) = doc.transactions
    assert len(txn.root.findall("2000C")) == 3 and len(txn.root.findall("2000D")) == 1
    hls = [(s[1], s[2], s[3], s[4]) for s in segments_of(txn, "HL")]
    assert hls == [("1", "", "20", "1"), ("2", "1", "21", "1"), ("3", "2", "22", "0"), ("4", "2", "22", "1"),
                   ("5", "4", "23", "0"), ("6", "2", "22", "0")]
    assert [s[2] for s in segments_of(txn, "TRN")] == ["1-1", "T-2", "1-3"]
    assert doc.interchanges[0].groups[0].trailer[1] == "1"


def test_build_270_accepts_one_inquiry_and_test_usage():
    doc = edi.read(build_270(SUBSCRIBER, usage="T", control_number=999_999_999, **ENVELOPE))
    assert errors(validate(doc)) == []
    assert doc.interchanges[0].usage == "T" and doc.interchanges[0].control_number == "999999999"


@pytest.mark.parametrize("change, field", [
    (dict(inquiries=[]), "inquiries"),
    (dict(inquiries=[Inquiry(Person("DOE"))]), "inquiries[0].subscriber"),
    (dict(inquiries=[Inquiry(Person("DO*E", member_id="W1"))]), "inquiries[0].subscriber.last_name"),
    (dict(inquiries=[Inquiry(Person("DOÉ", member_id="W1"))]), "inquiries[0].subscriber.last_name"),
    (dict(inquiries=[Inquiry(Person("D" * 61, member_id="W1"))]), "inquiries[0].subscriber.last_name"),
    (dict(inquiries=[Inquiry(Person("  ", member_id="W1"))]), "inquiries[0].subscriber.last_name"),
    (dict(inquiries=[Inquiry(Person(first_name="JANE", member_id="W1"))]), "inquiries[0].subscriber.last_name"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1", date_of_birth=datetime.date(2027, 1, 1)))]),
     "inquiries[0].subscriber.date_of_birth"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1", date_of_birth="19800101"))]),
     "inquiries[0].subscriber.date_of_birth"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1", gender="X"))]), "inquiries[0].subscriber.gender"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1", date_of_birth=datetime.datetime(1980, 1, 1)))]),
     "inquiries[0].subscriber.date_of_birth"),
    (dict(inquiries=[SUBSCRIBER, Inquiry(Person("DOE", member_id="W1"), dependent=Person("DOE", member_id="W2"))]),
     "inquiries[1].dependent.member_id"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1"), dependent=Person(first_name="KID"))]),
     "inquiries[0].dependent.last_name"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1"), service_types=("30", "ZZZ"))]),
     "inquiries[0].service_types[1]"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1"), service_types=())]), "inquiries[0].service_types"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1"), service_types="30")]), "inquiries[0].service_types"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1"),
                             date_of_service=(datetime.date(2026, 5, 2), datetime.date(2026, 5, 1)))]),
     "inquiries[0].date_of_service"),
    (dict(inquiries=[Inquiry(Person("DOE", member_id="W1"), trace_number="X"),
                     Inquiry(Person("ROE", member_id="W2"), trace_number="X")]), "inquiries[1].trace_number"),
    (dict(provider=Provider("1234567890", "SMITH CLINIC")), "provider.npi"),
    (dict(payer=Payer("", "12345")), "payer.name"),
    (dict(payer=Payer("ACME", "12345", "ZZ")), "payer.id_qualifier"),
    (dict(trace_assigner="12345"), "trace_assigner"),
    (dict(sender="A" * 16), "sender"),
    (dict(control_number=0), "control_number"),
    (dict(usage="X"), "usage"),
])
def test_build_270_refuses_bad_values_naming_the_field(change, field):
    arguments = {"inquiries": [SUBSCRIBER], **ENVELOPE, **change}
    with pytest.raises(ValueError) as raised:
        build_270(arguments.pop("inquiries"), **arguments)
    message = str(raised.value)
    assert message.startswith(f"{field}:")
    for value in ("DOE", "DO*E", "JANE", "KID", "W1", "W2", "1980", "2027", "ZZZ"):
        assert value not in message.split(":", 1)[1]


def test_npi_check_digit_and_reprs_without_values():
    assert eligibility.is_npi("1234567893") and not eligibility.is_npi("1234567890")
    assert not eligibility.is_npi("123456789") and not eligibility.is_npi(1234567893)
    assert "DOE" not in repr(SUBSCRIBER) + repr(SUBSCRIBER.subscriber) + repr(DEPENDENT)


NAME = st.text(string.ascii_uppercase + string.digits + " -'.,&", min_size=1, max_size=35).filter(str.strip)
DAY = st.dates(datetime.date(1900, 1, 1), NOW.date())
SERVICE_TYPES = ["1", "30", "33", "35", "47", "48", "50", "86", "88", "98", "AL", "MH", "UC"]


@st.composite
def inquiries(draw):
    def person(dependent: bool) -> Person:
        return Person(draw(NAME), draw(st.one_of(st.just(""), NAME)), draw(st.sampled_from(["", "Q"])),
                      draw(st.sampled_from(["", "JR"])),
                      "" if dependent else draw(st.text(string.ascii_uppercase + string.digits, min_size=2, max_size=20)),
                      draw(st.one_of(st.none(), DAY)), draw(st.sampled_from(["", "F", "M"])))

    when = draw(st.one_of(st.none(), DAY, st.tuples(DAY, DAY).map(lambda pair: tuple(sorted(pair)))))
    types = tuple(draw(st.lists(st.sampled_from(SERVICE_TYPES), min_size=1, max_size=5, unique=True)))
    return Inquiry(person(False), person(True) if draw(st.booleans()) else None, types, when)


@SETTINGS
@given(st.lists(inquiries(), min_size=1, max_size=4), st.booleans(), st.integers(1, 999_999_999))
def test_built_270s_validate_clean(batch, one_transaction, control_number):
    doc = edi.read(build_270(batch, control_number=control_number, one_transaction=one_transaction, **ENVELOPE))
    assert errors(validate(doc)) == []
    assert len(doc.transactions) == (1 if one_transaction else len(batch))
    patients = [loop for txn in doc.transactions for loop in txn.root.walk() if loop.id in ("2000C", "2000D")]
    assert len(patients) == len(batch) + sum(q.dependent is not None for q in batch)
    eqs = [s["EQ01"] for txn in doc.transactions for s in segments_of(txn, "EQ")]
    assert eqs == [code for q in batch for code in q.service_types]
    names = [s["NM103"] for txn in doc.transactions for s in segments_of(txn, "NM1") if s["NM101"] in ("IL", "03")]
    assert names == [n for q in batch for n in (q.subscriber.last_name, *([q.dependent.last_name] if q.dependent else []))]


# --- reading 271s -----------------------------------------------------------------------------------------

def corpus_271(name: str):
    return eligibility.read_file(CORPUS / "271" / name)


def patient_levels(path) -> int:
    """HL segments whose HL03 is 22 (subscriber) or 23 (dependent), from the raw text."""
    return sum(1 for seg in raw_segments(path.read_bytes()) if seg[0].upper() == "HL" and len(seg) > 3
               and seg[3] in ("22", "23"))


@pytest.mark.parametrize("path", corpus_files("270", "271"), ids=corpus_id)
def test_corpus_files_read(path):
    summaries = eligibility.read_file(path)
    expected = patient_levels(path) if path.parent.name == "271" else 0
    assert len(summaries) == expected
    for summary in summaries:
        json.dumps(summary.to_dict())
        eligibility.render(summary)
        assert summary.active in (True, False, None)


def test_active_subscriber_with_copays_by_network():
    (summary,) = corpus_271("lfh-x12__subscriber.271")
    assert (summary.level, summary.active, summary.plan) == ("subscriber", True, "GOLD 123 PLAN")
    assert summary.plan_period == (datetime.date(2021, 1, 1), None)
    assert (summary.subscriber.last_name, summary.subscriber.member_id) == ("DOE", "00000000001")
    assert summary.subscriber.date_of_birth == datetime.date(1970, 1, 1)
    assert summary.traces == [("2", "930000000000", "9800000004")]
    assert summary.payer.name == "PAYER C" and summary.receiver.id == "1467857193"
    office = {(c.network, c.amount, c.period) for c in summary.copays if c.service_type == "98"}
    assert office == {("Y", D("10.00"), "27"), ("N", D("30.00"), "27")}
    assert len(summary.copays) == 20  # two rows of ten service types
    (pcp,) = summary.primary_care
    assert [(e.role, e.id) for e in pcp.entities] == [("1P", "1467857193")]
    assert summary.rejections == [] and summary.deductibles == []


def test_dependent_level_has_its_subscriber():
    subscriber, dependent = corpus_271("lfh-x12__dependent.271")
    assert (subscriber.level, subscriber.active, subscriber.benefits) == ("subscriber", None, [])
    assert (dependent.level, dependent.active) == ("dependent", True)
    assert dependent.subscriber.first_name == "JAMES" and dependent.patient is dependent.dependent
    assert dependent.dependent.date_of_birth == datetime.date(2015, 1, 1)
    assert dependent.traces == [("2", "930000000000", "9800000004")] and subscriber.traces == []


def test_medicare_deductibles_limitations_and_other_payer():
    (summary,) = corpus_271("oopfactory-x12__Example3_CMS_HETS.txt")
    assert summary.active is True
    assert summary.eligibility_period == (datetime.date(1985, 4, 1), None)  # DTP*307 of the first active row
    part_a = [a for a in summary.deductibles if (a.service_type, a.insurance_type) == ("47", "MA")]
    assert [(a.total, a.remaining) for a in part_a] == [(None, D(992)), (None, D(0))]  # two admissions
    (part_b,) = [a for a in summary.deductibles if a.insurance_type == "MB"]
    assert (part_b.service_type, part_b.remaining, part_b.benefits[0].dates["292"]) == (
        "96", D(0), (datetime.date(2009, 1, 1), datetime.date(2009, 12, 31)))
    days = [(b.service_types, b.quantity_qualifier, b.quantity) for b in summary.limitations][:2]
    assert days == [(["47"], "DY", D(60)), (["AG"], "DY", D(20))]
    first_other = summary.other_payers[0]
    assert first_other.references == {"IG": "POLICYNUMBER"} and first_other.entities[0].role == "PRP"
    description = next(b for b in summary.benefits_of("D") if b.procedure)
    assert description.procedure == ["HC", "90669"]
    additional = next(b for b in summary.benefits if b.additional)
    assert additional.additional[1][3] == "Broken bones and third degree burns"


def test_coinsurance_is_a_fraction_and_bad_values_are_findings():
    data = (CORPUS / "271" / "x12-to-json-parser__sample_271_response.x12").read_bytes()
    (response,) = eligibility.read_responses(edi.read(data))
    (summary,) = response.summaries
    (coinsurance,) = summary.coinsurance
    assert (coinsurance.service_type, coinsurance.coverage_level, coinsurance.percent) == ("30", "IND", D("0.20"))
    (deductible,) = summary.deductibles
    assert (deductible.coverage_level, deductible.total) == ("IND", D(500))
    # this sample puts "Y" in EB10 (a quantity): a finding each, at the element
    assert {(f.code, f.location.segment_id, f.location.element) for f in response.findings} == {
        (FindingCode.BAD_AMOUNT, "EB", 10)}
    assert len(response.findings) == 4


def test_rejected_subscriber():
    (summary,) = corpus_271("x12-parser-encoder__271_rejected_subscriber.x12")
    assert summary.active is None and summary.benefits == []
    (rejection,) = summary.rejections
    assert (rejection.loop, rejection.valid, rejection.reason, rejection.action) == ("2100C", False, "72", "C")
    assert rejection.reason_label == "member id missing or invalid"
    assert rejection.location.segment_id == "AAA"


def test_rejection_above_the_patients_is_kept_on_the_response():
    path = CORPUS / "271" / "lfh-x12__subscriber-health-benefit-check-error.271"
    assert eligibility.read_file(path) == []
    (response,) = eligibility.read_responses(edi.read_file(path))
    assert [(r.loop, r.reason, r.action) for r in response.rejections] == [("2100B", "50", "N")]
    assert response.payer.name == "ABC COMPANY"


def test_reprs_show_no_patient_data():
    (summary,) = corpus_271("lfh-x12__subscriber.271")
    shown = repr(summary) + repr(summary.subscriber) + repr(summary.benefits) + repr(summary.payer)
    assert "DOE" not in shown and "00000000001" not in shown and "1970" not in shown


# --- the command --------------------------------------------------------------------------------------

def run(*argv) -> int:
    parser = argparse.ArgumentParser()
    eligibility.add_arguments(parser)
    return eligibility.run(parser.parse_args([str(a) for a in argv]))


def test_card_text(capsys):
    paths = [CORPUS / "271" / name for name in ("lfh-x12__subscriber.271", "x12-parser-encoder__271_rejected_subscriber.x12",
                                                "lfh-x12__subscriber-health-benefit-check-error.271")]
    assert run(*paths) == 0
    out = capsys.readouterr().out
    cards = out.strip().split("\n\n")
    assert len(cards) == 3
    assert cards[0].splitlines()[0].startswith("DOE, JOHN  (subscriber)  member 00000000001")
    assert "Coverage      ACTIVE  plan GOLD 123 PLAN  plan period 2021-01-01 to -" in cards[0]
    assert "Copay         $10.00, per visit, in network, HM: medical care, chiropractic" in cards[0]
    assert "Rejected      member id missing or invalid [72] -> correct and send again [C]  (2100C)" in cards[1]
    assert "Coverage      UNKNOWN: the request was rejected" in cards[1]
    assert cards[2].startswith("No patient in this response from ABC COMPANY")
    assert all(len(card.splitlines()) <= 24 and max(map(len, card.splitlines())) <= 100 for card in cards)


def test_card_json(capsys, tmp_path):
    assert run("--json", CORPUS / "271" / "oopfactory-x12__Example3_CMS_HETS.txt", tmp_path / "missing.271") == 1
    captured = capsys.readouterr()
    assert "missing.271" in captured.err
    (result,) = json.loads(captured.out)
    (response,) = result["responses"]
    (summary,) = response["summaries"]
    assert summary["active"] is True and summary["eligibility_period"] == ["1985-04-01", None]
    assert {"service_type": "47", "coverage_level": "", "network": "", "insurance_type": "MA", "period": "",
            "total": None, "remaining": "992", "met": None} in summary["deductibles"]
    assert len(summary["benefits"]) == 26 and summary["benefits"][0]["category_label"] == "active coverage"
    assert summary["other_payers"][0]["entities"][0]["role"] == "PRP"
