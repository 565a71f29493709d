from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from matchmaker.blueprints.auth import routes  # noqa: E402,F401
