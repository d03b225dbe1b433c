"""The web app in headless Chromium: upload, recommendation, model switch, compare, download, jobs, history.

Screenshots go to ``test-artifacts/`` (git-ignored). Skipped cleanly without Debian's chromium or the
playwright package (``.ci/browser.sh`` installs chromium; no browser is ever downloaded).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.support import LiveServer, png_bytes
from vivid.server.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (run .ci/browser.sh)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings(data_dir=tmp_path / "data", workers=1, max_upload_mb=4, sync_max_pixels=200_000)
    with LiveServer(settings) as s:
        yield s


@pytest.fixture
def page(browser, server):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server.url + "/")
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"), full_page=True)


def unlabeled_controls(page) -> list[str]:  # noqa: ANN001
    return page.evaluate("""() => [...document.querySelectorAll('input, select, button, textarea')]
        .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
        .map(el => el.id || el.outerHTML.slice(0, 60))""")


def test_photo_recommend_switch_compare_download(page, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    photo = tmp_path / "dark room.png"
    photo.write_bytes(png_bytes(60, 80, dark=True))
    page.set_input_files("#file", str(photo))
    expect(page.locator("#plan-panel")).to_be_visible()
    steps = page.locator("#steps li")
    expect(steps.first).to_be_visible()
    expect(page.locator("#steps")).to_contain_text("low-light")
    expect(page.locator("#steps")).to_contain_text("darker than 128")
    shot(page, "1-recommendation")
    assert unlabeled_controls(page) == []

    # seed 000's "Another Model": switch the low-light step to an alternative
    texts = steps.all_inner_texts()
    i = next(k for k, t in enumerate(texts) if "low-light" in t)
    select = page.locator(f"#model-{i}")
    options = select.locator("option").all_inner_texts()
    assert "(recommended)" in options[0] and any("(another model)" in o for o in options[1:])
    alternative = select.locator("option").nth(1).get_attribute("value")
    select.select_option(alternative)
    # and also try another SR model side by side
    page.locator('#compare-options input[value="lanczos"]').check()
    page.locator("#strength").fill("80")
    expect(page.locator("#strength-out")).to_have_text("80%")
    page.click("#run")

    expect(page.locator("#result-panel")).to_be_visible(timeout=30_000)
    page.wait_for_function("() => document.getElementById('after').naturalWidth > 0")
    expect(page.locator("#explain")).to_contain_text(alternative)
    page.select_option("#view", "side")
    expect(page.locator("#side figure")).to_have_count(3)  # the original and the two results
    page.select_option("#view", "slider")
    # the before/after slider works from the keyboard
    page.focus("#split")
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    assert page.locator("#split").input_value() == "45"
    assert "inset(0px 0px 0px 45%)" in page.locator("#after-clip").get_attribute("style").replace("0 0 0", "0px 0px 0px")
    page.select_option("#zoom", "2")
    width = page.evaluate("document.getElementById('after').naturalWidth")
    page.wait_for_function(f"() => document.getElementById('stage').getBoundingClientRect().width === {width * 2}")
    shot(page, "2-compare")
    page.select_option("#zoom", "fit")
    # another model's result in the comparison, then download it
    page.select_option("#view", "side")
    page.locator("#side figure").nth(2).get_by_role("button", name="Compare with original").click()
    expect(page.locator("#side figure").nth(2)).to_have_class("current")
    expect(page.locator("#viewport")).to_be_visible()
    with page.expect_download() as dl:
        page.click("#download")
    saved = tmp_path / dl.value.suggested_filename
    dl.value.save_as(saved)
    assert saved.name.startswith("dark_room_vivid")
    from vivid.io.read import read_image

    out = read_image(saved)
    assert (out.height, out.width) == (120, 160)  # the plan's x2 super-resolution

    # history shows the two enhancements with thumbnails
    page.click("#history-refresh")
    expect(page.locator("#history-list li")).to_have_count(2)
    expect(page.locator("#history-list img").first).to_have_attribute("alt", "Thumbnail of dark room.png")
    page.wait_for_function("() => [...document.querySelectorAll('#history-list img')].every(i => i.naturalWidth > 0)")
    shot(page, "3-history")


def test_errors_are_shown_and_batches_report_progress(page, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    bad = tmp_path / "not-a-photo.png"
    bad.write_bytes(b"plain text, not an image")
    page.set_input_files("#file", str(bad))
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("not an image")
    shot(page, "4-error")

    files = []
    for k in range(2):
        f = tmp_path / f"batch{k}.png"
        f.write_bytes(png_bytes(40, 48, seed=k))
        files.append(str(f))
    page.set_input_files("#file", files)
    expect(page.locator("#job-panel")).to_be_visible()
    page.select_option("#job-task", "color")
    page.click("#job-start")
    expect(page.locator("#job-status")).to_contain_text("done", timeout=30_000)
    assert page.locator("#job-progress").evaluate("p => p.value") == 1
    expect(page.locator("#job-results button")).to_have_count(2)
    with page.expect_download() as dl:
        page.click("#job-download")
    assert dl.value.suggested_filename.endswith(".zip")
    shot(page, "5-batch")

    # an image over the synchronous limit goes on as a background job by itself
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes(480, 500))
    page.set_input_files("#file", str(big))
    expect(page.locator("#plan-panel")).to_be_visible()
    page.select_option("#task", "color")
    page.click("#run")
    expect(page.locator("#job-title")).to_have_text("Large image job")
    expect(page.locator("#job-status")).to_contain_text("done", timeout=30_000)
    expect(page.locator("#job-results button")).to_have_count(1)


def test_phone_layout_has_no_horizontal_scroll(browser, server, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(server.url + "/")
    photo = tmp_path / "p.png"
    photo.write_bytes(png_bytes(48, 64))
    page.set_input_files("#file", str(photo))
    expect(page.locator("#plan-panel")).to_be_visible()
    page.select_option("#task", "sr")
    page.click("#run")
    expect(page.locator("#result-panel")).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "6-phone")
    context.close()
