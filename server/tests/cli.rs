//! The `huiyuan` command as an operator uses it: demo data once, a refusal to expose demo
//! passwords beyond loopback, create-admin reading the password from standard input,
//! audit verify, points expire, and a clear error for an unknown database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn huiyuan(database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huiyuan"))
        .args(args)
        .env("HUIYUAN_DATABASE_URL", database_url)
        .env("HUIYUAN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start huiyuan");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("finish")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn operator_commands() {
    let dir = std::env::temp_dir().join(format!("huiyuan-cli-{}", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}/data/huiyuan.db", dir.display());

    let first = huiyuan(&url, &["demo-data"], None);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("demo data loaded"));
    // The demo shop: one rule set and the shelf, so the first sale earns points.
    let shop = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let db = huiyuan_server::db::Db::connect(&url).await.expect("db");
            let count = |sql: &'static str| {
                let pool = db.pool.clone();
                async move {
                    sqlx::query_scalar::<_, i64>(sql)
                        .fetch_one(&pool)
                        .await
                        .expect(sql)
                }
            };
            (
                count("SELECT COUNT(*) FROM rule_sets").await,
                count("SELECT COUNT(*) FROM items WHERE barcode LIKE '690123456%'").await,
            )
        });
    assert_eq!(shop, (1, 8));
    let again = huiyuan(&url, &["demo-data"], None);
    assert!(again.status.success());
    assert!(
        text(&again).contains("not loaded"),
        "demo data is loaded once"
    );

    let exposed = huiyuan(&url, &["serve", "--listen", "0.0.0.0:0"], None);
    assert!(!exposed.status.success());
    assert!(
        text(&exposed).contains("demo password"),
        "{}",
        text(&exposed)
    );

    let weak = huiyuan(
        &url,
        &["create-admin", "--username", "boss"],
        Some("short\n"),
    );
    assert!(!weak.status.success());
    assert!(text(&weak).contains("password"), "{}", text(&weak));
    let created = huiyuan(
        &url,
        &["create-admin", "--username", "boss"],
        Some("Str0ng-secret\n"),
    );
    assert!(created.status.success(), "{}", text(&created));

    let verified = huiyuan(&url, &["audit", "verify"], None);
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(text(&verified).contains("audit chain intact"));

    let expired = huiyuan(&url, &["points", "expire"], None);
    assert!(expired.status.success(), "{}", text(&expired));
    assert!(
        text(&expired).contains(": 0 lots, 0 points"),
        "{}",
        text(&expired)
    );
    let bad_time = huiyuan(&url, &["points", "expire", "--as-of", "tomorrow"], None);
    assert!(!bad_time.status.success());
    assert!(
        text(&bad_time).contains("--as-of `tomorrow` is not an RFC 3339 time"),
        "{}",
        text(&bad_time)
    );

    let unknown = huiyuan("mysql://localhost/x", &["migrate"], None);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("unsupported database URL scheme `mysql`"),
        "{}",
        text(&unknown)
    );
    let _ = std::fs::remove_dir_all(dir);
}
