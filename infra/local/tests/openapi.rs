//! The committed OpenAPI document (`docs/openapi.json`, what admin-api serves and frontend clients are
//! generated from) is exactly what the areas' fragments compose today.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;

use tradesense_local::openapi::{api_document, committed_path, fragments, render};

#[test]
fn the_committed_openapi_document_is_the_generated_one() {
    let committed = std::fs::read_to_string(committed_path()).unwrap();
    assert!(
        committed == render().unwrap(),
        "docs/openapi.json is stale: run `make openapi` and commit it"
    );
}

#[test]
fn every_area_contributes_its_paths() {
    let doc = api_document();
    for path in [
        "/v1/health",
        "/v1/auth/login",
        "/v1/orders",
        "/v1/portfolio",
        "/v1/market/quotes",
        "/v1/backtests",
        "/v1/backtests/{id}",
        "/openapi.json",
    ] {
        assert!(doc.paths.paths.contains_key(path), "{path} missing");
    }
}

#[test]
fn no_two_areas_give_different_schemas_one_name() {
    // `merge` keeps the first schema of a name: a second area's different one would silently vanish.
    let mut seen: HashMap<String, (&str, serde_json::Value)> = HashMap::new();
    for (area, fragment) in fragments() {
        let Some(components) = fragment.components else {
            continue;
        };
        for (name, schema) in components.schemas {
            let schema = serde_json::to_value(&schema).unwrap();
            match seen.get(&name) {
                Some((first, earlier)) => assert!(
                    *earlier == schema,
                    "schema {name} is defined differently by {first} and {area}: rename one"
                ),
                None => {
                    seen.insert(name, (area, schema));
                }
            }
        }
    }
}
