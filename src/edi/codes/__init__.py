"""Code data: CARC, RARC, CLP02 claim statuses, CAS group codes and PLB reasons, with our own
short labels and root-cause categories, and the denial playbooks.

Each list is a versioned JSON file in this package (`versions()`). Only codes, and labels and
categories written by this project, ship here, never X12 or CMS description text (DOMAIN.md
4.2): `load_descriptions` reads the official descriptions from a CSV file the user supplies, and
`description`, `Carc.description` and every report use them when present.

    >>> carc("97").category, carc("97").kind, carc("97").active
    ('bundling', 'soft', True)
    >>> label("group", "PR")
    'patient responsibility'
"""
from __future__ import annotations

import csv
import datetime
import functools
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import EdiError

#: The category of a CARC that is not in the table.
UNCLASSIFIED = "unclassified"
#: The code lists, by the name `label`, `description` and description files use.
LISTS = {"carc": "carc.json", "rarc": "rarc.json", "claim_status": "claim_status.json", "group": "groups.json",
         "plb": "plb.json"}


@functools.cache
def _data(name: str) -> dict:
    """A JSON file of this package, read once."""
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def versions() -> dict[str, str]:
    """The version of each bundled data file (code lists and playbooks)."""
    return {name: _data(file)["version"] for name, file in {**LISTS, "playbooks": "playbooks.json"}.items()}


def label(list_name: str, code: str) -> str:
    """Our short label of a code ("" when the code is not in the list, or the list has no labels)."""
    if list_name == "rarc":
        return ""
    entry = _data(LISTS[list_name])["codes"].get(_normal(code))
    return entry["label"] if entry else ""


#: Our root-cause categories of CARCs (DOMAIN.md 4.4): id -> label.
CATEGORIES: dict[str, str] = dict(_data("carc.json")["categories"])
#: CLP02 claim status codes and their labels (DOMAIN.md 3.2).
CLAIM_STATUS = {code: entry["label"] for code, entry in _data("claim_status.json")["codes"].items()}
#: The CLP02 statuses of claims adjudicated for payment (primary, secondary, tertiary, forwarded).
ADJUDICATED = frozenset(code for code, entry in _data("claim_status.json")["codes"].items() if entry.get("adjudicated"))


@dataclass(frozen=True, slots=True)
class Carc:
    """What we know about one claim adjustment reason code.

    `denial` is False for unclassified codes: whether one of them denies depends on the line
    (DOMAIN.md 4.4: a denial when nothing is paid, outside PR). `kind` is "hard" or "soft" for a
    denial code ("soft": bundling), "" otherwise. `refine`: a generic code (16, A1, 125) whose
    category the remark codes refine (DOMAIN.md 4.3)."""

    code: str
    category: str
    denial: bool
    soft: bool = False  # a bundling denial, left out of hard denial rates by default
    deactivated: bool = False  # stopped, but still seen on reversals and old remits
    refine: bool = False
    known: bool = True  # False: not in our table (UNCLASSIFIED)
    label: str = ""  # our short label of the code; for a code not in the table, its category's

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    @property
    def kind(self) -> str:
        return ("soft" if self.soft else "hard") if self.denial else ""

    @property
    def active(self) -> bool | None:
        """False when stopped (by our table, or by a stop date in loaded descriptions); None when
        the code is in neither."""
        return _active("carc", self.code, self.deactivated if self.known else None)

    @property
    def description(self) -> str:
        """The official description, when the user loaded one (`load_descriptions`)."""
        return description("carc", self.code)


#: The name `edi.remittance` uses for `Carc`.
CarcCategory = Carc


@functools.cache
def carc(code: str) -> Carc:
    """What we know about a CARC (`"45"`, `"B13"`); unknown codes are UNCLASSIFIED."""
    code = _normal(code)
    entry = _data("carc.json")["codes"].get(code)
    if entry is None:
        return Carc(code, UNCLASSIFIED, False, known=False, label=CATEGORIES[UNCLASSIFIED])
    return Carc(code, entry["category"], entry["denial"], entry.get("soft", False), entry.get("deactivated", False),
                entry.get("refine", False), label=entry["label"])


