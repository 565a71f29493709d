from flask import Blueprint

bp = Blueprint("donor", __name__, template_folder="templates")

from matchmaker.blueprints.donor import routes  # noqa: E402,F401
