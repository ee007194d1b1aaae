"""The public corpus (../shared/corpus): every valid file reads and writes back byte for byte, also
through the rewrite path; broken files give an EdiError or findings; the quirks PROVENANCE.tsv
records are reported (lenient) or rejected with a position (strict); streaming agrees with
reading the whole buffer.

Expectations come from the PROVENANCE notes and from a deliberately naive splitter written here
(delimiters at the ISA's fixed offsets, DOMAIN.md section 8), never from the library's output.
"""
from __future__ import annotations

import csv
import io
import re

import pytest

import edi
from edi import FindingCode as F
from edi.envelope import _Builder, regular_ranges

from conftest import CORPUS, corpus_files, corpus_id

# --- corpus and notes ---------------------------------------------------------------------------

PROVENANCE = CORPUS / "PROVENANCE.tsv"


def _load_notes() -> dict[str, str]:
    if not PROVENANCE.is_file():
        return {}
    with open(PROVENANCE, newline="", encoding="utf-8") as f:
        return {row["path_in_corpus"]: row["notes"] for row in csv.DictReader(f, delimiter="\t")}


NOTES = _load_notes()
ALL_FILES = corpus_files()
VALID = [p for p in ALL_FILES if p.parent.name != "invalid"]
INVALID = [p for p in ALL_FILES if p.parent.name == "invalid"]

LAYOUT = b" \t\r\n\x00\x0b\x0c"

#: Findings about envelope counts, control numbers and missing trailers.
ENVELOPE_CODES = {
    F.SE_MISSING, F.ST_SE_CONTROL_MISMATCH, F.SE_SEGMENT_COUNT,
    F.GE_MISSING, F.GS_GE_CONTROL_MISMATCH, F.GE_SET_COUNT,
    F.IEA_MISSING, F.IEA_GROUP_COUNT, F.ISA_IEA_CONTROL_MISMATCH,
}


def notes(path) -> str:
    return NOTES[corpus_id(path)]


def note_delimiter(note: str, name: str) -> str | None:
    """The delimiter the notes give, e.g. note_delimiter(n, "seg") -> "~" (escapes left as written)."""
    m = re.search(rf"{name}='((?:\\.|[^'])*)'", note)
    return m.group(1) if m else None


def params(paths, xfails: dict[str, str] | None = None):
    """pytest params with corpus ids; `xfails` maps a corpus id to the reason of a strict xfail."""
    xfails = xfails or {}
    out = []
    for p in paths:
        reason = xfails.get(corpus_id(p))
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        out.append(pytest.param(p, id=corpus_id(p), marks=marks))
    return out


# --- an independent, naive splitter --------------------------------------------------------------

def _utf8_len(data: bytes, pos: int) -> int:
    lead = data[pos]
    need = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    tail = data[pos + 1 : pos + need]
    return need if len(tail) == need - 1 and all(0x80 <= b < 0xC0 for b in tail) else 1


def _is_fixed_isa(data: bytes, p: int) -> bool:
    """A standard ISA at p: element separator at [3] and [103], 16 of them in the first 104 bytes."""
    if data[p : p + 3] != b"ISA" or p + 106 > len(data):
        return False
    sep = data[p + 3 : p + 4]
    return not sep.isalnum() and sep not in LAYOUT and data[p + 103 : p + 104] == sep and data[p : p + 104].count(sep) == 16


def naive_segments(data: bytes) -> list[list[bytes]] | None:
    """Every segment of every interchange as its list of elements, splitting with the delimiters at
    the ISA's fixed offsets ([3] element separator, [105] terminator; DOMAIN.md section 8). None
    when no standard ISA is found."""
    p = 0
    while True:
        p = data.find(b"ISA", p)
        if p < 0:
            return None
        if _is_fixed_isa(data, p):
            break
        p += 1
    segments = []
    while p is not None:
        sep = data[p + 3 : p + 4]
        term = data[p + 105 : p + 105 + _utf8_len(data, p + 105)]
        segments.append(data[p : p + 105].split(sep))
        q = p + 105 + len(term)
        p = None
        while q < len(data):
            e = data.find(term, q)
            piece = data[q : e if e >= 0 else len(data)]
            stripped = piece.lstrip(LAYOUT)
            start = q + len(piece) - len(stripped)
            if _is_fixed_isa(data, start):
                p = start
                break
            if stripped.strip(LAYOUT):
                segments.append(stripped.rstrip(LAYOUT).split(sep) if e < 0 else stripped.split(sep))
            if e < 0:
                break
            q = e + len(term)
    return segments


