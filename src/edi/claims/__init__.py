"""837 health care claims (professional, institutional, dental): read them into objects and
tables, write them, and check them before they are sent.

    batch = edi.claims.read_file("claims.837")
    for claim in batch.claims:
        print(claim.charge, claim.billing_provider.npi, [line.procedure.code for line in claim.lines])
    batch.tables["service_lines"].to_pandas()        # claims, service_lines, diagnoses (edi.Table)
    data = edi.claims.build_837p([batch.submissions[0]], sender_id="SUBMITTER", receiver_id="PAYER")
    for finding in edi.claims.scrub(edi.read_file("claims.837")):
        print(finding)                               # rule, claim, line, location
"""
from .build import build_837i, build_837p
from .objects import (
    Address, Claim, ClaimBatch, Contact, Diagnosis, Party, Patient, Person, Procedure, Provider, ServiceLine,
    Submission, Subscriber, read, read_file, read_files,
)
from .scrub import RULES, ScrubFinding, scrub
from .tables import extract

__all__ = [
    "RULES", "Address", "Claim", "ClaimBatch", "Contact", "Diagnosis", "Party", "Patient", "Person", "Procedure",
    "Provider", "ScrubFinding", "ServiceLine", "Submission", "Subscriber", "build_837i", "build_837p", "extract",
    "read", "read_file", "read_files", "scrub",
]
