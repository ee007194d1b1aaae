"""Eligibility (270/271, 005010X279A1): inquiries built from plain values, responses read into one
summary per patient.

    data = edi.eligibility.build_270([Inquiry(Person("DOE", "JANE", member_id="W1234"))], payer=...,
                                     provider=..., sender=..., receiver=..., trace_assigner=...)
    for summary in edi.eligibility.read_file("reply.271"):
        summary.active, summary.plan, summary.copays, summary.deductibles, summary.rejections

`inquiry` builds the 270, `response` reads the 271, `codes` says what the codes mean in our own
words, and `card` is the `edi eligibility` command (add_arguments, run).
"""
from .card import add_arguments, render, run
from .inquiry import Inquiry, Payer, Person, Provider, build_270, is_npi
from .response import (
    Accumulator, AuthorizationFlag, Benefit, CostShare, EligibilityResponse, EligibilitySummary, Entity, Member,
    Rejection, read, read_file, read_responses, summaries,
)

__all__ = [
    "Accumulator", "AuthorizationFlag", "Benefit", "CostShare", "EligibilityResponse", "EligibilitySummary",
    "Entity", "Inquiry", "Member", "Payer", "Person", "Provider", "Rejection", "add_arguments", "build_270", "is_npi",
    "read", "read_file", "read_responses", "render", "run", "summaries",
]
