"""Claims to build in tests: hypothesis strategies of valid 837P and 837I submissions, and one
clean example of each (which scrubs clean, for test_scrub to break one rule at a time)."""
from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

from hypothesis import strategies as st

from edi.claims import (
    Address, Claim, Contact, Diagnosis, Party, Patient, Procedure, Provider, ServiceLine, Submission, Subscriber,
)
from edi.claims.scrub import npi_is_valid

CREATED = datetime.datetime(2025, 3, 4, 10, 30)


def npi(first_nine: str) -> str:
    """The NPI with these first nine digits (its Luhn check digit appended)."""
    return next(first_nine + d for d in "0123456789" if npi_is_valid(first_nine + d))


NAMES = st.from_regex(r"[A-Z]{2,12}", fullmatch=True)
IDS = st.from_regex(r"[A-Z0-9]{2,12}", fullmatch=True)
NPIS = st.from_regex(r"1[0-9]{8}", fullmatch=True).map(npi)
ADDRESSES = st.builds(
    Address, line1=st.from_regex(r"[1-9][0-9]{0,3} [A-Z]{3,10} ST", fullmatch=True),
    line2=st.sampled_from(["", "SUITE 100"]), city=NAMES, state=st.sampled_from(["NY", "CA", "TX", "NE", "WA"]),
    postal_code=st.from_regex(r"[0-9]{9}", fullmatch=True))
TAXONOMIES = st.sampled_from(["207Q00000X", "261QP2300X", "208000000X", "282N00000X"])
BIRTHS = st.dates(datetime.date(1930, 1, 1), datetime.date(2015, 12, 31))
SERVICE_DATES = st.dates(datetime.date(2024, 1, 1), datetime.date(2025, 2, 28))
MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
UNITS = st.decimals(min_value=Decimal("1"), max_value=Decimal("99"), places=0) | st.just(Decimal("1.5"))
ICD10 = st.from_regex(r"[A-TV-Z][0-9][0-9A-Z][0-9A-Z]{0,3}", fullmatch=True)
CPT = st.from_regex(r"[0-9]{5}", fullmatch=True) | st.from_regex(r"[A-V][0-9]{4}", fullmatch=True)
MODIFIERS = st.lists(st.sampled_from(["25", "59", "GP", "RT", "LT", "TC"]), max_size=3, unique=True).map(tuple)

ORGANIZATIONS = st.builds(Provider, name=NAMES, entity_type=st.just("2"), id_qualifier=st.just("XX"), id=NPIS,
                          address=ADDRESSES, references=st.from_regex(r"[0-9]{9}", fullmatch=True).map(lambda v: {"EI": v}),
                          taxonomy=st.just("") | TAXONOMIES)
PHYSICIANS = st.builds(Provider, name=NAMES, first_name=NAMES, entity_type=st.just("1"), id_qualifier=st.just("XX"),
                       id=NPIS, taxonomy=st.just("") | TAXONOMIES)
PLAIN_PHYSICIANS = PHYSICIANS.map(lambda p: dataclasses.replace(p, taxonomy=""))  # for loops without PRV
FACILITIES = st.builds(Provider, name=NAMES, entity_type=st.just("2"), id_qualifier=st.just("XX"), id=NPIS,
                       address=ADDRESSES)
SUBSCRIBERS = st.builds(Subscriber, name=NAMES, first_name=NAMES, middle_name=st.just("") | st.just("Q"),
                        entity_type=st.just("1"), id_qualifier=st.just("MI"), id=IDS,
                        address=st.none() | ADDRESSES, birth_date=BIRTHS, gender=st.sampled_from("FMU"),
                        responsibility=st.sampled_from("PST"), group_number=st.just("") | IDS,
                        filing_indicator=st.sampled_from(["CI", "MB", "MC", "12"]))
