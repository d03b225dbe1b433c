"""The web app's viewer, layout, history, batches and offline API docs in headless Chromium.

Fit, 1:1 and 200% are measured on the page (drawn size against the image's own size and the viewer's box);
side by side panes zoom and pan together; no page scrolls sideways on a phone (390 px) or at 200% browser
zoom; an earlier result reopens from the history with its plan and models; one corrupt file in a batch is
listed while the others run; /docs and /redoc load with every request answered by the app itself.
Screenshots at desktop (1280x800) and phone (390x844) sizes go to pytest's tmp path. Skipped cleanly
without Debian's chromium or the playwright package (``.ci/browser.sh``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.support import LiveServer, png_bytes
from tests.server.test_browser import browser  # noqa: F401 - the module's shared Chromium
from tests.server.test_options import your_model  # noqa: F401 - a tiny ONNX model added as yours
from vivid.server.settings import Settings

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings(data_dir=tmp_path / "data", workers=1, max_upload_mb=8, sync_max_pixels=1_500_000)
    with LiveServer(settings) as s:
        yield s


@pytest.fixture
def open_page(browser, server, tmp_path: Path):  # noqa: ANN001, ANN201, F811
    """``open_page(viewport, **context options)`` → a page of the app; JavaScript errors fail the test."""
    contexts, errors = [], []

    def make(viewport: dict, **options):  # noqa: ANN003, ANN202
        context = browser.new_context(viewport=viewport, accept_downloads=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/")
        page.wait_for_function("() => document.getElementById('limits').textContent.length > 0")
        return page

    yield make
    for c in contexts:
        c.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page, tmp_path: Path, name: str) -> Path:  # noqa: ANN001
    path = tmp_path / "screenshots" / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def photo(tmp_path: Path, name: str, width: int, height: int, **kw) -> str:  # noqa: ANN003
    path = tmp_path / name
    path.write_bytes(png_bytes(height, width, **kw))
    return str(path)


def enhance(page, file: str, *, task: str = "color", also: tuple[str, ...] = ()) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page.set_input_files("#file", file)
    expect(page.locator("#plan-panel")).to_be_visible()
    page.select_option("#task", task)
    for name in also:
        page.locator(f'#compare-options input[value="{name}"]').check()
    page.click("#run")
    expect(page.locator("#result-panel")).to_be_visible(timeout=30_000)
    page.wait_for_function("() => document.getElementById('after').naturalWidth > 0")


def geometry(page) -> dict:  # noqa: ANN001
    """The drawn image against its own size and the viewer's box (after the zoom has been applied)."""
    return page.evaluate("""() => {
        const v = document.getElementById('viewport'), st = document.getElementById('stage').getBoundingClientRect();
        const a = document.getElementById('after');
        return {w: st.width, h: st.height, nw: a.naturalWidth, nh: a.naturalHeight, boxW: v.clientWidth,
                boxH: v.clientHeight, maxH: parseFloat(v.style.maxHeight) - 2, scrollW: v.scrollWidth,
                scrollH: v.scrollHeight, level: document.getElementById('zoom-level').textContent};
    }""")


def natural(page, element_id: str) -> list[int]:  # noqa: ANN001
    return page.evaluate(f"(i => [i.naturalWidth, i.naturalHeight])(document.getElementById('{element_id}'))")


def zoom(page, value: str) -> dict:  # noqa: ANN001
    page.select_option("#zoom", value)
    page.wait_for_timeout(50)
    return geometry(page)


def overflow(page) -> list[str]:  # noqa: ANN001
    """Elements that stick out of the window on the right (empty: no sideways scrolling)."""
    return page.evaluate("""() => {
        const W = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= W) return [];
        return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > W + 0.5)
            .map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className} right=${e.getBoundingClientRect().right}`)
            .slice(0, 8).concat([`scrollWidth ${document.documentElement.scrollWidth} > ${W}`]);
    }""")


