"""Recruitment posters (扫码报名): a QR code of the public sign-up link, optionally set to
a town or an activity in the coordinator's regions."""

from __future__ import annotations

import io

import segno
from flask_babel import gettext as _
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import Activity, Region, User
from matchmaker.models.base import utcnow
from matchmaker.services.errors import NotFound
from matchmaker.services.scope import assignable_regions, in_scope, region_filter


def qr_svg(url: str, *, scale: int = 8) -> str:
    """The QR code of ``url`` as an inline ``<svg>`` element (pure: no app, no database).

    Error correction M survives a crease or a smudge on a printed poster; the white quiet
    zone is drawn, so the code scans on coloured paper too. ``viewBox`` lets CSS size it.
    """
    qr = segno.make(url, error="m")
    return qr.svg_inline(scale=scale, unit="px", light="#fff", svgclass="qr",
                         title=url)


def qr_svg_file(url: str, *, scale: int = 10) -> bytes:
    """The same code as a standalone SVG file (with its XML declaration) for a print shop."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, light="#fff", title=url)
    return out.getvalue()


def poster_regions(user: User) -> list[Region]:
    """Towns a poster may be set to: the towns in her regions; a coordinator of single
    villages gets those villages instead."""
    regions = assignable_regions(user)
    towns = [r for r in regions if r.level == "town"]
    return towns or [r for r in regions if r.level == "village"]


def poster_activities(user: User) -> list[Activity]:
    """Open activities in her regions that are yet to start, soonest first."""
    stmt = (select(Activity).join(Region, Activity.region_id == Region.id)
            .where(Activity.status == "open", Activity.starts_at > utcnow())
            .order_by(Activity.starts_at, Activity.id))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    return list(db.session.scalars(stmt))


def poster_target(user: User, *, town_code: str = "", activity_id: int | None = None
                  ) -> tuple[Region | None, Activity | None]:
    """The town and activity a poster is for, each optional, both in the user's regions;
    anything else is ``NotFound`` naming the field at fault."""
    town = None
    if town_code:
        town = next((r for r in poster_regions(user) if r.code == town_code), None)
        if town is None:
            raise NotFound(_("镇（街道）不存在或不在您负责的范围内"), field="town")
    activity = None
    if activity_id is not None:
        activity = next((a for a in poster_activities(user) if a.id == activity_id), None)
        if activity is None or not in_scope(user, activity.region):
            raise NotFound(_("活动不存在、已结束或不在您负责的范围内"), field="activity")
        if town is not None and not town.contains(activity.region) \
                and not activity.region.contains(town):
            raise NotFound(_("该活动不在所选镇（街道）"), field="activity")
    return town, activity
