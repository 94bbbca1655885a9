"""The az CLI steps of the Azure docs, verbatim where the CLI allows, against mi-sim registered
as a custom cloud: sign in as the bootstrapped application, identities, a container group with
identities, a VM's identities, then `az login --identity` "on" the VM (R20)."""
import json
import os
import subprocess

from conftest import HTTPS, SUBSCRIPTION, TENANT, control

AZ = os.environ["AZ_CLI"]
MI_SIM = os.environ["MI_SIM_BIN"]
HOOKS = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "MSI_ENDPOINT", "IMDS_ENDPOINT")


def run_az(config, *args, env=None):
    """Runs az with its own config folder; returns stdout, failing the test with az's stderr."""
    full = {k: v for k, v in os.environ.items() if k not in HOOKS}
    full.update(AZURE_CONFIG_DIR=str(config), AZURE_CORE_COLLECT_TELEMETRY="no", AZURE_CORE_NO_COLOR="true")
    full.update(env or {})
    done = subprocess.run([AZ, *args], env=full, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"az {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout.strip()


def sign_in_to_mi_sim(cfg):
    """Registers mi-sim as az's cloud in config folder `cfg` and signs in as the bootstrapped application."""
    app = control("GET", f"/simulator/tenants/{TENANT}/applications")["value"][0]
    run_az(cfg, "cloud", "register", "-n", "mi-sim", "--endpoint-resource-manager", HTTPS + "/")
    run_az(cfg, "cloud", "set", "-n", "mi-sim")
    run_az(cfg, "config", "set", "core.instance_discovery=false")
    run_az(cfg, "login", "--service-principal", "-u", app["appId"], "-p", app["clientSecret"], "--tenant", TENANT)


def test_az_cli_walkthroughs_against_mi_sim_as_a_custom_cloud(tmp_path):
    cfg = tmp_path / "az"
    az = lambda *args, **kw: run_az(cfg, *args, **kw)  # noqa: E731
    app = control("GET", f"/simulator/tenants/{TENANT}/applications")["value"][0]

    # Register mi-sim as a cloud (it serves /metadata/endpoints), turn off MSAL's instance discovery, sign in.
    az("cloud", "register", "-n", "mi-sim", "--endpoint-resource-manager", HTTPS + "/")
    az("cloud", "set", "-n", "mi-sim")
    az("config", "set", "core.instance_discovery=false")
    az("login", "--service-principal", "-u", app["appId"], "-p", app["clientSecret"], "--tenant", TENANT)
    assert json.loads(az("account", "show"))["id"] == SUBSCRIPTION

    # Managed identities (how-manage-user-assigned-managed-identities, az tab).
    az("group", "create", "--name", "myResourceGroup", "--location", "westeurope")
    az("identity", "create", "--resource-group", "myResourceGroup", "--name", "myACIId")
    principal = az("identity", "show", "--resource-group", "myResourceGroup", "--name", "myACIId", "--query", "principalId", "--output", "tsv")
    resource_id = az("identity", "show", "--resource-group", "myResourceGroup", "--name", "myACIId", "--query", "id", "--output", "tsv")
    assert resource_id.endswith("/resourcegroups/myResourceGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myACIId")
    assert [i["principalId"] for i in json.loads(az("identity", "list", "--resource-group", "myResourceGroup"))] == [principal]

    # Container instances with identities (container-instances-managed-identity).
    az("container", "create", "--resource-group", "myResourceGroup", "--name", "mycontainer",
       "--image", "mcr.microsoft.com/azure-cli", "--assign-identity", resource_id, "--command-line", "tail -f /dev/null")
    shown = json.loads(az("container", "show", "--resource-group", "myResourceGroup", "--name", "mycontainer", "--query", "identity"))
    assert shown["type"] == "UserAssigned"
    assert [v["principalId"] for v in shown["userAssignedIdentities"].values()] == [principal]
    az("container", "create", "--resource-group", "myResourceGroup", "--name", "mycontainer2",
       "--image", "mcr.microsoft.com/azure-cli", "--assign-identity", "--command-line", "tail -f /dev/null")
    system = json.loads(az("container", "show", "--resource-group", "myResourceGroup", "--name", "mycontainer2", "--query", "identity"))
    assert system["type"] == "SystemAssigned" and system["tenantId"] == TENANT

    # A VM made over REST, then its identities (qs-configure-cli-windows-vm).
    vm_url = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/virtualMachines/myVM?api-version=2024-07-01"
    az("rest", "--method", "put", "--url", vm_url, "--body",
       json.dumps({"location": "westeurope", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}}))
    assigned = json.loads(az("vm", "identity", "assign", "-g", "myResourceGroup", "-n", "myVM"))
    vm_principal = assigned["systemAssignedIdentity"]
    both = json.loads(az("vm", "identity", "assign", "-g", "myResourceGroup", "-n", "myVM", "--identities", resource_id))
    assert both["systemAssignedIdentity"] == vm_principal and list(both["userAssignedIdentities"]) == [resource_id]
    assert json.loads(az("vm", "identity", "show", "-g", "myResourceGroup", "-n", "myVM"))["type"] == "SystemAssigned, UserAssigned"
    az("vm", "identity", "remove", "-g", "myResourceGroup", "-n", "myVM", "--identities", resource_id)
    assert json.loads(az("vm", "identity", "show", "-g", "myResourceGroup", "-n", "myVM"))["type"] == "SystemAssigned"
    # The docs write `--set tags.fixVM=1`; az 2.9x parses 1 as a number and refuses it for a tag
    # before sending anything, so the value here is a word.
    az("vm", "update", "-n", "myVM", "-g", "myResourceGroup", "--set", "tags.fixVM=yes")

    # "On the VM": mi-sim env, az login --identity, and the seed's walkthrough (R20).
    exports = subprocess.run([MI_SIM, "env", "myVM", "--url", os.environ["MI_SIM_HTTP"]],
                             capture_output=True, text=True, check=True).stdout
    on_vm = dict(line.removeprefix("export ").replace("'", "").split("=", 1) for line in exports.splitlines())
    vm_cfg = tmp_path / "on-vm"
    run_az(vm_cfg, "cloud", "register", "-n", "mi-sim", "--endpoint-resource-manager", HTTPS + "/")
    run_az(vm_cfg, "cloud", "set", "-n", "mi-sim")
    run_az(vm_cfg, "login", "--identity", env=on_vm)
    found = run_az(vm_cfg, "resource", "list", "-n", "myVM", "--query", "[*].identity.principalId", "--out", "tsv", env=on_vm)
    assert found == vm_principal

    az("identity", "delete", "--resource-group", "myResourceGroup", "--name", "myACIId")
    assert az("identity", "list", "--resource-group", "myResourceGroup", "--query", "length(@)") == "0"


