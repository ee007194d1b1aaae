# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Native 835 column extractor: the kernel behind `edi.remittance.tables`.

Same contract as the pure-Python twin `edi._py.remit` (same arguments, arrays and issues; the
tests require identical results). A first pass over the transactions' segment tags counts an
upper bound of each table's rows, so that every output is allocated once (uninitialized: each
row is written whole when it is added). The second pass walks the segments in order with the
GIL released, through raw pointers into the index's CSR arrays: amounts are parsed to int64
cents and dates to days straight from the bytes, the balancing sums are added up as the rows
are made, and text is not read at all (rows name their segments; `element_spans` locates a
text column when it is used). Outputs are column-major, so each column of a table is one
contiguous run. A large run is cut into parts that threads walk side by side (`extract_835`).
Transaction ranges and segment numbers are checked on entry; element spans
then come from the tokenizer's index, which keeps them inside their segment and the buffer, so
the reads below need no bounds checks.
"""
from libc.stdint cimport INT64_MIN, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memcmp, memcpy, memmove, memset

from edi._fast._index cimport Index, Seg, Span, component, element, element_of, open_index, segment
from edi._fast._workers cimport run_tasks, wake
from edi._fast._values cimport NUMBER_BAD, NUMBER_INEXACT, parse_date, parse_number, plain_cents

cimport numpy as cnp
import numpy as np

cnp.import_array()

from edi._fast._pool import empty
from edi._py.remit import KEYS, LAYOUTS, TABLES

cdef enum:
    INEXACT = 1
    BAD_AMOUNT = 2
    BAD_DATE = 3
    MAX_CAS_TRIPLES = 6
    MAX_PLB_PAIRS = 6
    N_KEYS = 5
    # Money slots of the sums (see LAYOUTS).
    PAYMENT_CLAIMS_PAID = 1
    PAYMENT_PROVIDER_ADJUSTMENTS = 2
    CLAIM_ADJUSTMENTS = 3
    CLAIM_PR_ADJUSTMENTS = 4
    LINE_ADJUSTMENTS = 3

# Segment ids packed as the tokenizer packs them, letters folded to uppercase by FOLD.
cdef enum:
    FOLD = 0xDFDFDF
    T_BPR = 0x425052
    T_TRN = 0x54524E
    T_N1 = 0x4E3100 & 0xDFDFDF  # the digit folds too (0x31 -> 0x11), as it does in every tag
    T_LX = 0x4C5800
    T_CLP = 0x434C50
    T_SVC = 0x535643
    T_CAS = 0x434153
    T_DTM = 0x44544D
    T_REF = 0x524546
    T_AMT = 0x414D54
    T_MOA = 0x4D4F41
    T_MIA = 0x4D4941
    T_LQ = 0x4C5100
    T_PLB = 0x504C42

# Each table's refs, money and dates: its LAYOUTS entry (checked below, on import).
cdef enum:
    PAYMENTS_REFS = 4
    PAYMENTS_MONEY = 3
    PAYMENTS_DATES = 1
    CLAIMS_REFS = 0
    CLAIMS_MONEY = 5
    CLAIMS_DATES = 3
    LINES_REFS = 1
    LINES_MONEY = 4
    LINES_DATES = 2
    ADJUSTMENTS_REFS = 0
    ADJUSTMENTS_MONEY = 1
    ADJUSTMENTS_DATES = 0
    REMARKS_REFS = 1
    REMARKS_MONEY = 0
    REMARKS_DATES = 0
    PLBS_REFS = 0
    PLBS_MONEY = 1
    PLBS_DATES = 1
SHAPES = {"payments": (PAYMENTS_REFS, PAYMENTS_MONEY, PAYMENTS_DATES),
          "claims": (CLAIMS_REFS, CLAIMS_MONEY, CLAIMS_DATES),
          "service_lines": (LINES_REFS, LINES_MONEY, LINES_DATES),
          "adjustments": (ADJUSTMENTS_REFS, ADJUSTMENTS_MONEY, ADJUSTMENTS_DATES),
          "remarks": (REMARKS_REFS, REMARKS_MONEY, REMARKS_DATES),
          "provider_adjustments": (PLBS_REFS, PLBS_MONEY, PLBS_DATES)}
if any(SHAPES[name] != (len(layout.refs), len(layout.money), len(layout.dates)) for name, layout in LAYOUTS.items()):
    raise ImportError("edi._fast._remit was built for other LAYOUTS than edi._py.remit's: rebuild it")

cdef int64_t NAT = INT64_MIN
cdef int[5] MOA_REMARKS = [3, 4, 5, 6, 7]
cdef int[5] MIA_REMARKS = [5, 20, 21, 22, 23]


# One table's output columns, column-major: column c of `keys` starts at keys + c * cap.
cdef struct Rows:
    int64_t *keys
    int64_t *refs
    int64_t *money
    uint8_t *nulls
    int64_t *dates
    Py_ssize_t n_refs, n_money, n_dates, cap, n


cdef struct Issues:
    int64_t *items  # (segment, element, code) triples
    Py_ssize_t n, cap
    bint failed  # out of memory


# --- reading elements -----------------------------------------------------------------------
cdef inline bint is_code(const Index *ix, Span s, const char *code, Py_ssize_t length) noexcept nogil:
    return s.end - s.start == length and memcmp(ix.buf + s.start, code, length) == 0


cdef inline bint group_at(const Seg *seg, Py_ssize_t j, Span *value) noexcept nogil:
    """Whether the repeated group of a CAS or PLB whose code is element j (reason and amount
    at j, j + 1) is there, either part of it; `value` gets the amount's span."""
    cdef Span code = element_of(seg, j)
    value[0] = element_of(seg, j + 1)
    return code.end > code.start or value.end > value.start


