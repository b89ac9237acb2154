//! Checkout (SALE-1, SV-2, PTS-5): the server prices the cart again with the shared rules
//! engine, checks that the payments cover it, and posts every transfer of the sale in one
//! transaction: tenders to the store's takings, stored value (principal and bonus in
//! proportion to what the member holds), points as payment, and the points earned.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::StaffPrincipal;
use crate::db::{ms_to_rfc3339, now_ms};
use crate::error::AppError;
use crate::giftcard;
use crate::ledger::{self, AccountKey, NewTransfer, PostingContext, TransferKind};
use crate::level;
use crate::scope;
use huiyuan_shared::rules::{
    self, Cart, CartLine, LocalDate, LocalDateTime, MemberContext, PaidBreakdown, RuleSet,
};
use huiyuan_shared::sale::{Payment, PaymentMethod, SaleReceipt, SaleRequest, SALE_PAYMENTS_MAX};
use huiyuan_shared::{FieldError, Money, Permission, ValidationErrors};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// The organisation's business time: Asia/Shanghai, UTC+8 all year (China keeps no
/// daylight saving). Report days, birthdays and rule dates are in this time.
pub const BUSINESS_UTC_OFFSET_MS: i64 = 8 * 60 * 60 * 1_000;

/// The business date and minute of an instant.
pub fn business_time(ms: i64) -> LocalDateTime {
    let local = time::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(ms + BUSINESS_UTC_OFFSET_MS) * 1_000_000,
    )
    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    LocalDateTime {
        date: LocalDate {
            year: local.year(),
            month: u8::from(local.month()),
            day: local.day(),
        },
        minute_of_day: u16::from(local.hour()) * 60 + u16::from(local.minute()),
    }
}

/// An instant as the business clock shows it, e.g. `11-22 15:30`, for messages.
pub fn business_clock(ms: i64) -> String {
    let local = business_time(ms);
    format!(
        "{:02}-{:02} {:02}:{:02}",
        local.date.month,
        local.date.day,
        local.minute_of_day / 60,
        local.minute_of_day % 60
    )
}

/// The rules in force: the newest saved version, or none at all.
pub async fn current_rules(connection: &mut AnyConnection) -> Result<RuleSet, AppError> {
    let row = sqlx::query("SELECT rules_json FROM rule_sets ORDER BY version DESC LIMIT 1")
        .fetch_optional(&mut *connection)
        .await?;
    match row {
        Some(row) => {
            let text: String = row.try_get("rules_json")?;
            serde_json::from_str(&text).map_err(|error| AppError::Internal(error.into()))
        }
        None => Ok(RuleSet::default()),
    }
}

/// Stores a new version of the rules after the engine has checked them.
pub async fn save_rules(
    connection: &mut AnyConnection,
    mut rules: RuleSet,
    staff_id: Option<&str>,
) -> Result<i64, AppError> {
    rules
        .check()
        .map_err(|error| AppError::field(error.into()))?;
    let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM rule_sets")
        .fetch_one(&mut *connection)
        .await?
        .try_get("next")?;
    rules.version = version;
    let text = serde_json::to_string(&rules).map_err(|error| AppError::Internal(error.into()))?;
    sqlx::query("INSERT INTO rule_sets (version, rules_json, created_at, created_by) VALUES ($1, $2, $3, $4)")
        .bind(version)
        .bind(text)
        .bind(now_ms())
        .bind(staff_id)
        .execute(&mut *connection)
        .await?;
    Ok(version)
}

