-- Fewer b-trees per identity create. Every create writes a principal and a resource at random
-- keys (GUIDs), so each b-tree it touches costs a page in the WAL per commit. The principal
-- table becomes clustered on its key (no separate primary-key index), and the two secondary
-- indexes go: nothing looks identities up by principal, and a tenant's principals are listed
-- only by the control API, where a scan is cheap.
drop index user_assigned_identities_by_principal;
drop index service_principals_by_tenant;

create table service_principals_clustered (
    object_id       text primary key,
    app_id          text not null,
    -- The tenant the principal was created in (R1, R4); never updated by a transfer (R11).
    tenant_id       text not null references tenants(id),
    display_name    text not null,
    kind            text not null check (kind in ('SystemAssigned', 'UserAssigned', 'Application')),
    -- The ARM id of the resource the principal backs (display casing); null for applications.
    resource_id     text,
    created_at      text not null
) without rowid;
insert into service_principals_clustered
    select object_id, app_id, tenant_id, display_name, kind, resource_id, created_at from service_principals;
drop table service_principals;
alter table service_principals_clustered rename to service_principals;
