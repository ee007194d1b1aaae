"""Bulk posting (edi.remittance.post, `edi post`): on a directory of generated 835s with a corrupt
file and a non-835 in it, good files are posted and bad ones reported, the summary's totals are
the tables', streamed windows give the whole file's tables, reruns and jobs=1/2 write the same
bytes with nothing stale, and a write that fails or is interrupted leaves no partial file."""
from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

import edi
from edi.cli import main
from edi.remittance import post
from edi.remittance.post import FINDING_COLUMNS, OUTPUTS, post_files
from edi.remittance.tables import COLUMNS, extract

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import generate_835, generate_837p  # noqa: E402

GOOD = ["a.835", "sub/b.835", "sub/c.835"]
BAD = {"bad.835": "EdiSyntaxError", "claims.837": "EdiError"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """a.835 balanced; sub/b.835 with BPR02 off by 1.00 (a balancing finding); sub/c.835 cut short
    (envelope findings); bad.835 not X12; claims.837 no 835; a hidden file that is skipped."""
    root = tmp_path_factory.mktemp("inputs")
    (root / "sub").mkdir()
    (root / "a.835").write_bytes(generate_835(30_000, seed=1))
    unbalanced = re.sub(rb"BPR\*(\w)\*(\d+)\.", lambda m: b"BPR*%s*%d." % (m[1], int(m[2]) + 1),
                        generate_835(30_000, seed=2), count=1)
    (root / "sub" / "b.835").write_bytes(unbalanced)
    cut = generate_835(30_000, seed=3)
    (root / "sub" / "c.835").write_bytes(cut[: cut.rindex(b"~SE*") - 200])
    (root / "bad.835").write_bytes(b"this is not X12 at all\n")
    (root / "claims.837").write_bytes(generate_837p(8_000, seed=1))
    (root / ".hidden.835").write_bytes(generate_835(5_000, seed=4))
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (hidden ones too) by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_output(path: Path, fmt: str) -> list[dict]:
    """An output table's rows as dicts of str (CSV) or Python values (Parquet)."""
    if fmt == "csv":
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


@pytest.fixture(params=["parquet", "csv"])
def fmt(request) -> str:
    """Each output format (Parquet needs pyarrow)."""
    if request.param == "parquet":
        pytest.importorskip("pyarrow")
    return request.param


def test_good_files_are_posted_and_bad_ones_reported(inputs, tmp_path, backend):
    seen = []
    summary = post_files([inputs], tmp_path, format="csv", jobs=1, progress=seen.append)
    by_name = {f.name: f for f in summary.files}
    assert [p.files for p in seen] == [1, 2, 3, 4, 5] and seen[-1].bytes == seen[-1].bytes_total > 0
    assert sorted(p.result.name for p in seen) == sorted(by_name)
    assert set(by_name) == {*GOOD, *BAD}  # the hidden file is skipped
    assert [f.path for f in summary.files] == sorted(f.path for f in summary.files)
    for name, error in BAD.items():
        assert by_name[name].error["class"] == error and by_name[name].outputs == {}
        assert "not X12 at all" not in by_name[name].error["message"]  # positions, never content
    for name in GOOD:
        result = by_name[name]
        assert result.ok and set(result.outputs) == set(OUTPUTS)
        assert all((tmp_path / path).is_file() for path in result.outputs.values())
        assert result.outputs["claims"] == f"claims/{name}.{result.sha256[:16]}.csv"
    assert by_name["sub/b.835"].findings == {"transaction_unbalanced": 1}
    assert by_name["sub/c.835"].findings["se_missing"] == 1
    files = snapshot(tmp_path)
    assert len(files) == len(GOOD) * len(OUTPUTS) + 1  # nothing for bad files, no temporaries
    assert json.loads(files["summary.json"]) == json.loads(json.dumps(summary.to_dict()))


def test_totals_are_the_tables_and_windows_give_the_whole_files_tables(inputs, tmp_path, monkeypatch, backend, fmt):
    """Posted in 4 KB windows, each file's tables are `extract` of the whole file, and the
    summary's counts, money and findings are sums over the written tables."""
    monkeypatch.setattr(post, "WINDOW", 4096)
    summary = post_files([inputs], tmp_path, format=fmt, jobs=1)
    totals, findings = Counter(), Counter()
    for result in summary.files:
        if not result.ok:
            continue
        tables = {name: read_output(tmp_path / path, fmt) for name, path in result.outputs.items()}
        whole = extract(edi.read_file(result.path))
        for name in COLUMNS:
            expected = whole[name].to_arrow().to_pylist() if fmt == "parquet" else _csv_rows(whole[name])
            assert tables[name] == expected, (result.name, name)
        payments = tables["payments"]
        assert result.remittances == len(payments)  # one BPR per generated 835
        assert result.claims == len(tables["claims"]) and result.service_lines == len(tables["service_lines"])
        paid = sum(int(p["amount_cents"]) * (-1 if p["credit_debit"] == "D" else 1) for p in payments)
        assert post._money(paid) == result.to_dict()["total_paid"]
        assert result.findings == Counter(f["code"] for f in tables["findings"])
        if fmt == "parquet":  # a row group a window
            import pyarrow.parquet as pq

            assert pq.ParquetFile(tmp_path / result.outputs["claims"]).num_row_groups > 1
        totals.update(remittances=len(payments), claims=len(tables["claims"]), lines=len(tables["service_lines"]),
                      paid=paid)
        findings.update(f["code"] for f in tables["findings"])
    expected = summary.totals()
    assert (expected["remittances"], expected["claims"], expected["service_lines"]) == (
        totals["remittances"], totals["claims"], totals["lines"])
    assert expected["total_paid"] == post._money(totals["paid"])
    assert expected["findings"] == dict(sorted(findings.items()))


def _csv_rows(table) -> list[dict]:
    """A table as `Table.write_csv` writes it, read back as dicts of str."""
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in table.rows()]


