"""`matchmaker purge [--dry-run] [--today]`: lists what is past retention, acts without
--dry-run."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from matchmaker.models import Notification, Person, VolunteerProfile


def test_purge_command(app, session, make_person):
    gone = make_person("邹晓岚", mobile="13600000009")
    vol = VolunteerProfile(person=gone, team="文明传播", status="inactive")
    keep = make_person("陆敏", mobile="13600000008")
    session.add_all([vol, Notification(person_id=keep.id, channel="inapp", subject="旧", body="x",
                                       created_at=datetime(2024, 1, 1, tzinfo=UTC))])
    session.flush()
    old = datetime(2024, 1, 1, tzinfo=UTC)
    session.execute(update(Person).where(Person.id == gone.id).values(updated_at=old))
    session.execute(update(VolunteerProfile).where(VolunteerProfile.id == vol.id)
                    .values(updated_at=old))
    gone_id, keep_id = gone.id, keep.id
    note_id = session.scalar(Notification.__table__.select().with_only_columns(
        Notification.id).where(Notification.person_id == keep.id))
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["purge", "--dry-run", "--today", "2028-01-02"])
    assert dry.exit_code == 0, dry.output
    assert f"person:{gone_id}" in dry.output and f"notification:{note_id}" in dry.output
    assert "试运行" in dry.output and "邹晓岚" not in dry.output
    session.expire_all()
    assert session.get(Person, gone_id) is not None

    early = runner.invoke(args=["purge", "--dry-run", "--today", "2026-12-31"])
    assert f"person:{gone_id}" not in early.output  # 3 years not yet passed

    done = runner.invoke(args=["purge", "--today", "2028-01-02"])
    assert done.exit_code == 0, done.output
    assert "已处理" in done.output
    session.expire_all()
    assert session.get(Person, gone_id) is None
    assert session.get(Notification, note_id) is None
    assert session.get(Person, keep_id) is not None

    bad = runner.invoke(args=["purge", "--today", "1/2/2028"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
