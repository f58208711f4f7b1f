"""Benchmark settings: the real stack, a database of its own (recreated by ``make bench``)."""

from __future__ import annotations

from config.settings.test import *  # noqa: F403
from config.settings.test import env

DATABASES = {
    "default": env.db(
        "CANDOR_BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/candor_bench"
    ),
}
# Persistent connections as in production (test settings reconnect for every task and request).
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
REDIS_URL = env.str("CANDOR_BENCH_REDIS_URL", default="redis://127.0.0.1:6379/9")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
CELERY_BROKER_URL = REDIS_URL
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
