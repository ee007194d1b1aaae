"""Generate the JSON schemas in src/edi/schemas/ from pyx12's X12 maps and shared/maps/.

    python schemas/generate.py           write the files
    python schemas/generate.py --check   regenerate in memory; exit 1 listing the files that differ

Inputs: pyx12's installed package data (map/maps.xml, the transaction maps, map/dataele.xml,
map/codes.xml, its LICENSE), the imsweb maps in ../shared/maps/, and the patches and derivations in
schemas/overlay.py. Nothing is fetched and no output file is edited by hand: every difference from
the maps is an overlay entry, so regenerating always gives the same bytes.

Schema shape (see src/edi/schemas/README.md): one file per implementation guide, rooted at the
transaction's ST_LOOP (the ISA/GS envelope is the envelope layer's job). Loops carry a trigger and
segments a key, computed as pyx12 recognizes them (see `segment_key`).
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import overlay

ROOT = Path(__file__).resolve().parents[1]
SHARED_MAPS = ROOT.parent / "shared" / "maps"
OUT = ROOT / "src" / "edi" / "schemas"
GENERATED_BY = "schemas/generate.py"
PYX12 = f"pyx12-{importlib.metadata.version('pyx12')}"

# (map file, where it lives, ST01). GS08, GS01 and BHT02 come from pyx12's maps.xml for its own
# maps and from the map's GS segment for the shared ones (then overlay.FUNCTIONAL_ID).
GUIDES = [
    ("835.5010.X221.A1.xml", "pyx12", "835"),
    ("837.5010.X222.A1.xml", "pyx12", "837"),
    ("837Q3.I.5010.X223.A1.xml", "pyx12", "837"),
    ("277.5010.X214.xml", "pyx12", "277"),
    ("999.5010X231.A1.xml", "pyx12", "999"),
    ("834.5010.X220.A1.xml", "pyx12", "834"),
    ("820.5010.X218.xml", "pyx12", "820"),
    ("835.4010.X091.A1.xml", "pyx12", "835"),
    ("837.4010.X098.A1.xml", "pyx12", "837"),
    ("837.4010.X096.A1.xml", "pyx12", "837"),
    ("837.4010.X097.A1.xml", "pyx12", "837"),
    ("270.4010.X092.A1.xml", "pyx12", "270"),
    ("271.4010.X092.A1.xml", "pyx12", "271"),
    ("276.4010.X093.A1.xml", "pyx12", "276"),
    ("277.4010.X093.A1.xml", "pyx12", "277"),
    ("278.4010.X094.A1.xml", "pyx12", "278"),
    ("278.4010.X094.27.A1.xml", "pyx12", "278"),
    ("270.5010.X279.A1.xml", "shared", "270"),
    ("271.5010.X279.A1.xml", "shared", "271"),
    ("277.5010.X212.xml", "shared", "277"),
]


def field(elem: ET.Element, name: str) -> str | None:
    """A map field, read as pyx12 reads it: attribute (v2 maps) or child element (v1 maps)."""
    value = elem.get(name) or elem.findtext(name)
    return value.strip() if value is not None else None


def label(elem: ET.Element) -> str | None:
    """A node's name, with the line breaks some maps wrap long names in collapsed."""
    value = field(elem, "name")
    return " ".join(value.split()) if value is not None else None


def count(value: str | None) -> int | None:
    """A repeat or max_use: an int, or None for unbounded ('>1')."""
    return None if value == ">1" else int(value or 1)


