//! Template deployments (`Microsoft.Resources/deployments`) over HTTP: the long-running PUT,
//! outputs, operations, validate, what-if, Complete mode, failures, subscription scope, and
//! the identity rules holding for what a template deploys (R1, R4, R5).
use crate::helpers::{spawn_app, Resp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const DEPLOY_API: &str = "2025-04-01";

fn deployment_path(app: &TestApp, rg: &str, name: &str, suffix: &str) -> String {
    format!(
        "/subscriptions/{}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{name}{suffix}?api-version={DEPLOY_API}",
        app.sub
    )
}

fn body(template: Value, parameters: Value, mode: &str) -> Value {
    json!({"properties": {"mode": mode, "template": template, "parameters": parameters}})
}

/// An identity, and its principal id as an output (declared `PrincipalId`: ARM answers
/// `principalId`).
fn identity_template() -> Value {
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"name": {"type": "string"}, "location": {"type": "string", "defaultValue": "[resourceGroup().location]"}},
        "resources": [{
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
            "name": "[parameters('name')]", "location": "[parameters('location')]",
            "tags": {"madeBy": "template"}
        }],
        "outputs": {
            "PrincipalId": {"type": "string", "value": "[reference(parameters('name')).principalId]"},
            "id": {"type": "string", "value": "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('name'))]"}
        }
    })
}

/// PUTs a deployment and waits for it to end; the first answer and the deployment at its end.
pub async fn deploy(app: &TestApp, rg: &str, name: &str, body: Value) -> (Resp, Resp) {
    let first = app
        .call(Method::PUT, &deployment_path(app, rg, name, ""), Some(body))
        .await;
    assert!(
        first.status == StatusCode::CREATED || first.status == StatusCode::OK,
        "{}",
        first.body
    );
    (first, wait(app, rg, name).await)
}

