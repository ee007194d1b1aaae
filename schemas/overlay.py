"""Every change schemas/generate.py makes to the maps it reads, in one reviewed place.

Two kinds of entry:

* PATCHES fix defects verified in a map file (DOMAIN.md section 1.5, or section 2 where cited).
  Each patch is applied to the parsed XML of one map before conversion, so triggers, keys and
  joined types are computed from the patched map. Nothing in src/edi/schemas/ is edited by hand.
* DERIVED builds the schemas that no public map exists for (276 005010X212, 837D 005010X224A2)
  from a sibling map. These are DERIVATIONS, NOT PUBLISHED MAPS: they change only what the
  structure needs (set ids, GS01/GS08, the loops and segments that differ, their qualifiers and
  positions); element details of the segments they keep are the sibling's. Review them against
  the TR3 before relying on them for validation.

The maps are pyx12's v1 format: fields are child elements (<usage>R</usage>), see DOMAIN 1.3.
"""
from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import NamedTuple

# ---------------------------------------------------------------------------------------------
# Small XML helpers (v1 map format)


def loops(root: ET.Element, *ids: str) -> list[ET.Element]:
    """Every loop with one of these ids (all copies: the 837 2300 subtree exists twice)."""
    found = [loop for loop in root.iter("loop") if loop.get("xid") in ids]
    assert found, f"no loop {ids}"
    return found


def qualifiers(seg: ET.Element) -> list[str]:
    """The inline codes of the segment's first element (or of its first composite's first
    component): the qualifier that tells same-id segments apart."""
    first = next(c for c in seg if c.tag in ("element", "composite") and int(c.findtext("seq")) == 1)
    if first.tag == "composite":
        first = next(c for c in first if c.tag == "element")
    return [c.text for c in first.iter("code")]


def segments(loop: ET.Element, seg_id: str, qualifier: str | None = None) -> list[ET.Element]:
    """The loop's own segments with this id (and, if given, this qualifier among their codes)."""
    found = [
        s for s in loop.findall("segment")
        if s.get("xid") == seg_id and (qualifier is None or qualifier in qualifiers(s))
    ]
    assert found, f"no {seg_id} {qualifier or ''} in loop {loop.get('xid')}"
    return found


def position(seg: ET.Element, seq: int, component: int | None = None) -> ET.Element:
    """The element or composite at a position (1-based), or a composite's component."""
    node = next(c for c in seg if c.tag in ("element", "composite") and int(c.findtext("seq")) == seq)
    if component is None:
        return node
    return next(c for c in node.findall("element") if int(c.findtext("seq")) == component)


def set_field(elem: ET.Element, tag: str, value: str) -> None:
    """Set a v1 field (<pos>, <usage>, <repeat>, <name>...), adding it when missing."""
    child = elem.find(tag)
    if child is None:
        child = ET.SubElement(elem, tag)
    child.text = value


def set_codes(elem: ET.Element, *codes: str) -> None:
    """Replace an element's inline valid codes."""
    valid = elem.find("valid_codes")
    if valid is None:
        valid = ET.SubElement(elem, "valid_codes")
    valid.clear()
    for code in codes:
        ET.SubElement(valid, "code").text = code


def envelope(root: ET.Element, ref: str, code: str) -> None:
    """Set the one valid code of an envelope element (GS01, GS08, ST01, ST03)."""
    set_codes(next(e for e in root.iter("element") if e.get("xid") == ref), code)


def remove(parent: ET.Element, *children: ET.Element) -> None:
    for child in children:
        parent.remove(child)


def insert_after(parent: ET.Element, anchor: ET.Element, *new: ET.Element) -> None:
    """Insert nodes right after `anchor` among `parent`'s children, in the given order."""
    at = list(parent).index(anchor) + 1
    for offset, node in enumerate(new):
        parent.insert(at + offset, node)


def renamed(node: ET.Element, xid: str, name: str | None = None) -> ET.Element:
    """Give a loop a new id (and name); returns it for chaining."""
    node.set("xid", xid)
    if name:
        set_field(node, "name", name)
    return node