class Sources:
    """The input files, parsed once: maps by name, pyx12's registry, data elements and code sets."""

    def __init__(self) -> None:
        self.pyx12_maps = importlib.resources.files("pyx12") / "map"
        self.dataele = {
            d.get("ele_num"): d for d in self.parse_pyx12("dataele.xml").iter("data_ele")
        }
        # maps.xml: file name -> (GS08, GS01, BHT02 or None)
        self.registry = {
            m.text: (m.get("vriic"), m.get("fic"), m.get("tspc"))
            for m in self.parse_pyx12("maps.xml").iter("map")
        }

    def parse_pyx12(self, name: str) -> ET.Element:
        with (self.pyx12_maps / name).open("rb") as f:
            return ET.parse(f).getroot()

    def load(self, name: str, where: str) -> ET.Element:
        """A transaction map with its overlay patches applied (a fresh copy each call)."""
        root = self.parse_pyx12(name) if where == "pyx12" else ET.parse(SHARED_MAPS / name).getroot()
        for patch in overlay.PATCHES.get(name, []):
            patch(root)
        return root

    def source_names(self, name: str, where: str) -> list[str]:
        """How `source` names a map (pyx12's also come with the maps.xml that registers them)."""
        if where == "pyx12":
            return [f"{PYX12}/map/{name}", f"{PYX12}/map/maps.xml"]
        return [f"shared/maps/{name}"]


def envelope_code(root: ET.Element, ref: str) -> str:
    """The single valid code of an envelope element (GS01, GS08, ST01) in a map."""
    elem = next(e for e in root.iter("element") if e.get("xid") == ref)
    (code,) = [c.text for c in elem.iter("code")]
    return code


# ---------------------------------------------------------------------------------------------
# XML -> dict


def convert_element(elem: ET.Element, ref: str, src: Sources) -> dict:
    """An element, with type and lengths joined from dataele.xml by its data element number."""
    data_ele = field(elem, "data_ele")
    base = src.dataele[data_ele]
    valid = elem.find("valid_codes")
    codes = sorted({c.text for c in valid.iter("code")}) if valid is not None else []
    return {
        "ref": ref,
        "seq": int(field(elem, "seq")),
        "data_element": data_ele,
        "name": label(elem),
        "type": base.get("data_type"),
        "min": int(base.get("min_len")),
        "max": int(base.get("max_len")),
        "usage": field(elem, "usage"),
        "repeat": count(field(elem, "repeat")),
        "codes": codes or None,
        "external": valid.get("external") if valid is not None else None,
        "regex": field(elem, "regex") or None,
    }


def positional(parent: ET.Element, tags: tuple[str, ...]) -> list[ET.Element]:
    """Children with a seq, in seq order; asserts seq runs 1..n (pyx12 indexes them that way)."""
    kids = sorted((c for c in parent if c.tag in tags), key=lambda c: int(field(c, "seq")))
    assert [int(field(c, "seq")) for c in kids] == list(range(1, len(kids) + 1)), parent.get("xid")
    return kids


def convert_segment(elem: ET.Element, src: Sources) -> dict:
    """A segment. Element refs are derived from segment id + position ('CLP02', 'SVC01-1'), so the
    composites without an xid (DOMAIN 1.5 #8) get the same names as the others."""
    seg_id = elem.get("xid")
    elements = []
    for child in positional(elem, ("element", "composite")):
        ref = f"{seg_id}{int(field(child, 'seq')):02d}"
        if child.tag == "element":
            elements.append(convert_element(child, ref, src))
            continue
        components = [
            convert_element(c, f"{ref}-{int(field(c, 'seq'))}", src)
            for c in positional(child, ("element",))
        ]
        elements.append({
            "ref": ref,
            "seq": int(field(child, "seq")),
            "composite": field(child, "data_ele"),
            "name": label(child),
            "usage": field(child, "usage"),
            "repeat": count(field(child, "repeat")),
            "syntax": sorted(s.text.strip() for s in child.findall("syntax")),
            "components": components,
        })
    segment = {
        "kind": "segment",
        "id": seg_id,
        "name": label(elem),
        "usage": field(elem, "usage"),
        "pos": int(field(elem, "pos")),
        "max_use": count(field(elem, "max_use")),
        "syntax": sorted(s.text.strip() for s in elem.findall("syntax")),
        "elements": elements,
    }
    segment["key"] = segment_key(segment)
    return segment


