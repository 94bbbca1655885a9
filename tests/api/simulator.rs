//! The control API under /simulator: tenants, subscriptions, service principals, reset.
use crate::helpers::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn simulator_creates_tenants_with_given_or_generated_ids() {
    let app = spawn_app().await;
    let r = app.call(Method::POST, "/simulator/tenants", Some(json!({"tenantId": "33333333-3333-4333-8333-333333333333", "displayName": "Contoso"}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["tenantId"], "33333333-3333-4333-8333-333333333333");
    assert_eq!(r.body["displayName"], "Contoso");
    let generated = app.create_tenant().await;
    let list = app.call(Method::GET, "/simulator/tenants", None).await;
    let ids: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            app.tenant.as_str(),
            "33333333-3333-4333-8333-333333333333",
            generated.as_str()
        ]
    );
}

#[tokio::test]
async fn simulator_bad_tenant_requests_get_errors_and_change_nothing() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"tenantId": app.tenant}),
            StatusCode::CONFLICT,
            "TenantAlreadyExists",
            "an existing id",
        ),
        (
            json!({"tenantId": "nope"}),
            StatusCode::BAD_REQUEST,
            "InvalidTenantId",
            "a malformed id",
        ),
        (
            json!({"displayName": 5}),
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "a name of the wrong type",
        ),
    ];
    for (body, status, code, why) in cases {
        let r = app
            .call(Method::POST, "/simulator/tenants", Some(body))
            .await;
        assert_eq!((r.status, r.code()), (status, code), "{why}");
    }
    let list = app.call(Method::GET, "/simulator/tenants", None).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn simulator_put_subscription_creates_and_transfer_moves_it_between_tenants() {
    let app = spawn_app().await;
    let t2 = app.create_tenant().await;
    let path = "/simulator/subscriptions/44444444-4444-4444-8444-444444444444";
    let r = app
        .call(
            Method::PUT,
            path,
            Some(json!({"tenantId": app.tenant, "displayName": "Dev"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["displayName"], "Dev");
    // A PUT naming another tenant is not a second way to transfer: it points at the one way.
    let refused = app
        .call(Method::PUT, path, Some(json!({"tenantId": t2})))
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "UseSubscriptionTransfer")
    );
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{path}/transfer")),
        "{}",
        refused.body
    );
    let r = app
        .call(
            Method::POST,
            &format!("{path}/transfer"),
            Some(json!({"targetTenantId": t2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["tenantId"], t2);
    assert_eq!(
        r.body["displayName"], "Dev",
        "the name is kept when not given"
    );
    let arm = app
        .call(
            Method::GET,
            "/subscriptions/44444444-4444-4444-8444-444444444444?api-version=2022-12-01",
            None,
        )
        .await;
    assert_eq!(arm.body["tenantId"], t2);

    let unknown = app
        .call(
            Method::POST,
            &format!("{path}/transfer"),
            Some(json!({"targetTenantId": "55555555-5555-4555-8555-555555555555"})),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "TenantNotFound")
    );
    let missing = app.call(Method::PUT, path, Some(json!({}))).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::BAD_REQUEST, "InvalidRequestContent")
    );
    let arm = app
        .call(
            Method::GET,
            "/subscriptions/44444444-4444-4444-8444-444444444444?api-version=2022-12-01",
            None,
        )
        .await;
    assert_eq!(arm.body["tenantId"], t2, "refused requests changed nothing");
}

#[tokio::test]
async fn simulator_service_principals_of_an_unknown_tenant_is_not_found() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::GET,
            "/simulator/tenants/55555555-5555-4555-8555-555555555555/servicePrincipals",
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "TenantNotFound")
    );
}

#[tokio::test]
async fn simulator_reset_returns_to_the_bootstrapped_state_and_keeps_the_ca() {
    let app = spawn_app().await;
    let ca_before = std::fs::read(app.ca_path()).unwrap();
    let other = app.create_tenant().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "id1").await;
    app.transfer_subscription_to(&other).await;

    let r = app.call(Method::POST, "/simulator/reset", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    let tenants = app.call(Method::GET, "/simulator/tenants", None).await;
    assert_eq!(tenants.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(tenants.body["value"][0]["tenantId"], app.tenant);
    let sub = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}?api-version=2022-12-01", app.sub),
            None,
        )
        .await;
    assert_eq!(
        sub.body["tenantId"], app.tenant,
        "the default subscription trusts the default tenant again"
    );
    assert_eq!(app.get_group("rg1").await.status, StatusCode::NOT_FOUND);
    assert!(app.principals(&app.tenant.clone()).await.is_empty());

    // The same CA still signs the HTTPS listener.
    let ca = reqwest::Certificate::from_pem(&ca_before).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let r = client
        .get(format!(
            "{}/subscriptions?api-version=2022-12-01",
            app.tls_address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
