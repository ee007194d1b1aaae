"""Validation (SNIP 1-2) and acknowledgments: clean files stay clean, each kind of defect is
found where it is, both element checkers agree, pyx12's expected 997 verdicts are matched (or
the difference explained), and the 999/TA1 we write read back clean with us and with pyx12."""
from __future__ import annotations

import datetime
import io
import logging
from pathlib import Path

import numpy as np
import pytest

import edi
from edi import _backend
from edi.ack import build_999, build_ta1
from edi.errors import FindingCode, Severity
from edi.validate import rules_for, validate
from conftest import CORPUS, corpus_files, corpus_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime.datetime(2026, 11, 27, 1, 2)

def errors(findings):
    return [f for f in findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize("name", ["remittance.835", "claims.837"])
def test_generated_fixtures_validate_clean(name):
    doc = edi.read_file(FIXTURES / name)
    assert doc.transactions
    assert errors(validate(doc)) == []


def _mutated(text: str, old: str, new: str) -> tuple[edi.Document, int]:
    """The fixture with the first `old` replaced; returns the document and the 1-based number
    of the segment that holds the change."""
    at = text.index(old)
    doc = edi.read(text[:at].encode() + new.encode() + text[at + len(old):].encode())
    first_byte = at + len(old) - len(old.lstrip("\n~"))
    number = int(np.searchsorted(doc.index.seg_start, first_byte, side="right"))
    return doc, number


@pytest.mark.parametrize("old, new, code, element, component", [
    ("\nCLP*", "\nCLP**", FindingCode.REQUIRED_ELEMENT_MISSING, 1, None),
    ("\nBPR*C*", "\nBPR*Q*", FindingCode.INVALID_CODE, 1, None),
    ("\nBPR*C*", "\nBPR*CXX*", FindingCode.ELEMENT_TOO_LONG, 1, None),
    ("\nCAS*CO*45*", "\nCAS*CO*45*1X9", FindingCode.INVALID_CHARACTER, 3, None),
    ("\nN3*", "\nN3*A*B*C*", FindingCode.TOO_MANY_ELEMENTS, 3, None),
    ("\nDTM*405*", "\nDTM*405*2026", FindingCode.INVALID_DATE, 2, None),
    ("\nSVC*HC:", "\nSVC*ZZ:", FindingCode.INVALID_CODE, 1, 1),
    ("\nTRN*1*", "\nTRN*1**", FindingCode.REQUIRED_ELEMENT_MISSING, 2, None),
])
def test_element_defects_are_found_where_they_are(old, new, code, element, component):
    text = (FIXTURES / "remittance.835").read_text()
    doc, number = _mutated(text, old, new)
    found = [f for f in errors(validate(doc)) if f.code is code and f.location.segment_number == number]
    assert found, f"no {code.id} at segment {number}"
    location = found[0].location
    assert doc.source[location.byte_offset:].startswith(location.segment_id.encode())
    if element is not None:
        assert (location.element, location.component) == (element, component)
    assert location.loop_path.startswith("ST_LOOP")


def test_missing_required_segment_and_unexpected_segment():
    text = (FIXTURES / "remittance.835").read_text()
    start = text.index("\nTRN*")
    end = text.index("\n", start + 1)
    without_trn = edi.read((text[:start] + text[end:]).encode())
    assert FindingCode.REQUIRED_SEGMENT_MISSING in {f.code for f in validate(without_trn)}
    doc, number = _mutated(text, "\nTRN*", "\nZZZ*1~\nTRN*")
    unrecognized = [f for f in validate(doc) if f.code is FindingCode.UNRECOGNIZED_SEGMENT]
    assert [f.location.segment_number for f in unrecognized] == [number]


def test_transaction_without_schema_gets_a_finding():
    doc = edi.read_file(FIXTURES / "remittance.835")
    text = doc.source.replace(b"005010X221A1", b"005010X999A1")
    codes = [f.code for f in validate(edi.read(text))]
    assert FindingCode.NO_SCHEMA in codes


@pytest.mark.skipif("cython" not in _backend.VALIDATE_KERNELS, reason="the Cython extension is not built")
@pytest.mark.parametrize("path", corpus_files(), ids=corpus_id)
def test_element_checkers_agree(path, backend):
    if backend != "python":
        pytest.skip("compares both checkers once")
    try:
        doc = edi.read_file(path)
    except edi.EdiError:
        return
    for txn in doc.transactions:
        loops = txn.loops
        if loops is None:
            continue
        d = doc.index.delimiters(txn.first)
        positions = np.arange(txn.first, txn.first + len(loops.seg_node))
        args = (doc.index, positions, loops.seg_node, d.component, d.repetition or b"", rules_for(loops.schema))
        assert np.array_equal(_backend.VALIDATE_KERNELS["python"](*args), _backend.VALIDATE_KERNELS["cython"](*args))


# --- pyx12's expected acknowledgments ----------------------------------------------------------

def _expected_acks():
    folder = CORPUS / "expected"
    if not folder.is_dir():
        return []
    cases = []
    for expected in sorted(folder.glob("pyx12__*.997.base")):
        name = expected.name.split(".")[0].removeprefix("pyx12__")
        inputs = sorted(CORPUS.glob(f"*/pyx12__{name}.txt")) + sorted(CORPUS.glob(f"*/pyx12__files_{name}.txt"))
        if inputs:
            cases.append(pytest.param(inputs[0], expected, id=name))
    return cases


def _verdicts(ack: bytes) -> list[tuple[str, str]]:
    """(AK202, AK501/IK501) for each acknowledged set, in order."""
    found, control = [], None
    for segment in ack.replace(b"\r", b"").replace(b"\n", b"").split(b"~"):
        fields = segment.decode().split("*")
        if fields[0] == "AK2":
            control = fields[2].strip()
        elif fields[0] in ("AK5", "IK5"):
            found.append((control, fields[1]))
    return found


@pytest.mark.parametrize("source, expected", _expected_acks())
def test_verdicts_match_pyx12(source, expected):
    """Per set (AK2 control number, verdict). The detail differs where pyx12 is lenient or
    strict in ways the guides are not: it strips trailing spaces (ST02 "300145997 " is too long
    for us), checks the 4010 facility code list (we leave old external lists to SNIP 5), and
    reports missing segments at the segment before the one we name."""
    assert _verdicts(build_999(edi.read_file(source), now=NOW)) == _verdicts(expected.read_bytes())


def test_expected_acks_are_found():
    assert len(_expected_acks()) >= 15


# --- our acknowledgments read back clean -------------------------------------------------------

ACK_SOURCES = [FIXTURES / "remittance.835", FIXTURES / "claims.837"] + corpus_files("invalid")[:16]


def _hipaa_document(path):
    """The document, or a skip when it is not HIPAA X12: the 999 guide's code lists (AK101,
    AK201) name only the HIPAA groups and sets, so a 999 for a 940 cannot pass them."""
    try:
        doc = edi.read_file(path)
    except edi.EdiError:
        pytest.skip("unreadable input: nothing to acknowledge")
    if not doc.transactions or any(t.schema is None or t.group is None or t.group.header is None
                                   or len(t.group.functional_id) != 2 for t in doc.transactions):
        pytest.skip("not a HIPAA transaction in a functional group with a 2-letter GS01")
    return doc


@pytest.mark.parametrize("path", ACK_SOURCES, ids=lambda p: p.name)
def test_999_reads_and_validates_clean(path):
    doc = _hipaa_document(path)
    ack = edi.read(build_999(doc, now=NOW))
    assert [t.set_id for t in ack.transactions] == ["999"] * sum(len(ic.groups) for ic in doc.interchanges)
    assert errors(validate(ack)) == []
    assert all(t.schema is not None and t.schema.guide == "005010X231A1" for t in ack.transactions)


@pytest.mark.parametrize("path", ACK_SOURCES[:10], ids=lambda p: p.name)
def test_999_validates_clean_with_pyx12(path):
    x12n_document = pytest.importorskip("pyx12.x12n_document")
    import pyx12.params

    doc = _hipaa_document(path)
    logging.disable(logging.CRITICAL)
    try:
        ok = x12n_document.x12n_document(pyx12.params.params(), io.StringIO(build_999(doc, now=NOW).decode()),
                                         io.StringIO(), None)
    finally:
        logging.disable(logging.NOTSET)
    assert ok


def test_ta1_reports_the_interchange_error():
    trailer_errors = CORPUS / "invalid" / "pyx12__trailer_errors.txt"
    if not trailer_errors.exists():
        pytest.skip("corpus not present")
    doc = edi.read_file(trailer_errors)
    ta1 = edi.read(build_ta1(doc, now=NOW))
    segments = [s for s in ta1.source.split(b"~") if s.startswith(b"TA1")]
    fields = segments[0].decode().split("*")
    assert fields[1] == doc.interchanges[0].control_number
    assert fields[4:6] == ["R", "001"]  # IEA02 does not match ISA13
    clean = edi.read(build_ta1(edi.read_file(FIXTURES / "remittance.835"), now=NOW))
    assert b"*A*000~" in clean.source


def test_cli_validate_and_ack(tmp_path, capsys):
    from edi.cli import main

    assert main(["validate", str(FIXTURES / "remittance.835")]) == 0
    assert "0 errors" in capsys.readouterr().out
    out = tmp_path / "ack.999"
    assert main(["ack", str(FIXTURES / "claims.837"), "-o", str(out)]) == 0
    assert _verdicts(out.read_bytes()) and all(v == "A" for _, v in _verdicts(out.read_bytes()))


@pytest.mark.parametrize("path", corpus_files("835", "837p", "837i", "271", "277ca", "invalid", "mixed"), ids=corpus_id)
def test_batched_validation_equals_set_by_set(path):
    """validate() checks the sets of a file together; each set alone must find the same."""
    from edi.validate import validate_transaction, validate_transactions

    try:
        doc = edi.read_file(path)
    except edi.EdiError:
        return
    together = validate_transactions(doc.transactions)
    alone = [f for txn in doc.transactions for f in validate_transaction(txn)]
    assert [(f.code, f.location, f.detail) for f in together] == [(f.code, f.location, f.detail) for f in alone]