def test_findings_table_has_codes_and_locations_not_values(inputs, tmp_path, backend):
    summary = post_files([inputs / "sub"], tmp_path, format="csv", jobs=1)
    b = next(f for f in summary.files if f.name == "b.835")
    (row,) = read_output(tmp_path / b.outputs["findings"], "csv")
    assert tuple(row) == FINDING_COLUMNS
    assert (row["code"], row["segment_id"], row["element"]) == ("transaction_unbalanced", "BPR", "2")
    assert int(row["byte_offset"]) == (inputs / "sub" / "b.835").read_bytes().index(b"BPR*")
    assert row["set_position"] == ""  # absent location fields are null


def test_rerun_writes_the_same_bytes_and_replaces_stale_outputs(inputs, tmp_path, backend, fmt):
    source = tmp_path / "in"
    source.mkdir()
    for name in ("a.835", "sub/b.835"):
        (source / name).parent.mkdir(exist_ok=True)
        (source / name).write_bytes((inputs / name).read_bytes())
    out = tmp_path / "out"
    post_files([source], out, format=fmt, jobs=1)
    first = snapshot(out)
    (out / "claims" / ".a.835.partial").write_bytes(b"left by a killed run")
    post_files([source], out, format=fmt, jobs=1)
    assert snapshot(out) == first  # Parquet metadata carries no timestamp; the leftover is gone

    (source / "a.835").write_bytes(generate_835(20_000, seed=9))  # changed: new hash, old outputs go
    summary = post_files([source], out, format=fmt, jobs=1)
    again = snapshot(out)
    assert len(again) == len(first) and again != first
    named_a = {p for p in again if p.split("/")[-1].startswith("a.835.")}
    assert named_a == {f"{t}/a.835.{summary.files[0].sha256[:16]}.{fmt}" for t in OUTPUTS}

    (source / "a.835").write_bytes(b"no longer X12")  # fails: keeps no outputs
    post_files([source], out, format=fmt, jobs=1)
    assert not any("a.835" in p for p in snapshot(out))


def test_jobs_1_and_2_write_the_same_bytes(inputs, tmp_path, backend):
    """Workers are told which kernels to use; each file's outputs are its own."""
    assert post._active_backend() == backend
    one = post_files([inputs], tmp_path / "one", format="csv", jobs=1)
    two = post_files([inputs], tmp_path / "two", format="csv", jobs=2)
    assert one.to_dict() == two.to_dict()
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


