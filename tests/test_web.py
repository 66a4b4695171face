"""`triage web` in a real headless Chromium (Debian's chromium and chromium-driver).

The test starts `triage web` on a loopback port, opens it in the browser, waits for the
queue, presses keys in the page as a rep would, and reads the result twice: in what the
app sent to the browser's terminal (captured from the page's WebSocket before xterm.js
draws it) and in the database. Skipped where no Chromium is installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import LeadRepository, open_database
from triage.domain.models import LeadData, Stage
from triage.services import new_lead

ROOT = Path(__file__).resolve().parent.parent
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not (CHROMEDRIVER and CHROMIUM), reason="no chromium and chromium-driver here")

#: Runs in the page before its own scripts: keeps the text of every frame the app sends.
CAPTURE = """
window.__triage = [];
const Native = window.WebSocket;
window.WebSocket = function (url, protocols) {
  const socket = new Native(url, protocols);
  socket.addEventListener("message", (event) => {
    if (typeof event.data !== "string") {
      window.__triage.push(new TextDecoder().decode(new Uint8Array(event.data)));
    }
  });
  return socket;
};
window.WebSocket.prototype = Native.prototype;
"""
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[\]P_^][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(first_name="Wilma", last_name="Webber", company="Browser GmbH",
                                      email="wilma@browser.de"))])
    port = free_port()
    env = dict(os.environ, LOGNAME="anna", USER="anna", XDG_CONFIG_HOME=str(tmp_path))
    server = subprocess.Popen([sys.executable, "-m", "triage.cli", "--db", url, "web", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield server, port, url
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CAPTURE})
    yield driver
    driver.quit()


def screen_text(driver) -> str:
    return ESCAPES.sub("", "".join(driver.execute_script("return window.__triage || []")))


def wait_for(driver, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        seen = screen_text(driver)
        if text in seen:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never reached the browser; it saw: {seen[-500:]!r}")


def app_processes(server_pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(server_pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def test_a_rep_triages_in_a_browser_and_stopping_the_server_ends_the_apps(served, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    server, port, url = served
    browser.get(f"http://127.0.0.1:{port}/")
    wait_for(browser, "Webber")  # the queue, with the lead in it
    assert "signed in as anna" in screen_text(browser)
    terminal = browser.find_element("css selector", ".textual-terminal")
    ActionChains(browser).click(terminal).send_keys("a").perform()
    wait_for(browser, "Accepted")
    lead = LeadRepository(open_database(url)).get(1)
    assert lead.stage is Stage.SAL and lead.owner == "anna"
    assert app_processes(server.pid), "each tab runs an app process of the server's"
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(15)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and subprocess.run(["pgrep", "-f", url], capture_output=True).stdout:
        time.sleep(0.2)
    assert not subprocess.run(["pgrep", "-f", url], capture_output=True).stdout, "an app outlived triage web"


def test_a_tab_closed_ends_its_own_app_and_the_server_keeps_serving(served, browser):
    server, port, _ = served
    browser.get("about:blank")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CAPTURE})
    browser.get(f"http://127.0.0.1:{port}/")
    wait_for(browser, "Webber")
    assert len(app_processes(server.pid)) == 1
    browser.close()
    browser.switch_to.window(first)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and app_processes(server.pid):
        time.sleep(0.2)
    assert app_processes(server.pid) == [], "the closed tab's app is still running"
    assert server.poll() is None, "the server keeps serving other tabs"


def test_web_listens_on_loopback_and_says_what_it_serves(served):
    server, port, url = served
    os.killpg(server.pid, signal.SIGTERM)
    output, _ = server.communicate(timeout=15)
    assert f"serving the triage app at http://127.0.0.1:{port}" in output
