"""Deterministic generator of large, valid HIPAA 5010 X12 files (835 and 837P).

Benchmarks and tests need realistic inputs of any size (1 MB to 1 GB) that
cannot live in the repository.  This module builds them from a seed:

* ``generate_835`` / ``generate_837p`` return one interchange as bytes;
* ``iter_835`` / ``iter_837p`` yield the same bytes transaction by transaction,
  so ``write_file`` and the command line can stream 1 GB with bounded memory.

Every file is one ISA/IEA interchange holding one GS/GE group of ST/SE
transactions, with correct SE/GE/IEA counts and control numbers and a 106-byte
ISA.  835 amounts balance by construction (see DOMAIN.md 3.5): each service
line's paid amount is its charge minus its CAS amounts, each claim's CLP04 is
the sum of its line payments minus its claim-level CAS, CLP05 is the sum of
all PR adjustments, and BPR02 is the sum of CLP04 minus the PLB amounts.  837P
claim charges are the exact sum of their line charges.  Money is always
``Decimal`` with two places.

Output depends only on (target size, seed, options): dates derive from the
seed, never from the clock, and only ``random.Random`` draws whose algorithms
are stable across versions are used (random, randrange, choice, sample), so the
bytes are identical on every machine and Python >= 3.11.

Command line (sizes use binary units: 1KB = 2**10, 1MB = 2**20, 1GB = 2**30
bytes; KiB/MiB/GiB are accepted as synonyms, a bare number is bytes)::

    python benchmarks/generate.py 835 50MB out.835 [--seed N] [--newline]
    python benchmarks/generate.py 837p 1GB out.837 --seed 7
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from random import Random
from typing import NamedTuple

__all__ = ["generate_835", "generate_837p", "iter_835", "iter_837p", "write_file"]

# Segments are written with literal "*" (element) and ":" (component) separators;
# no element repeats, but ISA11 still declares the 5010 repetition separator.
SEGMENT_TERMINATOR = "~"
COMPONENT_SEPARATOR = ":"
REPETITION_SEPARATOR = "^"

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

Adjustment = tuple[str, str, Decimal]  # CAS (group code, CARC, amount)

# ---------------------------------------------------------------------------
# Reference pools.  Everything is upper case and free of delimiter characters.
# Names, payers and practices are fictional; codes are real, valid values.
# ---------------------------------------------------------------------------

LAST_NAMES = (
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS",
    "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON",
    "THOMAS", "TAYLOR", "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON",
    "WHITE", "HARRIS", "SANCHEZ", "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "WALKER",
    "YOUNG", "ALLEN", "KING", "WRIGHT", "SCOTT", "TORRES", "NGUYEN", "HILL", "FLORES",
    "GREEN", "ADAMS", "NELSON", "BAKER", "HALL", "RIVERA", "CAMPBELL", "MITCHELL",
    "CARTER", "ROBERTS", "GOMEZ", "PHILLIPS", "EVANS", "TURNER", "DIAZ", "PARKER",
    "CRUZ", "EDWARDS", "COLLINS", "REYES", "STEWART", "MORRIS", "MORALES", "MURPHY",
    "COOK", "ROGERS", "GUTIERREZ", "ORTIZ", "MORGAN", "COOPER", "PETERSON", "BAILEY",
    "REED", "KELLY", "HOWARD", "RAMOS", "KIM", "COX", "WARD", "RICHARDSON", "PATEL",
)
FIRST_NAMES = (
    "JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA",
    "DAVID", "ELIZABETH", "WILLIAM", "BARBARA", "RICHARD", "SUSAN", "JOSEPH", "JESSICA",
    "THOMAS", "SARAH", "CHARLES", "KAREN", "CHRISTOPHER", "LISA", "DANIEL", "NANCY",
    "MATTHEW", "BETTY", "ANTHONY", "MARGARET", "MARK", "SANDRA", "DONALD", "ASHLEY",
    "STEVEN", "KIMBERLY", "PAUL", "EMILY", "ANDREW", "DONNA", "JOSHUA", "MICHELLE",
    "KENNETH", "CAROL", "KEVIN", "AMANDA", "BRIAN", "DOROTHY", "GEORGE", "MELISSA",
    "TIMOTHY", "DEBORAH", "RONALD", "STEPHANIE", "EDWARD", "REBECCA", "JASON", "SHARON",
    "JEFFREY", "LAURA", "RYAN", "CYNTHIA", "JACOB", "KATHLEEN", "GARY", "AMY", "NICHOLAS",
    "ANGELA", "ERIC", "SHIRLEY", "JONATHAN", "ANNA", "LUIS", "MARIA", "WEI", "PRIYA",
)
MIDDLE_INITIALS = ("", "", "A", "B", "C", "D", "E", "J", "K", "L", "M", "R", "S", "T")
STREET_NAMES = (
    "MAIN", "OAK", "PINE", "MAPLE", "CEDAR", "ELM", "WASHINGTON", "LAKE", "HILL",
    "PARK", "RIVER", "SUNSET", "LINCOLN", "JACKSON", "MADISON", "FRANKLIN", "CHURCH",
    "HIGHLAND", "MEADOW", "FOREST", "SPRING", "VALLEY", "RIDGE", "WILLOW", "CHESTNUT",
)
STREET_SUFFIXES = ("ST", "AVE", "RD", "BLVD", "DR", "LN", "WAY", "CT", "PKWY")
# (city, state, 5-digit ZIP) with real state codes and plausible ZIPs.
CITIES = (
    ("SPRINGFIELD", "IL", "62701"), ("COLUMBUS", "OH", "43215"), ("AUSTIN", "TX", "78701"),
    ("DENVER", "CO", "80202"), ("PORTLAND", "OR", "97201"), ("NASHVILLE", "TN", "37203"),
    ("MADISON", "WI", "53703"), ("RALEIGH", "NC", "27601"), ("BOISE", "ID", "83702"),
    ("ALBANY", "NY", "12207"), ("SACRAMENTO", "CA", "95814"), ("PHOENIX", "AZ", "85004"),
    ("TAMPA", "FL", "33602"), ("ATLANTA", "GA", "30303"), ("RICHMOND", "VA", "23219"),
    ("OMAHA", "NE", "68102"), ("TULSA", "OK", "74103"), ("DES MOINES", "IA", "50309"),
    ("LOUISVILLE", "KY", "40202"), ("BIRMINGHAM", "AL", "35203"), ("SPOKANE", "WA", "99201"),
    ("ALBUQUERQUE", "NM", "87102"), ("SALT LAKE CITY", "UT", "84111"),
    ("HARTFORD", "CT", "06103"), ("PROVIDENCE", "RI", "02903"), ("WICHITA", "KS", "67202"),
    ("JACKSON", "MS", "39201"), ("COLUMBIA", "SC", "29201"), ("LITTLE ROCK", "AR", "72201"),
    ("BILLINGS", "MT", "59101"),
)
PRACTICE_SUFFIXES = (
    "FAMILY MEDICINE", "MEDICAL GROUP", "PRIMARY CARE", "HEALTH ASSOCIATES",
    "ORTHOPEDICS", "PHYSICAL THERAPY", "INTERNAL MEDICINE", "PEDIATRIC CLINIC",
)
# NUCC provider taxonomy codes (format ^[0-9]{3}[0-9A-Z]{6}X$).
TAXONOMIES = (
    "207Q00000X", "207R00000X", "208D00000X", "225100000X", "207X00000X",
    "363LF0000X", "208000000X", "261QP2300X",
)


class Payer(NamedTuple):
    """A health plan: who pays in the 835, who is billed in the 837P."""

    name: str
    payer_id: str
    ein: str
    claim_filing: str  # valid both as 835 CLP06 and 837P SBR09
    allowed_rate: Decimal  # fee-schedule allowance as a share of the base fee
    member_prefix: str
    street: str
    city: tuple[str, str, str]


PAYERS = (
    Payer("GREAT LAKES HEALTH PLAN", "GLHP1", "381234567", "12", Decimal("0.78"), "GLH",
          "400 LAKESHORE DR", ("COLUMBUS", "OH", "43215")),
    Payer("MERIDIAN CARE INSURANCE", "MCI22", "221987654", "12", Decimal("0.82"), "MCI",
          "1200 COMMERCE BLVD", ("HARTFORD", "CT", "06103")),
    Payer("PRAIRIE STATE MEDICAID", "PSMCD", "376543210", "MC", Decimal("0.46"), "PSM",
          "PO BOX 19002", ("SPRINGFIELD", "IL", "62701")),
    Payer("CASCADE HEALTH ALLIANCE", "CHA07", "911122334", "HM", Decimal("0.71"), "CHA",
          "77 COLUMBIA WAY", ("PORTLAND", "OR", "97201")),
    Payer("GRANITE MEDICARE CONTRACTOR", "GMC04", "020445566", "MB", Decimal("0.58"), "1G",
          "PO BOX 3543", ("ALBANY", "NY", "12207")),
    Payer("HERITAGE POINT OF SERVICE PLAN", "HPS13", "582233445", "13", Decimal("0.75"), "HPS",
          "900 PEACHTREE ST", ("ATLANTA", "GA", "30303")),
)


class Procedure(NamedTuple):
    """A billable CPT/HCPCS code with its typical charge and billing habits."""

    code: str
    base_fee: Decimal
    modifiers: tuple[str, ...]  # ":"-joined modifier lists to pick from, "" = none
    units: tuple[int, ...]  # unit counts to pick from
    office_visit: bool  # office visits carry a copay


def _procedure_pool() -> tuple[Procedure, ...]:
    """Weighted procedure pool: common codes appear more often."""
    weighted = (
        (6, Procedure("99213", Decimal("135"), ("", "", "", "25"), (1,), True)),
        (4, Procedure("99214", Decimal("195"), ("", "", "25"), (1,), True)),
        (2, Procedure("99212", Decimal("85"), ("",), (1,), True)),
        (1, Procedure("99203", Decimal("170"), ("",), (1,), True)),
        (1, Procedure("99204", Decimal("255"), ("",), (1,), True)),
        (1, Procedure("99396", Decimal("240"), ("",), (1,), True)),
        (3, Procedure("36415", Decimal("18"), ("",), (1,), False)),
        (2, Procedure("85025", Decimal("32"), ("",), (1,), False)),
        (2, Procedure("80053", Decimal("48"), ("",), (1,), False)),
        (1, Procedure("80061", Decimal("55"), ("",), (1,), False)),
        (1, Procedure("83036", Decimal("38"), ("",), (1,), False)),
        (1, Procedure("81002", Decimal("14"), ("",), (1,), False)),
        (1, Procedure("87880", Decimal("42"), ("", "QW"), (1,), False)),
        (1, Procedure("93000", Decimal("75"), ("",), (1,), False)),
        (1, Procedure("90471", Decimal("32"), ("",), (1,), False)),
        (1, Procedure("90686", Decimal("38"), ("",), (1,), False)),
        (1, Procedure("96372", Decimal("40"), ("",), (1,), False)),
        (1, Procedure("71046", Decimal("110"), ("", "26"), (1,), False)),
        (2, Procedure("97110", Decimal("65"), ("GP",), (1, 2, 3, 4), False)),
        (1, Procedure("97140", Decimal("60"), ("GP", "GP:59"), (1, 2), False)),
        (1, Procedure("97530", Decimal("70"), ("GP",), (1, 2, 3), False)),
        (1, Procedure("20610", Decimal("160"), ("RT", "LT"), (1,), False)),
        (1, Procedure("11721", Decimal("95"), ("",), (1,), False)),
        (1, Procedure("J1885", Decimal("14"), ("",), (1, 2, 4), False)),
        (1, Procedure("J3420", Decimal("22"), ("",), (1,), False)),
    )
    return tuple(procedure for weight, procedure in weighted for _ in range(weight))


PROCEDURES = _procedure_pool()
# Billable ICD-10-CM codes, without the decimal point as X12 requires.
DIAGNOSES = (
    "E119", "I10", "E785", "J069", "M5450", "Z0000", "Z0001", "K219", "F419", "F329",
    "R519", "M25561", "J209", "N390", "E039", "Z23", "R0602", "L309", "H6690", "G4700",
    "M1990", "E6601", "R0789", "J309", "R109", "Z1231",
)
# Line denials on otherwise paid claims: (CAS group, CARC, RARC for LQ*HE).
LINE_DENIALS = (
    ("CO", "97", "M15"),  # bundled into another service
    ("CO", "16", "M51"),  # missing/invalid procedure information
    ("CO", "50", "N115"),  # not medically necessary per coverage determination
    ("CO", "151", "N362"),  # frequency/units exceed maximum
    ("PR", "204", "N130"),  # not covered by the plan, patient liable
)
# Whole-claim denials (CLP02 = 4), applied to every line.
CLAIM_DENIALS = (
    ("CO", "29", "N211"),  # timely filing limit expired
    ("CO", "197", "N54"),  # precertification absent
    ("PR", "27", "N30"),  # coverage terminated, patient liable
    ("CO", "109", "N418"),  # not covered by this payer
    ("CO", "16", "MA130"),  # claim lacks information
    ("OA", "18", "N522"),  # duplicate claim
)
COPAYS = tuple(Decimal(amount) for amount in ("15.00", "20.00", "25.00", "30.00", "40.00"))
COINSURANCE_RATE = Decimal("0.20")
PRIOR_PAYER_SHARES = tuple(Decimal(share) for share in ("0.50", "0.60", "0.70", "0.80"))
PRACTICE_MARKUPS = tuple(Decimal(markup) for markup in ("1.00", "1.10", "1.25", "1.40", "1.60"))
LINES_PER_CLAIM = (1, 1, 2, 2, 2, 3, 3, 4, 5, 6)
DIAGNOSES_PER_CLAIM = (1, 1, 2, 2, 3, 4)
CLAIMS_PER_SUBSCRIBER = (1, 1, 1, 2, 2, 3)
CLAIMS_PER_HEADER_NUMBER = 20  # 835: a new LX header number every 20 claims


# ---------------------------------------------------------------------------
# Small helpers shared by both transaction kinds.
# ---------------------------------------------------------------------------


def _cents(amount_in_cents: int) -> Decimal:
    """An integer number of cents as a two-place Decimal (1500 -> 15.00)."""
    return Decimal(amount_in_cents).scaleb(-2)


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    """Sum of Decimal amounts that stays two-place even when empty."""
    return sum(amounts, ZERO)


def _digits(rng: Random, count: int) -> str:
    """A random string of exactly `count` decimal digits (leading zeros kept)."""
    return str(rng.randrange(10**count)).zfill(count)


def _npi(rng: Random) -> str:
    """A random NPI whose check digit is valid (Luhn over "80840" + NPI)."""
    base = str(rng.randrange(100_000_000, 300_000_000))  # 9 digits, first 1 or 2
    total = 24  # the "80840" prefix contributes a constant 24
    for position, digit in enumerate(reversed(base)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return base + str((10 - total % 10) % 10)


class Person(NamedTuple):
    """A patient, subscriber or clinician name."""

    last: str
    first: str
    middle: str


def _person(rng: Random, last: str | None = None) -> Person:
    """A random person, optionally sharing a family name."""
    return Person(last or rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES), rng.choice(MIDDLE_INITIALS))


def _name(person: Person) -> str:
    """NM103-NM105 (last, first, middle) of a person."""
    return f"{person.last}*{person.first}*{person.middle}"


def _birth_date(rng: Random, first_year: int, last_year: int) -> str:
    """A CCYYMMDD birth date in the given year range."""
    return f"{rng.randrange(first_year, last_year + 1)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"


def _address_segments(rng: Random, city: tuple[str, str, str] | None = None) -> tuple[str, str]:
    """An N3/N4 pair with a random street address and a 9-digit ZIP."""
    city_name, state, zip5 = city or rng.choice(CITIES)
    street = f"{rng.randrange(1, 9999)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
    return f"N3*{street}", f"N4*{city_name}*{state}*{zip5}{_digits(rng, 4)}"


class Practice(NamedTuple):
    """A provider organization: the 835 payee and the 837P billing provider."""

    name: str
    npi: str
    ein: str
    taxonomy: str
    address: tuple[str, str]  # N3, N4 segments
    account_prefix: str  # prefix of its patient control numbers (CLM01/CLP01)
    routing: str
    account: str
    clinicians: tuple[tuple[Person, str, str], ...]  # (name, NPI, taxonomy)
    charges: dict[str, Decimal]  # procedure code -> charge for one unit


def _practice(rng: Random) -> Practice:
    """A random practice with its own fee schedule and rendering clinicians."""
    city = rng.choice(CITIES)
    owner = city[0] if rng.random() < 0.3 else rng.choice(LAST_NAMES)
    markup = rng.choice(PRACTICE_MARKUPS)
    taxonomy = rng.choice(TAXONOMIES)
    return Practice(
        name=f"{owner} {rng.choice(PRACTICE_SUFFIXES)}",
        npi=_npi(rng),
        ein=_digits(rng, 9),
        taxonomy=taxonomy,
        address=_address_segments(rng, city),
        account_prefix="".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3)),
        routing=_digits(rng, 9),
        account=_digits(rng, rng.randrange(8, 13)),
        clinicians=tuple(
            (_person(rng), _npi(rng), rng.choice((taxonomy, rng.choice(TAXONOMIES))))
            for _ in range(rng.randrange(1, 5))
        ),
        charges={p.code: _cents(int(p.base_fee * markup) * 100) for p in PROCEDURES},
    )


class BilledLine(NamedTuple):
    """A service line as the provider billed it."""

    code: str
    procedure: str  # composite, e.g. "HC:97140:GP:59"
    charge: Decimal
    units: int
    service_date: str
    control_number: str  # REF*6R
    office_visit: bool


def _billed_line(rng: Random, practice: Practice, service_date: str, control_number: str) -> BilledLine:
    """A random service line charged at the practice's fee for the procedure."""
    procedure = rng.choice(PROCEDURES)
    modifiers = rng.choice(procedure.modifiers)
    units = rng.choice(procedure.units)
    composite = f"HC:{procedure.code}:{modifiers}" if modifiers else f"HC:{procedure.code}"
    return BilledLine(
        procedure.code, composite, practice.charges[procedure.code] * units, units,
        service_date, control_number, procedure.office_visit,
    )


