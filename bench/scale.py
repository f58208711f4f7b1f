"""Issue #7's volume scenarios: P5 (a weekly report over 1M activities) and P6 (a CSV import of
100k evidence items), each beside the cheapest hand-written equivalent on the same data.

The volume is generated in SQL (``INSERT … SELECT … FROM generate_series``) with the audit
triggers switched off for the generating session only (``session_replication_role =
replica``): the bench measures reading and importing, not the generator."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from bench import world as w
from bench.harness import Result

WEEK_ZONE = "Europe/Chisinau"


# --- P5: the weekly report ----------------------------------------------------------------------


@dataclass
class ReportWorld:
    """One team's activities, its weekly subscription and the period its report covers."""

    world: w.World
    campaign_ids: list[int]
    subscription: Any
    period: Any


def _campaigns(world: w.World, count: int) -> tuple[list[int], list[int]]:
    """``count`` campaigns of the team (the world's and more) to every seeded audience, with two
    themes; their ids and the id of each one's first approval step."""
    from audiences.models import Audience
    from campaigns import services
    from campaigns.models import ApprovalStep
    from messaging import services as messaging

    audiences = list(Audience.objects.order_by("pk"))
    second = messaging.theme_create(
        actor=world.planner, owner_team=world.team, title="Second theme", summary="Costs."
    )
    campaigns = [world.campaign]
    world.campaign.audiences.set(audiences)
    world.campaign.themes.add(second)
    today = timezone.now().date()
    for n in range(1, count):
        campaigns.append(
            services.campaign_create(
                actor=world.planner,
                owner_team=world.team,
                name=f"{world.campaign.name} {n}",
                objective="Explain, with sources, what was promised and not delivered.",
                starts_on=today - dt.timedelta(days=600),
                ends_on=today + dt.timedelta(days=400),
                attributed_to="Ministry of Foreign Affairs, spokesperson",
                audiences=audiences[: 2 + n % (len(audiences) - 1)],
                themes=[world.message.theme, second] if n % 3 else [second],
            )
        )
    steps = {
        s.policy.campaign_id: s.pk
        for s in ApprovalStep.objects.filter(order=1, policy__campaign__in=campaigns)
        .select_related("policy")
        .order_by("pk")
    }
    ids = [c.pk for c in campaigns]
    return ids, [steps[pk] for pk in ids]


def _channels(world: w.World) -> list[int]:
    from audiences.models import Channel

    extra = [
        Channel.objects.create(
            owner_team=world.team,
            kind="webhook",
            name=f"Partner hook {world.team.slug}",
            webhook_url="https://partner.example/hook",
            webhook_secret="s" * 32,
        ),
        Channel.objects.create(
            owner_team=world.team,
            kind="manual",
            name=f"Briefings {world.team.slug}",
            officer=world.planner,
        ),
    ]
    return [world.channel.pk, *(c.pk for c in extra)]


# Status by whether the activity's time has passed: (upper bound of random(), status).
_PAST = [(0.55, "completed"), (0.80, "dispatched"), (0.87, "failed"), (0.94, "cancelled")]
_PAST += [(0.97, "in_review"), (1.01, "changes_requested")]
_FUTURE = [(0.25, "draft"), (0.50, "in_review"), (0.60, "changes_requested")]
_FUTURE += [(0.95, "approved"), (1.01, "cancelled")]


def _status_case(rules: list[tuple[float, str]]) -> str:
    return " ".join(f"WHEN r < {bound} THEN '{status}'" for bound, status in rules)


