"""The interactive docs at /docs in headless Chromium (Debian's package), driven over the
DevTools protocol: the operations render with nothing fetched from elsewhere, and a call made
from the page ("Try it out") reaches mi-sim and succeeds."""
import contextlib
import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
import websocket

from conftest import HTTP, SUBSCRIPTION

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OPERATION = "#operations-Subscriptions-Subscriptions_List"


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, ws_url):
        # No Origin header: Chromium refuses DevTools connections from unlisted origins.
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                assert "error" not in msg, (method, params, msg)
                return msg.get("result", {})

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, (expression, result)
        return result.get("result", {}).get("value")

    def act(self, statement):
        """Runs a statement for its effect (its value, often a DOM object, is not sent back)."""
        self.js(f"void ({statement})")

    def wait(self, expression, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}")


def first_page_target(browser, port_file, log, seconds=90):
    """The DevTools URL of the browser's first tab. A first start on a busy CI machine (font
    cache, profile) has taken over 15 s, so the bound is generous; a browser that exits says why."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if browser.poll() is not None:
            raise AssertionError(f"Chromium exited with {browser.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            port = int(port_file.read_text().split()[0])
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5))
            pages = [t for t in targets if t["type"] == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"Chromium opened no tab within {seconds} s")


@contextlib.contextmanager
def browser_page(tmp_path):
    """A tab of a headless Chromium of its own, killed afterwards."""
    if not CHROMIUM:
        # run.sh installs Chromium when it runs as root (as CI does); elsewhere say what to do.
        pytest.skip("Chromium is not installed and run.sh could install it only as root: apt-get install chromium")
    # Port 0: Chromium picks a free port and writes it to DevToolsActivePort, so no other
    # process can take the port between choosing and binding it.
    log = open(tmp_path / "chromium.log", "wb")  # a file, not a pipe: Chromium is chatty
    browser = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1100", "--remote-debugging-port=0", f"--user-data-dir={tmp_path / 'profile'}",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=log)
    try:
        page = Page(first_page_target(browser, tmp_path / "profile" / "DevToolsActivePort", tmp_path / "chromium.log"))
        page.call("Page.enable")
        yield page
    finally:
        browser.kill()
        browser.wait()
        log.close()


def test_docs_render_offline_and_try_it_out_calls_mi_sim(tmp_path):
    with browser_page(tmp_path) as page:
        page.call("Page.navigate", url=f"{HTTP}/docs")

        rendered = page.wait("document.querySelectorAll('.opblock').length")
        assert rendered >= 40, f"{rendered} operations rendered"
        hosts = page.js("[...new Set(performance.getEntriesByType('resource').map(e => new URL(e.name).host))]")
        assert hosts == [urllib.parse.urlparse(HTTP).netloc], f"assets came from {hosts}"

        # Try it out: GET /subscriptions, with its api-version, from the page.
        page.act(f"document.querySelector('{OPERATION} .opblock-summary-control').click()")
        page.wait(f"!!document.querySelector('{OPERATION} input[placeholder=\"api-version\"]')")
        page.act(f"""(() => {{
            const input = document.querySelector('{OPERATION} input[placeholder="api-version"]');
            const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
            set.call(input, '2022-12-01');
            input.dispatchEvent(new Event('input', {{bubbles: true}}));
            input.dispatchEvent(new Event('change', {{bubbles: true}}));
        }})()""")
        # Execute until the live response shows (the page applies the typed value asynchronously).
        status = page.wait(f"""(() => {{
            const cell = document.querySelector('{OPERATION} .live-responses-table .response-col_status:not(.col_header)');
            if (cell) return cell.textContent.trim();
            document.querySelector('{OPERATION} .execute')?.click();
            return null;
        }})()""")
        assert status == "200"
        body = page.js(f"document.querySelector('{OPERATION} .live-responses-table .microlight')?.textContent")
        assert SUBSCRIPTION in body
