"""Command-line tools: ``.venv/bin/matchmaker …`` (a Flask CLI group).

The commands call the same operations as the web and commit once at the end.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from matchmaker.extensions import db


def _create_app() -> Flask:
    from matchmaker import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """matchmaker — 妇联结对帮扶与专项资金分配服务."""


def _atomic_write(path: str, text: str) -> None:
    """Write all or nothing: a temporary file beside the target, then rename."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".matchmaker-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only when the database holds no people or users.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo county (海宁市), its people and the demo accounts. Idempotent."""
    from matchmaker.services import audit, demo

    with audit.acting_as(audit.Actor(None, "seed-demo")):
        if if_empty and not demo.is_empty():
            click.echo("数据库已有数据，未加载演示数据。")
            return
        result = demo.seed_demo()
        db.session.commit()
    if result.total == 0:
        click.echo("演示数据已存在，没有新增。")
    else:
        details = "，".join(f"{k} {v}" for k, v in sorted(result.created.items()))
        click.echo(f"已加载演示数据：{details}")


@click.command("demo-accounts")
@with_appcontext
def demo_accounts_command() -> None:
    """Print the demo accounts and their password."""
    from matchmaker.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for acc in DEMO_ACCOUNTS:
        click.echo(f"  {acc.username:<18} {acc.display_name}（{acc.scope}）")


@click.command("create-user")
@with_appcontext
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["admin", "coordinator", "volunteer", "donor"]),
              required=True)
@click.option("--region", "region_codes", multiple=True, help="Region code (coordinators).")
@click.option("--display-name", default="")
@click.password_option()
def create_user_command(username: str, role: str, region_codes: tuple[str, ...],
                        display_name: str, password: str) -> None:
    """Create a user account (the first admin of a production install, for instance)."""
    from sqlalchemy import select

    from matchmaker.models import Region
    from matchmaker.services import audit, users
    from matchmaker.services.errors import DomainError

    regions = list(db.session.scalars(select(Region).where(Region.code.in_(region_codes))))
    if len(regions) != len(set(region_codes)):
        raise click.UsageError("未知的地区代码")
    with audit.acting_as(audit.Actor(None, "cli")):
        try:
            users.create_user(username=username, password=password, role=role,
                              display_name=display_name, regions=regions)
        except DomainError as e:
            raise click.UsageError(e.message) from None
        db.session.commit()
    click.echo(f"已创建账号 {username}")


def _account(username: str):
    from sqlalchemy import select

    from matchmaker.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.UsageError(f"找不到账号 {username}")
    return user


@click.command("unlock-user")
@with_appcontext
@click.argument("username")
def unlock_user_command(username: str) -> None:
    """Lift a login lockout (for an administrator who locked herself out, say)."""
    from matchmaker.services import audit, users

    user = _account(username)
    with audit.acting_as(audit.Actor(None, "cli")):
        was_locked = users.locked(user)
        users.unlock(user)
        db.session.commit()
    click.echo(f"已解除 {username} 的登录锁定" if was_locked else f"{username} 没有被锁定")


@click.command("set-password")
@with_appcontext
@click.argument("username")
@click.password_option()
def set_password_command(username: str, password: str) -> None:
    """Give an account a new password (which also lifts any lockout)."""
    from matchmaker.services import audit, users
    from matchmaker.services.errors import DomainError

    user = _account(username)
    with audit.acting_as(audit.Actor(None, "cli")):
        try:
            users.set_password(user=user, password=password)
        except DomainError as e:
            raise click.UsageError(e.message) from None
        audit.record("set_password", target_type="user_account", target_id=user.id)
        db.session.commit()
    click.echo(f"已为 {username} 设置新密码")


@contextmanager
def _solver_quiet():
    """Keep native solver chatter off standard output, which carries the JSON result
    (HiGHS 1.12 in SciPy prints some MIP messages even with disp=False)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def _json_command(input_path: str, output_path: str | None, run, error_type) -> None:
    """Read JSON, run, write JSON: exit 2 with one line and no output file on bad input."""
    try:
        with open(input_path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        click.echo(f"错误：无法读取输入文件 {input_path}（{e.__class__.__name__}）", err=True)
        sys.exit(2)
    try:
        with _solver_quiet():
            result = run(text)
    except error_type as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(2)
    out = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if output_path:
        _atomic_write(output_path, out)
    else:
        click.echo(out, nl=False)


def _json_io(command):
    """The arguments every JSON command takes: INPUT.json and -o OUTPUT.json."""
    command = click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False),
                           help="Write the result here instead of standard output.")(command)
    return click.argument("input_path", type=click.Path(dir_okay=False))(command)


