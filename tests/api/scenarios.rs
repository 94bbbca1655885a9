//! Known-issue replay: the shipped scenarios S1..S9 each pass against a fresh mi-sim, a file a
//! user writes runs the same way, a wrong expectation fails with a readable diff, a malformed
//! file is refused before anything runs, and the HTTP surface runs them too.
use crate::helpers::{spawn_app, spawn_app_with, TestApp, RG_API};
use mi_sim::domain::authorization::Mode;
use mi_sim::scenario::{self, report, Auth, Outcome, Target};
use reqwest::{Method, StatusCode};

/// Runs a shipped scenario against a server in the mode it needs; the text transcript on failure.
async fn replay(id: &str) {
    let s = scenario::find_shipped(id).unwrap_or_else(|| panic!("{id} ships and parses"));
    let app = match s.auth {
        Auth::Open => spawn_app().await,
        Auth::Enforce => {
            spawn_app_with(tempfile::tempdir().unwrap(), |s| s.auth = Mode::Enforce).await
        }
    };
    let t = scenario::run::run(&Target::new(&app.address).unwrap(), &s).await;
    let text = report::text(std::slice::from_ref(&t));
    assert_eq!(t.outcome, Outcome::Passed, "{text}");
    assert!(t.steps.iter().all(|s| s.ran && s.agrees), "{text}");
}

#[tokio::test]
async fn s1_r14_a_moved_vm_fails_to_start_until_updated() {
    replay("S1").await;
}

#[tokio::test]
async fn s2_r11_a_transfer_breaks_both_identity_kinds_until_remade() {
    replay("S2").await;
}

#[tokio::test]
async fn s3_r15_a_moved_user_assigned_identity_gives_no_token() {
    replay("S3").await;
}

#[tokio::test]
async fn s4_r3_a_re_enabled_system_identity_loses_its_role_assignments() {
    replay("S4").await;
}

#[tokio::test]
async fn s5_r8_two_user_assigned_identities_need_a_selector() {
    replay("S5").await;
}

#[tokio::test]
async fn s6_r16_container_group_identity_in_a_vnet_and_restart() {
    replay("S6").await;
}

#[tokio::test]
async fn s7_r5_a_deleted_user_assigned_identity_stays_listed_and_gives_no_token() {
    replay("S7").await;
}

#[tokio::test]
async fn s8_r12_a_token_from_another_tenant_is_refused() {
    replay("S8").await;
}

#[tokio::test]
async fn s9_r18_the_legacy_extension_fails_on_dns_until_a_restart() {
    replay("S9").await;
}

#[test]
fn every_shipped_file_parses_and_the_ids_are_s1_to_s9() {
    for (file, text) in scenario::SHIPPED {
        scenario::format::parse(file, text).unwrap_or_else(|e| panic!("{e}"));
    }
    let ids: Vec<&str> = scenario::shipped().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"]);
}

const MINE: &str = r#"
id = "my-incident"
title = "A group made twice is updated the second time"

[[step]]
name = "Make the group"
request = "PUT /subscriptions/{{subscription}}/resourcegroups/mine?api-version=2021-04-01"
body = { location = "{{location}}" }
capture = { group = "id" }
[step.expect]
status = 201

[[step]]
name = "Make it again"
request = "PUT {{group}}?api-version=2021-04-01"
body = '''{"location": "{{location}}", "tags": {"again": "yes"}}'''
azure = "A second PUT of a group updates it: 200."
[step.expect]
status = 200
equals = { "tags.again" = "yes", name = "mine" }
"#;

/// Runs `mi-sim scenario run` with arguments; (exit code, stdout, stderr).
async fn cli(args: Vec<String>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mi-sim"))
            .arg("scenario")
            .args(args)
            .output()
            .expect("mi-sim runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

fn file(app: &TestApp, name: &str, text: &str) -> String {
    let path = app.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn a_users_own_scenario_runs_and_a_wrong_expectation_fails_with_a_diff() {
    let app = spawn_app().await;
    let mine = file(&app, "mine.toml", MINE);
    let (code, out, err) = cli(vec![
        "run".into(),
        mine,
        "--url".into(),
        app.address.clone(),
    ])
    .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("my-incident passed (2 of 2 steps agree with Azure"),
        "{out}"
    );
    assert!(
        out.contains("Azure: A second PUT of a group updates it: 200."),
        "{out}"
    );

    let wrong = file(
        &app,
        "wrong.toml",
        &MINE.replace("\"tags.again\" = \"yes\"", "\"tags.again\" = \"no\""),
    );
    let (code, out, _) = cli(vec![
        "run".into(),
        wrong,
        "--url".into(),
        app.address.clone(),
    ])
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  2. Make it again"), "{out}");
    assert!(
        out.contains("disagrees: tags.again: Azure shows \"no\", mi-sim showed \"yes\""),
        "{out}"
    );
    // The run stayed in a subscription of its own: the default subscription has no group.
    let groups = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/resourcegroups?api-version={RG_API}",
                app.sub
            ),
            None,
        )
        .await;
    assert_eq!(
        groups.body["value"],
        serde_json::json!([]),
        "{}",
        groups.body
    );
}