def test_fit_shows_the_whole_image_and_zoom_steps_are_true(open_page, tmp_path: Path) -> None:  # noqa: ANN001
    # the case: a 962x642 result in a viewer about 630 px wide
    page = open_page({"width": 680, "height": 800})
    enhance(page, photo(tmp_path, "land.png", 962, 642))
    g = geometry(page)
    assert (g["nw"], g["nh"]) == (962, 642)
    assert 600 <= g["boxW"] <= 640, g
    assert g["w"] <= g["boxW"] and g["h"] <= g["maxH"], g  # drawn at most as wide as the viewer
    assert abs(g["w"] / g["nw"] - g["h"] / g["nh"]) < 0.01, g  # aspect ratio kept
    assert g["w"] >= g["boxW"] - 1 or g["h"] >= g["maxH"] - 1, g  # and as large as fits
    assert g["scrollW"] <= g["boxW"] and g["scrollH"] <= g["boxH"], g  # nothing to scroll: all of it shows
    one = zoom(page, "1")
    assert (one["w"], one["h"]) == (962, 642) and one["level"] == "100%"
    two = zoom(page, "2")
    assert (two["w"], two["h"]) == (2 * one["w"], 2 * one["h"]) and two["level"] == "200%"
    assert two["scrollW"] > two["boxW"] and two["scrollH"] > two["boxH"]  # scrollable
    # pan: drag with the mouse moves the view; the scroll bars do too
    page.locator("#viewport").scroll_into_view_if_needed()
    box = page.locator("#viewport").bounding_box()
    before = page.evaluate("(v => [v.scrollLeft, v.scrollTop])(document.getElementById('viewport'))")
    x, y = box["x"] + box["width"] / 4, box["y"] + box["height"] / 4  # away from the split's handle
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 120, y - 80, steps=5)
    page.mouse.up()
    after = page.evaluate("(v => [v.scrollLeft, v.scrollTop])(document.getElementById('viewport'))")
    assert after[0] - before[0] == pytest.approx(120, abs=2) and after[1] - before[1] == pytest.approx(80, abs=2)
    assert page.locator("#split").input_value() == "50"  # panning is not moving the before/after split
    shot(page, tmp_path, "zoom-200-landscape")
    fit = zoom(page, "fit")
    assert fit["w"] == g["w"] and fit["scrollW"] <= fit["boxW"]

    # a portrait shows whole at Fit (height-limited); 200% is twice 1:1 and larger than Fit
    page.set_viewport_size(DESKTOP)
    enhance(page, photo(tmp_path, "portrait.png", 400, 900))
    g = zoom(page, "fit")
    assert g["h"] <= g["maxH"] and g["scrollH"] <= g["boxH"] and g["w"] <= g["boxW"], g
    assert g["h"] >= g["maxH"] - 1 and g["w"] / g["nw"] == pytest.approx(g["h"] / g["nh"], abs=0.01), g
    shot(page, tmp_path, "desktop-fit-portrait")
    two = zoom(page, "2")
    assert two["w"] == 2 * g["nw"] and two["w"] > g["w"]
    # a small image: Fit never enlarges it (1:1), so 200% is larger than Fit
    enhance(page, photo(tmp_path, "small.png", 160, 120))
    fit, two = zoom(page, "fit"), zoom(page, "2")
    assert (fit["w"], fit["h"]) == (160, 120) and (two["w"], two["h"]) == (320, 240)
    assert page.locator("#stage").evaluate("s => s.closest('.pixelated') !== null")


