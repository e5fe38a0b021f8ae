"""Gunicorn's start-up check of the store: warn once if Redis may lose sessions."""

from __future__ import annotations

import logging

import redis

from app.config import ConfigError, load_config
from app.logs import configure_logging
from app.store.client import redis_client
from app.store.durability import Durability, read_durability

log = logging.getLogger(__name__)


def warn_if_store_may_lose_data() -> None:
    """Log, once per start of gunicorn, any way the configured store may lose sessions.

    Runs in gunicorn's master before the workers start; a configuration the
    workers will refuse is left to them, since they name the variable.
    """
    try:
        config = load_config()
    except ConfigError:
        return
    configure_logging(config.LOG_LEVEL)
    try:  # a cluster client reads the slot map as it is made: the store may be down now
        client = redis_client(config.REDIS_URL, config.REDIS_TIMEOUT_MS)
    except Exception as error:  # a best-effort check must never stop gunicorn's master
        durability = Durability(unreadable=str(error).strip() or type(error).__name__)
    else:
        try:
            durability = read_durability(client)
        except redis.RedisError as error:
            durability = Durability(unreadable=str(error).strip() or type(error).__name__)
        finally:
            client.close()
    for warning in durability.warnings():
        log.warning("%s", warning, extra={"fields": {"event": "store_check"}})
