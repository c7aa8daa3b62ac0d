"""adapters.webhooks.post against real local servers: redirects stay on the same origin,
and a slow receiver is a timeout, not a hang."""

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adapters import webhooks


@pytest.fixture
def servers() -> Iterator[dict[str, str]]:
    """``same``: redirects /start to /end on itself; ``away``: redirects to ``other``;
    ``slow``: answers after 2 s."""
    urls: dict[str, str] = {}
    started = []

    def serve(handler: type[BaseHTTPRequestHandler]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/slow":
                time.sleep(2)
            if self.path in ("/start", "/away"):
                target = "/end" if self.path == "/start" else f"{urls['other']}/end"
                self.send_response(307)
                self.send_header("Location", target)
            else:
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet: the tests read what the receiver recorded, not its access log."""

    urls["base"], urls["other"] = serve(Handler), serve(Handler)
    yield urls
    for server in started:
        server.shutdown()
        server.server_close()


def test_a_307_to_the_same_origin_is_followed(servers):
    result = webhooks.post(f"{servers['base']}/start", b"{}", {}, 5, attempt=1)
    assert (result.status_code, result.error) == (204, None)


def test_a_redirect_to_another_origin_is_not_followed(servers):
    result = webhooks.post(f"{servers['base']}/away", b"{}", {}, 5, attempt=1)
    assert result.status_code == 307
    assert "another origin not followed" in result.error


def test_a_slow_receiver_times_out(servers):
    result = webhooks.post(f"{servers['base']}/slow", b"{}", {}, 0.3, attempt=2)
    assert (result.status_code, result.attempt) == (None, 2)
    assert "Timeout" in result.error


def test_a_non_http_url_is_refused_without_a_request():
    result = webhooks.post("file:///etc/passwd", b"{}", {}, 5, attempt=1)
    assert result.status_code is None
    assert "only http and https" in result.error