def naive_transaction_count(data: bytes) -> int | None:
    segments = naive_segments(data)
    return None if segments is None else sum(1 for s in segments if s[0] == b"ST")


def naive_envelope_codes(data: bytes) -> set[F]:
    """Count and control-number defects found by the naive splitter."""

    def el(seg, j):
        return seg[j].strip() if seg is not None and j < len(seg) else b""

    codes = set()
    isa = gs = st = None
    groups = sets = segs = 0
    for seg in naive_segments(data):
        tag = seg[0]
        if st is not None:
            segs += 1
        if tag == b"ISA":
            isa, groups = seg, 0
        elif tag == b"GS":
            gs, sets = seg, 0
            groups += 1
        elif tag == b"ST":
            st, segs = seg, 1
            sets += 1
        elif tag == b"SE":
            if el(seg, 1) != str(segs).encode():
                codes.add(F.SE_SEGMENT_COUNT)
            if el(seg, 2) != el(st, 2):
                codes.add(F.ST_SE_CONTROL_MISMATCH)
            st = None
        elif tag == b"GE":
            if el(seg, 1) != str(sets).encode():
                codes.add(F.GE_SET_COUNT)
            if el(seg, 2) != el(gs, 6):
                codes.add(F.GS_GE_CONTROL_MISMATCH)
        elif tag == b"IEA":
            if el(seg, 1) != str(groups).encode():
                codes.add(F.IEA_GROUP_COUNT)
            if el(seg, 2) != el(isa, 13):
                codes.add(F.ISA_IEA_CONTROL_MISMATCH)
    return codes


def test_naive_splitter_on_a_known_text():
    """The helper itself: a two-interchange text with different delimiters."""
    isa1 = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~"
    isa2 = isa1.replace(b"*", b"|").replace(b"~", b"\n").replace(b"000000001", b"000000002")
    data = isa1 + b"GS*HP*A*B*20240101*1200*1*X*V~ST*835*1~BPR*I~SE*3*1~GE*1*1~IEA*1*000000001~\n"
    data += isa2 + b"GS|HP|A|B|20240101|1200|1|X|V\nST|835|1\nSE|2|1\nST|835|2\nSE|2|2\nGE|2|1\nIEA|1|000000002\n"
    assert len(isa1) == len(isa2) == 106
    assert naive_transaction_count(data) == 3
    assert naive_envelope_codes(data) == set()
    assert naive_envelope_codes(data.replace(b"SE|2|2", b"SE|3|9")) == {F.SE_SEGMENT_COUNT, F.ST_SE_CONTROL_MISMATCH}


# --- the corpus is there ------------------------------------------------------------------------

def test_corpus_is_present():
    assert CORPUS.is_dir(), f"corpus folder missing: {CORPUS}"
    assert len(ALL_FILES) > 600
    assert PROVENANCE.is_file()
    assert len(INVALID) > 40
    # every corpus file has its provenance row (the notes drive the expectations below)
    assert not [corpus_id(p) for p in ALL_FILES if corpus_id(p) not in NOTES]


# --- read, write, count -------------------------------------------------------------------------

def _naive_count_unreliable(note: str) -> str | None:
    """Why the naive splitter cannot count this file's transactions (None when it can)."""
    if "ISA length" in note:
        return "ISA is not 106 bytes: the delimiters are not at the fixed offsets"
    if "no ISA envelope" in note:
        return "no ISA to take the delimiters from"
    comp = note_delimiter(note, "comp")
    if comp and not comp.isascii():
        # ISA16 is a byte >= 0x80 that forms one UTF-8 character with the byte after it, so where
        # the ISA ends (and what terminates segments) depends on the reading.
        return "non-ASCII component separator makes ISA16/terminator ambiguous"
    return None


@pytest.mark.parametrize("path", params(VALID))
def test_valid_file_reads_and_writes_back(path):
    data = path.read_bytes()
    doc = edi.read(data)
    assert edi.write(doc) == data
    assert edi.write(edi.read_file(path)) == data
    unreliable = _naive_count_unreliable(notes(path))
    if unreliable is None:
        assert len(doc.transactions) == naive_transaction_count(data)
    for txn in doc.transactions:
        assert txn.header.id == "ST" and txn.segments[0] is txn.header
        assert txn.set_id == txn.header[1]
    index = doc.index  # segments decode in one piece (index.texts) to what their elements are
    assert [index.texts(i) for i in range(len(index))] == [
        [value.decode("utf-8", "surrogateescape") for value in index.elements(i)] for i in range(len(index))]


