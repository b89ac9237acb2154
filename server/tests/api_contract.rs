//! The API's contract with its callers, checked against the running server:
//! - every route declares its access, every declared route is in the OpenAPI document and
//!   every documented route is declared;
//! - each protected route refuses a caller without a session (401) and a staff member
//!   without its permission (403), so the declaration is enforced, not decoration;
//! - bad input of every kind gets the JSON error shape, never a panic or an HTML page.

mod common;

use common::{call, start, Backend};
use huiyuan_server::access::Access;
use huiyuan_server::routes::api_routes;
use serde_json::json;
use std::collections::BTreeSet;

#[test]
fn declared_routes_and_the_openapi_document_agree() {
    let declared: BTreeSet<(String, String)> = api_routes()
        .specs()
        .iter()
        .map(|spec| (spec.method.to_lowercase(), spec.path.to_owned()))
        .collect();
    let document = serde_json::to_value(huiyuan_server::openapi::document()).expect("serialises");
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    assert_eq!(
        declared, documented,
        "routes without documentation, or documentation without a route"
    );
    assert_eq!(
        declared.len(),
        api_routes().specs().len(),
        "a route is declared twice"
    );
}

/// Fills path parameters with a fresh id.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|part| {
            if part.starts_with('{') {
                uuid::Uuid::now_v7().to_string()
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_protected_route_is_enforced_on_the_server() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    // A staff member whose role holds no permission at all.
    sqlx::query("INSERT INTO roles (id, code, name) VALUES ('role-none', 'none', '无权限')")
        .execute(&server.db.writer)
        .await
        .expect("role");
    let token = server.token("cashier", "demo1234").await;
    sqlx::query("UPDATE staff SET role_id = 'role-none' WHERE username = 'cashier'")
        .execute(&server.db.writer)
        .await
        .expect("strip the cashier's role");
    let client = reqwest::Client::new();
    for spec in api_routes().specs() {
        let method = reqwest::Method::from_bytes(spec.method.as_bytes()).expect("method");
        let url = server.url(&concrete(spec.path));
        let anonymous = call(client.request(method.clone(), &url).json(&json!({}))).await;
        match spec.access {
            Access::Public => {}
            Access::Member | Access::Staff => {
                assert_eq!(
                    anonymous.0, 401,
                    "{} {} without a session",
                    spec.method, spec.path
                );
                assert_eq!(anonymous.1["code"], "unauthenticated");
            }
            Access::Permission(permission) => {
                assert_eq!(
                    anonymous.0, 401,
                    "{} {} without a session",
                    spec.method, spec.path
                );
                // Only permission routes are called with the session: a plain staff
                // route such as logout would end it.
                let powerless = call(
                    client
                        .request(method, &url)
                        .bearer_auth(&token)
                        .json(&json!({})),
                )
                .await;
                assert_eq!(
                    powerless.0, 403,
                    "{} {} without {permission}",
                    spec.method, spec.path
                );
                assert_eq!(powerless.1["details"]["permission"], permission.code());
            }
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_input_always_gets_the_json_error_shape() {
    let server = start(Backend::Sqlite).await.expect("sqlite");
    let client = reqwest::Client::new();
    let login = server.url("/api/v1/auth/login");
    let oversized = format!(
        "{{\"username\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(100_000)
    );
    let cases = [
        (
            "malformed JSON",
            client
                .post(&login)
                .header("content-type", "application/json")
                .body("{bad"),
            400,
            "invalid_input",
        ),
        (
            "missing field",
            client.post(&login).json(&json!({ "username": "admin" })),
            400,
            "invalid_input",
        ),
        (
            "wrong type",
            client
                .post(&login)
                .json(&json!({ "username": 5, "password": "x" })),
            400,
            "invalid_input",
        ),
        (
            "not JSON",
            client.post(&login).body("username=admin"),
            415,
            "unsupported_media_type",
        ),
        (
            "oversized",
            client
                .post(&login)
                .header("content-type", "application/json")
                .body(oversized),
            413,
            "payload_too_large",
        ),
        (
            "unknown route",
            client.get(server.url("/api/v1/no-such-thing")),
            404,
            "not_found",
        ),
        (
            "unknown version",
            client.get(server.url("/api/v9/health")),
            404,
            "not_found",
        ),
        (
            "wrong method",
            client.delete(server.url("/api/v1/health")),
            405,
            "method_not_allowed",
        ),
        (
            "bad query",
            client.get(server.url("/api/v1/audit?limit=many")),
            401,
            "unauthenticated",
        ),
    ];
    for (what, request, status, code) in cases {
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), status, "{what}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("application/json"),
            "{what} answers JSON"
        );
        let body: serde_json::Value = response.json().await.expect("JSON body");
        assert_eq!(body["code"], code, "{what}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what} has a message"
        );
        assert!(body.get("details").is_some(), "{what} has details");
    }
    let (status, body) = call(body_with_missing_field(&client, &login)).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["details"]["fields"][0]["field"], "password",
        "the missing field is named"
    );
    let admin = server.token("admin", "demo1234").await;
    let (status, body) = call(
        client
            .get(server.url("/api/v1/audit?limit=many"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!((status, &body["code"]), (400, &json!("invalid_input")));
    let (status, body) = call(
        client
            .get(server.url("/api/v1/audit?limit=1000"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(
        (status, &body["details"]["fields"][0]["field"]),
        (400, &json!("limit"))
    );
    server.stop().await;
}

fn body_with_missing_field(client: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    client.post(url).json(&json!({ "username": "admin" }))
}