#: The name `edi.remittance` uses for `carc`.
carc_category = carc


def carcs() -> dict[str, Carc]:
    """Every CARC of our table."""
    return {code: carc(code) for code in _data("carc.json")["codes"]}


@dataclass(frozen=True, slots=True)
class Rarc:
    """What we know about one remittance advice remark code: whether pyx12's list has it, and
    the root-cause category it gives a generic CARC ("" for most: alerts and details)."""

    code: str
    category: str
    known: bool
    deactivated: bool = False

    @property
    def active(self) -> bool | None:
        """False when stopped (our list, or a stop date in loaded descriptions), None when unknown:
        we bundle no verified status for remark codes."""
        return _active("rarc", self.code, True if self.deactivated else None)

    @property
    def description(self) -> str:
        return description("rarc", self.code)


@functools.cache
def rarc(code: str) -> Rarc:
    """What we know about a RARC (`"N290"`)."""
    code = _normal(code)
    data = _rarc_data()
    return Rarc(code, data["categories"].get(code, ""), code in data["codes"], code in data["deactivated"])


def rarcs() -> dict[str, Rarc]:
    """Every RARC of our list."""
    return {code: rarc(code) for code in _data("rarc.json")["codes"]}


@functools.cache
def _rarc_data() -> dict:
    data = _data("rarc.json")
    return {"categories": data["categories"], "codes": frozenset(data["codes"]),
            "deactivated": frozenset(data["deactivated"])}


def _normal(code: str) -> str:
    return code.strip().upper()


# --- official descriptions, supplied by the user ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Description:
    text: str
    stop: datetime.date | None


_descriptions: dict[tuple[str, str], _Description] | None = None  # None: the default file is not read yet


