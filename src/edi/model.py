"""Documents: Interchange / Group / Transaction / Segment views over a SegmentIndex.

The views are thin: a Segment read from a file is (index, position) and decodes an element only
when asked. Editing a segment detaches it into a list of strings, and editing a container's list
marks it changed, so the writer can copy everything untouched byte for byte and re-serialize, with
fresh SE/GE/IEA counts, only what changed. Documents can also be built from Python values with
the `build` constructors.
"""
from __future__ import annotations

import functools
from typing import Iterable, Sequence, Union

import numpy as np

from .dialect import Delimiters
from .errors import Finding, Location
from .index import ENCODING, ERRORS, SegmentIndex

#: An element value when building: a string, a tuple of components, or a list of repetitions.
ElementValue = Union[str, tuple, list]



def decode(raw: bytes) -> str:
    return raw.decode(ENCODING, ERRORS)


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


class Segment:
    """One segment. `segment[0]` is the id and `segment[i]` element i (1-based, as in X12),
    `""` when absent. Components and repetitions are split on demand."""

    __slots__ = ("_index", "_i", "_elements", "_values", "_delimiters", "loop")

    def __init__(self, index: SegmentIndex | None, i: int, elements: list[str] | None = None,
                 delimiters: Delimiters | None = None):
        self._index = index
        self._i = i
        self._elements = elements  # None while the segment is an unchanged view
        self._values = None  # a view's elements as text, read on first access
        self._delimiters = delimiters
        self.loop = None  # its Loop, set when the transaction's loop tree is built

    @classmethod
    def build(cls, segment_id: str, *elements: ElementValue, delimiters: Delimiters | None = None) -> "Segment":
        """A new segment from Python values: `Segment.build("SVC", ("HC", "99213"), "100", "80")`.
        A tuple is a composite (joined by the component separator), a list holds repetitions."""
        return cls(None, -1, [segment_id, *elements], delimiters)

    # --- reading -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        if self._elements is not None:
            return str(self._elements[0])
        if self._values is not None:
            return self._values[0].upper()
        return self._index.segment_id(self._i).upper()

    @property
    def delimiters(self) -> Delimiters:
        if self._delimiters is None:
            self._delimiters = self._index.delimiters(self._i) if self._index is not None else Delimiters()
        return self._delimiters

    @property
    def is_view(self) -> bool:
        """True while the segment is an unchanged view of the bytes it was read from."""
        return self._elements is None

    @property
    def position(self) -> int:
        """Index of the segment in its SegmentIndex (-1 for a built segment)."""
        return self._i if self._index is not None else -1

    def __len__(self) -> int:
        """Number of elements after the id."""
        if self._elements is not None:
            return len(self._elements) - 1
        return self._index.element_count(self._i)

    def __getitem__(self, j: int | str) -> str:
        if isinstance(j, str):
            return self._by_reference(j)
        if self._elements is not None:
            if 0 <= j < len(self._elements):
                return self._value_text(self._elements[j])
            return ""
        values = self._values
        if values is None:
            values = self._values = self._index.texts(self._i)
        return values[j] if 0 <= j < len(values) else ""

    def _by_reference(self, ref: str) -> str:
        """`seg["CLP02"]`, `seg["SVC01-2"]` (a component): the reference names the segment."""
        head, _, component = ref.partition("-")
        if len(head) < 4 or not head[-2:].isdigit() or head[:-2] != self.id:
            raise KeyError(f"{ref!r} is not an element reference of a {self.id} segment")
        j = int(head[-2:])
        return self.component(j, int(component)) if component else self[j]

    @property
    def elements(self) -> list[str]:
        """The elements after the id, as strings."""
        return [self[j] for j in range(1, len(self) + 1)]

    def components(self, j: int) -> list[str]:
        """Element j split on the component separator."""
        return self[j].split(decode(self.delimiters.component))

    def component(self, j: int, k: int) -> str:
        """Component k (1-based) of element j, "" when absent."""
        parts = self.components(j)
        return parts[k - 1] if 1 <= k <= len(parts) else ""

    def repetitions(self, j: int) -> list[str]:
        """Element j split on the repetition separator (one item when the dialect has none)."""
        value = self[j]
        rep = self.delimiters.repetition
        return value.split(decode(rep)) if rep else [value]

    @property
    def location(self) -> Location:
        if self._index is None:
            return Location(segment_id=self.id)
        index = self._index
        valid = index.seg_tag[self._i] != 0  # an invalid id may be any text: keep it out of messages
        return Location(byte_offset=index.base_offset + int(index.seg_start[self._i]),
                        segment_number=index.base_segment + self._i + 1, segment_id=self.id if valid else None,
                        source=index.name)

    # --- changing ------------------------------------------------------------------------
    def __setitem__(self, j: int, value: ElementValue) -> None:
        if j < 0:
            raise IndexError("element positions start at 0 (the id)")
        self._detach()
        while len(self._elements) <= j:
            self._elements.append("")
        self._elements[j] = value

    def _detach(self) -> None:
        if self._elements is None:
            index, i = self._index, self._i
            self._delimiters = self.delimiters
            self._elements = [self.id] + [decode(index.element(i, j)) for j in range(1, len(self) + 1)]

    def _value_text(self, value: ElementValue) -> str:
        """Text of a built element value, joined with this segment's separators."""
        if isinstance(value, str):
            return value
        if isinstance(value, tuple):
            return decode(self.delimiters.component).join(self._value_text(v) for v in value)
        if isinstance(value, list):
            rep = self.delimiters.repetition
            if rep is None:
                raise ValueError("this interchange has no repetition separator")
            return decode(rep).join(self._value_text(v) for v in value)
        return str(value)

    def to_bytes(self, delimiters: Delimiters | None = None) -> bytes:
        """The segment without its terminator, written with `delimiters` when given."""
        if self._elements is None and (delimiters is None or delimiters == self.delimiters):
            return self._index.segment_bytes(self._i)
        if delimiters is not None and delimiters != self.delimiters:
            self._detach()
            self._delimiters = delimiters
        elements = [self._value_text(v) for v in self._elements]
        if self._index is None:  # built: X12 omits trailing empty elements (edited views keep theirs)
            while len(elements) > 1 and elements[-1] == "":
                elements.pop()
        return self.delimiters.element.join(encode(e) for e in elements)

    def __str__(self) -> str:
        return decode(self.to_bytes())

    def __repr__(self) -> str:  # no element values: they may be patient data
        valid = self._index is None or self._index.seg_tag[self._i] != 0
        return f"<Segment {self.id if valid else '(invalid id)'} with {len(self)} elements>"


