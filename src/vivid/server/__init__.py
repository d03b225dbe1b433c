"""vivid's REST service and web app: one FastAPI application over the same library calls as the CLI.

``create_app(settings)`` (in :mod:`vivid.server.app`) builds it; nothing is read, opened or loaded at
import time. Layout (FastAPI's "bigger applications"): one router per resource in ``routers/``, the
database in ``db.py``/``records.py`` with Alembic migrations in ``migrations/``, the file store in
``store.py``, background jobs in ``jobs.py``, the web UI in ``static/``.
"""
