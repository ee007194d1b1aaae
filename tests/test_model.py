"""Documents built in Python and documents edited after reading: what the writer produces, checked
by splitting its output with plain bytes operations; element, component and repetition access on
real corpus files, with expected values read from the file text here."""
from __future__ import annotations

from pathlib import Path

import pytest

import edi
from edi import Delimiters, Document, Group, Interchange, Segment, Transaction
from edi import FindingCode as F
from edi.envelope import regular_ranges

from conftest import CORPUS

MANAGED_CARE_835 = CORPUS / "835" / "lfh-x12__managed-care.835"
DEPENDENT_271 = CORPUS / "271" / "lfh-x12__dependent.271"
MULT_ISA = CORPUS / "mixed" / "pyx12__mult_isa.txt"

LAYOUT = b" \t\r\n"


def split_segments(data: bytes, sep: bytes = b"*", term: bytes = b"~") -> list[list[bytes]]:
    return [s.strip(LAYOUT).split(sep) for s in data.split(term) if s.strip(LAYOUT)]


def interchange_slices(data: bytes) -> list[bytes]:
    """The bytes of each interchange, from its ISA to the next ISA (or the end)."""
    starts = []
    pos = data.find(b"ISA*")
    while pos >= 0:
        starts.append(pos)
        pos = data.find(b"ISA*", pos + 1)
    return [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)])]


def check_envelope(segments: list[list[bytes]]) -> None:
    """SE01/SE02, GE01/GE02, IEA01/IEA02 agree with what they close (plain counting)."""
    stack = []
    for seg in segments:
        tag = seg[0]
        if stack:
            for frame in stack:
                if frame[0] == b"ST":
                    frame[2] += 1
        if tag == b"ISA":
            stack.append([b"ISA", seg, 0])
        elif tag == b"GS":
            stack[-1][2] += 1
            stack.append([b"GS", seg, 0])
        elif tag == b"ST":
            stack[-1][2] += 1
            stack.append([b"ST", seg, 1])
        elif tag in (b"SE", b"GE", b"IEA"):
            kind, header, count = stack.pop()
            assert (kind, tag) in ((b"ST", b"SE"), (b"GS", b"GE"), (b"ISA", b"IEA"))
            assert int(seg[1]) == count, (tag, seg, count)
            control = {b"SE": 2, b"GE": 6, b"IEA": 13}[tag]
            assert seg[2] == header[control]
    assert not stack


# --- building -------------------------------------------------------------------------------------

def build_document(delimiters: Delimiters = Delimiters()) -> Document:
    claim = [
        Segment.build("BPR", "I", "100.00", "C"),
        Segment.build("CLP", "A1", "1", "100.00", "80.00"),
        Segment.build("SVC", ("HC", "99213", "25"), "100.00", "80.00"),
        Segment.build("REF", "EV", ["ONE", "TWO", ("C1", "C2")]),
        Segment.build("NM1", "QC", "1", "DOE", "JOHN", "", "", ""),
    ]
    t1 = Transaction.build("835", "0001", claim, implementation="005010X221A1")
    t2 = Transaction.build("835", "0002", [Segment.build("BPR", "H", "0", "C")])
    g1 = Group.build("HP", "SENDER", "RECEIVER", "42", "005010X221A1", [t1, t2], date="20240101", time="1200")
    t3 = Transaction.build("835", "0001", [Segment.build("BPR", "I", "5", "C")])
    g2 = Group.build("HP", "SENDER", "RECEIVER", "43", "005010X221A1", [t3], date="20240101", time="1201")
    ic = Interchange.build("SENDER", "RECEIVER", 7, [g1, g2], date="240101", time="1200", usage="T",
                           delimiters=delimiters)
    return Document.build([ic])


