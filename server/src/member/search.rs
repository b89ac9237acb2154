//! Member search (MEM-6): full phone, the phone's last four digits, member number, card
//! number, or part of a name. Each kind is one index probe (`members.phone`,
//! `members_phone_tail`, `members.member_no`, `member_cards`, `member_name_grams`), so it
//! stays in milliseconds among a million members.

use crate::auth::principal::parse_id;
use crate::error::AppError;
use huiyuan_shared::api::mask_mobile;
use huiyuan_shared::member::{
    MemberPage, MemberStatus, MemberSummary, SearchKind, SEARCH_PAGE_MAX,
};
use huiyuan_shared::FieldError;
use sqlx::{AnyConnection, Row};

/// Name fragments a search term may have at most (a longer term is cut).
const TERM_CHARS_MAX: usize = 20;

/// One search.
#[derive(Clone, Debug)]
pub struct Search {
    pub term: String,
    pub kind: SearchKind,
    /// Zero-based page.
    pub page: u32,
    pub limit: u32,
    /// Archived members too (HQ's archive view); merged duplicates never.
    pub include_archived: bool,
}

const COLUMNS: &str = "m.id, m.member_no, m.name, m.phone, m.status, m.level_id, \
    l.name AS level_name, m.store_id, m.frozen_at";

/// Runs a search: the best matches first, `limit` per page.
pub async fn search(
    connection: &mut AnyConnection,
    search: &Search,
) -> Result<MemberPage, AppError> {
    let term: String = search.term.trim().chars().take(TERM_CHARS_MAX).collect();
    if term.is_empty() {
        return Err(AppError::field(FieldError::required("q")));
    }
    if !(1..=SEARCH_PAGE_MAX).contains(&search.limit) {
        return Err(AppError::field(FieldError::new(
            "limit",
            "out_of_range",
            format!("每页条数应为 1–{SEARCH_PAGE_MAX}"),
        )));
    }
    let statuses = if search.include_archived {
        "('active', 'pending', 'archived')"
    } else {
        "('active', 'pending')"
    };
    let take = i64::from(search.limit) + 1;
    let skip = i64::from(search.page) * i64::from(search.limit);
    let kind = search.kind.resolve(&term);
    let rows = match kind {
        SearchKind::Phone => {
            let sql = format!(
                "SELECT {COLUMNS}, 'phone' AS matched FROM members m \
                 JOIN member_levels l ON l.id = m.level_id \
                 WHERE m.phone = $1 AND m.status IN {statuses}"
            );
            fetch(connection, &sql, &[&term], None).await?
        }
        SearchKind::PhoneTail => {
            let sql = format!(
                "SELECT {COLUMNS}, 'phone_tail' AS matched FROM members m \
                 JOIN member_levels l ON l.id = m.level_id \
                 WHERE m.phone_tail = $1 AND m.status IN {statuses} \
                 ORDER BY m.phone_tail, m.member_no LIMIT $2 OFFSET $3"
            );
            fetch(connection, &sql, &[&term], Some((take, skip))).await?
        }
        SearchKind::MemberNo | SearchKind::CardNo => {
            // A number typed at the counter may be either; a member number is tried first.
            let by_member_no = format!(
                "SELECT {COLUMNS}, 'member_no' AS matched FROM members m \
                 JOIN member_levels l ON l.id = m.level_id \
                 WHERE m.member_no = $1 AND m.status IN {statuses}"
            );
            let by_card_no = format!(
                "SELECT {COLUMNS}, 'card_no' AS matched FROM member_cards c \
                 JOIN members m ON m.id = c.member_id \
                 JOIN member_levels l ON l.id = m.level_id \
                 WHERE c.card_no = $1 AND m.status IN {statuses}"
            );
            let mut rows = Vec::new();
            if kind == SearchKind::MemberNo {
                rows = fetch(connection, &by_member_no, &[&term], None).await?;
            }
            if rows.is_empty() {
                rows = fetch(connection, &by_card_no, &[&term], None).await?;
            }
            rows
        }
        SearchKind::Name | SearchKind::Auto => {
            let lowered = term.to_lowercase();
            let chars = lowered.chars().filter(|c| !c.is_whitespace()).count();
            if chars <= 1 {
                // One character matches too many names to rank: they come in index order.
                let sql = format!(
                    "SELECT {COLUMNS}, 'name' AS matched FROM member_name_grams g \
                     JOIN members m ON m.id = g.member_id \
                     JOIN member_levels l ON l.id = m.level_id \
                     WHERE g.gram = $1 AND m.status IN {statuses} \
                     ORDER BY g.gram, g.member_id LIMIT $2 OFFSET $3"
                );
                fetch(connection, &sql, &[&lowered], Some((take, skip))).await?
            } else {
                // Every neighbouring pair must be among the name's fragments; the LIKE
                // then keeps names holding the term as one piece. Exact names rank
                // first, then names starting with the term, then shorter names.
                // The probe starts from the term's last pair: the first holds the surname,
                // which a few surnames share among millions (张伟 is everywhere), while
                // the given name's pair is rare; the other pairs are then checked per row.
                let letters: Vec<char> = lowered.chars().filter(|c| !c.is_whitespace()).collect();
                let mut pairs: Vec<String> = Vec::new();
                for pair in letters.windows(2).rev() {
                    let pair: String = pair.iter().collect();
                    if !pairs.contains(&pair) {
                        pairs.push(pair);
                    }
                }
                let pairs: Vec<&String> = pairs.iter().collect();
                let mut sql = format!(
                    "SELECT {COLUMNS}, 'name' AS matched FROM member_name_grams g \
                     JOIN members m ON m.id = g.member_id \
                     JOIN member_levels l ON l.id = m.level_id \
                     WHERE g.gram = $1 AND m.status IN {statuses}"
                );
                let mut binds: Vec<&str> = vec![pairs[0]];
                for pair in &pairs[1..] {
                    binds.push(pair);
                    sql.push_str(&format!(
                        " AND EXISTS (SELECT 1 FROM member_name_grams h \
                         WHERE h.gram = ${} AND h.member_id = m.id)",
                        binds.len()
                    ));
                }
                let contains = format!("%{}%", escape_like(&lowered));
                let starts = format!("{}%", escape_like(&lowered));
                let compact: String = lowered.chars().filter(|c| !c.is_whitespace()).collect();
                let (n_contains, n_exact, n_starts) =
                    (binds.len() + 1, binds.len() + 2, binds.len() + 3);
                sql.push_str(&format!(
                    " AND lower(m.name) LIKE ${n_contains} ESCAPE '\\' \
                     ORDER BY CASE WHEN lower(m.name) = ${n_exact} THEN 0 \
                     WHEN lower(m.name) LIKE ${n_starts} ESCAPE '\\' THEN 1 ELSE 2 END, \
                     length(m.name), m.member_no LIMIT ${} OFFSET ${}",
                    binds.len() + 4,
                    binds.len() + 5
                ));
                binds.push(&contains);
                binds.push(&compact);
                binds.push(&starts);
                fetch(connection, &sql, &binds, Some((take, skip))).await?
            }
        }
    };
    let more = rows.len() as i64 > i64::from(search.limit);
    let members = rows
        .iter()
        .take(search.limit as usize)
        .map(summary_of_row)
        .collect::<Result<_, _>>()?;
    Ok(MemberPage { members, more })
}

