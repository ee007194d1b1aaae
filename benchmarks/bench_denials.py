"""Denial extraction (edi.denials.extract) on generated 835s, against building the tables it
reads. The issue 5 target: extraction adds less than 25% to the time of building the 835 tables.

Each round builds fresh tables in the setup (read + the six tables, and with `balanced` the
balancing findings too, as bench_tables measures the pass), then the benchmark times the
extraction. `extra_info` records both medians in CPU time of this process (what other processes
on a shared machine disturb least) and their ratio. Without balancing, extraction also pays for
the group and status text that balancing would have located. Run with --benchmark-enable."""
from __future__ import annotations

import statistics
import time

import pytest

import edi
from edi.denials import extract
from edi.remittance.tables import balance_findings, extract_batch
from conftest import generated

ROUNDS = 9


@pytest.mark.parametrize("balanced", [True, False], ids=["after-balancing", "tables-only"])
def test_extract_denials(benchmark, size, balanced):
    data = generated("835", size).read_bytes()
    benchmark.group = f"denials 835 {size}"
    building, extracting = [], []

    def build():
        start = time.process_time()
        tables = extract_batch([edi.read(data)])
        if balanced:
            balance_findings(tables)
        building.append(time.process_time() - start)
        return (tables,), {}

    def timed(tables):
        start = time.process_time()
        found = extract(tables)
        extracting.append(time.process_time() - start)
        return found

    found = benchmark.pedantic(timed, setup=build, rounds=ROUNDS, warmup_rounds=1)
    build_s, extract_s = statistics.median(building), statistics.median(extracting)
    benchmark.extra_info.update(build_cpu_s=round(build_s, 4), extract_cpu_s=round(extract_s, 4),
                                ratio=round(extract_s / build_s, 3), denials=len(found))
    assert len(found) > 0 and len(found) < data.count(b"~CAS*")
