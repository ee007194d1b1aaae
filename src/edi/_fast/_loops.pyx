# cython: language_level=3, wraparound=False
"""Native loop walker: the state machine of `edi.loops`, over a schema's `Tables`.

Same contract as the pure-Python twin `edi._py.loops` (same arguments, arrays and lists; the
tests require identical results). `walk_batch` walks many transactions of one SegmentIndex in
one call, without the GIL: a schema's tables are checked and packed once per `Tables`
(`_Program`), the output goes to one set of arrays for the whole batch, and the Python lists
are made at the end.

Per segment, a hash of the schema's tags and a (loop node, tag) table give the entries that can
match, packed with what matching needs; a key element is read at most once per (element,
component) and compared with the codes as 8-byte words. A loop's last segment is set once per
transaction, from its children, instead of walking up the open loops at every segment.

Memory safety: the packed tables are built from checked Tables; the index's arrays are checked
for length once, element offsets where they are read, and every span against the buffer; the
rarely used tables are read through bounds-checked memoryviews.
"""
cimport cython
from cython cimport view
from libc.stdint cimport int32_t, int64_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp

import weakref

import numpy as np

cdef enum:
    MAX_DEPTH = 64
    # How hard `find` looks, in this order (see the twin).
    EXACT = 0
    MISSING_FIRST = 1
    ID_ONLY = 2
    NO_START = -1  # Frame.start of a child outside the group table
    # Transaction outcomes.
    WALKED = 0
    TOO_DEEP = 1
    # Columns of the loop instances: the LoopIndex's four, then per instance the child its
    # parent was at when it opened, and the last segment placed directly in it.
    NODE = 0
    PARENT = 1
    FIRST = 2
    LAST = 3
    OPEN_CHILD = 4
    PLACED = 5
    N_COLUMNS = 6

cdef uint32_t TAG_HL = (<uint32_t>72 << 16) | (<uint32_t>76 << 8)

#: The message of the RecursionError for loops nested deeper than MAX_DEPTH (hostile input).
TOO_DEEP_MESSAGE = "loop nesting deeper than the walker supports"


cdef struct Item:
    # An entry of the schema, with what matching a segment against it needs. `own_first`: the
    # entry is its loop's own first segment (child 0, opening nothing), which never matches
    # inside an open instance of that loop: seen again, it opens the next instance (pyx12).
    int32_t entry, child, element, component, code_first, code_last
    bint own_first


cdef struct Code:
    uint64_t word  # the first 8 bytes, little-endian
    int32_t length, offset  # in the code bytes


cdef struct Frame:
    # An open loop: its node and instance, the child it is at (-1: none yet) and the first
    # child of that child's position group (0 with none), where matching may start.
    int32_t node, instance, child, start


cdef struct Vec:
    # A growable int32 array (malloc'd).
    int32_t *data
    Py_ssize_t n, cap


cdef int vec_push(Vec *v, int32_t value) except -1 nogil:
    """Append `value` to `v`, growing it when full."""
    cdef void *grown
    if v.n == v.cap:
        grown = realloc(v.data, (v.cap * 2 + 64) * sizeof(int32_t))
        if grown == NULL:
            with gil:
                raise MemoryError()
        v.data = <int32_t *>grown
        v.cap = v.cap * 2 + 64
    v.data[v.n] = value
    v.n += 1
    return 0


cdef object to_array(int32_t *data, Py_ssize_t n):
    """A numpy int32 array over malloc'd `data` (n values); the array frees it. No copy."""
    cdef view.array wrapper
    cdef void *shrunk
    if n == 0:
        free(data)
        return np.zeros(0, dtype=np.int32)
    shrunk = realloc(data, n * sizeof(int32_t))  # in place (or remapped) for large blocks
    if shrunk != NULL:
        data = <int32_t *>shrunk
    wrapper = view.array(shape=(n,), itemsize=sizeof(int32_t), format="i", mode="c", allocate_buffer=False)
    wrapper.data = <char *>data
    wrapper.callback_free_data = free
    return np.asarray(wrapper)


