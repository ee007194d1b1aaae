"""edi: fast, lossless X12 EDI for HIPAA 5010 transactions.

    doc = edi.read_file("remit.835")
    for txn in doc.transactions:
        print(txn.set_id, txn.control_number, txn.version, len(txn))
    assert edi.write(doc) == open("remit.835", "rb").read()

`edi.BACKEND` says whether the Cython kernels ("cython") or their pure-Python twins ("python")
are in use; `EDI_NO_EXTENSIONS=1` forces the twins.
"""
from __future__ import annotations

import dataclasses
import os

from . import _backend
from ._backend import BACKEND, limit_threads
from .dialect import Delimiters, Dialect
from .envelope import build_document
from .errors import EdiError, EdiSyntaxError, Finding, FindingCode, Location, Severity
from .index import SegmentIndex
from .model import Document, Group, Interchange, Segment, Transaction
from .stream import TransactionReader, iter_transactions
from .table import Table
from .tokenizer import DEFAULT_LIMITS, Limits, tokenize
from .writer import write

__version__ = "0.1.0"


def read(data: bytes, *, strict: bool = False, limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> Document:
    """Read X12 bytes (one or more interchanges) into a Document. Strict mode raises
    `EdiSyntaxError` on anything lenient mode (the default) repairs and reports as a finding.
    `name` (the file's, given by `read_file`) is named in every finding's location."""
    index = tokenize(data, strict=strict, limits=limits)
    if name is not None:
        index.name = name
        index.findings[:] = [dataclasses.replace(f, location=dataclasses.replace(f.location, source=name))
                             for f in index.findings]
    return build_document(index)


def read_file(path: str | os.PathLike, *, strict: bool = False, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read an X12 file into a Document."""
    with open(path, "rb") as f:
        data = _backend.read_bytes(f, _backend.cores())
    try:
        return read(data, strict=strict, limits=limits, name=os.fspath(path))
    except EdiSyntaxError as error:
        raise EdiSyntaxError(error.reason, dataclasses.replace(error.location, source=os.fspath(path))) from None


def release_memory() -> None:
    """Hand back to the system the large buffers that edi keeps for reuse. Once a document's
    index and tables are freed, their buffers (up to 256 MB) stay with the process, so that the
    next large file needs no fresh pages; a long-running process that is done with large files
    can let them go."""
    _backend.release_memory()


__all__ = [
    "BACKEND", "DEFAULT_LIMITS", "Delimiters", "Dialect", "Document", "EdiError", "EdiSyntaxError", "Finding",
    "FindingCode", "Group", "Interchange", "Limits", "Location", "Segment", "SegmentIndex", "Severity",
    "Table", "Transaction", "TransactionReader", "iter_transactions", "limit_threads", "read", "read_file",
    "release_memory", "tokenize", "write",
]
