"""edi.codes: the bundled code lists hold codes and our own labels only (DOMAIN.md 4.2), agree
with the lists of the schemas generated from pyx12's maps, and answer `carc`, `rarc` and `label`;
official descriptions load from a user's CSV file; playbooks load and take overrides."""
from __future__ import annotations

import json
from importlib import resources

import pytest

from edi import EdiError, codes
from edi.codes import CLAIM_STATUS, UNCLASSIFIED, carc, carc_category, label, rarc


def data(name: str) -> dict:
    return json.loads(resources.files("edi.codes").joinpath(name).read_text())


def schema_codes(path: list) -> list[str]:
    """A code list of the generated 005010X221A1 schema, by its path of keys and indexes."""
    node = json.loads(resources.files("edi.schemas").joinpath("005010X221A1.json").read_text())
    for step in path:
        node = node[step]
    return node


@pytest.fixture(autouse=True)
def no_descriptions(monkeypatch, tmp_path):
    """Each test starts with no descriptions loaded and a remembered-descriptions file of its own."""
    monkeypatch.setenv("EDI_DESCRIPTIONS", str(tmp_path / "remembered.csv"))
    monkeypatch.setattr(codes, "_descriptions", None)


# --- the data files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["carc.json", "rarc.json", "claim_status.json", "groups.json", "plb.json",
                                  "playbooks.json"])
def test_every_data_file_says_what_it_is_and_its_version(name):
    table = data(name)
    assert table["about"] and table["version"] == codes.versions()[name[:-5].replace("groups", "group")]


def test_carc_table_holds_codes_and_our_labels_only():
    """No X12 description text (DOMAIN.md 4.2): each code maps to a short label of ours, our
    category id and flags."""
    table = data("carc.json")
    assert set(table) == {"about", "version", "categories", "codes"}
    assert UNCLASSIFIED in table["categories"]
    for code, entry in table["codes"].items():
        assert set(entry) <= {"label", "category", "denial", "soft", "deactivated", "refine"}, code
        assert entry["category"] in table["categories"] and entry["category"] != UNCLASSIFIED
        assert 0 < len(entry["label"]) <= 60, code
        assert not entry.get("soft") or entry["category"] == "bundling"


def test_code_lists_hold_no_descriptions():
    for name in ("claim_status.json", "groups.json", "plb.json"):
        for code, entry in data(name)["codes"].items():
            assert "description" not in entry and len(entry["label"]) <= 60, (name, code)
    assert set(data("rarc.json")) == {"about", "version", "deactivated", "categories", "codes"}


def test_rarc_values_cover_pyx12s_remark_list():
    """rarc.json lists every remark code of pyx12's codes.xml (as the schemas carry it)."""
    pyx12 = json.loads(resources.files("edi.schemas").joinpath("codes.json").read_text())
    listed = data("rarc.json")["codes"]
    assert set(pyx12["codesets"]["remark_code"]["codes"]) <= set(listed) and len(set(listed)) == len(listed)
    categories = data("carc.json")["categories"]
    for code, category in data("rarc.json")["categories"].items():
        assert code in listed and category in categories and category != UNCLASSIFIED


def test_plb_reasons_and_group_codes_are_the_guides():
    """PLB03-1 reasons are exactly the 005010X221A1 list; the 5010 group codes plus 4010's CR."""
    plb = schema_codes(["root", "children", 3, "children", 0, "elements", 2, "components", 0, "codes"])
    assert sorted(data("plb.json")["codes"]) == sorted(plb)
    groups = schema_codes(["root", "children", 2, "children", 0, "children", 3, "children", 1, "elements", 0, "codes"])
    assert sorted(data("groups.json")["codes"]) == sorted(groups + ["CR"])
    assert data("groups.json")["codes"]["CR"]["deactivated"]


# --- lookups -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, category, denial, kind, active, refine", [
    ("1", "patient_responsibility", False, "", True, False),
    ("45", "contractual", False, "", True, False),
    ("23", "informational", False, "", True, False),
    ("97", "bundling", True, "soft", True, False),
    ("29", "timely_filing", True, "hard", True, False),
    ("16", "coding", True, "hard", True, True),
    ("A1", "generic", True, "hard", True, True),
    ("B13", "duplicate", True, "hard", True, False),
    ("15", "authorization", True, "hard", False, False),
    ("125", "coding", True, "hard", False, True),
    ("42", UNCLASSIFIED, False, "", None, False),
    (" b13 ", "duplicate", True, "hard", True, False),
])
def test_carc(code, category, denial, kind, active, refine):
    found = carc(code)
    assert (found.category, found.denial, found.kind, found.active, found.refine) == (category, denial, kind, active,
                                                                                       refine)
    assert found.code == code.strip().upper() and found.known is (category != UNCLASSIFIED)
    assert found.label == (data("carc.json")["codes"][found.code]["label"] if found.known else "Not in this table")
    assert found.category_label == data("carc.json")["categories"][category]
    assert carc_category(code) is found


def test_rarc():
    assert (rarc("N290").category, rarc("N290").known, rarc("N290").active) == ("provider", True, None)
    assert (rarc("n1").category, rarc("n1").known) == ("", True)  # an alert: no category
    assert (rarc("N9999").known, rarc("N9999").category) == (False, "")


