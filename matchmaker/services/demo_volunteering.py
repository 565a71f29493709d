"""Demo volunteer service: consents on file, activities over the coming weeks (one of them
full, with a waitlist), hours served, and a service request — so that every volunteer page
has something to show. Part of ``seed-demo``; finds its rows by natural key first."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import (
    Activity,
    ActivitySignup,
    ConsentRecord,
    MenteeProfile,
    Region,
    ServiceHours,
    ServiceRequest,
    User,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from matchmaker.services import consent
from matchmaker.services.clock import from_local, to_local, today

# (title, service, team, days from today, start hour, hours, slots)
ACTIVITIES = (
    ("敬老院重阳关爱服务", "助老", "文明传播", 3, 9, 3, 6),
    ("独居老人上门探访", "助老", "家庭教育", 5, 14, 2, 4),
    ("婚姻家庭纠纷调解接待日", "调解", "法律维权", 7, 9, 3, 2),
    ("农村电商直播带货培训", "帮困", "创业指导", 10, 19, 2, 10),
    ("反家暴法律咨询进村", "咨询", "法律维权", 12, 9, 3, 3),
    ("垃圾分类入户宣传", "环保", "环保护绿", 14, 14, 3, 8),
    ("家庭教育讲座：陪伴与沟通", "咨询", "家庭教育", -20, 19, 2, 30),
    ("春耕农技服务下乡", "帮困", "科技惠民", -35, 8, 4, 12),
)


def _at(day_offset: int, hour: int) -> datetime:
    """A local time some days from today, in UTC (SQLite keeps no zone: store UTC only)."""
    return from_local(today() + timedelta(days=day_offset), time(hour))


def seed(result) -> None:
    volunteers = list(db.session.scalars(select(VolunteerProfile).order_by(VolunteerProfile.id)))
    if not volunteers:
        return
    for v in volunteers:
        if db.session.scalar(select(ConsentRecord.id).where(
                ConsentRecord.person_id == v.person_id, ConsentRecord.purpose == "volunteer")):
            continue
        # Applicants came through the sign-up page; the others signed a paper form.
        if v.status == "pending":
            v.source = "signup"
        consent.give(person=v.person, purpose="volunteer",
                     channel="web" if v.status == "pending" else "paper")
        result.add("consents")
    if db.session.scalar(select(Activity.id).limit(1)) is not None:
        return

    rng = random.Random(20261129)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    demo_user = db.session.scalar(select(User).where(User.username == "volunteer"))
    mine = next((v for v in volunteers if demo_user and v.person_id == demo_user.person_id),
                None)
    towns = list(db.session.scalars(select(Region).where(Region.level == "town")
                                    .order_by(Region.code)))
    active = [v for v in volunteers if v.status == "active" and v is not mine]
    activities = []
    for i, (title, service, team, offset, hour, hours, slots) in enumerate(ACTIVITIES):
        town = mine.person.region.parent if mine and i < 3 else towns[i % len(towns)]
        a = Activity(title=title, service=service, team=team, region=town,
                     place=f"{town.name}{rng.choice(('妇女之家', '文化礼堂', '社区服务中心'))}",
                     starts_at=_at(offset, hour), ends_at=_at(offset, hour + hours),
                     slots=slots, filled=0, status="done" if offset < 0 else "open",
                     description="", created_by=admin.id if admin else None)
        db.session.add(a)
        activities.append(a)
    db.session.flush()
    result.add("activities", len(activities))

    def join(a: Activity, v: VolunteerProfile, status: str = "confirmed") -> None:
        db.session.add(ActivitySignup(activity_id=a.id, volunteer_id=v.id, status=status,
                                      queued_at=utcnow()))
        if status == "confirmed":
            a.filled += 1

    by_title = {a.title: a for a in activities}
    mediation = by_title["婚姻家庭纠纷调解接待日"]  # two places: full, one waiting
    for v in active[:3]:
        join(mediation, v, "confirmed" if mediation.filled < mediation.slots else "waitlisted")
    for a in activities:
        if a is mediation:
            continue
        for v in rng.sample(active, min(len(active), a.slots // 2)):
            join(a, v)
    if mine is not None:
        join(by_title["敬老院重阳关爱服务"], mine)
        join(by_title["家庭教育讲座：陪伴与沟通"], mine)
        join(by_title["春耕农技服务下乡"], mine)
    db.session.flush()

    # Hours: the past activities, mostly approved; the demo volunteer has one pending.
    for a in activities:
        if a.status != "done":
            continue
        for s in db.session.scalars(select(ActivitySignup).where(
                ActivitySignup.activity_id == a.id, ActivitySignup.status == "confirmed")):
            pending = s.volunteer_id == (mine.id if mine else None) and a.title.startswith("春耕")
            db.session.add(ServiceHours(
                volunteer_id=s.volunteer_id, activity_id=a.id,
                served_on=to_local(a.starts_at).date(),
                minutes=int(a.hours * 60), description="现场服务",
                status="pending" if pending else "approved",
                reviewed_by=None if pending else (admin.id if admin else None),
                reviewed_at=None if pending else utcnow()))
            result.add("hours")

    mother = db.session.scalar(select(MenteeProfile).where(MenteeProfile.kind == "poor_mother")
                               .order_by(MenteeProfile.id))
    if mother is not None:
        db.session.add(ServiceRequest(
            title="帮助贫困母亲网上销售农产品",
            need="家里种了两亩葡萄和一些蔬菜，想学开网店、拍视频，在网上把农产品卖出去",
            teams="创业指导,科技惠民", availability="we_am,we_pm",
            region=mother.person.region, person_id=mother.person_id, volunteers_wanted=2,
            status="open", created_by=admin.id if admin else None))
        result.add("service requests")
    db.session.flush()
