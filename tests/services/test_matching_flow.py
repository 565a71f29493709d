"""Programmes, runs and decisions, through the services (as the web calls them)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from matchmaker.models import (
    MatchRun,
    MenteeProfile,
    MentorProfile,
    Notification,
    Pairing,
    Proposal,
    UnmatchedMentee,
)
from matchmaker.services import match_runs, pairings, review
from matchmaker.services.errors import DomainError
from matchmaker.services.programmes import ProgrammeInput, create_programme

MENTORS = [  # name, village, specialty, capacity
    ("茶农甲", "330481107201", "茶叶种植", 1),
    ("电商乙", "330481107202", "农村电商 直播带货", 2),
    ("家纺丙", "330481101201", "家纺缝纫", 1),
]
MENTEES = [  # name, village, needs, hardship
    ("学员一", "330481107201", "想学习茶叶种植技术", 2),
    ("学员二", "330481107202", "希望了解农村电商和直播带货", 1),
    ("学员三", "330481101202", "想学家纺缝纫手艺", 3),
    ("学员四", "330481107201", "想做直播带货卖茶叶", 4),
]


@pytest.fixture
def world(app, session, make_person, make_user):
    """A small county; built in its own app context, then committed to the test's
    savepoint, so that service tests (app_ctx) and page tests (client) both see it."""
    with app.app_context():
        built = _build(session, make_person, make_user)
        session.commit()
        ids = {k: (type(v), v.id) for k, v in built.items() if k in ("admin", "programme")}
    return World(ids)


class World:
    """The world's rows, fetched afresh from whichever session is current."""

    def __init__(self, ids):
        self.ids = ids

    def __getitem__(self, key):
        from matchmaker.extensions import db

        if key == "session":
            return db.session
        model, pk = self.ids[key]
        return db.session.get(model, pk)


def _build(app_ctx, make_person, make_user):
    admin = make_user("admin")
    people = {}
    for i, (name, village, specialty, cap) in enumerate(MENTORS):
        p = make_person(name, region=village, birth=date(1975, 1, 1 + i))
        app_ctx.add(MentorProfile(person=p, kind="skilled", specialty=specialty,
                                  industry="agriculture", capacity=cap))
        people[name] = p
    for i, (name, village, needs, hardship) in enumerate(MENTEES):
        p = make_person(name, region=village, birth=date(1990, 2, 1 + i))
        app_ctx.add(MenteeProfile(person=p, kind="rural", needs=needs, industry="agriculture",
                                  hardship=hardship))
        people[name] = p
    app_ctx.flush()
    programme = create_programme(user=admin, data=ProgrammeInput(
        name="测试双百", year=2026, region_code="330481", mentor_kinds=["skilled"],
        mentee_pool="mentee", mentee_kinds=["rural"], target_pairs=10, default_capacity=2,
        rules={"max_region_level": 2}))
    return {"admin": admin, "programme": programme, "people": people, "session": app_ctx}


def proposals_of(session, run) -> dict[str, tuple[str, str]]:
    rows = session.scalars(select(Proposal).where(Proposal.run_id == run.id))
    return {p.mentee_profile.person.name: (p.mentor.person.name, p.status) for p in rows}


def test_run_proposes_the_sensible_pairs_with_explanations(app_ctx, world):
    s = world["session"]
    run = match_runs.start_run(user=world["admin"], programme=world["programme"])
    assert run.status == "done" and run.progress == 100
    got = proposals_of(s, run)
    assert got["学员一"][0] == "茶农甲"
    assert got["学员二"][0] == "电商乙"
    assert got["学员三"][0] == "家纺丙"
    assert run.stats["pairs"] == 4 and run.stats["unmatched"] == 0
    p = s.scalar(select(Proposal).where(Proposal.run_id == run.id,
                                        Proposal.mentor.has(specialty="茶叶种植")))
    assert "茶叶种植" in p.explanation and p.contributions["features"]["text"] > 0
    assert len(run.inputs["pool_hash"]) == 64 and run.inputs["engine"]


def test_capacity_limits_pairs_and_reasons_are_kept(app_ctx, world):
    s = world["session"]
    world["programme"].default_capacity = 1  # one mentee per mentor in this programme
    s.flush()
    run = match_runs.start_run(user=world["admin"], programme=world["programme"])
    assert run.stats["pairs"] == 3
    unmatched = s.scalars(select(UnmatchedMentee).where(UnmatchedMentee.run_id == run.id)).all()
    assert len(unmatched) == 1 and unmatched[0].reason


