"""Gunicorn settings shared by the Procfile, `make run` and the benchmark.

Gunicorn reads this file from the working directory by itself. It already
takes PORT from the environment (bind 0.0.0.0:$PORT when set).
"""

import os
import secrets
import tempfile

# Metrics add up over every worker through files in PROMETHEUS_MULTIPROC_DIR
# (prometheus-client's multiprocess mode, see app/metrics.py). The mode is
# chosen when prometheus_client is first imported, so this comes before any
# import of the service. Without a directory given, each start of gunicorn
# makes a temporary one, removed at exit; one given is emptied at start, so it
# must belong to this gunicorn alone. (A reload by SIGHUP re-reads this file
# with the variable already set: the directory, and the counts, are kept.)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sessionator-metrics-")
    os.environ["SESSIONATOR_TEMPORARY_METRICS_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The console (/console) signs its cookies with CONSOLE_SECRET, which every worker must
# share. Without one given, each start of gunicorn makes one here, in the master, before
# the workers fork: sign-ins then end when the service restarts (a SIGHUP reload keeps it).
if not os.environ.get("CONSOLE_SECRET"):
    os.environ["CONSOLE_SECRET"] = secrets.token_urlsafe(32)

# Gunicorn reads WEB_CONCURRENCY itself but defaults to 1; our contract says 2.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# gthread, but a request reaches a thread only once it has arrived whole, so
# slow or stalled clients cost a socket, not a thread (app/server/worker.py).
# Threads let one worker keep HTTP keep-alive connections open while waiting
# on Redis; the work per request is short, so a few are enough.
worker_class = "app.server.worker.ReadAheadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
keepalive = 5

# No access log (it would write every path, and so every session id) and no
# client bytes in gunicorn's own warnings: app/server/logger.py.
logger_class = "app.server.logger.ServiceLogger"

# Each worker gets its own listening socket and the kernel spreads new
# connections across them; with one shared socket, a burst of connections
# (a client's pool opening) mostly lands on whichever worker wakes first.
reuse_port = True

# Request limits, checked by gunicorn before the app sees a byte (bodies are
# bounded by the app, per namespace, before parsing). The contract's longest
# request line is a read of 100 namespaces of 128 characters by a session id
# of 256: about 14.3 KiB. Gunicorn caps any request-line limit at its
# MAX_REQUEST_LINE (8190), and 0 means no limit at all, so the cap is raised
# to 16 KiB here and the limit set to it: a longer line is 414 uri_too_long.
import gunicorn.http.message  # noqa: E402

REQUEST_LINE_LIMIT = 16 * 1024
gunicorn.http.message.MAX_REQUEST_LINE = REQUEST_LINE_LIMIT
limit_request_line = REQUEST_LINE_LIMIT
limit_request_fields = 50
limit_request_field_size = 8190

# A worker stuck longer than this is replaced; requests take milliseconds.
timeout = 30
graceful_timeout = 30

# Gunicorn 24+ opens a control socket at ~/.gunicorn/gunicorn.ctl by default;
# we do not use it, and two instances on one machine would share that path.
control_socket_disable = True

# Requests gunicorn refuses itself (malformed HTTP, oversized headers) get the
# contract's JSON error body instead of gunicorn's HTML page.
from app.server.errors import install  # noqa: E402

install()

# Gunicorn's own lines are JSON like the service's, at LOG_LEVEL (the app
# refuses a bad value, naming it; gunicorn logs at INFO meanwhile).
from gunicorn.arbiter import Arbiter  # noqa: E402
from gunicorn.workers.base import Worker  # noqa: E402

from app import metrics  # noqa: E402
from app.config import LOG_LEVELS  # noqa: E402
from app.server import store_check  # noqa: E402
from app.server.logger import log_config  # noqa: E402

_level = os.environ.get("LOG_LEVEL", "INFO")
logconfig_dict = log_config(_level if _level in LOG_LEVELS else "INFO")


def on_starting(server: Arbiter) -> None:
    """Master, once: forget the counts of a previous run."""
    metrics.empty_multiprocess_dir()


def when_ready(server: Arbiter) -> None:
    """Master, once, before the workers start: warn if Redis may drop sessions."""
    store_check.warn_if_store_may_lose_data()


def child_exit(server: Arbiter, worker: Worker) -> None:
    """Master: a worker exited; drop its gauges from the metrics."""
    metrics.worker_exited(worker.pid)


def on_exit(server: Arbiter) -> None:
    """Master, at shutdown: remove the metrics directory if this file made it."""
    metrics.remove_temporary_dir()


def pre_request(worker: Worker, req: object) -> None:
    """Nothing: gunicorn's default logs each request's method and path (so its session id)."""


def worker_exit(server: Arbiter, worker: Worker) -> None:
    """Worker, as it exits: add the rate counts it has not synced yet to the shared ones."""
    from app.access.ratelimit import RateLimiter

    for limiter in list(RateLimiter.live):
        limiter.close()
