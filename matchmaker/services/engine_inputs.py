"""From the registries to the engine's plain data: pools, capacities, pins, exclusions.

The engine (``matchmaker.matching``) sees only ids and text; this module is the one place
that knows how a programme's pools, approved pairs and rejections become its input.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from matchmaker.extensions import db
from matchmaker.matching.candidates import CandidateRules
from matchmaker.matching.types import MenteeProfile as EngineMentee
from matchmaker.matching.types import MentorProfile as EngineMentor
from matchmaker.models import (
    MenteeProfile,
    MentorProfile,
    Pairing,
    Person,
    Programme,
    Proposal,
    Region,
    SpringBudProfile,
)
from matchmaker.models.profiles import INDUSTRY_LABELS

ENGINE_VERSION = "matchmaker-engine/1"
SPRING_BUD_NEEDS = "学业辅导 心理关爱 陪伴成长"


def mentee_key(profile: MenteeProfile | SpringBudProfile) -> str:
    kind = "spring_bud" if isinstance(profile, SpringBudProfile) else "mentee"
    return f"{kind}:{profile.id}"


@dataclass
class Pools:
    mentors: list[MentorProfile]
    mentees: list[MenteeProfile | SpringBudProfile]

    def mentee_by_key(self) -> dict[str, MenteeProfile | SpringBudProfile]:
        return {mentee_key(m): m for m in self.mentees}


@dataclass
class EngineInput:
    mentors: list[EngineMentor]
    mentees: list[EngineMentee]
    rules: CandidateRules
    pinned: list[tuple[str, str]]
    max_pairs: int
    pool_hash: str


def _in_region(model, programme: Programme):
    return (select(model).join(model.person).join(Person.region)
            .where(Region.path.startswith(programme.region.path, autoescape=True),
                   model.status == "active", Person.status == "active")
            .options(joinedload(model.person).joinedload(Person.region))
            .order_by(model.id))


def load_pools(programme: Programme) -> Pools:
    mentors = _in_region(MentorProfile, programme).where(
        MentorProfile.kind.in_(Programme.split(programme.mentor_kinds)))
    if programme.mentee_pool == "spring_bud":
        mentees = _in_region(SpringBudProfile, programme)
    else:
        mentees = _in_region(MenteeProfile, programme).where(
            MenteeProfile.kind.in_(Programme.split(programme.mentee_kinds)))
    return Pools(list(db.session.scalars(mentors).unique()),
                 list(db.session.scalars(mentees).unique()))


def active_pairings(programme: Programme) -> list[Pairing]:
    return list(db.session.scalars(select(Pairing).where(
        Pairing.programme_id == programme.id, Pairing.status == "active")))


def _industry(code: str) -> str:
    """Categories reach the engine as their Chinese names, so explanations read well."""
    return INDUSTRY_LABELS.get(code, code)


def _engine_mentee(p: MenteeProfile | SpringBudProfile) -> EngineMentee:
    if isinstance(p, SpringBudProfile):
        return EngineMentee(id=mentee_key(p), needs=f"{SPRING_BUD_NEEDS} {p.hardship_note}",
                            categories={_industry("education")}, region=p.person.region.code,
                            availability=frozenset(), hardship=3, kind="spring_bud")
    return EngineMentee(id=mentee_key(p), needs=p.needs, categories={_industry(p.industry)},
                        region=p.person.region.code, availability=p.availability_set,
                        hardship=p.hardship, kind=p.kind)


def _capacity(mentor: MentorProfile, in_programme: int, programme_cap: int) -> int:
    """Places for the solve: her own capacity less pairings in other programmes, and at
    most the programme's per-mentor limit (pairings here are pinned, so they count)."""
    free = mentor.capacity - (mentor.active_pairings - in_programme)
    return max(0, min(free, programme_cap))


