from flask import Blueprint

bp = Blueprint("imports", __name__, template_folder="templates")

from matchmaker.blueprints.imports import routes  # noqa: E402,F401
