//! CPU placement: which CPUs the service and the harness run on.

use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};

/// CPUs the calling thread may run on now.
pub fn allowed_cpus() -> std::io::Result<Vec<usize>> {
    let set = sched_getaffinity(None)?;
    Ok((0..CpuSet::MAX_CPU)
        .filter(|&cpu| set.is_set(cpu))
        .collect())
}

/// Restricts the calling thread (and threads and processes it creates later) to `cpus`.
pub fn pin_current_thread(cpus: &[usize]) -> std::io::Result<()> {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        if cpu >= CpuSet::MAX_CPU {
            return Err(std::io::Error::other(format!(
                "CPU {cpu} is beyond what can be pinned"
            )));
        }
        set.set(cpu);
    }
    sched_setaffinity(None, &set).map_err(std::io::Error::from)
}

/// The placement a run will use: the scenario's, or none when its CPUs are not all here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolved {
    /// CPUs the service gets; empty means unpinned.
    pub service_cpus: Vec<usize>,
    /// CPUs the harness gets; empty means unpinned.
    pub harness_cpus: Vec<usize>,
    /// Why the scenario's placement was not used, if it was not.
    pub note: Option<String>,
}

/// Checks the wanted placement against the CPUs available.
pub fn resolve(service: &[usize], harness: &[usize], available: &[usize]) -> Resolved {
    let missing: Vec<usize> = service
        .iter()
        .chain(harness)
        .copied()
        .filter(|cpu| !available.contains(cpu))
        .collect();
    if missing.is_empty() {
        Resolved {
            service_cpus: service.to_vec(),
            harness_cpus: harness.to_vec(),
            note: None,
        }
    } else {
        Resolved {
            service_cpus: Vec::new(),
            harness_cpus: Vec::new(),
            note: Some(format!(
                "unpinned: CPUs {missing:?} are not available here (available: {available:?}); service and harness share the machine"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_placement_that_fits() {
        let r = resolve(&[1], &[0], &[0, 1]);
        assert_eq!(
            (r.service_cpus, r.harness_cpus, r.note),
            (vec![1], vec![0], None)
        );
    }

    #[test]
    fn unpins_with_a_reason_when_cpus_are_missing() {
        let r = resolve(&[1], &[0], &[0]);
        assert!(r.service_cpus.is_empty() && r.harness_cpus.is_empty());
        assert!(r.note.unwrap().contains("[1]"));
    }

    #[test]
    fn this_thread_can_be_pinned_and_read_back() {
        let allowed = allowed_cpus().unwrap();
        let first = allowed[0];
        std::thread::spawn(move || {
            pin_current_thread(&[first]).unwrap();
            assert_eq!(allowed_cpus().unwrap(), vec![first]);
        })
        .join()
        .unwrap();
    }
}
