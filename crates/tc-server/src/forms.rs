//! What the pages' url-encoded forms share: the fields as posted, the CSRF check against the
//! session, a trimmed field, and the redirect after a successful post (post/redirect/get) that
//! carries its message to the page in `?done=`.

use crate::{csrf_token, ct_eq};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// A posted form's fields.
pub(crate) type Fields = HashMap<String, String>;

/// Whether the form's `csrf` field is the session's token.
pub(crate) fn csrf_ok(session: &str, f: &Fields) -> bool {
    ct_eq(
        f.get("csrf").map(String::as_str).unwrap_or(""),
        &csrf_token(session),
    )
}

/// A field, trimmed; empty when absent.
pub(crate) fn text(f: &Fields, k: &str) -> String {
    f.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// A field, trimmed, or `None` when absent or blank.
pub(crate) fn opt_text(f: &Fields, k: &str) -> Option<String> {
    Some(text(f, k)).filter(|s| !s.is_empty())
}

/// Redirect to `path` with `msg` shown there as the outcome.
pub(crate) fn done(path: &str, msg: &str) -> Response {
    let q: String = form_urlencoded::byte_serialize(msg.as_bytes()).collect();
    Redirect::to(&format!("{path}?done={q}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_and_blank_is_none() {
        let f: Fields = [
            ("a".to_string(), "  x ".to_string()),
            ("b".into(), " ".into()),
        ]
        .into_iter()
        .collect();
        assert_eq!(text(&f, "a"), "x");
        assert_eq!(opt_text(&f, "b"), None);
        assert_eq!(text(&f, "missing"), "");
        assert!(!csrf_ok("session", &f));
    }

    #[test]
    fn done_carries_its_message_encoded() {
        let r = done("/x", "已确认 1");
        let loc = r.headers().get("location").and_then(|v| v.to_str().ok());
        assert_eq!(loc, Some("/x?done=%E5%B7%B2%E7%A1%AE%E8%AE%A4+1"));
    }
}
