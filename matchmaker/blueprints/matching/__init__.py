from flask import Blueprint

bp = Blueprint("matching", __name__, template_folder="templates")

from matchmaker.blueprints.matching import routes  # noqa: E402,F401
