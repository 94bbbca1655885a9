//! The HTTP layer: one module per API surface (ARM providers, the simulator's control API),
//! plus what they share: the error envelope, extractors, middleware and the OpenAPI document.
//! Handlers parse, call one op and shape the answer; no SQL and no rules here.
pub mod arm;
pub mod cloud;
pub mod enforce;
pub mod entra;
pub mod error;
pub mod explorer;
pub mod extract;
pub mod imds;
pub mod middleware;
pub mod simulator;

use actix_web::dev::HttpServiceFactory;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use error::ArmError;
use serde::Serialize;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{OpenApi, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::OpenApiFactory;

/// Bodies above this size are refused with 413 (ARM refuses requests over 4 MB).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// A JSON response with ARM's content type.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => HttpResponse::build(status)
            .content_type("application/json; charset=utf-8")
            .body(bytes),
        Err(e) => {
            tracing::error!(error = %e, "response serialisation failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A PUT's status: 201 when it made something new, 200 when it replaced what was there.
pub fn put_status(written: crate::ops::Written) -> StatusCode {
    match written {
        crate::ops::Written::Created => StatusCode::CREATED,
        crate::ops::Written::Updated => StatusCode::OK,
    }
}

/// Who created and last changed a resource, and when (common-types v4 `SystemData`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemData {
    pub created_by: String,
    pub created_by_type: String,
    pub created_at: String,
    pub last_modified_by: String,
    pub last_modified_by_type: String,
    pub last_modified_at: String,
}

/// The global parts of the OpenAPI document; paths come from the handlers as they are mounted.
#[derive(OpenApi)]
#[openapi(
    info(title = "mi-sim", description = "A simulator of the Azure managed-identity control plane: ARM, instance metadata, Entra, and its own control API under /simulator. The state as a tree, identity health and the known-issue scenarios: [the explorer](/explorer)."),
    tags(
        (name = "Resources", description = "Microsoft.Resources: resource groups, providers, operation results"),
        (name = "Subscriptions", description = "Subscriptions, tenants, locations"),
        (name = "ManagedIdentity", description = "Microsoft.ManagedIdentity: user-assigned identities, system-assigned identities by scope"),
        (name = "Authorization", description = "Microsoft.Authorization: role assignments at any scope, built-in role definitions"),
        (name = "Compute", description = "Microsoft.Compute: virtual machines and their identities"),
        (name = "ContainerInstance", description = "Microsoft.ContainerInstance: container groups and their identities"),
        (name = "Instance", description = "What code on a VM or container group calls: IMDS and the App Service token protocol, under /instances/{instanceId}"),
        (name = "Entra", description = "Entra's discovery documents, signing keys and token endpoints, per tenant"),
        (name = "Simulator", description = "mi-sim's control API")
    )
)]
struct ApiDoc;

/// Every route mi-sim serves, registered so that each lands in the OpenAPI document.
pub fn routes(cfg: &mut impl Routes) {
    // actix tries routes in registration order, one regex each: the busiest go first.
    arm::managed_identity::configure(cfg);
    arm::compute::configure(cfg);
    arm::extensions::configure(cfg);
    arm::container_instance::configure(cfg);
    arm::generic::configure(cfg);
    arm::resources::configure(cfg);
    arm::moves::configure(cfg);
    arm::export::configure(cfg);
    arm::deployments::configure(cfg);
    arm::subscriptions::configure(cfg);
    arm::authorization::configure(cfg);
    imds::configure(cfg);
    cloud::configure(cfg);
    cfg.simulator();
    entra::configure(cfg);
}

/// Where the handlers are registered: utoipa's config, which also collects each handler's
/// OpenAPI path (done once, for the document), or actix's own, for each worker's app. Building
/// the paths cost about 7 ms per app, and actix builds one per worker and listener, one after
/// the other, before the first request is answered.
pub trait Routes {
    fn service<F: HttpServiceFactory + OpenApiFactory + 'static>(&mut self, f: F) -> &mut Self;
    /// Mounts the control API under `/simulator`.
    fn simulator(&mut self);
}

impl Routes for ServiceConfig<'_> {
    fn service<F: HttpServiceFactory + OpenApiFactory + 'static>(&mut self, f: F) -> &mut Self {
        ServiceConfig::service(self, f)
    }
    fn simulator(&mut self) {
        ServiceConfig::service(
            self,
            utoipa_actix_web::scope("/simulator").configure(|c| simulator::configure(c)),
        );
    }
}

impl Routes for web::ServiceConfig {
    fn service<F: HttpServiceFactory + OpenApiFactory + 'static>(&mut self, f: F) -> &mut Self {
        web::ServiceConfig::service(self, f)
    }
    fn simulator(&mut self) {
        web::ServiceConfig::service(
            self,
            web::scope("/simulator").configure(simulator::configure),
        );
    }
}

/// The OpenAPI document, built from the same registration as the server.
pub fn openapi() -> OpenApiDoc {
    let (_, doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(|c| routes(c))
        .split_for_parts();
    doc
}

use utoipa_actix_web::AppExt;

/// JSON bodies: size limit, any content type, and ARM errors instead of actix's plain text.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY)
        .content_type_required(false)
        .error_handler(|e, _| {
            use actix_web::error::JsonPayloadError;
            let arm = match &e {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => ArmError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    format!("The request content is larger than the limit of {MAX_BODY} bytes."),
                ),
                JsonPayloadError::Deserialize(d) => ArmError::invalid_request_content(d),
                JsonPayloadError::Payload(actix_web::error::PayloadError::Io(io))
                    if io.kind() == std::io::ErrorKind::TimedOut =>
                {
                    ArmError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        "RequestTimeout",
                        "The request body did not arrive in time; send it in full with the headers.",
                    )
                }
                other => ArmError::invalid_request_content(other),
            };
            arm.into()
        })
}

/// Query strings that do not parse get an ARM error.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| {
        ArmError::bad_request(
            "InvalidQueryParameterValue",
            format!("The query string is invalid: {e}."),
        )
        .into()
    })
}

/// Anything no route matches.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ArmError> {
    Err(ArmError::no_route(req.method().as_str(), req.path()))
}

/// `GET /docs`: on to the interactive docs at `/docs/`.
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// `GET /openapi.json`: the document itself.
pub async fn openapi_json(doc: web::Data<OpenApiDoc>) -> HttpResponse {
    json(StatusCode::OK, doc.get_ref())
}
