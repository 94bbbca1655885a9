//! The client suite (tests/clients, pytest) against a mi-sim spawned here: the real Azure SDKs,
//! unmodified, over HTTPS trusting mi-sim's CA. run.sh builds the pinned venv on first use.
use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_python_sdks_pass_against_mi_sim_over_https() {
    let app = spawn_app().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/run.sh");
    let mut cmd = std::process::Command::new(script);
    cmd.env("MI_SIM_HTTPS", &app.tls_address)
        .env("MI_SIM_HTTP", &app.address)
        .env("MI_SIM_CA", app.ca_path())
        .env("MI_SIM_BIN", env!("CARGO_BIN_EXE_mi-sim"));
    let status = tokio::task::spawn_blocking(move || cmd.status())
        .await
        .expect("join")
        .expect("run.sh starts");
    assert!(
        status.success(),
        "the client suite failed (its output is above)"
    );
}
