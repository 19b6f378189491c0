"""Settings, read from the environment (prefix ``IOCMAP_``) by a function, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the app and the CLI can be told from outside."""

    model_config = SettingsConfigDict(env_prefix="IOCMAP_", env_file=".env", extra="ignore")

    # DATABASE_URL without prefix is the convention most hosts use; IOCMAP_DATABASE_URL wins.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("IOCMAP_DATABASE_URL", "DATABASE_URL")
    )
    data_dir: Path = Path(".iocmap")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    admin_password: SecretStr | None = None
    # The private cluster listens on a unix socket in the data dir only, so this port
    # number only names the socket file and can never collide with a system PostgreSQL.
    pg_port: int = 5433
    pg_bin: Path | None = None
    # Cookies are marked Secure when the app is served over HTTPS (behind a proxy).
    secure_cookies: bool = False
    session_hours: int = 12
    max_body_bytes: int = 1_000_000
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    log_level: str = "info"
    # Layer imports (layers/ingest): upload size, zip-bomb limits, when to run in the background.
    upload_max_bytes: int = 200_000_000
    zip_max_uncompressed_bytes: int = 2_000_000_000
    zip_max_members: int = 1000
    zip_max_ratio: int = 200
    import_background_bytes: int = 5_000_000
    import_job_timeout_minutes: int = 60
    # Citizen feedback (layers/feedback): photo storage (default data_dir / "media") and the
    # anonymous submission limit per IP, counted in the database so it holds across workers.
    media_dir: Path | None = None
    feedback_anon_limit: int = 5
    feedback_anon_window_minutes: int = 10
    # Secret mixed into the stored hash of anonymous reporters' IP addresses (HMAC), so the
    # hashes in a leaked database cannot be reversed by hashing all 2^32 IPv4 addresses.
    # Unset: a random one is generated once in data_dir/secrets/feedback-ip-pepper.
    feedback_ip_pepper: SecretStr | None = None
    # Open311 GeoReport v2 (layers/open311): our jurisdiction_id; public statistics
    # (layers/feedback/stats.py): groups with fewer cases show no rates or ranks.
    open311_jurisdiction_id: str = "dakmil.vn"
    stats_min_cases: int = 10

    @property
    def media_path(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def uses_private_cluster(self) -> bool:
        return not self.database_url


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment; keyword overrides win (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
