"""The `edi` command line.

    edi info FILE...        interchanges, groups, transactions, versions, counts and findings
    edi segments FILE       one segment a line, elements by position (CLP01=...)
    edi parse FILE          each transaction's loop tree (2000A, 2100, 2110, ...)
    edi validate FILE...    SNIP 1-2 findings against the implementation guides
    edi ack FILE -o OUT     the 999 acknowledgment (or, with --ta1, the TA1) for a file
    edi post PATH... -o DIR 835 files (and directories of them) to tables, on all cores
    edi denials PATH...     denials by root cause, rates and the work queue (edi.denials)
    edi eligibility FILE... a one-screen card per patient of 271 responses (edi.eligibility)
    edi status FILE...      claim status from 277/277CA: acceptance and rejections (edi.status)
    edi scrub FILE...       837 claims against the scrub edits, a verdict per claim (edi.claims)

info, segments, parse and validate take `--json` for tools and `--strict` to reject what lenient
reading repairs. A file that cannot be read is reported on stderr (post: in its summary) and the
others go on; the exit status is 1 if any failed.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Iterator

from . import BACKEND, __version__
from .errors import EdiError
from .model import Document, Segment, decode


#: Commands whose arguments and work live in their wing's module (`add_arguments`, `run`).
WING_COMMANDS = {
    "denials": ("edi.denials", "denials by root cause, rates and the work queue from 835 files"),
    "eligibility": ("edi.eligibility", "a one-screen card per patient of 271 eligibility responses"),
    "status": ("edi.status", "claim status from 277/277CA files: acceptance and rejections"),
    "scrub": ("edi.claims.scrub", "check 837 claims against the scrub edits, a verdict per claim"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edi", description="Read, check and write X12 EDI (HIPAA 5010).")
    parser.add_argument("--version", action="version", version=f"edi {__version__} ({BACKEND})")
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="summarize files: envelopes, transactions, findings")
    info.add_argument("files", nargs="+", metavar="FILE")
    segments = commands.add_parser("segments", help="list the segments of a file with element positions")
    segments.add_argument("file", metavar="FILE")
    parse = commands.add_parser("parse", help="show each transaction's loop tree")
    parse.add_argument("file", metavar="FILE")
    check = commands.add_parser("validate", help="check files against their implementation guides")
    check.add_argument("files", nargs="+", metavar="FILE")
    ack = commands.add_parser("ack", help="write the 999 (or TA1) acknowledging a file")
    ack.add_argument("file", metavar="FILE")
    ack.add_argument("-o", "--output", required=True, metavar="OUT", help="where to write the acknowledgment")
    ack.add_argument("--ta1", action="store_true", help="write the TA1 interchange acknowledgment instead")
    ack.add_argument("--control-number", type=int, default=1, help="ISA13/GS06 of the acknowledgment (default 1)")
    post = commands.add_parser("post", help="post 835 files to tables (Parquet or CSV), one set per file")
    post.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    post.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="where to write the tables")
    post.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="default parquet")
    post.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: every core)")
    post.add_argument("--quiet", action="store_true", help="no progress bar and no summary; failures on stderr")
    for command in (info, segments, parse, check):
        command.add_argument("--json", action="store_true", help="print JSON instead of text")
        command.add_argument("--strict", action="store_true", help="reject files that need repairs")
    wings = {}
    for name, (module_name, help_text) in WING_COMMANDS.items():
        wings[name] = importlib.import_module(module_name)
        wings[name].add_arguments(commands.add_parser(name, help=help_text))

    args = parser.parse_args(argv)
    try:
        if args.command in wings:
            return wings[args.command].run(args)
        if args.command == "validate":
            return run_validate(args.files, as_json=args.json, strict=args.strict)
        if args.command == "ack":
            return run_ack(args.file, args.output, ta1=args.ta1, control_number=args.control_number)
        if args.command == "post":
            return run_post(args.paths, args.output, fmt=args.format, jobs=args.jobs, quiet=args.quiet)
        if args.command == "info":
            return run_info(args.files, as_json=args.json, strict=args.strict)
        if args.command == "parse":
            return run_parse(args.file, as_json=args.json, strict=args.strict)
        return run_segments(args.file, as_json=args.json, strict=args.strict)
    except BrokenPipeError:  # `edi segments big.835 | head`
        sys.stderr.close()
        return 0


def _read(path: str, strict: bool) -> Document | None:
    """The document in `path`, or None after telling stderr why it cannot be read."""
    from . import read_file

    try:
        return read_file(path, strict=strict)
    except (OSError, EdiError) as error:
        print(f"{path}: {error}", file=sys.stderr)
        return None


def summarize(path: str, doc: Document) -> dict:
    """A JSON-able summary of a document."""
    return {
        "file": path,
        "size": len(doc.source),
        "segments": len(doc.index),
        "interchanges": [
            {
                "control_number": ic.control_number,
                "sender": f"{ic.sender_qualifier}:{ic.sender_id}" if ic.header is not None else "",
                "receiver": f"{ic.receiver_qualifier}:{ic.receiver_id}" if ic.header is not None else "",
                "version": ic.version,
                "date": ic.date,
                "usage": ic.usage,
                "groups": [
                    {
                        "functional_id": g.functional_id,
                        "control_number": g.control_number,
                        "version": g.version,
                        "transactions": [
                            {"set_id": t.set_id, "control_number": t.control_number, "version": t.version,
                             "segments": len(t)}
                            for t in g.transactions
                        ],
                    }
                    for g in ic.groups
                ],
            }
            for ic in doc.interchanges
        ],
        "findings": [f.to_dict() for f in doc.findings],
    }


def run_info(paths: list[str], *, as_json: bool, strict: bool) -> int:
    failed = 0
    summaries = []
    for path in paths:
        doc = _read(path, strict)
        if doc is None:
            failed += 1
            continue
        summary = summarize(path, doc)
        if as_json:
            summaries.append(summary)
        else:
            print(render_info(summary))
    if as_json:
        json.dump(summaries, sys.stdout, indent=2)
        print()
    return 1 if failed else 0


def render_info(summary: dict) -> str:
    """The text form of `edi info` for one file."""
    lines = [f"{summary['file']}: {summary['size']:,} bytes, {summary['segments']:,} segments"]
    for ic in summary["interchanges"]:
        if ic["control_number"]:
            lines.append(f"  interchange {ic['control_number']} {ic['sender']} -> {ic['receiver']}"
                         f" version {ic['version']} date {ic['date']} usage {ic['usage']}")
        else:
            lines.append("  (no ISA header)")
        for g in ic["groups"]:
            counts: dict[str, int] = {}
            for t in g["transactions"]:
                counts[t["set_id"]] = counts.get(t["set_id"], 0) + 1
            kinds = ", ".join(f"{n} x {set_id}" for set_id, n in counts.items()) or "no transactions"
            lines.append(f"    group {g['functional_id'] or '(no GS)'} {g['control_number']} {g['version']}: {kinds}")
            for t in g["transactions"][:20]:
                lines.append(f"      {t['set_id']} {t['control_number']:<10} {t['version']:<14} {t['segments']:>8,} segments")
            if len(g["transactions"]) > 20:
                lines.append(f"      ... {len(g['transactions']) - 20} more")
    findings = summary["findings"]
    lines.append(f"  findings: {len(findings) or 'none'}")
    for f in findings:
        lines.append(f"    {f['severity']}: {f['message']}" + (f" [{f['ack']} {f['ack_code']}]" if f["ack"] else ""))
    return "\n".join(lines)


def iter_segment_rows(doc: Document) -> Iterator[dict]:
    index = doc.index
    for i in range(len(index)):
        if index.seg_len[i] == 0:
            continue
        segment = Segment(index, i)
        yield {
            "number": i + 1,
            "offset": int(index.seg_start[i]),
            "id": segment.id,
            "elements": [decode(e) for e in index.elements(i)[1:]],
        }


def run_segments(path: str, *, as_json: bool, strict: bool) -> int:
    doc = _read(path, strict)
    if doc is None:
        return 1
    out = sys.stdout
    if as_json:
        out.write("[")
        for n, row in enumerate(iter_segment_rows(doc)):
            out.write(("," if n else "") + "\n" + json.dumps(row))
        out.write("\n]\n")
        return 0
    for row in iter_segment_rows(doc):
        elements = "  ".join(f"{row['id']}{j:02d}={value}" for j, value in enumerate(row["elements"], 1) if value)
        out.write(f"{row['number']:>7} @{row['offset']:<9} {row['id']:<3}  {elements}\n")
    return 0


def run_parse(path: str, *, as_json: bool, strict: bool) -> int:
    doc = _read(path, strict)
    if doc is None:
        return 1
    if as_json:
        json.dump([t.to_dict() for t in doc.transactions], sys.stdout, indent=1)
        print()
        return 0
    for txn in doc.transactions:
        root = txn.root
        print(f"{txn.set_id} {txn.control_number} {txn.version}" + ("" if root else "  (no schema: segments only)"))
        if root is None:
            for segment in txn.segments:
                print(f"  {segment.id}")
            continue
        for loop, depth in _walk_with_depth(root, 1):
            print(f"{'  ' * depth}{loop.id} {loop.name}: {' '.join(s.id for s in loop.segments)}")
    return 0


def _walk_with_depth(loop, depth: int):
    yield loop, depth
    for child in loop.children:
        yield from _walk_with_depth(child, depth + 1)


def run_validate(paths: list[str], *, as_json: bool, strict: bool) -> int:
    """Print each file's findings; exit status 1 when a file cannot be read or has errors."""
    from .errors import Severity
    from .validate import validate

    status = 0
    results = []
    for path in paths:
        doc = _read(path, strict)
        if doc is None:
            status = 1
            continue
        findings = validate(doc)
        errors = sum(f.severity is Severity.ERROR for f in findings)
        status = status or int(errors > 0)
        if as_json:
            results.append({"file": path, "errors": errors, "findings": [f.to_dict() for f in findings]})
            continue
        print(f"{path}: {errors} errors, {len(findings) - errors} other findings")
        for f in findings:
            print(f"  {f}" + (f" [{f.code.ack} {f.code.ack_code}]" if f.code.ack else ""))
    if as_json:
        json.dump(results, sys.stdout, indent=2)
        print()
    return status


