//! State and key material survive a restart on the same database file.
use crate::helpers::{spawn_app, spawn_app_in};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn restart_on_the_same_database_keeps_all_state_and_the_ca() {
    let app = spawn_app().await;
    let other = app.create_tenant().await;
    app.put_group("rg1").await;
    let identity = app.put_identity("rg1", "id1").await.body;
    let ca_before = std::fs::read(app.ca_path()).unwrap();
    let dir = app.stop().await;

    let app = spawn_app_in(dir).await;
    assert_eq!(app.get_identity("rg1", "id1").await.body, identity);
    assert_eq!(app.principals(&app.tenant.clone()).await.len(), 1);
    let tenants = app.call(Method::GET, "/simulator/tenants", None).await;
    assert!(tenants.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["tenantId"] == other.as_str()));
    assert_eq!(
        std::fs::read(app.ca_path()).unwrap(),
        ca_before,
        "the CA is kept"
    );
    let subs = app
        .call(Method::GET, "/subscriptions?api-version=2022-12-01", None)
        .await;
    assert_eq!(subs.status, StatusCode::OK);
    assert_eq!(
        subs.body["value"].as_array().unwrap().len(),
        1,
        "the bootstrap is not repeated"
    );
}