def test_approve_creates_one_pairing_notifies_both_and_takes_capacity(app_ctx, world):
    s, admin = world["session"], world["admin"]
    run = match_runs.start_run(user=admin, programme=world["programme"])
    prop = s.scalar(select(Proposal).where(Proposal.run_id == run.id).order_by(Proposal.id))
    pairing = review.approve(user=admin, proposal=prop)
    assert pairing.status == "active" and prop.status == "approved"
    assert s.get(MentorProfile, prop.mentor_id).active_pairings == 1
    with pytest.raises(DomainError, match="已被处理"):
        review.approve(user=admin, proposal=prop)
    assert s.scalar(select(func.count(Pairing.id))) == 1
    told = {n.person_id for n in s.scalars(select(Notification))}
    assert told == {prop.mentor.person_id, prop.mentee_profile.person_id}


def test_rerun_keeps_approved_and_never_repeats_rejected(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    run1 = match_runs.start_run(user=admin, programme=programme)
    by_mentee = {p.mentee_profile.person.name: p for p in
                 s.scalars(select(Proposal).where(Proposal.run_id == run1.id))}
    review.approve(user=admin, proposal=by_mentee["学员一"])
    rejected = by_mentee["学员二"]
    review.reject(user=admin, proposal=rejected, reason="距离太远")
    run2 = match_runs.start_run(user=admin, programme=programme)
    got = proposals_of(s, run2)
    assert got["学员一"] == ("茶农甲", "approved")
    assert got.get("学员二", ("",))[0] != rejected.mentor.person.name
    # the first run's undecided proposals gave way
    old = s.scalars(select(Proposal.status).where(Proposal.run_id == run1.id)).all()
    assert set(old) == {"approved", "rejected", "superseded"}


def test_reject_needs_a_reason(app_ctx, world):
    run = match_runs.start_run(user=world["admin"], programme=world["programme"])
    prop = world["session"].scalar(select(Proposal).where(Proposal.run_id == run.id))
    with pytest.raises(DomainError, match="否决理由"):
        review.reject(user=world["admin"], proposal=prop, reason=" ")


def test_swap_offers_alternatives_with_scores(app_ctx, world):
    s, admin = world["session"], world["admin"]
    run = match_runs.start_run(user=admin, programme=world["programme"])
    prop = next(p for p in s.scalars(select(Proposal).where(Proposal.run_id == run.id))
                if p.mentee_profile.person.name == "学员四")
    alts = review.alternatives(prop)
    assert alts and all(a.mentor.id != prop.mentor_id for a in alts)
    assert alts == sorted(alts, key=lambda a: -a.score)
    review.swap(user=admin, proposal=prop, mentor_id=alts[0].mentor.id)
    assert prop.mentor_id == alts[0].mentor.id and prop.score == pytest.approx(alts[0].score)
    with pytest.raises(DomainError):
        review.swap(user=admin, proposal=prop, mentor_id=999_999)


def test_pin_survives_a_rerun(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    run1 = match_runs.start_run(user=admin, programme=programme)
    prop = next(p for p in s.scalars(select(Proposal).where(Proposal.run_id == run1.id))
                if p.mentee_profile.person.name == "学员四")
    alt = review.alternatives(prop)[0]
    review.swap(user=admin, proposal=prop, mentor_id=alt.mentor.id)
    review.set_pinned(proposal=prop, pinned=True)
    run2 = match_runs.start_run(user=admin, programme=programme)
    assert proposals_of(s, run2)["学员四"][0] == alt.mentor.person.name


def test_end_and_rematch_leave_other_pairings_alone(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    run1 = match_runs.start_run(user=admin, programme=programme)
    made = [review.approve(user=admin, proposal=p) for p in
            s.scalars(select(Proposal).where(Proposal.run_id == run1.id)).all()]
    broken = next(p for p in made if p.mentor.specialty == "家纺缝纫")
    others = {(p.mentor_id, p.mentee_key) for p in made if p.id != broken.id}
    run2 = pairings.rematch(user=admin, pairing=broken, reason="学员外出务工")
    assert broken.status == "ended" and broken.mentor.active_pairings == 0
    active = {(p.mentor_id, p.mentee_key) for p in
              s.scalars(select(Pairing).where(Pairing.status == "active"))}
    assert active == others
    again = {(p.mentor_id, p.mentee_key) for p in
             s.scalars(select(Proposal).where(Proposal.run_id == run2.id))}
    assert (broken.mentor_id, broken.mentee_key) not in again
    assert others <= again  # the others are pinned in the new run


def test_follow_ups_and_overdue(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    run = match_runs.start_run(user=admin, programme=programme)
    props = s.scalars(select(Proposal).where(Proposal.run_id == run.id)).all()
    p1 = review.approve(user=admin, proposal=props[0], on=date(2026, 1, 5))
    p2 = review.approve(user=admin, proposal=props[1], on=date(2026, 1, 5))
    pairings.add_follow_up(user=admin, pairing=p1, data=pairings.FollowUpInput(
        on=date.today(), kind="visit", notes="上门指导修剪", income_change="300.50",
        business_started=True))
    late = [p.id for p, _ in pairings.overdue(admin, programme, days=30)]
    assert late == [p2.id]
    fu = pairings.follow_ups(p1)[0]
    assert fu.income_change_fen == 30050 and fu.business_started
    for bad, field in [("12.345", "income_change"), ("abc", "income_change")]:
        with pytest.raises(DomainError) as e:
            pairings.add_follow_up(user=admin, pairing=p1, data=pairings.FollowUpInput(
                on=date.today(), kind="visit", income_change=bad))
        assert e.value.field == field
    with pytest.raises(DomainError):
        pairings.add_follow_up(user=admin, pairing=p1, data=pairings.FollowUpInput(
            on=date(2025, 1, 1), kind="visit"))


def test_a_mentor_never_exceeds_capacity(app_ctx, world):
    s, admin = world["session"], world["admin"]
    run = match_runs.start_run(user=admin, programme=world["programme"])
    prop = s.scalar(select(Proposal).where(Proposal.run_id == run.id,
                                           Proposal.mentor.has(specialty="茶叶种植")))
    mentor = s.get(MentorProfile, prop.mentor_id)
    mentor.capacity = 0
    s.flush()
    with pytest.raises(DomainError, match="名额已满"):
        review.approve(user=admin, proposal=prop)
    assert prop.status == "proposed" and s.scalar(select(func.count(Pairing.id))) == 0


def test_town_coordinator_decides_only_in_her_town(app_ctx, world, make_user):
    s, admin = world["session"], world["admin"]
    run = match_runs.start_run(user=admin, programme=world["programme"])
    town = make_user("coordinator", region_codes=("330481107",))
    props = s.scalars(select(Proposal).where(Proposal.run_id == run.id)).all()
    xu = next(p for p in props if p.mentee_profile.person.name == "学员三")
    from matchmaker.services.errors import NotFound

    with pytest.raises(NotFound):
        review.get_proposal(town, xu.id)
    result = review.bulk_approve(user=town, run_id=run.id, min_score=-100)
    assert result.approved == 3  # the three 盐官镇 mentees only
    assert s.get(Proposal, xu.id).status == "proposed"


def test_one_run_at_a_time(app_ctx, world):
    run = MatchRun(programme=world["programme"], status="running")
    world["session"].add(run)
    world["session"].flush()
    with pytest.raises(DomainError, match="正在进行"):
        match_runs.start_run(user=world["admin"], programme=world["programme"])


def test_sms_is_logged_without_the_number(app_ctx, world, caplog):
    import logging

    from matchmaker.services import notifications

    s, admin = world["session"], world["admin"]
    run = match_runs.start_run(user=admin, programme=world["programme"])
    prop = s.scalar(select(Proposal).where(Proposal.run_id == run.id))
    review.approve(user=admin, proposal=prop)
    with caplog.at_level(logging.INFO):
        handled = notifications.deliver_pending()
    assert handled == 2
    assert {n.status for n in s.scalars(select(Notification).where(
        Notification.channel == "sms"))} == {"logged"}
    assert "138" not in caplog.text and "sms not configured" in caplog.text
    inbox = notifications.inbox(prop.mentor.person)
    assert inbox and "新的结对" in inbox[0].subject


def test_never_pairs_a_household(app_ctx, world):
    s, admin = world["session"], world["admin"]
    from matchmaker.models import Person

    mentor = s.scalar(select(Person).where(Person.name == "茶农甲"))
    mentee = s.scalar(select(Person).where(Person.name == "学员一"))
    mentor.household = mentee.household = "户0001"
    s.flush()
    run = match_runs.start_run(user=admin, programme=world["programme"])
    assert proposals_of(s, run).get("学员一", ("",))[0] != "茶农甲"
    assert run.inputs["excluded"] >= 1


def approve_all(s, admin, run):
    return [review.approve(user=admin, proposal=p) for p in
            s.scalars(select(Proposal).where(Proposal.run_id == run.id)).all()]


def test_rerun_survives_a_lowered_limit_and_keeps_pairings(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    made = approve_all(s, admin, match_runs.start_run(user=admin, programme=programme))
    programme = world["programme"]
    programme.default_capacity, programme.target_pairs = 1, 1  # below what exists
    s.flush()
    run = match_runs.start_run(user=admin, programme=programme)
    kept = {(p.mentor_id, p.mentee_key) for p in
            s.scalars(select(Proposal).where(Proposal.run_id == run.id))}
    assert kept == {(p.mentor_id, p.mentee_key) for p in made}


def test_a_mentee_whose_mentor_left_is_not_matched_again(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    run = match_runs.start_run(user=admin, programme=programme)
    prop = next(p for p in s.scalars(select(Proposal).where(Proposal.run_id == run.id))
                if p.mentee_profile.person.name == "学员一")
    review.approve(user=admin, proposal=prop)
    s.get(MentorProfile, prop.mentor_id).status = "inactive"
    s.flush()
    again = match_runs.start_run(user=admin, programme=world["programme"])
    assert "学员一" not in proposals_of(s, again)


def test_completed_pairings_are_history_not_approvals(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    made = approve_all(s, admin, match_runs.start_run(user=admin, programme=programme))
    pairings.close_pairing(user=admin, pairing=made[0], status="completed")
    run = match_runs.start_run(user=admin, programme=world["programme"])
    statuses = {p.mentee_key: p.status for p in
                s.scalars(select(Proposal).where(Proposal.run_id == run.id))}
    assert statuses.get(made[0].mentee_key) in (None, "proposed")
    assert all(statuses[p.mentee_key] == "approved" for p in made[1:])


def test_learning_counts_each_decision_once(app_ctx, world):
    from matchmaker.services import learning

    s, admin, programme = world["session"], world["admin"], world["programme"]
    run = match_runs.start_run(user=admin, programme=programme)
    props = s.scalars(select(Proposal).where(Proposal.run_id == run.id)).all()
    review.approve(user=admin, proposal=props[0])
    review.reject(user=admin, proposal=props[1], reason="不合适")
    assert len(learning.decisions(world["programme"])) == 2
    match_runs.start_run(user=admin, programme=world["programme"])
    match_runs.start_run(user=admin, programme=world["programme"])
    assert len(learning.decisions(world["programme"])) == 2


def test_swap_refuses_a_full_mentor_and_a_decided_proposal(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    run = match_runs.start_run(user=admin, programme=programme)
    props = {p.mentee_profile.person.name: p for p in
             s.scalars(select(Proposal).where(Proposal.run_id == run.id))}
    review.approve(user=admin, proposal=props["学员一"])  # 茶农甲 is now full
    target = props["学员四"]
    full = s.get(Proposal, props["学员一"].id).mentor_id
    assert s.get(MentorProfile, full).capacity == 1 and target.mentor_id != full
    with pytest.raises(DomainError, match="名额"):
        review.swap(user=admin, proposal=target, mentor_id=full)
    with pytest.raises(DomainError):
        review.swap(user=admin, proposal=s.get(Proposal, props["学员一"].id),
                    mentor_id=target.mentor_id)


def test_rematch_is_all_or_nothing(app_ctx, world):
    s, admin, programme = world["session"], world["admin"], world["programme"]
    made = approve_all(s, admin, match_runs.start_run(user=admin, programme=programme))
    s.add(MatchRun(programme_id=world["programme"].id, status="queued"))
    s.flush()
    with pytest.raises(DomainError, match="正在进行"):
        pairings.rematch(user=admin, pairing=made[0], reason="外出务工")
    assert s.get(Pairing, made[0].id).status == "active"
    assert s.get(MentorProfile, made[0].mentor_id).active_pairings >= 1


def test_bad_follow_up_amounts_and_capacity_below_pairings(app_ctx, world):
    from matchmaker.services import people

    s, admin, programme = world["session"], world["admin"], world["programme"]
    made = approve_all(s, admin, match_runs.start_run(user=admin, programme=programme))
    for bad in ("Infinity", "NaN", "1e400"):
        with pytest.raises(DomainError):
            pairings.add_follow_up(user=admin, pairing=made[0], data=pairings.FollowUpInput(
                on=date.today(), kind="visit", income_change=bad))
    mentor = s.get(MentorProfile, made[0].mentor_id)
    with pytest.raises(DomainError, match="不能少于"):
        people.update_profile(profile=mentor, kind="mentor", fields={"capacity": 0})
