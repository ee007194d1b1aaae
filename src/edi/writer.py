"""`write(doc) -> bytes`: the exact input for a document read and left unchanged, and well-formed
X12 with correct SE/GE/IEA counts for what was built or changed in Python.

Unchanged containers are copied as one slice of the source, gaps and all (line breaks, padding,
stray text). A changed container is written segment by segment: view segments keep their own
bytes and the layout that followed them; built or edited segments are serialized with the
interchange's delimiters; trailers get recomputed counts and control numbers.
"""
from __future__ import annotations

from .dialect import Delimiters
from .model import Container, Document, Group, Interchange, Segment, Transaction


def write(doc: Document, *, line_break: str | None = None) -> bytes:
    """Serialize `doc`. `line_break` goes after each terminator of segments written anew
    (default: what the source used after its first segment, or nothing for built documents)."""
    if not doc.changed:
        return doc.source
    writer = _Writer(doc, line_break)
    return writer.document()


class _Writer:
    def __init__(self, doc: Document, line_break: str | None):
        self.doc = doc
        self.index = doc.index
        self.out: list[bytes] = []
        # (position in `out`, terminator) owed to a segment that ended the source without one
        self.unterminated: tuple[int, bytes] | None = None
        self.line_break = line_break.encode() if line_break is not None else self._source_line_break()

    def _source_line_break(self) -> bytes:
        index = self.index
        if index is None or len(index) < 2:
            return b""
        gap = index.buf[int(index.seg_start[0] + index.seg_len[0]) : int(index.seg_start[1])]
        return gap[len(index.delimiters(0).segment):]

    def start_of(self, i: int) -> int:
        """Byte where segment i starts (the end of the buffer past the last segment)."""
        index = self.index
        return int(index.seg_start[i]) if i < len(index) else len(index.buf)

    def document(self) -> bytes:
        if self.index is not None and len(self.index):
            self.out.append(self.index.buf[: int(self.index.seg_start[0])])
        end = len(self.index) if self.index is not None else None
        self.children(self.doc.interchanges, self.doc._original, -1, end, self.interchange)
        return b"".join(self.out)

    def copy(self, container: Container) -> bool:
        """Copy an unchanged container of the source as one slice; False if it changed."""
        if container.changed or container.index is not self.index:
            return False
        self.out.append(self.index.buf[self.start_of(container.first) : self.start_of(container.last + 1)])
        return True

    def interchange(self, interchange: Interchange) -> None:
        if self.copy(interchange):
            return
        delimiters = interchange.delimiters
        if interchange.header is not None:
            self.segment(interchange.header, delimiters)
        self.container_children(interchange, lambda group: self.group(group, delimiters))
        if interchange.header is not None:
            count, control = str(len(interchange.groups)), interchange.header[13]
            self.trailer(interchange.trailer, "IEA", count, control, delimiters)

    def group(self, group: Group, delimiters: Delimiters) -> None:
        if self.copy(group):
            return
        if group.header is not None:
            self.segment(group.header, delimiters)
        self.container_children(group, lambda txn: self.transaction(txn, delimiters))
        if group.header is not None:
            self.trailer(group.trailer, "GE", str(len(group.transactions)), group.header[6], delimiters)

    def container_children(self, container: Container, write) -> None:
        """The children of a changed interchange or group, up to its trailer."""
        if container.index is not self.index:  # built in Python: nothing of the source between
            for child in container._children:
                write(child)
            return
        done = container.first if container.header is not None else container.first - 1
        trailer = container.trailer
        end = trailer.position if trailer is not None and trailer._index is self.index else None
        self.children(container._children, container._original_children, done, end, write)

    def children(self, children: list, original: tuple, done: int, end: int | None, write) -> None:
        """Write `children`, and between them the source segments after segment `done` (and
        before `end`, when given) that belong to no child as read (a TA1, a stray segment, what
        follows the last IEA): kept, not silently dropped."""
        owned = sorted((c.first, c.last) for c in original if c.index is self.index)
        for child in children:
            if self.index is not None and child.index is self.index and child.first > done + 1:
                self.strays(done + 1, child.first, owned)
            write(child)
            if self.index is not None and child.index is self.index:
                done = max(done, child.last)
        if end is not None and end > done + 1:
            self.strays(done + 1, end, owned)

    def strays(self, first: int, stop: int, owned: list[tuple[int, int]]) -> None:
        """Copy segments first..stop-1 of the source, less those of children as read."""
        for a, b in owned:
            if b < first or a >= stop:
                continue
            if a > first:
                self.out.append(self.index.buf[self.start_of(first) : self.start_of(a)])
            first = b + 1
        if first < stop:
            self.out.append(self.index.buf[self.start_of(first) : self.start_of(stop)])

    def transaction(self, txn: Transaction, delimiters: Delimiters) -> None:
        if self.copy(txn):
            return
        segments = txn.segments
        has_trailer = txn.trailer is not None and segments and segments[-1] is txn.trailer
        body = segments[:-1] if has_trailer else segments
        for segment in body:
            self.segment(segment, delimiters)
        self.trailer(txn.trailer, "SE", str(len(body) + 1), txn.header[2], delimiters)

    def trailer(self, original: Segment | None, segment_id: str, count: str, control: str, delimiters: Delimiters) -> None:
        """Write a trailer with the count and control number it must carry."""
        if original is not None and original[1].strip() == count and original[2].strip() == control.strip():
            segment = original
        else:
            segment = Segment.build(segment_id, count, control, delimiters=delimiters)
        self.segment(segment, delimiters, layout_of=original)

    def segment(self, segment: Segment, delimiters: Delimiters, layout_of: Segment | None = None) -> None:
        """A segment, its terminator, and the layout after it: the source's for a segment that
        was read (edited or not), the document's line break for one built in Python."""
        if self.unterminated:
            at, terminator = self.unterminated
            self.out.insert(at, terminator)  # right after the segment, before its trailing layout
            self.unterminated = None
        self.out.append(segment.to_bytes(delimiters))
        source = layout_of if layout_of is not None else segment
        if (source is not None and self.index is not None and source._index is self.index
                and source.delimiters == delimiters):
            i = source.position
            layout = self.index.buf[int(self.index.seg_start[i] + self.index.seg_len[i]) : self.start_of(i + 1)]
            if not layout.startswith(delimiters.segment):
                # The source ended without a terminator: add one only if more is written after.
                self.unterminated = (len(self.out), delimiters.segment)
            self.out.append(layout)
        else:
            self.out.append(delimiters.segment + self.line_break)
