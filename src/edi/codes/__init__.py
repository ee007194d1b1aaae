"""Code data: claim adjustment reason codes (CARC) with our own categories, and CLP02 claim status.

Only codes and labels written by this project ship here, never X12 or CMS description text
(DOMAIN.md 4.2): `carc.json` maps each CARC to a category id of ours (DOMAIN.md 4.4), whether it
counts as a denial, whether that denial is "soft" (bundling) and whether the code is deactivated.

    >>> carc_category("45").category, carc_category("45").denial
    ('contractual', False)
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

#: The category of a CARC that is not in the table.
UNCLASSIFIED = "unclassified"

#: CLP02 claim status codes, in our own short words (DOMAIN.md 3.2).
CLAIM_STATUS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of a previous payment",
    "23": "not our claim, forwarded",
    "25": "predetermination pricing only, no payment",
}


@dataclass(frozen=True, slots=True)
class CarcCategory:
    """What we know about one CARC. `denial` is False for unclassified codes: whether one of
    them denies depends on the line (DOMAIN.md 4.4: a denial when nothing is paid, outside PR)."""

    code: str
    category: str
    denial: bool
    soft: bool = False  # a bundling denial, left out of hard denial rates by default
    deactivated: bool = False  # stopped, but still seen on reversals and old remits

    @property
    def label(self) -> str:
        """The category's short label, in our words."""
        return _table()["categories"][self.category]


@functools.cache
def _table() -> dict:
    return json.loads(resources.files(__package__).joinpath("carc.json").read_text(encoding="utf-8"))


@functools.cache
def carc_category(code: str) -> CarcCategory:
    """The category of a CARC (`"45"`, `"B13"`); unknown codes are UNCLASSIFIED."""
    code = code.strip().upper()
    entry = _table()["codes"].get(code)
    if entry is None:
        return CarcCategory(code, UNCLASSIFIED, False)
    return CarcCategory(code, entry["category"], entry["denial"], entry.get("soft", False),
                        entry.get("deactivated", False))


__all__ = ["CLAIM_STATUS", "UNCLASSIFIED", "CarcCategory", "carc_category"]