/// Reads a deployment until it is no longer Accepted or Running.
pub async fn wait(app: &TestApp, rg: &str, name: &str) -> Resp {
    for _ in 0..400 {
        let r = app
            .call(Method::GET, &deployment_path(app, rg, name, ""), None)
            .await;
        let state = r.body["properties"]["provisioningState"]
            .as_str()
            .unwrap_or("");
        if !matches!(state, "Accepted" | "Running") {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("deployment {name} did not end");
}

#[tokio::test]
async fn r1_a_deployed_identity_makes_its_principal_and_the_deployment_reports_it() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let (first, done) = deploy(
        &app,
        "rg1",
        "ids",
        body(
            identity_template(),
            json!({"name": {"value": "app-id"}}),
            "Incremental",
        ),
    )
    .await;
    // The first answer: 201, Accepted, with the operation to poll.
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.body["properties"]["provisioningState"], "Accepted");
    let status_url = first
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation")
        .to_string();
    assert!(
        status_url.contains("/deployments/ids/operationStatuses/"),
        "{status_url}"
    );
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(
        first.body["id"],
        format!(
            "/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Resources/deployments/ids",
            app.sub
        )
    );
    assert_eq!(
        done.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        done.body
    );
    let status = app.call(Method::GET, &status_url, None).await;
    assert_eq!(status.body, json!({"status": "Succeeded"}));

    // The identity exists, with its principal (R1); the output holds that principal id.
    let identity = app.get_identity("rg1", "app-id").await;
    assert_eq!(identity.status, StatusCode::OK);
    assert_eq!(identity.body["tags"]["madeBy"], "template");
    let principal = identity.body["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let props = &done.body["properties"];
    assert_eq!(
        props["outputs"]["principalId"],
        json!({"type": "String", "value": principal})
    );
    assert!(
        props["outputs"].get("PrincipalId").is_none(),
        "ARM lowercases an output's first letter"
    );
    assert_eq!(
        props["parameters"]["name"],
        json!({"type": "String", "value": "app-id"})
    );
    assert_eq!(props["parameters"]["location"]["value"], "westeurope");
    assert_eq!(props["mode"], "Incremental");
    assert_eq!(
        props["outputResources"][0]["id"],
        app.identity_id("rg1", "app-id")
    );
    assert!(app
        .principals(&app.tenant)
        .await
        .iter()
        .any(|p| p["objectId"] == principal.as_str()));

    // One operation per resource, with ARM's fields, at both paths clients use.
    for path in [
        deployment_path(&app, "rg1", "ids", "/operations"),
        format!("/subscriptions/{}/resourcegroups/rg1/deployments/ids/operations?api-version={DEPLOY_API}", app.sub),
    ] {
        let ops = app.call(Method::GET, &path, None).await;
        assert_eq!(ops.status, StatusCode::OK, "{}", ops.body);
        let op = &ops.body["value"][0];
        assert_eq!(op["properties"]["provisioningOperation"], "Create");
        assert_eq!(op["properties"]["provisioningState"], "Succeeded");
        assert_eq!(op["properties"]["statusCode"], "Created");
        assert_eq!(op["properties"]["targetResource"]["resourceType"], "Microsoft.ManagedIdentity/userAssignedIdentities");
        let one = app
            .call(Method::GET, &format!("{}?api-version={DEPLOY_API}", op["id"].as_str().unwrap()), None)
            .await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        assert_eq!(one.body["operationId"], op["operationId"]);
    }

    // A second PUT of the same deployment is 200 and leaves one identity.
    let again = app
        .call(
            Method::PUT,
            &deployment_path(&app, "rg1", "ids", ""),
            Some(body(
                identity_template(),
                json!({"name": {"value": "app-id"}}),
                "Incremental",
            )),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let done = wait(&app, "rg1", "ids").await;
    assert_eq!(done.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        app.get_identity("rg1", "app-id").await.body["properties"]["principalId"],
        principal.as_str()
    );
}

#[tokio::test]
async fn r4_a_template_grants_a_role_to_a_vms_system_identity_it_enables() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let template = json!({
        "parameters": {"count": {"type": "int", "defaultValue": 2}},
        "variables": {"reader": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]"},
        "resources": [
            {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01",
             "name": "[concat('vm', copyIndex(1))]", "location": "westeurope",
             "copy": {"name": "vms", "count": "[parameters('count')]"},
             "identity": {"type": "SystemAssigned"},
             "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}},
            {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
             "name": "[guid(resourceGroup().id, concat('vm', copyIndex(1)), variables('reader'))]",
             "copy": {"name": "grants", "count": "[parameters('count')]"},
             "dependsOn": ["vms"],
             "properties": {
                "roleDefinitionId": "[variables('reader')]",
                "principalId": "[reference(resourceId('Microsoft.Compute/virtualMachines', concat('vm', copyIndex(1))), '2024-07-01', 'Full').identity.principalId]",
                "principalType": "ServicePrincipal"}}
        ],
        "outputs": {"vm2Principal": {"type": "string", "value": "[reference('vm2', '2024-07-01', 'Full').identity.principalId]"}}
    });
    let (_, done) = deploy(
        &app,
        "rg1",
        "grants",
        body(template, json!({}), "Incremental"),
    )
    .await;
    assert_eq!(
        done.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        done.body
    );
    let vm2 = app.get_vm("rg1", "vm2").await;
    let principal = vm2.body["identity"]["principalId"].as_str().unwrap();
    assert_eq!(
        done.body["properties"]["outputs"]["vm2Principal"]["value"],
        principal
    );
    // The assignments are there, named by guid(), for each VM's principal.
    let list = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01", app.sub),
            None,
        )
        .await;
    let principals: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["properties"]["scope"]
                .as_str()
                .unwrap()
                .ends_with("/resourceGroups/rg1")
        })
        .filter_map(|a| a["properties"]["principalId"].as_str())
        .collect();
    assert!(principals.contains(&principal), "{}", list.body);
    assert_eq!(principals.len(), 2, "{}", list.body);
    // The answer names what waited for what.
    let deps = done.body["properties"]["dependencies"].as_array().unwrap();
    assert_eq!(deps.len(), 2, "{deps:?}");
    assert_eq!(deps[0]["dependsOn"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_bad_expression_is_invalid_template_naming_where_and_deploys_nothing() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let mut template = identity_template();
    template["resources"][0]["name"] = json!("[concat(parameters('name')]");
    let r = app
        .call(
            Method::PUT,
            &deployment_path(&app, "rg1", "bad", ""),
            Some(body(
                template,
                json!({"name": {"value": "not-made"}}),
                "Incremental",
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.code(), "InvalidTemplate");
    assert_eq!(
        r.body["error"]["additionalInfo"][0]["info"]["path"],
        "properties.template.resources[0].name"
    );
    let unknown = app
        .call(
            Method::PUT,
            &deployment_path(&app, "rg1", "bad", ""),
            Some(body(
                identity_template(),
                json!({"name": {"value": "not-made"}, "extra": {"value": 1}}),
                "Incremental",
            )),
        )
        .await;
    assert_eq!(unknown.code(), "InvalidTemplate", "{}", unknown.body);
    assert!(unknown.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'extra'"));
    let missing = app
        .call(Method::GET, &deployment_path(&app, "rg1", "bad", ""), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "DeploymentNotFound");
    assert_eq!(
        missing.body["error"]["message"],
        "Deployment 'bad' could not be found."
    );
    assert_eq!(
        app.get_identity("rg1", "not-made").await.status,
        StatusCode::NOT_FOUND
    );
    // A request without a mode, or with a link to fetch, says what to send.
    let no_mode = app
        .call(
            Method::PUT,
            &deployment_path(&app, "rg1", "bad", ""),
            Some(json!({"properties": {"template": {}}})),
        )
        .await;
    assert_eq!(no_mode.code(), "InvalidRequestContent");
    let link = app
        .call(Method::PUT, &deployment_path(&app, "rg1", "bad", ""), Some(json!({"properties": {"mode": "Incremental", "templateLink": {"uri": "https://x"}}})))
        .await;
    assert!(link.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("templateLink"));
}

#[tokio::test]
async fn a_failing_resource_makes_the_deployment_failed_with_its_own_error() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let missing = app.identity_id("rg1", "nope");
    let template = json!({
        "resources": [
            {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "fine", "location": "westeurope"},
            {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01", "name": "vm1", "location": "westeurope",
             "dependsOn": ["fine"],
             "identity": {"type": "UserAssigned", "userAssignedIdentities": {missing.clone(): {}}},
             "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}}
        ]
    });
    let (first, done) = deploy(
        &app,
        "rg1",
        "broken",
        body(template, json!({}), "Incremental"),
    )
    .await;
    let props = &done.body["properties"];
    assert_eq!(props["provisioningState"], "Failed", "{}", done.body);
    assert_eq!(props["error"]["code"], "DeploymentFailed");
    let detail = &props["error"]["details"][0];
    assert!(
        !detail["code"].as_str().unwrap_or("").is_empty(),
        "{detail}"
    );
    assert!(
        detail.to_string().contains("nope"),
        "the VM's own error names the identity: {detail}"
    );
    // The status document az prints.
    let status = app
        .call(
            Method::GET,
            first.header("azure-asyncoperation").unwrap(),
            None,
        )
        .await;
    assert_eq!(status.body["status"], "Failed");
    assert_eq!(status.body["error"]["code"], "DeploymentFailed");
    // The operations: the identity succeeded, the VM failed with its error.
    let ops = app
        .call(
            Method::GET,
            &deployment_path(&app, "rg1", "broken", "/operations"),
            None,
        )
        .await;
    let ops = ops.body["value"].as_array().unwrap().clone();
    assert_eq!(ops.len(), 2);
    let vm = ops
        .iter()
        .find(|o| o["properties"]["targetResource"]["resourceName"] == "vm1")
        .unwrap();
    assert_eq!(vm["properties"]["provisioningState"], "Failed");
    assert_eq!(vm["properties"]["statusMessage"]["status"], "Failed");
    assert!(vm["properties"]["statusMessage"]["error"]["code"].is_string());
    // Failed deployments are listed by their state.
    let failed = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/resourcegroups/rg1/providers/Microsoft.Resources/deployments/?api-version={DEPLOY_API}&$filter=provisioningState%20eq%20'Failed'",
                app.sub
            ),
            None,
        )
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.body);
    assert_eq!(failed.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(failed.body["value"][0]["name"], "broken");
}

#[tokio::test]
async fn r5_complete_mode_deletes_what_the_template_leaves_out_and_its_principal() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "kept").await;
    let gone = app.put_identity("rg1", "gone").await;
    let gone_principal = gone.body["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let template = json!({
        "resources": [
            {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "kept", "location": "westeurope"},
            {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "off", "location": "westeurope", "condition": false}
        ]
    });
    // What-if first: kept is unchanged, gone would be deleted.
    let what_if = what_if(&app, "rg1", body(template.clone(), json!({}), "Complete")).await;
    let change = |name: &str| {
        what_if["properties"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["resourceId"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{name}"))
            })
            .map(|c| c["changeType"].as_str().unwrap().to_string())
    };
    assert_eq!(change("kept").as_deref(), Some("NoChange"), "{what_if}");
    assert_eq!(change("gone").as_deref(), Some("Delete"), "{what_if}");
    assert_eq!(
        change("off"),
        None,
        "a condition-false resource is not deployed"
    );

    let (_, done) = deploy(
        &app,
        "rg1",
        "complete",
        body(template, json!({}), "Complete"),
    )
    .await;
    assert_eq!(
        done.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        done.body
    );
    assert_eq!(app.get_identity("rg1", "kept").await.status, StatusCode::OK);
    assert_eq!(
        app.get_identity("rg1", "gone").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !app.principals(&app.tenant)
            .await
            .iter()
            .any(|p| p["objectId"] == gone_principal.as_str()),
        "R5: the deleted identity's principal is gone"
    );
    let ops = app
        .call(
            Method::GET,
            &deployment_path(&app, "rg1", "complete", "/operations"),
            None,
        )
        .await;
    assert!(ops.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["properties"]["provisioningOperation"] == "Delete"));
}

