from flask import Blueprint

bp = Blueprint("registry", __name__, template_folder="templates")

from matchmaker.blueprints.registry import routes  # noqa: E402,F401
