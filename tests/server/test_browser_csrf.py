"""In headless Chromium: a page on another site cannot make the user's browser submit work to a local
vivid (cross-site fetch and form POSTs are refused), while the web UI's own requests go through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.support import LiveServer
from tests.server.test_browser import ARGS, CHROMIUM
from vivid.server.settings import Settings

pytestmark = pytest.mark.browser

#: another site on this machine (Chromium blocks public sites from loopback anyway: Private Network Access);
#: served by the test through request interception, so nothing listens there
EVIL = "http://localhost:9/evil.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium without its own local-network protection (which blocks other sites' requests to loopback
    before they leave the browser): so the requests reach the server, as they would from browsers that
    lack it, and the server's refusal is what is tested."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (run .ci/browser.sh)")
    sync_api = pytest.importorskip("playwright.sync_api")
    args = [*ARGS, "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
                   "PrivateNetworkAccessSendPreflights"]
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        yield b
        b.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(Settings(data_dir=tmp_path / "data", workers=1, max_upload_mb=4)) as s:
        yield s


def test_another_sites_page_cannot_submit_work(browser, server) -> None:  # noqa: ANN001
    target = f"{server.url}/v1/jobs"
    attack = f"""<!doctype html><html><body>
      <form id="f" method="post" enctype="multipart/form-data" action="{target}" target="sink">
        <input name="task" value="sr"><input name="upload_ids" value="x"></form>
      <iframe name="sink"></iframe>
      <script>
        const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC"), c => c.charCodeAt(0));
        const body = new FormData();
        body.append("files", new Blob([png], {{type: "image/png"}}), "x.png");
        body.append("task", "sr"); body.append("model", "bicubic"); body.append("scale", "2");
        window.done = fetch("{target}", {{method: "POST", mode: "no-cors", body}})
          .then(() => "sent", e => "blocked: " + e).then(r => {{ document.getElementById("f").submit(); return r; }});
      </script></body></html>"""
    context = browser.new_context()
    page = context.new_page()
    page.route(EVIL, lambda route: route.fulfill(status=200, content_type="text/html", body=attack))
    refused: list[int] = []
    page.on("response", lambda r: refused.append(r.status) if r.url.startswith(target) else None)
    page.goto(EVIL)
    page.evaluate("window.done")
    page.wait_for_timeout(1500)  # the form submission into the iframe
    context.close()
    assert refused and all(s == 403 for s in refused), refused
    assert httpx.get(f"{server.url}/v1/jobs").json()["total"] == 0  # nothing was queued


def test_the_web_ui_itself_can_submit(browser, server) -> None:  # noqa: ANN001
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    status = page.evaluate("""async () => {
        const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC"), c => c.charCodeAt(0));
        const body = new FormData();
        body.append("files", new Blob([png], {type: "image/png"}), "x.png");
        body.append("task", "color"); body.append("model", "grayworld");
        return (await fetch("/v1/jobs", {method: "POST", body})).status;
    }""")
    context.close()
    assert status == 202
