"""Peer comparison: other Python X12 libraries parse the same generated 835 and 837P files into
their own loop tree or object model, each run in a fresh process so that its imports, caches and
memory are its own. Prints a Markdown table of throughput, peak memory and edi's speed-up.

    python benchmarks/peers.py [--sizes 1MB,10MB,50MB] [--kinds 835,837p]
                               [--peers edi,edi_tables,pyx12,x12sdk,oxedi,edi_835_parser]
                               [--timeout S] [--json OUT]

Each run gets S seconds of CPU time for its parses (default 120); a peer that goes past it on a
size is stopped there, reported as a bound ("< N MB/s"), and not run on the larger sizes. A peer
that times out on every size asked for is measured on the 1MB file (with edi, for the ratio),
labelled "fallback". Every run counts the claims it found, checked against the CLP/CLM segments
of the file, so a number is only reported for a parse that really happened; a peer that fails is
reported with its error class. `bench_peers.py` runs the same children under pytest.

The child side is `python benchmarks/peers.py --run-one PEER KIND FILE --timeout S`: it prints
one JSON line. Peer modules are imported only in the child that runs them.
"""
from __future__ import annotations

import argparse
import datetime
import gc
import importlib
import json
import math
import resource
import signal
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

CLAIM_LOOP = {"835": "2100", "837p": "2300"}
CLAIM_SEGMENT = {"835": "CLP", "837p": "CLM"}
DEFAULT_TIMEOUT = 120.0
FALLBACK_SIZE = "1MB"
# A parse is repeated in its process until this much CPU time is spent (at most MAX_ROUNDS
# parses; 3 s, so that a 50 MB file gives edi some 25 rounds on this noisy machine). The first
# round is a warm-up (one-time setup: maps, schemas, caches) unless it is the only one; of the
# others, the median wall time counts, and the mean CPU time: this machine's CPU clock moves in
# steps of up to 4 ms, so a 2 ms parse reads as 0 or 4 ms, and only the mean of many comes out
# right.
MIN_CPU_S = 3.0
MAX_ROUNDS = 200
# The wall-clock limit of a child, as a multiple of its CPU budget (the 2 cores are shared).
WALL_FACTOR = 5


def parse_edi(path: str, kind: str) -> int:
    """`edi.read_file(path)`, then `txn.loops` (the LoopIndex, as in bench_loops.py) of every
    transaction; claims are the instances of the claim loop."""
    import numpy as np

    import edi

    claims = 0
    for txn in edi.read_file(path).transactions:
        loops = txn.loops
        claim_nodes = [node.index for node in loops.schema.loops if node.id == CLAIM_LOOP[kind]]
        claims += int(np.isin(loops.loop_node, claim_nodes).sum())
    return claims


def parse_edi_tables(path: str, kind: str) -> int:
    """The posting job of issue 4: `edi.read_file(path)`, the six 835 tables
    (`edi.remittance.tables.extract`) and their balancing findings (`balance_findings`);
    claims are the rows of the claims table."""
    import edi
    from edi.remittance.tables import balance_findings, extract

    tables = extract(edi.read_file(path))
    balance_findings(tables)
    return len(tables["claims"])


def parse_pyx12(path: str, kind: str) -> int:
    """`pyx12.x12context.X12ContextReader(params(), errh_null(), fd).iter_segments()`, reading
    every segment's loop id (`node.x12_map_node.parent.id`); claims are CLP/CLM in the claim loop."""
    import logging

    from pyx12 import error_handler, params, x12context

    logging.disable(logging.CRITICAL)  # pyx12 logs every finding of its validation
    claims = 0
    with open(path, encoding="latin-1") as fd:
        reader = x12context.X12ContextReader(params.params(), error_handler.errh_null(), fd)
        for node in reader.iter_segments():
            if node.x12_map_node.parent.id == CLAIM_LOOP[kind] and node.seg_data.get_seg_id() == CLAIM_SEGMENT[kind]:
                claims += 1
    return claims


def parse_x12sdk(path: str, kind: str) -> int:
    """`list(x12sdk.io.X12ModelReader(path).models())`: one validated pydantic loop model per
    transaction, all kept; claims from each model's `claims()`."""
    from x12sdk.io import X12ModelReader

    with X12ModelReader(path) as reader:
        models = list(reader.models())
    return sum(1 for model in models for _ in model.claims())


def parse_oxedi(path: str, kind: str) -> int:
    """`oxedi.parse_file(path)` (index, loop engine, structure checks, tables); claims from
    `count_claims()`."""
    import oxedi

    return oxedi.parse_file(path).count_claims()


def parse_edi_835_parser(path: str, kind: str) -> int:
    """`edi_835_parser.parse(path)`: its TransactionSets of claim and service loop objects;
    claims are the lengths of their `claims` lists."""
    import edi_835_parser

    return sum(len(transaction_set.claims) for transaction_set in edi_835_parser.parse(path))


