"""Template deployments with the real clients: azure-mgmt-resource-deployments (create, what-if,
validate, operations, export) and az CLI (`az deployment group create/what-if/validate`, then
`az group export` redeployed into another group), unmodified, against mi-sim."""
import json

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.deployments import DeploymentsMgmtClient
from azure.mgmt.resource.resources import ResourceManagementClient

from conftest import SUBSCRIPTION, principals
from test_az import run_az, sign_in_to_mi_sim

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

# An identity, a VM with a system-assigned identity, and Reader for the VM's identity on the
# group, wired by reference() as a user's template would be.
TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"identityName": {"type": "string"}, "location": {"type": "string", "defaultValue": "[resourceGroup().location]"}},
    "variables": {"reader": f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{READER}')]"},
    "resources": [
        {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
         "name": "[parameters('identityName')]", "location": "[parameters('location')]"},
        {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01", "name": "vm1",
         "location": "[parameters('location')]", "identity": {"type": "SystemAssigned"},
         "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}},
        {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
         "name": "[guid(resourceGroup().id, 'vm1', variables('reader'))]",
         "dependsOn": ["[resourceId('Microsoft.Compute/virtualMachines', 'vm1')]"],
         "properties": {"roleDefinitionId": "[variables('reader')]", "principalType": "ServicePrincipal",
                        "principalId": "[reference(resourceId('Microsoft.Compute/virtualMachines', 'vm1'), '2024-07-01', 'Full').identity.principalId]"}},
    ],
    "outputs": {
        "identityPrincipal": {"type": "string", "value": "[reference(parameters('identityName')).principalId]"},
        "vmPrincipal": {"type": "string", "value": "[reference('vm1', '2024-07-01', 'Full').identity.principalId]"},
    },
}


@pytest.fixture
def clients(credential, arm_kwargs):
    resources = ResourceManagementClient(credential, SUBSCRIPTION, **arm_kwargs)
    resources.resource_groups.create_or_update("dep-rg", {"location": "westeurope"})
    return resources, DeploymentsMgmtClient(credential, SUBSCRIPTION, **arm_kwargs)


def body(template, mode="Incremental", **parameters):
    return {"properties": {"mode": mode, "template": template,
                           "parameters": {k: {"value": v} for k, v in parameters.items()}}}


def test_r1_r4_the_sdk_deploys_a_template_and_reads_its_outputs_and_operations(clients):
    resources, deployments = clients
    done = deployments.deployments.begin_create_or_update("dep-rg", "wiring", body(TEMPLATE, identityName="app-id")).result()
    assert done.properties.provisioning_state == "Succeeded"
    made = {p["displayName"]: p["objectId"] for p in principals()}
    # R1/R4: each identity got its principal, and the outputs name them.
    assert done.properties.outputs["identityPrincipal"]["value"] == made["app-id"]
    assert done.properties.outputs["vmPrincipal"]["value"] == made["vm1"]
    assert sorted(r.name for r in resources.resources.list_by_resource_group("dep-rg")) == ["app-id", "vm1"]
    # The operations name each resource, as Ansible and the portal read them.
    ops = list(deployments.deployment_operations.list("dep-rg", "wiring"))
    kinds = sorted(o.properties.target_resource.resource_type for o in ops if o.properties.target_resource)
    assert kinds == ["Microsoft.Authorization/roleAssignments", "Microsoft.Compute/virtualMachines",
                     "Microsoft.ManagedIdentity/userAssignedIdentities"]
    assert all(o.properties.provisioning_state == "Succeeded" for o in ops)
    assert [d.name for d in deployments.deployments.list_by_resource_group("dep-rg")] == ["wiring"]
    exported = deployments.deployments.export_template("dep-rg", "wiring").template
    assert exported["resources"] == TEMPLATE["resources"]


def test_the_sdk_what_if_and_validate_change_nothing(clients):
    resources, deployments = clients
    planned = deployments.deployments.begin_what_if("dep-rg", "plan", body(TEMPLATE, identityName="app-id")).result()
    assert planned.status == "Succeeded"
    assert sorted(c.change_type for c in planned.changes) == ["Create", "Create", "Create"]
    checked = deployments.deployments.begin_validate("dep-rg", "check", body(TEMPLATE, identityName="app-id")).result()
    assert checked.properties.provisioning_state == "Succeeded"
    assert list(resources.resources.list_by_resource_group("dep-rg")) == []
    assert principals() == []
    # A template mi-sim cannot evaluate is refused before anything is made.
    broken = json.loads(json.dumps(TEMPLATE).replace("[parameters('identityName')]", "[parameters('nope')]"))
    with pytest.raises(HttpResponseError) as refused:
        deployments.deployments.begin_create_or_update("dep-rg", "broken", body(broken, identityName="x")).result()
    assert refused.value.status_code == 400
    assert refused.value.error.code == "InvalidTemplate"
    assert "nope" in refused.value.error.message
    assert list(resources.resources.list_by_resource_group("dep-rg")) == []


def test_az_deploys_plans_validates_and_redeploys_an_exported_group(tmp_path):
    cfg = tmp_path / "az"
    az = lambda *args: run_az(cfg, *args)  # noqa: E731
    sign_in_to_mi_sim(cfg)
    template = tmp_path / "main.json"
    template.write_text(json.dumps(TEMPLATE))
    az("group", "create", "--name", "az-rg", "--location", "westeurope")

    az("deployment", "group", "validate", "-g", "az-rg", "--template-file", str(template), "--parameters", "identityName=az-id")
    plan = json.loads(az("deployment", "group", "what-if", "-g", "az-rg", "--template-file", str(template),
                         "--parameters", "identityName=az-id", "--no-pretty-print"))
    assert sorted(c["changeType"] for c in plan["changes"]) == ["Create", "Create", "Create"]
    assert principals() == []

    out = json.loads(az("deployment", "group", "create", "-g", "az-rg", "--name", "wiring", "--template-file", str(template),
                        "--parameters", "identityName=az-id", "--query", "properties.outputs"))
    made = {p["displayName"]: p["objectId"] for p in principals()}
    assert out["identityPrincipal"]["value"] == made["az-id"]
    assert out["vmPrincipal"]["value"] == made["vm1"]
    assert az("deployment", "group", "show", "-g", "az-rg", "-n", "wiring", "--query", "properties.provisioningState", "-o", "tsv") == "Succeeded"
    # A second run is all NoChange (the role assignment is the same guid()).
    again = json.loads(az("deployment", "group", "what-if", "-g", "az-rg", "--template-file", str(template),
                          "--parameters", "identityName=az-id", "--no-pretty-print"))
    assert {c["changeType"] for c in again["changes"]} <= {"NoChange", "Ignore"}, again

    # Export the group and deploy the export into another group: new identities, new principals.
    exported = tmp_path / "exported.json"
    exported.write_text(az("group", "export", "--name", "az-rg", "--skip-all-params"))
    az("group", "create", "--name", "az-rg2", "--location", "westeurope")
    az("deployment", "group", "create", "-g", "az-rg2", "--template-file", str(exported))
    names = sorted(json.loads(az("resource", "list", "-g", "az-rg2", "--query", "[].name")))
    assert names == ["az-id", "vm1"]
    assert len(principals()) == 4
