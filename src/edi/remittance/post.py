"""Bulk posting: 835 files to the six remittance tables and their findings, one output set per
input file, on all cores.

    summary = post_files(["inbox/"], "posted")            # format="csv", jobs=2, progress=...
    print(summary.render())                               # summary.to_dict(): the summary.json

Each file is streamed (`edi.iter_transactions`) and posted window by window: the window's
transactions are extracted (`tables.extract`), balanced (`tables.balance_findings`), numbered on
from the windows before (`tables.concat(after=...)`) and appended to the outputs, so memory is
bounded by a window (`WINDOW`), not by the file; only the Parquet writers' footers (a row group
per window) and the allocator's fragmentation grow with it, ~90 MB a GB. Files run in worker
processes (see `_run`).

Layout: `OUTDIR/<table>/<name>.<hash>.<parquet|csv>` for the six tables and `findings`, where
<name> is the input's path under the directory it was found in (a file given by itself: its
base name) and <hash> the first 16 hex digits of the sha256 of its bytes; `OUTDIR/summary.json`
is the run summary. Keys (`transaction`, `claim`, `line`) are numbered per file and `source` is
0: a row belongs to the input its file is named after.

Safety and reruns: each output is written to a hidden temporary beside its final name and
renamed into place (`os.replace`), so an interrupted run leaves no half-written output; the
summary is removed when a run starts and written last, so it exists only for a finished run.
Posting a file removes its other outputs (another hash or format, a leftover temporary), and a
file that fails keeps none. Outputs depend only on the input bytes (and the versions of edi and
pyarrow): a rerun writes the same bytes under the same names.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import gc
import hashlib
import itertools
import json
import multiprocessing
import multiprocessing.connection
import os
import posixpath
import re
import signal
import sys
import traceback
from collections import Counter
from contextlib import suppress
from decimal import Decimal
from typing import BinaryIO, Callable, Iterable, NamedTuple, Sequence

import numpy as np

from .. import _backend
from ..errors import EdiError, Finding
from ..stream import iter_transactions
from ..table import ENCODING, ERRORS, StringColumn, Table, _require
from .tables import COLUMNS, RemittanceTables, _money, balance_findings, concat, extract

FORMATS = ("parquet", "csv")
OUTPUTS = (*COLUMNS, "findings")
SUMMARY = "summary.json"
#: How worker processes start (see `_run`).
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
HASH_DIGITS = 16
#: An output file's name: <name>.<hash>.<format>, or .<name>.partial while it is written.
OUTPUT_NAME = re.compile(rf"(?P<base>.+)\.[0-9a-f]{{{HASH_DIGITS}}}\.(?:parquet|csv)|\.(?P<temporary>.+)\.partial")
#: Read window: extracting and writing a window takes ~25x its size (the kernel's arrays, Arrow
#: copies, Parquet buffers). With 2 MB a 1 GB file peaks at ~250 MB; 8 MB took ~140 MB more for
#: the same CPU time.
WINDOW = 2 << 20
#: Parquet writer options: zstd without dictionary pages made the six tables of a generated 835
#: 2.5x smaller than the default (snappy with dictionaries) for 20% less CPU.
PARQUET = {"compression": "zstd", "use_dictionary": False}
#: The findings table: text columns by how each is read from a Finding, then location numbers.
FINDING_TEXT = {
    "code": lambda f: f.code.id, "severity": lambda f: f.severity.value, "ack": lambda f: f.code.ack or "",
    "ack_code": lambda f: f.code.ack_code or "", "segment_id": lambda f: f.location.segment_id or "",
    "loop_path": lambda f: f.location.loop_path or "", "message": lambda f: f.message,
}
FINDING_COLUMNS = ("code", "severity", "ack", "ack_code", "byte_offset", "segment_number", "segment_id",
                   "set_position", "loop_path", "element", "component", "repetition", "message")
#: Error classes whose messages are quoted in the summary: ours name positions and ids, OSError
#: the path. Any other message might quote data (see `_describe`).
QUOTED_ERRORS = (EdiError, OSError)


@dataclasses.dataclass
class FileResult:
    """What posting one file gave: counts, money in cents (`paid_cents`: BPR02, debits negative;
    `claims_paid_cents`: CLP04) and findings by code; or the error that failed it."""

    path: str
    name: str  # the output name (see the module docstring)
    size: int = 0
    sha256: str = ""
    error: dict | None = None  # {"class": ..., "message": ...}
    remittances: int = 0
    claims: int = 0
    service_lines: int = 0
    paid_cents: int = 0
    claims_paid_cents: int = 0
    findings: Counter = dataclasses.field(default_factory=Counter)
    outputs: dict = dataclasses.field(default_factory=dict)  # table -> path under OUTDIR
    same_content_as: str | None = None  # an earlier input with the same bytes (posted twice)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        """JSON-able, money as decimal strings."""
        data = dataclasses.asdict(self)
        data["total_paid"] = _money(data.pop("paid_cents"))
        data["claims_paid"] = _money(data.pop("claims_paid_cents"))
        data["findings"] = dict(sorted(self.findings.items()))
        return data


@dataclasses.dataclass
class PostSummary:
    """The files of a run, in input order, and their totals."""

    files: list[FileResult]
    format: str

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if not f.ok]

    def totals(self) -> dict:
        """Counts and money over the files posted; findings by code."""
        posted = [f for f in self.files if f.ok]
        findings = sum((f.findings for f in posted), Counter())
        return {
            "files": len(self.files), "ok": len(posted), "failed": len(self.files) - len(posted),
            "remittances": sum(f.remittances for f in posted), "claims": sum(f.claims for f in posted),
            "service_lines": sum(f.service_lines for f in posted),
            "total_paid": _money(sum(f.paid_cents for f in posted)),
            "claims_paid": _money(sum(f.claims_paid_cents for f in posted)),
            "findings": dict(sorted(findings.items())),
        }

    def to_dict(self) -> dict:
        return {"format": self.format, "totals": self.totals(), "files": [f.to_dict() for f in self.files]}

    def render(self) -> str:
        """The summary as text for a terminal."""
        t = self.totals()
        lines = [f"posted {t['ok']} of {t['files']} files ({t['failed']} failed) as {self.format}",
                 f"  remittances {t['remittances']:,}, claims {t['claims']:,}, service lines {t['service_lines']:,}",
                 f"  total paid (BPR02) {Decimal(t['total_paid']):,}, claims paid (CLP04) "
                 f"{Decimal(t['claims_paid']):,}",
                 "  findings: " + (", ".join(f"{code} {n:,}" for code, n in t["findings"].items()) or "none")]
        lines += _first(f"  {f.path}: same bytes as {f.same_content_as} (posted twice)"
                        for f in self.files if f.same_content_as)
        lines += _first(f"  failed: {f.path}: {f.error['class']}: {f.error['message']}" for f in self.failed)
        return "\n".join(lines)


def _first(lines: Iterable[str], limit: int = 10) -> list[str]:
    """At most `limit` lines, then how many more the summary file lists."""
    lines = list(lines)
    more = [f"  ... {len(lines) - limit} more in {SUMMARY}"] if len(lines) > limit else []
    return lines[:limit] + more


class Progress(NamedTuple):
    """Where a run is after each file: files and bytes done of the totals, and that file's result."""

    files: int
    files_total: int
    bytes: int
    bytes_total: int
    result: FileResult