cdef inline uint64_t word(const unsigned char *p, Py_ssize_t n) noexcept nogil:
    """The first min(n, 8) bytes at p as a little-endian integer (keys are a few bytes: a loop
    beats memcpy into a stack word, which stalls the load that follows)."""
    cdef uint64_t w = 0
    cdef Py_ssize_t q
    for q in range(min(n, 8)):
        w |= (<uint64_t>p[q]) << (8 * q)
    return w


cdef inline Py_ssize_t tag_hash(uint32_t tag, int shift) noexcept nogil:
    """Fibonacci hashing: the top bits of tag * 2^32/phi."""
    return <uint32_t>(tag * <uint32_t>2654435769u) >> shift


def _check_tables(t) -> None:
    """Raise ValueError unless the Tables' indexes stay inside the arrays they index (the
    packed tables are then read without bounds checks)."""
    def csr(first, n_items):
        first = np.asarray(first, dtype=np.int64)
        return len(first) >= 1 and first[0] == 0 and first[-1] == n_items and bool((np.diff(first) >= 0).all())

    def within(values, n):
        values = np.asarray(values, dtype=np.int64)
        return bool(((values >= 0) & (values < n)).all())

    n_nodes, n_entries, n_codes = len(t.entry_first) - 1, len(t.entry_child), len(t.codes)
    ok = (n_nodes >= 1 and 0 <= t.root < n_nodes and csr(t.entry_first, n_entries)
          and all(len(a) == n_entries for a in (t.entry_tag, t.entry_element, t.entry_component, t.entry_segment))
          and len(t.code_first) == len(t.path_first) == n_entries + 1
          and csr(t.code_first, n_codes) and csr(t.code_offset, len(t.code_bytes)) and len(t.code_offset) == n_codes + 1
          and csr(t.path_first, len(t.path_loops)) and within(t.path_loops, n_nodes)
          and len(t.child_first) == n_nodes + 1 and csr(t.child_first, len(t.group_start))
          and len(t.loop_parent_node) == len(t.loop_child_index) == n_nodes)
    if not ok:
        raise ValueError("inconsistent schema tables")