ACTIVITIES_SQL = f"""
INSERT INTO campaigns_outreachactivity (uuid, title, scheduled_at, status, version,
    review_round, approved_content_hash, created_at, updated_at, audience_id, campaign_id,
    channel_id, current_step_id, message_id, owner_id)
SELECT gen_random_uuid(), 'Activity ' || g, at, status, 3, 1,
    CASE WHEN status IN ('approved', 'dispatched', 'completed') THEN repeat('0', 64) ELSE '' END,
    at - interval '20 days', at - interval '20 days',
    (%(audiences)s::bigint[])[1 + g %% cardinality(%(audiences)s::bigint[])],
    (%(campaigns)s::bigint[])[1 + g %% cardinality(%(campaigns)s::bigint[])],
    (%(channels)s::bigint[])[1 + (g / 7) %% cardinality(%(channels)s::bigint[])],
    CASE WHEN status = 'in_review'
        THEN (%(steps)s::bigint[])[1 + g %% cardinality(%(steps)s::bigint[])] END,
    (%(messages)s::bigint[])[1 + (g / 3) %% cardinality(%(messages)s::bigint[])],
    %(owner)s
FROM (
    SELECT g, at, CASE WHEN at < %(now)s THEN CASE {_status_case(_PAST)} END
                       ELSE CASE {_status_case(_FUTURE)} END END AS status
    FROM (SELECT g, %(first)s + random() * %(span)s AS at, random() AS r
          FROM generate_series(1, %(count)s) g) raw
) spread
"""

# What the workflow would have written for each generated activity, as far as reports read it.
HISTORY_SQL = [
    # Dispatched (and then completed): the "dispatched" event and the successful attempt.
    """INSERT INTO campaigns_activityevent (kind, from_status, to_status, changes, comment, at,
        activity_id)
    SELECT 'dispatched', 'dispatching', 'dispatched', '{}', '', scheduled_at + interval '2 min',
        id FROM campaigns_outreachactivity
    WHERE campaign_id = ANY(%(campaigns)s) AND status IN ('dispatched', 'completed')""",
    """INSERT INTO campaigns_dispatch (attempt, idempotency_key, started_at, finished_at,
        result, error, response, channel_id, activity_id)
    SELECT 1, replace(uuid::text, '-', '') || '.000000000000', scheduled_at,
        scheduled_at + interval '2 min',
        CASE WHEN status = 'failed' THEN 'failed' ELSE 'sent' END,
        CASE WHEN status = 'failed' THEN 'SMTP 451: try again later' ELSE '' END,
        CASE WHEN status = 'failed' THEN '' ELSE 'HTTP 200' END, channel_id, id
    FROM campaigns_outreachactivity
    WHERE campaign_id = ANY(%(campaigns)s) AND status IN ('dispatched', 'completed', 'failed')""",
    """INSERT INTO campaigns_activityevent (kind, from_status, to_status, changes, comment, at,
        activity_id)
    SELECT 'failed', 'dispatching', 'failed', '{}', 'SMTP 451', scheduled_at + interval '5 min',
        id FROM campaigns_outreachactivity
    WHERE campaign_id = ANY(%(campaigns)s) AND status = 'failed'""",
    # Waiting for a step: submitted some hours to days ago.
    """INSERT INTO campaigns_activityevent (kind, from_status, to_status, changes, comment, at,
        activity_id)
    SELECT 'submitted', 'draft', 'in_review', '{}', '',
        LEAST(scheduled_at, %(now)s) - random() * interval '10 days', id
    FROM campaigns_outreachactivity
    WHERE campaign_id = ANY(%(campaigns)s) AND status = 'in_review'""",
    # ... which is when they reached their step, as submit records it on the activity.
    """UPDATE campaigns_outreachactivity a SET step_since = e.at
    FROM campaigns_activityevent e
    WHERE e.activity_id = a.id AND e.kind = 'submitted'
      AND a.campaign_id = ANY(%(campaigns)s) AND a.status = 'in_review'""",
    # One in ten activities sent back was recalled by withdrawn evidence, over recent weeks.
    """INSERT INTO campaigns_activityevent (kind, from_status, to_status, changes, comment, at,
        activity_id)
    SELECT 'recalled', 'approved', 'changes_requested',
        jsonb_build_object('evidence', jsonb_build_object('id', %(evidence)s::text)),
        'Evidence withdrawn', %(first_recall)s + random() * interval '6 weeks', id
    FROM campaigns_outreachactivity
    WHERE campaign_id = ANY(%(campaigns)s) AND status = 'changes_requested' AND id %% 10 = 0""",
    """INSERT INTO campaigns_outcome (reach, engagement, pickups, notes, recorded_at,
        recorded_by_id, activity_id)
    SELECT reach, (reach * random() * 0.2)::int, '[]', '', scheduled_at + interval '3 days',
        %(owner)s, id
    FROM (SELECT id, scheduled_at, (random() * 5000)::int AS reach
          FROM campaigns_outreachactivity
          WHERE campaign_id = ANY(%(campaigns)s) AND status = 'completed') done""",
    # The team's evidence: verified, disputed or retracted over the weeks around the period.
    """INSERT INTO messaging_evidenceitem (uuid, marking, created_at, updated_at, claim,
        source_url, publisher, excerpt, language, source_reliability, information_credibility,
        status, status_changed_at, status_reason, snapshot_hash, snapshot, owner_team_id,
        status_changed_by_id)
    SELECT gen_random_uuid(), (ARRAY['amber', 'green', 'red'])[1 + g %% 3], %(first)s,
        %(first)s, 'Claim ' || g, 'https://www.example.org/' || g, 'Example', '', 'en', 'B', 2,
        (ARRAY['verified', 'verified', 'disputed', 'retracted'])[1 + g %% 4],
        %(first_recall)s + random() * interval '10 weeks', '', '', '', %(team)s, %(owner)s
    FROM generate_series(1, %(evidence_count)s) g""",
]


