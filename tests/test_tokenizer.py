"""The tokenizer and its SegmentIndex contract, on small hand-written inputs.

Every expected offset is computed here from the input text with bytes.find / split, never taken
from the library. Each test runs once per backend (conftest), and the limit tests also compare the
two backends directly.
"""
from __future__ import annotations

import numpy as np
import pytest

import edi
from edi import FindingCode as F
from edi import _backend
from edi._py import tokenizer as py_kernel

LAYOUT = b" \t\r\n\x00\x0b\x0c"
BOM = b"\xef\xbb\xbf"


def make_isa(sep=b"*", comp=b":", rep=b"^", term=b"~", sender=b"SENDER", control=b"000000001", version=b"00501",
             pad=True):
    """An ISA with fixed-width fields: 105 bytes plus the terminator when sender fits 15 bytes
    (`pad=False` keeps the sender as given, to make a short or long ISA)."""
    fields = [b"00", b" " * 10, b"00", b" " * 10, b"ZZ", sender.ljust(15) if pad else sender, b"ZZ", b"RECEIVER".ljust(15),
              b"240101", b"1200", rep, version, control, b"0", b"P", comp]
    return b"ISA" + b"".join(sep + f for f in fields) + term


def envelope(body: list[bytes], sep=b"*", comp=b":", rep=b"^", term=b"~", control=b"000000001", after=b"", **isa):
    """ISA, GS, ST, body, SE, GE, IEA with correct counts, `after` following each terminator."""
    def seg(*elements):
        return sep.join(elements)

    n = len(body) + 2
    segments = [seg(b"GS", b"HP", b"S", b"R", b"20240101", b"1200", b"7", b"X", b"005010X221A1"),
                seg(b"ST", b"835", b"0001"), *body, seg(b"SE", str(n).encode(), b"0001"),
                seg(b"GE", b"1", b"7"), seg(b"IEA", b"1", control)]
    return make_isa(sep, comp, rep, term, control=control, **isa) + after + b"".join(s + term + after for s in segments)


def tag_of(segment_id: bytes) -> int:
    if 2 <= len(segment_id) <= 3 and segment_id.isalnum() and segment_id.isascii():
        return int.from_bytes(segment_id.ljust(3, b"\0"), "big")
    return 0


def expected_index(data: bytes, sep: bytes, term: bytes, start: int = 0):
    """Segment/element arrays by plain find/split: layout between segments is skipped."""
    seg_start, seg_len, seg_tag, elem_ptr, elem_offset = [], [], [], [0], []
    pos = start
    while True:
        while pos < len(data) and data[pos] in LAYOUT and data[pos : pos + 1] != sep:
            pos += 1
        if pos >= len(data):
            break
        end = data.find(term, pos)
        assert end >= 0, "hand-written inputs are terminated"
        piece = data[pos:end]
        seg_start.append(pos)
        seg_len.append(len(piece))
        seg_tag.append(tag_of(piece.split(sep)[0]))
        q = piece.find(sep)
        while q >= 0:
            elem_offset.append(q + 1)
            q = piece.find(sep, q + 1)
        elem_ptr.append(len(elem_offset))
        pos = end + len(term)
    return seg_start, seg_len, seg_tag, elem_ptr, elem_offset


def assert_index(index: edi.SegmentIndex, data: bytes, sep: bytes, term: bytes, start: int = 0):
    seg_start, seg_len, seg_tag, elem_ptr, elem_offset = expected_index(data, sep, term, start)
    assert index.seg_start.dtype == np.int64 and index.seg_start.tolist() == seg_start
    assert index.seg_len.dtype == np.uint32 and index.seg_len.tolist() == seg_len
    assert index.seg_tag.dtype == np.uint32 and index.seg_tag.tolist() == seg_tag
    assert index.elem_ptr.dtype == np.int64 and index.elem_ptr.tolist() == elem_ptr
    assert index.elem_offset.dtype == np.uint16 and index.elem_offset.tolist() == elem_offset
    assert len(index) == len(seg_start)
    for i, (s, n) in enumerate(zip(seg_start, seg_len)):
        parts = data[s : s + n].split(sep)
        assert index.segment_bytes(i) == data[s : s + n]
        assert index.elements(i) == parts
        assert index.element_count(i) == len(parts) - 1
        assert index.segment_id(i) == parts[0].decode()
        for j, part in enumerate(parts):
            assert index.element(i, j) == part
        assert index.element(i, len(parts)) == b""
    starts, ends = index.elem_start, index.elem_end
    flat = [p for i, (s, n) in enumerate(zip(seg_start, seg_len)) for p in data[s : s + n].split(sep)[1:]]
    assert [data[a:b] for a, b in zip(starts.tolist(), ends.tolist())] == flat