def test_labels_and_claim_statuses():
    assert label("group", "PR") == "patient responsibility" and label("plb", "WO") == "overpayment recovery"
    assert label("claim_status", "4") == "denied" and label("carc", "18") == "exact duplicate"
    assert label("group", "XX") == "" and label("rarc", "N290") == ""
    assert set(CLAIM_STATUS) == {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"}
    assert codes.ADJUDICATED == {"1", "2", "3", "19", "20", "21"}


# --- official descriptions ---------------------------------------------------------------------------

def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_descriptions_load_from_a_csv_with_a_list_column(tmp_path):
    source = write(tmp_path / "codes.csv", "\ufeffList,Code,Description,Stop Date\n"
                   "carc,97,Text A,\ncarc,42,Text B,2020-01-01\nrarc,n290,Text C,12/31/2999\n\n")
    assert carc("97").description == ""
    assert codes.load_descriptions(source) == 3
    assert carc("97").description == "Text A" and codes.description("rarc", "N290") == "Text C"
    assert carc("42").active is False  # stopped by the file's date
    assert rarc("N290").active is True  # a stop date still to come
    assert carc("97").active is True  # no stop date: our table decides


def test_descriptions_of_one_list_without_a_list_column(tmp_path):
    source = write(tmp_path / "rarc.csv", "code,description\nM15,Text D\n")
    with pytest.raises(EdiError, match="say which code list"):
        codes.load_descriptions(source)
    assert codes.load_descriptions(source, "rarc") == 1 and rarc("M15").description == "Text D"


@pytest.mark.parametrize("text, message", [
    ("code,text\n97,x\n", "code and description"),
    ("list,code,description\nicd,97,x\n", "line 2: unknown code list"),
    ("list,code,description,stop_date\ncarc,97,x,2020.01.01\n", "line 2: stop_date"),
])
def test_bad_description_files_are_refused(tmp_path, text, message):
    with pytest.raises(EdiError, match=message):
        codes.load_descriptions(write(tmp_path / "bad.csv", text))


def test_remembered_descriptions_are_read_by_a_later_process(tmp_path, monkeypatch):
    source = write(tmp_path / "codes.csv", "list,code,description,stop_date\ncarc,29,Text E,2001-02-03\n")
    codes.load_descriptions(source, remember=True)
    assert codes.descriptions_path().is_file()
    monkeypatch.setattr(codes, "_descriptions", None)  # as a new process starts
    assert carc("29").description == "Text E" and carc("29").active is False
    codes.clear_descriptions()
    assert carc("29").description == "" and carc("29").active is True


def test_descriptions_path_defaults_to_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("EDI_DESCRIPTIONS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert codes.descriptions_path() == tmp_path / "edi" / "descriptions.csv"
    assert carc("97").description == ""  # nothing there: no descriptions


# --- playbooks ---------------------------------------------------------------------------------------

def test_every_denial_category_has_a_playbook():
    book = codes.playbooks()
    categories = data("carc.json")["categories"]
    denying = {entry["category"] for entry in data("carc.json")["codes"].values() if entry["denial"]}
    assert denying | {UNCLASSIFIED} <= set(book["playbooks"])
    assert set(book["owners"]) == {"front_desk", "coder", "biller", "credentialing"}
    for key, entry in book["playbooks"].items():
        category, _, kind = key.partition(":")
        assert category in categories and kind in ("", "hard", "soft", "patient")
        assert entry["owner"] in book["owners"] and entry["action"] in book["actions"] and entry["correct"]
    assert "CLM05-3 = 7" in book["actions"]["correct_resubmit"] and "REF*F8" in book["actions"]["correct_resubmit"]


def test_playbooks_take_a_users_overrides(tmp_path):
    user = tmp_path / "mine.json"
    user.write_text(json.dumps({
        "owners": {"denials_team": "Denials team"},
        "playbooks": {"coding": {"owner": "denials_team", "turn_days": 5},
                      "duplicate:patient": {"label": "x", "correct": "y", "attach": [], "owner": "biller",
                                            "action": "review", "turn_days": 1}},
    }))
    book = codes.playbooks(user)
    assert book["playbooks"]["coding"]["owner"] == "denials_team" and book["playbooks"]["coding"]["turn_days"] == 5
    assert book["playbooks"]["coding"]["correct"] == codes.playbooks()["playbooks"]["coding"]["correct"]
    assert "duplicate:patient" in book["playbooks"] and "duplicate:patient" not in codes.playbooks()["playbooks"]


@pytest.mark.parametrize("override, message", [
    ({"playbooks": {"coding": {"owner": "nobody"}}}, "not defined"),
    ({"playbooks": {"new": {"owner": "biller"}}}, "needs exactly the fields"),
    ({"playbooks": {"coding": {"turn_days": "soon"}}}, "turn_days"),
])
def test_bad_playbooks_are_refused(tmp_path, override, message):
    user = tmp_path / "bad.json"
    user.write_text(json.dumps(override))
    with pytest.raises(EdiError, match=message):
        codes.playbooks(user)
    with pytest.raises(EdiError, match="cannot read playbooks"):
        codes.playbooks(tmp_path / "missing.json")
