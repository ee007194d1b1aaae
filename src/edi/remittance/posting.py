"""Posting: where each adjustment goes (DOMAIN.md 3.7), and reversals paired with their
corrections (DOMAIN.md 3.6).

Every CAS triple goes to exactly one bucket, by group code first and then by CARC category:

- `PR` (patient responsibility): CARC 1 `deductible`, 2 `coinsurance`, 3 `copay`, any other
  (66, 142, PR-96/204/49 patient-liable denials, PR-45 out-of-network balance) `patient_other`;
- CARC 23 in any other group (OA-23, the prior payer's payment on a secondary claim): `prior_payer`.
  It is money paid by someone else, neither written off nor denied;
- a denial (the CARC's denial flag, or an unclassified CARC on a line or claim that is paid
  nothing; DOMAIN.md 4.4): `denied`, in CO, PI and OA alike (a work queue, not a write-off);
- `CO`/`PI` with a contractual or unclassified CARC: `contractual` (the write-off);
- everything else: `other`. This holds OA-94 (usually negative: the bundling offset that raises
  the paid line above its charge, DOMAIN.md 3.7.2), other OA codes that are not denials, and
  informational CARCs (133 pending, 100 paid to the patient...).

A line's buckets add up to its charge: `SVC02 = paid + contractual + deductible + coinsurance +
copay + patient_other + denied + prior_payer + other` (`PostingBuckets.total`), exactly when the
line balances (`SVC02 - sum of line CAS = SVC03`), because every CAS amount lands in one bucket.

Claim-level CAS is posted at claim level, never prorated to lines (the DOMAIN 3.7.6 decision):
`Claim.buckets` is the claim-level CAS plus every line's CAS, with `paid` = CLP04, so
`CLP03 = Claim.buckets.total` when the claim balances. Reversals (CLP02 = 22) carry negated
amounts and post into the same buckets with negative values.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable, Sequence

from ..codes import UNCLASSIFIED, carc_category
from ..errors import Finding, FindingCode

if TYPE_CHECKING:
    from .objects import Adjustment, Claim

ZERO = Decimal(0)

#: The buckets an adjustment can go to, in the order of `PostingBuckets` (after `paid`).
BUCKETS = ("contractual", "deductible", "coinsurance", "copay", "patient_other", "denied", "prior_payer", "other")

_PATIENT_BUCKETS = {"1": "deductible", "2": "coinsurance", "3": "copay"}


@dataclass(frozen=True, slots=True)
class PostingBuckets:
    """What happened to a charge: paid, or adjusted into one of the buckets (module docstring)."""

    paid: Decimal = ZERO
    contractual: Decimal = ZERO
    deductible: Decimal = ZERO
    coinsurance: Decimal = ZERO
    copay: Decimal = ZERO
    patient_other: Decimal = ZERO
    denied: Decimal = ZERO
    prior_payer: Decimal = ZERO
    other: Decimal = ZERO

    @property
    def patient_responsibility(self) -> Decimal:
        """Deductible + coinsurance + copay + other patient amounts (the PR group)."""
        return self.deductible + self.coinsurance + self.copay + self.patient_other

    @property
    def adjusted(self) -> Decimal:
        """Everything that is not paid: the sum of the adjustment buckets."""
        return sum((getattr(self, name) for name in BUCKETS), ZERO)

    @property
    def total(self) -> Decimal:
        """Paid plus every bucket: the charge, when the line or claim balances."""
        return self.paid + self.adjusted

    def __add__(self, other: "PostingBuckets") -> "PostingBuckets":
        return PostingBuckets(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def is_denial(group: str, reason: str, paid: Decimal | None) -> bool:
    """Whether a CAS triple denies: its CARC is a denial code (PR-96 too: a patient-liable
    denial), or the CARC is unclassified, outside PR, where nothing is paid (DOMAIN.md 4.4)."""
    category = carc_category(reason)
    if category.category == UNCLASSIFIED:
        return group != "PR" and not paid
    return category.denial


def bucket_of(group: str, reason: str, paid: Decimal | None) -> str:
    """The bucket of one CAS triple; `paid` is SVC03 for a line adjustment, CLP04 for a
    claim-level one (it decides unclassified CARCs)."""
    if group == "PR":
        return _PATIENT_BUCKETS.get(reason, "patient_other")
    if reason == "23":
        return "prior_payer"
    if is_denial(group, reason, paid):
        return "denied"
    if group in ("CO", "PI") and carc_category(reason).category in ("contractual", UNCLASSIFIED):
        return "contractual"
    return "other"


def post(paid: Decimal | None, adjustments: Iterable["Adjustment"]) -> PostingBuckets:
    """Buckets of a payment and its adjustments (amounts that could not be read count as 0)."""
    amounts = dict.fromkeys(BUCKETS, ZERO)
    for adjustment in adjustments:
        if adjustment.amount is not None:
            amounts[adjustment.bucket] += adjustment.amount
    return PostingBuckets(paid or ZERO, **amounts)


def derive_allowed(charge: Decimal | None, adjustments: Iterable["Adjustment"]) -> Decimal | None:
    """The allowed amount when AMT*B6 is absent (DOMAIN.md 3.7.5): the charge minus what is
    not allowed, that is the `contractual` and `denied` buckets, patient-liable denials (PR-96,
    PR-204...) and any other adjustment with a contractual/pricing CARC (PR-45; OA-94, whose
    negative offset raises the allowed amount of the line others were bundled into). What stays
    is the payment, the patient's cost share, the prior payer's part (OA-23) and informational
    amounts."""
    if charge is None:
        return None
    return charge - sum(
        (a.amount for a in adjustments if a.amount is not None and _not_allowed(a)),
        ZERO,
    )


def _not_allowed(adjustment: "Adjustment") -> bool:
    return (adjustment.bucket in ("contractual", "denied") or adjustment.denial
            or adjustment.category.category == "contractual")


def pair_reversals(claims: Sequence["Claim"]) -> list[Finding]:
    """Link each reversal (CLP02 = 22) to its correction and return a REVERSAL_UNPAIRED finding
    for each reversal left without one.

    The correction is a later claim of the batch (in reading order) that is not a reversal nor
    already paired, has the same CLP01 or the same CLP07 (a payer may issue a new claim number,
    a provider a new CLM01: DOMAIN.md 3.6), and whose dates of service overlap the reversal's
    when both are known. Among several, the best is the one with the same CLP07, then the same
    CLP01, then a charge equal to the reversed one, then in the same 835, then the nearest.
    """
    later: dict[tuple, list[int]] = defaultdict(list)
    for i, claim in enumerate(claims):
        if not claim.is_reversal:
            for key in _keys(claim):
                later[key].append(i)
    findings = []
    for i, reversal in enumerate(claims):
        if not reversal.is_reversal:
            continue
        candidates = sorted({
            j for key in _keys(reversal) for j in later[key]
            if j > i and claims[j].reversal is None and _dates_overlap(reversal, claims[j])
        })
        if not candidates:
            findings.append(Finding(FindingCode.REVERSAL_UNPAIRED, reversal.location))
            continue
        correction = claims[max(candidates, key=lambda j: _preference(reversal, claims[j]))]
        reversal.correction = correction
        correction.reversal = reversal
    return findings


def _keys(claim: "Claim") -> list[tuple]:
    return [(name, value) for name, value in (("CLP01", claim.patient_control_number),
                                              ("CLP07", claim.payer_claim_control_number)) if value]


def _dates_overlap(a: "Claim", b: "Claim") -> bool:
    pa, pb = a.service_period, b.service_period
    return pa is None or pb is None or (pa[0] <= pb[1] and pb[0] <= pa[1])


def _preference(reversal: "Claim", candidate: "Claim") -> tuple:
    """Larger is better; `max` keeps the first (nearest) of equals."""
    icn = reversal.payer_claim_control_number
    return (
        bool(icn) and candidate.payer_claim_control_number == icn,
        candidate.patient_control_number == reversal.patient_control_number,
        reversal.charge is not None and candidate.charge == -reversal.charge,
        candidate.remittance is reversal.remittance,
    )