@cython.final
cdef class _Program:
    """A schema's Tables as the walker reads them. Packed once: `items`, the entries of each
    loop node sorted by tag (then child order), so that the entries of node n with the tag
    numbered t are items[run_first[n * n_tags + t]] .. items[run_first[n * n_tags + t + 1] - 1];
    `entry_items`, the same items in entry order; `codes`; and a hash table (`slot_tag`,
    `slot_index`) numbering the schema's distinct tags."""

    cdef Item *items
    cdef Item *entry_items
    cdef int32_t *run_first
    cdef Code *codes
    cdef uint32_t *slot_tag
    cdef int32_t *slot_index
    cdef Py_ssize_t n_tags, slot_mask
    cdef int slot_shift
    cdef bytes code_bytes
    cdef const unsigned char *code_data
    cdef const int32_t[::1] entry_first, entry_child, entry_segment, path_first, path_loops
    cdef const int32_t[::1] child_first_view, group_start_view, loop_parent_node, loop_child_index
    cdef const int32_t *child_first
    cdef const int32_t *group_start
    cdef Py_ssize_t n_group_start
    cdef const uint32_t[::1] entry_tag
    cdef int32_t root, st_segment

    def __dealloc__(self):
        free(self.items)
        free(self.entry_items)
        free(self.run_first)
        free(self.codes)
        free(self.slot_tag)
        free(self.slot_index)

    def __init__(self, t):
        _check_tables(t)
        self.code_bytes = t.code_bytes
        self.code_data = self.code_bytes
        self.entry_first, self.entry_child, self.entry_tag = t.entry_first, t.entry_child, t.entry_tag
        self.entry_segment, self.path_first, self.path_loops = t.entry_segment, t.path_first, t.path_loops
        self.child_first_view, self.group_start_view = t.child_first, t.group_start
        self.child_first = &self.child_first_view[0]
        self.n_group_start = self.group_start_view.shape[0]
        self.group_start = &self.group_start_view[0] if self.n_group_start else NULL
        self.loop_parent_node, self.loop_child_index = t.loop_parent_node, t.loop_child_index
        self.root, self.st_segment = t.root, t.st_segment
        n_nodes, n_entries, n_codes = len(t.entry_first) - 1, len(t.entry_child), len(t.codes)
        entry_tag = np.asarray(t.entry_tag)
        tags = np.array(sorted(set(entry_tag.tolist())), dtype=np.uint32)  # (np.unique imports numpy.ma)
        node_of = np.repeat(np.arange(n_nodes), np.diff(t.entry_first))
        order = np.lexsort((np.arange(n_entries), entry_tag, node_of))  # by node, tag, child order
        keys = node_of[order] * len(tags) + np.searchsorted(tags, entry_tag[order])
        run_first = np.searchsorted(keys, np.arange(n_nodes * len(tags) + 1)).tolist()
        bits = max(6, (4 * len(tags)).bit_length())  # a table at most a quarter full
        self.n_tags, self.slot_shift, self.slot_mask = len(tags), 32 - bits, (1 << bits) - 1
        self.items = <Item *>malloc(max(n_entries, 1) * sizeof(Item))
        self.entry_items = <Item *>malloc(max(n_entries, 1) * sizeof(Item))
        self.run_first = <int32_t *>malloc(len(run_first) * sizeof(int32_t))
        self.codes = <Code *>malloc(max(n_codes, 1) * sizeof(Code))
        self.slot_tag = <uint32_t *>malloc((1 << bits) * sizeof(uint32_t))
        self.slot_index = <int32_t *>malloc((1 << bits) * sizeof(int32_t))
        if not (self.items and self.entry_items and self.run_first and self.codes and self.slot_tag
                and self.slot_index):
            raise MemoryError()
        opens = np.diff(t.path_first).tolist()
        columns = zip(t.entry_child.tolist(), t.entry_element.tolist(), t.entry_component.tolist(),
                      t.code_first[:-1].tolist(), t.code_first[1:].tolist())
        for e, (child, element, component, code_first, code_last) in enumerate(columns):
            self.entry_items[e] = Item(e, child, element, component, code_first, code_last,
                                       child == 0 and opens[e] == 0)
        for r, e in enumerate(order.tolist()):
            self.items[r] = self.entry_items[e]
        for r, first in enumerate(run_first):
            self.run_first[r] = first
        offsets = t.code_offset.tolist()
        for c, code in enumerate(t.codes):
            self.codes[c] = Code(int.from_bytes(code[:8], "little"), offsets[c + 1] - offsets[c], offsets[c])
        for slot in range(1 << bits):
            self.slot_tag[slot] = 0
        for number, tag in enumerate(tags.tolist()):
            slot = tag_hash(tag, self.slot_shift)
            while self.slot_tag[slot]:
                slot = (slot + 1) & self.slot_mask
            self.slot_tag[slot], self.slot_index[slot] = tag, number

    cdef inline Py_ssize_t tag_number(self, uint32_t tag) noexcept nogil:
        """The number of `tag` among the schema's tags (in sorted order), -1 when no entry has
        it. The table holds only the schema's tags: how long a search goes does not depend on
        the input."""
        cdef Py_ssize_t slot = tag_hash(tag, self.slot_shift)
        while self.slot_tag[slot]:
            if self.slot_tag[slot] == tag:
                return self.slot_index[slot]
            slot = (slot + 1) & self.slot_mask
        return -1


_programs = weakref.WeakKeyDictionary()


cdef _Program program(tables):
    """The packed form of `tables`, made once per Tables object."""
    prepared = _programs.get(tables)
    if prepared is None:
        prepared = _programs[tables] = _Program(tables)
    return prepared


