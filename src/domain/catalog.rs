//! What mi-sim serves, as data: the api-versions of each surface, the providers and resource
//! types it registers, and the Azure public-cloud locations it knows. The api-version
//! extractor, the providers endpoint and location validation all read this one table.

/// How ARM refuses an api-version it does not serve on a surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRejection {
    /// ARM's own endpoints: 400 `InvalidApiVersionParameter`.
    Arm,
    /// Provider resource types: 400 `NoRegisteredProviderFound`, naming the bare type.
    Provider { type_name: &'static str },
}

/// The api-versions one surface accepts, newest first, and how it refuses the rest.
#[derive(Debug)]
pub struct ApiVersionSet {
    pub versions: &'static [&'static str],
    pub rejection: VersionRejection,
}

impl ApiVersionSet {
    /// api-versions compare case-insensitively (`2022-01-31-PREVIEW` is accepted by ARM).
    pub fn find(&self, raw: &str) -> Option<&'static str> {
        self.versions
            .iter()
            .copied()
            .find(|v| v.eq_ignore_ascii_case(raw))
    }
}

/// Microsoft.Resources (resource groups, providers, generic resources, operation results).
/// ARM's front door accepts far more than the spec lists (docs/wire-contract.md, "api-versions").
pub static RESOURCES: ApiVersionSet = ApiVersionSet {
    versions: &[
        "2026-06-01",
        "2025-04-01",
        "2024-11-01",
        "2024-08-01",
        "2024-07-01",
        "2024-03-01",
        "2023-07-01",
        "2022-12-01",
        "2022-09-01",
        "2022-06-01",
        "2022-05-01",
        "2022-01-01",
        "2021-04-01",
        "2021-01-01",
        "2020-10-01",
        "2020-08-01",
        "2020-06-01",
        "2019-10-01",
        "2019-08-01",
        "2019-07-01",
        "2019-05-10",
        "2019-05-01",
        "2019-03-01",
        "2018-05-01",
        "2018-02-01",
        "2017-05-10",
        "2016-09-01",
        "2016-07-01",
        "2016-06-01",
        "2016-02-01",
        "2015-11-01",
        "2015-01-01",
        "2014-04-01",
    ],
    rejection: VersionRejection::Arm,
};

/// Subscriptions, tenants and locations (subscriptions.json).
pub static SUBSCRIPTIONS: ApiVersionSet = ApiVersionSet {
    versions: &[
        "2022-12-01",
        "2021-01-01",
        "2020-01-01",
        "2019-11-01",
        "2019-06-01",
        "2018-06-01",
        "2016-06-01",
        "2016-01-01",
        "2015-01-01",
    ],
    rejection: VersionRejection::Arm,
};

/// Microsoft.ManagedIdentity/userAssignedIdentities: the stable versions, then the previews
/// that az CLI releases send (docs/wire-contract.md, "api-versions").
pub static USER_ASSIGNED_IDENTITIES: ApiVersionSet = ApiVersionSet {
    versions: &[
        "2026-05-31",
        "2026-04-30",
        "2025-05-31-preview",
        "2025-01-31-preview",
        "2024-11-30",
        "2023-07-31-preview",
        "2023-01-31",
        "2022-01-31-preview",
        "2021-09-30-preview",
        "2018-11-30",
        "2015-08-31-preview",
    ],
    rejection: VersionRejection::Provider {
        type_name: "userAssignedIdentities",
    },
};

/// Microsoft.Compute/virtualMachines: stable versions with the dictionary form of
/// `identity.userAssignedIdentities` (2018-06-01 on, docs/wire-contract.md, "api-versions"), newest first.
/// The current Python SDK sends 2026-04-01.
pub static COMPUTE: ApiVersionSet = ApiVersionSet {
    versions: &[
        "2026-04-01",
        "2025-04-01",
        "2024-11-01",
        "2024-07-01",
        "2024-03-01",
        "2023-09-01",
        "2023-07-01",
        "2023-03-01",
        "2022-11-01",
        "2022-08-01",
        "2022-03-01",
        "2021-11-01",
        "2021-07-01",
        "2021-04-01",
        "2021-03-01",
        "2020-12-01",
        "2020-06-01",
        "2019-12-01",
        "2019-07-01",
        "2019-03-01",
        "2018-10-01",
        "2018-06-01",
    ],
    rejection: VersionRejection::Provider {
        type_name: "virtualMachines",
    },
};

