//! The outbox against scripted receivers: backoff, giving up, order per
//! alert, collapsing refreshes, restarts, torn writes, compaction, and a
//! model-based property test of the whole.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use proptest::prelude::*;

use super::*;
use crate::target::Target;
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// Answers per URL: a queue of scripted answers, then `fallback`.
#[derive(Default)]
struct Script {
    answers: Mutex<BTreeMap<String, VecDeque<Result<HttpResponse, String>>>>,
    fallback: Mutex<BTreeMap<String, u16>>,
    log: Mutex<Vec<(String, String)>>,
}

impl Script {
    fn set_status(&self, url: &str, status: u16) {
        self.fallback
            .lock()
            .unwrap()
            .insert(url.to_string(), status);
    }

    fn sent(&self) -> Vec<(String, String)> {
        self.log.lock().unwrap().clone()
    }
}

impl Transport for Arc<Script> {
    fn post(&self, request: &HttpRequest) -> Result<HttpResponse, String> {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        self.log.lock().unwrap().push((
            request.url.clone(),
            format!(
                "{}:{}",
                body["key"].as_str().unwrap(),
                body["status"].as_str().unwrap()
            ),
        ));
        if let Some(answer) = self
            .answers
            .lock()
            .unwrap()
            .get_mut(&request.url)
            .and_then(|q| q.pop_front())
        {
            return answer;
        }
        let status = self
            .fallback
            .lock()
            .unwrap()
            .get(&request.url)
            .copied()
            .unwrap_or(200);
        Ok(HttpResponse {
            status,
            body: format!("status {status}"),
        })
    }
}

const A: &str = "http://a.test/hook";
const B: &str = "http://b.test/hook";

fn targets(script: &Arc<Script>) -> TargetSet {
    TargetSet::with_transport(
        [
            (
                TargetName::new("a"),
                Target::parse(&format!("webhook:{A}")).unwrap(),
            ),
            (
                TargetName::new("b"),
                Target::parse(&format!("webhook:{B}")).unwrap(),
            ),
        ],
        Box::new(script.clone()),
    )
    .unwrap()
}

fn names(list: &[&str]) -> Vec<TargetName> {
    list.iter().map(|n| TargetName::new(*n)).collect()
}

fn note(key: &str, status: Status) -> Notification {
    Notification {
        key: key.into(),
        status,
        severity: "page".into(),
        slo: "slo".into(),
        objective: "default".into(),
        service: "svc".into(),
        summary: format!("{key} {}", status.as_str()),
        description: String::new(),
        labels: Default::default(),
        annotations: Default::default(),
        starts_at: Timestamp::UNIX_EPOCH,
        ends_at: None,
        generator_url: String::new(),
    }
}

fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + seconds).unwrap()
}

fn outcomes(deliveries: &[Delivery]) -> Vec<String> {
    deliveries
        .iter()
        .map(|d| {
            let what = match &d.outcome {
                Outcome::Sent => "sent".to_string(),
                Outcome::Failed {
                    next_attempt_at, ..
                } => {
                    format!("retry at +{}", next_attempt_at.as_second() - 1_700_000_000)
                }
                Outcome::GaveUp { .. } => "gave up".to_string(),
            };
            format!("{} {}:{} {what}", d.target, d.key, d.status.as_str())
        })
        .collect()
}

#[test]
fn retry_delays_double_up_to_ten_minutes() {
    let secs: Vec<u64> = (1..=9).map(|n| retry_delay(n).as_secs()).collect();
    assert_eq!(secs, [10, 20, 40, 80, 160, 320, 600, 600, 600]);
    assert_eq!(retry_delay(u32::MAX).as_secs(), 600);
}

#[test]
fn due_items_go_out_once_to_each_target() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    let set = targets(&script);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    let ids = outbox
        .enqueue(&note("k", Status::Firing), &names(&["a", "b", "a"]), t(0))
        .unwrap();
    assert_eq!(ids, [1, 2]);
    let got = outbox.deliver_due(&set, t(0)).unwrap();
    assert_eq!(outcomes(&got), ["a k:firing sent", "b k:firing sent"]);
    assert!(outbox.deliver_due(&set, t(100)).unwrap().is_empty());
    let stats = outbox.stats();
    assert_eq!(stats.len(), 2);
    assert!(
        stats
            .iter()
            .all(|s| s.sent == 1 && s.pending == 0 && s.failed_attempts == 0)
    );
    assert_eq!(outbox.next_due(), None);
}

