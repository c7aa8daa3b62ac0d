from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from devhost.keys import HostKeys
from devhost.testing import run_devhost
from tests.engine.support import REPO, Engine, app_env
from tests.support.postgres import fresh_catalog


@dataclass
class KeyedEngine(Engine):
    """The engine on devhost with `--require-keys`, calling with the function key."""

    key: str = ""

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-functions-key": self.key, **kwargs.pop("headers", {})}
        return super().call(method, path, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def engine(azurite, embedded_pg, tmp_path_factory) -> Iterator[KeyedEngine]:
    """The product app on devhost with keys required, its own catalog schema, for one module."""
    data_dir = tmp_path_factory.mktemp("contract")
    key = HostKeys.load_or_create(data_dir / "devhost").function_default
    with fresh_catalog(embedded_pg) as db:
        env = app_env(azurite, db.url, data_dir)
        with run_devhost(
            REPO, data_dir / "devhost", env=env, extra_args=["--require-keys"]
        ) as host:
            yield KeyedEngine(host, env, key)
