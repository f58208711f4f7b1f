"""``manage.py seed_demo``: load the demo data a newcomer sees after ``make run``.

The demo follows the example that shaped Candor (DESIGN.md): a public-diplomacy desk tells
audiences in Belarus, Kazakhstan, Moldova and the Balkans, with sources, that a treaty ally was
left without the promised support. Everything goes through the domain services (so every rule,
event and recall is real), except the dispatch history, for which no service exists yet: those
states are written the way a dispatcher would write them (a compare-and-swap UPDATE, an
``ActivityEvent`` and a ``Dispatch`` row).

Every person, country, treaty, publisher and URL here is fictional (``example.org`` and its
kin); the demo must never put invented words in a real publisher's mouth.

Idempotent: if the demo campaign is there, the command says so and changes nothing. Refused in
production settings. Everything is written in one transaction: all of it, or none.
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import AbstractContextManager
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_context
from accounts.models import Marking, Membership, Role, Team, User
from accounts.services import staff_group_ensure
from audiences.models import Audience, Channel, Segment
from campaigns import services as campaign_services
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    Campaign,
    Dispatch,
    OutreachActivity,
    ReportSubscription,
)
from messaging import services as messaging_services
from messaging.models import EvidenceItem, Message, Theme

S = ActivityStatus
Kind = ActivityEvent.Kind

CAMPAIGN_NAME = "Promises Kept? Accountability for the treaty ally"
ATTRIBUTED_TO = "Ministry of Foreign Affairs — Public Diplomacy Desk (official spokesperson)"
STAFF_TEAM = ("Public Diplomacy Desk", "public-diplomacy-desk")
PARTNER_A = ("Partner Team A", "partner-team-a")
PARTNER_B = ("Partner Team B", "partner-team-b")
WEBHOOK_SECRET = "candor-demo-webhook-secret"  # noqa: S105 - public demo value

# username → (first name, last name, timezone, team key, role). Staff users may use the staff UI.
USERS: dict[str, tuple[str, str, str, str, str]] = {
    "planner": ("Maya", "Lindqvist", "Europe/Vilnius", "staff", Role.PLANNER),
    "reviewer": ("Tomas", "Novak", "Europe/Prague", "staff", Role.REVIEWER),
    "approver": ("Elena", "Marin", "Europe/Chisinau", "staff", Role.APPROVER),
    "lead": ("David", "Okafor", "Europe/Minsk", "staff", Role.LEAD),
    "partner_a": ("Aigerim", "Sadykova", "Asia/Almaty", "partner_a", Role.LEAD),
    "partner_b": ("Luka", "Petrović", "Europe/Belgrade", "partner_b", Role.LEAD),
}
ADMIN_USERNAME = "admin"

SEGMENTS: dict[str, list[tuple[str, str]]] = {
    "belarus": [
        ("Policy elites", "Analysts, former officials and think-tank staff in Minsk."),
        ("Russian-language media consumers", "Readers of Russian-language news sites."),
    ],
    "kazakhstan": [
        ("Students", "University students in Almaty and Astana."),
        ("Russian-language media consumers", "Audiences of Russian-language TV and portals."),
    ],
    "moldova": [
        ("Diaspora", "Moldovans abroad, reached through community newsletters."),
        ("Russian-language media consumers", "Russian-speaking readers in Chișinău and Bălți."),
    ],
    "balkans": [
        ("Policy elites", "Parliamentary staff, security analysts and editors."),
        ("Students", "Students of political science and journalism."),
    ],
}

# key → evidence fields. ``status`` is where the demo leaves it; ``reason`` says why.
EVIDENCE: dict[str, dict[str, Any]] = {
    "request": {
        "claim": "Veldoria formally invoked Article 4 of the Northern Security Pact on "
        "14 March 2026 and requested air-defence support.",
        "source_url": "https://www.example.org/pact/communiques/2026-03-14-article-4",
        "publisher": "Northern Security Pact Secretariat (official communiqué)",
        "published_on": date(2026, 3, 14),
        "excerpt": "The Secretariat confirms receipt of the Republic of Veldoria's request "
        "for assistance under Article 4 and has circulated it to all member states.",
        "language": "en",
        "rating": ("A", 1),
        "marking": Marking.GREEN,
        "status": "verified",
    },
    "no_delivery": {
        "claim": "No Pact member delivered the requested air-defence systems within the "
        "30-day response period the treaty sets.",
        "source_url": "https://monitor.example.net/reports/veldoria-article-4-response",
        "publisher": "Regional Security Monitor",
        "published_on": date(2026, 4, 20),
        "excerpt": "Thirty days after the request, our tracking of public procurement, "
        "transport notices and member-state statements shows no delivery to Veldoria.",
        "language": "en",
        "rating": ("B", 2),
        "marking": Marking.AMBER,
        "status": "verified",
    },
    "summit": {
        "claim": "The declaration of the Pact's May 2026 summit does not mention Veldoria's "
        "request.",
        "source_url": "https://www.example.com/ru/news/2026/05/17/pact-summit-declaration",
        "publisher": "Вестник региона (news agency)",
        "published_on": date(2026, 5, 17),
        "excerpt": "Полный текст декларации саммита: 14 пунктов, ни один из которых не касается "
        "запроса Вельдории.",
        "language": "ru",
        "rating": ("B", 2),
        "marking": Marking.AMBER,
        "status": "verified",
    },
    "parliament": {
        "claim": "After the request went unanswered, Veldoria's parliament debated leaving "
        "the Pact.",
        "source_url": "https://www.example.org/ro/analize/2026/06/veldoria-parlament-pact",
        "publisher": "Revista de Securitate Regională",
        "published_on": date(2026, 6, 3),
        "excerpt": "Dezbaterea de trei ore din parlamentul Veldoriei a avut un singur subiect: "
        "rămânerea în Pact după ce cererea de ajutor a fost ignorată.",
        "language": "ro",
        "rating": ("B", 2),
        "marking": Marking.AMBER,
        "status": "verified",
    },
    "midyear_report": {
        "claim": "The Pact's own mid-year implementation report for 2026 records no "
        "deliveries under Article 4.",
        "source_url": "https://www.example.org/pact/reports/2026-midyear-implementation.pdf",
        "publisher": "Northern Security Pact — Mid-year Implementation Report 2026",
        "published_on": date(2026, 7, 15),
        "excerpt": "Table 3, 'Assistance delivered under Article 4': no entries.",
        "language": "en",
        "rating": ("A", 1),
        "marking": Marking.GREEN,
        "status": "verified",
    },
    "never_voted": {
        "claim": "Pact officials privately acknowledged that Veldoria's request was never put "
        "to a vote.",
        "source_url": "https://review.example.net/2026/09/01/pact-request-never-voted",
        "publisher": "Balkan Policy Review",
        "published_on": date(2026, 9, 1),
        "excerpt": "Two officials, speaking on condition of anonymity, said the request "
        "'never reached the agenda'.",
        "language": "en",
        "rating": ("C", 3),
        "marking": Marking.AMBER,
        "status": "unverified",
    },
    "withdrawal": {
        "claim": "Pact forces stationed near Veldoria's border were ordered to withdraw "
        "during the crisis.",
        "source_url": "https://www.example.com/mediawatch/2026/04/02/frontline-notes-post",
        "publisher": "Media Watch (reposting the Telegram channel 'Frontline Notes')",
        "published_on": date(2026, 4, 2),
        "excerpt": "«Подразделения пакта получили приказ покинуть приграничные позиции».",
        "language": "ru",
        "rating": ("C", 3),
        "marking": Marking.AMBER,
        "status": "disputed",
        "reason": "Satellite imagery reviewed by two independent analysts shows the units "
        "stayed in place; the claim rests on a single anonymous post.",
    },
    "leaked_memo": {
        "claim": "A leaked memo shows the Pact's secretary-general vetoed the deployment.",
        "source_url": "https://weekly.example.org/2026/05/09/leaked-memo-deployment-veto",
        "publisher": "Eastern Affairs Weekly",
        "published_on": date(2026, 5, 9),
        "excerpt": "The two-page memo, seen by this newspaper, instructs staff to 'take no "
        "further action' on the deployment.",
        "language": "en",
        "rating": ("B", 3),
        "marking": Marking.AMBER,
        # Verified first, retracted once an approved activity cites it: the demo shows a recall.
        "status": "retracted",
        "reason": "Eastern Affairs Weekly retracted the article: the memo could not be "
        "authenticated and the publisher withdrew it with an editor's note.",
    },
}


def _sentences(*parts: str) -> str:
    return " ".join(parts)


def _seed_audit(step: str) -> AbstractContextManager[Any]:
    """Name the seeder in the trigger-written history of the writes it makes itself.

    Without it those rows would be attributed to the previous service's audit context: the
    context is a transaction-local setting on PostgreSQL, so it outlives its ``with`` block
    until commit, and the whole seed is one transaction."""
    return audit_context(actor=None, action=f"seed_demo_{step}")


class Demo:
    """Builds the demo world step by step; attributes hold what later steps need."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.now = timezone.now()
        self.today = self.now.date()
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.audiences: dict[str, Audience] = {}
        self.segments: dict[tuple[str, str], Segment] = {}
        self.channels: dict[str, Channel] = {}
        self.themes: dict[str, Theme] = {}
        self.evidence: dict[str, EvidenceItem] = {}
        self.messages: dict[str, Message] = {}
        self.campaign: Campaign | None = None

    # --- people and reference data ------------------------------------------------------------

    def people(self) -> None:
        staff_group = staff_group_ensure()
        for key, (name, slug), kind in (
            ("staff", STAFF_TEAM, Team.Kind.STAFF),
            ("partner_a", PARTNER_A, Team.Kind.PARTNER),
            ("partner_b", PARTNER_B, Team.Kind.PARTNER),
        ):
            self.teams[key] = Team.objects.create(name=name, slug=slug, kind=kind)
        for username, (first, last, zone, team_key, role) in USERS.items():
            user = User.objects.create_user(
                username,
                email=f"{username}@candor.example",
                password=self.password,
                first_name=first,
                last_name=last,
                timezone=zone,
                is_staff=team_key == "staff",
            )
            Membership.objects.create(user=user, team=self.teams[team_key], role=role)
            if user.is_staff:
                user.groups.add(staff_group)
            self.users[username] = user
        self.users[ADMIN_USERNAME] = User.objects.create_superuser(
            ADMIN_USERNAME,
            email=f"{ADMIN_USERNAME}@candor.example",
            password=self.password,
            first_name="Demo",
            last_name="Administrator",
        )

    def reference(self) -> None:
        slugs = ["belarus", "kazakhstan", "moldova", "balkans", "latin-america", "africa"]
        self.audiences = {a.slug: a for a in Audience.objects.filter(slug__in=slugs)}
        missing = set(slugs) - set(self.audiences)
        if missing:
            raise CommandError(
                f"Seeded audiences missing ({', '.join(sorted(missing))}); run migrate first."
            )
        for slug, segments in SEGMENTS.items():
            for name, notes in segments:
                segment, _ = Segment.objects.get_or_create(
                    audience=self.audiences[slug], name=name, defaults={"notes": notes}
                )
                self.segments[(slug, name)] = segment
        staff, partner_a = self.teams["staff"], self.teams["partner_a"]
        self.channels["press"] = Channel.objects.create(
            owner_team=staff,
            kind=Channel.Kind.EMAIL,
            name="Press list",
            email_recipients=["press-list@candor.example", "regional-desks@candor.example"],
        )
        self.channels["webhook"] = Channel.objects.create(
            owner_team=staff,
            kind=Channel.Kind.WEBHOOK,
            name="Partner newsroom feed",
            webhook_url="http://127.0.0.1:9999/hooks/candor",
            webhook_secret=WEBHOOK_SECRET,
        )
        self.channels["manual"] = Channel.objects.create(
            owner_team=staff,
            kind=Channel.Kind.MANUAL,
            name="Briefings and op-eds",
            officer=self.users["lead"],
        )
        self.channels["partner_a"] = Channel.objects.create(
            owner_team=partner_a,
            kind=Channel.Kind.EMAIL,
            name="Partner A diaspora newsletter",
            email_recipients=["diaspora-newsletter@partner-a.example"],
        )

    # --- the library: themes, evidence, messages ------------------------------------------------

    def library(self) -> None:
        planner, reviewer, staff = (
            self.users["planner"],
            self.users["reviewer"],
            self.teams["staff"],
        )
        self.themes["guarantees"] = messaging_services.theme_create(
            actor=planner,
            owner_team=staff,
            title="Broken security guarantees",
            summary="The Pact promised collective defence; when Veldoria asked, nothing came.",
            key_points=[
                "Veldoria invoked Article 4 through the proper channel.",
                "The treaty's 30-day response period passed without a delivery.",
                "The Pact's summit stayed silent on the request.",
            ],
            tags=["C00030", "C00156"],  # DISARM countermeasures: truth-based counter-narrative
            marking=Marking.AMBER,
        )
        self.themes["documentation"] = messaging_services.theme_create(
            actor=planner,
            owner_team=staff,
            title="Independent documentation of the shortfall",
            summary="The Pact's own reports and independent monitors record the shortfall.",
            key_points=[
                "The Pact's mid-year report lists no Article 4 deliveries.",
                "Independent monitors tracked no shipments.",
                "We cite only what readers can check for themselves.",
            ],
            tags=["C00008", "C00028"],  # DISARM: shared fact-checking, provenance
            marking=Marking.GREEN,
        )
        self.themes["allies"] = messaging_services.theme_create(
            actor=planner,
            owner_team=staff,
            title="What reliable allies look like",
            summary="Commitments that are kept, on time and in public.",
            key_points=["Partnership is measured in deliveries, not declarations."],
            tags=["C00156"],
            marking=Marking.GREEN,
        )
        for key, spec in EVIDENCE.items():
            reliability, credibility = spec["rating"]
            item = messaging_services.evidence_create(
                actor=planner,
                owner_team=staff,
                claim=spec["claim"],
                source_url=spec["source_url"],
                publisher=spec["publisher"],
                published_on=spec["published_on"],
                excerpt=spec["excerpt"],
                language=spec["language"],
                source_reliability=reliability,
                information_credibility=credibility,
                marking=spec["marking"],
            )
            # The retracted item is verified first: it is retracted after an approval cites it.
            if spec["status"] in ("verified", "retracted"):
                item = messaging_services.evidence_verify(
                    evidence=item,
                    actor=reviewer,
                    reason="Checked against the primary source and its archived copy.",
                )
            self.evidence[key] = item

    def build_campaign(self) -> Campaign:
        campaign = campaign_services.campaign_create(
            actor=self.users["planner"],
            owner_team=self.teams["staff"],
            name=CAMPAIGN_NAME,
            objective="Show audiences in Belarus, Kazakhstan, Moldova and the Balkans, with "
            "sources they can check, that Veldoria invoked the Northern Security Pact and was "
            "left without the support the treaty promised.",
            starts_on=self.today - timedelta(days=30),
            ends_on=self.today + timedelta(days=120),
            attributed_to=ATTRIBUTED_TO,
            audiences=[self.audiences[s] for s in ("belarus", "kazakhstan", "moldova", "balkans")],
            themes=list(self.themes.values()),
            collaborating_teams=[self.teams["partner_a"]],
        )
        campaign = campaign_services.campaign_set_status(
            campaign=campaign, actor=self.users["lead"], status=Campaign.Status.ACTIVE
        )
        self.campaign = campaign
        return campaign

    def _message(
        self,
        key: str,
        *,
        theme: str,
        audience: str,
        language: str,
        headline: str,
        cited: list[tuple[str, str]],
        extra: tuple[str, ...] = (),
        call_to_action: str = "",
        actor: str = "planner",
        owner_team: str | None = None,
    ) -> None:
        """A message whose body is its cited sentences (plus ``extra``), so every citation's
        sentence appears in the text word for word."""
        self.messages[key] = messaging_services.message_create(
            actor=self.users[actor],
            theme=self.themes[theme],
            language=language,
            audience=self.audiences[audience],
            owner_team=self.teams[owner_team] if owner_team else None,
            headline=headline,
            body=_sentences(*(sentence for _, sentence in cited), *extra),
            call_to_action=call_to_action,
            citations=[(self.evidence[e], sentence) for e, sentence in cited],
        )

    def write_messages(self) -> None:
        ru_request = "14 марта 2026 года Вельдория официально запросила помощь по статье 4 пакта."
        ru_summit = "В декларации майского саммита пакта запрос Вельдории не упоминается."
        self._message(
            "be_belarus",
            theme="guarantees",
            audience="belarus",
            language="be",
            headline="Паўночны пакт бяспекі не выканаў абяцання, дадзенага Вельдорыі",
            cited=[
                (
                    "request",
                    "14 сакавіка 2026 года Вельдорыя афіцыйна звярнулася па дапамогу паводле "
                    "артыкула 4 пакта.",
                ),
                (
                    "no_delivery",
                    "За 30 дзён, вызначаных дагаворам, ніводная краіна пакта не паставіла "
                    "запытаныя сродкі супрацьпаветранай абароны.",
                ),
            ],
            extra=("Саюзнік, які выконваў свае абавязацельствы, застаўся адзін.",),
            call_to_action="Першакрыніцы — камюніке сакратарыята і справаздача маніторынгу — "
            "па спасылках ніжэй.",
        )
        self._message(
            "ru_belarus",
            theme="guarantees",
            audience="belarus",
            language="ru",
            headline="Обещанная помощь Вельдории так и не пришла",
            cited=[("request", ru_request), ("summit", ru_summit)],
            extra=("Союзник, выполнявший свои обязательства, остался один.",),
            call_to_action="Сравните сами: ссылки на первоисточники приведены ниже.",
        )
        self._message(
            "kk_kazakhstan",
            theme="documentation",
            audience="kazakhstan",
            language="kk",
            headline="Пакттің өз есебі: 4-бап бойынша бірде-бір жеткізілім жоқ",
            cited=[
                (
                    "midyear_report",
                    "Пакттің 2026 жылғы жартыжылдық ресми есебінде 4-бап бойынша бірде-бір "
                    "жеткізілім көрсетілмеген.",
                ),
                (
                    "never_voted",  # still unverified: the evidence review cannot pass yet
                    "Пакт өкілдері бұл өтініш ешқашан дауысқа салынбағанын мойындаған.",
                ),
            ],
            extra=("Дереккөздердің сілтемелері төменде берілген.",),
            call_to_action="Есептің толық мәтінін оқыңыз.",
        )
        self._message(
            "ru_kazakhstan",
            theme="guarantees",
            audience="kazakhstan",
            language="ru",
            headline="Тридцать дней тишины: как пакт оставил союзника без поддержки",
            cited=[
                (
                    "no_delivery",
                    "За 30 дней, установленных договором, ни одна страна пакта не поставила "
                    "запрошенные средства ПВО.",
                ),
                ("summit", ru_summit),
            ],
            extra=("Вопрос не в словах, а в выполненных обязательствах.",),
            call_to_action="Задайте свои вопросы на брифинге.",
        )
        self._message(
            "ro_moldova",
            theme="guarantees",
            audience="moldova",
            language="ro",
            headline="Veldoria a cerut ajutor. Pactul a tăcut.",
            cited=[
                (
                    "request",
                    "La 14 martie 2026, Veldoria a invocat oficial articolul 4 al Pactului de "
                    "Securitate de Nord.",
                ),
                (
                    "parliament",
                    "După ce cererea a rămas fără răspuns, parlamentul Veldoriei a dezbătut "
                    "ieșirea din Pact.",
                ),
            ],
            extra=("Un aliat care și-a respectat angajamentele a rămas singur.",),
            call_to_action="Citiți sursele originale la linkurile de mai jos.",
        )
        # Written by the partner team itself, citing evidence marked TLP:GREEN.
        self._message(
            "ru_moldova_partner",
            theme="documentation",
            audience="moldova",
            language="ru",
            headline="Документы пакта: ни одной поставки по статье 4",
            cited=[
                (
                    "midyear_report",
                    "В официальном полугодовом отчёте пакта за 2026 год не значится ни одной "
                    "поставки по статье 4.",
                ),
            ],
            extra=("Это данные самого пакта, а не его критиков.",),
            call_to_action="Отчёт доступен по ссылке в рассылке.",
            actor="partner_a",
            owner_team="partner_a",
        )
        self._message(
            "sr_balkans",
            theme="guarantees",
            audience="balkans",
            language="sr-Latn",
            headline="Trideset dana bez odgovora",
            cited=[
                (
                    "no_delivery",
                    "U roku od 30 dana koji predviđa ugovor nijedna članica pakta nije "
                    "isporučila tražene sisteme protivvazdušne odbrane.",
                ),
                (
                    "withdrawal",  # disputed after the reviewer sends the activity back
                    "Snage pakta stacionirane blizu granice dobile su naređenje da se povuku "
                    "tokom krize.",
                ),
            ],
            call_to_action="Pročitajte izvore i sami procenite.",
        )
        self._message(
            "sr_balkans_oped",
            theme="documentation",
            audience="balkans",
            language="sr-Latn",
            headline="Šta kažu sami dokumenti pakta",
            cited=[
                (
                    "midyear_report",
                    "Polugodišnji izveštaj pakta za 2026. ne navodi nijednu isporuku po članu 4.",
                ),
                (
                    "leaked_memo",  # retracted after approval: the op-ed is recalled
                    "Procureli dopis pokazuje da je generalni sekretar pakta blokirao "
                    "raspoređivanje.",
                ),
            ],
            call_to_action="Dokumenti su dostupni javnosti.",
        )

    # --- activities ------------------------------------------------------------------------------

    def _local(self, audience: str, days: int, at: time) -> datetime:
        """A naive wall-clock time ``days`` from the audience's today."""
        local_today = self.audiences[audience].to_local(self.now).date()
        return datetime.combine(local_today + timedelta(days=days), at)

    def _past(self, audience: str, days_ago: int, at: time) -> datetime:
        """``days_ago`` days before the audience's today at local ``at``, in UTC."""
        return self.audiences[audience].to_utc(self._local(audience, -days_ago, at))

    def _draft(
        self,
        title: str,
        *,
        audience: str,
        message: str,
        channel: str,
        days: int,
        at: time,
        segment: str | None = None,
        actor: str = "planner",
    ) -> OutreachActivity:
        assert self.campaign is not None
        return campaign_services.activity_create(
            actor=self.users[actor],
            campaign=self.campaign,
            title=title,
            audience=self.audiences[audience],
            segment=self.segments[(audience, segment)] if segment else None,
            message=self.messages[message],
            channel=self.channels[channel],
            scheduled_local=self._local(audience, days, at),
        )

    def _approved(
        self, activity: OutreachActivity, *, submitter: str = "planner"
    ) -> OutreachActivity:
        """Submit, pass the evidence review (reviewer) and sign off (approver)."""
        activity = campaign_services.activity_submit(activity=activity, actor=self.users[submitter])
        activity = campaign_services.activity_approve(
            activity=activity,
            actor=self.users["reviewer"],
            comment="Every cited sentence matches its source.",
        )
        return campaign_services.activity_approve(
            activity=activity, actor=self.users["approver"], comment="Signed off."
        )

    def activities(self) -> None:
        planner, reviewer = self.users["planner"], self.users["reviewer"]

        # draft
        self._draft(
            "Expert briefing for Minsk policy analysts (Belarusian)",
            audience="belarus",
            segment="Policy elites",
            message="be_belarus",
            channel="manual",
            days=21,
            at=time(11, 0),
        )

        # in review, waiting at step 1: one cited item is still unverified
        activity = self._draft(
            "Kazakh-language press note: the Pact's own records",
            audience="kazakhstan",
            segment="Students",
            message="kk_kazakhstan",
            channel="press",
            days=14,
            at=time(9, 30),
        )
        campaign_services.activity_submit(activity=activity, actor=planner)

        # in review, waiting at step 2 (evidence review passed, sign-off pending)
        activity = self._draft(
            "Partner newsroom feed: Moldova explainer (Romanian)",
            audience="moldova",
            message="ro_moldova",
            channel="webhook",
            days=10,
            at=time(10, 0),
        )
        activity = campaign_services.activity_submit(activity=activity, actor=planner)
        campaign_services.activity_approve(
            activity=activity, actor=reviewer, comment="Sources check out; over to sign-off."
        )

        # changes requested by the reviewer; then the evidence behind it is disputed
        activity = self._draft(
            "Balkans press mailing: the thirty days that went unanswered",
            audience="balkans",
            segment="Policy elites",
            message="sr_balkans",
            channel="press",
            days=12,
            at=time(10, 0),
        )
        activity = campaign_services.activity_submit(activity=activity, actor=planner)
        campaign_services.activity_request_changes(
            activity=activity,
            actor=reviewer,
            comment="The border-withdrawal sentence rests on one anonymous Telegram post. "
            "Find a second source or drop the sentence.",
        )
        spec = EVIDENCE["withdrawal"]
        self.evidence["withdrawal"] = messaging_services.evidence_dispute(
            evidence=self.evidence["withdrawal"], actor=reviewer, reason=spec["reason"]
        )

        # approved, waiting for its time
        self._approved(
            self._draft(
                "Russian-language press mailing for Belarus",
                audience="belarus",
                segment="Russian-language media consumers",
                message="ru_belarus",
                channel="press",
                days=7,
                at=time(9, 0),
            )
        )

        # approved, planned and submitted by the partner team through its own channel
        self._approved(
            self._draft(
                "Partner A newsletter to the Moldovan diaspora",
                audience="moldova",
                segment="Diaspora",
                message="ru_moldova_partner",
                channel="partner_a",
                days=9,
                at=time(18, 0),
                actor="partner_a",
            ),
            submitter="partner_a",
        )

        # cancelled while in review
        activity = self._draft(
            "Almaty roundtable with journalists",
            audience="kazakhstan",
            message="ru_kazakhstan",
            channel="manual",
            days=30,
            at=time(15, 0),
        )
        activity = campaign_services.activity_submit(activity=activity, actor=planner)
        campaign_services.activity_cancel(
            activity=activity,
            actor=planner,
            reason="The venue withdrew; the online briefing replaces the roundtable.",
        )

        # approved, then recalled: the leaked memo it cites is retracted
        self._approved(
            self._draft(
                "Op-ed placement in a Belgrade weekly",
                audience="balkans",
                segment="Students",
                message="sr_balkans_oped",
                channel="manual",
                days=5,
                at=time(8, 0),
            )
        )
        spec = EVIDENCE["leaked_memo"]
        self.evidence["leaked_memo"] = messaging_services.evidence_retract(
            evidence=self.evidence["leaked_memo"], actor=reviewer, reason=spec["reason"]
        )

    # --- dispatch history (no service yet: written as the dispatcher would) ----------------------

    def _move_to(self, activity: OutreachActivity, scheduled_at: datetime) -> OutreachActivity:
        """Move an approved activity's time into the past, so the demo has a history.

        The approved hash covers the time, so it is recomputed with it: the row stays
        consistent ("approved hash = content hash"), and a retry of the failed one is not
        refused for content nobody changed."""
        activity.scheduled_at = scheduled_at
        with _seed_audit("reschedule"):
            moved = OutreachActivity.objects.filter(
                pk=activity.pk, version=activity.version, status=S.APPROVED
            ).update(
                scheduled_at=scheduled_at,
                approved_content_hash=activity.content_hash(),
                version=F("version") + 1,
                updated_at=timezone.now(),
            )
        if moved != 1:
            raise CommandError(f"{activity} changed under the seeder.")
        return OutreachActivity.objects.get(pk=activity.pk)

    def _transition(
        self, activity: OutreachActivity, to_status: str, kind: str, *, comment: str = ""
    ) -> OutreachActivity:
        """A compare-and-swap UPDATE plus its event, as the dispatcher writes them."""
        with _seed_audit(to_status):
            changed = OutreachActivity.objects.filter(
                pk=activity.pk, version=activity.version, status=activity.status
            ).update(status=to_status, version=F("version") + 1, updated_at=timezone.now())
            if changed != 1:
                raise CommandError(f"{activity} changed under the seeder.")
            ActivityEvent.objects.create(
                activity=activity,
                kind=kind,
                actor=None,
                from_status=activity.status,
                to_status=to_status,
                comment=comment,
            )
        return OutreachActivity.objects.get(pk=activity.pk)

    def _dispatch(self, activity: OutreachActivity, *, result: str, error: str = "") -> Dispatch:
        dispatch = Dispatch.objects.create(
            activity=activity,
            attempt=1,
            idempotency_key=activity.idempotency_key,
            channel=activity.channel,
            result=result,
            error=error,
        )
        # started_at is auto_now_add; the attempt happened at the scheduled time.
        finished = None if result == Dispatch.Result.PENDING else activity.scheduled_at
        Dispatch.objects.filter(pk=dispatch.pk).update(
            started_at=activity.scheduled_at,
            finished_at=finished + timedelta(seconds=4) if finished else None,
        )
        return dispatch

    def _gone_out(
        self, activity: OutreachActivity, scheduled_at: datetime, *, sent: bool
    ) -> OutreachActivity:
        activity = self._move_to(activity, scheduled_at)
        activity = self._transition(activity, S.DISPATCHING, Kind.DISPATCH_STARTED)
        if sent:
            self._dispatch(activity, result=Dispatch.Result.SENT)
            return self._transition(activity, S.DISPATCHED, Kind.DISPATCHED)
        error = (
            "ConnectionRefusedError: [Errno 111] Connection refused "
            "(POST http://127.0.0.1:9999/hooks/candor, 5 attempts with backoff)"
        )
        self._dispatch(activity, result=Dispatch.Result.FAILED, error=error)
        return self._transition(activity, S.FAILED, Kind.FAILED, comment=error)

    def dispatch_history(self) -> None:
        # dispatching: due two minutes ago, the first attempt is under way
        activity = self._approved(
            self._draft(
                "Partner newsroom feed: Belarus explainer (Belarusian)",
                audience="belarus",
                message="be_belarus",
                channel="webhook",
                days=3,
                at=time(12, 0),
            )
        )
        due = (self.now - timedelta(minutes=2)).replace(second=0, microsecond=0)
        activity = self._move_to(activity, due)
        activity = self._transition(activity, S.DISPATCHING, Kind.DISPATCH_STARTED)
        self._dispatch(activity, result=Dispatch.Result.PENDING)

        # dispatched two days ago
        activity = self._approved(
            self._draft(
                "Romanian-language press mailing for Moldova",
                audience="moldova",
                message="ro_moldova",
                channel="press",
                days=2,
                at=time(9, 0),
            )
        )
        self._gone_out(activity, self._past("moldova", 2, time(9, 0)), sent=True)

        # completed: dispatched ten days ago, outcome recorded through the service
        activity = self._approved(
            self._draft(
                "Briefing for Kazakh journalists (Russian)",
                audience="kazakhstan",
                segment="Russian-language media consumers",
                message="ru_kazakhstan",
                channel="manual",
                days=4,
                at=time(11, 0),
            )
        )
        activity = self._gone_out(activity, self._past("kazakhstan", 10, time(11, 0)), sent=True)
        campaign_services.activity_record_outcome(
            activity=activity,
            actor=self.users["planner"],
            reach=1800,
            engagement=240,
            pickups=[
                "https://news.example.com/kz/2026/briefing-pact-article-4",
                "https://www.example.org/kk/analytics/veldoria-request",
            ],
            notes="Twenty-two journalists attended; three outlets ran the story the same day.",
        )

        # failed yesterday: the partner's webhook refused the connection
        activity = self._approved(
            self._draft(
                "Partner newsroom feed: Belarus (Russian)",
                audience="belarus",
                message="ru_belarus",
                channel="webhook",
                days=6,
                at=time(12, 0),
            )
        )
        self._gone_out(activity, self._past("belarus", 1, time(12, 0)), sent=False)

    def reports(self) -> None:
        assert self.campaign is not None
        lead = self.users["lead"]
        subscription = ReportSubscription.objects.create(
            owner=lead,
            campaign=self.campaign,
            cadence=ReportSubscription.Cadence.WEEKLY,
            weekday=0,
            send_time=time(8, 0),
            timezone="Europe/Minsk",
        )
        subscription.recipients.set([lead])

    def run(self) -> Campaign:
        self.people()
        self.reference()
        self.library()
        campaign = self.build_campaign()
        self.write_messages()
        self.activities()
        self.dispatch_history()
        self.reports()
        return campaign


