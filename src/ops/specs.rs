//! Request bodies as the ARM REST API takes them, and how each becomes the spec its operation
//! writes: one place per kind, used by the HTTP handlers (and by anything else that writes a
//! resource from its ARM JSON). Read-only fields a client echoes back are ignored, as ARM
//! ignores them; what is refused is a `BodyError`, ARM's 400 with its code and target.
use crate::domain::catalog;
use crate::domain::compute::ComputeKind;
use crate::domain::identity::{IdentityRequest, IdentityType, USER_ASSIGNED_TYPE};
use crate::domain::{TagError, Tags};
use crate::ops::compute::ComputeSpec;
use crate::ops::identities::IdentitySpec;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Why a request body cannot become a spec: a 400 with ARM's code, message and target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BodyError {
    pub code: &'static str,
    pub message: String,
    pub target: Option<String>,
}

impl BodyError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            target: None,
        }
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// `InvalidRequestContent`, with the words about what was wrong.
    pub fn invalid_request_content(detail: impl std::fmt::Display) -> Self {
        Self::new(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{detail}'."),
        )
    }

    /// `LocationRequired`: a PUT without `location`.
    pub fn location_required() -> Self {
        Self::new(
            "LocationRequired",
            "The location property is required for this definition.",
        )
        .with_target("location")
    }
}

impl From<TagError> for BodyError {
    fn from(e: TagError) -> Self {
        let code = match e {
            TagError::TooMany(_) => "InvalidTagCount",
            TagError::NameCharacters(_) => "InvalidTagNameCharacters",
            TagError::NameLength(_) => "InvalidTagNameLength",
            TagError::ValueLength(_) => "InvalidTagValueLength",
        };
        Self::new(code, e.to_string()).with_target("tags")
    }
}

/// A location mi-sim serves, as the catalogue names it, or ARM's refusal for `resource_type`.
pub fn location(raw: &str, resource_type: &str) -> Result<&'static str, BodyError> {
    catalog::location(raw).map(|l| l.name).ok_or_else(|| {
        BodyError::new(
            "LocationNotAvailableForResourceType",
            format!("The provided location '{raw}' is not available for resource type '{resource_type}'. List of available regions for the resource type is '{}'.", catalog::location_names()),
        )
        .with_target("location")
    })
}

/// `identity` in a request. A `null` value in `userAssignedIdentities` (PATCH) removes that one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityBody {
    /// `SystemAssigned`, `UserAssigned`, `SystemAssigned, UserAssigned` or `None`, in any case.
    #[serde(rename = "type")]
    #[schema(example = "SystemAssigned, UserAssigned")]
    kind: Option<String>,
    /// ARM ids of user-assigned identities; values are `{}` (or `null` to remove one in PATCH).
    #[schema(value_type = Option<Object>)]
    user_assigned_identities: Option<Map<String, Value>>,
}

impl IdentityBody {
    pub fn into_request(self) -> Result<IdentityRequest, BodyError> {
        let raw = self.kind.ok_or_else(|| {
            BodyError::new(
                "InvalidParameter",
                "The property 'type' of 'identity' is required. Use 'SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned' or 'None'.",
            )
            .with_target("identity.type")
        })?;
        let kind = IdentityType::parse(&raw).map_err(|e| {
            BodyError::new("InvalidParameter", e.to_string()).with_target("identity.type")
        })?;
        let user_assigned = self
            .user_assigned_identities
            .unwrap_or_default()
            .into_iter()
            .map(|(id, v)| (id, !v.is_null()))
            .collect();
        Ok(IdentityRequest {
            kind,
            user_assigned,
        })
    }
}

/// The body of a PUT or PATCH. Read-only fields a client echoes back (id, name, type,
/// systemData, principalId...) are ignored, as ARM ignores them.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityUpdate {
    /// Required on PUT; cannot change afterwards.
    #[schema(example = "westeurope")]
    location: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    properties: Option<IdentityUpdateProperties>,
}

/// The writable identity properties.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityUpdateProperties {
    /// `None` or `Regional`.
    isolation_scope: Option<String>,
}

impl IdentityUpdate {
    pub fn into_spec(self, location_required: bool) -> Result<IdentitySpec, BodyError> {
        let location = match (self.location, location_required) {
            (Some(raw), true) => Some(location(&raw, USER_ASSIGNED_TYPE)?),
            (None, true) => return Err(BodyError::location_required()),
            (_, false) => None,
        };
        let isolation_scope = match self.properties.and_then(|p| p.isolation_scope) {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("none") => Some("None".to_string()),
            Some(s) if s.eq_ignore_ascii_case("regional") => Some("Regional".to_string()),
            Some(s) => {
                return Err(BodyError::new(
                    "BadRequest",
                    format!("The value '{s}' of 'properties.isolationScope' is invalid. Allowed values are 'None' and 'Regional'."),
                )
                .with_target("properties.isolationScope"))
            }
        };
        let tags = self.tags.map(Tags::parse).transpose()?;
        Ok(IdentitySpec {
            location,
            tags,
            isolation_scope,
        })
    }
}

