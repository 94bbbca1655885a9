//! One request must never take mi-sim down or wedge its writes: hostile but fair inputs, clients
//! that vanish mid-request, concurrent writers, and kill -9 (the reliability defects, each test
//! named after the defect it keeps fixed).
use crate::helpers::{serve, spawn_app, TestApp, RG_API};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

fn resources(app: &TestApp, filter: &str) -> String {
    let mut q = url_encode(filter);
    q.insert_str(0, "&$filter=");
    format!(
        "/subscriptions/{}/resources?api-version={RG_API}{q}",
        app.sub
    )
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn still_answers(app: &TestApp) {
    let r = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}?api-version=2022-12-01", app.sub),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "the server still answers");
}

/// Asserts a filter was refused with `InvalidFilterInQueryString` and a message naming `limit`.
async fn assert_filter_refused(app: &TestApp, filter: &str, limit: &str) {
    let r = app.call(Method::GET, &resources(app, filter), None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidFilterInQueryString")
    );
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(limit), "{}", r.body);
}

#[tokio::test]
async fn defect1_a_filter_nested_5000_deep_is_a_400_not_a_crash() {
    let app = spawn_app().await;
    for filter in [
        "(".repeat(5000),
        format!("{}name eq 'a'{}", "(".repeat(40), ")".repeat(40)),
    ] {
        assert_filter_refused(&app, &filter, "deeper than 32").await;
    }
    still_answers(&app).await;
}

#[tokio::test]
async fn defect4_a_filter_of_999_conditions_is_a_400_that_names_the_limit() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    assert_eq!(
        app.put_identity("rg1", "abc").await.status,
        StatusCode::CREATED
    );
    let chain = |n: usize| vec!["name eq 'abc'"; n].join(" or ");
    assert_filter_refused(&app, &chain(999), "more than 200 conditions").await;
    // At the limit the filter is served, and finds what it names.
    let r = app
        .call(Method::GET, &resources(&app, &chain(200)), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1, "{}", r.body);
}

