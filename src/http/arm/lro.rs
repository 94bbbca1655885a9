//! What every provider's long-running operations share: the `Azure-AsyncOperation` and
//! `Location` headers of a first answer, and the poll of
//! `/subscriptions/{s}/providers/{namespace}/locations/{l}/operations/{id}`.
use crate::domain::SubscriptionId;
use crate::http::error::ArmError;
use crate::http::extract::{base_url, query_param};
use crate::http::json;
use crate::ops::resource_groups::{poll_operation, Poll};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// The URL of an operation of a provider, on the host the client used.
fn operation_url(
    req: &HttpRequest,
    sub: SubscriptionId,
    namespace: &str,
    location: &str,
    operation: &str,
    version: &str,
) -> String {
    format!(
        "{}/subscriptions/{sub}/providers/{namespace}/locations/{location}/operations/{operation}?api-version={version}",
        base_url(req)
    )
}

/// Adds the headers of a provider's long-running operation on a resource at (subscription,
/// provider namespace, location); `Location` (with `monitor=true`) too when asked. Retry-After: 1
/// keeps pollers (30 s by default) quick.
pub fn with_lro_headers(
    mut res: HttpResponse,
    req: &HttpRequest,
    (subscription, namespace, location): (SubscriptionId, &str, &str),
    operation: &str,
    version: &str,
    with_location: bool,
) -> HttpResponse {
    use actix_web::http::header::{HeaderName, HeaderValue, LOCATION, RETRY_AFTER};
    let url = operation_url(req, subscription, namespace, location, operation, version);
    let headers = res.headers_mut();
    if with_location {
        if let Ok(v) = HeaderValue::from_str(&format!("{url}&monitor=true")) {
            headers.insert(LOCATION, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&url) {
        headers.insert(HeaderName::from_static("azure-asyncoperation"), v);
    }
    headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

/// Path of a provider operation's status.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct OperationPath {
    subscription_id: String,
    /// Part of the URL Azure hands out; any location finds the operation by its id.
    #[allow(dead_code)]
    location: String,
    operation_id: String,
}

/// The status of an operation (ARM's `Azure-AsyncOperation` body).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    name: String,
    /// `InProgress`, then `Succeeded` or `Failed`.
    status: &'static str,
    start_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<String>,
    /// ARM's `{code, message}` when the operation failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    error: Option<serde_json::Value>,
}

/// Answers a poll of an operation: with `monitor=true` (the `Location` URL) 202 while it runs,
/// then 200 (or the error, as the synchronous call would have answered it); otherwise 200
/// with the status body, `InProgress` on the first poll.
pub async fn operation_status(
    state: &AppState,
    req: &HttpRequest,
    path: &OperationPath,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    let polled = poll_operation(state, sub, &path.operation_id).await?;
    let monitor = query_param(req.query_string(), "monitor").is_some_and(|m| m == "true");
    Ok(match (monitor, polled.poll) {
        (true, Poll::Running) => HttpResponse::Accepted()
            .insert_header(("Location", req.uri().to_string()))
            .insert_header(("Retry-After", "1"))
            .finish(),
        (true, Poll::Succeeded) => HttpResponse::Ok().finish(),
        (true, Poll::Failed(error)) => json(StatusCode::CONFLICT, &json!({ "error": error })),
        (false, poll) => {
            let (status, error) = match poll {
                Poll::Running => ("InProgress", None),
                Poll::Succeeded => ("Succeeded", None),
                Poll::Failed(e) => ("Failed", Some(e)),
            };
            let mut res = json(
                StatusCode::OK,
                &OperationStatus {
                    name: path.operation_id.clone(),
                    status,
                    start_time: polled.started,
                    end_time: polled.ended,
                    error,
                },
            );
            if status == "InProgress" {
                res.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from_static("1"),
                );
            }
            res
        }
    })
}