class FileDates:
    """Dates for one file, all derived from the seed (never the clock)."""

    def __init__(self, rng: Random):
        self.created = datetime.date(2022, 1, 1) + datetime.timedelta(days=rng.randrange(3 * 365))
        self.time = f"{rng.randrange(6, 20):02d}{rng.randrange(60):02d}"
        # days_ago[n] is the CCYYMMDD date n days before the file was created.
        self.days_ago = tuple(
            (self.created - datetime.timedelta(days=n)).strftime("%Y%m%d") for n in range(400)
        )
        self.ccyymmdd = self.days_ago[0]
        self.yymmdd = self.ccyymmdd[2:]


def _interchange(
    target_bytes: int,
    newline: bool,
    rng: Random,
    dates: FileDates,
    sender_id: str,
    receiver_id: str,
    functional_id: str,
    version: str,
    transaction: Callable[[str], list[str]],
) -> Iterator[bytes]:
    """Yield ISA+GS, then whole transactions until `target_bytes`, then GE+IEA.

    `transaction(st02)` returns the segments from ST through SE.  At least one
    transaction is always written, and the file stops at the first transaction
    boundary at or after `target_bytes`.
    """
    terminator = SEGMENT_TERMINATOR + ("\n" if newline else "")
    interchange_control = f"{rng.randrange(1, 10**9):09d}"
    group_control = str(rng.randrange(1, 10**6))
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender_id:<15}*ZZ*{receiver_id:<15}*"
        f"{dates.yymmdd}*{dates.time}*{REPETITION_SEPARATOR}*00501*{interchange_control}"
        f"*0*P*{COMPONENT_SEPARATOR}"
    )
    assert len(isa) + len(SEGMENT_TERMINATOR) == 106, isa
    gs = (
        f"GS*{functional_id}*{sender_id}*{receiver_id}*{dates.ccyymmdd}*{dates.time}"
        f"*{group_control}*X*{version}"
    )
    header = (isa + terminator + gs + terminator).encode("ascii")
    yield header
    written = len(header)
    transactions = 0
    while transactions == 0 or written < target_bytes:
        transactions += 1
        segments = transaction(f"{transactions:04d}")
        chunk = (terminator.join(segments) + terminator).encode("ascii")
        yield chunk
        written += len(chunk)
    trailer = f"GE*{transactions}*{group_control}{terminator}IEA*1*{interchange_control}{terminator}"
    yield trailer.encode("ascii")