#[tokio::test]
async fn defect3_a_resource_longer_than_1024_characters_gets_no_token() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let vm = app
        .put_vm("rg1", "vm1", Some(json!({"type": "SystemAssigned"})))
        .await;
    let instance = vm.body["properties"]["vmId"].as_str().unwrap().to_string();
    let token = |resource: String| {
        let url = format!(
            "{}/instances/{instance}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={resource}",
            app.address
        );
        let client = app.client.clone();
        async move {
            let r = client
                .get(url)
                .header("Metadata", "true")
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = token(format!("https://{}", "a".repeat(1016))).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "1024 characters are allowed: {body}"
    );
    let (status, body) = token(format!("https://{}", "a".repeat(8 * 1024))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_resource");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("at most 1024"));
}

/// Sends a request and resets the connection (RST, not FIN) `after` a moment, without reading
/// the answer.
async fn send_and_reset(address: &str, request: String, after: Duration) {
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    // Give the server the request before the reset, as a client that gives up would.
    tokio::time::sleep(after).await;
    // A zero linger sends RST on close and never blocks (the deprecation is about non-zero ones).
    #[allow(deprecated)]
    stream.set_linger(Some(Duration::ZERO)).unwrap();
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defect2_clients_that_reset_mid_write_do_not_wedge_later_writes() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    // Writers keep SQLite's lock busy, so the creates that are reset wait for it.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy: Vec<_> = (0..8)
        .map(|w| {
            let (stop, client, base) = (stop.clone(), app.client.clone(), app.address.clone());
            let path = app.identity_path("rg1", &format!("busy-{w}-"));
            tokio::spawn(async move {
                let mut failures = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let url = format!(
                        "{base}{}",
                        path.replacen(&format!("busy-{w}-"), &format!("busy-{w}-{i}"), 1)
                    );
                    let r = client
                        .put(url)
                        .json(&json!({"location": "westeurope"}))
                        .send()
                        .await
                        .unwrap();
                    if r.status().is_server_error() {
                        failures.push(r.text().await.unwrap_or_default());
                    }
                }
                failures
            })
        })
        .collect();
    for round in 0..8 {
        let resets = (0..50).map(|i| {
            let body = r#"{"location":"westeurope"}"#;
            let path = app.identity_path("rg1", &format!("reset-{round}-{i}"));
            let request = format!(
                "PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            send_and_reset(&app.address, request, Duration::from_micros(200 * (i % 10)))
        });
        futures_util::future::join_all(resets).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for b in busy {
        let failures = b.await.unwrap();
        assert!(failures.is_empty(), "5xx beside the resets: {failures:?}");
    }

    // Every later write succeeds, and quickly.
    for i in 0..20 {
        let started = Instant::now();
        let g = app.put_group(&format!("after-{i}")).await;
        assert!(
            g.status.is_success(),
            "group PUT {i}: {} {}",
            g.status,
            g.body
        );
        let id = app.put_identity("rg1", &format!("after-{i}")).await;
        assert_eq!(
            id.status,
            StatusCode::CREATED,
            "identity PUT {i}: {}",
            id.body
        );
        let vm = app
            .put_vm(
                "rg1",
                &format!("vm-{i}"),
                Some(json!({"type": "SystemAssigned"})),
            )
            .await;
        assert_eq!(vm.status, StatusCode::CREATED, "VM PUT {i}: {}", vm.body);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "write {i} took {:?}",
            started.elapsed()
        );
    }
    // Whatever the reset creates did, each identity that exists has its principal, and no
    // principal is left without its identity.
    let identities = list_all(&app, &format!("/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31", app.sub)).await;
    let principals: Vec<Value> = app
        .principals(&app.tenant.clone())
        .await
        .into_iter()
        .filter(|p| p["kind"] == "UserAssigned")
        .collect();
    let mut a: Vec<&str> = identities
        .iter()
        .map(|i| i["properties"]["principalId"].as_str().unwrap())
        .collect();
    let mut b: Vec<&str> = principals
        .iter()
        .map(|p| p["objectId"].as_str().unwrap())
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

/// Every item of a paged ARM list.
async fn list_all(app: &TestApp, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = Some(path.to_string());
    while let Some(url) = next {
        let page = app.call(Method::GET, &url, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        items.extend(page.body["value"].as_array().unwrap().iter().cloned());
        next = page.body["nextLink"].as_str().map(str::to_string);
    }
    items
}

/// Sends raw bytes and reads the answer until the server closes or `wait` passes.
async fn raw_exchange(address: &str, bytes: &[u8], wait: Duration) -> String {
    use tokio::io::AsyncReadExt;
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn defect7_a_host_header_that_is_not_host_and_port_is_a_400() {
    let app = spawn_app().await;
    let path = app.group_path("rg1");
    for host in ["a b", "x:99999", "a/b"] {
        let body = r#"{"location":"westeurope"}"#;
        let request = format!(
            "PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let answer = raw_exchange(&app.address, request.as_bytes(), Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{host}: {answer}");
        assert!(answer.contains(r#""code":"InvalidHostName""#), "{answer}");
        assert!(!answer.contains(&format!("http://{host}")), "{answer}");
    }
    assert_eq!(
        app.get_group("rg1").await.status,
        StatusCode::NOT_FOUND,
        "nothing was written"
    );
}

#[tokio::test]
async fn defect6_a_body_that_stalls_gets_408_and_changes_nothing() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let path = app.identity_path("rg1", "slow");
    let request = format!(
        "PUT {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"loc"
    );
    let started = Instant::now();
    // The test server's body deadline is 2 s (Settings::for_tests).
    let answer = raw_exchange(&app.address, request.as_bytes(), Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"RequestTimeout""#), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        app.get_identity("rg1", "slow").await.status,
        StatusCode::NOT_FOUND
    );
}

#[cfg(unix)]
#[tokio::test]
async fn defect8_the_database_and_its_side_files_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    app.put_group("rg1").await;
    for file in ["mi-sim.db", "mi-sim.db-wal", "mi-sim.db-shm"] {
        let mode = std::fs::metadata(app.dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file} is {:o}", mode & 0o777);
    }
}

const SUB: &str = "/subscriptions/22222222-2222-4222-8222-222222222222";

fn vm_body() -> Value {
    json!({"location": "westeurope", "identity": {"type": "SystemAssigned"}, "properties": {
        "hardwareProfile": {"vmSize": "Standard_B1s"},
        "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}},
        "networkProfile": {"networkInterfaces": [{"id": format!("{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic")}]}}})
}

fn identity_url(address: &str, name: &str) -> String {
    format!("{address}{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}?api-version=2023-01-31")
}

fn vm_url(address: &str, name: &str) -> String {
    format!("{address}{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{name}?api-version=2024-07-01")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_concurrent_creates_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mi-sim.db");
    let client = reqwest::Client::new();
    let mut acknowledged: Vec<(bool, String)> = Vec::new();
    for round in 0..3 {
        let mut served = serve(&db, None);
        let address = served.address.clone();
        let g = client
            .put(format!(
                "{address}{SUB}/resourceGroups/rg?api-version=2021-04-01"
            ))
            .json(&json!({"location": "westeurope"}))
            .send()
            .await
            .unwrap();
        assert!(g.status().is_success());
        let writers = (0..8).map(|w| {
            let (client, address) = (client.clone(), address.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for i in 0.. {
                    let (vm, name) = (i % 4 == 0, format!("r{round}-w{w}-{i}"));
                    let url = if vm {
                        vm_url(&address, &name)
                    } else {
                        identity_url(&address, &name)
                    };
                    let body = if vm {
                        vm_body()
                    } else {
                        json!({"location": "westeurope"})
                    };
                    match client.put(url).json(&body).send().await {
                        Ok(r) if r.status().is_success() => acked.push((vm, name)),
                        Ok(r) => panic!("{} before the kill", r.status()),
                        Err(_) => break,
                    }
                }
                acked
            })
        });
        let writers: Vec<_> = writers.collect();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        tokio::time::sleep(Duration::from_millis(300 + u64::from(nanos % 500))).await;
        served.child.kill().unwrap(); // SIGKILL
        served.child.wait().unwrap();
        for w in writers {
            acknowledged.extend(w.await.unwrap());
        }
    }
    assert!(
        acknowledged.len() > 50,
        "only {} writes acknowledged",
        acknowledged.len()
    );

    let mut served = serve(&db, None);
    let address = served.address.clone();
    for (vm, name) in &acknowledged {
        let url = if *vm {
            vm_url(&address, name)
        } else {
            identity_url(&address, name)
        };
        let r = client.get(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "acknowledged {name} is lost");
    }
    // Every principal belongs to a resource that exists, and every resource has its principal.
    let sps: Value = client
        .get(format!(
            "{address}/simulator/tenants/11111111-1111-4111-8111-111111111111/servicePrincipals"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut principals: Vec<String> = sps["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] != "Application")
        .map(|p| p["objectId"].as_str().unwrap().to_string())
        .collect();
    let mut owners = Vec::new();
    for kind in [
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.Compute/virtualMachines",
    ] {
        let api = if kind.starts_with("Microsoft.Compute") {
            "2024-07-01"
        } else {
            "2023-01-31"
        };
        let mut next = Some(format!("{address}{SUB}/providers/{kind}?api-version={api}"));
        while let Some(url) = next {
            let page: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            for r in page["value"].as_array().unwrap() {
                let p = r["properties"]["principalId"]
                    .as_str()
                    .or(r["identity"]["principalId"].as_str());
                owners.push(p.expect("a principal id").to_string());
            }
            next = page["nextLink"].as_str().map(str::to_string);
        }
    }
    principals.sort();
    owners.sort();
    assert_eq!(
        principals, owners,
        "no orphan principal, no resource without one"
    );
    served.child.kill().unwrap();
    served.child.wait().unwrap();

    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new().filename(&db),
    )
    .await
    .unwrap();
    let check: String = sqlx::query_scalar("pragma integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
}

#[cfg(unix)]
#[tokio::test]
async fn defect5_sigterm_stops_serve_with_exit_0_and_the_wal_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mi-sim.db");
    let mut served = serve(&db, None);
    let r = reqwest::Client::new()
        .put(format!(
            "{}{SUB}/resourceGroups/rg?api-version=2021-04-01",
            served.address
        ))
        .json(&json!({"location": "westeurope"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = reqwest::Client::new()
        .put(identity_url(&served.address, "before-term"))
        .json(&json!({"location": "westeurope"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let term = std::process::Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = served.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status}");
    let wal = std::fs::metadata(dir.path().join("mi-sim.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the WAL was checkpointed into the database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identity_changes_and_a_racing_group_delete_leave_arm_and_entra_agreeing() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_group("doomed").await;
    for n in ["ua-1", "ua-2", "ua-3"] {
        app.put_identity("rg1", n).await;
    }
    app.put_vm("rg1", "vm1", None).await;
    let ids: Vec<String> = ["ua-1", "ua-2", "ua-3"]
        .iter()
        .map(|n| app.identity_id("rg1", n))
        .collect();
    let mut tasks: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>> = Vec::new();
    for i in 0..60 {
        let ids = ids.clone();
        let app = &app;
        tasks.push(Box::pin(async move {
            let r = match i % 5 {
                0 => app.patch_vm("rg1", "vm1", json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {ids[i % 3].clone(): {}}}})).await,
                1 => app.patch_vm("rg1", "vm1", json!({"identity": {"type": "None"}})).await,
                2 => app.call(Method::DELETE, &app.identity_path("rg1", ["ua-1", "ua-2", "ua-3"][i % 3]), None).await,
                3 => app.put_identity("rg1", ["ua-1", "ua-2", "ua-3"][i % 3]).await,
                _ => app.put_identity("doomed", &format!("late-{i}")).await,
            };
            assert!(r.status.as_u16() < 500, "{}: {}", r.status, r.body);
        }));
        if i == 30 {
            tasks.push(Box::pin(async move {
                let r = app
                    .call(Method::DELETE, &app.group_path("doomed"), None)
                    .await;
                assert!(r.status.as_u16() < 500, "{}", r.body);
            }));
        }
    }
    futures_util::future::join_all(tasks).await;

    // ARM and Entra agree: the principals are exactly those of the identities and the VM.
    let mut owners: Vec<String> = list_all(&app, &format!("/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31", app.sub))
        .await
        .iter()
        .map(|i| i["properties"]["principalId"].as_str().unwrap().to_string())
        .collect();
    let vm = app.get_vm("rg1", "vm1").await.body;
    owners.extend(vm["identity"]["principalId"].as_str().map(str::to_string));
    let mut principals: Vec<String> = app
        .principals(&app.tenant.clone())
        .await
        .iter()
        .map(|p| p["objectId"].as_str().unwrap().to_string())
        .collect();
    owners.sort();
    principals.sort();
    assert_eq!(owners, principals);
    // Whatever raced the delete: nothing is left in a deleted group.
    if app.get_group("doomed").await.status == StatusCode::NOT_FOUND {
        let left = list_all(
            &app,
            &format!("/subscriptions/{}/resources?api-version={RG_API}", app.sub),
        )
        .await;
        assert!(
            left.iter().all(|r| !r["id"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("/resourcegroups/doomed/")),
            "{left:?}"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn serve_with_an_in_memory_database_leaves_nothing_on_disk_when_it_stops() {
    let served = serve(std::path::Path::new(":memory:"), None);
    let ca = std::env::temp_dir().join(format!("mi-sim-{}-ca.pem", served.child.id()));
    assert!(
        ca.exists(),
        "the CA is written where the banner says: {}",
        ca.display()
    );
    let r = reqwest::get(format!(
        "{}/subscriptions?api-version=2022-12-01",
        served.address
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(served.terminate().success());
    assert!(!ca.exists(), "the CA file went with the process");
}

/// The writer's commits never copy the WAL into the database file (that waited inside a
/// commit); a thread of its own does, while mi-sim runs.
#[tokio::test]
async fn the_wal_is_folded_into_the_database_off_the_writers_path_while_it_runs() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let db = app.dir.path().join("mi-sim.db");
    let wal = app.dir.path().join("mi-sim.db-wal");
    // Let the checkpoints catch up with the migrations, then write more than they hold.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = std::fs::metadata(&db).unwrap().len();
    for i in 0..100 {
        let r = app.put_identity("rg1", &format!("id-{i}")).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let started = Instant::now();
    while std::fs::metadata(&db).unwrap().len() <= before {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "after 5 s the database file is still {before} bytes; the WAL is {} bytes",
            std::fs::metadata(&wal).map_or(0, |m| m.len())
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Under steady creates and reads the WAL starts over instead of growing: with only the
/// checkpoint thread it never did (700 MB in 10 s of creates); it starts over at 64 MiB.
#[tokio::test]
async fn the_wal_stays_bounded_under_steady_writes_and_reads() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_identity("rg1", "read-me").await;
    let wal = app.dir.path().join("mi-sim.db-wal");
    let writers = (0..16).map(|w| {
        let app = &app;
        async move {
            for i in 0..500 {
                let r = app.put_identity("rg1", &format!("id-{w}-{i}")).await;
                assert_eq!(r.status, StatusCode::CREATED);
            }
        }
    });
    let done = std::sync::atomic::AtomicBool::new(false);
    let readers = (0..4).map(|_| async {
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            assert_eq!(
                app.get_identity("rg1", "read-me").await.status,
                StatusCode::OK
            );
        }
    });
    let writes = async {
        futures_util::future::join_all(writers).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    tokio::join!(writes, futures_util::future::join_all(readers));
    let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(
        size < 96 << 20,
        "the WAL is {size} bytes after 8,000 creates"
    );
}