class Container:
    """What Interchange, Group and Transaction share: a header and trailer segment, the index
    range they cover, and change tracking for the writer."""

    __slots__ = ("index", "first", "last", "header", "trailer", "findings", "_children", "_original_children")

    def __init__(self, index: SegmentIndex | None, first: int, last: int, header: Segment, trailer: Segment | None):
        self.index = index
        self.first = first  # index of the header segment (or first segment), -1 when built
        self.last = last  # index of the last segment covered, -1 when built
        self.header = header
        self.trailer = trailer
        self.findings: list[Finding] = []
        self._children: list | None = None
        self._original_children: tuple = ()

    def _set_children(self, children: list) -> None:
        self._children = children
        self._snapshot()

    def _snapshot(self) -> None:
        """Remember the children as read, so that edits to the list can be told apart."""
        self._original_children = tuple(self._children)

    @property
    def changed(self) -> bool:
        """True when anything below was edited, or the container was built in Python."""
        if self.index is None or any(s is not None and not s.is_view for s in (self.header, self.trailer)):
            return True
        children = self._children
        if children is None:
            return False
        if len(children) != len(self._original_children) or any(a is not b for a, b in zip(children, self._original_children)):
            return True
        return any(c.changed if isinstance(c, Container) else not c.is_view for c in children)