/// Microsoft.ContainerInstance/containerGroups (docs/wire-contract.md, "api-versions"). Versions before
/// 2018-10-01 are served, but refuse `identity` (R16). The Python SDK sends 2023-05-01; az CLI
/// 2.9x's `az container` sends 2024-05-01-preview.
pub static CONTAINER_INSTANCE: ApiVersionSet = ApiVersionSet {
    versions: &[
        "2026-05-01",
        "2025-09-01",
        "2024-05-01-preview",
        "2023-05-01",
        "2022-09-01",
        "2021-10-01",
        "2021-09-01",
        "2021-07-01",
        "2021-03-01",
        "2020-11-01",
        "2019-12-01",
        "2018-10-01",
        "2018-09-01",
        "2018-06-01",
        "2018-04-01",
    ],
    rejection: VersionRejection::Provider {
        type_name: "containerGroups",
    },
};

/// `timeCreated` is on VMs from this api-version on (docs/wire-contract.md, "api-versions").
pub fn vm_has_time_created(api_version: &str) -> bool {
    api_version >= "2021-11-01"
}

/// `isolationScope` exists on identities from this api-version on (2023-07-31-preview and later).
pub fn identity_has_isolation_scope(api_version: &str) -> bool {
    api_version >= "2023-07-31"
}

/// One resource type of a provider, as `GET /providers` lists it.
#[derive(Debug)]
pub struct ResourceType {
    pub name: &'static str,
    pub api_versions: &'static [&'static str],
    /// Whether the type is regional (lists every location) or global (none).
    pub regional: bool,
    pub capabilities: &'static str,
}

/// A resource provider mi-sim serves; all are registered in every subscription.
/// Microsoft.Authorization role assignments and definitions (SPEC-README of the authorization
/// specs), newest first; az CLI reads definitions at 2022-05-01-preview and writes
/// assignments at 2022-04-01, as azure-mgmt-authorization does.
pub static AUTHORIZATION: ApiVersionSet = ApiVersionSet {
    versions: &[
        "2022-05-01-preview",
        "2022-04-01",
        "2022-01-01-preview",
        "2021-04-01-preview",
        "2020-10-01-preview",
        "2020-08-01-preview",
        "2020-04-01-preview",
        "2020-03-01-preview",
        "2018-09-01-preview",
        "2018-07-01",
        "2018-01-01-preview",
        "2015-07-01",
    ],
    rejection: VersionRejection::Provider {
        type_name: "roleAssignments",
    },
};

#[derive(Debug)]
pub struct Provider {
    pub namespace: &'static str,
    pub resource_types: &'static [ResourceType],
}

pub static PROVIDERS: &[Provider] = &[
    Provider {
        namespace: "Microsoft.ManagedIdentity",
        resource_types: &[
            ResourceType {
                name: "userAssignedIdentities",
                api_versions: USER_ASSIGNED_IDENTITIES.versions,
                regional: true,
                capabilities: "CrossResourceGroupResourceMove, CrossSubscriptionResourceMove, SupportsTags, SupportsLocation",
            },
            ResourceType { name: "operations", api_versions: USER_ASSIGNED_IDENTITIES.versions, regional: false, capabilities: "None" },
        ],
    },
    Provider {
        namespace: "Microsoft.Compute",
        resource_types: &[
            ResourceType {
                name: "virtualMachines",
                api_versions: COMPUTE.versions,
                regional: true,
                capabilities: "CrossResourceGroupResourceMove, CrossSubscriptionResourceMove, SupportsTags, SupportsLocation",
            },
            ResourceType { name: "locations/operations", api_versions: COMPUTE.versions, regional: true, capabilities: "None" },
        ],
    },
    Provider {
        namespace: "Microsoft.ContainerInstance",
        resource_types: &[
            ResourceType {
                name: "containerGroups",
                api_versions: CONTAINER_INSTANCE.versions,
                regional: true,
                capabilities: "SupportsTags, SupportsLocation",
            },
            ResourceType { name: "locations/operations", api_versions: CONTAINER_INSTANCE.versions, regional: true, capabilities: "None" },
        ],
    },
    Provider {
        namespace: "Microsoft.Authorization",
        resource_types: &[
            ResourceType { name: "roleAssignments", api_versions: AUTHORIZATION.versions, regional: false, capabilities: "None" },
            ResourceType { name: "roleDefinitions", api_versions: AUTHORIZATION.versions, regional: false, capabilities: "None" },
        ],
    },
    Provider {
        namespace: "Microsoft.Resources",
        resource_types: &[
            ResourceType { name: "resourceGroups", api_versions: RESOURCES.versions, regional: true, capabilities: "CrossResourceGroupResourceMove, CrossSubscriptionResourceMove, SupportsTags, SupportsLocation" },
            ResourceType { name: "subscriptions", api_versions: SUBSCRIPTIONS.versions, regional: false, capabilities: "None" },
            ResourceType { name: "tenants", api_versions: SUBSCRIPTIONS.versions, regional: false, capabilities: "None" },
            ResourceType { name: "operationresults", api_versions: RESOURCES.versions, regional: false, capabilities: "None" },
            ResourceType { name: "deployments", api_versions: RESOURCES.versions, regional: false, capabilities: "None" },
        ],
    },
];

