//! VM extensions, the legacy managed-identity extension and its token endpoint (R18), the
//! fault that fails its provisioning, and template export, over HTTP.
use crate::helpers::{spawn_app, TestApp, COMPUTE_API, RG_API};
use crate::imds::ARM;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const LINUX: &str = "ManagedIdentityExtensionForLinux";

fn ext_path(app: &TestApp, vm: &str, name: &str) -> String {
    app.vm_path("rg1", vm, &format!("/extensions/{name}"))
}

/// The body `az vm extension set` sends for the legacy extension.
fn mi_extension() -> Value {
    json!({"location": "westeurope", "properties": {
        "autoUpgradeMinorVersion": true, "publisher": "Microsoft.ManagedIdentity",
        "settings": {"port": 50342}, "type": LINUX, "typeHandlerVersion": "1.0"}})
}

/// PUTs an extension and follows its operation; (first answer, final operation status).
async fn put_extension(app: &TestApp, vm: &str, name: &str, body: Value) -> (Value, Value) {
    let r = app
        .call(Method::PUT, &ext_path(app, vm, name), Some(body))
        .await;
    assert!(
        r.status == StatusCode::CREATED || r.status == StatusCode::OK,
        "{}",
        r.body
    );
    let url = r
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation")
        .to_string();
    app.poll_async(&url).await;
    (r.body, app.call(Method::GET, &url, None).await.body)
}

async fn vm_with_identity(app: &TestApp) -> String {
    app.put_group("rg1").await;
    let vm = app
        .put_vm("rg1", "vm1", Some(json!({"type": "SystemAssigned"})))
        .await;
    vm.body["properties"]["vmId"].as_str().unwrap().to_string()
}

/// A token request to the legacy extension's endpoint.
async fn legacy_token(app: &TestApp, instance: &str) -> crate::helpers::Resp {
    let url = format!(
        "{}/instances/{instance}/oauth2/token?resource={ARM}",
        app.address
    );
    let r = app
        .client
        .get(url)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    crate::helpers::read(r).await
}

