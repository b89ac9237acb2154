//! The staff and member login story, run from the same code on SQLite and on
//! PostgreSQL: login, wrong password, lockout, logout, staff who left, permission denied,
//! store scope, and the audit chain written and verified — then tampered with and caught.

mod common;

use common::{call, start, Backend, TestServer};
use huiyuan_server::audit::{self, ChainCheck};
use serde_json::{json, Value};

#[tokio::test]
async fn auth_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite always runs");
    auth_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn auth_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    auth_story(&server).await;
    server.stop().await;
}

async fn auth_story(server: &TestServer) {
    health_names_the_backend(server).await;
    wrong_password_is_refused_and_audited(server).await;
    login_works_by_cookie_and_by_bearer_and_logout_ends_it(server).await;
    missing_permission_is_forbidden(server).await;
    five_wrong_passwords_lock_for_fifteen_minutes(server).await;
    staff_who_left_cannot_log_in(server).await;
    store_scope_limits_what_a_manager_sees(server).await;
    member_logs_in_and_sees_their_card(server).await;
    audit_chain_verifies_and_catches_tampering(server).await;
}

async fn health_names_the_backend(server: &TestServer) {
    let (status, body) = call(reqwest::Client::new().get(server.url("/api/v1/health"))).await;
    assert_eq!(status, 200);
    let expected = match server.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
    assert_eq!(body["status"], "ok");
}

async fn login(
    server: &TestServer,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> (u16, Value) {
    call(
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({ "username": username, "password": password })),
    )
    .await
}

async fn audit_count(server: &TestServer, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&server.db.pool)
        .await
        .expect("count")
}

async fn wrong_password_is_refused_and_audited(server: &TestServer) {
    let before = audit_count(server, "auth.login_failed").await;
    let (status, body) = login(
        server,
        &reqwest::Client::new(),
        "cashier",
        "not-the-password",
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "invalid_credentials");
    assert_eq!(body["message"], "用户名或密码错误");
    // An unknown username gets the very same answer, so it reveals nothing.
    let (status, unknown) = login(
        server,
        &reqwest::Client::new(),
        "nobody",
        "not-the-password",
    )
    .await;
    assert_eq!(
        (status, &unknown["code"]),
        (401, &json!("invalid_credentials"))
    );
    assert_eq!(audit_count(server, "auth.login_failed").await, before + 2);
    // A blank field is named.
    let (status, body) = login(server, &reqwest::Client::new(), "", "").await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = body["details"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["username", "password"]);
}

