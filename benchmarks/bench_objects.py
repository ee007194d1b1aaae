"""Object readers: generated 835s read into `edi.remittance` objects (Remittance, Claim,
ServiceLine, Adjustment with Decimal money) and 837Ps into `edi.claims` objects. Python objects
cost far more than the tables (hundreds of thousands of them, each value decoded and parsed),
so the readers are measured up to 10 MB. Run with --benchmark-enable."""
from __future__ import annotations

import pytest

import edi
import edi.claims
import edi.remittance
from conftest import generated

MAX_BYTES = 12 << 20
READERS = {
    "835": (lambda data: edi.remittance.read(data).claims, b"~CLP*"),
    "837p": (lambda data: edi.claims.read(data).claims, b"~CLM*"),
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_read_objects(benchmark, size, kind):
    data = generated(kind, size).read_bytes()
    if len(data) > MAX_BYTES:
        pytest.skip("object readers are measured up to 10 MB")
    read, claim_segment = READERS[kind]
    benchmark.group = f"objects {kind} {size}"
    claims = benchmark.pedantic(read, args=(data,), rounds=3, iterations=1)
    benchmark.extra_info["mb_per_s"] = round(len(data) / 1e6 / benchmark.stats.stats.median, 1) if benchmark.stats else None
    assert len(claims) == data.count(claim_segment)
