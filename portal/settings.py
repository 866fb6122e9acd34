"""Agora settings, read from the environment (12-factor).

Defaults are production-safe: `DEBUG` is off unless `DEBUG=1` says otherwise (`make run` and `make test` do),
so a forgotten variable never ships the public development `SECRET_KEY` or `SET ROLE` database sessions.
With `DEBUG=1` and nothing else the demo needs no services at all: SQLite file, Celery eager, console email.
Production is a real `SECRET_KEY` and `ALLOWED_HOSTS` (and `DB_APP_PASSWORD` on PostgreSQL); the secure
defaults below then switch on unless relaxed explicitly through the environment.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from portal.envconfig import env_bool, env_int, env_list, parse_email_url
from portal.ops.logs import FORMATS, build_logging
from portal.plugins.discovery import discover_plugin_apps

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
# The development key is public (it is in this file): whoever knows it forges unsubscribe and feed tokens,
# sessions and password-reset links, so it exists only with DEBUG=1.
_DEV_SECRET = "django-insecure-agora-development-key-not-for-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off. Generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` and pass it as SECRET_KEY, "
        "keep it secret and the same for every process; for local development set DEBUG=1 instead "
        "(make run and make test do)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

# Every `agora.plugins` entry point becomes an installed app, found without importing it, except those named
# in AGORA_DISABLED_PLUGINS (entry-point names, e.g. `insights`): switched off without uninstalling.
AGORA_DISABLED_PLUGINS = env_list("AGORA_DISABLED_PLUGINS", default=[])
AGORA_PLUGIN_APPS = discover_plugin_apps(disabled=AGORA_DISABLED_PLUGINS)

INSTALLED_APPS = [
    "portal.tenancy",
    "portal.accounts",
    "portal.plugins",
    "portal.events",
    "portal.notifications",
    "portal.ui",
    "portal.sso",
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # Single sign-on (portal/sso): allauth's OpenID Connect client; its login/signup pages are not mounted.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    *AGORA_PLUGIN_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.tenancy.middleware.TenantMiddleware",
    # A tenant that turned local passwords off admits only sessions its own provider logged in (portal/sso).
    "portal.sso.middleware.LocalPasswordsSwitchMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes requires: turns a login refused for too many failures into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.ui.context_processors.shell",
            ],
            "builtins": ["portal.ui.templatetags.agora"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'agora.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is still a database under concurrency (threaded runserver + a Celery worker on
    # one file). WAL lets readers and the one writer proceed together; IMMEDIATE takes the write lock at
    # BEGIN, so a transaction that reads then writes waits its turn (up to the busy timeout) instead of
    # failing at once with "database is locked" when it upgrades. In-memory databases ignore WAL. Options
    # given in DATABASE_URL's query string win.
    _sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite_options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    _sqlite_options.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite_options.setdefault("timeout", 20)  # seconds a writer waits for the lock (busy timeout)
    # A lock still held after the timeout answers 503 + Retry-After (try again), not 500.
    MIDDLEWARE = ["portal.ui.middleware.DatabaseBusyMiddleware", *MIDDLEWARE]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Our backend keeps `agora.tenant_id` in step with the current tenant for row-level security and, when
    # DB_APP_USER is set, runs application queries as that non-superuser role (see portal/tenancy/db).
    DATABASES["default"]["ENGINE"] = "portal.tenancy.db"
    # Secure by default: without DB_APP_USER the app still runs as the non-superuser role `agora_app`.
    _app_user = os.environ.get("DB_APP_USER") or "agora_app"
    _app_password = os.environ.get("DB_APP_PASSWORD", "")
    DATABASES["default"]["APP_USER"] = _app_user
    DATABASES["default"]["APP_PASSWORD"] = _app_password
    # Without a password the backend connects as the owner and `SET ROLE`s to the app role, but any SQL that
    # reaches that connection can `RESET ROLE` back to the owner (often a superuser, which bypasses RLS).
    # That shortcut is for development only; in production the app logs in as the app role itself, so there
    # is nothing to reset to. Migrations still connect as the owner (owner_mode); they need this password too,
    # because they give the role LOGIN and this password (portal/tenancy/rls.py).
    DATABASES["default"]["APP_ALLOW_SET_ROLE"] = DEBUG
    # No JIT compilation: the planner's cost of a list under row-level security passes jit_above_cost at a
    # few thousand rows, and compiling then took 150 ms of a 20 ms query on every request (bench/catalog.py:
    # the API list at 20,000 capabilities ran at 0.44x of the same at 200). Short OLTP queries never win
    # it back. A DATABASE_URL `?options=` of its own wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    if not DEBUG and not _app_password:
        raise ImproperlyConfigured(
            f"DB_APP_PASSWORD must be set when DEBUG is off: the application logs in to PostgreSQL as the "
            f"non-superuser role {_app_user!r} (DB_APP_USER), never as the owner in DATABASE_URL. Set "
            f"DB_APP_PASSWORD for every process (web, worker, beat, migrate); `manage.py migrate` then gives "
            f"the role LOGIN and that password when the owner may (CREATEROLE). Otherwise create it "
            f"yourself: "
            f"CREATE ROLE {_app_user} LOGIN PASSWORD '<DB_APP_PASSWORD>' NOSUPERUSER NOBYPASSRLS; "
            f"GRANT {_app_user} TO <owner>; (an existing role: ALTER ROLE {_app_user} LOGIN PASSWORD "
            f"'<DB_APP_PASSWORD>';). For local development set DEBUG=1 instead."
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Outermost, after the database-specific ones above: the request id is set before anything else logs, the
# request metrics time every other middleware, and /healthz, /readyz, /metrics are answered before the host
# check (probes call pods by IP). They touch no session and no tenant (portal/ops).
MIDDLEWARE = [
    "portal.ops.requestid.RequestIdMiddleware",
    "portal.ops.metrics.RequestMetricsMiddleware",
    "portal.ops.middleware.OpsEndpointsMiddleware",
    *MIDDLEWARE,
]

# --- Auth -----------------------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Throttling (portal/accounts/throttle.py; README "Logins and API tokens"). Counts live in the default cache.
# LOGIN_FAILURE_LIMIT failed logins for one username (from any address) or from one address (across
# usernames) lock it for LOGIN_COOLOFF_SECONDS after the last failure; 0 switches login throttling off.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_COOLOFF_SECONDS = env_int("LOGIN_COOLOFF_SECONDS", 900)
if LOGIN_COOLOFF_SECONDS < 1:
    raise ImproperlyConfigured("LOGIN_COOLOFF_SECONDS must be at least 1 (LOGIN_FAILURE_LIMIT=0 disables).")
# Reverse proxies in front of the app that append to X-Forwarded-For; 0: the client is REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
TOKEN_CREATE_PER_HOUR = env_int("TOKEN_CREATE_PER_HOUR", 10)
TOKEN_CREATE_PER_HOUR_PER_ADDRESS = env_int("TOKEN_CREATE_PER_HOUR_PER_ADDRESS", 30)
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked login before any password is checked.
    "portal.accounts.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = LOGIN_FAILURE_LIMIT > 0
AXES_HANDLER = "portal.accounts.throttle.LoginAttemptCacheHandler"
AXES_FAILURE_LIMIT = max(LOGIN_FAILURE_LIMIT, 1)
AXES_COOLOFF_TIME = "portal.accounts.throttle.login_cooloff"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True  # what makes Retry-After exact
AXES_CLIENT_IP_CALLABLE = "portal.accounts.throttle.client_address"
AXES_USERNAME_CALLABLE = "portal.accounts.throttle.login_username"
AXES_LOCKOUT_CALLABLE = "portal.accounts.throttle.login_locked_response"
AXES_ENABLE_ADMIN = False  # the cache handler writes no AccessAttempt rows to show
AXES_VERBOSE = False  # lock-outs are logged once, as WARNING, by portal.accounts.throttle

# --- Single sign-on per tenant (portal/sso; README "Single sign-on") ---------------------------------------
# django-allauth's OpenID Connect client; each tenant's provider is built at run time from its own row
# (adapter.list_apps), never from settings or allauth's SocialApp table. Accounts are provisioned by
# portal.sso.services only: no allauth signup form, no login by matching email, no stored tokens.
SOCIALACCOUNT_ADAPTER = "portal.sso.adapter.AgoraSocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_EMAIL_VERIFICATION = "none"
# Plain http:// issuers only for local development (and the test provider); https otherwise.
SSO_ALLOW_HTTP = env_bool("SSO_ALLOW_HTTP", default=DEBUG)
SSO_HTTP_TIMEOUT = env_int("SSO_HTTP_TIMEOUT", 10)

# --- I18N / static ----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email ------------------------------------------------------------------------------------------------
MAILERS = parse_email_url(os.environ.get("EMAIL_URL", ""))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Agora <agora@localhost>")

# --- Celery -----------------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Eager (in-process) without a broker. The test suite forces eager and starts real workers where needed.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_BEAT_SCHEDULE = {
    "events-sweep": {"task": "portal.events.tasks.sweep_undispatched", "schedule": 60.0},
    # Scheduled releases: the database is the schedule (no long ETAs); idempotent, skip_locked.
    "catalog-publish-due-releases": {"task": "catalog.releases.tasks.publish_due_releases", "schedule": 60.0},
    # Survey rounds: close at closes_at, one reminder halfway (database as schedule, like releases).
    "insights-surveys-due": {"task": "catalog.insights.surveys.tasks.survey_due_work", "schedule": 300.0},
    # Notifications: requeue stuck/due deliveries and unfanned notifications; digests at 07:00 UTC.
    "notifications-sweep": {
        "task": "portal.notifications.tasks.sweep",
        "schedule": float(env_int("NOTIFY_SWEEP_SECONDS", 30)),
    },
    "notifications-digest-daily": {
        "task": "portal.notifications.tasks.send_digests",
        "schedule": crontab(hour=7, minute=0),
        "kwargs": {"frequency": "daily"},
    },
    "notifications-digest-weekly": {
        "task": "portal.notifications.tasks.send_digests",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
        "kwargs": {"frequency": "weekly"},
    },
}

# --- Cache: shared by every process when Redis is there (abuse limits count across web workers) ----------
# Database 1 of the broker's Redis unless CACHE_URL says otherwise (the broker keeps its own database).
CACHE_URL = os.environ.get("CACHE_URL", "") or (
    urlsplit(REDIS_URL)._replace(path="/1").geturl() if REDIS_URL.startswith("redis") else ""
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Notifications (portal.notifications; see portal/notifications/conf.py for what each one does) -------
AGORA_BASE_URL = os.environ.get("AGORA_BASE_URL", "http://127.0.0.1:8000")
AGORA_ENCRYPTION_KEYS = env_list("AGORA_ENCRYPTION_KEYS", default=[])
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 30)
NOTIFY_RETRY_MAX_SECONDS = env_int("NOTIFY_RETRY_MAX_SECONDS", 6 * 3600)
NOTIFY_STUCK_AFTER_SECONDS = env_int("NOTIFY_STUCK_AFTER_SECONDS", 600)
NOTIFY_REQUEUE_AFTER_SECONDS = env_int("NOTIFY_REQUEUE_AFTER_SECONDS", 300)
NOTIFY_FANOUT_GRACE_SECONDS = env_int("NOTIFY_FANOUT_GRACE_SECONDS", 30)
NOTIFY_BATCH_SIZE = env_int("NOTIFY_BATCH_SIZE", 200)
NOTIFY_FANOUT_CHUNK = env_int("NOTIFY_FANOUT_CHUNK", 2000)
NOTIFY_HTTP_TIMEOUT = env_int("NOTIFY_HTTP_TIMEOUT", 10)
# Plain http:// endpoints: unset means allowed only with DEBUG=1 (local development); https otherwise.
_allow_http_set = "NOTIFY_WEBHOOK_ALLOW_HTTP" in os.environ
NOTIFY_WEBHOOK_ALLOW_HTTP = env_bool("NOTIFY_WEBHOOK_ALLOW_HTTP", default=False) if _allow_http_set else None
# Where chat endpoints may point (portal/notifications/destinations.py): exact hosts or ".suffix" entries.
NOTIFY_SLACK_HOSTS = env_list("NOTIFY_SLACK_HOSTS", default=["hooks.slack.com"])
NOTIFY_TEAMS_HOSTS = env_list("NOTIFY_TEAMS_HOSTS", default=[".logic.azure.com", ".api.powerplatform.com"])

# --- Outbound requests (portal/security/outbound.py) -----------------------------------------------------
# Internal networks the guarded client may reach anyway (CIDRs, e.g. an on-premise chat server). Empty by
# default, also with DEBUG=1: loopback, private, link-local, CGNAT, multicast and reserved ranges are refused.
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", default=[])
for _network in OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"OUTBOUND_ALLOWED_NETWORKS: {_network!r} is not a network; use CIDRs such as 10.20.0.0/16."
        ) from None

# --- API --------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.accounts.authentication.BearerTokenAuthentication",
        "portal.accounts.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.accounts.permissions.IsTenantMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's three defaults, with JSON nesting capped (a 20,000-deep body was a RecursionError, a 500).
    "DEFAULT_PARSER_CLASSES": [
        "portal.accounts.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.accounts.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "portal.accounts.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Agora API",
    "DESCRIPTION": "Platform capabilities, feature requests and releases. Authenticate with "
    "`Authorization: Bearer <token>`; a token is bound to one tenant membership.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DEFAULT_GENERATOR_CLASS": "portal.api_schema.TenantAwareSchemaGenerator",
    "ENUM_NAME_OVERRIDES": {
        "NotificationTopicKindEnum": "portal.notifications.models.TopicKind",
        "ChannelRouteTopicKindEnum": "portal.notifications.models.ROUTE_TOPIC_CHOICES",
        "ChannelEndpointKindEnum": "portal.notifications.models.EndpointKind",
        "ReleaseKindEnum": "catalog.releases.models.ReleaseKind",
        "LinkKindEnum": "catalog.models.LinkKind",
        "TenantRoleEnum": "portal.tenancy.models.Role",
        "TeamRoleEnum": "portal.accounts.models.TeamRole",
        "AdoptionStateEnum": "catalog.insights.models.adoption.AdoptionState",
    },
}

# --- Plugins ----------------------------------------------------------------------------------------------
# Per-plugin settings, validated against each plugin's declared defaults at start-up (NetBox style).
AGORA_PLUGINS_CONFIG: dict[str, dict] = {}

# --- Security ---------------------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
_PROD = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=_PROD)
# Load balancers, kubelet probes and Prometheus reach pods over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _PROD else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_PROD)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=_PROD)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=_PROD)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=_PROD)
if env_bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Operations (portal/ops; README "Running it for real") ---------------------------------------------
# /metrics is off (404) unless a bearer token or client networks (CIDRs, matched against REMOTE_ADDR) are set;
# with both, both must match.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", default=[])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS: {_network!r} is not a network; use CIDRs such as 10.0.0.0/8."
        ) from None
# A Celery worker's own exporter port (fan-out duration); 0: none.
METRICS_WORKER_PORT = env_int("METRICS_WORKER_PORT", 0)
# One JSON object per line for log pipelines; text for people at a terminal (the default with DEBUG=1).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json").lower()
if LOG_FORMAT not in FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {LOG_FORMAT!r}.")
LOGGING = build_logging(
    log_format=LOG_FORMAT,
    level=os.environ.get("LOG_LEVEL", "INFO"),
    celery_level=os.environ.get("CELERY_LOG_LEVEL", "WARNING"),
)
