-- Template deployments (Microsoft.Resources/deployments) at group and subscription scope.
-- `resource_group_key` is '' at subscription scope. `properties` holds the deployment's
-- answer as ARM shows it (mode, parameters with their types, outputs, error, ...) beside the
-- columns a list filters on; `operations` its per-resource operations, in deployment order.
create table deployments (
    subscription_id    text not null,
    resource_group_key text not null,
    name_key           text not null,
    name               text not null,
    location           text,
    tags               text not null default '{}',
    state              text not null,
    run_id             text not null,
    template           text not null,
    properties         text not null,
    operations         text not null default '[]',
    started_at         text not null,
    ended_at           text,
    primary key (subscription_id, resource_group_key, name_key)
) without rowid;
