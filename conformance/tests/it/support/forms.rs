//! A deliberately small HTML form reader: enough to find `<form>` elements,
//! their `action`/`method`, and the `<input>`/`<button>`/`<label>` elements
//! inside them. The pages are server-rendered by the provider, so no script
//! runs and no full HTML parser is needed.

use url::Url;

/// One element start tag with its attributes.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A `<form>` with its controls.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: Option<String>,
    pub method: String,
    pub inputs: Vec<Tag>,
    pub buttons: Vec<Tag>,
    pub labels: Vec<Tag>,
}

impl Form {
    /// Name/value pairs of every input that a browser would send (buttons
    /// excluded: a button is only sent when it is the one clicked).
    pub fn fields(&self) -> Vec<(String, String)> {
        self.inputs
            .iter()
            .filter(|input| {
                !matches!(
                    input.attr("type").map(str::to_ascii_lowercase).as_deref(),
                    Some("submit" | "button" | "checkbox" | "radio")
                )
            })
            .filter_map(|input| {
                let name = input.attr("name")?;
                Some((
                    name.to_owned(),
                    input.attr("value").unwrap_or("").to_owned(),
                ))
            })
            .collect()
    }

    /// The button a browser clicks when the user presses Enter: the first
    /// submit button.
    pub fn default_button(&self) -> Option<&Tag> {
        self.buttons.iter().find(|button| {
            button
                .attr("type")
                .is_none_or(|kind| kind.eq_ignore_ascii_case("submit"))
        })
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.inputs
            .iter()
            .any(|input| input.attr("name") == Some(name))
    }

    pub fn input(&self, name: &str) -> Option<&Tag> {
        self.inputs
            .iter()
            .find(|input| input.attr("name") == Some(name))
    }

    pub fn has_button(&self, name: &str, value: &str) -> bool {
        self.buttons
            .iter()
            .chain(self.inputs.iter())
            .any(|tag| tag.attr("name") == Some(name) && tag.attr("value") == Some(value))
    }

    /// The absolute target; an empty or missing action posts to the page.
    pub fn action_url(&self, page: &Url) -> Option<Url> {
        match self.action.as_deref() {
            None | Some("") => Some(page.clone()),
            Some(action) => page.join(action).ok(),
        }
    }
}

/// Every form in the document, in order.
pub fn parse_forms(html: &str) -> Vec<Form> {
    let mut forms = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut position = 0;
    while let Some(start) = find_tag(&lower, "form", position) {
        let Some((tag, after)) = parse_tag(html, start) else {
            break;
        };
        let end = lower[after..]
            .find("</form")
            .map(|offset| after + offset)
            .unwrap_or(html.len());
        let inner = &html[after..end];
        forms.push(Form {
            action: tag.attr("action").map(str::to_owned),
            method: tag.attr("method").unwrap_or("get").to_owned(),
            inputs: tags_named(inner, "input"),
            buttons: tags_named(inner, "button"),
            labels: tags_named(inner, "label"),
        });
        position = end.max(after);
    }
    forms
}

/// Every start tag `<name …>` in the document.
pub fn tags_named(html: &str, name: &str) -> Vec<Tag> {
    let lower = html.to_ascii_lowercase();
    let mut tags = Vec::new();
    let mut position = 0;
    while let Some(start) = find_tag(&lower, name, position) {
        match parse_tag(html, start) {
            Some((tag, after)) => {
                tags.push(tag);
                position = after;
            }
            None => break,
        }
    }
    tags
}

/// The text between `<tag …>` and `</tag>` of the first element whose
/// attribute `attribute` equals `value`.
pub fn element_text(html: &str, attribute: &str, value: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut position = 0;
    while let Some(start) = lower[position..].find('<').map(|offset| position + offset) {
        let Some((tag, after)) = parse_tag(html, start) else {
            position = start + 1;
            continue;
        };
        position = after;
        if tag.name.starts_with('/') || tag.attr(attribute) != Some(value) {
            continue;
        }
        let close = format!("</{}", tag.name);
        let end = lower[after..].find(&close).map(|offset| after + offset)?;
        return Some(strip_tags(&html[after..end]));
    }
    None
}

/// The `lang` attribute of `<html>`.
pub fn html_lang(html: &str) -> Option<String> {
    tags_named(html, "html")
        .first()
        .and_then(|tag| tag.attr("lang").map(str::to_owned))
}

