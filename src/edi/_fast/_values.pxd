# cython: language_level=3
"""Number and date parsing shared by the native kernels (inline, so each kernel compiles its own
copy without a module of its own). Twinned by `edi._py.values`."""
from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t, uint64_t

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* Eight bytes as a little-endian word (p[0] the low byte), whatever the machine's order. */
    static inline uint64_t edi_load_le64(const unsigned char *p) {
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        uint64_t x = 0;
        for (int k = 7; k >= 0; k--)
            x = (x << 8) | p[k];
        return x;
    #else
        uint64_t x;
        memcpy(&x, p, 8);
        return x;
    #endif
    }
    """
    uint64_t edi_load_le64(const unsigned char *p) noexcept nogil

cdef enum:
    NUMBER_BAD = 1  # not an X12 R number, or too large
    NUMBER_INEXACT = 2  # more decimals than the scale, not all zero: rounded half-even



cdef inline int parse_any_number(const unsigned char *p, Py_ssize_t n, int scale, int64_t *out) noexcept nogil:
    """`parse_number` for every input: long numbers, more decimals than the scale, bad text."""
    cdef bint negative, sticky = False
    cdef Py_ssize_t pos, digits
    cdef int64_t unit = 1, limit, whole = 0, fraction = 0, value
    cdef int dropped = 0, decimals = 0, d, q
    out[0] = 0
    for q in range(scale):
        unit *= 10
    limit = (INT64_MAX - unit) // unit
    negative = n > 0 and p[0] == 45
    pos = negative
    while pos < n and 48 <= p[pos] <= 57:
        if whole > (limit - (p[pos] - 48)) // 10:  # checked before it can overflow (scale 0)
            return NUMBER_BAD
        whole = whole * 10 + (p[pos] - 48)
        pos += 1
    digits = pos - negative
    if pos < n and p[pos] == 46:
        pos += 1
        while pos < n and 48 <= p[pos] <= 57:
            d = p[pos] - 48
            if decimals < scale:
                fraction = fraction * 10 + d
            elif decimals == scale:
                dropped = d
            else:
                sticky = sticky or d != 0
            decimals += 1
            pos += 1
    if pos != n or digits + decimals == 0:
        return NUMBER_BAD
    for q in range(decimals, scale):
        fraction *= 10
    value = whole * unit + fraction
    if dropped > 5 or (dropped == 5 and (sticky or value & 1)):
        value += 1
    out[0] = -value if negative else value
    return NUMBER_INEXACT if dropped != 0 or sticky else 0


cdef inline Py_ssize_t read_digits(const unsigned char *p, Py_ssize_t pos, Py_ssize_t stop,
                                   int64_t *value) noexcept nogil:
    """The digits from p[pos] on (up to `stop`) appended to value[0]; returns where they end."""
    cdef unsigned int d
    while pos < stop:
        d = p[pos] - 48
        if d > 9:
            break
        value[0] = value[0] * 10 + d
        pos += 1
    return pos


cdef inline int parse_number(const unsigned char *p, Py_ssize_t n, int scale, int64_t *out) noexcept nogil:
    """An X12 R number (optional minus, digits, optional point: nothing else) in units of
    10**-scale, rounded half-even, into out[0]; returns 0, NUMBER_INEXACT or NUMBER_BAD.
    Numbers as they mostly are (at most 18 - scale digits before the point, so no overflow, and
    at most `scale` after it) are read here, exactly; anything else by `parse_any_number`."""
    cdef bint negative = n > 0 and p[0] == 45
    cdef Py_ssize_t pos, point
    cdef int64_t whole = 0, fraction = 0, unit = 1
    cdef int q
    pos = point = read_digits(p, negative, min(n, negative + 18 - scale), &whole)
    if pos < n and p[pos] == 46 and n - pos - 1 <= scale:
        pos = read_digits(p, pos + 1, n, &fraction)
    if pos == n and n - negative > (point < n):  # a digit at least, besides any point
        for q in range(scale):
            unit *= 10
        for q in range(n - point - 1 if point < n else 0, scale):
            fraction *= 10
        whole = whole * unit + fraction
        out[0] = -whole if negative else whole
        return 0
    return parse_any_number(p, n, scale, out)


cdef inline int64_t eight_digits(uint64_t x, int k) noexcept nogil:
    """The value of the k (1 to 8) ASCII digits in the low bytes of x, the first in byte 0
    (little-endian loads), or -1 when one is not a digit: all at once, without a loop (SWAR;
    D. Lemire, "Faster integer parsing", 2018)."""
    cdef uint64_t high = <uint64_t>0xF0F0F0F0F0F0F0F0
    if k < 8:  # the digits to the top, '0's before them
        x = (x << (8 * (8 - k))) | (<uint64_t>0x3030303030303030 >> (8 * k))
    if ((x & high) | (((x + <uint64_t>0x0606060606060606) & high) >> 4)) != <uint64_t>0x3333333333333333:
        return -1
    x -= <uint64_t>0x3030303030303030
    x = x * 10 + (x >> 8)
    x = (((x & <uint64_t>0x000000FF000000FF) * (100 + (<uint64_t>1000000 << 32)))
         + (((x >> 16) & <uint64_t>0x000000FF000000FF) * (1 + (<uint64_t>10000 << 32)))) >> 32
    return <int64_t>x


cdef inline bint plain_cents(const unsigned char *p, Py_ssize_t n, Py_ssize_t readable, int64_t *out) noexcept nogil:
    """An amount as they mostly are ("-1234.56", "80": at most eight digits, none or two
    decimals) read eight bytes at a time into out[0] as cents; False (out untouched) for any
    other text, which `parse_number` reads. `readable` bytes may be read from p (at least n)."""
    cdef bint negative = n > 0 and p[0] == 45
    cdef Py_ssize_t m = n - negative
    cdef const unsigned char *q = p + negative
    cdef uint64_t x
    cdef int64_t whole
    cdef int d1, d2
    if 0 < m <= 8 and readable - negative >= 8:
        x = edi_load_le64(q)
        if m >= 3 and q[m - 3] == 46:  # two decimals
            d1, d2 = q[m - 2] - 48, q[m - 1] - 48
            whole = eight_digits(x, m - 3) if m > 3 else 0
            if whole >= 0 and 0 <= d1 <= 9 and 0 <= d2 <= 9:
                whole = whole * 100 + d1 * 10 + d2
                out[0] = -whole if negative else whole
                return True
        else:
            whole = eight_digits(x, m)
            if whole >= 0:
                out[0] = -whole * 100 if negative else whole * 100
                return True
    return False


cdef inline int parse_cents(const unsigned char *p, Py_ssize_t n, Py_ssize_t readable, int64_t *out) noexcept nogil:
    """`parse_number(p, n, 2, out)`, with amounts as they mostly are read by `plain_cents`."""
    if plain_cents(p, n, readable, out):
        return 0
    return parse_number(p, n, 2, out)


cdef inline int64_t parse_date(const unsigned char *p, Py_ssize_t n) noexcept nogil:
    """Days since 1970-01-01 of a CCYYMMDD date, or INT64_MIN (numpy's NaT) when it is not a
    valid one."""
    cdef Py_ssize_t q
    cdef int64_t y, m, d, era, yoe, doy, days_in_month
    cdef bint leap
    if n != 8:
        return INT64_MIN
    for q in range(8):
        if p[q] < 48 or p[q] > 57:
            return INT64_MIN
    y = (p[0] - 48) * 1000 + (p[1] - 48) * 100 + (p[2] - 48) * 10 + (p[3] - 48)
    m = (p[4] - 48) * 10 + (p[5] - 48)
    d = (p[6] - 48) * 10 + (p[7] - 48)
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days_in_month = 29 if m == 2 else 30 if m == 4 or m == 6 or m == 9 or m == 11 else 31
    if y < 1 or m < 1 or m > 12 or d < 1 or d > days_in_month or (m == 2 and d == 29 and not leap):
        return INT64_MIN
    # Days from civil (H. Hinnant): March-based years make the leap day the last of the year.
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
