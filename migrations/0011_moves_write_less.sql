-- A move writes only the rows of what moves (issue: moving 10,000 resources in under 100 ms).

-- A principal no longer stores the id of the resource it backs: the resource names its
-- principal (user_assigned_identities.principal_id, compute_resources.system_principal_id), so
-- the listing finds the id there, and a move has no principals to rename.
alter table service_principals drop column resource_id;

-- VM extensions are keyed by their VM's instance id, which a move keeps: moving a VM no longer
-- cascades into them, and deleting it still takes them.
create table vm_extensions_new (
    vm_instance_id     text not null references compute_resources(instance_id) on delete cascade,
    name               text not null,
    name_key           text not null,
    location           text not null,
    tags               text not null default '{}',
    -- `properties` as sent, minus protectedSettings (write-only) and what mi-sim computes.
    properties         text not null default '{}',
    provisioning_state text not null,
    -- The message of a failed provisioning, and the VM's boot it failed in (R18).
    failure            text,
    failed_boot        integer,
    created_at         text not null,
    modified_at        text not null,
    primary key (vm_instance_id, name_key)
) without rowid;
insert into vm_extensions_new (vm_instance_id, name, name_key, location, tags, properties,
        provisioning_state, failure, failed_boot, created_at, modified_at)
    select c.instance_id, e.name, e.name_key, e.location, e.tags, e.properties,
        e.provisioning_state, e.failure, e.failed_boot, e.created_at, e.modified_at
    from vm_extensions e
    join compute_resources c on c.subscription_id = e.subscription_id
        and c.resource_group_key = e.resource_group_key and c.resource_type = e.resource_type
        and c.name_key = e.vm_name_key;
drop table vm_extensions;
alter table vm_extensions_new rename to vm_extensions;
