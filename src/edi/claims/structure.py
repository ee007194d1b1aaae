"""Where every segment of the 837s of a document belongs: which zone (billing provider,
subscriber, patient, claim, other payer, service line...), which claim and line, and which NM1
entity, computed with numpy from the SegmentIndex.

An 837's loops follow from segment order, as DOMAIN 2 describes them: an HL opens a hierarchical
level (its HL03 says which: 20 billing provider, 22 subscriber, 23 patient), CLM a claim, an SBR
inside a claim the other-payer loops (2320/2330), LX a service line, SVD or LQ the line's
adjudication or form loops. Segments after an NM1 belong to that NM1's loop (its N3, N4, REF,
PRV, DMG) until the next NM1 or zone opener. So an NM1*IL after a claim's SBR is an other
subscriber (2330A) and not the subscriber (2010BA), and an NM1*82 after an LX is the line's
rendering provider (2420A), whatever the file's GS08 says: one pass reads 4010 and 5010 P, I
and D, and versions we have no schema for. Hierarchical parents come from HL02, not from order.

The openers (ST, HL, CLM, SBR in a claim, LX, SVD, LQ, and SE or anything outside an 837) are
few; each segment's attribution is its last opener's, so only two arrays span every segment
(its last opener and its last NM1) and everything else is looked up for the segments asked
about. Both the tables (tables.py) and the objects (objects.py) are read from this one
attribution, so they agree by construction; the scrub rules use it too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._py.remit import FOLD
from ..index import SegmentIndex, pack_tag
from ..model import Document, Transaction
from . import values

#: Zones: where a segment is. OTHER_LEVEL is an HL whose HL03 is not 20, 22 or 23.
OUTSIDE, HEADER, BILLING, SUBSCRIBER, PATIENT, OTHER_LEVEL, CLAIM, OTHER_PAYER, LINE, LINE_DETAIL = range(10)
IN_CLAIM = (CLAIM, OTHER_PAYER, LINE, LINE_DETAIL)
#: How far up the HL02 chain `Structure.ancestor` looks (an 837 has three levels).
MAX_DEPTH = 8
LEVELS = {"20": BILLING, "22": SUBSCRIBER, "23": PATIENT}
SERVICES = ("SV1", "SV2", "SV3")
#: Transaction kinds from the service segments found, else from GS08 (the guide).
KINDS_BY_SERVICE = (("SV2", "I"), ("SV3", "D"), ("SV1", "P"))
KINDS_BY_GUIDE = {"X222": "P", "X098": "P", "X223": "I", "X096": "I", "X224": "D", "X097": "D"}


def tag(segment_id: str) -> int:
    """The case-folded packed id of a segment (compared with `Structure.tag`)."""
    return pack_tag(segment_id) & FOLD


def _carry(hits: np.ndarray, n: int) -> np.ndarray:
    """For each of n positions, the index in the ascending `hits` of the last hit at or before
    it (-1: none)."""
    return np.repeat(np.arange(-1, len(hits), dtype=np.int64), np.diff(np.r_[0, hits, n]))


def _before(hits: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each of `positions`, the last of the ascending `hits` at or before it (-1: none)."""
    at = np.searchsorted(hits, positions, side="right") - 1
    return np.where(at >= 0, hits[np.maximum(at, 0)], -1) if len(hits) else np.full(len(positions), -1)


