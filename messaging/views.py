"""The evidence library in the staff UI: search, detail, verification."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, InvalidInput
from accounts.http import AuthenticatedHtmxRequest, AuthenticatedHttpRequest
from accounts.models import Team
from accounts.permissions import may, team_ids
from accounts.validators import uuid_or_none
from accounts.views import perform
from messaging import selectors, services
from messaging.models import EvidenceItem, Message

PAGE_SIZE = 25


@login_required
def evidence_list(request: AuthenticatedHtmxRequest) -> HttpResponse:
    params = request.GET
    credibility = params.get("credibility", "")
    items = selectors.evidence_search(
        user=request.user,
        text=params.get("q", ""),
        status=params.get("status", "") if params.get("status") in EvidenceItem.Status else "",
        reliability=params.get("reliability", "")
        if params.get("reliability") in EvidenceItem.Reliability
        else "",
        credibility=int(credibility) if credibility.isdigit() else None,
    )
    page = Paginator(items, PAGE_SIZE).get_page(params.get("page"))
    context = {
        "page": page,
        "params": params,
        "statuses": EvidenceItem.Status.choices,
        "reliabilities": EvidenceItem.Reliability.choices,
        "credibilities": EvidenceItem.Credibility.choices,
    }
    template = "messaging/evidence_list.html"
    if request.htmx:  # live search: only the results are swapped in
        template += "#results"
    return render(request, template, context)


@login_required
def evidence_detail(request: AuthenticatedHttpRequest, uuid: Any) -> HttpResponse:
    evidence = get_object_or_404(
        EvidenceItem.objects.visible_to(request.user).select_related(
            "owner_team", "status_changed_by"
        ),
        uuid=uuid,
    )
    citing = selectors.messages_citing(evidence=evidence, user=request.user)
    context = {
        "evidence": evidence,
        # Only citations in messages this user may see: others' red messages stay hidden.
        "citations": evidence.citations.filter(message__in=citing).select_related("message__theme"),
        "may_verify": may(request.user, "messaging.verify", evidence),
    }
    return render(request, "messaging/evidence_detail.html", context)


@login_required
@require_POST
def evidence_verify(request: AuthenticatedHttpRequest, uuid: Any) -> HttpResponse:
    evidence = get_object_or_404(EvidenceItem.objects.visible_to(request.user), uuid=uuid)
    reason = request.POST.get("reason", "")
    if perform(
        request,
        lambda: services.evidence_verify(evidence=evidence, actor=request.user, reason=reason),
    ):
        messages.success(request, "Evidence verified.")
    return redirect("evidence_detail", uuid=evidence.uuid)


@login_required
def evidence_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a CSV, see what it would create or every row's errors, then import all or none."""
    teams = Team.objects.filter(pk__in=team_ids(request.user)).order_by("name")
    context: dict[str, Any] = {"teams": teams, "columns": services.IMPORT_COLUMNS}
    if request.method == "POST":
        # ``uuid=None`` matches no team (the column is never null); the stubs allow no None.
        team = teams.filter(uuid=request.POST.get("team") or None).first()  # type: ignore[misc]
        upload = request.FILES.get("file")
        content = (
            upload.read().decode("utf-8", errors="replace")
            if upload
            else request.POST.get("content", "")
        )
        context.update(team=team, content=content)
        if team is None:
            messages.error(request, "Choose one of your teams.")
        elif not content.strip():
            messages.error(request, "Choose a CSV file.")
        elif request.POST.get("confirm"):
            created = perform(
                request,
                lambda: services.evidence_import(
                    actor=request.user, owner_team=team, content=content
                ),
            )
            if created is not None:
                messages.success(request, f"Imported {len(created)} evidence items, unverified.")
                return redirect("evidence_list")
        else:
            try:
                context["preview"] = services.evidence_import_preview(
                    actor=request.user, owner_team=team, content=content
                )
            except InvalidInput as error:
                context["row_errors"] = sorted(error.errors.items(), key=_row_order)
            except DomainError as error:
                messages.error(request, error.message)
    return render(request, "messaging/evidence_import.html", context)


def _row_order(item: tuple[str, list[str]]) -> tuple[int, str]:
    parts = item[0].split(".")
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0, item[0])


def _citations_panel(
    request: AuthenticatedHttpRequest, message: Message | None, **extra: Any
) -> HttpResponse:
    context: dict[str, Any] = {"message": message, **extra}
    if message is not None:
        context["citations"] = selectors.visible_citations(user=request.user).filter(
            message=message
        )
        context["may_edit"] = may(request.user, "messaging.edit", message)
        context["candidates"] = (
            EvidenceItem.objects.visible_to(request.user)
            .exclude(status=EvidenceItem.Status.RETRACTED)
            .exclude(citations__message=message)
            .order_by("status", "-created_at")[:200]
        )
    return render(request, "messaging/_citations.html", context)


@login_required
def message_citations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The evidence picker of the activity editor: the chosen message's citations (what the
    evidence gate will look at) and a form to cite more. Swapped in by htmx."""
    uuid = uuid_or_none(request.GET.get("message"))
    message = Message.objects.visible_to(request.user).filter(uuid=uuid).first() if uuid else None
    return _citations_panel(request, message)


@login_required
@require_POST
def message_cite(request: AuthenticatedHttpRequest, uuid: Any) -> HttpResponse:
    message = get_object_or_404(Message.objects.visible_to(request.user), uuid=uuid)
    evidence = (
        EvidenceItem.objects.visible_to(request.user)
        # ``uuid=None`` matches no evidence (the column is never null); the stubs allow no None.
        .filter(uuid=uuid_or_none(request.POST.get("evidence")))  # type: ignore[misc]
        .first()
    )
    sentence = request.POST.get("sentence", "")
    if evidence is None:
        return _citations_panel(request, message, error="Choose the evidence to cite.")
    try:
        services.citation_add(
            message=message, evidence=evidence, sentence=sentence, actor=request.user
        )
    except DomainError as error:
        detail = (
            " ".join(" ".join(v) for v in error.errors.values())
            if isinstance(error, InvalidInput)
            else error.message
        )
        return _citations_panel(request, message, error=detail, sentence=sentence)
    return _citations_panel(request, message, done="Cited.")