def test_built_document_writes_a_standard_interchange():
    out = edi.write(build_document())
    isa = out[:106]
    assert isa.startswith(b"ISA*") and out[105:106] == b"~"
    assert out.find(b"~") == 105  # the ISA is exactly 106 bytes with its terminator
    fields = isa[:105].split(b"*")
    assert len(fields) == 17
    assert [len(f) for f in fields[1:]] == [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1]
    assert fields[6] == b"SENDER".ljust(15) and fields[8] == b"RECEIVER".ljust(15)
    assert (isa[82:83], isa[84:89], isa[104:105]) == (b"^", b"00501", b":")
    assert fields[13] == b"000000007" and fields[15] == b"T"
    segments = split_segments(out)
    check_envelope(segments)
    ids = [s[0] for s in segments]
    assert ids.count(b"ST") == 3 and ids.count(b"GS") == 2
    assert segments[-1] == [b"IEA", b"2", b"000000007"]
    ges = [s for s in segments if s[0] == b"GE"]
    assert ges == [[b"GE", b"2", b"42"], [b"GE", b"1", b"43"]]
    ses = [s for s in segments if s[0] == b"SE"]
    assert ses[0] == [b"SE", b"7", b"0001"]  # ST, 5 body segments, SE
    assert b"SVC*HC:99213:25*100.00*80.00~" in out
    assert b"REF*EV*ONE^TWO^C1:C2~" in out
    assert b"NM1*QC*1*DOE*JOHN~" in out  # trailing empty elements are not written
    assert b"ST*835*0001*005010X221A1~" in out


def test_built_document_reads_back_without_findings():
    doc = build_document()
    again = edi.read(edi.write(doc))
    assert again.findings == []
    assert len(again.interchanges) == 1
    ic = again.interchanges[0]
    assert (ic.sender_id, ic.receiver_id, ic.control_number, ic.usage, ic.version) == (
        "SENDER", "RECEIVER", "000000007", "T", "00501")
    assert [g.control_number for g in ic.groups] == ["42", "43"]
    assert [t.control_number for t in again.transactions] == ["0001", "0002", "0001"]
    t1 = again.transactions[0]
    assert t1.version == "005010X221A1" and len(t1) == 7
    svc = t1.segments[3]
    assert svc.components(1) == ["HC", "99213", "25"]
    ref = t1.segments[4]
    assert ref.repetitions(2) == ["ONE", "TWO", "C1:C2"]
    assert edi.write(again) == edi.write(doc)


def test_built_document_with_other_delimiters():
    delimiters = Delimiters(b"|", b">", b"!", b"\n")
    out = edi.write(build_document(delimiters))
    assert (out[3:4], out[82:83], out[104:105], out[105:106]) == (b"|", b"!", b">", b"\n")
    segments = split_segments(out, b"|", b"\n")
    check_envelope(segments)
    assert b"SVC|HC>99213>25|100.00|80.00\n" in out
    assert b"REF|EV|ONE!TWO!C1>C2\n" in out
    again = edi.read(out)
    assert again.findings == []
    assert again.interchanges[0].delimiters == delimiters


def test_line_break_option():
    out = edi.write(build_document(), line_break="\r\n")
    assert out.count(b"~\r\n") == out.count(b"~")
    check_envelope(split_segments(out))
    assert {f.code for f in edi.read(out).findings} == {F.WHITESPACE_BETWEEN_SEGMENTS}


def test_several_built_interchanges():
    docs = [build_document(), build_document(Delimiters(b"|", b">", b"!", b"~"))]
    doc = Document.build(docs[0].interchanges + docs[1].interchanges)
    out = edi.write(doc)
    again = edi.read(out)
    assert len(again.interchanges) == 2 and len(again.transactions) == 6
    assert [ic.delimiters.element for ic in again.interchanges] == [b"*", b"|"]
    assert {f.code for f in again.findings} == {F.DUPLICATE_INTERCHANGE}  # both are ISA13 000000007


def test_list_needs_a_repetition_separator():
    segment = Segment.build("REF", "EV", ["A", "B"], delimiters=Delimiters(b"*", b":", None, b"~"))
    with pytest.raises(ValueError):
        segment.to_bytes()


@pytest.mark.parametrize("kwargs", [dict(sender_id="S" * 16), dict(control_number=10**9)], ids=["sender", "control"])
def test_interchange_build_rejects_values_that_break_the_fixed_width(kwargs):
    args = dict(sender_id="SENDER", receiver_id="RECEIVER", control_number=1, groups=[], date="240101", time="1200")
    args.update(kwargs)
    with pytest.raises((ValueError, edi.EdiError)):
        ic = Interchange.build(**args)
        edi.write(Document.build([ic]))


# --- editing what was read --------------------------------------------------------------------------

def read_mult_isa():
    data = MULT_ISA.read_bytes()
    return data, edi.read(data)