#[test]
fn failures_back_off_then_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    script.set_status(A, 503);
    let set = targets(&script);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note("k", Status::Firing), &names(&["a"]), t(0))
        .unwrap();
    assert_eq!(
        outcomes(&outbox.deliver_due(&set, t(0)).unwrap()),
        ["a k:firing retry at +10"]
    );
    assert!(outbox.deliver_due(&set, t(9)).unwrap().is_empty());
    assert_eq!(
        outcomes(&outbox.deliver_due(&set, t(10)).unwrap()),
        ["a k:firing retry at +30"]
    );
    assert_eq!(outbox.next_due(), Some(t(30)));
    let stats = &outbox.stats()[0];
    assert_eq!(
        (stats.failed_attempts, stats.pending, stats.sent),
        (2, 1, 0)
    );
    assert_eq!(
        stats.last_error.as_deref(),
        Some("webhook http://a.test/hook answered HTTP 503: status 503")
    );
    assert_eq!(stats.last_error_at, Some(t(10)));
    assert_eq!(outbox.pending()[0].attempts, 2);
    script.set_status(A, 200);
    assert_eq!(
        outcomes(&outbox.deliver_due(&set, t(30)).unwrap()),
        ["a k:firing sent"]
    );
    assert_eq!(outbox.stats()[0].sent, 1);
}

#[test]
fn retryable_failures_give_up_after_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    script.set_status(A, 500);
    let set = targets(&script);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note("k", Status::Firing), &names(&["a"]), t(0))
        .unwrap();
    let mut attempts = 0;
    let gave_up_at = loop {
        let now = outbox.next_due().expect("still pending");
        let got = outbox.deliver_due(&set, now).unwrap();
        attempts += 1;
        if matches!(got[0].outcome, Outcome::GaveUp { .. }) {
            break now;
        }
    };
    let day = GIVE_UP_AFTER.as_secs() as i64;
    assert!(
        gave_up_at >= t(day) && gave_up_at < t(day + 600),
        "{gave_up_at}"
    );
    let s = &outbox.stats()[0];
    assert_eq!((s.given_up, s.pending, s.failed_attempts), (1, 0, attempts));
    assert!(
        s.last_error.as_deref().unwrap().contains("giving up"),
        "{:?}",
        s.last_error
    );
}

#[test]
fn client_errors_are_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    script.set_status(A, 400);
    let set = targets(&script);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note("k", Status::Firing), &names(&["a"]), t(0))
        .unwrap();
    assert_eq!(
        outcomes(&outbox.deliver_due(&set, t(0)).unwrap()),
        ["a k:firing gave up"]
    );
    assert!(outbox.deliver_due(&set, t(3600)).unwrap().is_empty());
    assert_eq!(script.sent().len(), 1);
    assert_eq!(outbox.stats()[0].given_up, 1);
}

#[test]
fn a_resolve_waits_for_its_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    script.set_status(A, 502);
    let set = targets(&script);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note("k", Status::Firing), &names(&["a", "b"]), t(0))
        .unwrap();
    outbox.deliver_due(&set, t(0)).unwrap();
    outbox
        .enqueue(&note("k", Status::Resolved), &names(&["a", "b"]), t(5))
        .unwrap();
    // b delivered its trigger already, so its resolve goes; a's waits.
    assert_eq!(
        outcomes(&outbox.deliver_due(&set, t(5)).unwrap()),
        ["b k:resolved sent"]
    );
    script.set_status(A, 200);
    assert_eq!(
        outcomes(&outbox.deliver_due(&set, t(10)).unwrap()),
        ["a k:firing sent", "a k:resolved sent"]
    );
    let to_a: Vec<String> = script
        .sent()
        .into_iter()
        .filter(|(u, _)| u == A)
        .map(|(_, w)| w)
        .collect();
    assert_eq!(to_a, ["k:firing", "k:firing", "k:resolved"]);
}

