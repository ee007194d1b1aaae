"""`edi eligibility FILE.271...`: a one-screen card per patient, or `--json`.

The card is for the person at the front desk, on their own terminal: it shows the patient's name
and member id. Each section keeps to a few lines and says how many more `--json` would show.
A response rejected above its patients (no subscriber level) gets a short card of its own.
"""
from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal

from .. import read_file as read_document
from ..errors import EdiError
from . import codes
from .response import (
    Accumulator, Benefit, CostShare, EligibilityResponse, EligibilitySummary, Rejection, read_responses,
)

#: Lines a card section shows before "+N more".
SECTION_LINES = 4
#: Width of a card line.
WIDTH = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="271 eligibility responses")
    parser.add_argument("--json", action="store_true", help="print JSON instead of cards")
    parser.add_argument("--strict", action="store_true", help="reject files that need repairs")


def run(args: argparse.Namespace) -> int:
    """Print the cards (or JSON) of each file; 1 when a file cannot be read."""
    status, results = 0, []
    for path in args.files:
        try:
            responses = read_responses(read_document(path, strict=args.strict))
        except (OSError, EdiError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            results.append({"file": path, "responses": [r.to_dict() for r in responses]})
            continue
        cards = [card for r in responses for card in response_cards(r)]
        for card in cards or [f"{path}: no 271 eligibility response"]:
            print(card, end="\n\n")
    if args.json:
        json.dump(results, sys.stdout, indent=1)
        print()
    return status


def response_cards(response: EligibilityResponse) -> list[str]:
    """A card per patient, or one card with the rejections when the response has no patient."""
    if response.summaries:
        return [render(s) for s in response.summaries]
    payer = response.payer.full_name if response.payer is not None else "(payer not named)"
    why = "the request was rejected" if response.rejections else "no patient level"
    lines = [f"No patient in this response from {payer}", f"Coverage      UNKNOWN: {why}"]
    lines += _section("Rejected", [_rejection(r) for r in response.rejections])
    return ["\n".join(lines)]


def render(summary: EligibilitySummary) -> str:
    """The text card of one patient."""
    patient = summary.patient
    born = f"  born {patient.date_of_birth.isoformat()}" if patient.date_of_birth else ""
    member = summary.subscriber.member_id
    lines = [_fit(f"{patient.name or '(no name)'}  ({summary.level})" + (f"  member {member}" if member else "") + born)]
    if summary.dependent is not None:
        lines.append(_fit(f"  subscriber {summary.subscriber.name or '(no name)'}"))
    parties = []
    if summary.payer is not None:
        parties.append(f"payer {summary.payer.full_name}")
    if summary.receiver is not None:
        receiver = summary.receiver
        parties.append(f"provider {receiver.full_name}" + (f" ({receiver.id_qualifier} {receiver.id})" if receiver.id else ""))
    parties += [f"trace {number}" for kind, number, _ in summary.traces if kind == "2"]
    if parties:
        lines.append(_fit("  ".join(parties)))
    status = _status(summary)
    plan_begin, plan_end = summary.plan_period
    plan = f"  plan {summary.plan}" if summary.plan else ""
    if plan_begin or plan_end:
        plan += f"  plan period {_day(plan_begin)} to {_day(plan_end)}"
    group = summary.patient.references.get("1L") or summary.subscriber.references.get("1L")
    lines.append(_fit(f"Coverage      {status}{plan}" + (f"  group {group}" if group else "")))
    lines += _section("Copay", _cost_lines(summary.copays))
    lines += _section("Coinsurance", _cost_lines(summary.coinsurance))
    lines += _section("Deductible", [_accumulator(a) for a in summary.deductibles])
    lines += _section("Out of pocket", [_accumulator(a) for a in summary.out_of_pocket])
    lines += _section("Prior auth", _authorization_lines(summary))
    lines += _section("Not covered", [_benefit_line(b) for b in summary.non_covered])
    lines += _section("Limitations", [_benefit_line(b) for b in summary.limitations])
    lines += _section("Other payer", [_other_payer(b) for b in summary.other_payers])
    lines += _section("Rejected", [_rejection(r) for r in summary.rejections])
    return "\n".join(lines)


# --- lines -----------------------------------------------------------------------------------------

def _status(summary: EligibilitySummary) -> str:
    active = summary.active
    if active is not None:
        return "ACTIVE" if active else "INACTIVE"
    if summary.rejected:
        return "UNKNOWN: the request was rejected"
    if summary.benefits:
        return "UNKNOWN: no clear coverage status"
    return "UNKNOWN: no benefits at this level"


def _section(title: str, items: list[str]) -> list[str]:
    """Up to SECTION_LINES items under a title (omitted when empty), then "+N more"."""
    if not items:
        return []
    shown = [_fit(f"{title if n == 0 else '':<14}{item}") for n, item in enumerate(items[:SECTION_LINES])]
    if len(items) > SECTION_LINES:
        shown.append(f"{'':<14}+{len(items) - SECTION_LINES} more (--json shows all)")
    return shown


def _cost_lines(shares: list[CostShare]) -> list[str]:
    """Copays or coinsurance with the same terms on one line, their service types listed."""
    grouped: dict[tuple, dict] = {}  # terms -> service types (a dict keeps them once, in order)
    for c in shares:
        value = _money(c.amount) if c.amount is not None else _percent(c.percent) if c.percent is not None else "?"
        terms = (value, _terms(c.period, c.network, c.coverage_level, c.insurance_type))
        grouped.setdefault(terms, {})[_service(c.service_type)] = None
    return [f"{value}{terms}: {', '.join(services)}" for (value, terms), services in grouped.items()]


def _accumulator(a: Accumulator) -> str:
    parts = [f"{_money(a.total)} {codes.label(codes.TIME_PERIOD, a.period)}".rstrip() if a.total is not None else ""]
    parts += [f"{_money(a.remaining)} remaining" if a.remaining is not None else "",
              f"{_money(a.met)} met" if a.met is not None else ""]
    parts += [_quantity(b) for b in a.benefits] if not any(parts) else []
    terms = _terms("", a.network, a.coverage_level, a.insurance_type)
    return f"{_service(a.service_type)}{terms}: {', '.join(p for p in parts if p) or 'no amount'}"


def _authorization_lines(summary: EligibilitySummary) -> list[str]:
    grouped: dict[str, list[str]] = {}
    for flag in summary.authorizations:
        how = {True: "required", False: "not required", None: "unknown"}[flag.required]
        if flag.source == "message":
            how = "see the payer's message"
        network = f", {codes.label(codes.NETWORK, flag.network)}" if flag.network else ""
        grouped.setdefault(how + network, []).append(_service(flag.service_type))
    return [f"{how}: {', '.join(services)}" for how, services in grouped.items()]


def _benefit_line(b: Benefit) -> str:
    """Service types, then quantity, amount and period, then the first message."""
    services = ", ".join(_service(s) for s in b.service_types) or "all services"
    period = codes.label(codes.TIME_PERIOD, b.time_period) if b.time_period else ""
    details = " ".join(p for p in (_quantity(b), _money(b.amount), period) if p)
    return services + (f": {details}" if details else "") + (f"  ({b.messages[0]})" if b.messages else "")


def _other_payer(b: Benefit) -> str:
    names = [e.name or e.role for e in b.entities]
    policy = b.references.get("IG")
    return (", ".join(names) or b.plan or "named in the response") + (f"  policy {policy}" if policy else "")


def _quantity(b: Benefit) -> str:
    """EB10 with what it counts (EB09), or "" without a quantity."""
    return f"{b.quantity} {codes.label(codes.QUANTITY, b.quantity_qualifier)}".rstrip() if b.quantity is not None else ""


def _rejection(r: Rejection) -> str:
    return f"{r.reason_label} [{r.reason}] -> {r.action_label} [{r.action}]  ({r.loop})"


def _terms(period: str, network: str, level: str, insurance_type: str) -> str:
    parts = [codes.label(codes.TIME_PERIOD, period) if period else "",
             codes.label(codes.NETWORK, network) if network else "",
             codes.label(codes.COVERAGE_LEVEL, level) if level else "", insurance_type]
    return "".join(f", {p}" for p in parts if p)


def _service(code: str) -> str:
    return codes.label(codes.SERVICE_TYPE, code) if code else "all services"


def _money(value: Decimal | None) -> str:
    return f"${value:,.2f}" if value is not None else ""


def _percent(fraction: Decimal) -> str:
    """An EB08 fraction as a percentage: 0.2 -> "20%"."""
    return f"{(fraction * 100).normalize():f}%"


def _day(value) -> str:
    return value.isoformat() if value is not None else "-"


def _fit(line: str) -> str:
    return line if len(line) <= WIDTH else line[: WIDTH - 3] + "..."
