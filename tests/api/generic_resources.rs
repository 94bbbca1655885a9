//! The generic resource list and the group-delete cascade over every resource type.
use crate::helpers::{spawn_app, TestApp, RG_API};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn names(app: &TestApp, path: &str, filter: &str) -> Vec<String> {
    let url = format!("{path}?api-version={RG_API}&$filter={}", urlencode(filter));
    let r = app.call(Method::GET, &url, None).await;
    assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.body);
    r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

fn urlencode(s: &str) -> String {
    s.replace('%', "%25")
        .replace(' ', "%20")
        .replace('\'', "%27")
        .replace('/', "%2F")
}

#[tokio::test]
async fn generic_list_filters_by_name_type_group_and_substring_and_shows_identity() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_group("rg2").await;
    app.put_identity("rg1", "web-id").await;
    let vm = app
        .put_vm("rg1", "web-vm", Some(json!({"type": "SystemAssigned"})))
        .await;
    app.put_vm("rg2", "db-vm", None).await;
    app.put_cg("rg2", "web-aci", TestApp::cg_body(None, "Linux"))
        .await;
    let sub = format!("/subscriptions/{}/resources", app.sub);

    // `az resource list -n web-vm --query [*].identity.principalId`
    let r = app
        .call(
            Method::GET,
            &format!("{sub}?api-version={RG_API}&$filter=name%20eq%20%27WEB-VM%27"),
            None,
        )
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1, "{}", r.body);
    assert_eq!(
        r.body["value"][0]["identity"]["principalId"],
        vm.body["identity"]["principalId"]
    );
    assert_eq!(
        r.body["value"][0]["type"],
        "Microsoft.Compute/virtualMachines"
    );

    assert_eq!(
        names(
            &app,
            &sub,
            "resourceType eq 'microsoft.compute/virtualmachines'"
        )
        .await,
        ["web-vm", "db-vm"]
    );
    assert_eq!(
        names(&app, &sub, "substringof('web', name)").await,
        ["web-vm", "web-id", "web-aci"]
    );
    assert_eq!(
        names(
            &app,
            &sub,
            "substringof('web', name) and resourceGroup eq 'RG2'"
        )
        .await,
        ["web-aci"]
    );
    assert_eq!(
        names(&app, &sub, "name eq 'db-vm' or name eq 'web-id'").await,
        ["web-id", "db-vm"]
    );
    assert_eq!(
        names(&app, &sub, "location ne 'westeurope'").await,
        Vec::<String>::new()
    );
    let group = format!("/subscriptions/{}/resourceGroups/rg2/resources", app.sub);
    assert_eq!(
        names(
            &app,
            &group,
            "resourceType ne 'Microsoft.Compute/virtualMachines'"
        )
        .await,
        ["web-aci"]
    );

    let mut seen = Vec::new();
    let mut url = format!("{sub}?api-version={RG_API}&$top=1");
    loop {
        let page = app.call(Method::GET, &url, None).await;
        seen.extend(
            page.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_string()),
        );
        match page.body["nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    // Key order: group, then type, then name.
    assert_eq!(seen, ["web-vm", "web-id", "db-vm", "web-aci"]);

    let bad = app
        .call(
            Method::GET,
            &format!("{sub}?api-version={RG_API}&$filter=plan%20eq%20%27x%27"),
            None,
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "InvalidFilterInQueryString")
    );
    assert_eq!(
        bad.body["error"]["message"],
        "Invalid $filter 'plan eq 'x'' specified in the query string."
    );
}

#[tokio::test]
async fn r2_r5_r17_deleting_a_group_deletes_every_resource_and_their_principals() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_group("keep").await;
    app.put_identity("rg1", "id-one").await;
    let kept = app.put_identity("keep", "id-kept").await;
    app.put_vm("rg1", "vm1", Some(json!({"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {app.identity_id("keep", "id-kept"): {}}}))).await;
    app.put_cg(
        "rg1",
        "web",
        TestApp::cg_body(Some(json!({"type": "SystemAssigned"})), "Linux"),
    )
    .await;
    assert_eq!(app.principals(&app.tenant).await.len(), 4);

    let r = app.call(Method::DELETE, &app.group_path("rg1"), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);

    let left = app.principals(&app.tenant).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        left[0]["objectId"], kept.body["properties"]["principalId"],
        "R5: the identity in another group stays"
    );
    let all = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}/resources?api-version={RG_API}", app.sub),
            None,
        )
        .await;
    assert_eq!(all.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn generic_list_expand_adds_created_changed_and_provisioning_state() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "id-a").await;
    let base = format!(
        "/subscriptions/{}/resources?api-version=2021-04-01",
        app.sub
    );
    let plain = app.call(Method::GET, &base, None).await;
    assert!(
        plain.body["value"][0].get("createdTime").is_none(),
        "only when asked for"
    );
    let expanded = app
        .call(
            Method::GET,
            &format!("{base}&$expand=createdTime,changedTime,provisioningState"),
            None,
        )
        .await;
    let r = &expanded.body["value"][0];
    assert!(
        r["createdTime"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{r}"
    );
    assert!(r["changedTime"].is_string());
    assert_eq!(r["provisioningState"], "Succeeded");
    let bad = app
        .call(Method::GET, &format!("{base}&$expand=everything"), None)
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "InvalidExpandQueryParameterValue")
    );
}