def build_input(programme: Programme, pools: Pools) -> EngineInput:
    """Engine input for a (re-)run: active pairings pinned, rejected and broken pairs and
    relatives excluded, each mentor's capacity net of her pairings elsewhere.

    Whatever state the data is in (a capacity lowered below the pairings a mentor already
    has, a mentor who left the pool), the input stays solvable: existing pairings are never
    dropped or duplicated, and pins that no longer fit are left out, not forced.
    """
    active = active_pairings(programme)
    here: dict[int, int] = defaultdict(int)
    for p in active:
        here[p.mentor_id] += 1
    pool_mentors = {str(m.id) for m in pools.mentors}
    # A mentee paired here with a mentor who has left the pool keeps her pairing: she is
    # not matched again, and her pair still counts towards the target.
    kept_outside = {p.mentee_key for p in active if str(p.mentor_id) not in pool_mentors}
    mentees = [_engine_mentee(p) for p in pools.mentees if mentee_key(p) not in kept_outside]
    mentee_ids = {m.id for m in mentees}

    pinned = [(str(p.mentor_id), p.mentee_key) for p in active
              if str(p.mentor_id) in pool_mentors and p.mentee_key in mentee_ids]
    pins_of: dict[str, int] = defaultdict(int)
    for m, _ in pinned:
        pins_of[m] += 1
    capacity = {
        str(m.id): max(_capacity(m, here[m.id], programme.default_capacity), pins_of[str(m.id)])
        for m in pools.mentors
    }
    mentors = [
        EngineMentor(id=str(m.id), specialty=m.specialty, experience=m.experience,
                     categories={_industry(m.industry)}, region=m.person.region.code,
                     availability=m.availability_set, kind=m.kind, capacity=capacity[str(m.id)])
        for m in pools.mentors
    ]
    # Pins a coordinator set on open proposals are kept while they still fit.
    taken = {e for _, e in pinned}
    for m, k in db.session.execute(
            select(Proposal.mentor_id, Proposal.mentee_key).where(
                Proposal.programme_id == programme.id, Proposal.pinned.is_(True),
                Proposal.status == "proposed").order_by(Proposal.id)):
        m = str(m)
        if m in capacity and k in mentee_ids and k not in taken and pins_of[m] < capacity[m]:
            pinned.append((m, k))
            taken.add(k)
            pins_of[m] += 1
    max_pairs = max(programme.target_pairs - len(kept_outside), len(pinned), 0)

    exclusions = {
        (str(m), k) for m, k in db.session.execute(
            select(Proposal.mentor_id, Proposal.mentee_key).where(
                Proposal.programme_id == programme.id, Proposal.status == "rejected"))
    }
    # A pairing that broke is not proposed again.
    exclusions |= {
        (str(m), k) for m, k in db.session.execute(
            select(Pairing.mentor_id, Pairing.mentee_key).where(
                Pairing.programme_id == programme.id, Pairing.status == "ended"))
    }
    exclusions |= _same_family(pools, programme.rules.get("exclude_household", True))
    rules = CandidateRules(
        max_region_level=int(programme.rules.get("max_region_level", 2)),
        top_k=int(programme.rules.get("top_k", 20)),
        require_category=bool(programme.rules.get("require_category", False)),
        exclusions=frozenset(exclusions),
    )
    data = {
        "mentors": [[m.id, m.capacity, m.specialty, m.experience, sorted(m.categories),
                     list(m.region), sorted(m.availability)] for m in mentors],
        "mentees": [[e.id, e.needs, sorted(e.categories), list(e.region),
                     sorted(e.availability), e.hardship] for e in mentees],
        "pinned": sorted(pinned), "exclusions": sorted(exclusions),
    }
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()
    return EngineInput(mentors, mentees, rules, pinned, max_pairs, digest)


def _same_family(pools: Pools, by_household: bool) -> set[tuple[str, str]]:
    """Never pair a woman with herself or, when asked, with her own household."""
    out = set()
    mentors_by_person = defaultdict(list)
    mentors_by_household = defaultdict(list)
    for m in pools.mentors:
        mentors_by_person[m.person_id].append(str(m.id))
        if by_household and m.person.household:
            mentors_by_household[m.person.household].append(str(m.id))
    for e in pools.mentees:
        key = mentee_key(e)
        for mid in mentors_by_person.get(e.person_id, []):
            out.add((mid, key))
        if by_household and e.person.household:
            for mid in mentors_by_household.get(e.person.household, []):
                out.add((mid, key))
    return out