# --- the index contract -----------------------------------------------------------------------------

def test_index_of_a_plain_interchange():
    body = [b"BPR*I*100*C", b"CLP*A1*1*100*80", b"SVC*HC:99213:25*100*80", b"CAS*CO*45*20", b"REF*EV*A^B^C"]
    data = envelope(body)
    assert len(make_isa()) == 106
    index = edi.tokenize(data)
    assert_index(index, data, b"*", b"~")
    assert index.findings == []
    assert index.delimiters(0) == edi.Delimiters(b"*", b":", b"^", b"~")
    assert index.positions("CLP").tolist() == [data[: data.find(b"CLP*")].count(b"~")]
    assert index.seg_end.tolist() == [s + n for s, n in zip(index.seg_start.tolist(), index.seg_len.tolist())]
    # the ISA's fields: 16 elements, ISA16 is the component separator
    assert index.element_count(0) == 16
    assert index.element(0, 16) == b":"
    assert index.element(0, 13) == b"000000001"


def test_element_access_through_segments():
    nm1_text = b"NM1*IL*1*DOE****MI*123"
    data = envelope([b"SVC*HC:99213:25*100*80", b"REF*EV*A^B^C", nm1_text])
    doc = edi.read(data)
    svc, ref, nm1 = doc.transactions[0].segments[1:4]
    assert (svc.id, svc[1], svc[2], len(svc)) == ("SVC", "HC:99213:25", "100", 3)
    assert svc.components(1) == ["HC", "99213", "25"]
    assert svc.component(1, 2) == "99213" and svc.component(1, 4) == ""
    assert ref.repetitions(2) == ["A", "B", "C"]
    parts = nm1_text.decode().split("*")
    assert [nm1[j] for j in range(len(parts))] == parts
    assert nm1[len(parts)] == "" and nm1[99] == ""
    assert nm1.elements == parts[1:] and len(nm1) == len(parts) - 1
    assert nm1[parts.index("MI")] == "MI" and nm1[5] == ""


def test_bin_segment_payload_may_hold_terminator_and_separators():
    payload = b"line1~ST*835*9~\n*:^ BIN*3*abc~ end"
    bin_segment = b"BIN*" + str(len(payload)).encode() + b"*" + payload
    data = envelope([b"BGN*11*1*20240101", bin_segment, b"REF*EV*1"])
    index = edi.tokenize(data)
    i = data[: data.find(b"BIN*")].count(b"~")  # segments before the BIN
    start = data.find(b"BIN*")
    assert index.seg_start[i] == start
    assert index.seg_len[i] == len(bin_segment)
    assert index.segment_id(i) == "BIN"
    assert index.element_count(i) == 2
    assert index.element(i, 1) == str(len(payload)).encode()
    assert index.element(i, 2) == payload
    assert index.elements(i) == [b"BIN", str(len(payload)).encode(), payload]
    assert index.segment_id(i + 1) == "REF" and index.element(i + 1, 2) == b"1"
    assert index.seg_start[i + 1] == start + len(bin_segment) + 1
    ids = [index.segment_id(k) for k in range(len(index))]
    assert ids == ["ISA", "GS", "ST", "BGN", "BIN", "REF", "SE", "GE", "IEA"]
    doc = edi.read(data)
    assert doc.findings == []
    assert len(doc.transactions) == 1 and len(doc.transactions[0]) == 5
    assert edi.write(doc) == data


