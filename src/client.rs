//! A small ARM client over HTTP: how the scenario runner and template deployments call mi-sim,
//! the way users' tools do (the same routes, the same long-running-operation protocol), so
//! neither needs a second code path into the operations.
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long following one asynchronous operation may take, and the most polls.
const WAIT_LIMIT: Duration = Duration::from_secs(120);
const MAX_POLLS: u32 = 600;

/// The mi-sim a client talks to.
#[derive(Clone)]
pub struct Target {
    base: String,
    client: reqwest::Client,
    /// The longest pause between polls, whatever `Retry-After` asks: the simulator's
    /// operations end in moments.
    max_pause: Duration,
}

impl Target {
    pub fn new(base: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            client,
            max_pause: Duration::from_millis(200),
        })
    }

    /// The same target, pausing at most this long between polls.
    pub fn pausing_at_most(mut self, max_pause: Duration) -> Self {
        self.max_pause = max_pause;
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}

/// An answer: status, headers, the body as JSON (or as a string when it is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// ARM's `error.code`, or the `error` of IMDS and Entra.
    pub fn error_code(&self) -> Option<&str> {
        let e = self.body.get("error")?;
        e.get("code").and_then(Value::as_str).or_else(|| e.as_str())
    }
}

fn unreachable(target: &Target, e: reqwest::Error) -> String {
    format!("cannot reach mi-sim at {}: {e}", target.base)
}

async fn answer(r: reqwest::Response) -> Result<Answer, String> {
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let text = r.text().await.map_err(|e| e.to_string())?;
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
    };
    Ok(Answer {
        status,
        headers,
        body,
        text,
    })
}

/// Sends one request to a path of mi-sim's, or to a full URL (an operation to poll).
pub async fn send(
    target: &Target,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(String, String)],
) -> Result<Answer, String> {
    let url = if path.starts_with("http://") || path.starts_with("https://") {
        path.to_string()
    } else {
        format!("{}{path}", target.base)
    };
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = target.client.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (n, v) in headers {
        req = req.header(n.as_str(), v.as_str());
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    answer(req.send().await.map_err(|e| unreachable(target, e))?).await
}

/// Posts a form (Entra's token endpoint) to a path of mi-sim's.
pub async fn post_form(target: &Target, path: &str, form: String) -> Result<Answer, String> {
    let r = target
        .client
        .post(format!("{}{path}", target.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .map_err(|e| unreachable(target, e))?;
    answer(r).await
}

/// Follows an asynchronous answer to its end, as ARM clients do: `Azure-AsyncOperation` until
/// its status is terminal (then the resource, or `Location`), else `Location` until it stops
/// answering 202.
pub async fn follow(
    target: &Target,
    token: Option<&str>,
    method: &str,
    url: &str,
    first: Answer,
    polls: &mut u32,
) -> Result<Answer, String> {
    // A PUT or PATCH of an existing resource may answer 200 and still run on (an extension).
    let running_update = first.status == 200
        && matches!(method, "PUT" | "PATCH")
        && first.header("azure-asyncoperation").is_some();
    if first.status != 201 && first.status != 202 && !running_update {
        return Ok(first);
    }
    let deadline = Instant::now() + WAIT_LIMIT;
    let location = first.header("location").map(str::to_string);
    if let Some(op) = first.header("azure-asyncoperation").map(str::to_string) {
        let mut last = first;
        loop {
            *polls += 1;
            if *polls > MAX_POLLS || Instant::now() > deadline {
                return Err("the operation did not end in time".into());
            }
            tokio::time::sleep(pause(target, &last)).await;
            last = send(target, "GET", &op, token, None, &[]).await?;
            let status = last.body["status"].as_str().unwrap_or_default();
            if !matches!(status, "InProgress" | "Running" | "Accepted" | "NotStarted") {
                break;
            }
        }
        if last.body["status"].as_str() != Some("Succeeded") {
            return Ok(last);
        }
        return match (location, method) {
            (Some(loc), _) => poll_location(target, token, &loc, polls, deadline).await,
            (None, "PUT" | "PATCH") => send(target, "GET", url, token, None, &[]).await,
            _ => Ok(last),
        };
    }
    match location {
        Some(loc) => poll_location(target, token, &loc, polls, deadline).await,
        None => Ok(first),
    }
}

async fn poll_location(
    target: &Target,
    token: Option<&str>,
    location: &str,
    polls: &mut u32,
    deadline: Instant,
) -> Result<Answer, String> {
    loop {
        *polls += 1;
        if *polls > MAX_POLLS || Instant::now() > deadline {
            return Err("the operation did not end in time".into());
        }
        let a = send(target, "GET", location, token, None, &[]).await?;
        if a.status != 202 {
            return Ok(a);
        }
        tokio::time::sleep(pause(target, &a)).await;
    }
}

/// The pause between polls: what `Retry-After` asks, within 20 ms and the target's maximum.
fn pause(target: &Target, a: &Answer) -> Duration {
    let secs = a
        .header("retry-after")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs).clamp(
        Duration::from_millis(20),
        target.max_pause.max(Duration::from_millis(20)),
    )
}
