"""Function names that cross the durable boundary, in one place, so that no name is spelled
out as a string in two files."""

JOB_ORCHESTRATOR = "job_orchestrator"
FAN_OUT_BATCH = "fan_out_batch"
RUN_HANDLER = "run_handler"
DISPATCH_TASK = "dispatch_task"
RECORD_EVENTS = "record_events"
STOP_INSTANCES = "stop_instances"
ASSET_ENTITY = "asset"
ASSET_COMMAND = "asset_command"
PROJECT_ASSET = "project_asset"
START_ASSET_JOB = "start_asset_job"
DELIVER_CALLBACKS = "deliver_callbacks"
EMIT_CALLBACKS = "emit_callbacks"
NEXT_CALLBACK = "next_callback"
SEND_CALLBACK = "send_callback"
START_PUBLICATION = "start_publication"
CALLBACK_KICK = "callbacks_enqueued"  # the external event that wakes an idle delivery