/// POSTs a what-if and follows its `Location` to the result.
async fn what_if(app: &TestApp, rg: &str, body: Value) -> Value {
    let first = app
        .call(
            Method::POST,
            &deployment_path(app, rg, "wi", "/whatIf"),
            Some(body),
        )
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
    let location = first.header("location").expect("Location").to_string();
    for _ in 0..20 {
        let r = app.call(Method::GET, &location, None).await;
        if r.status == StatusCode::OK {
            return r.body;
        }
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    panic!("what-if did not end");
}

#[tokio::test]
async fn what_if_shows_create_modify_with_the_property_change_and_ignore() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "tagged").await;
    app.put_identity("rg1", "other").await;
    let template = json!({
        "resources": [
            {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "tagged", "location": "westeurope", "tags": {"env": "prod"}},
            {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "new", "location": "westeurope"}
        ]
    });
    let result = what_if(&app, "rg1", body(template, json!({}), "Incremental")).await;
    assert_eq!(result["status"], "Succeeded");
    let changes = result["properties"]["changes"].as_array().unwrap();
    let find = |n: &str| {
        changes
            .iter()
            .find(|c| {
                c["resourceId"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{n}"))
            })
            .unwrap()
    };
    assert_eq!(find("new")["changeType"], "Create");
    assert_eq!(find("new")["after"]["name"], "new");
    assert!(find("new").get("before").is_none());
    let modified = find("tagged");
    assert_eq!(modified["changeType"], "Modify", "{modified}");
    assert_eq!(modified["delta"][0]["path"], "tags.env");
    assert_eq!(modified["delta"][0]["propertyChangeType"], "Create");
    assert_eq!(modified["after"]["tags"]["env"], "prod");
    assert_eq!(find("other")["changeType"], "Ignore");
    // Nothing changed.
    assert_eq!(
        app.get_identity("rg1", "new").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(app.get_identity("rg1", "tagged").await.body["tags"]
        .get("env")
        .is_none());
}

#[tokio::test]
async fn validate_lists_the_resources_or_refuses_one_mi_sim_cannot_deploy() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let ok = app
        .call(
            Method::POST,
            &deployment_path(&app, "rg1", "v", "/validate"),
            Some(body(
                identity_template(),
                json!({"name": {"value": "checked"}}),
                "Incremental",
            )),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        ok.body["properties"]["validatedResources"][0]["id"],
        app.identity_id("rg1", "checked")
    );
    assert_eq!(
        app.get_identity("rg1", "checked").await.status,
        StatusCode::NOT_FOUND,
        "validate deploys nothing"
    );
    let storage = json!({"resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st1", "location": "westeurope"}]});
    let refused = app
        .call(
            Method::POST,
            &deployment_path(&app, "rg1", "v", "/validate"),
            Some(body(storage, json!({}), "Incremental")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.code(),
        "InvalidTemplateDeployment",
        "{}",
        refused.body
    );
    assert_eq!(
        refused.body["error"]["details"][0]["code"],
        "PreflightValidationCheckFailed"
    );
    assert!(refused.body["error"]["details"][0]["details"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Microsoft.Storage"));
}

#[tokio::test]
async fn the_body_az_sends_with_comments_and_a_bare_template_key_deploys() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let raw = r#"{"properties": {"parameters": {"name": {"value": "from-az"}}, "mode": "Incremental", template:{
        // a comment, as in the user's file
        "resources": [ /* the identity */ {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
          "name": "[parameters('name')]", "location": "westeurope"}],
        "parameters": {"name": {"type": "string"}}
    }}}"#;
    let first = app
        .call_raw(
            Method::PUT,
            &deployment_path(&app, "rg1", "az", ""),
            raw.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let done = wait(&app, "rg1", "az").await;
    assert_eq!(
        done.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        done.body
    );
    assert_eq!(
        app.get_identity("rg1", "from-az").await.status,
        StatusCode::OK
    );
    // The deployment's own template comes back.
    let exported = app
        .call(
            Method::POST,
            &deployment_path(&app, "rg1", "az", "/exportTemplate"),
            None,
        )
        .await;
    assert_eq!(exported.status, StatusCode::OK);
    assert_eq!(
        exported.body["template"]["resources"][0]["name"],
        "[parameters('name')]"
    );
}