def sign_in(az, arm=None):
    """Registers mi-sim as az's cloud and signs in as the bootstrapped application."""
    app = control("GET", f"/simulator/tenants/{TENANT}/applications")["value"][0]
    az("cloud", "register", "-n", "mi-sim", "--endpoint-resource-manager", (arm or HTTPS) + "/")
    az("cloud", "set", "-n", "mi-sim")
    az("config", "set", "core.instance_discovery=false")
    az("login", "--service-principal", "-u", app["appId"], "-p", app["clientSecret"], "--tenant", TENANT)


def run_az_failing(config, *args):
    """Runs az expecting it to fail; returns its stderr."""
    full = {k: v for k, v in os.environ.items() if k not in HOOKS}
    full.update(AZURE_CONFIG_DIR=str(config), AZURE_CORE_COLLECT_TELEMETRY="no", AZURE_CORE_NO_COLOR="true")
    done = subprocess.run([AZ, *args], env=full, capture_output=True, text=True, timeout=180)
    assert done.returncode != 0, f"az {' '.join(args)} should have failed:\n{done.stdout}"
    return done.stderr


def test_az_cli_reproduces_the_known_issues_r14_and_r18(tmp_path):
    cfg = tmp_path / "az"
    az = lambda *args, **kw: run_az(cfg, *args, **kw)  # noqa: E731
    sign_in(az)
    az("group", "create", "--name", "rg-a", "--location", "westeurope")
    az("group", "create", "--name", "rg-b", "--location", "westeurope")
    vm_url = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/myVM?api-version=2024-07-01"
    az("rest", "--method", "put", "--url", vm_url, "--body",
       json.dumps({"location": "westeurope", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}}))
    az("vm", "identity", "assign", "-g", "rg-a", "-n", "myVM")

    # R14: move the running VM, stop it; it fails to start until it is updated.
    vm_id = az("vm", "show", "-g", "rg-a", "-n", "myVM", "--query", "id", "-o", "tsv")
    az("resource", "move", "--destination-group", "rg-b", "--ids", vm_id)
    assert az("vm", "show", "-g", "rg-b", "-n", "myVM", "--query", "name", "-o", "tsv") == "myVM"
    az("vm", "stop", "-g", "rg-b", "-n", "myVM")
    failed = run_az_failing(cfg, "vm", "start", "-g", "rg-b", "-n", "myVM")
    assert "(FailedIdentityOperation)" in failed and "/resourcegroups/rg-a/" in failed, failed
    az("vm", "update", "-n", "myVM", "-g", "rg-b", "--set", "tags.fixVM=yes")
    az("vm", "start", "-g", "rg-b", "-n", "myVM")
    az("vm", "update", "-n", "myVM", "-g", "rg-b", "--remove", "tags.fixVM")
    az("vm", "stop", "-g", "rg-b", "-n", "myVM")
    az("vm", "start", "-g", "rg-b", "-n", "myVM")

    # R18: the legacy extension, a DNS failure, restart and retry, and the export that fails.
    vm_id = az("vm", "show", "-g", "rg-b", "-n", "myVM", "--query", "id", "-o", "tsv")
    control("POST", "/simulator/faults", {"kind": "extensionDnsFailure", "target": vm_id})
    ext = ("vm", "extension", "set", "-g", "rg-b", "--vm-name", "myVM", "--name", "ManagedIdentityExtensionForLinux",
           "--publisher", "Microsoft.ManagedIdentity", "--settings", '{"port": 50342}')
    failed = run_az_failing(cfg, *ext)
    assert "(VMExtensionProvisioningError)" in failed and "DNS" in failed, failed
    az("vm", "restart", "-g", "rg-b", "-n", "myVM")
    done = json.loads(az(*ext))
    assert done["provisioningState"] == "Succeeded" and done["typeHandlerVersion"] == "1.0"
    full = subprocess.run([AZ, "group", "export", "-n", "rg-b"], capture_output=True, text=True, timeout=180,
                          env={**{k: v for k, v in os.environ.items() if k not in HOOKS}, "AZURE_CONFIG_DIR": str(cfg)})
    assert full.returncode == 0, full.stderr
    assert "Export template operation completed with errors" in full.stderr, full.stderr
    assert "ManagedIdentityExtensionForLinux" in full.stderr, full.stderr
    template = json.loads(full.stdout)
    vm = [r for r in template["resources"] if r["type"] == "Microsoft.Compute/virtualMachines"][0]
    assert "identity" not in vm