def test_side_by_side_is_full_width_and_zooms_and_pans_together(open_page, tmp_path: Path) -> None:  # noqa: ANN001
    page = open_page(DESKTOP)
    enhance(page, photo(tmp_path, "pair.png", 480, 360, seed=2), task="sr", also=("lanczos",))
    page.select_option("#view", "side")
    figures = page.locator("#side figure")
    from playwright.sync_api import expect

    expect(figures).to_have_count(3)  # the original and the two results
    card = page.locator("#result-panel").bounding_box()["width"]
    widths = [figures.nth(i).bounding_box()["width"] for i in range(3)]
    assert min(widths) > 0.45 * card, (widths, card)  # two a row across the card, not thumbnails
    panes = page.locator("#side .pane")
    nat = natural(page, "after")
    for value, factor in (("1", 1), ("2", 2)):
        page.select_option("#zoom", value)
        sizes = [panes.nth(i).locator("img").bounding_box() for i in range(3)]
        assert all((s["width"], s["height"]) == (nat[0] * factor, nat[1] * factor) for s in sizes), sizes
    panes.nth(1).evaluate("p => { p.scrollLeft = 300; p.scrollTop = 200; }")
    page.wait_for_function("""() => [...document.querySelectorAll('#side .pane')]
        .every(p => p.scrollLeft === 300 && p.scrollTop === 200)""")
    shot(page, tmp_path, "desktop-side-by-side-200")
    page.select_option("#zoom", "fit")
    fits = [panes.nth(i).evaluate("p => [p.scrollWidth <= p.clientWidth, p.scrollHeight <= p.clientHeight]")
            for i in range(3)]
    assert all(all(f) for f in fits), fits
    # back to the slider with the second result
    figures.nth(2).get_by_role("button", name="Compare with original").click()
    expect(page.locator("#viewport")).to_be_visible()
    assert page.locator("#pick").input_value() == "1"
    shot(page, tmp_path, "desktop-slider")


@pytest.mark.parametrize("where", ["phone", "zoom200"])
def test_no_sideways_scrolling_on_a_phone_or_at_200_percent(open_page, tmp_path: Path, where: str) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    if where == "phone":
        page = open_page(PHONE, is_mobile=True, has_touch=True, device_scale_factor=3)
    else:  # a 1280x800 window at 200% browser zoom lays out 640x400 CSS pixels
        page = open_page({"width": 640, "height": 400}, device_scale_factor=2)
    assert overflow(page) == []
    enhance(page, photo(tmp_path, "a photo with a rather long file name.png", 962, 642), task="sr",
            also=("lanczos",))
    assert overflow(page) == []
    g = geometry(page)
    assert g["w"] <= g["boxW"] and g["h"] <= g["maxH"], g
    shot(page, tmp_path, f"{where}-result")
    page.select_option("#zoom", "2")
    page.select_option("#view", "side")
    assert overflow(page) == []
    page.select_option("#zoom", "fit")
    shot(page, tmp_path, f"{where}-side-by-side")
    files = [photo(tmp_path, f"batch-{k}.png", 64, 48, seed=k) for k in range(2)]
    page.set_input_files("#file", files)
    expect(page.locator("#job-panel")).to_be_visible()
    page.click("#job-start")
    expect(page.locator("#job-status")).to_contain_text("done", timeout=30_000)
    page.click("#history-refresh")
    expect(page.locator("#history-list li")).to_have_count(3)  # two enhancements, one batch
    assert overflow(page) == []
    shot(page, tmp_path, f"{where}-job-and-history")