@pytest.mark.parametrize("sep", [b"*", b"\xa9"], ids=["ascii", "not-ascii"])
def test_texts_are_the_decoded_elements(sep):
    """Text of a segment comes from one decode and split, except for a BIN payload (which may
    hold the separator) and a separator that is not ASCII (which may join a UTF-8 character)."""
    body = [b"ST" + sep + b"102" + sep + b"0001", b"REF" + sep + b"\xc2" + sep + "Ö".encode(),
            b"BIN" + sep + b"5" + sep + b"a" + sep + b"b:c", b"SE" + sep + b"4" + sep + b"0001"]
    index = edi.tokenize(envelope(body, sep=sep))
    for i in range(len(index)):
        assert index.texts(i) == [value.decode("utf-8", "surrogateescape") for value in index.elements(i)]
    binary = next(i for i in range(len(index)) if index.segment_id(i) == "BIN")
    assert index.texts(binary) == ["BIN", "5", "a" + sep.decode("utf-8", "surrogateescape") + "b:c"]


@pytest.mark.skipif("cython" not in _backend.KERNELS, reason="the Cython extension is not built")
@pytest.mark.parametrize("middle", [b"REF*A*1", b"BIN*9*ab~cd*ef", b"BIN*30*" + b"~" * 30, b"SE*2*1~GE*1*1~IEA*1*1"],
                         ids=["plain", "terminator-in-binary", "binary-across-the-cut", "interchange-ends"])
def test_halves_scanned_side_by_side_give_the_same_index(middle):
    """The native kernel cuts a large region after a terminator near its middle and scans the
    halves in two threads; where the cut falls inside BIN data or after an IEA, one thread goes
    on from where the first half stopped. Every cut gives what one thread gives."""
    kernel = _backend.KERNELS["cython"]
    native = pytest.importorskip("edi._fast._tokenizer")
    for before in range(0, 40, 3):  # moves `middle` across the middle of the region, where the cut is
        data = envelope([b"BGN*11*1*20240101"] + [b"REF*X*%d" % k for k in range(before)] + [middle]
                        + [b"REF*Y*%d" % k for k in range(40 - before)])
        args = (data, 0, len(data), 105, ord("*"), b"~", 65535, 1024, True)
        split = native.split_point(data, 0, len(data), 105, ord("*"), b"~")
        if middle == b"REF*A*1":  # a plain region is cut, after a terminator, in its second half
            assert len(data) // 2 < split < len(data) and data[split - 1 : split] == b"~"
        expected, cut = kernel(*args), kernel(*args, 2, 1)
        assert [a.tolist() for a in cut[:7]] == [a.tolist() for a in expected[:7]] and cut[7:] == expected[7:]


@pytest.mark.skipif("cython" not in _backend.KERNELS, reason="the Cython extension is not built")
def test_halves_of_segments_too_many_for_the_buffers_give_the_same_index():
    """Buffers are sized for segments of 16 bytes on average: when the first half holds more
    segments than they have room for with the second's, one thread scans the region."""
    kernel = _backend.KERNELS["cython"]
    data = envelope([b"LX*%d" % (k % 10) for k in range(40_000)])  # 5 bytes a segment
    args = (data, 0, len(data), 105, ord("*"), b"~", 65535, 1024, True)
    expected, cut = kernel(*args), kernel(*args, 2, 1)
    assert len(expected[0]) == 40_006
    assert [a.tolist() for a in cut[:7]] == [a.tolist() for a in expected[:7]] and cut[7:] == expected[7:]


@pytest.mark.parametrize("bad", [b"BIN*5*toolong~", b"BIN*99*short~", b"BIN*X*abc~", b"BIN**abc~"])
def test_bin_segment_with_wrong_length_is_a_syntax_error(bad):
    data = envelope([b"BGN*11*1*20240101", bad[:-1]])
    with pytest.raises(edi.EdiSyntaxError) as info:
        edi.read(data)
    location = info.value.location
    assert location.byte_offset == data.find(b"BIN*")
    assert location.segment_number == data[: data.find(b"BIN*")].count(b"~") + 1
    assert location.segment_id == "BIN"


