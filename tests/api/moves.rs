//! Moves between groups and subscriptions (`moveResources`, `validateMoveResources`), what
//! they break (R14, R15), and subscription transfer (R11), over HTTP.
use crate::helpers::{spawn_app, Resp, TestApp, RG_API};
use crate::imds::{imds, verify, ARM};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Claims of a token, unverified (the tests that verify them use `verify`).
fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// rg1 with identity `id-a` and VM `vm1` (system-assigned plus `id-a`), and an empty rg2.
async fn two_groups(app: &TestApp) -> (Value, Value) {
    app.put_group("rg1").await;
    app.put_group("rg2").await;
    let identity = app.put_identity("rg1", "id-a").await;
    let vm = app
        .put_vm(
            "rg1",
            "vm1",
            Some(json!({"type": "SystemAssigned, UserAssigned",
                        "userAssignedIdentities": {app.identity_id("rg1", "id-a"): {}}})),
        )
        .await;
    assert_eq!(vm.status, StatusCode::CREATED, "{}", vm.body);
    (identity.body, vm.body)
}

fn vm_id(app: &TestApp, rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}",
        app.sub
    )
}

/// A power action on a VM, polled to its end: the operation's last status body.
pub(crate) async fn power(app: &TestApp, rg: &str, vm: &str, action: &str) -> Value {
    let r = app
        .call(
            Method::POST,
            &app.vm_path(rg, vm, &format!("/{action}")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let url = r.header("azure-asyncoperation").unwrap().to_string();
    app.poll_async(&url).await;
    app.call(Method::GET, &url, None).await.body
}

#[tokio::test]
async fn moved_resources_answer_at_their_new_ids_and_keep_their_principals() {
    let app = spawn_app().await;
    let (identity, vm) = two_groups(&app).await;
    let instance = vm["properties"]["vmId"].as_str().unwrap();
    let ids = [app.identity_id("rg1", "id-a"), vm_id(&app, "rg1", "vm1")];

    let polls = app.move_resources("rg1", &ids, &app.group_id("rg2")).await;
    assert_eq!(polls, [202, 204], "ARM's move polls 202, then 204");

    assert_eq!(
        app.get_identity("rg1", "id-a").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get_vm("rg1", "vm1").await.status, StatusCode::NOT_FOUND);
    let moved = app.get_identity("rg2", "id-a").await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(
        moved.body["id"],
        app.identity_id("rg2", "id-a")
            .replace("resourceGroups", "resourcegroups")
    );
    assert_eq!(
        moved.body["properties"]["principalId"],
        identity["properties"]["principalId"]
    );
    let moved_vm = app.get_vm("rg2", "vm1").await;
    assert_eq!(moved_vm.body["id"], vm_id(&app, "rg2", "vm1"));
    assert_eq!(
        moved_vm.body["identity"]["principalId"],
        vm["identity"]["principalId"]
    );
    assert_eq!(
        moved_vm.body["properties"]["vmId"], instance,
        "the instance stays"
    );
    // Other resources' references to a moved identity keep the old id, as Azure keeps them.
    let refs = moved_vm.body["identity"]["userAssignedIdentities"]
        .as_object()
        .unwrap();
    assert!(refs.keys().all(|k| k.contains("/rg1/")), "{refs:?}");

    let listed = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/resourceGroups/rg2/resources?api-version={RG_API}",
                app.sub
            ),
            None,
        )
        .await;
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|id| id.contains("/rg2/")), "{names:?}");
    let found = app
        .call(
            Method::GET,
            &format!("/simulator/instances/{instance}"),
            None,
        )
        .await;
    assert_eq!(found.body["resourceId"], vm_id(&app, "rg2", "vm1"));
    // The system identity's new tokens name the VM at its new id.
    let token = imds(
        &app,
        instance,
        &format!("api-version=2018-02-01&resource={ARM}"),
    )
    .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    let mirid = claims(token.body["access_token"].as_str().unwrap())["xms_mirid"].clone();
    assert_eq!(
        mirid,
        vm_id(&app, "rg2", "vm1").replace("resourceGroups", "resourcegroups")
    );
    // The tenant's principals name each resource where it is now.
    let principals = app.principals(&app.tenant).await;
    for (backs, id) in [
        (
            &identity,
            app.identity_id("rg2", "id-a")
                .replace("resourceGroups", "resourcegroups"),
        ),
        (&vm["identity"], vm_id(&app, "rg2", "vm1")),
    ] {
        let p = principals
            .iter()
            .find(|p| {
                p["objectId"] == backs["properties"]["principalId"]
                    || p["objectId"] == backs["principalId"]
            })
            .expect("the principal is listed");
        assert_eq!(p["resourceId"], id.as_str());
    }
}

