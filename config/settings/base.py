"""Settings shared by every environment.

Everything is configured through environment variables (django-environ) and every value has an
embedded default that runs with no services: SQLite and Celery's filesystem broker. Production
(``production.py``) only tightens these and refuses to start without real secrets.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
import pghistory

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(environ.Env().str("CANDOR_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# Where the embedded default keeps its SQLite file, broker queue and e-mails; made on first use.
for _sub in ("broker/queue", "broker/staging", "broker/processed", "broker/control", "mail"):
    (VAR_DIR / _sub).mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rules",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_htmx",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "axes",
    "accounts",
    "audiences",
    "messaging",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Attaches the signed-in user and the request URL to every audit row written by triggers.
    "accounts.audit.HistoryMiddleware",
    # Answers a locked-out admin login with 429; the API's login view answers its own.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    }
]


def database(url_var: str, default: str) -> dict[str, Any]:
    """The database named by env ``url_var``, tuned for its engine. Test and benchmark settings
    call it too, so they run with the connection behaviour production has."""
    db = env.db(url_var, default=default)
    db["ATOMIC_REQUESTS"] = False
    if db["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles a query whose estimated cost is high; Candor's report
        # queries over a large team (1M activities) are costed high yet run in well under a
        # second, and compiling them took longer than running them (docs/benchmarks.md, P5).
        db.setdefault("OPTIONS", {}).update({"options": "-c jit=off"})
        # Persistent connections: a new one per request costs a connect plus a cold catalog
        # cache, which made planning a 12-table list query ~5x slower (benchmark P1).
        db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        db["CONN_HEALTH_CHECKS"] = True
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server, the worker and the scheduler share the file without
        # "database is locked" errors; IMMEDIATE makes a write transaction take the lock up front.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return db


DATABASES = {"default": database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'candor.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses logins locked out after repeated failures (django-axes).
    "accounts.backends.LoginAttemptsBackend",
    "rules.permissions.ObjectPermissionBackend",
    # The model backend; it loads a session's user with their team roles in one query.
    "accounts.backends.UserAndRolesBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Login abuse (django-axes): lock a username from one address after repeated failures ------
# Attempts live in the database (every environment has one; the embedded default has no shared
# cache). The lock is per username *and* address, so an attacker cannot lock a partner out from
# elsewhere, and it lifts by itself after the cool-off.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.api.lockout.lockout_response"

# --- Partner REST API (/api/v1/): DRF, knox tokens, problem details, OpenAPI --------------------
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 - a model name, not a secret
# knox's own migrations create its AuthToken table even when the model is swapped for ours; a
# table no model knows would only hold a foreign key to users (and break test flushes).
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(hours=env.int("CANDOR_API_TOKEN_TTL_HOURS", default=24 * 7)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
CANDOR_API_TOKENS_PER_USER = env.int("CANDOR_API_TOKENS_PER_USER", default=10)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.StableCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "config.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("CANDOR_API_RATE", default="600/minute"),
        "login": env.str("CANDOR_API_LOGIN_RATE", default="20/minute"),
    },
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.ProblemAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
_API_ERROR_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "429", "500"]
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "config.api.problems.ProblemExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "config.api.problems.ProblemFormatter",
    "ALLOWED_ERROR_STATUS_CODES": _API_ERROR_STATUSES,
    # One RFC 9457 problem shape for every error status.
    "ERROR_SCHEMAS": dict.fromkeys(_API_ERROR_STATUSES, "config.api.problems.ProblemSerializer"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Candor partner API",
    "DESCRIPTION": (
        "Plan overt, evidence-backed outreach with your team: campaigns, activities and their "
        "approval workflow, messages with the evidence they cite, and exports. Authenticate "
        "with `POST /api/v1/auth/token/`, then send `Authorization: Token <token>`. Every "
        "error is an RFC 9457 problem (`application/problem+json`) with field-level `errors`."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from validator.swagger.io: the docs make no request off this server.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "displayOperationId": True},
    "ENUM_NAME_OVERRIDES": {
        "ActivityStatusEnum": "campaigns.models.ActivityStatus",
        "EvidenceStatusEnum": "messaging.models.EvidenceItem.Status",
        "CampaignStatusEnum": "campaigns.models.Campaign.Status",
        "MarkingEnum": "accounts.models.Marking",
        "RoleEnum": "accounts.models.Role",
        "TeamKindEnum": "accounts.models.Team.Kind",
        "ChannelKindEnum": "audiences.models.Channel.Kind",
        "EventKindEnum": "campaigns.models.ActivityEvent.Kind",
        "StepKindEnum": "campaigns.models.ApprovalStep.Kind",
        "CadenceEnum": "campaigns.models.ReportSubscription.Cadence",
        "ReliabilityEnum": "messaging.models.EvidenceItem.Reliability",
        "CredibilityEnum": "messaging.models.EvidenceItem.Credibility",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "config.api.schema.problem_media_type_hook",
    ],
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Cache: Redis when REDIS_URL is set, process memory otherwise -----------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: Redis when REDIS_URL is set, a filesystem broker (no server) otherwise -----------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport with one change: a message is written aside and renamed into
    # the queue, so a polling worker never reads it half-written (kombu #1551; config/broker.py).
    CELERY_BROKER_TRANSPORT: str | None = "config.broker:AtomicFilesystemTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "staging_folder": str(BROKER_DIR / "staging"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    # The filesystem transport has no fanout exchange for remote control (ping, inspect).
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    # Redis redelivers a task not acknowledged within the visibility timeout; it must be longer
    # than any task's hard time limit, or a slow task would run twice (celery #2599).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless this is set;
# config/celery.py applies CONN_MAX_AGE and the health check to each task instead.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Dispatch ---------------------------------------------------------------------------------
# The tick claims due activities from PostgreSQL. It also enqueues the sends of those falling
# due within the lookahead (Celery ETAs of at most that long, at their due time; the database
# is not changed until they run, and the next tick claims whatever they missed): more than the
# tick interval, so that a late tick leaves no gap; 0 turns it off.
CANDOR_DISPATCH_TICK_SECONDS = env.float("CANDOR_DISPATCH_TICK_SECONDS", default=5.0)
CANDOR_DISPATCH_LOOKAHEAD_SECONDS = env.float(
    "CANDOR_DISPATCH_LOOKAHEAD_SECONDS", default=CANDOR_DISPATCH_TICK_SECONDS + 1.0
)
# Activities falling due this close together share a lookahead task (at the last one's time).
CANDOR_DISPATCH_LOOKAHEAD_SLOT_MS = env.int("CANDOR_DISPATCH_LOOKAHEAD_SLOT_MS", default=200)
CANDOR_DISPATCH_BATCH = env.int("CANDOR_DISPATCH_BATCH", default=200)
# Claimed activities go to the workers this many to a send task: prepared under their locks in
# one transaction, sent one by one over reused connections, recorded in one transaction.
CANDOR_DISPATCH_SEND_BATCH = env.int("CANDOR_DISPATCH_SEND_BATCH", default=50)
# The tick claims batch after batch until this many claimed activities wait for a worker. They
# must be started well within the lease (else they are taken as lost and enqueued again), and
# the tick claims no more than this per interval (a cap on the drain rate): batched, two worker
# processes start a few hundred a second, so 5000 is some 20 s of work.
CANDOR_DISPATCH_MAX_QUEUED = env.int("CANDOR_DISPATCH_MAX_QUEUED", default=5000)
# A send that has shown no sign of life for this long is taken to be lost and is redone
# (with the same idempotency key). A batch starts sends for half of it, so it must exceed twice
# the longest send (the webhook or the SMTP timeout, whichever is longer).
CANDOR_DISPATCH_LEASE_SECONDS = env.float("CANDOR_DISPATCH_LEASE_SECONDS", default=120.0)
# A batch records the answers it has received at least this often (0: each as it comes), so a
# database restart loses at most the answers of one interval; while the database is away the
# record is tried again until the lease runs short (campaigns/services/dispatch_batch.py).
CANDOR_DISPATCH_RECORD_EVERY_MS = env.int("CANDOR_DISPATCH_RECORD_EVERY_MS", default=100)
CANDOR_DISPATCH_MAX_RETRIES = env.int("CANDOR_DISPATCH_MAX_RETRIES", default=5)
CANDOR_DISPATCH_RETRY_BACKOFF = env.float("CANDOR_DISPATCH_RETRY_BACKOFF", default=2.0)
CANDOR_WEBHOOK_TIMEOUT = env.float("CANDOR_WEBHOOK_TIMEOUT", default=10.0)
CANDOR_SMTP_TIMEOUT = env.float("CANDOR_SMTP_TIMEOUT", default=30.0)

# --- Outbound requests to URLs users typed (config/outbound.py) -------------------------------
# https only, unless this allows plain http (development and tests; never in production).
CANDOR_OUTBOUND_ALLOW_HTTP = env.bool("CANDOR_OUTBOUND_ALLOW_HTTP", default=False)
# Networks (CIDR) and host names a request may reach although they are not public, e.g. a
# partner's system on an internal network: "10.20.0.0/16,hooks.partner.internal". Every other
# loopback, private, link-local, multicast or reserved address is refused.
CANDOR_OUTBOUND_ALLOWED_NETWORKS = env.list("CANDOR_OUTBOUND_ALLOWED_NETWORKS", default=[])
CANDOR_APPROVAL_REMINDER_HOURS = env.float("CANDOR_APPROVAL_REMINDER_HOURS", default=24.0)

# --- Reporting e-mails ------------------------------------------------------------------------
# The report tick finds subscriptions whose local send time has passed and sends each period
# once (a ReportRun row per period is the claim). Subscriptions are data, the tick is static.
CANDOR_REPORT_TICK_SECONDS = env.float("CANDOR_REPORT_TICK_SECONDS", default=60.0)
# An empty period still gets a short "nothing happened" e-mail unless this is False.
CANDOR_REPORT_SEND_EMPTY = env.bool("CANDOR_REPORT_SEND_EMPTY", default=True)
# A claimed period whose e-mail was not confirmed sent within this time is taken as lost (the
# sender crashed) and sent by a later tick. Must exceed the report tick's hard time limit.
CANDOR_REPORT_LEASE_SECONDS = env.float("CANDOR_REPORT_LEASE_SECONDS", default=900.0)
# A period sent more than this after its send time is marked late (the scheduler was down).
CANDOR_REPORT_LATE_AFTER_SECONDS = env.float("CANDOR_REPORT_LATE_AFTER_SECONDS", default=600.0)
# How far back missed periods are still sent when the scheduler comes back.
CANDOR_REPORT_CATCH_UP_DAYS = env.int("CANDOR_REPORT_CATCH_UP_DAYS", default=35)
# Rows listed per section of a report (the figures always count everything).
CANDOR_REPORT_LIST_LIMIT = env.int("CANDOR_REPORT_LIST_LIMIT", default=20)
# Activity notifications wait in an outbox table; this tick e-mails them, this many a batch.
CANDOR_NOTIFY_TICK_SECONDS = env.float("CANDOR_NOTIFY_TICK_SECONDS", default=2.0)
CANDOR_NOTIFY_BATCH = env.int("CANDOR_NOTIFY_BATCH", default=100)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "notify-tick": {
        "task": "campaigns.tasks.notify_tick",
        "schedule": CANDOR_NOTIFY_TICK_SECONDS,
        "options": {"expires": CANDOR_NOTIFY_TICK_SECONDS},
    },
    "dispatch-tick": {
        "task": "campaigns.tasks.dispatch_tick",
        "schedule": CANDOR_DISPATCH_TICK_SECONDS,
        # A tick nobody ran in time is worthless: the next one does its work.
        "options": {"expires": CANDOR_DISPATCH_TICK_SECONDS},
    },
    "approval-reminders": {
        "task": "campaigns.tasks.approval_reminders",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    "report-tick": {
        "task": "campaigns.tasks.report_tick",
        "schedule": CANDOR_REPORT_TICK_SECONDS,
        "options": {"expires": CANDOR_REPORT_TICK_SECONDS},
    },
}

# --- Mail: a directory of .eml files by default, real SMTP when EMAIL_HOST is set -------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Candor <candor@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.str("EMAIL_HOST", default=""):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env.str("EMAIL_HOST"),
                "port": env.int("EMAIL_PORT", default=25),
                "username": env.str("EMAIL_HOST_USER", default=""),
                "password": env.str("EMAIL_HOST_PASSWORD", default=""),
                "use_tls": env.bool("EMAIL_USE_TLS", default=False),
                "timeout": CANDOR_SMTP_TIMEOUT,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }

# --- Security headers that hold in every environment ------------------------------------------
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions read from the cache, written through to the database: no query per page for them.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Audit (django-pghistory): event tables are append-only, enforced by database triggers ----
PGHISTORY_APPEND_ONLY = True
# Row history is reached as ``obj.audit_trail``; ``events`` is the activity's domain log.
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(related_name="audit_trail")
PGHISTORY_ADMIN_MODEL = "pghistory.MiddlewareEvents"

# --- Candor -----------------------------------------------------------------------------------
CANDOR_BASE_URL = env.str("CANDOR_BASE_URL", default="http://127.0.0.1:8000")
CANDOR_DEMO_PASSWORD = "candor-demo"  # noqa: S105 - public demo credential, refused in production

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint narrates every step of every PDF at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- Health (/health/) ------------------------------------------------------------------------
# The scheduler records that it published a tick, a worker that it finished a task, each at most
# once per this many seconds (a write, kept rare on SQLite).
CANDOR_HEALTH_HEARTBEAT_SECONDS = env.float("CANDOR_HEALTH_HEARTBEAT_SECONDS", default=5.0)
# A part is down when its heartbeat is older than this. The ticks run every few seconds (the
# notify tick every CANDOR_NOTIFY_TICK_SECONDS), so a live worker finishes a task as often.
CANDOR_HEALTH_SCHEDULER_SECONDS = env.float("CANDOR_HEALTH_SCHEDULER_SECONDS", default=60.0)
CANDOR_HEALTH_WORKER_SECONDS = env.float("CANDOR_HEALTH_WORKER_SECONDS", default=60.0)
# Dispatch is down when an approved activity has been due for longer than this, unclaimed.
CANDOR_HEALTH_DISPATCH_LAG_SECONDS = env.float("CANDOR_HEALTH_DISPATCH_LAG_SECONDS", default=120.0)
# How long the broker may take to answer the health check (the dashboard asks it too).
CANDOR_HEALTH_BROKER_TIMEOUT = env.float("CANDOR_HEALTH_BROKER_TIMEOUT", default=0.5)
