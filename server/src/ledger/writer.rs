//! The one writer of a SQLite database, with group commit. SQLite commits one transaction
//! at a time and each durable commit waits for the disk, so concurrent ledger commands
//! are queued, and whatever is waiting when the writer is free is carried out in one
//! transaction: each command inside its own savepoint, so a refused command is rolled
//! back alone and every command gets its own result. One fsync then serves the batch.
//!
//! PostgreSQL needs none of this: each command runs in its own transaction on the pool
//! and the engine orders them by row locks.

use crate::db::{Db, DbKind};
use crate::error::AppError;
use futures_util::future::BoxFuture;
use serde_json::Value;
use sqlx::AnyConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Commands carried out in one group-commit transaction at most.
pub const GROUP_COMMIT_BATCH_MAX: usize = 256;
/// Commands waiting for the writer at most; a caller past this waits to enqueue.
pub const WRITER_QUEUE_MAX: usize = 4_096;

pub type JobFuture<'c> = BoxFuture<'c, Result<Value, AppError>>;
/// A command's database work, given the connection of the open transaction.
pub type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> JobFuture<'c> + Send>;

struct Request {
    job: Job,
    reply: oneshot::Sender<Result<Value, AppError>>,
}

/// Runs ledger commands: through the group-commit task on SQLite, directly on
/// PostgreSQL.
#[derive(Clone, Debug)]
pub struct Writer {
    db: Db,
    queue: Option<mpsc::Sender<RequestBox>>,
    /// Group-commit transactions committed so far; with `synchronous=FULL` each is one
    /// fsync of the WAL, so commands ÷ commits is the commands served per fsync.
    commits: Arc<AtomicU64>,
}

/// Wrapper so the queue's item type can be `Debug` for the state.
struct RequestBox(Request);

impl std::fmt::Debug for RequestBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Request")
    }
}

impl Writer {
    /// Starts the writer; on SQLite this spawns the group-commit task.
    pub fn start(db: Db) -> Writer {
        let commits = Arc::new(AtomicU64::new(0));
        let queue = match db.kind {
            DbKind::Sqlite => {
                let (sender, receiver) = mpsc::channel(WRITER_QUEUE_MAX);
                tokio::spawn(group_commit_loop(db.clone(), receiver, commits.clone()));
                Some(sender)
            }
            DbKind::Postgres => None,
        };
        Writer { db, queue, commits }
    }

    /// Transactions committed by the group-commit task (SQLite only).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Carries out one command atomically and returns its result.
    pub async fn run(&self, job: Job) -> Result<Value, AppError> {
        match &self.queue {
            Some(queue) => {
                let (reply, answer) = oneshot::channel();
                queue
                    .send(RequestBox(Request { job, reply }))
                    .await
                    .map_err(|_| AppError::Internal(anyhow::anyhow!("the writer has stopped")))?;
                answer.await.map_err(|_| {
                    AppError::Internal(anyhow::anyhow!("the writer dropped a command"))
                })?
            }
            None => {
                let mut tx = self.db.writer.begin().await?;
                let value = job(&mut tx).await?;
                tx.commit().await?;
                Ok(value)
            }
        }
    }
}

async fn group_commit_loop(
    db: Db,
    mut receiver: mpsc::Receiver<RequestBox>,
    commits: Arc<AtomicU64>,
) {
    while let Some(RequestBox(first)) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < GROUP_COMMIT_BATCH_MAX {
            match receiver.try_recv() {
                Ok(RequestBox(request)) => batch.push(request),
                Err(_) => break,
            }
        }
        if run_batch(&db, batch).await {
            commits.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Runs one batch; true when it was committed.
async fn run_batch(db: &Db, batch: Vec<Request>) -> bool {
    let mut tx = match db.writer.begin().await {
        Ok(tx) => tx,
        Err(error) => {
            let reason = error.to_string();
            for request in batch {
                let _ = request
                    .reply
                    .send(Err(AppError::Internal(anyhow::anyhow!("begin: {reason}"))));
            }
            return false;
        }
    };
    let mut done = Vec::with_capacity(batch.len());
    if batch.len() == 1 {
        // Alone in its transaction a command needs no savepoint: if it fails, the whole
        // transaction is rolled back. One till's sales take this path, two statements
        // shorter.
        for request in batch {
            let result = (request.job)(&mut tx).await;
            if result.is_err() {
                drop(tx);
                let _ = request.reply.send(result);
                return false;
            }
            done.push((request.reply, result));
        }
    } else {
        for request in batch {
            let result = run_in_savepoint(&mut tx, request.job).await;
            done.push((request.reply, result));
        }
    }
    match tx.commit().await {
        Ok(()) => {
            for (reply, result) in done {
                let _ = reply.send(result);
            }
            true
        }
        Err(error) => {
            // Nothing of the batch is on disk: every command in it failed.
            let reason = error.to_string();
            for (reply, _) in done {
                let _ = reply.send(Err(AppError::Internal(anyhow::anyhow!("commit: {reason}"))));
            }
            false
        }
    }
}

async fn run_in_savepoint(connection: &mut AnyConnection, job: Job) -> Result<Value, AppError> {
    sqlx::query("SAVEPOINT command")
        .execute(&mut *connection)
        .await?;
    let result = job(connection).await;
    let finish = if result.is_ok() {
        "RELEASE SAVEPOINT command"
    } else {
        "ROLLBACK TO SAVEPOINT command"
    };
    sqlx::query(finish).execute(&mut *connection).await?;
    if result.is_err() {
        sqlx::query("RELEASE SAVEPOINT command")
            .execute(&mut *connection)
            .await?;
    }
    result
}
