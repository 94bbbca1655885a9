//! Applications that sign in to mi-sim's Entra with a client secret, and the client-credentials
//! grant that gives them tokens (docs/wire-contract.md, "Entra").
use super::OpError;
use crate::domain::identity::{NewPrincipal, PrincipalKind};
use crate::domain::token_rules::application_claims;
use crate::domain::TenantId;
use crate::signing::TokenError;
use crate::state::AppState;
use crate::store::{self, applications::ApplicationRow};
use sqlx::SqliteConnection;
use uuid::Uuid;

/// The application bootstrapped in the default tenant, with documented credentials (as
/// Azurite's well-known account key): for local pipelines only.
pub const WELL_KNOWN_APP_ID: &str = "44444444-4444-4444-8444-444444444444";
pub const WELL_KNOWN_APP_OBJECT_ID: &str = "55555555-5555-4555-8555-555555555555";
pub const WELL_KNOWN_APP_SECRET: &str = "mi-sim~well-known-client-secret";
pub const WELL_KNOWN_APP_NAME: &str = "mi-sim deployer";

fn sha256_hex(secret: &str) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes an application and its service principal.
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    app: &ApplicationRow,
    now: &str,
) -> Result<(), sqlx::Error> {
    let principal = NewPrincipal {
        object_id: Uuid::parse_str(&app.object_id).unwrap_or_default(),
        app_id: Uuid::parse_str(&app.app_id).unwrap_or_default(),
        tenant_id: app.tenant_id,
        display_name: app.display_name.clone(),
        kind: PrincipalKind::Application,
    };
    store::principals::insert(conn, &principal, now).await?;
    store::applications::insert(conn, app, now).await
}

/// The well-known application of the default tenant (bootstrap).
pub(crate) fn well_known(tenant: TenantId) -> ApplicationRow {
    ApplicationRow {
        app_id: WELL_KNOWN_APP_ID.into(),
        tenant_id: tenant,
        object_id: WELL_KNOWN_APP_OBJECT_ID.into(),
        display_name: WELL_KNOWN_APP_NAME.into(),
        secret_sha256: sha256_hex(WELL_KNOWN_APP_SECRET),
        well_known_secret: Some(WELL_KNOWN_APP_SECRET.into()),
    }
}

/// Creates an application with a new client secret; the secret is returned once, never stored.
#[tracing::instrument(skip(state))]
pub async fn create(
    state: &AppState,
    tenant: TenantId,
    display_name: Option<String>,
) -> Result<(ApplicationRow, String), OpError> {
    let app_id = state.idgen.uuid().hyphenated().to_string();
    let secret = format!(
        "{}~{}",
        &state.idgen.uuid().simple().to_string()[..8],
        state.idgen.uuid().simple()
    );
    let app = ApplicationRow {
        display_name: display_name.unwrap_or_else(|| format!("app-{}", &app_id[..8])),
        app_id,
        tenant_id: tenant,
        object_id: state.idgen.uuid().hyphenated().to_string(),
        secret_sha256: sha256_hex(&secret),
        well_known_secret: None,
    };
    let now = state.clock.now_text();
    let app = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                if store::tenants::get(&mut *tx, &app.tenant_id.to_string())
                    .await?
                    .is_none()
                {
                    return Err(OpError::TenantNotFound(app.tenant_id.to_string()));
                }
                insert(&mut *tx, &app, &now).await?;
                Ok(app)
            })
        })
        .await?;
    Ok((app, secret))
}

/// The applications of a tenant.
pub async fn list(state: &AppState, tenant: TenantId) -> Result<Vec<ApplicationRow>, OpError> {
    let mut conn = state.store.read().await?;
    if store::tenants::get(&mut conn, &tenant.to_string())
        .await?
        .is_none()
    {
        return Err(OpError::TenantNotFound(tenant.to_string()));
    }
    Ok(store::applications::list_by_tenant(&mut conn, &tenant.to_string()).await?)
}

/// A token for an application.
#[derive(Debug, Clone)]
pub struct AppToken {
    pub access_token: String,
    pub audience: String,
    pub not_before: i64,
    pub expires_on: i64,
    pub expires_in: i64,
}

/// Why the client-credentials grant said no, as Entra says it.
#[derive(Debug, thiserror::Error)]
pub enum GrantFailure {
    #[error("unknown client {app_id} in {tenant}")]
    UnknownClient { app_id: String, tenant: String },
    #[error("wrong secret for {0}")]
    WrongSecret(String),
    #[error("{0}")]
    Token(#[from] TokenError),
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
}

/// The client-credentials grant: the application must exist in the tenant and the secret match.
#[tracing::instrument(skip(state, secret))]
pub async fn client_credentials(
    state: &AppState,
    tenant: &str,
    client_id: &str,
    secret: &str,
    audience: &str,
) -> Result<AppToken, GrantFailure> {
    let app = store::applications::get(
        &mut *state.store.read().await?,
        tenant,
        &client_id.to_lowercase(),
    )
    .await?
    .ok_or_else(|| GrantFailure::UnknownClient {
        app_id: client_id.to_string(),
        tenant: tenant.to_string(),
    })?;
    if sha256_hex(secret) != app.secret_sha256 {
        return Err(GrantFailure::WrongSecret(app.app_id));
    }
    let now = state.clock.now().timestamp();
    let nonce = state.idgen.uuid().simple().to_string();
    let claims = application_claims(&app.app_id, &app.object_id, tenant, audience, now, &nonce);
    let (not_before, expires_on) = (claims.nbf, claims.exp);
    let access_token = state.keys.sign(claims, &state.clock.now_text()).await?;
    Ok(AppToken {
        access_token,
        audience: audience.to_string(),
        not_before,
        expires_on,
        expires_in: expires_on - now,
    })
}
