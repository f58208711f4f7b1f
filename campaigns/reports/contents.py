"""What a report holds: the ``Report`` and its lines, plain frozen data with times in the
subscription's timezone. ``figures.report_build`` fills it; ``rendering`` shows it."""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Link:
    name: str
    url: str


@dataclass(frozen=True)
class DispatchedRow:
    audience: str
    channel: str
    channel_kind: str
    count: int
    reach: int
    engagement: int


@dataclass(frozen=True)
class ActivityLine:
    title: str
    url: str
    campaign: str
    audience: str
    status: str
    at: datetime | None  # local: scheduled, waiting since, or failed at
    detail: str = ""


@dataclass(frozen=True)
class EvidenceLine:
    claim: str
    admiralty_code: str
    publisher: str
    status: str
    changed_at: datetime  # local
    reason: str
    source_url: str


@dataclass(frozen=True)
class RecallLine:
    activity: str
    url: str
    campaign: str
    at: datetime  # local
    evidence: str  # the withdrawn evidence's claim, or why it is not shown
    comment: str


@dataclass(frozen=True)
class GapLine:
    campaign: str
    audience: str
    theme: str


@dataclass(frozen=True)
class Outcomes:
    """Activities dispatched in the period and in the one before, with their outcomes."""

    dispatched: int
    with_outcome: int
    reach: int
    engagement: int
    previous_dispatched: int
    previous_reach: int
    previous_engagement: int

    @property
    def reach_change(self) -> int:
        return self.reach - self.previous_reach

    @property
    def engagement_change(self) -> int:
        return self.engagement - self.previous_engagement

    @property
    def dispatched_change(self) -> int:
        return self.dispatched - self.previous_dispatched


CSV_COLUMNS = (
    "id",
    "campaign",
    "title",
    "audience",
    "segment",
    "channel",
    "channel_kind",
    "theme",
    "status",
    "scheduled_local",
    "dispatched_local",
    "reach",
    "engagement",
    "url",
)


@dataclass(frozen=True)
class Report:
    """Everything one report says; times in the subscription's timezone."""

    subscription_id: uuid_module.UUID
    cadence: str
    scope_kind: str  # "team" or "campaign"
    scope_name: str
    scope_url: str
    campaigns: list[Link]
    timezone: str
    period_start: datetime
    period_end: datetime
    previous_start: datetime
    next_end: datetime
    generated_at: datetime
    late: bool
    dispatched: list[DispatchedRow]
    due_next_total: int
    due_next_by_status: dict[str, int]
    due_next: list[ActivityLine]
    waiting_total: int
    waiting_oldest_hours: int | None
    waiting: list[ActivityLine]
    failed_total: int
    failed: list[ActivityLine]
    evidence_counts: dict[str, int]
    evidence: list[EvidenceLine]
    recalled_total: int
    recalls: list[RecallLine]
    coverage_pairs: int
    coverage_gaps_total: int
    coverage_gaps: list[GapLine]
    outcomes: Outcomes
    activity_rows: list[tuple[Any, ...]] = field(repr=False)  # CSV_COLUMNS, one per activity
    # One hash over the heads of the scope's activity histories when the report was built: a
    # copy outside the database of what ``manage.py verify_chain`` checks.
    chain_head: str = ""

    @property
    def dispatched_total(self) -> int:
        return self.outcomes.dispatched

    @property
    def evidence_total(self) -> int:
        return sum(self.evidence_counts.values())

    @property
    def is_empty(self) -> bool:
        """Nothing happened in the period and nothing waits: the short report."""
        return not (
            self.dispatched_total
            or self.due_next_total
            or self.waiting_total
            or self.failed_total
            or self.evidence_total
            or self.recalled_total
            or self.activity_rows
        )

    @property
    def period_label(self) -> str:
        return (
            f"{self.period_start:%Y-%m-%d %H:%M} – {self.period_end:%Y-%m-%d %H:%M} "
            f"({self.timezone})"
        )