# --- the rewrite path -----------------------------------------------------------------------------

def touch_every_transaction(doc: edi.Document) -> None:
    """Force every transaction through the writer's segment-by-segment path.

    `segs.append(segs.pop())` leaves the same objects in the same order, and change tracking is by
    identity, so it does not mark a transaction changed. Swapping the ST for a fresh view of the
    same segment (public constructor, `doc.index`, `Segment.position`) does, without editing any
    value."""
    for txn in doc.transactions:
        segs = txn.segments
        segs.append(segs.pop())
        segs[0] = edi.Segment(doc.index, segs[0].position)
        assert txn.changed


def transaction_contents(doc: edi.Document) -> list[list[tuple[str, list[str]]]]:
    return [[(s.id, s.elements) for s in t.segments if s.id != "SE"] for t in doc.transactions]


_WRAPPED_REWRITE = ("lenient tokenize() now joins fixed-width wrapped lines (LINE_BREAKS_IN_SEGMENTS) and the writer "
                    "rewrites from the joined buffer, so a rewritten wrapped file loses its line breaks")
REWRITE_XFAILS = {
    "other/staedi__ts210_80char.edi": _WRAPPED_REWRITE,
}


@pytest.mark.parametrize("path", params(VALID))
def test_rewrite_path_keeps_every_transaction(path):
    data = path.read_bytes()
    doc = edi.read(data)
    before = transaction_contents(doc)
    touch_every_transaction(doc)
    if doc.transactions:
        assert doc.changed
    again = edi.read(edi.write(doc))
    assert transaction_contents(again) == before
    # the writer recomputes every SE it writes (and the GE/IEA of groups and interchanges holding
    # a transaction): no set-level defect is left and no envelope defect is new
    for txn in again.transactions:
        assert txn.trailer is not None
        assert txn.trailer[1] == str(len(txn.segments))
        assert txn.trailer[2] == txn.header[2]
    codes_after = {f.code for f in again.findings} & ENVELOPE_CODES
    assert not codes_after & {F.SE_MISSING, F.SE_SEGMENT_COUNT, F.ST_SE_CONTROL_MISMATCH}
    assert codes_after <= {f.code for f in doc.findings}


@pytest.mark.parametrize("path", params(VALID, REWRITE_XFAILS))
def test_rewrite_path_is_byte_exact_when_counts_were_right(path):
    data = path.read_bytes()
    doc = edi.read(data)
    if {f.code for f in doc.findings} & ENVELOPE_CODES:
        pytest.skip("the file's own counts or control numbers are wrong: the rewrite corrects them")
    touch_every_transaction(doc)
    assert edi.write(doc) == data


# --- PROVENANCE defects are reported ----------------------------------------------------------------

def expected_defects(note: str) -> set[F]:
    """Finding codes the notes name (counts from the corpus author's own splitter)."""
    codes = set()
    if "SE01 segment count wrong" in note:
        codes.add(F.SE_SEGMENT_COUNT)
    for pair, code in (("ISA/IEA", F.IEA_MISSING), ("GS/GE", F.GE_MISSING), ("ST/SE", F.SE_MISSING)):
        m = re.search(rf"{pair} (\d+)/(\d+)", note)
        if m and int(m.group(1)) > int(m.group(2)):
            codes.add(code)
    if "ST without SE" in note:
        codes.add(F.SE_MISSING)
    if "no ISA envelope" in note or "without ISA" in note or re.search(r"ISA/IEA 0/", note):
        codes.add(F.NO_INTERCHANGE)
    return codes


def _notes_counts_unreliable(note: str) -> bool:
    # The notes' counts come from splitting on the seg= delimiter they record. A space (the Adobe
    # sample ends segments with " \r\n" and has spaces inside elements) or a multi-byte character
    # cut to its first byte mis-split those files, so their count notes do not describe the file.
    seg, comp = note_delimiter(note, "seg"), note_delimiter(note, "comp")
    return seg == " " or (seg is not None and not seg.isascii()) or (comp is not None and not comp.isascii())


@pytest.mark.parametrize("path", params([p for p in ALL_FILES if expected_defects(notes(p))]))
def test_defects_named_in_notes_are_reported(path):
    note = notes(path)
    if _notes_counts_unreliable(note):
        pytest.skip("the notes' envelope counts come from a mis-split of this file's delimiters")
    doc = edi.read(path.read_bytes())
    codes = {f.code for f in doc.findings}
    assert expected_defects(note) <= codes


