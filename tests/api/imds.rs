//! Tokens from inside an instance (IMDS and the App Service form), the token cache and the
//! simulator's clock: R8, R9, R10, R12 and the refusals of R2, R3, R5, R11, by name.
use crate::helpers::{read, spawn_app, Resp, TestApp};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub(crate) const ARM: &str = "https://management.azure.com/";

/// A VM in rg1 with the given identity; returns (vm body, instance id).
pub(crate) async fn vm(app: &TestApp, name: &str, identity: Value) -> (Value, String) {
    app.put_group("rg1").await;
    let r = app.put_vm("rg1", name, Some(identity)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let instance = r.body["properties"]["vmId"].as_str().unwrap().to_string();
    (r.body, instance)
}

/// An IMDS token request from inside an instance, with `Metadata: true` and the given query.
pub(crate) async fn imds(app: &TestApp, instance: &str, query: &str) -> Resp {
    let url = format!(
        "{}/instances/{instance}/metadata/identity/oauth2/token?{query}",
        app.address
    );
    let resp = app
        .client
        .get(url)
        .header("Metadata", "true")
        .send()
        .await
        .expect("sent");
    read(resp).await
}

/// The claims of a token, verified against the tenant's published JWKS.
pub(crate) async fn verify(app: &TestApp, token: &str, tenant: &str, audience: &str) -> Value {
    let jwks = app
        .call(Method::GET, &format!("/{tenant}/discovery/v2.0/keys"), None)
        .await;
    assert_eq!(jwks.status, StatusCode::OK, "{}", jwks.body);
    let header = decode_header(token).expect("a JWT");
    assert_eq!(header.alg, Algorithm::RS256);
    let key = jwks.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref())
        .expect("the token's kid is published");
    let decoding =
        DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[format!("https://sts.windows.net/{tenant}/")]);
    decode::<Value>(token, &decoding, &validation)
        .expect("the token verifies against the JWKS")
        .claims
}

#[tokio::test]
async fn imds_answers_a_header_less_probe_at_once_with_bad_request_102() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::GET,
            "/instances/00000000-0000-0000-0000-000000000000/metadata/identity/oauth2/token",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"error": "bad_request_102", "error_description": "Required metadata header not specified"})
    );
    assert!(r.header("server").unwrap().starts_with("IMDS/"));
}

