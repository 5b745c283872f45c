//! How long loading and formatting take for a spec folder of realistic
//! size: 1,000 SLOs (half with an inline ratio SLI on Lodestar events, half
//! referencing a standalone threshold SLI) spread over 20 files. Measures
//! only; asserts nothing.

use criterion::{Criterion, criterion_group, criterion_main};
use spec::Mode;

const SLOS: usize = 1_000;
const FILES: usize = 20;

fn ratio_slo(i: usize) -> String {
    format!(
        "apiVersion: openslo/v1
kind: SLO
metadata:
  name: svc-{i}-availability
  annotations:
    lodestar.dev/owner: team-{t}
    lodestar.dev/escalation: oncall-{t} -> lead-{t}
    lodestar.dev/why: Requests that fail lose users.
spec:
  service: svc-{i}
  indicator:
    metadata:
      name: svc-{i}-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: lodestar
            spec:
              filter: status == \"error\"
        total:
          metricSource:
            type: lodestar
            spec:
              filter: attributes[\"service\"] == \"svc-{i}\"
              segments: [region, version]
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Requests succeed
      target: 0.999
",
        t = i % 17
    )
}

fn threshold_slo(i: usize) -> String {
    format!(
        "apiVersion: openslo/v1
kind: SLO
metadata:
  name: svc-{i}-latency
  annotations:
    lodestar.dev/owner: team-{t}
spec:
  service: svc-{i}
  indicatorRef: svc-{i}-duration
  timeWindow:
    - duration: 1M
      calendar:
        startTime: 2024-01-01 00:00:00
        timeZone: Europe/Berlin
  budgetingMethod: Timeslices
  objectives:
    - op: lte
      value: 300
      targetPercent: 99.5
      timeSliceTarget: 0.95
      timeSliceWindow: 5m
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: svc-{i}-duration
spec:
  thresholdMetric:
    metricSource:
      type: lodestar
      spec:
        filter: attributes[\"service\"] == \"svc-{i}\"
        aggregate: p95
",
        t = i % 17
    )
}

fn sources() -> Vec<(String, String)> {
    let mut files = vec![String::new(); FILES];
    for i in 0..SLOS {
        let doc = if i % 2 == 0 {
            ratio_slo(i)
        } else {
            threshold_slo(i)
        };
        let file = &mut files[i % FILES];
        if !file.is_empty() {
            file.push_str("---\n");
        }
        file.push_str(&doc);
    }
    files
        .into_iter()
        .enumerate()
        .map(|(i, text)| (format!("slos-{i:02}.yaml"), text))
        .collect()
}

fn bench(c: &mut Criterion) {
    let sources = sources();
    let bytes: usize = sources.iter().map(|(_, t)| t.len()).sum();
    let loaded = spec::load_sources(&sources, Mode::Strict);
    assert!(
        loaded.diagnostics.is_empty(),
        "{:?}",
        loaded.diagnostics.first()
    );
    assert_eq!(loaded.set.as_ref().map(|s| s.slos.len()), Some(SLOS));
    eprintln!("{SLOS} SLOs, {FILES} files, {bytes} bytes");
    c.bench_function("load_sources 1000 SLOs", |b| {
        b.iter(|| spec::load_sources(&sources, Mode::Strict))
    });
    c.bench_function("format_source 1000 SLOs", |b| {
        b.iter(|| {
            sources
                .iter()
                .map(|(f, t)| spec::format_source(f, t).map(|s| s.len()).unwrap_or(0))
                .sum::<usize>()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
