"""The loop parser: the two walkers agree, pyx12 agrees on every corpus file it can map (except
where pyx12 is wrong, listed with the reason), and the trees have the shapes the data dictates."""
from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
import pytest

import edi
from edi import _backend
from edi import schema as schema_module
from edi.loops import parse_loops

from conftest import CORPUS, corpus_files, corpus_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

#: Wrappers and the set's own loop: pyx12 and we both leave these out of a segment's loop id.
STRUCTURAL = {"ST_LOOP", "HEADER", "DETAIL", "FOOTER", "ISA_LOOP", "GS_LOOP"}

#: Files where our loop ids differ from pyx12's on purpose, and why.
PYX12_DIFFERS = {
    "835/x12-to-json-parser__sample_835_remittance.x12":
        "CLP follows 1000B with no LX: we open the 2000 loop it implies (lenient, with a finding); "
        "pyx12 leaves the claim segments in 1000B",
    "835/lfh-x12__cob-contractural-adjustment.835":
        "SVC01 is written with '>' where ISA16 says ':', so its qualifier is not a 2110 code: we "
        "open 2110 by segment id (relaxed, reported), pyx12 leaves the SVC unmatched in 2100",
    "835/lfh-x12__secondary-payment.835":
        "SVC01 is written with '>' where ISA16 says ':' (as above)",
    "277ca/x12-to-json-parser__sample_277_request.x12":
        "declares X214 (277CA) but uses X212 HL levels (22); neither reading is right",
    "837i/vscode-edi-x12__X223-837I-two-claims-for-the-same-provider.edi":
        "an STC segment after the SE: outside every transaction for us, pyx12 reads it into the set",
    "834/ballerina-edi__multi-txn-834_message.edi":
        "a member NM1*IL with no INS before it: we open the 2000 loop it implies (lenient, reported), "
        "pyx12 leaves the NM1 unmatched",
    "837p/ballerina-edi__edi-837_message.edi":
        "malformed HL (HL*1*20*1: no HL02, level code 1); pyx12 and we recover differently",
    "837p/oopfactory-x12__MedicaidExample_WithTrailingBlanks.txt":
        "indented segments: pyx12's reader yields different segments (ST repeated), not a loop question",
    "837p/oopfactory-x12___5010_MedicaidExample_WithTrailingBlanks.txt":
        "indented segments: pyx12's reader yields different segments (ST repeated), not a loop question",
}

VALID_KINDS = [p.name for p in sorted(CORPUS.iterdir()) if p.is_dir() and p.name not in
               ("expected", "invalid", "other", "mixed")] if CORPUS.is_dir() else []


def our_loop_ids(data: bytes) -> list[tuple[str, str | None]] | None:
    """(segment id, innermost non-structural loop id) for every segment of every transaction."""
    doc = edi.read(data)
    result = []
    for txn in doc.transactions:
        root = txn.root
        if root is None:
            return None
        for segment in txn.segments:
            loop = segment.loop
            while loop is not None and (loop.id in STRUCTURAL or loop.parent is None):
                loop = loop.parent
            result.append((segment.id, loop.id if loop is not None else None))
    return result


@functools.cache
def pyx12_loop_ids(path: str) -> list[tuple[str, str | None]] | None:
    """The same, from pyx12's x12context reader; None when pyx12 cannot map the file."""
    x12context = pytest.importorskip("pyx12.x12context")
    import pyx12.error_handler
    import pyx12.params

    logging.disable(logging.CRITICAL)
    try:
        with open(path, encoding="latin-1") as fd:
            reader = x12context.X12ContextReader(pyx12.params.params(), pyx12.error_handler.errh_null(), fd)
            result = []
            for node in reader.iter_segments():
                segment_id = node.seg_data.get_seg_id()
                loop = node.x12_map_node.parent
                while loop is not None and (loop.id in STRUCTURAL or loop.id.startswith("TABLE")):
                    loop = loop.parent
                if loop is not None and (getattr(loop, "parent", None) is None or type(loop).__name__ == "map_if"):
                    loop = None
                if segment_id not in ("ISA", "GS", "GE", "IEA", "TA1"):
                    result.append((segment_id, loop.id if loop is not None else None))
            return result
    except Exception:  # pyx12 has no map for the file, or cannot read it
        return None
    finally:
        logging.disable(logging.NOTSET)


@pytest.mark.parametrize("path", corpus_files(*VALID_KINDS), ids=corpus_id)
def test_loop_ids_agree_with_pyx12(path):
    theirs = pyx12_loop_ids(str(path))
    if not theirs:
        pytest.skip("pyx12 cannot map this file (or it holds no transaction)")
    ours = our_loop_ids(path.read_bytes())
    if ours is None:
        pytest.skip("no schema of ours covers this file")
    if corpus_id(path) in PYX12_DIFFERS:
        assert ours != theirs, "listed as differing from pyx12, but now agrees: update PYX12_DIFFERS"
        return
    assert ours == theirs


def test_pyx12_maps_enough_of_the_corpus():
    """Guards the oracle test above against skipping everything."""
    compared = [p for p in corpus_files("835", "837p", "837i") if pyx12_loop_ids(str(p)) is not None]
    assert len(compared) >= 40


