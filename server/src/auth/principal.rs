//! Who is making a request: a staff member (with role, permissions and store scope) or a
//! member. Loaded once per request from the session token.

use crate::auth::session::{self, SubjectKind};
use crate::db::Db;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use huiyuan_shared::api::{RoleRef, StaffMe, StoreKind, StoreRef, SESSION_COOKIE};
use huiyuan_shared::{MemberId, Permission, StaffId, StoreId};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeSet;

/// The cookie that carries a member's session, apart from the staff cookie so that a
/// shop's tablet and a member's phone face never mix.
pub const MEMBER_SESSION_COOKIE: &str = "huiyuan_member_session";

#[derive(Clone, Debug)]
pub struct StaffPrincipal {
    pub id: StaffId,
    pub username: String,
    pub display_name: String,
    pub role: RoleRef,
    pub store: StoreRef,
    /// The scope's materialised path; every store whose path starts with it is covered.
    pub store_path: String,
    pub permissions: BTreeSet<Permission>,
}

impl StaffPrincipal {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// Whether the store at `path` lies within this account's scope.
    pub fn covers(&self, path: &str) -> bool {
        path.starts_with(&self.store_path)
    }

    pub fn me(&self) -> StaffMe {
        StaffMe {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role.clone(),
            store: self.store.clone(),
            permissions: self.permissions.iter().copied().collect(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct MemberPrincipal {
    pub id: MemberId,
    pub name: String,
}

/// The authenticated subject of a request and the token that proved it.
#[derive(Clone, Debug)]
pub enum Principal {
    Staff(StaffPrincipal, String),
    Member(MemberPrincipal, String),
}

/// The session token of a request: a bearer token first, then the cookie of the face the
/// path belongs to.
pub fn request_token(headers: &HeaderMap, path: &str) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(token) = value.strip_prefix("Bearer ") {
            return Some(token.trim().to_owned());
        }
    }
    let wanted = if path.starts_with("/api/v1/member/") {
        MEMBER_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, token)| token.to_owned())
}

/// Resolves the request's token to a principal; `None` when there is no live session or
/// the staff member has since left.
pub async fn resolve(db: &Db, parts: &Parts) -> Result<Option<Principal>, sqlx::Error> {
    let Some(token) = request_token(&parts.headers, parts.uri.path()) else {
        return Ok(None);
    };
    // Staff requests, the most frequent, find session, staff and permissions in one query.
    if !parts.uri.path().starts_with("/api/v1/member/") {
        if let Some(staff) = staff_by_token(db, &token).await? {
            return Ok(Some(Principal::Staff(staff, token)));
        }
    }
    let Some((kind, subject_id)) = session::lookup(&db.pool, &token).await? else {
        return Ok(None);
    };
    match kind {
        SubjectKind::Staff => Ok(load_staff(db, &subject_id)
            .await?
            .map(|staff| Principal::Staff(staff, token))),
        SubjectKind::Member => Ok(load_member(db, &subject_id)
            .await?
            .map(|member| Principal::Member(member, token))),
    }
}

/// The columns of a staff principal and one permission per row, from `staff s`, `roles r`
/// and `stores st`; `{from}` adds what the staff row is found by and `{filter}` the
/// conditions. The role's permissions and the member's own grants come as two halves of
/// one query, so a request's principal costs one round trip.
fn staff_query(from: &str, filter: &str) -> String {
    let columns = "s.id, s.username, s.display_name, r.code AS role_code, r.name AS role_name, \
         st.id AS store_id, st.code AS store_code, st.name AS store_name, st.kind AS store_kind, \
         st.path AS store_path, p.permission";
    let joins = "JOIN roles r ON r.id = s.role_id JOIN stores st ON st.id = s.store_id";
    format!(
        "SELECT {columns} {from} {joins} LEFT JOIN role_permissions p ON p.role_id = s.role_id \
         WHERE {filter} AND s.left_at IS NULL \
         UNION ALL SELECT {columns} {from} {joins} JOIN staff_permissions p ON p.staff_id = s.id \
         WHERE {filter} AND s.left_at IS NULL"
    )
}

fn staff_from_rows(rows: &[AnyRow]) -> Result<Option<StaffPrincipal>, sqlx::Error> {
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let permissions = rows
        .iter()
        .filter_map(|row| {
            row.try_get::<Option<String>, _>("permission")
                .ok()
                .flatten()
        })
        .filter_map(|code| code.parse().ok())
        .collect();
    let store_kind: String = row.try_get("store_kind")?;
    Ok(Some(StaffPrincipal {
        id: parse_id(row.try_get("id")?)?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: RoleRef {
            code: row.try_get("role_code")?,
            name: row.try_get("role_name")?,
        },
        store: StoreRef {
            id: parse_id::<StoreId>(row.try_get("store_id")?)?,
            code: row.try_get("store_code")?,
            name: row.try_get("store_name")?,
            kind: StoreKind::from_code(&store_kind).unwrap_or(StoreKind::Store),
        },
        store_path: row.try_get("store_path")?,
        permissions,
    }))
}

/// A staff member who may act now: not left. Their role's permissions and their own
/// grants together.
pub async fn load_staff(db: &Db, staff_id: &str) -> Result<Option<StaffPrincipal>, sqlx::Error> {
    let rows = sqlx::query(&staff_query("FROM staff s", "s.id = $1"))
        .bind(staff_id)
        .fetch_all(&db.pool)
        .await?;
    staff_from_rows(&rows)
}

/// The staff member a live session token belongs to, found with the session itself.
async fn staff_by_token(db: &Db, token: &str) -> Result<Option<StaffPrincipal>, sqlx::Error> {
    if token.is_empty() || token.len() > session::TOKEN_CHARS_MAX {
        return Ok(None);
    }
    let rows = sqlx::query(&staff_query(
        "FROM sessions se JOIN staff s ON s.id = se.subject_id",
        "se.token_hash = $1 AND se.expires_at > $2 AND se.subject_kind = 'staff'",
    ))
    .bind(session::token_hash(token))
    .bind(crate::db::now_ms())
    .fetch_all(&db.pool)
    .await?;
    staff_from_rows(&rows)
}

/// Only a formal member's session counts: one archived or merged into another member
/// after logging in loses its session at once (a merged duplicate's phone could belong to
/// someone else by now).
async fn load_member(db: &Db, member_id: &str) -> Result<Option<MemberPrincipal>, sqlx::Error> {
    let row = sqlx::query("SELECT id, name FROM members WHERE id = $1 AND status = 'active'")
        .bind(member_id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(MemberPrincipal {
        id: parse_id(row.try_get("id")?)?,
        name: row.try_get("name")?,
    }))
}

/// Parses an id column; a malformed id in the database is a decode error, not a panic.
pub fn parse_id<T: std::str::FromStr>(text: String) -> Result<T, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse()
        .map_err(|error: T::Err| sqlx::Error::Decode(Box::new(error)))
}
