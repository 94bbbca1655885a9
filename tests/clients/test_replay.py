"""Replaying known issues with real clients: azure-identity and az CLI riding out injected
faults, the scenario runner's JUnit read by a JUnit consumer, and the explorer in Chromium."""
import base64
import json
import os
import subprocess
import urllib.parse

import junitparser

from conftest import HTTP, SUBSCRIPTION, TENANT, control
from test_az import HOOKS, run_az, sign_in_to_mi_sim
from test_docs_ui import browser_page

MI_SIM = os.environ["MI_SIM_BIN"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_vm(name="vm1", group="rg"):
    control("PUT", f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{group}?api-version=2021-04-01", {"location": "eastus"})
    vm = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/{name}"
    control("PUT", vm + "?api-version=2024-07-01", {"location": "eastus", "identity": {"type": "SystemAssigned"},
                                                     "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}})
    query = urllib.parse.urlencode({"resourceId": vm})
    return vm, control("GET", f"/simulator/instances?{query}")["value"][0]


def test_managed_identity_credential_gets_its_token_after_two_imds_503s(monkeypatch):
    from azure.identity import ManagedIdentityCredential
    vm, instance = make_vm()
    control("POST", "/simulator/faults", {"kind": "imdsUnavailable", "target": vm, "count": 2})
    for k in HOOKS:
        monkeypatch.delenv(k, raising=False)
    # The instance metadata service of this VM, as azure-identity reads it (IMDS, not App Service).
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", instance["metadataBaseUrl"])
    token = ManagedIdentityCredential().get_token("https://management.azure.com/.default")
    assert token.token.count(".") == 2
    assert control("GET", "/simulator/faults")["value"] == [], "both 503s were answered"
    verdicts = [e["verdict"] for e in control("GET", "/simulator/journal")["value"] if e["surface"] == "imds"]
    assert verdicts == ["fault", "fault", "issued"], verdicts


def test_az_cli_survives_one_injected_arm_429(tmp_path):
    cfg = tmp_path / "az"
    sign_in_to_mi_sim(cfg)
    control("POST", "/simulator/faults", {"kind": "armThrottled", "target": "/subscriptions/*/resourcegroups", "count": 1})
    created = json.loads(run_az(cfg, "group", "list"))
    assert created == []
    assert control("GET", "/simulator/faults")["value"] == [], "the 429 was answered"
    throttled = [e for e in control("GET", "/simulator/journal")["value"] if e["verdict"] == "throttled"]
    assert len(throttled) == 1 and throttled[0]["request"].startswith("GET /subscriptions/"), throttled


def test_scenario_junit_output_parses_with_junitparser_one_case_per_step(tmp_path):
    out = subprocess.run([MI_SIM, "scenario", "run", "S5", "S7", "--url", HTTP, "--format", "junit"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    path = tmp_path / "report.xml"
    path.write_text(out.stdout)
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name.split(":")[0] for s in suites] == ["S5", "S7"]
    listed = {s["id"]: len(s["steps"]) for s in control("GET", "/simulator/scenarios")["value"]}
    for suite in suites:
        cases = list(suite)
        assert len(cases) == listed[suite.name.split(":")[0]]
        assert all(case.is_passed for case in cases), [c.name for c in cases if not c.is_passed]
        assert cases[0].classname == suite.name.split(":")[0]


def test_explorer_shows_a_broken_identity_with_rule_and_remedy_and_runs_a_scenario(tmp_path):
    make_vm()
    other = control("POST", "/simulator/tenants", {"displayName": "the new directory"})["tenantId"]
    control("POST", f"/simulator/subscriptions/{SUBSCRIPTION}/transfer", {"targetTenantId": other})
    with browser_page(tmp_path) as page:
        page.call("Page.navigate", url=f"{HTTP}/explorer")
        page.wait("document.querySelectorAll('.identity').length")
        hosts = page.js("[...new Set(performance.getEntriesByType('resource').map(e => new URL(e.name).host))]")
        assert hosts in ([], [urllib.parse.urlparse(HTTP).netloc]), f"assets came from {hosts}"
        broken = page.js("document.querySelector('.identity.broken')?.innerText")
        assert broken and "broken: R11" in broken, broken
        assert "Remedy: Turn the system-assigned identity off and on again" in broken, broken
        assert f"lives in tenant {TENANT}" in broken and f"trusts tenant {other}" in broken, broken

        steps = next(len(s["steps"]) for s in control("GET", "/simulator/scenarios")["value"] if s["id"] == "S5")
        page.act("document.querySelector('button[data-run=\"S5\"]').click()")
        shown = page.wait(f"document.querySelectorAll('#transcript li').length === {steps} && document.querySelectorAll('#transcript li .ok').length", 60)
        assert shown == steps, shown
        assert "S5 passed" in page.js("document.getElementById('run-title').textContent")

        shot = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
        # The README's screenshot is refreshed on request, so an ordinary run changes no tracked file.
        target = os.path.join(ROOT, "docs", "explorer.png") if os.environ.get("UPDATE_SCREENSHOT") else tmp_path / "explorer.png"
        with open(target, "wb") as f:
            f.write(shot)
