"""What the app holds while it runs (built in ``lifespan``): database, store, model cache, job runner."""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from vivid.server.db import Database
from vivid.server.errors import ServiceUnavailableError, UnauthorizedError
from vivid.server.jobs import JobRunner
from vivid.server.settings import Settings, get_settings
from vivid.server.store import Store


@dataclass
class Services:
    settings: Settings
    db: Database
    store: Store
    models: Any  # vivid.engine.cache.ModelCache
    runner: JobRunner
    #: bounds the enhancements that run inside requests at once (the CPU is shared with the workers)
    sync_slots: threading.BoundedSemaphore

    @classmethod
    def start(cls, settings: Settings) -> Services:
        from vivid.engine.cache import ModelCache
        from vivid.server.db import migrate

        store = Store(settings.data_dir)
        store.prepare()
        db = Database(settings.resolved_database_url())
        migrate(db.engine)
        models = ModelCache()
        runner = JobRunner(db=db, store=store, models=models, settings=settings)
        runner.start()
        return cls(settings, db, store, models, runner, threading.BoundedSemaphore(settings.workers))

    def close(self) -> None:
        self.runner.stop()
        self.models.clear()
        self.db.close()


def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise ServiceUnavailableError("the service is starting or stopping; try again in a moment")
    return services


def require_api_key(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    """When API keys are configured, every /v1 request must carry one in ``X-API-Key``."""
    if not settings.api_keys:
        return
    given = request.headers.get("x-api-key", "")
    if not given:
        raise UnauthorizedError("this service needs an API key: send it in the X-API-Key header")
    if not any(hmac.compare_digest(given.encode(), k.encode()) for k in settings.api_keys):
        raise UnauthorizedError("the API key in X-API-Key is not valid")


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
