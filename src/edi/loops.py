"""The loop parser: which loop instance (2000A, 2100, 2110, ...) each segment of a transaction
belongs to, from the compiled schema, as arrays (the LoopIndex).

Matching follows pyx12's walker (DOMAIN 1.4): a segment is looked for among the children of
the innermost open loop at or after the current position group, then in each enclosing loop;
a loop child matches when its first segment does, and opens a new instance. Order is free
within a position group. HL loops take their parent from HL02 (the hierarchy of the data, never
the map's nesting). Lenient where payers are sloppy: a loop whose first segment is missing (an
835 CLP with no LX) is opened through its child loop, and a segment that matches nothing stays in
the current loop; both are recorded for the validator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _backend
from ._py.loops import TOO_DEEP_MESSAGE
from .index import SegmentIndex, element_values
from .model import decode, find_schema
from .schema import Schema


@dataclass
class LoopIndex:
    """Loop instances of one transaction. Segment k of the transaction (k = 0 for ST) is in
    instance `seg_loop[k]` and matched schema segment `seg_node[k]` (-1: matched nothing).
    Instance j is schema loop `loop_node[j]` under instance `loop_parent[j]` (-1 for the root)
    and spans segments `loop_first[j]..loop_last[j]` of the transaction (inclusive)."""

    schema: Schema
    first: int  # index of the transaction's ST in the SegmentIndex
    seg_loop: np.ndarray
    seg_node: np.ndarray
    loop_node: np.ndarray
    loop_parent: np.ndarray
    loop_first: np.ndarray
    loop_last: np.ndarray
    implied: list  # (segment k, loop instance) opened without their first segment
    relaxed: list  # segment positions k placed by segment id alone (key value not in the codes)
    unmatched: list  # segment positions k that matched no schema segment


def parse_loops(index: SegmentIndex, first: int, last: int, schema: Schema) -> LoopIndex:
    """Walk segments first..last (ST..SE) of `index` with `schema`."""
    return LoopIndex(schema, first, *_backend.walk_loops(index, first, last, schema.tables))


def parse_many(index: SegmentIndex, firsts, lasts, schema: Schema) -> list[LoopIndex | None]:
    """The LoopIndex of each transaction firsts[n]..lasts[n] of `index`, all walked with `schema`
    in one kernel call (the per-transaction cost of `parse_loops` is paid once). Their arrays are
    views of one set of arrays. None for a transaction whose loops nest deeper than the walker
    supports (hostile input; `parse_loops` raises RecursionError for it)."""
    seg_loop, seg_node, *columns, loop_ptr, implied, relaxed, unmatched, failed = _backend.walk_batch(
        index, firsts, lasts, schema.tables)
    seg_ptr = np.cumsum([0, *(int(b) - int(a) + 1 for a, b in zip(firsts, lasts))]).tolist()
    loop_ptr = loop_ptr.tolist()
    result = []
    for n, first in enumerate(firsts):
        a, b, c, d = seg_ptr[n], seg_ptr[n + 1], loop_ptr[n], loop_ptr[n + 1]
        result.append(LoopIndex(schema, int(first), seg_loop[a:b], seg_node[a:b], *(v[c:d] for v in columns),
                                implied[n], relaxed[n], unmatched[n]))
    for n in failed:
        result[n] = None
    return result


def parse_transactions(transactions: list) -> list:
    """What `Transaction.loops` gives for each of `transactions` (read from one SegmentIndex):
    its LoopIndex, None when no schema covers it, or, for the caller to raise when it is asked
    for, the RecursionError of a transaction whose loops nest too deep. Transactions that share
    a schema are walked in one kernel call."""
    if not transactions:
        return []
    index = transactions[0].index
    set_ids = element_values(index, [t.first for t in transactions], 1)
    versions = {}  # GS08 of each group
    by_schema: dict = {}  # schema -> positions in `transactions`
    for n, (txn, set_id) in enumerate(zip(transactions, set_ids)):
        group = txn.group
        if group not in versions:
            versions[group] = group.version if group is not None else ""
        if versions[group] and set_id != b"278" and txn.header.is_view:
            schema = find_schema(versions[group], decode(set_id), None)  # what txn.schema finds, sooner
        else:
            schema = txn.schema
        by_schema.setdefault(schema, []).append(n)
    result: list = [None] * len(transactions)
    for schema, positions in by_schema.items():
        if schema is None:
            continue
        walked = parse_many(index, [transactions[n].first for n in positions],
                            [transactions[n].last for n in positions], schema)
        for n, loops in zip(positions, walked):
            result[n] = loops if loops is not None else RecursionError(TOO_DEEP_MESSAGE)
    return result