#[tokio::test]
async fn a_moved_vm_takes_its_extensions_and_its_delete_takes_them() {
    let app = spawn_app().await;
    two_groups(&app).await;
    let ext = |rg: &str| app.vm_path(rg, "vm1", "/extensions/script");
    let body = json!({"location": "westeurope", "properties": {
        "publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1"}});
    let put = app.call(Method::PUT, &ext("rg1"), Some(body)).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);

    let polls = app
        .move_resources("rg1", &[vm_id(&app, "rg1", "vm1")], &app.group_id("rg2"))
        .await;
    assert_eq!(polls, [202, 204]);
    let moved = app.call(Method::GET, &ext("rg2"), None).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["properties"]["type"], "CustomScript");
    assert!(
        moved.body["id"].as_str().unwrap().contains("/rg2/"),
        "{}",
        moved.body
    );
    assert_eq!(
        app.call(Method::GET, &ext("rg1"), None).await.status,
        StatusCode::NOT_FOUND
    );

    let deleted = app
        .call(Method::DELETE, &app.vm_path("rg2", "vm1", ""), None)
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    app.put_vm("rg2", "vm1", None).await;
    let list = app
        .call(Method::GET, &app.vm_path("rg2", "vm1", "/extensions"), None)
        .await;
    assert_eq!(
        list.body["value"],
        json!([]),
        "a new VM of the same name has none"
    );
}

