//! The page shell every dashboard page shares (head, skip link, navigation,
//! footer) and the small pieces pages are built from: figures with their
//! `data-field`, status badges. Everything interpolated is escaped here.

use std::fmt::Write;

use serde_json::Value;

use crate::escape::{escape, push_escaped};
use crate::format;

/// A whole page: `title` in the head and as the heading's context, `main`
/// as the body's main landmark (already escaped HTML), `at` (the instant
/// every figure is for) in the footer.
pub fn shell(title: &str, at: &str, at_query: &str, main: &str) -> String {
    let mut s = String::with_capacity(main.len() + 1024);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"color-scheme\" content=\"light dark\"><title>");
    push_escaped(&mut s, title);
    // An inline icon: no request, and no 404 for /favicon.ico in the console.
    s.push_str(" · Lodestar</title><link rel=\"icon\" href=\"data:image/svg+xml,%3Csvg xmlns='http:%2F%2Fwww.w3.org%2F2000%2Fsvg' viewBox='0 0 16 16'%3E%3Cpath d='M8 0l2 6h6l-5 4 2 6-5-4-5 4 2-6-5-4h6z' fill='%23d4a017'/%3E%3C/svg%3E\"><link rel=\"stylesheet\" href=\"");
    s.push_str(crate::STYLESHEET_PATH);
    s.push_str("\"><script src=\"");
    s.push_str(crate::SCRIPT_PATH);
    s.push_str("\" defer></script></head><body><a class=\"skip\" href=\"#main\">Skip to content</a><header class=\"top\"><nav aria-label=\"Site\"><a class=\"brand\" href=\"/");
    push_escaped(&mut s, at_query);
    s.push_str("\">Lodestar</a> <a href=\"/");
    push_escaped(&mut s, at_query);
    s.push_str("\">Overview</a></nav></header><main id=\"main\">");
    s.push_str(main);
    s.push_str("</main><footer>Figures as of <time data-field=\"at\" datetime=\"");
    push_escaped(&mut s, at);
    s.push_str("\">");
    push_escaped(&mut s, &format::instant(at));
    s.push_str("</time>. The same numbers are served as JSON under <code>/api/v1</code>.</footer></body></html>\n");
    s
}

/// An error page for `status` (`404 Not Found`) explaining `message`.
pub fn error_page(status: &str, message: &str) -> String {
    let mut main = String::new();
    main.push_str("<h1>");
    push_escaped(&mut main, status);
    main.push_str("</h1><p class=\"error\">");
    push_escaped(&mut main, message);
    main.push_str("</p><p><a href=\"/\">Back to the overview</a></p>");
    shell(status, "", "", &main)
}

/// Appends a figure: `<span data-field=NAME data-value=EXACT>TEXT</span>`.
pub fn field(out: &mut String, name: &str, value: Option<f64>, text: &str) {
    out.push_str("<span class=\"fig\" data-field=\"");
    push_escaped(out, name);
    out.push_str("\" data-value=\"");
    out.push_str(&format::exact(value));
    out.push_str("\">");
    push_escaped(out, text);
    out.push_str("</span>");
}

/// Appends a text field: `<span data-field=NAME>TEXT</span>`.
pub fn text_field(out: &mut String, name: &str, text: &str) {
    out.push_str("<span data-field=\"");
    push_escaped(out, name);
    out.push_str("\">");
    push_escaped(out, text);
    out.push_str("</span>");
}

/// Human words for an API status.
pub fn status_words(status: &str) -> &str {
    match status {
        "healthy" => "Healthy",
        "at_risk" => "At risk",
        "exhausted" => "Exhausted",
        "no_data" => "No data",
        "error" => "Error",
        other => other,
    }
}

/// Severity order of statuses, worst last (as the server ranks them).
pub fn status_rank(status: &str) -> u8 {
    match status {
        "healthy" => 0,
        "no_data" => 1,
        "error" => 2,
        "at_risk" => 3,
        "exhausted" => 4,
        _ => 2,
    }
}

/// Appends a status badge: a coloured dot (never the only cue) and words.
pub fn status_badge(out: &mut String, status: &str) {
    let class = match status {
        "healthy" | "at_risk" | "exhausted" | "no_data" => status,
        _ => "error",
    };
    let _ = write!(
        out,
        "<span class=\"badge status-{class}\" data-field=\"status\" data-value=\""
    );
    push_escaped(out, status);
    out.push_str("\"><span class=\"dot\" aria-hidden=\"true\"></span>");
    push_escaped(out, status_words(status));
    out.push_str("</span>");
}

/// A JSON string field, or "" when absent or not a string.
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The display name when there is one, else the name.
pub fn display_name(v: &Value) -> &str {
    let d = text(v, "display_name");
    if d.is_empty() { text(v, "name") } else { d }
}

/// Appends `<a href=HREF>TEXT</a>`, both escaped.
pub fn link(out: &mut String, href: &str, text: &str) {
    out.push_str("<a href=\"");
    push_escaped(out, href);
    out.push_str("\">");
    push_escaped(out, text);
    out.push_str("</a>");
}

/// Appends a paragraph of escaped text in `class`, when `text` is not empty.
pub fn paragraph(out: &mut String, class: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    let _ = write!(out, "<p class=\"{}\">{}</p>", escape(class), escape(text));
}

#[cfg(test)]
mod tests;
