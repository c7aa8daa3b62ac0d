"""A test knob: client signals delivered twice and/or out of order, as Azure may deliver
them (client → entity signals are at-least-once and unordered; orchestration → entity
messages are exactly-once and ordered, and the knob never touches them).

`DEVHOST_CLIENT_SIGNAL_FAULTS` (`config.settings.DevhostEnvSettings`) lists, comma-separated:
- `duplicate`: every client signal is queued twice;
- `reorder`: client signals to one entity are held for `REORDER_WINDOW_SECONDS` after the
  first of them arrives, then run newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from config.settings import DevhostEnvSettings
from devhost.store import NewEntityOp

ENV_VAR = DevhostEnvSettings.model_fields["client_signal_faults"].validation_alias
REORDER_WINDOW_SECONDS = 1.0
_PAST = {"duplicate": "duplicated", "reorder": "reordered"}


@dataclass
class SignalFaults:
    duplicate: bool = False
    reorder: bool = False
    _windows: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: DevhostEnvSettings) -> SignalFaults:
        names = settings.client_signal_faults
        return cls(duplicate="duplicate" in names, reorder="reorder" in names)

    @property
    def active(self) -> bool:
        return self.duplicate or self.reorder

    def describe(self) -> str:
        faults = [done for name, done in _PAST.items() if getattr(self, name)]
        return f"client signals to entities are {' and '.join(faults)} ({ENV_VAR})"

    def apply(self, signal: NewEntityOp, now: float) -> list[NewEntityOp]:
        """The operations to queue for one client signal arriving at `now` (epoch seconds)."""
        ops = [signal, replace(signal)] if self.duplicate else [signal]
        if not self.reorder:
            return ops
        window_end = self._windows.get(signal.entity_id, 0.0)
        if window_end <= now:
            window_end = now + REORDER_WINDOW_SECONDS
            self._windows[signal.entity_id] = window_end
        return [replace(op, visible_at=window_end) for op in ops]
