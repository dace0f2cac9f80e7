//! `/metrics`: the proxy's counters and the runtime's, in the Prometheus/OpenMetrics text
//! format (prometheus-client).
//!
//! Names (counters get `_total` in the exposition, per OpenMetrics):
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `wakeful_proxy_connections_accepted_total` | | TCP connections accepted |
//! | `wakeful_proxy_connections_active` | | open now (handshaking or relaying) |
//! | `wakeful_proxy_connections_max` | | `--max-conns` |
//! | `wakeful_proxy_connections_closed_total` | `reason` | see [`CloseReason`] |
//! | `wakeful_proxy_handshake_failures_total` | `reason` | see [`HandshakeFailure`] |
//! | `wakeful_proxy_bytes_total` | `direction` | plaintext relayed: `client_to_upstream`, `upstream_to_client` |
//! | `wakeful_proxy_client_truncations_total` | | clients that sent TCP EOF without close_notify |
//! | `wakeful_proxy_accept_errors_total` | `kind` | `emfile`, `enfile`, `econnaborted`, `enobufs`, `other` |
//! | `wakeful_proxy_max_conns_reached_total` | | times the accept loop paused, every slot taken |
//! | `wakeful_runtime_*` | | the runtime's totals, read at each scrape (below) |
//!
//! Runtime metrics, from `SpinReport::runtime` (`docs/spin-reports.md`):
//! `wakeful_runtime_workers`, `wakeful_runtime_tasks_alive`,
//! `wakeful_runtime_polls_total`, `wakeful_runtime_futile_polls_total`,
//! `wakeful_runtime_wakes_total{source=self|io|timer|task|foreign}`,
//! `wakeful_runtime_tasks_flagged_total`, `wakeful_runtime_tasks_demoted`,
//! `wakeful_runtime_stalls_total`, `wakeful_runtime_steals_total`,
//! `wakeful_runtime_parks_total`.
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use std::fmt;
use std::sync::Arc;
use wakeful::runtime::Handle;

type Label = [(&'static str, &'static str); 1];

/// Why a connection ended (label `reason` of `wakeful_proxy_connections_closed_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// Both directions ended with an EOF (close_notify or FIN) and were closed in turn.
    Completed,
    /// The TLS handshake failed or timed out.
    HandshakeFailed,
    /// The upstream refused, timed out, or could not be reached.
    UpstreamConnectFailed,
    /// No byte moved either way for `--idle-timeout`.
    IdleTimeout,
    /// Reading or writing the client failed (reset, bad record, broken pipe).
    ClientError,
    /// Reading or writing the upstream failed.
    UpstreamError,
}

impl CloseReason {
    pub(crate) const ALL: [CloseReason; 6] = [
        CloseReason::Completed,
        CloseReason::HandshakeFailed,
        CloseReason::UpstreamConnectFailed,
        CloseReason::IdleTimeout,
        CloseReason::ClientError,
        CloseReason::UpstreamError,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CloseReason::Completed => "completed",
            CloseReason::HandshakeFailed => "handshake_failed",
            CloseReason::UpstreamConnectFailed => "upstream_connect_failed",
            CloseReason::IdleTimeout => "idle_timeout",
            CloseReason::ClientError => "client_error",
            CloseReason::UpstreamError => "upstream_error",
        }
    }
}

/// Why a handshake failed (label `reason` of `wakeful_proxy_handshake_failures_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HandshakeFailure {
    /// Not finished within `--handshake-timeout` (silent or slowloris clients).
    Timeout,
    /// The client closed (FIN, or close_notify) before the handshake finished.
    Eof,
    /// The client reset the connection.
    Reset,
    /// Bytes that are not a TLS handshake (garbage, plain HTTP, a cut-off record).
    BadMessage,
    /// A real TLS client that shares no version, cipher suite or group with us.
    Incompatible,
    /// The client sent a fatal alert (it rejected our certificate, for example).
    AlertReceived,
    /// Any other TLS error.
    Tls,
    /// Any other I/O error.
    Io,
}

