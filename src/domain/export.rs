//! Resource-group template export (`exportTemplate`): a deployable ARM template of the
//! group's identities, VMs (with their `identity` and extensions) and container groups, named
//! and parameterised as ARM's export does. R18: the legacy managed-identity extension cannot
//! export its schema, so a VM that has it is exported without its identity configuration and
//! the answer carries ARM's partial-failure error (`ExportTemplateCompletedWithErrors`).
use super::extensions::{is_managed_identity, EXTENSION_TYPE};
use super::identity::USER_ASSIGNED_TYPE;
use super::resource_id::ResourceId;
use serde_json::{json, Map, Value};

/// ARM does not export groups holding more than this many resources.
pub const MAX_EXPORT_RESOURCES: usize = 200;

/// The api-versions the exported resources are written with.
const API_VERSIONS: &[(&str, &str)] = &[
    (USER_ASSIGNED_TYPE, "2023-01-31"),
    ("Microsoft.Compute/virtualMachines", "2024-07-01"),
    (EXTENSION_TYPE, "2024-07-01"),
    ("Microsoft.ContainerInstance/containerGroups", "2023-05-01"),
];

/// `options` of the request (a comma-separated list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    pub include_default_values: bool,
    pub include_comments: bool,
    pub skip_name_parameters: bool,
    pub skip_all_parameters: bool,
}

impl ExportOptions {
    /// Parses `options`; an unknown option is named in the error.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let mut o = Self::default();
        for opt in raw
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match opt.to_ascii_lowercase().as_str() {
                "includeparameterdefaultvalue" => o.include_default_values = true,
                "includecomments" => o.include_comments = true,
                "skipresourcenameparameterization" => o.skip_name_parameters = true,
                "skipallparameterization" => o.skip_all_parameters = true,
                _ => return Err(format!("The export option '{opt}' is not valid. Valid options are IncludeParameterDefaultValue, IncludeComments, SkipResourceNameParameterization and SkipAllParameterization.")),
            }
        }
        Ok(o)
    }
}

/// One resource to export, as stored.
#[derive(Debug, Clone)]
pub struct Exported {
    pub resource_type: &'static str,
    pub name: String,
    pub location: String,
    pub tags: Map<String, Value>,
    /// `properties` as stored (no secrets, no read-only fields).
    pub properties: Map<String, Value>,
    /// Other top-level fields (zones, plan, ...).
    pub extra: Map<String, Value>,
    /// `identity` as a template writes it: type and the user-assigned ids, if any.
    pub identity: Option<(String, Vec<String>)>,
    /// A VM's extensions: (name, properties).
    pub extensions: Vec<(String, Map<String, Value>)>,
}

/// The template and, when some part could not be exported, ARM's error.
#[derive(Debug, Clone)]
pub struct Export {
    pub template: Value,
    pub error: Option<Value>,
}

/// ARM's parameter name for a resource name: `{type}_{name}_name`, non-alphanumerics as `_`.
fn parameter_name(resource_type: &str, name: &str, suffix: &str) -> String {
    let ty = resource_type.rsplit('/').next().unwrap_or(resource_type);
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{ty}_{clean}_{suffix}")
}

fn api_version(resource_type: &str) -> &'static str {
    API_VERSIONS
        .iter()
        .find(|(t, _)| *t == resource_type)
        .map_or("2021-04-01", |(_, v)| v)
}

/// The id of a resource of the group, the group written as it was given.
fn id_in(group: &ResourceId, resource_type: &str, name: &str) -> ResourceId {
    let (namespace, ty) = resource_type.split_once('/').unwrap_or((resource_type, ""));
    group.clone().provider(namespace, ty, name)
}

