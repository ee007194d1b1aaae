"""Errors that stop reading, and findings that are reported as data.

Broken syntax raises `EdiSyntaxError` (a subclass of the one root `EdiError`) with a `Location`.
Everything that can be read but is wrong or repaired becomes a `Finding`: a code that carries its
TA1 / 999 acknowledgment code, a severity and a location. Messages name positions and segment ids,
never element values, because element values may carry patient data.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where something is: byte offset and segment number (1-based, in the file), segment id,
    position in the transaction set (ST = 1), loop path, element/component/repetition (1-based,
    as in X12), and the file it is in (when read from a file)."""

    byte_offset: int | None = None
    segment_number: int | None = None
    segment_id: str | None = None
    set_position: int | None = None
    loop_path: str | None = None
    element: int | None = None
    component: int | None = None
    repetition: int | None = None
    source: str | None = None  # the file, when the document was read from one

    def __str__(self) -> str:
        parts = [self.source] if self.source else []
        if self.byte_offset is not None:
            parts.append(f"byte {self.byte_offset}")
        if self.segment_number is not None:
            seg = f"segment {self.segment_number}"
            if self.segment_id:
                seg += f" ({self.segment_id})"
            parts.append(seg)
        elif self.segment_id:
            parts.append(f"segment {self.segment_id}")
        if self.set_position is not None:
            parts.append(f"set position {self.set_position}")
        if self.loop_path:
            parts.append(f"loop {self.loop_path}")
        if self.element is not None:
            elem = f"element {self.element:02d}"
            if self.component is not None:
                elem += f"-{self.component}"
            if self.repetition is not None:
                elem += f" repetition {self.repetition}"
            parts.append(elem)
        return ", ".join(parts) or "unknown location"


class EdiError(Exception):
    """The root of every error `edi` raises."""


class EdiSyntaxError(EdiError):
    """Input that cannot be read as X12, with the place where reading stopped."""

    def __init__(self, message: str, location: Location):
        super().__init__(f"{message} at {location}")
        self.reason = message
        self.location = location


class Severity(enum.Enum):
    ERROR = "error"  # the data is wrong: an acknowledgment rejects it
    WARNING = "warning"  # the data was repaired or is suspicious, but was read
    INFO = "info"


