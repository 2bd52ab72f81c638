//! Keeping a run's published ports from other hosts. A swarm service's published port has no
//! host address: it listens on every interface, with no authentication (the services, quotes'
//! fault endpoint, the OTLP receiver). So before the swarm backend publishes a port, it drops
//! connections to it that arrive from outside, in Docker's `DOCKER-USER` chain (which sees
//! packets after Docker's DNAT, so the published port is matched through conntrack), and
//! removes its rules when the run closes. Each rule carries the run's mark in a comment, so
//! `harness clean` removes the rules a killed run left. `--expose` opts out (a multi-node run,
//! whose load comes from other hosts), and says so.
//!
//! Connections from this host (127.0.0.1, the host network's load workers) never pass the
//! `FORWARD` chain, and those from Docker's own bridges (`docker+`: the overlay networks' way
//! out) are let through: only packets routed in from another interface are dropped.

use std::process::Command;
use std::sync::Mutex;

/// The chain Docker leaves to its users, consulted before its own forwarding rules.
pub const CHAIN: &str = "DOCKER-USER";
/// The comment's prefix that marks a rule as a run's: `footprint.run=<run-id>`.
pub const MARK: &str = "footprint.run=";

/// What keeps a run's published ports from other hosts.
pub trait Firewall: std::fmt::Debug + Send + Sync {
    /// Drops connections from other hosts to `port`, until [`Firewall::release`].
    fn guard(&self, port: u16) -> Result<(), String>;
    /// Removes every rule this run added; what could not be removed, line by line.
    fn release(&self) -> Vec<String>;
    /// One line on what it does, for the run's record.
    fn describe(&self) -> String;
    /// Whether other hosts are kept out (not with `--expose`).
    fn keeps_other_hosts_out(&self) -> bool {
        true
    }
}

/// No rule at all (`--expose`, and the backends whose ports are on 127.0.0.1 only).
#[derive(Debug, Default)]
pub struct Exposed;

impl Firewall for Exposed {
    fn guard(&self, _port: u16) -> Result<(), String> {
        Ok(())
    }

    fn release(&self) -> Vec<String> {
        Vec::new()
    }

    fn describe(&self) -> String {
        "the published ports are reachable from other hosts (--expose): anyone on the network \
         can send requests to the services, and to quotes' fault endpoint"
            .to_owned()
    }

    fn keeps_other_hosts_out(&self) -> bool {
        false
    }
}

/// Rules in `DOCKER-USER` through the `iptables` command (the one Docker itself uses).
#[derive(Debug)]
pub struct Iptables {
    run_id: String,
    guarded: Mutex<Vec<u16>>,
}

impl Iptables {
    /// The firewall of run `run_id`; checks now that `iptables` can list the chain, so a run
    /// that cannot keep its ports is refused before anything starts.
    pub fn new(run_id: &str) -> Result<Self, String> {
        iptables(&["-S", CHAIN]).map_err(|why| {
            format!(
                "cannot keep the published ports from other hosts: `iptables -S {CHAIN}`: {why}; \
                 run as root on a host whose Docker manages iptables, or pass --expose to \
                 publish them to every host"
            )
        })?;
        Ok(Self {
            run_id: run_id.to_owned(),
            guarded: Mutex::new(Vec::new()),
        })
    }
}

