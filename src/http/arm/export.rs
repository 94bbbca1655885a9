//! Microsoft.Resources `ResourceGroups_ExportTemplate`: a group's resources as an ARM
//! template. From api-version 2019-08-01 it is long-running (202 + `Location`, then 200 with
//! the answer), as az says; older versions answer 200 at once.
use super::resources::accepted;
use crate::domain::export::ExportOptions;
use crate::domain::resource_id::ResourceId;
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{ApiVersion, ApiVersionParam, GroupPath, Resources};
use crate::http::json;
use crate::ops::export::{self as ops, Selection};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

type Versions = ApiVersion<Resources>;

/// What to export (`ExportTemplateRequest`).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportTemplateRequest {
    /// `["*"]` for every resource of the group, or their ids.
    #[serde(default)]
    resources: Vec<String>,
    /// A comma-separated list: IncludeParameterDefaultValue, IncludeComments,
    /// SkipResourceNameParameterization, SkipAllParameterization.
    options: Option<String>,
    /// `Json` (the default); Bicep output is not produced.
    output_format: Option<String>,
}

fn refuse(message: String) -> ArmError {
    ArmError::bad_request("InvalidRequestContent", message)
}

/// Export a group's identities, VMs (with their identities and extensions) and container
/// groups as a deployable template. A VM with the legacy managed-identity extension is
/// exported without its identity, and the answer's `error` says so (R18).
#[utoipa::path(
    tag = "Resources", operation_id = "ResourceGroups_ExportTemplate",
    params(GroupPath, ApiVersionParam), request_body = ExportTemplateRequest,
    responses((status = 200, description = "{template, error?}"), (status = 202, description = "Accepted; poll the Location header"),
              (status = "default", body = ArmErrorResponse))
)]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/exportTemplate")]
pub async fn export_template(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    version: Versions,
    body: web::Json<ExportTemplateRequest>,
) -> Result<HttpResponse, ArmError> {
    let (sub, group) = path.parse()?;
    let body = body.into_inner();
    if body
        .output_format
        .as_deref()
        .is_some_and(|f| !f.eq_ignore_ascii_case("Json"))
    {
        return Err(refuse(
            "mi-sim exports JSON templates only: leave 'outputFormat' out or set it to 'Json'."
                .into(),
        ));
    }
    let options = ExportOptions::parse(body.options.as_deref()).map_err(refuse)?;
    let scope = ResourceId::group_scope(sub, group.as_str());
    let selection = match body.resources.as_slice() {
        [] => return Err(refuse("'resources' is empty: give [\"*\"] for the whole group, or the ids to export.".into())),
        [all] if all == "*" => Selection::All,
        ids => Selection::Ids(
            ids.iter()
                .map(|raw| {
                    ResourceId::parse(raw)
                        .ok()
                        .filter(|id| id.is_within(&scope) && id.is_top_level_resource())
                        .ok_or_else(|| refuse(format!("'{raw}' is not the id of a resource in '{scope}'; export names resources of the group only.")))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let answer = ops::answer(ops::export(&state, (sub, &group), &selection, options).await?);
    if version.version < "2019-08-01" {
        return Ok(json(StatusCode::OK, &answer));
    }
    let op = ops::record(&state, sub, "ExportTemplate", answer).await?;
    Ok(accepted(&req, sub, &op, version.version))
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(export_template);
}
