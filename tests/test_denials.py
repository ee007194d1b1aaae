"""edi.denials: each rule of DOMAIN.md 4.3 on small 835s written here (denials and the cases
that are not), remark codes refining generic CARCs, the row's columns, the rates, the work queue
and the `edi denials` command; every corpus 835 and a generated file against an oracle that
applies the rules to the remittance objects, and corpus files whose rows were checked by eye."""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import sys
from pathlib import Path

import pytest

import edi.remittance as remittance
from edi import codes, denials
from edi.denials import COLUMNS, PLAYBOOK_COLUMNS, extract, queue, summarize

from conftest import CORPUS, corpus_files, corpus_id

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import CLAIM_DENIALS, LINE_DENIALS, generate_835  # noqa: E402

ISA = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *240105*1200*^*00501*000000001*0*P*:"


def remit(*claims: str, payer: str = "ACME HEALTH", paid_on: str = "20240105") -> bytes:
    """An 835 around these claims: each a "~"-separated run of segments from its CLP on."""
    body = ["ST*835*0001", f"BPR*I*0*C*NON************{paid_on}", "TRN*1*TRACE1*1999999999", f"N1*PR*{payer}",
            "N1*PE*CLINIC*XX*1234567893", "LX*1", *(s for claim in claims for s in claim.split("~"))]
    body.append(f"SE*{len(body) + 1}*0001")
    segments = [ISA, "GS*HP*PAYER*CLINIC*20240105*1200*1*X*005010X221A1", *body, "GE*1*1", "IEA*1*000000001"]
    return ("~".join(segments) + "~").encode()


def rows(*claims: str, **options) -> list[dict]:
    return list(extract(remittance.read(remit(*claims, **options))).rows())


def brief(found: list[dict]) -> list[tuple]:
    return [(r["group"], r["carc"], r["amount_cents"], r["scope"], r["kind"], r["category"]) for r in found]


# --- DOMAIN 4.3: what is a denial --------------------------------------------------------------------

def test_claim_status_4_is_a_full_claim_denial():
    found = rows("CLP*A1*4*100*0*0*12*ICN1~SVC*HC:99213*100*0~CAS*CO*29*100")
    assert brief(found) == [("CO", "29", 10000, "claim", "hard", "timely_filing")]
    assert found[0]["playbook"] == "timely_filing" and found[0]["claim_status"] == "4"


@pytest.mark.parametrize("status, scope", [("1", "claim"), ("2", "claim"), ("3", "claim"), ("19", "claim"),
                                           ("20", "claim"), ("21", "claim"), ("25", "line")])
def test_zero_payment_with_a_denial_is_a_full_claim_denial_when_adjudicated(status, scope):
    """CLP02 1/2/3/19/20/21, CLP04 = 0, CLP03 > 0 and a denial CAS; a predetermination (25) is not
    an adjudication, so its unpaid line is a line denial."""
    found = rows(f"CLP*A1*{status}*150*0*0*12*ICN1~SVC*HC:99213*100*0~CAS*CO*50*100"
                 "~SVC*HC:85025*50*0~CAS*CO*45*20~CAS*PR*1*30")
    assert brief(found) == [("CO", "50", 10000, scope, "hard", "medical_necessity")]


@pytest.mark.parametrize("cas", ["CAS*PR*1*100", "CAS*PR*2*60**3*40", "CAS*CO*45*100", "CAS*OA*23*100",
                                 "CAS*CO*133*100", "CAS*OA*257*100", "CAS*CO*253*2**45*98"])
def test_zero_payment_explained_by_cost_share_contract_prior_payer_or_pending_is_no_denial(cas):
    """PR-1/2/3, CO-45 and other contractual codes, OA-23, pending and informational codes."""
    assert rows(f"CLP*A1*1*100*0*100*12*ICN1~SVC*HC:99213*100*0~{cas}") == []


