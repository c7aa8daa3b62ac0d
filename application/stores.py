"""The job catalog a use case works on: the one given (tests), else `wiring.catalog()`."""

from __future__ import annotations

import asyncio

import wiring
from adapters.catalog import JobCatalog


async def job_catalog(given: JobCatalog | None) -> JobCatalog:
    if given is not None:
        return given
    found: JobCatalog = await asyncio.to_thread(wiring.catalog)
    return found
