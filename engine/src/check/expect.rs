//! What a check expects, and every way an answer differs from it, in plain words.
//!
//! An expected body, header, path or forwarded body is a *matcher*: a string (exact), `null`
//! (absent: headers only), `{"regex": "..."}` (matches somewhere, anchor it with `^...$`),
//! `{"contains": "..."}`, or `{"json": value}` (the text is JSON and `value` is a subset of it:
//! every key of an object is there with a matching value, arrays match item by item).

use serde_json::{Map, Value};

/// What came back for one request.
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) to values; repeated headers are joined with `", "`.
    pub headers: Map<String, Value>,
    /// The body, as text (invalid UTF-8 replaced).
    pub body: String,
}

/// One request a mock upstream received.
#[derive(Clone, Debug)]
pub struct Received {
    /// The method, like `GET`.
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// Header names (lower case) to values.
    pub headers: Map<String, Value>,
    /// The body, as text.
    pub body: String,
}

/// Every way `a` differs from `expect` (status, body, bodyContains, headers), in plain words.
pub fn compare(expect: &Value, a: &Answer) -> Vec<String> {
    let mut problems = Vec::new();
    match expect.get("status") {
        Some(Value::Array(any)) if !any.iter().any(|s| s.as_u64() == Some(a.status.into())) => {
            let list: Vec<String> = any.iter().map(Value::to_string).collect();
            problems.push(format!(
                "status was {}, expected one of {}",
                a.status,
                list.join(", ")
            ));
        }
        Some(s) if s.is_u64() && s.as_u64() != Some(a.status.into()) => {
            problems.push(format!("status was {}, expected {s}", a.status));
        }
        _ => {}
    }
    if let Some(m) = expect.get("body") {
        problems.extend(matches("body", m, Some(&a.body)));
    }
    let parts = match expect.get("bodyContains") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(v)) => v
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    for p in parts {
        if !a.body.contains(&p) {
            problems.push(format!("body does not contain {p:?}"));
        }
    }
    if let Some(Value::Object(h)) = expect.get("headers") {
        problems.extend(headers(h, &a.headers));
    }
    problems
}

/// Every way the requests one mock received during a step differ from `expect`:
/// `{"count"?: n (default 1), "method"?, "path"?, "headers"?, "body"?}`, the fields checked
/// against the last request received.
pub fn forwarded(mock: &str, expect: &Value, got: &[Received]) -> Vec<String> {
    let want = expect.get("count").and_then(Value::as_u64).unwrap_or(1);
    if got.len() as u64 != want {
        let paths: Vec<String> = got
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        return vec![format!(
            "mock {mock} received {} request(s), expected {want}{}",
            got.len(),
            if paths.is_empty() {
                String::new()
            } else {
                format!(" ({})", paths.join(", "))
            }
        )];
    }
    let Some(last) = got.last() else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let label = |what: &str| format!("mock {mock}: {what}");
    if let Some(m) = expect.get("method") {
        problems.extend(matches(&label("method"), m, Some(&last.method)));
    }
    if let Some(m) = expect.get("path") {
        problems.extend(matches(&label("path"), m, Some(&last.path)));
    }
    if let Some(m) = expect.get("body") {
        problems.extend(matches(&label("body"), m, Some(&last.body)));
    }
    if let Some(Value::Object(h)) = expect.get("headers") {
        let found = headers(h, &last.headers);
        problems.extend(found.into_iter().map(|p| label(&p)));
    }
    problems
}

/// Every expected header that does not match; names are case-insensitive.
fn headers(want: &Map<String, Value>, got: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    for (k, m) in want {
        let value = got.get(&k.to_ascii_lowercase()).and_then(Value::as_str);
        problems.extend(matches(&format!("header {k}"), m, value));
    }
    problems
}

/// Why `got` (None: absent) does not match the matcher `m`, if it does not.
pub fn matches(what: &str, m: &Value, got: Option<&str>) -> Option<String> {
    let Some(got) = got else {
        return match m {
            Value::Null => None,
            _ => Some(format!("no {what}, expected {}", describe(m))),
        };
    };
    let shown = clip(got);
    match m {
        Value::Null => Some(format!("{what} was {shown:?}, expected none")),
        Value::String(s) if got == s => None,
        Value::String(s) => Some(format!("{what} was {shown:?}, expected {s:?}")),
        Value::Number(n) if got == n.to_string() => None,
        Value::Object(o) if o.len() == 1 => {
            let (kind, arg) = o.iter().next()?;
            match (kind.as_str(), arg) {
                ("regex", Value::String(r)) => match regex::Regex::new(r) {
                    Ok(re) if re.is_match(got) => None,
                    Ok(_) => Some(format!("{what} was {shown:?}, expected to match /{r}/")),
                    Err(e) => Some(format!("{what}: {r:?} is not a valid regex: {e}")),
                },
                ("contains", Value::String(s)) if got.contains(s.as_str()) => None,
                ("contains", Value::String(s)) => {
                    Some(format!("{what} was {shown:?}, expected to contain {s:?}"))
                }
                ("json", want) => match serde_json::from_str::<Value>(got) {
                    Ok(v) => subset(want, &v, "").map(|p| format!("{what}: {p}")),
                    Err(_) => Some(format!("{what} was {shown:?}, expected JSON")),
                },
                _ => Some(format!("{what}: {} is not a matcher", describe(m))),
            }
        }
        _ => Some(format!("{what} was {shown:?}, expected {}", describe(m))),
    }
}

