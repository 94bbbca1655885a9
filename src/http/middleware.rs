//! What every request gets, whatever it hits: ARM path segments matched in any case, a root
//! span with its request and correlation ids, ARM's response headers, and one log line.
use super::extract::{bearer, caller_from_claims, unverified_claims, Authenticated};
use crate::domain::authorization::{self, Mode, Principal, Unverified};
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{uri::PathAndQuery, Method, Uri};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use std::time::Instant;
use tracing::Instrument;

/// Literal ARM path segments, lowercase → the casing the routes are declared with. ARM routes
/// case-insensitively (`resourcegroups`, `Microsoft.managedIdentity`); a segment after one of
/// these is a value (a name) and keeps the casing the client sent.
const KEYS: &[(&str, &str)] = &[
    ("subscriptions", "subscriptions"),
    ("resourcegroups", "resourceGroups"),
    ("tenants", "tenants"),
    ("locations", "locations"),
    ("operationresults", "operationresults"),
    ("userassignedidentities", "userAssignedIdentities"),
    ("identities", "identities"),
    ("virtualmachines", "virtualMachines"),
    ("containergroups", "containerGroups"),
    ("extensions", "extensions"),
    ("publishers", "publishers"),
    ("artifacttypes", "artifacttypes"),
    ("types", "types"),
    ("versions", "versions"),
    ("roleassignments", "roleAssignments"),
    ("roledefinitions", "roleDefinitions"),
    ("deployments", "deployments"),
    ("operationstatuses", "operationStatuses"),
];
const BARE: &[(&str, &str)] = &[
    ("resources", "resources"),
    ("providers", "providers"),
    ("operations", "operations"),
    ("instanceview", "instanceView"),
    ("vmsizes", "vmSizes"),
    ("start", "start"),
    ("poweroff", "powerOff"),
    ("deallocate", "deallocate"),
    ("restart", "restart"),
    ("stop", "stop"),
    ("moveresources", "moveResources"),
    ("validatemoveresources", "validateMoveResources"),
    ("exporttemplate", "exportTemplate"),
    ("validate", "validate"),
    ("whatif", "whatIf"),
    ("cancel", "cancel"),
];

/// Rewrites an ARM path to the declared casing, and empty segments away (`https://host/` +
/// `/metadata/endpoints`, as az CLI joins a base URL that ends in a slash); `None` when
/// nothing changes.
pub fn canonical_path(path: &str) -> Option<String> {
    let squashed = path.contains("//").then(|| {
        let mut p = String::with_capacity(path.len());
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            p.push('/');
            p.push_str(seg);
        }
        if p.is_empty() {
            p.push('/');
        }
        p
    });
    let path = squashed.as_deref().unwrap_or(path);
    let first = path.split('/').nth(1)?.to_ascii_lowercase();
    if !matches!(first.as_str(), "subscriptions" | "tenants" | "providers") {
        return squashed;
    }
    let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
    // A collection with a trailing slash (the SDKs list deployments at `.../deployments/`).
    if segs.len() > 2 && segs.last().is_some_and(String::is_empty) {
        segs.pop();
    }
    let mut i = 1;
    while i < segs.len() {
        let lower = segs[i].to_ascii_lowercase();
        if let Some((_, canon)) = KEYS.iter().find(|(k, _)| *k == lower) {
            segs[i] = canon.to_string();
            i += 2;
        } else if lower == "providers" {
            segs[i] = "providers".into();
            if let Some(p) = segs
                .get(i + 1)
                .and_then(|ns| crate::domain::catalog::provider(ns))
            {
                segs[i + 1] = p.namespace.to_string();
            }
            i += 2;
        } else if let Some((_, canon)) = BARE.iter().find(|(k, _)| *k == lower) {
            segs[i] = canon.to_string();
            i += 1;
        } else {
            i += 1;
        }
    }
    let out = segs.join("/");
    (out != path).then_some(out).or(squashed)
}

