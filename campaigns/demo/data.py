"""The demo's world and its story, as plain data (loaded by ``campaigns.demo.loader``).

The demo follows the example that shaped Candor (DESIGN.md): a public-diplomacy desk tells
audiences in Belarus, Kazakhstan, Moldova and the Balkans, with sources, that a treaty ally was
left without the promised support. Every person, country, treaty, publisher and URL here is
fictional (``example.org`` and its kin); the demo must never put invented words in a real
publisher's mouth.

Every write has a moment, a ``When``: days before or after an anchor, at a local wall-clock
time. The anchor is ``"now"`` (when the demo is loaded) or ``"report"`` (the end of the latest
complete period of the demo's weekly report, 0–7 days ago): what that report covers is placed
in that period, whatever the weekday the demo is loaded on. An activity's times are its
audience's local times; everything else is the desk's (``DESK_TIMEZONE``). Only the past is
written: every step's day is before its anchor's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from accounts.models import Marking, Role

CAMPAIGN_NAME = "Promises Kept? Accountability for the treaty ally"
DESK_TIMEZONE = "Europe/Vilnius"
WEBHOOK_SECRET = "candor-demo-webhook-secret"  # noqa: S105 - public demo value
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class When:
    """``day`` days from the anchor's local date (negative: before it), at local ``at``
    ("HH:MM" or "HH:MM:SS")."""

    day: int
    at: str
    anchor: str = "now"

    @property
    def clock(self) -> time:
        return time.fromisoformat(self.at)


# Teams, users and segments exist from the start; the rest follows in time order.
WORLD_AT = When(-45, "09:00")

# key → (name, slug, kind)
TEAMS: dict[str, tuple[str, str, str]] = {
    "staff": ("Public Diplomacy Desk", "public-diplomacy-desk", "staff"),
    "partner_a": ("Partner Team A", "partner-team-a", "partner"),
    "partner_b": ("Partner Team B", "partner-team-b", "partner"),
}

# username → (first name, last name, timezone, team key, role). Staff users may use the staff UI.
USERS: dict[str, tuple[str, str, str, str, str]] = {
    "planner": ("Maya", "Lindqvist", "Europe/Vilnius", "staff", Role.PLANNER),
    "reviewer": ("Tomas", "Novak", "Europe/Prague", "staff", Role.REVIEWER),
    "approver": ("Elena", "Marin", "Europe/Chisinau", "staff", Role.APPROVER),
    "lead": ("David", "Okafor", "Europe/Minsk", "staff", Role.LEAD),
    "partner_a": ("Aigerim", "Sadykova", "Asia/Almaty", "partner_a", Role.LEAD),
    "partner_b": ("Luka", "Petrović", "Europe/Belgrade", "partner_b", Role.LEAD),
}

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

# key → channel_create's arguments, its moment and who creates it (a lead of the owner team).
# No channel points at a real address: e-mail goes to ``.example`` lists (under ``make run``
# into var/mail), and the demo sends no webhook (the partner's answers are part of the story).
CHANNELS: dict[str, dict[str, Any]] = {
    "press": {
        "at": When(-44, "10:00"),
        "actor": "lead",
        "owner_team": "staff",
        "kind": "email",
        "name": "Press list",
        "email_recipients": ["press-list@candor.example", "regional-desks@candor.example"],
    },
    "webhook": {
        "at": When(-44, "10:05"),
        "actor": "lead",
        "owner_team": "staff",
        "kind": "webhook",
        "name": "Partner newsroom feed",
        "webhook_url": "https://newsroom.partner.example/hooks/candor",
        "webhook_secret": WEBHOOK_SECRET,
    },
    "manual": {
        "at": When(-44, "10:10"),
        "actor": "lead",
        "owner_team": "staff",
        "kind": "manual",
        "name": "Briefings and op-eds",
        "officer": "lead",
    },
    "partner_a": {
        "at": When(-43, "12:00"),
        "actor": "partner_a",
        "owner_team": "partner_a",
        "kind": "email",
        "name": "Partner A diaspora newsletter",
        "email_recipients": ["diaspora-newsletter@partner-a.example"],
    },
}

THEMES: dict[str, dict[str, Any]] = {
    "guarantees": {
        "at": When(-40, "10:00"),
        "title": "Broken security guarantees",
        "summary": "The Pact promised collective defence; when Veldoria asked, nothing came.",
        "key_points": [
            "Veldoria invoked Article 4 through the proper channel.",
            "The treaty's 30-day response period passed without a delivery.",
            "The Pact's summit stayed silent on the request.",
        ],
        "tags": ["C00030", "C00156"],  # DISARM countermeasures: truth-based counter-narrative
        "marking": Marking.AMBER,
    },
    "documentation": {
        "at": When(-40, "10:30"),
        "title": "Independent documentation of the shortfall",
        "summary": "The Pact's own reports and independent monitors record the shortfall.",
        "key_points": [
            "The Pact's mid-year report lists no Article 4 deliveries.",
            "Independent monitors tracked no shipments.",
            "We cite only what readers can check for themselves.",
        ],
        "tags": ["C00008", "C00028"],  # DISARM: shared fact-checking, provenance
        "marking": Marking.GREEN,
    },
    "allies": {
        "at": When(-40, "11:00"),
        "title": "What reliable allies look like",
        "summary": "Commitments that are kept, on time and in public.",
        "key_points": ["Partnership is measured in deliveries, not declarations."],
        "tags": ["C00156"],
        "marking": Marking.GREEN,
    },
}

VERIFY_REASON = "Checked against the primary source and its archived copy."

# key → evidence_create's arguments, with its ``story``: (moment, "create" | "verify" |
# "dispute" | "retract"); a dispute or retraction gives its ``reason``. Created by the planner,
# verified, disputed and retracted by the reviewer.
EVIDENCE: dict[str, dict[str, Any]] = {
    "request": {
        "story": [(When(-38, "10:10"), "create"), (When(-37, "11:00"), "verify")],
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
    },
    "no_delivery": {
        "story": [(When(-38, "10:40"), "create"), (When(-37, "11:20"), "verify")],
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
    },
    "summit": {
        "story": [(When(-37, "09:30"), "create"), (When(-36, "15:00"), "verify")],
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
    },
    "parliament": {
        "story": [(When(-36, "10:00"), "create"), (When(-35, "12:10"), "verify")],
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
    },
    "midyear_report": {
        "story": [(When(-36, "14:20"), "create"), (When(-35, "16:45"), "verify")],
        "claim": "The Pact's own mid-year implementation report for 2026 records no "
        "deliveries under Article 4.",
        "source_url": "https://www.example.org/pact/reports/2026-midyear-implementation.pdf",
        "publisher": "Northern Security Pact — Mid-year Implementation Report 2026",
        "published_on": date(2026, 7, 15),
        "excerpt": "Table 3, 'Assistance delivered under Article 4': no entries.",
        "language": "en",
        "rating": ("A", 1),
        "marking": Marking.GREEN,
    },
    "never_voted": {
        "story": [(When(-30, "09:50"), "create")],
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
    },
    "withdrawal": {
        "story": [(When(-35, "11:00"), "create"), (When(-6, "17:20"), "dispute")],
        "claim": "Pact forces stationed near Veldoria's border were ordered to withdraw "
        "during the crisis.",
        "source_url": "https://www.example.com/mediawatch/2026/04/02/frontline-notes-post",
        "publisher": "Media Watch (reposting the Telegram channel 'Frontline Notes')",
        "published_on": date(2026, 4, 2),
        "excerpt": "«Подразделения пакта получили приказ покинуть приграничные позиции».",
        "language": "ru",
        "rating": ("C", 3),
        "marking": Marking.AMBER,
        "reason": "Satellite imagery reviewed by two independent analysts shows the units "
        "stayed in place; the claim rests on a single anonymous post.",
    },
    "leaked_memo": {
        "story": [
            (When(-34, "10:30"), "create"),
            (When(-31, "12:00"), "verify"),
            (When(-2, "09:40"), "retract"),
        ],
        "claim": "A leaked memo shows the Pact's secretary-general vetoed the deployment.",
        "source_url": "https://weekly.example.org/2026/05/09/leaked-memo-deployment-veto",
        "publisher": "Eastern Affairs Weekly",
        "published_on": date(2026, 5, 9),
        "excerpt": "The two-page memo, seen by this newspaper, instructs staff to 'take no "
        "further action' on the deployment.",
        "language": "en",
        "rating": ("B", 3),
        "marking": Marking.AMBER,
        "reason": "Eastern Affairs Weekly retracted the article: the memo could not be "
        "authenticated and the publisher withdrew it with an editor's note.",
    },
}

CAMPAIGN: dict[str, Any] = {
    "at": When(-32, "10:00"),
    "actor": "planner",
    "owner_team": "staff",
    "name": CAMPAIGN_NAME,
    "objective": "Show audiences in Belarus, Kazakhstan, Moldova and the Balkans, with sources "
    "they can check, that Veldoria invoked the Northern Security Pact and was left without the "
    "support the treaty promised.",
    "starts": -30,  # days from the desk's today
    "ends": 120,
    "attributed_to": "Ministry of Foreign Affairs — Public Diplomacy Desk (official spokesperson)",
    "audiences": ["belarus", "kazakhstan", "moldova", "balkans"],
    "themes": ["guarantees", "documentation", "allies"],
    "collaborating_teams": ["partner_a"],
    # The lead moves it from planning to active.
    "activated": When(-30, "09:00"),
    "activated_by": "lead",
}

RU_REQUEST = "14 марта 2026 года Вельдория официально запросила помощь по статье 4 пакта."
RU_SUMMIT = "В декларации майского саммита пакта запрос Вельдории не упоминается."

# key → message_create's arguments. The body is the cited sentences (plus ``extra``), so every
# citation's sentence appears in the text word for word. Written by the planner unless
# ``actor`` says otherwise.
MESSAGES: dict[str, dict[str, Any]] = {
    "be_belarus": {
        "at": When(-29, "10:00"),
        "theme": "guarantees",
        "audience": "belarus",
        "language": "be",
        "headline": "Паўночны пакт бяспекі не выканаў абяцання, дадзенага Вельдорыі",
        "cited": [
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
        "extra": ("Саюзнік, які выконваў свае абавязацельствы, застаўся адзін.",),
        "call_to_action": "Першакрыніцы — камюніке сакратарыята і справаздача маніторынгу — "
        "па спасылках ніжэй.",
    },
    "ru_belarus": {
        "at": When(-29, "11:30"),
        "theme": "guarantees",
        "audience": "belarus",
        "language": "ru",
        "headline": "Обещанная помощь Вельдории так и не пришла",
        "cited": [("request", RU_REQUEST), ("summit", RU_SUMMIT)],
        "extra": ("Союзник, выполнявший свои обязательства, остался один.",),
        "call_to_action": "Сравните сами: ссылки на первоисточники приведены ниже.",
    },
    "kk_kazakhstan": {
        "at": When(-28, "10:15"),
        "theme": "documentation",
        "audience": "kazakhstan",
        "language": "kk",
        "headline": "Пакттің өз есебі: 4-бап бойынша бірде-бір жеткізілім жоқ",
        "cited": [
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
        "extra": ("Дереккөздердің сілтемелері төменде берілген.",),
        "call_to_action": "Есептің толық мәтінін оқыңыз.",
    },
    "ru_kazakhstan": {
        "at": When(-28, "14:00"),
        "theme": "guarantees",
        "audience": "kazakhstan",
        "language": "ru",
        "headline": "Тридцать дней тишины: как пакт оставил союзника без поддержки",
        "cited": [
            (
                "no_delivery",
                "За 30 дней, установленных договором, ни одна страна пакта не поставила "
                "запрошенные средства ПВО.",
            ),
            ("summit", RU_SUMMIT),
        ],
        "extra": ("Вопрос не в словах, а в выполненных обязательствах.",),
        "call_to_action": "Задайте свои вопросы на брифинге.",
    },
    "ro_moldova": {
        "at": When(-27, "09:45"),
        "theme": "guarantees",
        "audience": "moldova",
        "language": "ro",
        "headline": "Veldoria a cerut ajutor. Pactul a tăcut.",
        "cited": [
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
        "extra": ("Un aliat care și-a respectat angajamentele a rămas singur.",),
        "call_to_action": "Citiți sursele originale la linkurile de mai jos.",
    },
    # Written by the partner team itself, citing evidence marked TLP:GREEN.
    "ru_moldova_partner": {
        "at": When(-25, "16:00"),
        "theme": "documentation",
        "audience": "moldova",
        "language": "ru",
        "headline": "Документы пакта: ни одной поставки по статье 4",
        "cited": [
            (
                "midyear_report",
                "В официальном полугодовом отчёте пакта за 2026 год не значится ни одной "
                "поставки по статье 4.",
            ),
        ],
        "extra": ("Это данные самого пакта, а не его критиков.",),
        "call_to_action": "Отчёт доступен по ссылке в рассылке.",
        "actor": "partner_a",
        "owner_team": "partner_a",
    },
    "sr_balkans": {
        "at": When(-26, "10:30"),
        "theme": "guarantees",
        "audience": "balkans",
        "language": "sr-Latn",
        "headline": "Trideset dana bez odgovora",
        "cited": [
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
        "call_to_action": "Pročitajte izvore i sami procenite.",
    },
    "sr_balkans_oped": {
        "at": When(-26, "15:00"),
        "theme": "documentation",
        "audience": "balkans",
        "language": "sr-Latn",
        "headline": "Šta kažu sami dokumenti pakta",
        "cited": [
            (
                "midyear_report",
                "Polugodišnji izveštaj pakta za 2026. ne navodi nijednu isporuku po članu 4.",
            ),
            (
                "leaked_memo",  # retracted after approval: the op-ed is recalled
                "Procureli dopis pokazuje da je generalni sekretar pakta blokirao raspoređivanje.",
            ),
        ],
        "call_to_action": "Dokumenti su dostupni javnosti.",
    },
}

# The steps of an activity's story, each (moment, verb, arguments):
#   create (by the owner), submit, approve, request_changes (comment), cancel (reason): the
#   lifecycle services, by ``actor``;
#   send: the dispatcher's tick at the scheduled time (claim, then send through the channel);
#   fail: the tick's attempts, each refused by the receiver with ``error`` (retried with the
#   configured backoff until the last is final);
#   mark_done: the manual channel's officer reports it carried out;
#   outcome: what it achieved, recorded by ``actor``.
SIGN_OFF = "Signed off."
EVIDENCE_OK = "Every cited sentence matches its source."


def _reviewed(submitted: When, checked: When, signed: When, by: str = "planner") -> list[Any]:
    """Submitted by ``by``, evidence review by the reviewer, sign-off by the approver."""
    return [
        (submitted, "submit", {"actor": by}),
        (checked, "approve", {"actor": "reviewer", "comment": EVIDENCE_OK}),
        (signed, "approve", {"actor": "approver", "comment": SIGN_OFF}),
    ]


def _r(day: int, at: str) -> When:
    """A moment in the latest period of the demo's weekly report."""
    return When(day, at, anchor="report")


