//! Spawns a real mi-sim (port 0, its own database) per test and talks to it over HTTP.
use mi_sim::ops::bootstrap::{DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID};
use mi_sim::settings::Settings;
use mi_sim::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::LazyLock;
use tempfile::TempDir;

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        mi_sim::telemetry::init("info");
    }
});

pub const RG_API: &str = "2021-04-01";
pub const MSI_API: &str = "2023-01-31";
pub const COMPUTE_API: &str = "2026-04-01";
pub const ACI_API: &str = "2023-05-01";

/// A running mi-sim and a client for it.
pub struct TestApp {
    pub address: String,
    pub tls_address: String,
    pub client: reqwest::Client,
    pub sub: String,
    pub tenant: String,
    pub dir: TempDir,
    handle: actix_web::dev::ServerHandle,
}

/// A response: status, headers and the body as JSON (`Null` when empty).
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of an ARM error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_in(tempfile::tempdir().expect("temp dir")).await
}

/// Spawns mi-sim on a database directory (reused across restarts by the persistence tests).
pub async fn spawn_app_in(dir: TempDir) -> TestApp {
    spawn_app_with(dir, |_| {}).await
}

/// Spawns mi-sim with settings changed from the tests' defaults (`--auth enforce`, say).
pub async fn spawn_app_with(dir: TempDir, change: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);
    let mut settings = Settings::for_tests(dir.path());
    change(&mut settings);
    let app = Application::build(settings).await.expect("mi-sim builds");
    let (port, tls_port) = (app.port(), app.tls_port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        tls_address: format!("https://localhost:{tls_port}"),
        client: reqwest::Client::new(),
        sub: DEFAULT_SUBSCRIPTION_ID.to_string(),
        tenant: DEFAULT_TENANT_ID.to_string(),
        dir,
        handle,
    }
}

impl TestApp {
    /// Stops the server and hands back its directory, for a restart.
    pub async fn stop(self) -> TempDir {
        self.handle.stop(true).await;
        self.dir
    }

    pub fn ca_path(&self) -> std::path::PathBuf {
        self.dir.path().join("mi-sim-ca.pem")
    }

