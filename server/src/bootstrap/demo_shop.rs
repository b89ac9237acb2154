//! The demo shop's rules and shelf, so a newcomer's first sale earns points, can be paid
//! partly with points, and a top-up gets a bonus. Loaded by `huiyuan demo-data` (and so
//! by `cargo xtask run`), never by the tests, which set up their own rules and items.

use crate::db::{now_ms, Db};
use crate::sale;
use huiyuan_shared::rules::RuleSet;
use serde_json::json;
use uuid::Uuid;

/// Categories by path segment and name, parents first.
const CATEGORIES: &[(&str, Option<&str>, &str)] = &[
    ("drinks", None, "饮品"),
    ("tea", Some("drinks"), "茶饮"),
    ("coffee", Some("drinks"), "咖啡"),
    ("snacks", None, "零食"),
    ("tobacco", None, "烟草"),
];

/// Code, the first twelve digits of the EAN-13 barcode, name, category, unit, retail
/// price, member price, earns points.
type DemoItem = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
    bool,
);

const ITEMS: &[DemoItem] = &[
    (
        "T001",
        "690123456701",
        "西湖龙井绿茶",
        "tea",
        "杯",
        1_800,
        Some(1_600),
        true,
    ),
    (
        "T002",
        "690123456702",
        "茉莉花茶",
        "tea",
        "杯",
        1_250,
        Some(1_100),
        true,
    ),
    (
        "T003",
        "690123456703",
        "桂花乌龙",
        "tea",
        "杯",
        1_500,
        None,
        true,
    ),
    (
        "C001",
        "690123456711",
        "美式咖啡",
        "coffee",
        "杯",
        2_200,
        Some(1_980),
        true,
    ),
    (
        "C002",
        "690123456712",
        "拿铁",
        "coffee",
        "杯",
        2_800,
        Some(2_500),
        true,
    ),
    (
        "S001",
        "690123456721",
        "手工曲奇",
        "snacks",
        "盒",
        3_600,
        Some(3_200),
        true,
    ),
    (
        "S002",
        "690123456722",
        "坚果礼盒",
        "snacks",
        "盒",
        8_800,
        None,
        true,
    ),
    (
        "Y001",
        "690123456731",
        "香烟（示例）",
        "tobacco",
        "包",
        2_500,
        None,
        false,
    ),
];

/// Items that can also be taken for points: code, points price.
const GIFTS: &[(&str, i64)] = &[("S001", 3_000), ("S002", 8_000)];

/// The 13th digit of an EAN-13 barcode.
fn ean13(first_twelve: &str) -> String {
    let sum: u32 = first_twelve
        .chars()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(index, digit)| if index % 2 == 0 { digit } else { digit * 3 })
        .sum();
    format!("{first_twelve}{}", (10 - sum % 10) % 10)
}

/// Loads the rules and the shelf unless the database already has rules or items.
pub async fn load(db: &Db) -> anyhow::Result<bool> {
    let existing: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM rule_sets) + (SELECT COUNT(*) FROM items)",
    )
    .fetch_one(&db.pool)
    .await?;
    if existing > 0 {
        return Ok(false);
    }
    let rules: RuleSet = serde_json::from_value(json!({
        "version": 0,
        "earn_rules": [{ "id": "earn-base", "name": "消费积分：每元1分", "enabled": true, "points_per_yuan": "1" }],
        "points_payment_rules": [{ "id": "pay-points", "name": "积分抵现：100分抵1元", "enabled": true,
            "points_per_yuan": 100, "max_share_bp": 5000, "min_points": 100 }],
        "topup_plans": [{ "id": "topup-bonus", "name": "充500送50，充1000送150", "enabled": true,
            "tiers": [{ "threshold": 50_000, "bonus": { "type": "fixed", "amount": 5_000 } },
                      { "threshold": 100_000, "bonus": { "type": "fixed", "amount": 15_000 } }] }],
        "registration": { "approval_required": true, "referral_points": 100 }
    }))?;
    let now = now_ms();
    let mut tx = db.writer.begin().await?;
    sale::save_rules(&mut tx, rules, None)
        .await
        .map_err(|error| anyhow::anyhow!("demo rules: {error}"))?;
    let mut ids: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    let mut paths: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for (key, parent, name) in CATEGORIES {
        let id = Uuid::now_v7().to_string();
        let parent_path = parent.map_or(String::from("/"), |p| paths[p].clone());
        let path = format!("{parent_path}{id}/");
        sqlx::query(
            "INSERT INTO categories (id, parent_id, name, path, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(parent.map(|p| ids[p].clone()))
        .bind(*name)
        .bind(&path)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        ids.insert(*key, id);
        paths.insert(*key, path);
    }
    for (code, barcode, name, category, unit, retail, member, earns) in ITEMS {
        sqlx::query(
            "INSERT INTO items (id, code, barcode, name, category_id, unit, retail_price_fen, member_price_fen, \
             earns_points, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(*code)
        .bind(ean13(barcode))
        .bind(*name)
        .bind(&ids[category])
        .bind(*unit)
        .bind(*retail)
        .bind(*member)
        .bind(i64::from(*earns))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // Two gifts members may take for points at the counter (积分兑换).
    for (code, points) in GIFTS {
        sqlx::query("UPDATE items SET points_price = $1 WHERE code = $2")
            .bind(*points)
            .bind(*code)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::ean13;

    #[test]
    fn barcodes_get_their_ean13_check_digit() {
        // A published example: 400638133393 → 4006381333931.
        assert_eq!(ean13("400638133393"), "4006381333931");
        assert_eq!(ean13("690123456789"), "6901234567892");
    }
}