@pytest.mark.skipif(post.START_METHOD != "fork", reason="the patched function reaches forked workers only")
def test_a_worker_that_dies_fails_its_file_only(inputs, tmp_path, monkeypatch, backend):
    post_file = post._post_file

    def die_on_b(job):
        if job.name == "sub/b.835":
            os._exit(3)
        return post_file(job)

    monkeypatch.setattr(post, "_post_file", die_on_b)
    summary = post_files([inputs], tmp_path, format="csv", jobs=2)
    failed = {f.name: f.error for f in summary.failed}
    assert failed.pop("sub/b.835") == {"class": "WorkerDied",
                                       "message": "the worker process posting it ended (exit code 3)"}
    assert set(failed) == set(BAD)  # the worker that took b's place posted the rest
    assert {f.name for f in summary.files if f.ok} == set(GOOD) - {"sub/b.835"}


def test_a_failing_write_leaves_no_partial_file(inputs, tmp_path, monkeypatch, backend):
    post_files([inputs / "a.835"], tmp_path, format="csv", jobs=1)
    before = snapshot(tmp_path)
    write = post._CsvWriter.write

    def fail_at_claims(self, table):  # each file's payments are written, then writing its claims fails
        if "patient_control_number" in table:
            raise RuntimeError("SMITH JOHN")  # a message that might quote data
        write(self, table)

    monkeypatch.setattr(post._CsvWriter, "write", fail_at_claims)
    summary = post_files([inputs / "sub"], tmp_path, format="csv", jobs=1)
    assert [f.error["class"] for f in summary.files] == ["RuntimeError", "RuntimeError"]
    assert "SMITH" not in summary.files[0].error["message"] and "post.py" in summary.files[0].error["message"]
    after = snapshot(tmp_path)
    del after["summary.json"], before["summary.json"]
    assert after == before  # a.835's outputs untouched, nothing of b or c, no temporaries


def test_an_interrupted_run_leaves_whole_files_and_no_summary(inputs, tmp_path, monkeypatch, backend):
    post_files([inputs / "a.835"], tmp_path, format="csv", jobs=1)
    before = snapshot(tmp_path)

    def interrupt(self, table):
        raise KeyboardInterrupt

    monkeypatch.setattr(post._CsvWriter, "write", interrupt)
    with pytest.raises(KeyboardInterrupt):
        post_files([inputs / "a.835", inputs / "sub"], tmp_path, format="csv", jobs=1)
    after = snapshot(tmp_path)
    del before["summary.json"]
    assert after == before  # earlier outputs whole, no temporary, no summary of an unfinished run


def test_names_collisions_repeats_and_the_output_directory(inputs, tmp_path, backend):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.835").write_bytes((inputs / "a.835").read_bytes())
    out = tmp_path / "out"
    summary = post_files([inputs / "a.835", inputs / "a.835", tmp_path], out, format="csv", jobs=1)
    # a.835 once from the file given, x/a.835 under tmp_path (same bytes), out/ itself skipped
    assert [f.name for f in summary.files] == ["a.835", "x/a.835"]
    assert summary.files[1].ok and summary.files[1].same_content_as == str(inputs / "a.835")
    clash = post_files([inputs / "a.835", tmp_path / "x" / "a.835"], tmp_path / "out2", format="csv", jobs=1)
    assert clash.files[0].ok and clash.files[1].error["class"] == "EdiError"
    assert post.expand(str(inputs / "a.835"), out) == [(str(inputs / "a.835"), "a.835")]  # one path, not its letters


def test_cli_post(inputs, tmp_path, capsys, backend):
    status = main(["post", str(inputs), "-o", str(tmp_path / "out"), "--format", "csv", "--jobs", "1"])
    out, err = capsys.readouterr()
    assert status == 1  # bad.835 and claims.837 failed
    assert "posted 3 of 5 files (2 failed) as csv" in out and "bad.835: EdiSyntaxError" in out
    assert err == ""  # no progress bar when stderr is not a terminal
    status = main(["post", str(inputs / "a.835"), "-o", str(tmp_path / "out"), "--format", "csv", "--quiet"])
    assert status == 0 and capsys.readouterr() == ("", "")
