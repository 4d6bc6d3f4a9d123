//! A deliberately small HTML reader for tests: finds start tags and their
//! attributes, label texts, and forms with their fields. It understands the
//! markup our templates produce (quoted attributes, no tags inside attribute
//! values), which is all a test of our pages needs.

use std::collections::BTreeMap;

/// One start tag: its name (lower case), attributes, and byte offsets of the
/// tag's end in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub start: usize,
    pub end: usize,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    pub fn has_attr(&self, name: &str) -> bool {
        self.attributes.contains_key(name)
    }
}

/// Decodes the character references our templates emit.
pub fn unescape(text: &str) -> String {
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

fn parse_attributes(text: &str) -> BTreeMap<String, String> {
    let mut attributes = BTreeMap::new();
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        while index < bytes.len() && (bytes[index].is_ascii_whitespace() || bytes[index] == b'/') {
            index += 1;
        }
        let name_start = index;
        while index < bytes.len()
            && !bytes[index].is_ascii_whitespace()
            && bytes[index] != b'='
            && bytes[index] != b'/'
        {
            index += 1;
        }
        if name_start == index {
            break;
        }
        let name = text[name_start..index].to_ascii_lowercase();
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let mut value = String::new();
        if index < bytes.len() && bytes[index] == b'=' {
            index += 1;
            while index < bytes.len() && bytes[index].is_ascii_whitespace() {
                index += 1;
            }
            if index < bytes.len() && (bytes[index] == b'"' || bytes[index] == b'\'') {
                let quote = bytes[index];
                index += 1;
                let value_start = index;
                while index < bytes.len() && bytes[index] != quote {
                    index += 1;
                }
                value = unescape(&text[value_start..index]);
                index += 1;
            } else {
                let value_start = index;
                while index < bytes.len() && !bytes[index].is_ascii_whitespace() {
                    index += 1;
                }
                value = unescape(&text[value_start..index]);
            }
        }
        attributes.entry(name).or_insert(value);
    }
    attributes
}

/// Every start tag in the document, in order (comments and doctype skipped).
pub fn tags(html: &str) -> Vec<Tag> {
    let mut found = Vec::new();
    let mut offset = 0;
    while let Some(relative) = html[offset..].find('<') {
        let start = offset + relative;
        let Some(close) = html[start..].find('>') else {
            break;
        };
        let end = start + close + 1;
        let inner = &html[start + 1..end - 1];
        offset = end;
        if inner.starts_with('/') || inner.starts_with('!') || inner.starts_with('?') {
            continue;
        }
        let name_end = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(inner.len());
        found.push(Tag {
            name: inner[..name_end].to_ascii_lowercase(),
            attributes: parse_attributes(&inner[name_end..]),
            start,
            end,
        });
    }
    found
}

/// The first tag named `name` whose `attribute` equals `value`.
pub fn find_tag(html: &str, name: &str, attribute: &str, value: &str) -> Option<Tag> {
    tags(html)
        .into_iter()
        .find(|tag| tag.name == name && tag.attr(attribute) == Some(value))
}