#[tokio::test]
async fn moves_between_subscriptions_of_one_tenant() {
    let app = spawn_app().await;
    let other = "44444444-4444-4444-8444-444444444444";
    let r = app
        .call(
            Method::PUT,
            &format!("/simulator/subscriptions/{other}"),
            Some(json!({"tenantId": app.tenant})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    app.put_group("rg1").await;
    app.put_identity("rg1", "id-a").await;
    let target = format!("/subscriptions/{other}/resourceGroups/dest");
    let made = app
        .call(
            Method::PUT,
            &format!("{target}?api-version={RG_API}"),
            Some(json!({"location": "westeurope"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED);

    let polls = app
        .move_resources("rg1", &[app.identity_id("rg1", "id-a")], &target)
        .await;
    assert_eq!(polls, [202, 204]);
    let moved = app
        .call(
            Method::GET,
            &format!("{target}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a?api-version=2023-01-31"),
            None,
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert!(moved.body["id"]
        .as_str()
        .unwrap()
        .starts_with(&format!("/subscriptions/{other}/")));
}

/// The state a failed move must leave alone: both resources where they were, rg2 empty.
async fn nothing_moved(app: &TestApp, case: &str) {
    assert_eq!(
        app.get_identity("rg1", "id-a").await.status,
        StatusCode::OK,
        "{case}"
    );
    assert_eq!(
        app.get_vm("rg1", "vm1").await.status,
        StatusCode::OK,
        "{case}"
    );
    let rg2 = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/resourceGroups/rg2/resources?api-version={RG_API}",
                app.sub
            ),
            None,
        )
        .await;
    let held: Vec<&str> = rg2.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    let expected: &[&str] = if case == "target holds the id" {
        &["id-a"]
    } else {
        &[]
    };
    assert_eq!(held, expected, "{case}");
}

#[tokio::test]
async fn move_validation_errors_name_the_fix_and_change_nothing() {
    let app = spawn_app().await;
    two_groups(&app).await;
    let foreign = app.create_tenant().await;
    let far = "55555555-5555-4555-8555-555555555555";
    app.call(
        Method::PUT,
        &format!("/simulator/subscriptions/{far}"),
        Some(json!({"tenantId": foreign})),
    )
    .await;
    app.call(
        Method::PUT,
        &format!("/subscriptions/{far}/resourceGroups/far?api-version={RG_API}"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let id = app.identity_id("rg1", "id-a");
    let vm = vm_id(&app, "rg1", "vm1");
    let rg2 = app.group_id("rg2");
    let many: Vec<String> = (0..801)
        .map(|i| app.identity_id("rg1", &format!("x{i}")))
        .collect();
    let cases: Vec<(&str, Value, StatusCode, &str, &str)> = vec![
        (
            "target = source",
            json!({"resources": [id], "targetResourceGroup": app.group_id("RG1")}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceMoveRequest",
            "are the same",
        ),
        (
            "target group missing",
            json!({"resources": [id], "targetResourceGroup": app.group_id("nope")}),
            StatusCode::BAD_REQUEST,
            "ResourceGroupNotFound",
            "Create it first",
        ),
        (
            "id outside the source",
            json!({"resources": [app.identity_id("rg2", "x")], "targetResourceGroup": rg2}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceMoveRequest",
            "must all reside",
        ),
        (
            "child resource",
            json!({"resources": [format!("{vm}/extensions/ext")], "targetResourceGroup": rg2}),
            StatusCode::BAD_REQUEST,
            "ResourceNotTopLevel",
            "moves with its parent",
        ),
        (
            "more than 800",
            json!({"resources": many, "targetResourceGroup": rg2}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceMoveRequest",
            "at most 800",
        ),
        (
            "no resources",
            json!({"resources": [], "targetResourceGroup": rg2}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceMoveRequest",
            "names no resources",
        ),
        (
            "no target",
            json!({"resources": [id]}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceId",
            "targetResourceGroup",
        ),
        (
            "not an id",
            json!({"resources": ["id-a"], "targetResourceGroup": rg2}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceId",
            "full ids",
        ),
        (
            "resource missing",
            json!({"resources": [id, app.identity_id("rg1", "ghost")], "targetResourceGroup": rg2}),
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "ghost",
        ),
        (
            "target in another tenant",
            json!({"resources": [id], "targetResourceGroup": format!("/subscriptions/{far}/resourceGroups/far")}),
            StatusCode::FORBIDDEN,
            "LinkedAuthorizationFailed",
            "one tenant",
        ),
    ];
    for action in ["validateMoveResources", "moveResources"] {
        for (case, body, status, code, says) in &cases {
            let r: Resp = app.start_move("rg1", action, body.clone()).await;
            assert_eq!(
                (r.status, r.code()),
                (*status, *code),
                "{action} {case}: {}",
                r.body
            );
            let message = r.body["error"]["message"].as_str().unwrap();
            assert!(message.contains(says), "{action} {case}: {message}");
            nothing_moved(&app, case).await;
        }
    }
    // 409 when the target already holds the id; the VM named with it does not move either.
    app.put_identity("rg2", "id-a").await;
    let r = app
        .start_move(
            "rg1",
            "moveResources",
            json!({"resources": [vm, id], "targetResourceGroup": rg2}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "ResourceMoveConflict"),
        "{}",
        r.body
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/rg2/"),
        "{}",
        r.body
    );
    nothing_moved(&app, "target holds the id").await;
}

#[tokio::test]
async fn validate_move_resources_checks_and_moves_nothing() {
    let app = spawn_app().await;
    two_groups(&app).await;
    let r = app
        .start_move(
            "rg1",
            "validateMoveResources",
            json!({"resources": [app.identity_id("rg1", "id-a")], "targetResourceGroup": app.group_id("rg2")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let location = r.header("location").unwrap();
    assert!(
        location.contains(&format!("/subscriptions/{}/operationresults/", app.sub)),
        "{location}"
    );
    assert_eq!(app.poll_location(location).await, [202, 204]);
    nothing_moved(&app, "validation").await;
}

#[tokio::test]
async fn a_running_move_locks_both_groups_until_it_is_done() {
    let app = spawn_app().await;
    two_groups(&app).await;
    let set = app
        .call(
            Method::PATCH,
            "/simulator/settings",
            Some(json!({"moveSeconds": 60})),
        )
        .await;
    assert_eq!(
        (set.status, set.body["moveSeconds"].as_i64()),
        (StatusCode::OK, Some(60))
    );
    app.call(
        Method::PUT,
        "/simulator/clock",
        Some(json!({"frozen": true})),
    )
    .await;
    let r = app
        .start_move(
            "rg1",
            "moveResources",
            json!({"resources": [app.identity_id("rg1", "id-a")], "targetResourceGroup": app.group_id("rg2")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let location = r.header("location").unwrap().to_string();

    for (method, path) in [
        (Method::PUT, app.identity_path("rg1", "id-b")),
        (Method::PUT, app.identity_path("RG2", "id-c")),
        (Method::DELETE, app.group_path("rg2")),
        (Method::PATCH, app.vm_path("rg1", "vm1", "")),
    ] {
        let body = (method != Method::DELETE)
            .then(|| json!({"location": "westeurope", "tags": {"a": "b"}}));
        let refused = app.call(method.clone(), &path, body).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::CONFLICT, "ScopeLocked"),
            "{method} {path}: {}",
            refused.body
        );
    }
    assert_eq!(
        app.get_identity("rg1", "id-b").await.status,
        StatusCode::NOT_FOUND
    );
    // Reads go on, and the poll says the move still runs.
    assert_eq!(app.get_vm("rg1", "vm1").await.status, StatusCode::OK);
    assert_eq!(app.poll_location(&location).await, [202; 5]);

    let advanced = app
        .call(
            Method::POST,
            "/simulator/clock/advance",
            Some(json!({"seconds": 61})),
        )
        .await;
    assert_eq!(advanced.status, StatusCode::OK, "{}", advanced.body);
    assert_eq!(app.poll_location(&location).await, [204]);
    assert_eq!(
        app.put_identity("rg1", "id-b").await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn r14_moved_vm_keeps_running_then_fails_to_start_until_updated() {
    let app = spawn_app().await;
    let (_, vm) = two_groups(&app).await;
    let instance = vm["properties"]["vmId"].as_str().unwrap();
    app.move_resources("rg1", &[vm_id(&app, "rg1", "vm1")], &app.group_id("rg2"))
        .await;

    // Still running after the move, and its token endpoint still answers.
    let view = app.get_vm("rg2", "vm1").await;
    assert_eq!(view.body["properties"]["provisioningState"], "Succeeded");
    let token = imds(
        &app,
        instance,
        &format!("api-version=2018-02-01&resource={ARM}"),
    )
    .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);

    assert_eq!(
        power(&app, "rg2", "vm1", "powerOff").await["status"],
        "Succeeded"
    );
    let failed = power(&app, "rg2", "vm1", "start").await;
    assert_eq!(failed["status"], "Failed", "{failed}");
    assert_eq!(failed["error"]["code"], "FailedIdentityOperation");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("/resourcegroups/rg1/"),
        "names the old group: {message}"
    );
    let view = app
        .call(
            Method::GET,
            &app.vm_path("rg2", "vm1", "/instanceView"),
            None,
        )
        .await;
    let statuses = view.body["statuses"].as_array().unwrap();
    assert_eq!(statuses[0]["level"], "Error", "{statuses:?}");
    assert!(statuses[0]["message"]
        .as_str()
        .unwrap()
        .contains("/resourcegroups/rg1/"));
    assert_eq!(
        statuses[1]["code"], "PowerState/stopped",
        "the VM did not start"
    );
    // Deallocated is no different.
    assert_eq!(
        power(&app, "rg2", "vm1", "deallocate").await["status"],
        "Succeeded"
    );
    assert_eq!(power(&app, "rg2", "vm1", "start").await["status"], "Failed");

    // The FAQ's remedy: any update (a tag), then start; removing the tag keeps it working.
    let fixed = app
        .patch_vm("rg2", "vm1", json!({"tags": {"fixVM": "1"}}))
        .await;
    assert_eq!(fixed.status, StatusCode::OK, "{}", fixed.body);
    assert_eq!(
        power(&app, "rg2", "vm1", "start").await["status"],
        "Succeeded"
    );
    let view = app.get_vm("rg2", "vm1").await;
    assert_eq!(view.body["properties"]["provisioningState"], "Succeeded");
    app.patch_vm("rg2", "vm1", json!({"tags": {}})).await;
    assert_eq!(
        power(&app, "rg2", "vm1", "powerOff").await["status"],
        "Succeeded"
    );
    assert_eq!(
        power(&app, "rg2", "vm1", "start").await["status"],
        "Succeeded"
    );
}

#[tokio::test]
async fn r14_a_vm_without_identity_or_never_moved_starts() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_group("rg2").await;
    app.put_vm("rg1", "plain", None).await;
    app.put_vm("rg1", "stay", Some(json!({"type": "SystemAssigned"})))
        .await;
    app.move_resources("rg1", &[vm_id(&app, "rg1", "plain")], &app.group_id("rg2"))
        .await;
    for (rg, vm) in [("rg2", "plain"), ("rg1", "stay")] {
        power(&app, rg, vm, "powerOff").await;
        assert_eq!(
            power(&app, rg, vm, "start").await["status"],
            "Succeeded",
            "{vm}"
        );
    }
}

#[tokio::test]
async fn r15_moved_user_assigned_identity_is_broken_for_resources_naming_its_old_id() {
    let app = spawn_app().await;
    let (identity, vm) = two_groups(&app).await;
    let instance = vm["properties"]["vmId"].as_str().unwrap();
    let client_id = identity["properties"]["clientId"].as_str().unwrap();
    let query = format!("api-version=2018-02-01&resource={ARM}&client_id={client_id}");
    assert_eq!(imds(&app, instance, &query).await.status, StatusCode::OK);

    app.move_resources(
        "rg1",
        &[app.identity_id("rg1", "id-a")],
        &app.group_id("rg2"),
    )
    .await;
    let refused = imds(&app, instance, &query).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let text = refused.body["error_description"].as_str().unwrap();
    assert!(text.contains("rule R15"), "{text}");
    // The system identity is not affected.
    let system = imds(
        &app,
        instance,
        &format!("api-version=2018-02-01&resource={ARM}"),
    )
    .await;
    assert_eq!(system.status, StatusCode::OK);

    // Assigned again under its new id, it gives tokens again.
    let reassigned = app
        .patch_vm(
            "rg1",
            "vm1",
            json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {
                app.identity_id("rg1", "id-a"): null, app.identity_id("rg2", "id-a"): {}}}}),
        )
        .await;
    assert_eq!(reassigned.status, StatusCode::OK, "{}", reassigned.body);
    let again = imds(&app, instance, &query).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let mirid = claims(again.body["access_token"].as_str().unwrap())["xms_mirid"].clone();
    assert!(
        mirid.as_str().unwrap().contains("/resourcegroups/rg2/"),
        "{mirid}"
    );
}

#[tokio::test]
async fn r11_transfer_breaks_both_identity_kinds_and_both_remedies_work() {
    let app = spawn_app().await;
    let (identity, vm) = two_groups(&app).await;
    let instance = vm["properties"]["vmId"].as_str().unwrap();
    let other = app.create_tenant().await;

    app.transfer_subscription_to(&other).await;
    let sub = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}?api-version=2022-12-01", app.sub),
            None,
        )
        .await;
    assert_eq!(sub.body["tenantId"], other);
    // Nothing about the identities changed: same principals, same tenantId, no tokens.
    let kept = app.get_identity("rg1", "id-a").await;
    assert_eq!(
        kept.body["properties"]["principalId"],
        identity["properties"]["principalId"]
    );
    assert_eq!(kept.body["properties"]["tenantId"], app.tenant);
    let kept_vm = app.get_vm("rg1", "vm1").await;
    assert_eq!(
        kept_vm.body["identity"]["principalId"],
        vm["identity"]["principalId"]
    );
    assert_eq!(kept_vm.body["identity"]["tenantId"], app.tenant);
    let client_id = identity["properties"]["clientId"].as_str().unwrap();
    let user_query = format!("api-version=2018-02-01&resource={ARM}&client_id={client_id}");
    let system_query = format!("api-version=2018-02-01&resource={ARM}");
    for q in [&user_query, &system_query] {
        let r = imds(&app, instance, q).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body["error_description"]
            .as_str()
            .unwrap()
            .contains("rule R11"));
    }

    // System-assigned: off and on again makes a new principal in the new tenant.
    app.patch_vm("rg1", "vm1", json!({"identity": {"type": "UserAssigned"}}))
        .await;
    let on = app
        .patch_vm(
            "rg1",
            "vm1",
            json!({"identity": {"type": "SystemAssigned, UserAssigned"}}),
        )
        .await;
    assert_eq!(on.body["identity"]["tenantId"], other);
    assert_ne!(
        on.body["identity"]["principalId"],
        vm["identity"]["principalId"]
    );
    let system = imds(&app, instance, &system_query).await;
    assert_eq!(system.status, StatusCode::OK, "{}", system.body);
    let c = verify(
        &app,
        system.body["access_token"].as_str().unwrap(),
        &other,
        ARM,
    )
    .await;
    assert_eq!(c["tid"], other);

    // User-assigned: delete, recreate, re-attach.
    let del = app
        .call(Method::DELETE, &app.identity_path("rg1", "id-a"), None)
        .await;
    assert_eq!(del.status, StatusCode::OK);
    let again = app.put_identity("rg1", "id-a").await;
    assert_eq!(again.body["properties"]["tenantId"], other);
    let id = app.identity_id("rg1", "id-a");
    app.patch_vm(
        "rg1",
        "vm1",
        json!({"identity": {"type": "SystemAssigned"}}),
    )
    .await;
    let attached = app
        .patch_vm("rg1", "vm1", json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {id: {}}}}))
        .await;
    assert_eq!(attached.status, StatusCode::OK, "{}", attached.body);
    let new_client = again.body["properties"]["clientId"].as_str().unwrap();
    let user = imds(
        &app,
        instance,
        &format!("api-version=2018-02-01&resource={ARM}&client_id={new_client}"),
    )
    .await;
    assert_eq!(user.status, StatusCode::OK, "{}", user.body);
    let c = verify(
        &app,
        user.body["access_token"].as_str().unwrap(),
        &other,
        ARM,
    )
    .await;
    assert_eq!(c["tid"], other);
}
