"""Deterministic demo people for the matchmaker service.

`demo_people(seed)` returns about 600 person dicts (women, plus a few men among the
volunteers and donors) with mentor, mentee, volunteer, spring-bud and donor profiles.
Pure standard library plus python-stdnum; the same seed always gives the same data,
independent of the current date and of PYTHONHASHSEED (no set or dict-order tricks).

Mobiles and identity numbers come from ``demo.identities``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .identities import unique_id_number, unique_mobile
from .regions import town_villages
from .vocabulary import (
    _BRANDS,
    _DONOR_ORGS,
    _ENTREPRENEUR_TOPICS,
    _EXPERTS,
    _GRADE_NAMES,
    _GUARDIAN_CASES,
    _HIGH_SCHOOLS,
    _LINKED_MOTHER_NOTES,
    _MAJORS,
    _MIDDLE_SCHOOLS,
    _POLYPHONIC_SURNAMES,
    _POOR_MOTHER_TOPICS,
    _PRIMARY_SCHOOLS,
    _RURAL_TOPICS,
    _SKILLED_TOPICS,
    _SURNAMES,
    _TOPIC_BY_SPECIALTY,
    _VILLAGE_NAMES,
    _VOLUNTEER_SKILLS,
    AVAILABILITY,
    N_DONORS,
    N_ENTREPRENEURS,
    N_POOR_MOTHERS,
    N_RURAL,
    N_SKILLED,
    N_SPRING_BUDS,
    N_STUDENTS,
    N_VOLUNTEERS,
    REFERENCE_DATE,
    VOLUNTEER_SERVICES,
    VOLUNTEER_TEAMS,
    _given_pool,
)


def _school_grade(birth: date) -> int:
    """School grade (1-12) in the school year running on REFERENCE_DATE; may be <1 or >12."""
    entry_year = birth.year + 6 if birth.month <= 8 else birth.year + 7
    school_year = REFERENCE_DATE.year if REFERENCE_DATE.month >= 9 else REFERENCE_DATE.year - 1
    return school_year - entry_year + 1


def _age(birth: date) -> int:
    return (
        REFERENCE_DATE.year
        - birth.year
        - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (birth.month, birth.day))
    )


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.villages_by_town = town_villages()
        self.towns = list(self.villages_by_town)
        self.all_villages = [c for codes in self.villages_by_town.values() for c in codes]
        self.town_of_village = {
            c: town for town, codes in self.villages_by_town.items() for c in codes
        }
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.used_names: set[str] = set()
        self.used_orgs: set[str] = set(_DONOR_ORGS)  # keep mentor companies distinct
        self.people: list[dict] = []
        self._surnames = [s for s, _ in _SURNAMES]
        self._surname_weights = [w for _, w in _SURNAMES]

    # -- primitives ---------------------------------------------------------

    def subset(self, items: tuple[str, ...] | list[str], lo: int = 1, hi: int | None = None):
        """Random non-empty subset, kept in the canonical order of `items`."""
        hi = len(items) if hi is None else hi
        k = self.rng.randint(lo, hi)
        picked = self.rng.sample(range(len(items)), k)
        return [items[i] for i in sorted(picked)]

    def birth_date(self, first_year: int, last_year: int) -> date:
        start = date(first_year, 1, 1)
        span = (date(last_year, 12, 31) - start).days
        return start + timedelta(days=self.rng.randint(0, span))

    def surname(self) -> str:
        return self.rng.choices(self._surnames, weights=self._surname_weights)[0]

    def name(self, gender: str, birth_year: int, surname: str | None = None) -> str:
        pool = _given_pool(gender, birth_year)
        for _ in range(200):
            candidate = (surname or self.surname()) + self.rng.choice(pool)
            if candidate not in self.used_names:
                self.used_names.add(candidate)
                return candidate
        raise RuntimeError("name pool exhausted")

    def mobile(self) -> str:
        return unique_mobile(self.rng, self.used_mobiles)

    def id_number(self, gender: str, birth: date) -> str:
        return unique_id_number(self.rng, self.used_ids, gender, birth)

    def village(self, towns: list[str] | None = None, bias: float = 0.6) -> str:
        if towns and self.rng.random() < bias:
            return self.rng.choice(self.villages_by_town[self.rng.choice(towns)])
        return self.rng.choice(self.all_villages)

    def organisation(self, suffix: str, region_code: str) -> str:
        town = self.town_of_village[region_code]
        for _ in range(200):
            brand = self.rng.choice(_BRANDS)
            if suffix == "民宿":
                org = f"{town[:2]}{brand}民宿"
            elif suffix in ("家庭农场", "休闲农庄", "餐饮店", "灯彩工作室"):
                org = f"海宁市{town}{brand}{suffix}"
            else:
                org = f"海宁市{brand}{suffix}"
            if org not in self.used_orgs:
                self.used_orgs.add(org)
                return org
        raise RuntimeError("organisation names exhausted")

    def person(
        self,
        years: tuple[int, int],
        gender: str = "F",
        region_code: str | None = None,
        with_id: bool = True,
        with_mobile: bool = True,
        surname: str | None = None,
    ) -> dict:
        birth = self.birth_date(*years)
        person = {
            "name": self.name(gender, birth.year, surname),
            "gender": gender,
            "id_number": self.id_number(gender, birth) if with_id else None,
            "mobile": self.mobile() if with_mobile else None,
            "birth_date": birth,
            "region_code": region_code or self.rng.choice(self.all_villages),
            "profiles": [],
        }
        self.people.append(person)
        return person

    # -- profile groups -----------------------------------------------------

    def mentors(self) -> list[dict]:
        rng = self.rng
        result = []
        plan = [
            ("entrepreneur", rng.choice(_ENTREPRENEUR_TOPICS)) for _ in range(N_ENTREPRENEURS)
        ] + [("skilled", rng.choice(_SKILLED_TOPICS)) for _ in range(N_SKILLED)]
        # Guarantee every topic has at least one entrepreneur or skilled mentor.
        for i, topic in enumerate(_ENTREPRENEUR_TOPICS):
            plan[i] = ("entrepreneur", topic)
        for kind, specialty in plan:
            topic = _TOPIC_BY_SPECIALTY[specialty]
            region = self.village(topic["towns"])
            years = (1965, 1995) if kind == "entrepreneur" else (1962, 1996)
            p = self.person(years, region_code=region)
            if kind == "entrepreneur":
                org = self.organisation(topic["suffix"], region)
                start = rng.randint(max(p["birth_date"].year + 23, 2003), 2023)
                experience = f"{start}年创办{org}，{topic['detail']}。" + rng.choice(
                    [
                        f"目前带动周边{rng.randint(5, 60)}名妇女就业。",
                        "愿意把创业经验分享给有需要的姐妹。",
                        "曾获评海宁市巾帼创业带头人。",
                    ]
                )
            else:
                if rng.random() < 0.3:
                    org = f"{_VILLAGE_NAMES[region]}巾帼微家"
                else:
                    org = self.organisation(topic["suffix"], region)
                years_in = rng.randint(3, max(4, min(30, _age(p["birth_date"]) - 20)))
                experience = f"从事{specialty}工作{years_in}年，{topic['detail']}。" + rng.choice(
                    ["曾获海宁市巾帼建功标兵称号。", "带过多名徒弟。", "愿意手把手教。", ""]
                )
            p["profiles"].append(
                {
                    "type": "mentor",
                    "kind": kind,
                    "specialty": specialty,
                    "industry": topic["industry"],
                    "organisation": org,
                    "experience": experience,
                    "capacity": rng.randint(1, 3),
                    "availability": self.subset(AVAILABILITY),
                    "status": "active",
                }
            )
            result.append(p)
        for specialty, org in _EXPERTS:
            topic = _TOPIC_BY_SPECIALTY[specialty]
            p = self.person((1960, 1986))
            p["profiles"].append(
                {
                    "type": "mentor",
                    "kind": "expert",
                    "specialty": specialty,
                    "industry": topic["industry"],
                    "organisation": org,
                    "experience": f"长期从事{specialty}指导与推广工作，{topic['detail']}。"
                    "多次为基层妇女开展技能培训。",
                    "capacity": rng.randint(2, 3),
                    "availability": self.subset(AVAILABILITY),
                    "status": "active",
                }
            )
            result.append(p)
        return result

    def _needs(self, specialties: list[str]) -> str:
        first = self.rng.choice(_TOPIC_BY_SPECIALTY[specialties[0]]["needs"])
        if len(specialties) > 1:
            return f"{first}；同时希望了解{specialties[1]}"
        return first

    def _pick_topics(self, pool: list[str], preferred: list[str]) -> list[str]:
        first = self.rng.choice(preferred) if preferred and self.rng.random() < 0.5 else None
        first = first or self.rng.choice(pool)
        if self.rng.random() < 0.45:
            second = self.rng.choice([t for t in pool if t != first])
            return [first, second]
        return [first]

    def mentees(self) -> dict[str, list[dict]]:
        rng = self.rng
        groups: dict[str, list[dict]] = {"student": [], "rural": [], "poor_mother": []}
        majors = list(_MAJORS)
        for _ in range(N_STUDENTS):
            p = self.person((2002, 2007))
            major = rng.choice(majors)
            topics, schools = _MAJORS[major]
            specialty = rng.choice(topics)
            needs = rng.choice(
                [
                    f"{major}专业在读，希望在{specialty}方面得到行业前辈指导",
                    f"毕业后想回海宁创业，想请教{specialty}方面的经验",
                    f"希望利用假期到企业实践，了解{specialty}的实际工作",
                ]
            )
            p["profiles"].append(
                {
                    "type": "mentee",
                    "kind": "student",
                    "needs": needs,
                    "industry": _TOPIC_BY_SPECIALTY[specialty]["industry"],
                    "hardship": rng.randint(0, 3),
                    "school": rng.choice(schools),
                    "major": major,
                    "availability": self.subset(("wd_ev", "we_am", "we_pm", "we_ev")),
                    "status": "active",
                }
            )
            groups["student"].append(p)
        for kind, count, years, pool, hardship in (
            ("rural", N_RURAL, (1968, 2000), _RURAL_TOPICS, (1, 4)),
            ("poor_mother", N_POOR_MOTHERS, (1978, 1998), _POOR_MOTHER_TOPICS, (3, 5)),
        ):
            for _ in range(count):
                # Rural mentees live mostly in towns rather than the four urban streets.
                town = rng.choice(self.towns[4:] if rng.random() < 0.85 else self.towns)
                region = rng.choice(self.villages_by_town[town])
                local = [s for s in pool if town in _TOPIC_BY_SPECIALTY[s]["towns"]]
                specialties = self._pick_topics(pool, local)
                p = self.person(years, region_code=region)
                p["profiles"].append(
                    {
                        "type": "mentee",
                        "kind": kind,
                        "needs": self._needs(specialties),
                        "industry": _TOPIC_BY_SPECIALTY[specialties[0]]["industry"],
                        "hardship": rng.randint(*hardship),
                        "school": None,
                        "major": None,
                        "availability": self.subset(AVAILABILITY),
                        "status": "active",
                    }
                )
                groups[kind].append(p)
        return groups

    def volunteer_profile(self, team: str) -> dict:
        rng = self.rng
        status = rng.choices(("active", "pending", "inactive"), weights=(75, 15, 10))[0]
        return {
            "type": "volunteer",
            "team": team,
            "teams": team,
            "services": self.subset(VOLUNTEER_SERVICES, 1, 3),
            "skills": rng.choice(_VOLUNTEER_SKILLS[team]),
            "availability": self.subset(AVAILABILITY),
            "status": status,
        }

    def volunteers(self, mentors: list[dict], mentees: dict[str, list[dict]]) -> None:
        rng = self.rng
        business = [p for p in mentors if p["profiles"][0]["kind"] != "expert"]
        for p in rng.sample(business, 55):
            team = rng.choice(["创业指导", "创业指导", "科技惠民", "文明传播", "环保护绿"])
            p["profiles"].append(self.volunteer_profile(team))
        for p in rng.sample(mentees["student"], 25):
            team = rng.choice(["科技惠民", "文明传播", "家庭教育", "环保护绿"])
            p["profiles"].append(self.volunteer_profile(team))
        for p in rng.sample(mentees["rural"], 10):
            team = rng.choice(["环保护绿", "文明传播", "科技惠民"])
            p["profiles"].append(self.volunteer_profile(team))
        # 55 + 25 + 10 = 90 volunteers already have another role; the rest are new people.
        for i in range(N_VOLUNTEERS - 90):
            gender = "M" if i < 4 else "F"
            p = self.person((1956, 2000), gender=gender)
            p["profiles"].append(self.volunteer_profile(rng.choice(VOLUNTEER_TEAMS)))

    def donors(self, mentors: list[dict]) -> None:
        rng = self.rng
        entrepreneurs = [p for p in mentors if p["profiles"][0]["kind"] == "entrepreneur"]
        chosen = rng.sample(entrepreneurs, 9)
        # Four entrepreneurs donate through their companies, five privately.
        for p in chosen[:4]:
            org = p["profiles"][0]["organisation"]
            p["profiles"].append(
                {"type": "donor", "kind": "organisation", "organisation": org, "display_name": org}
            )
        for p in chosen[4:]:
            p["profiles"].append(self._private_donor(p))
        # Four organisations whose contact is not otherwise in the system.
        for i, org in enumerate(_DONOR_ORGS):
            gender = "M" if i >= 2 else "F"
            p = self.person((1965, 1988), gender=gender, with_id=i % 2 == 0)
            p["profiles"].append(
                {"type": "donor", "kind": "organisation", "organisation": org, "display_name": org}
            )
        # 4 + 5 + 4 = 13 donors so far; the rest are private donors with no other role.
        # Some of them gave no ID number or no mobile.
        for i in range(N_DONORS - 13):
            gender = "M" if i == 0 else "F"
            p = self.person((1958, 1992), gender=gender, with_id=i % 3 != 1, with_mobile=i % 3 != 2)
            p["profiles"].append(self._private_donor(p))

    @staticmethod
    def _private_donor(p: dict) -> dict:
        title = "先生" if p["gender"] == "M" else "女士"
        return {
            "type": "donor",
            "kind": "person",
            "organisation": None,
            "display_name": p["name"][0] + title,
        }

    def spring_buds(self, poor_mothers: list[dict]) -> None:
        rng = self.rng
        # Ten girls are daughters of poor mothers who are themselves in the system.
        eligible = [m for m in poor_mothers if m["birth_date"].year <= 1992]
        mothers = rng.sample(eligible, 10)
        for i in range(N_SPRING_BUDS):
            mother = mothers[i] if i < len(mothers) else None
            if mother:
                years = (max(2009, mother["birth_date"].year + 21), 2018)
                region = mother["region_code"]
            else:
                years = (2009, 2018)
                region = self.rng.choice(self.all_villages)
            p = self.person(years, region_code=region, with_mobile=False)
            surname = p["name"][0]
            given = p["name"][1:]
            if mother:
                relation = "母亲"
                note = rng.choice(_LINKED_MOTHER_NOTES)
                guardian_name = mother["name"]
                guardian_mobile = mother["mobile"]
            else:
                relation, note = rng.choice(_GUARDIAN_CASES)
                year = p["birth_date"].year
                if relation in ("父亲", "祖父"):
                    guardian_name = self.name("M", year - 30, surname)
                elif relation == "外公":
                    guardian_name = self.name("M", year - 55)
                elif relation in ("祖母", "外婆"):
                    guardian_name = self.name("F", year - 55)
                elif relation == "姑妈":
                    guardian_name = self.name("F", year - 35, surname)
                else:
                    guardian_name = self.name("F", year - 30)
                guardian_mobile = self.mobile()
            town = self.town_of_village[region]
            grade = min(max(_school_grade(p["birth_date"]), 1), 12)
            if grade <= 6:
                school = _PRIMARY_SCHOOLS.get(town, f"海宁市{town}中心小学")
            elif grade <= 9:
                school = _MIDDLE_SCHOOLS[town]
            else:
                school = rng.choice(_HIGH_SCHOOLS)
            p["profiles"].append(
                {
                    "type": "spring_bud",
                    "school": school,
                    "grade": _GRADE_NAMES[grade - 1],
                    "guardian_name": guardian_name,
                    "guardian_relation": relation,
                    "guardian_mobile": guardian_mobile,
                    "guardian_consent": True,
                    "hardship_note": note,
                    "alias": "小" + given[-1],
                }
            )

    def polyphonic_and_duplicate_names(self) -> None:
        rng = self.rng
        adults = [
            p
            for p in self.people
            if p["gender"] == "F" and all(x["type"] in ("mentor", "mentee") for x in p["profiles"])
        ]
        picked = rng.sample(adults, 20)
        # Twelve women get a polyphonic surname (曾 zeng, 单 shan, 查 zha, 解 xie).
        for p, surname in zip(picked[:12], _POLYPHONIC_SURNAMES * 3, strict=True):
            given = p["name"][1:]
            new = surname + given
            while new in self.used_names:
                new = surname + rng.choice(_given_pool("F", p["birth_date"].year))
            self.used_names.add(new)
            p["name"] = new
        # Four pairs of different women share a full name.
        for a, b in zip(picked[12:16], picked[16:20], strict=True):
            b["name"] = a["name"]


def demo_people(seed: int = 20261129) -> list[dict]:
    """Build the demo people. Deterministic for a given seed.

    Each person: {"name", "gender" ("F"/"M"), "id_number" (18 chars or None),
    "mobile" (11 digits or None), "birth_date" (date), "region_code" (village code),
    "profiles" (list of dicts with a "type" key: volunteer, mentor, mentee,
    spring_bud or donor)}.
    """
    builder = _Builder(seed)
    mentors = builder.mentors()
    mentees = builder.mentees()
    # Rename before donors (display names) and spring buds (guardian names) copy names.
    builder.polyphonic_and_duplicate_names()
    builder.volunteers(mentors, mentees)
    builder.donors(mentors)
    builder.spring_buds(mentees["poor_mother"])
    return builder.people
