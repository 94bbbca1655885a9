//! Named snapshots of the whole state (`/simulator/snapshots`), kept as database files in the
//! snapshot folder (beside the database, or a temporary folder for `:memory:`). A restore
//! replaces every row but the key material and reloads what the server holds in memory.
use super::OpError;
use crate::state::AppState;
use crate::store::{self, snapshots::RestoreError};
use std::path::PathBuf;

/// The most snapshots kept: each is a copy of the database.
pub const MAX_SNAPSHOTS: usize = 100;
const EXTENSION: &str = "db";

/// A saved snapshot.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    pub name: String,
    pub bytes: u64,
    pub saved_at: String,
}

fn invalid(message: String) -> OpError {
    OpError::InvalidParameter {
        target: "name",
        message,
    }
}

/// A snapshot name is a file name we can trust: letters, digits, `-`, `_`, `.`, not leading.
fn path_of(state: &AppState, name: &str) -> Result<PathBuf, OpError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if !ok {
        return Err(invalid(format!("'{name}' is not a snapshot name: 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.")));
    }
    Ok(state.snapshot_dir.join(format!("{name}.{EXTENSION}")))
}

fn info(path: &std::path::Path) -> Option<SnapshotInfo> {
    let meta = std::fs::metadata(path).ok()?;
    let saved: chrono::DateTime<chrono::Utc> = meta.modified().ok()?.into();
    Some(SnapshotInfo {
        name: path.file_stem()?.to_str()?.to_string(),
        bytes: meta.len(),
        saved_at: saved.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

pub fn list(state: &AppState) -> Vec<SnapshotInfo> {
    let mut found: Vec<SnapshotInfo> = std::fs::read_dir(&state.snapshot_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
        .filter_map(|p| info(&p))
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Saves the state as `name`. A name in use is refused (delete it first).
pub async fn save(state: &AppState, name: &str) -> Result<SnapshotInfo, OpError> {
    let path = path_of(state, name)?;
    if path.exists() {
        return Err(OpError::SnapshotExists(name.to_string()));
    }
    if list(state).len() >= MAX_SNAPSHOTS {
        return Err(invalid(format!("At most {MAX_SNAPSHOTS} snapshots are kept; delete some first (DELETE /simulator/snapshots/{{name}}).")));
    }
    let mut folder = std::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
    folder.create(&state.snapshot_dir).map_err(|e| {
        OpError::Inconsistent(format!(
            "the snapshot folder {}: {e}",
            state.snapshot_dir.display()
        ))
    })?;
    let text = path.to_string_lossy().into_owned();
    store::snapshots::save(&mut *state.store.read().await?, &text).await?;
    info(&path).ok_or_else(|| OpError::Inconsistent(format!("snapshot {text} was not written")))
}

/// Brings the state of snapshot `name` back. `false`: there is none.
pub async fn restore(state: &AppState, name: &str) -> Result<bool, OpError> {
    let path = path_of(state, name)?;
    if !path.exists() {
        return Ok(false);
    }
    restore_file(&state.store, &path).await?;
    reload(state).await?;
    Ok(true)
}

/// Restores a snapshot file into a store (also used offline, by `mi-sim snapshot restore`).
pub async fn restore_file(store: &store::Store, path: &std::path::Path) -> Result<(), OpError> {
    let text = path.to_string_lossy().into_owned();
    let outcome = store
        .exclusive(move |conn| {
            Box::pin(async move { Ok(store::snapshots::restore(conn, &text).await) })
        })
        .await?;
    outcome.map_err(|e| match e {
        RestoreError::Store(e) => OpError::from(e),
        other => invalid(other.to_string()),
    })
}

/// What the server keeps in memory follows the restored state.
async fn reload(state: &AppState) -> Result<(), sqlx::Error> {
    state.token_cache.clear();
    state.grants.invalidate();
    state.locks.clear();
    state.journal.clear();
    super::moves::load(state).await?;
    super::faults::refresh(state).await
}

/// Deletes snapshot `name`. `false`: there is none.
pub fn delete(state: &AppState, name: &str) -> Result<bool, OpError> {
    let path = path_of(state, name)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(OpError::Inconsistent(format!("{}: {e}", path.display()))),
    }
}

/// `mi-sim snapshot save FILE --db DB`: a consistent copy of a database file, offline.
pub async fn save_offline(db: &std::path::Path, file: &std::path::Path) -> Result<(), String> {
    if !db.exists() {
        return Err(format!("there is no database {}", db.display()));
    }
    if file.exists() {
        return Err(format!("{} exists; pick another file", file.display()));
    }
    let store = store::connect::connect(&crate::settings::Database::File(db.to_path_buf()))
        .await
        .map_err(|e| format!("{}: {e}", db.display()))?;
    let text = file.to_string_lossy().into_owned();
    let mut conn = store.read().await.map_err(|e| e.to_string())?;
    store::snapshots::save(&mut conn, &text)
        .await
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// `mi-sim snapshot restore FILE --db DB`: the state of a snapshot file into a database file.
pub async fn restore_offline(db: &std::path::Path, file: &std::path::Path) -> Result<(), String> {
    if !file.exists() {
        return Err(format!("there is no snapshot file {}", file.display()));
    }
    let store = store::connect::connect(&crate::settings::Database::File(db.to_path_buf()))
        .await
        .map_err(|e| format!("{}: {e}", db.display()))?;
    restore_file(&store, file)
        .await
        .map_err(|e| e.to_string())?;
    store.checkpoint().await.map_err(|e| e.to_string())
}