/// Routes a request whose ARM segments differ in case from the declared routes.
fn normalize_path(req: &mut ServiceRequest) {
    if let Some(path) = canonical_path(req.path()) {
        let pq = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(pq) = PathAndQuery::try_from(pq) {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
}

/// Whether `host` is a valid `host[:port]`: a DNS name or IPv4 address, or a bracketed IPv6
/// address, and an optional port. It becomes part of `Location`, `nextLink` and operation URLs.
pub fn valid_host(host: &str) -> bool {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, port)) if v6.parse::<std::net::Ipv6Addr>().is_ok() => (None, port),
            _ => return false,
        },
        None => match host.find(':') {
            Some(i) => (Some(&host[..i]), &host[i..]),
            None => (Some(host), ""),
        },
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.parse::<u16>().is_ok());
    let name_ok = name.is_none_or(|n| {
        n.len() <= 253
            && n.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    });
    port_ok && name_ok
}

/// The front door, before anything else looks at the request (one layer, as each costs every
/// request): a host (the `Host` header, or a forwarded host) that is not a valid `host[:port]`
/// is refused before anything builds a URL from it, a request body is put under its deadline
/// (`BodyTimeout`), and ARM path segments are routed in any case.
pub async fn front_door(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    use actix_web::http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
    let headers = req.headers();
    let forwarded = ["forwarded", "x-forwarded-host"]
        .iter()
        .any(|h| headers.contains_key(*h));
    // The common case reads the header as it is; a forwarded host is worked out as the URL
    // builders will work it out.
    let host = match (forwarded, headers.get(HOST).map(|h| h.as_bytes())) {
        (false, Some(raw)) => match std::str::from_utf8(raw) {
            Ok(h) if valid_host(h) => Ok(()),
            _ => Err(String::from_utf8_lossy(raw).into_owned()),
        },
        _ => {
            let h = req.connection_info().host().to_string();
            valid_host(&h).then_some(()).ok_or(h)
        }
    };
    let has_body = headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if let Err(host) = host {
        let error = super::error::ArmError::bad_request(
            "InvalidHostName",
            format!("The host '{}' is not a valid host[:port]; send the server's name or address in the Host header.", host.escape_default()),
        );
        let res = actix_web::ResponseError::error_response(&error);
        return Ok(req.into_response(res).map_into_right_body());
    }
    if has_body {
        let timeout = req
            .app_data::<BodyTimeout>()
            .map_or(Duration::from_secs(10), |t| t.0);
        let inner = req.take_payload();
        let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
            inner,
            timeout,
            sleep: None,
        });
        req.set_payload(Payload::from(stream));
    }
    normalize_path(&mut req);
    if let Some(res) = throttled(&req).await {
        return Ok(req.into_response(res).map_into_right_body());
    }
    // Only a request with a token needs the work; without one the caller is anonymous, which
    // `CallerInfo` and `/simulator/caller` take the missing extension to mean.
    let authenticated = match bearer(req.request()) {
        Some(token) => Some(authenticate(&req, token).await),
        None => None,
    };
    const NO_TOKEN: Principal = Principal::Anonymous(Unverified::NoToken);
    let enforcing = req
        .app_data::<actix_web::web::Data<AppState>>()
        .filter(|s| s.auth == Mode::Enforce)
        .cloned();
    if let Some(state) = enforcing {
        let action = req
            .match_pattern()
            .and_then(|p| authorization::required_action(req.method().as_str(), &p, req.path()));
        if let Some(action) = action {
            let principal = authenticated.as_ref().map_or(&NO_TOKEN, |a| &a.principal);
            match super::enforce::check(&state, req.request(), principal, &action).await {
                Ok(grants) => {
                    req.extensions_mut().insert(grants);
                }
                Err(res) => return Ok(req.into_response(res).map_into_right_body()),
            }
        }
    }
    if let Err(locked) = refuse_in_locked_group(&req) {
        let res = actix_web::ResponseError::error_response(&super::error::ArmError::from(locked));
        return Ok(req.into_response(res).map_into_right_body());
    }
    if let Some(authenticated) = authenticated {
        req.extensions_mut().insert(authenticated);
    }
    let res = next.call(req).await?;
    let refused = res
        .response()
        .extensions()
        .get::<super::error::Refused>()
        .copied();
    if let Some(r) = refused {
        journal_refusal(&res, r);
    }
    Ok(res.map_into_left_body())
}

