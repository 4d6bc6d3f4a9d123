//! A small PDF 1.4 writer for the print batch of letters (R-RG-4, R-PW-3):
//! A4 pages with text in the standard Type 1 fonts Helvetica, Helvetica-Bold
//! and Courier-Bold (which every PDF reader and print service has, so no
//! font is embedded) and thin lines for the folding marks.
//!
//! Text is encoded in WinAnsiEncoding (PDF 1.7 Annex D; Windows code page
//! 1252), which holds every German letter (ä ö ü Ä Ö Ü ß) and the usual
//! typographic marks („ “ – €). A character outside it becomes `?` rather
//! than garbage. Strings are written as PDF literal strings with `(`, `)` and
//! `\` escaped and every byte outside printable ASCII as an octal escape
//! (PDF 1.7 §7.3.4.2), so the file itself stays ASCII apart from the binary
//! marker comment. Streams are not compressed: the batch is small, and an
//! uncompressed file can be checked by eye and by tests.
//!
//! Widths for line breaking come from the Helvetica metrics (AFM, units of
//! 1/1000 em); Courier is monospaced at 600.

use std::fmt::Write as _;

/// Points per millimetre (1 pt = 1/72 inch).
pub const PT_PER_MM: f32 = 72.0 / 25.4;
/// A4 in points.
pub const A4_WIDTH: f32 = 595.28;
pub const A4_HEIGHT: f32 = 841.89;

/// The standard fonts a page can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Helvetica,
    HelveticaBold,
    /// Monospaced, for codes and passwords: every character as wide as the
    /// next, so groups line up and `0`/`O` look different.
    CourierBold,
}

impl Font {
    const ALL: [Font; 3] = [Font::Helvetica, Font::HelveticaBold, Font::CourierBold];

    fn resource(self) -> &'static str {
        match self {
            Font::Helvetica => "F1",
            Font::HelveticaBold => "F2",
            Font::CourierBold => "F3",
        }
    }

    fn base_font(self) -> &'static str {
        match self {
            Font::Helvetica => "Helvetica",
            Font::HelveticaBold => "Helvetica-Bold",
            Font::CourierBold => "Courier-Bold",
        }
    }
}

/// Helvetica widths of the printable ASCII characters 32..=126.
const HELVETICA_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    278, 278, 584, 584, 584, 556, 1015, // : ; < = > ? @
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A..M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N..Z
    278, 278, 278, 469, 556, 333, // [ \ ] ^ _ `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a..m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n..z
    334, 260, 334, 584, // { | } ~
];

/// The base letters of WinAnsi 0xC0..=0xFF, whose widths the accented
/// letters share; `*` marks a character with a width of its own.
const LATIN1_BASES: &[u8; 64] = b"AAAAAA*CEEEEIIII*NOOOOO*OUUUUY**aaaaaa*ceeeeiiii*nooooo*ouuuuy*y";

/// The width of one WinAnsi byte in Helvetica, in 1/1000 em.
fn helvetica_width(byte: u8) -> u16 {
    match byte {
        32..=126 => HELVETICA_ASCII[usize::from(byte - 32)],
        0xC0..=0xFF => match LATIN1_BASES[usize::from(byte - 0xC0)] {
            b'*' => match byte {
                0xC6 => 1000,       // Æ
                0xD0 => 722,        // Ð
                0xD7 | 0xF7 => 584, // × ÷
                0xDE => 667,        // Þ
                0xDF => 611,        // ß
                0xE6 => 889,        // æ
                _ => 556,           // ð, þ
            },
            base => helvetica_width(base),
        },
        0x85 | 0x89 | 0x97 => 1000, // … ‰ —
        0x82 | 0x91 | 0x92 => 222,  // ‚ ‘ ’
        0x84 | 0x93 | 0x94 => 333,  // „ “ ”
        0x95 => 350,                // •
        0xA0 => 278,                // no-break space
        0xB0 => 400,                // °
        0xB7 => 278,                // ·
        _ => 556,
    }
}

/// The WinAnsi byte of a character, `None` when the encoding lacks it.
pub fn win_ansi(c: char) -> Option<u8> {
    let code = u32::from(c);
    match code {
        0x20..=0x7E | 0xA0..=0xFF => u8::try_from(code).ok(),
        _ => Some(match c {
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8A,
            '‹' => 0x8B,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9A,
            '›' => 0x9B,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            _ => return None,
        }),
    }
}

