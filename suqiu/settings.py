"""Django settings for Suqiu.

Everything a deployment changes comes from the environment (see README "Configuration"):
with nothing set, Suqiu runs on the embedded default, SQLite in ``var/``.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from suqiu.core.envconf import json_overrides

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
TESTING = "pytest" in sys.modules or os.environ.get("SUQIU_TESTING") == "1"
# Tests keep their files apart from a developer's var/ (pytest-django reads settings before any
# conftest hook could set the variable).
DATA_DIR = Path(os.environ.get("SUQIU_DATA_DIR", PROJECT_DIR / "var" / ("test" if TESTING else "")))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("SUQIU_DEBUG", False)
# The embedded default generates and keeps a key in var/ so `make run` needs no setup;
# production must set SUQIU_SECRET_KEY (the deployment check refuses to start without it).
SECRET_KEY = os.environ.get("SUQIU_SECRET_KEY", "")
if not SECRET_KEY:
    key_file = DATA_DIR / "secret_key"
    try:
        SECRET_KEY = key_file.read_text().strip()
    except FileNotFoundError:
        import secrets

        SECRET_KEY = secrets.token_urlsafe(50)
        try:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(SECRET_KEY)
            key_file.chmod(0o600)
        except OSError:
            pass

ALLOWED_HOSTS = [
    h
    for h in os.environ.get("SUQIU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(
        ","
    )
    if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("SUQIU_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "suqiu.core",
    "suqiu.directory",
    "suqiu.appeals",
    "suqiu.open311",
    "suqiu.imports",
    "suqiu.triage",
    "suqiu.duplicates",
    "suqiu.hotspots",
    "suqiu.timelimits",
    "suqiu.notify",
    "suqiu.rates",
    "suqiu.replies",
]

MIDDLEWARE = [
    "suqiu.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "suqiu.core.middleware.OutOfRangeMiddleware",
]

ROOT_URLCONF = "suqiu.urls"
WSGI_APPLICATION = "suqiu.wsgi.application"
ASGI_APPLICATION = "suqiu.asgi.application"

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
                "django.template.context_processors.i18n",
                "suqiu.core.context_processors.suqiu",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production. Without it: SQLite in var/, tuned for several
# processes writing at once: WAL, a busy timeout, and BEGIN IMMEDIATE so a transaction takes the
# write lock up front instead of failing with "database is locked" when it upgrades a read lock.
SQLITE_PATH = DATA_DIR / "suqiu.sqlite3"
_database_url = os.environ.get("DATABASE_URL", "")
if TESTING:
    # The test suite picks its database only through SUQIU_TEST_DATABASE_URL (unset or empty:
    # SQLite). It is read here because pytest-django imports these settings before conftest.py
    # runs, so setting DATABASE_URL from conftest came too late (the "PostgreSQL pass" ran on
    # SQLite).
    _database_url = os.environ.get("SUQIU_TEST_DATABASE_URL", "")
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url,
            conn_max_age=int(os.environ.get("SUQIU_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=30000;"
                    "PRAGMA cache_size=-20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "directory.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "after-login"
LOGOUT_REDIRECT_URL = "resident:home"

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("SUQIU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("SUQIU_STATIC_ROOT", DATA_DIR / "static"))
if TESTING:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
# Leaflet's files come from the django-leaflet package (its Django app is not installed: its
# admin integration needs GeoDjango/GDAL, which Suqiu does not use).
import importlib.util as _ilu  # noqa: E402

_leaflet_spec = _ilu.find_spec("leaflet")
STATICFILES_DIRS = [BASE_DIR / "static"]
if _leaflet_spec and _leaflet_spec.origin:
    STATICFILES_DIRS.append(("leaflet", Path(_leaflet_spec.origin).parent / "static" / "leaflet"))
MEDIA_ROOT = Path(os.environ.get("SUQIU_MEDIA_ROOT", DATA_DIR / "media"))
# Photos are served through a permission-checked view, never from a public media URL.
MEDIA_URL = "/media-not-public/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING or DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Cache (rate limits, idempotency hints) -----------------------------------------------------
# The database cache is shared by every web process on one machine and survives restarts; a
# deployment with Redis can point SUQIU_CACHE_URL at it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
        if TESTING
        else "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": "suqiu" if TESTING else str(DATA_DIR / "cache"),
    }
}
if os.environ.get("SUQIU_CACHE_URL", "").startswith("redis://"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["SUQIU_CACHE_URL"],
    }

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SUQIU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SUQIU_BEHIND_TLS_PROXY", False) else None
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Suqiu ------------------------------------------------------------------------------------
SUQIU = {
    # Public intake rate limit: submissions per client IP per hour (resident page, anonymous API).
    "PUBLIC_INTAKE_PER_HOUR": int(os.environ.get("SUQIU_PUBLIC_INTAKE_PER_HOUR", "30")),
    # Tracking-code look-ups per client IP per minute (stops enumeration).
    "TRACK_LOOKUPS_PER_MINUTE": int(os.environ.get("SUQIU_TRACK_LOOKUPS_PER_MINUTE", "60")),
    "PHOTO_MAX_BYTES": int(os.environ.get("SUQIU_PHOTO_MAX_BYTES", str(8 * 1024 * 1024))),
    "PHOTO_MAX_COUNT": int(os.environ.get("SUQIU_PHOTO_MAX_COUNT", "6")),
    "IDEMPOTENCY_TTL_HOURS": int(os.environ.get("SUQIU_IDEMPOTENCY_TTL_HOURS", "48")),
    # Map: WGS-84 is stored; the tile layer is configurable (a GCJ-02 provider needs the
    # conversion flag so markers line up with its tiles).
    "MAP_TILE_URL": os.environ.get(
        "SUQIU_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    ),
    "MAP_TILE_ATTRIBUTION": os.environ.get("SUQIU_MAP_TILE_ATTRIBUTION", "© OpenStreetMap"),
    "MAP_TILES_GCJ02": env_bool("SUQIU_MAP_TILES_GCJ02", False),
    "MAP_CENTER": (22.7185, 114.2469),  # Pingshan-like demo district centre (lat, lon)
    "WORKER_INTERVAL_SECONDS": float(os.environ.get("SUQIU_WORKER_INTERVAL", "5")),
}


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "suqiu.core.logging.StructuredFormatter"}},
    "filters": {"request_id": {"()": "suqiu.core.logging.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "structured",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("SUQIU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Routing model training (`suqiu triage train`): at most this many of the most recent assessed
# appeals (0 = all). Training time grows linearly: under 4 minutes per 5,000 on 2 cores.
SUQIU_TRIAGE_MAX_ROWS = int(os.environ.get("SUQIU_TRIAGE_MAX_ROWS", "20000"))

# Hotspot job (suqiu/hotspots): how often the worker re-clusters, over how many days, and the
# text similarity that joins two appeals of one place.
SUQIU_HOTSPOTS_EVERY_SECONDS = int(os.environ.get("SUQIU_HOTSPOTS_EVERY_SECONDS", "3600"))
SUQIU_HOTSPOTS_DAYS = int(os.environ.get("SUQIU_HOTSPOTS_DAYS", "30"))
SUQIU_HOTSPOTS_THRESHOLD = float(os.environ.get("SUQIU_HOTSPOTS_THRESHOLD", "0.3"))

# Duplicate check and reply checks: a JSON object of overrides of the app's defaults
# (``duplicates/conf.py``, ``replies/conf.py``), e.g. SUQIU_DUPLICATES='{"radius_m": 300}'.
# An unknown key or a value of the wrong type stops the start (ImproperlyConfigured).
from suqiu.duplicates import conf as _duplicates_conf  # noqa: E402
from suqiu.replies import conf as _replies_conf  # noqa: E402

SUQIU_DUPLICATES = json_overrides("SUQIU_DUPLICATES", _duplicates_conf.DEFAULTS)
SUQIU_REPLIES = json_overrides("SUQIU_REPLIES", _replies_conf.DEFAULTS)