def test_history_reopens_a_result_with_its_plan_and_models(open_page, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page = open_page(DESKTOP)
    enhance(page, photo(tmp_path, "dark.png", 160, 120, dark=True), task="auto")
    models = page.locator("#pick option").first.inner_text()
    explain = page.locator("#explain li").all_inner_texts()
    assert "vivid-lowlight" in models and any(line.startswith("low-light with") for line in explain), (models, explain)
    result_size = natural(page, "after")

    page.reload()  # a new visit: nothing in memory, only the server's history
    item = page.locator("#history-list li").first
    expect(item).to_contain_text(models.split(": ")[-1].split(" → ")[0])  # the models, not only the input
    item.get_by_role("button", name="Open").click()
    expect(page.locator("#result-panel")).to_be_visible()
    page.wait_for_function("() => ['after', 'before'].every(i => document.getElementById(i).naturalWidth > 0)")
    assert natural(page, "after") == result_size
    assert natural(page, "before") == [160, 120]  # the original, not a thumbnail
    expect(page.locator("#download")).to_have_text("Download dark_vivid.png")
    assert page.locator("#explain li").all_inner_texts() == explain  # the plan's steps, models, reasons
    expect(page.locator("#plan-panel")).to_be_visible()  # and the plan, to try other models on it
    expect(page.locator("#steps")).to_contain_text("low-light")
    shot(page, tmp_path, "desktop-history-reopened")


def test_history_reopens_with_an_api_key(browser, tmp_path: Path) -> None:  # noqa: ANN001, F811
    """With keys, the browser cannot load the original by its address (no header): the app fetches it."""
    from playwright.sync_api import expect

    settings = Settings(data_dir=tmp_path / "data", workers=1, max_upload_mb=8, sync_max_pixels=1_500_000,
                        api_keys=["web-key"])
    with LiveServer(settings) as server:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(server.url + "/")
        expect(page.locator("#key-panel")).to_be_visible()
        page.fill("#api-key", "web-key")
        page.click("#key-form button")
        enhance(page, photo(tmp_path, "keyed.png", 120, 90))
        page.reload()
        page.locator("#history-list li").first.get_by_role("button", name="Open").click()
        page.wait_for_function("() => ['after', 'before'].every(i => document.getElementById(i).naturalWidth > 0)")
        assert natural(page, "before") == [120, 90]
        context.close()


def test_a_corrupt_file_does_not_stop_a_batch(open_page, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page = open_page(PHONE, is_mobile=True, has_touch=True)
    good = [photo(tmp_path, f"good-{k}.png", 64, 48, seed=k) for k in range(2)]
    bad = tmp_path / "broken.png"
    bad.write_bytes(png_bytes(48, 64)[:60])
    text = tmp_path / "notes.png"
    text.write_bytes(b"shopping list")
    page.set_input_files("#file", [good[0], str(bad), str(text), good[1]])
    page.click("#job-start")
    expect(page.locator("#job-status")).to_contain_text("done", timeout=30_000)
    expect(page.locator("#job-results button")).to_have_count(2)
    failed = page.locator("#job-results li.failed")
    expect(failed).to_have_count(2)
    lines = failed.all_inner_texts()
    assert lines[0].startswith("broken.png: not used:") and lines[1].startswith("notes.png: not used:"), lines
    for line in lines:  # in the user's terms: no endpoints, settings or Python names
        assert "/v1/" not in line and "VIVID_" not in line and "Error" not in line, line
    assert page.locator("#error").is_hidden()
    assert overflow(page) == []
    shot(page, tmp_path, "phone-batch-with-a-corrupt-file")


def test_models_added_on_the_server_can_be_chosen(open_page, your_model: str, tmp_path: Path) -> None:  # noqa: ANN001, F811
    """A model added with 'vivid models add' (``yours`` in GET /v1/models) is offered as "your model" for its
    task, runs by name, and shows in the explanation, the history and the batch model list."""
    from playwright.sync_api import expect

    page = open_page(DESKTOP)
    page.set_input_files("#file", photo(tmp_path, "p.png", 64, 48))
    expect(page.locator("#plan-panel")).to_be_visible()
    page.select_option("#task", "sr")
    assert f"{your_model} (your model)" in page.locator("#model option").all_inner_texts()
    page.select_option("#model", your_model)
    page.click("#run")
    expect(page.locator("#result-panel")).to_be_visible(timeout=30_000)
    expect(page.locator("#explain")).to_contain_text(f"super-resolution with {your_model} ×2")
    assert natural(page, "after") == [128, 96]
    page.click("#history-refresh")
    expect(page.locator("#history-list li").first).to_contain_text(your_model)
    page.set_input_files("#file", [photo(tmp_path, f"b{k}.png", 64, 48, seed=k) for k in range(2)])
    page.select_option("#job-task", "sr")
    assert f"{your_model} (your model)" in page.locator("#job-model option").all_inner_texts()
    page.select_option("#job-model", your_model)
    page.click("#job-start")
    expect(page.locator("#job-status")).to_contain_text("done", timeout=30_000)
    expect(page.locator("#job-results button")).to_have_count(2)


def test_errors_read_in_user_terms(open_page, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page = open_page(DESKTOP)
    for name, data in (("notes.png", b"plain text"), ("half.png", png_bytes(48, 64)[:90])):
        f = tmp_path / name
        f.write_bytes(data)
        page.set_input_files("#file", str(f))
        expect(page.locator("#error")).to_be_visible()
        text = page.locator("#error").inner_text()
        assert name in text, text
        assert "/v1/" not in text and "POST" not in text and "Error)" not in text and "VIVID_" not in text, text
        page.evaluate("document.getElementById('error').hidden = true")


def test_a_running_video_shows_its_progress(open_page, tmp_path: Path) -> None:  # noqa: ANN001
    """The file line of a running one-input job shows the job's progress (the server's answers are stubbed
    so that the running state lasts)."""
    from playwright.sync_api import expect

    page = open_page(DESKTOP)
    upload = {"id": "u1", "name": "clip.mp4", "media": "video", "format": "mp4", "width": 64, "height": 48,
              "size_bytes": 1000, "sha256": "0" * 64, "created_at": "2026-12-06T10:00:00Z",
              "thumbnail_url": "/v1/uploads/u1/thumbnail"}
    job = {"id": "j1", "kind": "video", "mode": "queued", "status": "running", "progress": 0.45, "eta_seconds": 12,
           "message": "frame 27/60", "error": None, "created_at": "2026-12-06T10:00:00Z", "started_at": None,
           "finished_at": None, "options": {"task": "sr"}, "rejected": [], "url": "/v1/jobs/j1",
           "events_url": "/v1/jobs/j1/events", "result_url": None, "thumbnail_url": None,
           "results": [{"index": 0, "status": "pending", "upload": upload, "url": None, "format": None,
                        "width": None, "height": None, "size_bytes": None, "plan": None, "provenance": None,
                        "error": None}]}
    page.route("**/v1/jobs", lambda r: r.fulfill(status=202, content_type="application/json", body=json.dumps(job))
               if r.request.method == "POST" else r.continue_())
    page.route("**/v1/jobs/j1/events", lambda r: r.fulfill(
        status=200, content_type="text/event-stream", body=f"event: progress\ndata: {json.dumps(job)}\n\n"))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(32))
    page.set_input_files("#file", str(clip))
    page.click("#job-start")
    line = page.locator("#job-results li").first
    expect(line).to_have_text("clip.mp4: in progress · 45% · frame 27/60")
    expect(page.locator("#job-status")).to_contain_text("45%")


def test_api_docs_load_offline(browser, server, tmp_path: Path) -> None:  # noqa: ANN001, F811
    context = browser.new_context(viewport=DESKTOP)
    outside: list[str] = []

    def guard(route) -> None:  # noqa: ANN001
        if route.request.url.startswith(server.url):
            route.continue_()
        else:  # anything else would need the internet
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.goto(server.url + "/docs")
    page.wait_for_selector(".swagger-ui .information-container .title", timeout=20_000)
    assert "vivid" in page.locator(".swagger-ui .information-container .title").inner_text()
    page.wait_for_selector("#operations-jobs-submit_v1_jobs_post", timeout=20_000)
    shot(page, tmp_path, "desktop-docs-swagger")
    page.goto(server.url + "/redoc")
    page.wait_for_selector("redoc h1, [role=main] h1, .api-info h1", timeout=20_000)
    assert "vivid" in page.locator("h1").first.inner_text()
    shot(page, tmp_path, "desktop-docs-redoc")
    context.close()
    # nothing went out; ReDoc's sidebar logo (an <img> from its vendor's host) is stopped by the page's own
    # Content-Security-Policy before any connection is made
    assert outside == [], outside
    assert all(f.endswith(" csp") for f in failed), failed
