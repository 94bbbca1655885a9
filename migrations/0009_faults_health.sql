-- Faults that fire on a share of requests, late answers and throttling: a fault may now fire
-- until cleared (remaining null), with a seeded probability, after a delay, asking clients to
-- retry after some seconds. `seen` counts the requests it was asked about (the seeded draw).
create table faults_new (
    id          text primary key,
    kind        text not null,
    target      text not null,
    remaining   integer,
    probability real,
    seed        integer not null default 0,
    seen        integer not null default 0,
    delay_ms    integer,
    retry_after integer,
    created_at  text not null
) without rowid;
insert into faults_new (id, kind, target, remaining, created_at)
    select id, kind, target, remaining, created_at from faults;
drop table faults;
alter table faults_new rename to faults;
create index faults_by_kind on faults (kind, created_at);

-- When the subscription began to trust its tenant (its creation, or its last transfer): the
-- identity health report names it ("trusts tenant B since the transfer at T").
alter table subscriptions add column tenant_since text;
update subscriptions set tenant_since = created_at;
