//! Microsoft.ManagedIdentity/userAssignedIdentities: CRUD, lists, api-versions, R4, R5.
use crate::helpers::{spawn_app, MSI_API};
use mi_sim::domain::catalog::USER_ASSIGNED_IDENTITIES;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn identity_put_creates_201_with_principal_client_and_tenant_then_updates_200() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let r = app
        .call(
            Method::PUT,
            &app.identity_path("rg1", "id1"),
            Some(json!({"location": "westeurope"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let b = &r.body;
    assert_eq!(b["id"], format!("/subscriptions/{}/resourcegroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1", app.sub));
    assert_eq!(b["name"], "id1");
    assert_eq!(
        b["type"],
        "Microsoft.ManagedIdentity/userAssignedIdentities"
    );
    assert_eq!(b["location"], "westeurope");
    assert_eq!(
        b["tags"],
        json!({}),
        "ARM answers tags {{}} when none were sent"
    );
    assert_eq!(b["properties"]["tenantId"], app.tenant);
    for field in ["principalId", "clientId"] {
        assert!(
            uuid::Uuid::parse_str(b["properties"][field].as_str().unwrap()).is_ok(),
            "{field}"
        );
    }
    assert_ne!(b["properties"]["principalId"], b["properties"]["clientId"]);
    assert!(b["systemData"]["createdAt"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    let again = app
        .call(
            Method::PUT,
            &app.identity_path("rg1", "id1"),
            Some(json!({"location": "westeurope", "tags": {"k": "v"}})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        again.body["properties"], b["properties"],
        "an update keeps the principal"
    );
    assert_eq!(again.body["tags"], json!({"k": "v"}));
    assert_eq!(app.get_identity("rg1", "id1").await.body, again.body);
}

#[tokio::test]
async fn identity_patch_replaces_tags_and_isolation_scope_only() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let created = app.put_identity("rg1", "id1").await.body;
    let path = app
        .identity_path("rg1", "id1")
        .replace(MSI_API, "2024-11-30");
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"tags": {"a": "b"}, "properties": {"isolationScope": "regional"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["tags"], json!({"a": "b"}));
    assert_eq!(r.body["properties"]["isolationScope"], "Regional");
    assert_eq!(
        r.body["properties"]["principalId"],
        created["properties"]["principalId"]
    );
    assert_eq!(r.body["location"], "westeurope");

    let bad = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"properties": {"isolationScope": "Global"}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get_identity("rg1", "id1").await.body["tags"],
        json!({"a": "b"}),
        "the refused PATCH changed nothing"
    );

    let missing = app
        .call(
            Method::PATCH,
            &app.identity_path("rg1", "ghost"),
            Some(json!({"tags": {}})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "ResourceNotFound");
}

#[tokio::test]
async fn identity_isolation_scope_appears_only_in_api_versions_that_have_it() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "id1").await;
    let old = app
        .call(
            Method::GET,
            &app.identity_path("rg1", "id1")
                .replace(MSI_API, "2023-01-31"),
            None,
        )
        .await;
    assert!(old.body["properties"].get("isolationScope").is_none());
    let new = app
        .call(
            Method::GET,
            &app.identity_path("rg1", "id1")
                .replace(MSI_API, "2024-11-30"),
            None,
        )
        .await;
    assert_eq!(new.body["properties"]["isolationScope"], "None");
}

#[tokio::test]
async fn identity_every_listed_api_version_is_served() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    for (i, v) in USER_ASSIGNED_IDENTITIES.versions.iter().enumerate() {
        let path = app
            .identity_path("rg1", &format!("id{i}"))
            .replace(MSI_API, v);
        let r = app
            .call(Method::PUT, &path, Some(json!({"location": "westeurope"})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "api-version {v}: {}", r.body);
    }
}

#[tokio::test]
async fn identity_delete_answers_200_then_204_and_get_answers_resource_not_found() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "id1").await;
    let r = app
        .call(Method::DELETE, &app.identity_path("rg1", "id1"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_null());
    assert_eq!(
        app.call(Method::DELETE, &app.identity_path("rg1", "id1"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = app.get_identity("rg1", "id1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ResourceNotFound");
    assert_eq!(
        r.body["error"]["message"],
        "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/id1' under resource group 'rg1' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    );
}

#[tokio::test]
async fn identity_bad_input_gets_arm_errors_and_changes_nothing() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "keep").await;
    let before = app.get_identity("rg1", "keep").await.body;
    let long = "a".repeat(129);
    let cases = [
        (
            "ab",
            json!({"location": "westeurope"}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            "a 2-character name",
        ),
        (
            "-abc",
            json!({"location": "westeurope"}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            "a leading hyphen",
        ),
        (
            "a.bc",
            json!({"location": "westeurope"}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            "a period",
        ),
        (
            long.as_str(),
            json!({"location": "westeurope"}),
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            "129 characters",
        ),
        (
            "newid",
            json!({}),
            StatusCode::BAD_REQUEST,
            "LocationRequired",
            "no location",
        ),
        (
            "newid",
            json!({"location": "atlantis"}),
            StatusCode::BAD_REQUEST,
            "LocationNotAvailableForResourceType",
            "an unknown location",
        ),
        (
            "keep",
            json!({"location": "eastus", "tags": {"x": "y"}}),
            StatusCode::CONFLICT,
            "InvalidResourceLocation",
            "a changed location",
        ),
    ];
    for (name, body, status, code, why) in cases {
        let r = app
            .call(Method::PUT, &app.identity_path("rg1", name), Some(body))
            .await;
        assert_eq!(r.status, status, "{why}: {}", r.body);
        assert_eq!(r.code(), code, "{why}");
    }
    let r = app
        .call(
            Method::PUT,
            &app.identity_path("nogroup", "id1"),
            Some(json!({"location": "westeurope"})),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "ResourceGroupNotFound")
    );
    assert_eq!(
        app.get_identity("rg1", "keep").await.body,
        before,
        "the conflicting PUT changed nothing"
    );
    assert_eq!(
        app.principals(&app.tenant.clone()).await.len(),
        1,
        "no principal was created"
    );
}

#[tokio::test]
async fn identity_lists_by_group_and_subscription_page_with_next_link() {
    let app = spawn_app().await;
    for rg in ["rg-a", "rg-b"] {
        app.put_group(rg).await;
        for i in 0..3 {
            app.put_identity(rg, &format!("{rg}-id{i}")).await;
        }
    }
    let r = app.call(Method::GET, &format!("/subscriptions/{}/resourceGroups/rg-a/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI_API}", app.sub), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 3);
    assert!(r.body.get("nextLink").is_none(), "one page has no nextLink");

    let mut url = format!("/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI_API}&$top=4", app.sub);
    let mut names = Vec::new();
    loop {
        let r = app.call(Method::GET, &url, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        names.extend(
            r.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_string()),
        );
        match r.body["nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(
        names,
        ["rg-a-id0", "rg-a-id1", "rg-a-id2", "rg-b-id0", "rg-b-id1", "rg-b-id2"]
    );
    let missing = app.call(Method::GET, &format!("/subscriptions/{}/resourceGroups/nope/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI_API}", app.sub), None).await;
    assert_eq!(missing.code(), "ResourceGroupNotFound");
}

#[tokio::test]
async fn r4_user_assigned_identity_gets_a_principal_in_the_tenant_its_subscription_trusts_now() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let before = app.put_identity("rg1", "before-move").await.body;
    let other = app.create_tenant().await;
    app.transfer_subscription_to(&other).await;
    let after = app.put_identity("rg1", "after-move").await.body;

    assert_eq!(before["properties"]["tenantId"], app.tenant);
    assert_eq!(after["properties"]["tenantId"], other);
    let in_default = app.principals(&app.tenant.clone()).await;
    let in_other = app.principals(&other).await;
    assert_eq!(in_default.len(), 1);
    assert_eq!(
        in_default[0]["objectId"],
        before["properties"]["principalId"]
    );
    assert_eq!(in_other.len(), 1);
    let sp = &in_other[0];
    assert_eq!(sp["objectId"], after["properties"]["principalId"]);
    assert_eq!(sp["appId"], after["properties"]["clientId"]);
    assert_eq!(sp["displayName"], "after-move");
    assert_eq!(sp["kind"], "UserAssigned");
    assert_eq!(sp["resourceId"], after["id"]);
}

#[tokio::test]
async fn r5_deleting_a_user_assigned_identity_deletes_its_service_principal() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let gone = app.put_identity("rg1", "gone").await.body;
    let stays = app.put_identity("rg1", "stays").await.body;
    assert_eq!(app.principals(&app.tenant.clone()).await.len(), 2);
    assert_eq!(
        app.call(Method::DELETE, &app.identity_path("rg1", "gone"), None)
            .await
            .status,
        StatusCode::OK
    );
    let left = app.principals(&app.tenant.clone()).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["objectId"], stays["properties"]["principalId"]);
    assert_ne!(left[0]["objectId"], gone["properties"]["principalId"]);
}

#[tokio::test]
async fn identity_system_data_names_the_caller_from_the_bearer_token() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    // A JWT whose payload is {"upn":"ada@contoso.com"}; mi-sim does not verify it yet.
    let token = "eyJhbGciOiJub25lIn0.eyJ1cG4iOiJhZGFAY29udG9zby5jb20ifQ.";
    let r = app
        .client
        .put(format!(
            "{}{}",
            app.address,
            app.identity_path("rg1", "id1")
        ))
        .bearer_auth(token)
        .json(&json!({"location": "westeurope"}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["systemData"]["createdBy"], "ada@contoso.com");
    assert_eq!(body["systemData"]["createdByType"], "User");
}
