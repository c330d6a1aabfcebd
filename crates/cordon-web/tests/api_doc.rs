//! The API's routes and its OpenAPI document come from one source: every
//! documented operation is routed, every routed API handler is documented.

mod common;

use std::path::Path;

use common::{api, spawn_app};
use serde_json::Value;

/// Every `(method, path)` of the document.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                out.push((method.to_string(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let token = app.db.store.create_token("cmd").await.unwrap();
    let doc: Value = api().get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let ops = operations(&doc);
    assert!(ops.len() >= 35, "the document lists the API: {}", ops.len());
    assert!(ops.contains(&("get".into(), "/api/v1/units/{id}".into())), "GET /api/v1/units/{{id}} is documented");
    for (method, path) in &ops {
        // Placeholders with values that route, whether or not such a record exists.
        let concrete = path.replace("{kind}", "cadres").replace("{id}", "999999").replace("{entry}", "999999");
        let req = api()
            .request(method.to_uppercase().parse().unwrap(), app.url(&concrete))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{}");
        let res = req.send().await.unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_ne!(status, reqwest::StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is not routed");
        assert_ne!(body["error"]["code"], "no-route", "{method} {path} is not routed: {body}");
    }
    // And an address that is no route says so, distinctly from a record not found.
    let res = api().get(app.url("/api/v1/nothing-here")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "no-route");
}

/// The sources of the web crate, as (file, text).
fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_api_handler_is_documented_and_routed_only_through_the_document() {
    let doc: Value = serde_json::from_str(&cordon_web::openapi_json()).unwrap();
    let documented = operations(&doc).len();
    let mut annotated = 0;
    for (file, text) in sources() {
        annotated += text.matches("#[utoipa::path(").count();
        // An API router registers handlers only through `routes!`, which reads
        // the handler's `#[utoipa::path]`; a bare `.route(` would be undocumented.
        if let Some(start) = text.find("fn api_router()") {
            let body = &text[start..];
            let body = &body[..body.find("\n}").unwrap_or(body.len())];
            assert!(!body.contains(".route("), "{file}: an API route outside the document");
        }
    }
    assert_eq!(annotated, documented, "every #[utoipa::path] handler is in the document, and only they");
}
