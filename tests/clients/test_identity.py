"""azure-identity, unmodified: ManagedIdentityCredential "inside" a mi-sim VM (App Service and
IMDS hooks), ClientSecretCredential against mi-sim's Entra over HTTPS; tokens checked with PyJWT
against the published keys."""
import jwt
import pytest
from azure.identity import ClientSecretCredential, ManagedIdentityCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as cm
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import Identity
from azure.mgmt.resource.resources import ResourceManagementClient

from conftest import HTTP, HTTPS, SUBSCRIPTION, TENANT, control

ARM_SCOPE = "https://management.azure.com/.default"
HOOKS = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "MSI_ENDPOINT", "IMDS_ENDPOINT")


def claims_of(token, audience, tenant=TENANT):
    """Verifies a token with PyJWT against the tenant's JWKS, as any relying party would."""
    keys = jwt.PyJWKClient(f"{HTTP}/{tenant}/discovery/v2.0/keys")
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience,
                      issuer=f"https://sts.windows.net/{tenant}/")


@pytest.fixture
def vm(credential, arm_kwargs):
    """A VM with a system identity and one user-assigned identity; returns (vm, identity, instance)."""
    ResourceManagementClient(credential, SUBSCRIPTION, **arm_kwargs).resource_groups.create_or_update(
        "mi-rg", {"location": "westeurope"})
    uai = ManagedServiceIdentityClient(credential, SUBSCRIPTION, **arm_kwargs).user_assigned_identities.create_or_update(
        "mi-rg", "app-id", Identity(location="westeurope"))
    compute = ComputeManagementClient(credential, SUBSCRIPTION, **arm_kwargs)
    vm = compute.virtual_machines.begin_create_or_update("mi-rg", "app-vm", cm.VirtualMachine(
        location="westeurope",
        identity=cm.VirtualMachineIdentity(type="SystemAssigned, UserAssigned",
                                           user_assigned_identities={uai.id: cm.UserAssignedIdentitiesValue()}),
        hardware_profile=cm.HardwareProfile(vm_size="Standard_B1s"),
    )).result()
    instance = control("GET", f"/simulator/instances?resourceId={vm.id}")["value"][0]
    return vm, uai, instance


@pytest.fixture
def on_instance(monkeypatch):
    """Puts this process "on" an instance by setting the variables mi-sim lists for it."""
    def enter(instance, only=None):
        for name in HOOKS:
            monkeypatch.delenv(name, raising=False)
        for name, value in instance["env"].items():
            if only is None or name in only:
                monkeypatch.setenv(name, value)
    return enter


def test_managed_identity_credential_through_identity_endpoint(vm, on_instance):
    machine, uai, instance = vm
    on_instance(instance, only=("IDENTITY_ENDPOINT", "IDENTITY_HEADER"))

    system = ManagedIdentityCredential().get_token(ARM_SCOPE)
    user = ManagedIdentityCredential(client_id=uai.client_id).get_token(ARM_SCOPE)

    assert claims_of(system.token, "https://management.azure.com")["oid"] == machine.identity.principal_id
    user_claims = claims_of(user.token, "https://management.azure.com")
    assert user_claims["oid"] == uai.principal_id and user_claims["appid"] == uai.client_id
    assert user.expires_on > system.expires_on - 60


def test_managed_identity_credential_through_the_imds_host(vm, on_instance):
    machine, uai, instance = vm
    on_instance(instance, only=("AZURE_POD_IDENTITY_AUTHORITY_HOST",))

    system = ManagedIdentityCredential().get_token(ARM_SCOPE)
    user = ManagedIdentityCredential(client_id=uai.client_id).get_token("https://vault.azure.net/.default")

    assert claims_of(system.token, "https://management.azure.com")["oid"] == machine.identity.principal_id
    assert claims_of(user.token, "https://vault.azure.net")["oid"] == uai.principal_id


def test_client_secret_credential_signs_in_to_mi_sim_entra_and_drives_an_sdk(arm_kwargs):
    app = control("GET", f"/simulator/tenants/{TENANT}/applications")["value"][0]
    credential = ClientSecretCredential(TENANT, app["appId"], app["clientSecret"],
                                        authority=HTTPS, disable_instance_discovery=True)

    token = credential.get_token(f"{HTTPS}/.default")
    assert claims_of(token.token, HTTPS)["appid"] == app["appId"]

    msi = ManagedServiceIdentityClient(credential, SUBSCRIPTION, **arm_kwargs)
    ResourceManagementClient(credential, SUBSCRIPTION, **arm_kwargs).resource_groups.create_or_update(
        "cred-rg", {"location": "westeurope"})
    made = msi.user_assigned_identities.create_or_update("cred-rg", "made-by-app", Identity(location="westeurope"))
    assert made.tenant_id == TENANT

    wrong = ClientSecretCredential(TENANT, app["appId"], "not-the-secret", authority=HTTPS, disable_instance_discovery=True)
    with pytest.raises(Exception) as refused:
        wrong.get_token(f"{HTTPS}/.default")
    assert "AADSTS7000215" in str(refused.value)
