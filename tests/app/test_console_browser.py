"""The console in a real browser: headless Chromium (Debian's) driven by Selenium, on gunicorn.

Needs the distribution's ``chromium`` and ``chromium-driver`` packages
(``make test`` installs them first when run as root: ``make system-tools``);
the driver's path is given, so Selenium never downloads anything. With
``SESSIONATOR_SCREENSHOTS=docs/console`` the tests also save the screenshots
that docs/console.md shows (``make screenshots``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from app.access.tenants import key_digest
from app.store.embedded import EmbeddedStore
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.console import GOOD, KEYS, SCHEMA_NS, tenants_yaml
from tests.httpclient import HttpClient

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
HIDDEN = ("secret.notes.v1", SCHEMA_NS, "checkout.cart.v1", "teamName", "only-support-sees-this")
SHOTS = os.environ.get("SESSIONATOR_SCREENSHOTS")
BROKEN_SCHEMA = "type: object\nproperties:\n  title: {type: strin}\n"  # never loads

pytestmark = pytest.mark.gunicorn


@pytest.fixture(scope="module")
def service(valkey: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gunicorn with two workers and the console's tests' tenants file; its base URL."""
    folder = tmp_path_factory.mktemp("console")
    (folder / "tenants.yaml").write_text(tenants_yaml())
    schemas = folder / "schemas"
    shutil.copytree(SCHEMA_DIR, schemas)
    (schemas / "teamName.draft.v1.yaml").write_text(BROKEN_SCHEMA)
    env = {
        "REDIS_URL": valkey.url,
        "SCHEMA_DIR": str(schemas),
        "TENANTS_FILE": str(folder / "tenants.yaml"),
        "CONSOLE": "on",
        # Chromium shares the two cores: a store stalled past the default 200 ms would answer
        # 503, which these tests of pages are not about (tests/app/test_outages.py is).
        "REDIS_TIMEOUT_MS": "2000",
    }
    process, port = start_gunicorn(env, workers=2, log=folder / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop_process(process)


@pytest.fixture(scope="module")
def chromium() -> Iterator[WebDriver]:
    """One headless Chromium for the module, with a profile of its own."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("needs Debian's chromium and chromium-driver: apt-get install -y chromium "
                    "chromium-driver (as make test does as root)")  # fmt: skip
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Browser:
    """The console as a person uses it: pages, fields, buttons."""

    def __init__(self, driver: WebDriver, base: str) -> None:
        self.driver, self.base = driver, base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    @property
    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base)

    def source(self) -> str:
        return str(self.driver.page_source)

    def text(self, css: str) -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def fill(self, css: str, value: str) -> None:
        field = self.driver.find_element(By.CSS_SELECTOR, css)
        field.clear()
        field.send_keys(value)

    def click(self, css: str) -> None:
        """Click a button that submits a form; wait until the next page has replaced this one."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, css).click()
        # While the page changes, the driver may answer with other errors than "stale" (a
        # node "does not belong to the document"): those mean "not yet", so keep waiting.
        wait = WebDriverWait(self.driver, 10, ignored_exceptions=(WebDriverException,))
        wait.until(staleness_of(page))
        wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")

    def sign_in(self, tenant: str) -> None:
        self.open("/console/sign-in")
        self.fill("#key", KEYS[tenant])
        self.click("form.stacked button[type=submit]")
        assert self.path == "/console/me"

    def look_up(self, sid: str) -> None:
        self.open("/console/session")
        self.fill("#sid", sid)
        self.click("form.lookup button[type=submit]")
        assert self.path == "/console/session"

    def edit(self, ns: str, document: dict[str, Any]) -> None:
        self.click(f'section[id="ns-{ns}"] form.inline button')
        self.fill("#text", json.dumps(document, indent=2))

    def shoot(self, name: str) -> None:
        """Save a screenshot of the whole page, when SESSIONATOR_SCREENSHOTS names a folder."""
        if not SHOTS:
            return
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(700, min(int(height), 2400)))
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))
        self.driver.set_window_size(1280, 900)


