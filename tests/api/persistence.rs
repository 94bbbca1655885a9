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

/// A database written before migrations 0011 and 0012 (principals storing their resource's
/// id, extensions keyed under their VM, one wide VM row) keeps its VM, the VM's extension
/// and its principal when this build opens it, and they behave as this build's own.
#[tokio::test]
async fn a_database_from_before_the_split_of_vm_rows_keeps_its_vms_and_extensions() {
    use mi_sim::ops::bootstrap::{DEFAULT_SUBSCRIPTION_ID as SUB, DEFAULT_TENANT_ID as TENANT};
    let dir = tempfile::tempdir().unwrap();
    // The migrations as they were: 0001 to 0010.
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "0011" {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("mi-sim.db"))
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let (vm_id, principal, instance) = (
        format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1"),
        "44444444-4444-4444-8444-444444444444",
        "55555555-5555-4555-8555-555555555555",
    );
    let now = "2026-12-01T00:00:00Z";
    sqlx::query(&format!(
        "insert into tenants (id, display_name, default_domain, created_at) values ('{TENANT}', 'Default', 'default.example', '{now}');
         insert into subscriptions (id, display_name, tenant_id, created_at, tenant_since) values ('{SUB}', 'Default', '{TENANT}', '{now}', '{now}');
         insert into resource_groups (subscription_id, name, name_key, location, created_at) values ('{SUB}', 'rg1', 'rg1', 'westeurope', '{now}');
         insert into service_principals (object_id, app_id, tenant_id, display_name, kind, resource_id, created_at)
             values ('{principal}', '66666666-6666-4666-8666-666666666666', '{TENANT}', 'vm1', 'SystemAssigned', '{vm_id}', '{now}');
         insert into compute_resources (subscription_id, resource_group_key, resource_type, name, name_key, location,
             instance_id, properties, power_state, identity_type, system_principal_id, system_client_id, system_tenant_id,
             created_at, created_by, created_by_type, modified_at, modified_by, modified_by_type, identity_written_at)
             values ('{SUB}', 'rg1', 'Microsoft.Compute/virtualMachines', 'vm1', 'vm1', 'westeurope', '{instance}',
                     '{{\"hardwareProfile\": {{\"vmSize\": \"Standard_B1s\"}}}}', 'running', 'SystemAssigned', '{principal}',
                     '66666666-6666-4666-8666-666666666666', '{TENANT}', '{now}', 'a', 'User', '{now}', 'a', 'User', lower('{vm_id}'));
         insert into vm_extensions (subscription_id, resource_group_key, vm_name_key, name, name_key, location,
             properties, provisioning_state, created_at, modified_at)
             values ('{SUB}', 'rg1', 'vm1', 'script', 'script', 'westeurope',
                     '{{\"publisher\": \"Microsoft.Azure.Extensions\", \"type\": \"CustomScript\"}}', 'Succeeded', '{now}', '{now}');"
    ))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let app = spawn_app_in(dir).await;
    let vm = app.get_vm("rg1", "vm1").await;
    assert_eq!(vm.status, StatusCode::OK, "{}", vm.body);
    assert_eq!(
        vm.body["properties"]["hardwareProfile"]["vmSize"],
        "Standard_B1s"
    );
    assert_eq!(vm.body["properties"]["vmId"], instance);
    assert_eq!(vm.body["identity"]["principalId"], principal);
    let ext = app
        .call(
            Method::GET,
            &app.vm_path("rg1", "vm1", "/extensions/script"),
            None,
        )
        .await;
    assert_eq!(ext.status, StatusCode::OK, "{}", ext.body);
    assert_eq!(ext.body["properties"]["type"], "CustomScript");
    let principals = app.principals(&app.tenant).await;
    let p = principals
        .iter()
        .find(|p| p["objectId"] == principal)
        .expect("the principal is kept");
    assert_eq!(p["resourceId"], vm_id.as_str());
    // Written by this build, the old rows behave as its own.
    let tagged = app
        .call(
            Method::PATCH,
            &app.vm_path("rg1", "vm1", ""),
            Some(serde_json::json!({"tags": {"fixVM": "yes"}})),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::OK, "{}", tagged.body);
    assert_eq!(
        tagged.body["properties"]["hardwareProfile"]["vmSize"],
        "Standard_B1s"
    );
    let deleted = app
        .call(Method::DELETE, &app.vm_path("rg1", "vm1", ""), None)
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    assert!(app
        .principals(&app.tenant)
        .await
        .iter()
        .all(|p| p["objectId"] != principal));
}