@pytest.mark.parametrize("term", ["…".encode(), "Ö".encode()], ids=["ellipsis", "o-umlaut"])
def test_multi_byte_terminator(term):
    body = [b"N1*PR*M\xc3\x9cLLER GMBH", b"REF*EV*A^B", b"SVC*HC:1*10*5"]
    data = envelope(body, term=term, after=b"\n")
    index = edi.tokenize(data)
    assert index.delimiters(0).segment == term
    assert_index(index, data, b"*", term)
    codes = {f.code for f in index.findings}
    assert F.ISA_LENGTH not in codes  # the ISA is 105 bytes plus a multi-byte terminator
    doc = edi.read(data)
    assert doc.transactions[0].segments[1][2] == "MÜLLER GMBH"
    assert not {f.code for f in doc.findings} - {F.WHITESPACE_BETWEEN_SEGMENTS}
    assert edi.write(doc) == data


def test_newline_terminator():
    data = envelope([b"BPR*I*1", b"REF*EV*1"], term=b"\n")
    index = edi.tokenize(data)
    assert index.delimiters(0).segment == b"\n"
    assert_index(index, data, b"*", b"\n")
    assert index.findings == []


def test_crlf_after_terminator_is_layout():
    """ISA16 followed by CR LF: CR ends segments, LF is layout between them (never data)."""
    data = envelope([b"BPR*I*1", b"REF*EV*1"], term=b"\r", after=b"\n")
    index = edi.tokenize(data)
    assert index.delimiters(0).segment == b"\r"
    assert_index(index, data, b"*", b"\r")
    assert [index.segment_bytes(i) for i in range(len(index))] == [p for p in data.split(b"\r\n") if p]
    values = [index.element(i, j) for i in range(len(index)) for j in range(index.element_count(i) + 1)]
    assert not [v for v in values if b"\r" in v or b"\n" in v]
    assert {f.code for f in index.findings} == {F.WHITESPACE_BETWEEN_SEGMENTS}
    assert edi.write(edi.read(data)) == data


@pytest.mark.parametrize("sender, length", [(b"SENDER".ljust(14), 105), (b"SENDER".ljust(16), 107)])
def test_isa_not_106_bytes(sender, length):
    isa = make_isa(sender=sender, pad=False)
    assert len(isa) == length
    data = isa + envelope([b"BPR*I*1"])[106:]
    index = edi.tokenize(data)
    assert index.delimiters(0) == edi.Delimiters(b"*", b":", b"^", b"~")
    assert_index(index, data, b"*", b"~")
    found = [f for f in index.findings if f.code == F.ISA_LENGTH]
    assert len(found) == 1
    assert found[0].location.segment_id == "ISA" and found[0].location.byte_offset == 0
    with pytest.raises(edi.EdiSyntaxError) as info:
        edi.read(data, strict=True)
    assert info.value.reason == F.ISA_LENGTH.description
    assert info.value.location.byte_offset == 0
    assert info.value.location.segment_number == 1


def test_leading_prose_is_skipped_and_reported():
    prose = b"Example 1. The ISA below is an ISA header (ISA\tand ISA are words here).\n\n"
    data = prose + envelope([b"BPR*I*1"])
    index = edi.tokenize(data)
    assert index.seg_start[0] == len(prose)
    assert_index(index, data, b"*", b"~", start=len(prose))
    found = [f for f in index.findings if f.code == F.LEADING_TEXT]
    assert len(found) == 1 and found[0].location.byte_offset == 0
    doc = edi.read(data)
    assert len(doc.transactions) == 1
    assert edi.write(doc) == data
    with pytest.raises(edi.EdiSyntaxError) as info:
        edi.read(data, strict=True)
    assert info.value.reason == F.LEADING_TEXT.description
    assert info.value.location.byte_offset == 0


def test_byte_order_mark():
    data = BOM + envelope([b"BPR*I*1"])
    index = edi.tokenize(data)
    assert index.seg_start[0] == 3
    assert_index(index, data, b"*", b"~", start=3)
    assert [f.code for f in index.findings] == [F.BYTE_ORDER_MARK]
    assert index.findings[0].location.byte_offset == 0
    doc = edi.read(data)
    assert edi.write(doc) == data
    with pytest.raises(edi.EdiSyntaxError) as info:
        edi.read(data, strict=True)
    assert info.value.reason == F.BYTE_ORDER_MARK.description
    assert info.value.location.byte_offset == 0