def qualified_copy(seg: ET.Element, name: str, *codes: str, pos: int | None = None) -> ET.Element:
    """A copy of a segment with another name and other qualifier codes (its first element's)."""
    new = copy.deepcopy(seg)
    set_field(new, "name", name)
    first = position(new, 1)
    set_codes(first if first.tag == "element" else position(new, 1, 1), *codes)
    if pos is not None:
        set_field(new, "pos", f"{pos:04d}")
    return new


# ---------------------------------------------------------------------------------------------
# PATCHES: map file name -> functions applied to its parsed XML, in order.


def nested_hl_after_names_271(root: ET.Element) -> None:
    """271 X279A1 (imsweb): the nested HL loops 2000B/2000C/2000D have <pos>0100</pos>, equal to
    their parent's HL and lower than the parent's 2100x loop (0300) that precedes them. pyx12's
    rule takes the lowest-pos child, loops first, as a loop's first node (DOMAIN 1.4 #2), so 2000A
    would open on 2000B instead of its HL, and a forward scan by pos never reaches the child
    level. Set them to 0400, as the same guide's 270 map places 2000C/2000D (DOMAIN 1.5 #5)."""
    for loop in loops(root, "2000B", "2000C", "2000D"):
        set_field(loop, "pos", "0400")


def ls_le_around_2120_271(root: ET.Element) -> None:
    """271 X279A1 (imsweb): LS and LE are modelled as the first and last segments of 2120C/2120D,
    so a second NM1 after one LS could not open another 2120 loop. In the TR3 they are 2110x
    segments wrapping the repeating 2120x loops (DOMAIN 2: "271 LS/LE wrap the 2120x loops inside
    2110x"). Move LS (pos 3300) before the loop and LE (pos 4000) after it; the loop then opens on
    its NM1 and takes that NM1's pos 3400."""
    for outer_id, inner_id in (("2110C", "2120C"), ("2110D", "2120D")):
        for outer in loops(root, outer_id):
            inner = next(c for c in outer.findall("loop") if c.get("xid") == inner_id)
            ls, le = segments(inner, "LS")[0], segments(inner, "LE")[0]
            remove(inner, ls, le)
            at = list(outer).index(inner)
            outer.insert(at, ls)
            insert_after(outer, inner, le)
            set_field(inner, "pos", segments(inner, "NM1")[0].findtext("pos"))


def eb03_repeats_271(root: ET.Element) -> None:
    """271 X279A1: EB03 (service type) repeats up to 99 in 5010 but the map does not say so
    (DOMAIN 1.5 #6); the corpus 271s send e.g. EB*1**1^33^35^47^86^88^98^AL^MH^UC."""
    for loop in loops(root, "2110C", "2110D"):
        set_field(position(segments(loop, "EB")[0], 3), "repeat", "99")


def patient_hl_after_claims_837i(root: ET.Element) -> None:
    """837I X223A2: 2000C (patient HL) sits at <pos>0200</pos> inside 2000B, after 2000B's 2300
    (pos 1300), so it is out of position order (a forward scan from a subscriber's claim could not
    reach it). Use 1400, the pos the 837P X222A1 map gives the same loop (DOMAIN 1.5 #5)."""
    for loop in loops(root, "2000C"):
        set_field(loop, "pos", "1400")


def stc_code_sources(root: ET.Element) -> None:
    """277 X212 / 277CA X214: STC01, STC10 and STC11 (composite C043) components 1 and 2 are both
    data element 1271, told apart only by their code source (507 category, 508 status). Where the
    map names neither codes nor an external set, point them at codes.xml's claim_status_cat and
    claim_status, as X214's own claim-level STC does (DOMAIN 1.5 #2: "STC01 has no key codes")."""
    for seg in (s for s in root.iter("segment") if s.get("xid") == "STC"):
        for seq in (1, 10, 11):
            for component, codeset in ((1, "claim_status_cat"), (2, "claim_status")):
                elem = position(seg, seq, component)
                valid = elem.find("valid_codes")
                if valid is None or (not valid.get("external") and valid.find("code") is None):
                    ET.SubElement(elem, "valid_codes", external=codeset)


def situational_provider_level_277ca(root: ET.Element) -> None:
    """277CA X214: the map makes the 2000C billing provider level and its 2200C trace loop
    required, but the TR3's own business scenarios send a 277CA without 2000C (a file rejected
    at receiver level) and a 2000C without 2200C (no provider-level status). Both loops are
    situational; stupidedi and hippo define the 2200C TRN with minimum 0 likewise."""
    for loop in loops(root, "2000C", "2200C"):
        set_field(loop, "usage", "S")


