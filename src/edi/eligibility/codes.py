"""What the 271 codes mean, in this project's own short words (DOMAIN.md 5), never X12's text.

Each table maps a code to a label for people (the `edi eligibility` card, `--json`); a code
missing from a table is shown as itself. The code lists the guide allows are in the schemas.
"""
from __future__ import annotations

#: EB01: what a benefit row is about.
BENEFIT_CATEGORY = {
    "1": "active coverage",
    "2": "active, full-risk capitation",
    "3": "active, services capitated",
    "4": "active, capitated to a primary care physician",
    "5": "active, pending investigation",
    "6": "inactive",
    "7": "inactive, eligibility update pending",
    "8": "inactive, under investigation",
    "A": "coinsurance",
    "B": "copay",
    "C": "deductible",
    "CB": "coverage basis",
    "D": "benefit description",
    "E": "exclusion",
    "F": "limitation",
    "G": "out-of-pocket maximum",
    "H": "unlimited",
    "I": "not covered",
    "J": "cost containment",
    "K": "reserve",
    "L": "primary care provider",
    "M": "pre-existing condition",
    "MC": "managed care coordinator",
    "N": "restricted to the named provider",
    "O": "not medically necessary",
    "P": "benefit disclaimer",
    "Q": "second surgical opinion needed",
    "R": "other or additional payer",
    "S": "prior year history",
    "T": "card reported lost or stolen",
    "U": "contact the named entity",
    "V": "payer cannot process",
    "W": "other source of data",
    "X": "health care facility",
    "Y": "spend down",
}

#: EB01 codes that say the coverage is active, and those that say it is not.
ACTIVE = frozenset("12345")
INACTIVE = frozenset("678")

#: EB02: whom a benefit covers.
COVERAGE_LEVEL = {
    "IND": "individual",
    "FAM": "family",
    "CHD": "children",
    "DEP": "dependents",
    "ECH": "employee and children",
    "EMP": "employee",
    "ESP": "employee and spouse",
    "SPC": "spouse and children",
    "SPO": "spouse",
}

#: EB03 / EQ01: the common service types (the guide lists about 190).
SERVICE_TYPE = {
    "1": "medical care",
    "2": "surgical",
    "4": "diagnostic x-ray",
    "5": "diagnostic lab",
    "10": "blood",
    "12": "durable medical equipment purchase",
    "30": "plan coverage",
    "33": "chiropractic",
    "35": "dental",
    "42": "home health",
    "45": "hospice",
    "47": "hospital",
    "48": "hospital inpatient",
    "50": "hospital outpatient",
    "86": "emergency",
    "88": "pharmacy",
    "96": "professional services",
    "98": "office visit",
    "AD": "occupational therapy",
    "AG": "skilled nursing",
    "AL": "vision",
    "MH": "mental health",
    "PT": "physical therapy",
    "UC": "urgent care",
}

#: EB06: the period an amount or quantity applies to.
TIME_PERIOD = {
    "6": "per hour",
    "7": "per day",
    "13": "per 24 hours",
    "21": "per years",
    "22": "per service year",
    "23": "per calendar year",
    "24": "year to date",
    "25": "per contract",
    "26": "per episode",
    "27": "per visit",
    "28": "outlier",
    "29": "remaining",
    "30": "exceeded",
    "31": "not exceeded",
    "32": "lifetime",
    "33": "lifetime remaining",
    "34": "per month",
    "35": "per week",
    "36": "per admission",
}

#: EB06 codes whose amount is what is left, and the one whose amount is what was used so far.
REMAINING = frozenset({"29", "33"})
MET = frozenset({"24"})

#: EB09: what the EB10 quantity counts.
QUANTITY = {
    "8H": "minimum",
    "99": "used",
    "CA": "covered, actual",
    "CE": "covered, estimated",
    "D3": "coinsurance days",
    "DB": "deductible blood units",
    "DY": "days",
    "HS": "hours",
    "LA": "lifetime reserve, actual",
    "LE": "lifetime reserve, estimated",
    "M2": "maximum",
    "MN": "months",
    "P6": "services or procedures",
    "QA": "approved",
    "S7": "highest age",
    "S8": "lowest age",
    "VS": "visits",
    "YY": "years",
}

#: EB11: whether prior authorization or certification is needed.
AUTHORIZATION = {"Y": "required", "N": "not required", "U": "unknown"}

#: EB12: whether the benefit is for in-network providers.
NETWORK = {"Y": "in network", "N": "out of network", "W": "in and out of network", "U": "network unknown"}

#: AAA03: why a request (or part of it) was rejected.
REJECT_REASON = {
    "04": "authorized quantity exceeded",
    "15": "required data missing",
    "33": "input errors",
    "35": "out of network",
    "41": "authorization or access restricted",
    "42": "payer cannot respond now",
    "43": "provider id missing or invalid",
    "44": "provider name missing or invalid",
    "45": "provider specialty missing or invalid",
    "46": "provider phone missing or invalid",
    "47": "provider state missing or invalid",
    "48": "referring provider id missing or invalid",
    "49": "provider is not the primary care physician",
    "50": "provider not eligible for inquiries",
    "51": "provider not on file",
    "52": "service dates outside the provider's enrollment",
    "53": "benefit asked for does not fit the provider type",
    "54": "wrong product or service id qualifier",
    "55": "wrong product or service id",
    "56": "wrong date",
    "57": "date of service missing or invalid",
    "58": "date of birth missing or invalid",
    "60": "date of birth after the date of service",
    "61": "date of death before the date of service",
    "62": "date of service outside the inquiry window",
    "63": "date of service in the future",
    "64": "patient id missing or invalid",
    "65": "patient name missing or invalid",
    "66": "patient gender missing or invalid",
    "67": "patient not found",
    "68": "patient id is a duplicate",
    "69": "does not fit the patient's age",
    "70": "does not fit the patient's gender",
    "71": "date of birth does not match the payer's records",
    "72": "member id missing or invalid",
    "73": "subscriber name missing or invalid",
    "74": "subscriber gender missing or invalid",
    "75": "subscriber not found",
    "76": "subscriber id is a duplicate",
    "77": "subscriber found, patient not found",
    "78": "subscriber not in the group or plan",
    "79": "invalid participant id",
    "80": "no response received, request ended",
    "97": "provider address missing or invalid",
    "98": "experimental service",
    "AA": "authorization number not found",
    "AE": "primary care physician must authorize",
    "AF": "diagnosis code missing or invalid",
    "AG": "procedure code missing or invalid",
    "AO": "more information on the patient's condition needed",
    "CI": "certification does not match the patient",
    "E8": "medical review needed",
    "IA": "authorization number badly formed",
    "MA": "authorization missing",
    "T4": "payer name or id missing",
}

#: AAA04: what to do next.
FOLLOW_UP = {
    "C": "correct and send again",
    "N": "do not send again",
    "P": "send the original again",
    "R": "may be sent again",
    "S": "do not send again: the payer asked a third party",
    "W": "wait 30 days and send again",
    "X": "wait 10 days and send again",
    "Y": "do not send again: the payer will pass the request on",
}


def label(table: dict, code: str) -> str:
    """The label of a code, or the code itself when the table does not know it."""
    return table.get(code, code)