/// The text in WinAnsiEncoding; characters it lacks become `?`, control
/// characters a space.
pub fn encode_win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            if c.is_control() {
                b' '
            } else {
                win_ansi(c).unwrap_or(b'?')
            }
        })
        .collect()
}

/// The width of `text` set in `font` at `size` points, in points.
pub fn text_width(font: Font, size: f32, text: &str) -> f32 {
    let units: u32 = encode_win_ansi(text)
        .into_iter()
        .map(|byte| match font {
            Font::Helvetica => u32::from(helvetica_width(byte)),
            // Bold runs a little wider; this errs on the safe side for breaking.
            Font::HelveticaBold => u32::from(helvetica_width(byte)) * 106 / 100,
            Font::CourierBold => 600,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// Breaks `text` into lines no wider than `width` points, at spaces; a word
/// longer than a line stands alone on its line.
pub fn wrap(font: Font, size: f32, text: &str, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || text_width(font, size, &candidate) <= width {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    lines.push(line);
    lines
}

/// A PDF literal string: `(`, `)` and `\` escaped, bytes outside printable
/// ASCII as three-digit octal escapes.
pub fn literal(text: &str) -> String {
    let mut out = String::from("(");
    for byte in encode_win_ansi(text) {
        match byte {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            32..=126 => out.push(char::from(byte)),
            _ => {
                let _ = write!(out, "\\{byte:03o}");
            }
        }
    }
    out.push(')');
    out
}

/// One page being drawn. Positions are in millimetres from the top-left
/// corner, as a layout on paper is measured; the writer turns them into PDF
/// coordinates (points from the bottom-left).
#[derive(Debug, Clone, Default)]
pub struct Page {
    content: String,
}

impl Page {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `text` in `font` at `size` points with its baseline `top_mm`
    /// below the top edge, starting `left_mm` from the left edge.
    pub fn text(&mut self, font: Font, size: f32, left_mm: f32, top_mm: f32, text: &str) {
        let x = left_mm * PT_PER_MM;
        let y = A4_HEIGHT - top_mm * PT_PER_MM;
        let _ = writeln!(
            self.content,
            "BT /{} {size:.1} Tf {x:.2} {y:.2} Td {} Tj ET",
            font.resource(),
            literal(text)
        );
    }

    /// A straight line of `width_pt` points.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width_pt: f32) {
        let _ = writeln!(
            self.content,
            "{width_pt:.2} w {:.2} {:.2} m {:.2} {:.2} l S",
            from.0 * PT_PER_MM,
            A4_HEIGHT - from.1 * PT_PER_MM,
            to.0 * PT_PER_MM,
            A4_HEIGHT - to.1 * PT_PER_MM
        );
    }
}

/// A document of A4 pages.
#[derive(Debug, Clone, Default)]
pub struct Document {
    title: String,
    pages: Vec<Page>,
}

impl Document {
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            pages: Vec::new(),
        }
    }

    pub fn push(&mut self, page: Page) {
        self.pages.push(page);
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The file: header, objects, cross-reference table and trailer
    /// (PDF 1.7 §7.5, written as version 1.4).
    ///
    /// Objects: 1 catalog, 2 page tree, 3 info, 4–6 fonts, then for each
    /// page its page object and its content stream.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut objects: Vec<String> = Vec::new();
        let first_page = 4 + Font::ALL.len();
        let kids: Vec<String> = (0..self.pages.len())
            .map(|index| format!("{} 0 R", first_page + 2 * index))
            .collect();
        objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
        objects.push(format!(
            "<< /Type /Pages /Kids [{}] /Count {} /MediaBox [0 0 {A4_WIDTH} {A4_HEIGHT}] >>",
            kids.join(" "),
            self.pages.len()
        ));
        objects.push(format!(
            "<< /Title {} /Producer (Pforte) >>",
            literal(&self.title)
        ));
        for font in Font::ALL {
            objects.push(format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
                font.base_font()
            ));
        }
        let fonts: Vec<String> = Font::ALL
            .iter()
            .enumerate()
            .map(|(index, font)| format!("/{} {} 0 R", font.resource(), 4 + index))
            .collect();
        for (index, page) in self.pages.iter().enumerate() {
            objects.push(format!(
                "<< /Type /Page /Parent 2 0 R /Resources << /Font << {} >> >> /Contents {} 0 R >>",
                fonts.join(" "),
                first_page + 2 * index + 1
            ));
            objects.push(format!(
                "<< /Length {} >>\nstream\n{}endstream",
                page.content.len(),
                page.content
            ));
        }

        let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (index, object) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
        }
        let xref = out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for offset in offsets {
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        );
        out.extend_from_slice(table.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn count(haystack: &[u8], needle: &str) -> usize {
        haystack
            .windows(needle.len())
            .filter(|window| *window == needle.as_bytes())
            .count()
    }

    #[test]
    fn r_rg_4_one_page_object_per_page_and_a_matching_count() {
        let mut document = Document::new("Batch");
        for n in 0..3 {
            let mut page = Page::new();
            page.text(Font::Helvetica, 11.0, 25.0, 50.0, &format!("Brief {n}"));
            document.push(page);
        }
        let bytes = document.to_bytes();
        assert_eq!(count(&bytes, "/Type /Page /"), 3);
        assert_eq!(count(&bytes, "/Type /Pages"), 1);
        assert_eq!(count(&bytes, "/Count 3"), 1);
        assert!(bytes.starts_with(b"%PDF-1.4\n"));
        assert!(bytes.ends_with(b"%%EOF\n"));
    }

    #[test]
    fn r_rg_4_cross_reference_offsets_point_at_their_objects() {
        let mut document = Document::new("Batch");
        document.push(Page::new());
        document.push(Page::new());
        let bytes = document.to_bytes();
        // Everything after the binary marker line is ASCII.
        let text = std::str::from_utf8(&bytes[14..]).unwrap();
        let startxref = text.rfind("startxref\n").unwrap();
        let xref: usize = text[startxref + 10..]
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(&bytes[xref..xref + 4], b"xref");
        let table = std::str::from_utf8(&bytes[xref..]).unwrap();
        let entries: Vec<&str> = table.lines().skip(3).take(10).collect();
        assert_eq!(entries.len(), 10);
        for (index, entry) in entries.iter().enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            let expected = format!("{} 0 obj", index + 1);
            assert_eq!(&bytes[offset..offset + expected.len()], expected.as_bytes());
        }
        // Stream lengths are exact.
        let length_at = text.find("/Length ").unwrap();
        let length: usize = text[length_at + 8..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let stream_at = text[length_at..].find("stream\n").unwrap() + length_at + 7;
        assert_eq!(
            &text[stream_at + length..stream_at + length + 9],
            "endstream"
        );
    }

    #[test]
    fn r_rg_4_german_letters_are_encoded_in_win_ansi() {
        assert_eq!(
            encode_win_ansi("äöüÄÖÜß€„“–"),
            [
                0xE4, 0xF6, 0xFC, 0xC4, 0xD6, 0xDC, 0xDF, 0x80, 0x84, 0x93, 0x96
            ]
        );
        assert_eq!(encode_win_ansi("Ω\n"), b"? ");
        assert_eq!(literal("Grüße"), "(Gr\\374\\337e)");
    }

    #[test]
    fn r_rg_4_parentheses_and_backslashes_cannot_end_a_string() {
        assert_eq!(literal("a(b)c\\d"), "(a\\(b\\)c\\\\d)");
        let mut page = Page::new();
        page.text(Font::Helvetica, 10.0, 0.0, 0.0, ") Tj ET BT (");
        assert!(page.content.contains("(\\) Tj ET BT \\() Tj"));
    }

    #[test]
    fn r_rg_4_widths_follow_the_helvetica_metrics_and_lines_wrap() {
        assert!((text_width(Font::Helvetica, 10.0, "Hallo") - 22.78).abs() < 0.01);
        assert!((text_width(Font::CourierBold, 10.0, "ABCD") - 24.0).abs() < 0.01);
        assert_eq!(
            text_width(Font::Helvetica, 10.0, "Ä"),
            text_width(Font::Helvetica, 10.0, "A")
        );
        let lines = wrap(Font::Helvetica, 10.0, "eins zwei drei vier fünf", 50.0);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(text_width(Font::Helvetica, 10.0, line) <= 50.0 || !line.contains(' '));
        }
        assert_eq!(lines.join(" "), "eins zwei drei vier fünf");
        assert_eq!(wrap(Font::Helvetica, 10.0, "", 50.0), [""]);
    }
}
