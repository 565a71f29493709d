"""kill -9 of the server in the middle of approving a trial allocation of a few thousand
grant applications: after a restart either none or all of the awards exist, the fund's
reserved money matches its awards exactly, and the approval runs again to completion."""

from __future__ import annotations

import json
import time

from sqlalchemy import insert, select

from tests.faults.site import InFlight, WriteWatch, wait_until

APPLICATIONS = 20_000  # enough that the approval is still writing when it is killed
AMOUNT_FEN = 100_000  # 1,000 yuan each


def add_fund_with_applications(site, n: int) -> int:
    """A city fund large enough for every applicant, and ``n`` new women applying."""
    from matchmaker.extensions import db
    from matchmaker.models import Application, Fund, Person, Region

    app = site.test_app()
    with app.app_context():
        city = db.session.scalar(select(Region).where(Region.level == "city"))
        villages = list(db.session.scalars(select(Region.id).where(Region.level == "village")))
        fund = Fund(name="故障演练帮扶资金", year=2026, kind="material_aid", region=city,
                    budget_fen=n * AMOUNT_FEN, rule="standard", standard_fen=AMOUNT_FEN,
                    eligibility={"pool": "mentee"})
        db.session.add(fund)
        db.session.flush()
        person_ids = db.session.scalars(insert(Person).returning(Person.id), [
            {"name": f"演练申请人{i}", "gender": "F", "region_id": villages[i % len(villages)],
             "status": "active"} for i in range(n)]).all()
        db.session.execute(insert(Application), [
            {"fund_id": fund.id, "person_id": pid, "amount_fen": AMOUNT_FEN,
             "status": "submitted", "hardship": 1 + i % 5, "household_size": 1 + i % 6,
             "plan_score": i % 6, "priority": (i % 97) / 97} for i, pid in enumerate(person_ids)])
        fund_id = fund.id
        db.session.commit()
    with app.app_context():
        db.engine.dispose()
    return fund_id


def ledger_problems(probe) -> list[str]:
    """Every fund's reserved and paid totals against its awards and payments, and every
    application's status against its award: a list of what does not add up."""
    problems = []
    for fund_id, reserved, paid, owed, payments in probe.rows(
            "SELECT f.id, f.reserved_fen, f.paid_fen, "
            "COALESCE((SELECT SUM(a.amount_fen - a.paid_fen) FROM award a "
            "          WHERE a.fund_id = f.id AND a.status = 'approved'), 0), "
            "COALESCE((SELECT SUM(d.amount_fen) FROM disbursement d "
            "          WHERE d.fund_id = f.id), 0) FROM fund f ORDER BY f.id"):
        if reserved != owed:
            problems.append(f"fund {fund_id}: reserved {reserved} but awards owe {owed}")
        if paid != payments:
            problems.append(f"fund {fund_id}: paid {paid} but payments sum to {payments}")
    orphans = probe.count("application ap", "(ap.status = 'awarded') <> EXISTS "
                          "(SELECT 1 FROM award a WHERE a.application_id = ap.id)")
    if orphans:
        problems.append(f"{orphans} applications whose status disagrees with their awards")
    return problems


def test_kill_during_approval_leaves_none_or_all(site):
    server, probe = site.server, site.probe
    fund_id = add_fund_with_applications(site, APPLICATIONS)
    server.start()
    coordinator = site.browser("coordinator")
    assert ledger_problems(probe) == []  # the demo's books balance to begin with

    trial = coordinator.post(f"/funds/{fund_id}/trials",
                             {"csrf_token": coordinator.csrf("/funds/"), "policy": "ranked"},
                             timeout=120)
    assert trial.status == 302
    run_id, results = probe.rows("SELECT id, results FROM allocation_run WHERE fund_id = ? "
                                 "ORDER BY id DESC", (fund_id,))[0]
    results = results if isinstance(results, dict) else json.loads(results)
    funded = len(results["funded"])
    assert funded == APPLICATIONS  # the budget covers everyone
    before_audit = probe.count("audit_event")

    # On SQLite the request holds the write lock from its first query, a second before it
    # writes an award: only pages of awards spilled into the WAL prove it is writing.
    watch = WriteWatch(site, "award", cpu_seconds=None)
    approve = InFlight(lambda: coordinator.post(
        f"/funds/trials/{run_id}/approve", {"csrf_token": coordinator.csrf("/funds/")},
        timeout=300))
    sent = time.monotonic()
    approve.start()
    evidence = wait_until(watch, timeout=120,
               what="the approval to write uncommitted awards")
    assert approve.is_alive() and probe.count("award", "fund_id = ?", (fund_id,)) == 0
    writing_after = time.monotonic() - sent
    server.kill()
    approve.join(timeout=10)
    assert approve.response is None and approve.error is not None

    restart = server.start()
    awards = probe.count("award", "fund_id = ?", (fund_id,))
    assert awards in (0, funded), f"{awards} of {funded} awards: half an approval"
    assert awards == 0  # killed before the commit, as the wait above made sure
    assert probe.scalar("SELECT reserved_fen FROM fund WHERE id = ?", (fund_id,)) == 0
    assert probe.count("application", "fund_id = ? AND status = 'submitted'",
                       (fund_id,)) == APPLICATIONS
    assert probe.count("audit_event") == before_audit
    assert ledger_problems(probe) == []
    assert probe.integrity() == "ok"
    assert coordinator.get("/funds/").status == 200

    # The same approval again, to the end: every award, and the books still balance.
    began = time.monotonic()
    again = coordinator.post(f"/funds/trials/{run_id}/approve",
                             {"csrf_token": coordinator.csrf("/funds/")}, timeout=300)
    approve_took = time.monotonic() - began
    assert again.status == 302
    assert probe.count("award", "fund_id = ? AND status = 'approved'", (fund_id,)) == funded
    assert probe.scalar("SELECT reserved_fen FROM fund WHERE id = ?",
                        (fund_id,)) == funded * AMOUNT_FEN
    assert ledger_problems(probe) == []
    # A third time changes nothing: each application is awarded once.
    assert coordinator.post(f"/funds/trials/{run_id}/approve",
                            {"csrf_token": coordinator.csrf("/funds/")},
                            timeout=300).status == 302
    assert probe.count("award", "fund_id = ?", (fund_id,)) == funded
    assert ledger_problems(probe) == []
    print(f"\n[{site.backend}] approval of {funded} awards: killed {writing_after:.2f} s "
          f"after it was sent ({evidence}); restart {restart:.2f} s; full approval afterwards "
          f"{approve_took:.2f} s")
