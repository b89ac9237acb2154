//! The tablet's sync loop (DESIGN §7). It pushes the outbox, oldest first, then pulls
//! pages of changes until none are left; it runs when the counter opens, every
//! [`INTERVAL_MS`], and at once when the till queues a command or the browser comes back
//! online. A failure backs off, doubling up to [`BACKOFF_MAX_MS`]. One push runs at a
//! time, so a command is never in two batches at once.

use std::cell::Cell;

use huiyuan_shared::api::ApiError;
use huiyuan_shared::sync::{
    Command, OutboxCommand, PushBatch, PushResult, PushStatus, PUSH_BATCH_MAX,
};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::api;
use crate::cache::db::RECEIPTS;
use crate::cache::outbox::{self, OutboxEntry};
use crate::cache::{db, lookup, meta, pages, parked, CacheError};
use crate::i18n::NETWORK_ERROR;
use crate::pages::pos::receipt::LocalReceipt;

/// Time between syncs while nothing else wakes the loop.
const INTERVAL_MS: i64 = 15_000;
const BACKOFF_FIRST_MS: i64 = 2_000;
const BACKOFF_MAX_MS: i64 = 30_000;
/// How often the sleeping loop looks whether it was woken.
const TICK_MS: i32 = 200;

/// What the counter shows about the sync, and the handle to wake it.
#[derive(Clone, Copy)]
pub struct SyncStatus {
    /// Whether the last request reached the server.
    pub reachable: RwSignal<bool>,
    /// Commands in the outbox not yet answered for.
    pub unsent: RwSignal<usize>,
    /// Commands the server refused, for the cashier to see.
    pub rejected: RwSignal<Vec<OutboxEntry>>,
    /// When the last complete pull ended (ms since the epoch).
    pub last_sync_ms: RwSignal<Option<i64>>,
    /// Records written by the pull under way, for its progress.
    pub pulled: RwSignal<u32>,
    /// Whether the cache has been filled at least once.
    pub filled: RwSignal<bool>,
    /// Moves on whenever the cache's records change, for views that read them.
    pub revision: RwSignal<u64>,
    /// The cache could not be opened or written.
    pub cache_error: RwSignal<Option<String>>,
    wake: RwSignal<u64>,
}

thread_local! {
    static PUSHING: Cell<bool> = const { Cell::new(false) };
}

/// What became of a command the till just made.
#[derive(Clone, Debug, PartialEq)]
pub enum Submitted {
    /// The server answered: recorded now or before, or recorded and flagged.
    Recorded(PushResult),
    /// Refused; the outbox no longer holds it.
    Rejected(ApiError),
    /// Kept in the outbox to be sent when the server can be reached: made offline, or
    /// sent without an answer and allowed to stand offline.
    Queued,
    /// Sent without an answer and not allowed to stand offline (the reason given): it
    /// stays in the outbox until the server answers for it. The customer must not be
    /// charged again meanwhile.
    Unconfirmed(ApiError),
}

impl SyncStatus {
    /// Starts the loop for this page and provides the status as context.
    pub fn provide() -> SyncStatus {
        let status = SyncStatus {
            reachable: RwSignal::new(
                web_sys::window().is_none_or(|window| window.navigator().on_line()),
            ),
            unsent: RwSignal::new(0),
            rejected: RwSignal::new(Vec::new()),
            last_sync_ms: RwSignal::new(None),
            pulled: RwSignal::new(0),
            filled: RwSignal::new(false),
            revision: RwSignal::new(0),
            cache_error: RwSignal::new(None),
            wake: RwSignal::new(0),
        };
        provide_context(status);
        db::ask_for_persistent_storage();
        let online = window_event_listener(ev::online, move |_| status.wake());
        let offline = window_event_listener(ev::offline, move |_| status.reachable.set(false));
        let alive = StoredValue::new(true);
        on_cleanup(move || {
            online.remove();
            offline.remove();
            alive.set_value(false);
        });
        spawn_local(async move {
            status.restore().await;
            let mut backoff = 0_i64;
            while alive.try_get_value().unwrap_or(false) {
                let woken = status.wake.get_untracked();
                let wait = match status.run_once().await {
                    Ok(()) => {
                        backoff = 0;
                        INTERVAL_MS
                    }
                    Err(_) => {
                        backoff = (backoff * 2).clamp(BACKOFF_FIRST_MS, BACKOFF_MAX_MS);
                        backoff
                    }
                };
                let mut slept = 0_i64;
                while slept < wait
                    && status.wake.try_get_untracked() == Some(woken)
                    && alive.try_get_value().unwrap_or(false)
                {
                    sleep(TICK_MS).await;
                    slept += i64::from(TICK_MS);
                }
            }
        });
        status
    }

    /// Wakes the loop to sync now.
    pub fn wake(&self) {
        self.wake.update(|wake| *wake += 1);
    }