/// Writes a rule's ARM refusal (R13) to the journal, with the caller and the request.
fn journal_refusal<B>(res: &ServiceResponse<B>, r: super::error::Refused) {
    let req = res.request();
    let Some(state) = req.app_data::<actix_web::web::Data<AppState>>() else {
        return;
    };
    let caller = match req
        .extensions()
        .get::<Authenticated>()
        .map(|a| &a.principal)
    {
        Some(Principal::Verified(p)) => format!("{} (app {})", p.object_id, p.app_id),
        _ => "anonymous".to_string(),
    };
    let request = format!("{} {}", req.method(), req.path());
    state.journal.record(
        state.clock.now_text(),
        crate::journal::Record {
            surface: "arm",
            caller: &caller,
            request: &request,
            verdict: "refused",
            status: res.status().as_u16(),
            rule: Some(r.rule),
            detail: r.code,
        },
    );
}

/// An armed `armThrottled` fault whose pattern matches an ARM path answers 429
/// `TooManyRequests` with `Retry-After`, as ARM's throttling does. The control API, instance
/// endpoints and Entra are never throttled by it.
async fn throttled(req: &ServiceRequest) -> Option<actix_web::HttpResponse> {
    use crate::domain::faults::FaultKind;
    let state = req.app_data::<actix_web::web::Data<AppState>>()?;
    if !state.faults.armed(FaultKind::ArmThrottled) {
        return None;
    }
    let path = req.path();
    let arm = ["/subscriptions", "/providers", "/tenants"]
        .iter()
        .any(|p| path.len() >= p.len() && path[..p.len()].eq_ignore_ascii_case(p));
    if !arm {
        return None;
    }
    let fired = match crate::ops::faults::fire(state, FaultKind::ArmThrottled, path).await {
        Ok(f) => f?,
        Err(e) => {
            tracing::error!(error = %e, "fault lookup failed");
            return None;
        }
    };
    let request = format!("{} {path}", req.method());
    state.journal.record(
        state.clock.now_text(),
        crate::journal::Record {
            surface: "arm",
            caller: "",
            request: &request,
            verdict: "throttled",
            status: 429,
            rule: None,
            detail: &format!("fault {}", fired.id),
        },
    );
    let error = super::error::ArmError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!("The request is being throttled: too many requests were sent. Retry after {} seconds. (mi-sim: fault {})", fired.retry_after, fired.id),
    );
    let mut res = actix_web::ResponseError::error_response(&error);
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&fired.retry_after.to_string()) {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, v);
    }
    Some(res)
}

/// ARM's lock during a move: writes and deletes in the source and the target group are
/// refused while it runs. One check here covers every provider.
fn refuse_in_locked_group(req: &ServiceRequest) -> Result<(), crate::ops::OpError> {
    let Some(state) = req.app_data::<actix_web::web::Data<AppState>>() else {
        return Ok(());
    };
    let method = req.method();
    // A move checks both of its groups itself (`ops::moves::start`).
    let writes = [Method::PUT, Method::PATCH, Method::DELETE].contains(method);
    if !writes || !state.locks.any() {
        return Ok(());
    }
    let mut segs = req.path().split('/').skip(1);
    match (segs.next(), segs.next(), segs.next(), segs.next()) {
        (Some("subscriptions"), Some(sub), Some("resourceGroups"), Some(group)) => {
            // A subscription that is no GUID holds no lock; its handler refuses it.
            let Ok(sub) = crate::domain::SubscriptionId::parse(sub) else {
                return Ok(());
            };
            let group = percent_decoded(group);
            crate::ops::moves::refuse_if_locked(
                state,
                sub,
                &crate::domain::names::name_key(&group),
                state.clock.now(),
            )
        }
        _ => Ok(()),
    }
}