cdef inline bint present(const Seg *seg, Py_ssize_t j) noexcept nogil:
    cdef Span s = element_of(seg, j)
    return s.end > s.start


cdef void add_issue(Issues *issues, Py_ssize_t i, Py_ssize_t j, int code) noexcept nogil:
    cdef int64_t *grown
    if issues.n == issues.cap:
        grown = <int64_t *>realloc(issues.items, (issues.cap * 2 + 16) * 3 * sizeof(int64_t))
        if grown == NULL:
            issues.failed = True
            return
        issues.items = grown
        issues.cap = issues.cap * 2 + 16
    issues.items[3 * issues.n] = i
    issues.items[3 * issues.n + 1] = j
    issues.items[3 * issues.n + 2] = code
    issues.n += 1


cdef inline int64_t amount(const Index *ix, Issues *issues, Rows *rows, Py_ssize_t r, int slot,
                           Py_ssize_t i, const Seg *seg, Py_ssize_t j) noexcept nogil:
    """Store element j of segment i (at `seg`) as cents in money slot `slot` of row r (left
    null when absent or not a number); returns the cents stored, 0 if none."""
    return store_amount(ix, issues, rows, r, slot, i, j, element_of(seg, j))


cdef inline int64_t store_amount(const Index *ix, Issues *issues, Rows *rows, Py_ssize_t r, int slot,
                                 Py_ssize_t i, Py_ssize_t j, Span s) noexcept nogil:
    """`amount` of element j of segment i, which lies at s. Amounts as they mostly are
    (`plain_cents`) are read here, the rest by `other_cents`: kept this small, this is compiled
    into the walk (a call at every amount cost the walk about 10%; see setup.py)."""
    cdef int64_t cents
    if s.start == s.end:
        return 0
    if not plain_cents(ix.buf + s.start, s.end - s.start, ix.buf_len - s.start, &cents) and not other_cents(
            ix, issues, i, j, s, &cents):
        return 0
    rows.money[slot * rows.cap + r] = cents
    rows.nulls[slot * rows.cap + r] = 0
    return cents


cdef bint other_cents(const Index *ix, Issues *issues, Py_ssize_t i, Py_ssize_t j, Span s,
                      int64_t *cents) noexcept nogil:
    """An amount `plain_cents` does not read (long, finer than cents, or not a number) into
    cents[0]; reports its issue, and returns False when it is not a number."""
    cdef int issue = parse_number(ix.buf + s.start, s.end - s.start, 2, cents)
    if issue:
        add_issue(issues, i, j, BAD_AMOUNT if issue == NUMBER_BAD else INEXACT)
    return issue != NUMBER_BAD


cdef enum:
    DATE_SLOTS = 256  # a power of two


cdef struct KnownDates:
    # Valid CCYYMMDD dates read before, by their 8 bytes (text 0: an empty slot), kept by each
    # part for all its transactions. A remittance holds few distinct dates (a 10 MB 835: 148 in
    # 134,059 DTMs, but 36,355 when each transaction counts its own), so nearly every one is known.
    uint64_t text[DATE_SLOTS]
    int64_t days[DATE_SLOTS]


cdef inline int date_slot(uint64_t text) noexcept nogil:
    """The slot of a date's 8 bytes: the top 8 bits (DATE_SLOTS) of a Fibonacci hash."""
    return <int>((text * <uint64_t>0x9E3779B97F4A7C15) >> 56)


