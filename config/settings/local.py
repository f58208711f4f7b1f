"""Development settings: the embedded default (SQLite, filesystem broker) with DEBUG on."""

from __future__ import annotations

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
