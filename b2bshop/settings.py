"""Settings for b2bshop, read from the environment.

With no environment at all the shop runs in its embedded mode: SQLite, Celery tasks
executed eagerly in-process, a local-memory cache and the local Mailchimp stand-in.
Every variable is listed in `.env.example`; environments differ only in values.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# Deploy mode is DEBUG=false: secrets only from the environment, HTTPS only (docs/reliability.md).
EMBEDDED_DEMO_SECRET_KEY = "embedded-demo-only-not-a-secret"
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default=EMBEDDED_DEMO_SECRET_KEY)
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY or SECRET_KEY == EMBEDDED_DEMO_SECRET_KEY:
        raise ImproperlyConfigured(
            "Set the SECRET_KEY environment variable to a long random value: DEBUG=false is deploy mode."
        )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "b2bshop",
    "accounts",
    "catalog",
    "orders",
    "segments",
    "personalization",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Production serves collected static files itself; the development server does it in DEBUG.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "b2bshop.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "b2bshop.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo's web process read while an import or refresh writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Deploy mode keeps a process's database connection between requests (a new one per request
# cost a quarter of a shop page's CPU under load, docs/performance.md "Load"); health checks
# replace a connection the server closed. The demo and the tests open one per request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0 if DEBUG else 60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that loads a logged-in contact with its company in one query (the shop needs both).
    "accounts.backends.ShopUserBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch"), ("fr", "Français")]
SHOP_TIME_ZONE = env.str("SHOP_TIME_ZONE", default="Europe/Amsterdam")
TIME_ZONE = SHOP_TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# ------------------------------------------------------------------ security
# Deploy mode (DEBUG=false) passes `manage.py check --deploy` without warnings; every
# value can be overridden from the environment. Embedded mode keeps plain HTTP.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
# Behind a TLS-terminating proxy that sets the header (and strips it from clients), e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https. Unset: requests are HTTPS only when they arrive as HTTPS.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
if SECURE_PROXY_SSL_HEADER is not None and len(SECURE_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER is 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https.")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache and written through to the database: no session query on a
# cache hit, and the database still holds them when the cache is down or flushed.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4) for every page: shop, admin, API docs. Scripts and
# styles come from the shop's own static files; an inline <script>/<style> needs the
# request's nonce (`{{ request.csp_nonce }}`); style="" and on*="" attributes are refused.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for the small SVG icons of the admin and the API docs' stylesheets.
        "img-src": [SELF, "data:", *env.list("CSP_IMG_SRC", default=[])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Login rate limits (django-axes, accounts/login_limits.py): a failed login counts against the
# account (the email, case-insensitive) and against the client address; either reaching its
# limit within the cool-off locks further logins for it until the cool-off has passed.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
# Proxies in front of the app that append to X-Forwarded-For (0: the address is REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_HANDLER = "accounts.login_limits.AccountOrAddressHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.login_limits.login_account_key"
AXES_CLIENT_IP_CALLABLE = "accounts.login_limits.login_client_address"
AXES_LOCKOUT_CALLABLE = "accounts.login_limits.login_locked_response"
AXES_VERBOSE = False
# Password-reset mails per hour (accounts/password_reset_limits.py); over the limit the form
# answers as usual and sends nothing.
PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR = env.int("PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR", default=3)
PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", default=20)

# Uploads (content block banners, product images): real images of these formats, at most this size.
UPLOAD_IMAGE_MAX_BYTES = env.int("UPLOAD_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
UPLOAD_IMAGE_MAX_PIXELS = env.int("UPLOAD_IMAGE_MAX_PIXELS", default=40_000_000)

# Cache: local memory in the embedded mode, Redis when REDIS_URL is set.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # A cache outage must degrade the shop, not break it.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Celery: eager in-process unless a broker is configured (REDIS_URL alone is only the cache).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://localhost/")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = SHOP_TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Mailchimp; without a key the sync talks to the project's local stand-in.
MAILCHIMP_API_KEY = env.str("MAILCHIMP_API_KEY", default="")
MAILCHIMP_SERVER = env.str("MAILCHIMP_SERVER", default="")
MAILCHIMP_LIST_ID = env.str("MAILCHIMP_LIST_ID", default="b2bshop-demo")
MAILCHIMP_WEBHOOK_SECRET = env.str("MAILCHIMP_WEBHOOK_SECRET", default="embedded-demo-webhook")
# A running stand-in (manage.py mailchimp_standin) to share between processes; empty = start one in-process.
MAILCHIMP_STANDIN_URL = env.str("MAILCHIMP_STANDIN_URL", default="")
MAILCHIMP_TAG_PREFIX = env.str("MAILCHIMP_TAG_PREFIX", default="shop: ")
MAILCHIMP_DOUBLE_OPT_IN = env.bool("MAILCHIMP_DOUBLE_OPT_IN", default=False)
MAILCHIMP_TIMEOUT_SECONDS = env.float("MAILCHIMP_TIMEOUT_SECONDS", default=30.0)
MAILCHIMP_RETRY_BASE_SECONDS = env.float("MAILCHIMP_RETRY_BASE_SECONDS", default=1.0)
MAILCHIMP_RETRY_MAX_SECONDS = env.float("MAILCHIMP_RETRY_MAX_SECONDS", default=60.0)
MAILCHIMP_MAX_ATTEMPTS = env.int("MAILCHIMP_MAX_ATTEMPTS", default=5)
MAILCHIMP_MAX_CONNECTIONS = env.int("MAILCHIMP_MAX_CONNECTIONS", default=10)
MAILCHIMP_CHUNK_SIZE = env.int("MAILCHIMP_CHUNK_SIZE", default=500)
# Extra merge fields: Mailchimp merge tag -> contact field path, e.g. {"SECTOR": "company.sector"}.
MAILCHIMP_MERGE_FIELDS = env.json("MAILCHIMP_MERGE_FIELDS", default={})

# ERP import
ERP_IMPORT_CHUNK_ROWS = env.int("ERP_IMPORT_CHUNK_ROWS", default=20_000)
ERP_IMPORT_MAX_REPORTED_ERRORS = env.int("ERP_IMPORT_MAX_REPORTED_ERRORS", default=1_000)
ERP_IMPORT_MAX_BODY_BYTES = env.int("ERP_IMPORT_MAX_BODY_BYTES", default=100 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shop@b2bshop.example")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "b2bshop.api.schema.ErrorDocumentingAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "b2bshop.api.exception_handler.api_exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "b2bshop API",
    "DESCRIPTION": "Segmentation-driven B2B webshop: ERP import, segments, shop and marketing integrations.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API docs page loads Swagger UI from the shop's own static files (no CDN, CSP 'self').
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "ImportRunStatusEnum": "integrations.models.ImportRun.Status",
        "MailchimpSyncRunStatusEnum": "integrations.models.MailchimpSyncRun.Status",
        "PromotionKindEnum": "orders.offer_models.Promotion.Kind",
        "ShippingRuleKindEnum": "orders.offer_models.ShippingRule.Kind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Segments: relative dates drift, so every segment is refreshed on a schedule.
SEGMENTS_REFRESH_MINUTES = env.int("SEGMENTS_REFRESH_MINUTES", default=15)
# After each scheduled refresh the insight figures of all customers and of this many of
# the largest segments are computed ahead, so marketers open them from the cache.
INSIGHT_WARM_SEGMENTS = env.int("INSIGHT_WARM_SEGMENTS", default=20)
CELERY_BEAT_SCHEDULE = {
    "segments-refresh-all": {
        "task": "segments.segments_refresh_all",
        "schedule": SEGMENTS_REFRESH_MINUTES * 60,
    },
    "mailchimp-full-reconcile": {
        "task": "integrations.mailchimp_full_reconcile",
        "schedule": crontab(hour=3, minute=30),
    },
    # Tasks that could not be queued while the broker was down (b2bshop.outbox).
    "outbox-flush": {
        "task": "b2bshop.outbox_flush",
        "schedule": 60,
    },
}