def _with_trailer(segments: list[str], control: str) -> list[str]:
    """Append SE, whose count runs from ST to SE inclusive."""
    segments.append(f"SE*{len(segments) + 1}*{control}")
    return segments


# ---------------------------------------------------------------------------
# 835 health care claim payment/advice (005010X221A1)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AdjudicatedLine:
    """A service line after adjudication: what one SVC loop reports."""

    billed: BilledLine
    charge: Decimal
    paid: Decimal
    allowed: Decimal
    adjustments: tuple[Adjustment, ...]
    remark: str  # RARC for LQ*HE, "" when none

    def negated(self) -> AdjudicatedLine:
        """The same line with every amount negated, as a reversal reports it."""
        return replace(
            self,
            charge=-self.charge,
            paid=-self.paid,
            allowed=-self.allowed,
            adjustments=tuple((group, reason, -amount) for group, reason, amount in self.adjustments),
        )


class BilledClaim(NamedTuple):
    """A claim as billed: its identity segments are the same on every 835 that reports it."""

    patient_control: str
    lines: tuple[BilledLine, ...]
    identity_segments: tuple[str, ...]  # NM1*QC/IL/82, REF, DTM*232/233/050


def _cas_segments(adjustments: Iterable[Adjustment]) -> list[str]:
    """CAS segments, one per group code, with empty quantities between triples."""
    by_group: dict[str, list[str]] = {}
    for group, reason, amount in adjustments:
        by_group.setdefault(group, []).append(f"{reason}*{amount}")
    return [f"CAS*{group}*{'**'.join(triples)}" for group, triples in by_group.items()]


