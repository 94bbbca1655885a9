//! Entra: the discovery documents and keys per tenant, and the client-credentials grant of
//! applications (v1 and v2 endpoints, AADSTS errors).
use crate::helpers::{read, spawn_app, Resp, TestApp};
use crate::imds::{verify, ARM};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn entra_discovery_documents_per_tenant_and_unknown_tenants() {
    let app = spawn_app().await;
    let v2 = app
        .call(
            Method::GET,
            &format!("/{}/v2.0/.well-known/openid-configuration", app.tenant),
            None,
        )
        .await;
    assert_eq!(v2.status, StatusCode::OK);
    assert_eq!(
        v2.body["token_endpoint"],
        format!("{}/{}/oauth2/v2.0/token", app.address, app.tenant)
    );
    assert_eq!(
        v2.body["jwks_uri"],
        format!("{}/{}/discovery/v2.0/keys", app.address, app.tenant)
    );
    let v1 = app
        .call(
            Method::GET,
            &format!("/{}/.well-known/openid-configuration", app.tenant),
            None,
        )
        .await;
    assert_eq!(
        v1.body["issuer"],
        format!("https://sts.windows.net/{}/", app.tenant)
    );
    let common = app.call(Method::GET, "/common/discovery/keys", None).await;
    let keys = common.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0]["kty"].as_str(), keys[0]["e"].as_str()),
        (Some("RSA"), Some("AQAB"))
    );
    assert_eq!(keys[0]["kid"], keys[0]["x5t"]);
    let unknown = app
        .call(
            Method::GET,
            "/33333333-3333-4333-8333-333333333333/v2.0/.well-known/openid-configuration",
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["error"], "invalid_tenant");
    assert_eq!(unknown.body["error_codes"], json!([90002]));
}

/// A refused grant: tenant, form, and the status, error and AADSTS code expected.
type GrantCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str, u64);

/// A client-credentials request to mi-sim's Entra; `v2` picks the endpoint.
pub(crate) async fn grant(app: &TestApp, tenant: &str, form: &[(&str, &str)], v2: bool) -> Resp {
    let path = if v2 {
        "oauth2/v2.0/token"
    } else {
        "oauth2/token"
    };
    let resp = app
        .client
        .post(format!("{}/{tenant}/{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("sent");
    read(resp).await
}

#[tokio::test]
async fn entra_client_credentials_for_the_well_known_and_a_new_application() {
    let app = spawn_app().await;
    let listed = app
        .call(
            Method::GET,
            &format!("/simulator/tenants/{}/applications", app.tenant),
            None,
        )
        .await;
    let well_known = &listed.body["value"][0];
    let (id, secret) = (
        well_known["appId"].as_str().unwrap(),
        well_known["clientSecret"].as_str().unwrap(),
    );
    assert_eq!(id, mi_sim::ops::applications::WELL_KNOWN_APP_ID);
    assert!(app
        .all_principals(&app.tenant)
        .await
        .iter()
        .any(|p| p["appId"] == id && p["kind"] == "Application"));

    let v2 = grant(
        &app,
        &app.tenant,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "https://management.azure.com//.default"),
        ],
        true,
    )
    .await;
    assert_eq!(v2.status, StatusCode::OK, "{}", v2.body);
    assert!(v2.body["expires_in"].is_number(), "v2 answers numbers");
    let claims = verify(
        &app,
        v2.body["access_token"].as_str().unwrap(),
        &app.tenant,
        ARM,
    )
    .await;
    assert_eq!(
        (claims["appid"].as_str(), claims["oid"].as_str()),
        (
            Some(id),
            Some(mi_sim::ops::applications::WELL_KNOWN_APP_OBJECT_ID)
        )
    );
    let v1 = grant(
        &app,
        &app.tenant,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("resource", ARM),
        ],
        false,
    )
    .await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.body);
    assert!(
        v1.body["expires_on"].is_string() && v1.body["expires_in"].is_string(),
        "v1 answers strings"
    );

    let other = app.create_tenant().await;
    let created = app
        .call(
            Method::POST,
            &format!("/simulator/tenants/{other}/applications"),
            Some(json!({"displayName": "pipeline"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let (new_id, new_secret) = (
        created.body["appId"].as_str().unwrap(),
        created.body["clientSecret"].as_str().unwrap(),
    );
    let ok = grant(
        &app,
        &other,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", new_id),
            ("client_secret", new_secret),
            ("scope", "https://vault.azure.net/.default"),
        ],
        true,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let listed = app
        .call(
            Method::GET,
            &format!("/simulator/tenants/{other}/applications"),
            None,
        )
        .await;
    assert!(
        listed.body["value"][0].get("clientSecret").is_none(),
        "a secret is shown once"
    );

    let cases: [GrantCase; 5] = [
        (
            app.tenant.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", "wrong"),
                ("scope", "x/.default"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
        ),
        (
            app.tenant.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", new_id),
                ("client_secret", new_secret),
                ("scope", "x/.default"),
            ],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        (
            "66666666-6666-4666-8666-666666666666",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("scope", "x/.default"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
        ),
        (
            app.tenant.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("scope", "https://vault.azure.net/read"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
        ),
        (
            app.tenant.as_str(),
            vec![("grant_type", "password"), ("client_id", id)],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
        ),
    ];
    for (tenant, form, status, error, code) in cases {
        let r = grant(&app, tenant, &form, true).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (status, Some(error)),
            "{}",
            r.body
        );
        assert_eq!(r.body["error_codes"], json!([code]));
        assert!(r.body["error_description"]
            .as_str()
            .unwrap()
            .starts_with(&format!("AADSTS{code}:")));
    }
}
