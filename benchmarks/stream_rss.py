"""Peak memory of streaming a file: `python benchmarks/stream_rss.py FILE` prints JSON with the
transaction and segment counts, the seconds taken and the peak RSS (MB) of this process."""
from __future__ import annotations

import json
import resource
import sys
import time

import edi


def main(path: str) -> None:
    started = time.perf_counter()
    transactions = segments = 0
    for txn in edi.iter_transactions(path):
        transactions += 1
        segments += len(txn)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"transactions": transactions, "segments": segments, "seconds": round(elapsed, 2),
                      "peak_rss_mb": round(peak_kb / 1024, 1)}))


if __name__ == "__main__":
    main(sys.argv[1])
