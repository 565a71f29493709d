"""Tests for the deterministic demo data generator (matchmaker.demo)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from stdnum.cn import ric

from matchmaker.demo.people import demo_people
from matchmaker.demo.regions import REGIONS, region_rows
from matchmaker.demo.vocabulary import (
    AVAILABILITY,
    INDUSTRIES,
    MOBILE_PREFIXES,
    REFERENCE_DATE,
    VOLUNTEER_SERVICES,
    VOLUNTEER_TEAMS,
)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
HAN_NAME_RE = re.compile(r"^[\u4e00-\u9fff]{2,4}$")

PROFILE_KEYS = {
    "volunteer": {"type", "team", "teams", "services", "skills", "availability", "status"},
    "mentor": {
        "type", "kind", "specialty", "industry", "organisation", "experience", "capacity",
        "availability", "status",
    },
    "mentee": {
        "type", "kind", "needs", "industry", "hardship", "school", "major", "availability",
        "status",
    },
    "spring_bud": {
        "type", "school", "grade", "guardian_name", "guardian_relation", "guardian_mobile",
        "guardian_consent", "hardship_note", "alias",
    },
    "donor": {"type", "kind", "organisation", "display_name"},
}  # fmt: skip

# (type, kind) -> inclusive range of profile counts.
COUNT_RANGES = {
    ("volunteer", None): (100, 140),
    ("mentor", "entrepreneur"): (95, 125),
    ("mentor", "skilled"): (95, 125),
    ("mentor", "expert"): (5, 15),
    ("mentee", "student"): (95, 125),
    ("mentee", "rural"): (95, 125),
    ("mentee", "poor_mother"): (50, 70),
    ("spring_bud", None): (45, 55),
    ("donor", "person"): (8, 16),
    ("donor", "organisation"): (4, 12),
}


@pytest.fixture(scope="module")
def people() -> list[dict]:
    return demo_people()


def profiles_of(people: list[dict], ptype: str, kind: str | None = None):
    for person in people:
        for profile in person["profiles"]:
            if profile["type"] == ptype and (kind is None or profile.get("kind") == kind):
                yield person, profile


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def digest(people: list[dict]) -> str:
    return hashlib.sha256(repr(people).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------


def test_same_seed_gives_identical_data(people):
    assert demo_people() == people
    assert demo_people(20261129) == people


def test_other_seed_gives_other_data(people):
    assert demo_people(seed=1) != people


def test_reference_date_is_fixed():
    assert REFERENCE_DATE == date(2026, 11, 1)


def test_deterministic_across_processes_and_hash_seeds(people):
    """String hashing differs per process; output must not depend on it."""
    root = Path(__file__).resolve().parents[2]
    code = (
        "import hashlib; from matchmaker.demo.people import demo_people; "
        "print(hashlib.sha256(repr(demo_people()).encode('utf-8')).hexdigest())"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    results = []
    for hash_seed in ("0", "4242"):
        env["PYTHONHASHSEED"] = hash_seed
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        results.append(out.stdout.strip())
    assert results == [digest(people)] * 2


# ---------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------


def test_region_tree_shape():
    rows = region_rows()
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    assert rows[0] == {"code": "330481", "name": "海宁市", "level": "city", "parent_code": None}
    seen: dict[str, dict] = {}
    for row in rows:
        assert set(row) == {"code", "name", "level", "parent_code"}
        expected_len = {"city": 6, "town": 9, "village": 12}[row["level"]]
        assert len(row["code"]) == expected_len and row["code"].isdigit()
        if row["level"] == "city":
            assert row["parent_code"] is None
        else:
            parent = seen.get(row["parent_code"])
            assert parent is not None, f"{row['code']} listed before its parent"
            assert row["code"].startswith(parent["code"])
            assert parent["level"] == {"town": "city", "village": "town"}[row["level"]]
        seen[row["code"]] = row


def test_region_content():
    rows = region_rows()
    towns = [r for r in rows if r["level"] == "town"]
    villages = [r for r in rows if r["level"] == "village"]
    assert [t["name"] for t in towns if t["name"].endswith("街道")] == [
        "硖石街道", "海洲街道", "海昌街道", "马桥街道",
    ]  # fmt: skip
    assert {t["name"] for t in towns} == {
        "硖石街道", "海洲街道", "海昌街道", "马桥街道", "许村镇", "长安镇", "盐官镇",
        "斜桥镇", "袁花镇", "黄湾镇", "周王庙镇", "丁桥镇",
    }  # fmt: skip
    for street, code in zip(
        ["硖石街道", "海洲街道", "海昌街道", "马桥街道"],
        ["330481001", "330481002", "330481003", "330481004"],
        strict=True,
    ):
        assert next(t["code"] for t in towns if t["name"] == street) == code
    assert all(t["code"][6] == "1" for t in towns if t["name"].endswith("镇"))
    assert 60 <= len(villages) <= 80
    per_town = Counter(v["parent_code"] for v in villages)
    assert set(per_town) == {t["code"] for t in towns}
    assert all(4 <= n <= 8 for n in per_town.values())
    for v in villages:
        assert v["name"].endswith(("村", "社区"))
        assert v["code"][9] == ("0" if v["name"].endswith("社区") else "2")


def test_region_rows_returns_copies():
    rows = region_rows()
    rows[0]["name"] = "changed"
    rows.pop()
    assert region_rows()[0]["name"] == "海宁市"
    assert len(region_rows()) == len(REGIONS)


def test_person_regions_are_villages(people):
    villages = {r["code"] for r in REGIONS if r["level"] == "village"}
    assert all(p["region_code"] in villages for p in people)


# ---------------------------------------------------------------------------
# Identity numbers, gender, birth dates
# ---------------------------------------------------------------------------


def test_every_id_number_is_valid(people):
    ids = [p["id_number"] for p in people if p["id_number"] is not None]
    assert len(ids) > 0.95 * len(people)
    for number in ids:
        assert len(number) == 18
        assert ric.validate(number) == number


def test_id_numbers_agree_with_gender_and_birth_date(people):
    for p in people:
        assert p["gender"] in ("F", "M")
        assert isinstance(p["birth_date"], date)
        number = p["id_number"]
        if number is None:
            continue
        assert ric.get_birth_date(number) == p["birth_date"], p["name"]
        assert (int(number[16]) % 2 == 1) == (p["gender"] == "M"), p["name"]


def test_id_numbers_are_unique(people):
    ids = [p["id_number"] for p in people if p["id_number"] is not None]
    assert len(ids) == len(set(ids))


def test_old_people_exercise_historical_area_codes(people):
    """stdnum checks the area code against the birth year, so pre-1989 births need old codes."""
    prefixes = {p["id_number"][:6] for p in people if p["id_number"]}
    assert {"330481", "339002", "330423", "332124"} <= prefixes
    assert any(p["birth_date"].year < 1983 for p in people if p["id_number"])


# ---------------------------------------------------------------------------
# Mobiles
# ---------------------------------------------------------------------------


def test_mobiles_are_valid_and_unique(people):
    mobiles = [p["mobile"] for p in people if p["mobile"] is not None]
    for m in mobiles:
        assert MOBILE_RE.match(m), m
        assert m[:3] in MOBILE_PREFIXES, m
    assert len(mobiles) == len(set(mobiles))
    for _, bud in profiles_of(people, "spring_bud"):
        assert MOBILE_RE.match(bud["guardian_mobile"])


def test_mentors_mentees_volunteers_have_mobiles(people):
    for ptype in ("mentor", "mentee", "volunteer"):
        for person, _ in profiles_of(people, ptype):
            assert person["mobile"] is not None, person["name"]
    assert any(p["mobile"] is None for p in people if not p["profiles"][0]["type"] == "spring_bud")


# ---------------------------------------------------------------------------
# Counts and profile shapes
# ---------------------------------------------------------------------------


def test_counts_per_profile_type(people):
    counts = Counter(
        (pr["type"], pr.get("kind") if pr["type"] in ("mentor", "mentee", "donor") else None)
        for p in people
        for pr in p["profiles"]
    )
    assert set(counts) == set(COUNT_RANGES)
    for key, (lo, hi) in COUNT_RANGES.items():
        assert lo <= counts[key] <= hi, (key, counts[key])
    assert 500 <= len(people) <= 700


def test_every_person_has_profiles_with_exact_keys(people):
    for p in people:
        assert set(p) == {
            "name", "gender", "id_number", "mobile", "birth_date", "region_code", "profiles",
        }  # fmt: skip
        assert p["profiles"], p["name"]
        types = [pr["type"] for pr in p["profiles"]]
        assert len(types) == len(set(types)), p["name"]
        for pr in p["profiles"]:
            assert set(pr) == PROFILE_KEYS[pr["type"]], pr


def _is_ordered_subset(values, universe) -> bool:
    return bool(values) and list(values) == [u for u in universe if u in values]


def test_volunteer_fields(people):
    for _, v in profiles_of(people, "volunteer"):
        assert v["team"] in VOLUNTEER_TEAMS
        assert _is_ordered_subset(v["services"], VOLUNTEER_SERVICES)
        assert _is_ordered_subset(v["availability"], AVAILABILITY)
        assert v["status"] in ("active", "pending", "inactive")
        assert v["skills"]
    statuses = Counter(v["status"] for _, v in profiles_of(people, "volunteer"))
    assert statuses["active"] > statuses["pending"] > 0


def test_mentor_fields(people):
    for _, m in profiles_of(people, "mentor"):
        assert m["kind"] in ("entrepreneur", "skilled", "expert")
        assert m["industry"] in INDUSTRIES
        assert m["specialty"] and m["organisation"] and m["experience"].endswith("。")
        assert 1 <= m["capacity"] <= 3
        assert _is_ordered_subset(m["availability"], AVAILABILITY)
        assert m["status"] == "active"
    orgs = [m["organisation"] for _, m in profiles_of(people, "mentor", "entrepreneur")]
    assert len(orgs) == len(set(orgs))


def test_mentee_fields(people):
    hardship_ranges = {"student": (0, 3), "rural": (1, 4), "poor_mother": (3, 5)}
    for person, m in profiles_of(people, "mentee"):
        lo, hi = hardship_ranges[m["kind"]]
        assert isinstance(m["hardship"], int) and lo <= m["hardship"] <= hi
        assert m["industry"] in INDUSTRIES
        assert _is_ordered_subset(m["availability"], AVAILABILITY)
        assert m["status"] == "active"
        if m["kind"] == "student":
            assert m["school"] and m["major"]
            assert 2002 <= person["birth_date"].year <= 2007
        else:
            assert m["school"] is None and m["major"] is None
            assert person["birth_date"].year <= 2000


def test_mentors_and_mentees_are_distinct_people(people):
    mentors = {id(p) for p, _ in profiles_of(people, "mentor")}
    mentees = {id(p) for p, _ in profiles_of(people, "mentee")}
    assert not mentors & mentees


def test_every_mentee_need_names_a_mentor_specialty(people):
    specialties = {m["specialty"] for _, m in profiles_of(people, "mentor")}
    for _, m in profiles_of(people, "mentee"):
        assert any(s in m["needs"] for s in specialties), m["needs"]


def test_every_specialty_has_a_non_expert_mentor(people):
    by_kind = {
        kind: {m["specialty"] for _, m in profiles_of(people, "mentor", kind)}
        for kind in ("entrepreneur", "skilled", "expert")
    }
    assert by_kind["expert"] <= by_kind["entrepreneur"] | by_kind["skilled"]


def test_mentors_and_mentees_spread_over_towns(people):
    for ptype in ("mentor", "mentee"):
        towns = {p["region_code"][:9] for p, _ in profiles_of(people, ptype)}
        assert len(towns) == 12, ptype


def test_spring_buds_are_consented_minor_girls(people):
    buds = list(profiles_of(people, "spring_bud"))
    for person, bud in buds:
        age = age_on(person["birth_date"], REFERENCE_DATE)
        assert age < 18 and 2009 <= person["birth_date"].year <= 2018
        assert person["gender"] == "F"
        assert person["id_number"] is not None and person["mobile"] is None
        assert len(person["profiles"]) == 1
        assert bud["guardian_consent"] is True
        assert bud["school"].startswith("海宁市") and bud["grade"]
        assert bud["hardship_note"] and bud["guardian_name"] and bud["guardian_relation"]
        assert bud["alias"] == "小" + person["name"][-1]
    assert sum(age_on(p["birth_date"], REFERENCE_DATE) < 14 for p, _ in buds) >= 10


def test_linked_mother_guardians_exist_in_data(people):
    mothers = {(p["name"], p["mobile"]): p for p, _ in profiles_of(people, "mentee", "poor_mother")}
    linked = [
        (p, b) for p, b in profiles_of(people, "spring_bud")
        if (b["guardian_name"], b["guardian_mobile"]) in mothers
    ]  # fmt: skip
    assert len(linked) >= 5
    for girl, bud in linked:
        mother = mothers[(bud["guardian_name"], bud["guardian_mobile"])]
        assert bud["guardian_relation"] == "母亲"
        assert mother["region_code"] == girl["region_code"]
        assert girl["birth_date"].year - mother["birth_date"].year >= 20


def test_donors(people):
    for person, d in profiles_of(people, "donor"):
        assert d["kind"] in ("person", "organisation")
        if d["kind"] == "organisation":
            assert d["organisation"] and d["display_name"] == d["organisation"]
        else:
            assert d["organisation"] is None
            title = "先生" if person["gender"] == "M" else "女士"
            assert d["display_name"] == person["name"][0] + title


# ---------------------------------------------------------------------------
# Names and genders
# ---------------------------------------------------------------------------


def test_men_only_among_volunteers_and_donors(people):
    men = [p for p in people if p["gender"] == "M"]
    assert 1 <= len(men) <= 15
    for man in men:
        assert {pr["type"] for pr in man["profiles"]} <= {"volunteer", "donor"}


def test_names_are_realistic(people):
    for p in people:
        assert HAN_NAME_RE.match(p["name"]), p["name"]
    surnames = Counter(p["name"][0] for p in people)
    for polyphonic in ("曾", "单", "查", "解"):
        assert surnames[polyphonic] >= 2, polyphonic
    assert sum(len(p["name"]) == 2 for p in people) >= 20
    shared = [n for n, k in Counter(p["name"] for p in people).items() if k > 1]
    assert len(shared) >= 3
