"""Why a job stops before its end: its owner cancelled it, or the service is shutting down.

Raised inside a job's progress callback; the job runner (:mod:`vivid.server.jobs`) and the video jobs
(:mod:`vivid.server.video`) both catch them, so they live apart from either.
"""

from __future__ import annotations


class JobCancelled(Exception):
    """Raised inside the progress callback when the job was cancelled."""


class ServerStopping(Exception):
    """Raised inside the progress callback when the service shuts down (the job is re-queued)."""
