"""gunicorn settings for production (read from the working directory by default:
``gunicorn 'matchmaker:create_app()'``). Every value can be overridden on the command line.
"""

import multiprocessing
import os

bind = os.environ.get("MATCHMAKER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MATCHMAKER_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
# A 100,000-row roster imports or exports in about a minute inside its request; gunicorn's
# default of 30 s would kill the worker halfway (the transaction is rolled back, so nothing
# is half-written, but the work is lost). Match runs and allocations large enough to take
# longer go to the RQ worker instead.
timeout = int(os.environ.get("MATCHMAKER_TIMEOUT", 300))
graceful_timeout = 30
# Uploads are read whole by the app (MAX_CONTENT_LENGTH); keep request lines sane.
limit_request_line = 8190
# The access log must not carry one-time set-password tokens (they are in that page's
# path): log no request lines; the app's audit log records what matters.
accesslog = None
errorlog = "-"
# gunicorn 25+ opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl):
# two instances on one machine would share it. Nothing here uses it.
control_socket_disable = True
