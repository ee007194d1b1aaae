"""Validation against the implementation guides (WEDI SNIP types 1-2), as findings.

`validate(document)` returns the reading and envelope findings of the document followed by, for
every transaction set, what its schema says is wrong:
- segment level (999 IK3), from the LoopIndex with numpy: segments that match nothing
  (unrecognized, not in the set, unexpected, out of sequence), segments marked not used, required
  segments and loops missing, segments over their maximum use, loops over their maximum repeat;
- element level (999 IK4), by a native kernel (`edi._fast._validate`, twinned by
  `edi._py.validate`) over the schema flattened into `Rules`: required, not used, length, type
  (numbers, dates, times, characters), code values, repetitions, components, syntax rules.

Each finding carries its 999 code (IK304, IK403 or IK502) and a location: byte offset, segment
number, segment id, position in the set, loop path, element, component and repetition. Messages
never carry element values.

Code values come from the guide's own lists. External code lists are checked only where they are
stable (states, countries, currencies): pyx12's copies of the remark, claim status, place of
service and service type lists are years old, and checking current codes against them belongs to
SNIP type 5 with current lists, not to the guide.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from . import _backend
from ._py import validate as kernel
from .errors import Finding, FindingCode, Location
from .model import Document, Transaction
from .schema import LoopNode, Schema, SegmentNode

#: External code lists checked (the others are out of date in the maps; see the module doc).
CHECKED_EXTERNAL_CODES = ("states", "country", "currency")

ELEMENT_FINDINGS = {
    kernel.E_REQUIRED: FindingCode.REQUIRED_ELEMENT_MISSING,
    kernel.E_CONDITIONAL: FindingCode.CONDITIONAL_ELEMENT_MISSING,
    kernel.E_TOO_MANY_ELEMENTS: FindingCode.TOO_MANY_ELEMENTS,
    kernel.E_TOO_SHORT: FindingCode.ELEMENT_TOO_SHORT,
    kernel.E_TOO_LONG: FindingCode.ELEMENT_TOO_LONG,
    kernel.E_CHARACTER: FindingCode.INVALID_CHARACTER,
    kernel.E_CODE: FindingCode.INVALID_CODE,
    kernel.E_DATE: FindingCode.INVALID_DATE,
    kernel.E_TIME: FindingCode.INVALID_TIME,
    kernel.E_EXCLUSION: FindingCode.EXCLUSION_VIOLATED,
    kernel.E_REPETITIONS: FindingCode.TOO_MANY_REPETITIONS,
    kernel.E_COMPONENTS: FindingCode.TOO_MANY_COMPONENTS,
    kernel.E_NOT_USED: FindingCode.NOT_USED_ELEMENT,
}
_TYPES = {"AN": kernel.T_AN, "ID": kernel.T_ID, "R": kernel.T_R, "DT": kernel.T_DT, "TM": kernel.T_TM}
_USAGES = {"R": kernel.U_REQUIRED, "S": kernel.U_SITUATIONAL, "N": kernel.U_NOT_USED}
_RULES = {"P": kernel.R_PAIRED, "R": kernel.R_REQUIRED, "E": kernel.R_EXCLUSION, "C": kernel.R_CONDITIONAL,
          "L": kernel.R_LIST}


def validate(document: Document) -> list[Finding]:
    """Everything found wrong in the document: reading and envelope findings, then each
    transaction set's findings in set order."""
    findings = list(document.findings)
    for interchange in document.interchanges:
        findings.extend(interchange_findings(interchange))
        findings.extend(validate_transactions(interchange.transactions))
    return findings


#: ISA05/ISA07 interchange id qualifiers (X12 data element I05).
ISA_QUALIFIERS = {"01", "02", "03", "04", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18",
                  "19", "20", "27", "28", "29", "30", "33", "ZZ"}
ISA_VERSIONS = {"00200", "00300", "00400", "00401", "00402", "00403", "00404", "00405", "00406", "00500",
                "00501", "00502", "00503", "00504", "00505", "00600", "00601", "00602", "00603", "00604",
                "00700", "00701", "00702", "00703", "00704", "00705", "00800", "00801"}


