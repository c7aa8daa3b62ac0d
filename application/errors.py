"""Errors the use cases raise; the tree is drawn in `application`'s docstring."""

from __future__ import annotations


class ApplicationError(Exception):
    """Every error a use case raises on purpose."""


class UnknownWorkflow(ApplicationError, LookupError):
    """No workflow (or no such version of it); the message lists the known ids."""


class RequestConflict(ApplicationError):
    """A ``request_id`` already names a job submitted with another body or workflow."""


class InstanceGone(ApplicationError, LookupError):
    """The job's Durable instance no longer exists (terminated and purged)."""


class NoSuchJob(ApplicationError, LookupError):
    """No job by that id."""


class NoSuchNode(ApplicationError, LookupError):
    """The job's workflow has no node by that id."""


class JobStateConflict(ApplicationError):
    """The job's state does not allow the request (e.g. cancel of a finished job)."""


class InvalidRequest(ApplicationError, ValueError):
    """Bad fields of a request, each named in ``fields`` (the asset use cases) -> 400."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.fields = fields
