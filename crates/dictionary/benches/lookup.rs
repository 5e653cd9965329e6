//! How expensive the dictionary is for a UI: parsing the embedded text once, a lookup by code
//! (the baseline), a fallback lookup and a search, as ratios against the baseline. Prints
//! figures; asserts nothing about time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use dictionary::{Dictionary, KsefCode, Lang};

const ROUNDS: u32 = 20_000;
const PARSE_ROUNDS: u32 = 50;

fn per_call(rounds: u32, mut call: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..rounds {
        call();
    }
    start.elapsed() / rounds
}

fn main() {
    let text = include_str!("../../../schemas/errors.toml");
    let parse = per_call(PARSE_ROUNDS, || {
        black_box(Dictionary::from_toml(black_box(text)).expect("valid"));
    });
    let dictionary = Dictionary::builtin();
    let entries = dictionary.all(Lang::Pl).len();

    let get = per_call(ROUNDS, || {
        black_box(dictionary.get(black_box("ksef.exception.21405"), Lang::Pl));
    });
    let ksef = per_call(ROUNDS, || {
        black_box(dictionary.describe_ksef(black_box(KsefCode::Http(503)), Lang::Pl));
    });
    let fallback = per_call(ROUNDS, || {
        black_box(dictionary.describe(black_box("ksef.exception.99999"), Lang::Pl));
    });
    let search = per_call(ROUNDS / 100, || {
        black_box(dictionary.search(black_box("nieprawidlowy nip"), Lang::Pl));
    });

    let ratio = |d: Duration| d.as_secs_f64() / get.as_secs_f64();
    println!(
        "dictionary: {entries} entries, {} bytes of TOML",
        text.len()
    );
    println!(
        "parse once        {parse:>12.2?}  ({:.0}x get)",
        ratio(parse)
    );
    println!("get (baseline)    {get:>12.2?}");
    println!("describe_ksef 503 {ksef:>12.2?}  ({:.1}x get)", ratio(ksef));
    println!(
        "describe unknown  {fallback:>12.2?}  ({:.1}x get)",
        ratio(fallback)
    );
    println!(
        "search 2 words    {search:>12.2?}  ({:.0}x get)",
        ratio(search)
    );
}