async fn fetch(
    connection: &mut AnyConnection,
    sql: &str,
    binds: &[&str],
    page: Option<(i64, i64)>,
) -> Result<Vec<sqlx::any::AnyRow>, AppError> {
    let mut query = sqlx::query(sql);
    for bind in binds {
        query = query.bind(bind.to_string());
    }
    if let Some((take, skip)) = page {
        query = query.bind(take).bind(skip);
    }
    Ok(query.fetch_all(&mut *connection).await?)
}

fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn summary_of_row(row: &sqlx::any::AnyRow) -> Result<MemberSummary, AppError> {
    let status: String = row.try_get("status")?;
    let phone: String = row.try_get("phone")?;
    let store_id: Option<String> = row.try_get("store_id")?;
    Ok(MemberSummary {
        id: parse_id(row.try_get("id")?)?,
        member_no: row.try_get("member_no")?,
        name: row.try_get("name")?,
        phone_masked: mask_mobile(&phone),
        status: MemberStatus::from_code(&status)
            .ok_or_else(|| anyhow::anyhow!("member status {status}"))?,
        level_id: row.try_get("level_id")?,
        level_name: row.try_get("level_name")?,
        store_id: match store_id {
            Some(store) => Some(parse_id(store)?),
            None => None,
        },
        frozen: row.try_get::<Option<i64>, _>("frozen_at")?.is_some(),
        matched: row.try_get("matched")?,
    })
}
