"""Test settings: the real stack (PostgreSQL and Redis on 127.0.0.1), sped up where it is safe."""

from __future__ import annotations

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/candor"),
}
# CANDOR_TEST_DB lets two checkouts run their suites side by side on one server.
DATABASES["default"]["TEST"] = {"NAME": env.str("CANDOR_TEST_DB", default="test_candor")}
# One Redis database per xdist worker (gw0 → 1, gw1 → 2): their queues never mix.
_XDIST = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
REDIS_URL = env.str("REDIS_URL", default=f"redis://127.0.0.1:6379/{1 + int(_XDIST)}")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# base.py chose the embedded broker when no REDIS_URL was in the environment; undo its
# transport class and its remote-control switch, or Redis would be reached through them.
CELERY_BROKER_TRANSPORT = None
CELERY_WORKER_ENABLE_REMOTE_CONTROL = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests read django.core.mail.outbox; a worker started by a test is given
# EMAIL_HOST/EMAIL_PORT of a real SMTP sink and keeps base.py's SMTP mailer.
if not env.str("EMAIL_HOST", default=""):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

# Throttling is tested with its own small rates; the rest of the suite must never trip it.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"token": "100000/minute", "login": "100000/minute"},
}

# The tests' HTTP receivers listen on 127.0.0.1 over plain http; every other local address
# (127.0.0.2 included) stays refused, so the policy is tested as production has it.
CANDOR_OUTBOUND_ALLOW_HTTP = env.bool("CANDOR_OUTBOUND_ALLOW_HTTP", default=True)
CANDOR_OUTBOUND_ALLOWED_NETWORKS = env.list(
    "CANDOR_OUTBOUND_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"]
)
