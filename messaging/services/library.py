"""Writes shared by the library's items: themes, and sharing an item with other teams."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from accounts.audit import audit_context
from accounts.errors import (
    Conflict,
    InvalidInput,
    full_clean,
)
from accounts.models import Marking, Team, User
from accounts.permissions import require
from messaging.models import (
    LibraryItem,
    Theme,
)


def _require_team_role(actor: User, team: Team) -> None:
    require(actor, "messaging.edit", _OwnedBy(team))


class _OwnedBy:
    """Stands for a not-yet-created item owned by ``team`` in a permission check."""

    def __init__(self, team: Team) -> None:
        self.owner_team_id = team.pk

    def access_team_ids(self) -> set[int]:
        return {self.owner_team_id}


@transaction.atomic
def theme_create(
    *,
    actor: User,
    owner_team: Team,
    title: str,
    summary: str,
    key_points: Sequence[str] = (),
    tags: Sequence[str] = (),
    marking: str = Marking.AMBER,
) -> Theme:
    """Create a theme owned by one of the actor's teams."""
    _require_team_role(actor, owner_team)
    theme = Theme(
        owner_team=owner_team,
        title=title,
        summary=summary,
        key_points=list(key_points),
        tags=list(tags),
        marking=marking,
    )
    full_clean(theme, exclude={"shared_with"})
    if Theme.objects.filter(owner_team=owner_team, title=title).exists():
        raise InvalidInput({"title": ["Your team already has a theme with this title."]})
    try:
        # A savepoint: a title taken a moment ago by another request is a conflict, not a 500.
        with audit_context(actor=actor.pk, action="theme_create"), transaction.atomic():
            theme.save()
    except IntegrityError as error:
        raise Conflict("Someone just gave a theme of your team this title.") from error
    return theme


def library_share(*, item: LibraryItem, teams: Iterable[Team]) -> None:
    """Share an amber item with teams (the teams of a campaign that uses it). Idempotent."""
    missing = [t for t in teams if t.pk != item.owner_team_id]
    if missing:
        item.shared_with.add(*missing)


_THEME_FIELDS = ("title", "summary", "key_points", "tags", "marking")


@transaction.atomic
def theme_update(*, theme: Theme, actor: User, **changes: Any) -> Theme:
    """Edit a theme (planner, reviewer or lead of its owner team)."""
    unknown = set(changes) - set(_THEME_FIELDS)
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = Theme.objects.select_for_update().get(pk=theme.pk)
    require(actor, "messaging.edit", locked)
    for name in ("key_points", "tags"):
        if name in changes:
            changes[name] = list(changes[name])
    diff = {n: v for n, v in changes.items() if getattr(locked, n) != v}
    if not diff:
        return locked
    for name, value in diff.items():
        setattr(locked, name, value)
    full_clean(locked, exclude={"shared_with"})
    if (
        "title" in diff
        and Theme.objects.filter(owner_team_id=locked.owner_team_id, title=locked.title)
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise InvalidInput({"title": ["Your team already has a theme with this title."]})
    try:
        # A savepoint: a title taken a moment ago by another request is a conflict, not a 500.
        with audit_context(actor=actor.pk, action="theme_update"), transaction.atomic():
            locked.save(update_fields=[*diff, "updated_at"])
    except IntegrityError as error:
        raise Conflict("Someone just gave a theme of your team this title.") from error
    return locked