#[tokio::test]
async fn r10_a_token_request_needs_api_version_resource_and_no_proxy() {
    let app = spawn_app().await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let cases = [
        (
            "resource=https%3A%2F%2Fmanagement.azure.com%2F",
            "no api-version",
        ),
        (
            "api-version=2017-09-01&resource=x",
            "an api-version before 2018-02-01",
        ),
        ("api-version=2018-02-01", "no resource"),
        (
            "api-version=2018-02-01&resource=x&resource=y",
            "a parameter twice",
        ),
        (
            "api-version=2018-02-01&resource=x&client_id=a&object_id=b",
            "two selectors",
        ),
    ];
    for (query, why) in cases {
        let r = imds(&app, &instance, query).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{why}: {}", r.body);
        assert!(r.body.get("error").is_some(), "{why}: {}", r.body);
    }
    let old = imds(&app, &instance, "api-version=2017-09-01&resource=x").await;
    assert!(old.body["newest-versions"].is_array());
    let proxied = app
        .client
        .get(format!("{}/instances/{instance}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x", app.address))
        .header("Metadata", "true")
        .header("X-Forwarded-For", "10.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), StatusCode::BAD_REQUEST);
    let ok = imds(
        &app,
        &instance,
        "api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F",
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn r8_system_identity_by_default_verified_against_the_jwks() {
    let app = spawn_app().await;
    let (body, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let r = imds(
        &app,
        &instance,
        "api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for field in [
        "access_token",
        "client_id",
        "expires_in",
        "expires_on",
        "ext_expires_in",
        "not_before",
        "resource",
        "token_type",
    ] {
        assert!(r.body[field].is_string(), "{field} is a string: {}", r.body);
    }
    assert_eq!(
        r.body["resource"], ARM,
        "the audience is echoed with its trailing slash"
    );
    let claims = verify(
        &app,
        r.body["access_token"].as_str().unwrap(),
        &app.tenant,
        ARM,
    )
    .await;
    assert_eq!(claims["oid"], body["identity"]["principalId"]);
    assert_eq!(claims["sub"], body["identity"]["principalId"]);
    assert_eq!(claims["tid"], app.tenant);
    assert_eq!(claims["appid"], r.body["client_id"]);
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(
        claims["xms_mirid"],
        format!(
            "/subscriptions/{}/resourcegroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1",
            app.sub
        )
    );
    let expires_in: i64 = r.body["expires_in"].as_str().unwrap().parse().unwrap();
    let expires_on: i64 = r.body["expires_on"].as_str().unwrap().parse().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap(), expires_on);
    assert!(expires_in > 80_000);
}

#[tokio::test]
async fn r8_two_user_assigned_identities_and_no_system_one_need_a_selector() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let a = app.put_identity("rg1", "id-a").await;
    let b = app.put_identity("rg1", "id-b").await;
    let (_, instance) = vm(
        &app,
        "vm1",
        json!({"type": "UserAssigned", "userAssignedIdentities": {app.identity_id("rg1", "id-a"): {}, app.identity_id("rg1", "id-b"): {}}}),
    )
    .await;
    let base = "api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net";

    let none = imds(&app, &instance, base).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert_eq!(none.body["error"], "invalid_request");
    assert!(none.body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("Multiple user assigned identities exist"));

    let by_client = imds(
        &app,
        &instance,
        &format!(
            "{base}&client_id={}",
            b.body["properties"]["clientId"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(by_client.status, StatusCode::OK, "{}", by_client.body);
    let claims = verify(
        &app,
        by_client.body["access_token"].as_str().unwrap(),
        &app.tenant,
        "https://vault.azure.net",
    )
    .await;
    assert_eq!(claims["oid"], b.body["properties"]["principalId"]);
    assert!(claims["xms_mirid"]
        .as_str()
        .unwrap()
        .ends_with("/userAssignedIdentities/id-b"));
    assert!(claims["xms_az_rid"]
        .as_str()
        .unwrap()
        .ends_with("/virtualMachines/vm1"));

    let by_object = imds(
        &app,
        &instance,
        &format!(
            "{base}&object_id={}",
            a.body["properties"]["principalId"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        by_object.body["client_id"],
        a.body["properties"]["clientId"]
    );
    let by_resource = imds(
        &app,
        &instance,
        &format!("{base}&msi_res_id={}", app.identity_id("rg1", "ID-A")),
    )
    .await;
    assert_eq!(
        by_resource.body["client_id"],
        a.body["properties"]["clientId"]
    );
    let unknown = imds(
        &app,
        &instance,
        &format!("{base}&client_id=00000000-0000-0000-0000-000000000000"),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.body["error_description"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Identity not found"))
    );
}

#[tokio::test]
async fn imds_caches_a_token_until_shortly_before_expiry_on_the_simulator_clock() {
    let app = spawn_app().await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let frozen = app
        .call(
            Method::PUT,
            "/simulator/clock",
            Some(json!({"frozen": true})),
        )
        .await;
    assert_eq!(frozen.body["frozen"], true);
    let q = "api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F";
    let first = imds(&app, &instance, q).await;
    let again = imds(&app, &instance, q).await;
    assert_eq!(
        first.body["access_token"], again.body["access_token"],
        "cached"
    );

    let moved = app
        .call(
            Method::POST,
            "/simulator/clock/advance",
            Some(json!({"seconds": 3600})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    let later = imds(&app, &instance, q).await;
    assert_eq!(
        later.body["access_token"], first.body["access_token"],
        "still cached an hour on"
    );
    let left = |r: &Resp| {
        r.body["expires_in"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    assert_eq!(left(&first) - left(&later), 3600, "expires_in counts down");

    app.call(
        Method::POST,
        "/simulator/clock/advance",
        Some(json!({"seconds": left(&later) - 200})),
    )
    .await;
    let fresh = imds(&app, &instance, q).await;
    assert_ne!(
        fresh.body["access_token"], first.body["access_token"],
        "a new token near expiry"
    );
    assert!(left(&fresh) > 80_000);
    let other_audience = imds(
        &app,
        &instance,
        "api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net",
    )
    .await;
    assert_ne!(
        other_audience.body["access_token"],
        fresh.body["access_token"]
    );

    let set = app
        .call(
            Method::PUT,
            "/simulator/clock",
            Some(json!({"now": "2030-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(set.body["now"], "2030-01-01T00:00:00Z");
    let bad = app
        .call(
            Method::PUT,
            "/simulator/clock",
            Some(json!({"now": "tomorrow"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "InvalidClockTime")
    );
    app.call(Method::POST, "/simulator/reset", None).await;
    let after_reset = app.call(Method::GET, "/simulator/clock", None).await;
    assert_eq!(after_reset.body["frozen"], false);
    assert!(after_reset.body["now"].as_str().unwrap() < "2030");
}

#[tokio::test]
async fn r3_a_disabled_system_identity_gets_no_token() {
    let app = spawn_app().await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    app.patch_vm("rg1", "vm1", json!({"identity": {"type": "None"}}))
        .await;
    let r = imds(&app, &instance, "api-version=2018-02-01&resource=x").await;
    assert_eq!(
        (r.status, r.body["error_description"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Identity not found"))
    );
}

#[tokio::test]
async fn r5_a_deleted_user_assigned_identity_still_listed_on_the_vm_gets_no_token() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "id-a").await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "UserAssigned", "userAssignedIdentities": {app.identity_id("rg1", "id-a"): {}}})).await;
    let q = "api-version=2018-02-01&resource=x";
    assert_eq!(imds(&app, &instance, q).await.status, StatusCode::OK);

    app.call(Method::DELETE, &app.identity_path("rg1", "id-a"), None)
        .await;

    let r = imds(&app, &instance, q).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client"))
    );
    let text = r.body["error_description"].as_str().unwrap();
    assert!(
        text.starts_with("AADSTS700016") && text.contains("rule R5"),
        "{text}"
    );
    // Made again under the same name, it is a new principal: the old reference stays broken.
    app.put_identity("rg1", "id-a").await;
    assert_eq!(
        imds(&app, &instance, q).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn r11_after_a_subscription_transfer_both_identity_kinds_are_refused() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let uai = app.put_identity("rg1", "id-a").await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {app.identity_id("rg1", "id-a"): {}}})).await;
    let other = app.create_tenant().await;

    app.transfer_subscription_to(&other).await;

    let system = imds(&app, &instance, "api-version=2018-02-01&resource=x").await;
    let user = imds(
        &app,
        &instance,
        &format!(
            "api-version=2018-02-01&resource=x&client_id={}",
            uai.body["properties"]["clientId"].as_str().unwrap()
        ),
    )
    .await;
    for r in [&system, &user] {
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let text = r.body["error_description"].as_str().unwrap();
        assert!(
            text.contains(&format!("directory '{other}'")) && text.contains("rule R11"),
            "{text}"
        );
    }
    // Remedy for the system identity: disable, enable. A new principal in the new tenant.
    app.patch_vm("rg1", "vm1", json!({"identity": {"type": "UserAssigned"}}))
        .await;
    app.patch_vm(
        "rg1",
        "vm1",
        json!({"identity": {"type": "SystemAssigned, UserAssigned"}}),
    )
    .await;
    let again = imds(&app, &instance, "api-version=2018-02-01&resource=x").await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let claims = verify(
        &app,
        again.body["access_token"].as_str().unwrap(),
        &other,
        "x",
    )
    .await;
    assert_eq!(
        claims["tid"], other,
        "R12: the token names its principal's tenant"
    );
}

#[tokio::test]
async fn r2_a_deleted_vm_is_no_instance_any_more() {
    let app = spawn_app().await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    app.call(Method::DELETE, &app.vm_path("rg1", "vm1", ""), None)
        .await;
    let r = imds(&app, &instance, "api-version=2018-02-01&resource=x").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn app_service_protocol_and_instances_give_the_same_identity() {
    let app = spawn_app().await;
    let (body, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let found = app
        .call(
            Method::GET,
            &format!(
                "/simulator/instances?resourceId={}",
                body["id"]
                    .as_str()
                    .unwrap()
                    .to_uppercase()
                    .replace("SUBSCRIPTIONS", "subscriptions")
            ),
            None,
        )
        .await;
    assert_eq!(found.status, StatusCode::OK);
    let i = &found.body["value"][0];
    assert_eq!(i["instanceId"], instance.as_str());
    let by_name = app
        .call(Method::GET, "/simulator/instances?name=VM1", None)
        .await;
    assert_eq!(by_name.body["value"][0]["instanceId"], instance.as_str());
    let one = app
        .call(
            Method::GET,
            &format!("/simulator/instances/{instance}"),
            None,
        )
        .await;
    assert_eq!(one.body["env"]["IDENTITY_HEADER"], i["identityHeader"]);
    assert_eq!(
        one.body["env"]["AZURE_POD_IDENTITY_AUTHORITY_HOST"],
        format!("{}/instances/{instance}", app.address)
    );
    let endpoint = i["env"]["IDENTITY_ENDPOINT"].as_str().unwrap();
    let header = i["env"]["IDENTITY_HEADER"].as_str().unwrap();

    let get = |h: &str, q: &str| {
        app.client
            .get(format!("{endpoint}?{q}"))
            .header("X-IDENTITY-HEADER", h)
            .send()
    };
    let ok = read(
        get(
            header,
            "api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(
        ok.body.get("expires_in").is_none(),
        "App Service sends expires_on only"
    );
    assert!(ok.body["expires_on"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .is_ok());
    let claims = verify(
        &app,
        ok.body["access_token"].as_str().unwrap(),
        &app.tenant,
        ARM,
    )
    .await;
    assert_eq!(claims["oid"], body["identity"]["principalId"]);
    let wrong = read(
        get("nope", "api-version=2019-08-01&resource=x")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body["message"].is_string());
    let version = read(
        get(header, "api-version=2017-09-01&resource=x")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(version.status, StatusCode::BAD_REQUEST);

    let meta = app
        .client
        .get(format!(
            "{}/instances/{instance}/metadata/instance?api-version=2021-02-01",
            app.address
        ))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    let meta = read(meta).await;
    assert_eq!(meta.body["compute"]["vmId"], instance.as_str());
    assert_eq!(meta.body["compute"]["resourceGroupName"], "rg1");
    assert_eq!(meta.body["compute"]["subscriptionId"], app.sub);
}
#[tokio::test]
async fn r9_an_instance_gets_only_its_own_identities_and_container_groups_are_instances_too() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let uai = app.put_identity("rg1", "id-b").await;
    let (_, vm_a) = vm(&app, "vm-a", json!({"type": "SystemAssigned"})).await;
    app.put_vm("rg1", "vm-b", Some(json!({"type": "UserAssigned", "userAssignedIdentities": {app.identity_id("rg1", "id-b"): {}}}))).await;

    let foreign = imds(
        &app,
        &vm_a,
        &format!(
            "api-version=2018-02-01&resource=x&client_id={}",
            uai.body["properties"]["clientId"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        (foreign.status, foreign.body["error_description"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Identity not found")),
        "another VM's identity is out of reach"
    );

    let group = app
        .put_cg(
            "rg1",
            "web",
            TestApp::cg_body(Some(json!({"type": "SystemAssigned"})), "Linux"),
        )
        .await;
    let found = app
        .call(Method::GET, "/simulator/instances?name=web", None)
        .await;
    let instance = found.body["value"][0]["instanceId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = imds(&app, &instance, "api-version=2018-02-01&resource=x").await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    let claims = verify(
        &app,
        token.body["access_token"].as_str().unwrap(),
        &app.tenant,
        "x",
    )
    .await;
    assert_eq!(claims["oid"], group.body["identity"]["principalId"]);
    assert!(claims["xms_mirid"]
        .as_str()
        .unwrap()
        .ends_with("/containerGroups/web"));
}
