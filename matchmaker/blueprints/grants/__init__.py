from flask import Blueprint

bp = Blueprint("grants", __name__, url_prefix="/funds", template_folder="templates")

from matchmaker.blueprints.grants import routes  # noqa: E402,F401
