//! Microsoft.Compute/virtualMachines: CRUD, long-running operations, power, and the identity
//! rules R1, R2, R3, R5, R6, R7 on VMs.
use crate::helpers::{spawn_app, TestApp, MSI_API};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn principal_ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|p| p["objectId"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The power-state code of vm1's instance view.
async fn power(app: &TestApp) -> String {
    let iv = app
        .call(
            Method::GET,
            &app.vm_path("rg1", "vm1", "/instanceView"),
            None,
        )
        .await;
    iv.body["statuses"][1]["code"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn vm_with_group(app: &TestApp) {
    assert_eq!(app.put_group("rg1").await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn vm_put_creates_201_creating_with_async_operation_and_get_shows_succeeded() {
    let app = spawn_app().await;
    vm_with_group(&app).await;

    let r = app.put_vm("rg1", "vm1", None).await;

    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["properties"]["provisioningState"], "Creating");
    assert_eq!(r.body["type"], "Microsoft.Compute/virtualMachines");
    let vm_id = r.body["properties"]["vmId"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&vm_id).is_ok());
    assert!(
        r.body["properties"]["osProfile"]
            .get("adminPassword")
            .is_none(),
        "the admin password is never echoed"
    );
    assert_eq!(
        r.body["properties"]["hardwareProfile"]["vmSize"],
        "Standard_B1s"
    );
    assert!(r.body.get("identity").is_none());
    let op = r
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    assert!(
        op.starts_with(&format!(
            "{}/subscriptions/{}/providers/Microsoft.Compute/locations/westeurope/operations/",
            app.address, app.sub
        )),
        "{op}"
    );
    assert_eq!(app.poll_async(op).await, ["InProgress", "Succeeded"]);

    let got = app.get_vm("rg1", "VM1").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["name"], "vm1", "display casing as created");
    assert_eq!(got.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(got.body["properties"]["vmId"], vm_id);

    let again = app.put_vm("rg1", "vm1", None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["properties"]["provisioningState"], "Updating");
    assert_eq!(again.body["properties"]["vmId"], vm_id, "vmId is stable");
}

#[tokio::test]
async fn vm_power_actions_are_long_running_and_show_in_the_instance_view() {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    app.put_vm("rg1", "vm1", None).await;
    assert_eq!(power(&app).await, "PowerState/running");

    for (action, want) in [
        ("/powerOff", "PowerState/stopped"),
        ("/start", "PowerState/running"),
        ("/deallocate", "PowerState/deallocated"),
        ("/restart", "PowerState/running"),
    ] {
        let r = app
            .call(Method::POST, &app.vm_path("rg1", "vm1", action), None)
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{action}");
        let monitor = r.header("location").expect("Location").to_string();
        assert!(monitor.contains("monitor=true"), "{monitor}");
        let op = r
            .header("azure-asyncoperation")
            .expect("Azure-AsyncOperation");
        assert_eq!(
            app.poll_async(op).await,
            ["InProgress", "Succeeded"],
            "{action}"
        );
        assert_eq!(
            app.call(Method::GET, &monitor, None).await.status,
            StatusCode::OK
        );
        assert_eq!(power(&app).await, want, "{action}");
    }
    let expanded = app
        .call(
            Method::GET,
            &format!("{}&$expand=instanceView", app.vm_path("rg1", "vm1", "")),
            None,
        )
        .await;
    assert_eq!(
        expanded.body["properties"]["instanceView"]["statuses"][1]["code"],
        "PowerState/running"
    );
    let missing = app
        .call(Method::POST, &app.vm_path("rg1", "nope", "/start"), None)
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "ResourceNotFound")
    );
}

#[tokio::test]
async fn r1_enabling_the_system_identity_creates_a_principal_in_the_tenant_the_subscription_trusts_now(
) {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    app.put_vm("rg1", "vm1", None).await;

    let r = app
        .patch_vm(
            "rg1",
            "vm1",
            json!({"identity": {"type": "systemAssigned"}}),
        )
        .await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["identity"]["type"], "SystemAssigned");
    assert_eq!(r.body["identity"]["tenantId"], app.tenant);
    let principal = r.body["identity"]["principalId"].as_str().unwrap();
    let sps = app.principals(&app.tenant).await;
    let sp = sps
        .iter()
        .find(|p| p["objectId"] == principal)
        .expect("principal listed");
    assert_eq!(sp["kind"], "SystemAssigned");
    assert_eq!(sp["displayName"], "vm1");
    assert!(sp["resourceId"]
        .as_str()
        .unwrap()
        .ends_with("/virtualMachines/vm1"));

    // At that moment: after the subscription trusts another tenant, a new VM's principal lives there.
    let other = app.create_tenant().await;
    app.transfer_subscription_to(&other).await;
    let vm2 = app
        .put_vm("rg1", "vm2", Some(json!({"type": "SystemAssigned"})))
        .await;
    assert_eq!(vm2.body["identity"]["tenantId"], other);
    assert_eq!(
        principal_ids(&app.principals(&other).await),
        [vm2.body["identity"]["principalId"].as_str().unwrap()]
    );
    let by_scope = app
        .call(
            Method::GET,
            &format!(
                "/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm2/providers/Microsoft.ManagedIdentity/identities/default?api-version={MSI_API}",
                app.sub
            ),
            None,
        )
        .await;
    assert_eq!(by_scope.status, StatusCode::OK, "{}", by_scope.body);
    assert_eq!(
        by_scope.body["properties"]["principalId"],
        vm2.body["identity"]["principalId"]
    );
    assert_eq!(by_scope.body["properties"]["tenantId"], other);
}

