//! Desktop notification grouping and throttling, as a pure state machine over an injected time.
//!
//! Twelve rejections in a burst become one "12 invoices rejected", not twelve pop-ups: events are
//! gathered for [`NOTICE_GATHER_MS`] after the first one, and two notifications are never shown
//! less than [`NOTICE_GAP_MS`] apart (what arrives meanwhile waits and is grouped). The shell
//! calls [`Throttle::poll`] periodically and shows what it returns (notify-rust). Where the
//! platform reports a click, the shell opens [`Notice::route`], decided here so it is tested
//! without a desktop.

use std::collections::BTreeMap;

use crate::types::{InvoiceState, Language};

/// How long the first event of a burst waits for others to join it.
pub const NOTICE_GATHER_MS: i64 = 5_000;
/// Least time between two notifications shown.
pub const NOTICE_GAP_MS: i64 = 60_000;
/// Invoices named in a notification's route at most; a larger group opens the state filter
/// alone (the route travels in a URL and the list stays responsive).
pub const ROUTE_IDS_MAX: usize = 200;

/// What a notification is about; one notification per kind per flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoticeKind {
    /// KSeF rejected invoices.
    Rejected,
    /// Invoices need a person's decision.
    NeedsAttention,
    /// Imported invoices collide with others.
    Conflict,
    /// Imported invoices failed validation.
    Invalid,
}

impl NoticeKind {
    /// The state the invoice list is filtered by when the notification is clicked.
    pub const fn state(self) -> InvoiceState {
        match self {
            NoticeKind::Rejected => InvoiceState::Rejected,
            NoticeKind::NeedsAttention => InvoiceState::NeedsAttention,
            NoticeKind::Conflict => InvoiceState::Conflict,
            NoticeKind::Invalid => InvoiceState::Invalid,
        }
    }
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What it is about.
    pub kind: NoticeKind,
    /// The invoices it covers (for the filtered view opened on click).
    pub invoice_ids: Vec<i64>,
    /// Summary line, e.g. "12 invoices rejected".
    pub title: String,
}

impl Notice {
    /// The UI route a click opens: the invoice list filtered to the notice's state and
    /// narrowed to the invoices it covers (e.g. `#/invoices?states=rejected&ids=4,7`).
    pub fn route(&self) -> String {
        // The states' wire names (serde), as the list's URL filter reads them.
        let state = match self.kind {
            NoticeKind::Rejected => "rejected",
            NoticeKind::NeedsAttention => "needs_attention",
            NoticeKind::Conflict => "conflict",
            NoticeKind::Invalid => "invalid",
        };
        let mut route = format!("#/invoices?states={state}");
        if !self.invoice_ids.is_empty() && self.invoice_ids.len() <= ROUTE_IDS_MAX {
            let ids: Vec<String> = self.invoice_ids.iter().map(i64::to_string).collect();
            route.push_str("&ids=");
            route.push_str(&ids.join(","));
        }
        route
    }
}

/// Gathers events and decides when to show what.
#[derive(Debug, Default)]
pub struct Throttle {
    pending: BTreeMap<NoticeKind, Vec<i64>>,
    first_pending_at: Option<i64>,
    last_shown_at: Option<i64>,
}

impl Throttle {
    /// Records that `invoice_id` reached the state behind `kind` at `now_ms`.
    pub fn record(&mut self, kind: NoticeKind, invoice_id: i64, now_ms: i64) {
        let ids = self.pending.entry(kind).or_default();
        if !ids.contains(&invoice_id) {
            ids.push(invoice_id);
        }
        self.first_pending_at.get_or_insert(now_ms);
    }

    /// The notifications due at `now_ms` (one per kind), or nothing yet.
    pub fn poll(&mut self, now_ms: i64, lang: Language) -> Vec<Notice> {
        let Some(first) = self.first_pending_at else {
            return Vec::new();
        };
        let gathered = now_ms.saturating_sub(first) >= NOTICE_GATHER_MS;
        let gap_ok = self
            .last_shown_at
            .is_none_or(|last| now_ms.saturating_sub(last) >= NOTICE_GAP_MS);
        if !gathered || !gap_ok {
            return Vec::new();
        }
        self.first_pending_at = None;
        self.last_shown_at = Some(now_ms);
        std::mem::take(&mut self.pending)
            .into_iter()
            .map(|(kind, invoice_ids)| Notice {
                kind,
                title: title(kind, invoice_ids.len(), lang),
                invoice_ids,
            })
            .collect()
    }
}

