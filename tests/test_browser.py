"""The web chat and the console in a real browser: Debian's Chromium driven by Playwright.

A shop page on one local origin embeds the widget from the frontdesk server on another, as a
business's site would. Set FRONTDESK_SCREENSHOTS=DIR to keep screenshots (docs/screenshots/
holds the ones the README shows).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.app import Frontdesk

from .conftest import AGENT, ServerThread, serve_sample

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow]
#: In CI (``CI`` set, as .ci/run does) a browser that cannot run fails the tests: the widget is
#: what users run, so CI must never pass by skipping it. Elsewhere the tests skip, saying why.
IN_CI = bool(os.environ.get("CI"))


def no_browser(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI is set but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)
SHOTS = Path(os.environ["FRONTDESK_SCREENSHOTS"]) if os.environ.get("FRONTDESK_SCREENSHOTS") else None


def shot(page: object, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name))  # type: ignore[attr-defined]


@pytest.fixture
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        no_browser("Debian's chromium is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Error as exc:
            no_browser(f"{CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


@pytest.fixture
def stack(built_home: Path, tmp_path: Path, upstream: ServerThread, local_site) -> Iterator[tuple[Frontdesk, str, str]]:
    with serve_sample(built_home, tmp_path / "home", upstream) as served:
        app, server = served.app, served.server
        app.create_user("ana", "correct horse battery")
        shop = tmp_path / "shop"
        shop.mkdir()
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Harbor Coffee Roasters</title></head>
<body style="font-family: Georgia, serif; margin: 2rem"><h1>Harbor Coffee Roasters</h1>
<p>Freshly roasted in Hamburg's Speicherstadt.</p>
<script src="{server.url}/widget.js" data-agent="{AGENT}" data-title="Harbor Coffee" defer></script>
</body></html>"""
        (shop / "index.html").write_text(page)
        (shop / "de.html").write_text(page.replace('lang="en"', 'lang="de"'))
        site = local_site(shop)
        app.store.update_agent(AGENT, allowed_origins=[site.url], public=True)
        yield app, server.url, site.url


def test_widget_answers_with_a_product_card_and_the_console_takes_over(browser: object, stack: tuple) -> None:
    from playwright.sync_api import expect

    app, server_url, shop_url = stack
    customer = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    customer.goto(shop_url + "/index.html")
    launcher = customer.get_by_role("button", name="Chat with us")
    launcher.click()
    dialog = customer.get_by_role("dialog", name="Harbor Coffee")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".ai-badge")).to_have_text("AI assistant")  # AI disclosure, always visible (issue 18)
    box = customer.get_by_label("Your message")
    expect(box).to_be_focused()  # keyboard users land in the text box
    box.fill("How much is the Profitec Go espresso machine?")
    box.press("Enter")
    card = dialog.locator("article.card")
    expect(card.first).to_be_visible(timeout=20_000)
    expect(card.first.locator("h3")).to_contain_text("Profitec Go")
    expect(card.first.locator(".price")).to_have_text("€799.00")
    expect(card.first.locator(".avail")).to_have_text("In stock")
    expect(card.first.get_by_role("link", name="View product")).to_have_attribute("href", "https://harbor-coffee.example/products/profitec-go")
    expect(dialog.get_by_role("log")).to_contain_text("799")
    shot(customer, "widget.png")

    customer.reload()  # the conversation survives a page load
    customer.get_by_role("button", name="Chat with us").click()
    expect(customer.get_by_role("log")).to_contain_text("How much is the Profitec Go espresso machine?")
    expect(customer.locator("article.card").first).to_be_visible()
    customer.keyboard.press("Escape")
    expect(customer.get_by_role("dialog")).to_be_hidden()
    expect(customer.get_by_role("button", name="Chat with us")).to_be_focused()

    # the owner finds the conversation in the console and takes it over
    owner = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    owner.goto(server_url + "/console/")
    owner.get_by_label("Name").fill("ana")
    owner.get_by_label("Password").fill("correct horse battery")
    owner.get_by_role("button", name="Log in").click()
    owner.get_by_role("link", name="Conversations").first.click()
    owner.get_by_role("link", name="How much is the Profitec Go espresso machine?").click()
    expect(owner.get_by_text("Evidence behind this answer").first).to_be_visible()
    owner.get_by_role("button", name="Take over").click()
    expect(owner.locator("#status")).to_have_text("human")

    customer.get_by_role("button", name="Chat with us").click()
    customer.get_by_label("Your message").fill("Can someone tell me about the warranty?")
    customer.get_by_label("Your message").press("Enter")
    expect(customer.get_by_role("log")).to_contain_text("A member of our team has the conversation")

    owner.reload()
    owner.get_by_label("Your reply to the customer").fill("Hi, Ana here: the Profitec Go has a two-year warranty.")
    owner.get_by_role("button", name="Send reply").click()
    expect(owner.get_by_text("Ana here: the Profitec Go")).to_be_visible()
    shot(owner, "console.png")
    expect(customer.locator(".msg.human")).to_contain_text("Ana here", timeout=10_000)  # the widget polls

    owner.get_by_role("button", name="Hand back to the agent").click()
    expect(owner.locator("#status")).to_have_text("bot")
    conversation = app.store.list_conversations(app.agent(AGENT).id, limit=1)[0]
    assert conversation.status == "bot" and conversation.channel == "web"


def test_widget_at_phone_width_in_german(browser: object, stack: tuple) -> None:
    from playwright.sync_api import expect

    _, _, shop_url = stack
    phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="de-DE", is_mobile=True,  # type: ignore[attr-defined]
                             has_touch=True)
    phone.goto(shop_url + "/de.html")
    phone.get_by_role("button", name="Chat öffnen").click()
    dialog = phone.get_by_role("dialog")
    width = dialog.evaluate("node => node.getBoundingClientRect().width")
    assert width == 390  # the panel fills a phone's screen
    expect(dialog.locator(".ai-badge")).to_have_text("KI-Assistent")
    phone.get_by_label("Ihre Nachricht").fill("Wann habt ihr am Samstag geöffnet?")
    phone.get_by_role("button", name="Senden").click()
    expect(phone.get_by_role("log")).to_contain_text("9:00", timeout=20_000)
    expect(phone.get_by_text(re.compile(r"^Quellen \(\d+\)$"))).to_be_visible()  # the interface speaks German
    shot(phone, "widget-phone.png")
