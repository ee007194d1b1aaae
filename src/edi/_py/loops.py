"""Pure-Python twin of `edi._fast._loops`: the loop walker over a schema's Tables (see
`edi.schema.Tables` for the arrays and `edi.loops` for the rules). Same arguments, same arrays;
the tests run both over the corpus and require identical results.
"""
from __future__ import annotations

import numpy as np

TAG_HL = (ord("H") << 16) | (ord("L") << 8)
# How hard `find` looks, tried in this order: the segment matches an entry; the segment is the
# first of a child loop of a loop whose own first segment is missing; the segment id alone
# matches an entry (its key element holds no listed code). A loop's own first segment never
# matches inside an open instance of that loop: seen again, it opens the next instance (pyx12).
EXACT, MISSING_FIRST, ID_ONLY = 0, 1, 2
#: Open loops the walker holds at most; deeper nesting (only hostile HL02 chains make it) raises.
MAX_DEPTH = 64
TOO_DEEP_MESSAGE = "loop nesting deeper than the walker supports"


def walk_loops(index, first: int, last: int, tables):
    """Returns (seg_loop, seg_node, loop_node, loop_parent, loop_first, loop_last) as int32
    arrays, then the (segment, instance) pairs of loops opened without their first segment,
    the segments matched by id alone, and the segments that matched nothing (positions in the
    transaction, ST = 0). Raises RecursionError when loops nest deeper than MAX_DEPTH."""
    if first < 0 or last >= len(index) or last < first:
        raise ValueError("transaction range outside the index")
    return _Walker(index, first, tables).run(last)


def walk_batch(index, firsts, lasts, tables):
    """Walk the transactions firsts[n]..lasts[n] of `index` with one schema's tables. Returns
    the six arrays of `walk_loops`, each holding the transactions' arrays one after the other
    (values relative to their transaction; transaction n's loops are loop_ptr[n]:loop_ptr[n+1]),
    then loop_ptr (int64), the three lists of `walk_loops` per transaction, and the positions n
    of the transactions whose loops nest too deep (no loops; their segments read loop 0, node -1)."""
    if len(firsts) != len(lasts):
        raise ValueError("firsts and lasts differ in length")
    walks, failed = [], []
    for n, (first, last) in enumerate(zip(firsts, lasts)):
        try:
            walks.append(walk_loops(index, int(first), int(last), tables))
        except RecursionError:
            failed.append(n)
            size = int(last) - int(first) + 1
            none = np.zeros(0, np.int32)
            walks.append((np.zeros(size, np.int32), np.full(size, -1, np.int32), none, none, none, none, [], [], []))
    columns = [np.concatenate([w[c] for w in walks] or [np.zeros(0, np.int32)]) for c in range(6)]
    loop_ptr = np.cumsum([0] + [len(w[2]) for w in walks], dtype=np.int64)
    return (*columns, loop_ptr, *([w[c] for w in walks] for c in (6, 7, 8)), failed)