def interchange_findings(interchange) -> list[Finding]:
    """The ISA's own fields (TA1 note codes 005-020): qualifiers, ids, date, time, version,
    control number, acknowledgment request and usage indicator."""
    header = interchange.header
    if header is None or header.is_view is False:
        return []
    field = lambda j: header[j]  # noqa: E731
    checks = [
        (5, FindingCode.ISA_SENDER_QUALIFIER, field(5).strip() in ISA_QUALIFIERS),
        (6, FindingCode.ISA_SENDER_ID, bool(field(6).strip())),
        (7, FindingCode.ISA_RECEIVER_QUALIFIER, field(7).strip() in ISA_QUALIFIERS),
        (8, FindingCode.ISA_RECEIVER_ID, bool(field(8).strip())),
        (9, FindingCode.ISA_DATE, kernel._is_date(field(9).encode()) and len(field(9)) == 6),
        (10, FindingCode.ISA_TIME, kernel._is_time(field(10).encode()) and len(field(10)) == 4),
        (11, FindingCode.ISA_STANDARDS_ID, field(12) >= "00402" or field(11) == "U"),
        (12, FindingCode.ISA_VERSION, field(12) in ISA_VERSIONS),
        (13, FindingCode.ISA_CONTROL_NUMBER, field(13).isdigit() and len(field(13)) == 9),
        (14, FindingCode.ISA_ACK_REQUESTED, field(14) in ("0", "1")),
        (15, FindingCode.ISA_USAGE, field(15) in ("P", "T")),
    ]
    location = header.location
    return [Finding(code, Location(location.byte_offset, location.segment_number, "ISA", element=j,
                                   source=location.source))
            for j, code, ok in checks if not ok]


def validate_transaction(txn: Transaction) -> list[Finding]:
    """The findings of one transaction set as read (SNIP 1-2), in segment order."""
    return validate_transactions([txn])


def validate_transactions(transactions) -> list[Finding]:
    """The findings of transaction sets as read (SNIP 1-2), set by set, each in segment order."""
    return [f for found in findings_by_set(transactions) for f in found]


def findings_by_set(transactions) -> list[list[Finding]]:
    """The findings of each transaction set, in segment order. Sets that share an index, a
    schema and delimiters are checked as one `_Batch`: every check runs once over all their
    segments, not once per set."""
    results: list[list[Finding]] = [[] for _ in transactions]
    batches: dict = {}
    for n, txn in enumerate(transactions):
        if txn.index is None:
            continue
        schema = txn.schema
        if schema is None:
            results[n].append(Finding(FindingCode.NO_SCHEMA, _location(txn, 0, None)))
            continue
        st03 = txn.header[3]
        if st03 and txn.group is not None and txn.group.version and st03 != txn.group.version:
            results[n].append(Finding(FindingCode.ST03_MISMATCH, _location(txn, 0, None, element=3)))
        key = (id(txn.index), schema, txn.index.delimiters(txn.first))
        batches.setdefault(key, []).append(n)
    for (_, schema, delimiters), members in batches.items():
        batch = _Batch([transactions[n] for n in members], rules_for(schema))
        for t, finding in batch.segment_findings() + batch.element_findings(delimiters):
            results[members[t]].append(finding)
    for found in results:
        found.sort(key=lambda f: (f.location.set_position or 0, f.location.element or 0))
    return results


# --- schema rules as arrays ------------------------------------------------------------------

