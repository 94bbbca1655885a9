//! Seeing what breaks: faults (`/simulator/faults`), the identity health report, the journal,
//! and snapshots of the whole state.
use crate::helpers::{spawn_app, TestApp};
use crate::imds::{imds, vm, ARM};
use crate::moves::power;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const TOKEN: &str = "api-version=2018-02-01&resource=https://management.azure.com/";

async fn fault(app: &TestApp, body: Value) -> crate::helpers::Resp {
    app.call(Method::POST, "/simulator/faults", Some(body))
        .await
}

fn vm_id(app: &TestApp, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/{name}",
        app.sub
    )
}

#[tokio::test]
async fn imds_faults_answer_503_then_429_with_retry_after_for_their_count_then_tokens_flow() {
    let app = spawn_app().await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let armed = fault(&app, json!({"kind": "imdsUnavailable", "target": vm_id(&app, "vm1"), "count": 2, "retryAfter": 3})).await;
    assert_eq!(armed.status, StatusCode::CREATED, "{}", armed.body);
    assert_eq!(
        (
            armed.body["remaining"].clone(),
            armed.body["retryAfter"].clone()
        ),
        (json!(2), json!(3))
    );
    for _ in 0..2 {
        let r = imds(&app, &instance, TOKEN).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
        assert_eq!(r.header("retry-after"), Some("3"));
        assert_eq!(r.body["error"], "temporarily_unavailable");
    }
    assert_eq!(imds(&app, &instance, TOKEN).await.status, StatusCode::OK);
    let left = app.call(Method::GET, "/simulator/faults", None).await;
    assert_eq!(left.body["value"], json!([]), "a spent fault goes");

    fault(
        &app,
        json!({"kind": "imdsThrottled", "target": vm_id(&app, "vm1")}),
    )
    .await;
    let r = imds(&app, &instance, TOKEN).await;
    assert_eq!(
        (r.status, r.header("retry-after")),
        (StatusCode::TOO_MANY_REQUESTS, Some("1"))
    );
    assert_eq!(imds(&app, &instance, TOKEN).await.status, StatusCode::OK);

    fault(
        &app,
        json!({"kind": "imdsError", "target": vm_id(&app, "vm1")}),
    )
    .await;
    let r = imds(&app, &instance, TOKEN).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.header("retry-after").is_none());
}

#[tokio::test]
async fn a_slow_imds_answers_late_and_a_seeded_probability_replays_exactly() {
    let app = spawn_app().await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    fault(
        &app,
        json!({"kind": "imdsSlow", "target": vm_id(&app, "vm1"), "delayMs": 400}),
    )
    .await;
    let started = std::time::Instant::now();
    assert_eq!(imds(&app, &instance, TOKEN).await.status, StatusCode::OK);
    assert!(started.elapsed() >= std::time::Duration::from_millis(400));

    let mut runs = Vec::new();
    for _ in 0..2 {
        let f = fault(&app, json!({"kind": "imdsUnavailable", "target": vm_id(&app, "vm1"), "probability": 0.5, "seed": 42})).await;
        assert_eq!(
            f.body["remaining"],
            Value::Null,
            "until cleared: {}",
            f.body
        );
        let mut seen = Vec::new();
        for _ in 0..24 {
            seen.push(imds(&app, &instance, TOKEN).await.status.as_u16());
        }
        app.call(Method::DELETE, "/simulator/faults", None).await;
        runs.push(seen);
    }
    assert_eq!(runs[0], runs[1], "the same seed fires on the same requests");
    let failed = runs[0].iter().filter(|s| **s == 503).count();
    assert!((4..=20).contains(&failed), "about half fail: {:?}", runs[0]);
}

