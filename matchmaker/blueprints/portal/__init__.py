from flask import Blueprint

bp = Blueprint("portal", __name__, template_folder="templates")

from matchmaker.blueprints.portal import routes  # noqa: E402,F401
