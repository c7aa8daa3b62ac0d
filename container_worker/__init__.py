"""The heavy-task worker: ``python -m container_worker`` (see `container_worker.__main__`).

Its settings are `config.settings.WorkerSettings` (every variable in `config.SETTINGS`).
Modules, in the order a task meets them:

    worker.py       the supervisor: receive, run, renew, raise the result, settle
    executor.py     one child process per task running `handlers.execute`; its context over a pipe
    checkpoints.py  checkpoints and result markers in blob storage (layout documented there)
    callback.py     the raise-event call to the Durable HTTP API, with retries
    progress.py     `ProgressSink`: logging, or the catalog
"""