#[tokio::test]
async fn r3_disabling_deletes_the_principal_and_enabling_again_gives_a_new_principal_id() {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    let first = app
        .put_vm("rg1", "vm1", Some(json!({"type": "SystemAssigned"})))
        .await;
    let old = first.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();

    let off = app
        .patch_vm("rg1", "vm1", json!({"identity": {"type": "None"}}))
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert!(off.body.get("identity").is_none(), "{}", off.body);
    assert!(
        app.principals(&app.tenant).await.is_empty(),
        "the principal is gone"
    );
    let default = app
        .call(
            Method::GET,
            &format!("/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.ManagedIdentity/identities/default?api-version={MSI_API}", app.sub),
            None,
        )
        .await;
    assert_eq!(default.status, StatusCode::NOT_FOUND);

    let on = app
        .patch_vm(
            "rg1",
            "vm1",
            json!({"identity": {"type": "SystemAssigned"}}),
        )
        .await;
    let new = on.body["identity"]["principalId"].as_str().unwrap();
    assert_ne!(new, old, "R3: a new principal");
    assert_eq!(principal_ids(&app.principals(&app.tenant).await), [new]);

    // A PATCH that keeps SystemAssigned keeps the principal.
    let tagged = app
        .patch_vm("rg1", "vm1", json!({"tags": {"env": "test"}}))
        .await;
    assert_eq!(tagged.body["identity"]["principalId"], new);
    assert_eq!(tagged.body["tags"], json!({"env": "test"}));
}

#[tokio::test]
async fn r6_a_vm_holds_both_kinds_and_patch_merges_the_user_assigned_map() {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    let id1 = app.put_identity("rg1", "id-one").await;
    app.put_identity("rg1", "id-two").await;
    let (one, two) = (
        app.identity_id("rg1", "id-one"),
        app.identity_id("rg1", "id-two"),
    );

    let r = app
        .put_vm(
            "rg1",
            "vm1",
            Some(json!({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {one.clone(): {}}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["identity"]["type"], "SystemAssigned, UserAssigned");
    let entry = &r.body["identity"]["userAssignedIdentities"][&one];
    assert_eq!(entry["principalId"], id1.body["properties"]["principalId"]);
    assert_eq!(entry["clientId"], id1.body["properties"]["clientId"]);

    // Add the second: the first stays (merge).
    let both = app
        .patch_vm("rg1", "vm1", json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {two.clone(): {}}}}))
        .await;
    let keys: Vec<&String> = both.body["identity"]["userAssignedIdentities"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys.len(), 2, "{}", both.body);

    // Remove one by null, its key in another case: the other stays, and so does the system identity.
    let removed = app
        .patch_vm("rg1", "vm1", json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {one.to_uppercase().replace("SUBSCRIPTIONS", "subscriptions"): null}}}))
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let left: Vec<&String> = removed.body["identity"]["userAssignedIdentities"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(left, [&two]);
    assert_eq!(
        removed.body["identity"]["principalId"],
        r.body["identity"]["principalId"]
    );

    // Type SystemAssigned drops every user-assigned identity.
    let system_only = app
        .patch_vm(
            "rg1",
            "vm1",
            json!({"identity": {"type": "SystemAssigned"}}),
        )
        .await;
    assert_eq!(system_only.body["identity"]["type"], "SystemAssigned");
    assert!(system_only.body["identity"]
        .get("userAssignedIdentities")
        .is_none());
    assert_eq!(
        app.principals(&app.tenant).await.len(),
        3,
        "two identities and the VM"
    );
}