def eq04_not_used_270(root: ET.Element) -> None:
    """270 X279A1 (imsweb): the EQ segments jump from EQ03 to EQ05, so EQ05 would be read at
    index 4. Insert EQ04 (data element 1336, insurance type code) as not used, keeping the element
    positions of the X12 EQ segment."""
    for seg in (s for s in root.iter("segment") if s.get("xid") == "EQ"):
        eq04 = ET.Element("element", xid="EQ04")
        fields = {"data_ele": "1336", "name": "Insurance Type Code", "usage": "N", "seq": "04"}
        for tag, value in fields.items():
            ET.SubElement(eq04, tag).text = value
        insert_after(seg, position(seg, 3), eq04)


# The 4010 837 maps copy the 2300 subtree under 2000B and 2000C, and the copies have drifted
# (DOMAIN 1.5 #4 describes the same drift, fixed upstream for 5010). The generator asserts the
# copies are equal, so each drift is reconciled here towards the more complete copy.


def frm_syntax_4010_837p(root: ET.Element) -> None:
    """837P X098A1: one 2440 FRM lacks the syntax rule R02030405 (one of FRM02-05 is required,
    as the X12 FRM segment states) that the other copy has; give it to both."""
    for seg in (s for s in root.iter("segment") if s.get("xid") == "FRM"):
        if not any(x.text == "R02030405" for x in seg.findall("syntax")):
            syntax = ET.Element("syntax")
            syntax.text = "R02030405"
            seg.insert(list(seg).index(seg.find("max_use")) + 1, syntax)


def lin_ref_4010_837i(root: ET.Element) -> None:
    """837I X096A1: one 2410 (drug identification) copy lacks the REF (prescription number) the
    other has; add it to the copy without it."""
    copies = loops(root, "2410")
    ref = next(s for loop in copies for s in loop.findall("segment") if s.get("xid") == "REF")
    for loop in copies:
        if loop.find("segment[@xid='REF']") is None:
            loop.append(copy.deepcopy(ref))


def ref_codes_union_4010_837d(root: ET.Element) -> None:
    """837D X097A1: the REF qualifiers of 2310D and 2420C (assistant surgeon secondary id) differ
    between the copies (EI G5 SY in one, X4 X5 in the other); accept the union in both."""
    for loop_id in ("2310D", "2420C"):
        refs = [segments(loop, "REF")[0] for loop in loops(root, loop_id)]
        union = sorted({code for ref in refs for code in qualifiers(ref)})
        for ref in refs:
            set_codes(position(ref, 1), *union)


def strip_code_blanks_4010_837i(root: ET.Element) -> None:
    """837I X096A1: some inline codes carry a trailing blank ('Z ', 'N156 '), which no element
    value can match (values are compared as sent). Strip them."""
    for code in root.iter("code"):
        code.text = code.text.strip()


PATCHES: dict[str, list[Callable[[ET.Element], None]]] = {
    "271.5010.X279.A1.xml": [nested_hl_after_names_271, ls_le_around_2120_271, eb03_repeats_271],
    "837Q3.I.5010.X223.A1.xml": [patient_hl_after_claims_837i],
    "277.5010.X212.xml": [stc_code_sources],
    "277.5010.X214.xml": [stc_code_sources, situational_provider_level_277ca],
    "270.5010.X279.A1.xml": [eq04_not_used_270],
    "837.4010.X098.A1.xml": [frm_syntax_4010_837p],
    "837.4010.X096.A1.xml": [lin_ref_4010_837i, strip_code_blanks_4010_837i],
    "837.4010.X097.A1.xml": [ref_codes_union_4010_837d],
}

# GS01 of the shared maps is read from their GS segment. The imsweb 270 map lists HB (the 271's
# functional id); a 270 travels in an HS group (pyx12's 4010 maps.xml: 270 fic="HS"; the corpus
# 270s use GS*HS).
FUNCTIONAL_ID = {"270.5010.X279.A1.xml": "HS"}