@dataclass(eq=False)
class Structure:
    """The attribution of the 837 transactions of one document.

    Openers o (ascending `openers[o]`) have a zone, claim row, line row and HL row
    (`opener_zone`, `opener_claim`, ...; -1: none); `last_opener[i]` and `last_nm1[i]` are, for
    every segment i, its last opener (index into `openers`) and its last NM1 (position, -1).
    Ask `zone_of`, `claim_of`, `line_of`, `level_of`, `transaction_of` and `entity_of` (the NM1
    whose loop a segment is in, -1 when it is directly in its zone's loop; an NM1 is its own)
    for the segments you need. Per HL row h: `level_at[h]` (its segment), `level_zone[h]`,
    `level_parent[h]` (the HL row its HL02 names, -1 if none). Per claim k: `claim_at[k]` (the
    CLM), `claim_end[k]` (one past its last segment), `claim_level[k]`, `claim_transaction[k]`.
    Per line r: `line_at[r]` (the LX) and `line_claim[r]`. `transactions[t]` is the t-th 837 of
    the document, `numbers[t]` its position among all the document's transactions, `kinds[t]`
    its kind: "P", "I" or "D". `tag` is every segment's case-folded packed id.
    """

    index: SegmentIndex
    transactions: list[Transaction]
    numbers: np.ndarray
    kinds: list[str]
    tag: np.ndarray
    openers: np.ndarray
    opener_zone: np.ndarray
    opener_claim: np.ndarray
    opener_line: np.ndarray
    opener_level: np.ndarray
    opener_transaction: np.ndarray
    last_opener: np.ndarray
    last_nm1: np.ndarray
    level_at: np.ndarray
    level_zone: np.ndarray
    level_parent: np.ndarray
    claim_at: np.ndarray
    claim_end: np.ndarray
    line_at: np.ndarray
    _positions: dict = field(default_factory=dict)  # found once: positions and qualifiers by id, services

    # --- attribution of given segments --------------------------------------------------------
    def zone_of(self, positions) -> np.ndarray:
        return self.opener_zone[self.last_opener[positions]]

    def claim_of(self, positions) -> np.ndarray:
        return self.opener_claim[self.last_opener[positions]]

    def line_of(self, positions) -> np.ndarray:
        return self.opener_line[self.last_opener[positions]]

    def level_of(self, positions) -> np.ndarray:
        return self.opener_level[self.last_opener[positions]]

    def transaction_of(self, positions) -> np.ndarray:
        return self.opener_transaction[self.last_opener[positions]]

    def entity_of(self, positions) -> np.ndarray:
        nm1 = self.last_nm1[positions]
        inside = (nm1 > self.openers[self.last_opener[positions]]) & (self.zone_of(positions) != OUTSIDE)
        return np.where(inside, nm1, -1)

    @property
    def claim_level(self) -> np.ndarray:
        return self.level_of(self.claim_at)

    @property
    def claim_transaction(self) -> np.ndarray:
        return self.transaction_of(self.claim_at)

    @property
    def line_claim(self) -> np.ndarray:
        return self.claim_of(self.line_at)

    # --- finding segments ---------------------------------------------------------------------
    def positions(self, segment_id: str) -> np.ndarray:
        """Positions of the segments with this id in the 837s (found once per id)."""
        if segment_id not in self._positions:
            found = np.flatnonzero(self.tag == tag(segment_id))
            self._positions[segment_id] = found[self.zone_of(found) != OUTSIDE]
        return self._positions[segment_id]

    def find(self, segment_id: str, zones=None, qualifiers=None, *, direct: bool | None = None) -> np.ndarray:
        """Positions of the segments with this id, in `zones` (one or a tuple) when given, whose
        first element is one of `qualifiers` when given; `direct` True keeps those directly in
        their zone's loop, False those in an NM1's loop (NM1s themselves included)."""
        positions = self.positions(segment_id)
        keep = np.ones(len(positions), bool)
        if zones is not None:
            keep &= np.isin(self.zone_of(positions), zones)
        if direct is not None:
            keep &= (self.entity_of(positions) < 0) == direct
        if qualifiers is not None:
            codes = (qualifiers,) if isinstance(qualifiers, str) else qualifiers
            keep &= np.isin(self.qualifiers(segment_id), [values.code(c) for c in codes])
        return positions[keep]

    def qualifiers(self, segment_id: str) -> np.ndarray:
        """The first element of each of `positions(segment_id)` as `values.codes` (read once)."""
        key = segment_id + "01"
        if key not in self._positions:
            self._positions[key] = values.codes(self.index, self.positions(segment_id), 1)
        return self._positions[key]

    def first_per(self, positions: np.ndarray, owner, count: int) -> np.ndarray:
        """For each of `count` rows, the first of `positions` that `owner(positions)` (a row
        lookup such as `claim_of`) gives it, or -1: `first_per(find("NM1", CLAIM, "82"),
        claim_of, n)` is each claim's first claim-level NM1*82."""
        result = np.full(count, -1, np.int64)
        owners = owner(positions)
        keep = owners >= 0
        owned, first = np.unique(owners[keep], return_index=True)
        result[owned] = positions[keep][first]
        return result

    def member(self, entities: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """For each NM1 position in `entities` (-1: none), the first of `positions` (ascending,
        as `find` gives them) in that NM1's loop, or -1: `member(billing_nm1, find("REF",
        BILLING, "EI"))` is each billing provider's REF*EI."""
        entities = np.asarray(entities, np.int64)
        owners = self.entity_of(positions)  # ascending too: an NM1's members follow it
        if not len(owners):
            return np.full(len(entities), -1, np.int64)
        at = np.minimum(np.searchsorted(owners, entities), len(owners) - 1)
        return np.where((entities >= 0) & (owners[at] == entities), positions[at], -1)

    def services(self) -> np.ndarray:
        """Each line's service segment (its first SV1, SV2 or SV3; -1: none)."""
        if "services" not in self._positions:
            found = np.sort(np.concatenate([self.find(sid, LINE, direct=True) for sid in SERVICES]))
            self._positions["services"] = self.first_per(found, self.line_of, len(self.line_at))
        return self._positions["services"]

    def ancestor(self, levels: np.ndarray, zone: int) -> np.ndarray:
        """For HL rows `levels` (-1: none), the row itself or its nearest HL02 ancestor in
        `zone`, looking at most MAX_DEPTH levels up (-1 when there is none)."""
        result = np.full(len(levels), -1, np.int64)
        current = np.asarray(levels, np.int64)
        for _ in range(MAX_DEPTH):
            live = current >= 0
            if not live.any():
                break
            here = np.where(live, current, 0)
            found = live & (self.level_zone[here] == zone)
            result[found] = current[found]
            current = np.where(live & ~found, self.level_parent[here], -1)
        return result


def structure(document: Document) -> Structure:
    """The attribution of every 837 transaction of `document`, read as read (no edits)."""
    index = document.index
    every = document.transactions
    numbers = [p for p, t in enumerate(every) if t.index is index and t.set_id == "837"]
    transactions = [every[p] for p in numbers]
    n = len(index)
    folded = index.seg_tag & np.uint32(FOLD)
    starts = np.array([txn.first for txn in transactions], np.int64)
    ends = np.array([txn.last + (txn.trailer is None) for txn in transactions], np.int64)  # SE, or past the end
    # Outside: anything before, between and after the 837s' ST..SE (SE itself included).
    outside = np.sort(np.concatenate([np.arange(0, starts[0]) if len(starts) else np.arange(n), ends[ends < n],
                                      *(np.arange(a + 1, b) for a, b in zip(ends, np.r_[starts[1:], n]))]))
    at = {}
    for segment_id in ("HL", "CLM", "LX", "SBR", "SVD", "LQ", "NM1"):
        found = np.flatnonzero(folded == tag(segment_id))
        at[segment_id] = found[_before(starts, found) > _before(outside, found)]

    # Claims run from a CLM to the next HL, ST, SE or CLM; an SBR, LX, SVD or LQ inside a claim
    # opens a zone of its own.
    boundaries = np.sort(np.concatenate([outside, starts, at["HL"]]))
    in_claim = lambda positions: _before(at["CLM"], positions) > _before(boundaries, positions)  # noqa: E731
    line_at = at["LX"][in_claim(at["LX"])]
    other_payer = at["SBR"][in_claim(at["SBR"])]
    detail = np.sort(np.concatenate([at["SVD"], at["LQ"]]))
    detail = detail[in_claim(detail)]

    level_at = at["HL"]
    level_zone = np.full(len(level_at), OTHER_LEVEL, np.int8)
    level_codes = values.codes(index, level_at, 3)
    for code, zone in LEVELS.items():
        level_zone[level_codes == values.code(code)] = zone
    kinds = [(outside, OUTSIDE), (starts, HEADER), (level_at, level_zone), (at["CLM"], CLAIM),
             (other_payer, OTHER_PAYER), (line_at, LINE), (detail, LINE_DETAIL)]
    openers = np.concatenate([positions for positions, _ in kinds])
    order = np.argsort(openers, kind="stable")
    openers = openers[order]
    zones = np.concatenate([np.broadcast_to(np.asarray(z, np.int8), p.shape) for p, z in kinds])[order]
    # Rows: the claim (line, level, transaction) each opener belongs to.
    claims = np.where(np.isin(zones, IN_CLAIM), np.cumsum(zones == CLAIM) - 1, -1)
    lines = np.where(np.isin(zones, (LINE, LINE_DETAIL)), np.cumsum(zones == LINE) - 1, -1)
    first_of_transaction = _before(np.sort(np.concatenate([outside, starts])), openers)
    levels = np.where((_before(level_at, openers) > first_of_transaction) & (zones != OUTSIDE),
                      np.searchsorted(level_at, openers, side="right") - 1, -1)
    transactions_of = np.where(zones != OUTSIDE, np.searchsorted(starts, openers, side="right") - 1, -1)
    # Padding: opener -1 (segments before the first opener) reads the last entry, OUTSIDE.
    pad = lambda column, value: np.r_[column, np.asarray([value], column.dtype)]  # noqa: E731

    claim_ends = np.sort(np.concatenate([boundaries, at["CLM"]]))
    following = np.searchsorted(claim_ends, at["CLM"], side="right")
    claim_end = np.where(following < len(claim_ends), claim_ends[np.minimum(following, len(claim_ends) - 1)], n)
    nm1 = at["NM1"]
    return Structure(
        index, transactions, np.array(numbers, np.int64), _kinds(transactions, folded, starts), folded,
        pad(openers, -1), pad(zones, OUTSIDE), pad(claims, -1), pad(lines, -1), pad(levels, -1),
        pad(transactions_of, -1), _carry(openers, n), np.r_[-1, nm1][_carry(nm1, n) + 1], level_at, level_zone,
        _parents(index, level_at, np.searchsorted(starts, level_at, side="right") - 1), at["CLM"], claim_end, line_at,
    )


def _parents(index: SegmentIndex, level_at: np.ndarray, transaction: np.ndarray) -> np.ndarray:
    """The HL row that each HL's HL02 names in its transaction (-1: none, not found, or not
    an earlier HL: parents come first, which also keeps hostile input free of cycles)."""
    ids, id_null = values.integers(index, level_at, 1)
    parents, parent_null = values.integers(index, level_at, 2)
    span = np.int64(1) << 40
    keys = np.where(id_null, -1, transaction * span + ids)
    order = np.argsort(keys, kind="stable")
    wanted = transaction * span + parents
    at = np.minimum(np.searchsorted(keys, wanted, sorter=order), max(len(keys) - 1, 0))
    found = ~parent_null & (len(keys) > 0)
    if len(keys):
        found &= keys[order[at]] == wanted
    parent = order[at] if len(keys) else np.zeros(0, np.int64)
    return np.where(found & (parent < np.arange(len(keys))), parent, -1)


def _kinds(transactions: list[Transaction], folded: np.ndarray, starts: np.ndarray) -> list[str]:
    """Each transaction's kind, from the service segments it holds (SV2 institutional, SV3
    dental, SV1 professional), else from its guide (GS08): files in the wild name the wrong
    guide more often than they hold the wrong segments."""
    holds = {kind: set((np.searchsorted(starts, np.flatnonzero(folded == tag(segment_id)), side="right") - 1).tolist())
             for segment_id, kind in KINDS_BY_SERVICE}
    return [next((kind for _, kind in KINDS_BY_SERVICE if t in holds[kind]), None)
            or next((kind for key, kind in KINDS_BY_GUIDE.items() if key in txn.version), "P")
            for t, txn in enumerate(transactions)]