def run_ack(path: str, output: str, *, ta1: bool, control_number: int) -> int:
    """Write the acknowledgment atomically (a temporary file renamed into place)."""
    import os

    from .ack import build_999, build_ta1

    doc = _read(path, strict=False)
    if doc is None:
        return 1
    data = (build_ta1 if ta1 else build_999)(doc, control_number=control_number)
    partial = f"{output}.partial"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, output)
    return 0


def run_post(paths: list[str], outdir: str, *, fmt: str, jobs: int | None, quiet: bool) -> int:
    """Post files to tables (`edi.remittance.post`): a progress bar on a terminal, the summary at
    the end; exit status 1 if any file failed, 130 if interrupted."""
    import time

    from .remittance.post import post_files

    started = time.perf_counter()
    show = None if quiet or not sys.stderr.isatty() else _progress_bar
    try:
        summary = post_files(paths, outdir, format=fmt, jobs=jobs, progress=show)
    except (EdiError, ValueError) as error:
        print(f"edi post: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nedi post: interrupted; outputs written are whole, and no summary was written", file=sys.stderr)
        return 130
    if quiet:
        for result in summary.failed:
            print(f"{result.path}: {result.error['class']}: {result.error['message']}", file=sys.stderr)
    else:
        seconds = time.perf_counter() - started
        size = sum(f.size for f in summary.files) / 1e6
        print(summary.render())
        print(f"  {seconds:.1f} s, {size / seconds:.1f} MB/s; summary in {outdir}/summary.json")
    return 1 if summary.failed else 0


def _progress_bar(progress) -> None:
    """One line on stderr, redrawn after each file: a bar by bytes, files and megabytes done."""
    width = 30
    filled = width * progress.bytes // max(progress.bytes_total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {progress.files}/{progress.files_total} files,"
                     f" {progress.bytes / 1e6:.1f}/{progress.bytes_total / 1e6:.1f} MB")
    if progress.files == progress.files_total:
        sys.stderr.write("\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
