"""The `edi` command: info, segments and parse, as text and as JSON, on the bundled fixtures; the
wing commands (denials, scrub, status, eligibility) are wired."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from edi.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REMITTANCE = str(FIXTURES / "remittance.835")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_info_json_counts_what_the_file_holds(capsys):
    data = Path(REMITTANCE).read_bytes()
    status, out, _ = run(capsys, "info", "--json", REMITTANCE)
    assert status == 0
    (summary,) = json.loads(out)
    assert summary["size"] == len(data)
    assert summary["segments"] == data.count(b"~")
    (interchange,) = summary["interchanges"]
    assert interchange["control_number"] == data[90:99].decode()  # ISA13 at its fixed offset
    (group,) = interchange["groups"]
    assert group["version"] == "005010X221A1"
    assert sum(t["segments"] for t in group["transactions"]) == data.count(b"~") - 4  # less ISA, GS, GE, IEA


def test_info_text_reports_a_bad_file_and_goes_on(capsys, tmp_path):
    bad = tmp_path / "bad.x12"
    bad.write_bytes(b"this is not X12 at all")
    status, out, err = run(capsys, "info", str(bad), REMITTANCE)
    assert status == 1
    assert "bad.x12" in err and "not X12" not in err  # positions, not content
    assert "835 0001" in out and "005010X221A1" in out


def test_segments_lists_every_segment_with_positions(capsys):
    data = Path(REMITTANCE).read_bytes()
    status, out, _ = run(capsys, "segments", REMITTANCE)
    lines = out.splitlines()
    assert status == 0 and len(lines) == data.count(b"~")
    first_clp = next(line for line in lines if " CLP " in line)
    offset = int(first_clp.split("@")[1].split()[0])
    assert data[offset : offset + 4] == b"CLP*"
    assert "CLP01=" in first_clp


def test_segments_json_round_trips_the_elements(capsys):
    data = Path(REMITTANCE).read_bytes()
    _, out, _ = run(capsys, "segments", "--json", REMITTANCE)
    rows = json.loads(out)
    row = rows[3]
    raw = data[row["offset"] : data.index(b"~", row["offset"])].decode()
    assert raw.split("*") == [row["id"], *row["elements"]]


def test_parse_shows_the_loop_tree(capsys):
    data = Path(REMITTANCE).read_bytes()
    status, out, _ = run(capsys, "parse", REMITTANCE)
    assert status == 0
    assert out.count(" 2100 ") == data.count(b"\nCLP*")
    assert out.count(" 2110 ") == data.count(b"\nSVC*")
    _, out, _ = run(capsys, "parse", "--json", REMITTANCE)
    (txn,) = json.loads(out)
    assert txn["set_id"] == "835" and txn["loop"]["id"] == "ST_LOOP"


@pytest.mark.parametrize("command, path", [
    ("denials", "fixtures/remittance.835"),
    ("scrub", "fixtures/claims.837"),
    ("status", "../shared/corpus/277ca/stupidedi__X214-HN277_pass_1.edi"),
    ("eligibility", "../shared/corpus/271/lfh-x12__subscriber.271"),
])
def test_wing_commands_are_wired(command, path, capsys):
    root = Path(__file__).resolve().parents[1]
    target = (root / path).resolve()
    if not target.exists():
        pytest.skip("corpus not present")
    status = main([command, "--json", str(target)])
    out = capsys.readouterr().out
    assert status in (0, 1) and json.loads(out)