def test_line_denial_on_a_paid_claim():
    found = rows("CLP*A1*1*130*60*0*12*ICN1~SVC*HC:99213*80*60~CAS*CO*45*20~SVC*HC:85025*50*0~CAS*CO*4*50")
    assert brief(found) == [("CO", "4", 5000, "line", "hard", "coding")]
    assert (found[0]["charge_cents"], found[0]["paid_cents"], found[0]["procedure_code"]) == (5000, 0, "85025")


def test_partial_reductions_of_a_paid_line_and_a_paid_claim():
    found = rows("CLP*A1*1*200*100*0*12*ICN1~CAS*CO*B13*20~SVC*HC:99213*200*120~CAS*CO*151*80")
    assert brief(found) == [("CO", "B13", 2000, "partial", "hard", "duplicate"),
                            ("CO", "151", 8000, "partial", "hard", "medical_necessity")]
    assert [r["level"] for r in found] == ["claim", "line"]


def test_bundling_is_soft_when_another_line_of_the_claim_was_paid():
    """The paid line carries OA-94 (the negative offset); the bundled line CO-97 (DOMAIN 3.7.2)."""
    found = rows("CLP*A1*1*120*120*0*12*ICN1~SVC*HC:99214*100*120~CAS*OA*94*-20~SVC*HC:36415*20*0~CAS*CO*97*20")
    assert brief(found) == [("CO", "97", 2000, "line", "soft", "bundling")]
    assert found[0]["playbook"] == "bundling:soft"


def test_bundling_is_hard_when_nothing_else_was_paid():
    found = rows("CLP*A1*1*20*0*0*12*ICN1~SVC*HC:36415*20*0~CAS*CO*97*20",
                 "CLP*A2*1*120*100*0*12*ICN2~SVC*HC:99214*100*100~SVC*HC:36415*20*0~CAS*CO*234*20")
    assert brief(found) == [("CO", "97", 2000, "claim", "hard", "bundling"),
                            ("CO", "234", 2000, "line", "soft", "bundling")]
    assert found[0]["playbook"] == "bundling"


def test_patient_liable_non_coverage_is_a_patient_denial():
    """PR with a denial CARC: counted as a denial, routed to the patient (its own playbook)."""
    found = rows("CLP*A1*1*180*80*100*12*ICN1~SVC*HC:99213*80*80~SVC*HC:97110*60*0~CAS*PR*96*60"
                 "~SVC*HC:99401*40*0~CAS*PR*27*40")
    assert brief(found) == [("PR", "96", 6000, "line", "patient", "non_covered"),
                            ("PR", "27", 4000, "line", "patient", "eligibility")]
    assert [r["playbook"] for r in found] == ["non_covered:patient", "eligibility"]


def test_reversals_are_no_denials():
    """CLP02 = 22, even with a positive denial amount (the claim's status decides, not the sign)."""
    assert rows("CLP*A1*22*-100*0*0*12*ICN1~SVC*HC:99213*-100*0~CAS*CO*50*-100",
                "CLP*A2*22*100*0*0*12*ICN2~SVC*HC:99213*100*0~CAS*CO*50*100") == []


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_adjustments_that_take_nothing_away_are_no_denials(amount):
    assert rows(f"CLP*A1*1*100*100*0*12*ICN1~SVC*HC:99213*100*100~CAS*CO*50*{amount}") == []


def test_unclassified_codes_deny_only_outside_pr_where_nothing_is_paid():
    found = rows("CLP*A1*1*300*100*0*12*ICN1~SVC*HC:99213*100*100~CAS*OA*A7*5"
                 "~SVC*HC:97110*100*0~CAS*OA*A7*100~SVC*HC:97112*100*0~CAS*PR*A7*100")
    assert brief(found) == [("OA", "A7", 10000, "line", "hard", "unclassified")]
    assert found[0]["playbook"] == "unclassified"


def test_codes_in_lower_case_with_spaces_or_too_long_are_read_as_the_objects_read_them():
    found = rows("CLP*A1*1*300*0*0*12*ICN1~SVC*HC:99213*100*0~CAS*OA*b13*100~SVC*HC:97110*100*0~CAS*CO* 29 *100"
                 "~SVC*HC:97112*100*0~CAS*CO*ZZZZZZZZZ*100")
    assert [(r["carc"], r["category"]) for r in found] == [("b13", "duplicate"), (" 29 ", "timely_filing"),
                                                           ("ZZZZZZZZZ", "unclassified")]


