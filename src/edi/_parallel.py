"""Running the parts of one job side by side: the native kernels release the GIL, so plain
threads use every core (`_backend.cores()` says how many a job may cut itself into)."""
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