PAYERS = st.builds(Party, name=NAMES, entity_type=st.just("2"), id_qualifier=st.just("PI"), id=IDS)
PATIENTS = st.none() | st.builds(Patient, name=NAMES, first_name=NAMES, entity_type=st.just("1"), address=ADDRESSES,
                                 birth_date=BIRTHS, gender=st.sampled_from("FM"),
                                 relationship=st.sampled_from(["01", "19", "G8"]))


@st.composite
def professional_line(draw, diagnoses: int) -> ServiceLine:
    day = draw(SERVICE_DATES)
    return ServiceLine(
        procedure=Procedure("HC", draw(CPT), draw(MODIFIERS)), charge=draw(MONEY), units=draw(UNITS), unit_basis="UN",
        place_of_service=draw(st.sampled_from(["", "11"])),
        diagnosis_pointers=tuple(draw(st.lists(st.integers(1, diagnoses), min_size=1, max_size=4, unique=True))),
        service_from=day, service_to=draw(st.sampled_from([day, day + datetime.timedelta(days=1)])),
        control_number=draw(st.just("") | st.from_regex(r"[0-9]{4,12}", fullmatch=True)),
        providers=draw(st.just({}) | PHYSICIANS.map(lambda p: {"82": p})))


@st.composite
def institutional_line(draw) -> ServiceLine:
    day = draw(st.none() | SERVICE_DATES)
    return ServiceLine(
        procedure=draw(st.none() | st.builds(Procedure, st.just("HC"), CPT, MODIFIERS)), charge=draw(MONEY),
        units=draw(UNITS), unit_basis=draw(st.sampled_from(["UN", "DA"])),
        revenue_code=draw(st.from_regex(r"0[1-9][0-9]{2}", fullmatch=True)), service_from=day, service_to=day,
        control_number=draw(st.just("") | st.from_regex(r"[0-9]{4,12}", fullmatch=True)),
        providers=draw(st.just({}) | PLAIN_PHYSICIANS.map(lambda p: {"82": p})))


@st.composite
def claims(draw, kind: str, billing, subscriber, payer) -> Claim:
    codes = draw(st.lists(ICD10, min_size=1, max_size=12 if kind == "P" else 6, unique=True))
    diagnoses = [Diagnosis("ABK" if n == 0 else "ABF", code) for n, code in enumerate(codes)]
    if kind == "P":
        lines = draw(st.lists(professional_line(len(codes)), min_size=1, max_size=4))
        providers = draw(st.fixed_dictionaries({}, optional={"82": PHYSICIANS, "77": FACILITIES}))
        dates = draw(st.just({}) | SERVICE_DATES.map(lambda d: {"431": (d, d)}))
        fields = dict(facility_code="11", provider_signature="Y")
    else:
        diagnoses[0].present_on_admission = draw(st.sampled_from(["", "Y", "N"]))
        lines = draw(st.lists(institutional_line(), min_size=1, max_size=4))
        providers = draw(st.fixed_dictionaries({"71": PHYSICIANS}, optional={"82": PLAIN_PHYSICIANS, "77": FACILITIES}))
        start = draw(SERVICE_DATES)
        dates = {"434": (start, start + datetime.timedelta(days=draw(st.integers(0, 5))))}
        fields = dict(facility_code="13", admission_type="1", admission_source="1", patient_status="01")
    return Claim(
        claim_id=draw(st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True)), charge=sum(line.charge for line in lines),
        frequency="1", assignment="A", benefits_assigned="Y", release_of_information="Y",
        billing_provider=billing, subscriber=subscriber, payer=payer, patient=draw(PATIENTS), providers=providers,
        diagnoses=diagnoses, references=draw(st.just({}) | IDS.map(lambda v: {"G1": v})), dates=dates, lines=lines,
        **fields)


