"""The asset state machine: `decide(state, command)`.

It never mutates its argument, and it returns an `Outcome` with the new state (revision + 1
if anything changed), the revision event to record, or a `Refusal` naming the current state
and what is allowed. A command id seen before returns the first outcome again (commands are
idempotent); the last `REMEMBERED_COMMANDS` ids are kept in the state.

Publication follows one invariant: a public, non-deleted asset publishes its latest approved
version (``public_ordinal``; None: nothing should be public). Whenever a command moves that
target, a publish or unpublish job is started (``publication``), unless one is still running:
its end is then compared with the target, and a superseded job's end starts the next job
instead of being reported. So at most one publication job runs per asset, and only a job that
still matches the target when it ends is announced (`domain.outbound`). A failed job stays
failed until the target moves again or a reviewer retries it (``retry_publication``: a new
job toward the current target, ``publication:retry`` among the asset's actions).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.assets import (
    REMEMBERED_COMMANDS,
    AnyCommand,
    Approval,
    Approve,
    AssetEvent,
    AssetState,
    Clearance,
    CommandRecord,
    Delete,
    JobFinished,
    JobStarted,
    Outcome,
    Processing,
    Publication,
    PublicationKind,
    PublicationStatus,
    Refusal,
    Reject,
    Reprocess,
    RetryPublication,
    SetClearance,
    Submit,
    VersionState,
    publication_job_id,
)


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class _Unchanged(Exception):
    """An internal report (job start or end) with nothing left to do: no new revision."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def version_summary(v: VersionState) -> dict[str, Any]:
    return {"ordinal": v.ordinal, "processing": v.processing.value, "approval": v.approval.value}


def asset_summary(state: AssetState) -> dict[str, Any]:
    unresolved = state.unresolved()
    return {
        "clearance": state.clearance.value,
        "deleted": state.deleted,
        "unresolved_version": unresolved.ordinal if unresolved else None,
    }


def version_actions(state: AssetState, v: VersionState) -> list[str]:
    """What a reviewer may do with version ``v`` now."""
    if state.deleted:
        return []
    actions = []
    if v.processing is Processing.COMPLETED and v.approval is Approval.PENDING:
        actions += ["approve", "reject"]
    if v.approval is Approval.APPROVED:
        actions.append("reject")  # withdraw the approval, with a reason
    other = state.unresolved()
    blocked = other is not None and other.ordinal != v.ordinal
    if (
        v.approval is Approval.PENDING
        and v.processing in (Processing.COMPLETED, Processing.FAILED)
        and not blocked
    ):
        actions.append("reprocess")
    return actions


def publication_actions(publication: Publication | None, deleted: bool) -> list[str]:
    """``publication:retry`` while the asset's publication has failed (on a deleted asset
    only a failed unpublish: the public copies must still come down)."""
    if publication is None or publication.status is not PublicationStatus.FAILED:
        return []
    if deleted and publication.kind is not PublicationKind.UNPUBLISH:
        return []
    return ["publication:retry"]


def asset_actions(state: AssetState) -> list[str]:
    """What may be done with the asset as a whole now."""
    retry = publication_actions(state.publication, state.deleted)
    if state.deleted:
        return retry
    actions = [] if state.unresolved() else ["submit"]
    if state.clearance in (Clearance.UNCLEARED, Clearance.PUBLIC):
        actions.append("clearance:cleared")
    if state.clearance is Clearance.CLEARED and state.latest_approved() is not None:
        actions.append("clearance:public")
    return [*actions, *retry, "delete"]


def _asset_refusal(state: AssetState, message: str) -> _Refused:
    return _Refused(
        Refusal(message=message, current=asset_summary(state), allowed=asset_actions(state))
    )


def _version(state: AssetState, ordinal: int) -> VersionState:
    v = state.version(ordinal)
    if v is None:
        known = [x.ordinal for x in state.versions]
        raise _Refused(
            Refusal(
                code="not_found",
                message=f"asset '{state.asset_id}' has no version {ordinal} (versions: {known})",
                current=asset_summary(state),
            )
        )
    return v