def restore_duplicates(codes: list[str], fixes: dict[tuple[str, str, str], str]) -> list[str]:
    """Replace a code repeated by a typo, identified by its neighbours (before, typo, after)."""
    out = list(codes)
    for i in range(1, len(out) - 1):
        out[i] = fixes.get((out[i - 1], out[i], out[i + 1]), out[i])
    return out


# codes.xml service_type lists 7 twice (between 76 and 78: 77 is missing) and B1 twice (between
# B1 and B3: B2 is missing) (DOMAIN 1.5 #7). The 271 X279A1 map's inline EB03 list has 77 and B2.
CODESET_FIXES: dict[str, Callable[[list[str]], list[str]]] = {
    "service_type": lambda codes: restore_duplicates(
        codes, {("76", "7", "78"): "77", ("B1", "B1", "B3"): "B2"}
    ),
}

# ---------------------------------------------------------------------------------------------
# DERIVED schemas. Each function gets the base map (already patched) and `load(name, where)` for
# the maps it borrows segment definitions from (listed in `uses`, so they appear in "source").

Load = Callable[[str, str], ET.Element]


def derive_276(root: ET.Element, load: Load) -> None:
    """276 005010X212 (claim status request) from the 277 005010X212 map. DERIVATION, NOT A
    PUBLISHED MAP. Checked against the structure of the corpus 276 files. What changes:

    * ST01 276, GS01 HR (GS08 stays 005010X212); BHT02 13 (request); BHT06 not used.
    * 2100A: drop PER (payer contact exists only in the 277).
    * drop 2200B and 2200C (information receiver / provider status: 277 only).
    * 2000D, 2000E: add DMG (pos 0400; S for the subscriber, R for the dependent), element
      details copied from the 837P X222A1 2010BA DMG.
    * 2200D, 2200E: TRN01 code 1 (current transaction) instead of 2; drop STC; drop REF VV;
      add REF LU (application or location system id) and REF 6P (group number); add AMT T3
      (total claim charge, copied from the 837P 2300 AMT); positions REF 1000, AMT 1100, DTP 1200.
    * 2220D, 2220E become 2210D, 2210E (service line) at pos 1300: drop STC; SVC 1300, REF 1400,
      DTP 1500; SVC03 (the line's paid amount: a 277 answer) not used and SVC07 (units)
      situational, as stupidedi's X212 HR276 defines them and the corpus 276s send them (the
      277 map makes both required, which every corpus 276 with a service line failed).
    """
    envelope(root, "ST01", "276")
    envelope(root, "GS01", "HR")
    set_field(root, "name", "Health Care Claim Status Request 005010X212 276 (derived from the 277 map)")
    bht = segments(loops(root, "HEADER")[0], "BHT")[0]
    set_codes(position(bht, 2), "13")
    set_field(position(bht, 6), "usage", "N")
    set_codes(position(bht, 6))
    payer = loops(root, "2100A")[0]
    remove(payer, *segments(payer, "PER"))
    for level, status in (("2000B", "2200B"), ("2000C", "2200C")):
        parent = loops(root, level)[0]
        remove(parent, *[c for c in parent.findall("loop") if c.get("xid") == status])

    p837 = load("837.5010.X222.A1.xml", "pyx12")
    dmg = segments(loops(p837, "2010BA")[0], "DMG")[0]
    amt = segments(loops(p837, "2300")[0], "AMT", "F5")[0]
    for level, claim, line, usage, who in (
        ("2000D", "2200D", "2220D", "S", "Subscriber"),
        ("2000E", "2200E", "2220E", "R", "Dependent"),
    ):
        hl_loop = loops(root, level)[0]
        new_dmg = copy.deepcopy(dmg)
        set_field(new_dmg, "name", f"{who} Demographic Information")
        set_field(new_dmg, "usage", usage)
        set_field(new_dmg, "pos", "0400")
        insert_after(hl_loop, segments(hl_loop, "HL")[0], new_dmg)

        claim_loop = loops(root, claim)[0]
        set_codes(position(segments(claim_loop, "TRN")[0], 1), "1")
        remove(claim_loop, *segments(claim_loop, "STC"), *segments(claim_loop, "REF", "VV"))
        refs = claim_loop.findall("segment[@xid='REF']")
        for ref in refs:
            set_field(ref, "pos", "1000")
        insert_after(
            claim_loop, refs[-1],
            qualified_copy(refs[0], "Application or Location System Identifier", "LU"),
            qualified_copy(refs[0], "Group Number", "6P"),
            qualified_copy(amt, "Claim Submitted Charges", "T3", pos=1100),
        )

        line_loop = renamed(loops(root, line)[0], line.replace("2220", "2210"))
        set_field(line_loop, "pos", "1300")
        remove(line_loop, *segments(line_loop, "STC"))
        for seg_id, pos in (("SVC", "1300"), ("REF", "1400"), ("DTP", "1500")):
            set_field(segments(line_loop, seg_id)[0], "pos", pos)
        svc = segments(line_loop, "SVC")[0]
        set_field(position(svc, 3), "usage", "N")
        set_field(position(svc, 7), "usage", "S")