@st.composite
def submissions(draw, kind: str) -> Submission:
    """A valid submission: up to five claims from a small pool of billing providers,
    subscribers and payers, so that claims share HL levels."""
    billings = draw(st.lists(ORGANIZATIONS, min_size=1, max_size=2))
    subscribers = draw(st.lists(SUBSCRIBERS, min_size=1, max_size=2))
    payer = draw(PAYERS)
    claim_list = []
    for _ in range(draw(st.integers(1, 5))):
        billing, subscriber = draw(st.sampled_from(billings)), draw(st.sampled_from(subscribers))
        claim_list.append(draw(claims(kind, billing, subscriber, payer)))
    created = draw(st.datetimes(datetime.datetime(2025, 3, 1), datetime.datetime(2025, 6, 1))).replace(microsecond=0)
    return Submission(
        kind=kind, submitter=Party(draw(NAMES), id_qualifier="46", id=draw(IDS)),
        contact=Contact(draw(NAMES), phone=draw(st.from_regex(r"[2-9][0-9]{9}", fullmatch=True))),
        receiver=Party(draw(NAMES), id_qualifier="46", id=draw(IDS)), reference=draw(st.from_regex(r"[0-9]{1,10}", fullmatch=True)),
        created=created, claims=claim_list)


def clean_submission(kind: str) -> Submission:
    """One submission of two claims (one for a dependent patient) that passes every scrub rule."""
    billing = Provider("ACME CLINIC", id_qualifier="XX", id="1234567893", taxonomy="207Q00000X",
                       address=Address("100 MAIN ST", city="OMAHA", state="NE", postal_code="681021234"),
                       references={"EI": "123456789"})
    subscriber = Subscriber("DOE", "JANE", entity_type="1", id_qualifier="MI", id="W123456789",
                            birth_date=datetime.date(1970, 5, 1), gender="F", filing_indicator="CI")
    payer = Party("GREAT PLAN", id_qualifier="PI", id="GP001")
    child = Patient("DOE", "JOHN", entity_type="1", address=Address("1 ELM ST", city="OMAHA", state="NE",
                                                                   postal_code="681029999"),
                    birth_date=datetime.date(2010, 2, 3), gender="M", relationship="19")
    rendering = Provider("SMITH", "ANN", entity_type="1", id_qualifier="XX", id=npi("100000000"), taxonomy="207Q00000X")
    day = datetime.date(2025, 2, 20)
    result = []
    for n, patient in enumerate((None, child), 1):
        if kind == "P":
            lines = [ServiceLine(Procedure("HC", "99213", ("25",)), Decimal("125.00"), Decimal("1"), "UN", "11", (1, 2),
                                 service_from=day, service_to=day, control_number=f"{n}01"),
                     ServiceLine(Procedure("HC", "J3420"), Decimal("20.50"), Decimal("2"), "UN", "", (2,),
                                 service_from=day, service_to=day, control_number=f"{n}02")]
            fields = dict(facility_code="11", provider_signature="Y", providers={"82": rendering})
        else:
            lines = [ServiceLine(Procedure("HC", "85025"), Decimal("125.00"), Decimal("1"), "UN", revenue_code="0305",
                                 service_from=day, service_to=day, control_number=f"{n}01"),
                     ServiceLine(None, Decimal("20.50"), Decimal("2"), "DA", revenue_code="0120",
                                 service_from=day, service_to=day, control_number=f"{n}02")]
            fields = dict(facility_code="11", admission_type="1", admission_source="1", patient_status="01",
                          providers={"71": rendering}, dates={"434": (day, day + datetime.timedelta(days=1))})
        result.append(Claim(
            f"CLAIM{n}", Decimal("145.50"), frequency="1", assignment="A", benefits_assigned="Y",
            release_of_information="Y", billing_provider=billing, subscriber=subscriber, payer=payer, patient=patient,
            diagnoses=[Diagnosis("ABK", "J209"), Diagnosis("ABF", "E119")], lines=lines, **fields))
    return Submission(kind, Party("ACME BILLING", id_qualifier="46", id="SUB01"), Contact("PAT", phone="4025551212"),
                      Party("GREAT PLAN", id_qualifier="46", id="GP001"), "1001", CREATED, claims=result)
