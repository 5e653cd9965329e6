//! Reading: pre-checks, the character scan and the XML pass, producing the summary.

use crate::capture::Capture;
use crate::chars;
use crate::document::Fa3Document;
use crate::finding::Finding;
use crate::precheck::precheck;
use crate::scan::scan;
use crate::sink::FindingSink;

/// A document that was read: its summary and the captured evidence rules point into.
pub(crate) struct Parsed {
    pub document: Fa3Document,
    pub capture: Capture,
}

/// What reading found out.
pub(crate) struct ReadOutcome {
    /// The summary, when the document is well-formed FA(3).
    pub document: Option<Parsed>,
    /// The XML pass ran (pre-checks did not stop it).
    pub parsed_xml: bool,
    /// A `Zalacznik` was seen, even if the document is otherwise unreadable.
    pub has_attachment: bool,
}

/// Reads `bytes`, recording every reading problem in `sink`.
pub(crate) fn read_into(sink: &mut FindingSink<'_>, bytes: &[u8]) -> ReadOutcome {
    let Some(start) = precheck(sink, bytes) else {
        return ReadOutcome {
            document: None,
            parsed_xml: false,
            has_attachment: false,
        };
    };
    let xml = bytes.get(start..).unwrap_or_default();
    let valid_utf8 = chars::scan_literal_chars(sink, xml, start);
    let outcome = scan(sink, xml, start);
    let has_attachment = outcome.capture.has_attachment;
    let document = (outcome.well_formed && outcome.fa3_root && valid_utf8).then(|| Parsed {
        document: outcome.capture.summary(bytes),
        capture: outcome.capture,
    });
    ReadOutcome {
        document,
        parsed_xml: true,
        has_attachment,
    }
}

/// Findings and summary, for [`Fa3Document::read`].
pub(crate) struct Read {
    pub findings: Vec<Finding>,
    pub document: Option<Parsed>,
}

/// Reads `bytes` on their own.
pub(crate) fn read(bytes: &[u8]) -> Read {
    let mut sink = FindingSink::new(bytes);
    let outcome = read_into(&mut sink, bytes);
    Read {
        findings: sink.finish(),
        document: outcome.document,
    }
}