@dataclass(eq=False)
class Rules:
    """A schema's element and segment rules flattened into arrays for the kernels.

    Segment node s has `seg_def_count[s]` top-level element definitions from `seg_def_first[s]`
    (in element order) and `seg_rule_count[s]` syntax rules from `seg_rule_first[s]`. A
    definition d has `usage`, `type`, `min_length`, `max_length`, `repeat` and `code_set` (index
    into `code_sets`, -1 for none); a composite's components are the `comp_count[d]` definitions
    from `comp_first[d]`, and its own syntax rules the `def_rule_count[d]` from
    `def_rule_first[d]`. Rule r has kind `rule_kind[r]` over the 1-based positions
    `rule_refs[rule_ref_first[r]:rule_ref_first[r+1]]`.

    Segment level: `seg_max_use` (0 = unbounded), `seg_usage`; `loop_repeat` (0 = unbounded);
    each loop node's required child segments and loops, and whether it holds wrapper loops.
    """

    seg_def_first: np.ndarray
    seg_def_count: np.ndarray
    seg_rule_first: np.ndarray
    seg_rule_count: np.ndarray
    usage: np.ndarray
    type: np.ndarray
    min_length: np.ndarray
    max_length: np.ndarray
    repeat: np.ndarray
    code_set: np.ndarray
    comp_first: np.ndarray
    comp_count: np.ndarray
    def_rule_first: np.ndarray
    def_rule_count: np.ndarray
    rule_kind: np.ndarray
    rule_ref_first: np.ndarray
    rule_refs: np.ndarray
    code_sets: list  # of frozenset of bytes
    code_bytes: bytes  # every set's sorted codes joined, for the native kernel ...
    code_offset: np.ndarray  # ... code n is code_bytes[code_offset[n]:code_offset[n+1]]
    set_first: np.ndarray  # ... and set c holds codes set_first[c]:set_first[c+1]
    seg_max_use: np.ndarray
    seg_usage: np.ndarray
    loop_repeat: np.ndarray
    required_segments: tuple  # (first, nodes, column): see Rules.build's `required`
    required_loops: tuple  # the same for required child loops (wrappers excepted)
    has_wrappers: np.ndarray  # bool per loop node: some child is a wrapper loop

    @classmethod
    def build(cls, schema: Schema) -> "Rules":
        b = _RulesBuilder()
        segments = [b.add_segment(segment) for segment in schema.segments]
        def required(kind, count: int) -> tuple:
            """(first, nodes, column): loop node L requires nodes[first[L]:first[L+1]], and
            column[n] numbers the required nodes (-1 for the others)."""
            first, nodes = [0], []
            for loop in schema.loops:
                nodes.extend(c.index for c in loop.children if c.usage == "R" and isinstance(c, kind)
                             and getattr(c, "type", None) != "wrapper")
                first.append(len(nodes))
            column = np.full(count, -1, dtype=np.int32)
            distinct = sorted(set(nodes))
            column[distinct] = np.arange(len(distinct), dtype=np.int32)
            return i32(first), i32(nodes), column

        i32 = lambda values: np.array(values, dtype=np.int32).reshape(-1)  # noqa: E731
        codes = [code for codes in b.code_lists for code in codes]
        columns = list(zip(*segments)) or [(), (), (), ()]
        return cls(
            *(i32(c) for c in columns), i32(b.usage), i32(b.type), i32(b.min_length), i32(b.max_length),
            i32(b.repeat), i32(b.code_set), i32(b.comp_first), i32(b.comp_count), i32(b.def_rule_first),
            i32(b.def_rule_count), i32(b.rule_kind), i32(b.rule_ref_first), i32(b.rule_refs),
            [frozenset(c) for c in b.code_lists], b"".join(codes),
            i32(np.cumsum([0] + [len(c) for c in codes])), i32(np.cumsum([0] + [len(c) for c in b.code_lists])),
            i32([s.max_use or 0 for s in schema.segments]), i32([_USAGES[s.usage] for s in schema.segments]),
            i32([loop.repeat or 0 for loop in schema.loops]), required(SegmentNode, len(schema.segments)), required(LoopNode, len(schema.loops)),
            np.array([any(getattr(c, "type", None) == "wrapper" for c in loop.children) for loop in schema.loops]),
        )