def _check_version_action(state: AssetState, v: VersionState, action: str) -> None:
    allowed = version_actions(state, v)
    if action in allowed:
        return
    current = version_summary(v)
    why = f"version {v.ordinal} is {v.processing.value}, approval {v.approval.value}"
    other = state.unresolved()
    if action == "reprocess" and other is not None and other.ordinal != v.ordinal:
        why += f", and version {other.ordinal} is unresolved"
    if state.deleted:
        why = f"asset '{state.asset_id}' is deleted; only reads are allowed"
    allowed_text = ", ".join(allowed) or "nothing"
    raise _Refused(
        Refusal(
            message=f"cannot {action} version {v.ordinal}: {why} (allowed: {allowed_text})",
            current={**asset_summary(state), "version": current},
            allowed=allowed,
        )
    )


def _not_deleted(state: AssetState, action: str) -> None:
    if state.deleted:
        raise _asset_refusal(
            state, f"cannot {action}: asset '{state.asset_id}' is deleted; only reads are allowed"
        )


def _new_asset(cmd: Submit) -> AssetState:
    return AssetState(
        asset_id=cmd.asset_id,
        platform_id=cmd.platform_id,
        identity=dict(cmd.identity),
        identity_key=cmd.identity_key,
        created_at=cmd.at,
        updated_at=cmd.at,
    )


Applied = tuple[str, int | None, dict[str, Any], dict[str, Any]]  # action, ordinal, result, details


def _submit(state: AssetState, cmd: Submit) -> Applied:
    if state.platform_id != cmd.platform_id or state.identity != cmd.identity:
        raise _asset_refusal(state, f"asset '{state.asset_id}' belongs to another identity")
    _not_deleted(state, "submit a new version")
    unresolved = state.unresolved()
    if unresolved is not None:
        raise _asset_refusal(
            state,
            f"asset '{state.asset_id}' already has an unresolved version {unresolved.ordinal} "
            f"({unresolved.processing.value}, approval {unresolved.approval.value}); approve, "
            "reject or wait for it before submitting a new version",
        )
    ordinal = max((v.ordinal for v in state.versions), default=0) + 1
    state.versions.append(
        VersionState(
            ordinal=ordinal,
            version_label=cmd.version_label,
            request_id=cmd.request_id,
            data_type=cmd.data_type,
            workflow_id=cmd.workflow_id,
            source=cmd.source,
            job_id=cmd.job_id,
            jobs=[cmd.job_id],
            submitted_at=cmd.at,
            submitted_by=cmd.by,
            updated_at=cmd.at,
        )
    )
    if cmd.title is not None:
        state.title = cmd.title
    state.metadata.update(cmd.metadata)
    details = {
        "version_label": cmd.version_label,
        "request_id": cmd.request_id,
        "job_id": cmd.job_id,
    }
    return "submitted", ordinal, {"ordinal": ordinal, "job_id": cmd.job_id}, details


def _current_job(state: AssetState, job_id: str) -> VersionState:
    v = next((x for x in state.versions if x.job_id == job_id), None)
    if v is None:
        raise _Unchanged(f"job '{job_id}' is not the current job of any version")
    return v


def _job_started(state: AssetState, cmd: JobStarted) -> Applied:
    v = _current_job(state, cmd.job_id)
    if v.processing is not Processing.QUEUED:
        raise _Unchanged(f"version {v.ordinal} is already {v.processing.value}")
    v.processing, v.updated_at = Processing.PROCESSING, cmd.at
    return "processing_started", v.ordinal, {"ordinal": v.ordinal}, {"job_id": cmd.job_id}


def _running_publication(state: AssetState, job_id: str) -> bool:
    pub = state.publication
    return pub is not None and pub.job_id == job_id and pub.status is PublicationStatus.RUNNING


