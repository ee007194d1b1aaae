"""Running Python-level parts of one job side by side on plain threads, for work that releases
the GIL itself (the two halves of a large file read with os.preadv). The native kernels' parts
run on the helper threads of `edi._fast._workers` instead, which outlive the call."""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


def side_by_side(tasks: Sequence[Callable[[], object]]) -> None:
    """Call the tasks, the first on this thread and each other one on a thread of its own."""
    threads = [threading.Thread(target=task) for task in tasks[1:]]
    for thread in threads:
        thread.start()
    try:
        tasks[0]()
    finally:
        for thread in threads:
            thread.join()
