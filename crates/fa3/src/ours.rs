//! Our own arithmetic checks (warnings only): invoice totals and line values.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::capture::{Capture, RawLine};
use crate::code::FindingCode;
use crate::sink::{At, FindingSink};

/// Invoice kinds whose `P_15` is not net + VAT: settlement invoices (`ROZ`, and their
/// corrections) state the amount still to pay after earlier advance invoices (art. 106f ust. 3).
const KINDS_WITHOUT_TOTAL_IDENTITY: &[&str] = &["ROZ", "KOR_ROZ"];

/// Half of the smallest unit, 0.005: the most a value rounded to grosze can be off by.
const HALF_GROSZ: Decimal = Decimal::from_parts(5, 0, 0, false, 3);

/// Applies both checks.
pub(crate) fn check(sink: &mut FindingSink<'_>, capture: &Capture) {
    totals(sink, capture);
    for (i, line) in capture.lines.iter().enumerate() {
        line_total(sink, line, i + 1);
    }
}

fn totals(sink: &mut FindingSink<'_>, capture: &Capture) {
    let Some(gross) = &capture.gross else { return };
    let kind = capture.invoice_kind.as_ref().map(|k| k.text.as_str());
    // Without any net/VAT field (e.g. a simplified invoice) there is nothing to compare.
    if capture.net.is_empty() && capture.vat.is_empty()
        || kind.is_some_and(|k| KINDS_WITHOUT_TOTAL_IDENTITY.contains(&k))
    {
        return;
    }
    let sum: Decimal = capture
        .net
        .iter()
        .chain(&capture.vat)
        .map(|a| a.value)
        .sum();
    // Each amount (and P_15 itself) is rounded to grosze on its own, so each carries up to half
    // a grosz of rounding: the official sample FA_3_Przyklad_1 has four amounts adding up to
    // 2050.99 and P_15 = 2051. Only a difference beyond that accumulated rounding is a mismatch.
    let fields = capture.net.len() + capture.vat.len() + 1;
    let tolerance = HALF_GROSZ * Decimal::from(fields);
    if (sum - gross.value).abs() > tolerance {
        sink.warning(
            FindingCode::OursTotalsMismatch,
            format!(
                "net and VAT amounts add up to {sum}, but P_15 is {}",
                gross.value
            ),
            At::both(gross.offset, "/Faktura/Fa/P_15"),
        );
    }
}

fn line_total(sink: &mut FindingSink<'_>, line: &RawLine, position: usize) {
    // A discount (P_10) not folded into the unit price breaks the identity; skip those lines.
    if line.discount.is_some() {
        return;
    }
    let Some(quantity) = line.quantity else {
        return;
    };
    let pairs = [
        (line.unit_net, line.net, "P_9A", "P_11"),
        (line.unit_gross, line.gross, "P_9B", "P_11A"),
    ];
    for (unit, value, unit_name, value_name) in pairs {
        let (Some(unit), Some(value)) = (unit, value) else {
            continue;
        };
        // Overflow means absurd magnitudes the XSD rejects; no arithmetic verdict then.
        let Some(product) = quantity.checked_mul(unit) else {
            continue;
        };
        if round_grosze(product) != round_grosze(value) {
            let number = line.number.as_deref().unwrap_or("?");
            sink.warning(
                FindingCode::OursLineTotalMismatch,
                format!(
                    "line {number}: P_8B {quantity} × {unit_name} {unit} = {product}, but {value_name} is {value}"
                ),
                At::both(line.offset, &format!("/Faktura/Fa/FaWiersz[{position}]")),
            );
        }
    }
}

/// Rounds to grosze (2 decimals), half away from zero as Polish VAT rounding does.
fn round_grosze(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}