def test_interchanges_keep_their_own_delimiters():
    one = envelope([b"SVC*HC:99213*100*80", b"REF*EV*A^B"], control=b"000000001")
    two = envelope([b"SVC|HC>99214|200|90", b"REF|EV|C!D"], sep=b"|", comp=b">", rep=b"!", term=b"\n",
                   control=b"000000002")
    three = envelope([b"SVC+HC\\99215+300+95"], sep=b"+", comp=b"\\", rep=b"U", term=b"'", control=b"000000003",
                     version=b"00401")
    data = one + b"\n" + two + three
    index = edi.tokenize(data)
    n1, n2 = len(expected_index(one, b"*", b"~")[0]), len(expected_index(two, b"|", b"\n")[0])
    assert len(index) == n1 + n2 + len(expected_index(three, b"+", b"'")[0])
    assert index.delimiters(0) == index.delimiters(n1 - 1) == edi.Delimiters(b"*", b":", b"^", b"~")
    assert index.delimiters(n1) == index.delimiters(n1 + n2 - 1) == edi.Delimiters(b"|", b">", b"!", b"\n")
    assert index.delimiters(n1 + n2) == edi.Delimiters(b"+", b"\\", None, b"'")  # 00401: no repetition
    doc = edi.read(data)
    assert [ic.control_number for ic in doc.interchanges] == ["000000001", "000000002", "000000003"]
    svcs = [t.segments[1] for t in doc.transactions]
    assert [s.components(1) for s in svcs] == [["HC", "99213"], ["HC", "99214"], ["HC", "99215"]]
    assert [s[2] for s in svcs] == ["100", "200", "300"]
    assert doc.transactions[1].segments[2].repetitions(2) == ["C", "D"]
    assert not {f.code for f in doc.findings} - {F.WHITESPACE_BETWEEN_SEGMENTS}
    assert edi.write(doc) == data
    # an edit in the second interchange is written with the second interchange's delimiters
    doc.transactions[1].segments[1][1] = ("HC", "99215")
    out = edi.write(doc)
    assert out == data.replace(b"SVC|HC>99214|", b"SVC|HC>99215|")


def test_file_starting_at_st_has_no_interchange():
    data = b"ST*835*0001~BPR*I*1~SE*3*0001~"
    index = edi.tokenize(data)
    assert_index(index, data, b"*", b"~")
    assert index.delimiters(0).element == b"*" and index.delimiters(0).segment == b"~"
    assert [f.code for f in index.findings] == [F.NO_INTERCHANGE]
    doc = edi.read(data)
    assert len(doc.transactions) == 1 and doc.transactions[0].control_number == "0001"
    assert doc.interchanges[0].header is None
    assert F.SET_OUTSIDE_GROUP in {f.code for f in doc.findings}
    assert F.SE_SEGMENT_COUNT not in {f.code for f in doc.findings}
    assert edi.write(doc) == data
    with pytest.raises(edi.EdiSyntaxError) as info:
        edi.read(data, strict=True)
    assert info.value.reason == F.NO_INTERCHANGE.description and info.value.location.byte_offset == 0


def test_file_starting_at_gs_with_newlines():
    data = b"GS|HP|S|R|20240101|1200|1|X|005010X221A1\nST|835|1\nBPR|I\nSE|3|1\nGE|1|1\n"
    index = edi.tokenize(data)
    assert index.delimiters(0).element == b"|" and index.delimiters(0).segment == b"\n"
    assert_index(index, data, b"|", b"\n")
    doc = edi.read(data)
    assert {f.code for f in doc.findings} == {F.NO_INTERCHANGE}
    assert doc.transactions[0].group.control_number == "1"


def test_no_x12_at_all_is_a_syntax_error():
    for data in (b"", b"hello world", b"\n\n  \n"):
        with pytest.raises(edi.EdiSyntaxError) as info:
            edi.read(data)
        assert info.value.location.byte_offset is not None


def test_tokenize_rejects_str_and_accepts_bytearray():
    data = envelope([b"BPR*I*1"])
    with pytest.raises(TypeError):
        edi.tokenize(data.decode())
    assert edi.tokenize(bytearray(data)).seg_start.tolist() == edi.tokenize(data).seg_start.tolist()


