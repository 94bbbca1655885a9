//! A run's transcripts as a person reads them (text), as a program does (JSON), and as a CI
//! system shows them (JUnit XML: a test suite per scenario, a test case per step).
use super::run::{Outcome, StepResult, Transcript};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde_json::Value;
use std::fmt::Write as _;

/// The longest value shown on a step's line.
const SHOWN_CHARS: usize = 72;

fn shown(s: &StepResult) -> String {
    match (&s.shown, &s.shown_value) {
        (Some(k), Some(v)) => {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let v = if v.chars().count() > SHOWN_CHARS {
                format!("{}…", v.chars().take(SHOWN_CHARS).collect::<String>())
            } else {
                v
            };
            format!("  {k}={v}")
        }
        (Some(k), None) => format!("  {k}=(none)"),
        _ => String::new(),
    }
}

/// What a person reads in a terminal.
pub fn text(transcripts: &[Transcript]) -> String {
    let mut out = String::new();
    for t in transcripts {
        let _ = writeln!(out, "{}  {}  [{}]", t.id, t.title, t.rules.join(", "));
        let _ = writeln!(out, "    {}", t.file);
        if let Some(sub) = &t.subscription {
            let _ = writeln!(out, "    subscription {sub}");
        }
        for s in &t.steps {
            let verdict = match (s.ran, s.agrees) {
                (false, _) => "--  ",
                (true, true) => "ok  ",
                (true, false) => "FAIL",
            };
            let status = s.status.map(|c| c.to_string()).unwrap_or("-".into());
            let polls = if s.polls > 0 {
                format!(" (after {} polls)", s.polls)
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {verdict} {:>2}. {}", s.n, s.name);
            if s.ran {
                let _ = writeln!(out, "          {}", s.request);
                let _ = writeln!(out, "          -> {status}{polls}{}", shown(s));
            }
            if let Some(a) = &s.azure {
                let rule = s
                    .rule
                    .as_deref()
                    .map(|r| format!(" [{r}]"))
                    .unwrap_or_default();
                let _ = writeln!(out, "          Azure: {a}{rule}");
            }
            for d in &s.disagreements {
                let _ = writeln!(out, "          disagrees: {d}");
            }
        }
        let agreed = t.steps.iter().filter(|s| s.ran && s.agrees).count();
        let verdict = match t.outcome {
            Outcome::Passed => "passed".to_string(),
            Outcome::Failed => "FAILED".to_string(),
            Outcome::Skipped => "skipped".to_string(),
            Outcome::Error => "ERROR".to_string(),
        };
        let note = t
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {verdict}{note} ({agreed} of {} steps agree with Azure, {} ms)\n",
            t.id,
            t.steps.len(),
            t.duration_ms
        );
    }
    let failed = transcripts.iter().filter(|t| !t.agrees()).count();
    let _ = writeln!(
        out,
        "{} scenarios, {} passed, {failed} failed, {} skipped",
        transcripts.len(),
        transcripts
            .iter()
            .filter(|t| t.outcome == Outcome::Passed)
            .count(),
        transcripts
            .iter()
            .filter(|t| t.outcome == Outcome::Skipped)
            .count(),
    );
    out
}

/// JUnit XML: `<testsuites>`, a `<testsuite>` per scenario, a `<testcase>` per step.
pub fn junit(transcripts: &[Transcript]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let count = |pick: fn(&StepResult) -> bool| {
        transcripts
            .iter()
            .flat_map(|t| &t.steps)
            .filter(|s| pick(s))
            .count()
            .to_string()
    };
    let failures = |t: &Transcript| t.steps.iter().filter(|s| s.ran && !s.agrees).count();
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", "mi-sim scenarios"));
    root.push_attribute(("tests", count(|_| true).as_str()));
    root.push_attribute(("failures", count(|s| s.ran && !s.agrees).as_str()));
    root.push_attribute(("skipped", count(|s| !s.ran).as_str()));
    let _ = w.write_event(Event::Start(root));
    for t in transcripts {
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", format!("{}: {}", t.id, t.title).as_str()));
        suite.push_attribute(("tests", t.steps.len().to_string().as_str()));
        suite.push_attribute(("failures", failures(t).to_string().as_str()));
        suite.push_attribute((
            "skipped",
            t.steps
                .iter()
                .filter(|s| !s.ran)
                .count()
                .to_string()
                .as_str(),
        ));
        suite.push_attribute((
            "time",
            format!("{:.3}", t.duration_ms as f64 / 1000.0).as_str(),
        ));
        suite.push_attribute(("file", t.file.as_str()));
        let _ = w.write_event(Event::Start(suite));
        for s in &t.steps {
            let mut case = BytesStart::new("testcase");
            case.push_attribute(("classname", t.id.as_str()));
            case.push_attribute(("name", format!("{:02} {}", s.n, s.name).as_str()));
            case.push_attribute(("file", t.file.as_str()));
            case.push_attribute(("line", s.line.to_string().as_str()));
            case.push_attribute((
                "time",
                format!("{:.3}", s.duration_ms as f64 / 1000.0).as_str(),
            ));
            let _ = w.write_event(Event::Start(case));
            if !s.ran {
                let mut skipped = BytesStart::new("skipped");
                let why = t.note.as_deref().unwrap_or("an earlier step disagreed");
                skipped.push_attribute(("message", why));
                let _ = w.write_event(Event::Empty(skipped));
            } else if !s.agrees {
                let mut failure = BytesStart::new("failure");
                failure.push_attribute(("message", s.disagreements.join("; ").as_str()));
                let _ = w.write_event(Event::Start(failure));
                let _ = w.write_event(Event::Text(BytesText::new(&s.disagreements.join("\n"))));
                let _ = w.write_event(Event::End(BytesEnd::new("failure")));
            }
            let mut out = format!("{}\n-> {}{}", s.request, s.status.unwrap_or(0), shown(s));
            if let Some(a) = &s.azure {
                let _ = write!(out, "\nAzure: {a}");
            }
            let _ = w.write_event(Event::Start(BytesStart::new("system-out")));
            let _ = w.write_event(Event::Text(BytesText::new(&out)));
            let _ = w.write_event(Event::End(BytesEnd::new("system-out")));
            let _ = w.write_event(Event::End(BytesEnd::new("testcase")));
        }
        let _ = w.write_event(Event::End(BytesEnd::new("testsuite")));
    }
    let _ = w.write_event(Event::End(BytesEnd::new("testsuites")));
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&String::from_utf8_lossy(&w.into_inner()));
    xml.push('\n');
    xml
}

/// The transcripts as JSON (what `POST /simulator/scenarios/{id}/runs` answers, one each).
pub fn json(transcripts: &[Transcript]) -> String {
    serde_json::to_string_pretty(transcripts).unwrap_or_default()
}
