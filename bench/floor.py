"""The framework floor: the least a Flask app on redis-py can do per request.

bench/run.py serves this module exactly like the service (same gunicorn
config, workers and Redis) and compares every scenario with it, so the ratio
service/floor shows what Sessionator adds on top of Flask + gunicorn +
redis-py + one Redis command. A ratio near 1 leaves nothing to win in the
service's own code.

Deliberately not built like the service: no factory, no validation, no error
JSON, and a module-level client (which the service's style forbids), because
anything more would raise the floor.
"""

import os

import redis
from flask import Flask, Response, request

app = Flask(__name__)
client = redis.Redis.from_url(os.environ["REDIS_URL"])

FIELD = "doc"


def key(sid: str) -> str:
    """The Redis hash holding one floor session."""
    return f"floor:{sid}"


@app.get("/floor/<sid>")
def read(sid: str) -> Response:
    """One HGET; the stored bytes are returned as they are."""
    value = client.hget(key(sid), FIELD)
    if value is None:
        return Response(b'{"error": "not_found"}', status=404, mimetype="application/json")
    return Response(value, mimetype="application/json")


@app.put("/floor/<sid>")
def write(sid: str) -> Response:
    """One HSET of the request body, echoed back."""
    body = request.get_data()
    client.hset(key(sid), FIELD, body)
    return Response(body, mimetype="application/json")
