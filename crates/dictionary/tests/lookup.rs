//! Lookups as UIs use them: numeric KSeF codes, fallbacks that still report the code, search.

use dictionary::{Dictionary, KsefCode, Lang, FALLBACK_CODE};

#[test]
fn numeric_ksef_codes_resolve_to_their_entries() {
    let dictionary = Dictionary::builtin();
    for (code, key) in [
        (KsefCode::Exception(21405), "ksef.exception.21405"),
        (KsefCode::Invoice(440), "ksef.invoice.440"),
        (KsefCode::Session(445), "ksef.session.445"),
        (KsefCode::Auth(450), "ksef.auth.450"),
        (KsefCode::Http(429), "ksef.http.429"),
        (
            KsefCode::Forbidden("ip-not-allowed"),
            "ksef.forbidden.ip-not-allowed",
        ),
    ] {
        let entry = dictionary.describe_ksef(code, Lang::Pl);
        assert!(entry.known, "{key}");
        assert_eq!(entry.code, key);
        let direct = dictionary.get(key, Lang::Pl).expect(key);
        assert_eq!(entry, direct);
    }
}

#[test]
fn any_5xx_reads_as_a_failure_on_ksefs_side() {
    let dictionary = Dictionary::builtin();
    let generic = dictionary
        .get("ksef.http.5xx", Lang::En)
        .expect("5xx entry");
    for status in [500, 502, 503, 504] {
        let entry = dictionary.describe_ksef(KsefCode::Http(status), Lang::En);
        assert!(entry.known);
        assert_eq!(entry.title, generic.title, "{status}");
        assert_eq!(entry.retryable, Some(true));
    }
    // Asked for by its raw form, a 5xx gets the same text but keeps the code it was asked for.
    let raw = dictionary.describe("ksef.http.503", Lang::En);
    assert_eq!(
        (raw.code.as_str(), raw.title),
        ("ksef.http.503", generic.title)
    );
}

#[test]
fn an_unknown_exception_falls_back_to_the_exception_family_and_keeps_its_code() {
    let dictionary = Dictionary::builtin();
    let entry = dictionary.describe_ksef(KsefCode::Exception(99999), Lang::Pl);
    let family = dictionary
        .get("ksef.exception.other", Lang::Pl)
        .expect("family entry");
    assert_eq!(entry.code, "ksef.exception.99999");
    assert!(!entry.known);
    assert_eq!(entry.title, family.title);
}

#[test]
fn an_unknown_code_of_no_family_gets_the_generic_fallback() {
    let dictionary = Dictionary::builtin();
    let generic = dictionary
        .get(FALLBACK_CODE, Lang::En)
        .expect("fallback entry");
    let entry = dictionary.describe("xml.brand_new_rule", Lang::En);
    assert_eq!(entry.code, "xml.brand_new_rule");
    assert!(!entry.known);
    assert_eq!(entry.action, generic.action);
    assert_eq!(dictionary.get("xml.brand_new_rule", Lang::En), None);
}

#[test]
fn languages_give_different_texts_for_the_same_code() {
    let dictionary = Dictionary::builtin();
    let pl = dictionary.get("xml.bom", Lang::Pl).expect("pl");
    let en = dictionary.get("xml.bom", Lang::En).expect("en");
    assert_eq!((pl.severity, pl.source), (en.severity, en.source));
    assert_ne!(pl.title, en.title);
    assert_eq!(Lang::default(), Lang::Pl);
}

#[test]
fn search_ignores_case_and_polish_letters() {
    let dictionary = Dictionary::builtin();
    let with_letters: Vec<String> = dictionary
        .search("Nieprawidłowy NIP", Lang::Pl)
        .into_iter()
        .map(|e| e.code)
        .collect();
    let without: Vec<String> = dictionary
        .search("nieprawidlowy nip", Lang::Pl)
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert!(
        with_letters.contains(&"business.nip_checksum".to_owned()),
        "{with_letters:?}"
    );
    assert_eq!(with_letters, without);
}

#[test]
fn search_ranks_code_and_title_matches_first() {
    let dictionary = Dictionary::builtin();
    let results = dictionary.search("duplikat", Lang::Pl);
    let first = results.first().expect("some result");
    assert!(
        first.title.to_lowercase().contains("duplikat"),
        "{}",
        first.title
    );
    // Every title match precedes every match found only in the explanation or action.
    let title_hits: Vec<bool> = results
        .iter()
        .map(|e| {
            format!("{} {}", e.code, e.title)
                .to_lowercase()
                .contains("duplikat")
        })
        .collect();
    assert!(
        title_hits.windows(2).all(|w| w[0] || !w[1]),
        "{title_hits:?}"
    );
}

#[test]
fn search_by_code_and_in_english() {
    let dictionary = Dictionary::builtin();
    let by_code = dictionary.search("21405", Lang::En);
    assert_eq!(
        by_code.first().map(|e| e.code.as_str()),
        Some("ksef.exception.21405")
    );
    assert!(dictionary.search("   ", Lang::En).is_empty());
    assert!(dictionary.search("zzzz-no-such-text", Lang::En).is_empty());
}