def test_mult_isa_fixture_is_what_the_tests_expect():
    data, doc = read_mult_isa()
    segments = split_segments(data)
    assert sum(1 for s in segments if s[0] == b"ISA") == len(doc.interchanges) >= 2
    assert sum(1 for s in segments if s[0] == b"ST") == len(doc.transactions) >= 4
    assert len(doc.interchanges[0].groups) >= 2 and len(doc.interchanges[0].groups[0].transactions) >= 3
    assert edi.write(doc) == data


def test_change_an_element():
    data, doc = read_mult_isa()
    txn = doc.interchanges[0].groups[0].transactions[1]
    bht = txn.segments[1]
    assert bht.id == "BHT"
    old = data[bht.location.byte_offset :].split(b"~", 1)[0]
    parts = old.split(b"*")
    parts[2] = b"99"
    new = b"*".join(parts)
    bht[2] = "99"
    assert txn.changed and doc.changed
    out = edi.write(doc)
    start = bht.location.byte_offset
    assert out == data[:start] + new + data[start + len(old) :]
    check_envelope(split_segments(out))


def test_insert_a_segment():
    data, doc = read_mult_isa()
    slices = interchange_slices(data)
    first_group = doc.interchanges[0].groups[0]
    txn = first_group.transactions[0]
    untouched = [data[t.segments[0].location.byte_offset : t.trailer.location.byte_offset] for t in first_group.transactions[1:]]
    n = len(txn)
    txn.segments.insert(2, Segment.build("REF", "EV", "ADDED"))
    out = edi.write(doc)
    segments = split_segments(out)
    check_envelope(segments)
    st = next(k for k, s in enumerate(segments) if s[0] == b"ST" and s[2] == txn.control_number.encode())
    assert segments[st + 2] == [b"REF", b"EV", b"ADDED"]
    assert segments[st + n] == [b"SE", str(n + 1).encode(), txn.control_number.encode()]
    # the other interchanges and the other transactions of the group are copied byte for byte
    assert out.endswith(b"".join(slices[1:]))
    for chunk in untouched:
        assert chunk in out
    assert edi.read(out).findings == [f for f in edi.read(data).findings if f.code != F.SE_SEGMENT_COUNT]


def test_delete_a_transaction():
    data, doc = read_mult_isa()
    slices = interchange_slices(data)
    group = doc.interchanges[0].groups[0]
    removed = group.transactions.pop(1)
    out = edi.write(doc)
    segments = split_segments(out)
    check_envelope(segments)
    assert out.endswith(b"".join(slices[1:]))
    again = edi.read(out)
    assert len(again.transactions) == len(doc.transactions)
    first = again.interchanges[0].groups[0]
    assert [t.control_number for t in first.transactions] == [t.control_number for t in group.transactions]
    assert removed.control_number not in [t.control_number for t in first.transactions]
    assert first.trailer[1] == str(len(group.transactions))


def test_delete_a_group_and_an_interchange():
    data, doc = read_mult_isa()
    slices = interchange_slices(data)
    doc.interchanges[0].groups.pop()
    out = edi.write(doc)
    check_envelope(split_segments(out))
    assert out.endswith(b"".join(slices[1:]))
    again = edi.read(out)
    assert again.interchanges[0].trailer[1] == str(len(doc.interchanges[0].groups))
    # dropping a whole interchange copies the others untouched
    data, doc = read_mult_isa()
    del doc.interchanges[0]
    out = edi.write(doc)
    assert out == b"".join(slices[1:])


def test_replace_a_composite_in_a_read_segment():
    data = MANAGED_CARE_835.read_bytes()
    doc = edi.read(data)
    svc = next(s for t in doc.transactions for s in t.segments if s.id == "SVC")
    old = data[svc.location.byte_offset :].split(b"~", 1)[0]
    svc[1] = ("HC", "99999", "GT")
    out = edi.write(doc)
    new = old.split(b"*")
    new[1] = b"HC:99999:GT"
    start = svc.location.byte_offset
    assert out == data[:start] + b"*".join(new) + data[start + len(old) :]


def test_edited_segment_keeps_trailing_empty_elements_and_layout():
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~\n"
    data = isa + b"GS*HP*A*B*20240101*1200*1*X*005010X221A1~\nST*835*0001~\nNM1*QC*1*DOE**~\nSE*3*0001~\nGE*1*1~\nIEA*1*000000001~\n"
    doc = edi.read(data)
    nm1 = doc.transactions[0].segments[1]
    nm1[3] = "ROE"
    assert edi.write(doc) == data.replace(b"NM1*QC*1*DOE**~", b"NM1*QC*1*ROE**~")


