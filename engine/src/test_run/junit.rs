//! `engine test --junit FILE`: the results as JUnit XML, the report format CI systems read.

use std::fmt::Write;

use super::{problems, totals, Suite};

/// The JUnit XML report of `suites`: a `<testsuite>` per test file, a `<testcase>` per step,
/// a `<failure>` with expected and actual for each that failed.
pub fn xml(suites: &[Suite]) -> String {
    let (passed, failed) = totals(suites);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"engine test\" tests=\"{}\" failures=\"{failed}\">",
        passed + failed
    );
    for s in suites {
        let results = s.results["results"].as_array().cloned().unwrap_or_default();
        let fails =
            results.iter().filter(|r| r["pass"] != true).count() + usize::from(s.error.is_some());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" time=\"{:.3}\">",
            escape(&s.name),
            results.len() + usize::from(s.error.is_some()),
            s.secs
        );
        if let Some(e) = &s.error {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{0}\" name=\"{0}\"><failure message=\"{1}\"/></testcase>",
                escape(&s.name),
                escape(e)
            );
        }
        for r in &results {
            let secs = r["ms"].as_u64().unwrap_or(0) as f64 / 1000.0;
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{secs:.3}\"",
                escape(&s.name),
                escape(r["name"].as_str().unwrap_or("?"))
            );
            if r["pass"] == true {
                out.push_str("/>\n");
                continue;
            }
            let detail = format!("expected {}\nactual   {}", r["expected"], r["actual"]);
            let _ = writeln!(
                out,
                "><failure message=\"{}\">{}</failure></testcase>",
                escape(&problems(r)),
                escape(&detail)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// `s` with XML's special characters as entities (and other control characters dropped).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failures_carry_their_problems_and_xml_is_escaped() {
        let s = Suite {
            name: "tests/a&b.json".into(),
            results: json!({"passed": 1, "failed": 1, "results": [
                {"name": "ok <1>", "pass": true, "ms": 5},
                {"name": "bad", "pass": false, "problems": ["status was 404, expected 200"],
                 "expected": {"status": 200}, "actual": {"status": 404}, "ms": 1500}]}),
            error: None,
            secs: 1.5,
        };
        let x = xml(&[s]);
        assert!(
            x.contains("<testsuites name=\"engine test\" tests=\"2\" failures=\"1\">"),
            "{x}"
        );
        assert!(
            x.contains(
                "<testsuite name=\"tests/a&amp;b.json\" tests=\"2\" failures=\"1\" time=\"1.500\">"
            ),
            "{x}"
        );
        assert!(x.contains("name=\"ok &lt;1&gt;\" time=\"0.005\"/>"), "{x}");
        assert!(x.contains("<failure message=\"status was 404, expected 200\">expected {&quot;status&quot;:200}&#10;actual   {&quot;status&quot;:404}</failure>"), "{x}");
    }
}