#[tokio::test]
async fn a_subscription_scope_deployment_creates_groups_and_needs_a_location() {
    let app = spawn_app().await;
    let path = |name: &str, suffix: &str| {
        format!("/subscriptions/{}/providers/Microsoft.Resources/deployments/{name}{suffix}?api-version={DEPLOY_API}", app.sub)
    };
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "resources": [{"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2021-04-01", "name": "from-template", "location": "[deployment().location]"}]
    });
    let no_location = app
        .call(
            Method::PUT,
            &path("groups", ""),
            Some(body(template.clone(), json!({}), "Incremental")),
        )
        .await;
    assert_eq!(
        no_location.status,
        StatusCode::BAD_REQUEST,
        "{}",
        no_location.body
    );
    let mut with_location = body(template, json!({}), "Incremental");
    with_location["location"] = json!("eastus");
    let first = app
        .call(Method::PUT, &path("groups", ""), Some(with_location))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let status_url = first.header("azure-asyncoperation").unwrap().to_string();
    let mut done = first;
    for _ in 0..200 {
        done = app.call(Method::GET, &path("groups", ""), None).await;
        if done.body["properties"]["provisioningState"] != "Accepted"
            && done.body["properties"]["provisioningState"] != "Running"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        done.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        done.body
    );
    assert_eq!(done.body["location"], "eastus");
    let group = app.get_group("from-template").await;
    assert_eq!(group.status, StatusCode::OK);
    assert_eq!(group.body["location"], "eastus");
    let status = app.call(Method::GET, &status_url, None).await;
    assert_eq!(status.body["status"], "Succeeded");
    // Its operations and template; validate, what-if and cancel at this scope too.
    let ops = app
        .call(Method::GET, &path("groups", "/operations"), None)
        .await;
    let op = &ops.body["value"][0];
    assert_eq!(
        op["properties"]["targetResource"]["resourceType"], "Microsoft.Resources/resourceGroups",
        "{}",
        ops.body
    );
    let one = app
        .call(
            Method::GET,
            &format!("{}?api-version={DEPLOY_API}", op["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let exported = app
        .call(Method::POST, &path("groups", "/exportTemplate"), None)
        .await;
    assert_eq!(
        exported.body["template"]["resources"][0]["name"],
        "from-template"
    );
    let cancel = app
        .call(Method::POST, &path("groups", "/cancel"), None)
        .await;
    assert_eq!(cancel.status, StatusCode::CONFLICT);
    let mut again = body(exported.body["template"].clone(), json!({}), "Incremental");
    again["location"] = json!("eastus");
    let validated = app
        .call(
            Method::POST,
            &path("groups", "/validate"),
            Some(again.clone()),
        )
        .await;
    assert_eq!(validated.status, StatusCode::OK, "{}", validated.body);
    assert_eq!(
        validated.body["properties"]["validatedResources"][0]["id"],
        format!("/subscriptions/{}/resourceGroups/from-template", app.sub)
    );
    let what_if = app
        .call(Method::POST, &path("groups", "/whatIf"), Some(again))
        .await;
    assert_eq!(what_if.status, StatusCode::ACCEPTED, "{}", what_if.body);
    let mut result = Value::Null;
    for _ in 0..10 {
        let r = app
            .call(Method::GET, what_if.header("location").unwrap(), None)
            .await;
        if r.status == StatusCode::OK {
            result = r.body;
            break;
        }
    }
    assert_eq!(
        result["properties"]["changes"][0]["changeType"], "NoChange",
        "{result}"
    );
    let list = app
        .call(
            Method::GET,
            &path("", "").replace("/deployments/?", "/deployments?"),
            None,
        )
        .await;
    assert_eq!(list.body["value"][0]["name"], "groups", "{}", list.body);
    // Exists, then deleted (its group stays), then gone.
    assert_eq!(
        app.call(Method::HEAD, &path("groups", ""), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::DELETE, &path("groups", ""), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::HEAD, &path("groups", ""), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get_group("from-template").await.status, StatusCode::OK);
}

#[tokio::test]
async fn cancel_is_refused_once_a_deployment_has_ended() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    deploy(
        &app,
        "rg1",
        "c",
        body(
            identity_template(),
            json!({"name": {"value": "c-id"}}),
            "Incremental",
        ),
    )
    .await;
    let r = app
        .call(
            Method::POST,
            &deployment_path(&app, "rg1", "c", "/cancel"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Succeeded"));
    let none = app
        .call(
            Method::POST,
            &deployment_path(&app, "rg1", "nothing", "/cancel"),
            None,
        )
        .await;
    assert_eq!(none.code(), "DeploymentNotFound");
    // Deleting the record leaves the resources.
    let head = |name: &'static str| {
        let path = deployment_path(&app, "rg1", name, "");
        let app = &app;
        async move { app.call(Method::HEAD, &path, None).await }
    };
    assert_eq!(head("c").await.status, StatusCode::NO_CONTENT);
    assert_eq!(head("nothing").await.status, StatusCode::NOT_FOUND);
    let deleted = app
        .call(Method::DELETE, &deployment_path(&app, "rg1", "c", ""), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(head("c").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_identity("rg1", "c-id").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_exported_group_deploys_into_another_group_with_the_same_resources() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_group("rg2").await;
    app.put_identity("rg1", "id-a").await;
    let vm = app
        .put_vm("rg1", "vm1", Some(json!({"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {app.identity_id("rg1", "id-a"): {}}})))
        .await;
    assert_eq!(vm.status, StatusCode::CREATED, "{}", vm.body);
    let first = app
        .call(
            Method::POST,
            &format!(
                "/subscriptions/{}/resourcegroups/rg1/exportTemplate?api-version=2024-11-01",
                app.sub
            ),
            Some(json!({"resources": ["*"], "options": "SkipAllParameterization"})),
        )
        .await;
    let location = first.header("location").expect("Location").to_string();
    let mut exported = Value::Null;
    for _ in 0..10 {
        let r = app.call(Method::GET, &location, None).await;
        if r.status == StatusCode::OK {
            exported = r.body;
            break;
        }
    }
    let template = exported["template"].clone();
    assert!(template["resources"].is_array(), "{exported}");
    let (_, done) = deploy(
        &app,
        "rg2",
        "copy",
        body(template, json!({}), "Incremental"),
    )
    .await;
    assert_eq!(
        done.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        done.body
    );
    let copied_vm = app.get_vm("rg2", "vm1").await;
    assert_eq!(copied_vm.status, StatusCode::OK);
    assert_eq!(app.get_identity("rg2", "id-a").await.status, StatusCode::OK);
    // The copy's VM has a system identity of its own.
    let original = app.get_vm("rg1", "vm1").await;
    assert!(copied_vm.body["identity"]["type"]
        .as_str()
        .unwrap()
        .contains("SystemAssigned"));
    assert_ne!(
        copied_vm.body["identity"]["principalId"],
        original.body["identity"]["principalId"]
    );
}

/// The ACI managed-identity doc's template (apiVersion 2018-10-01, verbatim shape) and a VM with
/// the legacy extension nested under it as a child resource, both wired to a deployed identity.
#[tokio::test]
async fn r16_a_template_deploys_a_container_group_and_a_vm_extension_with_identities() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"containerGroupName": {"type": "string", "defaultValue": "mycontainergroup"}},
        "variables": {"container1name": "aci-tutorial-app", "container1image": "mcr.microsoft.com/azuredocs/aci-helloworld:latest"},
        "resources": [
            {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
             "name": "myACIId", "location": "[resourceGroup().location]"},
            {"name": "[parameters('containerGroupName')]", "type": "Microsoft.ContainerInstance/containerGroups",
             "apiVersion": "2018-10-01", "location": "[resourceGroup().location]",
             "dependsOn": ["[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'myACIId')]"],
             "identity": {"type": "UserAssigned", "userAssignedIdentities": {
                "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'myACIId')]": {}}},
             "properties": {
                "containers": [{"name": "[variables('container1name')]", "properties": {
                    "image": "[variables('container1image')]",
                    "resources": {"requests": {"cpu": 1, "memoryInGB": 1.5}},
                    "ports": [{"port": 80}]}}],
                "osType": "Linux",
                "ipAddress": {"type": "Public", "ports": [{"protocol": "tcp", "port": "80"}]}}},
            {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01", "name": "vm1",
             "location": "[resourceGroup().location]", "identity": {"type": "SystemAssigned"},
             "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}},
             "resources": [
                {"type": "extensions", "apiVersion": "2024-07-01", "name": "ManagedIdentityExtensionForLinux",
                 "location": "[resourceGroup().location]",
                 "dependsOn": ["vm1"],
                 "properties": {"publisher": "Microsoft.ManagedIdentity", "type": "ManagedIdentityExtensionForLinux",
                    "typeHandlerVersion": "1.0", "autoUpgradeMinorVersion": true, "settings": {"port": 50342}}}]}
        ],
        "outputs": {"aciIdentity": {"type": "object",
            "value": "[reference(parameters('containerGroupName'), '2018-10-01', 'Full').identity]"}}
    });
    let (_, done) = deploy(&app, "rg1", "aci", body(template, json!({}), "Incremental")).await;
    assert_eq!(
        done.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        done.body
    );
    let identity = app.get_identity("rg1", "myACIId").await;
    let principal = identity.body["properties"]["principalId"].as_str().unwrap();
    let aci = done.body["properties"]["outputs"]["aciIdentity"]["value"].clone();
    assert_eq!(aci["type"], "UserAssigned", "{aci}");
    let assigned: Vec<&Value> = aci["userAssignedIdentities"]
        .as_object()
        .unwrap()
        .values()
        .collect();
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0]["principalId"], principal);
    // The extension is there, under the VM, as its own PUT would have made it.
    let ext = app
        .call(
            Method::GET,
            &app.vm_path("rg1", "vm1", "/extensions/ManagedIdentityExtensionForLinux"),
            None,
        )
        .await;
    assert_eq!(ext.status, StatusCode::OK, "{}", ext.body);
    assert_eq!(
        ext.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        ext.body
    );
    assert_eq!(ext.body["properties"]["settings"]["port"], 50342);
}
