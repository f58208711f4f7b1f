"""The staff web UI of campaigns and activities. Thin: load through a scoped selector (a
foreign object is a 404), validate the form, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import may
from accounts.validators import uuid_or_none
from accounts.views import perform
from campaigns import exports, selectors, services
from campaigns.filters import activities_filtered
from campaigns.forms import (
    ActivityForm,
    CommentForm,
    OutcomeForm,
    ReasonForm,
    SavedFilterForm,
    SubscriptionForm,
)
from campaigns.health import PARTS, system_health
from campaigns.models import ActivityStatus, Campaign, Outcome, OutreachActivity, SavedFilter
from campaigns.reports.rendering import report_render_html, report_render_pdf
from messaging import services as messaging
from messaging.models import EvidenceItem

PAGE_SIZE = 25
# The services speak of scheduled_at; the form asks for the local time.
_FORM_FIELDS = {"scheduled_at": "scheduled_local"}


def _campaign(request: AuthenticatedHttpRequest, uuid: Any) -> Campaign:
    return get_object_or_404(selectors.campaign_list(user=request.user), uuid=uuid)


def _activity(request: AuthenticatedHttpRequest, uuid: Any) -> OutreachActivity:
    return get_object_or_404(selectors.activity_list(user=request.user), uuid=uuid)


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    context = selectors.dashboard(user=request.user, now=now)
    context["health"] = system_health(now=now)  # one line on the page when a part is down
    return render(request, "campaigns/dashboard.html", context)


@never_cache
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """``GET /health/[?part=database,broker,…]``: no sign-in, no secrets. Each requested part
    (all by default) ``ok`` or ``down`` with its figures; 200 when all are ok, else 503."""
    wanted = [p for p in request.GET.get("part", "").split(",") if p] or list(PARTS)
    unknown = sorted(set(wanted) - set(PARTS))
    if unknown:
        return JsonResponse({"error": f"unknown part {unknown[0]!r}", "parts": PARTS}, status=400)
    result = system_health(now=timezone.now(), parts=wanted)
    return JsonResponse(result.as_json(), status=200 if result.ok else 503)


@login_required
def campaign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    campaigns = selectors.campaign_list(user=request.user).order_by("-starts_on", "pk")
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/campaign_list.html", {"page": page})


@login_required
def campaign_detail(request: AuthenticatedHttpRequest, uuid: Any) -> HttpResponse:
    campaign = _campaign(request, uuid)
    activities = (
        selectors.activity_list(user=request.user)
        .filter(campaign=campaign)
        .order_by("scheduled_at", "pk")
    )
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"campaign": campaign, "page": page, **selectors.campaign_labels(campaign=campaign)}
    return render(request, "campaigns/campaign_detail.html", context)


@login_required
def campaign_calendar(request: AuthenticatedHttpRequest, uuid: Any) -> HttpResponse:
    campaign = _campaign(request, uuid)
    audiences = list(campaign.audiences.order_by("name"))
    if not audiences:
        raise Http404("The campaign has no audience.")
    audience = next((a for a in audiences if a.slug == request.GET.get("audience")), audiences[0])
    today = timezone.now().astimezone(audience.zone).date()
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    if request.GET.get("view") == "week":
        try:
            day = date.fromisoformat(request.GET.get("day", ""))
        except ValueError:
            day = today
        days = selectors.calendar_week(
            campaign=campaign, user=request.user, audience=audience, day=day
        )
        context = {
            "campaign": campaign,
            "audience": audience,
            "audiences": audiences,
            "days": days,
            "previous": days[0][0] - timedelta(days=7),
            "following": days[0][0] + timedelta(days=7),
            "today": today,
        }
        return render(request, "campaigns/calendar_week.html", context)
    weeks = selectors.calendar_month(
        campaign=campaign, user=request.user, audience=audience, year=first.year, month=first.month
    )
    previous = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (first.replace(day=28) + timedelta(days=5)).replace(day=1)
    context = {
        "campaign": campaign,
        "audience": audience,
        "audiences": audiences,
        "first": first,
        "weeks": weeks,
        "previous": previous,
        "following": following,
        "today": today,
    }
    return render(request, "campaigns/calendar.html", context)


@login_required
def coverage(request: AuthenticatedHttpRequest) -> HttpResponse:
    campaign = None
    if request.GET.get("campaign"):
        campaign = _campaign(request, uuid_or_none(request.GET["campaign"]))
    context = selectors.coverage(user=request.user, campaign=campaign)
    context["campaign"] = campaign
    context["campaigns"] = selectors.campaign_list(user=request.user)
    return render(request, "campaigns/coverage.html", context)


@login_required
def activity_detail(request: AuthenticatedHttpRequest, uuid: Any) -> HttpResponse:
    activity = _activity(request, uuid)
    # Only the evidence this user may see: a collaborator must not read the claim of an item
    # marked more restrictively than the message citing it. The rest is only counted. Once
    # approved, the claims as approved (what was approved stays what is shown).
    packet = selectors.activity_evidence_packet(activity=activity, user=request.user)
    context: dict[str, Any] = {
        "activity": activity,
        "citations": packet.citations,
        "as_approved": packet.as_approved,
        "restricted": packet.restricted_citations,
        "history": selectors.activity_history(activity=activity),
        "decisions": activity.decisions.select_related("step", "user").order_by("at"),
        "actions": selectors.activity_actions(activity=activity, user=request.user),
        "comment_form": CommentForm(),
    }
    if activity.status in (ActivityStatus.DISPATCHED, ActivityStatus.COMPLETED) and may(
        request.user, "campaigns.plan", activity
    ):
        outcome = getattr(activity, "outcome", None)
        initial = (
            {
                "reach": outcome.reach,
                "engagement": outcome.engagement,
                "pickups": "\n".join(outcome.pickups),
                "notes": outcome.notes,
            }
            if outcome
            else None
        )
        form = OutcomeForm(request.POST or None, initial=initial)
        recorded: bool | Outcome | None = (
            request.method == "POST"
            and form.is_valid()
            and perform(
                request,
                lambda: services.activity_record_outcome(
                    activity=activity, actor=request.user, **form.cleaned_data
                ),
                form=form,
            )
        )
        if recorded:
            messages.success(request, "Outcome recorded.")
            return redirect("activity_detail", uuid=activity.uuid)
        context["outcome_form"] = form
    return render(request, "campaigns/activity_detail.html", context)


@login_required
def activity_create(request: AuthenticatedHttpRequest, uuid: Any) -> HttpResponse:
    campaign = _campaign(request, uuid)
    form = ActivityForm(request.POST or None, campaign=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        activity = perform(
            request,
            lambda: services.activity_create(
                actor=request.user, campaign=campaign, **form.cleaned_data
            ),
            form=form,
            fields=_FORM_FIELDS,
        )
        if activity is not None:
            messages.success(request, "Draft saved.")
            return redirect("activity_detail", uuid=activity.uuid)
    return render(request, "campaigns/activity_form.html", {"form": form, "campaign": campaign})


@login_required
def activity_edit(request: AuthenticatedHttpRequest, uuid: Any) -> HttpResponse:
    activity = _activity(request, uuid)
    initial = {
        "title": activity.title,
        "audience": activity.audience.uuid,
        "segment": activity.segment.uuid if activity.segment is not None else None,
        "message": activity.message.uuid,
        "channel": activity.channel.uuid,
        "scheduled_local": activity.scheduled_local.replace(tzinfo=None),
    }
    form = ActivityForm(
        request.POST or None, initial=initial, campaign=activity.campaign, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        updated = perform(
            request,
            lambda: services.activity_update(activity=activity, actor=request.user, **changes),
            form=form,
            fields=_FORM_FIELDS,
        )
        if updated is not None:
            messages.success(request, f"Saved. The activity is {updated.get_status_display()}.")
            return redirect("activity_detail", uuid=activity.uuid)
    return render(
        request,
        "campaigns/activity_form.html",
        {"form": form, "campaign": activity.campaign, "activity": activity},
    )


_ACTIONS: dict[str, Callable[[OutreachActivity, Any, str], Any]] = {
    "submit": lambda a, u, c: services.activity_submit(activity=a, actor=u),
    "approve": lambda a, u, c: services.activity_approve(activity=a, actor=u, comment=c),
    "request_changes": lambda a, u, c: services.activity_request_changes(
        activity=a, actor=u, comment=c
    ),
    "cancel": lambda a, u, c: services.activity_cancel(activity=a, actor=u, reason=c),
    "retry": lambda a, u, c: services.activity_retry(activity=a, actor=u),
    "mark_done": lambda a, u, c: services.activity_mark_done(activity=a, actor=u, note=c),
}


@login_required
@require_POST
def activity_action(request: AuthenticatedHttpRequest, uuid: Any, action: str) -> HttpResponse:
    if action not in _ACTIONS:
        raise Http404("No such action.")
    activity = _activity(request, uuid)
    # Act on the version the person saw: the service compares it under its row lock, so a page
    # someone has since changed gets the service's Conflict, never a stale decision.
    seen = request.POST.get("version", "")
    if not seen.isdigit():
        messages.error(request, "The page was incomplete; here is the activity as it is now.")
        return redirect("activity_detail", uuid=activity.uuid)
    activity.version = int(seen)
    comment = request.POST.get("comment", "").strip()
    done = perform(request, lambda: _ACTIONS[action](activity, request.user, comment))
    if done is not None:
        activity.refresh_from_db()
        messages.success(request, f"Done. The activity is {activity.get_status_display()}.")
    return redirect("activity_detail", uuid=activity.uuid)


_WITHDRAW = {
    "dispute": messaging.evidence_dispute,
    "retract": messaging.evidence_retract,
}


@login_required
def evidence_withdraw(request: AuthenticatedHttpRequest, uuid: Any, verb: str) -> HttpResponse:
    """Dispute or retract evidence: first show what it would recall, then do it."""
    if verb not in _WITHDRAW:
        raise Http404("No such action.")
    evidence = get_object_or_404(EvidenceItem.objects.visible_to(request.user), uuid=uuid)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        changed = perform(
            request,
            lambda: _WITHDRAW[verb](evidence=evidence, actor=request.user, reason=reason),
            form=form,
        )
        if changed is not None:
            messages.success(request, f"Evidence {changed.status}.")
            return redirect("evidence_detail", uuid=evidence.uuid)
    would_recall = (
        selectors.activity_list(user=request.user)
        .filter(message__citations__evidence=evidence)
        .filter(Q(status__in=services.ALLOWED_FROM_RECALL) | services.WAITING_FOR_OFFICER)
    )
    context = {"evidence": evidence, "verb": verb, "form": form, "would_recall": would_recall}
    return render(request, "campaigns/evidence_withdraw.html", context)


def _my_subscriptions(request: AuthenticatedHttpRequest) -> Any:
    return selectors.report_subscription_list(user=request.user, received=True).order_by("pk")


@login_required
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        created = perform(
            request,
            lambda: services.report_subscription_create(actor=request.user, **form.cleaned_data),
            form=form,
        )
        if created is not None:
            messages.success(request, f"Subscribed: {created.schedule_label}.")
            return redirect("report_list")
    page = Paginator(_my_subscriptions(request), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/report_list.html", {"page": page, "form": form})


@login_required
def report_download(request: AuthenticatedHttpRequest, uuid: Any, fmt: str) -> HttpResponse:
    """The subscription's latest complete period as HTML or PDF, as the e-mail shows it."""
    subscription = get_object_or_404(_my_subscriptions(request), uuid=uuid)
    report = selectors.report_latest(subscription=subscription, now=timezone.now())
    name = (
        f"candor-report-{report.period_start.astimezone(ZoneInfo(subscription.timezone)):%Y-%m-%d}"
    )
    if fmt == "pdf":
        response = HttpResponse(report_render_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    return HttpResponse(report_render_html(report))


LIST_PAGE_SIZE = 50


def _page_of_rows(activities: Any, number: Any) -> Any:
    """A page of ``activities`` read in two steps: the page's ids (sorted and counted on the
    narrow table), then those rows with their references. Measured on 105,000 activities,
    joining every row's references before sorting took 300 ms a page; the ids, tens of ms."""
    page = Paginator(activities.values_list("pk", flat=True), LIST_PAGE_SIZE).get_page(number)
    ids = list(page.object_list)
    rows = activities.in_bulk(ids)
    page.object_list = [rows[pk] for pk in ids]
    return page


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    """The activities of every campaign the user may see, filtered, searched and sorted by
    the GET form (a bookmarkable URL); a malformed value is shown next to its field. A POST
    saves the filters of this URL under a name."""
    filters, activities = activities_filtered(request)
    save_form = SavedFilterForm(request.POST or None)
    if request.method == "POST" and save_form.is_valid():
        saved = perform(
            request,
            lambda: services.saved_filter_create(
                owner=request.user,
                name=save_form.cleaned_data["name"],
                query=request.GET.urlencode(),
            ),
            form=save_form,
        )
        if saved is not None:
            messages.success(request, f"Filter “{saved.name}” saved.")
            return redirect(f"{reverse('activity_list')}?{saved.query}")
    page = _page_of_rows(
        activities if activities is not None else OutreachActivity.objects.none(),
        request.GET.get("page"),
    )
    context = {
        "filters": filters,
        "page": page,
        "save_form": save_form,
        "saved_filters": SavedFilter.objects.filter(owner_id=request.user.pk),
    }
    return render(request, "campaigns/activity_list.html", context)


@login_required
@require_POST
def saved_filter_delete(request: HttpRequest, uuid: Any) -> HttpResponse:
    saved = get_object_or_404(SavedFilter.objects.filter(owner_id=request.user.pk), uuid=uuid)
    deleted = perform(
        request, lambda: services.saved_filter_delete(saved_filter=saved, actor=request.user)
    )
    if deleted is not None:
        messages.success(request, f"Filter “{saved.name}” deleted.")
    return redirect("activity_list")


@login_required
def activity_export(request: HttpRequest) -> HttpResponse:
    """The filtered activity list as CSV: the same filters, every matching row."""
    filters, activities = activities_filtered(request)
    if activities is None:
        errors = "; ".join(f"{name}: {' '.join(e)}" for name, e in filters.form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain")
    response = HttpResponse(
        exports.activities_csv(activities.select_related("outcome")), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="activities.csv"'
    return response


@login_required
def approval_queue(request: HttpRequest) -> HttpResponse:
    """What waits for the user's approval, the longest waiting first, with how long."""
    page = _page_of_rows(selectors.approval_queue(user=request.user), request.GET.get("page"))
    return render(request, "campaigns/approval_queue.html", {"page": page})