#[tokio::test]
async fn entra_faults_throttle_a_tenants_token_endpoint() {
    let app = spawn_app().await;
    fault(
        &app,
        json!({"kind": "entraUnavailable", "target": app.tenant, "retryAfter": 2}),
    )
    .await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", mi_sim::ops::applications::WELL_KNOWN_APP_ID),
        (
            "client_secret",
            mi_sim::ops::applications::WELL_KNOWN_APP_SECRET,
        ),
        ("scope", "https://management.azure.com/.default"),
    ];
    let token = || {
        app.client
            .post(format!("{}/{}/oauth2/v2.0/token", app.address, app.tenant))
            .form(&form)
            .send()
    };
    let r = token().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "2");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS90033"));
    assert_eq!(token().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn arm_throttling_matches_its_path_pattern_and_spares_the_control_api() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let r = fault(&app, json!({"kind": "armThrottled", "target": "/subscriptions/*/resourcegroups/rg1*", "count": 1})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let other = app.put_group("rg2").await;
    assert_eq!(other.status, StatusCode::CREATED, "rg2 does not match");
    assert_eq!(
        app.call(Method::GET, "/simulator/faults", None)
            .await
            .status,
        StatusCode::OK
    );
    let throttled = app.get_group("rg1").await;
    assert_eq!(
        (throttled.status, throttled.code()),
        (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests")
    );
    assert_eq!(throttled.header("retry-after"), Some("1"));
    assert_eq!(
        app.get_group("rg1").await.status,
        StatusCode::OK,
        "spent after one"
    );
    let journal = app.call(Method::GET, "/simulator/journal", None).await;
    assert!(journal.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["verdict"] == "throttled"));
}

#[tokio::test]
async fn a_vm_start_fault_fails_the_start_with_allocation_failed() {
    let app = spawn_app().await;
    vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    assert_eq!(
        power(&app, "rg1", "vm1", "powerOff").await["status"],
        "Succeeded"
    );
    fault(
        &app,
        json!({"kind": "vmStartFailure", "target": vm_id(&app, "vm1")}),
    )
    .await;
    let failed = power(&app, "rg1", "vm1", "start").await;
    assert_eq!(
        (failed["status"].clone(), failed["error"]["code"].clone()),
        (json!("Failed"), json!("AllocationFailed")),
        "{failed}"
    );
    assert_eq!(
        power(&app, "rg1", "vm1", "start").await["status"],
        "Succeeded"
    );
}

#[tokio::test]
async fn bad_faults_are_refused_with_what_to_fix_and_a_fault_can_be_changed() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"kind": "imdsBroken", "target": "x"}),
            "InvalidFaultKind",
            "kind",
        ),
        (
            json!({"kind": "imdsError", "target": format!("/subscriptions/{}/resourceGroups/rg1", app.sub)}),
            "InvalidParameter",
            "target",
        ),
        (
            json!({"kind": "entraThrottled", "target": "not-a-tenant"}),
            "InvalidParameter",
            "target",
        ),
        (
            json!({"kind": "armThrottled", "target": "rg1"}),
            "InvalidParameter",
            "target",
        ),
        (
            json!({"kind": "imdsError", "target": vm_id(&app, "vm1"), "delayMs": 5}),
            "InvalidParameter",
            "delayMs",
        ),
        (
            json!({"kind": "imdsSlow", "target": vm_id(&app, "vm1"), "delayMs": 999999}),
            "InvalidParameter",
            "delayMs",
        ),
        (
            json!({"kind": "imdsError", "target": vm_id(&app, "vm1"), "probability": 1.5}),
            "InvalidParameter",
            "probability",
        ),
        (
            json!({"kind": "imdsError", "target": vm_id(&app, "vm1"), "retryAfter": 2}),
            "InvalidParameter",
            "retryAfter",
        ),
    ];
    for (body, code, target) in cases {
        let r = fault(&app, body.clone()).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, code),
            "{body}: {}",
            r.body
        );
        assert_eq!(r.body["error"]["target"], target, "{}", r.body);
    }
    assert_eq!(
        app.call(Method::GET, "/simulator/faults", None).await.body["value"],
        json!([])
    );
    let f = fault(
        &app,
        json!({"kind": "imdsSlow", "target": vm_id(&app, "vm1")}),
    )
    .await;
    assert_eq!(f.body["delayMs"], 2000);
    let id = f.body["id"].as_str().unwrap();
    let changed = app
        .call(
            Method::PATCH,
            &format!("/simulator/faults/{id}"),
            Some(json!({"delayMs": 10, "count": 5})),
        )
        .await;
    assert_eq!(
        (
            changed.body["delayMs"].clone(),
            changed.body["remaining"].clone()
        ),
        (json!(10), json!(5)),
        "{}",
        changed.body
    );
    let gone = app
        .call(
            Method::PATCH,
            "/simulator/faults/nope",
            Some(json!({"count": 1})),
        )
        .await;
    assert_eq!(gone.code(), "FaultNotFound");
}

#[tokio::test]
async fn r11_health_names_the_tenants_the_transfer_and_the_remedy_and_the_journal_the_refusal() {
    let app = spawn_app().await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let healthy = app
        .call(Method::GET, "/simulator/identities/health", None)
        .await;
    assert_eq!(
        (
            healthy.body["pairs"].clone(),
            healthy.body["broken"].clone()
        ),
        (json!(1), json!(0)),
        "{}",
        healthy.body
    );
    let other = app.create_tenant().await;
    app.transfer_subscription_to(&other).await;
    let refused = imds(&app, &instance, TOKEN).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let report = app
        .call(
            Method::GET,
            &format!(
                "/simulator/identities/health?resourceId={}",
                vm_id(&app, "vm1")
            ),
            None,
        )
        .await;
    let pair = &report.body["value"][0];
    assert_eq!(
        (pair["canGetToken"].clone(), pair["rule"].clone()),
        (json!(false), json!("R11")),
        "{pair}"
    );
    let facts = pair["facts"].to_string();
    assert!(
        facts.contains(&format!("lives in tenant {}", app.tenant)),
        "{facts}"
    );
    assert!(
        facts.contains(&format!("trusts tenant {other} since")),
        "{facts}"
    );
    assert!(pair["remedy"]
        .as_str()
        .unwrap()
        .contains("off and on again"));

    let journal = app.call(Method::GET, "/simulator/journal", None).await;
    let last = journal.body["value"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (
            last["surface"].clone(),
            last["verdict"].clone(),
            last["rule"].clone()
        ),
        (json!("imds"), json!("refused"), json!("R11")),
        "{last}"
    );
    assert!(last["request"].as_str().unwrap().contains(ARM));
    app.call(Method::POST, "/simulator/reset", None).await;
    let empty = app.call(Method::GET, "/simulator/journal", None).await;
    assert_eq!(empty.body["value"], json!([]));
}

