"""azure-mgmt-resource's move pollers, unmodified, against mi-sim: validate, move, and a refused
move (R15's setup: an identity moved away from the VM that names it)."""
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import Identity
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources.models import ResourcesMoveInfo

from conftest import SUBSCRIPTION


@pytest.fixture
def clients(credential, arm_kwargs):
    resources = ResourceManagementClient(credential, SUBSCRIPTION, **arm_kwargs)
    for group in ("move-src", "move-dst"):
        resources.resource_groups.create_or_update(group, {"location": "westeurope"})
    return resources, ManagedServiceIdentityClient(credential, SUBSCRIPTION, **arm_kwargs)


def test_validate_then_move_through_the_sdk_pollers(clients):
    resources, msi = clients
    made = msi.user_assigned_identities.create_or_update("move-src", "mover", Identity(location="westeurope"))
    target = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/move-dst"
    info = ResourcesMoveInfo(resources=[made.id], target_resource_group=target)

    resources.resources.begin_validate_move_resources("move-src", info).result()
    assert msi.user_assigned_identities.get("move-src", "mover").principal_id == made.principal_id

    resources.resources.begin_move_resources("move-src", info).result()
    moved = msi.user_assigned_identities.get("move-dst", "mover")
    assert moved.principal_id == made.principal_id
    assert "/resourcegroups/move-dst/" in moved.id.lower()
    with pytest.raises(HttpResponseError) as gone:
        msi.user_assigned_identities.get("move-src", "mover")
    assert gone.value.status_code == 404
    listed = [r.name for r in resources.resources.list_by_resource_group("move-dst")]
    assert listed == ["mover"]


def test_a_refused_move_raises_with_arms_code_and_moves_nothing(clients):
    resources, msi = clients
    made = msi.user_assigned_identities.create_or_update("move-src", "stay", Identity(location="westeurope"))
    same = ResourcesMoveInfo(resources=[made.id], target_resource_group=f"/subscriptions/{SUBSCRIPTION}/resourceGroups/move-src")
    with pytest.raises(HttpResponseError) as refused:
        resources.resources.begin_move_resources("move-src", same).result()
    assert refused.value.status_code == 400
    assert refused.value.error.code == "InvalidResourceMoveRequest"
    assert msi.user_assigned_identities.get("move-src", "stay").id == made.id
