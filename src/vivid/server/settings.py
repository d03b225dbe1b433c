"""The service's typed configuration (environment variables ``VIVID_*``), validated once at the edge."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import Request
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from vivid.errors import ConfigError


class Settings(BaseSettings):
    """Service settings. Every field can be set as ``VIVID_<FIELD>`` (e.g. ``VIVID_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="VIVID_", extra="ignore")

    data_dir: Path = Field(Path("vivid-data"), description="Uploads, results, thumbnails and the SQLite database.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///<data_dir>/vivid.db. postgresql://... works too.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64, description="Background job threads (also the number of "
                                                       "synchronous enhancements run at once).")
    engine: Literal["local", "ray"] = Field("local", description="Where job items run: local (this process's "
                                                                  "threads) or ray (one Ray worker per job thread, "
                                                                  "on the cluster at ray_address).")
    ray_address: str | None = Field(None, description="With engine ray: the cluster to join (HOST:PORT or auto); "
                                                      "default: a local one started with the server.")
    max_upload_mb: float = Field(100.0, gt=0, description="Largest request body (all files together), in MB.")
    max_pixels: int = Field(100_000_000, ge=1, description="Largest image accepted at all (pixels).")
    sync_max_pixels: int = Field(4_000_000, ge=1, description="Largest image POST /v1/enhance runs at once; "
                                                              "bigger ones go through POST /v1/jobs.")
    max_files: int = Field(200, ge=1, description="Most files in one job.")
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="When non-empty, /v1 requires one of these in the X-API-Key header "
                                          "(env: comma-separated).")
    resume_attempts: int = Field(2, ge=1, description="How often a job interrupted by a restart is started "
                                                      "again before it is marked failed.")
    job_lease_seconds: float = Field(60.0, ge=1, description="A running job whose server process has not "
                                                             "sent a heartbeat for this long is run again "
                                                             "(by any server on the same database).")
    # --- memory budget (checked from headers and the plan, before decoding and before running) ----------
    memory_budget_mb: float = Field(1536.0, gt=0, description="Estimated peak memory one request or job may "
                                                              "need (decoded input + every step's output), in MB.")
    max_output_pixels: int = Field(16_000_000, ge=1, description="Largest image any plan step may produce "
                                                                 "(pixels; a video frame too).")
    max_stream_output_pixels: int = Field(200_000_000, ge=1, description="Largest output of a job that takes "
                                                                       "the bounded streaming path (one tileable "
                                                                       "model step into PNG), in pixels.")
    max_video_pixels: int = Field(200_000_000_000, ge=1, description="Largest video job: output frames x "
                                                                     "output pixels per frame.")
    # --- ownership and browser safety --------------------------------------------------------------------
    admin_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="API keys that see and act on every key's jobs and uploads "
                                          "(env: comma-separated); they are valid keys too.")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"],
        description="Host header names served (anti DNS-rebinding); '*' serves any. The --host address is "
                    "added when it is not a wildcard.")
    allow_public_without_keys: bool = Field(False, description="Serve a non-loopback address without API keys "
                                                               "(anyone who reaches it can use the service).")
    # --- back-pressure -----------------------------------------------------------------------------------
    max_queued_jobs: int = Field(100, ge=1, description="Jobs waiting at once (all keys); more → 429.")
    max_queued_jobs_per_key: int = Field(20, ge=1, description="Jobs waiting at once for one API key; more → 429.")
    sync_per_key: int = Field(2, ge=1, description="Synchronous requests (enhance, analyze, thumbnails) one key "
                                                   "may have in flight; more → 429.")
    sync_wait_seconds: float = Field(10.0, ge=0, description="How long a synchronous request waits for a free "
                                                             "slot before it is answered 503.")
    sync_queue: int = Field(4, ge=0, description="Synchronous requests that may wait for a slot; more are "
                                                 "answered 503 at once.")
    max_connections: int = Field(200, ge=1, description="Open connections served at once; more are answered 503 "
                                                        "(uvicorn's limit_concurrency).")
    client_timeout_seconds: float = Field(30.0, gt=0, description="A connection that has not sent a request's "
                                                                  "headers this long is closed; a request body "
                                                                  "that stalls this long is answered 408.")

    @field_validator("api_keys", "admin_keys", "allowed_hosts", mode="before")
    @classmethod
    def _split_keys(cls, v: object) -> object:
        if isinstance(v, str):
            if v.strip().startswith("["):
                import json

                return json.loads(v)
            return [k.strip() for k in v.split(",") if k.strip()]
        return v

    @property
    def all_keys(self) -> list[str]:
        """Every valid key (user and admin keys); empty: no authentication (one local user)."""
        return [*self.api_keys, *self.admin_keys]

    def host_names(self) -> frozenset[str]:
        """Host header names to serve (lower case, without port); ``*`` in the set serves any."""
        names = {h.lower().strip("[]") for h in self.allowed_hosts}
        if self.host not in ("0.0.0.0", "::", ""):
            names.add(self.host.lower().strip("[]"))
        return frozenset(names)

    def binds_publicly(self) -> bool:
        """Whether ``host`` is reachable from other machines (anything but a loopback address or name)."""
        import ipaddress

        if self.host.lower() == "localhost":
            return False
        try:
            return not ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return True

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def resolved_database_url(self) -> str:
        """The database URL to use; ``postgresql://`` is mapped to the installed psycopg 3 driver."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'vivid.db').resolve()}"
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url


def check_exposure(settings: Settings) -> str | None:
    """Refuse to serve a non-loopback address without API keys unless ``allow_public_without_keys``;
    returns a warning to print when it is allowed (None when the address is loopback or keys are set)."""
    if not settings.binds_publicly():
        return None
    hosts = settings.host_names()
    note = "" if "*" in hosts or hosts - {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"} else (
        "; note: only the Host names localhost/127.0.0.1/::1 are served: set VIVID_ALLOWED_HOSTS to the names "
        "clients use (e.g. vivid.example.org)")
    if settings.all_keys:
        return f"serving {settings.host}{note}" if note else None
    if not settings.allow_public_without_keys:
        raise ConfigError(
            f"refusing to serve {settings.host} without API keys: anyone who can reach it could use the service and "
            "read every result. Set VIVID_API_KEYS (comma-separated), or serve 127.0.0.1, or accept the risk with "
            "--allow-public (VIVID_ALLOW_PUBLIC_WITHOUT_KEYS=1)")
    return (f"WARNING: serving {settings.host} WITHOUT API KEYS: anyone who can reach this address can run work "
            f"and read every upload and result (set VIVID_API_KEYS to stop that){note}")


def get_settings(request: Request) -> Settings:
    """Dependency: the settings the app was created with (tests may override this dependency)."""
    return request.app.state.settings