#[test]
fn refreshes_collapse_into_one_item_keeping_the_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    script.set_status(A, 503);
    let set = targets(&script);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note("k", Status::Firing), &names(&["a"]), t(0))
        .unwrap();
    outbox.deliver_due(&set, t(0)).unwrap();
    for minute in 1..=5 {
        outbox
            .enqueue(&note("k", Status::Firing), &names(&["a"]), t(minute))
            .unwrap();
    }
    let pending = outbox.pending();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (
            pending[0].id,
            pending[0].attempts,
            pending[0].next_attempt_at
        ),
        (6, 1, t(10))
    );
    outbox
        .enqueue(&note("k", Status::Resolved), &names(&["a"]), t(6))
        .unwrap();
    outbox
        .enqueue(&note("k", Status::Firing), &names(&["a"]), t(7))
        .unwrap();
    let statuses: Vec<Status> = outbox.pending().iter().map(|p| p.status).collect();
    assert_eq!(statuses, [Status::Firing, Status::Resolved, Status::Firing]);
}

#[test]
fn a_failing_target_costs_one_attempt_per_pass() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    script.set_status(A, 503);
    let set = targets(&script);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    for key in ["k1", "k2", "k3"] {
        outbox
            .enqueue(&note(key, Status::Firing), &names(&["a", "b"]), t(0))
            .unwrap();
    }
    let got = outcomes(&outbox.deliver_due(&set, t(0)).unwrap());
    assert_eq!(
        got,
        [
            "a k1:firing retry at +10",
            "b k1:firing sent",
            "b k2:firing sent",
            "b k3:firing sent"
        ]
    );
    let got = outcomes(&outbox.deliver_due(&set, t(1)).unwrap());
    assert_eq!(got, ["a k2:firing retry at +11"]);
}

#[test]
fn pending_items_and_counters_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    script.set_status(A, 503);
    let set = targets(&script);
    {
        let mut outbox = Outbox::open(dir.path()).unwrap();
        outbox
            .enqueue(&note("k", Status::Firing), &names(&["a", "b"]), t(0))
            .unwrap();
        outbox.deliver_due(&set, t(0)).unwrap();
        outbox
            .enqueue(&note("k", Status::Resolved), &names(&["a"]), t(1))
            .unwrap();
    }
    let mut outbox = Outbox::open(dir.path()).unwrap();
    let pending: Vec<(u64, u32)> = outbox
        .pending()
        .iter()
        .map(|p| (p.id, p.attempts))
        .collect();
    assert_eq!(pending, [(1, 1), (3, 0)]);
    let stats = outbox.stats();
    assert_eq!((stats[0].failed_attempts, stats[0].pending), (1, 2));
    assert_eq!(stats[1].sent, 1);
    script.set_status(A, 200);
    assert_eq!(
        outcomes(&outbox.deliver_due(&set, t(10)).unwrap()),
        ["a k:firing sent", "a k:resolved sent"]
    );
    let ids = outbox
        .enqueue(&note("j", Status::Firing), &names(&["a"]), t(11))
        .unwrap();
    assert_eq!(ids, [4]);
}

#[test]
fn a_torn_last_line_is_dropped_and_a_corrupt_one_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut outbox = Outbox::open(dir.path()).unwrap();
        outbox
            .enqueue(&note("k", Status::Firing), &names(&["a"]), t(0))
            .unwrap();
    }
    let log = dir.path().join(LOG_FILE);
    let intact = fs::read(&log).unwrap();
    let mut torn = intact.clone();
    torn.extend_from_slice(br#"{"op":"enqueue","id":2,"tar"#);
    fs::write(&log, &torn).unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    assert_eq!(outbox.pending().len(), 1);
    assert_eq!(fs::read(&log).unwrap(), intact, "the torn tail is cut off");
    drop(outbox);

    let mut corrupt = b"{\"op\":\"nonsense\"}\n".to_vec();
    corrupt.extend_from_slice(&intact);
    fs::write(&log, &corrupt).unwrap();
    let err = Outbox::open(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("outbox {}:1: corrupt record", log.display())),
        "{err}"
    );
}

#[test]
fn compaction_bounds_the_log_and_keeps_ids_and_counters() {
    let dir = tempfile::tempdir().unwrap();
    let script = Arc::new(Script::default());
    let set = targets(&script);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    let mut largest = 0;
    for i in 0..1500 {
        outbox
            .enqueue(
                &note(&format!("k{}", i % 7), Status::Firing),
                &names(&["a"]),
                t(i),
            )
            .unwrap();
        outbox.deliver_due(&set, t(i)).unwrap();
        largest = largest.max(outbox.log_bytes().unwrap());
    }
    // One record is ~400 bytes; without compaction the log would hold 3000.
    assert!(largest < 300 * 1024, "log reached {largest} bytes");
    drop(outbox);
    let mut outbox = Outbox::open(dir.path()).unwrap();
    assert_eq!(outbox.stats()[0].sent, 1500);
    let ids = outbox
        .enqueue(&note("x", Status::Firing), &names(&["a"]), t(2000))
        .unwrap();
    assert_eq!(ids, [1501]);
    assert!(!dir.path().join(COMPACT_FILE).exists());
}

