//! The CLI commands users run: check, fmt, status and replay, with their
//! output and exit codes.

use std::process::Command;

use super::harness::{Server, bin, event, minute_ms, specs_dir};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_exit_codes_are_0_valid_1_invalid_2_io() {
    let specs = specs_dir();
    let (code, out, _) = run(&["check", specs.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok: 2 SLOs"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let text = std::fs::read_to_string(specs.join("shop.yaml")).unwrap();
    // `op` is forbidden on ratio objectives.
    std::fs::write(
        &bad,
        text.replace(
            "    - displayName: 99 % of payments succeed\n",
            "    - displayName: 99 % of payments succeed\n      op: lte\n",
        ),
    )
    .unwrap();
    let (code, out, _) = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("spec.objectives[0].op"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.starts_with(&format!("{}:", bad.display())), "{line}");
    let mut parts = line[bad.display().to_string().len() + 1..].split(':');
    let (l, c) = (parts.next().unwrap(), parts.next().unwrap());
    assert_eq!(l, "41", "{line}");
    assert_eq!(c, "7", "{line}");
    // Lenient mode accepts it with a warning.
    let (code, out, _) = run(&["check", "--lenient", bad.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning"), "{out}");

    let (code, _, err) = run(&["check", "/nonexistent/specs"]);
    assert_eq!(code, 2, "{err}");

    // A CEL filter that does not compile is caught by check too.
    std::fs::write(
        &bad,
        text.replace(
            r#"filter: 'status == "ok"'"#,
            r#"filter: 'status === "ok"'"#,
        ),
    )
    .unwrap();
    let (code, out, _) = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bad.yaml:"), "{out}");
}

#[test]
fn fmt_is_idempotent_and_check_reports_changes() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("shop.yaml");
    let text = std::fs::read_to_string(specs_dir().join("shop.yaml")).unwrap();
    std::fs::write(
        &f,
        text.replace(
            "apiVersion: openslo/v1\nkind: Service",
            "kind: Service\napiVersion: openslo/v1",
        ),
    )
    .unwrap();
    let (code, out, _) = run(&["fmt", "--check", f.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let (code, _, _) = run(&["fmt", f.to_str().unwrap()]);
    assert_eq!(code, 0);
    let once = std::fs::read_to_string(&f).unwrap();
    assert!(
        once.starts_with("apiVersion: openslo/v1\nkind: Service"),
        "{once}"
    );
    let (code, out, _) = run(&["fmt", "--check", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(&["check", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn status_and_replay_talk_to_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let file = dir.path().join("history.ndjson");
    let mut lines = Vec::new();
    for m in 0..60 {
        lines.push(event(
            minute_ms(m + 1),
            "POST /pay",
            "/pay",
            if m == 7 { "error" } else { "ok" },
            5.0,
            "eu-west",
        ));
    }
    lines.insert(10, "this is not json".into());
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let (code, out, err) = run(&[
        "replay",
        "--quiet",
        "--server",
        &s.base,
        "--chunk-bytes",
        "2000",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "a rejected line makes replay exit 1: {out}{err}");
    assert!(out.contains("60 events accepted, 1 rejected"), "{out}");
    assert!(
        out.contains("(lines 11)"),
        "the rejected line is named by its number in the file: {out}"
    );

    let (code, out, err) = run(&["status", "--server", &s.base]);
    assert_eq!(code, 0, "{err}");
    let row = out
        .lines()
        .find(|l| l.contains("pay-availability"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("98.333% / 99.000%"), "{row}");
    assert!(out.contains("search-latency"));
    let (code, out, _) = run(&["status", "--server", &s.base, "--output", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["slos"][0]["objectives"][0]["sli"]["total"].as_f64(),
        Some(60.0)
    );
    assert_eq!(
        v["slos"][0]["objectives"][0]["budget_history"]
            .as_array()
            .unwrap()
            .len(),
        24
    );
}

fn rules_data(rel: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rules/tests/data")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn rules_and_conversions_run_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    // Prometheus rules that promtool accepts.
    let out_file = dir.path().join("api.rules.yaml");
    let (code, _, err) = run(&[
        "rules",
        "prometheus",
        &rules_data("rules/api.yaml"),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let golden = std::fs::read_to_string(rules_data("rules/api.rules.yaml")).unwrap();
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        golden,
        "the CLI writes what the library generates"
    );
    let check = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&out_file)
        .output()
        .expect("promtool (Debian package prometheus) is needed");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // Specs without Prometheus SLOs are refused with a reason.
    let (code, _, err) = run(&["rules", "prometheus", specs_dir().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no slo in the given specs has a metric source of type prometheus"),
        "{err}"
    );

    // Sloth in, OpenSLO out, which `check` accepts.
    let (code, yaml, err) = run(&[
        "convert",
        "--from",
        "sloth",
        &rules_data("sloth/myservice.yaml"),
    ]);
    assert_eq!(code, 0, "{err}");
    // The header names the input as given; the rest is the golden conversion.
    let golden = std::fs::read_to_string(rules_data("sloth/myservice.openslo.yaml")).unwrap();
    assert!(
        yaml.starts_with("# Converted by `lodestar convert --from sloth` from "),
        "{yaml}"
    );
    assert_eq!(
        yaml.split_once('\n').unwrap().1,
        golden.split_once('\n').unwrap().1
    );
    let converted = dir.path().join("converted.yaml");
    std::fs::write(&converted, &yaml).unwrap();
    let (code, out, _) = run(&["check", converted.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = run(&[
        "convert",
        "--from",
        "openslo-v1alpha",
        &rules_data("v1alpha/webapp.yaml"),
    ]);
    assert_eq!(code, 0);

    // Grafana dashboards, one file each.
    let dash = dir.path().join("dashboards");
    let (code, out, err) = run(&[
        "convert",
        "--to",
        "grafana",
        &rules_data("rules/api.yaml"),
        "-o",
        dash.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    for entry in std::fs::read_dir(&dash).unwrap() {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        assert!(v["panels"].as_array().is_some_and(|p| !p.is_empty()), "{v}");
    }
}
