//! Microsoft.ContainerInstance/containerGroups: CRUD, start/stop/restart, and R16, R17.
use crate::helpers::{serve, spawn_app, TestApp, ACI_API};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn setup() -> TestApp {
    let app = spawn_app().await;
    assert_eq!(app.put_group("rg1").await.status, StatusCode::CREATED);
    app
}

#[tokio::test]
async fn container_group_put_get_patch_list_delete_with_instance_views() {
    let app = setup().await;
    let r = app
        .put_cg("rg1", "web", TestApp::cg_body(None, "Linux"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let p = &r.body["properties"];
    assert_eq!(p["provisioningState"], "Succeeded");
    assert_eq!(p["instanceView"]["state"], "Running");
    assert_eq!(p["osType"], "Linux");
    assert_eq!(p["ipAddress"]["fqdn"], "demo.westeurope.azurecontainer.io");
    assert!(p["ipAddress"]["ip"].as_str().is_some());
    let c = &p["containers"][0]["properties"];
    assert_eq!(c["instanceView"]["restartCount"], 0);
    assert_eq!(c["instanceView"]["currentState"]["state"], "Running");
    assert!(
        c["environmentVariables"][0].get("secureValue").is_none(),
        "secure values are write-only"
    );

    let patched = app
        .call(
            Method::PATCH,
            &app.cg_path("rg1", "web", "", ACI_API),
            Some(json!({"tags": {"team": "a"}})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["tags"], json!({"team": "a"}));
    assert_eq!(
        patched.body["properties"]["containers"],
        r.body["properties"]["containers"]
    );

    let stop = app
        .call(
            Method::POST,
            &app.cg_path("rg1", "web", "/stop", ACI_API),
            None,
        )
        .await;
    assert_eq!(stop.status, StatusCode::NO_CONTENT);
    let got = app
        .call(Method::GET, &app.cg_path("rg1", "web", "", ACI_API), None)
        .await;
    assert_eq!(got.body["properties"]["instanceView"]["state"], "Stopped");
    assert_eq!(
        got.body["properties"]["containers"][0]["properties"]["instanceView"]["currentState"]
            ["state"],
        "Terminated"
    );
    let start = app
        .call(
            Method::POST,
            &app.cg_path("rg1", "web", "/start", ACI_API),
            None,
        )
        .await;
    assert_eq!(start.status, StatusCode::ACCEPTED);
    let op = start
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    assert!(
        op.contains("/providers/Microsoft.ContainerInstance/locations/westeurope/operations/"),
        "{op}"
    );
    assert_eq!(app.poll_async(op).await, ["InProgress", "Succeeded"]);
    let again = app
        .call(
            Method::POST,
            &app.cg_path("rg1", "web", "/start", ACI_API),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "already running");
    let restart = app
        .call(
            Method::POST,
            &app.cg_path("rg1", "web", "/restart", ACI_API),
            None,
        )
        .await;
    assert_eq!(restart.status, StatusCode::NO_CONTENT);
    let got = app
        .call(Method::GET, &app.cg_path("rg1", "web", "", ACI_API), None)
        .await;
    assert_eq!(
        got.body["properties"]["containers"][0]["properties"]["instanceView"]["restartCount"],
        1
    );

    let list = app
        .call(Method::GET, &format!("/subscriptions/{}/providers/Microsoft.ContainerInstance/containerGroups?api-version={ACI_API}", app.sub), None)
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);

    let del = app
        .call(
            Method::DELETE,
            &app.cg_path("rg1", "web", "", ACI_API),
            None,
        )
        .await;
    assert_eq!(del.status, StatusCode::OK);
    assert_eq!(del.body["name"], "web");
    let gone = app
        .call(
            Method::DELETE,
            &app.cg_path("rg1", "web", "", ACI_API),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn container_group_bad_bodies_are_refused_and_change_nothing() {
    let app = setup().await;
    let mut no_containers = TestApp::cg_body(None, "Linux");
    no_containers["properties"]["containers"] = json!([]);
    let mut no_image = TestApp::cg_body(None, "Linux");
    no_image["properties"]["containers"][0]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("image");
    let cases = [
        (
            no_containers,
            "NoContainersInContainerGroup",
            "no containers",
        ),
        (
            no_image,
            "InvalidRequestContent",
            "a container without an image",
        ),
        (
            TestApp::cg_body(None, "Solaris"),
            "InvalidOsType",
            "an unknown osType",
        ),
        (
            json!({"location": "westeurope"}),
            "InvalidRequestContent",
            "no properties",
        ),
    ];
    for (body, code, why) in cases {
        let r = app.put_cg("rg1", "web", body).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, code),
            "{why}: {}",
            r.body
        );
        let get = app
            .call(Method::GET, &app.cg_path("rg1", "web", "", ACI_API), None)
            .await;
        assert_eq!(get.status, StatusCode::NOT_FOUND, "{why}: nothing created");
    }
    let bad_name = app
        .put_cg("rg1", "Web_Group", TestApp::cg_body(None, "Linux"))
        .await;
    assert_eq!(bad_name.code(), "InvalidResourceName");
}

#[tokio::test]
async fn r16_identity_on_a_container_group_needs_api_version_2018_10_01() {
    let app = setup().await;
    let body = TestApp::cg_body(Some(json!({"type": "SystemAssigned"})), "Linux");
    let old = app
        .call(
            Method::PUT,
            &app.cg_path("rg1", "web", "", "2018-06-01"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (old.status, old.code()),
        (StatusCode::BAD_REQUEST, "InvalidRequestContent")
    );
    assert_eq!(
        old.body["error"]["message"],
        "The request content was invalid and could not be deserialized: 'Could not find member 'identity' on object of type 'ContainerGroup'. Path 'identity'.'.",
        "Azure's message, word for word"
    );
    assert!(old.body["error"]["additionalInfo"][0]["info"]["hint"]
        .as_str()
        .unwrap()
        .contains("2018-10-01 or later"));
    assert!(app.principals(&app.tenant).await.is_empty());

    let ok = app
        .call(
            Method::PUT,
            &app.cg_path("rg1", "web", "", "2018-10-01"),
            Some(body),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(ok.body["identity"]["type"], "SystemAssigned");
    // Without identity, old api-versions still serve the group.
    let plain = app
        .call(
            Method::PUT,
            &app.cg_path("rg1", "plain", "", "2018-06-01"),
            Some(TestApp::cg_body(None, "Linux")),
        )
        .await;
    assert_eq!(plain.status, StatusCode::CREATED);
}

#[tokio::test]
async fn r16_windows_group_with_identity_is_refused_until_the_rule_is_switched_off() {
    let app = setup().await;
    let rules = app.call(Method::GET, "/simulator/rules", None).await;
    let ids: Vec<&str> = rules.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["R16-virtual-network", "R16-windows"]);
    assert!(rules.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["enabled"] == true));
    let body = TestApp::cg_body(Some(json!({"type": "SystemAssigned"})), "Windows");

    let refused = app.put_cg("rg1", "win", body.clone()).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_REQUEST, "IdentityNotSupportedOnWindows")
    );
    assert_eq!(
        refused.body["error"]["message"],
        "Managed service identity is not supported for Windows container groups.",
        "Azure's message, word for word; mi-sim's hint is beside it"
    );
    assert!(refused.body["error"]["additionalInfo"][0]["info"]["hint"]
        .as_str()
        .unwrap()
        .contains("/simulator/rules/R16-windows"));
    assert!(app.principals(&app.tenant).await.is_empty());
    assert_eq!(
        app.put_cg("rg1", "win", TestApp::cg_body(None, "Windows"))
            .await
            .status,
        StatusCode::CREATED,
        "no identity: fine"
    );

    let switched = app.set_rule("r16-WINDOWS", false).await;
    assert_eq!(switched.status, StatusCode::OK, "{}", switched.body);
    assert_eq!(switched.body["enabled"], false);
    let accepted = app.put_cg("rg1", "win", body.clone()).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(app.principals(&app.tenant).await.len(), 1);

    let reset = app.call(Method::POST, "/simulator/reset", None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    let rules = app.call(Method::GET, "/simulator/rules", None).await;
    assert!(
        rules.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["enabled"] == true),
        "reset restores the defaults"
    );
    let unknown = app.set_rule("R99", false).await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "RuleNotFound")
    );
}