@cython.final
cdef class _Walker:
    # The segment index (lengths checked in __init__): the buffer ...
    cdef const unsigned char[::1] buf
    cdef const unsigned char *data
    cdef Py_ssize_t n_buf
    # ... and its arrays, kept alive by these views.
    cdef const int64_t[::1] seg_start_view, elem_ptr_view
    cdef const uint32_t[::1] seg_len_view, seg_tag_view
    cdef const uint16_t[::1] elem_offset_view
    cdef const int64_t *seg_start
    cdef const uint32_t *seg_len
    cdef const uint32_t *seg_tag
    cdef const int64_t *elem_ptr
    cdef const uint16_t *elem_offset
    cdef int64_t n_elem
    cdef _Program p
    # The transaction being walked: its number in the batch, component separator, the slot
    # of its loop 0 in the columns, and where its segments go in seg_loop and seg_node.
    cdef int32_t txn
    cdef const unsigned char *component
    cdef Py_ssize_t component_len
    cdef Py_ssize_t base
    cdef Py_ssize_t out
    # The open loops, outermost first.
    cdef Frame stack[MAX_DEPTH]
    cdef int depth
    # The key element of the current segment, read once per (element, component).
    cdef int key_element, key_component
    cdef Py_ssize_t key_start, key_length
    cdef uint64_t key_word
    # Loop instances of the whole batch, one array per column (NODE .. PLACED): instance j of
    # the current transaction is at slot base + j; n_slots are in use, slot_cap allocated.
    cdef int32_t *column[N_COLUMNS]
    cdef Py_ssize_t n_slots, slot_cap
    # Segments of the whole batch.
    cdef int32_t *seg_loop
    cdef int32_t *seg_node
    # (transaction, k[, instance]) of the segments the lists of the LoopIndex name.
    cdef Vec implied, relaxed, unmatched
    # HL01 -> instance: canonical numbers below hl_cap in an array (valid where hl_mark holds the
    # transaction's number), other ids in a dict.
    cdef int32_t *hl_instance
    cdef int32_t *hl_mark
    cdef Py_ssize_t hl_cap
    cdef dict hl_other

    def __dealloc__(self):
        for c in range(N_COLUMNS):
            free(self.column[c])
        free(self.implied.data)
        free(self.relaxed.data)
        free(self.unmatched.data)
        free(self.seg_loop)
        free(self.seg_node)
        free(self.hl_instance)
        free(self.hl_mark)

    def __init__(self, index, _Program p, Py_ssize_t n_segments, Py_ssize_t longest):
        self.buf = index.buf
        self.n_buf = self.buf.shape[0]
        self.data = &self.buf[0] if self.n_buf else NULL
        self.seg_start_view, self.seg_len_view, self.seg_tag_view = index.seg_start, index.seg_len, index.seg_tag
        self.elem_ptr_view, self.elem_offset_view = index.elem_ptr, index.elem_offset
        n = self.seg_start_view.shape[0]
        if self.seg_len_view.shape[0] != n or self.seg_tag_view.shape[0] != n or self.elem_ptr_view.shape[0] != n + 1:
            raise ValueError("the index's arrays differ in length")
        if n == 0:
            raise ValueError("the index has no segments")
        self.seg_start, self.seg_len, self.seg_tag = &self.seg_start_view[0], &self.seg_len_view[0], &self.seg_tag_view[0]
        self.elem_ptr = &self.elem_ptr_view[0]
        self.n_elem = self.elem_offset_view.shape[0]
        self.elem_offset = &self.elem_offset_view[0] if self.n_elem else NULL
        self.p = p
        self.seg_loop = <int32_t *>malloc(max(n_segments, 1) * sizeof(int32_t))
        self.seg_node = <int32_t *>malloc(max(n_segments, 1) * sizeof(int32_t))
        self.hl_cap = longest + 1
        self.hl_instance = <int32_t *>malloc(self.hl_cap * sizeof(int32_t))
        self.hl_mark = <int32_t *>malloc(self.hl_cap * sizeof(int32_t))
        if not (self.seg_loop and self.seg_node and self.hl_instance and self.hl_mark):
            raise MemoryError()
        for k in range(self.hl_cap):
            self.hl_mark[k] = -1
        self.hl_other = {}

    # --- reading elements ----------------------------------------------------------------
    cdef inline bint element_span(self, Py_ssize_t i, int j, Py_ssize_t *start, Py_ssize_t *end) noexcept nogil:
        """Where element j (>= 1) of segment i lies; False when the segment has no element j
        (or the index does not place it inside the buffer)."""
        cdef int64_t k = self.elem_ptr[i] + j - 1, stop = self.elem_ptr[i + 1]
        cdef int64_t s, e
        if j < 1 or k >= stop or k < 0 or stop > self.n_elem:
            return False
        s = self.seg_start[i] + self.elem_offset[k]
        if k + 1 < stop:
            e = self.seg_start[i] + self.elem_offset[k + 1] - 1
        else:
            e = self.seg_start[i] + self.seg_len[i]
        if s < 0 or e < s or e > self.n_buf:
            return False
        start[0], end[0] = s, e
        return True

    cdef inline bint at_component_separator(self, Py_ssize_t q, Py_ssize_t end) noexcept nogil:
        if self.component_len == 1:
            return q < end and self.data[q] == self.component[0]
        return q + self.component_len <= end and memcmp(self.data + q, self.component, self.component_len) == 0

    cdef void read_key(self, Py_ssize_t i, int element, int component) noexcept nogil:
        """Find the key value (element, component) of segment i: key_start, key_length, key_word."""
        cdef Py_ssize_t start = 0, end = 0, q
        cdef int n
        if not self.element_span(i, element, &start, &end):
            start = end = 0
        if component:
            # Narrow to the component: skip component - 1 separators.
            n = 1
            q = start
            while n < component and q < end:
                if self.at_component_separator(q, end):
                    n += 1
                    q += self.component_len
                    start = q
                else:
                    q += 1
            if n < component:
                start = end
            q = start
            while q < end and not self.at_component_separator(q, end):
                q += 1
            end = q
        self.key_element, self.key_component = element, component
        self.key_start, self.key_length = start, end - start
        self.key_word = word(self.data + start, end - start) if end > start else 0

    cdef inline bint key_matches(self, Py_ssize_t i, const Item *item) noexcept nogil:
        cdef const Code *code
        cdef int32_t c
        if item.element == 0 or item.code_first == item.code_last:
            return True
        if item.element != self.key_element or item.component != self.key_component:
            self.read_key(i, item.element, item.component)
        for c in range(item.code_first, item.code_last):
            code = &self.p.codes[c]
            if code.word == self.key_word and code.length == self.key_length:
                if self.key_length <= 8 or memcmp(self.data + self.key_start + 8,
                                                  self.p.code_data + code.offset + 8,
                                                  self.key_length - 8) == 0:
                    return True
        return False

    # --- matching --------------------------------------------------------------------------
    cdef bint find(self, Py_ssize_t i, Py_ssize_t t, uint32_t tag, int mode, int *found_depth,
                   Py_ssize_t *found_e, Py_ssize_t *found_f) except -1 nogil:
        """The first match, innermost open loop first (see the twin); t is the tag's number."""
        cdef const Frame *frame
        cdef const Item *item
        cdef const Item *stop
        cdef int depth
        cdef int32_t inner
        cdef Py_ssize_t e, f
        for depth in range(self.depth - 1, -1, -1):
            frame = &self.stack[depth]
            if frame.start == NO_START:
                with gil:
                    raise IndexError("loop child outside the schema's group table")
            if mode != MISSING_FIRST:
                # Only the node's entries with this tag can match, in child order.
                item = self.p.items + self.p.run_first[frame.node * self.p.n_tags + t]
                stop = self.p.items + self.p.run_first[frame.node * self.p.n_tags + t + 1]
                while item < stop:
                    if (item.child >= frame.start and not (depth > 0 and item.own_first)
                            and (mode == ID_ONLY or self.key_matches(i, item))):
                        found_depth[0], found_e[0], found_f[0] = depth, item.entry, -1
                        return True
                    item += 1
                continue
            for e in range(self.p.entry_first[frame.node], self.p.entry_first[frame.node + 1]):
                if self.p.entry_child[e] >= frame.start and self.p.path_first[e + 1] > self.p.path_first[e]:
                    inner = self.p.path_loops[self.p.path_first[e + 1] - 1]
                    for f in range(self.p.entry_first[inner], self.p.entry_first[inner + 1]):
                        if (self.p.path_first[f + 1] > self.p.path_first[f] and self.p.entry_tag[f] == tag
                                and self.key_matches(i, &self.p.entry_items[f])):
                            found_depth[0], found_e[0], found_f[0] = depth, e, f
                            return True
        return False

    # --- loop instances --------------------------------------------------------------------
    cdef inline void set_child(self, int depth, int32_t child) noexcept nogil:
        """The loop open at `depth` is now at `child` (-1: none). A child past the group table
        (hostile HL02 nesting) gets start NO_START: `find` fails there, as the twin does."""
        cdef Frame *frame = &self.stack[depth]
        cdef Py_ssize_t at = self.p.child_first[frame.node] + child
        frame.child = child
        if child < 0:
            frame.start = 0
        elif at < self.p.n_group_start:
            frame.start = self.p.group_start[at]
        else:
            frame.start = NO_START

    cdef inline int32_t *col(self, int c) noexcept nogil:
        """Column c of the current transaction's loop instances."""
        return self.column[c] + self.base

    cdef int32_t new_instance(self, int32_t loop, int32_t parent, Py_ssize_t k, int32_t open_child,
                              int32_t placed) except -1 nogil:
        """Add a loop instance of the current transaction, opened at segment k; returns its number."""
        cdef Py_ssize_t cap = self.slot_cap * 2 + 256
        cdef void *grown
        cdef int c
        if self.n_slots == self.slot_cap:
            for c in range(N_COLUMNS):
                grown = realloc(self.column[c], cap * sizeof(int32_t))
                if grown == NULL:
                    with gil:
                        raise MemoryError()
                self.column[c] = <int32_t *>grown
            self.slot_cap = cap
        self.column[NODE][self.n_slots] = loop
        self.column[PARENT][self.n_slots] = parent
        self.column[FIRST][self.n_slots] = <int32_t>k
        self.column[LAST][self.n_slots] = <int32_t>k
        self.column[OPEN_CHILD][self.n_slots] = open_child
        self.column[PLACED][self.n_slots] = placed
        self.n_slots += 1
        return <int32_t>(self.n_slots - 1 - self.base)

    cdef int32_t open(self, int32_t loop, Py_ssize_t k) except -2 nogil:
        """Open an instance of `loop` under the innermost open one and push it; -1 when the
        nesting is too deep."""
        cdef Frame *outer = &self.stack[self.depth - 1]
        cdef int32_t instance
        if self.depth >= MAX_DEPTH:
            return -1
        instance = self.new_instance(loop, outer.instance, k, outer.child, -1)
        self.stack[self.depth] = Frame(loop, instance, -1, 0)
        self.depth += 1
        return instance

    cdef inline void place(self, Py_ssize_t k, int32_t segment, int32_t instance) noexcept nogil:
        self.seg_loop[self.out + k] = instance
        self.seg_node[self.out + k] = segment
        self.col(PLACED)[instance] = <int32_t>k

    cdef int32_t hl_number(self, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
        """The HL id at start..end as a number below hl_cap when it is written canonically
        (digits, no leading zero), else -1."""
        cdef Py_ssize_t q, value = 0
        if end - start < 1 or end - start > 9 or (self.data[start] == 48 and end - start > 1):
            return -1
        for q in range(start, end):
            if not 48 <= self.data[q] <= 57:
                return -1
            value = value * 10 + self.data[q] - 48
        return <int32_t>value if value < self.hl_cap else -1

    cdef int hl_remember(self, Py_ssize_t start, Py_ssize_t end, int32_t instance) except -1 nogil:
        cdef int32_t number = self.hl_number(start, end)
        if number >= 0:
            self.hl_instance[number] = instance
            self.hl_mark[number] = self.txn
            return 0
        with gil:
            self.hl_other[self.data[start:end]] = instance
        return 0

    cdef int32_t hl_lookup(self, Py_ssize_t start, Py_ssize_t end) except -2 nogil:
        cdef int32_t number = self.hl_number(start, end), instance
        if number >= 0:
            return self.hl_instance[number] if self.hl_mark[number] == self.txn else -1
        with gil:
            instance = self.hl_other.get(self.data[start:end], -1)
        return instance

    cdef int place_hl(self, Py_ssize_t i) except -1 nogil:
        """An HL loop's parent is the instance of its HL02, when HL02 names an earlier one.
        Returns TOO_DEEP when that nesting is deeper than the walker supports."""
        cdef int32_t instance = self.stack[self.depth - 1].instance, parent, node, a
        cdef int32_t chain[MAX_DEPTH]
        cdef int32_t *loop_node = self.col(NODE)
        cdef int32_t *loop_parent = self.col(PARENT)
        cdef int32_t *open_child = self.col(OPEN_CHILD)
        cdef Py_ssize_t start = 0, end = 0
        cdef int n, length
        if self.element_span(i, 1, &start, &end) and end > start:
            self.hl_remember(start, end, instance)
        if not self.element_span(i, 2, &start, &end) or end == start:
            return WALKED
        parent = self.hl_lookup(start, end)
        if parent < 0 or parent == instance or parent == loop_parent[instance]:
            return WALKED
        loop_parent[instance] = parent
        node = loop_node[instance]
        if self.p.loop_parent_node[node] != loop_node[parent]:
            return WALKED  # the map nests these loops differently: the hierarchy is still HL02's
        # The open loops become the parent's ancestors (each precedes its children), then this one.
        length = 0
        a = parent
        while a >= 0:
            if length + 1 >= MAX_DEPTH:
                return TOO_DEEP
            chain[length] = a
            length += 1
            a = loop_parent[a]
        for n in range(length):
            a = chain[length - 1 - n]
            self.stack[n].node = loop_node[a]
            self.stack[n].instance = a
            self.set_child(n, open_child[chain[length - 2 - n]] if n + 1 < length else self.p.loop_child_index[node])
        self.stack[length] = Frame(node, instance, -1, 0)
        self.set_child(length, 0)
        self.depth = length + 1
        open_child[instance] = self.p.loop_child_index[node]
        return WALKED

    # --- walking -----------------------------------------------------------------------------
    cdef int step(self, Py_ssize_t i, Py_ssize_t k) except -1 nogil:
        """Place segment i (k in the transaction); returns WALKED or TOO_DEEP."""
        cdef uint32_t tag = self.seg_tag[i]
        cdef Py_ssize_t t = self.p.tag_number(tag)
        cdef int depth = 0
        cdef Py_ssize_t e = 0, f = -1, q, n = 0
        cdef int32_t instance, loop
        cdef bint found = False
        self.key_element = -1
        if t >= 0:  # else no entry has this id: nothing can match
            found = (self.find(i, t, tag, EXACT, &depth, &e, &f)
                     or self.find(i, t, tag, MISSING_FIRST, &depth, &e, &f))
            if not found:
                found = self.find(i, t, tag, ID_ONLY, &depth, &e, &f)
                if found:
                    vec_push(&self.relaxed, self.txn)
                    vec_push(&self.relaxed, <int32_t>k)
        if not found:
            vec_push(&self.unmatched, self.txn)
            vec_push(&self.unmatched, <int32_t>k)
            self.place(k, -1, self.stack[self.depth - 1].instance)
            return WALKED
        self.depth = depth + 1
        self.set_child(depth, self.p.entry_child[e])
        for q in range(self.p.path_first[e], self.p.path_first[e + 1]):
            loop = self.p.path_loops[q]
            if n:
                self.set_child(self.depth - 1, self.p.loop_child_index[loop])
            instance = self.open(loop, k)
            if instance < 0:
                return TOO_DEEP
            if f >= 0 and q == self.p.path_first[e + 1] - 1:  # the loop whose first segment is absent
                vec_push(&self.implied, self.txn)
                vec_push(&self.implied, <int32_t>k)
                vec_push(&self.implied, instance)
            n += 1
        if f >= 0:
            for q in range(self.p.path_first[f], self.p.path_first[f + 1]):
                loop = self.p.path_loops[q]
                self.set_child(self.depth - 1, self.p.loop_child_index[loop])
                if self.open(loop, k) < 0:
                    return TOO_DEEP
                n += 1
        if n:
            self.set_child(self.depth - 1, 0)
            if tag == TAG_HL and self.place_hl(i) == TOO_DEEP:
                return TOO_DEEP
        self.place(k, self.p.entry_segment[f if f >= 0 else e], self.stack[self.depth - 1].instance)
        return WALKED

    cdef int walk(self, Py_ssize_t first, Py_ssize_t last) except -1 nogil:
        """Walk segments first..last as transaction `txn`, writing its segments from `out` on.
        Returns WALKED, or TOO_DEEP (then its loops and list entries are dropped, and its
        segments marked unplaced)."""
        cdef Py_ssize_t i, j, n_loops
        cdef Py_ssize_t marks[3]
        cdef int32_t *placed
        cdef int32_t *loop_last
        cdef int32_t *loop_parent
        cdef int status = WALKED
        marks[0], marks[1], marks[2] = self.implied.n, self.relaxed.n, self.unmatched.n
        self.base = self.n_slots
        self.new_instance(self.p.root, -1, 0, -1, 0)
        self.depth = 1
        self.stack[0] = Frame(self.p.root, 0, -1, 0)
        self.set_child(0, 0)
        self.seg_loop[self.out] = 0
        self.seg_node[self.out] = self.p.st_segment
        for i in range(first + 1, last + 1):
            status = self.step(i, i - first)
            if status != WALKED:
                break
        if status != WALKED:
            self.n_slots = self.base
            self.implied.n, self.relaxed.n, self.unmatched.n = marks[0], marks[1], marks[2]
            for i in range(last - first + 1):
                self.seg_loop[self.out + i] = 0
                self.seg_node[self.out + i] = -1
            return status
        # A loop ends at the last segment placed in it or below it (parents precede children).
        n_loops = self.n_slots - self.base
        placed, loop_last, loop_parent = self.col(PLACED), self.col(LAST), self.col(PARENT)
        for j in range(n_loops - 1, 0, -1):
            if placed[j] > placed[loop_parent[j]]:
                placed[loop_parent[j]] = placed[j]
        for j in range(n_loops):
            if placed[j] > loop_last[j]:
                loop_last[j] = placed[j]
        return WALKED


def walk_batch(index, firsts, lasts, tables):
    """Walk the transactions firsts[n]..lasts[n] of `index`; see `edi._py.loops.walk_batch`
    for the contract."""
    cdef const int64_t[::1] first_of = np.ascontiguousarray(firsts, dtype=np.int64)
    cdef const int64_t[::1] last_of = np.ascontiguousarray(lasts, dtype=np.int64)
    cdef Py_ssize_t count = first_of.shape[0], n, total = 0, longest = 0, length
    cdef int status
    cdef _Walker w
    if last_of.shape[0] != count:
        raise ValueError("firsts and lasts differ in length")
    for n in range(count):
        if first_of[n] < 0 or last_of[n] >= len(index) or last_of[n] < first_of[n]:
            raise ValueError("transaction range outside the index")
        length = last_of[n] - first_of[n] + 1
        total += length
        longest = max(longest, length)
    w = _Walker(index, program(tables), total, longest)
    loop_ptr = np.zeros(count + 1, dtype=np.int64)
    cdef int64_t[::1] ptr = loop_ptr
    # Each transaction's component separator: its run's dialect (a transaction lies in one run).
    runs = (np.searchsorted(index.chunk_first, np.asarray(first_of), side="right") - 1).tolist()
    components = [d.delimiters.component for d in index.dialects]
    failed = []
    for n in range(count):
        component = components[runs[n]]
        w.component = component
        w.component_len = len(component)
        w.txn = <int32_t>n
        if w.hl_other:
            w.hl_other.clear()
        with nogil:
            status = w.walk(first_of[n], last_of[n])
        if status == TOO_DEEP:
            failed.append(n)
        w.out += last_of[n] - first_of[n] + 1
        ptr[n + 1] = w.n_slots
    implied = [[] for _ in range(count)]
    relaxed = [[] for _ in range(count)]
    unmatched = [[] for _ in range(count)]
    for n in range(0, w.implied.n, 3):
        implied[w.implied.data[n]].append((w.implied.data[n + 1], w.implied.data[n + 2]))
    for n in range(0, w.relaxed.n, 2):
        relaxed[w.relaxed.data[n]].append(w.relaxed.data[n + 1])
    for n in range(0, w.unmatched.n, 2):
        unmatched[w.unmatched.data[n]].append(w.unmatched.data[n + 1])
    columns = []
    for c in range(LAST + 1):
        columns.append(to_array(w.column[c], w.n_slots))
        w.column[c] = NULL
    seg_loop, w.seg_loop = to_array(w.seg_loop, total), NULL
    seg_node, w.seg_node = to_array(w.seg_node, total), NULL
    return (seg_loop, seg_node, *columns, loop_ptr, implied, relaxed, unmatched, failed)


def walk_loops(index, Py_ssize_t first, Py_ssize_t last, tables):
    """Walk segments first..last of `index`; see `edi._py.loops.walk_loops` for the contract."""
    *arrays, loop_ptr, implied, relaxed, unmatched, failed = walk_batch(index, [first], [last], tables)
    if failed:
        raise RecursionError(TOO_DEEP_MESSAGE)
    return (*arrays, implied[0], relaxed[0], unmatched[0])