class _RulesBuilder:
    """Appends definitions and syntax rules to the flat arrays of `Rules`."""

    def __init__(self):
        self.usage, self.type, self.min_length, self.max_length, self.repeat = [], [], [], [], []
        self.code_set, self.comp_first, self.comp_count, self.def_rule_first, self.def_rule_count = [], [], [], [], []
        self.rule_kind, self.rule_ref_first, self.rule_refs = [], [0], []
        self.code_lists: list[tuple] = []
        self._code_set_ids: dict[tuple, int] = {}

    def add_segment(self, segment: SegmentNode) -> tuple[int, int, int, int]:
        """Add a segment's elements (contiguous), then their components; returns the segment's
        (first definition, count, first rule, rule count)."""
        first = len(self.usage)
        for spec in segment.elements:
            self.add_definition(spec)
        for d, spec in enumerate(segment.elements, first):
            if "components" in spec:
                self.comp_first[d] = len(self.usage)
                for component in spec["components"]:
                    self.add_definition(component)
                self.def_rule_first[d], self.def_rule_count[d] = self.add_rules(spec.get("syntax") or ())
        return (first, len(segment.elements), *self.add_rules(segment.syntax))

    def add_definition(self, spec: dict) -> None:
        self.usage.append(_USAGES.get(spec.get("usage", "S"), kernel.U_SITUATIONAL))
        if "components" in spec:
            self.type.append(kernel.T_COMPOSITE)
            self.min_length.append(0)
            self.max_length.append(0)
            self.code_set.append(-1)
            self.comp_count.append(len(spec["components"]))
        else:
            kind = spec.get("type") or "AN"
            if spec.get("data_element") == "1251":
                self.type.append(kernel.T_PERIOD)
            else:
                self.type.append(kernel.T_N if kind.startswith("N") else _TYPES.get(kind, kernel.T_AN))
            self.min_length.append(spec.get("min") or 0)
            self.max_length.append(spec.get("max") or (1 << 30))
            self.code_set.append(self.code_set_id(spec))
            self.comp_count.append(0)
        self.repeat.append(spec.get("repeat") or 1)
        self.comp_first.append(-1)
        self.def_rule_first.append(0)
        self.def_rule_count.append(0)

    def code_set_id(self, spec: dict) -> int:
        codes = spec.get("codes")
        if not codes and spec.get("external") in CHECKED_EXTERNAL_CODES:
            codes = _external_codes()[spec["external"]]
        if not codes:
            return -1
        key = tuple(sorted(c.encode() for c in codes))
        if key not in self._code_set_ids:
            self._code_set_ids[key] = len(self.code_lists)
            self.code_lists.append(key)
        return self._code_set_ids[key]

    def add_rules(self, syntax) -> tuple[int, int]:
        """Add rules written like "P0102" or "C110203"; returns (first rule, count)."""
        first = len(self.rule_kind)
        for rule in syntax:
            self.rule_kind.append(_RULES[rule[0]])
            self.rule_refs.extend(int(rule[n : n + 2]) for n in range(1, len(rule), 2))
            self.rule_ref_first.append(len(self.rule_refs))
        return first, len(self.rule_kind) - first


@functools.cache
def _external_codes() -> dict:
    with resources.files("edi.schemas").joinpath("codes.json").open("rb") as f:
        return {name: spec["codes"] for name, spec in json.load(f)["codesets"].items()}


@functools.cache
def rules_for(schema: Schema) -> Rules:
    """The schema's Rules, built once per schema."""
    return Rules.build(schema)


# --- findings ------------------------------------------------------------------------------

