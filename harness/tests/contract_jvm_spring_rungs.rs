//! The feature ladder's rules against the Spring service's rungs, built exactly as the harness
//! builds them: the `log` rule (contract F1) against `jvm-spring@log` (`build.sh OUT --log`: a
//! Tomcat valve, SLF4J, Logback and the Logstash encoder from Debian's jars), and the `metrics`
//! rule (contract F2) against `jvm-spring@metrics` (`build.sh OUT --metrics`: a valve and the
//! Prometheus text format written by hand, as Debian has no Prometheus client for Java).

footprint_contract::access_log_suite!(harness::stacks::contract_target("jvm-spring@log"));
footprint_contract::metrics_suite!(harness::stacks::contract_target("jvm-spring@metrics"));