# --- remark codes refine generic CARCs ---------------------------------------------------------------

@pytest.mark.parametrize("claim, category, refined_by, rarcs", [
    ("SVC*HC:99213*100*0~CAS*CO*16*100~LQ*HE*N290", "provider", "N290", "N290"),
    ("MOA***N290~SVC*HC:99213*100*0~CAS*CO*16*100", "provider", "N290", "N290"),  # the claim's remark
    ("MOA***N290~SVC*HC:99213*100*0~CAS*CO*16*100~LQ*HE*N1~LQ*HE*N30", "eligibility", "N30", "N1,N30,N290"),
    ("SVC*HC:99213*100*0~CAS*CO*A1*100~LQ*HE*N29", "documentation", "N29", "N29"),
    ("SVC*HC:99213*100*0~CAS*CO*A1*100~LQ*HE*N1", "generic", "", "N1"),  # an alert: no category
    ("SVC*HC:99213*100*0~CAS*CO*50*100~LQ*HE*N290", "medical_necessity", "", "N290"),  # 50 is not generic
    ("SVC*HC:99213*100*0~CAS*CO*16*100~LQ*RX*N290", "coding", "", ""),  # NCPDP code, not a RARC
    ("SVC*HC:99213*100*0~CAS*OA*A7*100~LQ*HE*N418", "eligibility", "N418", "N418"),  # unclassified CARC
])
def test_remark_codes_refine_generic_and_unclassified_carcs(claim, category, refined_by, rarcs):
    (found,) = rows(f"CLP*A1*1*100*0*0*12*ICN1~{claim}")
    assert (found["category"], found["refined_by"], found["rarcs"]) == (category, refined_by, rarcs)
    assert found["playbook"] == category


def test_claim_level_denials_use_the_claims_remarks_only():
    found = rows("CLP*A1*4*100*0*0*12*ICN1~CAS*CO*16*100~MIA*0****N257~SVC*HC:99213*100*0~LQ*HE*N30")
    assert [(r["level"], r["category"], r["rarcs"]) for r in found] == [("claim", "provider", "N257")]


# --- the row -----------------------------------------------------------------------------------------

def test_row_columns_name_the_claim_line_and_segment():
    data = remit("CLP*ACCT7*1*130*80*0*12*ICN7~DTM*232*20231201~SVC*HC:99213:25:59*80*80~DTM*472*20231202"
                 "~SVC*HC:97110*50*0~DTM*472*20231203~CAS*CO*50*50~REF*6R*LINE2~LQ*HE*N115",
                 payer="ACME HEALTH", paid_on="20240107")
    table = extract(remittance.read(data))
    assert table.column_names == list(COLUMNS)
    (row,) = table.rows()
    assert {k: row[k] for k in ("source", "file", "transaction", "claim", "line", "level", "payer", "payer_id",
                                "payment_date", "patient_control_number", "payer_claim_control_number",
                                "claim_status", "line_control_number", "procedure_code", "modifiers",
                                "service_date", "group", "carc", "rarcs", "charge_cents", "paid_cents")} == {
        "source": 0, "file": "<bytes>", "transaction": 0, "claim": 0, "line": 1, "level": "line",
        "payer": "ACME HEALTH", "payer_id": "1999999999", "payment_date": datetime.date(2024, 1, 7),
        "patient_control_number": "ACCT7", "payer_claim_control_number": "ICN7", "claim_status": "1",
        "line_control_number": "LINE2", "procedure_code": "97110", "modifiers": "", "service_date":
        datetime.date(2023, 12, 3), "group": "CO", "carc": "50", "rarcs": "N115", "charge_cents": 5000,
        "paid_cents": 0}
    assert data[row["byte_offset"]:].startswith(b"CAS*CO*50*50~")
    assert data.split(b"~")[row["segment_number"] - 1] == b"CAS*CO*50*50"