/// Finds a provider by namespace, in any case.
pub fn provider(namespace: &str) -> Option<&'static Provider> {
    PROVIDERS
        .iter()
        .find(|p| p.namespace.eq_ignore_ascii_case(namespace))
}

/// An Azure public-cloud region.
#[derive(Debug)]
pub struct Location {
    pub name: &'static str,
    pub display_name: &'static str,
    pub geography: &'static str,
    pub geography_group: &'static str,
    pub latitude: &'static str,
    pub longitude: &'static str,
    pub paired_region: &'static str,
}

macro_rules! loc {
    ($n:literal, $d:literal, $g:literal, $gg:literal, $lat:literal, $lon:literal, $p:literal) => {
        Location {
            name: $n,
            display_name: $d,
            geography: $g,
            geography_group: $gg,
            latitude: $lat,
            longitude: $lon,
            paired_region: $p,
        }
    };
}

/// Where a region's datacentres are, as Azure's location metadata names it (`physicalLocation`).
pub fn physical_location(region: &str) -> &'static str {
    match region {
        "eastus" | "eastus2" => "Virginia",
        "westus" => "California",
        "westus2" => "Washington",
        "westus3" => "Phoenix",
        "centralus" => "Iowa",
        "northcentralus" => "Illinois",
        "southcentralus" => "Texas",
        "westcentralus" => "Wyoming",
        "canadacentral" => "Toronto",
        "canadaeast" => "Quebec",
        "brazilsouth" => "Sao Paulo State",
        "northeurope" => "Ireland",
        "westeurope" => "Netherlands",
        "uksouth" => "London",
        "ukwest" => "Cardiff",
        "francecentral" => "Paris",
        "germanywestcentral" => "Frankfurt",
        "swedencentral" => "Gävle",
        "switzerlandnorth" => "Zurich",
        "norwayeast" => "Norway",
        "eastasia" => "Hong Kong",
        "southeastasia" => "Singapore",
        "japaneast" => "Tokyo, Saitama",
        "japanwest" => "Osaka",
        "koreacentral" => "Seoul",
        "australiaeast" => "New South Wales",
        "centralindia" => "Pune",
        "southafricanorth" => "Johannesburg",
        "uaenorth" => "Dubai",
        _ => "",
    }
}

/// Whether a region has availability zones (three, logical 1..3 mapped to physical ones).
pub fn has_zones(region: &str) -> bool {
    !matches!(
        region,
        "westus" | "northcentralus" | "westcentralus" | "canadaeast" | "ukwest" | "japanwest"
    )
}

