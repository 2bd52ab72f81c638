//! A backend for tests of the run loop: services that exist only as addresses, readings made
//! up, rules deciding which stacks fail to start or never become ready. No process, no Docker,
//! no network.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use footprint_contract::ReadyLine;

use super::{Backend, BackendError, Closed, Instance, ServiceSpec};
use crate::boot::HealthCheck;
use crate::model::Reading;
use crate::sample::{SampleError, Source};

/// Which stack listens where: shared by the fake backend, health check and driver.
pub type Directory = Arc<Mutex<HashMap<SocketAddr, String>>>;

/// A backend whose services are made up.
pub struct FakeBackend {
    /// Stacks whose start fails.
    pub refuse: Vec<String>,
    /// Which stack got which address.
    pub directory: Directory,
    /// Stacks started, in order.
    pub started: RefCell<Vec<String>>,
    /// Services stopped.
    pub stopped: Arc<Mutex<usize>>,
    /// Times `close` was called.
    pub closed: RefCell<usize>,
    /// Whether its services are cut off from the harness's 127.0.0.1, as containers are.
    pub isolated: bool,
}

impl FakeBackend {
    /// A backend refusing to start `refuse`.
    pub fn new(refuse: &[&str]) -> Self {
        Self {
            refuse: refuse.iter().map(|s| (*s).to_owned()).collect(),
            directory: Directory::default(),
            started: RefCell::new(Vec::new()),
            stopped: Arc::new(Mutex::new(0)),
            closed: RefCell::new(0),
            isolated: false,
        }
    }

    /// The stack at `addr`.
    pub fn stack_at(directory: &Directory, addr: SocketAddr) -> String {
        directory
            .lock()
            .map(|d| d.get(&addr).cloned().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Backend for FakeBackend {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn reaches_harness(&self) -> bool {
        !self.isolated
    }

    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError> {
        let mut started = self.started.borrow_mut();
        started.push(spec.stack.clone());
        if self.refuse.contains(&spec.stack) {
            return Err(BackendError::Spawn {
                stack: spec.stack.clone(),
                program: spec.program.display().to_string(),
                source: std::io::Error::other("refused by the test"),
            });
        }
        let addr = SocketAddr::from(([127, 0, 0, 1], 20_000 + started.len() as u16));
        if let Ok(mut d) = self.directory.lock() {
            d.insert(addr, spec.stack.clone());
        }
        Ok(Box::new(FakeInstance {
            addr,
            started: Instant::now(),
            stopped: Arc::clone(&self.stopped),
        }))
    }

    fn memory_counter(&self) -> &'static str {
        "RSS"
    }

    fn traits(&self) -> crate::model::BackendTraits {
        crate::model::BackendTraits {
            name: "fake".into(),
            memory_counter: "RSS".into(),
            can_pin_cpus: true,
            ..Default::default()
        }
    }

    fn close(&self) -> Closed {
        *self.closed.borrow_mut() += 1;
        Closed::default()
    }
}

/// A made-up service.
pub struct FakeInstance {
    addr: SocketAddr,
    started: Instant,
    stopped: Arc<Mutex<usize>>,
}

impl Instance for FakeInstance {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn started(&self) -> Instant {
        self.started
    }

    fn pid(&self) -> Option<u32> {
        None
    }

    fn source(&self) -> Box<dyn Source> {
        Box::new(FakeSource { cpu_us: 0 })
    }

    fn ready_line(&self) -> Option<ReadyLine> {
        None
    }

    fn exited(&mut self) -> Option<String> {
        None
    }

    fn stderr_tail(&self) -> String {
        String::new()
    }

    fn stop(&mut self) -> String {
        if let Ok(mut n) = self.stopped.lock() {
            *n += 1;
        }
        "stopped".to_owned()
    }
}

/// Readings of a made-up service: 10 MiB resident, a millisecond of CPU per reading.
pub struct FakeSource {
    cpu_us: u64,
}

impl Source for FakeSource {
    fn read(&mut self) -> Result<Reading, SampleError> {
        self.cpu_us += 1000;
        Ok(Reading {
            rss_kb: 10_240,
            pss_kb: None,
            hwm_kb: 10_240,
            cpu_us: self.cpu_us,
            cpu_tick_us: self.cpu_us,
            threads: 2,
        })
    }
}

/// A health check that says every service is ready at once except the stacks in `never`.
pub struct FakeHealth {
    /// Stacks that never answer.
    pub never: Vec<String>,
    /// Which stack listens where.
    pub directory: Directory,
}

impl HealthCheck for FakeHealth {
    fn healthy(&self, addr: SocketAddr) -> bool {
        !self
            .never
            .contains(&FakeBackend::stack_at(&self.directory, addr))
    }
}
