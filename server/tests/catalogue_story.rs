//! The catalogue story (GDS-1), run from the same code on SQLite and on PostgreSQL: a
//! category tree three deep with items in it; search by name fragment, barcode and
//! category (descendants included); update and soft delete; a retried create recognised
//! and a reused id refused; a cashier who may look but not change; bad input named by
//! field with nothing written; a CSV dry run reporting bad rows; an XLSX import built in
//! the test, imported twice without duplicates; and an import with one bad row that
//! writes nothing. The audit chain verifies at the end.

mod common;

use common::{call, start, Backend, TestServer};
use huiyuan_server::audit::{self, ChainCheck};
use serde_json::{json, Value};

#[tokio::test]
async fn catalogue_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite always runs");
    catalogue_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn catalogue_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    catalogue_story(&server).await;
    server.stop().await;
}

/// A client with one staff member's bearer token.
struct Api<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    token: String,
}

impl Api<'_> {
    async fn get(&self, path: &str) -> (u16, Value) {
        call(
            self.client
                .get(self.server.url(path))
                .bearer_auth(&self.token),
        )
        .await
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        call(
            self.client
                .request(method, self.server.url(path))
                .bearer_auth(&self.token)
                .json(&body),
        )
        .await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, body).await
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        call(
            self.client
                .delete(self.server.url(path))
                .bearer_auth(&self.token),
        )
        .await
    }

    async fn upload(&self, query: &str, file: Vec<u8>) -> (u16, Value) {
        call(
            self.client
                .post(self.server.url(&format!("/api/v1/items/import?{query}")))
                .bearer_auth(&self.token)
                .header("content-type", "application/octet-stream")
                .body(file),
        )
        .await
    }
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&server.db.pool)
        .await
        .expect("count")
}

/// Rows written so far: a refused request must leave all three unchanged.
async fn written(server: &TestServer) -> (i64, i64, i64) {
    (
        count(server, "SELECT COUNT(*) FROM items").await,
        count(server, "SELECT COUNT(*) FROM categories").await,
        count(server, "SELECT COUNT(*) FROM audit_log").await,
    )
}

fn fields(body: &Value) -> Vec<String> {
    body["details"]["fields"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["code"].as_str().expect("code").to_owned())
        .collect()
}

struct Tree {
    food: String,
    drinks: String,
    tea: String,
    tools: String,
}

async fn catalogue_story(server: &TestServer) {
    let admin = Api {
        server,
        client: reqwest::Client::new(),
        token: server.token("admin", "demo1234").await,
    };
    let cashier = Api {
        server,
        client: reqwest::Client::new(),
        token: server.token("cashier", "demo1234").await,
    };
    let tree = a_category_tree_three_deep(&admin).await;
    items_are_found_by_fragment_barcode_and_category(&admin, &tree).await;
    items_are_updated_and_soft_deleted(&admin, &tree).await;
    a_retried_create_is_recognised_and_a_reused_id_refused(&admin, &tree).await;
    the_cashier_may_look_but_not_change(&cashier, &tree).await;
    bad_input_is_named_by_field_and_nothing_written(&admin, &tree).await;
    a_category_with_contents_is_not_deleted(&admin, &tree).await;
    a_csv_dry_run_reports_bad_rows_and_writes_nothing(&admin).await;
    an_xlsx_import_twice_creates_nothing_twice(&admin).await;
    an_import_with_a_bad_row_writes_nothing(&admin).await;
    a_file_larger_than_the_api_body_limit_is_read(&admin).await;
    assert!(matches!(
        audit::verify(&server.db).await.expect("verify"),
        ChainCheck::Intact { .. }
    ));
}

