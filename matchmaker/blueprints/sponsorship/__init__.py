from flask import Blueprint

bp = Blueprint("sponsorship", __name__, template_folder="templates")

from matchmaker.blueprints.sponsorship import routes  # noqa: E402,F401