def test_az_role_assignment_create_list_delete(tmp_path):
    cfg = tmp_path / "az"
    az = lambda *args, **kw: run_az(cfg, *args, **kw)  # noqa: E731
    sign_in(az)
    az("group", "create", "--name", "rbac-rg", "--location", "westeurope")
    principal = json.loads(az("identity", "create", "-g", "rbac-rg", "-n", "reader-id"))["principalId"]
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rbac-rg"

    made = json.loads(az("role", "assignment", "create", "--assignee-object-id", principal,
                         "--assignee-principal-type", "ServicePrincipal", "--role", "Reader", "--scope", scope))
    assert made["principalId"] == principal and made["scope"] == scope
    assert made["roleDefinitionId"].endswith("/acdd72a7-3385-48ef-bd42-f606fba81ae7")
    listed = json.loads(az("role", "assignment", "list", "--scope", scope, "--fill-principal-name", "false"))
    assert [(a["principalId"], a["roleDefinitionName"]) for a in listed] == [(principal, "Reader")]
    again = run_az_failing(cfg, "role", "assignment", "create", "--assignee-object-id", principal,
                           "--assignee-principal-type", "ServicePrincipal", "--role", "Reader", "--scope", scope)
    assert "RoleAssignmentExists" in again or "already exists" in again, again
    az("role", "assignment", "delete", "--ids", made["id"])
    assert json.loads(az("role", "assignment", "list", "--scope", scope, "--fill-principal-name", "false")) == []

    # A custom role, made with az as the docs make one, then assigned by its name.
    role = {"Name": "Identity Reader", "Description": "Reads user-assigned identities",
            "Actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/read"], "NotActions": [],
            "AssignableScopes": [f"/subscriptions/{SUBSCRIPTION}"]}
    created = json.loads(az("role", "definition", "create", "--role-definition", json.dumps(role)))
    assert created["roleName"] == "Identity Reader" and created["roleType"] == "CustomRole"
    listed = json.loads(az("role", "definition", "list", "--name", "Identity Reader"))
    assert [d["name"] for d in listed] == [created["name"]]
    custom = json.loads(az("role", "assignment", "create", "--assignee-object-id", principal,
                           "--assignee-principal-type", "ServicePrincipal", "--role", "Identity Reader", "--scope", scope))
    assert custom["roleDefinitionId"].endswith(created["name"])


