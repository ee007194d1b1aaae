"""Peers in the benchmark run: each peer of peers.py parses the `size` files into its own loop
tree or object model in a fresh process (see peers.py for how each is driven). The benchmark's
own time is the whole child process; the parse figures are in `extra_info` (`mb_per_s_cpu`,
`mb_per_s`, `peak_rss_mb`, `claims`). Peers that are not installed (`pip install '.[bench]'`)
are skipped."""
from __future__ import annotations

import pytest

import peers
from conftest import generated


@pytest.mark.parametrize("kind", sorted(peers.CLAIM_LOOP))
@pytest.mark.parametrize("peer", list(peers.PEERS))
def test_peer(benchmark, size, kind, peer):
    if kind not in peers.PEERS[peer].kinds:
        pytest.skip(f"{peer} reads {', '.join(peers.PEERS[peer].kinds)} only")
    path = generated(kind, size)
    benchmark.group = f"peers {kind} {size}"
    result = benchmark.pedantic(peers.run_one, args=(peer, kind, path), rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    if result["status"] in ("missing", "timeout"):
        pytest.skip(f"{peer}: {result['status']} ({result['error']})")
    assert result["status"] == "ok", result["error"]
    assert result["claims"] == result["expected_claims"]
