"""Every write to themes, evidence, messages and citations. Each service is atomic, checks the
actor's permission through ``accounts.permissions`` and raises typed domain errors."""

from __future__ import annotations

from messaging.services.evidence import (
    EVIDENCE_TRANSITIONS,
    Status,
    evidence_create,
    evidence_dispute,
    evidence_retract,
    evidence_update,
    evidence_verify,
)
from messaging.services.imports import (
    IMPORT_COLUMNS,
    IMPORT_MAX_ROWS,
    evidence_import,
    evidence_import_preview,
)
from messaging.services.library import library_share, theme_create, theme_update
from messaging.services.messages import (
    citation_add,
    citation_remove,
    message_create,
    message_update,
)

__all__ = [
    "EVIDENCE_TRANSITIONS",
    "IMPORT_COLUMNS",
    "IMPORT_MAX_ROWS",
    "Status",
    "citation_add",
    "citation_remove",
    "evidence_create",
    "evidence_dispute",
    "evidence_import",
    "evidence_import_preview",
    "evidence_retract",
    "evidence_update",
    "evidence_verify",
    "library_share",
    "message_create",
    "message_update",
    "theme_create",
    "theme_update",
]
