-- Moves (R14, R15), failed operations, and the legacy VM extension (R18).

-- compute_resources becomes a rowid table keyed by a unique index: its rows (properties, events)
-- are far larger than SQLite's guidance for WITHOUT ROWID tables (a twentieth of a page), and a
-- move rewrites the key of thousands of them at once; with a rowid only the index entry moves.
create table compute_resources_new (
    subscription_id     text not null,
    resource_group_key  text not null,
    -- 'Microsoft.Compute/virtualMachines' or 'Microsoft.ContainerInstance/containerGroups'.
    resource_type       text not null check (resource_type in
                            ('Microsoft.Compute/virtualMachines', 'Microsoft.ContainerInstance/containerGroups')),
    name                text not null,
    name_key            text not null,
    location            text not null,
    tags                text not null default '{}',
    -- The instance: a VM's vmId, a GUID mi-sim gives a container group. Kept across moves.
    instance_id         text not null unique,
    -- `properties` as the client sent them, minus what mi-sim computes (read-only fields, secrets).
    properties          text not null default '{}',
    -- Other top-level fields echoed as sent (zones, plan, extendedLocation).
    extra               text not null default '{}',
    -- VM: running | stopped | deallocated. Container group: Running | Stopped.
    power_state         text not null,
    -- Container groups: how often the containers restarted, and the group's events (JSON array).
    restart_count       integer not null default 0,
    events              text not null default '[]',
    -- The identity: 'None', 'SystemAssigned', 'UserAssigned' or 'SystemAssigned, UserAssigned' (R6).
    identity_type       text not null default 'None',
    -- R1: the system-assigned principal and the tenant it was created in; null when disabled.
    -- Not a foreign key: breakage is derived from a principal that is gone or elsewhere.
    system_principal_id text,
    system_client_id    text,
    system_tenant_id    text,
    -- User-assigned references as written, [{"id", "principalId", "clientId"}]. R5: a reference
    -- stays when its identity is deleted, so this is not a foreign key either.
    user_assigned       text not null default '[]',
    created_at          text not null,
    created_by          text not null,
    created_by_type     text not null,
    modified_at         text not null,
    modified_by         text not null,
    modified_by_type    text not null,
    -- The secret of the instance's App Service-style token endpoint.
    identity_header     text not null default '',
    -- The model version the VM's etag is made from.
    version             integer not null default 1,
    -- R14: the id (key form) at which the identity reference was last written. A move changes
    -- where the VM is and leaves this behind; any PUT or PATCH of the VM writes it again.
    identity_written_at text not null default '',
    -- How many times the VM has started (R18: a DNS failure of the extension lasts until the next).
    boots               integer not null default 1,
    -- The error of the last operation on the resource that failed (a VM start refused by R14),
    -- shown in the instance view; cleared by the next write or action that succeeds.
    last_error          text,
    foreign key (subscription_id, resource_group_key) references resource_groups(subscription_id, name_key)
);
insert into compute_resources_new (subscription_id, resource_group_key, resource_type, name, name_key, location,
        tags, instance_id, properties, extra, power_state, restart_count, events, identity_type,
        system_principal_id, system_client_id, system_tenant_id, user_assigned, created_at, created_by,
        created_by_type, modified_at, modified_by, modified_by_type, identity_header, version, identity_written_at)
    select subscription_id, resource_group_key, resource_type, name, name_key, location,
        tags, instance_id, properties, extra, power_state, restart_count, events, identity_type,
        system_principal_id, system_client_id, system_tenant_id, user_assigned, created_at, created_by,
        created_by_type, modified_at, modified_by, modified_by_type, identity_header, version,
        lower('/subscriptions/' || subscription_id || '/resourcegroups/' || resource_group_key
              || '/providers/' || resource_type || '/' || name_key)
    from compute_resources;
drop table compute_resources;
alter table compute_resources_new rename to compute_resources;
create unique index compute_resources_by_key
    on compute_resources(subscription_id, resource_group_key, resource_type, name_key);

-- An operation that failed carries ARM's error object; one that takes time (a move) is done
-- once the clock passes done_at; one with an answer (a template export) keeps it in result.
alter table operations add column error text;
alter table operations add column done_at text;
alter table operations add column result text;

-- Groups an operation locks for writes and deletes until its done_at (a move locks its source
-- and its target group, as ARM does).
create table group_locks (
    subscription_id    text not null,
    resource_group_key text not null,
    operation_id       text not null,
    until              text not null,
    primary key (subscription_id, resource_group_key, operation_id)
) without rowid;

-- VM extensions (Microsoft.Compute/virtualMachines/extensions). They go where their VM goes:
-- a move or delete of the VM carries them through the foreign key.
create table vm_extensions (
    subscription_id    text not null,
    resource_group_key text not null,
    resource_type      text not null default 'Microsoft.Compute/virtualMachines',
    vm_name_key        text not null,
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
    -- In the foreign key's order, so a move or delete of a VM finds its extensions by index.
    primary key (subscription_id, resource_group_key, resource_type, vm_name_key, name_key),
    foreign key (subscription_id, resource_group_key, resource_type, vm_name_key)
        references compute_resources(subscription_id, resource_group_key, resource_type, name_key)
        on delete cascade on update cascade
) without rowid;

-- Faults a user arms through /simulator/faults: a kind, the resource it targets (key form),
-- and how many more times it fires.
create table faults (
    id         text primary key,
    kind       text not null,
    target     text not null,
    remaining  integer not null,
    created_at text not null
) without rowid;

-- Settings of the simulator a user changes through /simulator/settings (how long a move takes).
create table simulator_settings (
    name  text primary key,
    value integer not null
) without rowid;