def _refused_here() -> bool:
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get(
        "DJANGO_SETTINGS_MODULE", ""
    )
    return module.rsplit(".", 1)[-1] == "production"


class Command(BaseCommand):
    help = "Load the demo campaign, teams and users (idempotent; refused in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if _refused_here():
            raise CommandError("seed_demo is refused in production settings")
        with transaction.atomic():
            existing = Campaign.objects.filter(
                name=CAMPAIGN_NAME, owner_team__slug=STAFF_TEAM[1]
            ).first()
            if existing is not None:
                self.stdout.write(
                    f"The demo data is already there (campaign “{existing.name}”); nothing changed."
                )
                return
            taken = sorted(
                User.objects.filter(username__in=[*USERS, ADMIN_USERNAME]).values_list(
                    "username", flat=True
                )
            )
            if (
                taken
                or Team.objects.filter(
                    slug__in=[STAFF_TEAM[1], PARTNER_A[1], PARTNER_B[1]]
                ).exists()
            ):
                raise CommandError(
                    "Some demo users or teams exist without the demo campaign "
                    f"({', '.join(taken) or 'teams'}); refusing to mix demo data into them."
                )
            campaign = Demo(settings.CANDOR_DEMO_PASSWORD).run()
        self._summary(campaign)

    def _summary(self, campaign: Campaign) -> None:
        activities = OutreachActivity.objects.filter(campaign=campaign)
        by_status = Counter(activities.values_list("status", flat=True))
        recalled = (
            ActivityEvent.objects.filter(activity__campaign=campaign, kind=Kind.RECALLED)
            .values("activity")
            .distinct()
            .count()
        )
        evidence = Counter(
            EvidenceItem.objects.filter(owner_team=campaign.owner_team).values_list(
                "status", flat=True
            )
        )
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data loaded: campaign “{campaign.name}”."))
        out.write(f"Activities ({activities.count()}):")
        for status, label in S.choices:
            out.write(f"  {label:<18} {by_status.get(status, 0)}")
        out.write(f"  (of which recalled after evidence was withdrawn: {recalled})")
        out.write(
            "Evidence: "
            + ", ".join(f"{s} {evidence.get(s, 0)}" for s in EvidenceItem.Status.values)
        )
        out.write(f"Users (password “{settings.CANDOR_DEMO_PASSWORD}”):")
        for username, (first, last, _, team_key, role) in USERS.items():
            team = {"staff": STAFF_TEAM, "partner_a": PARTNER_A, "partner_b": PARTNER_B}
            out.write(f"  {username:<10} {first} {last} — {role} of {team[team_key][0]}")
        out.write(f"  {ADMIN_USERNAME:<10} superuser (Django admin)")
