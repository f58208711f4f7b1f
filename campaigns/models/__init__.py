"""What we do and when: campaigns, outreach activities and their approval workflow, dispatch
attempts, outcomes, report subscriptions, and the activity's append-only event log."""

from __future__ import annotations

from campaigns.models.activities import (
    DECISION_UNIQUE,
    ActivityEvent,
    ActivityEventQuerySet,
    ActivityQuerySet,
    ActivityStatus,
    ApprovalDecision,
    OutreachActivity,
    PendingNotification,
    chain_head,
    event_chain_content,
)
from campaigns.models.campaigns import ApprovalPolicy, ApprovalStep, Campaign, CampaignQuerySet
from campaigns.models.dispatch import Dispatch, Heartbeat, Outcome
from campaigns.models.reports import ReportRun, ReportSubscription
from campaigns.models.saved_filters import SavedFilter

__all__ = [
    "DECISION_UNIQUE",
    "ActivityEvent",
    "ActivityEventQuerySet",
    "ActivityQuerySet",
    "ActivityStatus",
    "ApprovalDecision",
    "ApprovalPolicy",
    "ApprovalStep",
    "Campaign",
    "CampaignQuerySet",
    "Dispatch",
    "Heartbeat",
    "Outcome",
    "OutreachActivity",
    "PendingNotification",
    "ReportRun",
    "ReportSubscription",
    "SavedFilter",
    "chain_head",
    "event_chain_content",
]