/// The body of a PUT or PATCH. Read-only fields a client echoes back are ignored.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineBody {
    /// Required on PUT; cannot change afterwards.
    #[schema(example = "westeurope")]
    location: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    identity: Option<IdentityBody>,
    /// hardwareProfile, storageProfile, osProfile, networkProfile, ...: accepted and echoed.
    #[schema(value_type = Option<Object>)]
    properties: Option<Map<String, Value>>,
    #[schema(value_type = Option<Vec<String>>)]
    zones: Option<Value>,
    #[schema(value_type = Option<Object>)]
    plan: Option<Value>,
    #[schema(value_type = Option<Object>)]
    extended_location: Option<Value>,
}

impl VirtualMachineBody {
    pub fn into_spec(self, put: bool, api_version: &'static str) -> Result<ComputeSpec, BodyError> {
        let location = match (self.location, put) {
            (Some(raw), true) => Some(location(&raw, ComputeKind::VirtualMachine.resource_type())?),
            (None, true) => return Err(BodyError::location_required()),
            (_, false) => None,
        };
        let properties = self.properties.map(|mut p| {
            // Computed by mi-sim, never taken from the client.
            for k in ["vmId", "provisioningState", "instanceView", "timeCreated"] {
                p.remove(k);
            }
            p
        });
        let mut extra = Map::new();
        for (k, v) in [
            ("zones", self.zones),
            ("plan", self.plan),
            ("extendedLocation", self.extended_location),
        ] {
            if let Some(v) = v.filter(|v| !v.is_null()) {
                extra.insert(k.into(), v);
            }
        }
        Ok(ComputeSpec {
            location,
            tags: self.tags.map(Tags::parse).transpose()?,
            properties,
            extra,
            identity: self.identity.map(IdentityBody::into_request).transpose()?,
            api_version,
            precondition: Default::default(),
        })
    }
}

/// The body of a PUT: location, identity and properties (containers, osType, ...).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerGroupBody {
    #[schema(example = "westeurope")]
    location: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    identity: Option<IdentityBody>,
    /// containers, osType, restartPolicy, ipAddress, subnetIds, ...
    #[schema(value_type = Object)]
    properties: Option<Map<String, Value>>,
    #[schema(value_type = Option<Vec<String>>)]
    zones: Option<Value>,
}

/// The body of a PATCH: tags only, as Azure's `ContainerGroups_Update`.
#[derive(Deserialize, ToSchema)]
pub struct ContainerGroupTags {
    tags: Option<BTreeMap<String, String>>,
}

fn missing(path: &str, what: &str) -> BodyError {
    BodyError::invalid_request_content(format!(
        "Required property '{what}' not found in JSON. Path '{path}'"
    ))
}

/// Checks what ACI requires of a group (docs/wire-contract.md, "Container groups") and drops what it never echoes.
/// From 2024-05-01-preview on, `osType` and a container's `resources` may be left out (az CLI
/// leaves them out): they default to Linux and to 1 CPU and 1.5 GB, as `az container` documents.
fn validate_properties(
    mut p: Map<String, Value>,
    api_version: &str,
) -> Result<Map<String, Value>, BodyError> {
    let defaults = api_version >= "2024-05-01";
    if defaults && !p.contains_key("osType") {
        p.insert("osType".into(), "Linux".into());
    }
    match p.get("osType").and_then(Value::as_str) {
        Some(os) if os.eq_ignore_ascii_case("linux") || os.eq_ignore_ascii_case("windows") => {}
        Some(other) => {
            return Err(BodyError::new(
                "InvalidOsType",
                format!("The value '{other}' of 'properties.osType' is invalid. Allowed values are 'Linux' and 'Windows'."),
            )
            .with_target("properties.osType"))
        }
        None => return Err(missing("properties", "osType")),
    }
    let containers =
        match p.get_mut("containers") {
            Some(Value::Array(c)) if !c.is_empty() => c,
            _ => return Err(BodyError::new(
                "NoContainersInContainerGroup",
                "The container group must have at least one container in 'properties.containers'.",
            )
            .with_target("properties.containers")),
        };
    for (i, c) in containers.iter_mut().enumerate() {
        let at = format!("properties.containers[{i}]");
        if c.get("name").and_then(Value::as_str).is_none() {
            return Err(missing(&at, "name"));
        }
        let Some(Value::Object(cp)) = c.get_mut("properties") else {
            return Err(missing(&at, "properties"));
        };
        if cp.get("image").and_then(Value::as_str).is_none() {
            return Err(missing(&format!("{at}.properties"), "image"));
        }
        if defaults && !cp.contains_key("resources") {
            cp.insert(
                "resources".into(),
                json!({"requests": {"cpu": 1.0, "memoryInGB": 1.5}}),
            );
        }
        let requests = cp.get("resources").and_then(|r| r.get("requests"));
        if requests.and_then(|r| r.get("cpu")).is_none()
            || requests.and_then(|r| r.get("memoryInGB")).is_none()
        {
            return Err(missing(&format!("{at}.properties.resources"), "requests"));
        }
        cp.remove("instanceView");
        // Secure values are write-only.
        if let Some(Value::Array(envs)) = cp.get_mut("environmentVariables") {
            for e in envs.iter_mut().filter_map(Value::as_object_mut) {
                e.remove("secureValue");
            }
        }
    }
    for k in ["provisioningState", "instanceView"] {
        p.remove(k);
    }
    if let Some(Value::Array(creds)) = p.get_mut("imageRegistryCredentials") {
        for c in creds.iter_mut().filter_map(Value::as_object_mut) {
            c.remove("password");
        }
    }
    Ok(p)
}

