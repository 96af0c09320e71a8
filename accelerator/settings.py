"""Settings for Learning Accelerator, read from the environment.

Development defaults need no server: SQLite and a file-backed Celery broker
(DESIGN.md §6). Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and
turns DEBUG off; the app refuses to start without a SECRET_KEY in that case.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from accelerator.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdef"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured("DEBUG is off: set SECRET_KEY to a long random value.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"  # "this form expired, reload" page

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "accounts",
    "curriculum",
    "progress",
    "grading",
    "flashcards",
    "cohorts",
    "playgrounds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accelerator.csp.ContentSecurityPolicyMiddleware",
    "accounts.middleware.LearnerTimezoneMiddleware",
]

if not DEBUG:
    # Production serves static files from gunicorn; runserver and tests use staticfiles.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "accelerator.urls"
WSGI_APPLICATION = "accelerator.wsgi.application"
ASGI_APPLICATION = "accelerator.asgi.application"

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
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the embedded web server and grading worker write concurrently.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
_test_db_name = env_str("TEST_DATABASE_NAME", "")
if _test_db_name:
    DATABASES["default"]["TEST"] = {"NAME": _test_db_name}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
# The site is in English only. Without the translation machinery every rendered number and
# date skips a per-thread language lookup (about a tenth of a page's template time); formats
# still follow LANGUAGE_CODE.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Learning Accelerator <noreply@localhost>")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("CACHE_URL"),
    }
    if env_str("CACHE_URL", "")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# The page cache (progress.freshness): learners' pages and cohort overviews, keyed by the
# database rows' activity_version, so a write in any process makes entries unreachable at
# once; this TTL only bounds what changes with the clock (cards falling due). 0: off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60)
if env_str("CACHE_URL", ""):
    # Sessions read from the shared cache, written through to the database. Only with a
    # shared cache: with per-process local memory, a session logged out in one process
    # would stay valid in the others' copies.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Security: production values come with DEBUG off.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)

# Content-Security-Policy: our own static files plus the privacy-enhanced YouTube embed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data: https://i.ytimg.com; "
    "frame-src https://www.youtube-nocookie.com; "
    "connect-src 'self'; "
    "font-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)

# Celery (DESIGN.md §6, STYLE.md "Celery tasks"). The embedded default is a
# file-system broker under var/, so `make run` needs no server.
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(_BROKER_DIR / "out"),
        "data_folder_out": str(_BROKER_DIR / "out"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    # Longer than the grading hard limit, so a slow grade is not re-delivered twice.
    else {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600)}
)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Which grading queue a challenge goes to: GPU hosts consume grading-gpu.
GRADING_GPU_CHALLENGES = env_list(
    "GRADING_GPU_CHALLENGES", ["training", "classification-finetune", "instruction-finetune"]
)
GRADING_SWEEP_SECONDS = env_int("GRADING_SWEEP_SECONDS", 30)
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-submissions": {
        "task": "grading.tasks.sweep_submissions",
        "schedule": float(GRADING_SWEEP_SECONDS),
    },
    # FSRS parameters refitted from review logs (flashcards/tasks.py), once a day.
    "optimise-fsrs-parameters": {
        "task": "flashcards.tasks.optimise_parameters",
        "schedule": float(env_int("FSRS_OPTIMISE_SECONDS", 24 * 3600)),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

PLAYLIST_URL = "https://www.youtube.com/playlist?list=PLQRyiBCWmqp5twpd8Izmaxu5XRkxd5yC-"

# --- Grading (DESIGN.md §4; grading/submissions.py and grading/tasks.py) -----------------
# Per learner, across challenges; every attempt counts, including ones rejected as `error`.
GRADING_SUBMISSIONS_PER_MINUTE = env_int("GRADING_SUBMISSIONS_PER_MINUTE", 6)
# The grading task's time limits, soft below hard. Each task gets limits just above its own
# challenge's sandbox budget (grading.tasks.time_limits: wall clock + the runner's grace + a
# sandbox restart); these are the ceilings, which the sweep also uses to tell a stuck task
# from a slow one. They must cover the slowest challenge (60 s wall clock: 80 s / 90 s).
GRADING_TASK_SOFT_TIME_LIMIT = env_int("GRADING_TASK_SOFT_TIME_LIMIT", 80)
GRADING_TASK_TIME_LIMIT = env_int("GRADING_TASK_TIME_LIMIT", 90)
if not 0 < GRADING_TASK_SOFT_TIME_LIMIT < GRADING_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "GRADING_TASK_SOFT_TIME_LIMIT must be below GRADING_TASK_TIME_LIMIT."
    )
# A submission whose grading was interrupted (worker killed, hard limit) is retried until it
# has been started this many times, then marked `error` with a message.
GRADING_MAX_ATTEMPTS = env_int("GRADING_MAX_ATTEMPTS", 2)
# The sweep re-sends a `queued` submission the broker never accepted after this many seconds,
# and one it accepted but nobody picked up after the broker's visibility timeout.
GRADING_RESEND_AFTER_S = env_int("GRADING_RESEND_AFTER_S", 10)
GRADING_LOST_AFTER_S = env_int("GRADING_LOST_AFTER_S", env_int("CELERY_VISIBILITY_TIMEOUT", 600))
if CELERY_BROKER_URL.startswith("filesystem"):
    # The embedded broker's worker polls its folder; kombu's default of 1 s would add up to
    # a second to every verdict in development.
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = 0.1
