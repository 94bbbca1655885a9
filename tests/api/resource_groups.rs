//! Resource groups: PUT/GET/HEAD/PATCH/DELETE, list and paging, the delete LRO and its cascade.
use crate::helpers::{spawn_app, RG_API};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn resource_group_put_creates_201_then_updates_200() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::PUT,
            &app.group_path("rg1"),
            Some(json!({"location": "westeurope", "tags": {"env": "test"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.body,
        json!({"id": format!("/subscriptions/{}/resourceGroups/rg1", app.sub), "name": "rg1", "type": "Microsoft.Resources/resourceGroups",
               "location": "westeurope", "tags": {"env": "test"}, "properties": {"provisioningState": "Succeeded"}})
    );
    // A PUT replaces the tags: none given, none kept; ARM then omits `tags`.
    let r = app.put_group("rg1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("tags").is_none(), "{}", r.body);
    assert_eq!(app.get_group("rg1").await.body, r.body);
}

#[tokio::test]
async fn resource_group_head_answers_204_or_404_without_body() {
    let app = spawn_app().await;
    assert_eq!(
        app.call(Method::HEAD, &app.group_path("rg1"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.put_group("rg1").await;
    let r = app.call(Method::HEAD, &app.group_path("RG1"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_null());
}

#[tokio::test]
async fn resource_group_patch_changes_only_what_is_given() {
    let app = spawn_app().await;
    app.call(
        Method::PUT,
        &app.group_path("rg1"),
        Some(json!({"location": "westeurope", "tags": {"a": "1"}})),
    )
    .await;
    let r = app
        .call(
            Method::PATCH,
            &app.group_path("rg1"),
            Some(json!({"managedBy": "/subscriptions/x/app"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["tags"], json!({"a": "1"}));
    assert_eq!(r.body["managedBy"], "/subscriptions/x/app");
    let r = app
        .call(
            Method::PATCH,
            &app.group_path("rg1"),
            Some(json!({"tags": {"b": "2"}})),
        )
        .await;
    assert_eq!(r.body["tags"], json!({"b": "2"}));
    assert_eq!(app.get_group("rg1").await.body["tags"], json!({"b": "2"}));
}

#[tokio::test]
async fn resource_group_location_cannot_change() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let r = app
        .call(
            Method::PUT,
            &app.group_path("rg1"),
            Some(json!({"location": "eastus", "tags": {"a": "1"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "InvalidResourceGroupLocation");
    assert_eq!(r.body["error"]["message"], "Invalid resource group location 'eastus'. The Resource group already exists in location 'westeurope'.");
    let after = app.get_group("rg1").await.body;
    assert_eq!(after["location"], "westeurope");
    assert!(
        after.get("tags").is_none(),
        "the failed PUT changed nothing"
    );
}

#[tokio::test]
async fn resource_group_bad_input_gets_arm_errors_and_creates_nothing() {
    let app = spawn_app().await;
    let s = app.sub.clone();
    let long = "r".repeat(91);
    let cases = [
        (format!("/subscriptions/{s}/resourceGroups/bad%20name?api-version={RG_API}"), json!({"location": "westeurope"}), StatusCode::BAD_REQUEST, "InvalidResourceGroup", "a space"),
        (format!("/subscriptions/{s}/resourceGroups/ends.?api-version={RG_API}"), json!({"location": "westeurope"}), StatusCode::BAD_REQUEST, "InvalidResourceGroup", "a trailing period"),
        (format!("/subscriptions/{s}/resourceGroups/{long}?api-version={RG_API}"), json!({"location": "westeurope"}), StatusCode::BAD_REQUEST, "InvalidResourceGroup", "91 characters"),
        (format!("/subscriptions/{s}/resourceGroups/rg1?api-version={RG_API}"), json!({}), StatusCode::BAD_REQUEST, "LocationRequired", "no location"),
        (format!("/subscriptions/{s}/resourceGroups/rg1?api-version={RG_API}"), json!({"location": "atlantis"}), StatusCode::BAD_REQUEST, "LocationNotAvailableForResourceGroup", "an unknown location"),
        (format!("/subscriptions/not-a-guid/resourceGroups/rg1?api-version={RG_API}"), json!({"location": "westeurope"}), StatusCode::BAD_REQUEST, "InvalidSubscriptionId", "a malformed subscription"),
        (format!("/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/rg1?api-version={RG_API}"), json!({"location": "westeurope"}), StatusCode::NOT_FOUND, "SubscriptionNotFound", "an unknown subscription"),
    ];
    for (path, body, status, code, why) in cases {
        let r = app.call(Method::PUT, &path, Some(body)).await;
        assert_eq!(r.status, status, "{why}: {}", r.body);
        assert_eq!(r.code(), code, "{why}");
        assert!(
            !r.body["error"]["message"].as_str().unwrap_or("").is_empty(),
            "{why}"
        );
    }
    let list = app
        .call(
            Method::GET,
            &format!("/subscriptions/{s}/resourceGroups?api-version={RG_API}"),
            None,
        )
        .await;
    assert_eq!(list.body["value"], json!([]), "nothing was created");
}

#[tokio::test]
async fn resource_group_invalid_characters_are_named_in_the_message() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::PUT,
            &format!(
                "/subscriptions/{}/resourceGroups/a%23b?api-version={RG_API}",
                app.sub
            ),
            Some(json!({"location": "westeurope"})),
        )
        .await;
    assert_eq!(r.code(), "InvalidResourceGroup");
    assert_eq!(
        r.body["error"]["message"],
        "The provided resource group name 'a#b' has these invalid characters: '#'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'."
    );
}

#[tokio::test]
async fn resource_group_get_of_a_missing_group_is_resource_group_not_found() {
    let app = spawn_app().await;
    let r = app.get_group("ghost").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ResourceGroupNotFound");
    assert_eq!(
        r.body["error"]["message"],
        "Resource group 'ghost' could not be found."
    );
}

#[tokio::test]
async fn resource_group_list_pages_with_top_and_next_link() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.put_group(&format!("rg{i}")).await;
    }
    let mut url = format!(
        "/subscriptions/{}/resourcegroups?api-version={RG_API}&$top=2",
        app.sub
    );
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let r = app.call(Method::GET, &url, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        pages += 1;
        names.extend(
            r.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["name"].as_str().unwrap().to_string()),
        );
        match r.body.get("nextLink").and_then(|n| n.as_str()) {
            Some(next) => {
                assert!(
                    next.starts_with(&app.address),
                    "nextLink is absolute and points at mi-sim: {next}"
                );
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(names, ["rg0", "rg1", "rg2", "rg3", "rg4"]);
    assert_eq!(pages, 3);
    let bad = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/resourcegroups?api-version={RG_API}&$top=0",
                app.sub
            ),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn resource_group_delete_is_a_long_running_operation_polled_202_then_200() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let r = app.call(Method::DELETE, &app.group_path("rg1"), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.body.is_null());
    let location = r.header("location").unwrap().to_string();
    assert!(
        location.starts_with(&format!(
            "{}/subscriptions/{}/operationresults/",
            app.address, app.sub
        )),
        "{location}"
    );
    assert!(location.ends_with(&format!("?api-version={RG_API}")));

    let first = app.call(Method::GET, &location, None).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(first.header("location"), Some(location.as_str()));
    let done = app.call(Method::GET, &location, None).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.body.is_null());
    assert_eq!(
        app.call(Method::HEAD, &app.group_path("rg1"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let missing = app.call(Method::DELETE, &app.group_path("rg1"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "ResourceGroupNotFound");
    let unknown = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/operationresults/nope?api-version={RG_API}",
                app.sub
            ),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn r5_deleting_a_group_deletes_its_identities_and_their_principals_only() {
    let app = spawn_app().await;
    app.put_group("doomed").await;
    app.put_group("kept").await;
    for name in ["id-a", "id-b"] {
        assert_eq!(
            app.put_identity("doomed", name).await.status,
            StatusCode::CREATED
        );
    }
    let kept = app.put_identity("kept", "id-c").await.body;
    assert_eq!(app.principals(&app.tenant.clone()).await.len(), 3);

    assert_eq!(
        app.call(Method::DELETE, &app.group_path("doomed"), None)
            .await
            .status,
        StatusCode::ACCEPTED
    );

    let left = app.principals(&app.tenant.clone()).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["objectId"], kept["properties"]["principalId"]);
    assert_eq!(
        app.get_identity("doomed", "id-a").await.code(),
        "ResourceGroupNotFound"
    );
    assert_eq!(
        app.get_identity("kept", "id-c").await.status,
        StatusCode::OK
    );
}