def _job_finished(state: AssetState, cmd: JobFinished) -> Applied:
    if _running_publication(state, cmd.job_id):
        return _publication_finished(state, cmd, state.revision + 1)
    v = _current_job(state, cmd.job_id)
    if v.processing not in (Processing.QUEUED, Processing.PROCESSING):
        raise _Unchanged(f"version {v.ordinal} is already {v.processing.value}")
    v.processing = Processing.COMPLETED if cmd.ok else Processing.FAILED
    v.outputs = cmd.outputs if cmd.ok else None
    v.error = None if cmd.ok else (cmd.error or {"message": "job failed"})
    v.updated_at = cmd.at
    action = "processing_completed" if cmd.ok else "processing_failed"
    details: dict[str, Any] = {"job_id": cmd.job_id}
    details.update({"outputs": v.outputs} if cmd.ok else {"error": v.error})
    return action, v.ordinal, {"ordinal": v.ordinal}, details


def _review(state: AssetState, cmd: Approve | Reject) -> Applied:
    v = _version(state, cmd.ordinal)
    _check_version_action(state, v, cmd.kind)
    details: dict[str, Any] = {}
    if isinstance(cmd, Reject) and v.approval is Approval.APPROVED:
        if not (cmd.reason or "").strip():
            raise _Refused(
                Refusal(
                    code="invalid",
                    message=f"withdrawing the approval of version {v.ordinal} needs a reason",
                    current={**asset_summary(state), "version": version_summary(v)},
                    allowed=version_actions(state, v),
                )
            )
        details["withdrawn"] = True  # approved before; publication follows (_follow_target)
    v.approval = Approval.APPROVED if isinstance(cmd, Approve) else Approval.REJECTED
    v.reviewed_at, v.reviewed_by, v.review_reason, v.updated_at = cmd.at, cmd.by, cmd.reason, cmd.at
    action = "approved" if isinstance(cmd, Approve) else "rejected"
    return action, v.ordinal, {"ordinal": v.ordinal, "approval": v.approval.value}, details


def _reprocess(state: AssetState, cmd: Reprocess) -> Applied:
    v = _version(state, cmd.ordinal)
    _check_version_action(state, v, "reprocess")
    previous = v.job_id
    v.processing, v.job_id, v.outputs, v.error, v.updated_at = (
        Processing.QUEUED,
        cmd.job_id,
        None,
        None,
        cmd.at,
    )
    v.jobs.append(cmd.job_id)
    result = {"ordinal": v.ordinal, "job_id": cmd.job_id}
    return (
        "reprocess_requested",
        v.ordinal,
        result,
        {"job_id": cmd.job_id, "previous_job_id": previous},
    )


def _set_clearance(state: AssetState, cmd: SetClearance) -> Applied:
    _not_deleted(state, f"set clearance {cmd.clearance.value}")
    target = Clearance(cmd.clearance)
    if f"clearance:{target.value}" not in asset_actions(state):
        why = f"clearance is {state.clearance.value}"
        if target is Clearance.PUBLIC and state.clearance is Clearance.CLEARED:
            why += " and no version is approved"
        allowed = ", ".join(asset_actions(state))
        raise _asset_refusal(
            state, f"cannot set clearance {target.value}: {why} (allowed: {allowed})"
        )
    previous = state.clearance
    state.clearance = target
    details: dict[str, Any] = {"from": previous.value, "to": target.value}
    action = {Clearance.PUBLIC: "published", Clearance.CLEARED: "cleared"}[target]
    if previous is Clearance.PUBLIC:
        action = "unpublished"
    return action, _target(state), {"clearance": target.value}, details


def _delete(state: AssetState, cmd: Delete) -> Applied:
    _not_deleted(state, "delete")
    details = {"clearance_was": state.clearance.value}
    state.deleted, state.clearance = True, Clearance.UNCLEARED
    return "deleted", None, {"deleted": True}, details