class Remittance835:
    """Builds the 835 transactions of one interchange, all from one payer.

    Each transaction pays one practice.  Claims are adjudicated line by line,
    so every balancing equation holds by construction.
    """

    REVERSAL_RATE = 0.03  # a reversal (CLP02 = 22) followed by its correction
    DENIED_RATE = 0.07  # whole claim denied (CLP02 = 4)
    SECONDARY_RATE = 0.07  # processed as secondary (CLP02 = 2)
    LINE_DENIAL_RATE = 0.05
    PROVIDER_ADJUSTMENT_RATE = 0.2

    def __init__(self, rng: Random, claims_per_transaction: int):
        self.rng = rng
        self.claims_per_transaction = claims_per_transaction
        self.dates = FileDates(rng)
        self.payer = rng.choice(PAYERS)
        self.payer_routing = _digits(rng, 9)
        self.payer_account = _digits(rng, 10)
        self.payer_phone = f"800{_digits(rng, 7)}"
        self.receiver_id = f"RCV{_digits(rng, 6)}"
        self.payment_date = (self.dates.created + datetime.timedelta(days=2)).strftime("%Y%m%d")
        self.allowed_fees = {
            p.code: (p.base_fee * self.payer.allowed_rate).quantize(CENT) for p in PROCEDURES
        }
        # Payer claim control numbers look like YYDDD + a running number.
        self.icn_prefix = self.dates.ccyymmdd[2:4] + f"{self.dates.created.timetuple().tm_yday:03d}"
        self.icn_counter = rng.randrange(10**6)
        self.claim_counter = rng.randrange(10**6)
        self.line_counter = rng.randrange(10**5, 10**6)

    def interchange(self, target_bytes: int, newline: bool) -> Iterator[bytes]:
        """The whole 835 interchange, transaction by transaction."""
        return _interchange(
            target_bytes, newline, self.rng, self.dates, self.payer.payer_id, self.receiver_id,
            "HP", "005010X221A1", self.transaction,
        )

    def transaction(self, control: str) -> list[str]:
        """One ST..SE: header, claims under LX header numbers, then any PLB."""
        rng = self.rng
        payee = _practice(rng)
        detail: list[str] = []
        icns: list[str] = []
        claims_paid = ZERO
        header_number = 0
        claims_under_header = CLAIMS_PER_HEADER_NUMBER
        while len(icns) < self.claims_per_transaction:
            if claims_under_header >= CLAIMS_PER_HEADER_NUMBER:
                header_number += 1
                detail.append(f"LX*{header_number}")
                claims_under_header = 0
            for segments, paid, icn in self._adjudicated_claims(payee):
                detail += segments
                claims_paid += paid
                icns.append(icn)
                claims_under_header += 1

        by_check = rng.random() < 0.3
        trace = _digits(rng, 8) if by_check else f"{_digits(rng, 3)}{self.payer.ein}{_digits(rng, 3)}"
        provider_adjustments = self._provider_adjustments(claims_paid, icns, trace)
        payment = claims_paid - _sum(amount for _, _, amount in provider_adjustments)
        segments = self._header(control, payee, payment, by_check, trace) + detail
        if provider_adjustments:
            pairs = "*".join(
                f"{reason}:{reference}*{amount}" for reason, reference, amount in provider_adjustments
            )
            segments.append(f"PLB*{payee.npi}*{self.dates.created.year}1231*{pairs}")
        return _with_trailer(segments, control)

    def _header(
        self, control: str, payee: Practice, payment: Decimal, by_check: bool, trace: str
    ) -> list[str]:
        """ST through the 1000B payee loop."""
        payer = self.payer
        if payment == 0:
            bpr = f"BPR*H*{payment}*C*NON{'*' * 12}{self.payment_date}"
        elif by_check:
            bpr = f"BPR*C*{payment}*C*CHK{'*' * 12}{self.payment_date}"
        else:
            bpr = (
                f"BPR*{self.rng.choice('CI')}*{payment}*C*ACH*CCP*01*{self.payer_routing}*DA"
                f"*{self.payer_account}*1{payer.ein}**01*{payee.routing}*DA*{payee.account}"
                f"*{self.payment_date}"
            )
        city, state, zip5 = payer.city
        return [
            f"ST*835*{control}",
            bpr,
            f"TRN*1*{trace}*1{payer.ein}",
            f"REF*EV*{self.receiver_id}",
            f"DTM*405*{self.dates.ccyymmdd}",
            f"N1*PR*{payer.name}",
            f"N3*{payer.street}",
            f"N4*{city}*{state}*{zip5}",
            f"REF*2U*{payer.payer_id}",
            f"PER*BL*PROVIDER SERVICES*TE*{self.payer_phone}",
            f"N1*PE*{payee.name}*XX*{payee.npi}",
            *payee.address,
            f"REF*TJ*{payee.ein}",
        ]

    def _adjudicated_claims(self, payee: Practice) -> list[tuple[list[str], Decimal, str]]:
        """One billed claim as it appears on the 835: (segments, CLP04, CLP07) per CLP.

        A reversal yields two CLPs: the negated original and its correction.
        """
        rng = self.rng
        billed = self._billed_claim(payee)
        roll = rng.random()
        if roll < self.REVERSAL_RATE:
            original = [line.negated() for line in self._paid_lines(billed)]
            return [
                self._claim(billed, "22", original, ()),
                self._claim(billed, "1", self._paid_lines(billed), ()),
            ]
        roll -= self.REVERSAL_RATE
        if roll < self.DENIED_RATE:
            denial = rng.choice(CLAIM_DENIALS)
            return [self._claim(billed, "4", [self._denied(line, denial) for line in billed.lines], ())]
        roll -= self.DENIED_RATE
        lines = self._paid_lines(billed)
        if roll < self.SECONDARY_RATE:
            # The primary payer's payment is reported once, at claim level.
            prior_share = rng.choice(PRIOR_PAYER_SHARES)
            prior_payment = (_sum(line.paid for line in lines) * prior_share).quantize(CENT)
            claim_adjustments = (("OA", "23", prior_payment),) if prior_payment else ()
            return [self._claim(billed, "2", lines, claim_adjustments)]
        return [self._claim(billed, "1", lines, ())]

    def _billed_claim(self, payee: Practice) -> BilledClaim:
        """A claim of 1-6 lines, with the patient/provider segments the 835 echoes."""
        rng = self.rng
        days_ago = self.dates.days_ago
        first_day = rng.randrange(20, 150)
        service_days = [
            first_day if rng.random() < 0.85 else first_day - rng.randrange(1, 8)
            for _ in range(rng.choice(LINES_PER_CLAIM))
        ]
        lines = []
        for day in service_days:
            self.line_counter += 1
            lines.append(_billed_line(rng, payee, days_ago[day], str(self.line_counter)))

        patient = _person(rng)
        member_id = f"{self.payer.member_prefix}{_digits(rng, 9)}"
        if rng.random() < 0.2:  # a dependent: the insured is another family member
            insured = _person(rng, patient.last)
            identity = [
                f"NM1*QC*1*{_name(patient)}***MI*{member_id}02",
                f"NM1*IL*1*{_name(insured)}***MI*{member_id}01",
            ]
        else:
            identity = [f"NM1*QC*1*{_name(patient)}***MI*{member_id}"]
        if rng.random() < 0.3:
            clinician, npi, _ = rng.choice(payee.clinicians)
            identity.append(f"NM1*82*1*{_name(clinician)}***XX*{npi}")
        if rng.random() < 0.2:
            identity.append(f"REF*1L*GRP{_digits(rng, 6)}")
        if rng.random() < 0.15:
            identity.append(f"REF*EA*MR{_digits(rng, 7)}")
        identity += [
            f"DTM*232*{days_ago[max(service_days)]}",
            f"DTM*233*{days_ago[min(service_days)]}",
            f"DTM*050*{days_ago[rng.randrange(3, min(service_days))]}",
        ]
        self.claim_counter += 1
        return BilledClaim(f"{payee.account_prefix}{self.claim_counter:07d}", tuple(lines), tuple(identity))

    def _paid_lines(self, billed: BilledClaim) -> list[AdjudicatedLine]:
        """Adjudicate every line normally; a few lines are denied."""
        rng = self.rng
        return [
            self._denied(line, rng.choice(LINE_DENIALS)) if rng.random() < self.LINE_DENIAL_RATE
            else self._paid(line)
            for line in billed.lines
        ]

    def _paid(self, line: BilledLine) -> AdjudicatedLine:
        """Price a line at the payer's fee schedule, then apply copay, deductible, coinsurance."""
        rng = self.rng
        allowed = min(line.charge, self.allowed_fees[line.code] * line.units)
        adjustments = []
        if allowed < line.charge:
            adjustments.append(("CO", "45", line.charge - allowed))
        payable = allowed
        if line.office_visit and rng.random() < 0.4:
            copay = min(payable, rng.choice(COPAYS))
            adjustments.append(("PR", "3", copay))
            payable -= copay
        if payable and rng.random() < 0.12:
            deductible = min(payable, _cents(rng.randrange(1000, 30000)))
            adjustments.append(("PR", "1", deductible))
            payable -= deductible
        if payable and rng.random() < 0.35:
            coinsurance = (payable * COINSURANCE_RATE).quantize(CENT)
            if coinsurance:
                adjustments.append(("PR", "2", coinsurance))
                payable -= coinsurance
        return AdjudicatedLine(line, line.charge, payable, allowed, tuple(adjustments), "")

    @staticmethod
    def _denied(line: BilledLine, denial: tuple[str, str, str]) -> AdjudicatedLine:
        """A line whose whole charge is adjusted away, explained by a remark code."""
        group, reason, remark = denial
        return AdjudicatedLine(line, line.charge, ZERO, ZERO, ((group, reason, line.charge),), remark)

    def _claim(
        self, billed: BilledClaim, status: str, lines: list[AdjudicatedLine],
        claim_adjustments: tuple[Adjustment, ...],
    ) -> tuple[list[str], Decimal, str]:
        """The 2100/2110 segments of one CLP, with its CLP04 and CLP07."""
        charge = _sum(line.charge for line in lines)
        paid = _sum(line.paid for line in lines) - _sum(amount for _, _, amount in claim_adjustments)
        patient_responsibility = _sum(
            amount
            for adjustments in (claim_adjustments, *(line.adjustments for line in lines))
            for group, _, amount in adjustments
            if group == "PR"
        )
        self.icn_counter += 1
        icn = f"{self.icn_prefix}{self.icn_counter:08d}"
        segments = [
            f"CLP*{billed.patient_control}*{status}*{charge}*{paid}*{patient_responsibility}"
            f"*{self.payer.claim_filing}*{icn}*11*1",
            *_cas_segments(claim_adjustments),
            *billed.identity_segments,
        ]
        for line in lines:
            units = line.billed.units
            segments.append(
                f"SVC*{line.billed.procedure}*{line.charge}*{line.paid}**{units}" if units != 1
                else f"SVC*{line.billed.procedure}*{line.charge}*{line.paid}"
            )
            segments.append(f"DTM*472*{line.billed.service_date}")
            segments += _cas_segments(line.adjustments)
            segments.append(f"REF*6R*{line.billed.control_number}")
            segments.append(f"AMT*B6*{line.allowed}")
            if line.remark:
                segments.append(f"LQ*HE*{line.remark}")
        return segments, paid, icn

    def _provider_adjustments(
        self, claims_paid: Decimal, icns: list[str], trace: str
    ) -> list[tuple[str, str, Decimal]]:
        """PLB (reason, reference, amount) pairs; positive amounts reduce the payment.

        Sometimes: an overpayment recovery (WO), interest paid (L6) or an applied
        provider refund (72).  If the net payment would be negative, a forwarding
        balance (FB) carries the difference to a later 835 and BPR02 becomes 0.
        """
        rng = self.rng
        adjustments = []
        if rng.random() < self.PROVIDER_ADJUSTMENT_RATE:
            for reason in rng.sample(("WO", "L6", "72"), rng.choice((1, 1, 2))):
                if reason == "WO":
                    reference = f"{self.icn_prefix[:2]}{_digits(rng, 11)}"  # an earlier claim's ICN
                    adjustments.append(("WO", reference, _cents(rng.randrange(2500, 40000))))
                elif reason == "L6":
                    adjustments.append(("L6", rng.choice(icns), -_cents(rng.randrange(25, 4000))))
                else:
                    adjustments.append(("72", f"RF{_digits(rng, 8)}", -_cents(rng.randrange(2000, 30000))))
        net = claims_paid - _sum(amount for _, _, amount in adjustments)
        if net < 0:
            adjustments.append(("FB", trace, net))
        return adjustments


