//! `lodestar serve` and `lodestar demo`: open the store, load the specs,
//! bind, install signal handlers (SIGHUP reloads, SIGINT/SIGTERM stop),
//! and run the server until told to stop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use server::{AppState, Catalog, Limits, ServerOptions, SystemClock, Tokens};
use store::{Store, StoreConfig};

use crate::cli::{DemoArgs, ServeArgs, ServerOpts};
use crate::demo::Demo;

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LODESTAR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Refuses to expose an unauthenticated server beyond loopback.
fn check_exposure(opts: &ServerOpts) -> anyhow::Result<Option<Tokens>> {
    let tokens = match &opts.auth_token_file {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading token file {}", p.display()))?;
            Some(Tokens::parse(&p.display().to_string(), &text)?)
        }
        None => None,
    };
    if !opts.listen.ip().is_loopback() && tokens.is_none() {
        bail!(
            "--listen {} is not a loopback address: pass --auth-token-file so that only holders of a token can use the API",
            opts.listen
        );
    }
    if let Some(addr) = grpc_listen(opts)
        && !addr.ip().is_loopback()
        && tokens.is_none()
    {
        bail!(
            "--otlp-grpc-listen {addr} is not a loopback address: pass --auth-token-file so that only holders of a token can send telemetry, or --no-otlp-grpc"
        );
    }
    Ok(tokens)
}

/// Where OTLP/gRPC listens, unless it is turned off.
fn grpc_listen(opts: &ServerOpts) -> Option<SocketAddr> {
    (!opts.no_otlp_grpc).then_some(opts.otlp_grpc_listen)
}

fn options(
    opts: &ServerOpts,
    config_paths: Vec<PathBuf>,
    lenient: bool,
    tokens: Option<Tokens>,
) -> ServerOptions {
    ServerOptions {
        config_paths,
        lenient,
        tokens,
        limits: Limits {
            max_body_bytes: opts.max_body_bytes,
            max_line_bytes: opts.max_line_bytes,
            ..Limits::default()
        },
        retention_minutes: opts.retention,
        otlp_spans: otlp::SpanSelection {
            kinds: otlp::SpanKinds::of(&opts.otlp_span_kinds),
            include_roots: !opts.otlp_no_root_spans,
        },
        otlp_logs: otlp::LogSelection {
            named_only: opts.otlp_named_logs_only,
            ..otlp::LogSelection::default()
        },
    }
}

fn open_store(dir: &Path, opts: &ServerOpts) -> anyhow::Result<Arc<Store>> {
    let config = StoreConfig {
        dir: dir.to_path_buf(),
        retention_minutes: opts.retention,
        minute_retention_minutes: opts.minute_retention,
        ..StoreConfig::default()
    };
    let started = std::time::Instant::now();
    let (store, report) =
        Store::open(config).with_context(|| format!("opening data directory {}", dir.display()))?;
    tracing::info!(dir = %dir.display(), elapsed_ms = started.elapsed().as_millis() as u64, report = ?report, "store opened");
    Ok(Arc::new(store))
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}

