"""Delimiters and version of an interchange, read from its ISA header.

The ISA is fixed-width (106 bytes with its terminator), so a clean header gives its separators at
fixed offsets: element `[3]`, repetition `[82]` (ISA11, from version 00402 on), component `[104]`
(ISA16) and segment terminator `[105]`. Real files bend this: fields trimmed or padded so the ISA
is 78 or 122 bytes, spaces after ISA16, multi-byte UTF-8 characters as separators. Lenient sniffing
finds the 16 element separators by scanning and reports each repair as a finding; strict sniffing
raises `EdiSyntaxError` at the first deviation.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import EdiSyntaxError, Finding, FindingCode, Location

#: Offsets of the 16 element separators in a standard 106-byte ISA.
ISA_SEPARATOR_OFFSETS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
ISA_LENGTH = 106
#: Fixed-width ISA fields that TR3 documents print padded with '.' instead of spaces.
ISA_PADDED_FIELDS = (2, 4, 6, 8)
#: How far past "ISA" a lenient scan looks for the 16 element separators.
ISA_SCAN_LIMIT = 512
#: Bytes treated as layout between segments (never data when they follow a terminator).
WHITESPACE = b" \t\r\n\x00\x0b\x0c"


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four X12 separators as bytes. `repetition` is None when the interchange has none
    (ISA12 before 00402, or an alphabetic ISA11)."""

    element: bytes = b"*"
    component: bytes = b":"
    repetition: bytes | None = b"^"
    segment: bytes = b"~"


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one interchange is written: its delimiters, ISA12 version, and where its ISA lies
    (`isa_start` is None for a file with no ISA; `isa_end` is the ISA terminator's offset)."""

    delimiters: Delimiters
    version: str | None
    isa_start: int | None
    isa_end: int | None


def utf8_char_length(buf: bytes, pos: int) -> int:
    """Byte length of the UTF-8 character starting at `pos` (1 for ASCII or invalid UTF-8)."""
    lead = buf[pos]
    need = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4 if lead < 0xF8 else 1
    if pos + need > len(buf) or any(not 0x80 <= b < 0xC0 for b in buf[pos + 1 : pos + need]):
        return 1
    return need


def looks_like_isa(buf: bytes, pos: int) -> bool:
    """True when `pos` starts "ISA", a plausible element separator, and 15 more of them."""
    return (
        buf.startswith(b"ISA", pos)
        and pos + 3 < len(buf)
        and is_separator_byte(buf[pos + 3])
        and buf.count(buf[pos + 3 : pos + 4], pos + 3, pos + ISA_SCAN_LIMIT) >= 16
    )


def is_separator_byte(byte: int) -> bool:
    """A byte may separate when it is not a letter, digit or whitespace."""
    return not (chr(byte).isalnum() and byte < 0x80) and byte not in WHITESPACE


def find_next_isa(buf: bytes, pos: int) -> int:
    """Offset of the next "ISA" header at or after `pos`, or -1. A header starts where the scan
    does or after a segment's end: "ISA" after a letter or digit ("LISA") or after its own
    element separator ("NM1*IL*1*ISA*") is text inside a segment, not a header."""
    start = pos
    while True:
        pos = buf.find(b"ISA", pos)
        if pos < 0:
            return pos
        before = buf[pos - 1] if pos > start else None
        inside = before is not None and (
            (chr(before).isalnum() and before < 0x80) or (pos + 3 < len(buf) and before == buf[pos + 3])
        )
        if not inside and looks_like_isa(buf, pos):
            return pos
        pos += 3


def sniff_isa(buf: bytes, pos: int, strict: bool, segment_number: int) -> tuple[Dialect, list[Finding]]:
    """Read the delimiters of the interchange whose "ISA" starts at `pos`."""
    findings: list[Finding] = []

    def located(element: int | None = None, at: int = pos) -> Location:
        return Location(byte_offset=at, segment_number=segment_number, segment_id="ISA", element=element)

    def repair(code: FindingCode, element: int | None = None, at: int = pos, detail: str = "") -> None:
        if strict:
            raise EdiSyntaxError(code.description, located(element, at))
        findings.append(Finding(code, located(element, at), detail))

    element = buf[pos + 3 : pos + 4]
    separators = []
    cursor = pos + 3
    limit = min(len(buf), pos + ISA_SCAN_LIMIT)
    while len(separators) < 16:
        cursor = buf.find(element, cursor, limit)
        if cursor < 0:
            raise EdiSyntaxError(f"ISA has {len(separators)} of 16 element separators", located(len(separators) + 1))
        separators.append(cursor)
        cursor += 1

    component_at = separators[15] + 1
    if component_at >= len(buf):
        raise EdiSyntaxError("ISA ends before ISA16", located(16, component_at))
    component = buf[component_at : component_at + utf8_char_length(buf, component_at)]
    terminator_at = component_at + len(component)
    if terminator_at < len(buf) and buf[terminator_at] in b" \t":
        padded_from = terminator_at
        while terminator_at < len(buf) and buf[terminator_at] in b" \t":
            terminator_at += 1
        repair(FindingCode.TERMINATOR_REPAIRED, 16, padded_from)
    if terminator_at >= len(buf):
        raise EdiSyntaxError("ISA has no segment terminator", located(16, terminator_at))
    terminator = buf[terminator_at : terminator_at + utf8_char_length(buf, terminator_at)]

    standard = (
        [s - pos for s in separators] == list(ISA_SEPARATOR_OFFSETS)
        and len(component) == 1
        and terminator_at == pos + ISA_LENGTH - 1
    )
    if not standard:
        misplaced = next(
            (i + 1 for i, (s, o) in enumerate(zip(separators, ISA_SEPARATOR_OFFSETS)) if s - pos != o), 16
        )
        repair(FindingCode.ISA_LENGTH, misplaced, detail=f"{terminator_at + len(terminator) - pos} bytes")

    fields = [buf[a + 1 : b] for a, b in zip(separators, separators[1:] + [component_at])]
    for number in ISA_PADDED_FIELDS:
        if fields[number - 1].endswith(b".."):
            repair(FindingCode.ISA_DOT_PADDING, number, separators[number - 1] + 1)

    _check_distinct(element, component, terminator, located)
    version = fields[11].strip().decode("ascii", "replace")
    repetition = _repetition_separator(fields[10], version, (element, component, terminator))
    if repetition is None and version >= "00402" and fields[10].strip() not in (b"U", b""):
        findings.append(Finding(FindingCode.NO_REPETITION_SEPARATOR, located(11, separators[10] + 1)))
    delimiters = Delimiters(element, component, repetition, terminator)
    return Dialect(delimiters, version, pos, terminator_at), findings


def _repetition_separator(isa11: bytes, version: str, others: tuple[bytes, ...]) -> bytes | None:
    """ISA11 is the repetition separator from 00402 on, unless it is a letter, a digit, a space
    or clashes with another separator (4010-era software writes "U" into 5010 files)."""
    if version < "00402" or len(isa11) == 0 or isa11 in others:
        return None
    if len(isa11) == 1 and not is_separator_byte(isa11[0]):
        return None
    return isa11


def _check_distinct(element: bytes, component: bytes, terminator: bytes, located) -> None:
    if not is_separator_byte(element[0]):
        raise EdiSyntaxError("element separator is a letter, digit or space", located(None, None))
    if element[0] in (component[0], terminator[0]):
        raise EdiSyntaxError("element separator clashes with the component separator or terminator", located(16))
    if component in (element, terminator) or (len(component) == 1 and not is_separator_byte(component[0])):
        raise EdiSyntaxError("component separator is invalid or clashes", located(16))
    if terminator == element or (len(terminator) == 1 and chr(terminator[0]).isalnum() and terminator[0] < 0x80):
        raise EdiSyntaxError("segment terminator is invalid or clashes", located(16))


def guess_headerless(buf: bytes, pos: int, segment_number: int) -> Dialect:
    """Delimiters for a file that starts at GS or ST with no ISA: the element separator follows
    the segment id; the terminator is the first byte after it that is not data-like."""
    location = Location(byte_offset=pos, segment_number=segment_number)
    tag_end = pos
    while tag_end < len(buf) and tag_end - pos < 3 and chr(buf[tag_end]).isalnum():
        tag_end += 1
    if tag_end - pos < 2 or tag_end >= len(buf) or not is_separator_byte(buf[tag_end]):
        raise EdiSyntaxError("no ISA header and no X12 segment", location)
    element = buf[tag_end : tag_end + 1]
    cursor = tag_end + 1
    while cursor < len(buf):
        byte = buf[cursor]
        if byte in b"\r\n" or (byte != element[0] and byte not in b" .-_" and not chr(byte).isalnum()):
            break
        cursor += 1
    if cursor >= len(buf):
        raise EdiSyntaxError("no segment terminator found", location)
    terminator = buf[cursor : cursor + utf8_char_length(buf, cursor)]
    component = b">" if terminator == b":" else b":"
    return Dialect(Delimiters(element, component, None, terminator), None, None, None)