class _Batch:
    """The LoopIndexes of transaction sets that share an index and a schema, concatenated:
    segments (k) and loop instances (j) are numbered across the batch, so that each check is a
    few array operations for all the sets. Findings are made per set, with its own positions."""

    def __init__(self, transactions: list[Transaction], rules: Rules):
        self.transactions, self.rules = transactions, rules
        self.loops = [txn.loops for txn in transactions]
        self.schema = self.loops[0].schema
        seg_counts = [len(loops.seg_node) for loops in self.loops]
        loop_counts = [len(loops.loop_node) for loops in self.loops]
        self.seg_offset = np.concatenate(([0], np.cumsum(seg_counts))).astype(np.int64)
        self.loop_offset = np.concatenate(([0], np.cumsum(loop_counts))).astype(np.int64)
        pairs = list(zip(self.loops, self.seg_offset.tolist(), self.loop_offset.tolist()))
        self.seg_node = np.concatenate([loops.seg_node for loops in self.loops])
        self.seg_loop = np.concatenate([loops.seg_loop + j0 for loops, _, j0 in pairs])
        self.loop_node = np.concatenate([loops.loop_node for loops in self.loops])
        self.loop_parent = np.concatenate([np.where(loops.loop_parent >= 0, loops.loop_parent + j0, -1)
                                           for loops, _, j0 in pairs])
        self.loop_first = np.concatenate([loops.loop_first + k0 for loops, k0, _ in pairs])
        self.loop_last = np.concatenate([loops.loop_last + k0 for loops, k0, _ in pairs])
        self.seg_txn = np.repeat(np.arange(len(transactions)), seg_counts)
        self.loop_txn = np.repeat(np.arange(len(transactions)), loop_counts)
        self.positions = np.concatenate([np.arange(txn.first, txn.first + n, dtype=np.int64)
                                         for txn, n in zip(transactions, seg_counts)])
        self.implied = [(k + k0, j + j0) for loops, k0, j0 in pairs for k, j in loops.implied]
        self.unmatched = [k + k0 for loops, k0, _ in pairs for k in loops.unmatched]

    def finding(self, code: FindingCode, k: int, detail: str = "", *, instance: int | None = None,
                element=None, component=None, repetition=None) -> tuple[int, Finding]:
        """(set number in the batch, the finding) for batch segment k (and batch instance)."""
        t = int(self.seg_txn[k])
        local = None if instance is None else instance - int(self.loop_offset[t])
        location = _location(self.transactions[t], k - int(self.seg_offset[t]), self.loops[t], element, component,
                             repetition, instance=local)
        return t, Finding(code, location, detail)

    # --- element level ----------------------------------------------------------------------
    def element_findings(self, delimiters) -> list:
        rows = _backend.check_elements(self.transactions[0].index, self.positions, self.seg_node,
                                       delimiters.component, delimiters.repetition or b"", self.rules)
        return [self.finding(ELEMENT_FINDINGS[error], n - 1, element=element, component=component or None,
                             repetition=repetition or None)
                for n, element, component, repetition, error in rows.tolist()]

    # --- segment level ----------------------------------------------------------------------
    def segment_findings(self) -> list:
        schema, rules = self.schema, self.rules
        found = []
        for k, instance in self.implied:
            node = schema.loops[int(self.loop_node[instance])]
            found.append(self.finding(FindingCode.REQUIRED_SEGMENT_MISSING, k,
                                      f"{_first_segment(node).id} opening loop {node.id}"))
        found.extend(self.finding(self.unmatched_code(k), k) for k in self.unmatched)
        matched = np.flatnonzero(self.seg_node >= 0)
        not_used = matched[rules.seg_usage[self.seg_node[matched]] == kernel.U_NOT_USED]
        found.extend(self.finding(FindingCode.NOT_USED_SEGMENT, int(k)) for k in not_used)
        found.extend(self.over_maximum_use(matched))
        found.extend(self.over_repeat())
        found.extend(self.missing_children())
        return found

    def unmatched_code(self, k: int) -> FindingCode:
        """Why a segment matched nothing: an id no guide knows, one this set does not define,
        one the current loop holds earlier (out of sequence), or one that belongs elsewhere."""
        segment_id = self.transactions[0].index.segment_id(int(self.positions[k])).upper()
        if segment_id not in _known_segment_ids():
            return FindingCode.UNRECOGNIZED_SEGMENT
        if all(s.id != segment_id for s in self.schema.segments):
            return FindingCode.SEGMENT_NOT_IN_SET
        instance = int(self.seg_loop[k])
        while instance >= 0:
            node = self.schema.loops[int(self.loop_node[instance])]
            if any(isinstance(c, SegmentNode) and c.id == segment_id for c in node.children):
                return FindingCode.SEGMENT_OUT_OF_SEQUENCE
            instance = int(self.loop_parent[instance])
        return FindingCode.UNEXPECTED_SEGMENT

    def over_maximum_use(self, matched) -> list:
        """Segments beyond their maximum use within one loop instance (the first excess one)."""
        nodes = self.seg_node[matched].astype(np.int64)
        limits = self.rules.seg_max_use[nodes]
        bounded = limits > 0
        keys = self.seg_loop[matched].astype(np.int64) * (len(self.rules.seg_max_use) + 1) + nodes
        return [self.finding(FindingCode.SEGMENT_OVER_MAXIMUM_USE, k)
                for k in _first_excess(keys[bounded], limits[bounded], matched[bounded])]

    def over_repeat(self) -> list:
        """Loop instances beyond their maximum repeat under one parent (the first excess one).
        Only the sets' roots have no parent, and a root is never bounded."""
        nodes = self.loop_node.astype(np.int64)
        limits = self.rules.loop_repeat[nodes]
        bounded = np.flatnonzero(limits > 0)
        keys = self.loop_parent[bounded].astype(np.int64) * (len(self.rules.loop_repeat) + 1) + nodes[bounded]
        return [self.finding(FindingCode.LOOP_OVER_MAXIMUM, int(self.loop_first[j]))
                for j in _first_excess(keys, limits[bounded], bounded)]

    def missing_children(self) -> list:
        """Required segments and loops absent from a loop instance. The map's wrapper loops
        (HEADER, DETAIL, ...) are transparent: when one is absent, its required children are
        required of the instance that should hold it (as pyx12 does). Each is reported at the
        segment that follows the place where the missing one belongs, named by id.

        Presence is a boolean table (loop instance x required node), filled from the segments
        and instances seen and read at each instance's required nodes; only the candidates found
        missing, and the few instances that hold wrappers, go through Python."""
        schema, rules = self.schema, self.rules
        n_instances = len(self.loop_node)
        candidates = []  # (instance, required child, slot)
        parents = self.loop_parent
        has_parent = parents >= 0
        for pool, (first, nodes, column), owner, node_of in (
            (schema.segments, rules.required_segments, self.seg_loop, self.seg_node),
            (schema.loops, rules.required_loops, parents[has_parent], self.loop_node[has_parent]),
        ):
            seen = np.zeros((n_instances, int(column.max(initial=-1)) + 1), dtype=bool)
            wanted = column[np.maximum(node_of, 0)]
            keep = (node_of >= 0) & (wanted >= 0)
            seen[owner[keep], wanted[keep]] = True
            counts = first[self.loop_node + 1] - first[self.loop_node]
            instances = np.repeat(np.arange(n_instances), counts)
            offsets = np.arange(len(instances)) - np.repeat(np.cumsum(counts) - counts, counts)
            required = nodes[np.repeat(first[self.loop_node], counts) + offsets]
            absent = ~seen[instances, column[required]]
            candidates.extend((int(j), pool[int(n)], pool[int(n)]) for j, n in zip(instances[absent], required[absent]))
        holders = np.flatnonzero(rules.has_wrappers[self.loop_node])
        if len(holders):
            children: dict[int, set] = {int(j): set() for j in holders}
            held = np.flatnonzero(np.isin(parents, holders))
            for parent, node in zip(parents[held].tolist(), self.loop_node[held].tolist()):
                children[parent].add(node)
            for j, present in children.items():
                for wrapper in schema.loops[int(self.loop_node[j])].children:
                    if isinstance(wrapper, LoopNode) and wrapper.type == "wrapper" and wrapper.index not in present:
                        candidates.extend((j, child, wrapper) for child in _required_through(wrapper))
        implied_first = {instance for _, instance in self.implied}
        found = (self.missing_finding(j, child, slot, implied_first)
                 for j, child, slot in sorted(candidates, key=lambda c: (c[0], c[2].pos)))
        return [f for f in found if f is not None]

    def missing_finding(self, j: int, child, slot, implied_first: set):
        schema = self.schema
        if isinstance(child, SegmentNode):
            if j in implied_first and child is schema.loops[int(self.loop_node[j])].children[0]:
                return None  # reported where the loop was opened without it
            code, missing = FindingCode.REQUIRED_SEGMENT_MISSING, child.id
        else:
            first = _first_segment(child)
            t = int(self.loop_txn[j])
            own = self.loop_node[self.loop_offset[t] : self.loop_offset[t + 1]]
            if first.id == "HL" and np.any(own == child.index):
                return None  # HL02 decides where HL loops hang, not the map's nesting
            if self.has_descendant(j, child):
                return None
            code, missing = FindingCode.REQUIRED_LOOP_MISSING, f"{first.id} opening loop {child.id}"
        return self.finding(code, self.where_missing(j, slot.pos), missing, instance=j)

    def where_missing(self, instance: int, pos: int) -> int:
        """The first segment of the instance's span that belongs after position `pos` of the
        instance's children (directly or through a child loop), else the segment after the
        span (within its set)."""
        schema = self.schema
        first, last = int(self.loop_first[instance]), int(self.loop_last[instance])
        for k in range(first, last + 1):
            inner = int(self.seg_loop[k])
            if inner == instance:
                node = int(self.seg_node[k])
                if node >= 0 and schema.segments[node].pos > pos:
                    return k
                continue
            while inner >= 0 and int(self.loop_parent[inner]) != instance:
                inner = int(self.loop_parent[inner])
            if inner >= 0 and schema.loops[int(self.loop_node[inner])].pos > pos:
                return k
        t = int(self.loop_txn[instance])
        return min(last + 1, int(self.seg_offset[t + 1]) - 1)

    def has_descendant(self, instance: int, node: LoopNode) -> bool:
        """Whether some instance of `node` hangs anywhere below `instance` (HL loops may be
        reparented by HL02, so a child loop may sit deeper than the map's nesting)."""
        t = int(self.loop_txn[instance])
        lo, hi = int(self.loop_offset[t]), int(self.loop_offset[t + 1])
        for j in (lo + np.flatnonzero(self.loop_node[lo:hi] == node.index)).tolist():
            parent = int(self.loop_parent[j])
            while parent >= 0:
                if parent == instance:
                    return True
                parent = int(self.loop_parent[parent])
        return False