async fn a_category_tree_three_deep(admin: &Api<'_>) -> Tree {
    let mut made = Vec::new();
    let mut parent = Value::Null;
    for name in ["食品", "饮料", "茶饮"] {
        let (status, body) = admin
            .post(
                "/api/v1/categories",
                json!({ "name": name, "parent_id": parent }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        parent = body["id"].clone();
        made.push(body);
    }
    assert_eq!(made[2]["path"].as_array().expect("path").len(), 3);
    assert_eq!(made[2]["path"][0], made[0]["id"]);
    let (status, tools) = admin
        .post(
            "/api/v1/categories",
            json!({ "name": "五金", "sort_order": -1 }),
        )
        .await;
    assert_eq!(status, 201);
    // A sibling may not share a name.
    let (status, body) = admin
        .post(
            "/api/v1/categories",
            json!({ "name": "饮料", "parent_id": made[0]["id"] }),
        )
        .await;
    assert_eq!((status, fields(&body)), (400, vec!["name".to_owned()]));
    // The list is the tree flat, parents first, siblings in sort order.
    let (status, list) = admin.get("/api/v1/categories").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["五金", "食品", "饮料", "茶饮"]);
    let id = |body: &Value| body["id"].as_str().expect("id").to_owned();
    Tree {
        food: id(&made[0]),
        drinks: id(&made[1]),
        tea: id(&made[2]),
        tools: id(&tools),
    }
}

fn item(code: &str, name: &str, category: &str, price_fen: i64) -> Value {
    json!({
        "code": code,
        "name": name,
        "category_id": category,
        "retail_price_fen": price_fen,
    })
}

async fn items_are_found_by_fragment_barcode_and_category(admin: &Api<'_>, tree: &Tree) {
    let mut green_tea = item("T001", "西湖龙井绿茶", &tree.tea, 1_250);
    green_tea["barcode"] = json!("6901234567892");
    green_tea["member_price_fen"] = json!(1_100);
    green_tea["points_price"] = json!(500);
    green_tea["unit"] = json!("瓶");
    let (status, created) = admin.post("/api/v1/items", green_tea).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["retail_price_fen"], 1_250);
    assert_eq!(created["earns_points"], true);
    assert_eq!(created["category_path"].as_array().expect("path").len(), 3);
    for body in [
        item("T002", "铁观音乌龙茶", &tree.tea, 2_000),
        item("D001", "矿泉水", &tree.drinks, 200),
        item("F001", "苏打饼干", &tree.food, 650),
        item("H001", "羊角锤", &tree.tools, 3_500),
    ] {
        let (status, body) = admin.post("/api/v1/items", body).await;
        assert_eq!(status, 201, "{body}");
    }
    let search = |query: &'static str| async move {
        let (status, page) = admin.get(&format!("/api/v1/items?{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        codes(&page)
    };
    assert_eq!(search("q=%E7%BB%BF%E8%8C%B6").await, ["T001"]); // 绿茶
    assert_eq!(search("q=t00").await, ["T001", "T002"]);
    assert_eq!(search("barcode=6901234567892").await, ["T001"]);
    assert_eq!(search("q=690123").await, ["T001"]);
    // A category includes everything below it.
    let in_food = admin
        .get(&format!("/api/v1/items?category_id={}", tree.food))
        .await;
    assert_eq!(codes(&in_food.1), ["D001", "F001", "T001", "T002"]);
    let in_drinks = admin
        .get(&format!("/api/v1/items?category_id={}", tree.drinks))
        .await;
    assert_eq!(codes(&in_drinks.1), ["D001", "T001", "T002"]);
    // Keyset paging walks every item once.
    let (_, first) = admin.get("/api/v1/items?limit=2").await;
    assert_eq!(codes(&first), ["D001", "F001"]);
    let after = first["next_after"].as_str().expect("more");
    let (_, second) = admin
        .get(&format!("/api/v1/items?limit=2&after={after}"))
        .await;
    assert_eq!(codes(&second), ["H001", "T001"]);
    let after = second["next_after"].as_str().expect("more");
    let (_, last) = admin
        .get(&format!("/api/v1/items?limit=2&after={after}"))
        .await;
    assert_eq!(codes(&last), ["T002"]);
    assert_eq!(last["next_after"], Value::Null);
}

async fn find(admin: &Api<'_>, code: &str) -> Value {
    let (_, page) = admin.get(&format!("/api/v1/items?q={code}")).await;
    page["items"][0].clone()
}

async fn items_are_updated_and_soft_deleted(admin: &Api<'_>, tree: &Tree) {
    let biscuit = find(admin, "F001").await;
    let id = biscuit["id"].as_str().expect("id");
    let mut changed = item("F001", "苏打饼干（大包）", &tree.food, 990);
    changed["earns_points"] = json!(false);
    let (status, updated) = admin.put(&format!("/api/v1/items/{id}"), changed).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "苏打饼干（大包）");
    assert_eq!(updated["earns_points"], false);
    assert!(updated["version"].as_i64() >= biscuit["version"].as_i64());
    let (before, after): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT before_json, after_json FROM audit_log WHERE action = 'catalogue.item_update' \
         AND entity_id = $1",
    )
    .bind(id)
    .fetch_one(&admin.server.db.pool)
    .await
    .expect("audited");
    assert!(before.expect("before").contains("苏打饼干\""));
    assert!(after.expect("after").contains("990"));

    let (status, _) = admin.delete(&format!("/api/v1/items/{id}")).await;
    assert_eq!(status, 204);
    let (status, _) = admin.get(&format!("/api/v1/items/{id}")).await;
    assert_eq!(status, 404);
    assert!(find(admin, "F001").await.is_null());
    // Deleted, not removed: the row stays for past sales.
    let kept = count(
        admin.server,
        "SELECT COUNT(*) FROM items WHERE code = 'F001' AND deleted_at IS NOT NULL",
    )
    .await;
    assert_eq!(kept, 1);
    // Its code is free again.
    let (status, body) = admin
        .post("/api/v1/items", item("F001", "苏打饼干", &tree.food, 650))
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn a_retried_create_is_recognised_and_a_reused_id_refused(admin: &Api<'_>, tree: &Tree) {
    let id = uuid::Uuid::now_v7().to_string();
    let mut body = item("D002", "苏打水", &tree.drinks, 300);
    body["id"] = json!(id);
    let (status, first) = admin.post("/api/v1/items", body.clone()).await;
    assert_eq!(status, 201, "{first}");
    let before = written(admin.server).await;
    let (status, again) = admin.post("/api/v1/items", body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(again, first);
    body["retail_price_fen"] = json!(350);
    let (status, conflict) = admin.post("/api/v1/items", body).await;
    assert_eq!((status, &conflict["code"]), (409, &json!("conflict")));
    assert_eq!(written(admin.server).await, before, "nothing written");
}

async fn the_cashier_may_look_but_not_change(cashier: &Api<'_>, tree: &Tree) {
    let (status, page) = cashier.get("/api/v1/items?q=T001").await;
    assert_eq!((status, codes(&page)), (200, vec!["T001".to_owned()]));
    let (status, _) = cashier.get("/api/v1/categories").await;
    assert_eq!(status, 200);
    let id = page["items"][0]["id"].as_str().expect("id").to_owned();
    let before = written(cashier.server).await;
    let attempts = [
        cashier
            .post("/api/v1/items", item("X001", "偷偷加的", &tree.tea, 1))
            .await,
        cashier
            .put(
                &format!("/api/v1/items/{id}"),
                item("T001", "改名", &tree.tea, 1),
            )
            .await,
        cashier.delete(&format!("/api/v1/items/{id}")).await,
        cashier
            .post("/api/v1/categories", json!({ "name": "新分类" }))
            .await,
        cashier
            .delete(&format!("/api/v1/categories/{}", tree.tools))
            .await,
        cashier
            .upload("dry_run=true", b"code,name,retail_price\nX,Y,1\n".to_vec())
            .await,
    ];
    for (status, body) in attempts {
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["details"]["permission"], "catalogue.edit");
    }
    assert_eq!(written(cashier.server).await, before);
}