# --- the kernel itself --------------------------------------------------------------------------------

def scan(data, start=0, end=None, first=-1, sep=b"*", term=b"~", max_len=65535, max_el=1024, final=True):
    return _backend.scan_segments(data, start, len(data) if end is None else end, first, sep[0], term,
                                  max_len, max_el, final)


def test_kernel_status_iea_and_isa():
    one = envelope([b"BPR*I*1"])
    data = one + envelope([b"BPR*I*2"], control=b"000000002")
    *arrays, stop, status = scan(data, first=105)
    assert status == py_kernel.STATUS_IEA and stop == len(one)
    assert arrays[0].tolist() == expected_index(one, b"*", b"~")[0]
    # scanning on from after the first ISA without `first`: stops before the second ISA
    *arrays, stop, status = scan(data, start=106, end=len(data))
    assert status == py_kernel.STATUS_IEA and stop == len(one)
    body = b"GS*X~ST*1~SE*2*1~"
    *arrays, stop, status = scan(body + data, first=-1)
    assert status == py_kernel.STATUS_ISA and stop == len(body)
    assert arrays[0].tolist() == [0, 5, 10]


def test_kernel_lists_control_segments_and_counts_what_the_checks_look_for():
    """Besides the arrays, the kernel gives the positions of ISA/IEA/GS/GE/ST/SE/TA1 and counts
    of empty segments, bad ids, lowercase ids and layout after a terminator, so that the
    driver's checks and the envelope scan the arrays only when there is something to find."""
    data = envelope([b"BPR*I*1", b"", b"ref*X*1", b"\r\nN1*PR*A", b"1#*X", b"TA1*1"])
    *arrays, controls, counts, stop, status = scan(data, first=105)
    ids = [data[s : s + 3].rstrip(b"*") for s in arrays[0][controls].tolist()]
    assert ids == [b"ISA", b"GS", b"ST", b"TA1", b"SE", b"GE", b"IEA"]
    assert dict(zip(py_kernel.COUNTS, counts.tolist())) == {"empty": 1, "bad_id": 1, "lowercase": 1, "gaps": 1}
    plain = envelope([b"BPR*I*1"])
    *_, counts, stop, status = scan(plain, first=105)
    assert counts.tolist() == [0, 0, 0, 0]


def test_kernel_need_more_and_end():
    data = b"ST*835*1~BPR*I*1~SE*3"
    *arrays, stop, status = scan(data, final=False)
    assert status == py_kernel.STATUS_NEED_MORE and stop == data.find(b"SE*")
    assert arrays[0].tolist() == [0, 9]
    *arrays, stop, status = scan(data, final=True)
    assert status == py_kernel.STATUS_END and stop == len(data)
    assert arrays[0].tolist() == [0, 9, 17] and arrays[1].tolist() == [8, 7, 4]
    # trailing layout after an unterminated last segment is not part of it
    *arrays, stop, status = scan(data + b" \r\n", final=True)
    assert arrays[1].tolist() == [8, 7, 4]


def test_kernel_region_bounds():
    data = b"XX~ST*835*1~BPR*I*1~SE*3*1~YY"
    start, end = 3, len(data) - 2
    *arrays, stop, status = scan(data, start=start, end=end)
    assert arrays[0].tolist() == [3, 12, 20]
    assert stop == end and status == py_kernel.STATUS_END


# --- limits ----------------------------------------------------------------------------------------------

def limit_error(data: bytes, limits: edi.Limits, backend: str):
    with _backend.use(backend):
        with pytest.raises(edi.EdiSyntaxError) as info:
            edi.read(data, limits=limits)
    return info.value


def both_backends():
    return [name for name in ("python", "cython") if name in _backend.KERNELS]


def test_segment_at_the_length_limit_reads():
    segment = b"NTE*ADD*" + b"X" * 92
    assert len(segment) == 100
    doc = edi.read(envelope([segment]), limits=edi.Limits(max_segment_length=106))
    assert doc.transactions[0].segments[1][2] == "X" * 92
    doc = edi.read(envelope([segment]), limits=edi.Limits(max_segment_length=100))
    assert len(doc.transactions[0]) == 3