#[tokio::test]
async fn r16_group_in_a_virtual_network_with_identity_is_refused_until_the_rule_is_switched_off() {
    let app = setup().await;
    app.put_identity("rg1", "aci-id").await;
    let mut body = TestApp::cg_body(
        Some(
            json!({"type": "UserAssigned", "userAssignedIdentities": {app.identity_id("rg1", "aci-id"): {}}}),
        ),
        "Linux",
    );
    body["properties"]["subnetIds"] = json!([{"id": format!("/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aci", app.sub)}]);

    let refused = app.put_cg("rg1", "vnet-group", body.clone()).await;
    assert_eq!(
        (refused.status, refused.code()),
        (
            StatusCode::BAD_REQUEST,
            "IdentityNotSupportedInVirtualNetwork"
        )
    );
    assert_eq!(
        app.call(
            Method::GET,
            &app.cg_path("rg1", "vnet-group", "", ACI_API),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    app.set_rule("R16-virtual-network", false).await;
    let accepted = app.put_cg("rg1", "vnet-group", body).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    assert_eq!(accepted.body["identity"]["type"], "UserAssigned");
}

#[tokio::test]
async fn r16_changing_the_identity_of_an_existing_group_restarts_it() {
    let app = setup().await;
    app.put_cg("rg1", "web", TestApp::cg_body(None, "Linux"))
        .await;
    let same = app
        .put_cg("rg1", "web", TestApp::cg_body(None, "Linux"))
        .await;
    assert_eq!(
        same.body["properties"]["containers"][0]["properties"]["instanceView"]["restartCount"], 0,
        "no identity change, no restart"
    );

    let r = app
        .put_cg(
            "rg1",
            "web",
            TestApp::cg_body(Some(json!({"type": "SystemAssigned"})), "Linux"),
        )
        .await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["properties"]["containers"][0]["properties"]["instanceView"]["restartCount"],
        1
    );
    let events = r.body["properties"]["instanceView"]["events"]
        .as_array()
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["name"], "Restarted");
    assert!(events[0]["message"]
        .as_str()
        .unwrap()
        .contains("managed identity changed"));
}

