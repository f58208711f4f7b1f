"""Every write of the campaigns app. Callers import from here: ``services.activity_submit``."""

from campaigns.reports.sending import report_send_due
from campaigns.reports.subscriptions import report_subscription_create, report_subscription_update
from campaigns.services._transitions import ALLOWED_FROM
from campaigns.services.activities import (
    WAITING_FOR_OFFICER,
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
from campaigns.services.dispatch import (
    activity_mark_done,
    activity_retry,
    approval_remind_overdue,
    dispatch_claim_all_due,
    dispatch_claim_due,
    dispatch_queued,
)
from campaigns.services.dispatch_batch import dispatch_send_batch
from campaigns.services.dispatch_send import (
    dispatch_prepare,
    dispatch_prepare_batch,
    dispatch_record_batch,
    dispatch_record_failure,
    dispatch_record_success,
)
from campaigns.services.heartbeats import heartbeat_record
from campaigns.services.notifications import notifications_send_pending
from campaigns.services.saved_filters import saved_filter_create, saved_filter_delete

# The states from which withdrawn evidence recalls an activity (for previews in the UI).
ALLOWED_FROM_RECALL = ALLOWED_FROM["recall"]

__all__ = [
    "ALLOWED_FROM_RECALL",
    "WAITING_FOR_OFFICER",
    "activity_approve",
    "activity_cancel",
    "activity_create",
    "activity_mark_done",
    "activity_recall_citing",
    "activity_recall_in_campaign",
    "activity_recall_on_channel",
    "activity_recall_using",
    "activity_record_outcome",
    "activity_request_changes",
    "activity_retry",
    "activity_submit",
    "activity_update",
    "approval_remind_overdue",
    "campaign_create",
    "campaign_set_status",
    "campaign_update",
    "dispatch_claim_all_due",
    "dispatch_claim_due",
    "dispatch_prepare",
    "dispatch_prepare_batch",
    "dispatch_queued",
    "dispatch_record_batch",
    "dispatch_record_failure",
    "dispatch_record_success",
    "dispatch_send_batch",
    "heartbeat_record",
    "notifications_send_pending",
    "report_send_due",
    "report_subscription_create",
    "report_subscription_update",
    "saved_filter_create",
    "saved_filter_delete",
]
