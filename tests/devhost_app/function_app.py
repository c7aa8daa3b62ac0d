"""A Durable Functions app exercising every SDK feature devhost supports (not the product app).

Activities that tests count write lines to files under `$DEVHOST_TEST_OUT`.
"""

import json
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _out_dir() -> Path:
    # Never the app directory: benchmarks and demos run this app without DEVHOST_TEST_OUT.
    default = Path(tempfile.gettempdir()) / "devhost-test-out"
    path = Path(os.environ.get("DEVHOST_TEST_OUT", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _append(name: str, line: str) -> None:
    with (_out_dir() / name).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _json_response(value: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(value), status_code=status, mimetype="application/json")


# --- HTTP starters (drive the real DurableOrchestrationClient) -------------------------------
@app.route(route="start/{name}/{instance_id?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = await client.start_new(
        req.route_params["name"], req.route_params.get("instance_id"), payload
    )
    return client.create_check_status_response(req, instance_id)


@app.route(route="run/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def run_and_wait(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    body = req.get_body()
    instance_id = await client.start_new(
        req.route_params["name"], None, json.loads(body) if body else None
    )
    return await client.wait_for_completion_or_create_check_status_response(
        req, instance_id, timeout_in_milliseconds=20000, retry_interval_in_milliseconds=200
    )


@app.route(route="status/{instance_id}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def status(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    result = await client.get_status(
        req.route_params["instance_id"], show_history=True, show_history_output=True
    )
    if not result:
        return _json_response({"found": False}, 404)
    body = result.to_json()
    body["historyEvents"] = getattr(result, "historyEvents", None)
    return _json_response(body)


@app.route(route="instances", methods=["GET"])
@app.durable_client_input(client_name="client")
async def instances(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    statuses = req.params.get("status")
    found = await client.get_status_by(
        runtime_status=[df.OrchestrationRuntimeStatus(s) for s in statuses.split(",")]
        if statuses
        else None
    )
    prefix = req.params.get("prefix", "")
    return _json_response(sorted(s.instance_id for s in found if s.instance_id.startswith(prefix)))


@app.route(route="all", methods=["GET"])
@app.durable_client_input(client_name="client")
async def all_instances(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    found = await client.get_status_all()
    return _json_response(len(found))


@app.route(route="raise/{instance_id}/{event}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def raise_event(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    await client.raise_event(
        req.route_params["instance_id"], req.route_params["event"], req.get_json()
    )
    return func.HttpResponse(status_code=202)


@app.route(route="manage/{action}/{instance_id}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def manage(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    action, instance_id = req.route_params["action"], req.route_params["instance_id"]
    if action == "terminate":
        await client.terminate(instance_id, "stopped by test")
    elif action == "suspend":
        await client.suspend(instance_id, "paused by test")
    elif action == "resume":
        await client.resume(instance_id, "resumed by test")
    elif action == "purge":
        result = await client.purge_instance_history(instance_id)
        return _json_response({"deleted": result.instances_deleted})
    elif action == "purge_by":
        result = await client.purge_instance_history_by(
            created_time_from=datetime(2000, 1, 1, tzinfo=UTC),
            runtime_status=[df.OrchestrationRuntimeStatus.Terminated],
        )
        return _json_response({"deleted": result.instances_deleted})
    return func.HttpResponse(status_code=202)


@app.route(route="entity/{name}/{key}", methods=["GET", "POST"])
@app.durable_client_input(client_name="client")
async def entity(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    entity_id = df.EntityId(req.route_params["name"], req.route_params["key"])
    if req.method == "POST":
        await client.signal_entity(entity_id, req.params["op"], req.get_json())
        return func.HttpResponse(status_code=202)
    state = await client.read_entity_state(entity_id)
    return _json_response({"exists": state.entity_exists, "state": state.entity_state})


# --- plain HTTP functions (routing, methods, keys) ------------------------------------------
@app.route(route="items/{id:int}/{label?}", methods=["GET"])
def item(req: func.HttpRequest) -> func.HttpResponse:
    return _json_response(
        {
            "id": int(req.route_params["id"]),
            "label": req.route_params.get("label"),
            "q": req.params.get("q"),
            "agent": req.headers.get("x-agent"),
        }
    )


@app.route(route="echo", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        req.get_body(), status_code=201, headers={"X-Echo": "yes", "Content-Type": "text/plain"}
    )


@app.route(route="keyed", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def keyed(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("secret")


@app.route(route="admin-only", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("root")


@app.route(route="block", methods=["GET"])
def block(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.params.get("s", "1")))
    return func.HttpResponse("done")


@app.route(route="setting", methods=["GET"])
def setting(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(os.environ.get(req.params["name"], "<unset>"))


@app.timer_trigger(schedule="*/2 * * * * *", arg_name="timer", run_on_startup=True)
@app.durable_client_input(client_name="client")
async def heartbeat(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    # Proves timer triggers run and get the durable client: one line per tick.
    assert timer.past_due is False
    _append("heartbeat.txt", type(client).__name__)


# --- activities -----------------------------------------------------------------------------
@app.activity_trigger(input_name="city")
def hello(city: str) -> str:
    return f"Hello {city}"


@app.activity_trigger(input_name="value")
async def double(value: int) -> int:
    return value * 2


@app.activity_trigger(input_name="value")
def identity(value: object) -> object:
    return value


@app.activity_trigger(input_name="spec")
def flaky(spec: dict) -> str:
    marker = _out_dir() / f"flaky-{spec['key']}"
    attempts = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(attempts))
    if attempts <= spec["fail_times"]:
        raise ValueError(f"attempt {attempts} failed")
    return f"ok after {attempts}"


@app.activity_trigger(input_name="spec")
def slow_record(spec: dict) -> int:
    time.sleep(spec.get("sleep", 0.2))
    _append(spec["file"], str(spec["i"]))
    return spec["i"]


_probe_lock = threading.Lock()
_probe_running = [0]


@app.activity_trigger(input_name="seconds")
def concurrency_probe(seconds: float) -> int:
    """Returns how many probes were running at once when this one started."""
    with _probe_lock:
        _probe_running[0] += 1
        seen = _probe_running[0]
    time.sleep(seconds)
    with _probe_lock:
        _probe_running[0] -= 1
    return seen


@app.activity_trigger(input_name="message")
def explode(message: str) -> None:
    raise RuntimeError(message)


# --- orchestrators --------------------------------------------------------------------------
@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext):
    results = []
    for city in ("Tokyo", "Seattle", "London"):
        results.append((yield context.call_activity("hello", city)))
    return results


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    count = context.get_input()
    tasks = [context.call_activity("double", i) for i in range(count)]
    values = yield context.task_all(tasks)
    return sum(values)


@app.orchestration_trigger(context_name="context")
def probe_concurrency(context: df.DurableOrchestrationContext):
    seen = yield context.task_all(
        [context.call_activity("concurrency_probe", 0.1) for _ in range(40)]
    )
    return max(seen)


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    seconds = context.get_input()
    deadline = context.current_utc_datetime + timedelta(seconds=seconds)
    timer = context.create_timer(deadline)
    event = context.wait_for_external_event("Approve")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
        return {"approved": event.result}
    return "timeout"


@app.orchestration_trigger(context_name="context")
def wait_two_events(context: df.DurableOrchestrationContext):
    first = yield context.wait_for_external_event("A")
    second = yield context.wait_for_external_event("B")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def durable_timer(context: df.DurableOrchestrationContext):
    seconds = context.get_input()
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=seconds))
    return "fired"


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    options = df.RetryOptions(
        first_retry_interval_in_milliseconds=100, max_number_of_attempts=spec["attempts"]
    )
    try:
        return (yield context.call_activity_with_retry("flaky", options, spec))
    except Exception as exc:  # the orchestration reports the last failure as data
        return {"error": str(exc)}


@app.orchestration_trigger(context_name="context")
def child(context: df.DurableOrchestrationContext):
    value = context.get_input()
    if value == "boom":
        raise ValueError("child exploded")
    return (yield context.call_activity("double", value))


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    ok = yield context.call_sub_orchestrator("child", 21)
    named = yield context.call_sub_orchestrator("child", 5, f"{context.instance_id}-named")
    try:
        yield context.call_sub_orchestrator("child", "boom")
    except Exception as exc:
        return {"ok": ok, "named": named, "error": str(exc)}
    return {"ok": ok, "named": named, "error": None}


@app.orchestration_trigger(context_name="context")
def parent_retry(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=2)
    try:
        yield context.call_sub_orchestrator_with_retry("child", options, "boom")
    except Exception as exc:
        return {"error": str(exc)}
    return {"error": None}


@app.orchestration_trigger(context_name="context")
def failing(context: df.DurableOrchestrationContext):
    yield context.call_activity("explode", "kaboom")
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def counter_loop(context: df.DurableOrchestrationContext):
    state = context.get_input()
    context.set_custom_status({"n": state["n"]})
    if state["n"] < state["limit"]:
        yield context.call_activity("identity", state["n"])
        context.continue_as_new({"n": state["n"] + 1, "limit": state["limit"]})
        return None
    return state["n"]


@app.orchestration_trigger(context_name="context")
def deterministic(context: df.DurableOrchestrationContext):
    first_uuid = str(context.new_uuid())
    first_time = context.current_utc_datetime.isoformat()
    echoed = yield context.call_activity("identity", [first_uuid, first_time])
    second_uuid = str(context.new_uuid())
    context.set_custom_status("stage-2")
    return {"before": [first_uuid, first_time], "echoed": echoed, "second": second_uuid}


@app.orchestration_trigger(context_name="context")
def entity_user(context: df.DurableOrchestrationContext):
    amount = context.get_input()
    counter = df.EntityId("Counter", "shared")
    context.signal_entity(counter, "add", amount)
    after = yield context.call_entity(counter, "add", amount)
    return after


@app.orchestration_trigger(context_name="context")
def entity_failure(context: df.DurableOrchestrationContext):
    try:
        yield context.call_entity(df.EntityId("Counter", "bad"), "fail")
    except Exception as exc:
        return str(exc)
    return "no error"


@app.orchestration_trigger(context_name="context")
def entity_script(context: df.DurableOrchestrationContext):
    """Signals the entity (`entity`, default Counter; key `key`) each [operation, input] of
    `signals`, then calls it with each of `ops` in turn; the calls' outcomes come back as data."""
    spec = context.get_input()
    counter = df.EntityId(spec.get("entity", "Counter"), spec["key"])
    for op, value in spec.get("signals", []):
        context.signal_entity(counter, op, value)
    outcomes = []
    for op, value in spec["ops"]:
        try:
            outcomes.append({"ok": (yield context.call_entity(counter, op, value))})
        except Exception as exc:
            outcomes.append({"error": str(exc)})
    return outcomes


@app.orchestration_trigger(context_name="context")
def entity_fan_in(context: df.DurableOrchestrationContext):
    """Entity calls and signals beside an activity and a timer in one task_all, then an
    entity call racing a long timer in a task_any."""
    journal = df.EntityId("Journal", context.get_input())
    first = context.call_entity(journal, "append", "c1")
    context.signal_entity(journal, "append", "s1")
    second = context.call_entity(journal, "append", "c2")
    context.signal_entity(journal, "append", "s2")
    short = context.create_timer(context.current_utc_datetime + timedelta(seconds=0.1))
    doubled = context.call_activity("double", 21)
    gathered = yield context.task_all([first, second, doubled, short])
    long = context.create_timer(context.current_utc_datetime + timedelta(seconds=60))
    read = context.call_entity(journal, "read")
    winner = yield context.task_any([read, long])
    if winner != read:
        return {"gathered": gathered, "read": "timer won"}
    long.cancel()
    return {"gathered": gathered, "read": read.result}


@app.orchestration_trigger(context_name="context")
def entity_race(context: df.DurableOrchestrationContext):
    """A slow entity call loses a task_any to a short timer."""
    journal = df.EntityId("Journal", context.get_input())
    hold = f"hold-{context.get_input()}"
    call = context.call_entity(journal, "slow_append", {"hold": hold, "entry": "late"})
    timer = context.create_timer(context.current_utc_datetime + timedelta(seconds=0.05))
    winner = yield context.task_any([call, timer])
    return "entity" if winner == call else "timer"


@app.orchestration_trigger(context_name="context")
def entity_fan_failure(context: df.DurableOrchestrationContext):
    counter = df.EntityId("Counter", context.get_input())
    tasks = [
        context.call_activity("double", 1),
        context.call_entity(counter, "fail"),
        context.call_entity(counter, "add", 1),
    ]
    try:
        yield context.task_all(tasks)
    except Exception as exc:
        return {"error": str(exc)}
    return {"error": None}


@app.orchestration_trigger(context_name="context")
def entity_ordering(context: df.DurableOrchestrationContext):
    """Many calls to one entity in one task_all: answered in the order they were sent."""
    journal = df.EntityId("Journal", context.get_input())
    counts = yield context.task_all([context.call_entity(journal, "append", i) for i in range(15)])
    return {"counts": counts, "entries": (yield context.call_entity(journal, "read"))}


@app.orchestration_trigger(context_name="context")
def waits_forever(context: df.DurableOrchestrationContext):
    context.set_custom_status("waiting")
    value = yield context.wait_for_external_event("go")
    return value


@app.orchestration_trigger(context_name="context")
def restartable(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    done = []
    for i in range(spec["chain"]):
        done.append((yield context.call_activity("slow_record", {"i": i, "file": spec["file"]})))
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=spec["timer"]))
    tasks = [
        context.call_activity("slow_record", {"i": 100 + i, "file": spec["file"]})
        for i in range(spec["fan"])
    ]
    done.extend((yield context.task_all(tasks)))
    return done


# --- entities -------------------------------------------------------------------------------
@app.entity_trigger(context_name="context")
def Counter(context: df.DurableEntityContext):
    value = context.get_state(lambda: 0)
    op = context.operation_name
    if op == "add":
        value += context.get_input()
        context.set_state(value)
        context.set_result(value)
    elif op == "get":
        context.set_result(value)
    elif op == "reset":
        context.set_state(0)
    elif op == "delete":
        # What DELETE /entities/counter/{key} signals (Python entities get no built-in delete).
        context.destruct_on_exit()
    elif op == "fail":
        raise ValueError("counter refuses")
    elif op == "add_then_fail":
        # The SDK has no rollback: the state set before the raise is kept.
        context.set_state(value + context.get_input())
        raise ValueError("added, then failed")
    elif op == "poison":
        # While the marker file exists the new state is a set, which the SDK cannot
        # serialise, so the whole batch fails (a stand-in for a transient worker failure).
        poisoned = (_out_dir() / f"poison-{context.entity_key}").exists()
        value += context.get_input()
        context.set_state({value} if poisoned else value)
        context.set_result(value)


@app.entity_trigger(context_name="context")
def Journal(context: df.DurableEntityContext):
    """Keeps the entries it was sent, in the order they arrived."""
    entries = context.get_state(list)
    op = context.operation_name
    if op in ("append", "slow_append"):
        value = context.get_input()
        if op == "slow_append":
            # Holds the batch while the marker file exists (at most 20 s); each start of the
            # operation adds a line to <hold>.started.
            hold = _out_dir() / value["hold"]
            _append(f"{value['hold']}.started", value["entry"])
            deadline = time.monotonic() + 20
            while hold.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            value = value["entry"]
        entries = [*entries, value]
        context.set_state(entries)
        context.set_result(len(entries))
    elif op == "read":
        context.set_result(entries)


@app.orchestration_trigger(context_name="context")
def http_call(context: df.DurableOrchestrationContext):
    response = yield context.call_http("GET", context.get_input())
    return response


@app.orchestration_trigger(context_name="context")
def drifting(context: df.DurableOrchestrationContext):
    # Deliberately non-deterministic: the activity depends on the process environment, so a
    # restart with another DEVHOST_DRIFT value replays differently.
    yield context.call_activity(os.environ.get("DEVHOST_DRIFT", "hello"), "x")
    return (yield context.wait_for_external_event("go"))


@app.orchestration_trigger(context_name="context")
def wait_named(context: df.DurableOrchestrationContext):
    return (yield context.wait_for_external_event(context.get_input()))
