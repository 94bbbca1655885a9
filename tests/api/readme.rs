//! The README's transcripts are real: every `$` line of the `console` blocks under
//! "Reproducing the known issues step by step with curl" and "Deploying templates" (against a mi-sim in the open mode) and "R19 and R20 in the
//! enforce mode" (in the enforce mode) runs, in order, against a fresh mi-sim, and each output
//! line must come out as written. A block is one shell session (its variables carry from line
//! to line); mi-sim is reset before each block. Needs `bash`, `curl`, `jq` and `python3`.
use crate::helpers::{spawn_app_with, TestApp};
use mi_sim::domain::authorization::Mode;

/// One command of a transcript (continuation lines joined) and the output written under it.
struct Step {
    command: String,
    output: Vec<String>,
}

/// The console blocks of a README section: the steps of each.
fn transcripts(readme: &str, heading: &str) -> Vec<Vec<Step>> {
    let start = readme.find(heading).expect("the section is in the README");
    let rest = &readme[start + heading.len()..];
    // A `##` section ends at the next `## `; a `###` one at the next heading of either level.
    let end = if heading.starts_with("### ") {
        ["\n## ", "\n### "]
            .iter()
            .filter_map(|h| rest.find(h))
            .min()
    } else {
        rest.find("\n## ")
    };
    let section = &rest[..end.unwrap_or(rest.len())];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```console" {
            continue;
        }
        let mut steps: Vec<Step> = Vec::new();
        let mut continuing = false;
        for line in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            if continuing {
                let last = steps.last_mut().expect("a command before it");
                last.command.push('\n');
                last.command.push_str(line);
            } else if let Some(command) = line.strip_prefix("$ ") {
                steps.push(Step {
                    command: command.to_string(),
                    output: Vec::new(),
                });
            } else {
                steps
                    .last_mut()
                    .expect("output follows a command")
                    .output
                    .push(line.to_string());
            }
            continuing = line.ends_with('\\');
        }
        blocks.push(steps);
    }
    blocks
}

/// Runs every console block of a README section against `app`, step by step, each block
/// after a reset.
async fn run_section(app: &TestApp, heading: &str) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks = transcripts(&readme, heading);
    assert!(!blocks.is_empty(), "{heading} holds transcripts");
    run_blocks(app, blocks).await;
}

/// Runs the console blocks of a walkthrough as one shell session after one reset: its blocks
/// build on each other (variables and state), as a reader's terminal does.
async fn run_walkthrough(app: &TestApp, heading: &str) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let steps: Vec<Step> = transcripts(&readme, heading)
        .into_iter()
        .flatten()
        .collect();
    assert!(!steps.is_empty(), "{heading} holds transcripts");
    run_blocks(app, vec![steps]).await;
}

async fn run_blocks(app: &TestApp, blocks: Vec<Vec<Step>>) {
    for steps in blocks {
        app.call(reqwest::Method::POST, "/simulator/reset", None)
            .await;
        // Each command's output is fenced by a marker line, so it is compared step by step.
        let mut script = String::new();
        for (i, step) in steps.iter().enumerate() {
            let command = step.command.replace("http://127.0.0.1:8080", &app.address);
            script.push_str(&format!("printf '@@step {i}@@\\n'\n{command}\n"));
        }
        let mut bash = std::process::Command::new("bash");
        bash.args(["--noprofile", "--norc", "-c", &script]);
        let output = tokio::task::spawn_blocking(move || bash.output())
            .await
            .expect("join")
            .expect("bash runs (the transcripts need bash, curl and jq)");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut seen: Vec<Vec<String>> = vec![Vec::new(); steps.len()];
        let mut at = None;
        for line in stdout.lines() {
            match line
                .strip_prefix("@@step ")
                .and_then(|l| l.strip_suffix("@@"))
            {
                Some(n) => at = n.parse::<usize>().ok(),
                None => seen[at.expect("output after a marker")].push(line.to_string()),
            }
        }
        for (step, got) in steps.iter().zip(&seen) {
            assert_eq!(
                &step.output, got,
                "`$ {}` printed something else than the README says\nstderr:\n{stderr}",
                step.command
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_known_issue_transcripts_run_verbatim() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |_| {}).await;
    run_section(&app, "## Reproducing the known issues").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_identity_walkthrough_runs_verbatim() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |_| {}).await;
    run_walkthrough(
        &app,
        "## Walkthrough: an identity and its service principal",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_vm_walkthrough_runs_verbatim() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |_| {}).await;
    run_walkthrough(
        &app,
        "## Walkthrough: a VM's system-assigned and user-assigned identities",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_faults_and_snapshots_run_verbatim() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |_| {}).await;
    run_walkthrough(&app, "## Faults").await;
    run_walkthrough(&app, "## Snapshots").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_r19_r20_enforce_transcript_runs_verbatim() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |s| s.auth = Mode::Enforce).await;
    run_section(&app, "### R19 and R20 in the enforce mode").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_deployment_transcript_runs_verbatim() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |_| {}).await;
    run_section(&app, "## Deploying templates").await;
}