/// The text of an HTML fragment without its tags, whitespace collapsed.
pub fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for character in html.chars() {
        match character {
            '<' => inside = true,
            '>' => inside = false,
            other if !inside => text.push(other),
            _ => {}
        }
    }
    decode_entities(
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str(),
    )
}

fn find_tag(lower: &str, name: &str, from: usize) -> Option<usize> {
    let needle = format!("<{name}");
    let mut position = from;
    while let Some(offset) = lower.get(position..)?.find(&needle) {
        let start = position + offset;
        let next = lower.as_bytes().get(start + needle.len()).copied();
        if matches!(next, Some(b' ' | b'>' | b'/' | b'\n' | b'\t' | b'\r')) {
            return Some(start);
        }
        position = start + needle.len();
    }
    None
}

/// Parses the start tag beginning at `start` (which points at `<`); returns
/// the tag and the index just after its `>`.
fn parse_tag(html: &str, start: usize) -> Option<(Tag, usize)> {
    let bytes = html.as_bytes();
    let mut index = start + 1;
    let name_start = index;
    while index < bytes.len() && !bytes[index].is_ascii_whitespace() && bytes[index] != b'>' {
        if bytes[index] == b'/' && index > name_start {
            break;
        }
        index += 1;
    }
    let name = html[name_start..index].to_ascii_lowercase();
    let mut attributes = Vec::new();
    loop {
        while index < bytes.len() && (bytes[index].is_ascii_whitespace() || bytes[index] == b'/') {
            index += 1;
        }
        if index >= bytes.len() {
            return None;
        }
        if bytes[index] == b'>' {
            return Some((Tag { name, attributes }, index + 1));
        }
        let key_start = index;
        while index < bytes.len()
            && !bytes[index].is_ascii_whitespace()
            && !matches!(bytes[index], b'=' | b'>' | b'/')
        {
            index += 1;
        }
        let key = html[key_start..index].to_ascii_lowercase();
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        if index < bytes.len() && bytes[index] == b'=' {
            index += 1;
            while index < bytes.len() && bytes[index].is_ascii_whitespace() {
                index += 1;
            }
            let value = if index < bytes.len() && matches!(bytes[index], b'"' | b'\'') {
                let quote = bytes[index];
                let value_start = index + 1;
                let value_end = html[value_start..]
                    .bytes()
                    .position(|byte| byte == quote)
                    .map(|offset| value_start + offset)?;
                index = value_end + 1;
                &html[value_start..value_end]
            } else {
                let value_start = index;
                while index < bytes.len()
                    && !bytes[index].is_ascii_whitespace()
                    && bytes[index] != b'>'
                {
                    index += 1;
                }
                &html[value_start..index]
            };
            attributes.push((key, decode_entities(value)));
        } else {
            attributes.push((key, String::new()));
        }
    }
}

/// The character references a server-side template engine emits.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find('&') {
        out.push_str(&rest[..position]);
        rest = &rest[position..];
        let Some(end) = rest.find(';').filter(|end| *end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(character) => {
                out.push(character);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn form_reader_finds_action_hidden_inputs_and_buttons() {
    let html = r#"<html lang="de"><body>
      <form method="post" action="/login?x=1&amp;y=2">
        <label for="username">Name</label>
        <input id="username" name="username" autocomplete="username" value="">
        <input type="hidden" name="csrf" value='a&quot;b'>
        <input type=hidden name=interaction value=abc123>
        <button type="submit" name="decision" value="allow">OK</button>
      </form>
      <p role="alert">Falsch &amp; so</p></body></html>"#;
    let forms = parse_forms(html);
    assert_eq!(forms.len(), 1);
    let form = &forms[0];
    assert_eq!(form.action.as_deref(), Some("/login?x=1&y=2"));
    assert_eq!(form.method, "post");
    assert_eq!(
        form.fields(),
        vec![
            ("username".to_owned(), String::new()),
            ("csrf".to_owned(), "a\"b".to_owned()),
            ("interaction".to_owned(), "abc123".to_owned()),
        ]
    );
    assert!(form.has_button("decision", "allow"));
    assert_eq!(form.labels[0].attr("for"), Some("username"));
    assert_eq!(html_lang(html).as_deref(), Some("de"));
    assert_eq!(
        element_text(html, "role", "alert").as_deref(),
        Some("Falsch & so")
    );
}
