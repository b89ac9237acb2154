//! Idempotent commands. Each sale, top-up or return carries an id made by the client
//! before it is first sent. The first time it is seen it is carried out and its answer
//! stored; a replay with the same content gets that answer back and changes nothing; the
//! same id with different content is refused as a conflict.

use sha2::{Digest, Sha256};
use sqlx::{Any, AnyConnection, Executor, Row};

/// How a command was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Carried out now.
    Created,
    /// Carried out before; the stored answer is returned.
    Exists,
}

/// A command's stored identity and answer.
#[derive(Clone, Debug)]
pub struct CommandRecord {
    pub request_hash: String,
    pub response_json: String,
}

/// A stable hash of a request's canonical JSON: serde_json writes object keys in sorted
/// order, so equal requests hash equally however their fields were ordered on the wire.
pub fn request_hash<T: serde::Serialize>(request: &T) -> String {
    let canonical = serde_json::to_value(request)
        .map(|value| value.to_string())
        .unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

pub async fn find<'e, E>(executor: E, id: &str) -> Result<Option<CommandRecord>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let row = sqlx::query("SELECT request_hash, response_json FROM commands WHERE id = $1")
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.map(|row| {
        Ok(CommandRecord {
            request_hash: row.try_get("request_hash")?,
            response_json: row.try_get("response_json")?,
        })
    })
    .transpose()
}

pub struct NewCommand<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub request_hash: &'a str,
    pub response_json: &'a str,
    pub store_id: Option<&'a str>,
    pub staff_id: Option<&'a str>,
}

/// Records a carried-out command in its own transaction. A primary-key conflict here
/// means a concurrent request with the same id won; the caller rolls back and replays.
pub async fn record(tx: &mut AnyConnection, command: NewCommand<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO commands (id, kind, request_hash, response_json, store_id, staff_id, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(command.id)
    .bind(command.kind)
    .bind(command.request_hash)
    .bind(command.response_json)
    .bind(command.store_id)
    .bind(command.staff_id)
    .bind(crate::db::now_ms())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Carries out a command once. `work` runs inside the writer's transaction and returns
/// the answer; the answer is stored with the command so a replay gets it back verbatim.
pub async fn execute<Req, Resp, Work>(
    state: &crate::state::AppState,
    meta: CommandMeta,
    request: &Req,
    work: Work,
) -> Result<(CommandOutcome, Resp), crate::error::AppError>
where
    Req: serde::Serialize,
    Resp: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    Work: for<'c> FnOnce(
            &'c mut AnyConnection,
        )
            -> futures_util::future::BoxFuture<'c, Result<Resp, crate::error::AppError>>
        + Send
        + 'static,
{
    use crate::error::AppError;
    let hash = request_hash(request);
    // A replay is recognised inside the writer's transaction, where the answer is final;
    // looking first on the read pool would cost every new command a query.
    let job_hash = hash.clone();
    let job: super::writer::Job = Box::new(move |connection: &mut AnyConnection| {
        Box::pin(async move {
            if let Some(existing) = find(&mut *connection, &meta.id).await? {
                return Ok(
                    serde_json::json!({ "replayed": existing.response_json, "hash": existing.request_hash }),
                );
            }
            let response = work(&mut *connection).await?;
            let response_json = serde_json::to_string(&response)
                .map_err(|error| AppError::Internal(error.into()))?;
            record(
                connection,
                NewCommand {
                    id: &meta.id,
                    kind: meta.kind,
                    request_hash: &job_hash,
                    response_json: &response_json,
                    store_id: meta.store_id.as_deref(),
                    staff_id: meta.staff_id.as_deref(),
                },
            )
            .await?;
            Ok(serde_json::json!({ "created": response_json }))
        })
    });
    let value = state.writer.run(job).await?;
    let text = |key: &str| {
        value
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    if let Some(created) = text("created") {
        let response =
            serde_json::from_str(&created).map_err(|error| AppError::Internal(error.into()))?;
        return Ok((CommandOutcome::Created, response));
    }
    let existing = CommandRecord {
        response_json: text("replayed").unwrap_or_default(),
        request_hash: text("hash").unwrap_or_default(),
    };
    replay(existing, &hash)
}

/// Who is asking and for what, stored beside the command.
#[derive(Clone, Debug)]
pub struct CommandMeta {
    pub id: String,
    pub kind: &'static str,
    pub store_id: Option<String>,
    pub staff_id: Option<String>,
}

fn replay<Resp: serde::de::DeserializeOwned>(
    existing: CommandRecord,
    hash: &str,
) -> Result<(CommandOutcome, Resp), crate::error::AppError> {
    use crate::error::AppError;
    if existing.request_hash != hash {
        return Err(AppError::IdConflict);
    }
    let response = serde_json::from_str(&existing.response_json)
        .map_err(|error| AppError::Internal(error.into()))?;
    Ok((CommandOutcome::Exists, response))
}
