"""Development settings: the embedded default (SQLite, filesystem broker) with DEBUG on."""

from __future__ import annotations

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=True)

# The demo's partner webhook listens on this machine, over plain http (seed_demo).
CANDOR_OUTBOUND_ALLOW_HTTP = env.bool("CANDOR_OUTBOUND_ALLOW_HTTP", default=True)
CANDOR_OUTBOUND_ALLOWED_NETWORKS = env.list(
    "CANDOR_OUTBOUND_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"]
)
