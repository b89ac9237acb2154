//! Data every organisation starts with (the built-in roles), the first administrator,
//! and the demo organisation a newcomer logs in to.

use crate::audit::{self, Actor, AuditEvent};
use crate::auth::password;
use crate::db::{now_ms, Db};
use crate::member::record::NewMember;
use huiyuan_shared::api::StoreKind;
use huiyuan_shared::member::MemberStatus;
use huiyuan_shared::permission::BuiltinRole;
use huiyuan_shared::validate::{
    check_new_password, normalize_mobile, normalize_name, normalize_username,
};
use huiyuan_shared::{StaffId, StoreId};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

/// The password of every demo account. While any account still has it, `serve` listens
/// on loopback only.
pub mod demo_shop;

pub const DEMO_PASSWORD: &str = "demo1234";

/// Creates the built-in roles and gives them any permission added since they were made.
pub async fn ensure_roles(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.writer.begin().await?;
    for role in BuiltinRole::ALL {
        sqlx::query(
            "INSERT INTO roles (id, code, name) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(role.code())
        .bind(role.label())
        .execute(&mut *tx)
        .await?;
        let role_id: String = sqlx::query("SELECT id FROM roles WHERE code = $1")
            .bind(role.code())
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        for permission in role.permissions() {
            sqlx::query(
                "INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(&role_id)
            .bind(permission.code())
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Adds a node to the organisation tree below `parent`.
pub async fn create_store(
    tx: &mut AnyConnection,
    parent: Option<(&StoreId, &str)>,
    kind: StoreKind,
    code: &str,
    name: &str,
) -> anyhow::Result<(StoreId, String)> {
    let id = StoreId::new();
    let path = format!("{}{code}/", parent.map_or("/", |(_, path)| path));
    sqlx::query(
        "INSERT INTO stores (id, parent_id, kind, code, name, path, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(parent.map(|(id, _)| id.to_string()))
    .bind(kind.code())
    .bind(code)
    .bind(name)
    .bind(&path)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let mut event = AuditEvent::new(&Actor::System, "store.create", "store");
    event.entity_id = Some(id.to_string());
    event.store_id = Some(id);
    event.after = Some(json!({ "code": code, "name": name, "kind": kind.code() }));
    audit::record(tx, event).await?;
    Ok((id, path))
}

pub struct NewStaff<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: BuiltinRole,
    pub store_id: StoreId,
}

/// Adds a staff account after validating every field.
pub async fn create_staff(tx: &mut AnyConnection, new: NewStaff<'_>) -> anyhow::Result<StaffId> {
    let username = normalize_username("username", new.username)?;
    let display_name = normalize_name("display_name", new.display_name)?;
    check_new_password("password", new.password)?;
    let role_id: String = sqlx::query("SELECT id FROM roles WHERE code = $1")
        .bind(new.role.code())
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
    let id = StaffId::new();
    let now = now_ms();
    let hash = password::hash(new.password.to_owned()).await?;
    sqlx::query(
        "INSERT INTO staff (id, username, display_name, password_hash, demo_password, role_id, store_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.to_string())
    .bind(&username)
    .bind(&display_name)
    .bind(hash)
    .bind(i64::from(new.password == DEMO_PASSWORD))
    .bind(&role_id)
    .bind(new.store_id.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut event = AuditEvent::new(&Actor::System, "staff.create", "staff");
    event.entity_id = Some(id.to_string());
    event.store_id = Some(new.store_id);
    event.after = Some(
        json!({ "username": username, "display_name": display_name, "role": new.role.code() }),
    );
    audit::record(tx, event).await?;
    Ok(id)
}

/// Whether any staff account that can still log in has the published demo password.
pub async fn demo_password_in_use(db: &Db) -> anyhow::Result<bool> {
    let count: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM staff WHERE demo_password = 1 AND left_at IS NULL")
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?;
    Ok(count > 0)
}

/// Creates the first administrator at HQ, creating HQ itself if the tree is empty.
pub async fn create_admin(
    db: &Db,
    username: &str,
    display_name: &str,
    password: &str,
) -> anyhow::Result<StaffId> {
    ensure_roles(db).await?;
    let mut tx = db.writer.begin().await?;
    let hq =
        sqlx::query("SELECT id FROM stores WHERE parent_id IS NULL ORDER BY created_at LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let hq_id = match hq {
        Some(row) => row.try_get::<String, _>("id")?.parse()?,
        None => {
            create_store(&mut tx, None, StoreKind::Hq, "HQ", "总部")
                .await?
                .0
        }
    };
    let id = create_staff(
        &mut tx,
        NewStaff {
            username,
            display_name,
            password,
            role: BuiltinRole::Admin,
            store_id: hq_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The demo members: name, phone.
const DEMO_MEMBERS: &[(&str, &str)] = &[
    ("张三丰", "13800138000"),
    ("李小龙", "13900139000"),
    ("王菲", "13700137000"),
    ("欧阳娜娜", "13600136000"),
    ("阿依古丽·买买提", "15000150000"),
];

/// Loads the demo organisation once: HQ, one region, two stores, the staff `admin`,
/// `manager`, `cashier` and `lead`, and a few members, all with the password `demo1234`.
/// Returns false when demo data (or any organisation) is already there.
pub async fn load_demo_data(db: &Db) -> anyhow::Result<bool> {
    ensure_roles(db).await?;
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM stores")
        .fetch_one(&db.pool)
        .await?
        .try_get("n")?;
    if existing > 0 {
        return Ok(false);
    }
    let mut tx = db.writer.begin().await?;
    let (hq, hq_path) = create_store(&mut tx, None, StoreKind::Hq, "HQ", "惠远连锁总部").await?;
    let (east, east_path) = create_store(
        &mut tx,
        Some((&hq, &hq_path)),
        StoreKind::Region,
        "R-EAST",
        "华东区",
    )
    .await?;
    let (nanjing_road, _) = create_store(
        &mut tx,
        Some((&east, &east_path)),
        StoreKind::Store,
        "S001",
        "上海南京路店",
    )
    .await?;
    create_store(
        &mut tx,
        Some((&east, &east_path)),
        StoreKind::Store,
        "S002",
        "杭州西湖店",
    )
    .await?;
    let people = [
        ("admin", "系统管理员", BuiltinRole::Admin, hq),
        ("manager", "陈经理", BuiltinRole::Manager, east),
        ("cashier", "刘收银", BuiltinRole::Cashier, nanjing_road),
        // The store manager at the counter: returns and closing shifts left open.
        ("lead", "王店长", BuiltinRole::Manager, nanjing_road),
    ];
    for (username, display_name, role, store_id) in people {
        let new = NewStaff {
            username,
            display_name,
            password: DEMO_PASSWORD,
            role,
            store_id,
        };
        create_staff(&mut tx, new).await?;
    }
    let member_password = password::hash(DEMO_PASSWORD.to_owned()).await?;
    for (name, phone) in DEMO_MEMBERS {
        let new = NewMember {
            name: normalize_name("name", name)?,
            phone: normalize_mobile("phone", phone)?,
            store_id: Some(nanjing_road),
            profile: Default::default(),
            classification: Default::default(),
            channel: "store".to_owned(),
            status: MemberStatus::Active,
            referred_by: None,
            password_hash: Some(member_password.clone()),
        };
        crate::member::record::insert(&mut tx, &Actor::System, &new).await?;
    }
    tx.commit().await?;
    Ok(true)
}
