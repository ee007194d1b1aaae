"""Peak memory of posting one file: `python benchmarks/post_rss.py FILE [csv]` runs
`post_files([FILE], jobs=1)` (streaming, in this process) into a temporary directory and prints
JSON with the counts, the seconds taken, MB/s and the peak RSS (MB, VmHWM: see stream_rss.py)."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from edi.remittance.post import post_files
from stream_rss import peak_rss_kb


def main(path: str, fmt: str = "parquet") -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        summary = post_files([path], out, format=fmt, jobs=1)
    elapsed = time.perf_counter() - started
    if summary.failed:
        sys.exit(f"{path}: {summary.failed[0].error}")
    totals = summary.totals()
    print(json.dumps({"format": fmt, "remittances": totals["remittances"], "claims": totals["claims"],
                      "service_lines": totals["service_lines"], "seconds": round(elapsed, 2),
                      "mb_per_s": round(os.path.getsize(path) / 1e6 / elapsed, 1),
                      "peak_rss_mb": round(peak_rss_kb() / 1024, 1)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
