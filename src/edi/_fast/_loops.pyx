# cython: language_level=3
"""Native loop walker: the state machine of `edi.loops`, over a schema's `Tables`.

Same contract as the pure-Python twin `edi._py.loops.walk_loops` (same arguments, arrays and
lists; the tests require identical results). Segments are matched on integers (packed tags) and,
only where a key decides, on the key element's bytes read in place from the buffer. HL ids go
through a dict, once per HL segment.
"""
from libc.stdint cimport int32_t, int64_t, uint16_t, uint32_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcmp, memcpy

import numpy as np

cdef enum:
    MAX_DEPTH = 64
    # How hard `find` looks, in this order (see the twin).
    EXACT = 0
    MISSING_FIRST = 1
    ID_ONLY = 2

cdef uint32_t TAG_HL = (<uint32_t>72 << 16) | (<uint32_t>76 << 8)


cdef int32_t *resized(int32_t *values, Py_ssize_t count) except NULL:
    cdef void *grown = realloc(values, count * sizeof(int32_t))
    if grown == NULL:
        raise MemoryError()
    return <int32_t *>grown


cdef class _Walker:
    # The segment index.
    cdef const unsigned char[::1] buf
    cdef const int64_t[::1] seg_start
    cdef const uint32_t[::1] seg_len
    cdef const uint32_t[::1] seg_tag
    cdef const int64_t[::1] elem_ptr
    cdef const uint16_t[::1] elem_offset
    cdef bytes component
    # The schema tables.
    cdef const int32_t[::1] entry_first, entry_child, entry_element, entry_component, entry_segment
    cdef const uint32_t[::1] entry_tag
    cdef const int32_t[::1] code_first, path_first, path_loops, child_first, group_start
    cdef const int32_t[::1] loop_parent_node, loop_child_index, by_tag_first, by_tag_entry
    cdef const uint32_t[::1] by_tag_tag
    cdef bytes code_data
    cdef const int32_t[::1] code_offset
    # The walk.
    cdef int32_t stack_node[MAX_DEPTH]
    cdef int32_t stack_inst[MAX_DEPTH]
    cdef int32_t stack_child[MAX_DEPTH]
    cdef int depth
    # Loop instances: C arrays of n_loops entries (room for cap_loops).
    cdef int32_t *loop_node
    cdef int32_t *loop_parent
    cdef int32_t *loop_first
    cdef int32_t *loop_last
    cdef int32_t *open_child
    cdef Py_ssize_t n_loops, cap_loops
    cdef list implied, relaxed, unmatched
    cdef int32_t[::1] seg_loop, seg_node
    cdef dict hl_instances
    cdef Py_ssize_t first

    def __init__(self, index, Py_ssize_t first, tables):
        self.buf = index.buf
        self.seg_start = index.seg_start
        self.seg_len = index.seg_len
        self.seg_tag = index.seg_tag
        self.elem_ptr = index.elem_ptr
        self.elem_offset = index.elem_offset
        self.component = index.delimiters(first).component
        self.entry_first = tables.entry_first
        self.entry_child = tables.entry_child
        self.entry_tag = tables.entry_tag
        self.entry_element = tables.entry_element
        self.entry_component = tables.entry_component
        self.entry_segment = tables.entry_segment
        self.code_first = tables.code_first
        self.path_first = tables.path_first
        self.path_loops = tables.path_loops
        self.child_first = tables.child_first
        self.group_start = tables.group_start
        self.loop_parent_node = tables.loop_parent_node
        self.loop_child_index = tables.loop_child_index
        self.by_tag_first = tables.by_tag_first
        self.by_tag_tag = tables.by_tag_tag
        self.by_tag_entry = tables.by_tag_entry
        self.code_data = tables.code_bytes
        self.code_offset = tables.code_offset
        self.first = first
        self.depth = 1
        self.stack_node[0] = tables.root
        self.stack_inst[0] = 0
        self.stack_child[0] = 0
        self.n_loops = self.cap_loops = 0
        self.grow()
        self.loop_node[0] = tables.root
        self.loop_parent[0] = -1
        self.loop_first[0] = 0
        self.loop_last[0] = 0
        self.open_child[0] = -1
        self.n_loops = 1
        self.implied = []
        self.relaxed = []
        self.unmatched = []
        self.hl_instances = {}

    def __dealloc__(self):
        free(self.loop_node)
        free(self.loop_parent)
        free(self.loop_first)
        free(self.loop_last)
        free(self.open_child)

    cdef int grow(self) except -1:
        cdef Py_ssize_t cap = self.cap_loops * 2 + 256
        self.loop_node = resized(self.loop_node, cap)
        self.loop_parent = resized(self.loop_parent, cap)
        self.loop_first = resized(self.loop_first, cap)
        self.loop_last = resized(self.loop_last, cap)
        self.open_child = resized(self.open_child, cap)
        self.cap_loops = cap
        return 0

    cdef inline bint element_span(self, Py_ssize_t i, int j, Py_ssize_t *start, Py_ssize_t *end):
        """Where element j (>= 1) of segment i lies; False when the segment has no element j."""
        cdef Py_ssize_t k = self.elem_ptr[i] + j - 1
        if j < 1 or k >= self.elem_ptr[i + 1]:
            return False
        start[0] = self.seg_start[i] + self.elem_offset[k]
        if k + 1 < self.elem_ptr[i + 1]:
            end[0] = self.seg_start[i] + self.elem_offset[k + 1] - 1
        else:
            end[0] = self.seg_start[i] + self.seg_len[i]
        return True

    cdef bint key_matches(self, Py_ssize_t i, Py_ssize_t e):
        cdef int32_t lo = self.code_first[e], hi = self.code_first[e + 1], c
        cdef Py_ssize_t start = 0, end = 0, q, length, code_len
        cdef int component = self.entry_component[e], n
        cdef const unsigned char *comp = self.component
        cdef Py_ssize_t comp_len = len(self.component)
        cdef const unsigned char *codes = self.code_data
        if self.entry_element[e] == 0 or lo == hi:
            return True
        if not self.element_span(i, self.entry_element[e], &start, &end):
            start = end = 0
        if component:
            # Narrow to the component: skip component - 1 separators.
            n = 1
            q = start
            while n < component and q < end:
                if q + comp_len <= end and memcmp(&self.buf[q], comp, comp_len) == 0:
                    n += 1
                    q += comp_len
                    start = q
                else:
                    q += 1
            if n < component:
                start = end
            q = start
            while q < end and not (q + comp_len <= end and memcmp(&self.buf[q], comp, comp_len) == 0):
                q += 1
            end = q
        length = end - start
        for c in range(lo, hi):
            code_len = self.code_offset[c + 1] - self.code_offset[c]
            if code_len == length and (length == 0 or memcmp(&self.buf[start], codes + self.code_offset[c], length) == 0):
                return True
        return False

    cdef bint find(self, Py_ssize_t i, uint32_t tag, int mode, int *found_depth, Py_ssize_t *found_e,
                   Py_ssize_t *found_f):
        """The first match, innermost open loop first (see the twin)."""
        cdef int depth
        cdef int32_t node, child, start, inner
        cdef Py_ssize_t e, f, lo, hi, mid, r
        for depth in range(self.depth - 1, -1, -1):
            node = self.stack_node[depth]
            child = self.stack_child[depth]
            start = self.group_start[self.child_first[node] + child] if child >= 0 else 0
            if mode != MISSING_FIRST:
                # Only the entries with this tag can match: find their run by binary search.
                lo = self.by_tag_first[node]
                hi = self.by_tag_first[node + 1]
                while lo < hi:
                    mid = (lo + hi) // 2
                    if self.by_tag_tag[mid] < tag:
                        lo = mid + 1
                    else:
                        hi = mid
                r = lo
                while r < self.by_tag_first[node + 1] and self.by_tag_tag[r] == tag:
                    e = self.by_tag_entry[r]
                    r += 1
                    if depth > 0 and self.entry_child[e] == 0 and self.path_first[e + 1] == self.path_first[e]:
                        continue  # the loop's own first segment again: a new instance, opened above
                    if self.entry_child[e] >= start and (mode == ID_ONLY or self.key_matches(i, e)):
                        found_depth[0], found_e[0], found_f[0] = depth, e, -1
                        return True
                continue
            for e in range(self.entry_first[node], self.entry_first[node + 1]):
                if self.entry_child[e] >= start and self.path_first[e + 1] > self.path_first[e]:
                    inner = self.path_loops[self.path_first[e + 1] - 1]
                    for f in range(self.entry_first[inner], self.entry_first[inner + 1]):
                        if (self.path_first[f + 1] > self.path_first[f] and self.entry_tag[f] == tag
                                and self.key_matches(i, f)):
                            found_depth[0], found_e[0], found_f[0] = depth, e, f
                            return True
        return False

    cdef int32_t open(self, int32_t loop, Py_ssize_t k) except -1:
        cdef int32_t instance = <int32_t>self.n_loops
        if self.depth >= MAX_DEPTH:
            raise RecursionError("loop nesting deeper than the walker supports")
        if self.n_loops == self.cap_loops:
            self.grow()
        self.loop_node[instance] = loop
        self.loop_parent[instance] = self.stack_inst[self.depth - 1]
        self.loop_first[instance] = <int32_t>k
        self.loop_last[instance] = <int32_t>k
        self.open_child[instance] = self.stack_child[self.depth - 1]
        self.n_loops += 1
        self.stack_node[self.depth] = loop
        self.stack_inst[self.depth] = instance
        self.stack_child[self.depth] = -1
        self.depth += 1
        return instance

    cdef inline void place(self, Py_ssize_t k, int32_t segment, int32_t instance):
        self.seg_loop[k] = instance
        self.seg_node[k] = segment
        while instance >= 0 and self.loop_last[instance] < k:
            self.loop_last[instance] = <int32_t>k
            instance = self.loop_parent[instance]

    cdef bytes element_bytes(self, Py_ssize_t i, int j):
        cdef Py_ssize_t start = 0, end = 0
        if not self.element_span(i, j, &start, &end):
            return b""
        return bytes(self.buf[start:end])

    cdef place_hl(self, Py_ssize_t i):
        """An HL loop's parent is the instance of its HL02, when HL02 names one."""
        cdef int32_t instance = self.stack_inst[self.depth - 1], parent, node, a
        cdef list chain
        cdef int n
        self.hl_instances[self.element_bytes(i, 1)] = instance
        parent_id = self.element_bytes(i, 2)
        parent = self.hl_instances.get(parent_id, -1) if parent_id else -1
        if parent < 0 or parent == self.loop_parent[instance]:
            return
        self.loop_parent[instance] = parent
        node = self.loop_node[instance]
        if self.loop_parent_node[node] != self.loop_node[parent]:
            return  # the map nests these loops differently: the hierarchy is still HL02's
        chain = [parent]
        while self.loop_parent[chain[-1]] >= 0:
            chain.append(self.loop_parent[chain[-1]])
        chain.reverse()
        if len(chain) + 1 > MAX_DEPTH:
            raise RecursionError("loop nesting deeper than the walker supports")
        for n in range(len(chain)):
            a = chain[n]
            self.stack_node[n] = self.loop_node[a]
            self.stack_inst[n] = a
            self.stack_child[n] = self.open_child[chain[n + 1]] if n + 1 < len(chain) else self.loop_child_index[node]
        n = len(chain)
        self.stack_node[n] = node
        self.stack_inst[n] = instance
        self.stack_child[n] = 0
        self.depth = n + 1
        self.open_child[instance] = self.loop_child_index[node]

    cdef step(self, Py_ssize_t i, Py_ssize_t k):
        cdef uint32_t tag = self.seg_tag[i]
        cdef int depth = 0
        cdef Py_ssize_t e = 0, f = -1, p, n
        cdef int32_t instance, loop
        cdef bint found
        found = self.find(i, tag, EXACT, &depth, &e, &f) or self.find(i, tag, MISSING_FIRST, &depth, &e, &f)
        if not found:
            found = self.find(i, tag, ID_ONLY, &depth, &e, &f)
            if found:
                self.relaxed.append(k)
        if not found:
            self.unmatched.append(k)
            self.place(k, -1, self.stack_inst[self.depth - 1])
            return
        self.depth = depth + 1
        self.stack_child[depth] = self.entry_child[e]
        n = 0
        for p in range(self.path_first[e], self.path_first[e + 1]):
            loop = self.path_loops[p]
            if n:
                self.stack_child[self.depth - 1] = self.loop_child_index[loop]
            instance = self.open(loop, k)
            if f >= 0 and p == self.path_first[e + 1] - 1:  # the loop whose first segment is absent
                self.implied.append((k, instance))
            n += 1
        if f >= 0:
            for p in range(self.path_first[f], self.path_first[f + 1]):
                loop = self.path_loops[p]
                self.stack_child[self.depth - 1] = self.loop_child_index[loop]
                self.open(loop, k)
                n += 1
        if n:
            self.stack_child[self.depth - 1] = 0
            if tag == TAG_HL:
                self.place_hl(i)
        self.place(k, self.entry_segment[f if f >= 0 else e], self.stack_inst[self.depth - 1])

    def run(self, Py_ssize_t last, int32_t st_segment):
        cdef Py_ssize_t i, n = last - self.first + 1
        seg_loop = np.zeros(n, dtype=np.int32)
        seg_node = np.zeros(n, dtype=np.int32)
        self.seg_loop = seg_loop
        self.seg_node = seg_node
        self.seg_node[0] = st_segment
        for i in range(self.first + 1, last + 1):
            self.step(i, i - self.first)
        return (seg_loop, seg_node, self.copy(self.loop_node), self.copy(self.loop_parent),
                self.copy(self.loop_first), self.copy(self.loop_last), self.implied, self.relaxed,
                self.unmatched)

    cdef copy(self, int32_t *values):
        out = np.empty(self.n_loops, dtype=np.int32)
        cdef int32_t[::1] view = out
        if self.n_loops:
            memcpy(&view[0], values, self.n_loops * sizeof(int32_t))
        return out


def walk_loops(index, Py_ssize_t first, Py_ssize_t last, tables):
    """Walk segments first..last of `index`; see `edi._py.loops.walk_loops` for the contract."""
    if first < 0 or last >= len(index) or last < first:
        raise ValueError("transaction range outside the index")
    return _Walker(index, first, tables).run(last, tables.st_segment)
