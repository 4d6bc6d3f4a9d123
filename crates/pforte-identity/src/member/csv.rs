//! A small reader for the member import file: CSV as RFC 4180 describes it,
//! with the two separators insurers' exports use (`;` from German
//! spreadsheets, `,` elsewhere).
//!
//! The separator is taken from the header line: `;` when it holds one outside
//! quotes, otherwise `,`. Fields may be quoted with `"`; a quote inside a
//! quoted field is doubled (RFC 4180 §2.7), and a quoted field may span lines.
//! A UTF-8 byte order mark before the header is ignored, line ends may be CRLF
//! or LF, and empty lines are skipped. Every record keeps the number of the
//! line it starts on, so the import report can point at it.

/// One record of the file: its fields and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Why the file as a whole cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is empty: it needs a header line naming the columns")]
    Empty,
    #[error("line {line}: a quoted field is not closed")]
    UnclosedQuote { line: usize },
    #[error("line {line}: after a closing quote only the separator or the line end may follow")]
    TextAfterQuote { line: usize },
}

/// Splits `text` into records; the first is the header.
pub fn records(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let separator = separator_of(text.lines().next().unwrap_or_default());
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    // A field that was quoted; only a separator or line end may follow it.
    let mut closed_quote = false;
    while let Some(character) = chars.next() {
        match character {
            '"' if field.is_empty() && !closed_quote => {
                let opened_on = line;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some('\n') => {
                            line += 1;
                            field.push('\n');
                        }
                        Some(other) => field.push(other),
                        None => return Err(CsvError::UnclosedQuote { line: opened_on }),
                    }
                }
                closed_quote = true;
            }
            c if c == separator => {
                fields.push(std::mem::take(&mut field));
                closed_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                push_record(&mut records, record_line, std::mem::take(&mut fields));
                closed_quote = false;
                line += 1;
                record_line = line;
            }
            _ if closed_quote => return Err(CsvError::TextAfterQuote { line }),
            other => field.push(other),
        }
    }
    if !field.is_empty() || !fields.is_empty() || closed_quote {
        fields.push(field);
        push_record(&mut records, record_line, fields);
    }
    if records.is_empty() {
        return Err(CsvError::Empty);
    }
    Ok(records)
}

/// Keeps a record unless the line was empty (a single empty field).
fn push_record(records: &mut Vec<Record>, line: usize, fields: Vec<String>) {
    let blank = fields.len() == 1 && fields.first().is_some_and(|field| field.trim().is_empty());
    if !blank {
        records.push(Record { line, fields });
    }
}

/// `;` when the header holds one outside quotes, otherwise `,`.
fn separator_of(header: &str) -> char {
    let mut quoted = false;
    for character in header.chars() {
        match character {
            '"' => quoted = !quoted,
            ';' if !quoted => return ';',
            _ => {}
        }
    }
    ','
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        records(text)
            .unwrap()
            .into_iter()
            .map(|record| record.fields)
            .collect()
    }

    #[test]
    fn semicolon_and_comma_files_are_read_alike() {
        let expected = vec![vec!["a", "b"], vec!["1", "2"]];
        assert_eq!(fields("a;b\n1;2\n"), expected);
        assert_eq!(fields("a,b\r\n1,2"), expected);
        assert_eq!(fields("\u{feff}a;b\n1;2"), expected);
    }

    #[test]
    fn rfc_4180_quotes_keep_separators_quotes_and_line_breaks() {
        let read =
            records("name;note\n\"Müller; Anna\";\"sagt \"\"hallo\"\"\nzweite Zeile\"\nx;y\n")
                .unwrap();
        assert_eq!(
            read[1].fields,
            ["Müller; Anna", "sagt \"hallo\"\nzweite Zeile"]
        );
        assert_eq!(read[1].line, 2);
        assert_eq!(read[2].line, 4, "the record after a two-line field");
    }

    #[test]
    fn empty_lines_are_skipped_and_empty_fields_kept() {
        let read = records("a;b;c\n\n1;;3\n\n").unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].fields, ["1", "", "3"]);
        assert_eq!(read[1].line, 3);
    }

    #[test]
    fn broken_quoting_and_empty_files_are_errors() {
        assert_eq!(records(""), Err(CsvError::Empty));
        assert_eq!(records("\n\n"), Err(CsvError::Empty));
        assert_eq!(
            records("a;b\n\"open;2\n"),
            Err(CsvError::UnclosedQuote { line: 2 })
        );
        assert_eq!(
            records("a;b\n\"x\"y;2\n"),
            Err(CsvError::TextAfterQuote { line: 2 })
        );
    }
}
