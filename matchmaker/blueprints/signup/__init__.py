from flask import Blueprint

bp = Blueprint("signup", __name__, template_folder="templates")

from matchmaker.blueprints.signup import routes  # noqa: E402,F401