@pytest.mark.parametrize("path", params(INVALID))
def test_invalid_file_raises_edi_error_or_reports(path):
    data = path.read_bytes()
    note = notes(path)
    assert note.startswith("INVALID") or "INVALID:" in note
    try:
        doc = edi.read(data)
    except edi.EdiError as error:
        assert str(error)
        if isinstance(error, edi.EdiSyntaxError):
            assert error.location.byte_offset is not None
        return
    assert doc.findings, "a broken file read without a single finding"
    codes = {f.code for f in doc.findings}
    assert expected_defects(note) <= codes
    if "control number mismatch" in note or "wrong GE01/IEA01 counts" in note:
        naive = naive_envelope_codes(data)
        assert naive, "the naive splitter should see the defect the notes name"
        assert naive <= codes
    if "wrong GE01/IEA01 counts" in note:
        assert {F.GE_SET_COUNT, F.IEA_GROUP_COUNT} <= codes
    if "control number mismatch" in note:
        assert codes & {F.ST_SE_CONTROL_MISMATCH, F.GS_GE_CONTROL_MISMATCH, F.ISA_IEA_CONTROL_MISMATCH}


@pytest.mark.parametrize("path", params([p for p in INVALID if "BIN01" in notes(p)]))
def test_invalid_binary_length_is_a_syntax_error(path):
    data = path.read_bytes()
    with pytest.raises(edi.EdiSyntaxError) as info:
        edi.read(data)
    location = info.value.location
    assert location.segment_id == "BIN"
    # the offset is where a BIN segment starts in the file
    assert data[location.byte_offset : location.byte_offset + 4] == b"BIN*"


@pytest.mark.parametrize("path", params([
    p for p in ALL_FILES if naive_segments(p.read_bytes()) is not None
    and not _naive_count_unreliable(notes(p)) and not _notes_counts_unreliable(notes(p))
]))
def test_envelope_findings_match_naive_check(path):
    """Count and control-number findings equal what the naive splitter finds (files where the
    naive splitter can read the envelope)."""
    data = path.read_bytes()
    try:
        doc = edi.read(data)
    except edi.EdiError:
        assert path.parent.name == "invalid"
        return
    codes = {f.code for f in doc.findings} & (ENVELOPE_CODES - {F.SE_MISSING, F.GE_MISSING, F.IEA_MISSING})
    assert codes == naive_envelope_codes(data)


@pytest.mark.parametrize("path", params(ALL_FILES))
def test_envelope_check_accepts_only_what_the_builder_finds_faultless(path):
    """`regular_ranges` (the envelope checked in one pass, which lets a document build its
    tree when first used) accepts an envelope only where the builder walking it finds nothing,
    and gives the builder's transaction ranges; a lazily built document is the eager one."""
    try:
        index = edi.tokenize(path.read_bytes())
    except edi.EdiError:
        return
    ranges = regular_ranges(index)
    builder = _Builder(index)
    builder.walk()
    transactions = [t for interchange in builder.interchanges for t in interchange.transactions]
    if ranges is None:
        return
    assert builder.findings == []
    assert ranges[0].tolist() == [t.first for t in transactions]
    assert ranges[1].tolist() == [t.last for t in transactions]
    doc = edi.read(path.read_bytes())
    assert doc.transaction_ranges()[0].tolist() == ranges[0].tolist()
    assert [(t.first, t.last, t.header.position, t.trailer.position) for t in doc.transactions] == [
        (t.first, t.last, t.header.position, t.trailer.position) for t in transactions]
    assert [(i.first, i.last, len(i.groups)) for i in doc.interchanges] == [
        (i.first, i.last, len(i.groups)) for i in builder.interchanges]
    assert not doc.changed and edi.write(doc) == path.read_bytes()


def test_envelope_check_accepts_nearly_every_faultless_valid_file():
    """Nearly every valid corpus file whose envelope the builder finds faultless is accepted by
    the envelope check (445 of 452 when written: the others write counts or numbers otherwise)."""
    accepted = faultless = 0
    for path in VALID:
        try:
            index = edi.tokenize(path.read_bytes())
        except edi.EdiError:
            continue
        builder = _Builder(index)
        builder.walk()
        faultless += not builder.findings
        accepted += regular_ranges(index) is not None
    assert faultless > 400 and accepted >= 0.95 * faultless


