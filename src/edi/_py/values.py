"""Number and date parsing shared by the pure-Python kernels: the twin of `edi._fast._values`
(same arguments, same results)."""
from __future__ import annotations

import numpy as np

NUMBER_BAD, NUMBER_INEXACT = 1, 2
#: What `parse_date` returns for a date that is not one (numpy's NaT).
NOT_A_DATE = int(np.iinfo(np.int64).min)
DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_number(raw: bytes, scale: int) -> tuple[int, int]:
    """(value, result) of an X12 R number (optional minus, digits, optional point: nothing
    else) in units of 10**-scale, rounded half-even; result 0, NUMBER_INEXACT or NUMBER_BAD."""
    unit = 10**scale
    limit = (2**63 - 1 - unit) // unit  # whole * unit + unit fits an int64
    n = len(raw)
    negative = n > 0 and raw[0] == 0x2D  # "-"
    pos = int(negative)
    whole = 0
    while pos < n and 0x30 <= raw[pos] <= 0x39:
        whole = whole * 10 + raw[pos] - 0x30
        if whole > limit:
            return 0, NUMBER_BAD
        pos += 1
    digits = pos - negative
    fraction = dropped = decimals = 0
    sticky = False
    if pos < n and raw[pos] == 0x2E:  # "."
        pos += 1
        while pos < n and 0x30 <= raw[pos] <= 0x39:
            d = raw[pos] - 0x30
            if decimals < scale:
                fraction = fraction * 10 + d
            elif decimals == scale:
                dropped = d
            else:
                sticky = sticky or d != 0
            decimals += 1
            pos += 1
    if pos != n or digits + decimals == 0:
        return 0, NUMBER_BAD
    value = whole * unit + fraction * 10 ** max(scale - decimals, 0)
    if dropped > 5 or (dropped == 5 and (sticky or value & 1)):
        value += 1
    return (-value if negative else value), (NUMBER_INEXACT if dropped or sticky else 0)


def parse_date(raw: bytes) -> int:
    """Days since 1970-01-01 of a CCYYMMDD date, or NOT_A_DATE when it is not a valid one."""
    if len(raw) != 8 or not all(0x30 <= b <= 0x39 for b in raw):
        return NOT_A_DATE
    y, m, d = int(raw[:4]), int(raw[4:6]), int(raw[6:])
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if y < 1 or not 1 <= m <= 12 or not 1 <= d <= DAYS_IN_MONTH[m] or (m == 2 and d == 29 and not leap):
        return NOT_A_DATE
    # Days from civil (H. Hinnant): March-based years make the leap day the last of the year.
    y -= m <= 2
    era, yoe = divmod(y, 400)
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
