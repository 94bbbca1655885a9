//! Every ARM operation mi-sim serves names the test that proves it and the action ARM requires
//! of it (`domain::authorization::required_action`), and the README's coverage table is
//! generated from the router (the OpenAPI document) and this list. A new operation
//! without a test, or a table out of date, fails here. `UPDATE_COVERAGE=1 cargo test coverage`
//! rewrites the table.
use mi_sim::domain::authorization::required_action;
use mi_sim::domain::catalog::{self, ApiVersionSet};

/// operationId → the test that proves it.
const PROVEN_BY: &[(&str, &str)] = &[
    ("Subscriptions_List", "subscriptions_list_and_get_show_the_bootstrapped_subscription_and_its_tenant"),
    ("Subscriptions_Get", "subscriptions_list_and_get_show_the_bootstrapped_subscription_and_its_tenant"),
    ("Subscriptions_ListLocations", "subscriptions_list_locations_shows_regions"),
    ("Tenants_List", "tenants_list_shows_every_tenant"),
    ("Providers_List", "providers_are_registered_with_their_types_and_api_versions"),
    ("Providers_Get", "providers_are_registered_with_their_types_and_api_versions"),
    ("Providers_GetAtTenantScope", "providers_are_registered_with_their_types_and_api_versions"),
    ("Providers_Register", "providers_are_registered_with_their_types_and_api_versions"),
    ("Metadata_Endpoints", "cloud_metadata_points_az_cli_and_terraform_at_mi_sim_itself"),
    ("ResourceGroups_CreateOrUpdate", "resource_group_put_creates_201_then_updates_200"),
    ("ResourceGroups_Get", "resource_group_get_of_a_missing_group_is_resource_group_not_found"),
    ("ResourceGroups_CheckExistence", "resource_group_head_answers_204_or_404_without_body"),
    ("ResourceGroups_Update", "resource_group_patch_changes_only_what_is_given"),
    ("ResourceGroups_Delete", "resource_group_delete_is_a_long_running_operation_polled_202_then_200"),
    ("ResourceGroups_List", "resource_group_list_pages_with_top_and_next_link"),
    ("OperationResults_Get", "resource_group_delete_is_a_long_running_operation_polled_202_then_200"),
    ("Deployments_CreateOrUpdate", "r1_a_deployed_identity_makes_its_principal_and_the_deployment_reports_it"),
    ("Deployments_Get", "r1_a_deployed_identity_makes_its_principal_and_the_deployment_reports_it"),
    ("Deployments_OperationStatus", "r1_a_deployed_identity_makes_its_principal_and_the_deployment_reports_it"),
    ("DeploymentOperations_List", "r1_a_deployed_identity_makes_its_principal_and_the_deployment_reports_it"),
    ("DeploymentOperations_List_Sdk", "r1_a_deployed_identity_makes_its_principal_and_the_deployment_reports_it"),
    ("DeploymentOperations_Get", "r1_a_deployed_identity_makes_its_principal_and_the_deployment_reports_it"),
    ("DeploymentOperations_Get_Sdk", "r1_a_deployed_identity_makes_its_principal_and_the_deployment_reports_it"),
    ("Deployments_ListByResourceGroup", "a_failing_resource_makes_the_deployment_failed_with_its_own_error"),
    ("Deployments_CheckExistence", "cancel_is_refused_once_a_deployment_has_ended"),
    ("Deployments_Delete", "cancel_is_refused_once_a_deployment_has_ended"),
    ("Deployments_Cancel", "cancel_is_refused_once_a_deployment_has_ended"),
    ("Deployments_ExportTemplate", "the_body_az_sends_with_comments_and_a_bare_template_key_deploys"),
    ("Deployments_Validate", "validate_lists_the_resources_or_refuses_one_mi_sim_cannot_deploy"),
    ("Deployments_WhatIf", "what_if_shows_create_modify_with_the_property_change_and_ignore"),
    ("Deployments_CreateOrUpdateAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_GetAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_CheckExistenceAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_DeleteAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_ListAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_ValidateAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_WhatIfAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_CancelAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_ExportTemplateAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Deployments_OperationStatusAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("DeploymentOperations_ListAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("DeploymentOperations_GetAtSubscriptionScope", "a_subscription_scope_deployment_creates_groups_and_needs_a_location"),
    ("Resources_List", "generic_list_filters_by_name_type_group_and_substring_and_shows_identity"),
    ("Resources_ListByResourceGroup", "generic_list_filters_by_name_type_group_and_substring_and_shows_identity"),
    ("UserAssignedIdentities_CreateOrUpdate", "identity_put_creates_201_with_principal_client_and_tenant_then_updates_200"),
    ("UserAssignedIdentities_Get", "identity_put_creates_201_with_principal_client_and_tenant_then_updates_200"),
    ("UserAssignedIdentities_Update", "identity_patch_replaces_tags_and_isolation_scope_only"),
    ("UserAssignedIdentities_Delete", "identity_delete_answers_200_then_204_and_get_answers_resource_not_found"),
    ("UserAssignedIdentities_ListByResourceGroup", "identity_lists_by_group_and_subscription_page_with_next_link"),
    ("UserAssignedIdentities_ListBySubscription", "identity_lists_by_group_and_subscription_page_with_next_link"),
    ("SystemAssignedIdentities_GetByScope_VirtualMachine", "r1_enabling_the_system_identity_creates_a_principal_in_the_tenant_the_subscription_trusts_now"),
    ("SystemAssignedIdentities_GetByScope_ContainerGroup", "r17_deleting_a_container_group_deletes_its_system_principal"),
    ("VirtualMachines_CreateOrUpdate", "vm_put_creates_201_creating_with_async_operation_and_get_shows_succeeded"),
    ("VirtualMachines_Get", "vm_put_creates_201_creating_with_async_operation_and_get_shows_succeeded"),
    ("VirtualMachines_Update", "r6_a_vm_holds_both_kinds_and_patch_merges_the_user_assigned_map"),
    ("VirtualMachines_Delete", "r2_deleting_a_vm_deletes_its_system_principal_and_leaves_its_user_assigned_identity"),
    ("VirtualMachines_InstanceView", "vm_power_actions_are_long_running_and_show_in_the_instance_view"),
    ("VirtualMachines_Start", "vm_power_actions_are_long_running_and_show_in_the_instance_view"),
    ("VirtualMachines_PowerOff", "vm_power_actions_are_long_running_and_show_in_the_instance_view"),
    ("VirtualMachines_Deallocate", "vm_power_actions_are_long_running_and_show_in_the_instance_view"),
    ("VirtualMachines_Restart", "vm_power_actions_are_long_running_and_show_in_the_instance_view"),
    ("VirtualMachines_List", "vm_lists_page_by_group_and_subscription_and_bad_input_is_refused"),
    ("VirtualMachines_ListAll", "vm_lists_page_by_group_and_subscription_and_bad_input_is_refused"),
    ("VirtualMachineSizes_List", "vm_sizes_are_listed_per_region_for_clients_that_read_them_first"),
    ("Compute_OperationStatus", "vm_power_actions_are_long_running_and_show_in_the_instance_view"),
    ("ContainerGroups_CreateOrUpdate", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("ContainerGroups_Get", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("ContainerGroups_Update", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("ContainerGroups_Delete", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("ContainerGroups_Start", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("ContainerGroups_Stop", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("ContainerGroups_Restart", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("ContainerGroups_List", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("ContainerGroups_ListByResourceGroup", "r16_changing_the_identity_of_an_existing_group_restarts_it"),
    ("ContainerInstance_OperationStatus", "container_group_put_get_patch_list_delete_with_instance_views"),
    ("Resources_MoveResources", "moved_resources_answer_at_their_new_ids_and_keep_their_principals"),
    ("Resources_ValidateMoveResources", "validate_move_resources_checks_and_moves_nothing"),
    ("ResourceGroups_ExportTemplate", "export_template_writes_the_group_as_a_template"),
    ("VirtualMachineExtensions_CreateOrUpdate", "extensions_are_stored_as_compute_serves_them"),
    ("VirtualMachineExtensions_Get", "extensions_are_stored_as_compute_serves_them"),
    ("VirtualMachineExtensions_Update", "extensions_are_stored_as_compute_serves_them"),
    ("VirtualMachineExtensions_List", "extensions_are_stored_as_compute_serves_them"),
    ("VirtualMachineExtensions_Delete", "extensions_are_stored_as_compute_serves_them"),
    ("VirtualMachineImages_ListPublishers", "extension_versions_are_listed_as_az_looks_them_up"),
    ("VirtualMachineExtensionImages_ListTypes", "extension_versions_are_listed_as_az_looks_them_up"),
    ("VirtualMachineExtensionImages_ListVersions", "extension_versions_are_listed_as_az_looks_them_up"),
    ("RoleAssignments_Create", "role_assignments_are_created_read_listed_and_deleted_at_every_scope"),
    ("RoleAssignments_Get", "role_assignments_are_created_read_listed_and_deleted_at_every_scope"),
    ("RoleAssignments_Delete", "role_assignments_are_created_read_listed_and_deleted_at_every_scope"),
    ("RoleAssignments_ListForScope", "role_assignments_are_created_read_listed_and_deleted_at_every_scope"),
    ("RoleDefinitions_Get", "role_definitions_are_the_built_in_roles_with_their_real_ids"),
    ("RoleDefinitions_List", "role_definitions_are_the_built_in_roles_with_their_real_ids"),
    ("RoleDefinitions_GetById", "role_definitions_are_the_built_in_roles_with_their_real_ids"),
    ("RoleDefinitions_ListAtTenant", "role_definitions_are_the_built_in_roles_with_their_real_ids"),
    ("RoleDefinitions_CreateOrUpdate", "custom_role_definitions_are_created_listed_assigned_and_deleted"),
    ("RoleDefinitions_Delete", "custom_role_definitions_are_created_listed_assigned_and_deleted"),
];

/// The only ARM-side operations anyone may call without a token.
const ANONYMOUS: &[&str] = &["Metadata_Endpoints"];

/// The ARM surfaces (tags) and their api-versions.
fn versions(tag: &str, operation: &str) -> Option<String> {
    let set: &ApiVersionSet = match tag {
        "Resources" if operation == "Metadata_Endpoints" => {
            return Some("2022-09-01, 2019-05-01".into())
        }
        "Resources" => &catalog::RESOURCES,
        "Subscriptions" => &catalog::SUBSCRIPTIONS,
        "ManagedIdentity" => &catalog::USER_ASSIGNED_IDENTITIES,
        "Compute" => &catalog::COMPUTE,
        "ContainerInstance" => &catalog::CONTAINER_INSTANCE,
        "Authorization" => &catalog::AUTHORIZATION,
        _ => return None,
    };
    let v = set.versions;
    Some(format!("{} … {} ({})", v[0], v[v.len() - 1], v.len()))
}

const START: &str = "<!-- coverage:start (generated by tests/api/coverage.rs) -->";
const END: &str = "<!-- coverage:end -->";

#[test]
fn coverage_every_arm_operation_names_its_test_and_the_readme_table_is_current() {
    let doc = serde_json::to_value(mi_sim::http::openapi()).expect("the document serialises");
    let sources: String = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api"))
        .expect("tests/api")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let (Some(id), Some(tag)) = (op["operationId"].as_str(), op["tags"][0].as_str()) else {
                continue;
            };
            let Some(api) = versions(tag, id) else {
                continue;
            };
            match PROVEN_BY.iter().find(|(op, _)| *op == id) {
                Some((_, test)) if sources.contains(&format!("async fn {test}(")) => {
                    // Every ARM route needs an action (the enforce mode checks it); only the
                    // cloud metadata is served to anyone.
                    let action = match required_action(method, path, path) {
                        Some(a) => format!("`{a}`"),
                        None if ANONYMOUS.contains(&id) => "none (anonymous)".to_string(),
                        None => {
                            missing.push(format!("{id}: no action required (required_action)"));
                            continue;
                        }
                    };
                    rows.push(format!(
                        "| {tag} | `{id}` | {} `{path}` | {api} | {action} | `{test}` |",
                        method.to_uppercase()
                    ))
                }
                Some((_, test)) => missing.push(format!("{id}: no test named {test}")),
                None => missing.push(format!("{id}: no test named in PROVEN_BY")),
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARM operations without a test:\n{}",
        missing.join("\n")
    );
    rows.sort();
    let table = format!(
        "{START}\n| provider | operation | request | api-versions | action | proven by |\n|---|---|---|---|---|---|\n{}\n{END}",
        rows.join("\n")
    );
    crate::helpers::check_readme_section(START, END, &table, "UPDATE_COVERAGE", "coverage");
}