# --- quirks: lenient repairs and strict rejections ----------------------------------------------------

def leading_bytes(data: bytes) -> bytes:
    """What precedes the first standard-looking ISA, BOM excluded."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    return data[start : data.find(b"ISA", start)]


def isa_is_wrapped(data: bytes) -> bool:
    """Is the first ISA a standard 106-byte one cut by line breaks (fixed-width wrapped lines)?"""
    m = re.search(rb"ISA[^A-Za-z0-9\s]", data)
    if not m:
        return False
    head = data[m.start() : m.start() + 130]
    joined = head.replace(b"\r", b"").replace(b"\n", b"")
    return joined != head[: len(joined)] and _is_fixed_isa(joined, 0)


def quirks(path) -> set[F]:
    note = notes(path)
    data = path.read_bytes()
    codes = set()
    if "UTF-8 BOM" in note:
        assert data.startswith(b"\xef\xbb\xbf")
        codes.add(F.BYTE_ORDER_MARK)
    if "leading text before ISA" in note and leading_bytes(data).strip(LAYOUT):
        # (one stupidedi fixture's "1 byte of leading text" is a line break: layout, not text)
        codes.add(F.LEADING_TEXT)
    if "ISA length" in note:
        codes.add(F.ISA_LENGTH)
    if "padded with '.'" in note:
        codes.add(F.ISA_DOT_PADDING)
    return codes


QUIRKY = [p for p in ALL_FILES if quirks(p)]


def test_quirky_files_are_many():
    assert len(QUIRKY) > 150


@pytest.mark.parametrize("path", params(QUIRKY))
def test_lenient_read_reports_quirks(path):
    data = path.read_bytes()
    doc = edi.read(data)
    codes = {f.code for f in doc.findings}
    expected = quirks(path)
    if F.ISA_LENGTH in expected and isa_is_wrapped(data) and F.LINE_BREAKS_IN_SEGMENTS in codes:
        # the ISA is a standard one cut by a line break: once lenient mode joins wrapped lines it is
        # 106 bytes, and the repair reported is the joining
        expected = expected - {F.ISA_LENGTH}
    assert expected <= codes
    for finding in doc.findings:
        if finding.code in (F.BYTE_ORDER_MARK, F.LEADING_TEXT):
            assert finding.location.byte_offset is not None


@pytest.mark.parametrize("path", params(QUIRKY))
def test_strict_read_rejects_quirks_with_a_position(path):
    data = path.read_bytes()
    expected = quirks(path)
    with pytest.raises(edi.EdiSyntaxError) as info:
        edi.read(data, strict=True)
    error = info.value
    offset = error.location.byte_offset
    assert offset is not None
    # strict stops at the first quirk in reading order: BOM, then leading text, then the ISA
    if F.BYTE_ORDER_MARK in expected:
        assert error.reason == F.BYTE_ORDER_MARK.description
        assert offset == 0
    elif F.LEADING_TEXT in expected:
        assert error.reason == F.LEADING_TEXT.description
        assert offset == len(data) - len(data.lstrip(LAYOUT))
    else:
        isa_reasons = {F.ISA_LENGTH.description, F.ISA_DOT_PADDING.description, F.TERMINATOR_REPAIRED.description}
        assert error.reason in isa_reasons
        isa = data.find(b"ISA")
        assert isa <= offset < isa + 130


# --- streaming --------------------------------------------------------------------------------------

def transaction_key(txn: edi.Transaction):
    return (txn.set_id, txn.control_number, len(txn), [s.to_bytes() for s in txn.segments])


#: corpus id -> reason, for files whose streaming is known to differ (none at present)
STREAM_XFAILS: dict[str, str] = {}


@pytest.mark.parametrize("window", [97, 1024, 4096])
@pytest.mark.parametrize("path", params(VALID, STREAM_XFAILS))
def test_streaming_matches_whole_read(path, window):
    data = path.read_bytes()
    doc = edi.read(data)
    reader = edi.iter_transactions(io.BytesIO(data), window=window)
    streamed = [transaction_key(t) for t in reader]
    assert streamed == [transaction_key(t) for t in doc.transactions]
    assert sorted(f.code.name for f in reader.findings if f.code in ENVELOPE_CODES) == sorted(
        f.code.name for f in doc.findings if f.code in ENVELOPE_CODES)


def test_streaming_from_a_path(tmp_path):
    source = CORPUS / "mixed" / "pyx12__mult_isa.txt"
    data = source.read_bytes()
    target = tmp_path / "copy.x12"
    target.write_bytes(data)
    streamed = [transaction_key(t) for t in edi.iter_transactions(target, window=512)]
    assert streamed == [transaction_key(t) for t in edi.read(data).transactions]
    assert len(streamed) == naive_transaction_count(data)


def _unclosed_interchange() -> bytes:
    """ISA, GS and one complete transaction, then the end: no GE, no IEA (over 512 bytes, so that a
    stream window does not wait for more before scanning)."""
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~"
    body = b"".join(b"REF*EV*%040d~" % k for k in range(12))
    data = isa + b"GS*HP*A*B*20240101*1200*1*X*005010X221A1~ST*835*0001~" + body + b"SE*14*0001~"
    assert len(data) > 600 and naive_envelope_codes(data) == set()
    return data


def test_streaming_reports_missing_trailers_at_end_of_short_input():
    """Under 512 bytes the stream holds the tail for the final scan, which closes the envelope."""
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~"
    data = isa + b"GS*HP*A*B*20240101*1200*1*X*005010X221A1~ST*835*0001~BPR*I~SE*3*0001~"
    assert {F.GE_MISSING, F.IEA_MISSING} <= {f.code for f in edi.read(data).findings}
    reader = edi.iter_transactions(io.BytesIO(data), window=4096)
    assert len(list(reader)) == 1
    assert {F.GE_MISSING, F.IEA_MISSING} <= {f.code for f in reader.findings}


def test_streaming_reports_missing_trailers_when_input_ends_at_the_terminator():
    """(The window consumes everything; the envelope must still be closed at end of input.)"""
    data = _unclosed_interchange()
    assert {F.GE_MISSING, F.IEA_MISSING} <= {f.code for f in edi.read(data).findings}
    reader = edi.iter_transactions(io.BytesIO(data), window=4096)
    assert len(list(reader)) == 1
    assert {F.GE_MISSING, F.IEA_MISSING} <= {f.code for f in reader.findings}


@pytest.mark.parametrize("path", params(corpus_files("ta1")))
def test_ta1_is_an_interchange_level_segment(path):
    data = path.read_bytes()
    segments = naive_segments(data) or []
    assert [s for s in segments if s[0] == b"TA1"], "the ta1 folder holds TA1 acknowledgments"
    doc = edi.read(data)
    assert not [f for f in doc.findings if f.code == F.SEGMENT_OUTSIDE_ENVELOPE]
    assert not doc.transactions and len(doc.interchanges) == 1


@pytest.mark.parametrize("stray", [b"X*STRAY", b"NTE", b"TOOLONG*1"])
def test_streaming_resumes_at_any_segment(stray):
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~\n"
    sets = b"".join(b"ST*835*%04d~\nBPR*I*%d~\nREF*EV*%040d~\nSE*4*%04d~\n%s~\n" % (k, k, k, k, stray)
                    for k in range(1, 40))
    data = isa + b"GS*HP*A*B*20240101*1200*1*X*V~\n" + sets + b"GE*39*1~\nIEA*1*000000001~\n"
    assert naive_transaction_count(data) == 39
    expected = [transaction_key(t) for t in edi.read(data).transactions]
    assert len(expected) == 39
    for window in range(500, 800, 3):
        reader = edi.iter_transactions(io.BytesIO(data), window=window)
        assert [transaction_key(t) for t in reader] == expected, window
        assert not {f.code for f in reader.findings} & {F.TRAILING_TEXT, F.GE_MISSING, F.IEA_MISSING}


def test_streaming_long_leading_prose_is_leading_text():
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~\n"
    body = b"GS*HP*A*B*20240101*1200*1*X*V~\nST*835*0001~\nBPR*I~\nSE*3*0001~\nGE*1*1~\nIEA*1*000000001~\n"
    prose = b"Re: remittance sample | one claim\n" + b"This file shows a remittance.\n" * 60
    data = prose + isa + body
    doc = edi.read(data)
    assert {f.code for f in doc.findings} == {F.LEADING_TEXT, F.WHITESPACE_BETWEEN_SEGMENTS}
    reader = edi.iter_transactions(io.BytesIO(data), window=1024)
    assert [transaction_key(t) for t in reader] == [transaction_key(t) for t in doc.transactions]
    assert {f.code for f in reader.findings} == {f.code for f in doc.findings}
