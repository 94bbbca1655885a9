//! Role definitions and role assignments (Microsoft.Authorization) over HTTP: the built-in
//! roles, assignments at every scope with Azure's errors, and what deletes them (a group or
//! resource going, a subscription transfer, R11) and what does not carry them over (R3).
use crate::helpers::{spawn_app, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const API: &str = "2022-04-01";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";

fn role_id(app: &TestApp, guid: &str) -> String {
    format!(
        "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        app.sub
    )
}

fn assignment_path(scope: &str, name: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={API}")
}

async fn assign(
    app: &TestApp,
    scope: &str,
    name: &str,
    principal: &str,
    role: &str,
) -> crate::helpers::Resp {
    let body =
        json!({"properties": {"roleDefinitionId": role_id(app, role), "principalId": principal}});
    app.call(Method::PUT, &assignment_path(scope, name), Some(body))
        .await
}

async fn list(app: &TestApp, scope: &str, filter: &str) -> Vec<Value> {
    let r = app
        .call(
            Method::GET,
            &format!("{scope}/providers/Microsoft.Authorization/roleAssignments?api-version={API}&$filter={filter}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The bootstrapped application's Owner assignment on the subscription is left out.
    let all = r.body["value"].as_array().cloned().unwrap_or_default();
    all.into_iter()
        .filter(|a| a["name"] != BOOTSTRAP_OWNER)
        .collect()
}

const BOOTSTRAP_OWNER: &str = "66666666-6666-4666-8666-666666666666";

/// rg1 with a VM whose system identity is the principal to grant; returns its principalId.
async fn vm_principal(app: &TestApp) -> String {
    app.put_group("rg1").await;
    let vm = app
        .put_vm("rg1", "vm1", Some(json!({"type": "SystemAssigned"})))
        .await;
    vm.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string()
}

const NAME_A: &str = "11111111-aaaa-4aaa-8aaa-111111111111";
const NAME_B: &str = "22222222-bbbb-4bbb-8bbb-222222222222";

#[tokio::test]
async fn the_bootstrapped_application_is_owner_of_the_default_subscription() {
    let app = spawn_app().await;
    let sub = format!("/subscriptions/{}", app.sub);
    let r = app
        .call(Method::GET, &assignment_path(&sub, BOOTSTRAP_OWNER), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["properties"]["principalId"],
        "55555555-5555-4555-8555-555555555555"
    );
    assert!(r.body["properties"]["roleDefinitionId"]
        .as_str()
        .unwrap()
        .ends_with("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"));
}

#[tokio::test]
async fn role_definitions_are_the_built_in_roles_with_their_real_ids() {
    let app = spawn_app().await;
    let sub = format!("/subscriptions/{}", app.sub);
    let reader = app
        .call(Method::GET, &format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/{READER}?api-version={API}"), None)
        .await;
    assert_eq!(reader.status, StatusCode::OK, "{}", reader.body);
    assert_eq!(reader.body["properties"]["roleName"], "Reader");
    assert_eq!(
        reader.body["properties"]["permissions"][0]["actions"],
        json!(["*/read"])
    );
    assert_eq!(reader.body["id"], role_id(&app, READER));
    let by_name = app
        .call(
            Method::GET,
            &format!("{sub}/providers/Microsoft.Authorization/roleDefinitions?api-version={API}&$filter=roleName%20eq%20'Virtual%20Machine%20Contributor'"),
            None,
        )
        .await;
    let found = by_name.body["value"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{}", by_name.body);
    assert_eq!(found[0]["name"], "9980e02c-c2be-4d73-94e8-173b1dc7cf3c");
    let built_in = app
        .call(Method::GET, &format!("{sub}/providers/Microsoft.Authorization/roleDefinitions?api-version={API}&$filter=type+eq+'BuiltInRole'"), None)
        .await;
    assert!(built_in.body["value"].as_array().unwrap().len() >= 10);
    let tenant = app
        .call(Method::GET, &format!("/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}?api-version={API}"), None)
        .await;
    assert_eq!(
        tenant.body["id"],
        format!("/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}")
    );
    let missing = app
        .call(Method::GET, &format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/{NAME_A}?api-version={API}"), None)
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "RoleDefinitionDoesNotExist")
    );
}

#[tokio::test]
async fn role_assignments_are_created_read_listed_and_deleted_at_every_scope() {
    let app = spawn_app().await;
    let principal = vm_principal(&app).await;
    let group = app.group_id("rg1");
    let vm = format!("{group}/providers/Microsoft.Compute/virtualMachines/vm1");

    let created = assign(&app, &group, NAME_A, &principal, READER).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let p = &created.body["properties"];
    assert_eq!(
        (p["scope"].as_str(), p["principalType"].as_str()),
        (Some(group.as_str()), Some("ServicePrincipal"))
    );
    assert_eq!(
        created.body["type"],
        "Microsoft.Authorization/roleAssignments"
    );
    assert!(
        p.get("condition").is_some_and(Value::is_null),
        "nulls are written out"
    );
    let again = assign(&app, &group, NAME_A, &principal, READER).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "the same content again is 200"
    );
    let at_vm = assign(&app, &vm, NAME_B, &principal, CONTRIBUTOR).await;
    assert_eq!(at_vm.status, StatusCode::CREATED, "{}", at_vm.body);

    let by_id = app
        .call(
            Method::GET,
            &format!("{}?api-version={API}", created.body["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(by_id.body["name"], NAME_A);
    let sub = format!("/subscriptions/{}", app.sub);
    assert_eq!(
        list(&app, &sub, "").await.len(),
        2,
        "a subscription lists what is below it"
    );
    assert_eq!(
        list(&app, &vm, "atScope()").await.len(),
        2,
        "at the VM: its own and the group's"
    );
    assert_eq!(
        list(&app, &group, "atScope()").await.len(),
        1,
        "atScope() leaves out what is below"
    );
    let mine = list(&app, &sub, &format!("principalId%20eq%20'{principal}'")).await;
    assert_eq!(mine.len(), 2);
    assert!(list(&app, &sub, &format!("assignedTo('{NAME_B}')"))
        .await
        .is_empty());

    let deleted = app
        .call(Method::DELETE, &assignment_path(&group, NAME_A), None)
        .await;
    assert_eq!(
        (deleted.status, deleted.body["name"].as_str()),
        (StatusCode::OK, Some(NAME_A))
    );
    let gone = app
        .call(Method::DELETE, &assignment_path(&group, NAME_A), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let missing = app
        .call(Method::GET, &assignment_path(&group, NAME_A), None)
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "RoleAssignmentNotFound")
    );
}

#[tokio::test]
async fn role_assignment_errors_are_azures_and_change_nothing() {
    let app = spawn_app().await;
    let principal = vm_principal(&app).await;
    let group = app.group_id("rg1");
    assign(&app, &group, NAME_A, &principal, READER).await;
    let stranger = "99999999-9999-4999-8999-999999999999";
    let body = |role: &str, who: &str| json!({"properties": {"roleDefinitionId": role_id(&app, role), "principalId": who}});
    let cases: Vec<(&str, String, Value, StatusCode, &str)> = vec![
        (
            "name not a GUID",
            assignment_path(&group, "not-a-guid"),
            body(READER, &principal),
            StatusCode::BAD_REQUEST,
            "InvalidRoleAssignmentId",
        ),
        (
            "principal not a GUID",
            assignment_path(&group, NAME_B),
            body(READER, "bob"),
            StatusCode::BAD_REQUEST,
            "InvalidPrincipalId",
        ),
        (
            "unknown principal",
            assignment_path(&group, NAME_B),
            body(READER, stranger),
            StatusCode::BAD_REQUEST,
            "PrincipalNotFound",
        ),
        (
            "unknown role",
            assignment_path(&group, NAME_B),
            body(NAME_B, &principal),
            StatusCode::BAD_REQUEST,
            "RoleDefinitionDoesNotExist",
        ),
        (
            "same triple, other name",
            assignment_path(&group, NAME_B),
            body(READER, &principal),
            StatusCode::CONFLICT,
            "RoleAssignmentExists",
        ),
        (
            "same name, other role",
            assignment_path(&group, NAME_A),
            body(CONTRIBUTOR, &principal),
            StatusCode::BAD_REQUEST,
            "RoleAssignmentUpdateNotPermitted",
        ),
        (
            "group missing",
            assignment_path(&app.group_id("nope"), NAME_B),
            body(READER, &principal),
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
        ),
        (
            "resource missing",
            assignment_path(
                &format!("{group}/providers/Microsoft.Compute/virtualMachines/ghost"),
                NAME_B,
            ),
            body(READER, &principal),
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
        ),
    ];
    for (case, path, body, status, code) in cases {
        let r = app.call(Method::PUT, &path, Some(body)).await;
        assert_eq!((r.status, r.code()), (status, code), "{case}: {}", r.body);
        let all = list(&app, &format!("/subscriptions/{}", app.sub), "").await;
        assert_eq!(all.len(), 1, "{case} changed nothing");
        assert_eq!(
            all[0]["properties"]["roleDefinitionId"],
            role_id(&app, READER),
            "{case}"
        );
    }
    let message =
        assign(&app, &group, NAME_B, stranger, READER).await.body["error"]["message"].clone();
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("set the role assignment principalType"),
        "{message}"
    );
    // A given principalType is checked against the directory when the principal is known.
    let user = json!({"properties": {"roleDefinitionId": role_id(&app, CONTRIBUTOR), "principalId": principal, "principalType": "User"}});
    let r = app
        .call(Method::PUT, &assignment_path(&group, NAME_B), Some(user))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "UnmatchedPrincipalType"),
        "{}",
        r.body
    );
    // With a principalType an unknown principal is not looked up, as Azure documents.
    let typed = json!({"properties": {"roleDefinitionId": role_id(&app, READER), "principalId": stranger, "principalType": "ServicePrincipal"}});
    let r = app
        .call(Method::PUT, &assignment_path(&group, NAME_B), Some(typed))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn r3_a_re_enabled_system_identity_gets_none_of_its_old_assignments() {
    let app = spawn_app().await;
    let old = vm_principal(&app).await;
    let group = app.group_id("rg1");
    assign(&app, &group, NAME_A, &old, READER).await;
    app.patch_vm("rg1", "vm1", json!({"identity": {"type": "None"}}))
        .await;
    let again = app
        .patch_vm(
            "rg1",
            "vm1",
            json!({"identity": {"type": "SystemAssigned"}}),
        )
        .await;
    let new = again.body["identity"]["principalId"].as_str().unwrap();
    assert_ne!(new, old);
    assert!(list(&app, &group, &format!("principalId eq '{new}'"))
        .await
        .is_empty());
    // The old principal's assignment stays listed, as Azure shows it.
    assert_eq!(
        list(&app, &group, &format!("principalId eq '{old}'"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn deleting_a_group_or_resource_deletes_the_assignments_on_it() {
    let app = spawn_app().await;
    let principal = vm_principal(&app).await;
    app.put_identity("rg1", "id-a").await;
    let group = app.group_id("rg1");
    let identity = app.identity_id("rg1", "id-a");
    assign(&app, &identity, NAME_B, &principal, READER).await;
    assign(&app, &group, NAME_A, &principal, READER).await;
    app.call(Method::DELETE, &app.identity_path("rg1", "id-a"), None)
        .await;
    let left = list(&app, &format!("/subscriptions/{}", app.sub), "").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["name"], NAME_A);
    app.call(Method::DELETE, &app.group_path("rg1"), None).await;
    assert!(list(&app, &format!("/subscriptions/{}", app.sub), "")
        .await
        .is_empty());
}

#[tokio::test]
async fn r11_a_transfer_deletes_the_subscriptions_role_assignments() {
    let app = spawn_app().await;
    let principal = vm_principal(&app).await;
    assign(&app, &app.group_id("rg1"), NAME_A, &principal, READER).await;
    assign(
        &app,
        &format!("/subscriptions/{}", app.sub),
        NAME_B,
        &principal,
        READER,
    )
    .await;
    let other = app.create_tenant().await;
    app.transfer_subscription_to(&other).await;
    assert!(list(&app, &format!("/subscriptions/{}", app.sub), "")
        .await
        .is_empty());
}

fn custom_role(app: &TestApp, name: &str, actions: Value) -> Value {
    json!({"properties": {"roleName": name, "description": "reads identities",
        "permissions": [{"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}],
        "assignableScopes": [format!("/subscriptions/{}", app.sub)]}})
}

#[tokio::test]
async fn custom_role_definitions_are_created_listed_assigned_and_deleted() {
    let app = spawn_app().await;
    let principal = vm_principal(&app).await;
    let sub = format!("/subscriptions/{}", app.sub);
    let guid = "33333333-cccc-4ccc-8ccc-333333333333";
    let path =
        format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}?api-version={API}");
    let made = app
        .call(
            Method::PUT,
            &path,
            Some(custom_role(
                &app,
                "Identity Reader",
                json!(["Microsoft.ManagedIdentity/userAssignedIdentities/read"]),
            )),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["properties"]["type"], "CustomRole");
    let again = app
        .call(
            Method::PUT,
            &path,
            Some(custom_role(&app, "Identity Reader", json!(["*/read"]))),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let found = app
        .call(Method::GET, &format!("{sub}/resourceGroups/rg1/providers/Microsoft.Authorization/roleDefinitions?api-version={API}&$filter=roleName eq 'identity reader'"), None)
        .await;
    assert_eq!(
        found.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        found.body
    );
    assert_eq!(
        found.body["value"][0]["properties"]["permissions"][0]["actions"],
        json!(["*/read"])
    );
    let only_built_in = app
        .call(Method::GET, &format!("{sub}/providers/Microsoft.Authorization/roleDefinitions?api-version={API}&$filter=type eq 'BuiltInRole'"), None)
        .await;
    assert!(only_built_in.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["properties"]["type"] == "BuiltInRole"));

    for (case, body, code) in [
        (
            "same name",
            custom_role(&app, "identity reader", json!(["*/read"])),
            "RoleDefinitionWithSameNameExists",
        ),
        (
            "built-in name",
            custom_role(&app, "Reader", json!(["*/read"])),
            "RoleDefinitionWithSameNameExists",
        ),
        (
            "no permissions",
            json!({"properties": {"roleName": "X", "permissions": [], "assignableScopes": [sub]}}),
            "InvalidRoleDefinitionParameter",
        ),
        (
            "no scopes",
            json!({"properties": {"roleName": "Y", "permissions": [{"actions": ["*/read"]}]}}),
            "InvalidRoleDefinitionParameter",
        ),
    ] {
        let other = format!(
            "{sub}/providers/Microsoft.Authorization/roleDefinitions/{}?api-version={API}",
            uuid::Uuid::new_v4()
        );
        let r = app.call(Method::PUT, &other, Some(body)).await;
        assert_eq!(r.code(), code, "{case}: {}", r.body);
    }
    let builtin = app
        .call(Method::DELETE, &format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/{READER}?api-version={API}"), None)
        .await;
    assert_eq!(builtin.code(), "RoleDefinitionUpdateNotPermitted");

    let assigned = assign(&app, &app.group_id("rg1"), NAME_A, &principal, guid).await;
    assert_eq!(assigned.status, StatusCode::CREATED, "{}", assigned.body);
    let busy = app.call(Method::DELETE, &path, None).await;
    assert_eq!(
        (busy.status, busy.code()),
        (StatusCode::CONFLICT, "RoleDefinitionHasAssignments")
    );
    app.call(
        Method::DELETE,
        &assignment_path(&app.group_id("rg1"), NAME_A),
        None,
    )
    .await;
    let deleted = app.call(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(
        app.call(Method::DELETE, &path, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::GET, &path, None).await.code(),
        "RoleDefinitionDoesNotExist"
    );
}