class Job(NamedTuple):
    """One file to post, as a worker gets it: the kernels to use are named (see
    `_active_backend`), and the outputs an earlier run left under its name are listed."""

    path: str
    name: str
    size: int
    outdir: str
    format: str
    backend: str
    earlier: tuple[str, ...]


def post_files(paths: str | os.PathLike | Iterable[str | os.PathLike], outdir: str | os.PathLike, *,
               format: str = "parquet", jobs: int | None = None,
               progress: Callable[[Progress], None] | None = None) -> PostSummary:
    """Post every 835 in `paths` (files, and directories walked recursively) to `outdir`, on
    `jobs` processes (default: the cores this process may use), calling `progress` as each file
    finishes. A file that fails is in the summary with its error and the others go on. Worker
    processes import the main module: call this under `if __name__ == "__main__":` in a script."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    if format == "parquet":
        _require("pyarrow", "arrow")
    if jobs is None:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    outdir = os.fspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    summary_path = os.path.join(outdir, SUMMARY)
    if os.path.exists(summary_path):  # a summary is there only for a finished run
        os.remove(summary_path)

    earlier, backend = _earlier_outputs(outdir), _active_backend()
    results, work, positions, names = [], [], [], set()
    for path, name in expand(paths, outdir):
        size = os.path.getsize(path) if os.path.isfile(path) else 0
        results.append(FileResult(path, name, size))
        if name in names:
            results[-1].error = _describe(EdiError(f"output name {name!r} is another input's too; "
                                                   "post them to different directories"))
            continue
        names.add(name)
        work.append(Job(path, name, size, outdir, format, backend, tuple(earlier.get(name, ()))))
        positions.append(len(results) - 1)

    files_done, bytes_total = len(results) - len(work), sum(r.size for r in results)
    bytes_done = sum(r.size for r in results if not r.ok)

    def finished(k: int, result: FileResult) -> None:
        nonlocal files_done, bytes_done
        results[positions[k]] = result
        files_done, bytes_done = files_done + 1, bytes_done + result.size
        if progress is not None:
            progress(Progress(files_done, len(results), bytes_done, bytes_total, result))

    _run(work, jobs, finished)
    first_with: dict[str, str] = {}
    for result in results:
        if result.ok:
            first = first_with.setdefault(result.sha256, result.path)
            result.same_content_as = first if first != result.path else None
    summary = PostSummary(results, format)
    _write_atomically(summary_path, json.dumps(summary.to_dict(), indent=2).encode() + b"\n")
    return summary


def expand(paths: str | os.PathLike | Iterable[str | os.PathLike], outdir: str | os.PathLike) -> list[tuple[str, str]]:
    """The input files with their output names: a file as given, named by its base name; the
    files under a directory (recursively, sorted; hidden ones and `outdir` skipped), named by
    their path under it. A file met twice is posted once."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    skip = os.path.realpath(outdir)
    found, seen = [], set()
    for root in map(os.fspath, paths):
        if os.path.isdir(root):
            files = []
            for directory, subdirectories, filenames in os.walk(root):
                subdirectories[:] = [d for d in subdirectories if not d.startswith(".")
                                     and os.path.realpath(os.path.join(directory, d)) != skip]
                files += [os.path.join(directory, f) for f in filenames if not f.startswith(".")]
            named = [(path, os.path.relpath(path, root).replace(os.sep, "/")) for path in sorted(files)]
        else:
            named = [(root, os.path.basename(os.path.normpath(root)))]
        for path, name in named:
            if os.path.realpath(path) not in seen:
                seen.add(os.path.realpath(path))
                found.append((path, name))
    return found


