//! The enforce mode (`--auth enforce`): ARM's 401s and 403s, the bootstrapped application's
//! Owner role, and R12, R13, R19 and R20 end to end with real tokens: an application's from
//! Entra, a VM's from its instance metadata endpoint.
use crate::helpers::{read, spawn_app_with, Resp, TestApp, RG_API};
use crate::imds::{imds, ARM};
use mi_sim::domain::authorization::Mode;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const VM_CONTRIBUTOR: &str = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c";

async fn enforcing() -> TestApp {
    spawn_app_with(tempfile::tempdir().unwrap(), |s| s.auth = Mode::Enforce).await
}

/// The bootstrapped application's token for `scope` (client credentials).
async fn app_token(app: &TestApp, scope: &str) -> String {
    let r = app
        .client
        .post(format!("{}/{}/oauth2/v2.0/token", app.address, app.tenant))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "44444444-4444-4444-8444-444444444444"),
            ("client_secret", "mi-sim~well-known-client-secret"),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    let r = read(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["access_token"].as_str().unwrap().to_string()
}

async fn call_as(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.unwrap()).await
}

fn grant_body(app: &TestApp, role: &str, principal: &str) -> Value {
    json!({"properties": {"roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{role}", app.sub),
                          "principalId": principal, "principalType": "ServicePrincipal"}})
}

fn assignment(scope: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
        uuid::Uuid::new_v4()
    )
}

#[tokio::test]
async fn enforce_refuses_calls_without_a_valid_token_with_arms_401s() {
    let app = enforcing().await;
    let path = app.group_path("rg1");
    let none = app.call(Method::GET, &path, None).await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::UNAUTHORIZED, "AuthenticationFailed")
    );
    let challenge = none.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with(&format!(
            "Bearer authorization_uri=\"https://login.windows.net/{}\"",
            app.tenant
        )),
        "{challenge}"
    );
    let bad = call_as(&app, "not-a-token", Method::GET, &path, None).await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken")
    );
    let wrong_audience = app_token(&app, "api://something-else/.default").await;
    let r = call_as(&app, &wrong_audience, Method::GET, &path, None).await;
    assert_eq!(
        (r.status, r.code()),
        (
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationTokenAudience"
        ),
        "{}",
        r.body
    );
    let token = app_token(&app, &format!("{ARM}.default")).await;
    app.call(
        Method::POST,
        "/simulator/clock/advance",
        Some(json!({"seconds": 7200})),
    )
    .await;
    let expired = call_as(&app, &token, Method::GET, &path, None).await;
    assert_eq!(
        (expired.status, expired.code()),
        (StatusCode::UNAUTHORIZED, "ExpiredAuthenticationToken")
    );
    // The control API, the instance endpoints and Entra stay open.
    assert_eq!(
        app.call(Method::GET, "/simulator/settings", None)
            .await
            .body["auth"],
        "enforce"
    );
}