def _generate(world: w.World, campaigns: list[int], steps: list[int], count: int, period: Any):
    """``count`` activities of the team over 100 weeks around the period, with their history."""
    from audiences.models import Audience
    from messaging.models import Message

    now = timezone.now()
    first = period.start - dt.timedelta(weeks=70)
    params = {
        "audiences": list(Audience.objects.order_by("pk").values_list("pk", flat=True)),
        "campaigns": campaigns,
        "steps": steps,
        "channels": _channels(world),
        "messages": list(
            Message.objects.filter(theme__owner_team=world.team).values_list("pk", flat=True)
        ),
        "owner": world.planner.pk,
        "team": world.team.pk,
        "now": now,
        "first": first,
        "span": dt.timedelta(weeks=100),
        "count": count,
        "first_recall": period.start - dt.timedelta(weeks=4),
        "evidence": str(world.message.evidence.get().uuid),
        "evidence_count": max(20, count // 2000),
    }
    with connection.cursor() as cursor:
        # Generation only: the audit triggers (and FK checks) are off in this session.
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute("SELECT setseed(0.7)")
            cursor.execute(ACTIVITIES_SQL, params)
            for sql in HISTORY_SQL:
                cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = origin")


def _second_message(world: w.World) -> None:
    """A second cited message, for the second theme (coverage differs by theme)."""
    from messaging import services as messaging
    from messaging.models import Theme

    sentence = "Ajutorul promis nu a sosit."
    messaging.message_create(
        actor=world.planner,
        theme=Theme.objects.get(owner_team=world.team, title="Second theme"),
        language="ro",
        headline="Ajutorul nu a sosit",
        body=f"{sentence} Auditul o arată.",
        citations=[(world.message.evidence.get(), sentence)],
    )


def _period(subscription: Any) -> Any:
    """The last complete week of the subscription (ending this Monday 08:00 local)."""
    from campaigns.reports.periods import report_period_ending

    today = timezone.now().astimezone(ZoneInfo(WEEK_ZONE)).date()
    monday = today - dt.timedelta(days=today.weekday())
    return report_period_ending(subscription=subscription, day=monday)


def report_world(tag: str, count: int) -> ReportWorld:
    """A team with ``count`` activities and a weekly report subscription (Mondays 08:00)."""
    from campaigns.services import report_subscription_create

    world = w.build(tag)
    lead = w._user(world.team, f"{tag}-lead", "lead")
    campaigns, steps = _campaigns(world, 8)
    _second_message(world)
    subscription = report_subscription_create(
        actor=lead,
        team=world.team,
        cadence="weekly",
        weekday=0,
        send_time=dt.time(8, 0),
        timezone=WEEK_ZONE,
    )
    period = _period(subscription)
    _generate(world, campaigns, steps, count, period)
    return ReportWorld(world, campaigns, subscription, period)


def build_report(rw: ReportWorld) -> Any:
    """What the report tick computes for one period: the figures, not the rendering."""
    from campaigns.reports.figures import report_build

    return report_build(
        subscription=rw.subscription,
        period_start=rw.period.start,
        period_end=rw.period.end,
        now=rw.period.end + dt.timedelta(minutes=1),
    )


# Every figure the report shows, in one hand-written statement: the dispatched breakdown and
# outcomes (this period and the one before), due next by status, waiting count and age, failures,
# evidence changes, recalls, coverage, and the CSV rows. Not in it: the six lists cut at
# CANDOR_REPORT_LIST_LIMIT and the campaign links (the baseline is the cheaper for it).
RAW_REPORT_SQL = """
WITH scope AS (
    SELECT id FROM campaigns_campaign WHERE owner_team_id = %(team)s
    UNION SELECT campaign_id FROM campaigns_campaign_collaborating_teams WHERE team_id = %(team)s
), acts AS NOT MATERIALIZED (
    SELECT * FROM campaigns_outreachactivity WHERE campaign_id IN (SELECT id FROM scope)
), first_dispatch AS (
    SELECT e.activity_id, min(e.at) AS at FROM campaigns_activityevent e
    WHERE e.kind = 'dispatched' AND e.at >= %(previous)s AND e.at < %(end)s
      AND NOT EXISTS (SELECT 1 FROM campaigns_activityevent x WHERE x.activity_id = e.activity_id
                      AND x.kind = 'dispatched' AND x.at < %(previous)s)
    GROUP BY e.activity_id
), dispatched AS (
    SELECT a.id, a.audience_id, a.channel_id, f.at, f.at >= %(start)s AS now,
           o.id AS outcome_id, o.reach, o.engagement
    FROM first_dispatch f JOIN acts a ON a.id = f.activity_id
    LEFT JOIN campaigns_outcome o ON o.activity_id = a.id
), visible_theme AS (
    SELECT id FROM messaging_theme WHERE marking IN ('clear', 'green')
        OR (marking IN ('amber', 'red') AND owner_team_id = %(team)s)
        OR (marking = 'amber' AND id IN (
            SELECT theme_id FROM messaging_theme_shared_with WHERE team_id = %(team)s))
)
SELECT json_build_object(
  'by_channel', (SELECT json_agg(t) FROM (
      SELECT au.name AS audience, ch.name AS channel, ch.kind, count(*) AS n,
             coalesce(sum(d.reach), 0) AS reach, coalesce(sum(d.engagement), 0) AS engagement
      FROM dispatched d JOIN audiences_audience au ON au.id = d.audience_id
      JOIN audiences_channel ch ON ch.id = d.channel_id WHERE d.now
      GROUP BY au.name, ch.name, ch.kind ORDER BY au.name, ch.name) t),
  'outcomes', (SELECT json_build_object(
      'dispatched', count(*) FILTER (WHERE now),
      'with_outcome', count(outcome_id) FILTER (WHERE now),
      'reach', coalesce(sum(reach) FILTER (WHERE now), 0),
      'engagement', coalesce(sum(engagement) FILTER (WHERE now), 0),
      'previous_dispatched', count(*) FILTER (WHERE NOT now),
      'previous_reach', coalesce(sum(reach) FILTER (WHERE NOT now), 0),
      'previous_engagement', coalesce(sum(engagement) FILTER (WHERE NOT now), 0))
      FROM dispatched),
  'due_next', (SELECT json_object_agg(status, n) FROM (
      SELECT status, count(*) AS n FROM acts
      WHERE scheduled_at >= %(end)s AND scheduled_at < %(next_end)s
        AND status NOT IN ('cancelled', 'dispatched', 'completed', 'failed')
      GROUP BY status) t),
  'waiting', (SELECT json_build_object('n', count(*), 'oldest', min(since)) FROM (
      SELECT (SELECT max(e.at) FROM campaigns_activityevent e WHERE e.activity_id = a.id
              AND e.kind IN ('submitted', 'step_approved')) AS since
      FROM acts a WHERE a.status = 'in_review') t),
  'failed', (SELECT count(*) FROM acts a WHERE EXISTS (
      SELECT 1 FROM campaigns_activityevent e WHERE e.activity_id = a.id AND e.kind = 'failed'
      AND e.at >= %(start)s AND e.at < %(end)s)),
  'evidence', (SELECT json_build_object(
      'verified', count(*) FILTER (WHERE status = 'verified'),
      'disputed', count(*) FILTER (WHERE status = 'disputed'),
      'retracted', count(*) FILTER (WHERE status = 'retracted'))
      FROM messaging_evidenceitem ev
      WHERE ev.status_changed_at >= %(start)s AND ev.status_changed_at < %(end)s
        AND ev.status IN ('verified', 'disputed', 'retracted')
        AND (ev.marking IN ('clear', 'green') OR ev.owner_team_id = %(team)s
             OR (ev.marking = 'amber' AND ev.id IN (SELECT evidenceitem_id
                 FROM messaging_evidenceitem_shared_with WHERE team_id = %(team)s)))
        AND (ev.owner_team_id = %(team)s OR ev.id IN (
             SELECT c.evidence_id FROM messaging_citation c WHERE EXISTS (
                 SELECT 1 FROM acts a WHERE a.message_id = c.message_id)))),
  'recalled', (SELECT count(DISTINCT e.activity_id) FROM campaigns_activityevent e
      JOIN acts a ON a.id = e.activity_id
      WHERE e.kind = 'recalled' AND e.at >= %(start)s AND e.at < %(end)s),
  'coverage', (SELECT json_build_object('pairs', count(*), 'gaps', count(*) FILTER (
      WHERE NOT EXISTS (SELECT 1 FROM acts x JOIN messaging_message m ON m.id = x.message_id
          WHERE x.campaign_id = ct.campaign_id AND x.audience_id = ca.audience_id
            AND m.theme_id = ct.theme_id AND x.status <> 'cancelled'
            AND x.scheduled_at >= %(start)s AND x.scheduled_at < %(next_end)s)))
      FROM campaigns_campaign_themes ct
      JOIN campaigns_campaign_audiences ca ON ca.campaign_id = ct.campaign_id
      WHERE ct.campaign_id IN (SELECT id FROM scope)
        AND ct.theme_id IN (SELECT id FROM visible_theme)),
  'rows', (SELECT json_agg(json_build_array(a.uuid, c.name, a.title, au.name,
          coalesce(sg.name, ''), ch.name, ch.kind,
          CASE WHEN m.theme_id IN (SELECT id FROM visible_theme) THEN th.title
               ELSE '(restricted)' END,
          a.status, to_char(a.scheduled_at AT TIME ZONE %(zone)s, 'YYYY-MM-DD"T"HH24:MI'),
          coalesce(to_char(first.at AT TIME ZONE %(zone)s, 'YYYY-MM-DD"T"HH24:MI'), ''),
          o.reach, o.engagement, %(base)s || '/activities/' || a.uuid || '/')
          ORDER BY a.scheduled_at, a.id)
      FROM (SELECT id FROM acts WHERE scheduled_at >= %(start)s AND scheduled_at < %(end)s
            UNION SELECT id FROM dispatched WHERE now) period
      JOIN campaigns_outreachactivity a ON a.id = period.id
      JOIN campaigns_campaign c ON c.id = a.campaign_id
      JOIN audiences_audience au ON au.id = a.audience_id
      JOIN audiences_channel ch ON ch.id = a.channel_id
      JOIN messaging_message m ON m.id = a.message_id
      JOIN messaging_theme th ON th.id = m.theme_id
      LEFT JOIN audiences_segment sg ON sg.id = a.segment_id
      LEFT JOIN campaigns_outcome o ON o.activity_id = a.id
      LEFT JOIN LATERAL (SELECT min(e.at) AS at FROM campaigns_activityevent e
          WHERE e.activity_id = a.id AND e.kind = 'dispatched') first ON true)
)
"""


def raw_report(rw: ReportWorld) -> dict[str, Any]:
    """The baseline: every figure of the report by one statement (see ``RAW_REPORT_SQL``)."""
    from django.conf import settings

    from campaigns.reports.periods import shift

    zone = ZoneInfo(WEEK_ZONE)
    params = {
        "team": rw.world.team.pk,
        "start": rw.period.start,
        "end": rw.period.end,
        "previous": shift(rw.period.start, cadence="weekly", zone=zone, n=-1),
        "next_end": shift(rw.period.end, cadence="weekly", zone=zone, n=1),
        "zone": WEEK_ZONE,
        "base": settings.CANDOR_BASE_URL,
    }
    with connection.cursor() as cursor:
        cursor.execute(RAW_REPORT_SQL, params)
        return cursor.fetchone()[0]


def _check_same(report: Any, raw: dict[str, Any]) -> None:
    """The two compute the same figures (else the ratio means nothing)."""
    o = report.outcomes
    ours = (o.dispatched, o.with_outcome, o.reach, o.engagement, o.previous_dispatched)
    theirs = raw["outcomes"]
    names = ("dispatched", "with_outcome", "reach", "engagement", "previous_dispatched")
    expected = tuple(theirs[k] for k in names)
    assert ours == expected, (ours, expected)
    assert report.waiting_total == raw["waiting"]["n"]
    assert report.failed_total == raw["failed"]
    assert report.recalled_total == raw["recalled"]
    assert report.evidence_counts == raw["evidence"]
    assert (report.coverage_pairs, report.coverage_gaps_total) == (
        raw["coverage"]["pairs"],
        raw["coverage"]["gaps"],
    )
    assert report.due_next_total == sum((raw["due_next"] or {}).values())
    assert len(report.activity_rows) == len(raw["rows"] or [])


RSS_CHILD = (
    "import sys, django; django.setup(); from bench.scale import rss_child; rss_child(sys.argv[1])"
)


def _peak_rss_mb(team_slug: str) -> float:
    """Peak RSS of a fresh process that builds the team's weekly report (and nothing else)."""
    done = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, team_slug],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"},
    )
    return float(done.stdout.strip().splitlines()[-1])


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def p5_weekly_report(scale: float) -> list[Result]:
    """One weekly report over 1M activities ÷ one raw SQL statement; RSS at 1M vs 10k rows."""
    big_count = max(20_000, int(1_000_000 * scale))
    small_count = 10_000
    started = time.perf_counter()
    report_world("p5small", small_count)
    big = report_world("p5big", big_count)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    generated = time.perf_counter() - started
    report = build_report(big)
    _check_same(report, raw_report(big))
    ours_samples, raw_samples = [], []
    for _ in range(3):  # interleaved, so both see the same machine state (both warm already)
        ours_samples.append(_timed(lambda: build_report(big)))
        raw_samples.append(_timed(lambda: raw_report(big)))
    ours, raw = statistics.median(ours_samples), statistics.median(raw_samples)
    small_rss, big_rss = _peak_rss_mb("team-p5small"), _peak_rss_mb("team-p5big")
    print(
        f"  P5: generated {big_count + small_count} activities in {generated:.0f} s",
        file=sys.stderr,
    )
    return [
        Result(
            f"P5 weekly report, {big_count} activities",
            ours * 1000,
            raw * 1000,
            "ms",
            "≤ 1.3",
            f"median of 3 interleaved; report_build (figures, lists, {len(report.activity_rows)}"
            " CSV rows; no rendering or e-mail) ÷ one SQL statement (figures + CSV rows)",
        ),
        Result(
            f"P5 peak RSS, report at {big_count} ÷ {small_count} activities",
            big_rss,
            small_rss,
            "MB",
            "growth < 50 MB",
            f"growth {big_rss - small_rss:.1f} MB; fresh process per size, peak RSS (VmHWM) "
            "while building",
        ),
    ]