# --- processes -------------------------------------------------------------------------------
def _run(work: Sequence[Job], jobs: int, finished: Callable[[int, FileResult], None]) -> None:
    """Post the files, largest first, calling `finished(k, result)` as file k is done: here with
    one job, else on `jobs` worker processes (`_Workers`)."""
    order = sorted(range(len(work)), key=lambda k: -work[k].size)
    if jobs == 1 or len(work) <= 1:
        for k in order:
            finished(k, _post_file(work[k]))
        return
    with _Workers(min(jobs, len(work)), work[0].format) as workers:
        workers.run([(k, work[k]) for k in order], finished)


class _Workers:
    """Worker processes that post the files handed to them one at a time, each over its own
    pipe: the parent sends a Job and receives its FileResult, with no threads or queues of its
    own in between (a ProcessPoolExecutor's cost 0.4 ms of this process's CPU per file, 5% of
    posting a 250 KB file).

    Workers are forked where that is the platform's way (Linux): a fork starts in milliseconds
    with edi, numpy and pyarrow imported and the output schemas made, where a spawned
    interpreter spends ~0.25 s importing them. This process forks before it has posted
    anything, so no pyarrow writer or thread pool is running; numpy's OpenBLAS threads are idle
    and OpenBLAS re-creates them in the child. Elsewhere workers are spawned. A worker that dies
    (killed, out of memory) fails the file it had and is replaced. Workers ignore Ctrl-C: the
    interrupted parent stops handing out files and those in progress finish, each whole or not
    at all."""

    def __init__(self, count: int, format: str):
        for name in OUTPUTS:  # made once here, for forked workers to inherit
            _empty(name)
        if format == "parquet":
            import pyarrow.compute  # (first imported by a write otherwise: 50 ms)
            import pyarrow.parquet  # noqa: F401
        self.context = multiprocessing.get_context(START_METHOD)
        gc.freeze()  # forked workers' collections then leave the inherited objects' pages shared
        try:
            self.idle = [self._start() for _ in range(count)]
        finally:
            gc.unfreeze()
        self.busy: dict = {}  # connection -> (process, k, job)

    def _start(self) -> tuple:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(child,), daemon=True)
        process.start()
        child.close()
        return parent, process

    def run(self, work: Sequence[tuple[int, Job]], finished: Callable[[int, FileResult], None]) -> None:
        queued = list(reversed(work))
        while queued or self.busy:
            while queued and self.idle:
                connection, process = self.idle.pop()
                k, job = queued.pop()
                connection.send(job)
                self.busy[connection] = (process, k, job)
            for connection in multiprocessing.connection.wait(list(self.busy)):
                k, result = self._receive(connection)
                finished(k, result)

    def _receive(self, connection) -> tuple[int, FileResult]:
        """The result of the file a busy worker had; a new worker takes the place of a dead one."""
        process, k, job = self.busy.pop(connection)
        try:
            result = connection.recv()
        except (EOFError, OSError):
            process.join()
            connection.close()
            result = FileResult(job.path, job.name, job.size, error={
                "class": "WorkerDied", "message": f"the worker process posting it ended (exit code {process.exitcode})"})
            connection, process = self._start()
        self.idle.append((connection, process))
        return k, result

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, *exc) -> None:
        """Let the files in progress finish, then stop the workers."""
        while self.busy:
            self._receive(next(iter(self.busy)))
        for connection, process in self.idle:
            with suppress(OSError):
                connection.send(None)
            process.join()
            connection.close()