def segment_key(seg: dict) -> dict | None:
    """The element whose code list tells this segment node from its same-id siblings.

    Mirrors pyx12 4.0.0 `map_if/_segment.py::segment_if._resolve_unique_key_field` with
    with_qual=False, the variant `segment_if.is_match` uses (DOMAIN 1.4), in the same order:
    element 01 if type ID, usage R and it has codes; else ENT02 if type ID with codes (820);
    else for CTX a composite 01-1 of type AN with codes (999); else composite 01-1 of type ID with
    codes; else HL03 with codes. Codes from an external code set do not count (pyx12 reads only
    the inline <code> list)."""
    c0, c1, c2 = (seg["elements"] + [None, None, None])[:3]
    e0, e1, e2 = (c if c and "components" not in c else None for c in (c0, c1, c2))
    component = c0["components"][0] if c0 and c0.get("components") else None
    candidates = [
        (e0, e0 and e0["type"] == "ID" and e0["usage"] == "R"),
        (e1, seg["id"] == "ENT" and e1 and e1["type"] == "ID"),
        (component, seg["id"] == "CTX" and component and component["type"] == "AN"),
        (component, component and component["type"] == "ID"),
        (e2, seg["id"] == "HL"),
    ]
    for elem, applies in candidates:
        if applies and elem and elem["codes"]:
            return {"element": elem["ref"], "codes": elem["codes"]}
    return None


def convert_loop(elem: ET.Element, src: Sources) -> dict:
    """A loop and its children in document order (asserted to be in `pos` order, so a walker that
    scans forward by position sees them as pyx12 does)."""
    children = [
        convert_loop(c, src) if c.tag == "loop" else convert_segment(c, src)
        for c in elem
        if c.tag in ("loop", "segment")
    ]
    positions = [c["pos"] for c in children]
    assert positions == sorted(positions), (elem.get("xid"), positions)
    return {
        "kind": "loop",
        "id": elem.get("xid"),
        "name": label(elem),
        "usage": field(elem, "usage"),
        "repeat": count(field(elem, "repeat")),
        "pos": int(field(elem, "pos")),
        "type": elem.get("type"),
        "trigger": loop_trigger(children),
        "children": children,
    }


def loop_trigger(children: list[dict]) -> dict | None:
    """The segment that opens the loop: pyx12's `loop_if.get_first_node` (lowest pos; loops before
    segments within it). None when that first node is a loop (a wrapper: it matches when one of
    its child loops matches, map_walker `_is_loop_match`) or the loop is empty."""
    if not children:
        return None
    lowest = min(c["pos"] for c in children)
    first = sorted((c for c in children if c["pos"] == lowest), key=lambda c: c["kind"] != "loop")[0]
    if first["kind"] == "loop":
        return None
    key = first["key"] or {"element": None, "codes": None}
    return {"segment": first["id"], **key}


def st_loop(root: ET.Element) -> ET.Element:
    return next(loop for loop in root.iter("loop") if loop.get("xid") == "ST_LOOP")


def check_claim_copies(loop: dict) -> None:
    """Assert that the 837 2300 subtrees under 2000B and 2000C (DOMAIN 1.5 #4) are identical
    apart from their own usage. (Other repeated loop ids, as in the 278, are different loops.)"""
    copies = []

    def walk(node: dict) -> None:
        for child in node["children"]:
            if child["kind"] == "loop":
                if child["id"] == "2300":
                    copies.append({**child, "usage": None})
                walk(child)

    walk(loop)
    assert all(c == copies[0] for c in copies), "the copies of loop 2300 differ"


# ---------------------------------------------------------------------------------------------
# Files