@pytest.fixture
def browser(chromium: WebDriver, service: str, redis_url: str) -> Browser:
    """The module's Chromium with no cookies, on an emptied store."""
    chromium.get(service + "/console/sign-in")
    chromium.delete_all_cookies()
    return Browser(chromium, service)


@pytest.fixture
def api(service: str) -> HttpClient:
    return HttpClient(service)


def put(api: HttpClient, sid: str, ns: str, document: dict[str, Any]) -> int:
    headers = {"Authorization": f"Bearer {KEYS['platform']}", "Content-Type": "application/json"}
    return api.request(
        "PUT", f"/v1/sessions/{sid}/{ns}", json.dumps(document).encode(), headers
    ).status


def stored(api: HttpClient, sid: str, ns: str) -> Any:
    reply = api.get(f"/v1/sessions/{sid}/{ns}", {"Authorization": f"Bearer {KEYS['platform']}"})
    return reply.json()


def seed(api: HttpClient) -> None:
    assert put(api, "user-1337", SCHEMA_NS, GOOD) == 200
    assert put(api, "user-1337", "secret.notes.v1", {"note": "only-support-sees-this"}) == 200
    cart = {"currency": "EUR", "items": [{"sku": "A-1", "quantity": 2, "unitPrice": 3.5}]}
    assert put(api, "user-1337", "checkout.cart.v1", cart) == 200
    assert put(api, "user-1337", "payments.card.v1", {"last4": "4242", "brand": "visa"}) == 200


def test_signing_in_shows_the_tenant_and_what_it_may_read_and_write(browser: Browser) -> None:
    browser.open("/console/sign-in")
    browser.shoot("sign-in")
    browser.sign_in("support")
    assert browser.text("h1") == "Tenant support"
    key_id = key_digest(KEYS["support"]).removeprefix("sha256:")[:12]
    assert browser.text("dl.facts").split("\n") == [
        "Key id",
        f"{key_id} (the first 12 hex digits of the key's SHA-256, as logs show it)",
        "May read",
        "*",
        "May write",
        "teamName.*",
        "Delete whole sessions",
        "no",
        "Rate limit",
        "1000/second per key",
    ]
    browser.shoot("who-am-i")


def test_a_look_up_shows_every_readable_namespace_with_its_metadata(
    browser: Browser, api: HttpClient
) -> None:
    seed(api)
    browser.sign_in("support")
    browser.look_up("user-1337")
    assert browser.text("#session-heading") == "Session user-1337 4 namespaces you may read"
    section = browser.text(f'section[id="ns-{SCHEMA_NS}"]')
    assert "Valid under the schema in force." in section
    assert stored(api, "user-1337", SCHEMA_NS)["_modified"] in section
    assert '"name": "Ada"' in section
    browser.shoot("session")


def test_a_refused_edit_shows_the_schemas_error_next_to_the_field(
    browser: Browser, api: HttpClient
) -> None:
    seed(api)
    before = stored(api, "user-1337", SCHEMA_NS)
    browser.sign_in("support")
    browser.look_up("user-1337")
    browser.edit(SCHEMA_NS, {**GOOD, "age": "thirty-six"})
    browser.click("#save")
    assert browser.text("#edit-error") == (
        "The namespace's schema refused the document; nothing was saved."
    )
    assert browser.text("#field-errors tbody") == 'age "thirty-six" Not a valid integer.'
    assert stored(api, "user-1337", SCHEMA_NS) == before
    browser.shoot("edit-refused")


def test_a_saved_edit_is_stored_and_shown(browser: Browser, api: HttpClient) -> None:
    seed(api)
    browser.sign_in("support")
    browser.look_up("user-1337")
    browser.edit(SCHEMA_NS, {**GOOD, "age": 37})
    browser.click("#save")
    assert browser.path == "/console/session"
    assert browser.text(".alert.info") == f"Saved {SCHEMA_NS}."
    assert stored(api, "user-1337", SCHEMA_NS)["age"] == 37
    assert '"age": 37' in browser.text(f'section[id="ns-{SCHEMA_NS}"]')


