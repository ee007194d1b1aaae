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

from .index import SegmentIndex, pack_tag
from .schema import Entry, Key, LoopNode, Schema

TAG_HL = pack_tag("HL")


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
    unmatched: list  # segment positions k that matched no schema segment


class _Frame:
    """An open loop instance on the walker's stack and the child it is at."""

    __slots__ = ("node", "instance", "child")

    def __init__(self, node: LoopNode, instance: int, child: int):
        self.node = node
        self.instance = instance
        self.child = child


def parse_loops(index: SegmentIndex, first: int, last: int, schema: Schema) -> LoopIndex:
    """Walk segments first..last (ST..SE) of `index` with `schema`."""
    walker = _Walker(index, first, schema)
    for i in range(first, last + 1):
        walker.step(i)
    return walker.result(last)


class _Walker:
    def __init__(self, index: SegmentIndex, first: int, schema: Schema):
        self.index = index
        self.first = first
        self.schema = schema
        self.loop_node: list[int] = [schema.root.index]
        self.loop_parent: list[int] = [-1]
        self.loop_first: list[int] = [0]
        self.loop_last: list[int] = [0]
        self.seg_loop: list[int] = []
        self.seg_node: list[int] = []
        self.implied: list = []
        self.unmatched: list[int] = []
        self.stack = [_Frame(schema.root, 0, -1)]
        self.frames: dict[int, list[_Frame]] = {0: list(self.stack)}  # instance -> its stack
        self.hl_instances: dict[bytes, int] = {}

    # --- element access, only for the keys that need it ---------------------------------
    def key_value(self, i: int, key: Key) -> bytes:
        value = self.index.element(i, key.element)
        if key.component:
            component = self.index.delimiters(i).component
            parts = value.split(component)
            value = parts[key.component - 1] if key.component <= len(parts) else b""
        return value

    def matches(self, i: int, tag: int, entry: Entry) -> bool:
        if entry.tag != tag:
            return False
        key = entry.key
        return key is None or not key.codes or self.key_value(i, key) in key.codes

    # --- the walk -------------------------------------------------------------------------
    def step(self, i: int) -> None:
        k = i - self.first
        tag = int(self.index.seg_tag[i])
        if k == 0:  # ST opens the root instance
            self.place(k, self.schema.root.entries[0].segment.index, 0)
            self.stack[0].child = 0
            return
        found = self.find(i, tag, lenient=False) or self.find(i, tag, lenient=True)
        if found is None:
            self.unmatched.append(k)
            self.place(k, -1, self.stack[-1].instance)
            return
        depth, entry, implied = found
        del self.stack[depth + 1 :]
        frame = self.stack[depth]
        frame.child = entry.child
        for n, loop in enumerate(entry.path):
            parent = self.stack[-1]
            instance = self.open(loop, parent.instance, k)
            frame = _Frame(loop, instance, 0 if n == len(entry.path) - 1 else -1)
            self.stack.append(frame)
            self.frames[instance] = list(self.stack)
            if implied and n == 0:
                self.implied.append((k, instance))
        if entry.path:
            self.stack[-1].child = 0
            if tag == TAG_HL:
                self.place_hl(i, self.stack[-1])
        self.place(k, entry.segment.index, self.stack[-1].instance)

    def find(self, i: int, tag: int, lenient: bool):
        """(stack depth, entry, implied) of the first match, innermost loop first."""
        for depth in range(len(self.stack) - 1, -1, -1):
            frame = self.stack[depth]
            node = frame.node
            start = node.group_start[frame.child] if frame.child >= 0 else 0
            for entry in node.entries:
                if entry.child < start:
                    continue
                if not lenient:
                    if self.matches(i, tag, entry):
                        return depth, entry, False
                elif entry.path:
                    # The loop's own first segment is missing: enter through its child loops.
                    for inner in entry.path[-1].entries:
                        if inner.path and self.matches(i, tag, inner):
                            return depth, Entry(entry.child, tag, inner.key, inner.segment,
                                                entry.path + inner.path), True
        return None

    def open(self, loop: LoopNode, parent: int, k: int) -> int:
        instance = len(self.loop_node)
        self.loop_node.append(loop.index)
        self.loop_parent.append(parent)
        self.loop_first.append(k)
        self.loop_last.append(k)
        return instance

    def place_hl(self, i: int, frame: _Frame) -> None:
        """Re-parent an HL loop instance to the instance of its HL02, when HL02 names one."""
        hl_id = self.index.element(i, 1)
        parent_id = self.index.element(i, 2)
        self.hl_instances[hl_id] = frame.instance
        parent = self.hl_instances.get(parent_id) if parent_id else None
        if parent is None or parent == self.loop_parent[frame.instance]:
            return
        self.loop_parent[frame.instance] = parent
        parent_stack = self.frames[parent]
        if frame.node in parent_stack[-1].node.children:  # the map agrees: walk on from there
            parent_frame = _Frame(parent_stack[-1].node, parent, parent_stack[-1].node.children.index(frame.node))
            self.stack[:] = parent_stack[:-1] + [parent_frame, frame]
            self.frames[frame.instance] = list(self.stack)

    def place(self, k: int, node: int, instance: int) -> None:
        self.seg_loop.append(instance)
        self.seg_node.append(node)
        while instance >= 0:  # every enclosing instance now reaches this segment
            if self.loop_last[instance] >= k:
                break
            self.loop_last[instance] = k
            instance = self.loop_parent[instance]

    def result(self, last: int) -> LoopIndex:
        as_array = lambda values: np.array(values, dtype=np.int32)  # noqa: E731
        return LoopIndex(
            self.schema, self.first, as_array(self.seg_loop), as_array(self.seg_node), as_array(self.loop_node),
            as_array(self.loop_parent), as_array(self.loop_first), as_array(self.loop_last),
            self.implied, self.unmatched,
        )
