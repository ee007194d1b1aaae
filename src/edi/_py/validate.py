"""Pure-Python twin of `edi._fast._validate.check_elements`: the element checks of SNIP 1-2
(usage, length, type, code values, repetitions, components, syntax rules) over a schema's
`edi.validate.Rules`. Same arguments, same result; the tests run both and require equality.

A result row is (n + 1 for the n-th segment checked, element, component, repetition, error):
element positions are 1-based as in X12 (component and repetition 0 when they do not apply),
and the error is one of the `E_*` numbers below, which `edi.validate` turns into findings.
"""
from __future__ import annotations

import numpy as np

# Element errors; the numbers are the 999 IK403 codes where those are numeric (I10 is 14).
E_REQUIRED, E_CONDITIONAL, E_TOO_MANY_ELEMENTS, E_TOO_SHORT, E_TOO_LONG = 1, 2, 3, 4, 5
E_CHARACTER, E_CODE, E_DATE, E_TIME, E_EXCLUSION = 6, 7, 8, 9, 10
E_REPETITIONS, E_COMPONENTS, E_NOT_USED = 12, 13, 14

# Element types and usages as the Rules arrays store them.
# T_PERIOD is data element 1251 (date time period), whose format the element before it names.
T_AN, T_ID, T_N, T_R, T_DT, T_TM, T_COMPOSITE, T_PERIOD = 0, 1, 2, 3, 4, 5, 6, 7
U_REQUIRED, U_SITUATIONAL, U_NOT_USED = 0, 1, 2
# Syntax rule kinds (X12 relational conditions).
R_PAIRED, R_REQUIRED, R_EXCLUSION, R_CONDITIONAL, R_LIST = 0, 1, 2, 3, 4

DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def check_elements(index, positions, seg_node, component: bytes, repetition: bytes, rules) -> np.ndarray:
    """Check each segment `positions[n]` of the index placed on schema segment `seg_node[n]`
    (>= 0) against its element rules; returns the errors as an (m, 5) int32 array in order,
    their first column being n + 1. Repetitions and components are split only on single-byte
    separators."""
    component = component if len(component) == 1 else b""
    repetition = repetition if len(repetition) == 1 else b""
    if len(positions) != len(seg_node):
        raise ValueError("positions and seg_node differ in length")
    if len(positions) and (min(positions) < 0 or max(positions) >= len(index.seg_start)):
        raise IndexError("segment positions outside the index")
    out: list[tuple] = []
    buf, seg_start, seg_len = index.buf, index.seg_start, index.seg_len
    elem_ptr, elem_offset = index.elem_ptr, index.elem_offset
    for n, (i, s) in enumerate(zip(np.asarray(positions).tolist(), np.asarray(seg_node).tolist())):
        if s < 0:
            continue
        start, end = int(seg_start[i]), int(seg_start[i]) + int(seg_len[i])
        e0, e1 = int(elem_ptr[i]), int(elem_ptr[i + 1])
        values = [buf[start + int(elem_offset[e]) : (start + int(elem_offset[e + 1]) - 1 if e + 1 < e1 else end)]
                  for e in range(e0, e1)]
        d0, r0 = int(rules.seg_def_first[s]), int(rules.seg_rule_first[s])
        _check_segment(out, n + 1, values, d0, d0 + int(rules.seg_def_count[s]),
                       r0, r0 + int(rules.seg_rule_count[s]), component, repetition, rules)
    return np.array(out, dtype=np.int32).reshape(-1, 5)


def _check_segment(out, pos, values, d0, d1, r0, r1, component, repetition, rules) -> None:
    defined = d1 - d0
    for j, value in enumerate(values[:defined]):
        _check_element(out, pos, j + 1, value, d0 + j, component, repetition, rules)
        if value and j and rules.type[d0 + j] == T_PERIOD and not _is_period(values[j - 1], value):
            out.append((pos, j + 1, 0, 0, E_DATE))
    for j in range(len(values), defined):
        if rules.usage[d0 + j] == U_REQUIRED:
            out.append((pos, j + 1, 0, 0, E_REQUIRED))
    if len(values) > defined:  # empty ones too: X12 forbids trailing separators
        out.append((pos, defined + 1, 0, 0, E_TOO_MANY_ELEMENTS))
    present = [bool(v) for v in values[:defined]]
    _check_rules(out, pos, 0, present, r0, r1, rules)


def _check_element(out, pos, j, value, d, component, repetition, rules) -> None:
    if not value:
        if rules.usage[d] == U_REQUIRED:
            out.append((pos, j, 0, 0, E_REQUIRED))
        return
    if rules.usage[d] == U_NOT_USED:
        out.append((pos, j, 0, 0, E_NOT_USED))
        return
    parts = value.split(repetition) if repetition else [value]
    if len(parts) > rules.repeat[d]:
        out.append((pos, j, 0, 0, E_REPETITIONS))
    numbered = rules.repeat[d] > 1
    for n, part in enumerate(parts, 1):
        rep = n if numbered else 0
        if rules.type[d] == T_COMPOSITE:
            _check_composite(out, pos, j, rep, part, d, component, rules)
        elif part:
            _check_value(out, pos, j, 0, rep, part, d, rules)