def _target(state: AssetState) -> int | None:
    """What should be public: the latest approved version of a public, non-deleted asset."""
    if state.deleted or state.clearance is not Clearance.PUBLIC:
        return None
    approved = state.latest_approved()
    return approved.ordinal if approved else None


def _publishable(v: VersionState) -> bool:
    outputs = v.outputs or {}
    return isinstance(outputs.get("stac_item_id"), str) and isinstance(
        outputs.get("stac_collection"), str
    )


def _start_publication(
    state: AssetState, at: datetime, revision: int, was_public: int | None = None
) -> Publication:
    """The job that makes ``public_ordinal`` public (or takes everything down), recorded as
    running; a version without an indexed STAC item cannot be published (failed at once).
    An unpublish names the version the last publication made public (else ``was_public``:
    an asset from before publications were recorded)."""
    target = state.public_ordinal
    if target is None:
        # The version the last publication published, or was taking down (a retry).
        previous = state.publication.ordinal if state.publication else was_public
        kind = PublicationKind.UNPUBLISH
        job = publication_job_id(kind, state.asset_id, revision)
        pub = Publication(kind=kind, job_id=job, ordinal=previous, started_at=at, revision=revision)
    else:
        kind = PublicationKind.PUBLISH
        version = state.version(target)
        assert version is not None  # the target is an approved version
        if _publishable(version):
            job = publication_job_id(kind, state.asset_id, revision)
            pub = Publication(
                kind=kind, job_id=job, ordinal=target, started_at=at, revision=revision
            )
        else:
            error = {
                "kind": "nothing_to_publish",
                "message": f"version {target} has no indexed STAC item to publish",
            }
            pub = Publication(
                kind=kind,
                job_id=None,
                ordinal=target,
                status=PublicationStatus.FAILED,
                error=error,
                started_at=at,
                finished_at=at,
                revision=revision,
            )
    state.publication = pub
    return pub


def _follow_target(state: AssetState, at: datetime, revision: int) -> dict[str, Any]:
    """After a command: move ``public_ordinal`` to the target and start its job, unless a
    publication job is running (its end starts the next one). Event details to add."""
    target = _target(state)
    if target == state.public_ordinal:
        return {}
    was_public = state.public_ordinal
    details: dict[str, Any] = {"public_ordinal": {"from": was_public, "to": target}}
    state.public_ordinal = target
    running = (
        state.publication is not None and state.publication.status is PublicationStatus.RUNNING
    )
    if not running:
        started = _start_publication(state, at, revision, was_public)
        details["publication_started"] = started.model_dump(mode="json")
    return details


def _publication_finished(state: AssetState, cmd: JobFinished, revision: int) -> Applied:
    """The asset's running publication job ended: record it; if the target moved meanwhile
    it is superseded (not announced) and the job for the target starts."""
    pub = state.publication
    assert pub is not None
    pub.status = PublicationStatus.SUCCEEDED if cmd.ok else PublicationStatus.FAILED
    pub.error = None if cmd.ok else (cmd.error or {"message": "job failed"})
    pub.finished_at = cmd.at
    superseded = pub.aim != state.public_ordinal
    details: dict[str, Any] = {
        "job_id": cmd.job_id,
        "publication_finished": pub.model_dump(mode="json"),
        "superseded": superseded,
    }
    if cmd.ok:
        details["outputs"] = cmd.outputs
    if superseded:
        started = _start_publication(state, cmd.at, revision)
        details["publication_started"] = started.model_dump(mode="json")
        action = "publication_superseded"
    else:
        action = "publication_succeeded" if cmd.ok else "publication_failed"
    return action, pub.ordinal, {"publication": pub.status.value}, details


