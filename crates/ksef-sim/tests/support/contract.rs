//! Validates JSON responses against the response schemas of the official `open-api.json` (OpenAPI 3.0,
//! converted to JSON Schema: `nullable` becomes a union with `null`).

use serde_json::{json, Map, Value};

/// The loaded spec.
pub struct Contract {
    spec: Value,
    components: Value,
}

fn convert(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            let mut nullable = false;
            for (k, v) in map {
                match k.as_str() {
                    "nullable" => nullable = v.as_bool().unwrap_or(false),
                    "example" | "deprecated" | "readOnly" | "writeOnly" | "xml"
                    | "discriminator" => {}
                    _ => {
                        out.insert(k.clone(), convert(v));
                    }
                }
            }
            if nullable {
                json!({"anyOf": [Value::Object(out), {"type": "null"}]})
            } else {
                Value::Object(out)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        other => other.clone(),
    }
}

impl Contract {
    /// Reads `open-api.json` from the shared material.
    pub fn load() -> Contract {
        let text = std::fs::read_to_string(super::shared().join("openapi/open-api.json"))
            .expect("spec readable");
        let spec: Value = serde_json::from_str(&text).expect("spec is JSON");
        let components = convert(&spec["components"]);
        Contract { spec, components }
    }

    /// Asserts `body` matches the schema of `path`/`method`/`status` (`application/json` or problem+json).
    pub fn check(&self, path: &str, method: &str, status: u16, body: &Value) {
        let content = &self.spec["paths"][path][method]["responses"][status.to_string()]["content"];
        let schema = ["application/json", "application/problem+json"]
            .iter()
            .map(|ct| &content[*ct]["schema"])
            .find(|s| !s.is_null())
            .unwrap_or_else(|| panic!("spec has no JSON schema for {method} {path} {status}"));
        let mut root = convert(schema);
        if let Value::Object(map) = &mut root {
            map.insert("components".into(), self.components.clone());
        }
        let validator = jsonschema::draft7::new(&root).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status} violates the spec: {errors:?}\n{body}"
        );
    }

    /// Asserts an error body matches either shape the spec allows for `status`.
    pub fn check_error(&self, path: &str, method: &str, status: u16, body: &Value, problem: bool) {
        let content = &self.spec["paths"][path][method]["responses"][status.to_string()]["content"];
        let ct = if problem {
            "application/problem+json"
        } else {
            "application/json"
        };
        let mut root = convert(&content[ct]["schema"]);
        assert!(
            !root.is_null(),
            "spec has no {ct} schema for {method} {path} {status}"
        );
        if let Value::Object(map) = &mut root {
            map.insert("components".into(), self.components.clone());
        }
        let validator = jsonschema::draft7::new(&root).expect("schema compiles");
        let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status} error body violates the spec: {errors:?}\n{body}"
        );
    }
}
