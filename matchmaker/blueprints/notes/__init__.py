from flask import Blueprint

bp = Blueprint("notes", __name__, template_folder="templates")

from matchmaker.blueprints.notes import routes  # noqa: E402,F401