impl ContainerGroupBody {
    /// A PUT's spec: location and properties are required; ACI's checks and defaults apply.
    pub fn into_spec(self, api_version: &'static str) -> Result<ComputeSpec, BodyError> {
        let location = match self.location {
            Some(raw) => location(&raw, ComputeKind::ContainerGroup.resource_type())?,
            None => return Err(BodyError::location_required()),
        };
        let properties = validate_properties(
            self.properties.ok_or_else(|| missing("", "properties"))?,
            api_version,
        )?;
        let mut extra = Map::new();
        if let Some(z) = self.zones.filter(|z| !z.is_null()) {
            extra.insert("zones".into(), z);
        }
        Ok(ComputeSpec {
            location: Some(location),
            tags: Some(Tags::parse(self.tags.unwrap_or_default())?),
            properties: Some(properties),
            extra,
            identity: self.identity.map(IdentityBody::into_request).transpose()?,
            api_version,
            precondition: Default::default(),
        })
    }
}

impl ContainerGroupTags {
    /// A PATCH's spec: the tags alone.
    pub fn into_spec(self, api_version: &'static str) -> Result<ComputeSpec, BodyError> {
        Ok(ComputeSpec {
            location: None,
            tags: self.tags.map(Tags::parse).transpose()?,
            properties: None,
            extra: Map::new(),
            identity: None,
            api_version,
            precondition: Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_put_without_location_is_location_required() {
        let e = body::<VirtualMachineBody>(json!({"properties": {}}))
            .into_spec(true, "2024-07-01")
            .unwrap_err();
        assert_eq!(
            (e.code, e.target.as_deref()),
            ("LocationRequired", Some("location"))
        );
    }

    #[test]
    fn an_identity_without_type_names_the_property() {
        let e = body::<IdentityBody>(json!({"userAssignedIdentities": {}}))
            .into_request()
            .unwrap_err();
        assert_eq!(
            (e.code, e.target.as_deref()),
            ("InvalidParameter", Some("identity.type"))
        );
    }

    #[test]
    fn a_container_group_gets_acis_defaults_and_loses_its_secrets() {
        let spec = body::<ContainerGroupBody>(json!({
            "location": "WestEurope",
            "properties": {"containers": [{"name": "c", "properties": {"image": "nginx",
                "environmentVariables": [{"name": "K", "secureValue": "s3cret"}]}}]}
        }))
        .into_spec("2024-05-01-preview")
        .unwrap();
        assert_eq!(spec.location, Some("westeurope"));
        let p = Value::Object(spec.properties.unwrap());
        assert_eq!(p["osType"], "Linux");
        let c = &p["containers"][0]["properties"];
        assert_eq!(c["resources"]["requests"]["cpu"], 1.0);
        assert!(c["environmentVariables"][0].get("secureValue").is_none());
    }

    #[test]
    fn a_container_group_without_containers_is_refused() {
        let e = body::<ContainerGroupBody>(
            json!({"location": "westeurope", "properties": {"osType": "Linux", "containers": []}}),
        )
        .into_spec("2023-05-01")
        .unwrap_err();
        assert_eq!(e.code, "NoContainersInContainerGroup");
    }
}
