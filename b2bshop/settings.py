"""Settings for b2bshop, read from the environment.

With no environment at all the shop runs in its embedded mode: SQLite, Celery tasks
executed eagerly in-process, a local-memory cache and the local Mailchimp stand-in.
Every variable is listed in `.env.example`; environments differ only in values.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# A fixed key is acceptable only for the embedded demo; production must set one.
SECRET_KEY = env.str("SECRET_KEY") if not DEBUG else env.str(
    "SECRET_KEY", default="embedded-demo-only-not-a-secret"
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
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
    "ENUM_NAME_OVERRIDES": {
        "ImportRunStatusEnum": "integrations.models.ImportRun.Status",
        "MailchimpSyncRunStatusEnum": "integrations.models.MailchimpSyncRun.Status",
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
CELERY_BEAT_SCHEDULE = {
    "segments-refresh-all": {
        "task": "segments.segments_refresh_all",
        "schedule": SEGMENTS_REFRESH_MINUTES * 60,
    },
    "mailchimp-full-reconcile": {
        "task": "integrations.mailchimp_full_reconcile",
        "schedule": crontab(hour=3, minute=30),
    },
}
