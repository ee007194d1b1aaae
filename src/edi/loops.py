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
from .index import SegmentIndex
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
