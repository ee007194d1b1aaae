"""Implementation-guide schemas: the generated JSON (src/edi/schemas/, made by
schemas/generate.py from pyx12's maps and shared/maps), loaded once and compiled for matching.

A schema is a tree of `LoopNode`s whose children are `SegmentNode`s and loops. Compiling gives
every node an integer id and every loop its *entries*: how a segment can match one of its
children (segment id, key element and codes), in document order, with the index of the first
child of the same position group, since order is free within a group (the seven NM1s of an 835
2100 share one position).
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from .index import pack_tag


@dataclass(eq=False)
class SegmentNode:
    """A segment of the guide in one loop."""

    index: int
    id: str
    name: str
    usage: str
    pos: int
    max_use: int | None
    key: "Key | None"
    elements: list  # element and composite definitions, as generated
    loop: "LoopNode | None" = None
    syntax: list = field(default_factory=list)  # X12 syntax rules, e.g. "P0102"

    @property
    def tag(self) -> int:
        return pack_tag(self.id)


@dataclass(frozen=True)
class Key:
    """Which element tells same-id segments apart, and the codes it must hold."""

    element: int  # 1-based element position
    component: int  # 1-based component position, 0 for a simple element
    codes: frozenset  # of bytes; empty means any value


@dataclass(frozen=True)
class Entry:
    """One way a segment matches a child of a loop: the child is a segment (`path` empty) or
    the loops in `path` are opened, outermost first, and the segment is the first of the last."""

    child: int  # index of the child in the loop's `children`
    tag: int
    key: Key | None
    segment: SegmentNode
    path: tuple = ()


@dataclass(eq=False)
class LoopNode:
    index: int
    id: str
    name: str
    usage: str
    repeat: int | None
    pos: int
    type: str | None
    children: list = field(default_factory=list)
    parent: "LoopNode | None" = None
    entries: list = field(default_factory=list)  # of Entry, in child order
    group_start: list = field(default_factory=list)  # per child: first child with the same pos



@dataclass(eq=False)
class Schema:
    guide: str
    set_id: str
    name: str
    root: LoopNode
    loops: list
    segments: list
    _tables: "Tables | None" = None

    @property
    def tables(self) -> "Tables":
        """The schema as integer arrays, for the loop walkers (built once)."""
        if self._tables is None:
            self._tables = Tables.build(self)
        return self._tables



def _parse_key(spec: dict | None) -> Key | None:
    if not spec or not spec.get("element"):
        return None
    return Key(*_element_ref(spec["element"]), frozenset(c.encode() for c in spec.get("codes") or ()))


def _element_ref(ref: str) -> tuple[int, int]:
    """ "NM101" -> (1, 0); "SVC01-2" -> (1, 2)."""
    ref, _, component = ref.partition("-")
    return int(ref[-2:]), int(component or 0)


def compile_schema(data: dict) -> Schema:
    """Build and compile the node tree of one generated schema."""
    loops: list[LoopNode] = []
    segments: list[SegmentNode] = []

    def build(spec: dict, parent: LoopNode | None) -> LoopNode:
        loop = LoopNode(len(loops), spec["id"], spec.get("name", ""), spec.get("usage", "S"),
                        spec.get("repeat"), spec.get("pos", 0), spec.get("type"), parent=parent)
        loops.append(loop)
        for child in spec["children"]:
            if child.get("kind") == "loop":
                loop.children.append(build(child, loop))
            else:
                node = SegmentNode(len(segments), child["id"], child.get("name", ""), child.get("usage", "S"),
                                   child.get("pos", 0), child.get("max_use"), _parse_key(child.get("key")),
                                   child.get("elements", []), loop, child.get("syntax") or [])
                segments.append(node)
                loop.children.append(node)
        return loop

    root = build(data["root"], None)
    for loop in loops:
        _compile_loop(loop)
    return Schema(data["guide"], data["set_id"], data.get("name", ""), root, loops, segments)


def _compile_loop(loop: LoopNode) -> None:
    previous_pos = None
    for n, child in enumerate(loop.children):
        if child.pos != previous_pos:
            group = n
            previous_pos = child.pos
        loop.group_start.append(group)
        if isinstance(child, SegmentNode):
            loop.entries.append(Entry(n, child.tag, child.key, child))
        else:
            for segment, path in _loop_entries(child):
                loop.entries.append(Entry(n, segment.tag, segment.key, segment, path))


def _loop_entries(loop: LoopNode):
    """(first segment, loops to open) for each way into `loop`: its first segment, or, for a
    wrapper that starts with loops, the entries of those loops."""
    first = loop.children[0] if loop.children else None
    if isinstance(first, SegmentNode):
        yield first, (loop,)
        return
    for child in loop.children:
        if isinstance(child, SegmentNode):
            break
        for segment, path in _loop_entries(child):
            yield segment, (loop, *path)


@functools.cache
def _catalog() -> list[dict]:
    with resources.files("edi.schemas").joinpath("index.json").open("rb") as f:
        return json.load(f)["schemas"]


@functools.cache
def load(file_name: str) -> Schema:
    """The compiled schema stored in `file_name` (cached: compiled once per process)."""
    with resources.files("edi.schemas").joinpath(file_name).open("rb") as f:
        return compile_schema(json.load(f))


def find(version: str, set_id: str, bht02: str | None = None) -> Schema | None:
    """The schema for a transaction: GS08 version and ST01 set id (and BHT02 for 278)."""
    candidates = [e for e in _catalog() if e["gs08"] == version and e["st01"] == set_id]
    if len(candidates) > 1:
        candidates = [e for e in candidates if e.get("bht02") == bht02] or candidates[:1]
    return load(candidates[0]["file"]) if candidates else None


def fallback(version: str, set_id: str) -> Schema | None:
    """The guide to read a set with when its version names none we have ("5010", 005010X221
    without A1, a masked version): the one guide of its set id in the same X12 version (4010 for
    004010 versions, else 5010), if there is exactly one."""
    major = "004010" if version.startswith("004010") else "005010"
    candidates = [e for e in _catalog() if e["st01"] == set_id and e["gs08"].startswith(major)]
    return load(candidates[0]["file"]) if len(candidates) == 1 else None


@dataclass(eq=False)
class Tables:
    """The matching rules of a schema flattened into arrays (CSR style), so that both loop
    walkers, the Cython one and its pure-Python twin, read the same integers.

    Loop node L has entries `entry_first[L]:entry_first[L+1]`. Entry e matches a segment with
    tag `entry_tag[e]` whose key element `entry_element[e]` (component `entry_component[e]`,
    0 = none) holds one of the codes `code_first[e]:code_first[e+1]` of `codes` (none = any);
    it is child `entry_child[e]` of L, places the segment on schema segment `entry_segment[e]`,
    and opens the loops `path_loops[path_first[e]:path_first[e+1]]` first. Child c of L starts
    the position group `group_start[child_first[L] + c]`. `loop_parent_node[L]` is L's parent
    node and `loop_child_index[L]` its index among that parent's children.

    `by_tag_entry[by_tag_first[L]:by_tag_first[L+1]]` lists L's entries sorted by tag (then in
    child order), with their tags in `by_tag_tag`: the native walker finds the entries of a
    segment id by binary search instead of scanning all of them.
    """

    entry_first: np.ndarray
    entry_child: np.ndarray
    entry_tag: np.ndarray
    entry_element: np.ndarray
    entry_component: np.ndarray
    entry_segment: np.ndarray
    code_first: np.ndarray
    codes: list  # of bytes
    code_bytes: bytes  # the codes joined, for the native walker ...
    code_offset: np.ndarray  # ... code c is code_bytes[code_offset[c]:code_offset[c + 1]]
    path_first: np.ndarray
    path_loops: np.ndarray
    child_first: np.ndarray
    group_start: np.ndarray
    loop_parent_node: np.ndarray
    loop_child_index: np.ndarray
    by_tag_first: np.ndarray
    by_tag_tag: np.ndarray
    by_tag_entry: np.ndarray
    root: int
    st_segment: int

    @classmethod
    def build(cls, schema: Schema) -> "Tables":
        entry_first, child_first, group_start = [0], [0], []
        child, tag, element, component, segment, code_first, codes = [], [], [], [], [], [0], []
        path_first, path_loops = [0], []
        for loop in schema.loops:
            for entry in loop.entries:
                child.append(entry.child)
                tag.append(entry.tag)
                element.append(entry.key.element if entry.key else 0)
                component.append(entry.key.component if entry.key else 0)
                segment.append(entry.segment.index)
                codes.extend(sorted(entry.key.codes) if entry.key else ())
                code_first.append(len(codes))
                path_loops.extend(node.index for node in entry.path)
                path_first.append(len(path_loops))
            entry_first.append(len(child))
            group_start.extend(loop.group_start)
            child_first.append(len(group_start))
        by_tag_entry = []
        for node in range(len(schema.loops)):
            own = range(entry_first[node], entry_first[node + 1])
            by_tag_entry.extend(sorted(own, key=lambda e: (tag[e], e)))
        parent_node = [loop.parent.index if loop.parent else -1 for loop in schema.loops]
        child_index = [loop.parent.children.index(loop) if loop.parent else -1 for loop in schema.loops]
        i32 = lambda values: np.array(values, dtype=np.int32)  # noqa: E731
        return cls(
            i32(entry_first), i32(child), np.array(tag, dtype=np.uint32), i32(element), i32(component),
            i32(segment), i32(code_first), codes, b"".join(codes), i32(np.cumsum([0] + [len(c) for c in codes])),
            i32(path_first), i32(path_loops), i32(child_first),
            i32(group_start), i32(parent_node), i32(child_index), i32(entry_first),
            np.array([tag[e] for e in by_tag_entry], dtype=np.uint32), i32(by_tag_entry), schema.root.index,
            schema.root.entries[0].segment.index,
        )
