"""The Azure Functions app: builds the `df.DFApp` and registers dagmaster's blueprints.

Importing it is the app's start-up: it also loads the workflows once, so a workflow file
that fails to load is logged now (with file:line), not at the first request."""

import azure.durable_functions as df
import azure.functions as func

import wiring
from activities.assets import bp as asset_activities
from activities.callbacks import bp as callback_activities
from activities.dispatch_task import bp as dispatch_task
from activities.record_events import bp as record_events
from activities.run_handler import bp as run_handler
from activities.stop_instances import bp as stop_instances
from api.assets import bp as assets
from api.deliveries import bp as deliveries
from api.health import bp as health
from api.jobs import bp as jobs
from api.openapi import bp as openapi
from api.stac import bp as stac
from api.workflows import bp as workflows
from console.routes import bp as console
from entities.asset import bp as asset_entity
from orchestrations.assets import bp as asset_command
from orchestrations.batch import bp as fan_out_batch
from orchestrations.callbacks import bp as deliver_callbacks
from orchestrations.job import bp as job_orchestrator
from timers.reconcile import bp as reconcile_jobs

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (
    job_orchestrator,
    fan_out_batch,
    run_handler,
    dispatch_task,
    record_events,
    stop_instances,
    asset_entity,
    asset_command,
    asset_activities,
    deliver_callbacks,
    callback_activities,
    jobs,
    assets,
    deliveries,
    stac,
    workflows,
    health,
    openapi,
    reconcile_jobs,
    console,
):
    app.register_functions(blueprint)

wiring.workflows()