@pytest.mark.parametrize("where", ["ta1-before-gs", "between-sets"])
def test_rewrite_keeps_segments_outside_transactions(where):
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~"
    sets = b"ST*835*0001~BPR*I~SE*3*0001~ST*835*0002~BPR*H~SE*3*0002~"
    if where == "ta1-before-gs":
        data = isa + b"TA1*000000009*240101*1200*A*000~GS*HP*A*B*20240101*1200*1*X*V~" + sets + b"GE*2*1~IEA*1*000000001~"
    else:
        data = isa + b"GS*HP*A*B*20240101*1200*1*X*V~" + sets.replace(b"~ST*835*0002", b"~NTE*X~ST*835*0002") \
            + b"GE*2*1~IEA*1*000000001~"
    doc = edi.read(data)
    doc.transactions[0].segments[1][1] = "C"
    assert edi.write(doc) == data.replace(b"BPR*I~", b"BPR*C~")


def test_rewrite_keeps_segments_after_the_last_interchange():
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~"
    data = isa + b"GS*HP*A*B*20240101*1200*1*X*V~ST*835*0001~BPR*I~SE*3*0001~GE*1*1~IEA*1*000000001~\nNTE*ADD*KEEP ME~\n"
    doc = edi.read(data)
    assert F.SEGMENT_OUTSIDE_ENVELOPE in {f.code for f in doc.findings}
    doc.transactions[0].segments[1][1] = "C"
    assert edi.write(doc) == data.replace(b"BPR*I~", b"BPR*C~")


# --- element access on real files ---------------------------------------------------------------------

def text_segments(path, segment_id: str) -> list[list[str]]:
    """Segments with this id, split by hand from the file text."""
    text = path.read_bytes().decode("utf-8")
    return [s.strip().split("*") for s in text.split("~") if s.strip().split("*")[0] == segment_id]


def test_claim_and_service_segments_of_an_835():
    doc = edi.read_file(MANAGED_CARE_835)
    clps = [s for t in doc.transactions for s in t.segments if s.id == "CLP"]
    expected = text_segments(MANAGED_CARE_835, "CLP")
    assert len(clps) == len(expected) >= 2
    for segment, parts in zip(clps, expected):
        assert segment.elements == parts[1:]
        assert [segment[j] for j in range(len(parts))] == parts
        assert segment[len(parts)] == ""
    svcs = [s for t in doc.transactions for s in t.segments if s.id == "SVC"]
    expected = text_segments(MANAGED_CARE_835, "SVC")
    assert len(svcs) == len(expected) >= 2
    for segment, parts in zip(svcs, expected):
        composite = parts[1].split(":")
        assert segment.components(1) == composite
        assert [segment.component(1, k) for k in range(1, len(composite) + 2)] == composite + [""]
        assert segment.component(2, 1) == parts[2]
        assert segment[2] == parts[2] and segment[3] == parts[3]
    data = MANAGED_CARE_835.read_bytes()
    for segment in clps + svcs:
        assert data[segment.location.byte_offset :].startswith(segment.id.encode() + b"*")


def test_repetitions_of_a_271():
    doc = edi.read_file(DEPENDENT_271)
    assert doc.interchanges[0].delimiters.repetition == b"^"
    ebs = [s for t in doc.transactions for s in t.segments if s.id == "EB"]
    expected = text_segments(DEPENDENT_271, "EB")
    assert len(ebs) == len(expected)
    repeated = [(s, p) for s, p in zip(ebs, expected) if len(p) > 3 and "^" in p[3]]
    assert repeated, "the fixture has EB03 repetitions"
    for segment, parts in repeated:
        assert segment.repetitions(3) == parts[3].split("^")
        assert segment[3] == parts[3]
    for segment, parts in zip(ebs, expected):
        assert segment.repetitions(1) == [parts[1]]


def test_repr_shows_no_element_values():
    doc = edi.read_file(MANAGED_CARE_835)
    for txn in doc.transactions:
        for segment in txn.segments:
            text = repr(segment)
            assert segment.id in text
            values = [v for v in segment.elements if len(v) >= 3 and not v.isdigit()]
            assert not [v for v in values if v in text], text
            assert "BUDD" not in text and "SETTLE" not in text  # patient names in this file
    for finding in edi.read(MANAGED_CARE_835.read_bytes().replace(b"SE*26*", b"SE*25*")).findings:
        assert "BUDD" not in repr(finding)