#[tokio::test]
async fn enforce_the_bootstrapped_application_is_owner_of_the_default_subscription() {
    let app = enforcing().await;
    let token = app_token(&app, &format!("{ARM}.default")).await;
    let made = call_as(
        &app,
        &token,
        Method::PUT,
        &app.group_path("rg1"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = call_as(
        &app,
        &token,
        Method::PUT,
        &app.identity_path("rg1", "id-a"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    assert_eq!(id.status, StatusCode::CREATED, "{}", id.body);
    let subs = call_as(
        &app,
        &token,
        Method::GET,
        "/subscriptions?api-version=2022-12-01",
        None,
    )
    .await;
    assert_eq!(subs.status, StatusCode::OK);
}

/// rg1 with a VM whose system identity holds `role` on rg1, and rg2 beside it; returns the
/// application's token, the VM's instance id and its principal.
async fn vm_with_role(app: &TestApp, role: &str) -> (String, String, String) {
    let token = app_token(app, &format!("{ARM}.default")).await;
    for rg in ["rg1", "rg2"] {
        call_as(
            app,
            &token,
            Method::PUT,
            &app.group_path(rg),
            Some(json!({"location": "westeurope"})),
        )
        .await;
    }
    let vm = call_as(
        app,
        &token,
        Method::PUT,
        &app.vm_path("rg1", "vm1", ""),
        Some(json!({"location": "westeurope", "identity": {"type": "SystemAssigned"}})),
    )
    .await;
    assert_eq!(vm.status, StatusCode::CREATED, "{}", vm.body);
    let principal = vm.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let granted = call_as(
        app,
        &token,
        Method::PUT,
        &assignment(&app.group_id("rg1")),
        Some(grant_body(app, role, &principal)),
    )
    .await;
    assert_eq!(granted.status, StatusCode::CREATED, "{}", granted.body);
    (
        token,
        vm.body["properties"]["vmId"].as_str().unwrap().to_string(),
        principal,
    )
}

async fn vm_token(app: &TestApp, instance: &str) -> String {
    let r = imds(
        app,
        instance,
        &format!("api-version=2018-02-01&resource={ARM}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn r19_r20_a_vm_identity_granted_reader_reads_its_group_and_nothing_else() {
    let app = enforcing().await;
    let (admin, instance, principal) = vm_with_role(&app, READER).await;
    let mi = vm_token(&app, &instance).await;

    // R20: the seed's walkthrough, `az resource list -n vm1 --query [*].identity.principalId`.
    let listed = call_as(
        &app,
        &mi,
        Method::GET,
        &format!(
            "/subscriptions/{}/resources?api-version={RG_API}&$filter=name eq 'vm1'",
            app.sub
        ),
        None,
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(
        listed.body["value"][0]["identity"]["principalId"],
        principal
    );
    let in_group = call_as(
        &app,
        &mi,
        Method::GET,
        &format!("{}/resources?api-version={RG_API}", app.group_id("rg1")),
        None,
    )
    .await;
    assert_eq!(in_group.status, StatusCode::OK);

    // Reader does not write, and grants nothing on rg2.
    let write = call_as(
        &app,
        &mi,
        Method::PUT,
        &app.identity_path("rg1", "id-b"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    assert_eq!(
        (write.status, write.code()),
        (StatusCode::FORBIDDEN, "AuthorizationFailed"),
        "{}",
        write.body
    );
    let message = write.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'Microsoft.ManagedIdentity/userAssignedIdentities/write'")
            && message.contains(&principal),
        "{message}"
    );
    let other = call_as(
        &app,
        &mi,
        Method::GET,
        &format!("{}/resources?api-version={RG_API}", app.group_id("rg2")),
        None,
    )
    .await;
    assert_eq!(
        (other.status, other.code()),
        (StatusCode::FORBIDDEN, "AuthorizationFailed")
    );
    let hidden = call_as(
        &app,
        &admin,
        Method::PUT,
        &app.identity_path("rg2", "elsewhere"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    assert_eq!(hidden.status, StatusCode::CREATED);
    let listed = call_as(
        &app,
        &mi,
        Method::GET,
        &format!("/subscriptions/{}/resources?api-version={RG_API}", app.sub),
        None,
    )
    .await;
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["vm1"],
        "the subscription list shows only what it may read"
    );
    let groups = call_as(
        &app,
        &mi,
        Method::GET,
        &format!(
            "/subscriptions/{}/resourcegroups?api-version={RG_API}",
            app.sub
        ),
        None,
    )
    .await;
    let groups: Vec<&str> = groups.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["rg1"], "nor does the group list");
    let identities = call_as(&app, &mi, Method::GET, &format!("/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31", app.sub), None).await;
    assert_eq!(
        identities.body["value"],
        json!([]),
        "rg2's identity is not shown: {}",
        identities.body
    );
    let vms = call_as(
        &app,
        &mi,
        Method::GET,
        &format!(
            "/subscriptions/{}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01",
            app.sub
        ),
        None,
    )
    .await;
    assert_eq!(
        vms.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        vms.body
    );

    // R19 (and R3): disabled and enabled again, the identity is a new principal without the grant.
    call_as(
        &app,
        &admin,
        Method::PATCH,
        &app.vm_path("rg1", "vm1", ""),
        Some(json!({"identity": {"type": "None"}})),
    )
    .await;
    call_as(
        &app,
        &admin,
        Method::PATCH,
        &app.vm_path("rg1", "vm1", ""),
        Some(json!({"identity": {"type": "SystemAssigned"}})),
    )
    .await;
    let fresh = vm_token(&app, &instance).await;
    let refused = call_as(
        &app,
        &fresh,
        Method::GET,
        &format!("{}/resources?api-version={RG_API}", app.group_id("rg1")),
        None,
    )
    .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "AuthorizationFailed")
    );
}

#[tokio::test]
async fn r12_a_token_from_another_tenant_is_refused_by_the_subscription() {
    let app = enforcing().await;
    let (_, instance, _) = vm_with_role(&app, READER).await;
    let mi = vm_token(&app, &instance).await;
    let other = app.create_tenant().await;
    let far = "44444444-4444-4444-8444-444444444444";
    app.call(
        Method::PUT,
        &format!("/simulator/subscriptions/{far}"),
        Some(json!({"tenantId": other})),
    )
    .await;
    let r = call_as(
        &app,
        &mi,
        Method::GET,
        &format!("/subscriptions/{far}/resourcegroups?api-version={RG_API}"),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "InvalidAuthenticationTokenTenant"),
        "{}",
        r.body
    );
    assert!(r.header("www-authenticate").unwrap().contains(&other));
}

#[tokio::test]
async fn r13_assigning_a_user_assigned_identity_needs_managed_identity_operator_over_it() {
    let app = enforcing().await;
    let (admin, instance, principal) = vm_with_role(&app, VM_CONTRIBUTOR).await;
    let operator = vm_token(&app, &instance).await;
    let made = call_as(
        &app,
        &admin,
        Method::PUT,
        &app.identity_path("rg2", "id-x"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let id = app.identity_id("rg2", "id-x");
    let attach = json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {id.clone(): {}}}});
    let refused = call_as(
        &app,
        &operator,
        Method::PATCH,
        &app.vm_path("rg1", "vm1", ""),
        Some(attach.clone()),
    )
    .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "LinkedAuthorizationFailed"),
        "{}",
        refused.body
    );
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("assign/action") && message.contains(&id),
        "{message}"
    );
    let vm = call_as(
        &app,
        &admin,
        Method::GET,
        &app.vm_path("rg1", "vm1", ""),
        None,
    )
    .await;
    assert_eq!(
        vm.body["identity"]["type"], "SystemAssigned",
        "nothing changed"
    );
    let journal = app.call(Method::GET, "/simulator/journal", None).await;
    let refusal = journal.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["rule"] == "R13")
        .cloned()
        .expect("the journal names R13");
    assert_eq!(
        (refusal["status"].clone(), refusal["detail"].clone()),
        (json!(403), json!("LinkedAuthorizationFailed"))
    );
    assert!(
        refusal["caller"].as_str().unwrap().starts_with(&principal),
        "{refusal}"
    );

    let operator_role = json!({"properties": {"roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/f1a07417-d97a-45cb-824c-7a7467783830", app.sub),
                                              "principalId": principal, "principalType": "ServicePrincipal"}});
    let scope = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x",
        app.group_id("rg2")
    );
    let g = call_as(
        &app,
        &admin,
        Method::PUT,
        &assignment(&scope),
        Some(operator_role),
    )
    .await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    let ok = call_as(
        &app,
        &operator,
        Method::PATCH,
        &app.vm_path("rg1", "vm1", ""),
        Some(attach),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn enforce_a_deleted_assignment_stops_granting_at_once() {
    let app = enforcing().await;
    let (admin, instance, principal) = vm_with_role(&app, READER).await;
    let mi = vm_token(&app, &instance).await;
    let path = format!("{}/resources?api-version={RG_API}", app.group_id("rg1"));
    assert_eq!(
        call_as(&app, &mi, Method::GET, &path, None).await.status,
        StatusCode::OK
    );
    let list = call_as(
        &app,
        &admin,
        Method::GET,
        &format!(
            "{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=principalId eq '{principal}'",
            app.group_id("rg1")
        ),
        None,
    )
    .await;
    let id = list.body["value"][0]["id"].as_str().unwrap().to_string();
    let deleted = call_as(
        &app,
        &admin,
        Method::DELETE,
        &format!("{id}?api-version=2022-04-01"),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(
        call_as(&app, &mi, Method::GET, &path, None).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn enforce_a_custom_role_grants_exactly_its_actions() {
    let app = enforcing().await;
    let admin = app_token(&app, &format!("{ARM}.default")).await;
    for rg in ["rg1"] {
        call_as(
            &app,
            &admin,
            Method::PUT,
            &app.group_path(rg),
            Some(json!({"location": "westeurope"})),
        )
        .await;
    }
    let vm = call_as(
        &app,
        &admin,
        Method::PUT,
        &app.vm_path("rg1", "vm1", ""),
        Some(json!({"location": "westeurope", "identity": {"type": "SystemAssigned"}})),
    )
    .await;
    let principal = vm.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let role = "44444444-dddd-4ddd-8ddd-444444444444";
    let sub = format!("/subscriptions/{}", app.sub);
    let def = json!({"properties": {"roleName": "Identity Writer", "permissions": [{"actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/write"]}],
                                    "assignableScopes": [sub]}});
    let made = call_as(
        &app,
        &admin,
        Method::PUT,
        &format!(
            "{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}?api-version=2022-04-01"
        ),
        Some(def),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let granted = call_as(
        &app,
        &admin,
        Method::PUT,
        &assignment(&app.group_id("rg1")),
        Some(grant_body(&app, role, &principal)),
    )
    .await;
    assert_eq!(granted.status, StatusCode::CREATED, "{}", granted.body);
    let mi = vm_token(&app, vm.body["properties"]["vmId"].as_str().unwrap()).await;
    let write = call_as(
        &app,
        &mi,
        Method::PUT,
        &app.identity_path("rg1", "made-by-vm"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    assert_eq!(write.status, StatusCode::CREATED, "{}", write.body);
    let read = call_as(
        &app,
        &mi,
        Method::GET,
        &app.identity_path("rg1", "made-by-vm"),
        None,
    )
    .await;
    assert_eq!(
        (read.status, read.code()),
        (StatusCode::FORBIDDEN, "AuthorizationFailed"),
        "the role grants write, not read"
    );
}

/// A deployment acts as its caller: each resource is written with the caller's token, so a
/// caller allowed to deploy and to write VMs, but not identities, gets its VM and a Failed
/// deployment naming the identity's AuthorizationFailed. A Reader may not deploy at all.
#[tokio::test]
async fn enforce_a_deployment_writes_each_resource_as_its_caller() {
    let app = enforcing().await;
    let (admin, instance, _) = vm_with_role(&app, VM_CONTRIBUTOR).await;
    let mi = vm_token(&app, &instance).await;
    let deployment = |name: &str| {
        format!(
            "{}/providers/Microsoft.Resources/deployments/{name}?api-version=2024-03-01",
            app.group_id("rg1")
        )
    };
    let template = json!({"properties": {"mode": "Incremental", "template": {"resources": [
        {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01", "name": "vm2",
         "location": "westeurope", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}},
        {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
         "name": "not-allowed", "location": "westeurope"}]}}});
    let started = call_as(
        &app,
        &mi,
        Method::PUT,
        &deployment("vm-only"),
        Some(template.clone()),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let mut done = started;
    for _ in 0..400 {
        done = call_as(&app, &mi, Method::GET, &deployment("vm-only"), None).await;
        if !matches!(
            done.body["properties"]["provisioningState"].as_str(),
            Some("Accepted" | "Running")
        ) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        done.body["properties"]["provisioningState"], "Failed",
        "{}",
        done.body
    );
    let details = done.body["properties"]["error"]["details"]
        .as_array()
        .unwrap();
    assert_eq!(details.len(), 1, "{details:?}");
    assert_eq!(details[0]["code"], "AuthorizationFailed", "{details:?}");
    assert!(
        details[0]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.ManagedIdentity/userAssignedIdentities/write"),
        "{details:?}"
    );
    let vm2 = call_as(
        &app,
        &admin,
        Method::GET,
        &app.vm_path("rg1", "vm2", ""),
        None,
    )
    .await;
    assert_eq!(vm2.status, StatusCode::OK, "{}", vm2.body);
    let identity = call_as(&app, &admin, Method::GET, &format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/not-allowed?api-version=2023-01-31", app.group_id("rg1")), None).await;
    assert_eq!(identity.status, StatusCode::NOT_FOUND, "{}", identity.body);

    // Reader on the group: the deployment itself is refused, and nothing starts.
    let (_, reader_vm, _) = {
        let vm = call_as(
            &app,
            &admin,
            Method::PUT,
            &app.vm_path("rg2", "reader", ""),
            Some(json!({"location": "westeurope", "identity": {"type": "SystemAssigned"}})),
        )
        .await;
        let p = vm.body["identity"]["principalId"]
            .as_str()
            .unwrap()
            .to_string();
        let g = call_as(
            &app,
            &admin,
            Method::PUT,
            &assignment(&app.group_id("rg1")),
            Some(grant_body(&app, READER, &p)),
        )
        .await;
        assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
        (
            (),
            vm.body["properties"]["vmId"].as_str().unwrap().to_string(),
            p,
        )
    };
    let reader = vm_token(&app, &reader_vm).await;
    let refused = call_as(
        &app,
        &reader,
        Method::PUT,
        &deployment("by-reader"),
        Some(template),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.code(), "AuthorizationFailed");
    let none = call_as(&app, &admin, Method::GET, &deployment("by-reader"), None).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);
}
