//! The `log` rung's rule (contract F1) against `jvm-spring@log`, the Spring service built with
//! `build.sh OUT --log` (a Tomcat valve, SLF4J, Logback and the Logstash encoder from Debian's
//! jars), exactly as the harness builds it.

footprint_contract::access_log_suite!(harness::stacks::contract_target("jvm-spring@log"));