def _serve(connection) -> None:
    """A worker's life: post each Job received until told to stop (None)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _backend.limit_threads(1)  # the workers keep the cores busy: threads would only contend
    while (job := connection.recv()) is not None:
        connection.send(_post_file(job))


def _active_backend() -> str:
    """The name of the kernels in use here (tests switch them), for the workers to use too."""
    return next(name for name, kernels in _backend.COLUMN_KERNELS.items() if kernels is _backend.columns)


def _describe(error: BaseException) -> dict:
    """An error as the summary reports it: its class and, for `QUOTED_ERRORS`, its message.
    Another error's message may quote element values, so where it was raised is given instead."""
    if isinstance(error, QUOTED_ERRORS):
        message = str(error)
    else:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        message = f"unexpected error at {os.path.basename(frame.filename)}:{frame.lineno} (please report it)"
    return {"class": type(error).__name__, "message": message}


# --- one file --------------------------------------------------------------------------------
def _post_file(job: Job) -> FileResult:
    """Post one file. Any exception fails the file, not the run (the class says which kind:
    EdiError for input edi cannot post, OSError for I/O, another for a bug)."""
    result = FileResult(job.path, job.name, job.size)
    try:
        with _backend.use(job.backend), _OutputSet(job) as outputs:
            result.sha256 = _stream(job.path, outputs, result)
            result.outputs = outputs.commit(result.sha256)
    except Exception as error:
        result = FileResult(job.path, job.name, job.size, error=_describe(error))
        _remove(job.earlier)
    return result