/// "12 invoices rejected" / "12 faktur odrzuconych", with Polish plural forms.
pub fn title(kind: NoticeKind, count: usize, lang: Language) -> String {
    match lang {
        Language::En => {
            let noun = if count == 1 { "invoice" } else { "invoices" };
            let verb = match kind {
                NoticeKind::Rejected => "rejected",
                NoticeKind::NeedsAttention => "need attention",
                NoticeKind::Conflict => "in conflict",
                NoticeKind::Invalid => "invalid",
            };
            let verb = if count == 1 && kind == NoticeKind::NeedsAttention {
                "needs attention"
            } else {
                verb
            };
            format!("{count} {noun} {verb}")
        }
        Language::Pl => {
            let form = polish_plural(count);
            let (noun, adjective) = match form {
                PluralForm::One => (
                    "faktura",
                    ["odrzucona", "wymaga uwagi", "w konflikcie", "błędna"],
                ),
                PluralForm::Few => (
                    "faktury",
                    ["odrzucone", "wymagają uwagi", "w konflikcie", "błędne"],
                ),
                PluralForm::Many => (
                    "faktur",
                    ["odrzuconych", "wymaga uwagi", "w konflikcie", "błędnych"],
                ),
            };
            let [rejected, attention, conflict, invalid] = adjective;
            let tail = match kind {
                NoticeKind::Rejected => rejected,
                NoticeKind::NeedsAttention => attention,
                NoticeKind::Conflict => conflict,
                NoticeKind::Invalid => invalid,
            };
            format!("{count} {noun} {tail}")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PluralForm {
    One,
    Few,
    Many,
}

/// Polish: 1 faktura; 2–4, 22–24, … faktury (but 12–14 faktur); everything else faktur.
fn polish_plural(count: usize) -> PluralForm {
    let units = count % 10;
    let tens = count % 100;
    if count == 1 {
        PluralForm::One
    } else if (2..=4).contains(&units) && !(12..=14).contains(&tens) {
        PluralForm::Few
    } else {
        PluralForm::Many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000;

    #[test]
    fn a_burst_becomes_one_grouped_notice_after_the_gather_window() {
        let mut t = Throttle::default();
        for id in 1..=12 {
            t.record(NoticeKind::Rejected, id, T0 + (id - 1) * 100);
        }
        assert!(t.poll(T0 + NOTICE_GATHER_MS - 1, Language::En).is_empty());
        let shown = t.poll(T0 + NOTICE_GATHER_MS, Language::En);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].title, "12 invoices rejected");
        assert_eq!(shown[0].invoice_ids, (1..=12).collect::<Vec<_>>());
        assert!(t.poll(T0 + NOTICE_GATHER_MS + 1, Language::En).is_empty());
    }

    #[test]
    fn kinds_are_grouped_separately_and_duplicates_count_once() {
        let mut t = Throttle::default();
        t.record(NoticeKind::Rejected, 1, T0);
        t.record(NoticeKind::Rejected, 1, T0);
        t.record(NoticeKind::NeedsAttention, 2, T0);
        t.record(NoticeKind::NeedsAttention, 3, T0);
        let shown = t.poll(T0 + NOTICE_GATHER_MS, Language::En);
        let titles: Vec<&str> = shown.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["1 invoice rejected", "2 invoices need attention"]);
        assert_eq!(shown[1].kind.state(), InvoiceState::NeedsAttention);
    }

    #[test]
    fn notices_are_never_closer_than_the_gap() {
        let mut t = Throttle::default();
        t.record(NoticeKind::Rejected, 1, T0);
        assert_eq!(t.poll(T0 + NOTICE_GATHER_MS, Language::En).len(), 1);
        let shown_at = T0 + NOTICE_GATHER_MS;
        t.record(NoticeKind::Rejected, 2, shown_at + 1_000);
        t.record(NoticeKind::Rejected, 3, shown_at + 2_000);
        // Gathered long enough, but the last notice was too recent: wait and keep grouping.
        assert!(t
            .poll(shown_at + NOTICE_GAP_MS - 1, Language::En)
            .is_empty());
        t.record(NoticeKind::Rejected, 4, shown_at + NOTICE_GAP_MS - 1);
        let shown = t.poll(shown_at + NOTICE_GAP_MS, Language::En);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].invoice_ids, vec![2, 3, 4]);
    }

    #[test]
    fn a_click_opens_the_list_filtered_to_the_state_and_the_invoices() {
        let mut t = Throttle::default();
        t.record(NoticeKind::Rejected, 4, T0);
        t.record(NoticeKind::Rejected, 7, T0);
        t.record(NoticeKind::NeedsAttention, 9, T0);
        let shown = t.poll(T0 + NOTICE_GATHER_MS, Language::Pl);
        let routes: Vec<String> = shown.iter().map(Notice::route).collect();
        assert_eq!(
            routes,
            [
                "#/invoices?states=rejected&ids=4,7",
                "#/invoices?states=needs_attention&ids=9"
            ]
        );
    }

    #[test]
    fn every_kind_routes_to_its_states_wire_name_and_large_groups_to_the_state_alone() {
        for kind in [
            NoticeKind::Rejected,
            NoticeKind::NeedsAttention,
            NoticeKind::Conflict,
            NoticeKind::Invalid,
        ] {
            let wire = serde_json::to_value(kind.state()).expect("state serialises");
            let many = Notice {
                kind,
                invoice_ids: (1..=ROUTE_IDS_MAX as i64 + 1).collect(),
                title: String::new(),
            };
            let expected = format!("#/invoices?states={}", wire.as_str().expect("a string"));
            assert_eq!(many.route(), expected);
        }
    }

    #[test]
    fn nothing_recorded_nothing_shown() {
        let mut t = Throttle::default();
        assert!(t.poll(T0, Language::Pl).is_empty());
        assert!(t.poll(T0 + NOTICE_GAP_MS * 10, Language::Pl).is_empty());
    }

    #[test]
    fn polish_titles_use_the_right_plural_form() {
        let cases = [
            (1, "1 faktura odrzucona"),
            (2, "2 faktury odrzucone"),
            (4, "4 faktury odrzucone"),
            (5, "5 faktur odrzuconych"),
            (12, "12 faktur odrzuconych"),
            (22, "22 faktury odrzucone"),
            (112, "112 faktur odrzuconych"),
        ];
        for (count, expected) in cases {
            assert_eq!(title(NoticeKind::Rejected, count, Language::Pl), expected);
        }
    }
}