@pytest.mark.skipif("cython" not in _backend.LOOP_KERNELS, reason="the Cython extension is not built")
@pytest.mark.parametrize("path", corpus_files(*VALID_KINDS), ids=corpus_id)
def test_walkers_agree(path):
    doc = edi.read(path.read_bytes())
    for txn in doc.transactions:
        schema = txn.schema
        if schema is None:
            continue
        ours = [_backend.LOOP_KERNELS[name](doc.index, txn.first, txn.last, schema.tables)
                for name in ("python", "cython")]
        for a, b in zip(ours[0][:6], ours[1][:6]):
            np.testing.assert_array_equal(a, b)
        assert ours[0][6:] == ours[1][6:]


def test_835_tree_matches_the_segments():
    data = (FIXTURES / "remittance.835").read_bytes()
    doc = edi.read(data)
    root = doc.transactions[0].root
    claims = root.findall("2100")
    lines = root.findall("2110")
    assert len(claims) == data.count(b"\nCLP*")
    assert len(lines) == data.count(b"\nSVC*")
    assert all(c.segments[0].id == "CLP" and c.parent.id == "2000" for c in claims)
    assert all(line.segments[0].id == "SVC" and line.parent.id == "2100" for line in lines)
    # Every segment is in exactly one loop, and the loops cover the transaction.
    assert sum(len(loop.segments) for loop in root.walk()) == len(doc.transactions[0])
    # Element access by reference.
    clp = claims[0].segments[0]
    assert clp["CLP01"] == clp[1] and clp["CLP03"] == clp[3]
    svc = lines[0].segments[0]
    assert svc["SVC01-1"] == svc.components(1)[0] == "HC"


def test_837_hierarchy_follows_hl02():
    data = (FIXTURES / "claims.837").read_bytes()
    txn = edi.read(data).transactions[0]
    root = txn.root
    hl_loops = {loop.segments[0][1]: loop for loop in root.walk() if loop.segments and loop.segments[0].id == "HL"}
    assert len(hl_loops) == data.count(b"\nHL*")
    for hl_id, loop in hl_loops.items():
        parent_id = loop.segments[0][2]
        if parent_id:
            assert loop.parent is hl_loops[parent_id]
        level = loop.segments[0][3]
        assert loop.id == {"20": "2000A", "22": "2000B", "23": "2000C"}[level]


def test_hl_parent_from_hl02_not_from_order():
    """A subscriber whose HL02 names the first billing provider, after a second provider."""
    body = [
        "BHT*0019*00*1*20240101*1200*CH", "NM1*41*2*SUB*****46*1", "PER*IC*X*TE*5555555555",
        "NM1*40*2*RCV*****46*2",
        "HL*1**20*1", "NM1*85*2*ONE*****XX*1234567893", "N3*A", "N4*B*CA*90001",
        "HL*2**20*1", "NM1*85*2*TWO*****XX*1234567893", "N3*A", "N4*B*CA*90001",
        "HL*3*1*22*0", "SBR*P*18*******CI", "NM1*IL*1*DOE*JO****MI*1", "NM1*PR*2*PAYER*****PI*1",
        "CLM*A1*10***11:B:1*Y*A*Y*Y", "HI*ABK:I10", "LX*1", "SV1*HC:99213*10*UN*1***1", "DTP*472*D8*20240101",
    ]
    segments = [edi.Segment.build(*line.split("*")) for line in body]
    txn = edi.Transaction.build("837", "0001", segments, implementation="005010X222A1")
    group = edi.Group.build("HC", "S", "R", "1", "005010X222A1", [txn], date="20240101", time="1200")
    interchange = edi.Interchange.build("S", "R", 1, [group], date="240101", time="1200")
    doc = edi.read(edi.write(edi.Document.build([interchange])))
    root = doc.transactions[0].root
    providers = root.findall("2000A")
    subscriber = root.find("2000B")
    assert [p.segments[0][1] for p in providers] == ["1", "2"]
    assert subscriber.parent is providers[0]


def test_835_claim_without_lx_is_read_with_an_implied_loop():
    path = CORPUS / "835" / "x12-to-json-parser__sample_835_remittance.x12"
    txn = edi.read(path.read_bytes()).transactions[0]
    loops = txn.loops
    assert loops.implied, "the 2000 loop was opened without its LX"
    k, instance = loops.implied[0]
    assert txn.index.segment_id(txn.first + k) == "CLP"
    assert txn.schema.loops[loops.loop_node[instance]].id == "2000"
    assert [c.id for c in txn.root.find("2000").children] == ["2100"]


def test_transaction_without_schema_reads_at_segment_level():
    path = next(p for p in corpus_files("other") if b"ST*820*" in p.read_bytes()[:2000])
    txn = edi.read(path.read_bytes()).transactions[0]
    assert txn.schema is None and txn.root is None
    as_dict = txn.to_dict()
    assert as_dict["set_id"] == "820" and as_dict["segments"][0]["id"] == "ST"


