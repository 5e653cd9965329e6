//! Conversions between the engine's and dictionary's types and the UI's DTOs, in one place.

use engine::import::{self, Outcome};
use engine::state::SubmissionState;
use engine::store::{EventRow, InvoiceSummaryRow};

use crate::error::DeskError;
use crate::types::{
    Alert, AlertKind, Attempt, DictEntry, DictSource, DictText, EventActor, Finding,
    FindingSeverity, ImportItem, ImportOutcome, ImportSummary, InvoiceEvent, InvoiceRow,
    InvoiceState,
};

/// Engine state → UI state (same vocabulary, two types so the wire contract is owned here).
pub fn state_out(s: SubmissionState) -> InvoiceState {
    match s {
        SubmissionState::Invalid => InvoiceState::Invalid,
        SubmissionState::Conflict => InvoiceState::Conflict,
        SubmissionState::Queued => InvoiceState::Queued,
        SubmissionState::Sending => InvoiceState::Sending,
        SubmissionState::Sent => InvoiceState::Sent,
        SubmissionState::Accepted => InvoiceState::Accepted,
        SubmissionState::Rejected => InvoiceState::Rejected,
        SubmissionState::NeedsAttention => InvoiceState::NeedsAttention,
    }
}

/// UI state → engine state.
pub fn state_in(s: InvoiceState) -> SubmissionState {
    match s {
        InvoiceState::Invalid => SubmissionState::Invalid,
        InvoiceState::Conflict => SubmissionState::Conflict,
        InvoiceState::Queued => SubmissionState::Queued,
        InvoiceState::Sending => SubmissionState::Sending,
        InvoiceState::Sent => SubmissionState::Sent,
        InvoiceState::Accepted => SubmissionState::Accepted,
        InvoiceState::Rejected => SubmissionState::Rejected,
        InvoiceState::NeedsAttention => SubmissionState::NeedsAttention,
    }
}

/// One list row; `has_upo` comes from the store's UPO table.
pub fn row_out(r: &InvoiceSummaryRow, has_upo: bool) -> InvoiceRow {
    InvoiceRow {
        id: r.id.0,
        invoice_number: r.invoice_number.clone(),
        counterparty_name: r.buyer_name.clone(),
        counterparty_nip: r.buyer_nip.clone(),
        issue_date: r.issue_date.clone(),
        gross_minor: r.gross_minor,
        currency: r.currency.clone(),
        state: state_out(r.state),
        ksef_number: r.ksef_number.clone(),
        has_upo,
        error_code: r.error_code.clone(),
        last_event_at: r.updated_at,
    }
}

/// One history entry; an actor this build does not know is reported as corruption.
pub fn event_out(e: &EventRow) -> Result<InvoiceEvent, DeskError> {
    let actor = match e.actor.as_str() {
        "user" => EventActor::User,
        "engine" => EventActor::Engine,
        "ksef" => EventActor::Ksef,
        "reconciler" => EventActor::Reconciler,
        other => {
            return Err(DeskError::new(
                "engine.store_corrupt",
                format!("unexpected event actor {other:?}"),
            ))
        }
    };
    Ok(InvoiceEvent {
        at: e.at,
        actor,
        from_state: e.from_state.map(state_out),
        to_state: Some(state_out(e.to_state)),
        code: e.code.clone(),
        detail: e.detail.clone(),
    })
}

/// A stored finding. Lines are not stored by the engine, so `line` is `None`.
pub fn finding_out(f: &engine::validation::Finding) -> Finding {
    Finding {
        code: f.code.clone(),
        severity: match f.severity {
            engine::validation::Severity::Error => FindingSeverity::Error,
            engine::validation::Severity::Warning => FindingSeverity::Warning,
        },
        message: f.message.clone(),
        path: f.path.clone(),
        line: None,
    }
}

/// The engine's import summary in the UI's shape. Skipped inputs (unreadable, not XML, too
/// large, ZIP bombs) are all `unreadable` with their precise code.
pub fn summary_out(s: &import::ImportSummary) -> ImportSummary {
    let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    ImportSummary {
        imported: count(s.imported),
        already_known: count(s.already_known),
        conflicts: count(s.conflicts),
        invalid: count(s.invalid),
        items: s
            .items
            .iter()
            .map(|i| ImportItem {
                file: i.source.clone(),
                outcome: match i.outcome {
                    Outcome::Imported => ImportOutcome::Imported,
                    Outcome::AlreadyKnown => ImportOutcome::AlreadyKnown,
                    Outcome::Conflict => ImportOutcome::Conflict,
                    Outcome::Invalid => ImportOutcome::Invalid,
                    Outcome::Skipped => ImportOutcome::Unreadable,
                },
                invoice_id: i.invoice_id.map(|id| id.0),
                code: i.code.map(|c| c.as_str().to_owned()),
            })
            .collect(),
    }
}

/// Both languages of every dictionary entry, in file order.
pub fn dictionary_out(d: &dictionary::Dictionary) -> Vec<DictEntry> {
    let pl = d.all(dictionary::Lang::Pl);
    let en = d.all(dictionary::Lang::En);
    pl.into_iter()
        .zip(en)
        .map(|(pl, en)| DictEntry {
            source: match pl.source {
                dictionary::Source::Ksef => DictSource::Ksef,
                dictionary::Source::Ours => DictSource::Ours,
                dictionary::Source::Engine => DictSource::Engine,
            },
            pl: text(&pl),
            en: text(&en),
            code: pl.code,
        })
        .collect()
}

fn text(e: &dictionary::Entry<'_>) -> DictText {
    DictText {
        title: e.title.to_owned(),
        explanation: e.explanation.to_owned(),
        action: e.action.to_owned(),
    }
}

/// One recorded call to KSeF.
pub fn attempt_out(a: engine::store::AttemptRow) -> Attempt {
    Attempt {
        kind: a.kind,
        started_at: a.started_at,
        finished_at: Some(a.finished_at),
        outcome: a.outcome,
        error_code: a.error_code,
        request_id: a.request_id,
    }
}

/// One alert. The engine's alert families map onto the UI's kinds; a family this build does
/// not know shows as `stuck` (it needs a look either way) with its code intact.
pub fn alert_out(a: &engine::store::Alert) -> Alert {
    let kind = match a.kind.as_str() {
        engine::runner::UNAVAILABLE_ALERT => AlertKind::Outage,
        "needs_attention" => AlertKind::TerminalFailure,
        "conflict" => AlertKind::Conflict,
        "upo_missing" | "upo_mismatch" => AlertKind::UpoMissing,
        crate::api::WATCH_ALERT => AlertKind::WatchedFolder,
        _ => AlertKind::Stuck,
    };
    Alert {
        id: a.id.0,
        kind,
        code: a.code.clone(),
        invoice_id: a.invoice.map(|i| i.0),
        message: Some(a.message.clone()),
        raised_at: a.raised_at,
        resolved_at: a.resolved_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_and_keeps_its_wire_name() {
        for s in SubmissionState::ALL {
            assert_eq!(state_in(state_out(s)), s);
            let wire = serde_json::to_value(state_out(s)).expect("serialise");
            assert_eq!(wire, serde_json::Value::String(s.as_str().to_owned()));
        }
    }
}