pub static LOCATIONS: &[Location] = &[
    loc!(
        "eastus",
        "East US",
        "United States",
        "US",
        "37.3719",
        "-79.8164",
        "westus"
    ),
    loc!(
        "eastus2",
        "East US 2",
        "United States",
        "US",
        "36.6681",
        "-78.3889",
        "centralus"
    ),
    loc!(
        "westus",
        "West US",
        "United States",
        "US",
        "37.783",
        "-122.417",
        "eastus"
    ),
    loc!(
        "westus2",
        "West US 2",
        "United States",
        "US",
        "47.233",
        "-119.852",
        "westcentralus"
    ),
    loc!(
        "westus3",
        "West US 3",
        "United States",
        "US",
        "33.448376",
        "-112.074036",
        "eastus"
    ),
    loc!(
        "centralus",
        "Central US",
        "United States",
        "US",
        "41.5908",
        "-93.6208",
        "eastus2"
    ),
    loc!(
        "northcentralus",
        "North Central US",
        "United States",
        "US",
        "41.8819",
        "-87.6278",
        "southcentralus"
    ),
    loc!(
        "southcentralus",
        "South Central US",
        "United States",
        "US",
        "29.4167",
        "-98.5",
        "northcentralus"
    ),
    loc!(
        "westcentralus",
        "West Central US",
        "United States",
        "US",
        "40.89",
        "-110.234",
        "westus2"
    ),
    loc!(
        "canadacentral",
        "Canada Central",
        "Canada",
        "Canada",
        "43.653",
        "-79.383",
        "canadaeast"
    ),
    loc!(
        "canadaeast",
        "Canada East",
        "Canada",
        "Canada",
        "46.817",
        "-71.217",
        "canadacentral"
    ),
    loc!(
        "brazilsouth",
        "Brazil South",
        "Brazil",
        "South America",
        "-23.55",
        "-46.633",
        "southcentralus"
    ),
    loc!(
        "northeurope",
        "North Europe",
        "Europe",
        "Europe",
        "53.3478",
        "-6.2597",
        "westeurope"
    ),
    loc!(
        "westeurope",
        "West Europe",
        "Europe",
        "Europe",
        "52.3667",
        "4.9",
        "northeurope"
    ),
    loc!(
        "uksouth",
        "UK South",
        "United Kingdom",
        "Europe",
        "50.941",
        "-0.799",
        "ukwest"
    ),
    loc!(
        "ukwest",
        "UK West",
        "United Kingdom",
        "Europe",
        "53.427",
        "-3.084",
        "uksouth"
    ),
    loc!(
        "francecentral",
        "France Central",
        "France",
        "Europe",
        "46.3772",
        "2.3730",
        "francesouth"
    ),
    loc!(
        "germanywestcentral",
        "Germany West Central",
        "Germany",
        "Europe",
        "50.110924",
        "8.682127",
        "germanynorth"
    ),
    loc!(
        "swedencentral",
        "Sweden Central",
        "Sweden",
        "Europe",
        "60.67488",
        "17.14127",
        "swedensouth"
    ),
    loc!(
        "switzerlandnorth",
        "Switzerland North",
        "Switzerland",
        "Europe",
        "47.451542",
        "8.564572",
        "switzerlandwest"
    ),
    loc!(
        "norwayeast",
        "Norway East",
        "Norway",
        "Europe",
        "59.913868",
        "10.752245",
        "norwaywest"
    ),
    loc!(
        "eastasia",
        "East Asia",
        "Asia Pacific",
        "Asia Pacific",
        "22.267",
        "114.188",
        "southeastasia"
    ),
    loc!(
        "southeastasia",
        "Southeast Asia",
        "Asia Pacific",
        "Asia Pacific",
        "1.283",
        "103.833",
        "eastasia"
    ),
    loc!(
        "japaneast",
        "Japan East",
        "Japan",
        "Asia Pacific",
        "35.68",
        "139.77",
        "japanwest"
    ),
    loc!(
        "japanwest",
        "Japan West",
        "Japan",
        "Asia Pacific",
        "34.6939",
        "135.5022",
        "japaneast"
    ),
    loc!(
        "koreacentral",
        "Korea Central",
        "Korea",
        "Asia Pacific",
        "37.5665",
        "126.9780",
        "koreasouth"
    ),
    loc!(
        "australiaeast",
        "Australia East",
        "Australia",
        "Asia Pacific",
        "-33.86",
        "151.2094",
        "australiasoutheast"
    ),
    loc!(
        "centralindia",
        "Central India",
        "India",
        "Asia Pacific",
        "18.5822",
        "73.9197",
        "southindia"
    ),
    loc!(
        "southafricanorth",
        "South Africa North",
        "South Africa",
        "Middle East and Africa",
        "-25.731340",
        "28.218370",
        "southafricawest"
    ),
    loc!(
        "uaenorth",
        "UAE North",
        "UAE",
        "Middle East and Africa",
        "25.266666",
        "55.316666",
        "uaecentral"
    ),
];

