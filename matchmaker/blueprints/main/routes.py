from flask import render_template
from flask_login import current_user, login_required

from matchmaker.blueprints.main import bp
from matchmaker.services import dashboard, notifications, people


@bp.get("/")
@login_required
def home():
    """Each role lands on its own page."""
    if current_user.has_role("admin", "coordinator"):
        return render_template("main/home_staff.html", summary=dashboard.summary(current_user))
    person = current_user.person
    profiles = people.profiles_of(person) if person is not None else {}
    inbox = notifications.inbox(person) if person is not None else []
    return render_template(f"main/home_{current_user.role}.html", person=person,
                           profiles=profiles, inbox=inbox)