def descriptions_path() -> Path:
    """Where remembered descriptions live: $EDI_DESCRIPTIONS, else edi/descriptions.csv in the
    user's cache directory ($XDG_CACHE_HOME or ~/.cache). Read on first use when it exists."""
    if os.environ.get("EDI_DESCRIPTIONS"):
        return Path(os.environ["EDI_DESCRIPTIONS"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "edi" / "descriptions.csv"


def _loaded() -> dict[tuple[str, str], _Description]:
    global _descriptions
    if _descriptions is None:
        path = descriptions_path()
        _descriptions = _read_descriptions(path, None) if path.is_file() else {}
    return _descriptions


def load_descriptions(path: str | os.PathLike, list_name: str | None = None, *, remember: bool = False) -> int:
    """Read official code descriptions from a CSV file (for example from an X12 code-list
    subscription) and use them from now on; returns how many were read.

    The file has a header line with the columns `code` and `description`, and optionally `list`
    (carc, rarc, claim_status, group, plb: else every row is of `list_name`) and `stop_date`
    (YYYY-MM-DD or MM/DD/YYYY: a code whose stop date has passed is not active). With
    `remember`, every description loaded so far is also written to `descriptions_path()`, so
    that later runs find them without being told."""
    if list_name is not None and list_name not in LISTS:
        raise EdiError(f"unknown code list {list_name!r} (known: {', '.join(LISTS)})")
    rows = _read_descriptions(Path(path), list_name)
    _loaded().update(rows)
    if remember:
        _write_descriptions(descriptions_path())
    return len(rows)


def clear_descriptions() -> None:
    """Forget the descriptions loaded in this process (the remembered file stays)."""
    global _descriptions
    _descriptions = {}


def description(list_name: str, code: str) -> str:
    """The official description of a code, when loaded ("" otherwise)."""
    found = _loaded().get((list_name, _normal(code)))
    return found.text if found else ""


def _active(list_name: str, code: str, deactivated: bool | None) -> bool | None:
    found = _loaded().get((list_name, code))
    if found is not None and found.stop is not None:
        return found.stop > datetime.date.today()
    return None if deactivated is None else not deactivated


def _read_descriptions(path: Path, list_name: str | None) -> dict[tuple[str, str], _Description]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [name.strip().lower().replace(" ", "_") for name in next(reader, [])]
        if not {"code", "description"} <= set(header):
            raise EdiError(f"{path}: the header needs the columns code and description")
        if "list" not in header and list_name is None:
            raise EdiError(f"{path}: no list column: say which code list the file holds")
        rows = {}
        for number, values in enumerate(reader, 2):
            if not any(values):
                continue
            row = dict(zip(header, (value.strip() for value in values)))
            which = row.get("list") or list_name
            if which not in LISTS:
                raise EdiError(f"{path}: line {number}: unknown code list (known: {', '.join(LISTS)})")
            rows[which, _normal(row.get("code", ""))] = _Description(row.get("description", ""),
                                                                   _date(row.get("stop_date", ""), path, number))
    return rows


def _date(text: str, path: Path, number: int) -> datetime.date | None:
    if not text:
        return None
    for layout in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.datetime.strptime(text, layout).date()
        except ValueError:
            pass
    raise EdiError(f"{path}: line {number}: stop_date is not YYYY-MM-DD or MM/DD/YYYY")


def _write_descriptions(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["list", "code", "description", "stop_date"])
        for (which, code), found in sorted(_loaded().items()):
            writer.writerow([which, code, found.text, found.stop.isoformat() if found.stop else ""])
    os.replace(partial, path)


# --- playbooks -------------------------------------------------------------------------------------

PLAYBOOK_FIELDS = {"label", "correct", "attach", "owner", "action", "turn_days"}


def playbooks(path: str | os.PathLike | None = None) -> dict:
    """The denial playbooks (playbooks.json): `owners`, `actions` and `playbooks` by key
    (a category, or "category:kind" for a kind that needs another playbook). A user file of the
    same layout overrides them: its owners and actions are added, and each of its playbooks
    replaces the fields it gives of ours (or is added). The result is checked."""
    merged = json.loads(json.dumps(_data("playbooks.json")))  # a copy the caller may change
    if path is not None:
        try:
            with open(path, encoding="utf-8") as f:
                user = json.load(f)
        except (OSError, ValueError) as error:
            raise EdiError(f"{path}: cannot read playbooks ({error.__class__.__name__})") from None
        for section in ("owners", "actions"):
            merged[section].update(user.get(section, {}))
        for key, fields in user.get("playbooks", {}).items():
            merged["playbooks"][key] = {**merged["playbooks"].get(key, {}), **fields}
    _check_playbooks(merged, path)
    return merged


def _check_playbooks(book: dict, path) -> None:
    where = f"{path}: " if path is not None else ""
    for key, entry in book["playbooks"].items():
        if set(entry) != PLAYBOOK_FIELDS:
            raise EdiError(f"{where}playbook {key!r} needs exactly the fields {', '.join(sorted(PLAYBOOK_FIELDS))}")
        if entry["owner"] not in book["owners"] or entry["action"] not in book["actions"]:
            raise EdiError(f"{where}playbook {key!r} names an owner or an action that is not defined")
        if not isinstance(entry["turn_days"], int) or entry["turn_days"] < 0 or not isinstance(entry["attach"], list):
            raise EdiError(f"{where}playbook {key!r}: turn_days is a number of days, attach a list")


__all__ = [
    "ADJUDICATED", "CATEGORIES", "CLAIM_STATUS", "LISTS", "UNCLASSIFIED", "Carc", "CarcCategory", "Rarc", "carc",
    "carc_category", "carcs", "clear_descriptions", "description", "descriptions_path", "label", "load_descriptions",
    "playbooks", "rarc", "rarcs", "versions",
]
