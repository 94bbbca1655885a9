-- A VM's model version: it goes up on every PUT and PATCH, and the etag ARM shows is made
-- from it ("\"<version>\""), so If-Match can tell a stale write from a current one.
alter table compute_resources add column version integer not null default 1;