def test_claim_rows_have_no_line_and_take_their_dates_from_the_claim():
    found = rows("CLP*A1*4*100*0*0*12*ICN1~CAS*CO*29*100~DTM*232*20231110~SVC*HC:99213:25:59*100*0~DTM*472*20231111",
                 "CLP*A2*4*100*0*0*12*ICN2~CAS*CO*29*100~SVC*HC:99213*60*0~DTM*472*20231122"
                 "~SVC*HC:99213*40*0~DTM*472*20231120",
                 "CLP*A3*4*100*0*0*12*ICN3~CAS*CO*29*100")
    assert [(r["line"], r["procedure_code"], r["service_date"]) for r in found] == [
        (None, "", datetime.date(2023, 11, 10)), (None, "", datetime.date(2023, 11, 20)), (None, "", None)]
    with_modifiers = rows("CLP*A1*4*100*0*0*12*ICN1~SVC*HC:99213:25:59*100*0~CAS*CO*29*100")
    assert with_modifiers[0]["modifiers"] == "25:59"


# --- oracles: the rules applied to the remittance objects -----------------------------------------------

def oracle(batch: remittance.RemittanceBatch) -> list[tuple]:
    """DOMAIN 4.3 applied to the objects, one claim at a time: the CAS triples that
    `posting.is_denial` calls denials, with a positive amount, outside reversals."""
    found = []
    for claim in batch.claims:
        if claim.is_reversal:
            continue
        triples = [(None, a) for a in claim.adjustments]
        triples += [(n, a) for n, line in enumerate(claim.lines) for a in line.adjustments]
        triples = [(n, a) for n, a in triples if a.denial and a.amount is not None and a.amount > 0]
        whole = claim.status == "4" or (claim.status in codes.ADJUDICATED and not claim.paid
                                        and (claim.charge or 0) > 0 and bool(triples))
        for n, adjustment in triples:
            line = claim.lines[n] if n is not None else None
            scope = "claim" if whole else "line" if line is not None and not line.paid else "partial"
            paid_siblings = [m for m, other in enumerate(claim.lines) if m != n and (other.paid or 0) > 0]
            kind = ("patient" if adjustment.group == "PR" else
                    "soft" if adjustment.category.soft and paid_siblings else "hard")
            category = adjustment.category.category
            if adjustment.category.refine or not adjustment.category.known:
                remarks = (line.remarks if line is not None else []) + claim.remarks
                category = next((codes.rarc(c).category for c in remarks if codes.rarc(c).category), category)
            found.append((adjustment.group, adjustment.reason, int(adjustment.amount * 100), scope, kind, category))
    return found


@pytest.mark.parametrize("path", corpus_files("835"), ids=corpus_id)
def test_corpus_rows_match_the_objects(path):
    batch = remittance.read_file(path)
    assert brief(extract(batch).rows()) == oracle(batch)


def corpus(name: str) -> list[dict]:
    return list(extract(remittance.read_file(CORPUS / "835" / name)).rows())


def test_corpus_rows_checked_by_eye():
    """pyx12's file: a denied claim (CLP02 = 4) with CO-16 and two OA-A7 lines, all under LQ*HE*N14.
    nifi's: an institutional claim, status 3, paid 0, claim-level CO-39. cybernescens': CR-18
    and CO-29 on denied claims; CO-42 (unclassified) denies only the unpaid line of a status-25
    claim; OA-23 and CO-42 of 0 never deny. stupidedi's: CO-210 cuts a paid line."""
    assert brief(corpus("pyx12__835_mult_loops.txt")) == [
        ("CO", "16", 50004, "claim", "hard", "coding"), ("OA", "A7", 12780, "claim", "hard", "unclassified"),
        ("OA", "A7", 28755, "claim", "hard", "unclassified")]
    assert [r["rarcs"] for r in corpus("pyx12__835_mult_loops.txt")] == ["N14"] * 3
    (nifi,) = corpus("nifi-edireader__institutional-claims-only-5010.835")
    assert brief([nifi]) == [("CO", "39", 13748, "claim", "hard", "authorization")]
    assert (nifi["level"], nifi["payer"], nifi["payer_claim_control_number"], nifi["service_date"]) == (
        "claim", "NYSDOH", "1000210000000030", datetime.date(2010, 1, 1))
    assert brief(corpus("cybernescens-x12parser___5010_Example1.txt")) == [
        ("CR", "18", 2595, "claim", "hard", "duplicate"), ("CO", "29", 16213, "claim", "hard", "timely_filing"),
        ("CO", "42", 18, "line", "hard", "unclassified")]
    assert brief(corpus("stupidedi__X221-HP835_case_2.edi")) == [
        ("CO", "210", 5000, "partial", "hard", "authorization")]


