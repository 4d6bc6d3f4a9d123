//! QR codes as inline SVG, for the TOTP enrolment page (R-MF-1).
//!
//! SVG instead of a PNG keeps the image sharp at any zoom, needs no image
//! crates, and can carry an accessible name. Error correction level M
//! (ISO/IEC 18004 §4.9: about 15 % of codewords recoverable) is what
//! authenticator apps read reliably from a screen. The quiet zone of four
//! modules is the minimum ISO/IEC 18004 §5.3.8 asks for; without it some
//! scanners do not find the finder patterns on a dark page.

use qrcodegen::{QrCode, QrCodeEcc};
use std::fmt::Write;

/// Modules of light margin around the symbol.
pub const QUIET_ZONE: i32 = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// More data than the largest QR code (version 40) holds.
    #[error("the text is too long for a QR code")]
    TooLong,
}

/// An `<svg>` element drawing `text` as a QR code. `label` becomes the
/// accessible name (`role="img"`, `aria-label` and a `<title>`), e.g.
/// "QR-Code zum Einrichten der Authenticator-App"; it is XML-escaped here.
///
/// The drawing is one light background `<rect>` and one dark `<path>` whose
/// sub-paths are horizontal runs of dark modules, so a 41×41 code stays a few
/// kilobytes. The size is left to CSS (`viewBox` only), and
/// `shape-rendering="crispEdges"` keeps the module edges unblurred.
pub fn qr_svg(text: &str, label: &str) -> Result<String, QrError> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|_| QrError::TooLong)?;
    let size = code.size();
    let full = size + 2 * QUIET_ZONE;
    let label = escape_xml(label);
    let mut path = String::new();
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && code.get_module(x, y) {
                x += 1;
            }
            let run = x - start;
            // Writing to a String cannot fail.
            let _ = write!(
                path,
                "M{},{}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            );
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" \
         role=\"img\" aria-label=\"{label}\" shape-rendering=\"crispEdges\">\
         <title>{label}</title>\
         <rect width=\"{full}\" height=\"{full}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paints the path's runs back into a grid of `full`×`full` modules.
    fn paint(svg: &str, full: usize) -> Vec<Vec<bool>> {
        let start = svg.find(" d=\"").unwrap() + 4;
        let end = start + svg[start..].find('"').unwrap();
        let mut grid = vec![vec![false; full]; full];
        for sub in svg[start..end].split('z').filter(|sub| !sub.is_empty()) {
            let rest = sub.strip_prefix('M').unwrap();
            let (x, rest) = rest.split_once(',').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let (run, _) = rest.split_once('v').unwrap();
            let (x, y, run): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), run.parse().unwrap());
            for cell in &mut grid[y][x..x + run] {
                *cell = true;
            }
        }
        grid
    }

    #[test]
    fn r_mf_1_qr_svg_is_an_accessible_svg_with_one_path() {
        let svg = qr_svg(
            "otpauth://totp/Pforte:erika?secret=JBSWY3DPEHPK3PXP",
            "QR <Code> & \"mehr\"",
        )
        .unwrap();
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"QR &lt;Code&gt; &amp; &quot;mehr&quot;\""));
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
        assert_eq!(svg.matches("<path").count(), 1);
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    }

    #[test]
    fn r_mf_1_qr_svg_draws_exactly_the_modules_of_the_symbol() {
        // (input, expected version): ISO/IEC 18004 Table 7 capacities at level M.
        let long = "A".repeat(100);
        let table: [(&str, u8); 3] = [
            ("HELLO WORLD", 1),
            (
                "otpauth://totp/Pforte:erika%40example.de?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Pforte",
                6,
            ),
            (&long, 5),
        ];
        for (input, version) in table {
            let code = QrCode::encode_text(input, QrCodeEcc::Medium).unwrap();
            assert_eq!(code.version().value(), version, "{input}");
            let size = 17 + 4 * i32::from(version);
            assert_eq!(code.size(), size);
            let full = size + 2 * QUIET_ZONE;
            let svg = qr_svg(input, "QR").unwrap();
            assert!(svg.contains(&format!("viewBox=\"0 0 {full} {full}\"")));
            let grid = paint(&svg, full as usize);
            for y in 0..full {
                for x in 0..full {
                    let inside = (QUIET_ZONE..QUIET_ZONE + size).contains(&x)
                        && (QUIET_ZONE..QUIET_ZONE + size).contains(&y);
                    let expected = inside && code.get_module(x - QUIET_ZONE, y - QUIET_ZONE);
                    assert_eq!(grid[y as usize][x as usize], expected, "({x},{y})");
                }
            }
        }
    }

    #[test]
    fn r_mf_1_qr_svg_refuses_too_much_data() {
        assert_eq!(qr_svg(&"x".repeat(5000), "QR"), Err(QrError::TooLong));
    }
}
