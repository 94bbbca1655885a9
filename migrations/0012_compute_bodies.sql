-- A VM's or container group's row is split in two, so that a move rewrites the narrow half.
-- compute_resources keeps where the resource is, what lists and the identity checks read
-- (name, location, tags, the identity); compute_bodies holds the rest, keyed by the instance
-- id, which a move keeps. A move of 6,000 such rows took 45 ms with the whole row, 33 without
-- the body (sqlite3 .timer, the moves benchmark's database).
create table compute_bodies (
    instance_id         text primary key references compute_resources(instance_id) on delete cascade,
    -- `properties` as the client sent them, minus what mi-sim computes (read-only fields, secrets).
    properties          text not null default '{}',
    -- Other top-level fields echoed as sent (zones, plan, extendedLocation).
    extra               text not null default '{}',
    -- VM: running | stopped | deallocated. Container group: Running | Stopped.
    power_state         text not null,
    -- Container groups: how often the containers restarted, and the group's events (JSON array).
    restart_count       integer not null default 0,
    events              text not null default '[]',
    created_by          text not null,
    created_by_type     text not null,
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
    -- The error of the last operation on the resource that failed, shown in the instance view.
    last_error          text
) without rowid;
insert into compute_bodies (instance_id, properties, extra, power_state, restart_count, events,
        created_by, created_by_type, modified_by, modified_by_type, identity_header, version,
        identity_written_at, boots, last_error)
    select instance_id, properties, extra, power_state, restart_count, events,
        created_by, created_by_type, modified_by, modified_by_type, identity_header, version,
        identity_written_at, boots, last_error
    from compute_resources;
-- Dropped column by column: rebuilding the table would drop it, and with it (foreign keys on)
-- every VM extension.
alter table compute_resources drop column properties;
alter table compute_resources drop column extra;
alter table compute_resources drop column power_state;
alter table compute_resources drop column restart_count;
alter table compute_resources drop column events;
alter table compute_resources drop column created_by;
alter table compute_resources drop column created_by_type;
alter table compute_resources drop column modified_by;
alter table compute_resources drop column modified_by_type;
alter table compute_resources drop column identity_header;
alter table compute_resources drop column version;
alter table compute_resources drop column identity_written_at;
alter table compute_resources drop column boots;
alter table compute_resources drop column last_error;