class Peer(NamedTuple):
    module: str  # what the child imports to tell whether the peer is installed
    kinds: tuple[str, ...]  # the transaction kinds it reads
    parse: Callable[[str, str], int]  # (path, kind) -> claims found


PEERS = {
    "edi": Peer("edi", ("835", "837p"), parse_edi),
    "edi_tables": Peer("edi", ("835",), parse_edi_tables),
    "pyx12": Peer("pyx12.x12context", ("835", "837p"), parse_pyx12),
    "x12sdk": Peer("x12sdk.io", ("835", "837p"), parse_x12sdk),
    "oxedi": Peer("oxedi", ("835",), parse_oxedi),
    "edi_835_parser": Peer("edi_835_parser", ("835",), parse_edi_835_parser),
}


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which starts afresh at exec (ru_maxrss may carry the
    parent's peak across the fork)."""
    try:
        with open("/proc/self/status") as status:
            kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024, 1)


def child(peer: str, kind: str, path: str, timeout: float) -> dict:
    """In the child: import the peer, limit its CPU time, parse until MIN_CPU_S, report."""
    try:
        importlib.import_module(PEERS[peer].module)
    except ImportError as error:
        return {"status": "missing", "error": f"{type(error).__name__}: {error}"}
    limit = math.ceil(time.process_time() + timeout)  # SIGXCPU ends the process past it
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # and dumps no core of a GB-sized peer
    warnings.simplefilter("ignore")  # edi_835_parser warns about every PLB
    rounds = []
    while not rounds or (sum(cpu for _, cpu in rounds) < MIN_CPU_S and len(rounds) < MAX_ROUNDS):
        gc.collect()  # the previous round's objects are gone before this one starts
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            claims = PEERS[peer].parse(path, kind)
        except Exception as error:  # noqa: BLE001 (any failure of the peer is its result)
            return {"status": "error", "error": f"{type(error).__name__}: {str(error)[:200]}"}
        rounds.append((time.perf_counter() - wall, time.process_time() - cpu))
        if len(rounds) == 1:
            peak = peak_rss_mb()  # of one parse: later rounds could only add allocator leftovers
    warm = rounds[1:] or rounds
    return {"status": "ok", "claims": claims, "wall_s": round(statistics.median(w for w, _ in warm), 5),
            "cpu_s": round(statistics.fmean(c for _, c in warm), 5), "first_cpu_s": round(rounds[0][1], 4),
            "rounds": len(rounds), "peak_rss_mb": peak}


def expected_claims(path: Path, kind: str) -> int:
    """CLP (835) or CLM (837P) segments in the file: what every peer should find."""
    data = path.read_bytes()
    terminator, separator = data[105:106], data[3:4]
    return data.count(terminator + CLAIM_SEGMENT[kind].encode() + separator)


