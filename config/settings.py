"""Settings, read from the environment with django-environ (and `.env` when present)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# ENV_FILE names another file to read (`/dev/null`: none, as in a container's environment).
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

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
    "csp",
    "axes",
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
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: it turns a locked-out login into its lockout response.
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
# Prescription PDFs: private, never served by URL (no MEDIA_URL route; staff get them through
# an audited view). `filesystem` (MEDIA_ROOT) or `s3`: any S3-compatible store through
# django-storages, so that several app servers and workers share one store.
PRESCRIPTION_STORAGE = env.str("PRESCRIPTION_STORAGE", default="filesystem")
_DEFAULT_STORAGES = {
    "filesystem": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET", default=""),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default=""),
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="") or None,
            "signature_version": "s3v4",
            # Never public, never a pre-signed URL: files leave only through our view.
            "default_acl": None,
            "querystring_auth": True,
            # Content-addressed names: a second copy gets another name (as on the filesystem)
            # so that retention, deleting the old name, can never delete a new row's file.
            "file_overwrite": False,
            "object_parameters": (
                {"ServerSideEncryption": env.str("S3_SERVER_SIDE_ENCRYPTION")}
                if env.str("S3_SERVER_SIDE_ENCRYPTION", default="")
                else {}
            ),
        },
    },
}
if PRESCRIPTION_STORAGE not in _DEFAULT_STORAGES:
    raise ImproperlyConfigured("PRESCRIPTION_STORAGE must be `filesystem` or `s3`.")
if PRESCRIPTION_STORAGE == "s3" and not _DEFAULT_STORAGES["s3"]["OPTIONS"]["bucket_name"]:
    raise ImproperlyConfigured("PRESCRIPTION_STORAGE=s3 needs S3_BUCKET.")
STORAGES = {
    "default": _DEFAULT_STORAGES[PRESCRIPTION_STORAGE],
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
# Four eyes: the person who prepared an order (moved it to in-progress) may not also release it
# to ready_for_pickup, unless this is on (a pharmacy with one pharmacist). Each such release is
# flagged on the order's timeline and in the audit trail.
RELEASE_SINGLE_PERSON_ALLOWED = env.bool("RELEASE_SINGLE_PERSON_ALLOWED", default=False)
# The shared rate limit (rxscale/ratelimit.py): every process counts its API calls in the
# database, so all of them together stay under these. The defaults are rate-limits.md's
# documented limits, which apply per API key: lower them if anything else uses the same key.
# Window times come from the database's clock, because the app's machines' clocks may disagree.
RXSCALE_API_MAX_REQUESTS_PER_SECOND = env.int("RXSCALE_API_MAX_REQUESTS_PER_SECOND", default=10)
RXSCALE_API_MAX_REQUESTS_PER_MINUTE = env.int("RXSCALE_API_MAX_REQUESTS_PER_MINUTE", default=600)
# Each window is this much longer than documented: a request reaches RxScale some time after its
# slot is recorded, and that delay varies, so requests spaced exactly one second apart here can
# arrive closer there. Half of it bounds our side (a slot that took longer to record, e.g. in a
# starved process, is not used), half is left for the network.
RXSCALE_API_RATE_LIMIT_MARGIN_SECONDS = env.float(
    "RXSCALE_API_RATE_LIMIT_MARGIN_SECONDS", default=0.25
)
# How long one attempt may wait for a slot before RxScaleRateLimitTimeout (nothing sent). A
# call's worst case is (this + RXSCALE_API_TIMEOUT_SECONDS) per attempt plus the 429 backoffs:
# a queue that sends must hold (or renew) its lease that long, or another worker takes the row.
RXSCALE_API_RATE_LIMIT_MAX_WAIT_SECONDS = env.float(
    "RXSCALE_API_RATE_LIMIT_MAX_WAIT_SECONDS", default=10.0
)
# A 429 is retried by the client this many times, after full-jitter exponential backoff:
# a random wait in [0, min(max, base * 2^retry)]. Jitter spreads the processes that were
# refused together. Other errors are not retried here: they are for the caller's queue.
RXSCALE_API_RATE_LIMIT_RETRIES = env.int("RXSCALE_API_RATE_LIMIT_RETRIES", default=3)
RXSCALE_API_RATE_LIMIT_BACKOFF_SECONDS = env.float(
    "RXSCALE_API_RATE_LIMIT_BACKOFF_SECONDS", default=1.0
)
RXSCALE_API_RATE_LIMIT_BACKOFF_MAX_SECONDS = env.float(
    "RXSCALE_API_RATE_LIMIT_BACKOFF_MAX_SECONDS", default=30.0
)
# `manage.py prune_webhooks` removes final deliveries and unreferenced PDFs older than this.
RXSCALE_INBOX_RETENTION_DAYS = env.int("RXSCALE_INBOX_RETENTION_DAYS", default=30)
# Outbox (commands to RxScale). A command's lease must outlast what sending it may take, so
# that no second worker sends while the first may still be sending: a read before a resend
# plus the send, each up to (RXSCALE_API_RATE_LIMIT_MAX_WAIT_SECONDS + the HTTP timeout) per
# attempt with the 429 retries and backoffs (about 90 s each with the defaults).
RXSCALE_OUTBOX_LEASE_SECONDS = env.int("RXSCALE_OUTBOX_LEASE_SECONDS", default=240)
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
# Workers give way to a burst of intake: while more deliveries than this arrive per second,
# they leave new rows for a moment (a row waits at most WORK_QUEUE_YIELD_MAX_SECONDS), so that
# acknowledging RxScale keeps the CPU where workers and web server share cores. The backlog is
# durable and drained after the burst, in batches that mark superseded snapshots stale. 0: off
# (workers on cores of their own).
WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND = env.int("WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND", default=50)
WORK_QUEUE_YIELD_MAX_SECONDS = env.float("WORK_QUEUE_YIELD_MAX_SECONDS", default=10.0)

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

# --- Security (README "Security settings") -------------------------------------------------
# Secure by default: HTTPS only, HSTS, secure cookies, no framing. Plain local HTTP turns these
# off explicitly (scripts/write_env.py writes them into the development .env).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe the health endpoint over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Behind a proxy that terminates TLS, e.g. `HTTP_X_FORWARDED_PROTO,https`: trusted only if the
# proxy always sets (overwrites) that header, else a client could claim HTTPS.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
# How many proxies in front of the app append to X-Forwarded-For (the login limiter counts
# failures per client address; 0: the connection's own address).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
# A session ends after this many minutes without a request (every request renews it).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No page may be framed, except the prescription PDF by our own order page (its view says so).
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Login attempts (django-axes): after LOGIN_FAILURE_LIMIT failures for one username or one
# client address, every attempt (the right password too) is refused for LOGIN_COOLOFF_MINUTES,
# counted again from each refused attempt. Counts live in the database, shared by every server.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "accounts.login_security.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no banner on every start; lockouts are still logged (warning)

# `json` (the default outside DEBUG): one JSON object per line, with the delivery id, command
# id and order or SKU uid as fields where they apply (common/log_format.py). `plain`: one
# readable line per event. Neither ever carries PDF content or patient data.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be `json` or `plain`.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "common.log_format.SingleLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "common.log_format.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request at INFO; the RxScale client's callers log what matters.
        "httpx": {"level": "WARNING"},
        # botocore logs request details (headers, bucket keys) at DEBUG.
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# GET /healthz answers 503 when the oldest unfinished delivery or command is older than these
# (the workers are down or cannot keep up, RxScale refuses us), or when the last successful
# catch-up sync is older than HEALTHZ_SYNC_MAX_AGE_MINUTES (only with the sync scheduled).
HEALTHZ_INBOX_MAX_AGE_MINUTES = env.int("HEALTHZ_INBOX_MAX_AGE_MINUTES", default=10)
HEALTHZ_OUTBOX_MAX_AGE_MINUTES = env.int("HEALTHZ_OUTBOX_MAX_AGE_MINUTES", default=30)
HEALTHZ_SYNC_MAX_AGE_MINUTES = env.int("HEALTHZ_SYNC_MAX_AGE_MINUTES", default=60)
