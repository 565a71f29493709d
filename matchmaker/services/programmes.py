"""Pairing programmes: define them, see them within one's regions, seed the real four."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from matchmaker.extensions import db
from matchmaker.matching.features import FEATURE_KEYS
from matchmaker.matching.scoring import Weights
from matchmaker.models import Programme, Region, User
from matchmaker.models.base import N_
from matchmaker.models.profiles import MENTEE_KIND_LABELS, MENTOR_KINDS
from matchmaker.models.programme import MENTEE_POOLS
from matchmaker.services.errors import DomainError, Forbidden, NotFound
from matchmaker.services.scope import in_scope, region_by_code, scope_paths
from matchmaker.services.validation import clean_text

# Region rule: 0 same village, 1 same town, 2 same county/city, 3 anywhere.
REGION_RULES = {0: N_("同村"), 1: N_("同镇（街道）"), 2: N_("同县（市）"), 3: N_("不限")}
DEFAULT_RULES = {"max_region_level": 2, "top_k": 20, "exclude_household": True,
                 "require_category": False}


@dataclass
class ProgrammeInput:
    name: str
    year: int
    region_code: str
    mentor_kinds: list[str]
    mentee_pool: str
    mentee_kinds: list[str] = field(default_factory=list)
    target_pairs: int = 100
    default_capacity: int = 1
    weights: dict[str, float] = field(default_factory=dict)
    rules: dict[str, object] = field(default_factory=dict)
    description: str = ""


def _apply(programme: Programme, data: ProgrammeInput, user: User) -> None:
    programme.name = clean_text(data.name, field="name", label=_("名称"), max_length=100,
                                required=True)
    programme.description = clean_text(data.description, field="description",
                                       label=_("说明"), max_length=1000)
    if not 2000 <= data.year <= 2100:
        raise DomainError(_("年度不正确"), field="year")
    programme.year = data.year
    programme.region = region_by_code(user, data.region_code)
    if not data.mentor_kinds or set(data.mentor_kinds) - set(MENTOR_KINDS):
        raise DomainError(_("请选择导师类别"), field="mentor_kinds")
    programme.mentor_kinds = ",".join(k for k in MENTOR_KINDS if k in data.mentor_kinds)
    if data.mentee_pool not in MENTEE_POOLS:
        raise DomainError(_("请选择帮扶对象来源"), field="mentee_pool")
    programme.mentee_pool = data.mentee_pool
    kinds = [k for k in MENTEE_KIND_LABELS if k in data.mentee_kinds]
    if data.mentee_pool == "mentee" and not kinds:
        raise DomainError(_("请选择帮扶对象类别"), field="mentee_kinds")
    programme.mentee_kinds = ",".join(kinds) if data.mentee_pool == "mentee" else ""
    if not 0 <= data.target_pairs <= 100_000:
        raise DomainError(_("目标结对数不正确"), field="target_pairs")
    programme.target_pairs = data.target_pairs
    if not 0 <= data.default_capacity <= 20:
        raise DomainError(_("每位导师最多带的人数应在 0 到 20 之间"), field="default_capacity")
    programme.default_capacity = data.default_capacity
    try:
        weights = Weights.from_mapping(data.weights or {})
    except ValueError:
        raise DomainError(_("权重须为不小于 0 的数字"), field="weights") from None
    programme.weights = weights.as_dict()
    rules = dict(DEFAULT_RULES)
    rules.update({k: v for k, v in (data.rules or {}).items() if k in DEFAULT_RULES})
    if rules["max_region_level"] not in REGION_RULES:
        raise DomainError(_("地域范围不正确"), field="max_region_level")
    if not 1 <= int(rules["top_k"]) <= 200:
        raise DomainError(_("候选人数应在 1 到 200 之间"), field="top_k")
    programme.rules = rules


def create_programme(*, user: User, data: ProgrammeInput) -> Programme:
    programme = Programme(status="active")
    _apply(programme, data, user)
    db.session.add(programme)
    db.session.flush()
    return programme


def update_programme(*, user: User, programme: Programme, data: ProgrammeInput) -> Programme:
    _apply(programme, data, user)
    db.session.flush()
    return programme


def visible_query(user: User) -> Select:
    """Programmes a user works on: those inside her regions, and the wider programmes
    that contain them (a town coordinator reviews her town's part of a city programme)."""
    stmt = select(Programme).join(Programme.region).order_by(Programme.year.desc(),
                                                              Programme.id)
    paths = scope_paths(user)
    if paths is None:
        return stmt
    if not paths:
        return stmt.where(Programme.id.is_(None))
    conds = []
    for p in paths:
        conds += [Region.path.startswith(p, autoescape=True),
                  # the programme's region is an ancestor of hers
                  db.literal(p).startswith(Region.path)]
    return stmt.where(or_(*conds))


def get_programme(user: User, programme_id: int, *, manage: bool = False) -> Programme:
    """A programme the user may see; with ``manage``, one she may also change or run —
    only when the programme's whole region is hers (a town coordinator reviews her town's
    part of a city programme, but does not re-run or re-weight it for everyone)."""
    programme = db.session.scalar(visible_query(user).where(Programme.id == programme_id))
    if programme is None:
        raise NotFound(_("找不到这个项目，或不在您负责的地区内"))
    if manage and not in_scope(user, programme.region):
        raise Forbidden(_("这个项目覆盖您负责范围以外的地区，只有上级协调员可以修改或重新匹配"))
    return programme


def weights_of(programme: Programme) -> Weights:
    return Weights.from_mapping({k: v for k, v in (programme.weights or {}).items()
                                 if k in FEATURE_KEYS})


# Text similarity of a need sentence to a specialty is small in absolute terms (an exact
# specialty named in the need scores about 0.15–0.25), so it needs a large weight to
# outweigh living in the same village: measured on the demo county, text 3.0 pairs 81 of
# 100 rural women with a mentor whose specialty she named, against 47 with text 0.4.
WEIGHTS = {
    "university": Weights(text=3.0, category=0.3, region=0.2, availability=0.2, priority=0.2),
    "rural": Weights(text=3.0, category=0.1, region=0.5, availability=0.1, priority=0.3),
    "hardship": Weights(text=2.5, category=0.1, region=0.5, availability=0.1, priority=0.6),
    "children": Weights(text=1.0, category=0.1, region=0.6, availability=0.1, priority=0.3),
}
DEMO_PROGRAMMES = (
    ("2026 双百结对：女大学生 × 女企业家", ["entrepreneur"], "mentee", ["student"], 100,
     "university", 3, "女大学生与女企业家结对，帮助大学生了解创业、就业。"),
    ("2026 双百结对：农村妇女 × 女能手", ["skilled"], "mentee", ["rural"], 100, "rural", 2,
     "女能手就近帮带农村妇女学技术、增收入。"),
    ("2026 助推贫困母亲创业：贫困母亲 × 女能手", ["skilled", "expert"], "mentee",
     ["poor_mother"], 60, "hardship", 2, "每位贫困母亲由一位女能手跟踪服务（技术、生产、销售）。"),
    ("2026 社会妈妈结对：社会妈妈 × 受助儿童", ["social_mother", "entrepreneur"], "spring_bud",
     [], 49, "children", 2, "爱心妈妈与受助儿童结对，关心学习和成长。"),
)


def seed_demo_programmes(*, user: User, city: Region) -> int:
    """Create the four demo programmes that do not exist yet; returns how many."""
    made = 0
    for name, mkinds, pool, ekinds, target, preset, level, desc in DEMO_PROGRAMMES:
        if db.session.scalar(select(Programme.id).where(Programme.name == name)):
            continue
        create_programme(user=user, data=ProgrammeInput(
            name=name, year=2026, region_code=city.code, mentor_kinds=mkinds, mentee_pool=pool,
            mentee_kinds=ekinds, target_pairs=target, default_capacity=1,
            weights=WEIGHTS[preset].as_dict(), rules={"max_region_level": level},
            description=desc))
        made += 1
    return made
