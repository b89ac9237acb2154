//! Members on SQLite and PostgreSQL: staff enter them, a phone number belongs to one
//! member only, every kind of search finds them, the member edits their general fields
//! but not the protected ones, HQ adds questionnaire fields and classification lists,
//! and a member gets a new number, is archived and restored.

mod common;

use common::{call, start, Backend, TestServer};
use serde_json::{json, Value};

#[tokio::test]
async fn member_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    member_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn member_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    member_story(&server).await;
    server.stop().await;
}

async fn search(server: &TestServer, client: &reqwest::Client, token: &str, query: &str) -> Value {
    let (status, page) = call(
        client
            .get(server.url(&format!("/api/v1/members?{query}")))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

fn names(page: &Value) -> Vec<String> {
    page["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|member| member["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn member_story(server: &TestServer) {
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;
    let store = server.store_id("S001").await;

    // HQ sets up a classification entry and a questionnaire field.
    let (status, region) = call(
        client
            .post(server.url("/api/v1/member-classes"))
            .bearer_auth(&admin)
            .json(&json!({ "list": "region", "name": "浦东" })),
    )
    .await;
    assert_eq!(status, 201, "{region}");
    let region_id = region["id"].as_str().expect("present").to_owned();
    let (status, again) = call(
        client
            .post(server.url("/api/v1/member-classes"))
            .bearer_auth(&admin)
            .json(&json!({ "list": "region", "name": "浦东" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(again["details"]["fields"][0]["code"], "duplicate_name");
    let (status, field) = call(
        client
            .put(server.url("/api/v1/member-fields/skin_type"))
            .bearer_auth(&admin)
            .json(&json!({ "key": "x", "label": "肤质", "kind": "choice",
                "choices": ["干性", "油性", "混合"], "access": "general" })),
    )
    .await;
    assert_eq!(status, 200, "{field}");
    assert_eq!(field["key"], "skin_type");
    // The cashier may not change HQ's settings.
    let (status, _) = call(
        client
            .put(server.url("/api/v1/member-fields/shoe_size"))
            .bearer_auth(&cashier)
            .json(&json!({ "key": "shoe_size", "label": "鞋码", "kind": "number", "access": "general" })),
    )
    .await;
    assert_eq!(status, 403);

    // The cashier enters a member at the counter.
    let (status, member) = call(
        client
            .post(server.url("/api/v1/members"))
            .bearer_auth(&cashier)
            .json(&json!({
                "name": "张无忌", "phone": "186 1234 5678",
                "profile": { "gender": "男", "birth_date": "1990-05-01", "skin_type": "油性" },
                "classification": { "region": region_id },
            })),
    )
    .await;
    assert_eq!(status, 201, "{member}");
    assert_eq!(member["phone"], "18612345678");
    assert_eq!(member["status"], "active");
    assert_eq!(member["level_name"], "普通会员");
    assert_eq!(member["profile"]["skin_type"], "油性");
    assert_eq!(member["classification"]["region"], region_id.as_str());
    let member_id = member["id"].as_str().expect("present").to_owned();
    let member_no = member["member_no"].as_str().expect("present").to_owned();
    assert!(huiyuan_shared::check_digit::is_valid(&member_no));

    // The same phone again is refused, and so is bad input, each naming its field; nothing
    // is written.
    let (status, duplicate) = call(
        client
            .post(server.url("/api/v1/members"))
            .bearer_auth(&cashier)
            .json(&json!({ "name": "张无忌二", "phone": "18612345678" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(duplicate["details"]["fields"][0]["field"], "phone");
    assert_eq!(duplicate["details"]["fields"][0]["code"], "duplicate_phone");
    let (status, bad) = call(
        client
            .post(server.url("/api/v1/members"))
            .bearer_auth(&cashier)
            .json(&json!({ "name": "赵敏", "phone": "12345",
                "profile": { "birth_date": "1990-02-30", "skin_type": "中性", "nope": "x" } })),
    )
    .await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = bad["details"]["fields"]
        .as_array()
        .expect("present")
        .iter()
        .map(|field| field["field"].as_str().expect("present"))
        .collect();
    for expected in [
        "phone",
        "profile.birth_date",
        "profile.skin_type",
        "profile.nope",
    ] {
        assert!(fields.contains(&expected), "{expected} in {fields:?}");
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE name = '赵敏'")
        .fetch_one(&server.db.pool)
        .await
        .expect("present");
    assert_eq!(count, 0);

    // Every kind of search finds them.
    let page = search(server, &client, &cashier, "q=18612345678").await;
    assert_eq!(names(&page), ["张无忌"]);
    assert_eq!(page["members"][0]["matched"], "phone");
    assert_eq!(page["members"][0]["phone_masked"], "186****5678");
    let page = search(server, &client, &cashier, "q=5678").await;
    assert_eq!(names(&page), ["张无忌"]);
    assert_eq!(page["members"][0]["matched"], "phone_tail");
    let page = search(server, &client, &cashier, &format!("q={member_no}")).await;
    assert_eq!(names(&page), ["张无忌"]);
    let page = search(server, &client, &cashier, "q=%E6%97%A0%E5%BF%8C").await; // 无忌
    assert_eq!(names(&page), ["张无忌"]);
    let page = search(server, &client, &cashier, "q=%E4%B8%89%E4%B8%B0").await; // 三丰
    assert_eq!(names(&page), ["张三丰"]);
    // 张 alone finds both 张s; a term must be a contiguous part of the name.
    let page = search(server, &client, &cashier, "q=%E5%BC%A0").await;
    let mut found = names(&page);
    found.sort();
    assert_eq!(found, ["张三丰", "张无忌"]);
    let page = search(server, &client, &cashier, "q=%E5%BC%A0%E5%BF%8C").await; // 张忌
    assert!(names(&page).is_empty());
    // Exact names rank before names that merely contain the term.
    let (status, _) = call(
        client
            .post(server.url("/api/v1/members"))
            .bearer_auth(&cashier)
            .json(&json!({ "name": "小张三丰", "phone": "18612340000" })),
    )
    .await;
    assert_eq!(status, 201);
    let page = search(server, &client, &cashier, "q=%E5%BC%A0%E4%B8%89%E4%B8%B0").await; // 张三丰
    assert_eq!(names(&page), ["张三丰", "小张三丰"]);
    // Paging: one per page, the second page holds the second.
    let page = search(
        server,
        &client,
        &cashier,
        "q=%E4%B8%89%E4%B8%B0&limit=1&page=1",
    )
    .await;
    assert_eq!(names(&page), ["小张三丰"]);
    assert_eq!(page["more"], false);
    let (status, bad) = call(
        client
            .get(server.url("/api/v1/members?q=5678&limit=500"))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(bad["details"]["fields"][0]["field"], "limit");

    // The member logs in on their phone: they may edit general fields, not protected ones.
    let phone_client = server.browser();
    sqlx::query("UPDATE members SET password_hash = (SELECT password_hash FROM members WHERE phone = '13800138000') WHERE id = $1")
        .bind(&member_id)
        .execute(&server.db.writer)
        .await
        .expect("present");
    let (status, _) = call(
        phone_client
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "18612345678", "password": "demo1234" })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, own) = call(phone_client.get(server.url("/api/v1/member/profile"))).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["phone_masked"], "186****5678");
    assert!(own["fields"]
        .as_array()
        .expect("present")
        .iter()
        .any(|f| f["key"] == "note1" && f["access"] == "protected"));
    let (status, own) = call(
        phone_client
            .patch(server.url("/api/v1/member/profile"))
            .json(&json!({ "profile": { "interests": "太极", "skin_type": "混合" } })),
    )
    .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["profile"]["interests"], "太极");
    let (status, refused) = call(
        phone_client
            .patch(server.url("/api/v1/member/profile"))
            .json(&json!({ "profile": { "interests": "武当", "note1": "VIP", "birth_date": "1991-01-01" } })),
    )
    .await;
    assert_eq!(status, 400);
    let refused_fields: Vec<&str> = refused["details"]["fields"]
        .as_array()
        .expect("present")
        .iter()
        .map(|field| {
            assert_eq!(field["code"], "protected_field");
            field["field"].as_str().expect("present")
        })
        .collect();
    assert_eq!(refused_fields, ["profile.birth_date", "profile.note1"]);
    let (status, refused) = call(
        phone_client
            .patch(server.url("/api/v1/member/profile"))
            .json(&json!({ "name": "张教主" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused["details"]["fields"][0]["field"], "name");
    // Nothing of the refused changes was written; staff may change protected fields.
    let (status, record) = call(
        client
            .patch(server.url(&format!("/api/v1/members/{member_id}")))
            .bearer_auth(&admin)
            .json(&json!({ "profile": { "note1": "喜欢绿茶", "gender": "" } })),
    )
    .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["name"], "张无忌");
    assert_eq!(record["profile"]["interests"], "太极");
    assert_eq!(record["profile"]["birth_date"], "1990-05-01");
    assert_eq!(record["profile"]["note1"], "喜欢绿茶");
    assert!(record["profile"].get("gender").is_none());

    // A new member number must carry a valid check digit and be nobody else's.
    let taken = search(server, &client, &cashier, "q=13800138000").await["members"][0]["member_no"]
        .as_str()
        .expect("present")
        .to_owned();
    let (status, refused) = call(
        client
            .put(server.url(&format!("/api/v1/members/{member_id}/number")))
            .bearer_auth(&admin)
            .json(&json!({ "member_no": taken })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused["details"]["fields"][0]["code"], "member_no_taken");
    // Nor another member's phone (one whose last digit happens to check), which the till
    // would read as either.
    let phone = format!(
        "1390000000{}",
        huiyuan_shared::check_digit::luhn("1390000000").expect("digits")
    );
    let (status, _) = call(
        client
            .post(server.url("/api/v1/members"))
            .bearer_auth(&cashier)
            .json(&json!({ "name": "殷素素", "phone": phone })),
    )
    .await;
    assert_eq!(status, 201);
    let (status, refused) = call(
        client
            .put(server.url(&format!("/api/v1/members/{member_id}/number")))
            .bearer_auth(&admin)
            .json(&json!({ "member_no": phone })),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["details"]["fields"][0]["code"], "member_no_taken");
    let (status, refused) = call(
        client
            .put(server.url(&format!("/api/v1/members/{member_id}/number")))
            .bearer_auth(&admin)
            .json(&json!({ "member_no": "880000001" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused["details"]["fields"][0]["code"], "bad_check_digit");
    let new_no = format!(
        "88000000{}",
        huiyuan_shared::check_digit::luhn("88000000").expect("present")
    );
    let (status, record) = call(
        client
            .put(server.url(&format!("/api/v1/members/{member_id}/number")))
            .bearer_auth(&admin)
            .json(&json!({ "member_no": new_no })),
    )
    .await;
    assert_eq!(status, 200, "{record}");
    assert!(names(&search(server, &client, &cashier, &format!("q={member_no}")).await).is_empty());
    assert_eq!(
        names(&search(server, &client, &cashier, &format!("q={new_no}")).await),
        ["张无忌"]
    );

    // Archived members leave the counter's search and come back when restored. A cashier
    // may not archive.
    let (status, _) = call(
        client
            .post(server.url(&format!("/api/v1/members/{member_id}/archive")))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 403);
    let (status, record) = call(
        client
            .post(server.url(&format!("/api/v1/members/{member_id}/archive")))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(record["status"], "archived");
    assert!(names(&search(server, &client, &cashier, "q=5678").await).is_empty());
    let (status, refused) = call(
        server
            .browser()
            .post(server.url("/api/v1/member/auth/login"))
            .json(&json!({ "phone": "18612345678", "password": "demo1234" })),
    )
    .await;
    assert_eq!(status, 403, "an archived member cannot log in: {refused}");
    assert_eq!(refused["code"], "account_disabled");
    // The session they had before ends with the archive, and they cannot buy.
    let (status, _) = call(phone_client.get(server.url("/api/v1/member/profile"))).await;
    assert_eq!(status, 401);
    let (status, refused) = call(
        client
            .post(server.url("/api/v1/sales"))
            .bearer_auth(&cashier)
            .json(
                &json!({ "id": uuid::Uuid::now_v7(), "store_id": store, "member_id": member_id,
                "amount_fen": 100, "payments": [{ "method": "cash", "amount_fen": 100 }] }),
            ),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["details"]["fields"][0]["code"], "member_archived");
    assert_eq!(
        names(&search(server, &client, &admin, "q=5678&include_archived=true").await),
        ["张无忌"]
    );
    let (status, record) = call(
        client
            .post(server.url(&format!("/api/v1/members/{member_id}/restore")))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(record["status"], "active");
    assert_eq!(
        names(&search(server, &client, &cashier, "q=5678").await),
        ["张无忌"]
    );

    // The 360° view lists the member's purchases, newest first.
    for amount in [3_000, 4_500] {
        let (status, sale) = call(
            client
                .post(server.url("/api/v1/sales"))
                .bearer_auth(&cashier)
                .json(&json!({ "id": uuid::Uuid::now_v7(), "store_id": store, "member_id": member_id,
                    "amount_fen": amount, "payments": [{ "method": "cash", "amount_fen": amount }] })),
        )
        .await;
        assert_eq!(status, 201, "{sale}");
    }
    let (status, purchases) = call(
        client
            .get(server.url(&format!("/api/v1/members/{member_id}/purchases")))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 200, "{purchases}");
    let amounts: Vec<i64> = purchases
        .as_array()
        .expect("present")
        .iter()
        .map(|purchase| purchase["amount_due_fen"].as_i64().expect("present"))
        .collect();
    assert_eq!(amounts, [4_500, 3_000]);
    assert_eq!(purchases[0]["returned_fen"], 0);

    // A registrant waiting for approval cannot buy yet.
    let pending = server.member_id("18612340000").await;
    sqlx::query("UPDATE members SET status = 'pending' WHERE id = $1")
        .bind(&pending)
        .execute(&server.db.writer)
        .await
        .expect("pending");
    let (status, refused) = call(
        client
            .post(server.url("/api/v1/sales"))
            .bearer_auth(&cashier)
            .json(
                &json!({ "id": uuid::Uuid::now_v7(), "store_id": store, "member_id": pending,
                "amount_fen": 100, "payments": [{ "method": "cash", "amount_fen": 100 }] }),
            ),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["details"]["fields"][0]["code"], "member_pending");

    // Each change is in the audit log.
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY seq")
            .bind(&member_id)
            .fetch_all(&server.db.pool)
            .await
            .expect("present");
    for expected in [
        "member.create",
        "member.update",
        "member.change_number",
        "member.archive",
        "member.restore",
    ] {
        assert!(
            actions.iter().any(|action| action == expected),
            "{expected} in {actions:?}"
        );
    }
}
