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

-- The bootstrapped application is Owner of the default subscription (so it can sign in and do
-- everything in the enforce mode); databases made before this migration get the assignment too.
insert into role_assignments (name, scope, scope_key, subscription_id, role_definition_id, role_key,
        principal_id, principal_type, created_on, updated_on)
    select '66666666-6666-4666-8666-666666666666',
           '/subscriptions/22222222-2222-4222-8222-222222222222',
           '/subscriptions/22222222-2222-4222-8222-222222222222',
           '22222222-2222-4222-8222-222222222222',
           '/subscriptions/22222222-2222-4222-8222-222222222222/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
           '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', a.object_id, 'ServicePrincipal', a.created_at, a.created_at
    from applications a
    where a.app_id = '44444444-4444-4444-8444-444444444444'
      and exists (select 1 from subscriptions where id = '22222222-2222-4222-8222-222222222222');