#[tokio::test]
async fn a_malformed_scenario_is_refused_with_file_line_and_what_to_fix_before_anything_runs() {
    let app = spawn_app().await;
    let before = MINE.replace("capture = { group = \"id\" }", "");
    let cases = [
        (before, "uses {{group}} before any step captures it"),
        (
            MINE.replace(
                "name = \"Make it again\"",
                "name = \"Make it again\"\nsleep = 3",
            ),
            "unknown field `sleep`",
        ),
        (MINE.replace("title = ", "title = = "), "mine.toml:3:"),
    ];
    for (text, wanted) in cases {
        let bad = file(&app, "mine.toml", &text);
        let (code, out, err) =
            cli(vec!["run".into(), bad, "--url".into(), app.address.clone()]).await;
        assert_eq!(code, 2, "{out}{err}");
        assert!(
            err.contains(wanted) && err.contains("mine.toml:"),
            "{wanted} in {err}"
        );
        assert!(out.is_empty(), "nothing ran: {out}");
    }
    let tenants = app.call(Method::GET, "/simulator/tenants", None).await;
    assert_eq!(
        tenants.body["value"].as_array().unwrap().len(),
        1,
        "no run set anything up"
    );
}

#[tokio::test]
async fn junit_output_has_a_test_case_per_step_and_json_the_transcript() {
    let app = spawn_app().await;
    let (code, xml, err) = cli(vec![
        "run".into(),
        "S5".into(),
        "--url".into(),
        app.address.clone(),
        "--format".into(),
        "junit".into(),
    ])
    .await;
    assert_eq!(code, 0, "{err}");
    let steps = scenario::find_shipped("S5").unwrap().steps.len();
    assert_eq!(xml.matches("<testcase ").count(), steps, "{xml}");
    assert!(
        xml.contains(&format!(
            "<testsuites name=\"mi-sim scenarios\" tests=\"{steps}\" failures=\"0\""
        )),
        "{xml}"
    );
    let (code, json, _) = cli(vec![
        "run".into(),
        "S5".into(),
        "--url".into(),
        app.address.clone(),
        "--format".into(),
        "json".into(),
    ])
    .await;
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["outcome"], "passed");
    assert_eq!(v[0]["steps"].as_array().unwrap().len(), steps);
}

#[tokio::test]
async fn an_enforce_scenario_against_an_open_server_is_skipped_not_failed() {
    let app = spawn_app().await;
    let (code, out, _) = cli(vec![
        "run".into(),
        "S8".into(),
        "--url".into(),
        app.address.clone(),
    ])
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("S8 skipped: needs ARM to check callers"),
        "{out}"
    );
}

#[tokio::test]
async fn scenarios_are_listed_and_run_over_http_and_their_resources_stay() {
    let app = spawn_app().await;
    let list = app.call(Method::GET, "/simulator/scenarios", None).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 9);
    assert_eq!(list.body["value"][0]["rules"], serde_json::json!(["R14"]));
    let run = app
        .call(Method::POST, "/simulator/scenarios/s7/runs", None)
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert_eq!(run.body["outcome"], "passed", "{}", run.body);
    let sub = run.body["subscription"].as_str().unwrap();
    let groups = app
        .call(
            Method::GET,
            &format!("/subscriptions/{sub}/resourcegroups?api-version={RG_API}"),
            None,
        )
        .await;
    assert_eq!(
        groups.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        groups.body
    );
    let missing = app
        .call(Method::POST, "/simulator/scenarios/S99/runs", None)
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "ScenarioNotFound")
    );
}