def _peak_since_reset() -> float:
    """Peak RSS in MB since the last reset (Linux: ``VmHWM``, reset by ``clear_refs``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_child(team_slug: str) -> None:
    """In a fresh process (``RSS_CHILD``): build the team's report and print the peak RSS in
    MB while building it. The peak is reset first (imports and Django's start-up would
    otherwise set it, hiding what the report costs); where that is not possible, the
    process's ``ru_maxrss``."""
    from campaigns.models import ReportSubscription

    subscription = ReportSubscription.objects.select_related("team").get(team__slug=team_slug)
    world = w.World(subscription.team, *([None] * 7))
    rw = ReportWorld(world, [], subscription, _period(subscription))
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    build_report(rw)
    print(_peak_since_reset())


# --- P6: the CSV import -------------------------------------------------------------------------

IMPORT_HEADER = (
    "claim",
    "source_url",
    "publisher",
    "published_on",
    "language",
    "source_reliability",
    "information_credibility",
    "marking",
    "excerpt",
)


def import_csv(count: int, tag: str) -> str:
    """``count`` varied, valid evidence rows as a user's spreadsheet would export them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(IMPORT_HEADER)
    for n in range(count):
        writer.writerow(
            (
                f"{tag}: the ministry promised {n} units, audit shows {n // 8} delivered.",
                f"https://www.example.org/audits/{tag}/{n}?page={n % 40}",
                f"Audit Office {n % 50}",
                f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}",
                ("en", "ru", "ro", "sr-Latn", "pt-BR")[n % 5],
                "ABCDEF"[n % 6],
                1 + n % 6,
                ("amber", "green", "", "clear")[n % 4],
                "" if n % 3 else f'Excerpt, with "quotes", {n}.',
            )
        )
    return out.getvalue()


COPY_SQL = """COPY messaging_evidenceitem (uuid, owner_team_id, marking, created_at, updated_at,
    claim, source_url, publisher, published_on, excerpt, language, source_reliability,
    information_credibility, status, status_reason, snapshot_hash, snapshot) FROM STDIN"""


def copy_baseline(content: str, team_id: int) -> None:
    """The floor: the same rows into the same table by ``COPY``, parsed by the csv module and
    given only the values the table needs, in one transaction, with no triggers at all."""
    now = timezone.now()
    rows = csv.reader(io.StringIO(content))
    next(rows)
    with transaction.atomic(), connection.cursor() as cursor:
        # Issue #17: a floor that fires the same audit triggers hides what they cost. ``SET
        # LOCAL`` scopes the switch to this transaction: the service's import is untouched.
        cursor.execute("SET LOCAL session_replication_role = replica")
        _copy_rows(cursor, rows, team_id, now)


def _copy_rows(cursor: Any, rows: Any, team_id: int, now: dt.datetime) -> None:
    with cursor.cursor.copy(COPY_SQL) as copy:
        for claim, url, publisher, published, language, rel, cred, marking, excerpt in rows:
            copy.write_row(
                (
                    uuid.uuid4(),
                    team_id,
                    marking or "amber",
                    now,
                    now,
                    claim,
                    url,
                    publisher,
                    published or None,
                    excerpt,
                    language,
                    rel,
                    int(cred),
                    "unverified",
                    "",
                    "",
                    "",
                )
            )


def p6_csv_import(scale: float) -> Result:
    """CSV import of 100k evidence items (the service, as ``manage.py import_evidence``, audit
    included) ÷ ``COPY`` of the same rows into the same table with no triggers."""
    from messaging.services import evidence_import

    count = max(1000, int(100_000 * scale))
    world = w.build("p6")
    # One of each, interleaved: at 100k rows each takes minutes (see docs/benchmarks.md).
    content = import_csv(count, "ours")
    start = time.perf_counter()
    items = evidence_import(
        actor=world.planner, owner_team=world.team, content=content, max_rows=None
    )
    ours = time.perf_counter() - start
    assert len(items) == count
    content = import_csv(count, "copy")
    start = time.perf_counter()
    copy_baseline(content, world.team.pk)
    raw = time.perf_counter() - start
    return Result(
        f"P6 CSV import, {count} evidence items",
        ours,
        raw,
        "s",
        "≤ 5",
        f"one each, interleaved; service (every check, then COPY; audit rows) ÷ bare COPY "
        f"(same table, no triggers: session_replication_role = replica); "
        f"{count / ours:,.0f} rows/s",
    )