#[tokio::test]
async fn extensions_are_stored_as_compute_serves_them() {
    let app = spawn_app().await;
    vm_with_identity(&app).await;
    let body = json!({"location": "westeurope", "properties": {
        "publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1",
        "settings": {"commandToExecute": "echo hi"}, "protectedSettings": {"secret": "s3cret"}}});
    let (first, status) = put_extension(&app, "vm1", "script", body).await;
    assert_eq!(first["properties"]["provisioningState"], "Creating");
    assert_eq!(
        first["type"],
        "Microsoft.Compute/virtualMachines/extensions"
    );
    assert_eq!(status["status"], "Succeeded");
    let got = app
        .call(Method::GET, &ext_path(&app, "vm1", "script"), None)
        .await;
    assert_eq!(got.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        got.body["properties"]["settings"]["commandToExecute"],
        "echo hi"
    );
    assert!(
        !got.body.to_string().contains("s3cret"),
        "protectedSettings are never returned"
    );
    let patched = app
        .call(
            Method::PATCH,
            &ext_path(&app, "vm1", "script"),
            Some(json!({"properties": {"typeHandlerVersion": "2.2"}})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let list = app
        .call(Method::GET, &app.vm_path("rg1", "vm1", "/extensions"), None)
        .await;
    assert_eq!(
        list.body["value"][0]["properties"]["typeHandlerVersion"],
        "2.2"
    );
    assert_eq!(
        list.body["value"][0]["properties"]["publisher"],
        "Microsoft.Azure.Extensions"
    );

    let missing = app
        .call(
            Method::PUT,
            &ext_path(&app, "vm1", "bad"),
            Some(json!({"properties": {"type": "X"}})),
        )
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::BAD_REQUEST, "InvalidParameter")
    );
    assert_eq!(missing.body["error"]["target"], "publisher");
    let gone = app
        .call(Method::GET, &ext_path(&app, "vm1", "bad"), None)
        .await;
    assert_eq!(
        gone.status,
        StatusCode::NOT_FOUND,
        "a refused PUT stores nothing"
    );

    let deleted = app
        .call(Method::DELETE, &ext_path(&app, "vm1", "script"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED);
    let again = app
        .call(Method::DELETE, &ext_path(&app, "vm1", "script"), None)
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn r18_the_legacy_extension_serves_its_token_endpoint_only_while_provisioned() {
    let app = spawn_app().await;
    let instance = vm_with_identity(&app).await;
    let before = legacy_token(&app, &instance).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND, "{}", before.body);
    assert!(before.body["error_description"]
        .as_str()
        .unwrap()
        .contains("R18"));

    let (_, status) = put_extension(&app, "vm1", LINUX, mi_extension()).await;
    assert_eq!(status["status"], "Succeeded", "{status}");
    let token = legacy_token(&app, &instance).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    assert_eq!(token.body["token_type"], "Bearer");
    assert_eq!(token.body["refresh_token"], "");
    assert!(token.body["expires_in"].is_string() && token.body["expires_on"].is_string());
    let no_header = app
        .client
        .get(format!(
            "{}/instances/{instance}/oauth2/token?resource={ARM}",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status(), StatusCode::BAD_REQUEST);

    // The VM's instance view lists it as az vm extension set looks for it.
    let vm = app
        .call(
            Method::GET,
            &format!("{}&$expand=instanceView", app.vm_path("rg1", "vm1", "")),
            None,
        )
        .await;
    let exts = vm.body["properties"]["instanceView"]["extensions"]
        .as_array()
        .unwrap();
    assert_eq!(
        exts[0]["type"],
        format!("Microsoft.ManagedIdentity.{LINUX}")
    );

    app.call(Method::DELETE, &ext_path(&app, "vm1", LINUX), None)
        .await;
    assert_eq!(
        legacy_token(&app, &instance).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn r18_a_dns_fault_fails_provisioning_until_the_vm_restarts() {
    let app = spawn_app().await;
    let instance = vm_with_identity(&app).await;
    let vm_id = format!(
        "/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1",
        app.sub
    );
    let fault = app
        .call(
            Method::POST,
            "/simulator/faults",
            Some(json!({"kind": "extensionDnsFailure", "target": vm_id})),
        )
        .await;
    assert_eq!(fault.status, StatusCode::CREATED, "{}", fault.body);
    assert_eq!(fault.body["remaining"], 1);

    let (_, status) = put_extension(&app, "vm1", LINUX, mi_extension()).await;
    assert_eq!(status["status"], "Failed", "{status}");
    assert_eq!(status["error"]["code"], "VMExtensionProvisioningError");
    let message = status["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("DNS") && message.contains("Restart the VM"),
        "{message}"
    );
    let got = app
        .call(
            Method::GET,
            &format!("{}&$expand=instanceView", ext_path(&app, "vm1", LINUX)),
            None,
        )
        .await;
    assert_eq!(got.body["properties"]["provisioningState"], "Failed");
    assert_eq!(
        got.body["properties"]["instanceView"]["statuses"][0]["level"],
        "Error"
    );
    assert_eq!(
        legacy_token(&app, &instance).await.status,
        StatusCode::NOT_FOUND
    );
    let faults = app.call(Method::GET, "/simulator/faults", None).await;
    assert_eq!(faults.body["value"], json!([]), "a spent fault is gone");

    // Retrying without a restart fails the same way: the failure lasts until the VM restarts.
    let (_, retry) = put_extension(&app, "vm1", LINUX, mi_extension()).await;
    assert_eq!(retry["status"], "Failed");

    let restart = app
        .call(Method::POST, &app.vm_path("rg1", "vm1", "/restart"), None)
        .await;
    assert_eq!(restart.status, StatusCode::ACCEPTED);
    let (_, fixed) = put_extension(&app, "vm1", LINUX, mi_extension()).await;
    assert_eq!(fixed["status"], "Succeeded", "{fixed}");
    assert_eq!(legacy_token(&app, &instance).await.status, StatusCode::OK);
}

#[tokio::test]
async fn faults_are_listed_cleared_and_refused_when_malformed() {
    let app = spawn_app().await;
    let vm_id = format!(
        "/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1",
        app.sub
    );
    for (body, target) in [
        (json!({"kind": "nope", "target": vm_id}), "kind"),
        (
            json!({"kind": "extensionDnsFailure", "target": "vm1"}),
            "target",
        ),
        (
            json!({"kind": "extensionDnsFailure", "target": format!("/subscriptions/{}/resourceGroups/rg1", app.sub)}),
            "target",
        ),
        (
            json!({"kind": "extensionDnsFailure", "target": vm_id, "count": 0}),
            "count",
        ),
    ] {
        let r = app
            .call(Method::POST, "/simulator/faults", Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.body["error"]["target"], target, "{body}");
    }
    let a = app
        .call(
            Method::POST,
            "/simulator/faults",
            Some(json!({"kind": "extensionDnsFailure", "target": vm_id, "count": 3})),
        )
        .await;
    app.call(
        Method::POST,
        "/simulator/faults",
        Some(json!({"kind": "extensionDnsFailure", "target": vm_id})),
    )
    .await;
    let list = app.call(Method::GET, "/simulator/faults", None).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 2);
    let id = a.body["id"].as_str().unwrap();
    assert_eq!(
        app.call(Method::DELETE, &format!("/simulator/faults/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("/simulator/faults/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::DELETE, "/simulator/faults", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::GET, "/simulator/faults", None).await.body["value"],
        json!([])
    );
}

#[tokio::test]
async fn r7_a_vm_with_the_legacy_extension_holds_at_most_32_user_assigned_identities() {
    let app = spawn_app().await;
    vm_with_identity(&app).await;
    put_extension(&app, "vm1", LINUX, mi_extension()).await;
    let mut ids = serde_json::Map::new();
    for i in 0..33 {
        app.put_identity("rg1", &format!("id-{i:02}")).await;
        ids.insert(app.identity_id("rg1", &format!("id-{i:02}")), json!({}));
    }
    let refused = app
        .patch_vm("rg1", "vm1", json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": ids.clone()}}))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'32'"),
        "{}",
        refused.body
    );
    ids.remove(&app.identity_id("rg1", "id-32"));
    let ok = app
        .patch_vm("rg1", "vm1", json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": ids}}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn extension_versions_are_listed_as_az_looks_them_up() {
    let app = spawn_app().await;
    let base = format!(
        "/subscriptions/{}/providers/Microsoft.Compute/locations/westeurope/publishers",
        app.sub
    );
    let publishers = app
        .call(Method::GET, &format!("{base}?api-version=2024-11-01"), None)
        .await;
    assert!(publishers
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Microsoft.ManagedIdentity"));
    let types = app
        .call(Method::GET, &format!("{base}/microsoft.managedidentity/artifacttypes/vmextension/types?api-version=2024-11-01"), None)
        .await;
    assert!(
        types
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == LINUX),
        "{}",
        types.body
    );
    let versions = app
        .call(Method::GET, &format!("{base}/Microsoft.ManagedIdentity/artifacttypes/vmextension/types/{LINUX}/versions?api-version={COMPUTE_API}"), None)
        .await;
    assert_eq!(versions.body[0]["name"], "1.0.0.10");
    let unknown = app
        .call(
            Method::GET,
            &format!("{base}/Nobody/artifacttypes/vmextension/types?api-version=2024-11-01"),
            None,
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "ArtifactNotFound")
    );
}

async fn export(app: &TestApp, body: Value) -> Value {
    let r = app
        .call(
            Method::POST,
            &format!(
                "/subscriptions/{}/resourcegroups/rg1/exportTemplate?api-version={RG_API}",
                app.sub
            ),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    assert_eq!(
        app.call(Method::GET, &location, None).await.status,
        StatusCode::ACCEPTED
    );
    let done = app.call(Method::GET, &location, None).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    done.body
}

#[tokio::test]
async fn export_template_writes_the_group_as_a_template() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "id-a").await;
    app.put_vm(
        "rg1",
        "vm1",
        Some(json!({"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {app.identity_id("rg1", "id-a"): {}}})),
    )
    .await;
    let body = export(&app, json!({"resources": ["*"], "outputFormat": "Json"})).await;
    assert!(body.get("error").is_none(), "{body}");
    let t = &body["template"];
    assert_eq!(t["contentVersion"], "1.0.0.0");
    let resources = t["resources"].as_array().unwrap();
    let types: Vec<&str> = resources
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            "Microsoft.Compute/virtualMachines"
        ]
    );
    assert_eq!(
        resources[1]["identity"]["type"],
        "SystemAssigned, UserAssigned"
    );
    assert!(
        !t.to_string().contains("S3cret"),
        "secrets are not exported"
    );

    let literal = export(&app, json!({"resources": [app.identity_id("rg1", "id-a")], "options": "SkipAllParameterization"})).await;
    let resources = literal["template"]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0]["name"], "['id-a']");
    assert_eq!(literal["template"]["parameters"], json!({}));

    for (bad, says) in [
        (json!({"resources": []}), "is empty"),
        (
            json!({"resources": ["*"], "options": "Everything"}),
            "Everything",
        ),
        (json!({"resources": ["*"], "outputFormat": "Bicep"}), "JSON"),
        (
            json!({"resources": [app.identity_id("rg2", "x")]}),
            "not the id of a resource",
        ),
    ] {
        let r = app
            .call(
                Method::POST,
                &format!(
                    "/subscriptions/{}/resourceGroups/rg1/exportTemplate?api-version={RG_API}",
                    app.sub
                ),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(says),
            "{bad}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn r18_export_of_a_group_with_the_legacy_extension_reports_it_and_drops_the_identity() {
    let app = spawn_app().await;
    vm_with_identity(&app).await;
    put_extension(&app, "vm1", LINUX, mi_extension()).await;
    let body = export(&app, json!({"resources": ["*"]})).await;
    assert_eq!(
        body["error"]["code"], "ExportTemplateCompletedWithErrors",
        "{body}"
    );
    let detail = &body["error"]["details"][0];
    assert_eq!(detail["code"], "ExportTemplateProviderError");
    assert!(
        detail["message"].as_str().unwrap().contains(LINUX),
        "{detail}"
    );
    let resources = body["template"]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "the VM, without the extension");
    assert!(resources[0].get("identity").is_none(), "{}", resources[0]);
}
