"""azure-mgmt-compute and azure-mgmt-containerinstance, unmodified, against mi-sim over HTTPS."""
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as cm
from azure.mgmt.containerinstance import ContainerInstanceManagementClient
from azure.mgmt.containerinstance import models as aci
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import Identity
from azure.mgmt.resource.resources import ResourceManagementClient

from conftest import SUBSCRIPTION, TENANT, principals


@pytest.fixture
def clients(credential, arm_kwargs):
    resources = ResourceManagementClient(credential, SUBSCRIPTION, **arm_kwargs)
    resources.resource_groups.create_or_update("vm-rg", {"location": "westeurope"})
    return (
        resources,
        ManagedServiceIdentityClient(credential, SUBSCRIPTION, **arm_kwargs),
        ComputeManagementClient(credential, SUBSCRIPTION, **arm_kwargs),
        ContainerInstanceManagementClient(credential, SUBSCRIPTION, **arm_kwargs),
    )


def vm_body(identity):
    return cm.VirtualMachine(
        location="westeurope",
        identity=identity,
        hardware_profile=cm.HardwareProfile(vm_size="Standard_B1s"),
        storage_profile=cm.StorageProfile(image_reference=cm.ImageReference(
            publisher="Canonical", offer="ubuntu-24_04-lts", sku="server", version="latest")),
        os_profile=cm.OSProfile(computer_name="sdkvm", admin_username="azureuser", admin_password="S3cret!pass"),
        network_profile=cm.NetworkProfile(network_interfaces=[cm.NetworkInterfaceReference(
            id=f"/subscriptions/{SUBSCRIPTION}/resourceGroups/vm-rg/providers/Microsoft.Network/networkInterfaces/nic1")]),
    )


def power_state(compute):
    view = compute.virtual_machines.instance_view("vm-rg", "sdk-vm")
    return [s.code for s in view.statuses if s.code.startswith("PowerState/")][0]


def test_vm_with_both_identity_kinds_update_and_power_through_the_pollers(clients):
    resources, msi, compute, _ = clients
    uai = msi.user_assigned_identities.create_or_update("vm-rg", "vm-id", Identity(location="westeurope"))

    vm = compute.virtual_machines.begin_create_or_update(
        "vm-rg", "sdk-vm", vm_body(cm.VirtualMachineIdentity(
            type="SystemAssigned, UserAssigned", user_assigned_identities={uai.id: cm.UserAssignedIdentitiesValue()}))
    ).result()

    assert vm.provisioning_state == "Succeeded" and vm.vm_id
    assert vm.identity.type == "SystemAssigned, UserAssigned"
    assert vm.identity.tenant_id == TENANT
    entry = vm.identity.user_assigned_identities[uai.id]
    assert (entry.principal_id, entry.client_id) == (uai.principal_id, uai.client_id)
    system = vm.identity.principal_id
    assert {p["objectId"]: p["kind"] for p in principals()}[system] == "SystemAssigned"  # R1

    # PATCH: drop the system identity (R3), keep the user-assigned one.
    updated = compute.virtual_machines.begin_update(
        "vm-rg", "sdk-vm", cm.VirtualMachineUpdate(identity=cm.VirtualMachineIdentity(type="UserAssigned"), tags={"env": "sdk"})
    ).result()
    assert updated.identity.type == "UserAssigned" and updated.identity.principal_id is None
    assert list(updated.identity.user_assigned_identities) == [uai.id]
    assert updated.tags == {"env": "sdk"}
    assert system not in [p["objectId"] for p in principals()]

    compute.virtual_machines.begin_power_off("vm-rg", "sdk-vm").result()
    assert power_state(compute) == "PowerState/stopped"
    compute.virtual_machines.begin_start("vm-rg", "sdk-vm").result()
    assert power_state(compute) == "PowerState/running"
    assert [v.name for v in compute.virtual_machines.list("vm-rg")] == ["sdk-vm"]

    # az resource list -n sdk-vm, through the SDK it wraps.
    found = list(resources.resources.list(filter="name eq 'sdk-vm'"))
    assert [r.type for r in found] == ["Microsoft.Compute/virtualMachines"]
    assert found[0].identity.type == "UserAssigned"

    with pytest.raises(HttpResponseError) as missing:
        compute.virtual_machines.begin_update(
            "vm-rg", "sdk-vm",
            cm.VirtualMachineUpdate(identity=cm.VirtualMachineIdentity(
                type="UserAssigned",
                user_assigned_identities={uai.id.replace("vm-id", "nope-id"): cm.UserAssignedIdentitiesValue()})),
        ).result()
    assert missing.value.error.code == "FailedIdentityOperation"

    compute.virtual_machines.begin_delete("vm-rg", "sdk-vm").result()
    assert [p["objectId"] for p in principals()] == [uai.principal_id]  # R2 and R5


def test_container_group_with_a_user_assigned_identity_as_the_docs_walk_through(clients):
    _, msi, _, containers = clients
    uai = msi.user_assigned_identities.create_or_update("vm-rg", "aci-id", Identity(location="westeurope"))
    group = aci.ContainerGroup(
        location="westeurope",
        identity=aci.ContainerGroupIdentity(type="UserAssigned", user_assigned_identities={uai.id: {}}),
        containers=[aci.Container(
            name="mycontainer",
            image="mcr.microsoft.com/azure-cli",
            command=["tail", "-f", "/dev/null"],
            resources=aci.ResourceRequirements(requests=aci.ResourceRequests(cpu=1, memory_in_gb=1.5)),
        )],
        os_type="Linux",
        restart_policy="Always",
    )

    created = containers.container_groups.begin_create_or_update("vm-rg", "mycontainergroup", group).result()

    assert created.provisioning_state == "Succeeded"
    assert created.identity.user_assigned_identities[uai.id].principal_id == uai.principal_id
    assert created.instance_view.state == "Running"
    containers.container_groups.stop("vm-rg", "mycontainergroup")
    assert containers.container_groups.get("vm-rg", "mycontainergroup").instance_view.state == "Stopped"
    containers.container_groups.begin_start("vm-rg", "mycontainergroup").result()
    assert containers.container_groups.get("vm-rg", "mycontainergroup").instance_view.state == "Running"

    # Windows with an identity: refused while R16 is on.
    group.os_type = "Windows"
    with pytest.raises(HttpResponseError) as refused:
        containers.container_groups.begin_create_or_update("vm-rg", "wingroup", group).result()
    assert refused.value.error.code == "IdentityNotSupportedOnWindows"

    containers.container_groups.begin_delete("vm-rg", "mycontainergroup").result()
    assert [g.name for g in containers.container_groups.list_by_resource_group("vm-rg")] == []
