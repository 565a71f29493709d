from flask import Blueprint

bp = Blueprint("springbud", __name__, template_folder="templates")

from matchmaker.blueprints.springbud import routes  # noqa: E402,F401
