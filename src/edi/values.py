"""Element values read into Python types, with findings: numbers and money as `Decimal`, dates as
`datetime.date`. The wings' object readers share this; a value that cannot be read becomes None
and a finding at its segment and element, which never quotes the value."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gc
import re
from decimal import Decimal

from .errors import Finding, FindingCode
from .model import Segment

#: An X12 R value: optional minus, digits with an optional decimal point (no exponent, no plus).
NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)\Z")
#: A CCYYMMDD date (its calendar is checked when read).
DATE = re.compile(r"\d{8}\Z")


@contextlib.contextmanager
def gc_paused():
    """Run the block without the cycle collector. An object reader makes hundreds of thousands
    of objects that link to each other (a claim and its lines) and are all kept: each collection
    the allocations trigger would walk them all again for nothing (more than half the time of
    reading a 10 MB 835)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ValueReader:
    """Reads values of segments, collecting in `findings` what could not be read."""

    findings: list[Finding]

    def _finding(self, code: FindingCode, segment: Segment, j: int) -> None:
        self.findings.append(Finding(code, dataclasses.replace(segment.location, element=j)))

    def number(self, segment: Segment, j: int, *, money: bool = False) -> Decimal | None:
        """Element j as a number: None when empty, None and BAD_AMOUNT when not a number. Money
        finer than cents is kept exact, with AMOUNT_PRECISION."""
        text = segment[j]
        if not text:
            return None
        if not NUMBER.match(text):
            self._finding(FindingCode.BAD_AMOUNT, segment, j)
            return None
        if money and len(text.partition(".")[2].rstrip("0")) > 2:
            self._finding(FindingCode.AMOUNT_PRECISION, segment, j)
        return Decimal(text)

    def amount(self, segment: Segment, j: int) -> Decimal | None:
        """Element j as money (see `number`)."""
        return self.number(segment, j, money=True)

    def date(self, segment: Segment, j: int, text: str | None = None) -> datetime.date | None:
        """Element j (or `text`, a part of it) as a CCYYMMDD date; None and BAD_DATE when it is
        not one."""
        text = segment[j] if text is None else text
        if not text:
            return None
        if DATE.match(text):
            try:
                return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                pass
        self._finding(FindingCode.BAD_DATE, segment, j)
        return None