GENERATED = generate_835(300 << 10, seed=5, claims_per_transaction=25)


def test_generated_rows_match_the_objects_and_the_generators_denials():
    """The generator denies whole claims (CLP02 = 4) and lines with the CAS and LQ*HE of its lists."""
    batch = remittance.read(GENERATED)
    table = extract(batch)
    assert brief(table.rows()) == oracle(batch) and len(table) > 100
    made = {(g, c, r) for g, c, r in LINE_DENIALS + CLAIM_DENIALS}
    assert {(row["group"], row["carc"], row["rarcs"]) for row in table.rows()} == made
    assert all(row["scope"] == "claim" for row in table.rows() if row["claim_status"] == "4")
    status_4 = sum(1 for s in GENERATED.split(b"~") if s.startswith(b"CLP*") and s.split(b"*")[2] == b"4")
    assert len({c for s, c in zip(table.column("claim_status"), table.column("claim")) if s == "4"}) == status_4


# --- rates, queue, command ------------------------------------------------------------------------------

FOUR_CLAIMS = remit(
    "CLP*A1*4*100*0*0*12*ICN1~SVC*HC:99213*100*0~CAS*CO*29*100",  # denied claim
    "CLP*A2*1*130*60*0*12*ICN2~SVC*HC:99213*80*60~CAS*CO*45*20~SVC*HC:85025*50*0~CAS*CO*50*50",  # line denial
    "CLP*A3*1*120*120*0*12*ICN3~SVC*HC:99214*100*120~CAS*OA*94*-20~SVC*HC:36415*20*0~CAS*CO*97*20",  # soft
    "CLP*A4*22*-100*-100*0*12*ICN4~SVC*HC:99213*-100*-100",  # reversal: left out
    "CLP*A5*1*40*0*0*12*ICN5~SVC*HC:99213*40*0~CAS*CO*97*40",  # bundled, nothing paid: hard claim denial
)


def test_summary_rates_count_claims_lines_and_dollars():
    batch = remittance.read(FOUR_CLAIMS)
    found = extract(batch)
    summary = summarize(batch.tables, found)
    assert summary["claims"] == {"count": 4, "charge_cents": 39000}
    assert summary["lines"] == {"count": 6, "charge_cents": 39000}
    assert summary["denied_claims"] == {"all": {"count": 2, "charge_cents": 14000},
                                        "hard": {"count": 2, "charge_cents": 14000}}
    assert summary["denied_lines"] == {"all": {"count": 4, "charge_cents": 21000},
                                       "hard": {"count": 3, "charge_cents": 19000}}
    assert summary["rates"]["claims_by_count"] == {"all": 0.5, "hard": 0.5}
    assert summary["rates"]["lines_by_dollars"] == {"all": round(210 / 390, 6), "hard": round(190 / 390, 6)}
    assert summary["denied_cents"] == {"all": 21000, "by_kind": {"hard": 19000, "soft": 2000, "patient": 0}}
    assert summary["top"]["carcs"][0] == {"key": "CO-29", "label": "filing limit expired", "count": 1,
                                          "amount_cents": 10000}
    assert [t["key"] for t in summary["top"]["categories"]] == ["timely_filing", "bundling", "medical_necessity"]


def test_summary_counts_a_denied_claim_without_a_denial_reason():
    """CLP02 = 4 is a full denial (DOMAIN 4.3) even when its CAS is only the prior payer's part."""
    batch = remittance.read(remit("CLP*A1*4*100*0*0*12*ICN1~SVC*HC:99213*100*0~CAS*OA*23*100"))
    summary = summarize(batch.tables, extract(batch))
    assert summary["denials"] == 0 and summary["denied_claims"]["hard"]["count"] == 1