def start_enforcing(tmp_path):
    """A second mi-sim, in the enforce mode, on free ports; returns (process, http, https, CA)."""
    proc = subprocess.Popen([MI_SIM, "serve", "--auth", "enforce", "--port", "0", "--tls-port", "0",
                             "--db", str(tmp_path / "enforce.db")], stdout=subprocess.PIPE, text=True)
    found = {}
    for line in proc.stdout:
        for key, label in (("http", "ARM (http):"), ("https", "ARM (https):"), ("ca", "CA file:")):
            if line.strip().startswith(label):
                found[key] = line.split(label, 1)[1].split()[0]
        if len(found) == 3:
            break
    return proc, found["http"], found["https"].replace("127.0.0.1", "localhost"), found["ca"]


def test_az_r20_in_the_enforce_mode_a_vm_reads_what_its_role_grants(tmp_path):
    proc, http, https, ca = start_enforcing(tmp_path)
    try:
        tls = {"REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca}
        cfg = tmp_path / "az"
        az = lambda *args, **kw: run_az(cfg, *args, env=tls, **kw)  # noqa: E731
        sign_in(az, https)
        az("group", "create", "--name", "vm-rg", "--location", "westeurope")
        az("group", "create", "--name", "other-rg", "--location", "westeurope")
        vm_url = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/vm-rg/providers/Microsoft.Compute/virtualMachines/myVM?api-version=2024-07-01"
        az("rest", "--method", "put", "--url", vm_url, "--body",
           json.dumps({"location": "westeurope", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}}))
        principal = json.loads(az("vm", "identity", "assign", "-g", "vm-rg", "-n", "myVM"))["systemAssignedIdentity"]
        az("role", "assignment", "create", "--assignee-object-id", principal, "--assignee-principal-type",
           "ServicePrincipal", "--role", "Reader", "--scope", f"/subscriptions/{SUBSCRIPTION}/resourceGroups/vm-rg")

        # On the VM: az login --identity, then the seed's walkthrough.
        exports = subprocess.run([MI_SIM, "env", "myVM", "--url", http], capture_output=True, text=True, check=True).stdout
        on_vm = dict(line.removeprefix("export ").replace("'", "").split("=", 1) for line in exports.splitlines())
        on_vm.update(tls)
        vm_cfg = tmp_path / "on-vm"
        run_az(vm_cfg, "cloud", "register", "-n", "mi-sim", "--endpoint-resource-manager", https + "/", env=tls)
        run_az(vm_cfg, "cloud", "set", "-n", "mi-sim", env=tls)
        run_az(vm_cfg, "login", "--identity", env=on_vm)
        found = run_az(vm_cfg, "resource", "list", "-n", "myVM", "--query", "[*].identity.principalId", "--out", "tsv", env=on_vm)
        assert found == principal
        full = {k: v for k, v in os.environ.items() if k not in HOOKS}
        full.update(on_vm, AZURE_CONFIG_DIR=str(vm_cfg))
        refused = subprocess.run([AZ, "resource", "list", "-g", "other-rg"], env=full, capture_output=True, text=True, timeout=180)
        assert refused.returncode != 0 and "AuthorizationFailed" in refused.stderr, refused.stderr

        # azure-identity's ManagedIdentityCredential on the VM: ARM accepts its token.
        from azure.identity import ManagedIdentityCredential
        from azure.mgmt.resource.resources import ResourceManagementClient
        saved = {k: os.environ.get(k) for k in HOOKS}
        try:
            for k in HOOKS:
                os.environ.pop(k, None)
            os.environ.update({k: v for k, v in on_vm.items() if k in HOOKS})
            credential = ManagedIdentityCredential()
            arm = ResourceManagementClient(credential, SUBSCRIPTION, base_url=https,
                                           credential_scopes=[https + "/.default"], connection_verify=ca)
            names = [r.name for r in arm.resources.list_by_resource_group("vm-rg")]
            assert names == ["myVM"]
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    finally:
        proc.terminate()
        proc.wait(timeout=10)