async fn bad_input_is_named_by_field_and_nothing_written(admin: &Api<'_>, tree: &Tree) {
    let before = written(admin.server).await;
    let cases = [
        (
            json!({ "barcode": "6901234567891" }),
            "barcode",
            "barcode_check_digit",
        ),
        (json!({ "barcode": "12345" }), "barcode", "invalid_barcode"),
        (
            json!({ "retail_price_fen": -100 }),
            "retail_price_fen",
            "negative",
        ),
        (
            json!({ "retail_price_fen": 12.345 }),
            "retail_price_fen",
            "not_integer",
        ),
        (
            json!({ "retail_price_fen": 100_000_000_000_i64 }),
            "retail_price_fen",
            "out_of_range",
        ),
        (
            json!({ "member_price_fen": 5_000 }),
            "member_price_fen",
            "above_retail_price",
        ),
        (json!({ "name": "" }), "name", "required"),
        (json!({ "name": "长".repeat(61) }), "name", "too_long"),
        (json!({ "code": "T001" }), "code", "duplicate"),
        (
            json!({ "barcode": "6901234567892" }),
            "barcode",
            "duplicate",
        ),
        (
            json!({ "category_id": uuid::Uuid::now_v7() }),
            "category_id",
            "not_found",
        ),
        (
            json!({ "id": "00000000-0000-4000-8000-000000000000" }),
            "id",
            "invalid_id",
        ),
    ];
    for (change, field, code) in cases {
        let mut body = item("N001", "新品", &tree.tea, 1_000);
        for (key, value) in change.as_object().expect("object") {
            body[key] = value.clone();
        }
        let (status, answer) = admin.post("/api/v1/items", body).await;
        assert_eq!(status, 400, "{field}: {answer}");
        assert_eq!(answer["code"], "invalid_input");
        assert_eq!(fields(&answer), [field], "{answer}");
        assert_eq!(answer["details"]["fields"][0]["code"], code, "{answer}");
    }
    let (_, answer) = admin
        .post(
            "/api/v1/items",
            json!({ "code": "N001", "name": "x", "retail_price_fen": 100, "barcode": "6901234567891" }),
        )
        .await;
    let message = answer["details"]["fields"][0]["message"]
        .as_str()
        .expect("message");
    assert!(message.contains("校验位"), "{message}");
    // A category cannot move below itself.
    let (status, answer) = admin
        .put(
            &format!("/api/v1/categories/{}", tree.food),
            json!({ "name": "食品", "parent_id": tree.tea }),
        )
        .await;
    assert_eq!(
        (status, fields(&answer)),
        (400, vec!["parent_id".to_owned()])
    );
    assert_eq!(written(admin.server).await, before, "nothing written");
}