async fn login_works_by_cookie_and_by_bearer_and_logout_ends_it(server: &TestServer) {
    let browser = server.browser();
    let (status, body) = login(server, &browser, "Cashier", "demo1234").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["staff"]["username"], "cashier");
    assert_eq!(body["staff"]["store"]["name"], "上海南京路店");
    let (status, me) = call(browser.get(server.url("/api/v1/auth/me"))).await;
    assert_eq!(status, 200);
    assert_eq!(me["display_name"], "刘收银");
    assert!(me["permissions"]
        .as_array()
        .expect("list")
        .contains(&json!("pos.use")));

    // The token in the body works as a bearer token for devices; only its hash is stored.
    let token = body["token"].as_str().expect("token").to_owned();
    let bearer = reqwest::Client::new();
    let (status, _) = call(
        bearer
            .get(server.url("/api/v1/auth/me"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 200);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
        .bind(&token)
        .fetch_one(&server.db.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0, "the raw token is never stored");

    // Logging out ends that session: neither the cookie nor its token opens anything.
    let (status, _) = call(browser.post(server.url("/api/v1/auth/logout"))).await;
    assert_eq!(status, 204);
    let (status, body) = call(browser.get(server.url("/api/v1/auth/me"))).await;
    assert_eq!((status, &body["code"]), (401, &json!("unauthenticated")));
    let (status, _) = call(
        bearer
            .get(server.url("/api/v1/auth/me"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 401);
    // A device's own session is separate and ends with its own logout.
    let device = server.token("cashier", "demo1234").await;
    let (status, _) = call(
        bearer
            .get(server.url("/api/v1/auth/me"))
            .bearer_auth(&device),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        bearer
            .post(server.url("/api/v1/auth/logout"))
            .bearer_auth(&device),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        bearer
            .get(server.url("/api/v1/auth/me"))
            .bearer_auth(&device),
    )
    .await;
    assert_eq!(status, 401);
    assert!(audit_count(server, "auth.logout").await >= 2);
}

async fn missing_permission_is_forbidden(server: &TestServer) {
    let token = server.token("cashier", "demo1234").await;
    let client = reqwest::Client::new();
    for (path, permission) in [
        ("/api/v1/staff", "staff.view"),
        ("/api/v1/audit", "audit.view"),
        ("/api/v1/stores", "hq.use"),
    ] {
        let (status, body) = call(client.get(server.url(path)).bearer_auth(&token)).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body["code"], "forbidden");
        assert_eq!(body["details"]["permission"], permission);
    }
    let admin = server.token("admin", "demo1234").await;
    let (status, staff) = call(client.get(server.url("/api/v1/staff")).bearer_auth(&admin)).await;
    assert_eq!(status, 200);
    assert_eq!(staff.as_array().expect("list").len(), 4);
}

async fn five_wrong_passwords_lock_for_fifteen_minutes(server: &TestServer) {
    let client = reqwest::Client::new();
    for attempt in 1..=4 {
        let (status, _) = login(server, &client, "manager", "wrong-password").await;
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let (status, body) = login(server, &client, "manager", "wrong-password").await;
    assert_eq!((status, &body["code"]), (423, &json!("account_locked")));
    // Even the right password is refused while the lock lasts.
    let (status, body) = login(server, &client, "manager", "demo1234").await;
    assert_eq!((status, &body["code"]), (423, &json!("account_locked")));
    let until: i64 =
        sqlx::query_scalar("SELECT locked_until FROM staff WHERE username = 'manager'")
            .fetch_one(&server.db.pool)
            .await
            .expect("locked_until");
    let minutes = (until - huiyuan_server::db::now_ms()) as f64 / 60_000.0;
    assert!(
        (14.0..=15.0).contains(&minutes),
        "locked for {minutes} minutes"
    );
    // Fifteen minutes later the right password works again and clears the count.
    sqlx::query("UPDATE staff SET locked_until = $1 WHERE username = 'manager'")
        .bind(huiyuan_server::db::now_ms() - 1)
        .execute(&server.db.writer)
        .await
        .expect("expire the lock");
    let (status, _) = login(server, &client, "manager", "demo1234").await;
    assert_eq!(status, 200);
    let failed: i64 =
        sqlx::query_scalar("SELECT failed_logins FROM staff WHERE username = 'manager'")
            .fetch_one(&server.db.pool)
            .await
            .expect("failed_logins");
    assert_eq!(failed, 0);
}

async fn staff_who_left_cannot_log_in(server: &TestServer) {
    let browser = server.browser();
    let (status, _) = login(server, &browser, "cashier", "demo1234").await;
    assert_eq!(status, 200);
    sqlx::query("UPDATE staff SET left_at = $1 WHERE username = 'cashier'")
        .bind(huiyuan_server::db::now_ms())
        .execute(&server.db.writer)
        .await
        .expect("mark as left");
    // The open session stops working at once…
    let (status, _) = call(browser.get(server.url("/api/v1/auth/me"))).await;
    assert_eq!(status, 401);
    // …and a new login is refused with its own reason.
    let (status, body) = login(server, &browser, "cashier", "demo1234").await;
    assert_eq!((status, &body["code"]), (403, &json!("account_disabled")));
    sqlx::query("UPDATE staff SET left_at = NULL WHERE username = 'cashier'")
        .execute(&server.db.writer)
        .await
        .expect("rehire");
}

async fn store_scope_limits_what_a_manager_sees(server: &TestServer) {
    let manager = server.token("manager", "demo1234").await;
    let client = reqwest::Client::new();
    let (status, stores) = call(
        client
            .get(server.url("/api/v1/stores"))
            .bearer_auth(&manager),
    )
    .await;
    assert_eq!(status, 200);
    let codes: Vec<&str> = stores
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["R-EAST", "S001", "S002"],
        "the region and its stores, not HQ"
    );
    let admin = server.token("admin", "demo1234").await;
    let (_, all) = call(client.get(server.url("/api/v1/stores")).bearer_auth(&admin)).await;
    assert_eq!(all.as_array().expect("list").len(), 4);
    let (status, staff) = call(
        client
            .get(server.url("/api/v1/staff"))
            .bearer_auth(&manager),
    )
    .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = staff
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["username"].as_str())
        .collect();
    assert_eq!(
        names,
        ["manager", "cashier", "lead"],
        "admin at HQ is outside the region"
    );
}

async fn member_logs_in_and_sees_their_card(server: &TestServer) {
    let phone = server.browser();
    let (status, body) = call(
        phone
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "138 0013 8000", "password": "wrong-pass1" })),
    )
    .await;
    assert_eq!(
        (status, &body["code"]),
        (401, &json!("invalid_credentials"))
    );
    let (status, body) = call(
        phone
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "12345", "password": "x" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["details"]["fields"][0]["field"], "phone");
    let (status, body) = call(
        phone
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "138 0013 8000", "password": "demo1234" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, me) = call(phone.get(server.url("/api/v1/member/me"))).await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], "张三丰");
    assert_eq!(me["phone_masked"], "138****8000");
    assert_eq!(
        (me["points"].as_i64(), me["balance_fen"].as_i64()),
        (Some(0), Some(0))
    );
    // A member session opens no staff endpoint.
    let token = body["token"].as_str().expect("token");
    let (status, _) = call(
        reqwest::Client::new()
            .get(server.url("/api/v1/auth/me"))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(status, 401);
}

async fn audit_chain_verifies_and_catches_tampering(server: &TestServer) {
    let check = audit::verify(&server.db).await.expect("verify");
    let rows = match check {
        ChainCheck::Intact { rows } => rows,
        ChainCheck::Broken { seq, reason } => panic!("chain broken at {seq}: {reason}"),
    };
    assert!(rows > 20, "every login and failure left a row ({rows})");
    let (status, page) = call(
        reqwest::Client::new()
            .get(server.url("/api/v1/audit?action=auth.login_failed&limit=2"))
            .bearer_auth(server.token("admin", "demo1234").await),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["entries"].as_array().expect("entries").len(), 2);
    assert!(
        page["next_before"].as_i64().is_some(),
        "more failures than one page"
    );

    // Someone edits a failed login out of the record: the chain shows where.
    let target: i64 =
        sqlx::query_scalar("SELECT MIN(seq) FROM audit_log WHERE action = 'auth.login_failed'")
            .fetch_one(&server.db.pool)
            .await
            .expect("a failed login row");
    sqlx::query("UPDATE audit_log SET action = 'auth.login' WHERE seq = $1")
        .bind(target)
        .execute(&server.db.writer)
        .await
        .expect("tamper");
    match audit::verify(&server.db).await.expect("verify") {
        ChainCheck::Broken { seq, .. } => assert_eq!(seq, target),
        ChainCheck::Intact { .. } => panic!("tampering went unnoticed"),
    }
}
