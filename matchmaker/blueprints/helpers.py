"""Things every blueprint's routes and templates share: role checks and display filters."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user, login_required

from matchmaker.models.consent import CONSENT_PURPOSE_LABELS
from matchmaker.models.fund import APPLICATION_STATUS_LABELS
from matchmaker.models.match_run import PROPOSAL_STATUS_LABELS, RUN_STATUS_LABELS
from matchmaker.models.pairing import FOLLOW_UP_LABELS, PAIRING_STATUS_LABELS
from matchmaker.models.person import GENDER_LABELS, STATUS_LABELS
from matchmaker.models.profiles import (
    AVAILABILITY_LABELS,
    DONOR_KIND_LABELS,
    INDUSTRY_LABELS,
    MENTEE_KIND_LABELS,
    MENTOR_KIND_LABELS,
    VOLUNTEER_STATUS_LABELS,
)
from matchmaker.models.region import LEVEL_LABELS
from matchmaker.models.sponsorship import (
    LETTER_STATUS_LABELS,
    NOTE_STATUS_LABELS,
    PAYMENT_SOURCE_LABELS,
    PLEDGE_PERIOD_LABELS,
    PLEDGE_STATUS_LABELS,
    SPONSORSHIP_STATUS_LABELS,
)
from matchmaker.models.user import ROLE_LABELS
from matchmaker.models.volunteering import (
    ACTIVITY_STATUS_LABELS,
    HOURS_STATUS_LABELS,
    REQUEST_STATUS_LABELS,
    SIGNUP_STATUS_LABELS,
)
from matchmaker.services.money import to_yuan
from matchmaker.services.privacy import mask_id_tail, mask_mobile


def roles_required(*roles: str) -> Callable:
    """Log in first (302 to /login), then refuse other roles with 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _label(mapping: dict[str, str]) -> Callable[[str | None], str]:
    """A filter showing a code's label, translated (labels are marked with N_)."""
    return lambda value: gettext(mapping[value]) if value in mapping else (value or "")


def _feature(key: str | None) -> str:
    from matchmaker.matching.scoring import FEATURE_LABELS

    label = FEATURE_LABELS.get(key or "")
    if label is None:
        return key or ""
    return label.en if str(get_locale()) == "en" else label.zh


def _availability(value: str | None) -> str:
    return gettext("、").join(
        gettext(AVAILABILITY_LABELS.get(a, a)) for a in (value or "").split(",") if a)


def _local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time in the federation's local time."""
    from matchmaker.services.clock import to_local

    return to_local(value).strftime(fmt) if value else ""


def _hours(minutes: int | None) -> str:
    """Minutes as hours with one decimal, rounded half up (315 → 5.3), as in the reports."""
    from matchmaker.services.hours import hours_of

    return str(hours_of(minutes or 0))


_DIGITS = {n: re.compile(f"[0-9]{{1,{n}}}") for n in (9, 12)}


def int_arg(raw: object, *, digits: int = 9) -> int | None:
    """An id (or page, year…) from a form or query string: ASCII digits only, at most
    ``digits`` of them (so it fits the database); anything else is None. (str.isdigit
    and int() accept "²", "٣" and 10,000-digit numbers.)"""
    if not isinstance(raw, str) or not _DIGITS[digits].fullmatch(raw.strip()):
        return None
    return int(raw.strip())


def code_arg(raw: object) -> str:
    """A region code from a query string (a town: 9 digits; a village: 12), or ""."""
    return raw.strip() if isinstance(raw, str) and _DIGITS[12].fullmatch(raw.strip()) else ""


def _term_label(term: str | None) -> str:
    from matchmaker.services.terms import term_label

    return term_label(term)


def for_user(lookup: Callable, *args, **kwargs):
    """A service lookup for the current user: 404 when the record is not hers to see
    (never telling whether it exists), 403 when she may see it but not act on it."""
    from matchmaker.services.errors import Forbidden, NotFound

    try:
        return lookup(current_user, *args, **kwargs)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths, so a form's "next" cannot send anyone elsewhere."""
    from urllib.parse import urlsplit

    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default


def url_with(**changes: object) -> str:
    """This page's URL with some query arguments changed (for pagers and sort links)."""
    args = request.args.to_dict()
    args.update({k: str(v) for k, v in changes.items()})
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["t"] = gettext  # translate a label marked with N_
    app.jinja_env.filters.update(
        mask_mobile=mask_mobile,
        mask_id=mask_id_tail,
        gender=_label(GENDER_LABELS),
        status=_label(STATUS_LABELS),
        role=_label(ROLE_LABELS),
        level=_label(LEVEL_LABELS),
        industry=_label(INDUSTRY_LABELS),
        mentor_kind=_label(MENTOR_KIND_LABELS),
        mentee_kind=_label(MENTEE_KIND_LABELS),
        donor_kind=_label(DONOR_KIND_LABELS),
        availability=_availability,
        feature=_feature,
        yuan=lambda fen: f"{to_yuan(fen):,.2f}",
        application_status=_label(APPLICATION_STATUS_LABELS),
        run_status=_label(RUN_STATUS_LABELS),
        proposal_status=_label(PROPOSAL_STATUS_LABELS),
        pairing_status=_label(PAIRING_STATUS_LABELS),
        follow_up_kind=_label(FOLLOW_UP_LABELS),
        volunteer_status=_label(VOLUNTEER_STATUS_LABELS),
        activity_status=_label(ACTIVITY_STATUS_LABELS),
        signup_status=_label(SIGNUP_STATUS_LABELS),
        hours_status=_label(HOURS_STATUS_LABELS),
        request_status=_label(REQUEST_STATUS_LABELS),
        consent_purpose=_label(CONSENT_PURPOSE_LABELS),
        pledge_period=_label(PLEDGE_PERIOD_LABELS),
        pledge_status=_label(PLEDGE_STATUS_LABELS),
        sponsorship_status=_label(SPONSORSHIP_STATUS_LABELS),
        payment_source=_label(PAYMENT_SOURCE_LABELS),
        note_status=_label(NOTE_STATUS_LABELS),
        letter_status=_label(LETTER_STATUS_LABELS),
        hours=_hours,
        local_time=_local_time,
        term_label=_term_label,
    )