/// Reloads the specs on every SIGHUP.
fn spawn_sighup_reload(state: Arc<AppState>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            let st = state.clone();
            match tokio::task::spawn_blocking(move || st.reload()).await {
                Ok(Ok(c)) => tracing::info!(slos = c.slos.len(), "specs reloaded on SIGHUP"),
                Ok(Err(diags)) => {
                    for d in &diags {
                        tracing::warn!("{d}");
                    }
                    tracing::warn!(
                        problems = diags.len(),
                        "reload on SIGHUP refused; the running specs stay"
                    )
                }
                Err(e) => tracing::warn!(error = %e, "reload task failed"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = state;
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Alerting options from the command line: the `--notify` targets (named
/// by kind, numbered when a kind repeats), the webhook secret, the interval.
fn alerting_options(o: &ServerOpts) -> anyhow::Result<server::alerting::AlertingOptions> {
    let secret = match &o.notify_webhook_secret_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("reading the webhook secret {}", p.display()))?
                .trim()
                .to_string(),
        ),
        None => None,
    };
    let mut targets: Vec<(notify::TargetName, notify::Target)> = Vec::new();
    for raw in &o.notify {
        let (kind, rest) = raw.split_once(':').unwrap_or((raw.as_str(), ""));
        let kind = kind.trim().to_ascii_lowercase();
        let target = if kind == "webhook" && secret.is_some() {
            notify::Target::from_config(&notify::TargetConfig {
                kind: kind.clone(),
                url: Some(rest.to_string()),
                secret: secret.clone(),
                routing_key: None,
            })
        } else {
            notify::Target::parse(raw)
        }
        .with_context(|| format!("--notify {raw}"))?;
        let same = targets
            .iter()
            .filter(|(n, _)| n.as_str().starts_with(&kind))
            .count();
        let name = if same == 0 {
            kind
        } else {
            format!("{kind}-{}", same + 1)
        };
        targets.push((notify::TargetName::new(name), target));
    }
    Ok(server::alerting::AlertingOptions {
        interval_secs: o.alert_interval,
        default_targets: targets,
        public_url: o
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", o.listen)),
    })
}

async fn serve_until_signal(
    state: Arc<AppState>,
    listen: SocketAddr,
    grpc_listen: Option<SocketAddr>,
) -> anyhow::Result<()> {
    // gRPC is bound and announced first, so whoever waits for the HTTP
    // line (the test harness) already knows both addresses.
    let grpc_listener = match grpc_listen {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("binding the OTLP/gRPC listener {addr} (change it with --otlp-grpc-listen, or pass --no-otlp-grpc)")
            })?;
            let local = l.local_addr()?;
            tracing::info!(address = %local, "OTLP/gRPC listening");
            println!("lodestar OTLP/gRPC listening on {local}");
            Some(l)
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "listening");
    println!("lodestar listening on http://{local}");
    spawn_sighup_reload(state.clone());
    let maint = tokio::spawn(server::api::maintain(
        state.clone(),
        Duration::from_secs(60),
    ));
    let alerts = tokio::spawn(server::alert_routes::alert_loop(
        state.clone(),
        Duration::from_secs(state.alerting.options.interval_secs),
    ));
    // One stop for both listeners: a signal, or the gRPC server failing.
    let stop = Arc::new(tokio::sync::watch::channel(false).0);
    let stopped = |stop: &Arc<tokio::sync::watch::Sender<bool>>| {
        let mut rx = stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let on_signal = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        on_signal.send_replace(true);
    });
    let grpc = grpc_listener.map(|l| {
        let (st, stop, until) = (state.clone(), stop.clone(), stopped(&stop));
        tokio::spawn(async move {
            let out = server::otlp_grpc::run_grpc(l, st, until).await;
            stop.send_replace(true);
            out
        })
    });
    let http = server::run(listener, state.clone(), stopped(&stop)).await;
    stop.send_replace(true);
    if let Some(g) = grpc {
        g.await?.context("serving OTLP/gRPC")?;
    }
    http.context("serving HTTP")?;
    maint.abort();
    alerts.abort();
    let st = state.clone();
    tokio::task::spawn_blocking(move || st.snapshot())
        .await?
        .context("writing the final snapshot")?;
    Ok(())
}

