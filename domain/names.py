"""Function names that cross the durable boundary, in one place (STYLE: no repeated strings)."""

JOB_ORCHESTRATOR = "job_orchestrator"
FAN_OUT_BATCH = "fan_out_batch"
RUN_HANDLER = "run_handler"
DISPATCH_TASK = "dispatch_task"
RECORD_EVENTS = "record_events"
STOP_INSTANCES = "stop_instances"