cdef inline int64_t date(const Index *ix, Issues *issues, KnownDates *known, Py_ssize_t i, const Seg *seg,
                         Py_ssize_t j) noexcept nogil:
    """The days of element j of segment i (at `seg`), NAT when absent or invalid (an issue).
    A date read before is found here; `new_date` reads the others (kept out of the walk, as
    in `store_amount`)."""
    cdef Span s = element_of(seg, j)
    cdef uint64_t text
    cdef int slot
    if s.start == s.end:
        return NAT
    if s.end - s.start == 8:
        memcpy(&text, ix.buf + s.start, 8)
        slot = date_slot(text)
        if known.text[slot] == text and text != 0:  # 0: an empty slot, or eight NULs
            return known.days[slot]
    return new_date(ix, issues, known, i, j, s)


cdef int64_t new_date(const Index *ix, Issues *issues, KnownDates *known, Py_ssize_t i, Py_ssize_t j,
                      Span s) noexcept nogil:
    """`date` of a date not known yet, which lies at s (not empty): remembered when valid."""
    cdef int64_t days = parse_date(ix.buf + s.start, s.end - s.start)
    cdef uint64_t text
    cdef int slot
    if days == NAT:
        add_issue(issues, i, j, BAD_DATE)
    elif s.end - s.start == 8:
        memcpy(&text, ix.buf + s.start, 8)
        slot = date_slot(text)
        known.text[slot], known.days[slot] = text, days
    return days


# --- rows -----------------------------------------------------------------------------------
cdef inline Py_ssize_t add_row(Rows *rows, Py_ssize_t t, Py_ssize_t claim, Py_ssize_t line, Py_ssize_t i,
                               Py_ssize_t element, int n_refs, int n_money, int n_dates) noexcept nogil:
    """A new row with its keys, no refs, null money and no dates (the caller sized the
    columns for every row it adds). The counts are the table's (SHAPES), constants at each
    call, so that the compiler unrolls the loops."""
    cdef Py_ssize_t r = rows.n, cap = rows.cap, c
    rows.keys[r] = t
    rows.keys[cap + r] = claim
    rows.keys[2 * cap + r] = line
    rows.keys[3 * cap + r] = i
    rows.keys[4 * cap + r] = element
    for c in range(n_refs):
        rows.refs[c * cap + r] = -1
    for c in range(n_money):
        rows.money[c * cap + r] = 0
        rows.nulls[c * cap + r] = 1
    for c in range(n_dates):
        rows.dates[c * cap + r] = NAT
    rows.n += 1
    return r


cdef inline void add_to(Rows *rows, Py_ssize_t r, int slot, int64_t cents) noexcept nogil:
    """Add to a sum slot (never null)."""
    rows.money[slot * rows.cap + r] += cents
    rows.nulls[slot * rows.cap + r] = 0


cdef class _Table:
    """One table's numpy columns and the Rows that fills them."""
    cdef Rows rows
    cdef tuple arrays

    def __init__(self, Py_ssize_t capacity, layout):
        cdef Py_ssize_t n_refs = len(layout.refs), n_money = len(layout.money), n_dates = len(layout.dates)
        keys, refs, money, nulls, dates = self.arrays = (
            empty((capacity, N_KEYS), np.int64, True), empty((capacity, n_refs), np.int64, True),
            empty((capacity, n_money), np.int64, True), empty((capacity, n_money), np.uint8, True),
            empty((capacity, n_dates), np.int64, True))
        self.rows.cap = capacity
        self.rows.n = 0
        self.rows.n_refs, self.rows.n_money, self.rows.n_dates = n_refs, n_money, n_dates
        # The blocks are never empty (`empty` takes at least one byte): no memoryview is needed.
        self.rows.keys = <int64_t *>cnp.PyArray_DATA(keys)
        self.rows.refs = <int64_t *>cnp.PyArray_DATA(refs)
        self.rows.money = <int64_t *>cnp.PyArray_DATA(money)
        self.rows.nulls = <uint8_t *>cnp.PyArray_DATA(nulls)
        self.rows.dates = <int64_t *>cnp.PyArray_DATA(dates)

    def trimmed(self):
        return tuple(a[:self.rows.n] for a in self.arrays)


# --- the walk -------------------------------------------------------------------------------
# Segments start..stop of transaction t, walked as one. A transaction cut into pieces (at CLPs)
# starts each later piece with the payment rows in effect there, and leaves its sums to be
# added once every piece is walked (`deferred`).
cdef struct Piece:
    Py_ssize_t t, t_first, start, stop, payment, first_payment
    Py_ssize_t bprs  # counted by count_rows
    bint deferred
    # Out, when deferred: the piece's CLP04 and PLB sums and the transaction's first BPR row.
    int64_t claims_paid, provider_total
    Py_ssize_t found_first_payment


