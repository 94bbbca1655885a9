-- The foundation: tenants, subscriptions, resource groups, user-assigned identities and the
-- service principals behind them. Every name has a display column (casing as the client first
-- sent it) and a *_key column (lowercased) that carries the uniqueness, as ARM compares
-- identifiers case-insensitively. GUIDs are stored lowercase and hyphenated.

create table tenants (
    id             text primary key,
    display_name   text not null,
    default_domain text not null,
    created_at     text not null
);

create table subscriptions (
    id           text primary key,
    display_name text not null,
    -- The one tenant the subscription trusts now. Principals keep the tenant they were created
    -- in, so a transfer (a change of this column) leaves them behind: R11 is derived from it.
    tenant_id    text not null references tenants(id),
    state        text not null default 'Enabled',
    created_at   text not null
);

create table resource_groups (
    subscription_id text not null references subscriptions(id),
    name            text not null,
    name_key        text not null,
    location        text not null,
    managed_by      text,
    tags            text not null default '{}', -- JSON object of string values
    created_at      text not null,
    primary key (subscription_id, name_key)
) without rowid;

-- The Entra side: every managed identity and application has one. object_id is the
-- identity's principalId, app_id its clientId.
create table service_principals (
    object_id       text primary key,
    app_id          text not null,
    -- The tenant the principal was created in (R1, R4); never updated by a transfer (R11).
    tenant_id       text not null references tenants(id),
    display_name    text not null,
    kind            text not null check (kind in ('SystemAssigned', 'UserAssigned', 'Application')),
    -- The ARM id of the resource the principal backs (display casing); null for applications.
    resource_id     text,
    created_at      text not null
);
create index service_principals_by_tenant on service_principals(tenant_id, display_name);

create table user_assigned_identities (
    subscription_id    text not null,
    resource_group_key text not null,
    name               text not null,
    name_key           text not null,
    location           text not null,
    tags               text not null default '{}',
    -- tenantId as the resource shows it: the subscription's tenant at creation (R4).
    tenant_id          text not null,
    -- Not a foreign key: the principal may be gone while the resource still exists (breakage).
    principal_id       text not null,
    client_id          text not null,
    isolation_scope    text not null default 'None',
    created_at         text not null,
    created_by         text not null,
    created_by_type    text not null,
    modified_at        text not null,
    modified_by        text not null,
    modified_by_type   text not null,
    primary key (subscription_id, resource_group_key, name_key),
    foreign key (subscription_id, resource_group_key) references resource_groups(subscription_id, name_key)
) without rowid;
create index user_assigned_identities_by_principal on user_assigned_identities(principal_id);

-- ARM's own long-running operations (resource group delete), polled at
-- /subscriptions/{s}/operationresults/{id}. The work is done when the row is written;
-- the row only remembers what the poller is to be told.
create table operations (
    id              text primary key,
    subscription_id text not null,
    kind            text not null,
    -- How many times the poller has asked: the first poll reports the operation as running
    -- (202), so every client walks ARM's real 202-then-200 path.
    polls           integer not null default 0,
    created_at      text not null
);

-- Key material generated on first start and kept across restarts and resets:
-- the local CA and the server certificate it signed.
create table key_material (
    name       text primary key,
    cert_pem   text not null,
    key_pem    text not null,
    created_at text not null
);
