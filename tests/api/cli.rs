//! The `mi-sim` command line: `env` prints the exports that put a process on an instance.
use crate::helpers::{read, spawn_app};
use crate::imds::{verify, vm, ARM};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn mi_sim_env_prints_the_exports_that_put_a_process_on_a_vm() {
    let app = spawn_app().await;
    let (body, instance) = vm(&app, "vm1", json!({"type": "SystemAssigned"})).await;
    let run = |arg: String| {
        let address = app.address.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_mi-sim"))
                .args(["env", &arg, "--url", &address])
                .output()
                .expect("mi-sim runs")
        })
    };
    let out = run("vm1".into()).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {k}='")))
            .map(|v| v.trim_end_matches('\'').to_string())
            .unwrap_or_else(|| panic!("{k} in {text}"))
    };
    assert_eq!(
        value("AZURE_POD_IDENTITY_AUTHORITY_HOST"),
        format!("{}/instances/{instance}", app.address)
    );
    let token = app
        .client
        .get(format!(
            "{}?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F",
            value("IDENTITY_ENDPOINT")
        ))
        .header("X-IDENTITY-HEADER", value("IDENTITY_HEADER"))
        .send()
        .await
        .unwrap();
    let token = read(token).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    let claims = verify(
        &app,
        token.body["access_token"].as_str().unwrap(),
        &app.tenant,
        ARM,
    )
    .await;
    assert_eq!(claims["oid"], body["identity"]["principalId"]);
    let by_id = run(body["id"].as_str().unwrap().to_string()).await.unwrap();
    assert_eq!(String::from_utf8(by_id.stdout).unwrap(), text);

    let missing = run("nope".into()).await.unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no VM or container group 'nope'"));
}