def _retry_publication(state: AssetState, cmd: RetryPublication) -> Applied:
    """A reviewer retries the failed publication: a new job toward the current target
    (publish ``public_ordinal``, or unpublish when it is None), under this revision's id."""
    failed = state.publication
    if "publication:retry" not in publication_actions(failed, state.deleted):
        if failed is None:
            why = "the asset has no publication"
        else:
            why = f"its {failed.kind.value} is {failed.status.value}"
            if state.deleted and failed.status is PublicationStatus.FAILED:
                why += f" and asset '{state.asset_id}' is deleted (only an unpublish is retried)"
        allowed = asset_actions(state)
        message = (
            f"cannot retry the publication: {why}; only a failed one is retried "
            f"(allowed: {', '.join(allowed) or 'nothing'})"
        )
        current = {
            **asset_summary(state),
            "publication": failed.status.value if failed else None,
        }
        raise _Refused(Refusal(message=message, current=current, allowed=allowed))
    assert failed is not None
    started = _start_publication(state, cmd.at, state.revision + 1)
    details = {
        "retry_of": failed.model_dump(mode="json"),
        "publication_started": started.model_dump(mode="json"),
    }
    result = {"publication": started.status.value, "job_id": started.job_id}
    return "publication_retried", started.ordinal, result, details


_APPLY: dict[str, Any] = {
    "submit": _submit,
    "job_started": _job_started,
    "job_finished": _job_finished,
    "approve": _review,
    "reject": _review,
    "reprocess": _reprocess,
    "set_clearance": _set_clearance,
    "delete": _delete,
    "retry_publication": _retry_publication,
}


def _remember(state: AssetState, outcome: Outcome) -> None:
    state.commands[outcome.command_id] = CommandRecord(
        kind=outcome.kind,
        ok=outcome.ok,
        revision=outcome.revision,
        result=outcome.result,
        refusal=outcome.refusal,
    )
    while len(state.commands) > REMEMBERED_COMMANDS:
        del state.commands[next(iter(state.commands))]


def decide(state: AssetState | None, command: AnyCommand) -> Outcome:
    """Apply ``command`` to ``state`` (None: the asset does not exist yet). Pure: ``state``
    is never mutated; the outcome carries a new state whenever the entity must store one."""
    if state is not None and command.command_id in state.commands:
        first = state.commands[command.command_id]
        return Outcome(
            command_id=command.command_id,
            duplicate=True,
            state=state,
            **first.model_dump(),
        )
    if state is None:
        if not isinstance(command, Submit):
            refusal = Refusal(code="not_found", message="unknown asset")
            return Outcome(
                command_id=command.command_id,
                kind=command.kind,
                ok=False,
                revision=0,
                refusal=refusal,
            )
        base = _new_asset(command)
    else:
        base = state
    new = base.model_copy(deep=True)
    try:
        action, ordinal, result, details = _APPLY[command.kind](new, command)
    except _Refused as refused:
        outcome = Outcome(
            command_id=command.command_id,
            kind=command.kind,
            ok=False,
            revision=base.revision if state is not None else 0,
            refusal=refused.refusal,
        )
        if state is None:
            return outcome
        kept = state.model_copy(deep=True)
        _remember(kept, outcome)
        return outcome.model_copy(update={"state": kept})
    except _Unchanged as unchanged:
        # Internal reports that arrive late (a reprocessed version's old job) change nothing
        # and are not remembered: the job's report is deduplicated by the job's own state.
        return Outcome(
            command_id=command.command_id,
            kind=command.kind,
            ok=True,
            revision=base.revision,
            result={"ignored": unchanged.why},
            state=state,
        )
    new.revision = base.revision + 1
    new.updated_at = command.at
    details.update(_follow_target(new, command.at, new.revision))
    event = AssetEvent(
        asset_id=new.asset_id,
        revision=new.revision,
        at=command.at,
        by=command.by,
        via=command.via,
        action=action,
        reason=command.reason,
        ordinal=ordinal,
        command_id=command.command_id,
        details=details,
    )
    outcome = Outcome(
        command_id=command.command_id,
        kind=command.kind,
        ok=True,
        changed=True,
        revision=new.revision,
        result=result,
        event=event,
    )
    _remember(new, outcome)
    return outcome.model_copy(update={"state": new})
