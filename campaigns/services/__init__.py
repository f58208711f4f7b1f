"""Every write of the campaigns app. Callers import from here: ``services.activity_submit``."""

from campaigns.services.activities import (
    activity_cancel,
    activity_create,
    activity_recall_citing,
    activity_recall_in_campaign,
    activity_recall_on_channel,
    activity_recall_using,
    activity_record_outcome,
    activity_update,
)
from campaigns.services.approvals import (
    activity_approve,
    activity_request_changes,
    activity_submit,
)
from campaigns.services.campaigns import campaign_create, campaign_set_status, campaign_update
from campaigns.services.reports import report_subscription_create, report_subscription_update

__all__ = [
    "activity_approve",
    "activity_cancel",
    "activity_create",
    "activity_recall_citing",
    "activity_recall_in_campaign",
    "activity_recall_on_channel",
    "activity_recall_using",
    "activity_record_outcome",
    "activity_request_changes",
    "activity_submit",
    "activity_update",
    "campaign_create",
    "campaign_set_status",
    "campaign_update",
    "report_subscription_create",
    "report_subscription_update",
]
