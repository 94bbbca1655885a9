"""azure-mgmt-resource and azure-mgmt-msi, unmodified, against mi-sim over HTTPS."""
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import Identity, IdentityUpdate
from azure.mgmt.resource.resources import ResourceManagementClient

from conftest import SUBSCRIPTION, TENANT, principals


@pytest.fixture
def resources(credential, arm_kwargs):
    return ResourceManagementClient(credential, SUBSCRIPTION, **arm_kwargs)


@pytest.fixture
def msi(credential, arm_kwargs):
    return ManagedServiceIdentityClient(credential, SUBSCRIPTION, **arm_kwargs)


def test_identity_lifecycle_through_the_sdks(resources, msi):
    group = resources.resource_groups.create_or_update("sdk-rg", {"location": "westeurope", "tags": {"team": "id"}})
    assert group.name == "sdk-rg" and group.location == "westeurope" and group.tags == {"team": "id"}
    assert resources.resource_groups.check_existence("sdk-rg") is True

    created = msi.user_assigned_identities.create_or_update("sdk-rg", "sdk-id", Identity(location="westeurope"))
    assert created.name == "sdk-id"
    assert created.tenant_id == TENANT
    assert created.type == "Microsoft.ManagedIdentity/userAssignedIdentities"
    assert created.id.lower().endswith("/resourcegroups/sdk-rg/providers/microsoft.managedidentity/userassignedidentities/sdk-id")
    # R4: the identity's principal exists in the subscription's tenant.
    sp = {p["objectId"]: p for p in principals()}[created.principal_id]
    assert sp["appId"] == created.client_id and sp["kind"] == "UserAssigned"

    got = msi.user_assigned_identities.get("sdk-rg", "sdk-id")
    assert (got.principal_id, got.client_id) == (created.principal_id, created.client_id)
    assert [i.name for i in msi.user_assigned_identities.list_by_resource_group("sdk-rg")] == ["sdk-id"]
    assert "sdk-id" in [i.name for i in msi.user_assigned_identities.list_by_subscription()]

    updated = msi.user_assigned_identities.update("sdk-rg", "sdk-id", IdentityUpdate(tags={"env": "test"}))
    assert updated.tags == {"env": "test"} and updated.principal_id == created.principal_id

    msi.user_assigned_identities.delete("sdk-rg", "sdk-id")
    with pytest.raises(ResourceNotFoundError) as err:
        msi.user_assigned_identities.get("sdk-rg", "sdk-id")
    assert err.value.error.code == "ResourceNotFound"
    # R5: the principal went with the identity.
    assert created.principal_id not in [p["objectId"] for p in principals()]

    poller = resources.resource_groups.begin_delete("sdk-rg")
    poller.result()
    assert poller.status() == "Succeeded"
    assert resources.resource_groups.check_existence("sdk-rg") is False


def test_group_delete_poller_cascades_to_identities(resources, msi):
    resources.resource_groups.create_or_update("doomed", {"location": "westeurope"})
    msi.user_assigned_identities.create_or_update("doomed", "id-in-doomed", Identity(location="westeurope"))
    resources.resource_groups.begin_delete("doomed").result()
    with pytest.raises(ResourceNotFoundError) as err:
        msi.user_assigned_identities.get("doomed", "id-in-doomed")
    assert err.value.error.code == "ResourceGroupNotFound"
    assert principals() == []


def test_pagers_follow_next_link(resources, msi):
    for i in range(5):
        resources.resource_groups.create_or_update(f"page-{i}", {"location": "westeurope"})
    names = [g.name for g in resources.resource_groups.list(top=2)]
    assert names == [f"page-{i}" for i in range(5)]


def test_sdk_errors_carry_arm_codes(resources, msi):
    with pytest.raises(HttpResponseError) as err:
        resources.resource_groups.create_or_update("bad name!", {"location": "westeurope"})
    assert err.value.status_code == 400 and err.value.error.code == "InvalidResourceGroup"
    resources.resource_groups.create_or_update("rg", {"location": "westeurope"})
    with pytest.raises(HttpResponseError) as err:
        msi.user_assigned_identities.create_or_update("rg", "x", Identity(location="westeurope"))
    assert err.value.error.code == "InvalidResourceName"


def test_subscriptions_and_tenants_through_the_sdk(credential, arm_kwargs):
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    client = SubscriptionClient(credential, **arm_kwargs)
    subs = list(client.subscriptions.list())
    assert [s.subscription_id for s in subs] == [SUBSCRIPTION]
    assert subs[0].tenant_id == TENANT
    assert [t.tenant_id for t in client.tenants.list()] == [TENANT]
    assert "westeurope" in [l.name for l in client.subscriptions.list_locations(SUBSCRIPTION)]