    /// Reads what the cache already knows, before the first sync.
    async fn restore(&self) {
        let last: Option<i64> = meta::get(meta::LAST_SYNC_MS).await.ok().flatten();
        self.last_sync_ms.set(last);
        self.filled.set(last.is_some());
        if let Err(error) = self.count_outbox().await {
            self.cache_error.set(Some(error.to_string()));
        }
    }

    async fn count_outbox(&self) -> Result<(), CacheError> {
        let entries = outbox::all().await?;
        let (rejected, pending): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .partition(|entry| entry.rejected.is_some());
        self.unsent.set(pending.len());
        self.rejected.set(rejected);
        Ok(())
    }

    async fn run_once(&self) -> Result<(), ApiError> {
        self.push(None).await?;
        self.pull().await
    }

    /// Pulls pages until the server has no more.
    async fn pull(&self) -> Result<(), ApiError> {
        let since: Option<String> = meta::get(meta::CURSOR).await.map_err(cache_failure)?;
        self.pulled.set(0);
        let mut pending = api::sync::start_pull(since.as_deref());
        loop {
            let page = match api::sync::finish_pull(pending).await {
                Ok(page) => page,
                Err(error) => return Err(self.failed(error)),
            };
            self.answered();
            // The next page is asked for before this one is written.
            let (next, more) = pages::cursor_of(&page).map_err(cache_failure)?;
            let upcoming = more.then(|| api::sync::start_pull(Some(&next)));
            let applied = pages::apply(&page).await.map_err(cache_failure)?;
            if applied.records > 0 {
                self.pulled.update(|pulled| *pulled += applied.records);
                self.revision.update(|revision| *revision += 1);
            }
            match upcoming {
                Some(next_page) => pending = next_page,
                None => break,
            }
        }
        let now = js_sys::Date::now() as i64;
        meta::set(meta::LAST_SYNC_MS, &now)
            .await
            .map_err(cache_failure)?;
        self.last_sync_ms.set(Some(now));
        self.filled.set(true);
        Ok(())
    }

    /// Sends the outbox in batches. `pin` goes with the command it names only, and only
    /// in memory: a PIN is never written to the tablet.
    async fn push(&self, pin: Option<(&str, &str)>) -> Result<Vec<PushResult>, ApiError> {
        lock().await;
        let result = self.push_all(pin).await;
        unlock();
        let _ = self.count_outbox().await;
        result
    }

    async fn push_all(&self, pin: Option<(&str, &str)>) -> Result<Vec<PushResult>, ApiError> {
        let device_id = meta::device_id().await.map_err(cache_failure)?;
        let pending = outbox::pending().await.map_err(cache_failure)?;
        let mut answered = Vec::new();
        for chunk in pending.chunks(PUSH_BATCH_MAX) {
            let commands: Vec<OutboxCommand> = chunk
                .iter()
                .map(|entry| with_pin(&entry.command, pin))
                .collect();
            let batch = PushBatch {
                device_id,
                commands,
            };
            let response = match api::sync::push(&batch).await {
                Ok(response) => response,
                Err(error) => return Err(self.failed(error)),
            };
            self.answered();
            let mut done = Vec::new();
            for result in &response.results {
                let id = result.id.to_string();
                if result.status == PushStatus::Rejected {
                    if let Some(entry) = chunk.iter().find(|entry| entry.id == id) {
                        let mut entry = entry.clone();
                        entry.rejected = result.error.clone();
                        outbox::put(&entry).await.map_err(cache_failure)?;
                    }
                } else {
                    if let Some(receipt) = &result.receipt {
                        note_recorded(&id, receipt, result.status == PushStatus::Conflict).await;
                    }
                    done.push(id);
                }
            }
            outbox::remove(&done).await.map_err(cache_failure)?;
            lookup::update_balances(&response.balances)
                .await
                .map_err(cache_failure)?;
            self.revision.update(|revision| *revision += 1);
            answered.extend(response.results);
        }
        Ok(answered)
    }

    /// The server answered. An answer that was already on its way when the browser went
    /// offline does not make the counter online again.
    fn answered(&self) {
        let online = web_sys::window().is_none_or(|window| window.navigator().on_line());
        self.reachable.set(online);
    }

    fn failed(&self, error: ApiError) -> ApiError {
        if error.code == NETWORK_ERROR {
            self.reachable.set(false);
        }
        error
    }

