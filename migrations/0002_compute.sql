-- Virtual machines and container groups: the resources that run code, so the ones that carry
-- managed identities and (later) answer token requests from inside. One table for both: they
-- share the identity facts, the instance id and the place they live; what differs between
-- them is echoed JSON (properties) or a few runtime columns.
create table compute_resources (
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
    primary key (subscription_id, resource_group_key, resource_type, name_key),
    foreign key (subscription_id, resource_group_key) references resource_groups(subscription_id, name_key)
) without rowid;

-- Switchable historical rules (DESIGN principle 7): a row only when a user changed the default.
create table rule_switches (
    id      text primary key,
    enabled integer not null
);
