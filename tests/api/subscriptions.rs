//! Subscriptions, tenants, locations, providers.
use crate::helpers::{spawn_app, RG_API};
use reqwest::{Method, StatusCode};
use serde_json::json;

const SUB_API: &str = "2022-12-01";

#[tokio::test]
async fn subscriptions_list_and_get_show_the_bootstrapped_subscription_and_its_tenant() {
    let app = spawn_app().await;
    let list = app
        .call(
            Method::GET,
            &format!("/subscriptions?api-version={SUB_API}"),
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    let one = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}?api-version={SUB_API}", app.sub),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body, list.body["value"][0]);
    assert_eq!(one.body["id"], format!("/subscriptions/{}", app.sub));
    assert_eq!(one.body["subscriptionId"], app.sub);
    assert_eq!(one.body["tenantId"], app.tenant);
    assert_eq!(one.body["state"], "Enabled");
    assert_eq!(one.body["subscriptionPolicies"]["spendingLimit"], "Off");
}

#[tokio::test]
async fn subscriptions_get_of_unknown_or_malformed_ids_gets_arm_errors() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::GET,
            &format!("/subscriptions/99999999-9999-4999-8999-999999999999?api-version={SUB_API}"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "SubscriptionNotFound")
    );
    assert_eq!(
        r.body["error"]["message"],
        "The subscription '99999999-9999-4999-8999-999999999999' could not be found."
    );
    let r = app
        .call(
            Method::GET,
            &format!("/subscriptions/abc?api-version={SUB_API}"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidSubscriptionId")
    );
    let r = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}?api-version=2001-01-01", app.sub),
            None,
        )
        .await;
    assert_eq!(r.code(), "InvalidApiVersionParameter");
}

#[tokio::test]
async fn tenants_list_shows_every_tenant() {
    let app = spawn_app().await;
    let other = app.create_tenant().await;
    let r = app
        .call(
            Method::GET,
            &format!("/tenants?api-version={SUB_API}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ids: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [app.tenant.as_str(), other.as_str()]);
    let first = &r.body["value"][0];
    assert_eq!(first["id"], format!("/tenants/{}", app.tenant));
    assert_eq!(first["tenantCategory"], "Home");
    assert_eq!(first["defaultDomain"], first["domains"][0]);
}

#[tokio::test]
async fn subscriptions_list_locations_shows_regions() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}/locations?api-version={SUB_API}", app.sub),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let westeurope = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "westeurope")
        .expect("westeurope");
    assert_eq!(westeurope["displayName"], "West Europe");
    assert_eq!(
        westeurope["id"],
        format!("/subscriptions/{}/locations/westeurope", app.sub)
    );
    assert_eq!(westeurope["type"], "Region");
    assert_eq!(westeurope["metadata"]["physicalLocation"], "Netherlands");
    assert_eq!(
        westeurope["availabilityZoneMappings"][0],
        serde_json::json!({"logicalZone": "1", "physicalZone": "westeurope-az1"})
    );
    let westus = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "westus")
        .expect("westus");
    assert_eq!(westus["metadata"]["physicalLocation"], "California");
    assert!(
        westus.get("availabilityZoneMappings").is_none(),
        "West US has no zones"
    );
}

#[tokio::test]
async fn providers_are_registered_with_their_types_and_api_versions() {
    let tenant_scope = crate::helpers::spawn_app().await;
    let compute = tenant_scope
        .call(
            Method::GET,
            &format!("/providers/microsoft.compute?api-version={RG_API}"),
            None,
        )
        .await;
    assert_eq!(compute.status, StatusCode::OK, "{}", compute.body);
    assert_eq!(compute.body["namespace"], "Microsoft.Compute");
    assert!(compute.body["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["resourceType"] == "virtualMachines"
            && t["apiVersions"]
                .as_array()
                .unwrap()
                .contains(&json!("2026-04-01"))));
    let app = spawn_app().await;
    let r = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}/providers?api-version={RG_API}", app.sub),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let msi = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["namespace"] == "Microsoft.ManagedIdentity")
        .expect("MSI listed");
    assert_eq!(msi["registrationState"], "Registered");
    assert_eq!(msi["registrationPolicy"], "RegistrationRequired");
    let resources = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["namespace"] == "Microsoft.Resources")
        .expect("Microsoft.Resources listed");
    assert_eq!(resources["registrationPolicy"], "RegistrationFree");
    let uai = msi["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["resourceType"] == "userAssignedIdentities")
        .unwrap();
    assert!(uai["apiVersions"]
        .as_array()
        .unwrap()
        .contains(&json!("2024-11-30")));
    assert_eq!(
        uai["defaultApiVersion"], "2026-05-31",
        "the newest stable version"
    );

    let one = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/providers/microsoft.managedidentity?api-version={RG_API}",
                app.sub
            ),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        one.body["id"],
        format!(
            "/subscriptions/{}/providers/Microsoft.ManagedIdentity",
            app.sub
        )
    );
    let reg = app.call(Method::POST, &format!("/subscriptions/{}/providers/Microsoft.ManagedIdentity/register?api-version={RG_API}", app.sub), None).await;
    assert_eq!(reg.body, one.body);
    let unknown = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/providers/Microsoft.Nope?api-version={RG_API}",
                app.sub
            ),
            None,
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "InvalidResourceNamespace")
    );
}

#[tokio::test]
async fn cloud_metadata_points_az_cli_and_terraform_at_mi_sim_itself() {
    let app = crate::helpers::spawn_app().await;
    // az CLI joins the ARM URL it was given, trailing slash and all.
    let r = app
        .call(
            reqwest::Method::GET,
            "//metadata/endpoints?api-version=2022-09-01",
            None,
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "mi-sim");
    assert_eq!(r.body["resourceManager"], format!("{}/", app.address));
    assert_eq!(r.body["authentication"]["loginEndpoint"], app.address);
    assert_eq!(
        r.body["authentication"]["audiences"][0],
        "https://management.core.windows.net/"
    );
    assert!(r.body["microsoftGraphResourceId"].is_string());
    let array = app
        .call(
            reqwest::Method::GET,
            "/metadata/endpoints?api-version=2019-05-01",
            None,
        )
        .await;
    assert_eq!(array.body[0]["resourceManager"], r.body["resourceManager"]);
    for (query, code) in [
        ("?api-version=2015-01-01", "InvalidApiVersionParameter"),
        ("", "MissingApiVersionParameter"),
    ] {
        let refused = app
            .call(
                reqwest::Method::GET,
                &format!("/metadata/endpoints{query}"),
                None,
            )
            .await;
        assert_eq!(
            (refused.status, refused.code()),
            (reqwest::StatusCode::BAD_REQUEST, code)
        );
    }
}