def test_repr_of_a_segment_without_a_valid_id():
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~"
    data = isa + b"GS*HP*A*B*20240101*1200*1*X*V~ST*835*0001~JOHN SECRETNAME~SE*3*0001~GE*1*1~IEA*1*000000001~"
    doc = edi.read(data)
    assert "SECRET" not in repr(doc.transactions[0].segments[1])


def test_segment_views_and_detaching():
    doc = edi.read_file(MANAGED_CARE_835)
    txn = doc.transactions[0]
    clp = next(s for s in txn.segments if s.id == "CLP")
    assert clp.is_view and clp.position >= 0
    before = clp.to_bytes()
    clp[1] = clp[1]
    assert not clp.is_view
    assert clp.to_bytes() == before  # same value, same bytes (trailing empties kept for read segments)
    built = Segment.build("REF", "EV", "1")
    assert built.position == -1 and not built.is_view and built.location.byte_offset is None
    with pytest.raises(IndexError):
        clp[-1] = "X"
    with pytest.raises((TypeError, KeyError)):
        clp["1"]


def test_element_references():
    doc = edi.read_file(MANAGED_CARE_835)
    expected_clp = text_segments(MANAGED_CARE_835, "CLP")[0]
    expected_svc = text_segments(MANAGED_CARE_835, "SVC")[0]
    clp = next(s for t in doc.transactions for s in t.segments if s.id == "CLP")
    svc = next(s for t in doc.transactions for s in t.segments if s.id == "SVC")
    assert clp["CLP01"] == expected_clp[1] and clp["CLP02"] == expected_clp[2]
    assert svc["SVC01-1"] == expected_svc[1].split(":")[0]
    assert svc["SVC01-2"] == expected_svc[1].split(":")[1]
    assert svc["SVC02"] == expected_svc[2]
    for bad in ("SVC02", "CLP", "CLPXX"):
        with pytest.raises(KeyError) as info:
            clp[bad]
        assert expected_clp[1] not in str(info.value)


def test_rewrite_terminates_an_unterminated_last_segment():
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~"
    data = isa + b"GS*HP*A*B*20240101*1200*1*X*V~ST*835*0001~BPR*I~REF*EV*1"
    doc = edi.read(data)
    assert {F.MISSING_TERMINATOR, F.SE_MISSING} <= {f.code for f in doc.findings}
    doc.transactions[0].segments[1][1] = "C"
    out = edi.write(doc)
    segments = split_segments(out)
    check_envelope(segments)
    assert [b"REF", b"EV", b"1"] in segments


def test_rewrite_keeps_an_unterminated_final_iea_as_it_was():
    isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:~"
    data = isa + b"GS*HP*A*B*20240101*1200*1*X*V~ST*835*0001~BPR*I~SE*3*0001~GE*1*1~IEA*1*000000001"
    doc = edi.read(data)
    assert {f.code for f in doc.findings} == {F.MISSING_TERMINATOR}
    doc.transactions[0].segments[1][1] = "C"
    assert edi.write(doc) == data.replace(b"BPR*I~", b"BPR*C~")


def test_rewrite_keeps_segments_before_the_first_set_of_a_headerless_file():
    data = b"NTE*KEEP~ST*835*1~BPR*I~SE*3*1~"
    doc = edi.read(data)
    assert F.SEGMENT_OUTSIDE_ENVELOPE in {f.code for f in doc.findings}
    doc.transactions[0].segments[1][1] = "C"
    assert edi.write(doc) == b"NTE*KEEP~ST*835*1~BPR*C~SE*3*1~"


def test_findings_name_the_file_they_are_in(tmp_path):
    path = tmp_path / "claims.837"
    text = (Path(__file__).resolve().parents[1] / "fixtures" / "claims.837").read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + text.replace(b"~\nSE*", b"~\nZZZ*1~\nSE*", 1))
    doc = edi.read_file(path)
    from edi.validate import validate

    findings = validate(doc)
    assert findings and all(f.location.source == str(path) for f in findings)
    assert str(findings[0]).count(str(path)) == 1
    assert all(f.location.source is None for f in validate(edi.read(path.read_bytes())))


# --- the envelope checked in one pass -------------------------------------------------------------

