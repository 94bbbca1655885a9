//! One request must never take mi-sim down or wedge its writes: hostile but fair inputs, clients
//! that vanish mid-request, concurrent writers, and kill -9 (the reliability defects, each test
//! named after the defect it keeps fixed).
use crate::helpers::{spawn_app, TestApp, RG_API};
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

#[tokio::test]
async fn defect1_a_filter_nested_5000_deep_is_a_400_not_a_crash() {
    let app = spawn_app().await;
    for filter in [
        "(".repeat(5000),
        format!("{}name eq 'a'{}", "(".repeat(40), ")".repeat(40)),
    ] {
        let r = app.call(Method::GET, &resources(&app, &filter), None).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "InvalidFilterInQueryString")
        );
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("deeper than 32"),
            "{}",
            r.body
        );
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
    let r = app
        .call(Method::GET, &resources(&app, &chain(999)), None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidFilterInQueryString")
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("more than 200 conditions"),
        "{}",
        r.body
    );
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

/// Sends a request and resets the connection (RST, not FIN) without reading the answer.
async fn send_and_reset(address: &str, request: String) {
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    // Give the server the request before the reset, as a client that gives up would.
    tokio::time::sleep(Duration::from_millis(1)).await;
    // A zero linger sends RST on close and never blocks (the deprecation is about non-zero ones).
    #[allow(deprecated)]
    stream.set_linger(Some(Duration::ZERO)).unwrap();
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defect2_clients_that_reset_mid_write_do_not_wedge_later_writes() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let resets = (0..300).map(|i| {
        let body = r#"{"location":"westeurope"}"#;
        let path = app.identity_path("rg1", &format!("reset-{i}"));
        let request = format!(
            "PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        send_and_reset(&app.address, request)
    });
    futures_util::future::join_all(resets).await;

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
            started.elapsed() < Duration::from_secs(2),
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
