"""Bulk posting (`edi.remittance.post.post_files`): a directory of EDI_BENCH_POST_FILES generated
835s (default 200, 250 KB each) posted to Parquet with jobs=1 and jobs=2 (issue 4 target: jobs=2
at >= 1.8x the jobs=1 rate), and the peak RSS of posting one EDI_BENCH_STREAM_SIZE 835 (target:
under 300 MB for 1 GB) in its own process. Run with --benchmark-enable.

Wall time includes starting the worker processes. CPU time (this process and its workers) is
recorded beside it: on a machine shared with other work, wall-time speedups understate."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

from edi.remittance.post import post_files
from conftest import DATA, HERE, SEED, STREAM_SIZE, generated
from generate import _parse_size, write_file

FILES = int(os.environ.get("EDI_BENCH_POST_FILES", "200"))
FILE_SIZE = "250KB"
#: Wall seconds of each jobs setting in this run, for the speedup.
MEDIANS: dict[int, float] = {}


def post_inputs():
    """A directory of FILES generated 835s (seeds SEED, SEED + 1, ...), made on first use."""
    directory = DATA / f"post-{FILES}x{FILE_SIZE}-seed{SEED}"
    if not directory.exists():
        partial = directory.with_suffix(".partial")
        partial.mkdir(parents=True, exist_ok=True)
        for k in range(FILES):
            write_file(partial / f"{k:04d}.835", "835", _parse_size(FILE_SIZE), SEED + k)
        partial.rename(directory)
    return directory


def cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have ended (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.mark.parametrize("jobs", [1, 2])
def test_post_directory(benchmark, tmp_path, jobs):
    pytest.importorskip("pyarrow")
    inputs = post_inputs()
    size = sum(p.stat().st_size for p in inputs.iterdir())
    benchmark.group = f"post {FILES} x 835 {FILE_SIZE}"
    cpu = []

    def post():
        started = cpu_seconds()
        summary = post_files([inputs], tmp_path / "out", jobs=jobs)
        cpu.append(cpu_seconds() - started)
        return summary

    summary = benchmark.pedantic(post, rounds=3, iterations=1)
    assert not summary.failed and summary.totals()["files"] == FILES
    if not benchmark.stats:  # --benchmark-disable: ran once, nothing to record
        return
    median = MEDIANS[jobs] = benchmark.stats.stats.median
    benchmark.extra_info.update(files_per_s=round(FILES / median, 1), mb_per_s=round(size / 1e6 / median, 1),
                                cpu_s=round(min(cpu), 2), wall_s=round(median, 2))
    if jobs > 1 and 1 in MEDIANS:
        benchmark.extra_info["speedup"] = round(MEDIANS[1] / median, 2)


def test_post_peak_rss(benchmark):
    pytest.importorskip("pyarrow")
    path = generated("835", STREAM_SIZE)
    benchmark.group = f"post 835 {STREAM_SIZE}"

    def post():
        out = subprocess.run([sys.executable, str(HERE / "post_rss.py"), str(path)],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout)

    result = benchmark.pedantic(post, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    assert result["claims"] > 0
