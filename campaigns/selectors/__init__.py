"""Reads shared by the UI, the API, notifications and reports; each is scoped or explicit."""

from __future__ import annotations

from campaigns.selectors.activities import (
    EVIDENCE_COUNTS,
    Label,
    Reviewers,
    activity_history,
    activity_list,
    campaign_labels,
    campaign_list,
    evidence_counts,
    notification_recipients,
    people_with_role,
    with_evidence_summary,
)
from campaigns.selectors.calendar import CoverageCell, calendar_month, calendar_week, coverage
from campaigns.selectors.packets import (
    FROZEN,
    EvidencePacket,
    PacketClaim,
    activity_evidence_packet,
    approvals_of_message,
    evidence_packet,
)
from campaigns.selectors.reports import report_latest, report_subscription_list
from campaigns.selectors.work import (
    STATUS_COLOURS,
    Action,
    activity_actions,
    approval_queue,
    dashboard,
    waiting_for,
)

__all__ = [
    "EVIDENCE_COUNTS",
    "FROZEN",
    "STATUS_COLOURS",
    "Action",
    "CoverageCell",
    "EvidencePacket",
    "Label",
    "PacketClaim",
    "Reviewers",
    "activity_actions",
    "activity_evidence_packet",
    "activity_history",
    "activity_list",
    "approval_queue",
    "approvals_of_message",
    "calendar_month",
    "calendar_week",
    "campaign_labels",
    "campaign_list",
    "coverage",
    "dashboard",
    "evidence_counts",
    "evidence_packet",
    "notification_recipients",
    "people_with_role",
    "report_latest",
    "report_subscription_list",
    "waiting_for",
    "with_evidence_summary",
]
