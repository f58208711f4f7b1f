"""The one place that answers "may this user do this to that object" (``rules`` predicates).

Admin, API, UI and services all ask through ``may`` or ``require`` (never ``user.has_perm``,
which waves superusers through). Objects take part by exposing ``access_team_ids()``: the teams
whose members act on them (a campaign's owner and collaborators; a library item's owner team
and the teams it is shared with). Library items also expose ``marking`` and ``owner_team_id``
for the TLP rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import rules

from accounts.errors import NotPermitted
from accounts.models import Marking, Membership, Role, User


class TeamScoped(Protocol):
    def access_team_ids(self) -> set[int]: ...


_CACHE_ATTR = "_candor_team_roles"


def team_roles(user: User) -> dict[int, str]:
    """``{team_id: role}`` for the user, loaded once per user object (one query)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def remember_roles(user: User, roles: dict[int, str]) -> None:
    """Give the user object its roles, loaded elsewhere (accounts.backends)."""
    setattr(user, _CACHE_ATTR, roles)


def forget_roles(user: User) -> None:
    """Drop the cached roles, after memberships change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def team_ids(user: User, roles: Iterable[str] | None = None) -> set[int]:
    """The teams the user belongs to (with one of ``roles``, if given)."""
    wanted = set(roles) if roles is not None else None
    return {t for t, r in team_roles(user).items() if wanted is None or r in wanted}


def roles_on(user: User, obj: TeamScoped) -> set[str]:
    """The roles the user holds in any team that acts on ``obj``."""
    mine = team_roles(user)
    return {mine[t] for t in obj.access_team_ids() if t in mine}


def has_role(*roles: str) -> rules.Predicate:
    wanted = set(roles) | {Role.LEAD}

    @rules.predicate(name=f"has_role({','.join(sorted(wanted))})")
    def predicate(user: User, obj: TeamScoped | None) -> bool:
        return obj is not None and bool(roles_on(user, obj) & wanted)

    return predicate


def has_owner_role(*roles: str) -> rules.Predicate:
    wanted = set(roles) | {Role.LEAD}

    @rules.predicate(name=f"has_owner_role({','.join(sorted(wanted))})")
    def predicate(user: User, obj: Any) -> bool:
        return obj is not None and team_roles(user).get(obj.owner_team_id) in wanted

    return predicate


@rules.predicate
def is_member(user: User, obj: TeamScoped | None) -> bool:
    return obj is not None and bool(roles_on(user, obj))


@rules.predicate
def may_see_library_item(user: User, obj: Any) -> bool:
    """TLP 2.0: clear → any signed-in user; green → any team member; amber → owner team and
    the teams it is shared with (campaigns that use it); red → owner team only."""
    if obj is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    mine = team_roles(user)
    if obj.marking == Marking.CLEAR:
        return True
    if obj.marking == Marking.GREEN:
        return bool(mine)
    if obj.marking == Marking.AMBER:
        return bool(obj.access_team_ids() & mine.keys())
    return obj.owner_team_id in mine


def has_accountable_role(*roles: str) -> rules.Predicate:
    """A role in the team accountable for the object (a campaign's owner team): collaborating
    teams plan and see, but only the owner team reviews, signs off and manages its campaigns."""
    wanted = set(roles) | {Role.LEAD}

    @rules.predicate(name=f"has_accountable_role({','.join(sorted(wanted))})")
    def predicate(user: User, obj: Any) -> bool:
        if obj is None:
            return False
        teams = getattr(obj, "accountable_team_ids", obj.access_team_ids)()
        mine = team_roles(user)
        return any(mine.get(team) in wanted for team in teams)

    return predicate


is_planner = has_role(Role.PLANNER)
is_reviewer = has_accountable_role(Role.REVIEWER)
is_approver = has_accountable_role(Role.APPROVER)

# Campaign-side permissions (objects: Campaign, OutreachActivity, ReportSubscription).
rules.add_perm("campaigns.view", is_member)
rules.add_perm("campaigns.plan", is_planner)
rules.add_perm("campaigns.review", is_reviewer)
rules.add_perm("campaigns.sign_off", is_approver)
rules.add_perm("campaigns.manage", has_accountable_role())  # the owner team's leads
# The campaign's own framing (name, dates, audiences, themes, speaker) is its owner team's.
rules.add_perm("campaigns.edit", has_owner_role(Role.PLANNER))
# Library permissions (objects: Theme, Message, EvidenceItem) and team-owned channels.
rules.add_perm("messaging.view", may_see_library_item)
rules.add_perm("messaging.edit", has_owner_role(Role.PLANNER, Role.REVIEWER))
rules.add_perm("messaging.verify", has_owner_role(Role.REVIEWER))
rules.add_perm("audiences.use_channel", has_role(Role.PLANNER, Role.REVIEWER, Role.APPROVER))
rules.add_perm("audiences.manage_channel", has_role())

_PERM_WORDS = {
    "campaigns.view": "see this",
    "campaigns.plan": "plan activities here (planner or lead)",
    "campaigns.review": "review evidence here (reviewer or lead)",
    "campaigns.sign_off": "sign off here (approver or lead)",
    "campaigns.manage": "manage this campaign (lead)",
    "campaigns.edit": "edit this campaign (planner or lead of its owner team)",
    "messaging.view": "see this item",
    "messaging.edit": "edit this item (planner, reviewer or lead of its owner team)",
    "messaging.verify": "change the verification of this evidence (reviewer or lead)",
    "audiences.use_channel": "use this channel",
    "audiences.manage_channel": "manage this channel (lead)",
}


def may(actor: User, perm: str, obj: object) -> bool:
    """Whether ``actor`` holds ``perm`` on ``obj`` by a team role.

    Asks the predicates directly rather than ``user.has_perm``: Django lets an active superuser
    through every ``has_perm``, but an administrator of the installation is not thereby a
    reviewer or approver of a team's outreach. Admins act with a team role like everyone else.
    """
    return rules.has_perm(perm, actor, obj)


def require(actor: User, perm: str, obj: object) -> None:
    """Raise ``NotPermitted`` unless ``actor`` holds ``perm`` on ``obj``."""
    if not may(actor, perm, obj):
        raise NotPermitted(f"You may not {_PERM_WORDS.get(perm, perm)}.")