/// The rule that drops what comes from other hosts to `port`, marked as run `run_id`'s, as
/// `iptables` arguments after `-I`/`-D <chain>`.
pub fn rule(port: u16, run_id: &str) -> Vec<String> {
    [
        "!",
        "-i",
        "docker+",
        "-p",
        "tcp",
        "-m",
        "conntrack",
        "--ctorigdstport",
        &port.to_string(),
        "--ctdir",
        "ORIGINAL",
        "-m",
        "comment",
        "--comment",
        &format!("{MARK}{run_id}"),
        "-j",
        "DROP",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn iptables(args: &[&str]) -> Result<String, String> {
    // `-w`: wait for the xtables lock Docker may hold rather than fail.
    let output = Command::new("iptables")
        .arg("-w")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run iptables: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

impl Iptables {
    /// Inserts (`-I`) or deletes (`-D`) the run's rule for `port`.
    fn edit(&self, op: &str, port: u16) -> Result<String, String> {
        let rule = rule(port, &self.run_id);
        let mut args = vec![op, CHAIN];
        args.extend(rule.iter().map(String::as_str));
        iptables(&args)
    }
}

impl Firewall for Iptables {
    fn guard(&self, port: u16) -> Result<(), String> {
        self.edit("-I", port)
            .map_err(|why| format!("port {port} not kept from other hosts: {why}"))?;
        self.guarded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(port);
        Ok(())
    }

    fn release(&self) -> Vec<String> {
        let ports = std::mem::take(&mut *self.guarded.lock().unwrap_or_else(|e| e.into_inner()));
        ports
            .into_iter()
            .filter_map(|port| {
                self.edit("-D", port)
                    .err()
                    .map(|why| format!("the firewall rule of port {port} not removed: {why}"))
            })
            .collect()
    }

    fn describe(&self) -> String {
        format!(
            "the published ports listen on every interface (a swarm port has no host address), \
             but connections from other hosts are dropped in {CHAIN} (rules marked \
             {MARK}<run-id>, removed with the run; --expose keeps them open)"
        )
    }
}

impl Drop for Iptables {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// A run's rule found in the chain: its run and the `iptables -S` line that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    /// The run it is marked with.
    pub run: String,
    /// The rule as `iptables -S` prints it (`-A DOCKER-USER ...`).
    pub line: String,
}

/// The rules of runs in `listing` (what `iptables -S DOCKER-USER` prints).
pub fn marked(listing: &str) -> Vec<Marked> {
    listing
        .lines()
        .filter(|line| line.starts_with(&format!("-A {CHAIN} ")))
        .filter_map(|line| {
            let at = line.find(MARK)? + MARK.len();
            let run: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '"')
                .collect();
            (!run.is_empty()).then(|| Marked {
                run,
                line: line.to_owned(),
            })
        })
        .collect()
}

/// The runs' rules in the chain now; empty where `iptables` cannot list it.
pub fn marked_rules() -> Vec<Marked> {
    iptables(&["-S", CHAIN])
        .map(|listing| marked(&listing))
        .unwrap_or_default()
}

/// Removes a rule found by [`marked_rules`].
pub fn remove(rule: &Marked) -> Result<(), String> {
    let spec = rule
        .line
        .strip_prefix(&format!("-A {CHAIN} "))
        .ok_or_else(|| format!("not a rule of {CHAIN}: {}", rule.line))?;
    let mut args = vec!["-D", CHAIN];
    // `iptables -S` quotes a comment with spaces; a run's mark has none.
    let words: Vec<&str> = spec.split_whitespace().collect();
    args.extend(words.iter().map(|w| w.trim_matches('"')));
    iptables(&args).map(|_| ())
}

/// Records the ports it is asked to guard, for tests.
#[derive(Debug, Default)]
pub struct Recording {
    /// Ports guarded and not released.
    pub guarded: Mutex<Vec<u16>>,
    /// Ports refused: `guard` fails for these.
    pub refuse: Vec<u16>,
}

impl Firewall for Recording {
    fn guard(&self, port: u16) -> Result<(), String> {
        if self.refuse.contains(&port) {
            return Err(format!("port {port} refused"));
        }
        self.guarded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(port);
        Ok(())
    }

    fn release(&self) -> Vec<String> {
        self.guarded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Vec::new()
    }

    fn describe(&self) -> String {
        "recording".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_drops_only_what_comes_from_outside_to_its_port() {
        let rule = rule(4242, "20261207T101010Z-idle-abc123").join(" ");
        assert_eq!(
            rule,
            "! -i docker+ -p tcp -m conntrack --ctorigdstport 4242 --ctdir ORIGINAL -m comment \
             --comment footprint.run=20261207T101010Z-idle-abc123 -j DROP"
        );
    }

    #[test]
    fn the_runs_rules_are_found_in_a_listing() {
        let listing = "-N DOCKER-USER\n\
            -A DOCKER-USER ! -i docker+ -p tcp -m conntrack --ctorigdstport 4242 --ctdir ORIGINAL -m comment --comment footprint.run=r1 -j DROP\n\
            -A DOCKER-USER -i eth0 -p tcp --dport 22 -m comment --comment \"someone else's\" -j DROP\n\
            -A DOCKER-USER ! -i docker+ -p tcp -m conntrack --ctorigdstport 5000 --ctdir ORIGINAL -m comment --comment \"footprint.run=r2\" -j DROP\n\
            -A DOCKER-USER -j RETURN\n";
        let found = marked(listing);
        let runs: Vec<&str> = found.iter().map(|m| m.run.as_str()).collect();
        assert_eq!(runs, ["r1", "r2"]);
        assert!(found[0].line.contains("--ctorigdstport 4242"));
    }

    #[test]
    fn a_recording_firewall_forgets_what_it_released() {
        let firewall = Recording {
            refuse: vec![7],
            ..Recording::default()
        };
        firewall.guard(4000).unwrap();
        assert!(firewall.guard(7).is_err());
        assert_eq!(*firewall.guarded.lock().unwrap(), [4000]);
        assert!(firewall.release().is_empty());
        assert!(firewall.guarded.lock().unwrap().is_empty());
    }
}
