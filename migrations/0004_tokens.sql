-- Tokens: the secret an instance's App Service-style endpoint checks, and applications that
-- sign in to mi-sim's Entra with a client secret.

-- The X-IDENTITY-HEADER value of a VM or container group (IDENTITY_HEADER inside it).
alter table compute_resources add column identity_header text not null default '';
update compute_resources set identity_header = lower(hex(randomblob(16))) where identity_header = '';

create table applications (
    app_id            text primary key,
    tenant_id         text not null references tenants(id),
    -- The application's service principal (kind 'Application') in service_principals.
    object_id         text not null,
    display_name      text not null,
    -- SHA-256 (hex) of the client secret; the secret itself is shown once, at creation.
    secret_sha256     text not null,
    -- Kept only for bootstrapped applications, whose credentials are documented (well known).
    well_known_secret text,
    created_at        text not null
) without rowid;