async fn a_category_with_contents_is_not_deleted(admin: &Api<'_>, tree: &Tree) {
    let before = written(admin.server).await;
    let (status, answer) = admin
        .delete(&format!("/api/v1/categories/{}", tree.drinks))
        .await;
    assert_eq!((status, &answer["code"]), (409, &json!("conflict")));
    assert!(answer["message"]
        .as_str()
        .expect("message")
        .contains("子分类"));
    assert_eq!(written(admin.server).await, before);
    // Moving 茶饮 to the top carries its path along; an empty category can go.
    let (status, moved) = admin
        .put(
            &format!("/api/v1/categories/{}", tree.tea),
            json!({ "name": "茶叶" }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["path"], json!([tree.tea]));
    let (_, tea) = admin.get("/api/v1/items?q=T001").await;
    assert_eq!(tea["items"][0]["category_path"], json!([tree.tea]));
    let (status, empty) = admin
        .post("/api/v1/categories", json!({ "name": "待删" }))
        .await;
    assert_eq!(status, 201);
    let (status, _) = admin
        .delete(&format!(
            "/api/v1/categories/{}",
            empty["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(status, 204);
}

async fn a_csv_dry_run_reports_bad_rows_and_writes_nothing(admin: &Api<'_>) {
    let before = written(admin.server).await;
    let file = "编码,条码,名称,分类,单位,零售价,会员价,积分价,积分商品\n\
                C001,6920000000012,可乐,食品/饮料/碳酸,瓶,3.50,3.00,,是\n\
                C002,6920000000018,雪碧,食品/饮料/碳酸,瓶,3.5,,,是\n\
                C003,,芬达,食品/饮料/碳酸,瓶,-1,,,是\n\
                C004,,美年达,食品/饮料/碳酸,瓶,3.505,,,也许\n\
                C001,,可乐重复,食品/饮料/碳酸,瓶,3.50,,,否\n";
    let (status, report) = admin
        .upload("dry_run=true&format=csv", file.as_bytes().to_vec())
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["committed"], false);
    assert_eq!(report["rows_read"], 5);
    assert_eq!(report["rows_valid"], 1);
    assert_eq!(report["created"], 1);
    assert_eq!(report["categories_created"], 1);
    let found: Vec<(i64, String, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().expect("row"),
                e["field"].as_str().expect("field").to_owned(),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    let expected = [
        (3, "barcode", "barcode_check_digit"),
        (4, "retail_price", "negative"),
        (5, "retail_price", "too_precise"),
        (5, "earns_points", "invalid_yes_no"),
        (6, "code", "duplicate_in_file"),
    ];
    assert_eq!(
        found,
        expected
            .iter()
            .map(|(row, field, code)| (*row, field.to_string(), code.to_string()))
            .collect::<Vec<_>>()
    );
    assert!(report["errors"][0]["message"]
        .as_str()
        .expect("message")
        .starts_with("条码："));
    assert_eq!(
        written(admin.server).await,
        before,
        "a dry run writes nothing"
    );
}

fn xlsx(rows: &[[&str; 6]]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let header = ["编码", "条码", "名称", "分类", "零售价", "积分商品"];
    for (column, title) in header.iter().enumerate() {
        sheet
            .write_string(0, column as u16, *title)
            .expect("header");
    }
    for (index, row) in rows.iter().enumerate() {
        let line = index as u32 + 1;
        for (column, cell) in row.iter().enumerate() {
            // Prices and barcodes as numbers, the way Excel keeps what a person types.
            match cell.parse::<f64>() {
                Ok(number) if column == 1 || column == 4 => {
                    sheet
                        .write_number(line, column as u16, number)
                        .expect("number");
                }
                _ => {
                    sheet
                        .write_string(line, column as u16, *cell)
                        .expect("text");
                }
            }
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

async fn an_xlsx_import_twice_creates_nothing_twice(admin: &Api<'_>) {
    let rows = [
        [
            "X001",
            "6920000000029",
            "毛尖",
            "食品/饮料/茶饮",
            "18.8",
            "是",
        ],
        ["X002", "", "碧螺春", "食品/饮料/茶饮", "25", "是"],
        ["X003", "", "香烟", "烟酒/香烟", "20", "否"],
        ["T001", "6901234567892", "西湖龙井绿茶", "", "13.5", "是"],
    ];
    let file = xlsx(&rows);
    let (status, report) = admin.upload("format=xlsx", file.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["committed"], true);
    assert_eq!(
        (
            &report["created"],
            &report["updated"],
            &report["categories_created"]
        ),
        (&json!(3), &json!(1), &json!(3)),
        "{report}"
    );
    let (_, tea) = admin.get("/api/v1/items?q=X001").await;
    let tea = &tea["items"][0];
    assert_eq!(tea["retail_price_fen"], 1_880);
    assert_eq!(tea["barcode"], "6920000000029");
    assert_eq!(tea["category_path"].as_array().expect("path").len(), 3);
    let (_, smokes) = admin.get("/api/v1/items?q=X003").await;
    assert_eq!(smokes["items"][0]["earns_points"], false);
    let (_, updated) = admin.get("/api/v1/items?q=T001").await;
    assert_eq!(updated["items"][0]["retail_price_fen"], 1_350);

    let before = written(admin.server).await;
    let (status, again) = admin.upload("format=xlsx", file).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (
            &again["created"],
            &again["updated"],
            &again["unchanged"],
            &again["categories_created"]
        ),
        (&json!(0), &json!(0), &json!(4), &json!(0))
    );
    let after = written(admin.server).await;
    assert_eq!(
        (after.0, after.1),
        (before.0, before.1),
        "nothing created twice"
    );
}

async fn an_import_with_a_bad_row_writes_nothing(admin: &Api<'_>) {
    let before = written(admin.server).await;
    let file = "code,name,category,retail_price\n\
                Y001,好的一行,新分类/子类,1\n\
                Y002,坏的一行,新分类,一块钱\n";
    let (status, answer) = admin.upload("", file.as_bytes().to_vec()).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "invalid_input");
    assert_eq!(fields(&answer), ["retail_price"]);
    assert_eq!(answer["details"]["report"]["errors"][0]["row"], 3);
    assert_eq!(answer["details"]["report"]["committed"], false);
    assert_eq!(written(admin.server).await, before, "all or nothing");
    // Asked to, the good rows go in and the bad one is skipped.
    let (status, report) = admin
        .upload("skip_invalid=true", file.as_bytes().to_vec())
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (&report["created"], &report["skipped"]),
        (&json!(1), &json!(1))
    );
    // A file without the needed columns is refused as a whole.
    let (status, answer) = admin
        .upload("dry_run=true", "名称\n茶\n".as_bytes().to_vec())
        .await;
    assert_eq!(status, 400);
    assert_eq!(fields(&answer), ["code", "retail_price"]);
}

/// The import route reads files far beyond the 64 KiB every other route accepts.
async fn a_file_larger_than_the_api_body_limit_is_read(admin: &Api<'_>) {
    let mut file = String::from("code,name,retail_price\n");
    for n in 0..3_000 {
        file.push_str(&format!(
            "BULK{n:05},批量导入的测试商品第{n}号,{}.50\n",
            n % 90
        ));
    }
    assert!(file.len() > 64 * 1024);
    let (status, report) = admin.upload("dry_run=true", file.into_bytes()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (&report["rows_read"], &report["created"]),
        (&json!(3_000), &json!(3_000))
    );
}