# ---------------------------------------------------------------------------
# 837P health care claim: professional (005010X222A1)
# ---------------------------------------------------------------------------


class ProfessionalClaims837:
    """Builds the 837P transactions of one interchange from one submitter.

    Each transaction is one billing provider; subscribers follow with 1-3
    claims each, sometimes for a dependent patient (2000C).
    """

    DEPENDENT_RATE = 0.2

    def __init__(self, rng: Random, claims_per_transaction: int):
        self.rng = rng
        self.claims_per_transaction = claims_per_transaction
        self.dates = FileDates(rng)
        self.submitter = f"{rng.choice(LAST_NAMES)} BILLING SERVICES"
        self.submitter_id = f"SUB{_digits(rng, 6)}"
        self.submitter_contact = _person(rng)
        self.submitter_phone = _digits(rng, 10)
        self.receiver = "CLEARWATER CLAIMS EXCHANGE"
        self.receiver_id = f"CWX{_digits(rng, 5)}"
        self.claim_counter = rng.randrange(10**6)
        self.line_counter = rng.randrange(10**5, 10**6)

    def interchange(self, target_bytes: int, newline: bool) -> Iterator[bytes]:
        """The whole 837P interchange, transaction by transaction."""
        return _interchange(
            target_bytes, newline, self.rng, self.dates, self.submitter_id, self.receiver_id,
            "HC", "005010X222A1", self.transaction,
        )

    def transaction(self, control: str) -> list[str]:
        """One ST..SE: header, billing provider, then subscribers and their claims."""
        rng = self.rng
        provider = _practice(rng)
        segments = [
            f"ST*837*{control}*005010X222A1",
            f"BHT*0019*00*{self.dates.ccyymmdd}{control}*{self.dates.ccyymmdd}*{self.dates.time}*CH",
            f"NM1*41*2*{self.submitter}*****46*{self.submitter_id}",
            f"PER*IC*{self.submitter_contact.first} {self.submitter_contact.last}*TE*{self.submitter_phone}",
            f"NM1*40*2*{self.receiver}*****46*{self.receiver_id}",
            "HL*1**20*1",
            f"PRV*BI*PXC*{provider.taxonomy}",
            f"NM1*85*2*{provider.name}*****XX*{provider.npi}",
            *provider.address,
            f"REF*EI*{provider.ein}",
        ]
        hl_count = 1
        claims = 0
        while claims < self.claims_per_transaction:
            subscriber_hl = hl_count + 1
            claim_count = min(rng.choice(CLAIMS_PER_SUBSCRIBER), self.claims_per_transaction - claims)
            payer = rng.choice(PAYERS)
            subscriber = _person(rng)
            group_number = f"GRP{_digits(rng, 6)}" if rng.random() < 0.6 else ""
            member = f"NM1*IL*1*{_name(subscriber)}***MI*{payer.member_prefix}{_digits(rng, 9)}"
            payer_name = f"NM1*PR*2*{payer.name}*****PI*{payer.payer_id}"
            if rng.random() < self.DEPENDENT_RATE:
                patient = _person(rng, subscriber.last)
                segments += [
                    f"HL*{subscriber_hl}*1*22*1",
                    f"SBR*P**{group_number}******{payer.claim_filing}",
                    member,
                    payer_name,
                    f"HL*{subscriber_hl + 1}*{subscriber_hl}*23*0",
                    f"PAT*{rng.choice(('19', '19', '01'))}",
                    f"NM1*QC*1*{_name(patient)}".rstrip("*"),  # NM105 is last: no trailing "*"
                    *_address_segments(rng),
                    # Born before any onset or service date the file can hold (2021 on).
                    f"DMG*D8*{_birth_date(rng, 2004, 2019)}*{rng.choice('FM')}",
                ]
                hl_count += 2
            else:
                segments += [
                    f"HL*{subscriber_hl}*1*22*0",
                    f"SBR*P*18*{group_number}******{payer.claim_filing}",
                    member,
                    *_address_segments(rng),
                    f"DMG*D8*{_birth_date(rng, 1940, 2003)}*{rng.choice('FM')}",
                    payer_name,
                ]
                hl_count += 1
            for _ in range(claim_count):
                segments += self._claim(provider)
            claims += claim_count
        return _with_trailer(segments, control)

    def _claim(self, provider: Practice) -> list[str]:
        """The 2300 claim with its 2400 lines; CLM02 is the exact sum of SV102."""
        rng = self.rng
        days_ago = self.dates.days_ago
        first_day = rng.randrange(2, 60)
        lines = []
        for _ in range(rng.choice(LINES_PER_CLAIM)):
            day = first_day if rng.random() < 0.85 else first_day - 1  # a follow-up next day
            self.line_counter += 1
            lines.append(_billed_line(rng, provider, days_ago[day], str(self.line_counter)))
        diagnoses = rng.sample(DIAGNOSES, rng.choice(DIAGNOSES_PER_CLAIM))
        self.claim_counter += 1
        total_charge = _sum(line.charge for line in lines)
        # CLM05 11:B:1 = office, professional claim, original; then signature on file,
        # assignment accepted, benefits assigned, release of information signed.
        segments = [f"CLM*{provider.account_prefix}{self.claim_counter:07d}*{total_charge}***11:B:1*Y*A*Y*Y"]
        if rng.random() < 0.15:
            segments.append(f"DTP*431*D8*{days_ago[first_day + rng.randrange(1, 300)]}")
        if rng.random() < 0.1:
            segments.append(f"REF*G1*PA{_digits(rng, 8)}")
        # Each diagnosis is its own element (HI01 principal, HI02-HI12 others), as the
        # X222A1 map defines them; HI elements are not repeating, so no "^" here.
        segments.append("HI*" + "*".join([f"ABK:{diagnoses[0]}", *(f"ABF:{code}" for code in diagnoses[1:])]))
        if rng.random() < 0.4:
            clinician, npi, taxonomy = rng.choice(provider.clinicians)
            segments += [f"NM1*82*1*{_name(clinician)}***XX*{npi}", f"PRV*PE*PXC*{taxonomy}"]
        for number, line in enumerate(lines, 1):
            pointer_count = min(len(diagnoses), rng.choice((1, 1, 2, 3)))
            other_pointers = rng.sample(range(2, len(diagnoses) + 1), pointer_count - 1)
            pointers = ":".join(map(str, [1, *other_pointers]))
            segments += [
                f"LX*{number}",
                f"SV1*{line.procedure}*{line.charge}*UN*{line.units}***{pointers}",
                f"DTP*472*D8*{line.service_date}",
                f"REF*6R*{line.control_number}",
            ]
        return segments


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def iter_835(
    target_bytes: int, seed: int = 0, *, claims_per_transaction: int = 50, newline: bool = False
) -> Iterator[bytes]:
    """Yield a balanced 835 interchange of at least `target_bytes`, one transaction at a time."""
    return Remittance835(Random(seed), claims_per_transaction).interchange(target_bytes, newline)