    /// Records a command the till just made. Offline, the till's own checks run first and
    /// the command is queued only if they pass. Online, it is written to the outbox and
    /// sent at once with everything queued before it, the PIN in memory only. The whole
    /// of it holds the push lock, so the background loop never sends the command halfway
    /// (without its PIN, or before the till has decided it may stand offline).
    ///
    /// A command is taken out of the outbox only when the server has answered for it. When
    /// the answer does not come (the network dropped, the server failed), the server may
    /// have recorded it: it stays, under its own id, and is sent again until answered.
    pub async fn submit(
        &self,
        entry: OutboxEntry,
        pin: Option<String>,
        offline_check: impl AsyncFnOnce() -> Result<(), ApiError>,
    ) -> Result<Submitted, ApiError> {
        lock().await;
        let submitted = self.submit_locked(entry, pin, offline_check).await;
        unlock();
        let _ = self.count_outbox().await;
        submitted
    }

    async fn submit_locked(
        &self,
        mut entry: OutboxEntry,
        pin: Option<String>,
        offline_check: impl AsyncFnOnce() -> Result<(), ApiError>,
    ) -> Result<Submitted, ApiError> {
        if entry.command.offline {
            offline_check().await?;
            outbox::put(&entry).await.map_err(cache_failure)?;
            self.wake();
            return Ok(Submitted::Queued);
        }
        outbox::put(&entry).await.map_err(cache_failure)?;
        let pin_for = pin.as_deref().map(|pin| (entry.id.as_str(), pin));
        match self.push_all(pin_for).await {
            Ok(results) => {
                let Some(result) = results
                    .into_iter()
                    .find(|result| result.id.to_string() == entry.id)
                else {
                    return Ok(Submitted::Queued);
                };
                if result.status == PushStatus::Rejected {
                    // The cashier sees the refusal now; it need not wait in the outbox.
                    outbox::remove(std::slice::from_ref(&entry.id))
                        .await
                        .map_err(cache_failure)?;
                    let error = result.error.unwrap_or_else(|| ApiError {
                        code: "rejected".into(),
                        message: String::new(),
                        details: serde_json::Value::Null,
                    });
                    return Ok(Submitted::Rejected(error));
                }
                Ok(Submitted::Recorded(result))
            }
            // The batch was refused whole before anything in it ran (a lapsed session, a
            // permission): nothing was recorded.
            Err(error) if refused_whole(&error) => {
                outbox::remove(std::slice::from_ref(&entry.id))
                    .await
                    .map_err(cache_failure)?;
                Ok(Submitted::Rejected(error))
            }
            // No answer: the till decides whether the command may stand offline. If not,
            // it still stays, unconfirmed, since the server may have it.
            Err(_) => match offline_check().await {
                Ok(()) => {
                    entry.command.offline = true;
                    outbox::put(&entry).await.map_err(cache_failure)?;
                    Ok(Submitted::Queued)
                }
                Err(refused) => Ok(Submitted::Unconfirmed(refused)),
            },
        }
    }

    /// Lets a refused command go once the cashier has seen it.
    pub async fn dismiss(&self, id: &str) -> Result<(), CacheError> {
        outbox::remove(&[id.to_owned()]).await?;
        self.count_outbox().await
    }
}

/// Gives a receipt kept on the tablet the server's receipt number once its sale is
/// recorded, so it can be reprinted and returned by that number.
async fn note_recorded(id: &str, receipt: &serde_json::Value, flagged: bool) {
    if let Ok(Some(mut kept)) = parked::get::<LocalReceipt>(RECEIPTS, id).await {
        if kept.receipt_no.is_none() {
            kept.recorded(receipt, flagged);
            let _ = parked::put(RECEIPTS, &kept).await;
        }
    }
}

/// Waits for and takes the push lock: one push at a time.
async fn lock() {
    while PUSHING.with(Cell::get) {
        sleep(50).await;
    }
    PUSHING.with(|pushing| pushing.set(true));
}

fn unlock() {
    PUSHING.with(|pushing| pushing.set(false));
}

/// A whole batch refused by the server before it ran any command: a 4xx of its own.
fn refused_whole(error: &ApiError) -> bool {
    use huiyuan_shared::api::error_code;
    [
        error_code::UNAUTHENTICATED,
        error_code::FORBIDDEN,
        error_code::INVALID_INPUT,
        error_code::NOT_FOUND,
    ]
    .contains(&error.code.as_str())
}

fn with_pin(command: &OutboxCommand, pin: Option<(&str, &str)>) -> OutboxCommand {
    let mut command = command.clone();
    if let Some((id, pin)) = pin {
        match &mut command.command {
            Command::Sale { sale } if sale.id.to_string() == id => sale.pin = Some(pin.to_owned()),
            Command::Redeem { redemption } if redemption.id.to_string() == id => {
                redemption.pin = Some(pin.to_owned());
            }
            _ => {}
        }
    }
    command
}

fn cache_failure(error: CacheError) -> ApiError {
    ApiError {
        code: "cache_error".into(),
        message: error.to_string(),
        details: serde_json::Value::Null,
    }
}

pub fn use_sync() -> SyncStatus {
    expect_context::<SyncStatus>()
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
