"""A user's saved filters of the activity list."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import QueryDict

from accounts.errors import InvalidInput, NotPermitted
from campaigns.filters import ActivityListFilter
from campaigns.models import SavedFilter

_TAKEN = "You already have a filter by this name."


def _kept(query: str) -> str:
    """The query string with only the filters' own parameters (never ``page``), in order."""
    params = QueryDict(query, mutable=True)
    known = set(ActivityListFilter.base_filters)
    for name in list(params):
        if name not in known:
            del params[name]
    return params.urlencode()


@transaction.atomic
def saved_filter_create(*, owner: Any, name: str, query: str) -> SavedFilter:
    """Save ``query`` (the list's filters, nothing else) under ``name``, unique per owner."""
    name = name.strip()
    kept = _kept(query)
    problems: dict[str, list[str]] = {}
    if not name:
        problems["name"] = ["Give the filter a name."]
    elif len(name) > SavedFilter.NAME_LENGTH:
        problems["name"] = ["Keep the name under 100 characters."]
    if len(kept) > SavedFilter.QUERY_LENGTH:
        problems["query"] = ["This filter is too long to save; narrow it down."]
    if problems:
        raise InvalidInput(problems)
    if SavedFilter.objects.filter(owner=owner, name=name).exists():
        raise InvalidInput({"name": [_TAKEN]})
    try:
        with transaction.atomic():  # a concurrent save of the same name: the same answer
            return SavedFilter.objects.create(owner=owner, name=name, query=kept)
    except IntegrityError:
        raise InvalidInput({"name": [_TAKEN]}) from None


@transaction.atomic
def saved_filter_delete(*, saved_filter: SavedFilter, actor: Any) -> SavedFilter:
    """Delete one of the actor's own saved filters; returns it as it was."""
    if saved_filter.owner_id != actor.pk:
        raise NotPermitted("This filter is someone else's.")
    saved_filter.delete()
    return saved_filter