def test_queue_is_oldest_then_largest_first_with_its_playbook():
    older = remit("CLP*B1*1*30*0*0*12*ICN9~SVC*HC:99213*30*0~CAS*CO*50*30", paid_on="20231201")
    batch = remittance.RemittanceBatch([remittance.read(FOUR_CLAIMS).documents[0],
                                        remittance.read(older).documents[0]], ["new.835", "old.835"])
    work = queue(extract(batch))
    assert [(w["file"], w["carc"], w["amount_cents"]) for w in work] == [
        ("old.835", "50", 3000), ("new.835", "29", 10000), ("new.835", "50", 5000), ("new.835", "97", 4000),
        ("new.835", "97", 2000)]
    first = work[0]
    assert (first["owner"], first["action"], first["resubmit"]) == ("coder", "appeal", "")
    denied = work[1]
    assert (denied["owner"], denied["action"], denied["turn_days"]) == ("biller", "appeal", 45)
    eligibility = queue(extract(remittance.read(remit("CLP*A1*4*100*0*0*12*ICN77~SVC*HC:99213*100*0~CAS*CO*27*100"))))
    assert eligibility[0]["resubmit"] == "CLM05-3=7 REF*F8=ICN77" and eligibility[0]["owner"] == "front_desk"


def command(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    denials.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "remits"
    folder.mkdir()
    (folder / "a.835").write_bytes(FOUR_CLAIMS)
    (folder / ".hidden").write_bytes(b"not read")
    (tmp_path / "bad.835").write_bytes(b"MEMBER SMITH JOHN 123-45-6789")
    return folder, tmp_path / "bad.835"


@pytest.fixture(autouse=True)
def no_descriptions(monkeypatch, tmp_path):
    monkeypatch.setenv("EDI_DESCRIPTIONS", str(tmp_path / "none.csv"))
    monkeypatch.setattr(codes, "_descriptions", None)


def test_command_text_report_and_queue_csv(files, tmp_path, capsys):
    folder, bad = files
    out_csv = tmp_path / "queue.csv"
    assert denials.run(command(str(folder), str(bad), "--csv", str(out_csv))) == 1  # bad.835 failed
    out, err = capsys.readouterr()
    assert "bad.835" in err and "SMITH" not in err and "123-45" not in err
    assert "1 files: 4 claims ($390.00 charged), 6 lines; 4 denial adjustments" in out
    assert "claims (all)" in out and "50.0%" in out and "CO-29" in out
    with open(out_csv, newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == list(COLUMNS) + list(PLAYBOOK_COLUMNS) and len(table) == 5
    first = dict(zip(table[0], table[1]))
    assert (first["carc"], first["amount_cents"], first["payment_date"], first["line"]) == ("29", "10000",
                                                                                           "2024-01-05", "0")


def test_command_json_with_playbooks_and_descriptions(files, tmp_path, capsys):
    folder, _ = files
    (tmp_path / "book.json").write_text(json.dumps({"playbooks": {"timely_filing": {"owner": "front_desk"}}}))
    (tmp_path / "desc.csv").write_text("list,code,description\ncarc,29,Official text\n")
    assert denials.run(command(str(folder / "a.835"), "--json", "--playbooks", str(tmp_path / "book.json"),
                               "--descriptions", str(tmp_path / "desc.csv"))) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == [str(folder / "a.835")] and report["summary"]["denials"] == 4
    assert report["summary"]["top"]["carcs"][0]["label"] == "Official text"
    first = report["queue"][0]
    assert (first["owner"], first["carc_description"], first["payment_date"]) == ("front_desk", "Official text",
                                                                                "2024-01-05")


def test_command_refuses_bad_option_files(tmp_path, capsys):
    assert denials.run(command(str(tmp_path), "--playbooks", str(tmp_path / "missing.json"))) == 1
    assert "cannot read playbooks" in capsys.readouterr().err