def test_a_change_made_meanwhile_is_reported_as_a_conflict_not_overwritten(
    browser: Browser, api: HttpClient
) -> None:
    seed(api)
    browser.sign_in("support")
    browser.look_up("user-1337")
    browser.edit(SCHEMA_NS, {**GOOD, "name": "Mine"})
    assert put(api, "user-1337", SCHEMA_NS, {**GOOD, "name": "Theirs"}) == 200
    browser.click("#save")
    assert browser.text("#edit-error").startswith(
        "Someone changed this namespace since you opened it; nothing was saved."
    )
    assert '"name": "Theirs"' in browser.text("#current-version")
    assert stored(api, "user-1337", SCHEMA_NS)["name"] == "Theirs"
    browser.shoot("edit-conflict")


def test_sign_out_ends_the_sign_in(browser: Browser) -> None:
    browser.sign_in("support")
    browser.click("#sign-out")
    assert browser.path == "/console/sign-in"
    assert browser.text(".alert.info") == "You are signed out."
    browser.open("/console/me")
    assert browser.path == "/console/sign-in"


def test_a_tenant_without_read_grant_sees_those_namespaces_nowhere(
    browser: Browser, api: HttpClient
) -> None:
    seed(api)
    browser.sign_in("payments")
    pages = [browser.source()]
    browser.look_up("user-1337")
    pages.append(browser.source())
    assert browser.text("#session-heading") == "Session user-1337 1 namespace you may read"
    browser.click('section[id="ns-payments.card.v1"] form.inline button')
    pages.append(browser.source())
    for path in ("/console/schemas", "/console/health"):
        browser.open(path)
        pages.append(browser.source())
    for source in pages:
        for hidden in HIDDEN:
            assert hidden not in source


def test_the_schemas_page_shows_each_status_and_where_a_broken_file_breaks(
    browser: Browser, service: str
) -> None:
    browser.sign_in("support")
    browser.open("/console/schemas")
    summary = browser.text("table.summary tbody").split("\n")
    assert [row.split(" ")[:2] for row in summary] == [
        ["checkout.cart.v1", "ok"],
        ["restaurants.lastVisited.v1", "ok"],
        ["teamName.draft.v1", "broken"],
        ["teamName.objectType.v1", "ok"],
    ]
    problem = browser.text('section[id="schema-teamName.draft.v1"] table.problems tbody')
    assert re.match(r"/\S+/schemas/teamName\.draft\.v1\.yaml 3 properties\.title\.type ", problem)
    browser.shoot("schemas")


def test_the_health_page_shows_the_store_and_the_rates_of_every_worker(browser: Browser) -> None:
    browser.sign_in("support")
    browser.open("/console/health")
    assert browser.text("#store").startswith("Store\nanswers Redis answers.")
    assert "Rates appear on the next reload" in browser.text("#traffic")
    time.sleep(1.2)  # a rate needs a window of a second at least
    browser.open("/console/health")
    assert re.fullmatch(
        r"Traffic\nrequests\n[\d.]+ per second\nerrors \(5xx\)\n0\.00 % of answers\n"
        r"refusals \(4xx\)\n[\d.]+ % of answers\nOver the last \d+ s, every worker; .*",
        browser.text("#traffic"),
        re.DOTALL,
    )
    browser.shoot("health")


def test_the_sign_in_cookie_is_httponly_strict_and_good_on_every_worker(
    browser: Browser, api: HttpClient
) -> None:
    browser.sign_in("support")
    [cookie] = browser.driver.get_cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == (
        "sessionator_console",
        True,
        "Strict",
    )
    sent = {"Cookie": f"sessionator_console={cookie['value']}"}
    # Each request on a new connection: the kernel spreads them over both workers, and a
    # worker with a secret of its own would send this browser back to the sign-in (303).
    statuses = {api.get("/console/me", sent).status for _ in range(20)}
    assert statuses == {200}
