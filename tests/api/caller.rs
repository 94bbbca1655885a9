//! The one authorization point: the front door verifies a bearer token against mi-sim's key
//! and clock; `GET /simulator/caller` shows what it made of the token.
use crate::entra::grant;
use crate::helpers::{read, spawn_app, Resp, TestApp};
use crate::imds::{imds, vm, ARM};
use mi_sim::ops::applications::{WELL_KNOWN_APP_ID, WELL_KNOWN_APP_SECRET};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn caller(app: &TestApp, token: Option<&str>) -> Resp {
    let mut req = app.client.get(format!("{}/simulator/caller", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = read(req.send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r
}

#[tokio::test]
async fn caller_a_token_mi_sim_signed_names_its_principal_and_anything_else_is_anonymous() {
    let app = spawn_app().await;
    let none = caller(&app, None).await.body;
    assert_eq!(
        (none["verified"].clone(), none["reason"].clone()),
        (json!(false), json!("no bearer token"))
    );
    assert_eq!(none["createdBy"], "anonymous@mi-sim");

    // A managed identity's token, from the VM's metadata endpoint.
    let (body, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let token = imds(
        &app,
        &instance,
        &format!("api-version=2018-02-01&resource={ARM}"),
    )
    .await;
    let token = token.body["access_token"].as_str().unwrap().to_string();
    let mi = caller(&app, Some(&token)).await.body;
    assert_eq!(mi["verified"], true, "{mi}");
    assert_eq!(mi["kind"], "ManagedIdentity");
    assert_eq!(mi["principalId"], body["identity"]["principalId"]);
    assert_eq!(mi["tenantId"], app.tenant.as_str());
    assert!(mi["resourceId"]
        .as_str()
        .unwrap()
        .ends_with("/providers/Microsoft.Compute/virtualMachines/vm1"));

    // An application's token, from mi-sim's Entra.
    let app_token = grant(
        &app,
        &app.tenant,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", WELL_KNOWN_APP_ID),
            ("client_secret", WELL_KNOWN_APP_SECRET),
            ("scope", "https://management.azure.com//.default"),
        ],
        true,
    )
    .await;
    let app_token = app_token.body["access_token"].as_str().unwrap().to_string();
    let a = caller(&app, Some(&app_token)).await.body;
    assert_eq!(
        (
            a["verified"].clone(),
            a["kind"].clone(),
            a["clientId"].clone()
        ),
        (json!(true), json!("Application"), json!(WELL_KNOWN_APP_ID))
    );
    assert_eq!(
        (a["createdBy"].clone(), a["createdByType"].clone()),
        (json!(WELL_KNOWN_APP_ID), json!("Application"))
    );

    // A token mi-sim did not sign: anonymous, though its claims still name the caller in
    // systemData, as the open mode accepts any token.
    let forged = format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
        base64_url(
            r#"{"upn":"someone@contoso.com","oid":"x","tid":"y","appid":"z","exp":99999999999}"#
        )
    );
    let f = caller(&app, Some(&forged)).await.body;
    assert_eq!(
        (f["verified"].clone(), f["reason"].clone()),
        (json!(false), json!("the token is not one mi-sim signed"))
    );
    assert_eq!(f["createdBy"], "someone@contoso.com");
    let put = app.put_group("forged-rg").await;
    assert!(put.status.is_success());

    // Past its expiry on the simulator's clock, mi-sim's own token no longer names anyone.
    let r = app
        .call(
            Method::POST,
            "/simulator/clock/advance",
            Some(json!({"seconds": 2 * 86_400})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let late = caller(&app, Some(&token)).await.body;
    assert_eq!(
        (late["verified"].clone(), late["reason"].clone()),
        (json!(false), json!("the token has expired"))
    );
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