@pytest.mark.parametrize("final_terminator", [True, False])
def test_segment_longer_than_limit(final_terminator):
    segment = b"NTE*ADD*" + b"X" * 93  # 101 bytes
    data = envelope([b"BPR*I*1", segment])
    if not final_terminator:  # the long segment is the unterminated end of the input
        data = data[: data.find(segment) + len(segment)]
    offset = data.find(b"NTE*")
    number = data[:offset].count(b"~") + 1
    errors = [limit_error(data, edi.Limits(max_segment_length=100), name) for name in both_backends()]
    for error in errors:
        assert error.location.byte_offset == offset
        assert error.location.segment_number == number
        assert error.location.segment_id == "NTE"
        assert "100" in str(error)
    assert len({(str(e), e.location) for e in errors}) == 1


def test_segment_without_terminator_is_too_long():
    data = envelope([b"BPR*I*1"]) + b"NTE*" + b"Z" * 300
    offset = data.find(b"NTE*")
    errors = [limit_error(data, edi.Limits(max_segment_length=200), name) for name in both_backends()]
    assert {e.location.byte_offset for e in errors} == {offset}
    assert {e.location.segment_number for e in errors} == {data[:offset].count(b"~") + 1}
    assert len({str(e) for e in errors}) == 1


def test_element_count_limit():
    at_limit = b"REF" + b"*X" * 20
    over = b"REF" + b"*Y" * 21
    doc = edi.read(envelope([at_limit]), limits=edi.Limits(max_elements=20))
    assert len(doc.transactions[0].segments[1]) == 20
    data = envelope([at_limit, over])
    offset = data.find(b"REF*Y")
    errors = [limit_error(data, edi.Limits(max_elements=20), name) for name in both_backends()]
    for error in errors:
        assert error.location.byte_offset == offset
        assert error.location.segment_number == data[:offset].count(b"~") + 1
        assert error.location.segment_id == "REF"
        assert "20" in str(error)
    assert len({(str(e), e.location) for e in errors}) == 1


def test_limits_are_validated():
    with pytest.raises(ValueError):
        edi.Limits(max_segment_length=0)
    with pytest.raises(ValueError):
        edi.Limits(max_segment_length=65536)
    with pytest.raises(ValueError):
        edi.Limits(max_elements=0)


# --- no element values in messages ------------------------------------------------------------------------

SECRET = b"SECRETNAME"


def messages_of(data: bytes, limits: edi.Limits = edi.DEFAULT_LIMITS) -> list[str]:
    """Every message reading `data` produces: lenient findings (and their dict form), the lenient
    error if any, and the strict error."""
    out = []
    for strict in (False, True):
        try:
            doc = edi.read(data, strict=strict, limits=limits)
        except edi.EdiError as error:
            out.append(str(error))
            out.append(repr(error))
        else:
            for finding in doc.findings:
                out += [finding.message, str(finding), str(finding.to_dict())]
    return out