cdef void count_rows(const Index *ix, Piece *pieces, Py_ssize_t n, Py_ssize_t *counts) noexcept nogil:
    """An upper bound of each table's rows from n pieces, into counts[0..5] (in TABLES order);
    exact for payments and claims (one per BPR and CLP)."""
    cdef Py_ssize_t t, i, elements, before
    cdef uint32_t tag
    for t in range(6):
        counts[t] = 0
    for t in range(n):
        before = counts[0]
        for i in range(pieces[t].start, pieces[t].stop + 1):
            tag = ix.seg_tag[i] & FOLD
            if tag == T_CAS:
                elements = ix.elem_ptr[i + 1] - ix.elem_ptr[i]
                counts[3] += min(<Py_ssize_t>MAX_CAS_TRIPLES, (elements + 1) // 3)
            elif tag == T_SVC:
                counts[2] += 1
            elif tag == T_CLP:
                counts[1] += 1
            elif tag == T_LQ:
                counts[4] += 1
            elif tag == T_MOA or tag == T_MIA:
                counts[4] += 5
            elif tag == T_BPR:
                counts[0] += 1
            elif tag == T_PLB:
                elements = ix.elem_ptr[i + 1] - ix.elem_ptr[i]
                counts[5] += min(<Py_ssize_t>MAX_PLB_PAIRS, max(<Py_ssize_t>0, elements - 1) // 2)
        pieces[t].bprs = counts[0] - before


cdef inline void refer(Rows *payments, Issues *late, const Piece *piece, Py_ssize_t payment, int column,
                       Py_ssize_t i) noexcept nogil:
    """Segment i is payment row `payment`'s ref `column` (TRN, N1). A row made before this
    piece may belong to another thread's part: then the write waits in `late` for the join."""
    if piece.deferred and payment == piece.payment:
        add_issue(late, payment, column, i)
    else:
        payments.refs[column * payments.cap + payment] = i


cdef void transaction(const Index *ix, Issues *issues, Issues *late, KnownDates *known, Rows *out,
                      Piece *piece) noexcept nogil:
    """The rows of one piece of a transaction (ST..SE, or part of it when cut); out[0..5] in
    TABLES order."""
    cdef Rows *payments = &out[0]
    cdef Rows *claims = &out[1]
    cdef Rows *lines = &out[2]
    cdef Rows *adjustments = &out[3]
    cdef Rows *remarks = &out[4]
    cdef Rows *plbs = &out[5]
    cdef Py_ssize_t payment = piece.payment, first_payment = piece.first_payment, claim = -1, line = -1
    cdef Py_ssize_t t = piece.t, i, r, k, j
    cdef int slot
    cdef uint32_t tag
    cdef int64_t fiscal_period, cents, claims_paid = 0, provider_total = 0
    cdef int64_t *to
    cdef int64_t *also
    cdef Span qualifier, value
    cdef Py_ssize_t elements
    cdef bint is_pr
    cdef Seg seg
    for i in range(piece.start, piece.stop + 1):
        tag = ix.seg_tag[i] & FOLD
        seg = segment(ix, i)
        if tag == T_CAS:
            if claim >= 0:
                is_pr = is_code(ix, element_of(&seg, 1), b"PR", 2)
                elements = seg.n
                for k in range(MAX_CAS_TRIPLES):
                    j = 2 + 3 * k
                    if j > elements:
                        break
                    if group_at(&seg, j, &value):
                        r = add_row(adjustments, t, claim, line, i, j,
                                    ADJUSTMENTS_REFS, ADJUSTMENTS_MONEY, ADJUSTMENTS_DATES)
                        cents = store_amount(ix, issues, adjustments, r, 0, i, j + 1, value)
                        add_to(claims, claim, CLAIM_ADJUSTMENTS, cents)
                        if is_pr:
                            add_to(claims, claim, CLAIM_PR_ADJUSTMENTS, cents)
                        if line >= 0:
                            add_to(lines, line, LINE_ADJUSTMENTS, cents)
        elif tag == T_DTM:
            # The date goes to one or two of the line's or claim's date columns, by qualifier.
            qualifier = element_of(&seg, 1)
            to = also = NULL
            if line >= 0:
                if is_code(ix, qualifier, b"472", 3):
                    to, also = &lines.dates[line], &lines.dates[lines.cap + line]
                elif is_code(ix, qualifier, b"150", 3):
                    to = &lines.dates[line]
                elif is_code(ix, qualifier, b"151", 3):
                    to = &lines.dates[lines.cap + line]
            elif claim >= 0:
                slot = 0 if is_code(ix, qualifier, b"232", 3) else (
                    1 if is_code(ix, qualifier, b"233", 3) else (2 if is_code(ix, qualifier, b"050", 3) else -1))
                if slot >= 0:
                    to = &claims.dates[slot * claims.cap + claim]
            if to != NULL:
                to[0] = date(ix, issues, known, i, &seg, 2)
                if also != NULL:
                    also[0] = to[0]
        elif tag == T_SVC:
            if claim >= 0:
                line = r = add_row(lines, t, claim, lines.n, i, 0, LINES_REFS, LINES_MONEY, LINES_DATES)
                amount(ix, issues, lines, r, 0, i, &seg, 2)
                amount(ix, issues, lines, r, 1, i, &seg, 3)
                add_to(lines, r, LINE_ADJUSTMENTS, 0)
        elif tag == T_REF:
            if line >= 0 and is_code(ix, element_of(&seg, 1), b"6R", 2):
                lines.refs[line] = i
        elif tag == T_AMT:
            if line >= 0 and is_code(ix, element_of(&seg, 1), b"B6", 2):
                amount(ix, issues, lines, line, 2, i, &seg, 2)
        elif tag == T_CLP:
            line = -1
            claim = r = add_row(claims, t, claims.n, -1, i, 0, CLAIMS_REFS, CLAIMS_MONEY, CLAIMS_DATES)
            amount(ix, issues, claims, r, 0, i, &seg, 3)
            claims_paid += amount(ix, issues, claims, r, 1, i, &seg, 4)
            amount(ix, issues, claims, r, 2, i, &seg, 5)
            add_to(claims, r, CLAIM_ADJUSTMENTS, 0)
            add_to(claims, r, CLAIM_PR_ADJUSTMENTS, 0)
        elif tag == T_LQ:
            if claim >= 0 and present(&seg, 2):
                r = add_row(remarks, t, claim, line, i, 2, REMARKS_REFS, REMARKS_MONEY, REMARKS_DATES)
                remarks.refs[r] = i
        elif tag == T_MOA or tag == T_MIA:
            if claim >= 0:
                for k in range(5):
                    j = MOA_REMARKS[k] if tag == T_MOA else MIA_REMARKS[k]
                    if present(&seg, j):
                        add_row(remarks, t, claim, -1, i, j, REMARKS_REFS, REMARKS_MONEY, REMARKS_DATES)
        elif tag == T_LX:
            claim = line = -1
        elif tag == T_BPR:
            payment = r = add_row(payments, t, -1, -1, i, 0, PAYMENTS_REFS, PAYMENTS_MONEY, PAYMENTS_DATES)
            if first_payment < 0:
                first_payment = r
            payments.refs[r] = piece.t_first
            amount(ix, issues, payments, r, 0, i, &seg, 2)
            add_to(payments, r, PAYMENT_CLAIMS_PAID, 0)
            add_to(payments, r, PAYMENT_PROVIDER_ADJUSTMENTS, 0)
            payments.dates[r] = date(ix, issues, known, i, &seg, 16)
        elif tag == T_TRN:
            if payment >= 0 and claim < 0:
                refer(payments, late, piece, payment, 1, i)
        elif tag == T_N1:
            if payment >= 0 and claim < 0:
                qualifier = element_of(&seg, 1)
                if is_code(ix, qualifier, b"PR", 2):
                    refer(payments, late, piece, payment, 2, i)
                elif is_code(ix, qualifier, b"PE", 2):
                    refer(payments, late, piece, payment, 3, i)
        elif tag == T_PLB:
            claim = line = -1
            fiscal_period = date(ix, issues, known, i, &seg, 2)
            elements = seg.n
            for k in range(MAX_PLB_PAIRS):
                j = 3 + 2 * k
                if j > elements:
                    break
                if group_at(&seg, j, &value):
                    r = add_row(plbs, t, -1, -1, i, j, PLBS_REFS, PLBS_MONEY, PLBS_DATES)
                    provider_total += store_amount(ix, issues, plbs, r, 0, i, j + 1, value)
                    plbs.dates[r] = fiscal_period
    # A transaction's claims and PLBs balance against its first payment (BPR).
    if piece.deferred:
        piece.claims_paid, piece.provider_total, piece.found_first_payment = claims_paid, provider_total, first_payment
    elif first_payment >= 0:
        add_to(payments, first_payment, PAYMENT_CLAIMS_PAID, claims_paid)
        add_to(payments, first_payment, PAYMENT_PROVIDER_ADJUSTMENTS, provider_total)


cdef struct Part:
    # One thread's share of a run: pieces p0..p1 - 1, whose rows go into the shared columns
    # from `start` (its first row in each table) on.
    Index ix
    Rows out[6]
    Issues issues
    Issues late  # (payment row, ref column, segment): writes to rows of parts before
    KnownDates known
    Piece *pieces
    Py_ssize_t p0, p1
    Py_ssize_t start[6]  # its first row in each table (after the walk: where it moved to)
    Py_ssize_t used[6]  # its rows in each table
    Py_ssize_t moved[6]  # how far down its rows moved to close the gap before them
    Py_ssize_t counted[6]  # an upper bound of its rows in each table (`count_part`)
    char apart[64]  # keeps the next part's counts off this part's cache lines


cdef void count_part(void *arg) noexcept nogil:
    """Bound a part's rows (a task of `_workers.run_tasks`)."""
    cdef Part *part = <Part *>arg
    count_rows(&part.ix, &part.pieces[part.p0], part.p1 - part.p0, part.counted)


cdef void walk_part(void *arg) noexcept nogil:
    """Make a part's rows (a task of `_workers.run_tasks`)."""
    cdef Part *part = <Part *>arg
    cdef Py_ssize_t p
    memset(part.known.text, 0, sizeof(part.known.text))
    for p in range(part.p0, part.p1):
        transaction(&part.ix, &part.issues, &part.late, &part.known, part.out, &part.pieces[p])


cdef class _Parts:
    """The parts of a run (a C array, freed with this object), and the task argument of each."""
    cdef Part *items
    cdef void **args
    cdef int n

    def __cinit__(self, int n):
        cdef int k
        self.items = <Part *>calloc(n, sizeof(Part))
        self.args = <void **>calloc(n, sizeof(void *))
        if self.items == NULL or self.args == NULL:
            raise MemoryError()
        self.n = n
        for k in range(n):
            self.args[k] = &self.items[k]

    def __dealloc__(self):
        cdef int k
        if self.items != NULL:
            for k in range(self.n):
                free(self.items[k].issues.items)
                free(self.items[k].late.items)
        free(self.items)
        free(self.args)


cdef void close_gap(Rows *rows, Py_ssize_t to, Py_ssize_t start, Py_ssize_t n) noexcept nogil:
    """Move rows start..start + n - 1 of every column down to row `to`."""
    cdef Py_ssize_t c
    if to == start or n == 0:
        return
    for c in range(N_KEYS):
        memmove(rows.keys + c * rows.cap + to, rows.keys + c * rows.cap + start, n * sizeof(int64_t))
    for c in range(rows.n_refs):
        memmove(rows.refs + c * rows.cap + to, rows.refs + c * rows.cap + start, n * sizeof(int64_t))
    for c in range(rows.n_money):
        memmove(rows.money + c * rows.cap + to, rows.money + c * rows.cap + start, n * sizeof(int64_t))
        memmove(rows.nulls + c * rows.cap + to, rows.nulls + c * rows.cap + start, n)
    for c in range(rows.n_dates):
        memmove(rows.dates + c * rows.cap + to, rows.dates + c * rows.cap + start, n * sizeof(int64_t))


cdef Py_ssize_t first_clp(const Index *ix, Py_ssize_t start, Py_ssize_t stop) noexcept nogil:
    """The first CLP in segments start..stop, or -1."""
    cdef Py_ssize_t i
    for i in range(start, stop + 1):
        if ix.seg_tag[i] & FOLD == T_CLP:
            return i
    return -1


cdef class _Pieces:
    """The pieces a run is cut into (a C array, freed with this object)."""
    cdef Piece *items
    cdef Py_ssize_t n

    def __cinit__(self, Py_ssize_t n):
        self.items = <Piece *>calloc(max(n, 1), sizeof(Piece))
        if self.items == NULL:
            raise MemoryError()
        self.n = n

    def __dealloc__(self):
        free(self.items)


cdef void payment_rows(Piece *pieces, Py_ssize_t n) noexcept nogil:
    """For each later piece of a cut transaction, the payment rows in effect where it starts:
    the transaction's last BPR so far and its first (from the BPRs count_rows counted)."""
    cdef Py_ssize_t k, row = 0, seen = 0, first_row = -1, t = -1
    for k in range(n):
        if pieces[k].t != t or not pieces[k].deferred:
            t, seen, first_row = pieces[k].t, 0, -1
        if pieces[k].deferred and seen:
            pieces[k].payment, pieces[k].first_payment = row - 1, first_row
        if pieces[k].bprs and not seen:
            first_row = row
        seen += pieces[k].bprs
        row += pieces[k].bprs


cdef _Pieces cut(Index *ix, const int64_t[::1] f, const int64_t[::1] l, Py_ssize_t parts, list starts):
    """The pieces of the transactions f[t]..l[t] (ST..SE), cut for `parts` threads at about
    equal segments: between transactions, or at the first CLP after the mark inside a large
    one. `starts` receives the first piece of each part."""
    cdef Py_ssize_t n = f.shape[0], t, k, c, at
    cdef _Pieces pieces
    cdef Piece *piece
    walked = np.asarray(l) - np.asarray(f)  # segments after each ST
    ends = np.cumsum(walked)
    total = int(ends[-1]) if n else 0
    cuts = {}  # transaction -> the segments where later parts start inside it (or its ST + 1)
    for k in range(1, parts):
        t = int(np.searchsorted(ends, k * total // parts, side="right"))
        if t >= n:
            continue
        at = f[t] + 1 + (k * total // parts - (int(ends[t - 1]) if t else 0))
        with nogil:
            c = first_clp(ix, at, l[t])
        if c < 0 and t + 1 < n:
            t, c = t + 1, f[t + 1] + 1
        if c >= 0:
            cuts.setdefault(t, set()).add(c)
    inner = {}  # transaction -> the segments where later pieces start inside it
    for key, at_key in cuts.items():
        later = sorted(s for s in at_key if s > f[key] + 1)
        if later:
            inner[key] = later
    pieces = _Pieces(n + sum(len(later) for later in inner.values()))
    part_starts = {key for key, at_key in cuts.items() if f[key] + 1 in at_key}
    k = 0
    for t in range(n):
        if t in part_starts:
            starts.append(k)
        if t not in inner:
            piece = &pieces.items[k]
            piece.t, piece.t_first, piece.start, piece.stop = t, f[t], f[t] + 1, l[t]
            piece.payment = piece.first_payment = -1
            piece.deferred = False
            k += 1
            continue
        bounds = [f[t] + 1, *inner[t], l[t] + 1]
        for j in range(len(bounds) - 1):
            if j:
                starts.append(k)
            piece = &pieces.items[k]
            piece.t, piece.t_first, piece.start, piece.stop = t, f[t], bounds[j], bounds[j + 1] - 1
            piece.payment = piece.first_payment = -1  # set by `payment_rows` once counted
            piece.deferred = True
            k += 1
    return pieces


def cut_points(index, firsts, lasts, Py_ssize_t parts):
    """The first segment walked by each part after the first, as `extract_835` cuts the run
    for `parts` threads (what the tests check the cuts against)."""
    cdef const int64_t[::1] f = np.ascontiguousarray(firsts, dtype=np.int64)
    cdef const int64_t[::1] l = np.ascontiguousarray(lasts, dtype=np.int64)
    cdef Index ix = open_index(index)
    starts = [0]
    pieces = cut(&ix, f, l, max(1, parts), starts)
    return [(<_Pieces>pieces).items[k].start for k in sorted(set(starts)) if k]


def extract_835(index, firsts, lasts, Py_ssize_t parts=1):
    """Rows of the six tables from the 835 transactions in segments firsts[t]..lasts[t] of
    `index`; see `edi._py.remit` for the contract. With `parts` > 1 the run is cut (`cut`) into
    that many parts of about as many segments, walked by as many threads; the rows and issues
    are the same as with one.

    Each part counts an upper bound of its rows and writes from where the parts before it
    could end at most. Claims and payments (one per CLP and BPR) are counted exactly; the other
    tables' parts are then moved down to close the gaps, and the line numbers (the `line` key of
    lines, adjustments and remarks) follow their rows. A transaction cut inside adds up its
    pieces' sums on its first BPR once they are all walked."""
    cdef const int64_t[::1] f = np.ascontiguousarray(firsts, dtype=np.int64)
    cdef const int64_t[::1] l = np.ascontiguousarray(lasts, dtype=np.int64)
    cdef Py_ssize_t n = f.shape[0], n_seg = len(index), t, k, p, r
    cdef Py_ssize_t totals[6]
    cdef Py_ssize_t shift
    cdef int64_t *line_keys
    cdef int64_t paid, provider
    cdef Index ix
    cdef _Parts shares
    cdef Part *part
    cdef _Pieces pieces
    cdef Piece *piece
    cdef Rows *rows
    if l.shape[0] != n:
        raise ValueError("transaction range outside the index")
    for t in range(n):
        if f[t] < 0 or l[t] < f[t] or l[t] >= n_seg:
            raise ValueError("transaction range outside the index")
    if parts > 1:
        wake(parts)  # while the run is cut
    ix = open_index(index)
    starts = [0]
    pieces = cut(&ix, f, l, max(1, parts), starts)
    starts = sorted(set(starts)) + [pieces.n]
    shares = _Parts(len(starts) - 1)
    for k in range(6):
        totals[k] = 0
    for p in range(shares.n):
        part = &shares.items[p]
        part.ix = ix
        part.pieces = pieces.items
        part.p0, part.p1 = starts[p], starts[p + 1]
    with nogil:
        run_tasks(count_part, shares.args, shares.n)
    for p in range(shares.n):
        part = &shares.items[p]
        for k in range(6):
            part.start[k] = totals[k]
            totals[k] += part.counted[k]
    payment_rows(pieces.items, pieces.n)
    tables = [_Table(totals[k], LAYOUTS[name]) for k, name in enumerate(TABLES)]
    for p in range(shares.n):
        part = &shares.items[p]
        for k in range(6):
            part.out[k] = (<_Table>tables[k]).rows
            part.out[k].n = part.start[k]
    with nogil:
        run_tasks(walk_part, shares.args, shares.n)
    for p in range(shares.n):
        if shares.items[p].issues.failed or shares.items[p].late.failed:
            raise MemoryError()
    rows = &(<_Table>tables[0]).rows
    for p in range(shares.n):  # in order, as one walk would have written them
        part = &shares.items[p]
        for k in range(part.late.n):
            rows.refs[part.late.items[3 * k + 1] * rows.cap + part.late.items[3 * k]] = part.late.items[3 * k + 2]
    # Close the gaps between the parts, and renumber the lines that moved.
    for k in range(6):
        rows = &(<_Table>tables[k]).rows
        rows.n = 0
        for p in range(shares.n):
            part = &shares.items[p]
            part.used[k] = part.out[k].n - part.start[k]
            close_gap(rows, rows.n, part.start[k], part.used[k])
            part.moved[k] = part.start[k] - rows.n
            part.start[k] = rows.n
            rows.n += part.used[k]
    for p in range(shares.n):
        part = &shares.items[p]
        if part.moved[1] or part.moved[0]:
            raise AssertionError("claims and payments are counted exactly")
        shift = part.moved[2]
        if shift == 0:
            continue
        for k in (2, 3, 4):  # service lines, adjustments, remarks: the line numbers of this part
            rows = &(<_Table>tables[k]).rows
            line_keys = rows.keys + 2 * rows.cap
            for r in range(part.start[k], part.start[k] + part.used[k]):
                if line_keys[r] >= 0:
                    line_keys[r] -= shift
    # The sums of transactions cut into pieces, on their first BPR (the last piece knows it).
    sums = {}
    for k in range(pieces.n):
        piece = &pieces.items[k]
        if piece.deferred:
            paid, provider = sums.get(piece.t, (0, 0))[:2]
            sums[piece.t] = (paid + piece.claims_paid, provider + piece.provider_total, piece.found_first_payment)
    rows = &(<_Table>tables[0]).rows
    for paid, provider, r in sums.values():
        if r >= 0:
            add_to(rows, r, PAYMENT_CLAIMS_PAID, paid)
            add_to(rows, r, PAYMENT_PROVIDER_ADJUSTMENTS, provider)
    found = []
    for p in range(shares.n):
        part = &shares.items[p]
        for k in range(part.issues.n):
            found.append((part.issues.items[3 * k], part.issues.items[3 * k + 1], part.issues.items[3 * k + 2]))
    return {name: (<_Table>table).trimmed() for name, table in zip(TABLES, tables)}, found


def element_spans(index, segments, elements, int component_number, bytes separator):
    """(start, end) arrays: element elements[r] of segment segments[r] (1-based), or component
    `component_number` of it when that is not 0 (split on `separator`); see `edi._py.remit`."""
    cdef const int64_t[:] segs = np.asarray(segments, np.int64)
    cdef const int64_t[:] elems = np.broadcast_to(np.asarray(elements, np.int64), (segs.shape[0],))
    cdef const unsigned char *sep = separator
    cdef Py_ssize_t sep_len = len(separator), n_seg = len(index), r, i
    cdef Index ix = open_index(index)
    cdef Span s
    out_start = np.zeros(segs.shape[0], np.int64)
    out_end = np.zeros(segs.shape[0], np.int64)
    cdef int64_t[::1] o_start = out_start, o_end = out_end
    if component_number and sep_len == 0:
        raise ValueError("empty separator")
    for r in range(segs.shape[0]):
        i = segs[r]
        if i < -1 or i >= n_seg:
            raise ValueError("segment outside the index")
        if i < 0:
            continue
        s = element(&ix, i, elems[r])
        if component_number:
            s = component(&ix, s, component_number, sep, sep_len)
        o_start[r] = s.start
        o_end[r] = s.end
    return out_start, out_end


def element_is(index, segments, Py_ssize_t element_number, bytes text):
    """A bool array: whether element `element_number` of each of the segments is exactly
    `text`; see `edi._py.remit`."""
    cdef const int64_t[:] segs = np.asarray(segments, np.int64)
    cdef Py_ssize_t n_seg = len(index), r, i, length = len(text)
    cdef const unsigned char *wanted = text
    cdef Index ix = open_index(index)
    cdef Span s
    out = np.zeros(segs.shape[0], np.bool_)
    cdef cnp.npy_bool[::1] hits = out
    for r in range(segs.shape[0]):
        i = segs[r]
        if i < -1 or i >= n_seg:
            raise ValueError("segment outside the index")
        if i < 0:
            continue  # no segment: no match, as in element_spans
        s = element(&ix, i, element_number)
        hits[r] = s.end - s.start == length and memcmp(ix.buf + s.start, wanted, length) == 0
    return out
