"""Errors of the job catalog.

CatalogError
├── CatalogUnavailable   cannot connect; the message names the setting to fix
├── MigrationError       a migration failed, or an applied one was edited afterwards
├── UnknownJob           a write referred to a job that was never created
└── JobConflict          create_job with an existing job_id but another request_id
"""

from __future__ import annotations


class CatalogError(Exception):
    """Every error the catalog raises."""


class CatalogUnavailable(CatalogError):
    """Cannot connect; the message names the setting to fix."""


class MigrationError(CatalogError):
    """A migration failed, or an applied one was edited afterwards."""


class UnknownJob(CatalogError, LookupError):
    """A write referred to a job that was never created."""


class JobConflict(CatalogError):
    """create_job with an existing job_id but another request_id."""