ENVELOPE = (b"ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *240101*1200*^*00501*000000007*0*P*:~"
            b"GS*HP*PAYER*CLINIC*20240101*1200*42*X*005010X221A1~"
            b"ST*835*0001~BPR*I*5*C~TRN*1*9~SE*4*0001~"
            b"ST*835*0002~BPR*I*6*C~SE*3*0002~"
            b"GE*2*42~"
            b"GS*HP*PAYER*CLINIC*20240101*1200*43*X*005010X221A1~"
            b"ST*835*0001~BPR*I*7*C~SE*3*0001~"
            b"GE*1*43~IEA*2*000000007~")


@pytest.mark.parametrize("old, new, code", [
    (b"SE*4*0001", b"SE*5*0001", F.SE_SEGMENT_COUNT),
    (b"SE*3*0002", b"SE*3*0003", F.ST_SE_CONTROL_MISMATCH),
    (b"GE*2*42", b"GE*3*42", F.GE_SET_COUNT),
    (b"GE*1*43", b"GE*1*44", F.GS_GE_CONTROL_MISMATCH),
    (b"IEA*2*", b"IEA*1*", F.IEA_GROUP_COUNT),
    (b"IEA*2*000000007", b"IEA*2*000000008", F.ISA_IEA_CONTROL_MISMATCH),
    (b"ST*835*0002~BPR*I*6*C~SE*3*0002", b"ST*835*0001~BPR*I*6*C~SE*3*0001", F.DUPLICATE_SET),
    (b"*1200*43*X", b"*1200*42*X", F.DUPLICATE_GROUP),
    (b"SE*4*0001~", b"SE*4*0001~NTE*STRAY~", F.SEGMENT_OUTSIDE_ENVELOPE),
    (b"SE*3*0002~", b"", F.SE_MISSING),
    (b"GE*2*42~", b"", F.GE_MISSING),
    (b"GS*HP*PAYER*CLINIC*20240101*1200*42*X*005010X221A1~", b"", F.SET_OUTSIDE_GROUP),
])
def test_envelope_faults_leave_the_envelope_check_to_the_builder(old, new, code):
    """The envelope check accepts the faultless envelope (its tree is built when first used), and
    leaves every faulty one to the builder, which reports the fault."""
    doc = edi.read(ENVELOPE)
    assert doc.findings == [] and regular_ranges(doc.index)[0].tolist() == [2, 6, 11]
    assert doc._interchanges is None  # not built yet
    assert [t.header[2] for t in doc.transactions] == ["0001", "0002", "0001"]
    assert edi.write(doc) == ENVELOPE
    data = ENVELOPE.replace(old, new, 1)
    assert data != ENVELOPE
    assert regular_ranges(edi.tokenize(data)) is None
    assert code in {f.code for f in edi.read(data).findings}


def test_duplicate_interchange_leaves_the_envelope_check_to_the_builder():
    data = ENVELOPE + ENVELOPE
    assert regular_ranges(edi.tokenize(data)) is None
    assert F.DUPLICATE_INTERCHANGE in {f.code for f in edi.read(data).findings}
    other = ENVELOPE.replace(b"000000007", b"000000008")
    assert regular_ranges(edi.tokenize(ENVELOPE + other)) is not None


def test_a_duplicate_among_many_sets_leaves_the_envelope_check_to_the_builder():
    """Control numbers are compared by hash first: 60 sets in a group, the last numbered as
    one before it, are a duplicate; numbered apart, they are not."""
    def group(numbers):
        sets = b"".join(b"ST*835*%s~BPR*I*5*C~SE*3*%s~" % (n, n) for n in numbers)
        return ENVELOPE.split(b"GS*")[0] + b"GS*HP*PAYER*CLINIC*20240101*1200*42*X*005010X221A1~" + sets + (
            b"GE*%d*42~IEA*1*000000007~" % len(numbers))
    numbers = [b"%04d" % k for k in range(1, 61)]
    assert len(regular_ranges(edi.tokenize(group(numbers)))[0]) == 60
    data = group(numbers[:-1] + [numbers[17]])
    assert regular_ranges(edi.tokenize(data)) is None
    assert F.DUPLICATE_SET in {f.code for f in edi.read(data).findings}


def test_edits_to_a_lazily_built_document_are_written():
    doc = edi.read(ENVELOPE)
    doc.transactions[2].segments[1][2] = "8"
    assert doc.changed
    assert edi.write(doc) == ENVELOPE.replace(b"BPR*I*7*C", b"BPR*I*8*C")
    doc = edi.read(ENVELOPE)
    doc.interchanges = []
    assert doc.changed and edi.write(doc) == b""
