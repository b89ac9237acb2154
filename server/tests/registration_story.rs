//! Self-registration on SQLite and PostgreSQL: a code is asked for and read from the
//! outbox, the registrant waits for approval and cannot log in meanwhile, two approvals at
//! once pay the referrer exactly once, and codes refuse being expired, reused or guessed
//! too often; codes are limited per phone and per client address; a phone already a
//! member's is refused only once the code proves it; a rejected registrant registers
//! again; staff entry and registrations without approval pay the referrer at once.

mod common;

use common::{call, invariants, start, Backend, TestServer};
use serde_json::{json, Value};

#[tokio::test]
async fn registration_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    registration_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn registration_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    registration_story(&server).await;
    server.stop().await;
}

const REFERRAL_POINTS: i64 = 50;
const MINUTE_MS: i64 = 60_000;

async fn ask_code(server: &TestServer, phone: &str) -> (u16, Value) {
    call(
        reqwest::Client::new()
            .post(server.url("/api/v1/member/register/code"))
            .json(&json!({ "phone": phone })),
    )
    .await
}

/// The code of the latest SMS to `phone`, as the development provider would deliver it.
async fn code_sent_to(server: &TestServer, phone: &str) -> String {
    let body: String = sqlx::query_scalar(
        "SELECT body FROM notifications WHERE recipient = $1 AND kind = 'register_code' \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(phone)
    .fetch_one(&server.db.pool)
    .await
    .expect("an SMS was queued");
    let digits: Vec<char> = body.chars().collect();
    digits
        .windows(6)
        .find(|window| window.iter().all(char::is_ascii_digit))
        .map(|window| window.iter().collect())
        .unwrap_or_else(|| panic!("no code in {body}"))
}

/// Moves a phone's codes back in time, as if `ms` had passed since they were sent.
async fn age_codes(server: &TestServer, phone: &str, ms: i64) {
    sqlx::query(
        "UPDATE sms_codes SET created_at = created_at - $2, expires_at = expires_at - $2 \
         WHERE phone = $1",
    )
    .bind(phone)
    .bind(ms)
    .execute(&server.db.writer)
    .await
    .expect("age codes");
}

async fn register(server: &TestServer, client: &reqwest::Client, body: Value) -> (u16, Value) {
    call(
        client
            .post(server.url("/api/v1/member/register"))
            .json(&body),
    )
    .await
}

fn registration(phone: &str, code: &str, name: &str) -> Value {
    json!({ "phone": phone, "code": code, "name": name, "password": "secret123" })
}

fn first_field(body: &Value) -> (&str, &str) {
    let field = &body["details"]["fields"][0];
    (
        field["field"].as_str().unwrap_or_default(),
        field["code"].as_str().unwrap_or_default(),
    )
}

async fn member_login(server: &TestServer, phone: &str, password: &str) -> (u16, Value) {
    call(
        reqwest::Client::new()
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": phone, "password": password })),
    )
    .await
}

async fn points_of(server: &TestServer, member_id: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT balance FROM accounts WHERE id = $1")
        .bind(format!("member:{member_id}:points"))
        .fetch_optional(&server.db.pool)
        .await
        .expect("balance")
        .unwrap_or(0)
}

async fn referral_transfers(server: &TestServer, member_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM transfers WHERE command_id = $1")
        .bind(format!("referral:{member_id}"))
        .fetch_one(&server.db.pool)
        .await
        .expect("transfers")
}

async fn registration_story(server: &TestServer) {
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let manager = server.token("manager", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;

    // HQ asks for approval and pays referrers; a cashier may not change that, and the
    // points must make sense.
    let settings = json!({ "approval_required": true, "referral_points": REFERRAL_POINTS });
    let (status, _) = call(
        client
            .put(server.url("/api/v1/registration/settings"))
            .bearer_auth(&cashier)
            .json(&settings),
    )
    .await;
    assert_eq!(status, 403);
    let (status, bad) = call(
        client
            .put(server.url("/api/v1/registration/settings"))
            .bearer_auth(&admin)
            .json(&json!({ "approval_required": true, "referral_points": -5 })),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(first_field(&bad), ("referral_points", "negative"));
    let (status, saved) = call(
        client
            .put(server.url("/api/v1/registration/settings"))
            .bearer_auth(&admin)
            .json(&settings),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (status, read) = call(
        client
            .get(server.url("/api/v1/registration/settings"))
            .bearer_auth(&manager),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read, settings);

    // The referrer: a demo member, whose member number is their referral code.
    let referrer_id = server.member_id("13800138000").await;
    let (_, referrer) = call(
        client
            .get(server.url(&format!("/api/v1/members/{referrer_id}")))
            .bearer_auth(&cashier),
    )
    .await;
    let referral_code = referrer["referral_code"]
        .as_str()
        .expect("a string")
        .to_owned();
    assert_eq!(points_of(server, &referrer_id).await, 0);

    // A asks for a code; the answer says nothing of the phone, the SMS waits in the outbox.
    let phone_a = "13912340001";
    let (status, sent) = ask_code(server, phone_a).await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["expires_in_seconds"], 300);
    assert_eq!(sent["resend_after_seconds"], 60);
    let code_a = code_sent_to(server, phone_a).await;
    let stored: String = sqlx::query_scalar("SELECT code_hash FROM sms_codes WHERE phone = $1")
        .bind(phone_a)
        .fetch_one(&server.db.pool)
        .await
        .expect("query");
    assert!(!stored.contains(&code_a), "the code is stored only hashed");

    // Bad input is reported field by field before the code is looked at: no try is used.
    let (status, bad) = register(
        server,
        &client,
        json!({ "phone": phone_a, "code": "12a", "name": " ", "password": "short",
                "referral_code": "000000000", "profile": { "note1": "x", "gender": "猫" } }),
    )
    .await;
    assert_eq!(status, 400);
    let fields: Vec<(String, String)> = bad["details"]["fields"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| {
            (
                f["field"].as_str().expect("a string").to_owned(),
                f["code"].as_str().expect("a string").to_owned(),
            )
        })
        .collect();
    for expected in [
        ("code", "invalid_code"),
        ("name", "required"),
        ("password", "weak_password"),
        ("referral_code", "unknown_referral_code"),
        ("profile.note1", "protected_field"),
        ("profile.gender", "not_a_choice"),
    ] {
        assert!(
            fields.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} in {fields:?}"
        );
    }
    let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM sms_codes WHERE phone = $1")
        .bind(phone_a)
        .fetch_one(&server.db.pool)
        .await
        .expect("query");
    assert_eq!(attempts, 0);

    // A registers with the code and a referral: pending, no session.
    let mut body = registration(phone_a, &code_a, "王小明");
    body["referral_code"] = json!(referral_code);
    body["profile"] = json!({ "gender": "男" });
    let (status, registered) = register(server, &client, body.clone()).await;
    assert_eq!(status, 201, "{registered}");
    assert_eq!(registered["status"], "pending");
    assert!(registered["login"].is_null());
    let member_a = server.member_id(phone_a).await;

    // The same code again is refused as used (before the phone's membership is told).
    let (status, reused) = register(server, &client, body).await;
    assert_eq!(status, 400);
    assert_eq!(first_field(&reused), ("code", "sms_code_used"));

    // A cannot log in while pending; a wrong password still reads as a wrong password.
    let (status, refused) = member_login(server, phone_a, "secret123").await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["code"], "member_pending");
    let (status, wrong) = member_login(server, phone_a, "wrong12345").await;
    assert_eq!(status, 401);
    assert_eq!(wrong["code"], "invalid_credentials");

    // The queue shows A with the referrer; a cashier may not see it.
    let (status, _) = call(
        client
            .get(server.url("/api/v1/members/pending"))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 403);
    let (status, queue) = call(
        client
            .get(server.url("/api/v1/members/pending"))
            .bearer_auth(&manager),
    )
    .await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["members"].as_array().expect("a list").len(), 1);
    let row = &queue["members"][0];
    assert_eq!(row["id"], member_a.as_str());
    assert_eq!(row["name"], "王小明");
    assert_eq!(row["phone_masked"], "139****0001");
    assert_eq!(row["channel"], "sms");
    assert_eq!(row["referrer"]["name"], "张三丰");
    assert_eq!(queue["more"], false);
    let (status, _) = call(
        client
            .post(server.url(&format!("/api/v1/members/{member_a}/approve")))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 403);

    // Two approvals at once: both answer, the referrer is paid once.
    let approve = || {
        call(
            client
                .post(server.url(&format!("/api/v1/members/{member_a}/approve")))
                .bearer_auth(&manager),
        )
    };
    let ((first, one), (second, two)) = tokio::join!(approve(), approve());
    assert_eq!((first, second), (200, 200), "{one} {two}");
    assert_eq!(one["member"]["status"], "active");
    assert_eq!(two["member"]["status"], "active");
    let paid = one["referral_points"].as_i64().expect("a number")
        + two["referral_points"].as_i64().expect("a number");
    assert_eq!(paid, REFERRAL_POINTS);
    let (status, again) = approve().await;
    assert_eq!(status, 200);
    assert_eq!(again["referral_points"], 0);
    assert_eq!(points_of(server, &referrer_id).await, REFERRAL_POINTS);
    assert_eq!(referral_transfers(server, &member_a).await, 1);
    let welcomes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE recipient = $1 AND kind = 'welcome'",
    )
    .bind(phone_a)
    .fetch_one(&server.db.pool)
    .await
    .expect("query");
    assert_eq!(welcomes, 1);
    let (status, logged_in) = member_login(server, phone_a, "secret123").await;
    assert_eq!(status, 200, "{logged_in}");
    assert_eq!(logged_in["member"]["name"], "王小明");
    // A formal member is not in the queue and cannot be rejected.
    let (_, queue) = call(
        client
            .get(server.url("/api/v1/members/pending"))
            .bearer_auth(&manager),
    )
    .await;
    assert!(queue["members"].as_array().expect("a list").is_empty());
    let (status, refused) = call(
        client
            .post(server.url(&format!("/api/v1/members/{member_a}/reject")))
            .bearer_auth(&manager)
            .json(&json!({ "reason": "重复" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(first_field(&refused), ("status", "wrong_status"));

    // B's code expires after five minutes.
    let phone_b = "13912340002";
    assert_eq!(ask_code(server, phone_b).await.0, 201);
    let code_b = code_sent_to(server, phone_b).await;
    age_codes(server, phone_b, 5 * MINUTE_MS + 1).await;
    let (status, expired) = register(server, &client, registration(phone_b, &code_b, "李雷")).await;
    assert_eq!(status, 400);
    assert_eq!(first_field(&expired), ("code", "sms_code_expired"));

    // C guesses: four wrong tries say how many are left, the fifth kills the code, and
    // then even the right code is refused.
    let phone_c = "13912340003";
    assert_eq!(ask_code(server, phone_c).await.0, 201);
    let code_c = code_sent_to(server, phone_c).await;
    let wrong_c = if code_c == "000000" {
        "000001"
    } else {
        "000000"
    };
    for left in (1..=4).rev() {
        let (status, wrong) =
            register(server, &client, registration(phone_c, wrong_c, "韩梅梅")).await;
        assert_eq!(status, 400);
        assert_eq!(first_field(&wrong), ("code", "sms_code_wrong"));
        assert!(
            wrong["details"]["fields"][0]["message"]
                .as_str()
                .expect("a string")
                .contains(&left.to_string()),
            "{wrong}"
        );
    }
    let (status, dead) = register(server, &client, registration(phone_c, wrong_c, "韩梅梅")).await;
    assert_eq!(status, 400);
    assert_eq!(first_field(&dead), ("code", "sms_code_tries_exceeded"));
    let (status, dead) = register(server, &client, registration(phone_c, &code_c, "韩梅梅")).await;
    assert_eq!(status, 400);
    assert_eq!(first_field(&dead), ("code", "sms_code_tries_exceeded"));

    // A new code for C may be asked for only after a minute; the new one works.
    let (status, limited) = ask_code(server, phone_c).await;
    assert_eq!(status, 429, "{limited}");
    assert_eq!(limited["code"], "rate_limited");
    assert_eq!(limited["details"]["scope"], "phone");
    assert!(
        limited["details"]["retry_after_seconds"]
            .as_i64()
            .expect("a number")
            <= 60
    );
    assert!(limited["message"]
        .as_str()
        .expect("a string")
        .contains("频繁"));
    age_codes(server, phone_c, MINUTE_MS + 1).await;
    assert_eq!(ask_code(server, phone_c).await.0, 201);
    let code_c = code_sent_to(server, phone_c).await;
    let (status, registered) =
        register(server, &client, registration(phone_c, &code_c, "韩梅梅")).await;
    assert_eq!(status, 201, "{registered}");

    // D: five codes an hour per phone, a minute apart; the sixth is refused for most of
    // the hour.
    let phone_d = "13912340004";
    for _ in 0..5 {
        assert_eq!(ask_code(server, phone_d).await.0, 201);
        age_codes(server, phone_d, MINUTE_MS + 1).await;
    }
    let (status, limited) = ask_code(server, phone_d).await;
    assert_eq!(status, 429);
    assert_eq!(limited["details"]["scope"], "phone");
    assert!(
        limited["details"]["retry_after_seconds"]
            .as_i64()
            .expect("a number")
            > 60
    );

    // E is rejected with a reason, told by SMS, and may register again with the phone.
    let phone_e = "13912340005";
    assert_eq!(ask_code(server, phone_e).await.0, 201);
    let code_e = code_sent_to(server, phone_e).await;
    let (status, _) = register(server, &client, registration(phone_e, &code_e, "错名字")).await;
    assert_eq!(status, 201);
    let member_e = server.member_id(phone_e).await;
    let (status, refused) = call(
        client
            .post(server.url(&format!("/api/v1/members/{member_e}/reject")))
            .bearer_auth(&manager)
            .json(&json!({ "reason": "  " })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(first_field(&refused), ("reason", "required"));
    let (status, _) = call(
        client
            .post(server.url(&format!("/api/v1/members/{member_e}/reject")))
            .bearer_auth(&manager)
            .json(&json!({ "reason": "姓名不是真实姓名" })),
    )
    .await;
    assert_eq!(status, 204);
    let told: String = sqlx::query_scalar(
        "SELECT body FROM notifications WHERE recipient = $1 AND kind = 'registration_rejected'",
    )
    .bind(phone_e)
    .fetch_one(&server.db.pool)
    .await
    .expect("query");
    assert!(told.contains("姓名不是真实姓名"));
    let (status, _) = call(
        client
            .get(server.url(&format!("/api/v1/members/{member_e}")))
            .bearer_auth(&manager),
    )
    .await;
    assert_eq!(status, 404);
    age_codes(server, phone_e, MINUTE_MS + 1).await;
    assert_eq!(ask_code(server, phone_e).await.0, 201);
    let code_e = code_sent_to(server, phone_e).await;
    let (status, again) = register(server, &client, registration(phone_e, &code_e, "赵强")).await;
    assert_eq!(status, 201, "{again}");

    // A phone already a member's gets a code like any other, and is told at registration.
    let (status, _) = ask_code(server, "138 0013 8000").await;
    assert_eq!(status, 201);
    let code = code_sent_to(server, "13800138000").await;
    let (status, duplicate) = register(
        server,
        &client,
        registration("13800138000", &code, "张三丰"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(first_field(&duplicate), ("phone", "duplicate_phone"));

    // Staff entering a referred member pay the referrer at once.
    let (status, entered) = call(
        client
            .post(server.url("/api/v1/members"))
            .bearer_auth(&cashier)
            .json(&json!({ "name": "周芷若", "phone": "13912340006", "referral_code": referral_code })),
    )
    .await;
    assert_eq!(status, 201, "{entered}");
    let entered_id = entered["id"].as_str().expect("a string").to_owned();
    assert_eq!(points_of(server, &referrer_id).await, 2 * REFERRAL_POINTS);
    assert_eq!(referral_transfers(server, &entered_id).await, 1);

    // Without approval a registrant is formal and logged in at once, and the referrer paid.
    let (status, _) = call(
        client
            .put(server.url("/api/v1/registration/settings"))
            .bearer_auth(&admin)
            .json(&json!({ "approval_required": false, "referral_points": REFERRAL_POINTS })),
    )
    .await;
    assert_eq!(status, 200);
    let phone_f = "13912340007";
    assert_eq!(ask_code(server, phone_f).await.0, 201);
    let code_f = code_sent_to(server, phone_f).await;
    let browser = server.browser();
    let mut body = registration(phone_f, &code_f, "殷离");
    body["referral_code"] = json!(referral_code);
    let (status, registered) = register(server, &browser, body).await;
    assert_eq!(status, 201, "{registered}");
    assert_eq!(registered["status"], "active");
    assert_eq!(registered["login"]["member"]["name"], "殷离");
    let (status, me) = call(browser.get(server.url("/api/v1/member/me"))).await;
    assert_eq!(status, 200, "the cookie logs the new member in: {me}");
    assert_eq!(me["phone_masked"], "139****0007");
    assert_eq!(points_of(server, &referrer_id).await, 3 * REFERRAL_POINTS);

    // Twenty codes an hour from one address, whatever the phones.
    let addresses: Vec<(String, i64)> =
        sqlx::query_as("SELECT ip, COUNT(*) FROM sms_codes GROUP BY ip")
            .fetch_all(&server.db.pool)
            .await
            .expect("query");
    assert_eq!(addresses.len(), 1, "{addresses:?}");
    let mut sent = addresses[0].1;
    let mut next_phone = 13912340100_i64;
    while sent < huiyuan_shared::registration::SMS_CODES_PER_IP_HOUR {
        let (status, body) = ask_code(server, &next_phone.to_string()).await;
        assert_eq!(status, 201, "{body}");
        sent += 1;
        next_phone += 1;
    }
    let (status, limited) = ask_code(server, &next_phone.to_string()).await;
    assert_eq!(status, 429, "{limited}");
    assert_eq!(limited["code"], "rate_limited");
    assert_eq!(limited["details"]["scope"], "ip");

    invariants::check(&server.db).await;
}