/// Builds the template of a group's resources.
pub fn export_template(group: &ResourceId, resources: &[Exported], o: ExportOptions) -> Export {
    let mut parameters = Map::new();
    let mut out: Vec<Value> = Vec::new();
    let mut details: Vec<Value> = Vec::new();
    let mut param = |name: String, value: &str| -> String {
        let mut p = json!({"type": "String"});
        if o.include_default_values {
            p["defaultValue"] = value.into();
        }
        parameters.insert(name.clone(), p);
        format!("parameters('{name}')")
    };
    // How a template names a resource of the group, and refers to one anywhere.
    let mut names: Vec<(String, String)> = Vec::new();
    for r in resources {
        let expr = if o.skip_all_parameters || o.skip_name_parameters {
            format!("'{}'", r.name)
        } else {
            param(parameter_name(r.resource_type, &r.name, "name"), &r.name)
        };
        names.push((
            format!("{}/{}", r.resource_type, r.name).to_lowercase(),
            expr,
        ));
    }
    let expr_of = |ty: &str, name: &str| {
        let key = format!("{ty}/{name}").to_lowercase();
        names
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, e)| e.clone())
    };
    for r in resources {
        let name_expr = expr_of(r.resource_type, &r.name).unwrap_or_default();
        let mut res = json!({
            "type": r.resource_type,
            "apiVersion": api_version(r.resource_type),
            "name": format!("[{name_expr}]"),
            "location": r.location,
        });
        if !r.tags.is_empty() {
            res["tags"] = Value::Object(r.tags.clone());
        }
        for (k, v) in &r.extra {
            res[k] = v.clone();
        }
        let legacy: Vec<&String> = r
            .extensions
            .iter()
            .filter(|(_, p)| {
                let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
                is_managed_identity(text("publisher"), text("type"))
            })
            .map(|(n, _)| n)
            .collect();
        for ext in &legacy {
            details.push(json!({
                "code": "ExportTemplateProviderError",
                "target": id_in(group, r.resource_type, &r.name).child("extensions", ext).to_string(),
                "message": format!("Could not get resources of the type '{EXTENSION_TYPE}'. Resources of this type will not be exported. The managed identity VM extension '{ext}' cannot export its schema: the identity configuration of '{}' is left out of the template; add it by hand (R18).", r.name),
            }));
        }
        let mut depends: Vec<String> = Vec::new();
        if let Some((kind, ids)) = r.identity.as_ref().filter(|_| legacy.is_empty()) {
            let mut identity = json!({"type": kind});
            if !ids.is_empty() {
                let mut map = Map::new();
                for id in ids {
                    let inside = ResourceId::parse(id).ok().and_then(|parsed| {
                        let (g, n) = parsed.as_resource(USER_ASSIGNED_TYPE)?;
                        (parsed.subscription() == group.subscription()
                            && g.eq_ignore_ascii_case(group.group().unwrap_or_default()))
                        .then(|| n.to_string())
                    });
                    let key = match inside.and_then(|n| expr_of(USER_ASSIGNED_TYPE, &n)) {
                        Some(e) if !o.skip_all_parameters => {
                            let dep = format!("[resourceId('{USER_ASSIGNED_TYPE}', {e})]");
                            depends.push(dep.clone());
                            dep
                        }
                        _ if o.skip_all_parameters => id.clone(),
                        _ => {
                            let n = id.rsplit('/').next().unwrap_or_default();
                            let p = param(parameter_name(USER_ASSIGNED_TYPE, n, "externalid"), id);
                            format!("[{p}]")
                        }
                    };
                    map.insert(key, json!({}));
                }
                identity["userAssignedIdentities"] = Value::Object(map);
            }
            res["identity"] = identity;
        }
        if !depends.is_empty() {
            res["dependsOn"] = json!(depends);
        }
        if r.resource_type != USER_ASSIGNED_TYPE || !r.properties.is_empty() {
            res["properties"] = Value::Object(r.properties.clone());
        }
        if o.include_comments {
            res["comments"] = format!(
                "Generalized from resource: '{}'.",
                id_in(group, r.resource_type, &r.name)
            )
            .into();
        }
        out.push(res);
        for (ext, props) in &r.extensions {
            if legacy.contains(&ext) {
                continue;
            }
            out.push(json!({
                "type": EXTENSION_TYPE,
                "apiVersion": api_version(EXTENSION_TYPE),
                "name": format!("[concat({name_expr}, '/{ext}')]"),
                "location": r.location,
                "dependsOn": [format!("[resourceId('{}', {name_expr})]", r.resource_type)],
                "properties": props,
            }));
        }
    }
    let error = (!details.is_empty()).then(|| json!({
        "code": "ExportTemplateCompletedWithErrors",
        "message": "Export template operation completed with errors. Some resources were not exported. Please see details for more information.",
        "details": details,
    }));
    Export {
        template: json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": parameters,
            "variables": {},
            "resources": out,
        }),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> ResourceId {
        ResourceId::parse("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1")
            .unwrap()
    }

    fn identity(name: &str) -> Exported {
        Exported {
            resource_type: USER_ASSIGNED_TYPE,
            name: name.into(),
            location: "westeurope".into(),
            tags: Map::new(),
            properties: Map::new(),
            extra: Map::new(),
            identity: None,
            extensions: Vec::new(),
        }
    }

    #[test]
    fn names_become_parameters_and_references_resource_ids() {
        let vm = Exported {
            resource_type: "Microsoft.Compute/virtualMachines",
            identity: Some((
                "UserAssigned".into(),
                vec![format!("{}/providers/{USER_ASSIGNED_TYPE}/id-a", group())],
            )),
            ..identity("vm1")
        };
        let e = export_template(&group(), &[identity("id-a"), vm], ExportOptions::default());
        assert!(e.error.is_none());
        let t = &e.template;
        assert!(
            t["parameters"]["userAssignedIdentities_id_a_name"].is_object(),
            "{t}"
        );
        let vm = &t["resources"][1];
        assert_eq!(vm["name"], "[parameters('virtualMachines_vm1_name')]");
        let key = "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('userAssignedIdentities_id_a_name'))]";
        assert!(
            vm["identity"]["userAssignedIdentities"][key].is_object(),
            "{vm}"
        );
        assert_eq!(vm["dependsOn"][0], key);
    }

    #[test]
    fn r18_the_legacy_extension_leaves_the_identity_out_and_reports_it() {
        let mut ext = Map::new();
        ext.insert("publisher".into(), "Microsoft.ManagedIdentity".into());
        ext.insert("type".into(), "ManagedIdentityExtensionForLinux".into());
        let vm = Exported {
            resource_type: "Microsoft.Compute/virtualMachines",
            identity: Some(("SystemAssigned".into(), Vec::new())),
            extensions: vec![("mi".into(), ext)],
            ..identity("vm1")
        };
        let e = export_template(&group(), &[vm], ExportOptions::default());
        let error = e.error.unwrap();
        assert_eq!(error["code"], "ExportTemplateCompletedWithErrors");
        assert_eq!(error["details"][0]["code"], "ExportTemplateProviderError");
        assert!(error["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("'mi'"));
        let resources = e.template["resources"].as_array().unwrap();
        assert_eq!(resources.len(), 1, "the extension is not exported");
        assert!(resources[0].get("identity").is_none());
    }

    #[test]
    fn options_parse_in_any_case_and_refuse_unknown_ones() {
        let o = ExportOptions::parse(Some("IncludeComments, skipallparameterization")).unwrap();
        assert!(o.include_comments && o.skip_all_parameters);
        assert!(ExportOptions::parse(Some("Everything"))
            .unwrap_err()
            .contains("Everything"));
    }
}