class _Walker:
    def __init__(self, index, first: int, t):
        self.index, self.first, self.t = index, first, t
        self.component = index.delimiters(first).component  # a transaction lies in one run
        self.stack_node, self.stack_inst, self.stack_child = [t.root], [0], [0]
        self.loop_node, self.loop_parent, self.loop_first, self.loop_last = [t.root], [-1], [0], [0]
        self.open_child = [-1]
        self.seg_loop, self.seg_node = [0], [t.st_segment]
        self.implied, self.relaxed, self.unmatched = [], [], []
        self.hl_instances: dict[bytes, int] = {}

    def run(self, last: int):
        for i in range(self.first + 1, last + 1):
            self.step(i, i - self.first)
        i32 = lambda values: np.array(values, dtype=np.int32)  # noqa: E731
        return (i32(self.seg_loop), i32(self.seg_node), i32(self.loop_node), i32(self.loop_parent),
                i32(self.loop_first), i32(self.loop_last), self.implied, self.relaxed, self.unmatched)

    def key_matches(self, i: int, e: int) -> bool:
        t = self.t
        lo, hi = t.code_first[e], t.code_first[e + 1]
        if t.entry_element[e] == 0 or lo == hi:
            return True
        value = self.index.element(i, int(t.entry_element[e]))
        component = t.entry_component[e]
        if component:
            parts = value.split(self.component)
            value = parts[component - 1] if component <= len(parts) else b""
        return value in t.codes[lo:hi]

    def find(self, i: int, tag: int, mode: int):
        """(depth, entry, inner entry or -1) of the first match, innermost open loop first."""
        t = self.t
        for depth in range(len(self.stack_node) - 1, -1, -1):
            node, child = self.stack_node[depth], self.stack_child[depth]
            start = t.group_start[t.child_first[node] + child] if child >= 0 else 0
            for e in range(t.entry_first[node], t.entry_first[node + 1]):
                if t.entry_child[e] < start:
                    continue
                if depth and t.entry_child[e] == 0 and t.path_first[e + 1] == t.path_first[e] and mode != MISSING_FIRST:
                    continue  # the loop's own first segment again: a new instance, opened above
                if mode == EXACT:
                    if t.entry_tag[e] == tag and self.key_matches(i, e):
                        return depth, e, -1
                elif mode == ID_ONLY:
                    if t.entry_tag[e] == tag:
                        return depth, e, -1
                elif t.path_first[e + 1] > t.path_first[e]:
                    # The loop's own first segment is missing: enter through its child loops.
                    inner = t.path_loops[t.path_first[e + 1] - 1]
                    for f in range(t.entry_first[inner], t.entry_first[inner + 1]):
                        if (t.path_first[f + 1] > t.path_first[f] and t.entry_tag[f] == tag
                                and self.key_matches(i, f)):
                            return depth, e, f
        return None

    def step(self, i: int, k: int) -> None:
        t = self.t
        tag = int(self.index.seg_tag[i])
        found = self.find(i, tag, EXACT) or self.find(i, tag, MISSING_FIRST)
        if found is None:
            found = self.find(i, tag, ID_ONLY)
            if found is not None:
                self.relaxed.append(k)
        if found is None:
            self.unmatched.append(k)
            self.place(k, -1, self.stack_inst[-1])
            return
        depth, e, f = found
        del self.stack_node[depth + 1 :], self.stack_inst[depth + 1 :], self.stack_child[depth + 1 :]
        self.stack_child[-1] = int(t.entry_child[e])
        path = list(t.path_loops[t.path_first[e] : t.path_first[e + 1]])
        missing_first = len(path) - 1  # with f: the loop of e's path whose first segment is absent
        if f >= 0:
            path += list(t.path_loops[t.path_first[f] : t.path_first[f + 1]])
        for n, loop in enumerate(path):
            if n:  # the loop opened before holds this one at its place among its children
                self.stack_child[-1] = int(t.loop_child_index[loop])
            instance = self.open(int(loop), k)
            if f >= 0 and n == missing_first:
                self.implied.append((k, instance))
        segment = int(t.entry_segment[f if f >= 0 else e])
        if path:
            self.stack_child[-1] = 0
            if tag == TAG_HL:
                self.place_hl(i)
        self.place(k, segment, self.stack_inst[-1])

    def open(self, loop: int, k: int) -> int:
        """Open an instance of `loop` under the innermost open one and push it."""
        if len(self.stack_node) >= MAX_DEPTH:
            raise RecursionError(TOO_DEEP_MESSAGE)
        instance = len(self.loop_node)
        self.loop_node.append(loop)
        self.loop_parent.append(self.stack_inst[-1])
        self.loop_first.append(k)
        self.loop_last.append(k)
        self.open_child.append(self.stack_child[-1])
        self.stack_node.append(loop)
        self.stack_inst.append(instance)
        self.stack_child.append(-1)
        return instance

    def place_hl(self, i: int) -> None:
        """An HL loop's parent is the instance of its HL02, when HL02 names an earlier one."""
        t = self.t
        instance = self.stack_inst[-1]
        self.hl_instances[self.index.element(i, 1)] = instance
        parent_id = self.index.element(i, 2)
        parent = self.hl_instances.get(parent_id, -1) if parent_id else -1
        if parent < 0 or parent == instance or parent == self.loop_parent[instance]:
            return
        self.loop_parent[instance] = parent
        node = self.loop_node[instance]
        if t.loop_parent_node[node] != self.loop_node[parent]:
            return  # the map nests these loops differently: the hierarchy is still HL02's
        chain = []  # the parent and its ancestors (each precedes its children)
        a = parent
        while a >= 0:
            if len(chain) + 1 >= MAX_DEPTH:
                raise RecursionError(TOO_DEEP_MESSAGE)
            chain.append(a)
            a = self.loop_parent[a]
        chain.reverse()
        self.stack_node = [self.loop_node[a] for a in chain] + [node]
        self.stack_inst = chain + [instance]
        self.stack_child = [self.open_child[b] for b in chain[1:]] + [int(t.loop_child_index[node]), 0]
        self.open_child[instance] = int(t.loop_child_index[node])

    def place(self, k: int, segment: int, instance: int) -> None:
        """Segment k is in `instance`: it and every loop around it end at k or later."""
        self.seg_loop.append(instance)
        self.seg_node.append(segment)
        while instance >= 0:
            self.loop_last[instance] = k
            instance = self.loop_parent[instance]