def _stream(path: str, outputs: "_OutputSet", result: FileResult) -> str:
    """Post a file window by window into `outputs` and `result`; return the sha256 of its bytes."""
    digest = hashlib.sha256()
    numbered = (0, 0, 0)  # transactions, claims and lines written
    with open(path, "rb") as f:
        reader = iter_transactions(_Hashing(f, digest), window=WINDOW)
        for _, window in itertools.groupby(reader, key=lambda txn: txn.index):
            window = list(window)
            part = extract(window)  # keys from 0, as balance_findings wants them
            numbered_part = concat([part], after={0: numbered})
            for name in COLUMNS:
                outputs.write(name, numbered_part[name])
            numbered = (numbered[0] + part.transaction_count, numbered[1] + len(part["claims"]),
                        numbered[2] + len(part["service_lines"]))
            _count(result, window, part)
            _report(outputs, result, part.findings + balance_findings(part) + _drain(reader.findings))
        _report(outputs, result, _drain(reader.findings))  # the trailers checked at the end
    if not result.remittances:
        raise EdiError(f"no 835 transaction to post (other transactions: {numbered[0]})")
    return digest.hexdigest()


def _count(result: FileResult, window: list, part: RemittanceTables) -> None:
    """Add a window's remittances, rows and money to the file's result."""
    result.remittances += sum(txn.set_id == "835" for txn in window)
    result.claims += len(part["claims"])
    result.service_lines += len(part["service_lines"])
    payments = part["payments"]
    sign = np.where(payments.raw("credit_debit").equals("D"), -1, 1)
    result.paid_cents += int((sign * payments.raw("amount_cents")).sum())
    result.claims_paid_cents += int(part["claims"].raw("paid_cents").sum())


def _report(outputs: "_OutputSet", result: FileResult, findings: list[Finding]) -> None:
    """Write findings and count them by code."""
    outputs.write("findings", findings_table(findings))
    result.findings.update(f.code.id for f in findings)


def _drain(findings: list[Finding]) -> list[Finding]:
    """The findings collected so far, leaving the list empty (the reader's grows with the file)."""
    drained = findings[:]
    findings.clear()
    return drained


def findings_table(findings: Sequence[Finding]) -> Table:
    """Findings as a table: code, severity, acknowledgment, location and message (which names
    positions and ids, never element values). Absent location numbers are null."""
    columns, nulls = {}, {}
    for name in FINDING_COLUMNS:
        if name in FINDING_TEXT:
            columns[name] = StringColumn.from_strings([FINDING_TEXT[name](f) for f in findings])
        else:
            values = [getattr(f.location, name) for f in findings]
            columns[name] = np.array([0 if v is None else v for v in values], np.int64)
            nulls[name] = np.array([v is None for v in values], bool)
    return Table(columns, nulls, len(findings))


class _Hashing:
    """A binary file whose reads also feed a hash, so a file is read once."""

    def __init__(self, file: BinaryIO, digest):
        self.file, self.digest = file, digest

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        return data


# --- outputs ---------------------------------------------------------------------------------
def _earlier_outputs(outdir: str) -> dict[str, list[str]]:
    """The outputs (and leftover temporaries) of earlier runs by input name, found in one walk
    of `outdir`, so that no file has to list a directory of thousands again."""
    found: dict[str, list[str]] = {}
    for table in OUTPUTS:
        root = os.path.join(outdir, table)
        for directory, _, entries in os.walk(root):
            folder = os.path.relpath(directory, root).replace(os.sep, "/")
            for entry in entries:
                match = OUTPUT_NAME.fullmatch(entry)
                if match:
                    name = posixpath.normpath(posixpath.join(folder, match["base"] or match["temporary"]))
                    found.setdefault(name, []).append(os.path.join(directory, entry))
    return found


