//! Member import and export on SQLite and PostgreSQL: HQ checks an XLSX file with a dry
//! run that names every bad row's field and reason, phones repeated in the file and
//! phones already members'; a real import refuses bad rows unless told to skip them,
//! then writes the members in the background, chunk by chunk, with progress; the same
//! file again creates nothing; the member numbers stay right; the export read back
//! holds what was imported and imports again as nothing new.

mod common;

use calamine::{Data, Reader, Xlsx};
use common::{call, start, Backend, TestServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test]
async fn member_import_story_on_sqlite() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    member_import_story(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn member_import_story_on_postgres() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    member_import_story(&server).await;
    server.stop().await;
}

/// A cell of the test file: text, or a date as Excel stores it.
enum Cell<'a> {
    Text(&'a str),
    Date(u16, u8, u8),
}

fn xlsx(header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (column, name) in header.iter().enumerate() {
        sheet.write_string(0, column as u16, *name).expect("header");
    }
    for (index, cells) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        for (column, cell) in cells.iter().enumerate() {
            let column = column as u16;
            match cell {
                Cell::Text("") => {}
                Cell::Text(text) => {
                    sheet.write_string(row, column, *text).expect("cell");
                }
                Cell::Date(year, month, day) => {
                    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(*year, *month, *day)
                        .expect("date");
                    sheet
                        .write_datetime_with_format(row, column, &date, &date_format)
                        .expect("date cell");
                }
            }
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

async fn upload(server: &TestServer, token: &str, query: &str, file: &[u8]) -> (u16, Value) {
    call(
        reqwest::Client::new()
            .post(server.url(&format!("/api/v1/member-imports?{query}")))
            .bearer_auth(token)
            .body(file.to_vec()),
    )
    .await
}

/// Follows a job until it ends; it must make progress within a few seconds.
async fn finish(server: &TestServer, token: &str, job: &Value) -> Value {
    let id = job["id"].as_str().expect("job id");
    let started = Instant::now();
    loop {
        let (status, job) = call(
            reqwest::Client::new()
                .get(server.url(&format!("/api/v1/member-imports/{id}")))
                .bearer_auth(token),
        )
        .await;
        assert_eq!(status, 200, "{job}");
        if job["state"] != "running" {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "import still running: {job}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&server.db.pool)
        .await
        .expect("count")
}

fn errors_of(report: &Value) -> Vec<(u64, String, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["field"].as_str().expect("field").to_owned(),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

async fn member_import_story(server: &TestServer) {
    use Cell::{Date, Text};
    let client = reqwest::Client::new();
    let admin = server.token("admin", "demo1234").await;
    let manager = server.token("manager", "demo1234").await;
    let cashier = server.token("cashier", "demo1234").await;

    // HQ's lists and questionnaire the file refers to.
    let (status, region) = call(
        client
            .post(server.url("/api/v1/member-classes"))
            .bearer_auth(&admin)
            .json(&json!({ "list": "region", "name": "浦东" })),
    )
    .await;
    assert_eq!(status, 201, "{region}");
    let (status, _) = call(
        client
            .put(server.url("/api/v1/member-fields/skin_type"))
            .bearer_auth(&admin)
            .json(
                &json!({ "key": "skin_type", "label": "肤质", "kind": "choice",
                "choices": ["干性", "油性"], "access": "general" }),
            ),
    )
    .await;
    assert_eq!(status, 200);

    let given_no = huiyuan_server::member::numbers::member_number(500);
    let header = [
        "姓名",
        "手机",
        "性别",
        "生日",
        "门店编码",
        "地区",
        "肤质",
        "会员编号",
        "备用",
    ];
    let rows = vec![
        // 2: good, birthday as an Excel date cell.
        vec![
            Text("张三丰"),
            Text("139 1111 2222"),
            Text("男"),
            Date(1990, 5, 1),
            Text("S001"),
            Text("浦东"),
            Text("油性"),
            Text(""),
            Text("x"),
        ],
        // 3: bad in every way.
        vec![
            Text(""),
            Text("12345"),
            Text("不详"),
            Text("1990-02-30"),
            Text("S999"),
            Text("浦西"),
            Text("中性"),
            Text("123456789"),
        ],
        // 4: the phone of row 2 again.
        vec![Text("王五"), Text("13911112222")],
        // 5: already a member (demo data): counted as existing, not an error.
        vec![Text("张三丰"), Text("13800138000")],
        // 6: good, birthday typed as text, with its own member number.
        vec![
            Text("钱七"),
            Text("13911113333"),
            Text("女"),
            Text("1985/12/3"),
            Text(""),
            Text(""),
            Text(""),
            Text(&given_no),
        ],
        // 7: good, minimal.
        vec![Text("孙八"), Text("+86 13911114444")],
    ];
    let file = xlsx(&header, &rows);
    let members_before = count(server, "SELECT COUNT(*) FROM members").await;

    // The dry run: every bad cell by row and field, the duplicate, the existing member.
    let (status, report) = upload(server, &admin, "dry_run=true", &file).await;
    assert_eq!(status, 200, "{report}");
    let expected: Vec<(u64, String, String)> = [
        (3, "name", "required"),
        (3, "phone", "invalid_mobile"),
        (3, "member_no", "bad_check_digit"),
        (3, "store_code", "unknown_store"),
        (3, "region", "unknown_class"),
        (3, "profile.gender", "not_a_choice"),
        (3, "profile.birth_date", "invalid_date"),
        (3, "profile.skin_type", "not_a_choice"),
        (4, "phone", "duplicate_in_file"),
    ]
    .iter()
    .map(|(row, field, code)| (*row, (*field).to_owned(), (*code).to_owned()))
    .collect();
    assert_eq!(errors_of(&report), expected);
    assert_eq!(report["errors"][8]["message"], "手机：与第2行手机号重复");
    assert_eq!(
        report["errors"][3]["message"],
        "门店编码：没有编码为S999的门店"
    );
    assert_eq!(report["rows_read"], 6);
    assert_eq!(report["rows_valid"], 4);
    assert_eq!(report["to_create"], 3);
    assert_eq!(report["existing"], 1);
    assert_eq!(report["existing_rows"][0]["row"], 5);
    assert_eq!(report["existing_rows"][0]["phone_masked"], "138****8000");
    assert_eq!(report["ignored_columns"], json!(["备用"]));
    assert_eq!(
        count(server, "SELECT COUNT(*) FROM members").await,
        members_before
    );

    // Refusals: a real run with bad rows writes nothing unless told to skip them; the
    // cashier may not import; a manager may not export the whole organisation.
    let (status, refused) = upload(server, &admin, "file_name=members.xlsx", &file).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["details"]["fields"][0]["field"], "name");
    assert_eq!(
        refused["details"]["report"]["errors"]
            .as_array()
            .map(Vec::len),
        Some(9)
    );
    let (status, _) = upload(server, &cashier, "dry_run=true", &file).await;
    assert_eq!(status, 403);
    let (status, _) = call(
        client
            .get(server.url("/api/v1/members/export"))
            .bearer_auth(&manager),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        count(server, "SELECT COUNT(*) FROM members").await,
        members_before
    );
    assert_eq!(
        count(server, "SELECT COUNT(*) FROM member_imports").await,
        0
    );

    // The import, skipping the bad rows, runs as a job.
    let (status, job) = upload(
        server,
        &admin,
        "file_name=members.xlsx&skip_invalid=true",
        &file,
    )
    .await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["file_name"], "members.xlsx");
    assert_eq!(job["rows_total"], 4);
    let job = finish(server, &admin, &job).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        (
            &job["created"],
            &job["existing"],
            &job["skipped"],
            &job["rows_done"]
        ),
        (&json!(3), &json!(1), &json!(2), &json!(4))
    );
    assert_eq!(
        count(server, "SELECT COUNT(*) FROM members").await,
        members_before + 3
    );

    // What was imported is found as a member entered at the counter is.
    let (status, page) = call(
        client
            .get(server.url("/api/v1/members?q=%E4%B8%89%E4%B8%B0")) // 三丰
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 200);
    let imported = page["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["phone_masked"] == "139****2222")
        .expect("the imported 张三丰 found by 三丰")
        .clone();
    let (status, record) = call(
        client
            .get(server.url(&format!(
                "/api/v1/members/{}",
                imported["id"].as_str().expect("id")
            )))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(record["phone"], "13911112222");
    assert_eq!(record["registered_via"], "import");
    assert_eq!(record["status"], "active");
    assert_eq!(record["profile"]["birth_date"], "1990-05-01");
    assert_eq!(record["profile"]["gender"], "男");
    assert_eq!(record["profile"]["skin_type"], "油性");
    assert_eq!(record["classification"]["region"], region["id"]);
    assert_eq!(record["store_id"], server.store_id("S001").await.as_str());
    assert!(huiyuan_shared::check_digit::is_valid(
        record["member_no"].as_str().expect("member_no")
    ));
    assert_eq!(record["referral_code"], record["member_no"]);
    let (status, page) = call(
        client
            .get(server.url("/api/v1/members?q=4444"))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["members"][0]["name"], "孙八");
    let (status, page) = call(
        client
            .get(server.url(&format!("/api/v1/members?q={given_no}")))
            .bearer_auth(&cashier),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["members"][0]["name"], "钱七");
    // The counter moved past the number the file gave: the next member gets a new one.
    let (status, next) = call(
        client
            .post(server.url("/api/v1/members"))
            .bearer_auth(&cashier)
            .json(&json!({ "name": "周九", "phone": "13911115555" })),
    )
    .await;
    assert_eq!(status, 201, "{next}");
    let next_no = next["member_no"].as_str().expect("member_no");
    assert!(next_no > given_no.as_str(), "{next_no} after {given_no}");
    assert!(
        count(
            server,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'member.import'"
        )
        .await
            >= 1
    );

    // The same file again creates nothing.
    let (status, again) = upload(server, &admin, "skip_invalid=true", &file).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["report"]["to_create"], 0);
    assert_eq!(again["report"]["existing"], 4);
    let again = finish(server, &admin, &again).await;
    assert_eq!(again["state"], "done");
    assert_eq!(
        (&again["created"], &again["existing"]),
        (&json!(0), &json!(4))
    );
    assert_eq!(
        count(server, "SELECT COUNT(*) FROM members").await,
        members_before + 4
    );

    // A file of several chunks, as CSV: every row written, each member's name indexed.
    let mut csv = String::from("name,phone,gender\n");
    for index in 0..1_234 {
        csv.push_str(&format!("会员{index},1580000{index:04},女\n"));
    }
    let (status, big) = upload(
        server,
        &admin,
        "format=csv&file_name=big.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, 202, "{big}");
    let big = finish(server, &admin, &big).await;
    assert_eq!(big["state"], "done", "{big}");
    assert_eq!(
        (&big["created"], &big["rows_done"]),
        (&json!(1234), &json!(1234))
    );
    assert_eq!(
        count(
            server,
            "SELECT COUNT(*) FROM members WHERE phone LIKE '1580000%'"
        )
        .await,
        1_234
    );
    assert_eq!(
        count(
            server,
            "SELECT COUNT(*) FROM member_name_grams g JOIN members m ON m.id = g.member_id \
             WHERE m.phone = '15800001233'"
        )
        .await,
        huiyuan_shared::member::name_grams("会员1233").len() as i64
    );
    assert_eq!(
        count(
            server,
            "SELECT COUNT(DISTINCT member_no) FROM members WHERE phone LIKE '1580000%'"
        )
        .await,
        1_234
    );

    // The export, read back, holds every active member with their profile fields.
    let response = client
        .get(server.url("/api/v1/members/export?status=active"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let exported = response.bytes().await.expect("bytes").to_vec();
    let mut workbook = Xlsx::new(std::io::Cursor::new(exported.clone())).expect("xlsx");
    let sheet = workbook
        .worksheet_range_at(0)
        .expect("sheet")
        .expect("range");
    let text = |cell: &Data| match cell {
        Data::String(text) => text.clone(),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    };
    let table: Vec<Vec<String>> = sheet
        .rows()
        .map(|row| row.iter().map(text).collect())
        .collect();
    let header = &table[0];
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let active = count(
        server,
        "SELECT COUNT(*) FROM members WHERE status = 'active'",
    )
    .await;
    assert_eq!(table.len() as i64 - 1, active);
    let row = table
        .iter()
        .find(|row| row[column("手机")] == "13911112222")
        .expect("the imported member exported");
    assert_eq!(row[column("姓名")], "张三丰");
    assert_eq!(
        row[column("会员编号")],
        record["member_no"].as_str().expect("member_no")
    );
    assert_eq!(row[column("门店编码")], "S001");
    assert_eq!(row[column("地区")], "浦东");
    assert_eq!(row[column("生日")], "1990-05-01");
    assert_eq!(row[column("性别")], "男");
    assert_eq!(row[column("肤质")], "油性");
    assert_eq!(row[column("状态")], "正式会员");
    assert_eq!(
        count(
            server,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'member.export'"
        )
        .await,
        1
    );

    // The export imports again as nothing new: every row is an existing member.
    let (status, round_trip) = upload(server, &admin, "dry_run=true", &exported).await;
    assert_eq!(status, 200, "{round_trip}");
    assert_eq!(round_trip["errors"], json!([]), "{round_trip}");
    assert_eq!(round_trip["existing"], json!(active));
    assert_eq!(round_trip["to_create"], 0);

    // A job that is not there.
    let (status, _) = call(
        client
            .get(server.url(&format!("/api/v1/member-imports/{}", uuid::Uuid::now_v7())))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 404);
}
