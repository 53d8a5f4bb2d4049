//! Hand-written HTML: every dynamic value goes through [`esc`]. No inline script or style (the
//! CSP forbids them); one stylesheet at `/static/app.css`.

/// Escape text for HTML element content and double-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page. `nav` is the logged-in user's login, if any.
pub fn page(title: &str, nav: Option<&str>, body: &str) -> String {
    let right = match nav {
        Some(login) => format!(
            "<span class=\"who\">{}</span> <a href=\"/dashboard\">工作台 Dashboard</a>",
            esc(login)
        ),
        None => "<a href=\"/login\">登录 Log in</a>".to_string(),
    };
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · 统筹 Tongchou</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><header><a class=\"brand\" href=\"/\">统筹 Tongchou</a>\
         <nav><a href=\"/estimate\">养老金测算 Estimator</a> {right}</nav></header>\
         <main><h1>{t}</h1>\n{body}\n</main>\
         <footer>山西省企业职工基本养老保险 省级统收统支</footer></body></html>\n",
        t = esc(title)
    )
}

/// A hidden CSRF field.
pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// A definition list of (label, value) pairs; values are escaped.
pub fn dl(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<dl>");
    for (k, v) in rows {
        s.push_str(&format!("<dt>{}</dt><dd>{}</dd>", esc(k), esc(v)));
    }
    s.push_str("</dl>");
    s
}

pub const CSS: &str = "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}\
header{display:flex;justify-content:space-between;align-items:center;padding:.6rem 1.2rem;background:#8c1c13;color:#fff}\
header a{color:#fff;text-decoration:none;margin-left:1rem}.brand{font-weight:700;margin-left:0}\
main{max-width:60rem;margin:1.5rem auto;padding:0 1.2rem}footer{text-align:center;color:#777;font-size:.8rem;padding:2rem}\
form{background:#fff;padding:1rem;border:1px solid #ddd;border-radius:6px;margin:1rem 0}\
label{display:block;margin:.5rem 0 .2rem}input,select{padding:.35rem;font-size:1rem;min-width:16rem}\
button{margin-top:.8rem;padding:.45rem 1.2rem;font-size:1rem;background:#8c1c13;color:#fff;border:0;border-radius:4px}\
dl{display:grid;grid-template-columns:max-content auto;gap:.3rem 1rem;background:#fff;padding:1rem;border:1px solid #ddd}\
dt{color:#555}dd{margin:0}.error{color:#a00;font-weight:600}.total{font-size:1.6rem;font-weight:700}\
.who{font-weight:600}table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.25rem .6rem}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            esc("<script>\"x\"&'y'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;"
        );
        let p = page("<t>", Some("a<b"), "body");
        assert!(p.contains("&lt;t&gt;") && p.contains("a&lt;b") && !p.contains("<t>"));
        assert!(!p.contains("<script") && !p.contains("style=\""));
    }
}