impl HandshakeFailure {
    pub(crate) const ALL: [HandshakeFailure; 8] = [
        HandshakeFailure::Timeout,
        HandshakeFailure::Eof,
        HandshakeFailure::Reset,
        HandshakeFailure::BadMessage,
        HandshakeFailure::Incompatible,
        HandshakeFailure::AlertReceived,
        HandshakeFailure::Tls,
        HandshakeFailure::Io,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HandshakeFailure::Timeout => "timeout",
            HandshakeFailure::Eof => "eof",
            HandshakeFailure::Reset => "reset",
            HandshakeFailure::BadMessage => "bad_message",
            HandshakeFailure::Incompatible => "incompatible",
            HandshakeFailure::AlertReceived => "alert_received",
            HandshakeFailure::Tls => "tls",
            HandshakeFailure::Io => "io",
        }
    }
}

/// Accept error kinds (label `kind` of `wakeful_proxy_accept_errors_total`).
pub(crate) const ACCEPT_ERROR_KINDS: [&str; 5] =
    ["emfile", "enfile", "econnaborted", "enobufs", "other"];

/// The proxy's own counters. Cheap to update from any task (atomics).
#[derive(Debug)]
pub(crate) struct ProxyMetrics {
    pub(crate) accepted: Counter,
    pub(crate) active: Gauge,
    pub(crate) max_conns: Gauge,
    closed: Family<Label, Counter>,
    handshake_failures: Family<Label, Counter>,
    bytes: Family<Label, Counter>,
    /// The two series of `bytes`, shared (a `Counter` clone is the same counter), so the
    /// relay updates them without a lookup.
    pub(crate) client_to_upstream: Counter,
    pub(crate) upstream_to_client: Counter,
    pub(crate) client_truncations: Counter,
    accept_errors: Family<Label, Counter>,
    pub(crate) max_conns_reached: Counter,
}

impl ProxyMetrics {
    /// Every series exists from the start, at 0.
    fn new() -> ProxyMetrics {
        let closed = Family::<Label, Counter>::default();
        for r in CloseReason::ALL {
            drop(closed.get_or_create(&[("reason", r.as_str())]));
        }
        let handshake_failures = Family::<Label, Counter>::default();
        for r in HandshakeFailure::ALL {
            drop(handshake_failures.get_or_create(&[("reason", r.as_str())]));
        }
        let accept_errors = Family::<Label, Counter>::default();
        for k in ACCEPT_ERROR_KINDS {
            drop(accept_errors.get_or_create(&[("kind", k)]));
        }
        let bytes = Family::<Label, Counter>::default();
        let client_to_upstream = bytes
            .get_or_create(&[("direction", "client_to_upstream")])
            .clone();
        let upstream_to_client = bytes
            .get_or_create(&[("direction", "upstream_to_client")])
            .clone();
        ProxyMetrics {
            accepted: Counter::default(),
            active: Gauge::default(),
            max_conns: Gauge::default(),
            closed,
            handshake_failures,
            bytes,
            client_to_upstream,
            upstream_to_client,
            client_truncations: Counter::default(),
            accept_errors,
            max_conns_reached: Counter::default(),
        }
    }

    pub(crate) fn closed(&self, reason: CloseReason) {
        self.closed
            .get_or_create(&[("reason", reason.as_str())])
            .inc();
    }

    pub(crate) fn handshake_failed(&self, reason: HandshakeFailure) {
        self.handshake_failures
            .get_or_create(&[("reason", reason.as_str())])
            .inc();
    }

    /// `kind` is one of [`ACCEPT_ERROR_KINDS`].
    pub(crate) fn accept_error(&self, kind: &'static str) {
        self.accept_errors.get_or_create(&[("kind", kind)]).inc();
    }
}

/// The registry behind `/metrics`: the proxy's counters and the runtime's.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub(crate) proxy: Arc<ProxyMetrics>,
    registry: Registry,
}

