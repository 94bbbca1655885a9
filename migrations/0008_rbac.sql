-- Role-based access control: role assignments and custom role definitions (built-in roles are
-- constants in src/domain/roles.rs, as they are the same in every tenant).

create table role_assignments (
    -- The assignment's name: a GUID, unique across subscriptions as in Azure.
    name                 text primary key,
    -- The scope as ARM writes it (leading '/'), and its key form for prefix matches: an
    -- assignment applies at its scope and below.
    scope                text not null,
    scope_key            text not null,
    -- The subscription the scope lies in (a transfer deletes its assignments, R11).
    subscription_id      text,
    role_definition_id   text not null,
    -- The role's GUID, lowercase, for the (scope, principal, role) uniqueness rule.
    role_key             text not null,
    -- Not a foreign key: an assignment of a deleted principal stays listed, as Azure shows it.
    principal_id         text not null,
    principal_type       text not null,
    description          text,
    condition            text,
    condition_version    text,
    created_on           text not null,
    updated_on           text not null,
    created_by           text,
    updated_by           text
) without rowid;
create unique index role_assignments_unique on role_assignments(scope_key, principal_id, role_key);
create index role_assignments_by_principal on role_assignments(principal_id);
create index role_assignments_by_subscription on role_assignments(subscription_id, scope_key);

create table role_definitions (
    -- The role's GUID (lowercase).
    name               text primary key,
    -- The scope it was created at, as written.
    scope              text not null,
    role_name          text not null,
    description        text not null default '',
    -- [{"actions", "notActions", "dataActions", "notDataActions"}] and ["/subscriptions/..."].
    permissions        text not null,
    assignable_scopes  text not null,
    created_on         text not null,
    updated_on         text not null,
    created_by         text,
    updated_by         text
) without rowid;
create unique index role_definitions_by_name on role_definitions(lower(role_name));
