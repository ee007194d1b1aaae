"""The generated schemas in src/edi/schemas/: regenerating them gives the same bytes, and their
structure agrees with facts read here straight from the source XML maps (not from the generator)."""
from __future__ import annotations

import importlib.resources
import importlib.util
import io
import json
import sys
import xml.etree.ElementTree as ET
from contextlib import redirect_stdout
from functools import lru_cache
from pathlib import Path

import pytest

pytest.importorskip("pyx12", reason="the schemas are generated from pyx12's maps")

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "src" / "edi" / "schemas"
SHARED_MAPS = REPO.parent / "shared" / "maps"


@lru_cache(maxsize=None)
def generator():
    """schemas/generate.py as a module (it imports its sibling overlay.py)."""
    sys.path.insert(0, str(REPO / "schemas"))
    try:
        spec = importlib.util.spec_from_file_location("schema_generate", REPO / "schemas" / "generate.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REPO / "schemas"))
    return module


@lru_cache(maxsize=None)
def schema(guide: str, set_id: str) -> dict:
    """A generated schema (of a guide not split by BHT02), looked up through index.json."""
    index = json.loads((SCHEMAS / "index.json").read_text())["schemas"]
    (entry,) = [e for e in index if (e["gs08"], e["st01"], e["bht02"]) == (guide, set_id, None)]
    return json.loads((SCHEMAS / entry["file"]).read_text())


@lru_cache(maxsize=None)
def xml_map(name: str) -> ET.Element:
    """A source map, parsed here independently of the generator."""
    if (SHARED_MAPS / name).is_file():
        return ET.parse(SHARED_MAPS / name).getroot()
    with (importlib.resources.files("pyx12") / "map" / name).open("rb") as f:
        return ET.parse(f).getroot()


def loops(node: dict, loop_id: str) -> list[dict]:
    """Every loop with this id under a schema node."""
    found = []
    for child in node["children"]:
        if child["kind"] == "loop":
            found += [child] if child["id"] == loop_id else []
            found += loops(child, loop_id)
    return found


def loop(s: dict, loop_id: str) -> dict:
    return loops(s["root"], loop_id)[0]


def all_loop_ids(node: dict) -> set[str]:
    ids = set()
    for child in node["children"]:
        if child["kind"] == "loop":
            ids |= {child["id"]} | all_loop_ids(child)
    return ids


def xml_loop(root: ET.Element, loop_id: str) -> ET.Element:
    return next(e for e in root.iter("loop") if e.get("xid") == loop_id)


def xml_codes(elem: ET.Element) -> list[str]:
    return sorted(c.text for c in elem.iter("code"))


def xml_first_element(seg: ET.Element) -> ET.Element:
    """Element 01 of a segment, or component 01 of its composite 01."""
    first = next(c for c in seg if c.tag in ("element", "composite") and int(c.findtext("seq")) == 1)
    return first if first.tag == "element" else first.find("element")


# (a) ---------------------------------------------------------------------------------------------


def test_regenerating_gives_identical_files():
    out = io.StringIO()
    with redirect_stdout(out):
        status = generator().main(["--check"])
    assert status == 0, f"run `python schemas/generate.py`:\n{out.getvalue()}"


def test_every_file_says_what_generated_it():
    for path in SCHEMAS.glob("*.json"):
        data = json.loads(path.read_text())
        assert data["generated_by"] == "schemas/generate.py", path.name
    for path in SCHEMAS.glob("0*.json"):
        assert "schemas/overlay.py" in json.loads(path.read_text())["source"], path.name
    assert "John Holland" in (SCHEMAS / "NOTICE-pyx12.txt").read_text()
    assert "Redistribution" in (SCHEMAS / "NOTICE-imsweb-x12-parser.txt").read_text()


# (b) ---------------------------------------------------------------------------------------------


def test_835_loops_and_claim_trigger():
    s = schema("005010X221A1", "835")
    assert {"1000A", "1000B", "2000", "2100", "2110"} <= all_loop_ids(s["root"])
    first = xml_loop(xml_map("835.5010.X221.A1.xml"), "2100").find("segment")
    assert first.get("xid") == "CLP"
    assert loop(s, "2100")["trigger"] == {"segment": "CLP", "element": None, "codes": None}
    assert loop(s, "2110")["trigger"]["element"] == "SVC01-1"


def test_835_claim_nm1s_share_one_pos_told_apart_by_qualifier():
    claim_xml = xml_loop(xml_map("835.5010.X221.A1.xml"), "2100")
    expected = [(int(seg.findtext("pos")), xml_codes(xml_first_element(seg)))
                for seg in claim_xml.findall("segment") if seg.get("xid") == "NM1"]
    nm1s = [c for c in loop(schema("005010X221A1", "835"), "2100")["children"] if c.get("id") == "NM1"]
    assert [(n["pos"], n["key"]["codes"]) for n in nm1s] == expected
    assert len({n["pos"] for n in nm1s}) == 1
    assert [n["key"]["codes"] for n in nm1s] == [["QC"], ["IL"], ["74"], ["82"], ["TT"], ["PR"], ["GB"]]
    assert {n["key"]["element"] for n in nm1s} == {"NM101"}


def test_837p_subscriber_name_trigger_and_joined_types():
    s = schema("005010X222A1", "837")
    nm1 = xml_loop(xml_map("837.5010.X222.A1.xml"), "2010BA").find("segment")
    assert xml_codes(xml_first_element(nm1)) == ["IL"]
    assert loop(s, "2010BA")["trigger"] == {"segment": "NM1", "element": "NM101", "codes": ["IL"]}

    sv102_xml = next(e for e in xml_map("837.5010.X222.A1.xml").iter("element") if e.get("xid") == "SV102")
    sv102_de = sv102_xml.findtext("data_ele")
    base = next(d for d in xml_map("dataele.xml").iter("data_ele") if d.get("ele_num") == sv102_de)
    sv1 = next(c for c in loop(s, "2400")["children"] if c.get("id") == "SV1")
    sv102 = next(e for e in sv1["elements"] if e["ref"] == "SV102")
    assert (sv102["data_element"], sv102["type"], sv102["min"], sv102["max"]) == (
        sv102_de, base.get("data_type"), int(base.get("min_len")), int(base.get("max_len")))
    assert sv102["type"] == "R"


def test_837p_claim_copies_differ_only_in_usage():
    copies = loops(schema("005010X222A1", "837")["root"], "2300")
    assert len(copies) == 2
    assert {c["usage"] for c in copies} == {"S", "R"}
    assert {**copies[0], "usage": None} == {**copies[1], "usage": None}


def test_277ca_hl_levels():
    s = schema("005010X214", "277")
    root = xml_map("277.5010.X214.xml")
    for loop_id, level in (("2000A", "20"), ("2000B", "21"), ("2000C", "19"), ("2000D", "PT")):
        hl = xml_loop(root, loop_id).find("segment")
        hl03 = next(e for e in hl.findall("element") if e.findtext("seq") == "03")
        assert xml_codes(hl03) == [level]
        assert loop(s, loop_id)["trigger"] == {"segment": "HL", "element": "HL03", "codes": [level]}


@pytest.mark.parametrize("set_id", ["270", "271"])
def test_270_271_from_shared_maps(set_id):
    s = schema("005010X279A1", set_id)
    assert f"shared/maps/{set_id}.5010.X279.A1.xml" in s["source"]
    assert {"2000A", "2000B", "2000C", "2000D", "2100C", "2110C"} <= all_loop_ids(s["root"])
    first = "EQ" if set_id == "270" else "EB"
    xml_first = xml_loop(xml_map(f"{set_id}.5010.X279.A1.xml"), "2110C").find("segment")
    assert xml_first.get("xid") == first
    trigger = loop(s, "2110C")["trigger"]
    assert trigger["segment"] == first
    assert s["functional_id"] == ("HS" if set_id == "270" else "HB")


def test_271_overlay_patches():
    s = schema("005010X279A1", "271")
    benefit = loop(s, "2110C")
    ids = [c["id"] for c in benefit["children"]]
    assert ids.index("LS") < ids.index("2120C") < ids.index("LE")
    assert loop(s, "2120C")["trigger"]["segment"] == "NM1"
    eb03 = next(e for e in benefit["children"][0]["elements"] if e["ref"] == "EB03")
    assert eb03["repeat"] == 99
    assert loop(s, "2000A")["trigger"]["segment"] == "HL"


def test_999_loops():
    s = schema("005010X231A1", "999")
    assert loop(s, "2000")["trigger"]["segment"] == "AK2"
    assert loop(s, "2100")["trigger"]["segment"] == "IK3"
    assert xml_loop(xml_map("999.5010X231.A1.xml"), "2100").find("segment").get("xid") == "IK3"


def test_children_are_in_position_order():
    for path in SCHEMAS.glob("0*.json"):
        stack = [json.loads(path.read_text())["root"]]
        while stack:
            node = stack.pop()
            positions = [c["pos"] for c in node["children"]]
            assert positions == sorted(positions), (path.name, node["id"])
            stack += [c for c in node["children"] if c["kind"] == "loop"]


# (c) ---------------------------------------------------------------------------------------------


def test_derived_276():
    s = schema("005010X212", "276")
    assert (s["set_id"], s["functional_id"], s["guide"]) == ("276", "HR", "005010X212")
    assert s["root"]["trigger"] == {"segment": "ST", "element": "ST01", "codes": ["276"]}
    ids = all_loop_ids(s["root"])
    assert {"2000A", "2000B", "2000C", "2000D", "2000E", "2200D", "2210D", "2210E"} <= ids
    assert not ids & {"2200B", "2200C", "2220D", "2220E"}
    assert loop(s, "2200D")["trigger"] == {"segment": "TRN", "element": "TRN01", "codes": ["1"]}
    assert "STC" not in json.dumps(s)
    assert schema("005010X212", "277")["root"]["trigger"]["codes"] == ["277"]


def test_derived_837d():
    s = schema("005010X224A2", "837")
    assert (s["set_id"], s["functional_id"], s["guide"]) == ("837", "HC", "005010X224A2")
    st03 = next(e for e in s["root"]["children"][0]["elements"] if e["ref"] == "ST03")
    assert st03["codes"] == ["005010X224A2"]
    line = loop(s, "2400")
    assert {"SV3", "TOO"} <= {c["id"] for c in line["children"]}
    assert "SV1" not in {c["id"] for c in line["children"]}
    assert loop(s, "2310D")["trigger"]["codes"] == ["DD"]
    assert loop(s, "2330H")["trigger"]["codes"] == ["DD"]
    line_loops = [c["id"] for c in line["children"] if c["kind"] == "loop"]
    assert line_loops == ["2420A", "2420B", "2420C", "2420D", "2430"]
    copies = loops(s["root"], "2300")
    assert {**copies[0], "usage": None} == {**copies[1], "usage": None}


def test_index_keys():
    index = json.loads((SCHEMAS / "index.json").read_text())["schemas"]
    keys = [(e["gs08"], e["st01"], e["bht02"]) for e in index]
    assert len(keys) == len(set(keys)) == len(list(SCHEMAS.glob("0*.json")))
    assert ("004010X094A1", "278", "11") in keys and ("004010X094A1", "278", "13") in keys


@pytest.mark.parametrize("map_file, guide, set_id", [
    ("835.5010.X221.A1.xml", "005010X221A1", "835"),
    ("837.5010.X222.A1.xml", "005010X222A1", "837"),
    ("277.5010.X214.xml", "005010X214", "277"),
    ("999.5010X231.A1.xml", "005010X231A1", "999"),
])
def test_keys_and_triggers_match_pyx12(map_file, guide, set_id):
    """On maps the overlay leaves alone, every segment key and loop trigger is what pyx12 itself
    computes (`segment_if._resolve_unique_key_field`, `loop_if.get_first_node`)."""
    import pyx12.params
    from pyx12.map_if import load_map_file
    from pyx12.map_if._loop import loop_if

    def pyx12_key(seg):
        found = seg._resolve_unique_key_field(seg.id, with_qual=False)
        if found is None:
            return None
        elem, index, component = found
        ref = f"{seg.id}{index:02d}" + (f"-{component}" if component else "")
        return {"element": ref, "codes": sorted(set(elem.valid_codes))}

    def pyx12_loops(node):
        for child in node.childIterator():
            if isinstance(child, loop_if):
                first = child.get_first_node()
                trigger = None
                if first is not None and not isinstance(first, loop_if):
                    trigger = {"segment": first.id, **(pyx12_key(first) or {"element": None, "codes": None})}
                keys = [pyx12_key(c) for c in child.childIterator() if not isinstance(c, loop_if)]
                yield child.id, trigger, sorted(json.dumps(k, sort_keys=True) for k in keys)
                yield from pyx12_loops(child)

    def our_loops(node):
        for child in node["children"]:
            if child["kind"] == "loop":
                keys = [c["key"] for c in child["children"] if c["kind"] == "segment"]
                yield child["id"], child["trigger"], sorted(json.dumps(k, sort_keys=True) for k in keys)
                yield from our_loops(child)

    st_loop = load_map_file(map_file, pyx12.params.params()).getnodebypath("/ISA_LOOP/GS_LOOP/ST_LOOP")
    assert list(our_loops(schema(guide, set_id)["root"])) == list(pyx12_loops(st_loop))