impl Metrics {
    /// Registers the proxy's metrics and a collector of `handle`'s runtime totals.
    pub(crate) fn new(handle: Handle) -> Metrics {
        let p = ProxyMetrics::new();
        let mut r = Registry::default();
        r.register(
            "wakeful_proxy_connections_accepted",
            "TCP connections accepted",
            p.accepted.clone(),
        );
        r.register(
            "wakeful_proxy_connections_active",
            "Connections open now (handshaking or relaying)",
            p.active.clone(),
        );
        r.register(
            "wakeful_proxy_connections_max",
            "The --max-conns limit",
            p.max_conns.clone(),
        );
        r.register(
            "wakeful_proxy_connections_closed",
            "Connections closed, by reason",
            p.closed.clone(),
        );
        r.register(
            "wakeful_proxy_handshake_failures",
            "TLS handshakes that failed, by reason",
            p.handshake_failures.clone(),
        );
        r.register(
            "wakeful_proxy_bytes",
            "Plaintext bytes relayed, by direction",
            p.bytes.clone(),
        );
        r.register(
            "wakeful_proxy_client_truncations",
            "Clients that ended with a TCP EOF without close_notify (relayed as an EOF)",
            p.client_truncations.clone(),
        );
        r.register(
            "wakeful_proxy_accept_errors",
            "accept() errors, by kind; each one backs the accept loop off",
            p.accept_errors.clone(),
        );
        r.register(
            "wakeful_proxy_max_conns_reached",
            "Times the accept loop paused with every connection slot taken",
            p.max_conns_reached.clone(),
        );
        r.register_collector(Box::new(RuntimeCollector { handle }));
        Metrics {
            proxy: Arc::new(p),
            registry: r,
        }
    }

    /// The exposition text.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Reads the runtime's totals at each scrape.
struct RuntimeCollector {
    handle: Handle,
}

impl fmt::Debug for RuntimeCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeCollector").finish_non_exhaustive()
    }
}

impl Collector for RuntimeCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let rt = self.handle.spin_report().runtime;
        let gauges: [(&str, &str, u64); 3] = [
            ("wakeful_runtime_workers", "Worker threads.", rt.workers),
            (
                "wakeful_runtime_tasks_alive",
                "Tasks spawned and not finished.",
                rt.tasks_alive,
            ),
            (
                "wakeful_runtime_tasks_demoted",
                "Flagged tasks demoted now (their self-wakes wait out a backoff).",
                rt.demoted_now,
            ),
        ];
        for (name, help, v) in gauges {
            let g = ConstGauge::new(v as i64);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        let counters: [(&str, &str, u64); 6] = [
            ("wakeful_runtime_polls", "Polls by the workers.", rt.polls),
            (
                "wakeful_runtime_futile_polls",
                "Polls woken only internally that returned Pending without progress.",
                rt.futile_polls,
            ),
            (
                "wakeful_runtime_tasks_flagged",
                "Tasks ever flagged as spinning.",
                rt.flagged_total,
            ),
            (
                "wakeful_runtime_stalls",
                "Polls that ran longer than the stall threshold.",
                rt.stalls_total,
            ),
            ("wakeful_runtime_steals", "Successful steals.", rt.steals),
            (
                "wakeful_runtime_parks",
                "Times a worker went to sleep.",
                rt.parks,
            ),
        ];
        for (name, help, v) in counters {
            let c = ConstCounter::new(v);
            c.encode(encoder.encode_descriptor(name, help, None, c.metric_type())?)?;
        }
        let w = rt.wakes;
        let mut family = encoder.encode_descriptor(
            "wakeful_runtime_wakes",
            "Polls preceded by a wake from each source.",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for (source, v) in [
            ("self", w.self_),
            ("io", w.io),
            ("timer", w.timer),
            ("task", w.task),
            ("foreign", w.foreign),
        ] {
            ConstCounter::new(v).encode(family.encode_family(&[("source", source)])?)?;
        }
        Ok(())
    }
}
