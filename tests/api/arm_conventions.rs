//! ARM conventions every surface shares: api-version, errors, headers, case, absolute URLs.
use crate::helpers::{spawn_app, MSI_API, RG_API};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn arm_missing_api_version_is_rejected_on_every_surface() {
    let app = spawn_app().await;
    let s = &app.sub;
    for path in [
        "/subscriptions".to_string(),
        "/tenants".to_string(),
        format!("/subscriptions/{s}"),
        format!("/subscriptions/{s}/resourceGroups/rg1"),
        format!("/subscriptions/{s}/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"),
    ] {
        let r = app.call(Method::GET, &path, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(r.code(), "MissingApiVersionParameter", "{path}");
        assert_eq!(r.body["error"]["message"], "The api-version query parameter (?api-version=) is required for all requests.");
    }
}

#[tokio::test]
async fn arm_unknown_api_version_of_arm_endpoints_is_invalid_api_version_parameter() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::PUT,
            &format!(
                "/subscriptions/{}/resourceGroups/rg1?api-version=2001-01-01",
                app.sub
            ),
            Some(json!({"location": "westeurope"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "InvalidApiVersionParameter");
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "The api-version '2001-01-01' is invalid. The supported versions are '2026-06-01,2025-04-01,"
        ),
        "{msg}"
    );
    // Nothing was created.
    assert_eq!(app.get_group("rg1").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn arm_unknown_api_version_of_provider_types_is_no_registered_provider_found() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let path = format!("/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1?api-version=2001-01-01", app.sub);
    let r = app
        .call(Method::PUT, &path, Some(json!({"location": "westeurope"})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "NoRegisteredProviderFound");
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("for type 'userAssignedIdentities'")
            && msg.contains("2024-11-30, 2023-07-31-preview, 2023-01-31"),
        "{msg}"
    );
    assert_eq!(
        app.get_identity("rg1", "id1").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn arm_every_response_carries_request_ids_and_rate_limit_headers_errors_included() {
    let app = spawn_app().await;
    let cases = [
        (
            Method::GET,
            "/subscriptions?api-version=2022-12-01".to_string(),
            "x-ms-ratelimit-remaining-subscription-reads",
        ),
        (
            Method::GET,
            format!(
                "/subscriptions/{}/resourceGroups/nope?api-version={RG_API}",
                app.sub
            ),
            "x-ms-ratelimit-remaining-subscription-reads",
        ),
        (
            Method::PUT,
            app.group_path("rg1"),
            "x-ms-ratelimit-remaining-subscription-writes",
        ),
        (
            Method::DELETE,
            app.identity_path("rg1", "nope"),
            "x-ms-ratelimit-remaining-subscription-deletes",
        ),
        (
            Method::GET,
            "/no/such/route".to_string(),
            "x-ms-ratelimit-remaining-subscription-reads",
        ),
    ];
    for (method, path, limit) in cases {
        let resp = app
            .client
            .request(method.clone(), format!("{}{path}", app.address))
            .header("x-ms-correlation-request-id", "corr-123")
            .json(&json!({"location": "westeurope"}))
            .send()
            .await
            .unwrap();
        let h = resp.headers();
        assert!(
            h.get("x-ms-request-id")
                .is_some_and(|v| uuid::Uuid::parse_str(v.to_str().unwrap()).is_ok()),
            "{method} {path}"
        );
        assert_eq!(
            h.get("x-ms-correlation-request-id").unwrap(),
            "corr-123",
            "{method} {path}"
        );
        assert!(h.get(limit).is_some(), "{method} {path} lacks {limit}");
        assert!(
            h.get("x-ms-routing-request-id").is_some(),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn arm_correlation_id_is_generated_when_the_client_sends_none() {
    let app = spawn_app().await;
    let r = app
        .call(Method::GET, "/subscriptions?api-version=2022-12-01", None)
        .await;
    let corr = r.header("x-ms-correlation-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(corr).is_ok(), "{corr}");
}

#[tokio::test]
async fn arm_paths_and_names_match_case_insensitively_and_keep_display_casing() {
    let app = spawn_app().await;
    let s = &app.sub;
    let r = app
        .call(
            Method::PUT,
            &format!(
                "/SUBSCRIPTIONS/{}/resourcegroups/MyGroup?api-version={RG_API}",
                s.to_uppercase()
            ),
            Some(json!({"location": "West Europe"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["location"], "westeurope");

    let path = format!("/subscriptions/{s}/RESOURCEGROUPS/mygroup/providers/microsoft.managedidentity/USERASSIGNEDIDENTITIES/WebId?api-version={MSI_API}");
    let r = app
        .call(Method::PUT, &path, Some(json!({"location": "westeurope"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The group keeps the casing it was created with; the identity the casing it was created with.
    assert_eq!(
        r.body["id"],
        format!("/subscriptions/{s}/resourcegroups/MyGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/WebId")
    );
    let r = app.get_identity("MYGROUP", "webid").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "WebId");
    // A PUT in other casing is an update, not a second identity.
    let again = app.put_identity("mygroup", "WEBID").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        again.body["properties"]["principalId"],
        r.body["properties"]["principalId"]
    );
    let r = app.get_group("MYGROUP").await;
    assert_eq!(r.body["name"], "MyGroup");
}

#[tokio::test]
async fn arm_unknown_routes_get_an_arm_404_not_plain_text() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::GET, "/nope"),
        (Method::POST, "/subscriptions"),
        (Method::GET, "/subscriptions/x/y/z/w/v/u"),
    ] {
        let r = app.call(method.clone(), path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(r.code(), "NotFound", "{method} {path}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }
}

#[tokio::test]
async fn arm_bad_bodies_get_4xx_arm_errors_and_change_nothing() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let before = app.get_group("rg1").await.body;
    let big = format!(
        "{{\"location\":\"westeurope\",\"tags\":{{\"a\":\"{}\"}}}}",
        "x".repeat(5 * 1024 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            b"{\"location\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
        ),
        (
            "not an object",
            b"[1,2]".to_vec(),
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
        ),
        (
            "location of the wrong type",
            br#"{"location": 5}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
        ),
        (
            "tags of the wrong type",
            br#"{"location": "westeurope", "tags": {"a": 1}}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
        ),
        (
            "tag name with a slash",
            br#"{"location": "westeurope", "tags": {"a/b": "1"}}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "InvalidTagNameCharacters",
        ),
        (
            "empty body",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
        ),
        (
            "oversized body",
            big.into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
        ),
    ];
    for (why, body, status, code) in cases {
        let r = app
            .call_raw(Method::PUT, &app.group_path("rg1"), body.clone())
            .await;
        assert_eq!(r.status, status, "group PUT, {why}: {}", r.body);
        assert_eq!(r.code(), code, "group PUT, {why}");
        let r = app
            .call_raw(Method::PUT, &app.identity_path("rg1", "id1"), body)
            .await;
        assert_eq!(r.status, status, "identity PUT, {why}: {}", r.body);
        assert_eq!(r.code(), code, "identity PUT, {why}");
    }
    assert_eq!(
        app.get_group("rg1").await.body,
        before,
        "the group is unchanged"
    );
    assert_eq!(
        app.get_identity("rg1", "id1").await.status,
        StatusCode::NOT_FOUND,
        "no identity was created"
    );
    assert!(app.principals(&app.tenant.clone()).await.is_empty());
}

#[tokio::test]
async fn arm_absolute_urls_point_at_the_host_the_request_came_in_on() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let r = app
        .client
        .delete(format!("{}{}", app.address, app.group_path("rg1")))
        .header("host", "mi-sim.example:9999")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!(
            "http://mi-sim.example:9999/subscriptions/{}/operationresults/",
            app.sub
        )),
        "{location}"
    );
}

#[tokio::test]
async fn arm_is_served_over_https_with_the_generated_ca() {
    let app = spawn_app().await;
    let ca = std::fs::read(app.ca_path()).expect("the CA file is written");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let r = client
        .put(format!("{}{}", app.tls_address, app.group_path("rg1")))
        .json(&json!({"location": "westeurope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = client
        .delete(format!("{}{}", app.tls_address, app.group_path("rg1")))
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{}/subscriptions/", app.tls_address)),
        "{location}"
    );
    // The poller can follow the https Location back to mi-sim.
    assert_eq!(
        client.get(&location).send().await.unwrap().status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        client.get(&location).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn arm_openapi_document_lists_every_surface() {
    let app = spawn_app().await;
    let r = app.call(Method::GET, "/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let paths = r.body["paths"].as_object().unwrap();
    for p in [
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}",
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
        "/simulator/tenants",
        "/simulator/reset",
        "/simulator/tenants/{tenantId}/servicePrincipals",
        "/simulator/subscriptions/{subscriptionId}",
    ] {
        assert!(paths.contains_key(p), "{p} is missing from the OpenAPI document");
    }
}

#[test]
fn openapi_document_checked_in_matches_the_generated_one() {
    let generated = serde_json::to_string_pretty(&mi_sim::http::openapi()).unwrap() + "\n";
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap();
    assert!(
        generated == committed,
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn arm_front_door_checks_subscription_and_group_before_the_providers_name_rules() {
    let app = spawn_app().await;
    let body = Some(json!({"location": "westeurope"}));
    // A name too short for ManagedIdentity, in a group that does not exist: ARM answers for the
    // group first.
    let r = app
        .call(
            Method::PUT,
            &app.identity_path("missing-rg", "ab"),
            body.clone(),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "ResourceGroupNotFound"),
        "{}",
        r.body
    );
    let vm = app
        .call(
            Method::PUT,
            &app.vm_path("missing-rg", "bad_name!", ""),
            body.clone(),
        )
        .await;
    assert_eq!(
        (vm.status, vm.code()),
        (StatusCode::NOT_FOUND, "ResourceGroupNotFound"),
        "{}",
        vm.body
    );
    let other_sub = "/subscriptions/33333333-3333-4333-8333-333333333333/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ab?api-version=2023-01-31";
    let s = app.call(Method::PUT, other_sub, body.clone()).await;
    assert_eq!(
        (s.status, s.code()),
        (StatusCode::NOT_FOUND, "SubscriptionNotFound"),
        "{}",
        s.body
    );
    // Once the group exists, the provider's own rule answers.
    app.put_group("rg1").await;
    let r = app
        .call(Method::PUT, &app.identity_path("rg1", "ab"), body)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidResourceName"),
        "{}",
        r.body
    );
}
