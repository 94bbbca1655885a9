//! The cloud metadata document (`/metadata/endpoints`, docs/wire-contract.md, "Cloud metadata"): what `az cloud
//! register`, `ARM_CLOUD_METADATA_URL` and Terraform's `metadata_host` read to find ARM and
//! Entra. Every endpoint in it is mi-sim itself, on the scheme and host the request came in on.
use crate::http::extract::base_url;
use crate::http::json;
use actix_web::http::StatusCode;
use actix_web::{get, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

/// The cloud's name in az CLI and Terraform.
pub const CLOUD_NAME: &str = "mi-sim";

/// `api-version` of the metadata document.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetadataQuery {
    /// `2022-09-01` (one object) or `2019-05-01` (an array of clouds).
    #[serde(rename = "api-version")]
    #[param(rename = "api-version")]
    pub api_version: Option<String>,
}

fn cloud(base: &str) -> Value {
    json!({
        "portal": base,
        "authentication": {
            "loginEndpoint": base,
            // The first audience is the one az CLI asks tokens for (Azure's own values).
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": CLOUD_NAME,
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": format!("{base}/"),
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
    })
}

/// The cloud metadata: mi-sim's ARM and Entra endpoints, for `az cloud register` and Terraform.
#[utoipa::path(
    tag = "Resources", operation_id = "Metadata_Endpoints", params(MetadataQuery),
    responses((status = 200, description = "The cloud (2022-09-01: an object; 2019-05-01: an array)"),
              (status = 400, description = "A missing or unsupported api-version"))
)]
#[get("/metadata/endpoints")]
pub async fn metadata_endpoints(req: HttpRequest) -> HttpResponse {
    let base = base_url(&req);
    let version = crate::http::extract::query_param(req.query_string(), "api-version");
    // Like ARM's own endpoints, it refuses a version it does not serve and names the ones it does.
    let refuse = |code: &'static str, message: String| {
        actix_web::ResponseError::error_response(&crate::http::error::ArmError::bad_request(
            code, message,
        ))
    };
    match version {
        Some("2022-09-01") => json(StatusCode::OK, &cloud(&base)),
        Some("2019-05-01") => json(StatusCode::OK, &json!([cloud(&base)])),
        Some(v) => refuse(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{v}' is invalid. The supported versions are '{}'.",
                METADATA_VERSIONS.join(",")
            ),
        ),
        None => refuse(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.".into(),
        ),
    }
}

/// The metadata document's versions, newest first.
const METADATA_VERSIONS: [&str; 2] = ["2022-09-01", "2019-05-01"];

/// Mounts the metadata document.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(metadata_endpoints);
}