/// An item's category path as the engine wants it: the stored `/a/b/` as `[a, b]`, root
/// first; none for an item without a category.
pub(crate) fn category_path(stored: Option<&str>) -> Vec<String> {
    stored
        .unwrap_or_default()
        .split('/')
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The cart as the engine needs it, from the catalogue. An unknown or withdrawn item is
/// named by its line.
async fn cart(connection: &mut AnyConnection, request: &SaleRequest) -> Result<Cart, AppError> {
    let mut lines = Vec::with_capacity(request.lines.len());
    let mut errors = ValidationErrors::default();
    for (index, line) in request.lines.iter().enumerate() {
        let row = sqlx::query(
            "SELECT i.retail_price_fen, i.member_price_fen, i.earns_points, c.path \
             FROM items i LEFT JOIN categories c ON c.id = i.category_id \
             WHERE i.id = $1 AND i.deleted_at IS NULL AND i.active = 1",
        )
        .bind(&line.item_id)
        .fetch_optional(&mut *connection)
        .await?;
        let Some(row) = row else {
            errors.fields.push(FieldError::new(
                &format!("lines[{index}].item_id"),
                "unknown_item",
                "商品不存在或已停售",
            ));
            continue;
        };
        let path: Option<String> = row.try_get("path")?;
        lines.push(CartLine {
            item_id: line.item_id.clone(),
            category_path: category_path(path.as_deref()),
            quantity: line.quantity,
            unit_price: Money(row.try_get("retail_price_fen")?),
            member_price: row
                .try_get::<Option<i64>, _>("member_price_fen")?
                .map(Money),
            earns_points: row.try_get::<i64, _>("earns_points")? == 1,
            manual_discount: line.manual_discount,
        });
    }
    errors.into_result()?;
    Ok(Cart {
        store_id: request.store_id,
        lines,
    })
}

fn refuse(field: &str, code: &str, message: &str) -> AppError {
    AppError::field(FieldError::new(field, code, message))
}

/// The most an amount-only sale may be: ¥1,000,000.00.
pub const AMOUNT_ONLY_FEN_MAX: i64 = 100_000_000;

/// Stands for the whole amount of an amount-only sale in the engine's cart.
const AMOUNT_ONLY_ITEM: &str = "*amount";

/// Checks the shape of the sale and its payments before anything is read.
fn check_payments(request: &SaleRequest) -> Result<(), AppError> {
    match request.amount_fen {
        Some(_) if !request.lines.is_empty() => {
            return Err(refuse("lines", "unexpected", "整单金额消费不能带商品明细"))
        }
        Some(amount) if amount <= 0 || amount > AMOUNT_ONLY_FEN_MAX => {
            return Err(refuse(
                "amount_fen",
                "out_of_range",
                "消费金额应大于0且不超过1,000,000元",
            ))
        }
        Some(_) if request.member_id.is_none() => {
            return Err(refuse(
                "member_id",
                "member_required",
                "整单金额消费须识别会员",
            ))
        }
        Some(_) => {}
        None if request.lines.is_empty() => return Err(refuse("lines", "required", "购物车为空")),
        None => {}
    }
    if request.payments.len() > SALE_PAYMENTS_MAX {
        return Err(refuse("payments", "too_many", "付款方式过多"));
    }
    for (index, payment) in request.payments.iter().enumerate() {
        if payment.amount_fen <= 0 {
            return Err(refuse(
                &format!("payments[{index}].amount_fen"),
                "not_positive",
                "付款金额须大于0",
            ));
        }
        let member_only = matches!(
            payment.method,
            PaymentMethod::StoredValue | PaymentMethod::Points
        );
        if member_only && request.member_id.is_none() {
            return Err(refuse(
                &format!("payments[{index}].method"),
                "member_required",
                "储值或积分付款须先识别会员",
            ));
        }
        let is_card = payment.method == PaymentMethod::GiftCard;
        if is_card && payment.card_no.as_deref().is_none_or(str::is_empty) {
            return Err(refuse(
                &format!("payments[{index}].card_no"),
                "required",
                "请输入礼品卡号",
            ));
        }
        if is_card && payment.pin.as_deref().is_none_or(str::is_empty) {
            return Err(refuse(
                &format!("payments[{index}].pin"),
                "required",
                "请输入礼品卡密码",
            ));
        }
        if is_card
            && request.payments[..index]
                .iter()
                .any(|earlier| earlier.card_no == payment.card_no)
        {
            return Err(refuse(
                &format!("payments[{index}].card_no"),
                "duplicate",
                "同一张礼品卡请合并为一笔付款",
            ));
        }
        if !is_card && (payment.card_no.is_some() || payment.pin.is_some()) {
            return Err(refuse(
                &format!("payments[{index}].card_no"),
                "unexpected",
                "只有礼品卡付款可填卡号和密码",
            ));
        }
        match (payment.method, payment.points) {
            (PaymentMethod::Points, Some(points)) if points > 0 => {}
            (PaymentMethod::Points, _) => {
                return Err(refuse(
                    &format!("payments[{index}].points"),
                    "required",
                    "请填写抵扣积分数",
                ))
            }
            (_, Some(_)) => {
                return Err(refuse(
                    &format!("payments[{index}].points"),
                    "unexpected",
                    "只有积分付款可填积分数",
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Sums one kind of payment, in 分.
fn paid_with(payments: &[Payment], wanted: impl Fn(PaymentMethod) -> bool) -> i64 {
    payments
        .iter()
        .filter(|p| wanted(p.method))
        .map(|p| p.amount_fen)
        .sum()
}

/// A sale a tablet made without the network, sent later by sync push. Its PIN was
/// checked by the till against the cached verifier; it must keep within the rules'
/// offline limits; and it is recorded even when another till has spent the member's
/// value meanwhile, the overdraft recorded for HQ.
#[derive(Clone, Copy, Debug)]
pub struct OfflineSale {
    pub device_id: uuid::Uuid,
}

/// What an overdraft left the member short of, when an offline sale overdrew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Shortfall {
    fen: i64,
    points: i64,
}

/// Carries out a sale inside the writer's transaction and returns its receipt. An
/// online sale (`offline: None`) is refused when the member's value does not cover it.
pub async fn checkout(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    request: SaleRequest,
    offline: Option<OfflineSale>,
) -> Result<SaleReceipt, AppError> {
    check_payments(&request)?;
    if request
        .lines
        .iter()
        .any(|line| line.manual_discount.is_some())
        && !staff.can(Permission::PosDiscountLine)
    {
        return Err(AppError::Forbidden(Permission::PosDiscountLine));
    }
    let store_code = scope::counter_store(connection, staff, request.store_id).await?;
    let occurred_at = scope::occurred_at(request.occurred_at.as_deref())?;
    let member_id = request.member_id.map(|id| id.to_string());
    let member = match &member_id {
        Some(id) => Some(level::member_context(connection, id).await?),
        None => None,
    };
    let rules = current_rules(connection).await?;
    let now = now_ms();
    // A sale rung up earlier (an offline till sending it later) is priced at the till's
    // time, as the till priced it: a promotion's hours or a birthday that ended since
    // must not turn what the customer paid into an underpayment.
    let local = business_time(occurred_at.filter(|at| *at <= now).unwrap_or(now));
    let (cart, quote) = match (request.amount_fen, &member) {
        (Some(amount), Some(member)) => amount_only_quote(&request, amount, member, &rules, local)?,
        _ => {
            let cart = cart(connection, &request).await?;
            let quote = rules::price(&cart, member.as_ref(), &rules, local)
                .map_err(|error| AppError::field(error.into()))?;
            (cart, quote)
        }
    };
    let due = quote.totals.amount_due.fen();

    let total: i64 = request.payments.iter().map(|p| p.amount_fen).sum();
    let cash = paid_with(&request.payments, |m| m == PaymentMethod::Cash);
    if total - cash > due {
        return Err(refuse("payments", "overpaid", "非现金付款超过应收金额"));
    }
    if total < due {
        return Err(AppError::Refused {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: huiyuan_shared::api::error_code::INVALID_INPUT,
            message: format!("付款不足：应收{}，已付{}", Money(due), Money(total)),
            details: json!({ "fields": [FieldError::new("payments", "underpaid", "付款不足")], "due_fen": due, "paid_fen": total }),
        });
    }
    let change = total - due;

    let points_paid: i64 = request.payments.iter().filter_map(|p| p.points).sum();
    let stored_value = paid_with(&request.payments, |m| m == PaymentMethod::StoredValue);
    if offline.is_some() {
        check_offline_limits(&request, &rules, stored_value, points_paid)?;
    }
    // Only a payment from the member's value needs their balances before the sale.
    let balances = match &member_id {
        Some(id) if request.spends_member_value() => {
            if offline.is_some() {
                lock_member_accounts(connection, id).await?;
            }
            ledger::member_balances(connection, id).await?
        }
        _ => Default::default(),
    };
    // What an offline sale takes beyond what the member holds (never anything online:
    // there the balances below refuse it).
    let shortfall = match offline {
        Some(_) => Shortfall {
            fen: (stored_value - balances.principal_fen.max(0) - balances.bonus_fen.max(0)).max(0),
            points: (points_paid - balances.points.max(0)).max(0),
        },
        None => Shortfall::default(),
    };
    let points_value = paid_with(&request.payments, |m| m == PaymentMethod::Points);
    if points_paid > 0 {
        // An offline sale's points were checked against the cache; what they overdraw
        // is the shortfall, not a refusal.
        let held = balances.points.max(0) + shortfall.points;
        let value = rules::check_points_payment(&quote, points_paid, held)
            .map_err(|error| AppError::field(FieldError::from(error)))?;
        if value.fen() != points_value {
            return Err(refuse(
                "payments",
                "points_value",
                &format!("{points_paid}积分可抵{value}"),
            ));
        }
    }
    let (principal_part, bonus_part) = if stored_value > 0 {
        if offline.is_none() && stored_value > balances.value_fen() {
            return Err(AppError::from(ledger::LedgerError::Insufficient {
                account: "member:principal".to_owned(),
                needed: stored_value,
            }));
        }
        // What the member holds is split in proportion; an overdraft's shortfall is
        // taken from principal, which the member owes back in money.
        let covered = stored_value - shortfall.fen;
        let (principal, bonus) = if covered > 0 {
            let parts = rules::split_proportionally(
                Money(covered),
                &[
                    Money(balances.principal_fen.max(0)),
                    Money(balances.bonus_fen.max(0)),
                ],
            )
            .map_err(|error| AppError::field(error.into()))?;
            (parts[0].fen(), parts[1].fen())
        } else {
            (0, 0)
        };
        (principal + shortfall.fen, bonus)
    } else {
        (0, 0)
    };
    let store = request.store_id.to_string();
    // Gift cards are checked (state, PIN, balance) and their transfers made here, inside
    // the sale's transaction; a wrong PIN is counted by the caller once it has ended.
    let mut card_transfers = Vec::new();
    for payment in &request.payments {
        if let (PaymentMethod::GiftCard, Some(card_no), Some(pin)) =
            (payment.method, &payment.card_no, &payment.pin)
        {
            let spend =
                giftcard::spend(connection, card_no, pin, payment.amount_fen, &store, now).await?;
            card_transfers.extend(spend.transfers);
        }
    }
    let gift_card = paid_with(&request.payments, |m| m == PaymentMethod::GiftCard);
    let paid = PaidBreakdown {
        points: Money(points_value),
        stored_value_bonus: Money(bonus_part),
        gift_card: Money(gift_card),
        other: Money(due - points_value - bonus_part - gift_card),
    };
    let earned = match &member {
        Some(context) => {
            rules::points_to_earn(&quote, &paid, Some(context), &rules, &cart, local)
                .map_err(|error| AppError::field(error.into()))?
                .points
        }
        None => 0,
    };

    let mut transfers = card_transfers;
    let mut push = |debit, credit, amount: i64, kind, expire| {
        if amount > 0 {
            transfers.push(NewTransfer {
                debit,
                credit,
                amount,
                kind,
                memo: None,
                points_expire_at: expire,
            });
        }
    };
    // Change comes out of the cash handed over: only the cash that stays is takings.
    let mut cash_kept = cash - change;
    for payment in &request.payments {
        let applied = if payment.method == PaymentMethod::Cash {
            let kept = payment.amount_fen.min(cash_kept);
            cash_kept -= kept;
            kept
        } else {
            payment.amount_fen
        };
        match payment.method {
            PaymentMethod::Cash
            | PaymentMethod::BankCard
            | PaymentMethod::Wechat
            | PaymentMethod::Alipay => push(
                AccountKey::store_tender(&store, payment.method.code()),
                AccountKey::store_sales(&store),
                applied,
                TransferKind::Payment,
                None,
            ),
            PaymentMethod::StoredValue | PaymentMethod::Points | PaymentMethod::GiftCard => {}
        }
    }
    if let Some(member) = &member_id {
        push(
            AccountKey::member_principal(member),
            AccountKey::store_sales(&store),
            principal_part,
            TransferKind::Spend,
            None,
        );
        push(
            AccountKey::member_bonus(member),
            AccountKey::store_sales(&store),
            bonus_part,
            TransferKind::Spend,
            None,
        );
        push(
            AccountKey::member_points(member),
            AccountKey::store_points_redeemed(&store),
            points_paid,
            TransferKind::Redeem,
            None,
        );
        push(
            AccountKey::store_points_funding(&store),
            AccountKey::store_sales(&store),
            points_value,
            TransferKind::Payment,
            None,
        );
        push(
            AccountKey::store_points_issued(&store),
            AccountKey::member_points(member),
            earned,
            TransferKind::Earn,
            ledger::expiry::lot_expires_at(&rules, now),
        );
    }
    let context = PostingContext {
        command_id: request.id.to_string(),
        store_id: Some(store.clone()),
        staff_id: Some(staff.id.to_string()),
        device_id: offline.map(|sale| sale.device_id.to_string()),
        occurred_at,
    };
    if shortfall == Shortfall::default() {
        ledger::post_transfers(connection, &context, &transfers).await?;
    } else {
        ledger::post_transfers_overdrawing(connection, &context, &transfers).await?;
    }

    let receipt_no = next_receipt_no(connection, &store, &store_code, local.date).await?;
    let after = match &member_id {
        Some(id) => Some(ledger::member_balances(connection, id).await?),
        None => None,
    };
    let receipt = SaleReceipt {
        id: request.id,
        receipt_no,
        store_id: request.store_id,
        member_id: request.member_id,
        // An amount-only sale has no goods on its receipt, only its total.
        lines: if request.amount_fen.is_some() {
            Vec::new()
        } else {
            quote.lines
        },
        totals: quote.totals,
        payments: request.without_pins().payments,
        change_fen: change,
        points_earned: earned,
        points_paid,
        member_attached_at: None,
        balances: after,
        rules_version: rules.version,
        recorded_at: ms_to_rfc3339(now),
    };
    record_sale(connection, staff, &receipt, now, occurred_at).await?;
    if let (Some(sale), Some(member)) = (offline, &member_id) {
        if shortfall != Shortfall::default() {
            let sale_id = receipt.id.to_string();
            let overdraft = crate::sync::overdraft::Overdraft {
                by: crate::sync::overdraft::Overdrawn::Sale(&sale_id),
                member_id: member,
                store_id: &store,
                device_id: sale.device_id,
                shortfall_fen: shortfall.fen,
                shortfall_points: shortfall.points,
                occurred_at,
                recorded_at: now,
            };
            crate::sync::overdraft::record(connection, staff, &overdraft).await?;
        }
    }
    // The sale counts towards the member's level from now on; the better discount and
    // multiplier apply from their next sale.
    if let Some(id) = &member_id {
        level::upgrade::after_sale(connection, id, now).await?;
    }
    Ok(receipt)
}

/// An offline sale may spend at most the rules' per-member offline limits of stored
/// value and points: a till that keeps to them never sends more, so more is refused.
fn check_offline_limits(
    request: &SaleRequest,
    rules: &RuleSet,
    stored_value: i64,
    points: i64,
) -> Result<(), AppError> {
    let policy = &rules.counter;
    let first = |method: PaymentMethod| {
        request
            .payments
            .iter()
            .position(|payment| payment.method == method)
            .unwrap_or_default()
    };
    let over = |field: String, limit: i64, asked: i64, message: String| AppError::Refused {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        code: huiyuan_shared::api::error_code::OFFLINE_LIMIT_EXCEEDED,
        message,
        details: json!({
            "fields": [FieldError::new(&field, "offline_limit_exceeded", "超过离线消费限额")],
            "limit": limit,
            "asked": asked,
        }),
    };
    if stored_value > policy.offline_value_per_member_fen {
        return Err(over(
            format!("payments[{}].amount_fen", first(PaymentMethod::StoredValue)),
            policy.offline_value_per_member_fen,
            stored_value,
            format!(
                "离线储值消费{}超过每位会员限额{}",
                Money(stored_value),
                Money(policy.offline_value_per_member_fen)
            ),
        ));
    }
    if points > policy.offline_points_per_member {
        return Err(over(
            format!("payments[{}].points", first(PaymentMethod::Points)),
            policy.offline_points_per_member,
            points,
            format!(
                "离线积分抵扣{points}超过每位会员限额{}",
                policy.offline_points_per_member
            ),
        ));
    }
    Ok(())
}

/// Takes the member's account rows before their balances are read, so the overdraft an
/// offline sale records is the one it makes: on PostgreSQL a concurrent spender waits
/// for this sale (SQLite's one writer orders them anyway).
pub(crate) async fn lock_member_accounts(
    connection: &mut AnyConnection,
    member_id: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE accounts SET balance = balance WHERE owner_kind = 'member' AND owner_id = $1",
    )
    .bind(member_id)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Prices an amount-only sale (会员下帐, 现金积分): the amount typed is what is due, with
/// no discount, member price, buy-X-get-Y or 抹零, since there are no goods to apply them
/// to; points payment and earning follow the rules like any sale.
fn amount_only_quote(
    request: &SaleRequest,
    amount: i64,
    member: &MemberContext,
    rules: &RuleSet,
    local: LocalDateTime,
) -> Result<(Cart, rules::Quote), AppError> {
    let cart = Cart {
        store_id: request.store_id,
        lines: vec![CartLine {
            item_id: AMOUNT_ONLY_ITEM.to_owned(),
            category_path: Vec::new(),
            quantity: 1,
            unit_price: Money(amount),
            member_price: None,
            earns_points: true,
            manual_discount: None,
        }],
    };
    let undiscounted = MemberContext {
        level_discount_bp: rules::BASIS_POINTS_FULL,
        member_prices: false,
        ..member.clone()
    };
    let pricing = RuleSet {
        buy_get_rules: Vec::new(),
        rounding_rules: Vec::new(),
        ..rules.clone()
    };
    let quote = rules::price(&cart, Some(&undiscounted), &pricing, local)
        .map_err(|error| AppError::field(error.into()))?;
    Ok((cart, quote))
}

/// The next receipt number of the store's business day, e.g. `S001-20261122-00042`.
/// Redemptions take theirs from the same counter, so a number names one or the other.
pub(crate) async fn next_receipt_no(
    connection: &mut AnyConnection,
    store_id: &str,
    code: &str,
    day: LocalDate,
) -> Result<String, AppError> {
    let day = format!("{:04}{:02}{:02}", day.year, day.month, day.day);
    let last: i64 = sqlx::query(
        "INSERT INTO receipt_counters (store_id, day, last) VALUES ($1, $2, 1) \
         ON CONFLICT (store_id, day) DO UPDATE SET last = receipt_counters.last + 1 RETURNING last",
    )
    .bind(store_id)
    .bind(&day)
    .fetch_one(&mut *connection)
    .await?
    .try_get("last")?;
    Ok(format!("{code}-{day}-{last:05}"))
}

async fn record_sale(
    connection: &mut AnyConnection,
    staff: &StaffPrincipal,
    receipt: &SaleReceipt,
    now: i64,
    occurred_at: Option<i64>,
) -> Result<(), AppError> {
    let receipt_json =
        serde_json::to_string(receipt).map_err(|error| AppError::Internal(error.into()))?;
    sqlx::query(
        "INSERT INTO sales (id, receipt_no, store_id, staff_id, member_id, amount_due, points_earned, points_paid, \
         rules_version, receipt_json, recorded_at, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(receipt.id.to_string())
    .bind(&receipt.receipt_no)
    .bind(receipt.store_id.to_string())
    .bind(staff.id.to_string())
    .bind(receipt.member_id.map(|id| id.to_string()))
    .bind(receipt.totals.amount_due.fen())
    .bind(receipt.points_earned)
    .bind(receipt.points_paid)
    .bind(receipt.rules_version)
    .bind(receipt_json)
    .bind(now)
    .bind(occurred_at)
    .execute(&mut *connection)
    .await?;
    let actor = Actor::staff(staff);
    let mut event = AuditEvent::new(&actor, "sale.create", "sale");
    event.entity_id = Some(receipt.id.to_string());
    event.store_id = Some(receipt.store_id);
    event.after = Some(json!({
        "receipt_no": receipt.receipt_no,
        "member_id": receipt.member_id,
        "amount_due_fen": receipt.totals.amount_due.fen(),
        "points_earned": receipt.points_earned,
        "points_paid": receipt.points_paid,
    }));
    audit::record(connection, event).await?;
    Ok(())
}
