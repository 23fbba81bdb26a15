//! The committed AsyncAPI documents (`docs/asyncapi/`) are what `understudy-check export asyncapi` writes
//! now, every protocol has one, every suite schema is in one, and every example passes its message's payload.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use understudy_conformance::asyncapi::{self, Sources};
use understudy_conformance::rules;
use understudy_conformance::schema::Schemas;
use understudy_conformance::steps::protocol_names;

fn committed_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/asyncapi"))
}

#[test]
fn the_committed_documents_are_not_stale() {
    let out = std::env::temp_dir().join(format!("understudy-asyncapi-{}", std::process::id()));
    let written = asyncapi::write(&out, &Sources::shipped()).unwrap();
    let names = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        names(&out),
        names(committed_dir()),
        "docs/asyncapi/ lists other files than the export writes: run `understudy-check export asyncapi --out docs/asyncapi`"
    );
    for file in written {
        let name = file.file_name().unwrap();
        let fresh = std::fs::read_to_string(&file).unwrap();
        let committed = std::fs::read_to_string(committed_dir().join(name)).unwrap_or_default();
        assert!(
            fresh == committed,
            "docs/asyncapi/{} is stale: run `understudy-check export asyncapi --out docs/asyncapi`",
            name.to_string_lossy()
        );
    }
    let _ = std::fs::remove_dir_all(out);
}

fn collect_schemas(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(file)) = map.get("x-schema") {
                found.insert(file.clone());
            }
            map.values().for_each(|v| collect_schemas(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_schemas(v, found)),
        _ => {}
    }
}

#[test]
fn every_protocol_and_every_suite_schema_is_documented_and_every_example_passes_its_payload() {
    let sources = Sources::shipped();
    let documents = asyncapi::documents(&sources).unwrap();
    let documented: Vec<&str> = documents.iter().map(|(name, _)| *name).collect();
    assert_eq!(documented, protocol_names());

    let mut found = BTreeSet::new();
    for (name, document) in &documents {
        collect_schemas(document, &mut found);
        let table = rules::parse(&std::fs::read_to_string(sources.features.join(name).join("RULES.md")).unwrap());
        for (id, message) in document["components"]["messages"].as_object().unwrap() {
            for rule in message["x-rules"].as_array().unwrap() {
                assert!(
                    table.iter().any(|r| r.id == rule.as_str().unwrap()),
                    "{name}/{id} names {rule}, which features/{name}/RULES.md has not"
                );
            }
            let Some(examples) = message["examples"].as_array() else {
                continue;
            };
            let validator = jsonschema::draft7::new(&message["payload"]).unwrap();
            for example in examples {
                let problems: Vec<String> = validator
                    .iter_errors(&example["payload"])
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    problems.is_empty(),
                    "{name}/{id} example {}: {problems:?}",
                    example["name"]
                );
            }
        }
        for (id, operation) in document["operations"].as_object().unwrap() {
            let channel = operation["channel"]["$ref"]
                .as_str()
                .unwrap()
                .trim_start_matches("#/channels/");
            for reference in operation["messages"].as_array().unwrap() {
                let pointer = reference["$ref"].as_str().unwrap().trim_start_matches('#');
                assert!(pointer.starts_with(&format!("/channels/{channel}/")), "{name}/{id}");
                assert!(
                    document.pointer(pointer).is_some(),
                    "{name}/{id}: {pointer} is not in the document"
                );
            }
        }
    }
    let shipped = Schemas::load(&sources.schemas).unwrap();
    let expected: BTreeSet<String> = shipped
        .names()
        .map(|n| format!("conformance/schemas/{n}.json"))
        .collect();
    assert_eq!(
        found, expected,
        "every suite schema is the payload (or part of it) of some message"
    );
}
