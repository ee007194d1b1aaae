"""Pure-Python twin of `edi._fast._envelope`: an envelope checked over whole arrays.

`regular_ranges(index)` gives the (ST, SE) positions of every transaction set when the envelope
is one that `edi.envelope._Builder` walks without a finding, and None otherwise (the builder then
walks it and reports). It is conservative: None may also mean an envelope that is merely written
in a form it does not read (a count with leading zeros, an empty segment), and the kernel and
this twin may leave different such cases to the builder. The caller rules out lowercase ids.
"""
from __future__ import annotations

import numpy as np

from ..index import element_values, pack_tag

#: The control segments that frame sets, groups and interchanges, in the order of their codes.
ENVELOPE_IDS = ("ISA", "IEA", "GS", "GE", "ST", "SE")
ISA, IEA, GS, GE, ST, SE = range(len(ENVELOPE_IDS))
#: Which code may follow which in well-nested ISA (GS (ST SE)* GE)* IEA interchanges.
FOLLOWS = np.zeros((len(ENVELOPE_IDS), len(ENVELOPE_IDS)), bool)
for _before, _after in [(ISA, GS), (ISA, IEA), (IEA, ISA), (GS, ST), (GS, GE), (ST, SE), (SE, ST), (SE, GE),
                        (GE, GS), (GE, IEA)]:
    FOLLOWS[_before, _after] = True
#: The tags of ENVELOPE_IDS in ascending order, and the code of each.
SORTED_TAGS = np.array(sorted(pack_tag(name) for name in ENVELOPE_IDS), np.uint32)
CODE_OF_SORTED = np.array([[pack_tag(name) for name in ENVELOPE_IDS].index(tag) for tag in SORTED_TAGS.tolist()])


def regular_ranges(index) -> tuple[np.ndarray, np.ndarray] | None:
    """(ST positions, SE positions), or None; see the module docstring."""
    controls = index.positions(*ENVELOPE_IDS)
    if not len(controls) or len(index._empty_segments()):
        return None
    codes = CODE_OF_SORTED[np.searchsorted(SORTED_TAGS, index.seg_tag[controls])]
    if codes[0] != ISA or codes[-1] != IEA or not FOLLOWS[codes[:-1], codes[1:]].all():
        return None
    at = [controls[codes == code] for code in range(len(ENVELOPE_IDS))]
    # Segments in sets and the interchange-level ones (envelopes, TA1) are all of them.
    in_sets = int((at[SE] - at[ST] + 1).sum())
    if in_sets + len(controls) - 2 * len(at[ST]) + len(index.positions("TA1")) != len(index):
        return None
    sets_per_group = np.searchsorted(at[ST], at[GE]) - np.searchsorted(at[ST], at[GS])
    groups_per_interchange = np.searchsorted(at[GS], at[IEA]) - np.searchsorted(at[GS], at[ISA])
    wanted = ((ST, 2), (SE, 1), (SE, 2), (GS, 6), (GE, 1), (GE, 2), (ISA, 13), (IEA, 1), (IEA, 2))
    values = element_values(index, np.concatenate([at[code] for code, _ in wanted]),
                            np.concatenate([np.full(len(at[code]), j) for code, j in wanted]))
    ends = np.cumsum([len(at[code]) for code, _ in wanted]).tolist()
    st02, se01, se02, gs06, ge01, ge02, isa13, iea01, iea02 = (
        values[start:end] for start, end in zip([0] + ends, ends))
    if se02 != st02 or ge02 != gs06 or iea02 != isa13:
        return None
    for written, counts in ((se01, at[SE] - at[ST] + 1), (ge01, sets_per_group), (iea01, groups_per_interchange)):
        if written != [b"%d" % count for count in counts.tolist()]:
            return None
    # Control numbers unique where the builder asks it: ISA13 (stripped) in the file, GS06 in its
    # interchange, ST02 in its group. Text compares as bytes do when it is ASCII.
    if not all(value.isascii() for value in isa13 + gs06):
        return None
    if len({value.strip() for value in isa13}) != len(isa13):
        return None
    for numbers, containers, parents in ((gs06, at[GS], at[ISA]), (st02, at[ST], at[GS])):
        owner = np.searchsorted(parents, containers, "right").tolist()
        if len(set(zip(owner, numbers))) != len(numbers):
            return None
    return at[ST], at[SE]