pub fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging(a.server.log_json);
    let tokens = check_exposure(&a.server)?;
    let catalog = match Catalog::load(&a.config, a.lenient) {
        Ok(c) => c,
        Err(diags) => {
            for d in &diags {
                eprintln!("{d}");
            }
            eprintln!("error: the specs are invalid; nothing was started");
            return Ok(ExitCode::from(1));
        }
    };
    for w in &catalog.warnings {
        tracing::warn!("{w}");
    }
    let store = open_store(&a.data, &a.server)?;
    let opts = options(&a.server, a.config.clone(), a.lenient, tokens);
    let mut state = AppState::new(store, catalog, opts, Arc::new(SystemClock))
        .with_exemplars_in(&a.data)
        .with_alerting_in(&a.data, alerting_options(&a.server)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    state.decisions = crate::gate::open_decisions(&a.data, &a.hooks)?;
    let state = Arc::new(state);
    runtime()?.block_on(async {
        let watch = tokio::spawn(server::decisions::watch(
            state.clone(),
            Duration::from_secs(60),
        ));
        let out = serve_until_signal(state, a.server.listen, grpc_listen(&a.server)).await;
        watch.abort();
        out
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn demo(a: DemoArgs) -> anyhow::Result<ExitCode> {
    init_logging(a.server.log_json);
    let tokens = check_exposure(&a.server)?;
    // A fresh folder by default: the history is generated relative to now.
    let temp;
    let data: PathBuf = match &a.data {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("lodestar-demo-")
                .tempdir()
                .context("creating a temporary data folder")?;
            temp.path().to_path_buf()
        }
    };
    let specs_dir = data.join("specs");
    std::fs::create_dir_all(&specs_dir)
        .with_context(|| format!("creating {}", specs_dir.display()))?;
    for (name, text) in Demo::specs() {
        std::fs::write(specs_dir.join(&name), text)
            .with_context(|| format!("writing demo spec {name}"))?;
    }
    let catalog = Catalog::load(std::slice::from_ref(&specs_dir), false)
        .map_err(|d| anyhow::anyhow!("the demo's own specs are invalid:\n{}", d.join("\n")))?;
    let store = open_store(&data.join("store"), &a.server)?;
    let opts = options(&a.server, vec![specs_dir.clone()], false, tokens);
    let clock = Arc::new(SystemClock);
    let mut state = AppState::new(store, catalog, opts, clock)
        .with_exemplars_in(&data.join("store"))
        .with_alerting_in(&data, alerting_options(&a.server)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    state.decisions = server::decisions::Decisions::open(&data, Default::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = Arc::new(state);

    let anchor_ms = jiff::Timestamp::now().as_millisecond();
    let demo = Arc::new(Demo::new(anchor_ms, a.seed));
    backfill(&state, &demo, anchor_ms, a.days)?;
    record_demo_changes(&state, &demo)?;
    println!("\nincidents in the history:");
    for i in demo.incidents() {
        let start = jiff::Timestamp::from_millisecond(i.start_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        println!("  {start}  {} — {}", i.title, i.description);
    }
    let doc = server::view::slos_document(
        &state.catalog(),
        &state.store,
        jiff::Timestamp::now(),
        crate::status::SPARK_POINTS,
    );
    println!(
        "\n{}",
        crate::status::render_table(&doc, std::io::IsTerminal::is_terminal(&std::io::stdout()))
    );
    if a.no_serve {
        state.snapshot().context("writing the snapshot")?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "specs: {} (edit them, then `kill -HUP` this process or POST /api/v1/reload)",
        specs_dir.display()
    );
    println!("try:   lodestar status --server http://{}", a.server.listen);
    println!(
        "       curl -s http://{}/api/v1/slos/checkout-availability",
        a.server.listen
    );
    println!(
        "       lodestar alerts --server http://{0}   lodestar gate --service checkout --server http://{0}",
        a.server.listen
    );
    match grpc_listen(&a.server) {
        Some(g) => println!(
            "OTLP:  http://{}/v1/traces (HTTP), {g} (gRPC)\n",
            a.server.listen
        ),
        None => println!("OTLP:  http://{}/v1/traces (HTTP)\n", a.server.listen),
    }
    let rt = runtime()?;
    rt.block_on(async {
        let live = tokio::spawn(live_traffic(state.clone(), demo.clone(), anchor_ms));
        let out = serve_until_signal(state.clone(), a.server.listen, grpc_listen(&a.server)).await;
        live.abort();
        out
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Records the demo's deploys and flag and configuration changes through
/// the same validation as `POST /api/v1/changes`.
fn record_demo_changes(state: &AppState, demo: &Demo) -> anyhow::Result<()> {
    let now = state.clock.now();
    for c in demo.changes() {
        let time = jiff::Timestamp::from_millisecond(c.at_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let body = serde_json::json!({
            "kind": c.kind,
            "service": c.service,
            "version": c.version,
            "flag": c.flag,
            "environment": "production",
            "author": c.author,
            "time": time,
            "description": c.description,
        });
        let change = server::decisions::changes::validate(body.to_string().as_bytes(), now)
            .map_err(|e| anyhow::anyhow!("demo change: {e}"))?;
        state
            .decisions
            .changes
            .record(change)
            .map_err(|e| anyhow::anyhow!("demo change: {e}"))?;
    }
    Ok(())
}

/// Feeds `days` of history, an hour at a time, through the real ingest path.
fn backfill(state: &AppState, demo: &Demo, anchor_ms: i64, days: u32) -> anyhow::Result<()> {
    const HOUR_MS: i64 = 3_600_000;
    let hours = i64::from(days) * 24;
    let from = anchor_ms - hours * HOUR_MS;
    let bar = indicatif::ProgressBar::new(hours as u64).with_style(
        indicatif::ProgressStyle::with_template("backfilling {pos}/{len} hours {wide_bar} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let (mut accepted, mut rejected) = (0u64, 0u64);
    for h in 0..hours {
        let t0 = from + h * HOUR_MS;
        let t = demo.telemetry(t0, (t0 + HOUR_MS).min(anchor_ms));
        let (a, r) =
            ingest_demo_telemetry(state, &t).map_err(|e| anyhow::anyhow!("backfill: {e}"))?;
        accepted += a;
        rejected += r;
        bar.inc(1);
        bar.set_message(format!("{accepted} events"));
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "backfilled {days} days: {accepted} events ({rejected} rejected) in {secs:.1} s ({:.0} events/s)",
        accepted as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Stores one range of demo traffic through the paths its senders use:
/// NDJSON events, and OTLP/JSON logs for the journey milestones. Returns
/// accepted and rejected counts.
fn ingest_demo_telemetry(
    state: &AppState,
    t: &crate::demo::Telemetry,
) -> Result<(u64, u64), server::ApiError> {
    let r = state.ingest_ndjson(&t.ndjson)?;
    if let Some(e) = r.errors.first() {
        tracing::warn!(line = e.line, "demo event rejected: {}", e.message);
    }
    let (mut accepted, mut rejected) = (r.accepted, r.rejected);
    if !t.otlp_logs_json.is_empty() {
        let o = state.ingest_otlp(
            server::otlp_http::OtlpSignal::Logs,
            &t.otlp_logs_json,
            otlp::Format::Json,
        )?;
        let refused = o.rejected();
        if refused > 0 {
            tracing::warn!("demo log records rejected: {}", o.message());
        }
        accepted += t.log_records.saturating_sub(refused);
        rejected += refused;
    }
    Ok((accepted, rejected))
}

/// Generates live traffic every second from the anchor on.
async fn live_traffic(state: Arc<AppState>, demo: Arc<Demo>, anchor_ms: i64) {
    let mut last = anchor_ms;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let now = jiff::Timestamp::now().as_millisecond();
        if now <= last {
            continue;
        }
        let (st, d, from) = (state.clone(), demo.clone(), last);
        last = now;
        let outcome = tokio::task::spawn_blocking(move || {
            ingest_demo_telemetry(&st, &d.telemetry(from, now))
        })
        .await;
        if let Ok(Err(e)) = outcome {
            tracing::warn!(error = %e, "live demo traffic was not stored");
        }
    }
}