@click.command("solve")
@_json_io
def solve_command(input_path: str, output_path: str | None) -> None:
    """Solve a pairing problem given as JSON (format in the README): exact optimum."""
    from matchmaker.matching.jsonio import InputError, solve_json_text

    _json_command(input_path, output_path, solve_json_text, InputError)


@click.command("allocate")
@_json_io
def allocate_command(input_path: str, output_path: str | None) -> None:
    """Choose grant recipients within a budget, given as JSON (format in the README)."""
    from matchmaker.matching.allocation_json import InputError, allocate_json_text

    _json_command(input_path, output_path, allocate_json_text, InputError)


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run an RQ worker for large match runs (needs REDIS_URL)."""
    from flask import current_app
    from rq import Worker

    from matchmaker.jobs import queue

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("请先设置 REDIS_URL（未设置时匹配在请求中直接完成）")
    q = queue()
    Worker([q], connection=q.connection).work(with_scheduler=False)


@click.command("send-notifications")
@with_appcontext
def send_notifications_command() -> None:
    """Hand pending SMS notifications to the gateway (or log them when none is set)."""
    from matchmaker.services import audit, notifications

    with audit.acting_as(audit.Actor(None, "cli")):
        n = notifications.deliver_pending(limit=10_000)
        db.session.commit()
    click.echo(f"已处理 {n} 条通知")


@click.command("lapse-pledges")
@with_appcontext
@click.option("--today", "today_raw", default="", metavar="YYYY-MM-DD",
              help="Treat this day as today (default: today in the federation's time zone).")
def lapse_pledges_command(today_raw: str) -> None:
    """Lapse Spring Bud pledges past their end date; their girls are flagged for the
    continuity reserve until a new sponsor is found."""
    from datetime import date

    from matchmaker.services import audit, clock, pledges

    try:
        today = date.fromisoformat(today_raw) if today_raw else clock.today()
    except ValueError:
        raise click.UsageError("日期格式应为 YYYY-MM-DD") from None
    with audit.acting_as(audit.Actor(None, "cli")):
        lapsed = pledges.lapse_due(today=today)
        lines = [f"  承诺 #{p.id} {pledges.donor_name(p.donor)}（{p.ends_on} 到期）"
                 for p in lapsed]
        db.session.commit()
    click.echo(f"已中断 {len(lapsed)} 项到期的捐助承诺")
    for line in lines:
        click.echo(line)


def _print_import_report(report, *, label: str) -> None:
    mode = "导入" if report.committed else "试运行（未写入）"
    click.echo(f"{label} {mode}：共 {report.rows} 行；新增 {report.created}，"
               f"更新 {report.updated}，重复跳过 {report.skipped}，"
               f"有问题 {report.problem_rows} 行")
    if report.committed and not report.written:
        click.echo("已选择“全部或全不”：发现问题，未写入任何数据")
    for p in report.problems:
        click.echo(f"第 {p.row} 行 · {p.column or '—'} · {p.value or '（空）'} · {p.reason}")


@click.command("import")
@with_appcontext
@click.argument("kind")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--commit", "do_commit", is_flag=True, help="Write the valid rows (else a dry run).")
@click.option("--all-or-nothing", is_flag=True, help="With --commit: any problem, nothing written.")
@click.option("--as", "username", default="", help="Import as this user (else the first admin).")
def import_command(kind: str, path: str, do_commit: bool, all_or_nothing: bool,
                   username: str) -> None:
    """Import a registry (KIND: volunteers, mentors, mentees, spring-buds, donors, or their
    keys) from an .xlsx or .csv FILE. A dry run unless --commit. Exit 0: all imported (or no
    problem found), 1: some rows had problems, 2: the file could not be read."""
    from flask import current_app
    from sqlalchemy import select

    from matchmaker.models import User
    from matchmaker.services import audit, registry_import
    from matchmaker.services.registries import BY_KEY, REGISTRIES
    from matchmaker.services.spreadsheets import UnreadableFile, open_table

    reg = REGISTRIES.get(kind) or BY_KEY.get(kind.replace("-", "_"))
    if reg is None:
        raise click.UsageError(f"未知的登记类型：{kind}（可用：{'、'.join(REGISTRIES)}）")
    stmt = select(User).where(User.username == username) if username else \
        select(User).where(User.role == "admin").order_by(User.id).limit(1)
    user = db.session.scalar(stmt)
    if user is None or not user.has_role("admin", "coordinator"):
        raise click.UsageError("找不到可导入的管理员或协调员账号")
    try:
        with open(path, "rb") as fh:
            with audit.acting_as(audit.Actor(user.id, user.username)):
                table = open_table(fh, os.path.basename(path),
                                   max_rows=current_app.config.get("IMPORT_MAX_ROWS"),
                                   max_bytes=current_app.config.get("MAX_CONTENT_LENGTH"))
                if do_commit:
                    report = registry_import.commit(user, reg.key, table, all_or_nothing)
                else:
                    report = registry_import.dry_run(user, reg.key, table)
                db.session.commit()
    except OSError as e:
        click.echo(f"错误：无法读取文件 {path}（{e.__class__.__name__}）", err=True)
        sys.exit(2)
    except UnreadableFile as e:
        db.session.rollback()
        for message in getattr(e, "messages", [e.message]):
            click.echo(f"错误：{message}", err=True)
        sys.exit(2)
    _print_import_report(report, label=reg.label)
    sys.exit(1 if report.problems else 0)


@click.command("purge")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="List what is past retention; change nothing.")
@click.option("--today", "today_raw", default="", metavar="YYYY-MM-DD",
              help="Treat this day as today (default: today in the federation's time zone).")
def purge_command(dry_run: bool, today_raw: str) -> None:
    """List what is past its retention period (RETENTION_YEARS), then — unless --dry-run —
    erase those people (anonymised where financial records must be kept) and delete old
    notifications, used or expired links, old audit events and stale import files."""
    from datetime import date

    from matchmaker.services import audit, clock, retention

    try:
        today = date.fromisoformat(today_raw) if today_raw else clock.today()
    except ValueError:
        raise click.UsageError("日期格式应为 YYYY-MM-DD") from None
    with audit.acting_as(audit.Actor(None, "cli")):
        report = retention.purge(today, dry_run=dry_run)
        db.session.commit()
    labels = {"delete": "删除", "anonymise": "匿名化"}
    for line in report.lines:
        click.echo(f"  {line.key} · {labels.get(line.action, line.action)} · {line.why}")
    mode = "试运行（未改动）" if dry_run else "已处理"
    click.echo(f"{mode}：共 {len(report.lines)} 项超过保存期限")


def register_commands(app: Flask) -> None:
    for command in (seed_demo_command, demo_accounts_command, create_user_command,
                    unlock_user_command, set_password_command, worker_command,
                    send_notifications_command, lapse_pledges_command, purge_command):
        app.cli.add_command(command)
    app.cli.add_command(import_command)


main.add_command(solve_command)
main.add_command(allocate_command)