def run_one(peer: str, kind: str, path: Path, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Run `peer` on one file in a fresh process. Status "ok" (with claims, wall_s, cpu_s,
    mb_per_s, peak_rss_mb), "missing", "error" (with the error class) or "timeout"."""
    result = {"peer": peer, "kind": kind, "file": path.name, "bytes": path.stat().st_size}
    command = [sys.executable, str(Path(__file__).resolve()), "--run-one", peer, kind, str(path),
               "--timeout", str(timeout)]
    try:
        proc = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout * WALL_FACTOR)
    except subprocess.TimeoutExpired:
        wall = timeout * WALL_FACTOR
        return result | {"status": "timeout", "clock": "wall", "error": f"over {wall:.0f} s wall time"}
    if proc.returncode == -signal.SIGXCPU:
        return result | {"status": "timeout", "clock": "cpu", "error": f"over {timeout:.0f} s CPU time"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return result | {"status": "error", "error": f"exit code {proc.returncode}: {last[:200]}"}
    result |= json.loads(lines[-1])
    if result["status"] == "ok":
        result["expected_claims"] = expected_claims(path, kind)
        result["mb_per_s"] = round(result["bytes"] / 1e6 / result["wall_s"], 2)
        result["mb_per_s_cpu"] = round(result["bytes"] / 1e6 / result["cpu_s"], 2)
    return result


def measure(peers: list[str], kinds: list[str], sizes: list[str], timeout: float) -> list[dict]:
    """Every peer on every (kind, size) file, smallest first; see the module docstring for the
    timeout and fallback rules. Progress goes to stderr."""
    from conftest import generated
    from generate import _parse_size

    results = {}

    def run(peer: str, kind: str, size: str, label: str) -> None:
        result = run_one(peer, kind, generated(kind, size), timeout) | {"size": label}
        results[peer, kind, size] = result
        print(f"{peer} {kind} {label}: {result['status']} {result.get('mb_per_s_cpu', result.get('error', ''))}",
              file=sys.stderr)

    for kind in kinds:
        readers = [peer for peer in peers if kind in PEERS[peer].kinds]
        timed_out = {}
        for size in sorted(sizes, key=_parse_size):
            for peer in readers:
                if peer in timed_out:
                    results[peer, kind, size] = {"peer": peer, "kind": kind, "size": size, "status": "skipped",
                                                 "error": f"timed out on {timed_out[peer]}"}
                    continue
                run(peer, kind, size, size)
                if results[peer, kind, size]["status"] == "timeout":
                    timed_out[peer] = size
        unmeasured = [peer for peer in timed_out if all(results[peer, kind, s]["status"] != "ok" for s in sizes)]
        if unmeasured and FALLBACK_SIZE not in sizes:
            # edi runs on the fallback file too, for the ratio.
            ours = [peer for peer in ("edi", "edi_tables") if peer in readers]
            for peer in dict.fromkeys([*ours, *unmeasured]):
                run(peer, kind, FALLBACK_SIZE, f"{FALLBACK_SIZE} fallback")
    return list(results.values())


def _row(result: dict, ours: list[dict | None], timeout: float) -> list[str]:
    """One table row: numbers for an ok run, a bound for a timeout, the reason otherwise; then
    the speed of each of `ours` (edi's runs on the same file) over this peer's, by CPU time and
    by wall time (edi uses two threads on large files; the peers use one)."""
    ours = [run if run and run["peer"] != result["peer"] and run["status"] == "ok" else None for run in ours]
    status = result["status"]
    if status == "ok":
        claims = f"{result['claims']:,}"
        if result["claims"] != result["expected_claims"]:
            claims += f" (file has {result['expected_claims']:,})"
        rate = result["mb_per_s_cpu"]
        return [claims, f"{result['wall_s']:.3f}", f"{result['cpu_s']:.3f}", f"{rate:,.2f}",
                f"{result['peak_rss_mb']:,.0f}", *(f"{run['mb_per_s_cpu'] / rate:,.1f}" if run else "" for run in ours),
                *(f"{result['wall_s'] / run['wall_s']:,.1f}" if run else "" for run in ours)]
    if status == "timeout" and result["clock"] == "cpu":
        bound = result["bytes"] / 1e6 / timeout
        return ["timeout", "", f"> {timeout:.0f}", f"< {bound:.2f}", "",
                *(f"> {run['mb_per_s_cpu'] / bound:,.0f}" if run else "" for run in ours),
                *(f"> {timeout / run['wall_s']:,.0f}" if run else "" for run in ours)]
    return [f"{status}: {result.get('error', '')}", "", "", "", "", *("" for _ in ours), *("" for _ in ours)]


def markdown(results: list[dict], timeout: float) -> str:
    """The results as a Markdown table (edi/peer from CPU-time MB/s on the same file, then from
    wall time), then how each peer was driven."""
    by_key = {(r["peer"], r["kind"], r["size"]): r for r in results}
    lines = ["| peer | kind | file | claims found | wall s | CPU s | MB/s (CPU) | peak RSS MB | edi/peer "
             "| edi_tables/peer | edi/peer (wall) | edi_tables/peer (wall) |", "|" + "---|" * 12]
    for r in results:
        cells = _row(r, [by_key.get((ours, r["kind"], r["size"])) for ours in ("edi", "edi_tables")], timeout)
        size = f"{r['bytes'] / 1e6:.1f} MB ({r['size']})" if "bytes" in r else r["size"]
        lines.append("| " + " | ".join([r["peer"], r["kind"], size, *cells]) + " |")
    peers = dict.fromkeys(r["peer"] for r in results)
    lines.append("")
    lines += [f"- {peer}: {' '.join(PEERS[peer].parse.__doc__.split())}" for peer in peers]
    return "\n".join(lines)


def _names(text: str) -> list[str]:
    """"a, b," -> ["a", "b"]."""
    return [name.strip() for name in text.split(",") if name.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1MB,10MB,50MB")
    parser.add_argument("--kinds", default="835,837p")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="CPU seconds each run may spend parsing (default %(default)s)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--run-one", nargs=3, metavar=("PEER", "KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        print(json.dumps(child(*args.run_one, args.timeout)))
        return
    peers, kinds, sizes = (_names(text) for text in (args.peers, args.kinds, args.sizes))
    for names, known in ((peers, PEERS), (kinds, CLAIM_LOOP)):
        if set(names) - set(known):
            parser.error(f"unknown: {sorted(set(names) - set(known))}; known: {', '.join(known)}")
    results = measure(peers, kinds, sizes, args.timeout)
    print(markdown(results, args.timeout))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": datetime.date.today().isoformat(), "python": sys.version.split()[0],
            "timeout_cpu_s": args.timeout, "results": results}, indent=1))


if __name__ == "__main__":
    main()