/// A path segment with its percent escapes decoded (group names may hold `(`, `)`, spaces).
fn percent_decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// Who sent the request: a principal when the bearer token is one mi-sim signed and valid on
/// the simulator's clock; otherwise anonymous, the token's claims (unchecked) still naming the
/// caller for `systemData`, as the open mode accepts any token.
async fn authenticate(req: &ServiceRequest, token: &str) -> Authenticated {
    let state = req.app_data::<actix_web::web::Data<AppState>>();
    let verified = match state {
        Some(state) => match state.keys.existing().await {
            Ok(Some(key)) => key
                .verify(token)
                .map(|claims| (claims, state.clock.now().timestamp())),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "the signing key could not be read");
                None
            }
        },
        None => None,
    };
    match verified {
        Some((claims, now)) => Authenticated {
            principal: authorization::principal_from_claims(&claims, now),
            caller: caller_from_claims(Some(&claims)),
        },
        None => Authenticated {
            principal: Principal::Anonymous(Unverified::NotSignedByMiSim),
            caller: caller_from_claims(unverified_claims(token).as_ref()),
        },
    }
}

/// How long a request body may take to arrive, from the first poll of it.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// A request body that fails with `TimedOut` once its deadline passes, so a client that sends
/// headers and then stalls cannot hold a connection and a worker forever.
struct Deadline {
    inner: Payload,
    timeout: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        let timeout = this.timeout;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Request ids, ARM headers and the request log line.
pub async fn arm_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().hyphenated().to_string();
    let correlation_id = req
        .headers()
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let (method, path) = (req.method().clone(), req.path().to_string());
    // At info the one line below says it all; the request's span (events logged on the
    // request's own task carry its ids) is a debug span: a span per request cost reads 6%.
    let span = tracing::debug_span!("request", %method, %path, %request_id, %correlation_id);
    let mut res = next.call(req).instrument(span.clone()).await?;

    let status = res.status().as_u16();
    let limit = match method {
        Method::GET | Method::HEAD => ("x-ms-ratelimit-remaining-subscription-reads", "11999"),
        Method::DELETE => ("x-ms-ratelimit-remaining-subscription-deletes", "14999"),
        _ => ("x-ms-ratelimit-remaining-subscription-writes", "1199"),
    };
    let routing = format!(
        "LOCAL:{}:{request_id}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    let headers = res.headers_mut();
    for (name, value) in [
        ("x-ms-request-id", request_id.as_str()),
        ("x-ms-correlation-request-id", correlation_id.as_str()),
        ("x-ms-routing-request-id", routing.as_str()),
        (limit.0, limit.1),
        ("cache-control", "no-cache"),
        ("pragma", "no-cache"),
        ("expires", "-1"),
        ("x-content-type-options", "nosniff"),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        %method,
        %path,
        %request_id,
        %correlation_id,
        status,
        latency_ms = format!("{latency_ms:.2}"),
        "request"
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::{canonical_path, valid_host};

    #[test]
    fn hosts_are_host_and_port_or_refused() {
        for good in [
            "localhost",
            "127.0.0.1:8080",
            "management.azure.com",
            "[::1]:8443",
            "[::1]",
            "a-b_c.x:1",
        ] {
            assert!(valid_host(good), "{good}");
        }
        for bad in [
            "", "a b", "a:b", "a:", "a..b", "x:99999", "[::1", "[zz]:1", "a/b", "a\u{0}b", "é.com",
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }

    #[test]
    fn arm_segments_are_rewritten_names_are_kept() {
        assert_eq!(
            canonical_path("/SUBSCRIPTIONS/abc/resourcegroups/MyRG/providers/microsoft.managedidentity/USERASSIGNEDIDENTITIES/Id1").as_deref(),
            Some("/subscriptions/abc/resourceGroups/MyRG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/Id1")
        );
        assert_eq!(canonical_path("/subscriptions/abc/resourceGroups/rg"), None);
        assert_eq!(canonical_path("/simulator/tenants"), None);
    }

    #[test]
    fn empty_segments_go_as_az_cli_joins_base_urls_with_a_trailing_slash() {
        assert_eq!(
            canonical_path("//metadata/endpoints").as_deref(),
            Some("/metadata/endpoints")
        );
        assert_eq!(
            canonical_path("//subscriptions//abc/resourcegroups/rg").as_deref(),
            Some("/subscriptions/abc/resourceGroups/rg")
        );
    }

    #[test]
    fn a_group_named_like_a_keyword_keeps_its_casing() {
        assert_eq!(
            canonical_path("/subscriptions/abc/resourcegroups/Providers").as_deref(),
            Some("/subscriptions/abc/resourceGroups/Providers")
        );
    }
}