#[derive(Debug, Clone)]
enum Op {
    Enqueue {
        key: u8,
        firing: bool,
        to_a: bool,
        to_b: bool,
    },
    Deliver {
        advance: i64,
        a_fails: bool,
        b_fails: bool,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3, any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(key, firing, to_a, to_b)| Op::Enqueue { key, firing, to_a, to_b }),
        4 => (0i64..700, any::<bool>(), any::<bool>())
            .prop_map(|(advance, a_fails, b_fails)| Op::Deliver { advance, a_fails, b_fails }),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the failures and restarts, each receiver ends in the state
    /// of the last notification enqueued for it, items for one alert reach
    /// it in enqueue order, and a reopen changes nothing.
    #[test]
    fn receivers_end_in_the_last_enqueued_state(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let script = Arc::new(Script::default());
        let set = targets(&script);
        let mut outbox = Outbox::open(dir.path()).unwrap();
        let mut now = 0i64;
        let mut last_enqueued: BTreeMap<(String, String), Status> = BTreeMap::new();
        let mut last_sent_id: BTreeMap<(String, String), u64> = BTreeMap::new();
        let mut check_order = |deliveries: &[Delivery]| -> Result<(), TestCaseError> {
            for d in deliveries.iter().filter(|d| d.outcome == Outcome::Sent) {
                let chain = (d.target.0.clone(), d.key.clone());
                let previous = last_sent_id.insert(chain, d.id).unwrap_or(0);
                prop_assert!(d.id > previous, "{} sent after {}", d.id, previous);
            }
            Ok(())
        };
        for op in ops {
            match op {
                Op::Enqueue { key, firing, to_a, to_b } => {
                    let status = if firing { Status::Firing } else { Status::Resolved };
                    let key = format!("k{key}");
                    let mut to = Vec::new();
                    if to_a { to.push("a") }
                    if to_b { to.push("b") }
                    for target in &to {
                        last_enqueued.insert((target.to_string(), key.clone()), status);
                    }
                    outbox.enqueue(&note(&key, status), &names(&to), t(now)).unwrap();
                }
                Op::Deliver { advance, a_fails, b_fails } => {
                    now += advance;
                    script.set_status(A, if a_fails { 503 } else { 200 });
                    script.set_status(B, if b_fails { 429 } else { 200 });
                    let got = outbox.deliver_due(&set, t(now)).unwrap();
                    check_order(&got)?;
                }
                Op::Reopen => {
                    let (pending, stats) = (outbox.pending(), outbox.stats());
                    drop(outbox);
                    outbox = Outbox::open(dir.path()).unwrap();
                    prop_assert_eq!(outbox.pending(), pending);
                    prop_assert_eq!(outbox.stats(), stats);
                }
            }
        }
        script.set_status(A, 200);
        script.set_status(B, 200);
        while let Some(due) = outbox.next_due() {
            now = now.max(due.as_second() - 1_700_000_000);
            let got = outbox.deliver_due(&set, t(now)).unwrap();
            check_order(&got)?;
        }
        let mut final_state: BTreeMap<(String, String), String> = BTreeMap::new();
        for (url, what) in script.sent() {
            let target = if url == A { "a" } else { "b" };
            let (key, status) = what.split_once(':').unwrap();
            final_state.insert((target.to_string(), key.to_string()), status.to_string());
        }
        let expected: BTreeMap<(String, String), String> = last_enqueued
            .into_iter()
            .map(|(chain, status)| (chain, status.as_str().to_string()))
            .collect();
        // The script logs failed attempts too, but the drain above ends
        // every chain with a success, so each chain's last logged request
        // is the state its receiver was left in.
        let stats = outbox.stats();
        prop_assert!(stats.iter().all(|s| s.pending == 0 && s.given_up == 0));
        for (chain, status) in &expected {
            prop_assert_eq!(final_state.get(chain), Some(status), "chain {:?}", chain);
        }
    }
}