class Transaction(Container):
    """One transaction set, ST to SE. `segments` includes ST and SE."""

    __slots__ = ("group", "_loops", "_root", "_schema")

    def __init__(self, index, first, last, header, trailer, group=None):
        super().__init__(index, first, last, header, trailer)
        self.group = group
        self._loops = None
        self._root = None
        self._schema = None

    @classmethod
    def build(cls, set_id: str, control_number: str, segments: Iterable[Segment],
              implementation: str | None = None) -> "Transaction":
        """A new transaction set around `segments` (the body, without ST and SE)."""
        st = Segment.build("ST", set_id, control_number, *([implementation] if implementation else []))
        se = Segment.build("SE", "", control_number)
        txn = cls(None, -1, -1, st, se)
        txn._set_children([st, *segments, se])
        return txn

    @property
    def set_id(self) -> str:
        return self.header[1]

    @property
    def control_number(self) -> str:
        return self.header[2]

    @property
    def version(self) -> str:
        """The implementation guide: GS08 of the group, else ST03."""
        if self.group is not None and self.group.version:
            return self.group.version
        return self.header[3]

    @property
    def segments(self) -> list[Segment]:
        """All segments, ST and SE included; edit this list to change the transaction."""
        if self._children is None:
            index = self.index
            body = [
                Segment(index, i)
                for i in range(self.first + 1, self.last + (0 if self.trailer is not None else 1))
                if index.seg_len[i] > 0
            ]
            self._set_children([self.header, *body] + ([self.trailer] if self.trailer is not None else []))
        return self._children

    def __len__(self) -> int:
        if self._children is not None:
            return len(self._children)
        return int(np.count_nonzero(self.index.seg_len[self.first : self.last + 1]))

    def use_schema(self, schema) -> None:
        """Read this transaction with `schema` instead of the one its GS08 names (for files that
        name a guide version we have no schema for, or none); its loops are parsed anew."""
        self._schema = schema
        self._loops = self._root = None

    def fallback_root(self) -> "Loop | None":
        """The loop tree; when the version this set names has no schema of ours, read with the
        one guide of its set id and X12 version (`schema.fallback`), if there is one."""
        if self.root is None and self.index is not None:
            from . import schema

            guide = schema.fallback(self.version, self.set_id)
            if guide is not None:
                self.use_schema(guide)
        return self.root

    @property
    def schema(self):
        """The implementation guide's schema (by GS08 and ST01, BHT02 for 278, unless
        `use_schema` chose one), or None."""
        if self._schema is not None:
            return self._schema
        bht02 = ""
        if self.set_id == "278":
            bht = next((s for s in self.segments[1:3] if s.id == "BHT"), None)
            bht02 = bht[2] if bht is not None else ""
        return find_schema(self.version, self.set_id, bht02 or None)

    @property
    def loops(self):
        """The LoopIndex of the transaction as read (None without a schema). The first access
        parses every transaction of the group read from the same index, in one kernel call per
        schema: reading a file's loops costs one walk, not one setup per transaction."""
        if self._loops is None and self.index is not None and self._schema is not None:
            from .loops import parse_loops

            self._loops = parse_loops(self.index, self.first, self.last, self._schema)
        if self._loops is None and self.index is not None:
            from .loops import parse_transactions

            group = self.group.transactions if self.group is not None else []
            batch = [self] + [t for t in group if t._loops is None and t._schema is None and t.index is self.index
                              and t is not self]
            for txn, loops in zip(batch, parse_transactions(batch)):
                txn._loops = False if loops is None else loops  # False: no schema covers it
        if isinstance(self._loops, RecursionError):
            raise RecursionError(*self._loops.args)
        return self._loops or None

    @property
    def root(self) -> "Loop | None":
        """The loop tree (the transaction-set loop), or None when no schema covers it."""
        if self._root is not None:
            return self._root
        loops = self.loops
        if loops is None:
            return None
        tree = [Loop(self, j) for j in range(len(loops.loop_node))]
        for j, parent in enumerate(loops.loop_parent.tolist()):
            if parent >= 0:
                tree[j]._parent = tree[parent]
                tree[parent].children.append(tree[j])
        for segment in self.segments:
            k = segment.position - self.first
            if segment._index is self.index and 0 <= k < len(loops.seg_loop):
                loop = tree[int(loops.seg_loop[k])]
                segment.loop = loop
                loop.segments.append(segment)
        self._root = tree[0]
        return self._root

    def to_dict(self) -> dict:
        """A JSON-able form: the loop tree with loop ids and names, and each segment's elements
        by reference (segment level only when no schema covers the transaction)."""
        result = {"set_id": self.set_id, "control_number": self.control_number, "version": self.version}
        root = self.root
        if root is None:
            result["segments"] = [_segment_dict(s) for s in self.segments]
        else:
            result["loop"] = root.to_dict()
        return result

    def __repr__(self) -> str:
        return f"<Transaction {self.set_id} {self.control_number} {self.version}>"


@functools.lru_cache(maxsize=256)
def find_schema(version: str, set_id: str, bht02: str | None):
    """`schema.find`, remembered: the transactions of a file ask it the same few questions."""
    from . import schema

    return schema.find(version, set_id, bht02)


