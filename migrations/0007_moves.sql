-- Moves (R14, R15), failed operations, and the legacy VM extension (R18).

-- R14: the id (key form) at which a VM's identity reference was last written. A move changes
-- where the VM is and leaves this behind; any PUT or PATCH of the VM writes it again.
alter table compute_resources add column identity_written_at text not null default '';
update compute_resources set identity_written_at = lower('/subscriptions/' || subscription_id
    || '/resourcegroups/' || resource_group_key || '/providers/' || resource_type || '/' || name_key);
-- How many times the VM has started (R18: a DNS failure of the extension lasts until a restart).
alter table compute_resources add column boots integer not null default 1;
-- The error of the last operation on the resource that failed (a VM start refused by R14),
-- shown in the instance view; cleared by the next write or action that succeeds.
alter table compute_resources add column last_error text;

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
    primary key (subscription_id, resource_group_key, vm_name_key, name_key),
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
