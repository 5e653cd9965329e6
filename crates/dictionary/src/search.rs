//! Searching the dictionary the way accountants type: any case, with or without Polish letters.

use crate::entry::{Entry, Lang, StoredEntry};

/// Entries matching every word of `query` in `lang`; code and title matches first.
pub(crate) fn search<'a>(entries: &'a [StoredEntry], query: &str, lang: Lang) -> Vec<Entry<'a>> {
    let words: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut strong = Vec::new();
    let mut weak = Vec::new();
    for stored in entries {
        let texts = stored.texts(lang);
        let head = fold(&format!("{} {}", stored.code, texts.title));
        let body = fold(&format!("{} {}", texts.explanation, texts.action));
        if words.iter().all(|word| head.contains(word.as_str())) {
            strong.push(stored.view(lang));
        } else if words
            .iter()
            .all(|word| head.contains(word.as_str()) || body.contains(word.as_str()))
        {
            weak.push(stored.view(lang));
        }
    }
    strong.extend(weak);
    strong
}

/// Lowercases and strips Polish diacritics, so "Błąd" and "blad" compare equal.
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ą' => 'a',
            'ć' => 'c',
            'ę' => 'e',
            'ł' => 'l',
            'ń' => 'n',
            'ó' => 'o',
            'ś' => 's',
            'ź' | 'ż' => 'z',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_ignores_case_and_polish_letters() {
        assert_eq!(fold("Błąd ŻÓŁTY źdźbło"), "blad zolty zdzblo");
    }
}
