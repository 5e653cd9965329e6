//! Proof that schema loading and validation never fetch anything: every outside reference is
//! refused. A local TCP listener stands in for "the network" and must never see a connection.

mod xsd_common;

use std::fs;
use std::net::TcpListener;
use std::path::Path;

use fa3::xsd::{SchemaLoadError, SchemaSet};
use xsd_common::{copy_fa3_schemas, sample_text, shared_schemas};

/// A listener on an ephemeral local port; `connections()` counts who knocked.
struct Trap {
    listener: TcpListener,
}

impl Trap {
    fn new() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        listener.set_nonblocking(true).expect("non-blocking");
        Trap { listener }
    }

    fn url(&self, file: &str) -> String {
        format!(
            "http://{}/{file}",
            self.listener.local_addr().expect("address")
        )
    }

    /// Connections already queued by the kernel (a connect completes before any accept).
    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.listener.accept().ok()).count()
    }
}

fn edit(path: &Path, find: &str, replace: &str) {
    let text = fs::read_to_string(path).expect("read schema copy");
    assert!(text.contains(find), "{find} not in {}", path.display());
    fs::write(path, text.replacen(find, replace, 1)).expect("write schema copy");
}

#[test]
fn the_trap_would_notice_a_fetch() {
    // Guards the other tests: if connecting did not register, their zero counts would prove nothing.
    let trap = Trap::new();
    let address = trap.listener.local_addr().expect("address");
    let _client = std::net::TcpStream::connect(address).expect("connect");
    assert_eq!(trap.connections(), 1);
}

#[test]
fn a_schema_importing_another_url_is_refused_not_fetched() {
    let trap = Trap::new();
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fa3_schemas(dir.path());
    let url = trap.url("evil.xsd");
    edit(
        &dir.path().join(fa3::schemas::FA3_SCHEMA.path),
        "<xsd:import ",
        &format!("<xsd:import namespace=\"urn:evil\" schemaLocation=\"{url}\"/><xsd:import "),
    );
    match SchemaSet::load(dir.path()) {
        Err(error @ SchemaLoadError::Refused(_)) => {
            assert_eq!(error.code(), "xsd.schema_refused");
            assert!(error.to_string().contains(&url), "{error}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(trap.connections(), 0, "the URL was fetched");
}

#[test]
fn a_schema_including_a_file_outside_the_set_is_refused_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schemas = dir.path().join("schemas");
    copy_fa3_schemas(&schemas);
    // A real, readable schema file right next to the schema directory.
    let outside = dir.path().join("outside.xsd");
    fs::write(
        &outside,
        "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         targetNamespace=\"http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/\"/>",
    )
    .expect("write outside schema");
    edit(
        &schemas.join(fa3::schemas::KODY_KRAJOW.path),
        "<xsd:simpleType ",
        "<xsd:include schemaLocation=\"../../../outside.xsd\"/><xsd:simpleType ",
    );
    match SchemaSet::load(&schemas) {
        Err(SchemaLoadError::Refused(location)) => {
            assert!(location.ends_with("outside.xsd"), "{location}")
        }
        other => panic!("expected Refused, got {other:?}"),
    }
}

#[test]
fn the_official_import_url_is_served_from_the_local_copy() {
    // Break only the local copy of the imported file: if loading now fails on it, the absolute
    // http:// import was answered from FA3/bazowe and not from crd.gov.pl.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fa3_schemas(dir.path());
    let local = dir.path().join(fa3::schemas::STRUKTURY_DANYCH.path);
    SchemaSet::load(dir.path()).expect("an intact copy loads");
    fs::write(&local, "<not-a-schema").expect("break the local copy");
    match SchemaSet::load(dir.path()) {
        Err(error @ SchemaLoadError::Compile(_)) => assert_eq!(error.code(), "xsd.schema_compile"),
        other => panic!("expected Compile, got {other:?}"),
    }
}

#[test]
fn external_entities_in_a_document_are_neither_read_nor_fetched() {
    let trap = Trap::new();
    let schema = SchemaSet::load(&shared_schemas()).expect("schema");
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("secret.txt");
    fs::write(&secret, "TOP-SECRET-CONTENT").expect("write secret");
    let text = sample_text("FA_3_Przyklad_1.xml");
    let doctype = format!(
        "<!DOCTYPE Faktura [<!ENTITY file SYSTEM \"file://{}\"><!ENTITY net SYSTEM \"{}\">\
         <!ENTITY % remote SYSTEM \"{}\"> %remote;]>",
        secret.display(),
        trap.url("xxe"),
        trap.url("dtd"),
    );
    let mutated = text
        .replacen("<Faktura ", &format!("{doctype}<Faktura "), 1)
        .replacen("<P_1M>Warszawa</P_1M>", "<P_1M>&file;&net;</P_1M>", 1);
    let violations = schema.validate(mutated.as_bytes());
    assert!(!violations.is_empty());
    for violation in &violations {
        assert!(!violation.message.contains("TOP-SECRET"), "{violation:?}");
    }
    assert_eq!(trap.connections(), 0, "an entity was fetched");
}

#[test]
fn schema_location_hints_in_a_document_are_ignored() {
    let trap = Trap::new();
    let schema = SchemaSet::load(&shared_schemas()).expect("schema");
    let text = sample_text("FA_3_Przyklad_1.xml");
    let hint = format!(
        "xsi:schemaLocation=\"http://crd.gov.pl/wzor/2025/06/25/13775/ {}\" ",
        trap.url("hint.xsd")
    );
    let mutated = text.replacen("xmlns=\"http", &format!("{hint}xmlns=\"http"), 1);
    assert_ne!(mutated, text);
    assert_eq!(
        schema.validate(mutated.as_bytes()),
        vec![],
        "the hint alone changes nothing"
    );
    assert_eq!(trap.connections(), 0, "the schemaLocation hint was fetched");
}

#[test]
fn an_entity_bomb_is_a_violation_not_a_hang() {
    let schema = SchemaSet::load(&shared_schemas()).expect("schema");
    let mut doctype = String::from("<!DOCTYPE Faktura [<!ENTITY a0 \"lol\">");
    for level in 1..=20 {
        let previous = format!("&a{};", level - 1);
        doctype.push_str(&format!("<!ENTITY a{level} \"{}\">", previous.repeat(10)));
    }
    doctype.push_str("]>");
    let bomb = format!("{doctype}<Faktura>&a20;</Faktura>");
    let violations = schema.validate(bomb.as_bytes());
    assert!(!violations.is_empty());
}

#[test]
fn a_schema_directory_with_spaces_and_polish_letters_loads() {
    // macOS keeps app data under "Application Support"; Windows user names have diacritics.
    // libxml2 percent-escapes such paths when it resolves includes; the allow-list must still
    // recognise them rather than refuse its own files.
    let dir = tempfile::tempdir().expect("tempdir");
    let schemas = dir.path().join("Application Support/Łukasz Żółć (3)");
    copy_fa3_schemas(&schemas);
    let schema = SchemaSet::load(&schemas).expect("loads from an unusual path");
    let text = sample_text("FA_3_Przyklad_1.xml");
    assert_eq!(schema.validate(text.as_bytes()), vec![]);
}
