"""Use cases: what a caller asks dagmaster to do, with no HTTP in sight.

The HTTP API (`api/`), the operator console and the B2B submit API all call these: a handler
parses its request into the use case's input model, calls one function here, and formats the
typed result (or maps the error through `api.http.STATUS_OF`).

Errors (see `application.errors`)::

    ApplicationError
    ├── UnknownWorkflow   no workflow (or version) by that id                  -> 404
    ├── NoSuchJob         no job by that id                                    -> 404
    ├── NoSuchNode        no node by that id in the job's workflow             -> 404
    ├── InstanceGone      the job's Durable instance was purged                -> 404
    ├── RequestConflict   a request_id reused with another body or workflow    -> 409
    ├── JobStateConflict  the job's state does not allow it                    -> 409
    └── InvalidRequest    bad fields of a request, each named                  -> 400

`domain.inputs.InputError` (bad inputs, each field named) passes through unchanged.
"""
