"""Streaming memory: `iter_transactions` over a large generated 835 (EDI_BENCH_STREAM_SIZE,
default 1GB) in its own process, so the peak RSS measured is the reader's alone."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import HERE, STREAM_SIZE, generated


def test_stream_peak_rss(benchmark):
    path = generated("835", STREAM_SIZE)
    benchmark.group = f"stream 835 {STREAM_SIZE}"

    def stream():
        out = subprocess.run([sys.executable, str(HERE / "stream_rss.py"), str(path)],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout)

    result = benchmark.pedantic(stream, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    benchmark.extra_info["input_mb"] = round(path.stat().st_size / 1e6, 1)
    assert result["transactions"] > 0