    /// Sends a request to a path (relative to the server) or an absolute URL.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.address)
        };
        let mut req = self.client.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.expect("request sent")).await
    }

    /// Sends raw bytes as the body.
    pub async fn call_raw(&self, method: Method, path: &str, body: Vec<u8>) -> Resp {
        let req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .header("content-type", "application/json")
            .body(body);
        read(req.send().await.expect("request sent")).await
    }

    pub fn group_path(&self, rg: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}?api-version={RG_API}",
            self.sub
        )
    }

    pub fn identity_path(&self, rg: &str, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}?api-version={MSI_API}",
            self.sub
        )
    }

    pub async fn put_group(&self, rg: &str) -> Resp {
        self.call(
            Method::PUT,
            &self.group_path(rg),
            Some(json!({"location": "westeurope"})),
        )
        .await
    }

    pub async fn get_group(&self, rg: &str) -> Resp {
        self.call(Method::GET, &self.group_path(rg), None).await
    }

    pub async fn put_identity(&self, rg: &str, name: &str) -> Resp {
        self.call(
            Method::PUT,
            &self.identity_path(rg, name),
            Some(json!({"location": "westeurope"})),
        )
        .await
    }

    pub async fn get_identity(&self, rg: &str, name: &str) -> Resp {
        self.call(Method::GET, &self.identity_path(rg, name), None)
            .await
    }

    /// The ARM id of a user-assigned identity in the default subscription.
    pub fn identity_id(&self, rg: &str, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
            self.sub
        )
    }

    /// The path of a VM (with `suffix`, e.g. "/powerOff") at the Compute api-version.
    pub fn vm_path(&self, rg: &str, name: &str, suffix: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}{suffix}?api-version={COMPUTE_API}",
            self.sub
        )
    }

    /// PUTs a VM with a minimal real body and the given `identity` (or none).
    pub async fn put_vm(&self, rg: &str, name: &str, identity: Option<Value>) -> Resp {
        let mut body = json!({
            "location": "westeurope",
            "properties": {
                "hardwareProfile": {"vmSize": "Standard_B1s"},
                "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}},
                "osProfile": {"computerName": name, "adminUsername": "azureuser", "adminPassword": "S3cret!pass"},
                "networkProfile": {"networkInterfaces": [{"id": format!("/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{name}-nic", self.sub)}]}
            }
        });
        if let Some(i) = identity {
            body["identity"] = i;
        }
        self.call(Method::PUT, &self.vm_path(rg, name, ""), Some(body))
            .await
    }

    pub async fn patch_vm(&self, rg: &str, name: &str, body: Value) -> Resp {
        self.call(Method::PATCH, &self.vm_path(rg, name, ""), Some(body))
            .await
    }

    pub async fn get_vm(&self, rg: &str, name: &str) -> Resp {
        self.call(Method::GET, &self.vm_path(rg, name, ""), None)
            .await
    }

    /// The path of a container group at the given ContainerInstance api-version.
    pub fn cg_path(&self, rg: &str, name: &str, suffix: &str, api: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.ContainerInstance/containerGroups/{name}{suffix}?api-version={api}",
            self.sub
        )
    }

    /// A container group body as the ACI docs write it; `identity` and extra properties merged in.
    pub fn cg_body(identity: Option<Value>, os: &str) -> Value {
        let mut body = json!({
            "location": "westeurope",
            "properties": {
                "containers": [{"name": "app", "properties": {
                    "image": "mcr.microsoft.com/azure-cli",
                    "command": ["sleep", "infinity"],
                    "environmentVariables": [{"name": "TOKEN", "secureValue": "hidden"}],
                    "resources": {"requests": {"cpu": 1, "memoryInGB": 1.5}}}}],
                "osType": os,
                "restartPolicy": "Always",
                "ipAddress": {"type": "Public", "dnsNameLabel": "demo", "ports": [{"port": 80, "protocol": "TCP"}]}
            }
        });
        if let Some(i) = identity {
            body["identity"] = i;
        }
        body
    }

    pub async fn put_cg(&self, rg: &str, name: &str, body: Value) -> Resp {
        self.call(
            Method::PUT,
            &self.cg_path(rg, name, "", ACI_API),
            Some(body),
        )
        .await
    }

    /// Polls an `Azure-AsyncOperation` URL until it ends (`Succeeded` or `Failed`); returns
    /// every status seen.
    pub async fn poll_async(&self, url: &str) -> Vec<String> {
        let mut seen = Vec::new();
        for _ in 0..5 {
            let r = self.call(Method::GET, url, None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let status = r.body["status"].as_str().unwrap_or("").to_string();
            seen.push(status.clone());
            if status == "Succeeded" || status == "Failed" {
                break;
            }
        }
        seen
    }

    /// Switches a historical rule on or off.
    pub async fn set_rule(&self, id: &str, enabled: bool) -> Resp {
        self.call(
            Method::PATCH,
            &format!("/simulator/rules/{id}"),
            Some(json!({"enabled": enabled})),
        )
        .await
    }

    /// The managed-identity principals of a tenant, from the control API (the bootstrapped
    /// application's principal, kind `Application`, is left out).
    pub async fn principals(&self, tenant: &str) -> Vec<Value> {
        self.all_principals(tenant)
            .await
            .into_iter()
            .filter(|p| p["kind"] != "Application")
            .collect()
    }

    /// Every service principal of a tenant, from the control API.
    pub async fn all_principals(&self, tenant: &str) -> Vec<Value> {
        let r = self
            .call(
                Method::GET,
                &format!("/simulator/tenants/{tenant}/servicePrincipals"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["value"].as_array().cloned().unwrap_or_default()
    }

    /// Creates a tenant and returns its id.
    pub async fn create_tenant(&self) -> String {
        let r = self
            .call(Method::POST, "/simulator/tenants", Some(json!({})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["tenantId"].as_str().expect("tenantId").to_string()
    }

    /// Transfers the default subscription to another tenant (R11).
    pub async fn transfer_subscription_to(&self, tenant: &str) {
        let r = self
            .call(
                Method::POST,
                &format!("/simulator/subscriptions/{}/transfer", self.sub),
                Some(json!({"targetTenantId": tenant})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["tenantId"], tenant);
    }

    /// Starts a move (or its validation, `action` = "validateMoveResources") out of `rg`.
    pub async fn start_move(&self, rg: &str, action: &str, body: Value) -> Resp {
        self.call(
            Method::POST,
            &format!(
                "/subscriptions/{}/resourceGroups/{rg}/{action}?api-version={RG_API}",
                self.sub
            ),
            Some(body),
        )
        .await
    }

    /// Moves resources out of `rg` into `target` (a group id) and polls the move to its end:
    /// the statuses of the polls (202s, then 204).
    pub async fn move_resources(&self, rg: &str, ids: &[String], target: &str) -> Vec<u16> {
        let r = self
            .start_move(
                rg,
                "moveResources",
                json!({"resources": ids, "targetResourceGroup": target}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        self.poll_location(r.header("location").expect("Location"))
            .await
    }

    /// Polls a `Location` URL while it answers 202 (at most 5 times); the statuses seen.
    pub async fn poll_location(&self, url: &str) -> Vec<u16> {
        let mut seen = Vec::new();
        for _ in 0..5 {
            let r = self.call(Method::GET, url, None).await;
            seen.push(r.status.as_u16());
            if r.status != StatusCode::ACCEPTED {
                break;
            }
        }
        seen
    }

    /// The id of a group of the default subscription.
    pub fn group_id(&self, rg: &str) -> String {
        format!("/subscriptions/{}/resourceGroups/{rg}", self.sub)
    }
}

/// Reads a response: status, headers, and the body as JSON (text when it is not JSON).
pub async fn read(resp: reqwest::Response) -> Resp {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body read");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// `mi-sim serve` as a child process on a database file, and its HTTP address.
pub struct Served {
    pub child: std::process::Child,
    pub address: String,
    copier: std::thread::JoinHandle<()>,
}

impl Served {
    /// Stops it as `docker stop` does (SIGTERM), waits for it to exit and for the last of its
    /// log to reach the file.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let term = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let status = self.child.wait().unwrap();
        self.copier.join().unwrap();
        status
    }
}

/// Starts the binary on `db`; its log (stdout and stderr, `RUST_LOG=debug`) goes to `log` when
/// given, else nowhere.
pub fn serve(db: &std::path::Path, log: Option<&std::path::Path>) -> Served {
    use std::io::BufRead;
    let stderr = match log {
        Some(path) => std::process::Stdio::from(std::fs::File::create(path).expect("log file")),
        None => std::process::Stdio::null(),
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mi-sim"))
        .args(["serve", "--port", "0", "--tls-port", "0", "--db"])
        .arg(db)
        .env("RUST_LOG", if log.is_some() { "debug" } else { "warn" })
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("mi-sim starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().expect("the banner").unwrap();
        if let Some(a) = line.trim().strip_prefix("ARM (http):") {
            break a.trim().to_string();
        }
    };
    // Keep reading so the child never blocks on a full pipe; the log lines (stdout) go to the
    // log file too.
    let copy = log.map(|p| {
        std::fs::OpenOptions::new()
            .append(true)
            .open(p)
            .expect("log file")
    });
    let copier = std::thread::spawn(move || {
        use std::io::Write;
        let mut copy = copy;
        for line in lines.map_while(Result::ok) {
            if let Some(f) = copy.as_mut() {
                let _ = writeln!(f, "{line}");
            }
        }
    });
    Served {
        child,
        address,
        copier,
    }
}

/// Checks that the README's text between `start` and `end` (markers included) is `section`, a
/// table a test generated; with the environment variable `update` set, rewrites it instead.
pub fn check_readme_section(start: &str, end: &str, section: &str, update: &str, test: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!("README.md has no markers for the table {test} generates");
    };
    if readme[a..b + end.len()] == *section {
        return;
    }
    if std::env::var(update).is_ok() {
        let updated = format!("{}{section}{}", &readme[..a], &readme[b + end.len()..]);
        std::fs::write(path, updated).expect("README.md written");
    } else {
        panic!("the README's table from {test} is stale: run `{update}=1 cargo test {test}`");
    }
}