def _remove(paths: Iterable[str]) -> None:
    for path in paths:
        with suppress(FileNotFoundError):
            os.remove(path)


def _partial(directory: str, base: str) -> str:
    """The hidden temporary that becomes an output named after `base` (readers of a directory
    of Parquet files skip names that start with a dot)."""
    return os.path.join(directory, f".{base}.partial")


def _write_atomically(path: str, data: bytes) -> None:
    partial = _partial(*os.path.split(path))
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, path)


@functools.cache
def _empty(name: str) -> Table:
    """Output table `name` with no rows: its columns and types (made once a process)."""
    return findings_table([]) if name == "findings" else extract([])[name]


class _OutputSet:
    """The outputs of one file while they are written: a hidden temporary per table, renamed
    into place by `commit`; leaving the `with` block without a commit removes them."""

    def __init__(self, job: Job):
        self.job = job
        #: For each table, the directory of the file's output and the base of its names.
        self.places = {table: os.path.split(os.path.join(job.outdir, table, job.name)) for table in OUTPUTS}
        self.writers: dict = {}
        self.committed = False

    def __enter__(self) -> "_OutputSet":
        writer = _ParquetWriter if self.job.format == "parquet" else _CsvWriter
        try:
            for table, (directory, base) in self.places.items():
                os.makedirs(directory, exist_ok=True)
                self.writers[table] = writer(_partial(directory, base), table)
        except BaseException:
            self.__exit__()
            raise
        return self

    def write(self, name: str, table: Table) -> None:
        if len(table):
            self.writers[name].write(table)

    def commit(self, sha256: str) -> dict[str, str]:
        """Close the temporaries and rename them into place, then remove the earlier outputs
        they do not replace; returns each table's output path under OUTDIR."""
        for writer in self.writers.values():
            writer.close()
        outputs, finals = {}, set()
        for table, (directory, base) in self.places.items():
            final = f"{base}.{sha256[:HASH_DIGITS]}.{self.job.format}"
            finals.add(os.path.normpath(os.path.join(directory, final)))
            os.replace(_partial(directory, base), os.path.join(directory, final))
            outputs[table] = posixpath.join(table, posixpath.dirname(self.job.name), final)
        self.committed = True
        _remove(path for path in self.job.earlier if os.path.normpath(path) not in finals)
        return outputs

    def __exit__(self, *exc) -> None:
        if self.committed:
            return
        for table, writer in self.writers.items():
            with suppress(Exception):  # discarding: a writer that failed may fail to close too
                writer.close()
            with suppress(FileNotFoundError):
                os.remove(_partial(*self.places[table]))


class _ParquetWriter:
    """Appends tables to a Parquet file, a row group each, in the table's fixed schema (text is
    always string, so that all windows and files agree)."""

    def __init__(self, path: str, name: str):
        import pyarrow.parquet as pq

        self.name = name
        self.schema = _empty(name).to_arrow().schema
        self.writer = pq.ParquetWriter(path, self.schema, **PARQUET)

    def write(self, table: Table) -> None:
        import pyarrow as pa

        try:
            arrow = table.to_arrow().cast(self.schema)
        except pa.ArrowInvalid:
            raise EdiError(f"the {self.name} table has text that is not UTF-8, which Parquet strings cannot hold; "
                           "--format csv keeps it") from None
        self.writer.write_table(arrow)

    def close(self) -> None:
        self.writer.close()


class _CsvWriter:
    """Appends tables to a CSV file with a header line (as `Table.write_csv`: nulls empty, dates ISO)."""

    def __init__(self, path: str, name: str):
        self.file = open(path, "w", newline="", encoding=ENCODING, errors=ERRORS)
        self.writer = csv.writer(self.file)
        self.writer.writerow(_empty(name).column_names)

    def write(self, table: Table) -> None:
        self.writer.writerows(row.values() for row in table.rows())

    def close(self) -> None:
        self.file.close()

