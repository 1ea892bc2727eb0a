"""The one settings module: everything that varies between hosts comes from the environment.

Defaults are the development setup of `make demo`: a SQLite file in the project, tasks run
eagerly in-process (no broker), DEBUG on. Every variable is listed in README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Return the environment variable `name` read as a boolean."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Return the comma-separated environment variable `name` as a list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# The development key is public (it is in this file): a server without DEBUG must never sign
# sessions or reset links with it, so it refuses to start instead (issue 13). The image sets
# DEBUG=false, so a container started without a SECRET_KEY stops here with this message.
DEVELOPMENT_SECRET_KEY = "development-only-not-secret"
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not DEBUG and SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off, to a long random secret that is not the development key. "
        "SECRET_KEY moet gezet zijn als DEBUG uit staat: een lange willekeurige geheime waarde, niet de "
        "ontwikkelsleutel. Maak er een met: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver (make demo) then serves static files through WhiteNoise as production
    # does, with its compressed copies and cache headers, instead of Django's plain handler (issue 16).
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",  # login throttle (issue 13)
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "agenda",
    "indicatoren",
    "maatregelen",
    "rapportage",
    "invoer",
    "demo",
    "kwaliteit",  # the front door's own table: password-reset requests (issue 13)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A body over the upload limit: 413 unread (issue 13). Every middleware's request phase runs
    # before any process_view, so CSRF has not read the body yet; after auth for the page's layout.
    "kern.middleware.RequestSizeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "kwaliteit.errors.BusyDatabaseMiddleware",
    "kern.middleware.ControlCharacterMiddleware",  # a NUL in ?institution= etc.: Dutch 400, not a 500 (issue 13)
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a refused login into the lockout page
]

ROOT_URLCONF = "kwaliteit.urls"

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
                "kwaliteit.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "kwaliteit.wsgi.application"

# Database: DATABASE_URL, else a SQLite file in the project (the demo setup).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # A database restart must not leave dead persistent connections behind (issue 8).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers while the in-process recompute writes (demo server). IMMEDIATE takes the
    # write lock at BEGIN, so two writers queue for up to `timeout` seconds instead of one failing
    # at once with "database is locked" on the upgrade from a read (issue 12).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands")]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False  # numbers are formatted by the nl and euro filters

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Static files (issue 16, "light plotly"): WhiteNoise serves them in every mode, gzip or brotli to a
# browser that accepts it. In production collectstatic writes the compressed copies (the storage
# above; brotli through the Brotli package); under DEBUG the files come from static/ through the
# finders, where only the committed .gz/.br beside the plotly bundle exist (vendor/plotly/build.sh).
# Cached for good (max-age ten years, immutable): names that change with their content, i.e.
# collectstatic's hashed names (name.<12 hex>.ext) and vendored files that carry their version
# (js/plotly-4.1.1-kwaliteit.min.js), so a board member's browser fetches plotly.js once. Everything
# else: WhiteNoise's default (60 s, or 0 under DEBUG, where app.js etc. change while developing).
WHITENOISE_IMMUTABLE_FILE_TEST = r"(\.[0-9a-f]{12}\.[^./]+|/[^/]+-\d+\.\d+\.\d+-[^/]+)$"
# Uploaded benchmark files are kept for provenance but never served (no MEDIA_URL route).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "uploads"))
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
# What one upload may cost (issue 13); invoer.uploads hands them to the pure importer
# (indicatoren.importers.Limits documents each). A worst-case file is refused in milliseconds.
UPLOAD_MAX_UNPACKED_BYTES = int(os.environ.get("UPLOAD_MAX_UNPACKED_BYTES", str(10 * 1024 * 1024)))
UPLOAD_MAX_UNPACK_RATIO = int(os.environ.get("UPLOAD_MAX_UNPACK_RATIO", "25"))
UPLOAD_MAX_ROWS = int(os.environ.get("UPLOAD_MAX_ROWS", "150000"))
UPLOAD_MAX_CELLS = int(os.environ.get("UPLOAD_MAX_CELLS", "1000000"))
UPLOAD_MAX_ERRORS = int(os.environ.get("UPLOAD_MAX_ERRORS", "100"))
# Files parsed at once per web process: a parse is CPU-bound and holds the GIL, so more at once
# only multiplies memory; a request that waits longer than UPLOAD_PARSE_WAIT_SECONDS is told the
# site is busy (503), so uploads cannot take every thread of a worker (gunicorn gthread, compose).
UPLOAD_CONCURRENT_PARSES = int(os.environ.get("UPLOAD_CONCURRENT_PARSES", "1"))
UPLOAD_PARSE_WAIT_SECONDS = float(os.environ.get("UPLOAD_PARSE_WAIT_SECONDS", "20"))
# Rejected and cancelled files are kept this long for support questions, then deleted by
# beat's upload-retention task (the upload's record stays, without the file).
UPLOAD_REJECTED_RETENTION_DAYS = int(os.environ.get("UPLOAD_REJECTED_RETENTION_DAYS", "30"))

# The cache holds rendered API bodies and board pages only (rapportage/api/conditional.py,
# rapportage/page_cache.py); nothing a login or a session needs lives there, so logins keep
# working while Redis is down (issue 13).
_redis_cache = os.environ.get("REDIS_URL") or (
    os.environ.get("CELERY_BROKER_URL", "") if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") else ""
)
CACHES = {
    "default": (
        {"BACKEND": "kwaliteit.cache.RedisCache", "LOCATION": _redis_cache}  # kept clients: kwaliteit/cache.py
        if _redis_cache
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Board pages are rendered once per version of the data and user, then served from the cache
# (issue 16, rapportage/page_cache.py). Without Redis the cache is per process: serve pages from
# one process (the demo's runserver) or set PAGE_CACHE=false.
PAGE_CACHE = env_bool("PAGE_CACHE", True)

# Logins (issue 13). django-axes throttles every form that checks a password (the site's login,
# the admin's; the API takes tokens, never passwords) through one authentication backend, and
# counts failures per user name AND address together: a school NAT or a proxy puts everyone
# behind one address, and one person's typos (or an attacker guessing) must not lock the others
# out. Attempts are stored in the database, not the cache: a Redis outage must not stop logins.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out user+address before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(seconds=int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900")))
AXES_RESET_ON_SUCCESS = True  # a typo or two before the right password does not count towards a later lockout
AXES_LOCKOUT_CALLABLE = "kwaliteit.views.locked_out"  # Dutch, in the site's layout, 429, with the time to retry
AXES_ENABLE_ADMIN = True  # superusers see attempts and unlock by deleting one; staff get no axes permissions
# The client address (kwaliteit.views.client_address): REMOTE_ADDR, unless TRUSTED_PROXY_COUNT
# proxies in front of gunicorn each append the address they saw to X-Forwarded-For. Without a
# configured proxy the header is never read, so a client cannot forge its address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "kwaliteit.views.client_address"
# Password-reset mails (issue 13): at most this many per hour per address and per e-mail address.
PASSWORD_RESET_MAX_PER_HOUR = int(os.environ.get("PASSWORD_RESET_MAX_PER_HOUR", "3"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # Django's default, stated: never the cache (see above)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kwaliteitsagenda@localhost")
# The SMTP server of the smtp backend: password resets, the board pack and flip alerts (issue 14, item 5).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# The site's address as links in mails name it (a mail has no request to ask).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Production hardening follows DEBUG unless set explicitly.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# The container health check speaks plain HTTP to gunicorn on loopback, never through the
# TLS proxy: redirecting it to https would make it fail for ever (issue 13).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp), on in every mode so the demo and the browser tests
# run under the policy production sends (issue 13). Scripts only from our own static files
# (plotly.js is self-hosted) or with the request's nonce; no inline handlers. Styles allow
# 'unsafe-inline' because plotly.js injects <style> elements and style attributes as it
# draws, and Swagger UI does the same; scripts, the dangerous half, stay strict. data:
# images: plotly's "download as PNG" and Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Celery: without a broker URL tasks run eagerly in-process (the demo setup).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://localhost/"  # never used while eager; a host keeps kombu quiet
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With the broker down, a commit should give up sending within seconds: the run stays
# pending in the database and the sweep sends it later (issue 8).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
# The sweep re-sends recompute runs that never reached a worker (broker down at commit time).
RECOMPUTE_SWEEP_SECONDS = float(os.environ.get("RECOMPUTE_SWEEP_SECONDS", "60"))
# A run whose process died this many times (OOM kill, time-out: acks_late redelivers it, the sweep
# re-sends it) is marked failed instead of tried for ever, so its results say *verouderd*
# (domain.md, decided points). Not from the environment: a rule of the application, not of a host.
RECOMPUTE_MAX_ATTEMPTS = 3
CELERY_BEAT_SCHEDULE = {
    "recompute-sweep": {"task": "rapportage.tasks.recompute_sweep_task", "schedule": RECOMPUTE_SWEEP_SECONDS},
}
# Delete the files of rejected and cancelled uploads past UPLOAD_REJECTED_RETENTION_DAYS, nightly.
CELERY_BEAT_SCHEDULE["upload-retention"] = {"task": "invoer.tasks.upload_files_prune_task", "schedule": 24 * 3600}
# Delete login records (django-axes keeps every login and failure) past LOGIN_LOG_RETENTION_DAYS, nightly.
LOGIN_LOG_RETENTION_DAYS = int(os.environ.get("LOGIN_LOG_RETENTION_DAYS", "180"))
CELERY_BEAT_SCHEDULE["login-log-retention"] = {"task": "kwaliteit.tasks.login_logs_prune_task", "schedule": 24 * 3600}
# Board packs by mail (issue 14, item 5): beat asks this often which weekly and monthly subscriptions are due.
BOARD_PACK_CHECK_SECONDS = float(os.environ.get("BOARD_PACK_CHECK_SECONDS", "3600"))
CELERY_BEAT_SCHEDULE["board-packs"] = {
    "task": "rapportage.tasks.board_packs_send_task",
    "schedule": BOARD_PACK_CHECK_SECONDS,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A partner-only account never reads the API (issue 14, item 4; agenda.api.permissions.NoPartner).
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "agenda.api.permissions.NoPartner"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "COERCE_DECIMAL_TO_STRING": False,
    "EXCEPTION_HANDLER": "agenda.api.common.api_exception_handler",
    # DRF's own three, with a JSON parser that answers every unreadable body in Dutch (400, never a 500).
    "DEFAULT_PARSER_CLASSES": [
        "agenda.api.common.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kwaliteitsagenda API",
    "DESCRIPTION": "Indicatorstatus, budget en uploads van de Kwaliteitsagenda 2019-2022.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the project's own static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models call their choice field "status" (measures, the Q-cycle's actions and check-ins,
    # uploads): name each enum after its choices, else drf-spectacular warns (W001) and guesses.
    "ENUM_NAME_OVERRIDES": {
        "MeasureStatusEnum": "maatregelen.choices.MeasureStatus",
        "ActionStatusEnum": "maatregelen.choices.ActionStatus",
        "CheckInStatusEnum": "maatregelen.choices.CheckInStatus",
        "UploadStatusEnum": "indicatoren.choices.UploadStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes' version banner would open every command's output; lockouts still log (WARNING).
        "axes.apps": {"level": "WARNING"},
        # In-process (eager) tasks would log every success into command output.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}

# Horizontal accountability (issue 14, item 4): the curated account of /verantwoording/ also on
# /openbaar/<institution code>/ for anyone, without logging in. Off by default; each school opens
# its own: the codes of the institutions that chose it (one switch for all would open every
# institution the installation serves).
PUBLIC_ACCOUNTABILITY = [code for code in env_list("PUBLIC_ACCOUNTABILITY", "") if code]
