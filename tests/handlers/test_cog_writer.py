"""write_cog reading a remote source that fails midway: an error, never a COG of zeros."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import rasterio

from handlers.base import RetryableError
from handlers.raster.cogwriter import CogOptions, write_cog
from handlers.raster.gdal import gdal_config

HEADER_BYTES = 65536


def _server_failing_after_the_header(data: bytes) -> ThreadingHTTPServer:
    """Serves ``data`` with range requests; any range beyond the first 64 KiB gets a 503."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._reply(200, b"", length=len(data))

        def do_GET(self) -> None:
            start, end = map(int, self.headers["Range"].split("=")[1].split("-"))
            if end >= HEADER_BYTES:
                self._reply(503, b"")
            else:
                self._reply(206, data[start : end + 1])

        def _reply(self, status: int, body: bytes, length: int | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            self.wfile.write(body)

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def flaky_source_url(tmp_path: Path) -> Iterator[str]:
    """A /vsicurl/ URL (with a fake SAS) of a 2-band striped 1024x1024 uint16 GeoTIFF."""
    path = tmp_path / "striped.tif"
    profile = {"driver": "GTiff", "width": 1024, "height": 1024, "count": 2, "dtype": "uint16"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.full((2, 1024, 1024), 7, dtype="uint16"))
    server = _server_failing_after_the_header(path.read_bytes())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"/vsicurl/http://127.0.0.1:{server.server_port}/striped.tif?sig=SECRET"
    server.shutdown()


def test_source_failing_midway_is_retryable_without_the_sas_and_writes_nothing(
    flaky_source_url: str, tmp_path: Path
):
    out = tmp_path / "out.tif"
    config = gdal_config("striped.tif", GDAL_HTTP_MAX_RETRY="0")
    with pytest.raises(RetryableError) as raised:
        write_cog(flaky_source_url, out, CogOptions(), **config)
    assert raised.value.kind == "source_read_failed"
    assert "SECRET" not in raised.value.message
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "striped.tif"]
