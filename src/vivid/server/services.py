"""What the app holds while it runs (built in ``lifespan``): database, store, model cache, job runner."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from vivid.engine.cache import ModelCache
from vivid.server.cluster import RayEngine
from vivid.server.db import Database, migrate
from vivid.server.errors import ServiceUnavailableError, UnauthorizedError
from vivid.server.gate import SyncGate
from vivid.server.jobs import JobRunner
from vivid.server.records import LOCAL_OWNER
from vivid.server.settings import Settings, get_settings
from vivid.server.store import Store


@dataclass
class Services:
    settings: Settings
    db: Database
    store: Store
    models: Any  # vivid.engine.cache.ModelCache
    runner: JobRunner
    #: bounds the heavy work done inside requests (the CPU and memory are shared with the workers)
    gate: SyncGate

    @classmethod
    def start(cls, settings: Settings) -> Services:
        store = Store(settings.data_dir)
        store.prepare()
        db = Database(settings.resolved_database_url())
        migrate(db.engine)
        models = ModelCache()
        engine = None
        if settings.engine == "ray":
            engine = RayEngine(address=settings.ray_address, workers=settings.workers).start()
        runner = JobRunner(db=db, store=store, models=models, settings=settings, engine=engine)
        runner.start()
        gate = SyncGate(slots=settings.workers, per_key=settings.sync_per_key, wait=settings.sync_wait_seconds,
                        waiting=settings.sync_queue)
        return cls(settings, db, store, models, runner, gate)

    def close(self) -> None:
        self.runner.stop()
        if self.runner.engine is not None:
            self.runner.engine.close()
        self.models.clear()
        self.db.close()


def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise ServiceUnavailableError("the service is starting or stopping; try again in a moment")
    return services


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the owner of what it creates, and whether it may see everyone's."""

    owner: str
    admin: bool = False

    def sees(self, owner: str | None) -> bool:
        return self.admin or (owner or LOCAL_OWNER) == self.owner


def key_owner(key: str) -> str:
    """The stored owner of an API key (a hash: the database never holds keys)."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="Needed when the server has API keys (GET /v1/info says whether).")


def require_api_key(request: Request, settings: Annotated[Settings, Depends(get_settings)],
                    given: Annotated[str | None, Security(_api_key_header)] = None) -> Caller:
    """When API keys are configured, every /v1 request must carry one in ``X-API-Key``; the key owns
    what the request creates. Without keys there is one local user, who sees everything."""
    if not settings.all_keys:
        return Caller(LOCAL_OWNER, admin=True)
    if not given:
        raise UnauthorizedError("this service needs an API key: send it in the X-API-Key header")
    admin = any(hmac.compare_digest(given.encode(), k.encode()) for k in settings.admin_keys)
    if not admin and not any(hmac.compare_digest(given.encode(), k.encode()) for k in settings.api_keys):
        raise UnauthorizedError("the API key in X-API-Key is not valid")
    return Caller(key_owner(given), admin=admin)


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CallerDep = Annotated[Caller, Depends(require_api_key)]
