"""The bundled fixtures are what the generator makes (see fixtures/README.md), and they read clean."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

import edi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_835, generate_837p  # noqa: E402


@pytest.mark.parametrize("name, make", [("remittance.835", generate_835), ("claims.837", generate_837p)])
def test_fixture_is_regenerated_identically(name, make):
    assert (ROOT / "fixtures" / name).read_bytes() == make(6 << 10, seed=1, newline=True)


@pytest.mark.parametrize("name", ["remittance.835", "claims.837"])
def test_fixture_reads_without_errors(name):
    data = (ROOT / "fixtures" / name).read_bytes()
    doc = edi.read(data, strict=False)
    assert [f.code for f in doc.findings] == [edi.FindingCode.WHITESPACE_BETWEEN_SEGMENTS]
    assert len(doc.transactions) == data.count(b"\nST*")
    assert edi.write(doc) == data
