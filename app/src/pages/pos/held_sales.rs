//! Sales on hold (挂单, SALE-4): the cart and member put aside on the tablet while the
//! next customer is served, and resumed later. Held sales stay across reloads.

use huiyuan_shared::sync::CachedMember;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cache::db::HELD;
use crate::cache::{lookup, parked};
use crate::i18n::{use_i18n, Key};
use crate::pages::pos::counter::{use_counter, Counter, DraftLine, View};
use crate::pages::pos::member_panel;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldSale {
    pub id: String,
    pub held_ms: i64,
    pub member: Option<CachedMember>,
    pub lines: Vec<DraftLine>,
}

/// Puts the cart aside and clears the counter.
pub fn hold(counter: Counter, on_done: impl Fn() + 'static) {
    let lines = counter.lines.get_untracked();
    if lines.is_empty() {
        return;
    }
    let held = HeldSale {
        id: Uuid::now_v7().to_string(),
        held_ms: js_sys::Date::now() as i64,
        member: counter.member.get_untracked(),
        lines,
    };
    spawn_local(async move {
        match parked::put(HELD, &held).await {
            Ok(()) => {
                counter.clear();
                on_done();
            }
            Err(error) => counter.error(error.to_string()),
        }
    });
}

#[component]
pub fn HeldSalesView() -> impl IntoView {
    let i18n = use_i18n();
    let counter = use_counter();
    let held = LocalResource::new(move || async move {
        counter.view.track();
        parked::all::<HeldSale>(HELD).await.unwrap_or_default()
    });
    let resume = move |sale: HeldSale| {
        if !counter.lines.get_untracked().is_empty() {
            counter.error(i18n.t(Key::HeldCartBusy));
            return;
        }
        spawn_local(async move {
            if let Err(error) = parked::remove(HELD, &sale.id).await {
                counter.error(error.to_string());
                return;
            }
            // The member and the items as the cache has them now, not as they were held:
            // balances, a freeze or a price may have changed since.
            let mut lines = Vec::with_capacity(sale.lines.len());
            for mut line in sale.lines {
                match lookup::item(&line.item.id.to_string()).await {
                    Ok(Some(item)) if item.active => {
                        line.item = item;
                        lines.push(line);
                    }
                    _ => {
                        counter.error(i18n.t(Key::HeldItemGone).replace("{item}", &line.item.name))
                    }
                }
            }
            counter.lines.set(lines);
            let member = match sale.member {
                Some(held) => lookup::member(&held.id.to_string())
                    .await
                    .ok()
                    .flatten()
                    .or(Some(held)),
                None => None,
            };
            match member {
                Some(member) => member_panel::choose(counter, member),
                None => counter.member.set(None),
            }
            counter.view.set(View::Sale);
        });
    };
    view! {
        <section class="pos-panel pos-held" data-testid="held-view">
            <h2 class="pos-panel__title">{move || i18n.t(Key::RecallOrder)}</h2>
            <Suspense>
                {move || held.get().map(|sales| {
                    if sales.is_empty() {
                        return view! { <p class="hint">{move || i18n.t(Key::HeldNone)}</p> }.into_any();
                    }
                    view! {
                        <ul class="pos-held__list">
                            {sales.into_iter().map(|sale| {
                                let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(sale.held_ms as f64));
                                let label = format!(
                                    "{:02}:{:02} · {} · {}",
                                    when.get_hours(),
                                    when.get_minutes(),
                                    sale.member.as_ref().map(|m| m.name.clone()).unwrap_or_else(|| i18n.t(Key::WalkInCustomer).to_owned()),
                                    sale.lines.iter().map(|line| line.quantity).sum::<i64>(),
                                );
                                let picked = sale.clone();
                                view! {
                                    <li>
                                        <button type="button" class="pos-lookup__row" data-testid="held-sale"
                                            on:click=move |_| resume(picked.clone())>
                                            <span>{label}</span>
                                            <span class="muted">{sale.lines.iter().map(|l| l.item.name.clone()).collect::<Vec<_>>().join("、")}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}
