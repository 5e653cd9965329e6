//! Every stable code the KSeF client can report has an entry in the error dictionary.
//!
//! Codes come from two independent places: a scan of the client's own `src/` for code literals
//! and `format!` families (`dictionary::audit`), and the public code APIs (`ErrorClass::code`,
//! `KsefError::code`, `RemoteCode::key`) called on examples of every class and family. Numeric
//! codes chosen by KSeF at run time follow the dictionary's rule: an exception or status code the
//! client names must have an entry of its own (KSEF-API.md lists them all); an HTTP status or a
//! 403 reason may be answered by its family entry.

use std::path::Path;

use dictionary::audit::{self, Literal};
use dictionary::{Dictionary, Lang, CLIENT_CODES};
use ksef_api::error::exception;
use ksef_api::status::{invoice_code, session_code};
use ksef_api::{ErrorClass, KsefError, Operation, RemoteCode};

/// Every class; the exhaustive match in `class_index` makes a new class a compile error here.
const CLASSES: [ErrorClass; 7] = [
    ErrorClass::Transient,
    ErrorClass::RateLimited,
    ErrorClass::AuthExpired,
    ErrorClass::Rejected,
    ErrorClass::SessionFailed,
    ErrorClass::Permanent,
    ErrorClass::OutcomeUnknown,
];

fn class_index(class: ErrorClass) -> usize {
    match class {
        ErrorClass::Transient => 0,
        ErrorClass::RateLimited => 1,
        ErrorClass::AuthExpired => 2,
        ErrorClass::Rejected => 3,
        ErrorClass::SessionFailed => 4,
        ErrorClass::Permanent => 5,
        ErrorClass::OutcomeUnknown => 6,
    }
}

/// The exception codes the client treats specially (`ksef_api::error::exception`).
const SPECIAL_EXCEPTIONS: [i32; 14] = [
    exception::SESSION_INVOICE_LIMIT,
    exception::INVOICE_NOT_FOUND,
    exception::INVOICE_NOT_YET_AVAILABLE,
    exception::SESSION_NOT_FOUND,
    exception::EXPORT_NOT_FOUND,
    exception::UPO_NOT_FOUND,
    exception::SESSION_STATUS_FORBIDS,
    exception::TOO_MANY_EXPORTS,
    exception::BATCH_TIMEOUT,
    exception::NOT_AUTHORIZED,
    exception::AUTH_OPERATION_NOT_FOUND,
    exception::DECEASED_PERSON,
    exception::BAD_CONTINUATION_TOKEN,
    exception::PUBLIC_KEY_UNKNOWN,
];

fn assert_documented(code: &str, origin: &str) {
    let literal = Literal::Code(code.to_owned());
    if let Err(error) = audit::check(Dictionary::builtin(), &literal) {
        panic!("{origin}: {error}");
    }
}

#[test]
fn every_code_literal_in_the_client_sources_has_an_entry() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = audit::scan_sources(&src).expect("ksef-api sources are readable");
    // The scan must see the class codes and the key templates it is meant to check.
    let literals: Vec<&Literal> = found.iter().map(|found| &found.literal).collect();
    assert!(literals.contains(&&Literal::Code("ksef.outcome_unknown".to_owned())));
    assert!(literals.contains(&&Literal::Template("ksef.exception.".to_owned())));

    let undocumented = audit::undocumented(Dictionary::builtin(), &found);
    assert!(
        undocumented.is_empty(),
        "codes without a dictionary entry:\n{}",
        undocumented.join("\n")
    );
}

#[test]
fn every_error_class_code_is_a_listed_client_code_with_an_entry() {
    let indices: Vec<usize> = CLASSES.into_iter().map(class_index).collect();
    assert_eq!(indices, (0..CLASSES.len()).collect::<Vec<_>>());
    for class in CLASSES {
        let code = class.code();
        assert!(CLIENT_CODES.contains(&code), "{code} not in CLIENT_CODES");
        assert!(Dictionary::builtin().contains(code), "no entry for {code}");
    }
}

#[test]
fn every_specially_treated_exception_has_its_own_entry() {
    for code in SPECIAL_EXCEPTIONS {
        let error = KsefError::from_exception(Operation::SendInvoice, code, String::new(), vec![]);
        let key = error.code();
        assert_eq!(key, format!("ksef.exception.{code}"));
        assert!(
            Dictionary::builtin().get(&key, Lang::Pl).is_some(),
            "no entry of its own for {key}"
        );
    }
}

#[test]
fn every_named_status_code_has_its_own_entry() {
    let sessions = [
        session_code::OPEN,
        session_code::PROCESSING,
        session_code::CLOSED,
        session_code::SUCCEEDED,
    ];
    let invoices = [
        invoice_code::ACCEPTED,
        invoice_code::PROCESSING,
        invoice_code::SUCCEEDED,
        invoice_code::DUPLICATE,
        invoice_code::UNKNOWN_ERROR,
        invoice_code::CANCELLED_BY_SYSTEM,
    ];
    let keys = sessions
        .into_iter()
        .map(|code| RemoteCode::Session(code).key())
        .chain(
            invoices
                .into_iter()
                .map(|code| RemoteCode::Invoice(code).key()),
        );
    for key in keys {
        assert!(Dictionary::builtin().contains(&key), "no entry for {key}");
    }
}

/// Remote keys of every family resolve: KSeF-chosen HTTP statuses and 403 reasons through their
/// family entry, the rest through entries of their own.
#[test]
fn remote_keys_of_every_family_are_documented() {
    let examples = [
        RemoteCode::Exception(21405),
        RemoteCode::Invoice(440),
        RemoteCode::Session(445),
        RemoteCode::Auth(450),
        RemoteCode::Http(401),
        RemoteCode::Http(503),
        RemoteCode::Http(418),
        RemoteCode::Forbidden("ip-not-allowed".into()),
        RemoteCode::Forbidden("Some New Reason".into()),
    ];
    for remote in examples {
        let error = KsefError::Permanent {
            remote: Some(remote.clone()),
            detail: String::new(),
        };
        assert_eq!(error.code(), remote.key());
        assert_documented(&error.code(), &format!("{remote:?}"));
    }
    // A typo-shaped key is refused, so the checks above can fail.
    let bogus = Literal::Code(RemoteCode::Exception(99_999).key());
    assert!(audit::check(Dictionary::builtin(), &bogus).is_err());
}