def iter_837p(
    target_bytes: int, seed: int = 0, *, claims_per_transaction: int = 50, newline: bool = False
) -> Iterator[bytes]:
    """Yield an 837P interchange of at least `target_bytes`, one transaction at a time."""
    return ProfessionalClaims837(Random(seed), claims_per_transaction).interchange(target_bytes, newline)


def generate_835(
    target_bytes: int, seed: int = 0, *, claims_per_transaction: int = 50, newline: bool = False
) -> bytes:
    """A balanced 835 interchange of at least `target_bytes` (ends at a transaction boundary)."""
    chunks = iter_835(target_bytes, seed, claims_per_transaction=claims_per_transaction, newline=newline)
    return b"".join(chunks)


def generate_837p(
    target_bytes: int, seed: int = 0, *, claims_per_transaction: int = 50, newline: bool = False
) -> bytes:
    """An 837P interchange of at least `target_bytes` (ends at a transaction boundary)."""
    chunks = iter_837p(target_bytes, seed, claims_per_transaction=claims_per_transaction, newline=newline)
    return b"".join(chunks)


GENERATORS = {"835": iter_835, "837p": iter_837p}


def write_file(path, kind: str, target_bytes: int, seed: int = 0, **kw) -> int:
    """Stream a generated file of `kind` ("835" or "837p") to `path`; return its size.

    Memory stays bounded by one transaction, so this is the way to make 1 GB files.
    Extra keywords (claims_per_transaction, newline) go to the generator.
    """
    generator = GENERATORS.get(kind.lower())
    if generator is None:
        raise ValueError(f"kind must be one of {sorted(GENERATORS)}, not {kind!r}")
    chunks = generator(target_bytes, seed, **kw)
    written = 0
    with open(path, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
    return written


SIZE_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def _parse_size(text: str) -> int:
    """Bytes in "50MB", "1GB", "512KiB" or "1000" (binary units: 1MB = 2**20)."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(?:I?B)?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 50MB or 1GB)")
    return int(match.group(1)) * SIZE_UNITS[match.group(2).upper()]


def main(argv: list[str] | None = None) -> None:
    """Command line: write one generated file and report its size and time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", type=str.lower, choices=sorted(GENERATORS), help="transaction type")
    parser.add_argument("size", type=_parse_size, help="target size, e.g. 1MB, 50MB, 1GB (1MB = 2**20 bytes)")
    parser.add_argument("output", help="file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--claims-per-transaction", type=int, default=50)
    parser.add_argument("--newline", action="store_true", help='put "\\n" after every segment terminator')
    args = parser.parse_args(argv)
    started = time.perf_counter()
    size = write_file(
        args.output, args.kind, args.size, args.seed,
        claims_per_transaction=args.claims_per_transaction, newline=args.newline,
    )
    seconds = time.perf_counter() - started
    print(f"wrote {size} bytes to {args.output} in {seconds:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
