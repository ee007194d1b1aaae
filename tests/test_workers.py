"""The helper threads behind the native kernels' parts (`edi._fast._workers`, workers.h): every
task runs once, whether a helper or the caller takes it; calls from several threads at once and
calls in a forked child finish; a 1 MB file read on helpers gives what one thread gives."""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import edi
from edi import _backend
from edi.remittance.tables import TABLES, _parts, extract

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import generate_835  # noqa: E402

workers = pytest.importorskip("edi._fast._workers", reason="the Cython extension is not built")

STEPS = 200_000


@pytest.fixture(autouse=True)
def native_only(backend):
    """The helpers serve the native kernels only."""
    if backend == "python":
        pytest.skip("the helpers serve the native kernels only")


@pytest.mark.parametrize("tasks", [1, 2, 3, 8])
def test_every_task_runs_once(tasks):
    counts, helped = workers.count_side_by_side(tasks, STEPS)
    assert counts == [STEPS] * tasks
    assert 0 <= helped <= tasks - 1 if tasks > 1 else helped == 0


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: no helper runs beside the caller")
def test_a_helper_takes_a_task_when_it_is_awake():
    """Back to back, the helper is still spinning from the call before and takes its task."""
    helped = [workers.count_side_by_side(2, 20 * STEPS)[1] for _ in range(10)]
    assert sum(helped) >= 1


def test_calls_from_several_threads_at_once_each_run_all_their_tasks():
    """One call uses the helpers at a time; the others run their tasks on their own thread."""
    results, errors = [], []

    def call():
        try:
            for _ in range(20):
                results.append(workers.count_side_by_side(3, STEPS)[0])
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [[STEPS] * 3] * 80


def _in_child(queue) -> None:
    queue.put(workers.count_side_by_side(2, STEPS)[0])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_starts_its_own_helpers():
    """Fork copies no thread: a child of a process whose helpers ran must not wait for them."""
    workers.count_side_by_side(2, STEPS)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung")
    assert child.exitcode == 0 and queue.get(timeout=5) == [STEPS, STEPS]


def test_limit_threads_caps_the_threads_of_a_call_and_the_results_do_not_change():
    """A 1 MB 835 is cut into halves (tokenizer) and parts (tables kernel) unless limited to one
    thread; the index and the tables are the same either way."""
    data = generate_835(1 << 20, seed=5)
    edi.limit_threads(1)
    try:
        assert _backend.cores() == 1 and _parts(10**7) == 1
        one = edi.read(data)
        one_tables = extract(one)
    finally:
        edi.limit_threads(None)
    assert _backend.cores() == len(os.sched_getaffinity(0))
    many = edi.read(data)
    many_tables = extract(many)
    for name in ("seg_start", "seg_len", "seg_tag", "elem_ptr", "elem_offset"):
        assert np.array_equal(getattr(one.index, name), getattr(many.index, name)), name
    assert len(one_tables["claims"]) == data.count(b"~CLP*") > 2000
    for name in TABLES:
        for column in one_tables[name].column_names:
            assert one_tables[name].column(column).tolist() == many_tables[name].column(column).tolist(), (name, column)
    with pytest.raises(ValueError):
        edi.limit_threads(0)