ACTIVITIES: list[dict[str, Any]] = [
    {
        "title": "Expert briefing for Minsk policy analysts (Belarusian)",
        "audience": "belarus",
        "segment": "Policy elites",
        "message": "be_belarus",
        "channel": "manual",
        "scheduled": When(21, "11:00"),
        "story": [(When(-3, "10:20"), "create", {})],  # a draft
    },
    {
        # In review at the evidence review: one cited item is still unverified.
        "title": "Kazakh-language press note: the Pact's own records",
        "audience": "kazakhstan",
        "segment": "Students",
        "message": "kk_kazakhstan",
        "channel": "press",
        "scheduled": When(14, "09:30"),
        "story": [
            (When(-6, "09:40"), "create", {}),
            (When(-5, "16:10"), "submit", {"actor": "planner"}),
        ],
    },
    {
        # In review at the sign-off: the evidence review passed.
        "title": "Partner newsroom feed: Moldova explainer (Romanian)",
        "audience": "moldova",
        "message": "ro_moldova",
        "channel": "webhook",
        "scheduled": When(10, "10:00"),
        "story": [
            (When(-5, "11:00"), "create", {}),
            (When(-4, "09:15"), "submit", {"actor": "planner"}),
            (
                When(-3, "14:30"),
                "approve",
                {"actor": "reviewer", "comment": "Sources check out; over to sign-off."},
            ),
        ],
    },
    {
        # Changes requested by the reviewer; the evidence behind it is disputed the next day.
        "title": "Balkans press mailing: the thirty days that went unanswered",
        "audience": "balkans",
        "segment": "Policy elites",
        "message": "sr_balkans",
        "channel": "press",
        "scheduled": When(12, "10:00"),
        "story": [
            (When(-9, "10:00"), "create", {}),
            (When(-8, "12:00"), "submit", {"actor": "planner"}),
            (
                When(-7, "15:00"),
                "request_changes",
                {
                    "actor": "reviewer",
                    "comment": "The border-withdrawal sentence rests on one anonymous Telegram "
                    "post. Find a second source or drop the sentence.",
                },
            ),
        ],
    },
    {
        # Approved, waiting for its time.
        "title": "Russian-language press mailing for Belarus",
        "audience": "belarus",
        "segment": "Russian-language media consumers",
        "message": "ru_belarus",
        "channel": "press",
        "scheduled": When(7, "09:00"),
        "story": [
            (When(-6, "11:10"), "create", {}),
            *_reviewed(When(-5, "10:00"), When(-4, "15:20"), When(-3, "09:45")),
        ],
    },
    {
        # Approved: planned and submitted by the partner team, through its own channel.
        "title": "Partner A newsletter to the Moldovan diaspora",
        "audience": "moldova",
        "segment": "Diaspora",
        "message": "ru_moldova_partner",
        "channel": "partner_a",
        "owner": "partner_a",
        "scheduled": When(9, "18:00"),
        "story": [
            (When(-8, "13:00"), "create", {}),
            *_reviewed(When(-7, "10:30"), When(-6, "11:45"), When(-5, "16:00"), by="partner_a"),
        ],
    },
    {
        "title": "Almaty roundtable with journalists",
        "audience": "kazakhstan",
        "message": "ru_kazakhstan",
        "channel": "manual",
        "scheduled": When(30, "15:00"),
        "story": [
            (When(-12, "10:00"), "create", {}),
            (When(-11, "11:00"), "submit", {"actor": "planner"}),
            (
                When(-10, "17:30"),
                "cancel",
                {
                    "actor": "planner",
                    "reason": "The venue withdrew; the online briefing replaces the roundtable.",
                },
            ),
        ],
    },
    {
        # Approved, then recalled: the leaked memo it cites is retracted (see EVIDENCE).
        "title": "Op-ed placement in a Belgrade weekly",
        "audience": "balkans",
        "segment": "Students",
        "message": "sr_balkans_oped",
        "channel": "manual",
        "scheduled": When(5, "08:00"),
        "story": [
            (When(-7, "09:30"), "create", {}),
            *_reviewed(When(-6, "10:15"), When(-5, "14:00"), When(-4, "11:30")),
        ],
    },
    {
        # Dispatching: the officer was notified yesterday and has not reported it done.
        "title": "Background briefing for Belarusian exile media (Belarusian)",
        "audience": "belarus",
        "message": "be_belarus",
        "channel": "manual",
        "scheduled": When(-1, "15:00"),
        "story": [
            (When(-6, "16:00"), "create", {}),
            *_reviewed(When(-5, "12:30"), When(-4, "10:40"), When(-3, "13:15")),
            (When(-1, "15:00:04"), "send", {}),
        ],
    },
    {
        # Dispatched two days ago; no outcome yet.
        "title": "Romanian-language press mailing for Moldova",
        "audience": "moldova",
        "message": "ro_moldova",
        "channel": "press",
        "scheduled": When(-2, "09:00"),
        "story": [
            (When(-7, "10:00"), "create", {}),
            *_reviewed(When(-6, "09:30"), When(-5, "11:00"), When(-4, "17:00")),
            (When(-2, "09:00:03"), "send", {}),
        ],
    },
    {
        # Failed yesterday: the partner's system answered 503 to every attempt.
        "title": "Partner newsroom feed: Belarus (Russian)",
        "audience": "belarus",
        "message": "ru_belarus",
        "channel": "webhook",
        "scheduled": When(-1, "12:00"),
        "story": [
            (When(-5, "15:00"), "create", {}),
            *_reviewed(When(-4, "10:00"), When(-3, "11:20"), When(-2, "10:30")),
            (
                When(-1, "12:00:02"),
                "fail",
                {"error": "HTTP 503 from https://newsroom.partner.example/hooks/candor"},
            ),
        ],
    },
    # Completed in the latest period of the weekly report: dispatched, then an outcome.
    {
        "title": "Briefing for Kazakh journalists (Russian)",
        "audience": "kazakhstan",
        "segment": "Russian-language media consumers",
        "message": "ru_kazakhstan",
        "channel": "manual",
        "scheduled": _r(-5, "11:00"),
        "story": [
            (_r(-11, "10:00"), "create", {}),
            *_reviewed(_r(-10, "09:30"), _r(-9, "14:00"), _r(-8, "10:15")),
            (_r(-5, "11:00:05"), "send", {}),
            (_r(-5, "13:40"), "mark_done", {"actor": "lead", "note": "22 journalists attended."}),
            (
                _r(-4, "10:00"),
                "outcome",
                {
                    "actor": "planner",
                    "reach": 1800,
                    "engagement": 240,
                    "pickups": [
                        "https://news.example.com/kz/2026/briefing-pact-article-4",
                        "https://www.example.org/kk/analytics/veldoria-request",
                    ],
                    "notes": "Twenty-two journalists attended; three outlets ran the story the "
                    "same day.",
                },
            ),
        ],
    },
    {
        "title": "Press mailing to Kazakh newsrooms: thirty days of silence (Russian)",
        "audience": "kazakhstan",
        "message": "ru_kazakhstan",
        "channel": "press",
        "scheduled": _r(-6, "09:30"),
        "story": [
            (_r(-12, "11:00"), "create", {}),
            *_reviewed(_r(-11, "10:00"), _r(-10, "15:30"), _r(-9, "09:50")),
            (_r(-6, "09:30:03"), "send", {}),
            (
                _r(-3, "16:00"),
                "outcome",
                {
                    "actor": "planner",
                    "reach": 5400,
                    "engagement": 310,
                    "pickups": ["https://portal.example.net/kz/2026/pact-thirty-days"],
                    "notes": "Two portals quoted the mailing; one requested an interview.",
                },
            ),
        ],
    },
    {
        "title": "Russian-language press mailing for Belarus: what the summit left out",
        "audience": "belarus",
        "segment": "Russian-language media consumers",
        "message": "ru_belarus",
        "channel": "press",
        "scheduled": _r(-3, "10:00"),
        "story": [
            (_r(-9, "12:00"), "create", {}),
            *_reviewed(_r(-8, "11:00"), _r(-7, "16:10"), _r(-6, "10:20")),
            (_r(-3, "10:00:02"), "send", {}),
            (
                _r(-1, "12:30"),
                "outcome",
                {
                    "actor": "planner",
                    "reach": 3100,
                    "engagement": 420,
                    "pickups": ["https://news.example.org/by/2026/summit-silence"],
                    "notes": "Picked up by an exile news site and two Telegram digests.",
                },
            ),
        ],
    },
]

# The lead's weekly report on the campaign: Mondays at 08:00 in Minsk.
REPORT: dict[str, Any] = {
    "at": When(-20, "09:00"),
    "actor": "lead",
    "cadence": "weekly",
    "weekday": 0,
    "send_time": time(8, 0),
    "timezone": "Europe/Minsk",
}