#[tokio::test]
async fn r17_deleting_a_container_group_deletes_its_system_principal() {
    let app = setup().await;
    let r = app
        .put_cg(
            "rg1",
            "web",
            TestApp::cg_body(Some(json!({"type": "SystemAssigned"})), "Linux"),
        )
        .await;
    let principal = r.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let sps = app.principals(&app.tenant).await;
    assert_eq!(sps.len(), 1);
    assert_eq!(sps[0]["objectId"], principal.as_str());
    assert!(sps[0]["resourceId"]
        .as_str()
        .unwrap()
        .ends_with("/containerGroups/web"));

    app.call(
        Method::DELETE,
        &app.cg_path("rg1", "web", "", ACI_API),
        None,
    )
    .await;

    assert!(app.principals(&app.tenant).await.is_empty());
}

#[tokio::test]
async fn container_group_secrets_never_come_back_in_any_answer_or_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mi-sim.log");
    let served = serve(&dir.path().join("mi-sim.db"), Some(&log));
    let client = reqwest::Client::new();
    let sub = "/subscriptions/22222222-2222-4222-8222-222222222222";
    let group = format!("{}{sub}/resourceGroups/rg1", served.address);
    let put = client
        .put(format!("{group}?api-version=2021-04-01"))
        .json(&json!({"location": "westeurope"}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    let secrets = [
        "STORAGE-KEY-1",
        "WORKSPACE-KEY-2",
        "c2VjcmV0LTM=",
        "REGISTRY-PASSWORD-4",
        "SECURE-VALUE-5",
    ];
    let mut body = TestApp::cg_body(Some(json!({"type": "SystemAssigned"})), "Linux");
    body["properties"]["containers"][0]["properties"]["environmentVariables"] =
        json!([{"name": "A", "value": "visible"}, {"name": "B", "secureValue": secrets[4]}]);
    body["properties"]["volumes"] = json!([
        {"name": "files", "azureFile": {"shareName": "share", "storageAccountName": "acct", "storageAccountKey": secrets[0]}},
        {"name": "secrets", "secret": {"token": secrets[2]}}
    ]);
    body["properties"]["diagnostics"] =
        json!({"logAnalytics": {"workspaceId": "ws", "workspaceKey": secrets[1]}});
    body["properties"]["imageRegistryCredentials"] =
        json!([{"server": "r.example.com", "username": "u", "password": secrets[3]}]);
    let cg = format!(
        "{group}/providers/Microsoft.ContainerInstance/containerGroups/cg1?api-version={ACI_API}"
    );
    let mut answers = Vec::new();
    for (method, url, body) in [
        (Method::PUT, cg.clone(), Some(body)),
        (Method::GET, cg.clone(), None),
        (Method::PATCH, cg.clone(), Some(json!({"tags": {"a": "b"}}))),
        (Method::GET, format!("{group}/providers/Microsoft.ContainerInstance/containerGroups?api-version={ACI_API}"), None),
        (Method::GET, format!("{}{sub}/resources?api-version=2021-04-01", served.address), None),
        (Method::DELETE, cg.clone(), None),
    ] {
        let mut req = client.request(method.clone(), &url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        assert!(r.status().is_success(), "{method} {url}: {}", r.status());
        answers.push((format!("{method} {url}"), r.text().await.unwrap()));
    }
    let put_answer: serde_json::Value = serde_json::from_str(&answers[0].1).unwrap();
    assert!(
        put_answer.get("tags").is_none(),
        "no tags: ContainerInstance leaves the field out"
    );
    let volumes = &put_answer["properties"]["volumes"];
    assert_eq!(
        volumes[1]["secret"],
        json!({}),
        "secret volumes show no values"
    );
    assert_eq!(
        volumes[0]["azureFile"]["shareName"], "share",
        "the rest of the volume stays"
    );
    assert!(served.terminate().success());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("containerGroups"), "the log is captured");
    for secret in secrets {
        for (request, answer) in &answers {
            assert!(
                !answer.contains(secret),
                "{secret} in the answer to {request}: {answer}"
            );
        }
        assert!(!logged.contains(secret), "{secret} in the log");
    }
}
