"""The SQLite store: atomic completion, message visibility, append-only history."""

from __future__ import annotations

from pathlib import Path

from devhost.store import NewMessage, Store


def _store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state.sqlite3")


def test_completion_message_and_work_item_removal_commit_together(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.transaction() as db:
        [item] = store.add_activity_items(db, [("i1", "e1", 0, "hello", '"x"')])
    store.complete_activities([(item.id, NewMessage("i1", {"EventType": 5}, "e1"))])
    assert store.all_activity_items() == []
    assert [m.event for m in store.visible_messages("i1", 0)] == [{"EventType": 5}]


def test_future_messages_stay_hidden_until_due_and_survive_reopen(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.transaction() as db:
        store.add_messages(db, [NewMessage("i1", {"EventType": 11}, "e1", visible_at=100.0)])
    assert store.visible_messages("i1", 99.0) == []
    store.close()
    reopened = _store(tmp_path)
    assert [m.visible_at for m in reopened.visible_messages("i1", 100.0)] == [100.0]
    assert reopened.pending_message_times() == [("i1", 100.0)]


def test_history_is_appended_in_order_and_rolled_back_on_error(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.transaction() as db:
        store.append_history(db, "i1", 0, ["a", "b"])
    try:
        with store.transaction() as db:
            store.append_history(db, "i1", 2, ["c"])
            raise RuntimeError("crash mid-episode")
    except RuntimeError:
        pass
    with store.transaction() as db:
        store.append_history(db, "i1", 2, ["c2"])
    assert store.load_history("i1") == ["a", "b", "c2"]