/// Resolves a location as ARM does: by name or display name, in any case and spacing
/// ("West Europe", "westeurope" and "WESTEUROPE" are the same place).
pub fn location(raw: &str) -> Option<&'static Location> {
    let key: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    LOCATIONS.iter().find(|l| l.name == key)
}

/// Every location name, comma-separated, for error messages that list the allowed ones.
pub fn location_names() -> String {
    LOCATIONS
        .iter()
        .map(|l| l.name)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_by_name_or_display_name_in_any_case() {
        assert_eq!(location("West Europe").unwrap().name, "westeurope");
        assert_eq!(location("WESTEUROPE").unwrap().name, "westeurope");
        assert!(location("atlantis").is_none());
    }

    #[test]
    fn api_versions_match_case_insensitively_and_come_back_canonical() {
        assert_eq!(
            USER_ASSIGNED_IDENTITIES.find("2022-01-31-PREVIEW"),
            Some("2022-01-31-preview")
        );
        assert_eq!(RESOURCES.find("1999-01-01"), None);
    }

    #[test]
    fn isolation_scope_appears_from_2023_07_31_preview() {
        assert!(!identity_has_isolation_scope("2023-01-31"));
        assert!(identity_has_isolation_scope("2023-07-31-preview"));
        assert!(identity_has_isolation_scope("2024-11-30"));
    }
}

/// A VM size as `locations/{l}/vmSizes` lists it.
#[derive(Debug)]
pub struct VmSize {
    pub name: &'static str,
    pub cores: u32,
    pub memory_mb: u32,
    pub max_data_disks: u32,
    pub resource_disk_mb: u32,
}

/// The sizes mi-sim offers in every region: the common general-purpose ones clients default to
/// (`az vm create` uses Standard_DS1_v2, Ansible reads the list before a create), with Azure's
/// published figures.
pub static VM_SIZES: &[VmSize] = &[
    VmSize {
        name: "Standard_B1s",
        cores: 1,
        memory_mb: 1024,
        max_data_disks: 2,
        resource_disk_mb: 4096,
    },
    VmSize {
        name: "Standard_B1ms",
        cores: 1,
        memory_mb: 2048,
        max_data_disks: 2,
        resource_disk_mb: 4096,
    },
    VmSize {
        name: "Standard_B2s",
        cores: 2,
        memory_mb: 4096,
        max_data_disks: 4,
        resource_disk_mb: 8192,
    },
    VmSize {
        name: "Standard_B2ms",
        cores: 2,
        memory_mb: 8192,
        max_data_disks: 4,
        resource_disk_mb: 16384,
    },
    VmSize {
        name: "Standard_DS1_v2",
        cores: 1,
        memory_mb: 3584,
        max_data_disks: 4,
        resource_disk_mb: 7168,
    },
    VmSize {
        name: "Standard_DS2_v2",
        cores: 2,
        memory_mb: 7168,
        max_data_disks: 8,
        resource_disk_mb: 14336,
    },
    VmSize {
        name: "Standard_D2s_v3",
        cores: 2,
        memory_mb: 8192,
        max_data_disks: 4,
        resource_disk_mb: 16384,
    },
    VmSize {
        name: "Standard_D4s_v3",
        cores: 4,
        memory_mb: 16384,
        max_data_disks: 8,
        resource_disk_mb: 32768,
    },
    VmSize {
        name: "Standard_D2s_v5",
        cores: 2,
        memory_mb: 8192,
        max_data_disks: 4,
        resource_disk_mb: 0,
    },
    VmSize {
        name: "Standard_D4s_v5",
        cores: 4,
        memory_mb: 16384,
        max_data_disks: 8,
        resource_disk_mb: 0,
    },
    VmSize {
        name: "Standard_E2s_v3",
        cores: 2,
        memory_mb: 16384,
        max_data_disks: 4,
        resource_disk_mb: 32768,
    },
    VmSize {
        name: "Standard_F2s_v2",
        cores: 2,
        memory_mb: 4096,
        max_data_disks: 4,
        resource_disk_mb: 16384,
    },
];