#[tokio::test]
async fn r2_deleting_a_vm_deletes_its_system_principal_and_leaves_its_user_assigned_identity() {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    let uai = app.put_identity("rg1", "id-one").await;
    let vm = app
        .put_vm("rg1", "vm1", Some(json!({"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {app.identity_id("rg1", "id-one"): {}}})))
        .await;
    assert_eq!(app.principals(&app.tenant).await.len(), 2);

    let r = app
        .call(Method::DELETE, &app.vm_path("rg1", "vm1", ""), None)
        .await;

    assert_eq!(r.status, StatusCode::ACCEPTED);
    let op = r
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    assert_eq!(
        app.poll_async(op).await.last().map(String::as_str),
        Some("Succeeded")
    );
    assert_eq!(app.get_vm("rg1", "vm1").await.status, StatusCode::NOT_FOUND);
    let left = principal_ids(&app.principals(&app.tenant).await);
    assert_eq!(
        left,
        [uai.body["properties"]["principalId"].as_str().unwrap()]
    );
    assert!(!left.contains(
        &vm.body["identity"]["principalId"]
            .as_str()
            .unwrap()
            .to_string()
    ));
    assert_eq!(
        app.get_identity("rg1", "id-one").await.status,
        StatusCode::OK
    );
    let gone = app
        .call(Method::DELETE, &app.vm_path("rg1", "vm1", ""), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn r5_deleting_a_user_assigned_identity_leaves_the_reference_on_the_vm() {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    let uai = app.put_identity("rg1", "id-one").await;
    let id = app.identity_id("rg1", "id-one");
    app.put_vm(
        "rg1",
        "vm1",
        Some(json!({"type": "UserAssigned", "userAssignedIdentities": {id.clone(): {}}})),
    )
    .await;

    let del = app
        .call(Method::DELETE, &app.identity_path("rg1", "id-one"), None)
        .await;
    assert_eq!(del.status, StatusCode::OK);

    let vm = app.get_vm("rg1", "vm1").await;
    assert_eq!(
        vm.body["identity"]["userAssignedIdentities"][&id]["principalId"],
        uai.body["properties"]["principalId"],
        "the VM still lists the deleted identity"
    );
    assert!(
        app.principals(&app.tenant).await.is_empty(),
        "its principal is gone"
    );
}

#[tokio::test]
async fn vm_identity_errors_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    app.put_identity("rg1", "id-one").await;
    app.put_vm("rg1", "vm1", Some(json!({"type": "SystemAssigned"})))
        .await;
    let before = app.get_vm("rg1", "vm1").await.body;
    let principals = app.principals(&app.tenant).await;
    let missing = app.identity_id("rg1", "id-missing");
    let cases = [
        (
            json!({"type": "UserAssigned", "userAssignedIdentities": {missing.clone(): {}}}),
            "FailedIdentityOperation",
            "an identity that does not exist",
        ),
        (
            json!({"type": "Both"}),
            "InvalidParameter",
            "an unknown type",
        ),
        (
            json!({"userAssignedIdentities": {}}),
            "InvalidParameter",
            "no type",
        ),
        (
            json!({"type": "UserAssigned"}),
            "InvalidParameter",
            "UserAssigned without identities",
        ),
        (
            json!({"type": "SystemAssigned", "userAssignedIdentities": {app.identity_id("rg1", "id-one"): {}}}),
            "BadRequest",
            "identities with a non-UserAssigned type",
        ),
        (
            json!({"type": "UserAssigned", "userAssignedIdentities": {"id-one": {}}}),
            "LinkedInvalidPropertyId",
            "a bare name instead of an id",
        ),
    ];
    for (identity, code, why) in cases {
        let r = app
            .patch_vm("rg1", "vm1", json!({"identity": identity}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, code),
            "{why}: {}",
            r.body
        );
        assert_eq!(
            app.get_vm("rg1", "vm1").await.body,
            before,
            "{why}: the VM is unchanged"
        );
        assert_eq!(
            app.principals(&app.tenant).await,
            principals,
            "{why}: principals unchanged"
        );
    }
    let r = app
        .patch_vm("rg1", "vm1", json!({"identity": {"type": "UserAssigned", "userAssignedIdentities": {missing.clone(): {}}}}))
        .await;
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Identity operation for resource '/subscriptions/"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Resource '{missing}' was not found.")),
        "{message}"
    );
}

#[tokio::test]
async fn r7_more_than_150_identities_per_request_or_1000_per_vm_are_refused() {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    let names: Vec<String> = (0..1001).map(|i| format!("id-{i:04}")).collect();
    for chunk in names.chunks(50) {
        let puts = chunk.iter().map(|n| app.put_identity("rg1", n));
        for r in futures_util::future::join_all(puts).await {
            assert_eq!(r.status, StatusCode::CREATED);
        }
    }
    app.put_vm("rg1", "vm1", None).await;
    let assign = |names: &[String]| {
        let map: serde_json::Map<String, Value> = names
            .iter()
            .map(|n| (app.identity_id("rg1", n), json!({})))
            .collect();
        json!({"identity": {"type": "UserAssigned", "userAssignedIdentities": map}})
    };

    let r = app.patch_vm("rg1", "vm1", assign(&names[..151])).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "FailedIdentityOperation")
    );
    assert!(r.body["error"]["message"].as_str().unwrap().contains(
        "User Assigned Identities Number '151' Assign exceed limit '150' in one request."
    ));

    for chunk in names[..1000].chunks(150) {
        let r = app.patch_vm("rg1", "vm1", assign(chunk)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = app.patch_vm("rg1", "vm1", assign(&names[1000..])).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "FailedIdentityOperation"),
        "R7: 1001 on one VM"
    );
    let vm = app.get_vm("rg1", "vm1").await;
    assert_eq!(
        vm.body["identity"]["userAssignedIdentities"]
            .as_object()
            .unwrap()
            .len(),
        1000
    );
}

#[tokio::test]
async fn vm_lists_page_by_group_and_subscription_and_bad_input_is_refused() {
    let app = spawn_app().await;
    vm_with_group(&app).await;
    app.put_group("rg2").await;
    for (rg, vm) in [("rg1", "a"), ("rg1", "b"), ("rg2", "c")] {
        assert_eq!(app.put_vm(rg, vm, None).await.status, StatusCode::CREATED);
    }
    let by_group = app
        .call(Method::GET, &format!("/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01", app.sub), None)
        .await;
    assert_eq!(by_group.body["value"].as_array().unwrap().len(), 2);
    let mut names = Vec::new();
    let mut url = format!("/subscriptions/{}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01&$top=2", app.sub);
    loop {
        let page = app.call(Method::GET, &url, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        names.extend(
            page.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_string()),
        );
        match page.body["nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(names, ["a", "b", "c"]);

    let old = app
        .call(Method::GET, &format!("/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/a?api-version=2017-03-30", app.sub), None)
        .await;
    assert_eq!(
        (old.status, old.code()),
        (StatusCode::BAD_REQUEST, "NoRegisteredProviderFound")
    );
    let bad_name = app.put_vm("rg1", "bad_name", None).await;
    assert_eq!(bad_name.code(), "InvalidResourceName");
    let no_location = app
        .call(
            Method::PUT,
            &app.vm_path("rg1", "z", ""),
            Some(json!({"properties": {}})),
        )
        .await;
    assert_eq!(no_location.code(), "LocationRequired");
    let no_group = app.put_vm("nope", "z", None).await;
    assert_eq!(
        (no_group.status, no_group.code()),
        (StatusCode::NOT_FOUND, "ResourceGroupNotFound")
    );
    assert_eq!(app.get_vm("rg1", "z").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn vm_comes_back_as_compute_completes_it_os_disk_data_disks_and_os_defaults() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    // The helper's body gives an imageReference and no osDisk.
    let put = app.put_vm("rg1", "vm1", None).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let vm = app.get_vm("rg1", "vm1").await.body;
    let storage = &vm["properties"]["storageProfile"];
    let os_disk = &storage["osDisk"];
    assert_eq!(os_disk["osType"], "Linux");
    assert_eq!(os_disk["createOption"], "FromImage");
    assert_eq!(os_disk["caching"], "ReadWrite");
    assert_eq!(os_disk["diskSizeGB"], 30);
    let name = os_disk["name"].as_str().unwrap();
    assert!(name.starts_with("vm1_OsDisk_1_"), "{name}");
    assert_eq!(
        os_disk["managedDisk"]["id"],
        format!(
            "/subscriptions/{}/resourceGroups/rg1/providers/Microsoft.Compute/disks/{name}",
            app.sub
        )
    );
    assert_eq!(storage["dataDisks"], json!([]));
    // The NICs sent are kept as they are.
    assert!(
        vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
            .as_str()
            .unwrap()
            .ends_with("/networkInterfaces/vm1-nic")
    );
    let os = &vm["properties"]["osProfile"];
    assert_eq!(os["secrets"], json!([]));
    assert_eq!(os["linuxConfiguration"]["provisionVMAgent"], true);
    assert!(
        os.get("adminPassword").is_none(),
        "the password is never returned"
    );

    // The disk keeps its name across updates; a data disk marked toBeDetached is gone after.
    let disk = |lun: u32, detach: bool| json!({"lun": lun, "name": format!("data{lun}"), "createOption": "Empty", "diskSizeGB": 4, "toBeDetached": detach});
    let patch = app
        .patch_vm("rg1", "vm1", json!({"properties": {"storageProfile": {"dataDisks": [disk(0, false), disk(1, false)]}}}))
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.body);
    assert_eq!(
        patch.body["properties"]["storageProfile"]["osDisk"]["name"],
        name
    );
    let detach = app
        .patch_vm("rg1", "vm1", json!({"properties": {"storageProfile": {"dataDisks": [disk(0, false), disk(1, true)]}}}))
        .await;
    let disks = detach.body["properties"]["storageProfile"]["dataDisks"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(disks.len(), 1, "{disks:?}");
    assert_eq!(disks[0]["lun"], 0);
}

#[tokio::test]
async fn vm_sizes_are_listed_per_region_for_clients_that_read_them_first() {
    let app = spawn_app().await;
    let url = |loc: &str| {
        format!("/subscriptions/{}/providers/Microsoft.Compute/locations/{loc}/vmsizes?api-version=2024-07-01", app.sub)
    };
    let r = app.call(Method::GET, &url("westeurope"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sizes = r.body["value"].as_array().unwrap();
    let b1s = sizes
        .iter()
        .find(|s| s["name"] == "Standard_B1s")
        .expect("Standard_B1s");
    assert_eq!(
        (b1s["numberOfCores"].clone(), b1s["memoryInMB"].clone()),
        (json!(1), json!(1024))
    );
    assert!(
        sizes.iter().any(|s| s["name"] == "Standard_DS1_v2"),
        "az vm create's default size"
    );
    let bad = app.call(Method::GET, &url("atlantis"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
}

#[tokio::test]
async fn vm_operation_end_time_is_fixed_once_it_ends() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let put = app.put_vm("rg1", "vm1", None).await;
    let url = put
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation")
        .to_string();
    let first = app.call(Method::GET, &url, None).await.body;
    assert_eq!(
        (first["status"].clone(), first.get("endTime").cloned()),
        (json!("InProgress"), None)
    );
    let done = app.call(Method::GET, &url, None).await.body;
    assert_eq!(done["status"], "Succeeded");
    let ended = done["endTime"].as_str().expect("endTime").to_string();
    let r = app
        .call(
            Method::POST,
            "/simulator/clock/advance",
            Some(json!({"seconds": 3600})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let later = app.call(Method::GET, &url, None).await.body;
    assert_eq!(
        later["endTime"],
        ended.as_str(),
        "the same endTime an hour later"
    );
    assert!(ended.as_str() >= first["startTime"].as_str().unwrap());
}

#[tokio::test]
async fn vm_etag_changes_on_every_write_and_if_match_guards_writes_with_412() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let created = app.put_vm("rg1", "vm1", None).await;
    let first = created.body["etag"].as_str().expect("etag").to_string();
    let tagged = app
        .patch_vm("rg1", "vm1", json!({"tags": {"a": "1"}}))
        .await;
    let second = tagged.body["etag"].as_str().unwrap().to_string();
    assert_ne!(first, second, "a write changes the etag");
    assert_eq!(app.get_vm("rg1", "vm1").await.body["etag"], second.as_str());

    let conditional = |header: &'static str, value: String, body: Value| {
        let req = app
            .client
            .patch(format!("{}{}", app.address, app.vm_path("rg1", "vm1", "")))
            .header(header, value)
            .json(&body);
        async move { crate::helpers::read(req.send().await.unwrap()).await }
    };
    // A stale etag: 412, and nothing changes.
    let stale = conditional("If-Match", first.clone(), json!({"tags": {"a": "2"}})).await;
    assert_eq!(
        (stale.status, stale.code()),
        (StatusCode::PRECONDITION_FAILED, "PreconditionFailed")
    );
    assert_eq!(
        app.get_vm("rg1", "vm1").await.body["tags"],
        json!({"a": "1"})
    );
    // The current one: the write goes through.
    let current = conditional("If-Match", second.clone(), json!({"tags": {"a": "3"}})).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.body);
    // If-None-Match: * is create-only.
    let put = |name: &'static str| {
        let req = app
            .client
            .put(format!("{}{}", app.address, app.vm_path("rg1", name, "")))
            .header("If-None-Match", "*")
            .json(&json!({"location": "westeurope", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}}));
        async move { crate::helpers::read(req.send().await.unwrap()).await }
    };
    assert_eq!(put("vm1").await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(put("vm2").await.status, StatusCode::CREATED);
    // A DELETE with a stale etag leaves the VM.
    let delete = app
        .client
        .delete(format!("{}{}", app.address, app.vm_path("rg1", "vm1", "")))
        .header("If-Match", first)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.get_vm("rg1", "vm1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn vm_instance_view_carries_what_clients_display() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    app.put_vm("rg1", "vm1", None).await;
    let view = app
        .call(
            Method::GET,
            &app.vm_path("rg1", "vm1", "/instanceView"),
            None,
        )
        .await;
    let v = &view.body;
    assert_eq!(
        (v["osName"].as_str(), v["osVersion"].as_str()),
        (Some("ubuntu"), Some("24.04")),
        "{v}"
    );
    assert_eq!(v["hyperVGeneration"], "V2");
    assert_eq!(v["platformFaultDomain"], 0);
    assert_eq!(v["vmAgent"]["statuses"][0]["displayStatus"], "Ready");
    assert!(
        v["disks"][0]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{v}"
    );
    let stop = app
        .call(Method::POST, &app.vm_path("rg1", "vm1", "/powerOff"), None)
        .await;
    assert_eq!(stop.status, StatusCode::ACCEPTED);
    let stopped = app
        .call(
            Method::GET,
            &app.vm_path("rg1", "vm1", "/instanceView"),
            None,
        )
        .await;
    assert_eq!(
        stopped.body["vmAgent"]["statuses"][0]["displayStatus"], "Not Ready",
        "no agent on a stopped VM"
    );
}

#[tokio::test]
async fn a_vm_sent_without_a_network_profile_shows_an_empty_one() {
    let app = spawn_app().await;
    app.put_group("rg1").await;
    let r = app
        .call(
            Method::PUT,
            &app.vm_path("rg1", "bare", ""),
            Some(json!({"location": "westeurope", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Every Azure VM has one; clients (Ansible's VM info) iterate its interfaces.
    assert_eq!(
        r.body["properties"]["networkProfile"],
        json!({"networkInterfaces": []})
    );
}
