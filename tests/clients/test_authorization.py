"""azure-mgmt-authorization, unmodified, against mi-sim: role definitions by name, and role
assignments created, read, listed with filters and deleted, with Azure's refusals."""
import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import Identity
from azure.mgmt.resource.resources import ResourceManagementClient

from conftest import SUBSCRIPTION


@pytest.fixture
def clients(credential, arm_kwargs):
    ResourceManagementClient(credential, SUBSCRIPTION, **arm_kwargs).resource_groups.create_or_update(
        "auth-rg", {"location": "westeurope"})
    return (AuthorizationManagementClient(credential, SUBSCRIPTION, **arm_kwargs),
            ManagedServiceIdentityClient(credential, SUBSCRIPTION, **arm_kwargs))


def test_role_assignments_through_the_sdk(clients):
    auth, msi = clients
    principal = msi.user_assigned_identities.create_or_update("auth-rg", "granted", Identity(location="westeurope")).principal_id
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/auth-rg"
    reader = next(iter(auth.role_definitions.list(scope, filter="roleName eq 'Reader'")))
    assert reader.role_name == "Reader" and reader.name == "acdd72a7-3385-48ef-bd42-f606fba81ae7"

    # The model's principalType defaults to User, which Azure checks against the directory.
    with pytest.raises(HttpResponseError) as unmatched:
        auth.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
            role_definition_id=reader.id, principal_id=principal))
    assert unmatched.value.error.code == "UnmatchedPrincipalType"
    name = str(uuid.uuid4())
    made = auth.role_assignments.create(scope, name, RoleAssignmentCreateParameters(
        role_definition_id=reader.id, principal_id=principal, principal_type="ServicePrincipal"))
    assert made.principal_id == principal and made.scope == scope and made.principal_type == "ServicePrincipal"
    assert auth.role_assignments.get(scope, name).id == made.id
    mine = list(auth.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal}'"))
    assert [a.name for a in mine] == [name]

    with pytest.raises(HttpResponseError) as exists:
        auth.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
            role_definition_id=reader.id, principal_id=principal, principal_type="ServicePrincipal"))
    assert exists.value.status_code == 409 and exists.value.error.code == "RoleAssignmentExists"
    with pytest.raises(HttpResponseError) as unknown:
        auth.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
            role_definition_id=reader.id, principal_id=str(uuid.uuid4()), principal_type=None))
    assert unknown.value.status_code == 400 and unknown.value.error.code == "PrincipalNotFound"

    deleted = auth.role_assignments.delete(scope, name)
    assert deleted.name == name
    assert list(auth.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal}'")) == []