/// The text inside the element that starts with `tag` (tags removed, entities
/// decoded, whitespace collapsed).
pub fn inner_text(html: &str, tag: &Tag) -> String {
    let closing = format!("</{}", tag.name);
    let rest = &html[tag.end..];
    let content = &rest[..rest.find(&closing).unwrap_or(rest.len())];
    let mut text = String::new();
    let mut in_tag = false;
    for character in content.chars() {
        match character {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    unescape(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of the element with this `id`, if present.
pub fn text_by_id(html: &str, id: &str) -> Option<String> {
    tags(html)
        .into_iter()
        .find(|tag| tag.attr("id") == Some(id))
        .map(|tag| inner_text(html, &tag))
}

/// A form as a browser would submit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub action: Option<String>,
    pub method: String,
    /// `(name, value)` of the inputs, in document order.
    pub fields: Vec<(String, String)>,
    /// `label text → input name`, for filling by label.
    pub labels: BTreeMap<String, String>,
    /// `(name, value)` of the submit buttons.
    pub buttons: Vec<(String, String)>,
    /// Every input tag, for assertions on attributes.
    pub inputs: Vec<Tag>,
}

/// The forms of a document.
pub fn forms(html: &str) -> Vec<Form> {
    let all = tags(html);
    let mut label_for: BTreeMap<String, String> = BTreeMap::new();
    for tag in all.iter().filter(|tag| tag.name == "label") {
        if let Some(target) = tag.attr("for") {
            label_for.insert(target.to_owned(), inner_text(html, tag));
        }
    }
    let mut result = Vec::new();
    for form_tag in all.iter().filter(|tag| tag.name == "form") {
        let form_end = html[form_tag.end..]
            .find("</form")
            .map_or(html.len(), |position| form_tag.end + position);
        let inside: Vec<&Tag> = all
            .iter()
            .filter(|tag| tag.start > form_tag.start && tag.end <= form_end)
            .collect();
        let mut form = Form {
            action: form_tag.attr("action").map(str::to_owned),
            method: form_tag
                .attr("method")
                .unwrap_or("get")
                .to_ascii_lowercase(),
            fields: Vec::new(),
            labels: BTreeMap::new(),
            buttons: Vec::new(),
            inputs: Vec::new(),
        };
        for tag in inside {
            match tag.name.as_str() {
                "input" => {
                    let Some(name) = tag.attr("name") else {
                        continue;
                    };
                    if tag.attr("type") == Some("submit") {
                        form.buttons
                            .push((name.to_owned(), tag.attr("value").unwrap_or("").to_owned()));
                        continue;
                    }
                    form.fields
                        .push((name.to_owned(), tag.attr("value").unwrap_or("").to_owned()));
                    if let Some(label) = tag.attr("id").and_then(|id| label_for.get(id)) {
                        form.labels.insert(label.clone(), name.to_owned());
                    }
                    form.inputs.push(tag.clone());
                }
                "button" if tag.attr("type").unwrap_or("submit") == "submit" => {
                    form.buttons.push((
                        tag.attr("name").unwrap_or("").to_owned(),
                        tag.attr("value").unwrap_or("").to_owned(),
                    ));
                }
                _ => {}
            }
        }
        result.push(form);
    }
    result
}

impl Form {
    /// Sets the field whose `<label>` reads `label`; false when there is none.
    pub fn fill_by_label(&mut self, label: &str, value: &str) -> bool {
        let Some(name) = self.labels.get(label).cloned() else {
            return false;
        };
        self.set(&name, value)
    }

    /// Sets the field named `name`; false when there is none.
    pub fn set(&mut self, name: &str, value: &str) -> bool {
        match self.fields.iter_mut().find(|(field, _)| field == name) {
            Some(field) => {
                field.1 = value.to_owned();
                true
            }
            None => false,
        }
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// The pairs a browser sends when `button` (name, value) is pressed.
    pub fn submission(&self, button: Option<(&str, &str)>) -> Vec<(String, String)> {
        let mut pairs = self.fields.clone();
        if let Some((name, value)) = button
            && !name.is_empty()
        {
            pairs.push((name.to_owned(), value.to_owned()));
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html><html lang="en"><body>
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="a&amp;b">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" value="">
<label for="password">Pass<b>word</b></label>
<input id="password" name="password" type="password">
<button type="submit" name="action" value="login">Go</button>
</form></body></html>"#;

    #[test]
    fn forms_are_filled_by_label_and_submitted_with_the_button() {
        let mut form = forms(PAGE).remove(0);
        assert_eq!(form.method, "post");
        assert_eq!(form.action.as_deref(), Some("/login"));
        assert_eq!(form.value("csrf_token"), Some("a&b"));
        assert!(form.fill_by_label("User name", "alice"));
        assert!(form.fill_by_label("Password", "secret"));
        assert!(!form.fill_by_label("Nope", "x"));
        let pairs = form.submission(Some(("action", "login")));
        assert!(pairs.contains(&("username".into(), "alice".into())));
        assert!(pairs.contains(&("password".into(), "secret".into())));
        assert_eq!(form.buttons, [("action".to_owned(), "login".to_owned())]);
        assert_eq!(find_tag(PAGE, "html", "lang", "en").unwrap().name, "html");
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            unescape("&lt;a&gt; &#39;x&#x27; &amp;amp; & ;"),
            "<a> 'x' &amp; & ;"
        );
    }
}
