from flask import Blueprint

bp = Blueprint("service", __name__, template_folder="templates")

from matchmaker.blueprints.service import routes  # noqa: E402,F401