def _segment_dict(segment: Segment) -> dict:
    return {"id": segment.id, "elements": {f"{segment.id}{j:02d}": v for j, v in enumerate(segment.elements, 1) if v}}


class Loop:
    """One loop instance (2000A, 2100, 2110, ...) of a transaction: its schema node, the
    segments directly in it and its child loops."""

    __slots__ = ("transaction", "instance", "children", "segments", "_parent")

    def __init__(self, transaction: Transaction, instance: int):
        self.transaction = transaction
        self.instance = instance
        self.children: list[Loop] = []
        self.segments: list[Segment] = []
        self._parent: Loop | None = None

    @property
    def node(self):
        loops = self.transaction.loops
        return loops.schema.loops[int(loops.loop_node[self.instance])]

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def parent(self) -> "Loop | None":
        return self._parent

    def walk(self):
        """This loop and every loop below it, depth first, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, loop_id: str) -> "Loop | None":
        """The first loop with this id below this one (depth first), or None."""
        return next((loop for loop in self.walk() if loop.id == loop_id and loop is not self), None)

    def findall(self, loop_id: str) -> list["Loop"]:
        """Every loop with this id below this one, in document order."""
        return [loop for loop in self.walk() if loop.id == loop_id and loop is not self]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "segments": [_segment_dict(s) for s in self.segments],
            "loops": [child.to_dict() for child in self.children],
        }

    def __repr__(self) -> str:
        return f"<Loop {self.id} with {len(self.segments)} segments, {len(self.children)} loops>"


class Group(Container):
    """One functional group, GS to GE."""

    __slots__ = ("interchange",)

    def __init__(self, index, first, last, header, trailer, interchange=None):
        super().__init__(index, first, last, header, trailer)
        self.interchange = interchange
        self._set_children([])

    @classmethod
    def build(cls, functional_id: str, sender: str, receiver: str, control_number: str, version: str,
              transactions: Sequence[Transaction], date: str, time: str, agency: str = "X") -> "Group":
        """A new functional group (date CCYYMMDD, time HHMM)."""
        gs = Segment.build("GS", functional_id, sender, receiver, date, time, control_number, agency, version)
        ge = Segment.build("GE", "", control_number)
        group = cls(None, -1, -1, gs, ge)
        for txn in transactions:
            txn.group = group
        group._set_children(list(transactions))
        return group

    @property
    def transactions(self) -> list[Transaction]:
        return self._children

    def _gs(self, j: int) -> str:
        return self.header[j] if self.header is not None else ""

    functional_id = property(lambda self: self._gs(1), doc="GS01, e.g. HP for 835")
    sender = property(lambda self: self._gs(2), doc="GS02")
    receiver = property(lambda self: self._gs(3), doc="GS03")
    date = property(lambda self: self._gs(4), doc="GS04 (CCYYMMDD)")
    time = property(lambda self: self._gs(5), doc="GS05")
    control_number = property(lambda self: self._gs(6), doc="GS06")
    version = property(lambda self: self._gs(8), doc="GS08, e.g. 005010X221A1")

    def __repr__(self) -> str:
        return f"<Group {self.functional_id} {self.control_number} {self.version} with {len(self.transactions)} transactions>"


class Interchange(Container):
    """One interchange, ISA to IEA. `header` is None for a file that has no ISA."""

    __slots__ = ("delimiters",)

    def __init__(self, index, first, last, header, trailer, delimiters: Delimiters):
        super().__init__(index, first, last, header, trailer)
        self.delimiters = delimiters
        self._set_children([])

    @classmethod
    def build(cls, sender_id: str, receiver_id: str, control_number: int | str, groups: Sequence[Group], *,
              date: str, time: str, sender_qualifier: str = "ZZ", receiver_qualifier: str = "ZZ",
              usage: str = "P", ack_requested: str = "0", version: str = "00501",
              delimiters: Delimiters = Delimiters()) -> "Interchange":
        """A new interchange with a standard fixed-width ISA (date YYMMDD, time HHMM)."""
        control = f"{int(control_number):09d}"
        if len(control) != 9 or int(control_number) < 0:
            raise ValueError("the interchange control number must have at most 9 digits")
        for name, value in (("sender_id", sender_id), ("receiver_id", receiver_id)):
            if len(value) > 15:
                raise ValueError(f"{name} is longer than the 15 characters of its ISA field")
        isa = Segment.build(
            "ISA", "00", " " * 10, "00", " " * 10, sender_qualifier, f"{sender_id:<15}", receiver_qualifier,
            f"{receiver_id:<15}", date, time, decode(delimiters.repetition or b"U"), version, control,
            ack_requested, usage, decode(delimiters.component), delimiters=delimiters,
        )
        iea = Segment.build("IEA", "", control, delimiters=delimiters)
        interchange = cls(None, -1, -1, isa, iea, delimiters)
        for group in groups:
            group.interchange = interchange
            for txn in group.transactions:
                for segment in txn.segments:
                    segment._delimiters = delimiters
            group.header._delimiters = group.trailer._delimiters = delimiters
        interchange._set_children(list(groups))
        return interchange

    @property
    def groups(self) -> list[Group]:
        return self._children

    @property
    def transactions(self) -> list[Transaction]:
        return [t for g in self.groups for t in g.transactions]

    def _isa(self, j: int) -> str:
        return self.header[j].strip() if self.header is not None else ""

    sender_qualifier = property(lambda self: self._isa(5), doc="ISA05")
    sender_id = property(lambda self: self._isa(6), doc="ISA06, padding stripped")
    receiver_qualifier = property(lambda self: self._isa(7), doc="ISA07")
    receiver_id = property(lambda self: self._isa(8), doc="ISA08, padding stripped")
    date = property(lambda self: self._isa(9), doc="ISA09 (YYMMDD)")
    time = property(lambda self: self._isa(10), doc="ISA10")
    version = property(lambda self: self._isa(12), doc="ISA12, e.g. 00501")
    control_number = property(lambda self: self._isa(13), doc="ISA13")
    ack_requested = property(lambda self: self._isa(14), doc="ISA14")
    usage = property(lambda self: self._isa(15), doc="ISA15: P production, T test")

    def __repr__(self) -> str:
        return f"<Interchange {self.control_number or '(no ISA)'} with {len(self.groups)} groups>"


class Document:
    """Everything read from one buffer (or built): interchanges, and the findings about them.

    A document read with a faultless envelope builds its interchanges when they are first
    used; until then `transaction_ranges` comes from the arrays the envelope was checked with."""

    __slots__ = ("index", "findings", "_interchanges", "_original", "_ranges", "_build")

    def __init__(self, index: SegmentIndex | None, interchanges: list[Interchange] | None, findings: list[Finding],
                 *, ranges: tuple[np.ndarray, np.ndarray] | None = None, build=None):
        """`interchanges` None: `build()` makes them when first asked for, and `ranges` are
        the transactions' (ST, SE) positions."""
        self.index = index
        self.findings = findings
        self._interchanges = interchanges
        self._original = tuple(interchanges) if interchanges is not None else None
        self._ranges = ranges
        self._build = build

    @classmethod
    def build(cls, interchanges: Sequence[Interchange]) -> "Document":
        return cls(None, list(interchanges), [])

    @property
    def interchanges(self) -> list[Interchange]:
        if self._interchanges is None:
            self._interchanges = self._build()
            self._original = tuple(self._interchanges)
        return self._interchanges

    @interchanges.setter
    def interchanges(self, interchanges: list[Interchange]) -> None:
        if self._interchanges is None:
            self._original = tuple(self._build())  # the tree as read: the writer tells what changed
        self._interchanges = interchanges

    @property
    def source(self) -> bytes | None:
        """The bytes the document was read from."""
        return self.index.source if self.index is not None else None

    @property
    def transactions(self) -> list[Transaction]:
        return [t for i in self.interchanges for t in i.transactions]

    def transaction_ranges(self) -> tuple[np.ndarray, np.ndarray]:
        """The first and last segment (ST and SE, as read) of every transaction, as int64
        arrays over `index`; without building the tree when it is not built yet."""
        if self._interchanges is None:
            return self._ranges
        transactions = self.transactions
        return (np.array([t.first for t in transactions], np.int64), np.array([t.last for t in transactions], np.int64))

    @property
    def changed(self) -> bool:
        if self._interchanges is None:
            return False  # nothing can have been edited in a tree not built yet
        interchanges = self.interchanges
        if self.index is None or len(interchanges) != len(self._original):
            return True
        return any(a is not b or a.changed for a, b in zip(interchanges, self._original))

    def __repr__(self) -> str:
        return f"<Document {len(self.interchanges)} interchanges, {len(self.transactions)} transactions, {len(self.findings)} findings>"