#[tokio::test]
async fn r14_health_warns_that_a_moved_vm_will_not_start() {
    let app = spawn_app().await;
    vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    app.put_group("rg2").await;
    app.move_resources("rg1", &[vm_id(&app, "vm1")], &app.group_id("rg2"))
        .await;
    let report = app
        .call(
            Method::GET,
            "/simulator/identities/health?broken=true",
            None,
        )
        .await;
    let pair = &report.body["value"][0];
    assert_eq!(
        pair["canGetToken"], true,
        "a moved VM still gets tokens: {pair}"
    );
    assert_eq!(pair["warnings"][0]["rule"], "R14", "{pair}");
    assert!(pair["warnings"][0]["remedy"]
        .as_str()
        .unwrap()
        .contains("set a tag"));
}

#[tokio::test]
async fn a_snapshot_saved_then_restored_brings_the_state_back_and_names_are_checked() {
    let app = spawn_app().await;
    let (_, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let principal = app.get_vm("rg1", "vm1").await.body["identity"]["principalId"].clone();
    let saved = app
        .call(
            Method::POST,
            "/simulator/snapshots",
            Some(json!({"name": "before"})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    let again = app
        .call(
            Method::POST,
            "/simulator/snapshots",
            Some(json!({"name": "before"})),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "SnapshotExists")
    );
    for bad in ["../x", "", ".hidden", "a/b"] {
        let r = app
            .call(
                Method::POST,
                "/simulator/snapshots",
                Some(json!({"name": bad})),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "InvalidParameter"),
            "{bad}"
        );
    }
    app.call(Method::DELETE, &app.vm_path("rg1", "vm1", ""), None)
        .await;
    assert_eq!(
        imds(&app, &instance, TOKEN).await.status,
        StatusCode::NOT_FOUND
    );

    let restored = app
        .call(Method::POST, "/simulator/snapshots/before/restore", None)
        .await;
    assert_eq!(restored.status, StatusCode::NO_CONTENT, "{}", restored.body);
    let back = app.get_vm("rg1", "vm1").await;
    assert_eq!(back.body["identity"]["principalId"], principal);
    assert_eq!(
        imds(&app, &instance, TOKEN).await.status,
        StatusCode::OK,
        "its principal is back too"
    );
    let list = app.call(Method::GET, "/simulator/snapshots", None).await;
    assert_eq!(list.body["value"][0]["name"], "before");
    assert_eq!(
        app.call(Method::DELETE, "/simulator/snapshots/before", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let missing = app
        .call(Method::POST, "/simulator/snapshots/before/restore", None)
        .await;
    assert_eq!(missing.code(), "SnapshotNotFound");
}

#[tokio::test]
async fn snapshot_save_and_restore_work_offline_on_a_database_file() {
    let app = spawn_app().await;
    app.put_group("kept").await;
    let dir = app.stop().await;
    let db = dir.path().join("mi-sim.db");
    let snap = dir.path().join("snap.db");
    let run = |args: Vec<String>| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mi-sim"))
            .arg("snapshot")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let s = |p: &std::path::Path| p.to_string_lossy().into_owned();
    assert_eq!(
        run(vec!["save".into(), s(&snap), "--db".into(), s(&db)]).0,
        Some(0)
    );
    let (code, err) = run(vec!["save".into(), s(&snap), "--db".into(), s(&db)]);
    assert_eq!(code, Some(2));
    assert!(err.contains("exists"), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&snap).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let app = crate::helpers::spawn_app_in(dir).await;
    app.call(Method::DELETE, &app.group_path("kept"), None)
        .await;
    let dir = app.stop().await;
    assert_eq!(
        run(vec!["restore".into(), s(&snap), "--db".into(), s(&db)]).0,
        Some(0)
    );
    let app = crate::helpers::spawn_app_in(dir).await;
    assert_eq!(app.get_group("kept").await.status, StatusCode::OK);
}