/// Where `got` is not a superset of `want` (objects: every key of `want`; arrays: item by item,
/// the same length), as `at $.a[1]: ...`.
fn subset(want: &Value, got: &Value, at: &str) -> Option<String> {
    let place = if at.is_empty() { "$" } else { at };
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().find_map(|(k, v)| match g.get(k) {
            Some(x) => subset(v, x, &format!("{place}.{k}")),
            None => Some(format!("{place}.{k} is missing, expected {v}")),
        }),
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .find_map(|(i, (v, x))| subset(v, x, &format!("{place}[{i}]"))),
        (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => None,
        (w, g) if w == g => None,
        (w, g) => Some(format!(
            "{place} was {}, expected {w}",
            clip(&g.to_string())
        )),
    }
}

fn describe(m: &Value) -> String {
    match m {
        Value::Object(o) if o.len() == 1 => {
            let (k, v) = o
                .iter()
                .next()
                .map(|(k, v)| (k.as_str(), v))
                .unwrap_or(("", m));
            match (k, v) {
                ("regex", Value::String(r)) => format!("a match of /{r}/"),
                ("contains", Value::String(s)) => format!("text containing {s:?}"),
                ("json", v) => format!("JSON like {v}"),
                _ => m.to_string(),
            }
        }
        _ => m.to_string(),
    }
}

/// `s` cut to 200 bytes, for messages.
pub fn clip(s: &str) -> String {
    if s.len() <= 200 {
        return s.to_string();
    }
    let mut end = 200;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, body: &str) -> Answer {
        let mut headers = Map::new();
        headers.insert("content-type".into(), json!("text/plain"));
        Answer {
            status,
            headers,
            body: body.into(),
        }
    }

    #[test]
    fn compare_names_every_difference() {
        let want = json!({"status": 200, "body": "hi", "bodyContains": ["x"],
            "headers": {"Content-Type": "text/html", "x-a": "1"}});
        let p = compare(&want, &answer(404, "nope"));
        assert_eq!(
            p,
            vec![
                "status was 404, expected 200",
                "body was \"nope\", expected \"hi\"",
                "body does not contain \"x\"",
                "header Content-Type was \"text/plain\", expected \"text/html\"",
                "no header x-a, expected \"1\"",
            ]
        );
        let ok = json!({"status": 200, "bodyContains": "i t", "headers": {"content-type": "text/plain"}});
        assert!(compare(&ok, &answer(200, "hi there")).is_empty());
    }

    #[test]
    fn matchers_take_regexes_json_subsets_and_absence() {
        let body = r#"{"a": 1, "b": [1, {"c": "x"}], "d": true}"#;
        let ok = json!({"status": [200, 204], "body": {"json": {"b": [1, {"c": "x"}]}},
            "headers": {"content-type": {"regex": "^text/"}, "x-none": null}});
        assert!(compare(&ok, &answer(204, body)).is_empty());
        let bad = json!({"status": [201], "body": {"json": {"b": [1, {"c": "y"}], "e": 1}},
            "headers": {"content-type": {"regex": "html$"}, "Content-Type": null}});
        assert_eq!(
            compare(&bad, &answer(200, body)),
            vec![
                "status was 200, expected one of 201",
                "body: $.b[1].c was \"x\", expected \"y\"",
                "header Content-Type was \"text/plain\", expected none",
                "header content-type was \"text/plain\", expected to match /html$/",
            ]
        );
        assert_eq!(
            matches("body", &json!({"json": {}}), Some("nope")).as_deref(),
            Some("body was \"nope\", expected JSON")
        );
    }

    #[test]
    fn forwarded_requests_are_counted_and_matched() {
        let mut headers = Map::new();
        headers.insert("x-added".into(), json!("yes"));
        let got = vec![Received {
            method: "GET".into(),
            path: "/hi".into(),
            headers,
            body: String::new(),
        }];
        let want = json!({"path": "/hi", "headers": {"X-Added": "yes"}});
        assert!(forwarded("a", &want, &got).is_empty());
        assert_eq!(
            forwarded("a", &json!({"count": 0}), &got),
            vec!["mock a received 1 request(s), expected 0 (GET /hi)"]
        );
        assert_eq!(
            forwarded("a", &json!({"path": {"regex": "^/x"}}), &got),
            vec!["mock a: path was \"/hi\", expected to match /^/x/"]
        );
    }
}