def _first_excess(keys, limits, items) -> list[int]:
    """Items grouped by key (in their order within a group): each group's first item past the
    group's limit, in order."""
    if len(keys) == 0:
        return []
    order = np.argsort(keys, kind="stable")
    keys, limits, items = keys[order], limits[order], items[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    sizes = np.diff(starts, append=len(keys))
    over = starts[sizes > limits[starts]]
    return sorted(items[over + limits[over]].tolist())


def _required_through(wrapper: LoopNode):
    """The required children of an absent wrapper, looking through nested wrappers."""
    for child in wrapper.children:
        if isinstance(child, LoopNode) and child.type == "wrapper":
            yield from _required_through(child)
        elif child.usage == "R":
            yield child


def _first_segment(loop: LoopNode) -> SegmentNode:
    child = loop.children[0]
    return child if isinstance(child, SegmentNode) else _first_segment(child)


@functools.cache
def _known_segment_ids() -> frozenset:
    """Every segment id of every shipped guide (a stand-in for the X12 segment dictionary)."""
    from . import schema as schemas

    ids = set()
    for entry in schemas._catalog():
        ids.update(s.id for s in schemas.load(entry["file"]).segments)
    return frozenset(ids | {"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})


def _location(txn: Transaction, k: int, loops, element=None, component=None, repetition=None,
              instance: int | None = None) -> Location:
    """Where segment k of the transaction (ST = 0) is, with the path of its loop (or of loop
    `instance`, for what is missing from that loop)."""
    i = txn.first + k
    index = txn.index
    valid = index.seg_tag[i] != 0
    return Location(
        byte_offset=index.base_offset + int(index.seg_start[i]),
        segment_number=index.base_segment + i + 1,
        segment_id=index.segment_id(i) if valid else None,
        set_position=k + 1,
        loop_path=_loop_path(loops, k, instance) if loops is not None else None,
        element=element,
        component=component,
        repetition=repetition,
        source=index.name,
    )


def _loop_path(loops, k: int, instance: int | None = None) -> str | None:
    if instance is None:
        if k >= len(loops.seg_loop):
            return None
        instance = int(loops.seg_loop[k])
    ids = []
    while instance >= 0:
        ids.append(loops.schema.loops[int(loops.loop_node[instance])].id)
        instance = int(loops.loop_parent[instance])
    return "/".join(reversed(ids))


def loop_id(loops, k: int) -> str:
    """The id of the loop segment k sits in (999 IK303)."""
    if loops is None or k >= len(loops.seg_loop):
        return ""
    return loops.schema.loops[int(loops.loop_node[int(loops.seg_loop[k])])].id
