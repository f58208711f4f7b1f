from __future__ import annotations

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        # Lower apps announce changes with domain signals; campaigns reacts in the same
        # transaction (retraction recall, message edits unfreezing approvals).
        from campaigns import receivers  # noqa: F401
