//! Where a `tracing` rung's spans go during one repeat, and what arrived: the OTLP receiver
//! in the harness on 127.0.0.1 where the rung can reach it (local backend), else the same
//! receiver in a container of the run's network, the harness's own binary running
//! `harness otlp-receiver` (a container's 127.0.0.1 is its own), read back through its
//! published port.

use std::thread;
use std::time::{Duration, Instant};

use footprint_contract::otlp::{RECEIVED_PATH, Received, Receiver};

use super::Measure;
use crate::aggregate;
use crate::backend::{Instance, Landscape, ServiceSpec};
use crate::boot;
use crate::model::{SpanRun, StepSummary};
use crate::prepare::Prepared;
use crate::stacks::RECEIVER;

/// How long the receiver's container may take to answer `/health`.
const RECEIVER_BOOT: Duration = Duration::from_secs(10);

/// How long the spans a stopped rung flushed may take to arrive, at most.
const SPANS_ARRIVAL: Duration = Duration::from_secs(3);

/// The name of an account request's span.
const ACCOUNT_SPAN: &str = "GET /accounts/{id}";

/// The receiver of one repeat of a `tracing` rung.
pub enum SpanSink {
    /// In the harness, on 127.0.0.1.
    Here(Receiver),
    /// In a container of the run's network.
    Container {
        /// The container.
        instance: Box<dyn Instance>,
        /// What the rung is given: the container's name on the network.
        endpoint: String,
        /// The network the rung joins to reach it.
        network: Option<String>,
    },
}

impl SpanSink {
    /// A receiver for the rung `stack`: in the harness where the backend's services reach
    /// it, else in a container from `image` (the run's build of [`RECEIVER`]).
    pub fn open(
        measure: &Measure<'_>,
        stack: &str,
        image: Option<&Prepared>,
    ) -> Result<Self, String> {
        if measure.backend.reaches_harness() {
            return Receiver::start()
                .map(Self::Here)
                .map_err(|e| format!("cannot start the OTLP receiver: {e}"));
        }
        let prepared = image.ok_or_else(|| {
            format!(
                "its spans go to an OTLP receiver in a container on the {} backend, whose image \
                 was not built",
                measure.backend.name()
            )
        })?;
        let backend = measure.backend;
        let (network, port, name) =
            super::landscape::helper_spot(measure, "the OTLP receiver", RECEIVER.name, stack)?;
        let spec = ServiceSpec {
            stack: RECEIVER.name.to_owned(),
            program: prepared.launch.program.clone(),
            args: prepared.launch.args.clone(),
            env: Vec::new(),
            // Off the rung's CPUs: decoding spans is the collector's work, not the rung's.
            cpus: measure.placement.harness_cpus.clone(),
            image: prepared.image.clone(),
            memory_mib: None,
            landscape: Landscape {
                name: Some(name.clone()),
                port: Some(port),
                network: network.clone(),
                replicas: Some(1),
            },
        };
        let mut instance = backend
            .start(&spec)
            .map_err(|e| format!("the OTLP receiver did not start: {e}"))?;
        if let Err(e) = boot::wait_healthy(
            instance.as_mut(),
            RECEIVER_BOOT,
            measure.health,
            measure.cancel,
        ) {
            let stderr = instance.stderr_tail();
            instance.stop();
            return Err(format!(
                "the OTLP receiver never answered /health: {e}; stderr: {stderr}"
            ));
        }
        Ok(Self::Container {
            instance,
            endpoint: backend.downstream_url(&name, port),
            network,
        })
    }

    /// What the rung's `OTEL_EXPORTER_OTLP_ENDPOINT` is.
    pub fn endpoint(&self) -> String {
        match self {
            Self::Here(receiver) => receiver.endpoint(),
            Self::Container { endpoint, .. } => endpoint.clone(),
        }
    }

    /// The network the rung must join to reach the receiver, if any.
    pub fn network(&self) -> Option<String> {
        match self {
            Self::Here(_) => None,
            Self::Container { network, .. } => network.clone(),
        }
    }

    /// What the receiver has counted so far.
    fn received(&self) -> Result<Received, String> {
        match self {
            Self::Here(receiver) => Ok(receiver.received()),
            Self::Container { instance, .. } => {
                let r = footprint_contract::client::fetch(instance.addr(), "GET", RECEIVED_PATH)
                    .map_err(|e| format!("GET {RECEIVED_PATH} of the OTLP receiver: {e}"))?;
                if r.status != 200 {
                    return Err(format!(
                        "GET {RECEIVED_PATH} of the OTLP receiver answered {}",
                        r.status
                    ));
                }
                serde_json::from_str(&r.text())
                    .map_err(|e| format!("the OTLP receiver's counts do not read: {e}"))
            }
        }
    }

    /// Once the stopped rung's last export has arrived (the count unchanged for a few hundred
    /// milliseconds), the spans against the account requests the load had answered in
    /// `steps` (warm-up and unmeasured ramps included); then the receiver is stopped.
    pub fn finish(self, ratio: f64, steps: &[StepSummary]) -> Result<SpanRun, String> {
        let counted = self.settled();
        if let Self::Container { mut instance, .. } = self {
            instance.stop();
        }
        let last = counted?;
        let account_spans = last.by_name.get(ACCOUNT_SPAN).copied().unwrap_or(0);
        let account_requests = steps.iter().map(|s| s.answered.unwrap_or(s.requests)).sum();
        Ok(aggregate::span_run(
            ratio,
            last.exports,
            last.spans,
            account_spans,
            account_requests,
            last.bytes,
            last.refused,
        ))
    }

    fn settled(&self) -> Result<Received, String> {
        let deadline = Instant::now() + SPANS_ARRIVAL;
        let mut last = self.received()?;
        while Instant::now() < deadline {
            thread::sleep(Duration::from_millis(300));
            let now = self.received()?;
            let settled = now.spans == last.spans;
            last = now;
            if settled {
                break;
            }
        }
        Ok(last)
    }
}