class FindingCode(enum.Enum):
    """What a finding is about. Each value is (name, severity, ack, ack code, description):
    `ack` names the acknowledgment element that reports it (TA105, AK905, IK502), or None for
    repairs that no acknowledgment reports."""

    # Repairs made by the lenient reader (strict mode raises instead).
    BYTE_ORDER_MARK = ("byte_order_mark", Severity.WARNING, None, None, "UTF-8 byte order mark before the ISA")
    LEADING_TEXT = ("leading_text", Severity.WARNING, None, None, "text before the ISA was skipped")
    ISA_LENGTH = ("isa_length", Severity.WARNING, None, None, "ISA is not in the fixed 106-byte layout; separators found by scanning")
    ISA_DOT_PADDING = ("isa_dot_padding", Severity.WARNING, None, None, "ISA fixed-width field padded with '.'")
    TERMINATOR_REPAIRED = ("terminator_repaired", Severity.WARNING, None, None, "whitespace after ISA16 taken as padding; the next character ends segments")
    NO_REPETITION_SEPARATOR = ("no_repetition_separator", Severity.INFO, None, None, "ISA11 is not a usable repetition separator; repetitions are not split")
    NO_INTERCHANGE = ("no_interchange", Severity.WARNING, None, None, "no ISA header; delimiters guessed from the first segment")
    WHITESPACE_BETWEEN_SEGMENTS = ("whitespace_between_segments", Severity.INFO, None, None, "line breaks or spaces between segments")
    LINE_BREAKS_IN_SEGMENTS = ("line_breaks_in_segments", Severity.WARNING, None, None, "line breaks inside segments (wrapped lines) removed; offsets refer to the unwrapped text")
    EMPTY_SEGMENT = ("empty_segment", Severity.WARNING, None, None, "empty segment skipped")
    BAD_SEGMENT_ID = ("bad_segment_id", Severity.ERROR, None, None, "segment id is not 2-3 letters or digits")
    LOWERCASE_SEGMENT_ID = ("lowercase_segment_id", Severity.WARNING, None, None, "segment id in lowercase")
    MISSING_TERMINATOR = ("missing_terminator", Severity.WARNING, None, None, "last segment has no terminator")
    TRAILING_TEXT = ("trailing_text", Severity.WARNING, None, None, "text after the last IEA")
    SEGMENT_OUTSIDE_ENVELOPE = ("segment_outside_envelope", Severity.ERROR, None, None, "segment outside any transaction set")

    # Interchange (TA1 note codes, TA105).
    ISA_IEA_CONTROL_MISMATCH = ("isa_iea_control_mismatch", Severity.ERROR, "TA105", "001", "IEA02 does not match ISA13")
    IEA_GROUP_COUNT = ("iea_group_count", Severity.ERROR, "TA105", "021", "IEA01 does not match the number of groups")
    IEA_MISSING = ("iea_missing", Severity.ERROR, "TA105", "023", "interchange has no IEA trailer")
    DUPLICATE_INTERCHANGE = ("duplicate_interchange", Severity.ERROR, "TA105", "025", "ISA13 repeats an earlier interchange")

    ISA_SENDER_QUALIFIER = ("isa_sender_qualifier", Severity.ERROR, "TA105", "005", "ISA05 is not a valid interchange id qualifier")
    ISA_SENDER_ID = ("isa_sender_id", Severity.ERROR, "TA105", "006", "ISA06 sender id is empty")
    ISA_RECEIVER_QUALIFIER = ("isa_receiver_qualifier", Severity.ERROR, "TA105", "007", "ISA07 is not a valid interchange id qualifier")
    ISA_RECEIVER_ID = ("isa_receiver_id", Severity.ERROR, "TA105", "008", "ISA08 receiver id is empty")
    ISA_DATE = ("isa_date", Severity.ERROR, "TA105", "014", "ISA09 is not a valid YYMMDD date")
    ISA_TIME = ("isa_time", Severity.ERROR, "TA105", "015", "ISA10 is not a valid HHMM time")
    ISA_STANDARDS_ID = ("isa_standards_id", Severity.ERROR, "TA105", "016", "ISA11 standards identifier is not U (before 00402)")
    ISA_VERSION = ("isa_version", Severity.ERROR, "TA105", "017", "ISA12 is not a known interchange version")
    ISA_CONTROL_NUMBER = ("isa_control_number", Severity.ERROR, "TA105", "018", "ISA13 is not a 9-digit number")
    ISA_ACK_REQUESTED = ("isa_ack_requested", Severity.ERROR, "TA105", "019", "ISA14 is not 0 or 1")
    ISA_USAGE = ("isa_usage", Severity.ERROR, "TA105", "020", "ISA15 is not P or T")

    # Functional group (999 AK905).
    GE_MISSING = ("ge_missing", Severity.ERROR, "AK905", "3", "group has no GE trailer")
    GS_GE_CONTROL_MISMATCH = ("gs_ge_control_mismatch", Severity.ERROR, "AK905", "4", "GE02 does not match GS06")
    GE_SET_COUNT = ("ge_set_count", Severity.ERROR, "AK905", "5", "GE01 does not match the number of transaction sets")
    DUPLICATE_GROUP = ("duplicate_group", Severity.ERROR, "AK905", "19", "GS06 repeats an earlier group in the interchange")

    # Transaction set (999 IK502).
    SE_MISSING = ("se_missing", Severity.ERROR, "IK502", "2", "transaction set has no SE trailer")
    ST_SE_CONTROL_MISMATCH = ("st_se_control_mismatch", Severity.ERROR, "IK502", "3", "SE02 does not match ST02")
    SE_SEGMENT_COUNT = ("se_segment_count", Severity.ERROR, "IK502", "4", "SE01 does not match the number of segments")
    SET_OUTSIDE_GROUP = ("set_outside_group", Severity.ERROR, "IK502", "18", "transaction set is not inside a GS/GE group")
    DUPLICATE_SET = ("duplicate_set", Severity.ERROR, "IK502", "23", "ST02 repeats an earlier set in the group")

    # Transaction set, beyond the envelope (999 IK502).
    NO_SCHEMA = ("no_schema", Severity.WARNING, "IK502", "1", "no implementation guide schema for this transaction set; read at segment level only")
    ST03_MISMATCH = ("st03_mismatch", Severity.ERROR, "IK502", "19", "ST03 does not match GS08")

    # Segments (SNIP 1-2, 999 IK304).
    UNRECOGNIZED_SEGMENT = ("unrecognized_segment", Severity.ERROR, "IK304", "1", "segment id is not known to any implementation guide")
    UNEXPECTED_SEGMENT = ("unexpected_segment", Severity.ERROR, "IK304", "2", "segment is not expected at this place")
    REQUIRED_SEGMENT_MISSING = ("required_segment_missing", Severity.ERROR, "IK304", "3", "required segment missing")
    REQUIRED_LOOP_MISSING = ("required_loop_missing", Severity.ERROR, "IK304", "3", "required loop missing (its first segment is absent)")
    LOOP_OVER_MAXIMUM = ("loop_over_maximum", Severity.ERROR, "IK304", "4", "loop occurs over its maximum repeat")
    SEGMENT_OVER_MAXIMUM_USE = ("segment_over_maximum_use", Severity.ERROR, "IK304", "5", "segment exceeds its maximum use")
    SEGMENT_NOT_IN_SET = ("segment_not_in_set", Severity.ERROR, "IK304", "6", "segment is not defined in this transaction set")
    SEGMENT_OUT_OF_SEQUENCE = ("segment_out_of_sequence", Severity.ERROR, "IK304", "7", "segment is not in the proper sequence")
    NOT_USED_SEGMENT = ("not_used_segment", Severity.ERROR, "IK304", "I4", "segment marked not used by the guide is present")

    # Elements (SNIP 1-2, 999 IK403; the segment gets IK304 code 8).
    REQUIRED_ELEMENT_MISSING = ("required_element_missing", Severity.ERROR, "IK403", "1", "required element missing")
    CONDITIONAL_ELEMENT_MISSING = ("conditional_element_missing", Severity.ERROR, "IK403", "2", "conditionally required element missing (syntax rule)")
    TOO_MANY_ELEMENTS = ("too_many_elements", Severity.ERROR, "IK403", "3", "more elements than the segment defines")
    ELEMENT_TOO_SHORT = ("element_too_short", Severity.ERROR, "IK403", "4", "element shorter than its minimum length")
    ELEMENT_TOO_LONG = ("element_too_long", Severity.ERROR, "IK403", "5", "element longer than its maximum length")
    INVALID_CHARACTER = ("invalid_character", Severity.ERROR, "IK403", "6", "invalid character in element (not valid for its type)")
    INVALID_CODE = ("invalid_code", Severity.ERROR, "IK403", "7", "code value not valid for this element")
    INVALID_DATE = ("invalid_date", Severity.ERROR, "IK403", "8", "invalid date")
    INVALID_TIME = ("invalid_time", Severity.ERROR, "IK403", "9", "invalid time")
    EXCLUSION_VIOLATED = ("exclusion_violated", Severity.ERROR, "IK403", "10", "elements that exclude each other are both present (syntax rule)")
    TOO_MANY_REPETITIONS = ("too_many_repetitions", Severity.ERROR, "IK403", "12", "element repeats more often than allowed")
    TOO_MANY_COMPONENTS = ("too_many_components", Severity.ERROR, "IK403", "13", "more components than the composite defines")
    NOT_USED_ELEMENT = ("not_used_element", Severity.ERROR, "IK403", "I10", "element marked not used by the guide is present")

    # 835 balancing and values (SNIP 3; DOMAIN 3.5-3.6): warnings with the delta, never rejections.
    LINE_UNBALANCED = ("line_unbalanced", Severity.WARNING, None, None, "SVC02 minus line adjustments does not equal SVC03")
    CLAIM_UNBALANCED = ("claim_unbalanced", Severity.WARNING, None, None, "CLP03 minus claim and line adjustments does not equal CLP04")
    TRANSACTION_UNBALANCED = ("transaction_unbalanced", Severity.WARNING, None, None, "sum of CLP04 minus PLB amounts does not equal BPR02")
    PATIENT_RESPONSIBILITY_MISMATCH = ("patient_responsibility_mismatch", Severity.INFO, None, None, "CLP05 does not equal the PR adjustments")
    AMOUNT_PRECISION = ("amount_precision", Severity.WARNING, None, None, "amount has more precision than cents")
    BAD_AMOUNT = ("bad_amount", Severity.ERROR, None, None, "amount is not a number")
    BAD_DATE = ("bad_date", Severity.ERROR, None, None, "date is not a valid CCYYMMDD date")
    REVERSAL_UNPAIRED = ("reversal_unpaired", Severity.INFO, None, None, "claim reversal (CLP02 = 22) has no correction in the batch")

    # 837 scrub edits (DOMAIN 7; edi.claims.scrub): one code per rule, no acknowledgment code.
    SCRUB_NPI = ("scrub_npi", Severity.ERROR, None, None, "NPI (NM108 XX) is not 10 digits starting 1 or 2 with a valid check digit")
    SCRUB_BILLING_NPI = ("scrub_billing_npi", Severity.ERROR, None, None, "billing provider (2010AA) is not identified by an NPI (NM108 XX)")
    SCRUB_BILLING_ADDRESS = ("scrub_billing_address", Severity.ERROR, None, None, "billing provider address is a PO box or its ZIP code is not 9 digits")
    SCRUB_BILLING_TAX_ID = ("scrub_billing_tax_id", Severity.ERROR, None, None, "billing provider has no tax id (REF*EI or REF*SY)")
    SCRUB_TAXONOMY = ("scrub_taxonomy", Severity.WARNING, None, None, "provider taxonomy code (PRV03) is not 3 digits, 6 letters or digits and X")
    SCRUB_REQUIRED = ("scrub_required", Severity.ERROR, None, None, "a required part of the claim is missing")
    SCRUB_HIERARCHY = ("scrub_hierarchy", Severity.ERROR, None, None, "HL levels are not numbered 1, 2, 3... or do not chain 20 -> 22 (-> 23)")
    SCRUB_LINE_NUMBERS = ("scrub_line_numbers", Severity.ERROR, None, None, "service lines are not numbered 1, 2, 3... (LX01)")
    SCRUB_SUBSCRIBER_PATIENT = ("scrub_subscriber_patient", Severity.ERROR, None, None, "subscriber and patient levels disagree (SBR02, HL04, 2000C, PAT01)")
    SCRUB_PATIENT_DEMOGRAPHICS = ("scrub_patient_demographics", Severity.ERROR, None, None, "patient birth date or gender (DMG) is missing, later than BHT04, or 150+ years before it")
    SCRUB_DIAGNOSIS_POINTERS = ("scrub_diagnosis_pointers", Severity.ERROR, None, None, "diagnosis pointer missing, repeated, or pointing at no diagnosis")
    SCRUB_DIAGNOSIS_QUALIFIER = ("scrub_diagnosis_qualifier", Severity.ERROR, None, None, "diagnosis qualifiers are not ABK then ABF (ICD-9 BK/BF are not accepted)")
    SCRUB_ICD10_FORMAT = ("scrub_icd10_format", Severity.ERROR, None, None, "diagnosis code is not an ICD-10-CM code sent without its decimal point")
    SCRUB_DIAGNOSIS_DUPLICATE = ("scrub_diagnosis_duplicate", Severity.ERROR, None, None, "a diagnosis code appears twice on the claim")
    SCRUB_PROCEDURE_FORMAT = ("scrub_procedure_format", Severity.ERROR, None, None, "HC procedure code is neither a CPT nor a HCPCS Level II code")
    SCRUB_MODIFIERS = ("scrub_modifiers", Severity.ERROR, None, None, "procedure modifier is not 2 letters or digits, or repeats")
    SCRUB_UNITS = ("scrub_units", Severity.ERROR, None, None, "service units missing or not positive, or unit basis not UN (MJ, DA)")
    SCRUB_PLACE_OF_SERVICE = ("scrub_place_of_service", Severity.ERROR, None, None, "place of service or facility code (CLM05-1/-2, SV105, SV303) not valid")
    SCRUB_FREQUENCY = ("scrub_frequency", Severity.ERROR, None, None, "claim frequency code (CLM05-3) is not valid for the claim type")
    SCRUB_REPLACEMENT_REFERENCE = ("scrub_replacement_reference", Severity.ERROR, None, None, "replacement or void (CLM05-3 7, 8) without the original's payer claim number (REF*F8)")
    SCRUB_CHARGE_TOTAL = ("scrub_charge_total", Severity.ERROR, None, None, "claim charge (CLM02) does not equal the sum of the line charges")
    SCRUB_NEGATIVE_CHARGE = ("scrub_negative_charge", Severity.ERROR, None, None, "claim or line charge is negative")
    SCRUB_ZERO_CHARGE = ("scrub_zero_charge", Severity.WARNING, None, None, "claim charge is zero on a claim that is not an encounter (BHT06 RP)")
    SCRUB_CLAIM_ID = ("scrub_claim_id", Severity.ERROR, None, None, "patient control number (CLM01) empty, over 20 characters, or not unique in the file")
    SCRUB_LINE_CONTROL_NUMBER = ("scrub_line_control_number", Severity.ERROR, None, None, "line item control number (REF*6R) over 30 characters or repeated in the claim")
    SCRUB_SERVICE_DATE = ("scrub_service_date", Severity.ERROR, None, None, "service date (DTP*472) missing, invalid, later than BHT04, or before birth")
    SCRUB_DATE_SPAN = ("scrub_date_span", Severity.WARNING, None, None, "a date range (RD8) crosses calendar years")
    SCRUB_STATEMENT_DATES = ("scrub_statement_dates", Severity.ERROR, None, None, "statement period (DTP*434) missing, reversed, or ending after BHT04")
    SCRUB_DISCHARGE_HOUR = ("scrub_discharge_hour", Severity.WARNING, None, None, "discharge hour (DTP*096) is sent on an interim claim (CLM05-3 2 or 3)")

    def __init__(self, name: str, severity: Severity, ack: str | None, ack_code: str | None, description: str):
        self.id = name
        self.severity = severity
        self.ack = ack
        self.ack_code = ack_code
        self.description = description


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing found wrong or repaired, as data."""

    code: FindingCode
    location: Location
    detail: str = ""

    @property
    def severity(self) -> Severity:
        return self.code.severity

    @property
    def message(self) -> str:
        text = self.code.description
        if self.detail:
            text += f" ({self.detail})"
        return f"{text} at {self.location}"

    def to_dict(self) -> dict:
        """A JSON-able form, for `--json` outputs."""
        loc = {k: getattr(self.location, k) for k in Location.__slots__ if getattr(self.location, k) is not None}
        return {
            "code": self.code.id,
            "severity": self.severity.value,
            "ack": self.code.ack,
            "ack_code": self.code.ack_code,
            "message": self.message,
            "location": loc,
        }

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.message}"

    def __repr__(self) -> str:
        return f"<Finding {self.severity.value} {self.code.id} at {self.location}>"
