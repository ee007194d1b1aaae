"""Peak memory of streaming a file: `python benchmarks/stream_rss.py FILE` prints JSON with the
transaction and segment counts, the seconds taken and the peak RSS (MB) of this process.

The peak is VmHWM from /proc/self/status: unlike ru_maxrss, it starts afresh at exec, so it does
not include the memory of the (large) benchmark process that started this one."""
from __future__ import annotations

import json
import resource
import sys
import time

import edi


def peak_rss_kb() -> int:
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(path: str) -> None:
    started = time.perf_counter()
    transactions = segments = 0
    for txn in edi.iter_transactions(path):
        transactions += 1
        segments += len(txn)
    elapsed = time.perf_counter() - started
    peak_kb = peak_rss_kb()
    print(json.dumps({"transactions": transactions, "segments": segments, "seconds": round(elapsed, 2),
                      "peak_rss_mb": round(peak_kb / 1024, 1)}))


if __name__ == "__main__":
    main(sys.argv[1])
