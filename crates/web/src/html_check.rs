//! Checks on the pages this crate writes, for its unit tests: a small
//! well-formedness check (every opened element is closed in order, void
//! elements excepted, attribute quotes balance) and a reader of
//! `data-field` figures. Not an HTML parser: it knows
//! only the markup this crate emits (no comments, no raw-text elements
//! with `<` inside).

/// Elements HTML defines as void (never closed).
const VOID: [&str; 6] = ["meta", "link", "input", "br", "hr", "img"];

/// `Err` names the first problem and the byte offset where it was found.
pub fn well_formed(html: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    let mut offset = 0;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        let gt = after
            .find('>')
            .ok_or(format!("unclosed tag at {}", offset + lt))?;
        let tag = &after[..gt];
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("unbalanced quotes in <{tag}> at {}", offset + lt));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> at {} closes {other:?}", offset + lt)),
            }
        } else if !tag.starts_with('!') {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if name.is_empty() {
                return Err(format!("stray '<' at {}", offset + lt));
            }
            if !VOID.contains(&name.as_str()) && !tag.ends_with('/') {
                stack.push(name);
            }
        }
        offset += lt + 1 + gt + 1;
        rest = &after[gt + 1..];
    }
    match stack.last() {
        Some(open) => Err(format!("<{open}> never closed")),
        None => Ok(()),
    }
}

/// `(data-value, text)` of every `data-field="name"` element, in page order.
pub fn field_values(html: &str, name: &str) -> Vec<(String, String)> {
    let needle = format!("data-field=\"{name}\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let attrs = &rest[..tag_end];
        let value = attrs
            .split_once("data-value=\"")
            .map(|(_, v)| v.split('"').next().unwrap_or("").to_string())
            .unwrap_or_default();
        let body = &rest[(tag_end + 1).min(rest.len())..];
        let text = body.split('<').next().unwrap_or("").to_string();
        out.push((value, text));
    }
    out
}