BAD_INPUTS = {
    "too-long": (envelope([b"NM1*IL*1*" + SECRET + b"X" * 200]), edi.Limits(max_segment_length=100)),
    "too-many-elements": (envelope([b"NM1*" + SECRET + b"*A" * 40]), edi.Limits(max_elements=20)),
    "bad-bin": (envelope([b"BIN*3*" + SECRET]), edi.DEFAULT_LIMITS),
    "bad-id-in-set": (envelope([SECRET + b"*1"]), edi.DEFAULT_LIMITS),
    "lowercase-id": (envelope([b"nm1*IL*1*" + SECRET]), edi.DEFAULT_LIMITS),
    "se-count": (envelope([b"NM1*IL*1*" + SECRET]).replace(b"SE*3*", b"SE*9*"), edi.DEFAULT_LIMITS),
    "se-control": (envelope([b"NM1*IL*1*" + SECRET]).replace(b"SE*3*0001", b"SE*3*" + SECRET), edi.DEFAULT_LIMITS),
    "dot-padded-isa": (envelope([b"BPR*I"], sender=SECRET + b"....."), edi.DEFAULT_LIMITS),
    "short-isa": (make_isa(sender=SECRET)[:60] + b"~", edi.DEFAULT_LIMITS),
    "prose": (SECRET + b" wrote this\n" + envelope([b"BPR*I"]), edi.DEFAULT_LIMITS),
    "no-isa": (b"ST*835*" + SECRET + b"~BPR*I~SE*3*" + SECRET + b"~", edi.DEFAULT_LIMITS),
    "trailing": (envelope([b"BPR*I"]) + SECRET + b" ", edi.DEFAULT_LIMITS),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_messages_never_contain_element_values(name):
    data, limits = BAD_INPUTS[name]
    assert SECRET in data
    messages = messages_of(data, limits)
    assert messages, "each of these inputs is wrong somewhere"
    assert not [m for m in messages if "SECRET" in m]


@pytest.mark.parametrize("stray", [b"JOHN " + SECRET, SECRET + b"*1"], ids=["no-separator", "long-id"])
def test_stray_segment_text_is_not_in_messages(stray):
    data = envelope([b"BPR*I"])
    se_end = data.find(b"~", data.find(b"SE*")) + 1
    data = data[:se_end] + stray + b"~" + data[se_end:]
    messages = messages_of(data)
    assert messages
    assert not [m for m in messages if "SECRET" in m]


def test_error_location_str_shows_positions_only():
    data = envelope([b"NM1*" + SECRET + b"*A" * 40])
    with pytest.raises(edi.EdiSyntaxError) as info:
        edi.read(data, limits=edi.Limits(max_elements=20))
    text = str(info.value)
    assert f"byte {data.find(b'NM1*')}" in text
    assert "segment 4 (NM1)" in text


@pytest.mark.skipif("cython" not in _backend.KERNELS, reason="the Cython extension is not built")
def test_backends_agree_when_separator_starts_the_terminator():
    """Element separator 0xE2, terminator '…' (E2 80 A6): the kernels once split differently; the
    dialect is now refused, identically in both backends."""
    term = "…".encode()
    sep = term[:1]
    data = envelope([b"BPR" + sep + b"I"], sep=sep, term=term)
    results = []
    for name in ("python", "cython"):
        with _backend.use(name):
            try:
                index = edi.tokenize(data)
            except edi.EdiError as error:
                results.append(("error", str(error)))
            else:
                results.append(tuple(a.tolist() for a in (index.seg_start, index.seg_len, index.seg_tag,
                                                          index.elem_ptr, index.elem_offset)))
    assert results[0] == results[1]


def test_isa_of_106_bytes_with_shifted_fields_is_not_said_to_be_another_length():
    isa = make_isa()
    shifted = isa.replace(b"*240101*1200*", b"*2401*011200*")  # ISA09 4 wide, ISA10 6 wide: still 106 bytes
    assert len(shifted) == 106 and shifted.count(b"*") == 16
    data = shifted + envelope([b"BPR*I"])[106:]
    found = [f for f in edi.read(data).findings if f.code == F.ISA_LENGTH]
    assert found, "the fields are off their fixed offsets: a repair is reported"
    assert not [f for f in found if "not 106 bytes" in f.message]


def test_hostile_inputs_end_quickly_with_one_finding_or_error():
    """Many unreadable "ISA" headers give up after a few; a flood of empty segments is one finding."""
    with pytest.raises(edi.EdiSyntaxError):
        edi.read(b"ISA*" * 200_000)
    doc = edi.read(b"ST*835*1~" + b"~" * 100_000 + b"SE*2*1~")
    empty = [f for f in doc.findings if f.code == F.EMPTY_SEGMENT]
    assert len(empty) == 1 and "100000 in all" in empty[0].detail


@pytest.mark.parametrize("name", ["LISA", "ISA"])
def test_isa_inside_a_segment_is_not_a_header(name):
    """A headerless file whose data holds "ISA" (a name like LISA, or an element ISA) followed by
    enough separators keeps every segment: the text is not taken for an interchange header."""
    stars = "*" * 20
    text = f"ST*837*0001~NM1*IL*1*{name}*DOE{stars}~REF*SY*1~SE*4*0001~".encode()
    index = edi.tokenize(text)
    assert len(index) == text.count(b"~")
    assert [index.segment_id(i) for i in range(len(index))] == ["ST", "NM1", "REF", "SE"]