def _check_composite(out, pos, j, rep, value, d, component, rules) -> None:
    c0, count = int(rules.comp_first[d]), int(rules.comp_count[d])
    parts = value.split(component) if component else [value]
    if len(parts) > count and any(parts[count:]):
        out.append((pos, j, 0, rep, E_COMPONENTS))
    if not any(parts):
        if rules.usage[d] == U_REQUIRED:
            out.append((pos, j, 0, rep, E_REQUIRED))
        return
    for c in range(count):
        part = parts[c] if c < len(parts) else b""
        if part:
            if rules.usage[c0 + c] == U_NOT_USED:
                out.append((pos, j, c + 1, rep, E_NOT_USED))
            else:
                _check_value(out, pos, j, c + 1, rep, part, c0 + c, rules)
        elif rules.usage[c0 + c] == U_REQUIRED:
            out.append((pos, j, c + 1, rep, E_REQUIRED))
    present = [bool(parts[c]) if c < len(parts) else False for c in range(count)]
    r0 = int(rules.def_rule_first[d])
    _check_rules(out, pos, j, present, r0, r0 + int(rules.def_rule_count[d]), rules)


def _check_value(out, pos, j, c, rep, value: bytes, d, rules) -> None:
    """Type, length and code of one non-empty simple value."""
    kind = rules.type[d]
    length = len(value)
    if kind == T_N or kind == T_R:
        length = sum(1 for b in value if 48 <= b <= 57)
        if not _is_number(value, kind == T_R):
            out.append((pos, j, c, rep, E_CHARACTER))
    elif kind == T_DT:
        if not _is_date(value):
            out.append((pos, j, c, rep, E_DATE))
        return  # a date's length is part of its validity
    elif kind == T_TM:
        if not _is_time(value):
            out.append((pos, j, c, rep, E_TIME))
        return
    elif any(b < 32 or b == 127 for b in value):
        out.append((pos, j, c, rep, E_CHARACTER))
    if length < rules.min_length[d]:
        out.append((pos, j, c, rep, E_TOO_SHORT))
    elif length > rules.max_length[d]:
        out.append((pos, j, c, rep, E_TOO_LONG))
    code_set = rules.code_set[d]
    if code_set >= 0 and value not in rules.code_sets[code_set]:
        out.append((pos, j, c, rep, E_CODE))


def _check_rules(out, pos, j, present, r0, r1, rules) -> None:
    """X12 syntax rules over which elements (or components, when j > 0) are present."""
    for r in range(r0, r1):
        refs = rules.rule_refs[rules.rule_ref_first[r] : rules.rule_ref_first[r + 1]].tolist()
        have = [n <= len(present) and present[n - 1] for n in refs]
        kind = rules.rule_kind[r]
        if kind == R_PAIRED and any(have):
            missing = [n for n, h in zip(refs, have) if not h]
        elif kind == R_REQUIRED and not any(have):
            missing = refs[:1]
        elif kind == R_CONDITIONAL and have[0]:
            missing = [n for n, h in zip(refs[1:], have[1:]) if not h]
        elif kind == R_LIST and have[0] and not any(have[1:]):
            missing = refs[1:2]
        elif kind == R_EXCLUSION and sum(have) > 1:
            extra = [n for n, h in zip(refs, have) if h][1:]
            out.extend(_at(pos, j, n, E_EXCLUSION) for n in extra)
            continue
        else:
            continue
        out.extend(_at(pos, j, n, E_CONDITIONAL) for n in missing)


def _at(pos, j, n, error):
    """The row for element n, or component n of element j when checking inside a composite."""
    return (pos, j, n, 0, error) if j else (pos, n, 0, 0, error)


def _is_number(value: bytes, decimal: bool) -> bool:
    body = value[1:] if value[:1] == b"-" else value
    if decimal:
        whole, dot, fraction = body.partition(b".")
        digits = whole + fraction
        return bool(digits) and digits.isdigit()
    return body.isdigit()


def _is_date(value: bytes) -> bool:
    """CCYYMMDD, or YYMMDD for the envelope's 6-digit dates."""
    if not value.isdigit() or len(value) not in (6, 8):
        return False
    month, day = int(value[-4:-2]), int(value[-2:])
    if not 1 <= month <= 12 or not 1 <= day <= DAYS_IN_MONTH[month - 1]:
        return False
    year = int(value[:-4]) if len(value) == 8 else 2000 + int(value[:2])
    return month != 2 or day < 29 or (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))


def _is_period(qualifier: bytes, value: bytes) -> bool:
    """A date time period in the format its qualifier (data element 1250) names; formats other
    than these dates and times are not checked."""
    if qualifier == b"D8":
        return len(value) == 8 and _is_date(value)
    if qualifier == b"RD8":
        start, dash, end = value.partition(b"-")
        return bool(dash) and len(start) == len(end) == 8 and _is_date(start) and _is_date(end)
    if qualifier == b"DT":
        return len(value) == 12 and _is_date(value[:8]) and _is_time(value[8:])
    if qualifier == b"TM":
        return _is_time(value)
    return True


def _is_time(value: bytes) -> bool:
    """HHMM, HHMMSS, or HHMMSS with 1-2 decimal seconds."""
    if not value.isdigit() or len(value) not in (4, 6, 7, 8):
        return False
    return int(value[:2]) < 24 and int(value[2:4]) < 60 and (len(value) == 4 or int(value[4:6]) < 60)