def dump(obj: dict) -> bytes:
    """Compact, key-sorted JSON with a trailing newline: byte-stable across runs."""
    return (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def schema(root: ET.Element, guide: str, set_id: str, functional_id: str, bht02: str | None,
           sources: list[str], src: Sources) -> dict:
    assert envelope_code(root, "ST01") == set_id and envelope_code(root, "GS08") == guide, guide
    converted = convert_loop(st_loop(root), src)
    check_claim_copies(converted)
    return {
        "generated_by": GENERATED_BY,
        "source": sources,
        "guide": guide,
        "set_id": set_id,
        "functional_id": functional_id,
        "bht02": bht02,
        "name": label(root),
        "root": converted,
    }


def file_stem(guide: str, set_id: str, bht02: str | None, shared_gs08: set[str]) -> str:
    """`005010X221A1`; plus `-270` when a GS08 covers several sets; plus `-13` for a BHT02 split."""
    parts = [guide] + ([set_id] if guide in shared_gs08 else []) + ([bht02] if bht02 else [])
    return "-".join(parts)


def build() -> dict[str, bytes]:
    """Every output file name -> its bytes."""
    src = Sources()
    common = [f"{PYX12}/map/dataele.xml", "schemas/overlay.py"]
    schemas = []
    for name, where, set_id in GUIDES:
        root = src.load(name, where)
        if where == "pyx12":
            guide, functional_id, bht02 = src.registry[name]
        else:
            guide, functional_id, bht02 = envelope_code(root, "GS08"), envelope_code(root, "GS01"), None
        functional_id = overlay.FUNCTIONAL_ID.get(name, functional_id)
        sources = sorted({*src.source_names(name, where), *common})
        schemas.append(schema(root, guide, set_id, functional_id, bht02, sources, src))
    for derived in overlay.DERIVED:
        root = src.load(*derived.base)
        derived.apply(root, src.load)
        maps = [derived.base, *derived.uses]
        sources = sorted({name for m in maps for name in src.source_names(*m)} | set(common))
        schemas.append(schema(root, derived.guide, derived.set_id, derived.functional_id, None, sources, src))

    set_ids: dict[str, set[str]] = {}
    for s in schemas:
        set_ids.setdefault(s["guide"], set()).add(s["set_id"])
    shared_gs08 = {guide for guide, ids in set_ids.items() if len(ids) > 1}

    files: dict[str, bytes] = {}
    index = []
    for s in schemas:
        file_name = file_stem(s["guide"], s["set_id"], s["bht02"], shared_gs08) + ".json"
        assert file_name not in files, file_name
        files[file_name] = dump(s)
        index.append({"gs08": s["guide"], "st01": s["set_id"], "bht02": s["bht02"], "file": file_name})
    files["index.json"] = dump({
        "generated_by": GENERATED_BY,
        "schemas": sorted(index, key=lambda e: (e["gs08"], e["st01"], e["bht02"] or "")),
    })
    files["codes.json"] = dump(code_sets(src))
    files["NOTICE-pyx12.txt"] = notice_pyx12()
    files["NOTICE-imsweb-x12-parser.txt"] = (SHARED_MAPS / "LICENSE-imsweb-x12-parser.txt").read_bytes()
    return files


def code_sets(src: Sources) -> dict:
    """pyx12's external code sets (codes only; codes.xml has no descriptions), with overlay fixes."""
    sets = {}
    for codeset in src.parse_pyx12("codes.xml").iter("codeset"):
        set_id = codeset.findtext("id")
        codes = [c.text for c in codeset.iter("code")]
        codes = overlay.CODESET_FIXES.get(set_id, lambda c: c)(codes)
        assert len(codes) == len(set(codes)), f"duplicate codes in {set_id}"
        sets[set_id] = {
            "name": label(codeset),
            "data_element": field(codeset, "data_ele"),
            "codes": sorted(codes),
        }
    return {
        "generated_by": GENERATED_BY,
        "source": [f"{PYX12}/map/codes.xml", "schemas/overlay.py"],
        "codesets": sets,
    }


def notice_pyx12() -> bytes:
    """pyx12's license text, from its installed distribution metadata."""
    dist = importlib.metadata.distribution("pyx12")
    license_file = next(f for f in dist.files if f.name == "LICENSE.txt")
    header = (
        f"The JSON schemas in this folder are generated from the X12 maps of pyx12 ({PYX12},\n"
        "https://github.com/azoner/pyx12), which are distributed under the license below.\n\n"
    )
    return header.encode() + license_file.read_text(encoding="utf-8").encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk; write nothing")
    args = parser.parse_args(argv)
    files = build()
    if args.check:
        on_disk = {p.name for p in OUT.glob("*.json")} | {p.name for p in OUT.glob("NOTICE-*.txt")}
        stale = sorted(
            name for name in set(files) | on_disk
            if not (OUT / name).is_file() or name not in files or (OUT / name).read_bytes() != files[name]
        )
        for name in stale:
            print(f"differs: src/edi/schemas/{name}")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
