from flask import Blueprint

bp = Blueprint("volunteers", __name__, template_folder="templates")

from matchmaker.blueprints.volunteers import routes  # noqa: E402,F401
