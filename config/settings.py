"""Settings, read from the environment with django-environ (and `.env` when present)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Dev-safe defaults only when DEBUG: production must set its own key and hosts.
SECRET_KEY = env.str("SECRET_KEY") if not DEBUG else env.str("SECRET_KEY", default="dev-only")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.admin_site.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_tasks",
    "accounts",
    "pharmacy_orders",
    "inventory",
    "rxscale",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs login unless a view opts out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.middleware.PrivateNoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "rxscale.context_processors.rxscale_link",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening one costs more than a whole webhook acknowledgement.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL plus a busy timeout lets the dev server and a worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/orders/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Private: prescription PDFs live here and are never served by URL (no MEDIA_URL route).
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
WHITENOISE_USE_FINDERS = DEBUG

# The webhook body cap applies to request.body; Django's own cap must not be lower.
RXSCALE_WEBHOOK_MAX_BYTES = env.int("RXSCALE_WEBHOOK_MAX_BYTES", default=32 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = RXSCALE_WEBHOOK_MAX_BYTES + 1
RXSCALE_WEBHOOK_SECRETS = [s for s in env.list("RXSCALE_WEBHOOK_SECRETS", default=[]) if s]

RXSCALE_API_BASE_URL = env.str("RXSCALE_API_BASE_URL", default="")
RXSCALE_API_KEY = env.str("RXSCALE_API_KEY", default="")
# The docs conflict: the newest .md captures and every Swagger URL say /v1/external_pharmacy_api,
# the older HTML captures and the guides /v1/external-pharmacy-api-v1. Which one the live API
# serves is unknown; set this if the default answers 404.
RXSCALE_API_PREFIX = env.str("RXSCALE_API_PREFIX", default="/v1/external_pharmacy_api")
RXSCALE_PHARMACY_UID = env.str("RXSCALE_PHARMACY_UID", default="")
# The docs give `pharmacy_uid` as a query parameter "required on most endpoints" for group-wide
# keys but list it only on the list endpoints. Which others need it is unknown: by default it
# goes on every request; false sends it on the list endpoints only.
RXSCALE_PHARMACY_UID_ON_ALL_REQUESTS = env.bool(
    "RXSCALE_PHARMACY_UID_ON_ALL_REQUESTS", default=True
)
# Every API call has a timeout: a hung RxScale must never hang a worker.
RXSCALE_API_TIMEOUT_SECONDS = env.float("RXSCALE_API_TIMEOUT_SECONDS", default=10.0)
# The bodies of PATCH …/pharmacy_skus/{uid}/stock and …/external_id are not documented (their
# sections were not retrievable); these field names are guesses to confirm against Swagger.
RXSCALE_API_SKU_STOCK_FIELD = env.str("RXSCALE_API_SKU_STOCK_FIELD", default="stock")
RXSCALE_API_SKU_EXTERNAL_ID_FIELD = env.str(
    "RXSCALE_API_SKU_EXTERNAL_ID_FIELD", default="external_id"
)
# Where "resume" takes an order whose hold began in a status the pharmacy may not set itself
# (`waiting for pharmacy`, `init`), or that arrived on hold from RxScale: RxScale's docs are
# silent on the exits from on-hold. One of `pending review`, `in-progress`, `ready_for_pickup`
# (checked at startup: pharmacy_orders.statuses.resume_fallback_status).
RXSCALE_RESUME_FALLBACK_STATUS = env.str("RXSCALE_RESUME_FALLBACK_STATUS", default="pending review")
# `manage.py prune_webhooks` removes final deliveries and unreferenced PDFs older than this.
RXSCALE_INBOX_RETENTION_DAYS = env.int("RXSCALE_INBOX_RETENTION_DAYS", default=30)
# Outbox (commands to RxScale). A command's lease must outlast the rate limiter's wait plus
# the HTTP timeout, so that no second worker sends while the first may still be sending.
RXSCALE_OUTBOX_LEASE_SECONDS = env.int("RXSCALE_OUTBOX_LEASE_SECONDS", default=120)
# Transient failures (RxScale down, timeouts, 429) retry with the work queue's capped backoff;
# 50 attempts at the 300 s cap ride out an outage of about four hours, then the command fails.
RXSCALE_OUTBOX_MAX_ATTEMPTS = env.int("RXSCALE_OUTBOX_MAX_ATTEMPTS", default=50)
# The catch-up sync (rxscale/sync): a worker runs it this often (0: never; the API must be
# configured), reading from the last successful run's start. Its reads are paced below
# RxScale's 10 requests/s so that the outbox's commands still get through.
RXSCALE_SYNC_INTERVAL_MINUTES = env.int("RXSCALE_SYNC_INTERVAL_MINUTES", default=15)
RXSCALE_SYNC_REQUESTS_PER_SECOND = env.float("RXSCALE_SYNC_REQUESTS_PER_SECOND", default=5.0)
# The worklist flags an order whose change has waited this long to reach RxScale.
RXSCALE_OUTBOX_LONG_PENDING_MINUTES = env.int("RXSCALE_OUTBOX_LONG_PENDING_MINUTES", default=10)

# The work queues (common/workqueue.py). A lease well under a minute: a killed worker's rows
# are taken by another worker within this many seconds.
WORK_QUEUE_LEASE_SECONDS = env.int("WORK_QUEUE_LEASE_SECONDS", default=30)
WORK_QUEUE_MAX_ATTEMPTS = env.int("WORK_QUEUE_MAX_ATTEMPTS", default=8)
WORK_QUEUE_RETRY_BASE_SECONDS = env.float("WORK_QUEUE_RETRY_BASE_SECONDS", default=2.0)
WORK_QUEUE_RETRY_MAX_SECONDS = env.float("WORK_QUEUE_RETRY_MAX_SECONDS", default=300.0)
WORK_QUEUE_POLL_SECONDS = env.float("WORK_QUEUE_POLL_SECONDS", default=1.0)
WORK_QUEUE_BATCH = env.int("WORK_QUEUE_BATCH", default=50)

LOW_STOCK_THRESHOLD_DEFAULT = env.int("LOW_STOCK_THRESHOLD_DEFAULT", default=5)

# Only the bench harness (scripts/bench) sets this: it mounts the floor endpoint `bench/floor`.
BENCH_FLOOR_ENDPOINT = env.bool("BENCH_FLOOR_ENDPOINT", default=False)
# Only the bench harness sets this: server time and statements per request in headers.
if env.bool("BENCH_SERVER_TIMING", default=False):
    MIDDLEWARE = ["config.bench_timing.server_timing_middleware", *MIDDLEWARE]

# `immediate`: each delivery is applied inline, right after its row commits (the embedded
# default). `workers`: the request only stores the row and wakes the queue workers
# (`make worker`), which claim due rows themselves; see common/workqueue.py.
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "workers": "common.tasks_backend.WakeWorkersBackend",
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND)}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"  # the prescription viewer embeds our own PDF view

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "common.log_format.SingleLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request at INFO; the RxScale client's callers log what matters.
        "httpx": {"level": "WARNING"},
    },
}