def derive_837d(root: ET.Element, load: Load) -> None:
    """837D 005010X224A2 (dental claim) from the 837P 005010X222A1 map. DERIVATION, NOT A
    PUBLISHED MAP. Dental-only segments (DN1, DN2, SV3, TOO and the dental DTP qualifiers) are
    copied from pyx12's 4010 837D map (X097A1), with 5010 positions. Checked against the
    structure of the corpus 837D 5010 files. What changes (in both 2300 copies):

    * GS08 and ST03 005010X224A2 (GS01 HC, ST01 837 as in 837P).
    * 2000B: drop PAT (the 837P's patient-is-subscriber information).
    * 2300: drop the medical DTPs (431 454 304 453 484 455 471 314/360/361 297 296 090/091 444),
      keep 439 435 096 050, add DTP 452 (appliance placement, up to 5) and DTP 472 (service);
      add DN1 (orthodontic months, pos 1450) and DN2 (tooth status, up to 35, pos 1500);
      drop REF F5 EW X4 LX P4 1J, add REF G3 (predetermination, up to 5);
      drop CR1, CR2, CRC and the HI BP / BG (anesthesia, condition) segments.
    * 2310: A referring (DN/P3), B rendering (82), C service facility (77) as in 837P;
      new D assistant surgeon (DD, copied from B); the 837P's D supervising (DQ) becomes E;
      drop the ambulance locations (837P 2310E PW, 2310F 45).
    * 2330: A-D as in 837P; E supervising (837P F, DQ), F billing (837P G, 85), G service
      facility (837P E, 77), new H assistant surgeon (DD, copied from E); all at pos 3250.
    * 2400: drop SV1, SV5, PWK, CR1, CR3, CRC, QTY, MEA, PS1, REF EW X4 F4 BT, AMT F4;
      add SV3 (pos 3800) and TOO (up to 32, pos 3820); DTPs: keep 472, drop the others, add
      441 (prior placement), 452 (appliance placement), 446 (replacement), 196 (treatment start),
      198 (treatment completion); add REF G3 (service predetermination).
    * drop 2410 (drug) and 2440 (forms); 2420: A rendering (82), new B assistant surgeon (DD,
      copied from A), C supervising (837P D, DQ), D service facility (837P C, 77); drop the
      837P's B (QB), E (DK), F (DN/P3), G, H (ambulance).
    """
    envelope(root, "GS08", "005010X224A2")
    envelope(root, "ST03", "005010X224A2")
    set_field(root, "name", "Health Care Claim: Dental 005010X224A2 837 (derived from the 837P map)")
    dental = load("837.4010.X097.A1.xml", "pyx12")
    d2300 = loops(dental, "2300")[0]
    d2400 = loops(dental, "2400")[0]

    def from_dental(loop: ET.Element, seg_id: str, qualifier: str | None, pos: int) -> ET.Element:
        seg = copy.deepcopy(segments(loop, seg_id, qualifier)[0])
        set_field(seg, "pos", f"{pos:04d}")
        return seg

    for subscriber in loops(root, "2000B"):
        remove(subscriber, *segments(subscriber, "PAT"))

    for claim in loops(root, "2300"):
        remove(claim, *[s for s in claim.findall("segment[@xid='DTP']")
                        if not {"439", "435", "096", "050"} & set(qualifiers(s))])
        remove(claim, *[s for s in claim.findall("segment[@xid='REF']")
                        if {"F5", "EW", "X4", "LX", "P4", "1J"} & set(qualifiers(s))])
        remove(claim, *[s for s in claim.findall("segment")
                        if s.get("xid") in ("CR1", "CR2", "CRC")
                        or s.get("xid") == "HI" and {"BP", "BG"} & set(qualifiers(s))])
        last_dtp = claim.findall("segment[@xid='DTP']")[-1]
        insert_after(
            claim, last_dtp,
            from_dental(d2300, "DTP", "452", 1350), from_dental(d2300, "DTP", "472", 1350),
            from_dental(d2300, "DN1", None, 1450), from_dental(d2300, "DN2", None, 1500),
        )
        insert_after(claim, claim.findall("segment[@xid='REF']")[-1], from_dental(d2300, "REF", "G3", 1800))

        providers = {c.get("xid"): c for c in claim.findall("loop")}
        remove(claim, providers["2310E"], providers["2310F"])
        renamed(providers["2310D"], "2310E")
        assistant = renamed(copy.deepcopy(providers["2310B"]), "2310D", "Assistant Surgeon Name")
        set_codes(position(segments(assistant, "NM1")[0], 1), "DD")
        set_codes(position(segments(assistant, "PRV")[0], 1), "AS")
        insert_after(claim, providers["2310C"], assistant)

        other = loops(claim, "2320")[0]
        payers = {c.get("xid"): c for c in other.findall("loop")}
        remove(other, *payers.values())
        new_h = renamed(copy.deepcopy(payers["2330F"]), "2330H", "Other Payer Assistant Surgeon")
        set_codes(position(segments(new_h, "NM1")[0], 1), "DD")
        order = [payers["2330A"], payers["2330B"], payers["2330C"], payers["2330D"],
                 renamed(payers["2330F"], "2330E"), renamed(payers["2330G"], "2330F"),
                 renamed(payers["2330E"], "2330G"), new_h]
        for loop in order:
            set_field(loop, "pos", "3250")
            other.append(loop)

        line = loops(claim, "2400")[0]
        drop_ids = {"SV1", "SV5", "PWK", "CR1", "CR3", "CRC", "QTY", "MEA", "PS1"}
        remove(line, *[s for s in line.findall("segment")
                       if s.get("xid") in drop_ids
                       or s.get("xid") == "DTP" and "472" not in qualifiers(s)
                       or s.get("xid") == "REF" and {"EW", "X4", "F4", "BT"} & set(qualifiers(s))
                       or s.get("xid") == "AMT" and "F4" in qualifiers(s)])
        insert_after(line, segments(line, "LX")[0],
                     from_dental(d2400, "SV3", None, 3800), from_dental(d2400, "TOO", None, 3820))
        service_date = segments(line, "DTP", "472")[0]
        prior = from_dental(d2400, "DTP", "441", 4550)
        replacement = from_dental(d2400, "DTP", "446", 4550)
        insert_after(
            line, service_date, prior, from_dental(d2400, "DTP", "452", 4550), replacement,
            qualified_copy(replacement, "Date - Treatment Start", "196"),
            qualified_copy(replacement, "Date - Treatment Completion", "198"),
        )
        insert_after(line, line.findall("segment[@xid='REF']")[-1], from_dental(d2400, "REF", "G3", 4700))

        subloops = {c.get("xid"): c for c in line.findall("loop")}
        remove(line, *subloops.values())
        new_b = renamed(copy.deepcopy(subloops["2420A"]), "2420B", "Assistant Surgeon Name")
        set_codes(position(segments(new_b, "NM1")[0], 1), "DD")
        set_codes(position(segments(new_b, "PRV")[0], 1), "AS")
        for loop in (subloops["2420A"], new_b, renamed(subloops["2420D"], "2420C"),
                     renamed(subloops["2420C"], "2420D"), subloops["2430"]):
            line.append(loop)


class Derived(NamedTuple):
    guide: str
    set_id: str
    functional_id: str
    base: tuple[str, str]
    uses: list[tuple[str, str]]
    apply: Callable[[ET.Element, Load], None]


DERIVED = [
    Derived("005010X212", "276", "HR", ("277.5010.X212.xml", "shared"),
            [("837.5010.X222.A1.xml", "pyx12")], derive_276),
    Derived("005010X224A2", "837", "HC", ("837.5010.X222.A1.xml", "pyx12"),
            [("837.4010.X097.A1.xml", "pyx12")], derive_837d),
]
