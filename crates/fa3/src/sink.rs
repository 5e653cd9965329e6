//! Collects findings while validating: turns byte offsets into line/column and caps repeats.

use std::collections::HashMap;

use crate::code::FindingCode;
use crate::finding::{Finding, Severity};
use crate::limits::{EXCERPT_CHARS_MAX, FINDINGS_PER_CODE_MAX};

/// Where in the input a finding points.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct At<'p> {
    /// Byte offset into the whole input, when known.
    pub offset: Option<usize>,
    /// XPath-like element path, when known.
    pub path: Option<&'p str>,
}

impl<'p> At<'p> {
    pub fn offset(offset: usize) -> At<'static> {
        At {
            offset: Some(offset),
            path: None,
        }
    }

    pub fn path(path: &'p str) -> At<'p> {
        At {
            offset: None,
            path: Some(path),
        }
    }

    pub fn both(offset: usize, path: &'p str) -> At<'p> {
        At {
            offset: Some(offset),
            path: Some(path),
        }
    }
}

/// The growing list of findings for one document.
pub(crate) struct FindingSink<'a> {
    input: &'a [u8],
    /// Byte offsets at which lines 2, 3, … start; built on the first positioned finding only,
    /// so clean documents never pay for it.
    line_starts: Option<Vec<usize>>,
    per_code: HashMap<FindingCode, usize>,
    findings: Vec<Finding>,
}

impl<'a> FindingSink<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        FindingSink {
            input,
            line_starts: None,
            per_code: HashMap::new(),
            findings: Vec::new(),
        }
    }

    pub fn error(&mut self, code: FindingCode, message: impl Into<String>, at: At<'_>) {
        self.push(code, Severity::Error, message.into(), at);
    }

    pub fn warning(&mut self, code: FindingCode, message: impl Into<String>, at: At<'_>) {
        self.push(code, Severity::Warning, message.into(), at);
    }

    pub fn push(&mut self, code: FindingCode, severity: Severity, message: String, at: At<'_>) {
        if !self.count(code) {
            return;
        }
        let (line, column) = match at.offset {
            Some(offset) => {
                let (line, column) = self.line_column(offset);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        let path = at.path.map(str::to_owned);
        self.findings.push(Finding {
            code,
            severity,
            message,
            path,
            line,
            column,
        });
    }

    /// Records a finding whose position someone else (the XSD validator) already computed.
    pub fn push_positioned(&mut self, finding: Finding) {
        if self.count(finding.code) {
            self.findings.push(finding);
        }
    }

    /// Counts one more finding of `code`; false once the cap is exceeded.
    fn count(&mut self, code: FindingCode) -> bool {
        let count = self.per_code.entry(code).or_insert(0);
        *count += 1;
        *count <= FINDINGS_PER_CODE_MAX
    }

    /// Whether any error-severity finding was recorded so far.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// Finishes: appends one summary finding per code whose repeats were capped.
    pub fn finish(mut self) -> Vec<Finding> {
        let mut capped: Vec<(FindingCode, usize)> = self
            .per_code
            .iter()
            .filter(|(_, &n)| n > FINDINGS_PER_CODE_MAX)
            .map(|(&c, &n)| (c, n))
            .collect();
        capped.sort();
        for (code, count) in capped {
            let severity = self
                .findings
                .iter()
                .find(|f| f.code == code)
                .map_or(Severity::Error, |f| f.severity);
            self.findings.push(Finding {
                code,
                severity,
                message: format!(
                    "{} more occurrences of {} not listed",
                    count - FINDINGS_PER_CODE_MAX,
                    code.as_str()
                ),
                path: None,
                line: None,
                column: None,
            });
        }
        self.findings
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_column(&mut self, offset: usize) -> (u32, u32) {
        let input = self.input;
        let offset = offset.min(input.len());
        let starts = self
            .line_starts
            .get_or_insert_with(|| memchr::memchr_iter(b'\n', input).map(|i| i + 1).collect());
        let line_index = starts.partition_point(|&s| s <= offset);
        let line_start = if line_index == 0 {
            0
        } else {
            starts[line_index - 1]
        };
        // Columns count characters, so skip UTF-8 continuation bytes.
        let column = input[line_start..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        (saturate(line_index + 1), saturate(column + 1))
    }
}

/// Input-derived text quoted in a message, cut to [`EXCERPT_CHARS_MAX`] characters so hostile
/// input (a megabyte-long element name) cannot make a megabyte-long message.
pub(crate) fn excerpt(text: impl AsRef<[u8]>) -> String {
    let text = String::from_utf8_lossy(text.as_ref());
    let mut out: String = text.chars().take(EXCERPT_CHARS_MAX).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