def test_parse_loops_spans_cover_their_segments():
    doc = edi.read_file(CORPUS / "835" / "lfh-x12__managed-care.835")
    txn = doc.transactions[0]
    loops = parse_loops(doc.index, txn.first, txn.last, txn.schema)
    for j in range(len(loops.loop_node)):
        members = np.flatnonzero(loops.seg_loop == j)
        if len(members):
            assert loops.loop_first[j] <= members[0] and members[-1] <= loops.loop_last[j]
    assert loops.loop_first[0] == 0 and loops.loop_last[0] == len(txn) - 1


def test_batch_walk_matches_one_transaction_at_a_time():
    """`Transaction.loops` walks a group in one kernel call; each LoopIndex equals parse_loops'."""
    for path in corpus_files("835", "837p", "270", "999")[:40]:
        doc = edi.read(path.read_bytes())
        for txn in doc.transactions:
            batch = txn.loops
            if batch is None:
                continue
            alone = parse_loops(doc.index, txn.first, txn.last, txn.schema)
            for field in ("seg_loop", "seg_node", "loop_node", "loop_parent", "loop_first", "loop_last"):
                np.testing.assert_array_equal(getattr(batch, field), getattr(alone, field))
            assert (batch.first, batch.implied, batch.relaxed, batch.unmatched) == (
                alone.first, alone.implied, alone.relaxed, alone.unmatched)


def test_loop_spans_cover_their_child_loops():
    """A loop ends at or after its last child loop ends, also when the last segment opens a loop."""
    for path in corpus_files("835", "837p", "270")[:40]:
        for txn in edi.read(path.read_bytes()).transactions:
            loops = txn.loops
            if loops is None:
                continue
            for j, parent in enumerate(loops.loop_parent.tolist()):
                if parent >= 0:
                    assert loops.loop_first[parent] <= loops.loop_first[j] <= loops.loop_last[j] <= loops.loop_last[parent]


def _837(bodies: list[list[str]]) -> bytes:
    """An 837P interchange with one transaction per body (segments after ST, before SE)."""
    head = ["BHT*0019*00*1*20240101*1200*CH", "NM1*41*2*SUB*****46*1", "PER*IC*X*TE*5555555555", "NM1*40*2*RCV*****46*2"]
    claim = ["SBR*P*18*******CI", "NM1*IL*1*DOE*JO****MI*1", "NM1*PR*2*PAYER*****PI*1", "CLM*A1*10***11:B:1*Y*A*Y*Y",
             "HI*ABK:I10", "LX*1", "SV1*HC:99213*10*UN*1***1", "DTP*472*D8*20240101"]
    txns = [edi.Transaction.build("837", f"{n:04d}", [edi.Segment.build(*s.split("*")) for s in head + body + claim],
                                  implementation="005010X222A1") for n, body in enumerate(bodies, 1)]
    group = edi.Group.build("HC", "S", "R", "1", "005010X222A1", txns, date="20240101", time="1200")
    return edi.write(edi.Document.build([edi.Interchange.build("S", "R", 1, [group], date="240101", time="1200")]))


def test_hl_naming_itself_keeps_its_map_parent():
    """HL*1*1 (hostile): no loop becomes its own parent, and a later HL naming it still reads."""
    data = _837([["HL*1*1*20*1", "NM1*85*2*ONE*****XX*1234567893", "HL*2**20*1", "HL*3*1*22*0"]])
    txn = edi.read(data).transactions[0]
    parents = txn.loops.loop_parent.tolist()
    assert all(parent < j for j, parent in enumerate(parents))
    assert len(list(txn.root.walk())) == len(parents)


def test_too_deep_hl_nesting_fails_only_its_transaction():
    chain = [f"HL*{n}*{n - 1 if n > 1 else ''}*20*1" for n in range(1, 80)] + ["HL*80*70*22*0"]
    doc = edi.read(_837([["HL*1**20*1", "HL*2*1*22*0"], chain, ["HL*1**20*1", "HL*2*1*22*0"]]))
    first, deep, last = doc.transactions
    with pytest.raises(RecursionError):
        deep.loops
    with pytest.raises(RecursionError):
        parse_loops(doc.index, deep.first, deep.last, deep.schema)
    assert first.root.find("2000B") is not None and last.root.find("2000B") is not None


def test_use_schema_reads_a_transaction_with_another_guide():
    text = (Path(__file__).resolve().parents[1] / "fixtures" / "remittance.835").read_bytes()
    body = text[text.index(b"ST*835*") : text.index(b"\nGE*") + 1]
    second = body.replace(b"ST*835*0001", b"ST*835*0002").replace(b"*0001~", b"*0002~")
    text = text.replace(body, body + second).replace(b"\nGE*1*", b"\nGE*2*").replace(b"005010X221A1", b"005010X221")
    doc = edi.read(text)
    first, other = doc.transactions
    assert first.root is None and first.schema is None
    first.use_schema(schema_module.find("005010X221A1", "835"))
    assert other.loops is None  # the group's batch parse leaves the chosen schema alone
    assert first.schema.guide == "005010X221A1"
    assert len(first.root.findall("2100")) == body.count(b"\nCLP*")
