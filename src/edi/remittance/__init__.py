"""835 remittances as objects: payer, payee, payment, claims, service lines, adjustments, provider
adjustments; posting buckets per line and claim; reversals paired with their corrections.

    batch = edi.remittance.read_file("remit.835")
    for remittance in batch.remittances:
        print(remittance.payment.trace_number, remittance.payment.amount)
        for claim in remittance.claims:
            for line in claim.lines:
                print(line.procedure.code, line.charge, line.paid, line.buckets.contractual)
    batch.findings       # unreadable values, balancing, unpaired reversals
    batch.tables         # the six columnar tables (edi.remittance.tables)
"""
from .objects import (
    Adjustment, Claim, Party, Payment, Procedure, ProviderAdjustment, Remittance, RemittanceBatch, ServiceLine,
    read, read_file, read_files,
)
from .posting import BUCKETS, PostingBuckets, bucket_of, derive_allowed, pair_reversals
from .matching import (
    ClaimMatch, LineMatch, MatchResult, SubmissionBatch, SubmittedClaim, SubmittedLine, match, read_claims,
)

__all__ = [
    "BUCKETS", "Adjustment", "Claim", "Party", "Payment", "PostingBuckets", "Procedure", "ProviderAdjustment",
    "Remittance", "RemittanceBatch", "ServiceLine", "bucket_of", "derive_allowed", "pair_reversals", "read",
    "read_file", "read_files",
    "ClaimMatch", "LineMatch", "MatchResult", "SubmissionBatch", "SubmittedClaim", "SubmittedLine", "match",
    "read_claims",
]
