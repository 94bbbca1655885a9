"""Fixtures: where mi-sim is, a credential, SDK clients, and a reset before every test."""
import json
import os
import time
import urllib.request

import pytest
from azure.core.credentials import AccessToken

HTTPS = os.environ["MI_SIM_HTTPS"]
HTTP = os.environ["MI_SIM_HTTP"]
SUBSCRIPTION = "22222222-2222-4222-8222-222222222222"
TENANT = "11111111-1111-4111-8111-111111111111"


class StaticTokenCredential:
    """Any bearer token is accepted by mi-sim for now; the SDKs only need one to send."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("mi-sim-static-token", int(time.time()) + 3600)


def control(method, path, body=None):
    """Calls mi-sim's control API (plain http) and returns the parsed JSON, or None."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(HTTP + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def principals(tenant=TENANT):
    """The managed-identity principals of a tenant (the bootstrapped application's is left out)."""
    return [p for p in control("GET", f"/simulator/tenants/{tenant}/servicePrincipals")["value"] if p["kind"] != "Application"]


@pytest.fixture(autouse=True)
def reset():
    control("POST", "/simulator/reset")


@pytest.fixture
def credential():
    return StaticTokenCredential()


@pytest.fixture
def arm_kwargs():
    """How a user points an ARM SDK client at mi-sim."""
    return {"base_url": HTTPS, "credential_scopes": [HTTPS + "/.default"]}
