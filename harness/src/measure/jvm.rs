//! What a JVM stack is told about its heap and what it says of it: the `-Xlog:gc+init` option
//! added to its environment, and the maximum heap read back from its stderr.

/// The service's environment, with a JVM told to print the heap it chose (`-Xlog:gc+init`, on
/// stderr, once at start), added to any `JDK_JAVA_OPTIONS` already there.
pub(super) fn with_heap_log(env: &[(String, String)], stack: &str) -> Vec<(String, String)> {
    const KEY: &str = "JDK_JAVA_OPTIONS";
    const LOG: &str = "-Xlog:gc+init=info:stderr";
    let mut env = env.to_vec();
    if !crate::stacks::find(stack).is_some_and(|s| s.is_jvm()) {
        return env;
    }
    match env.iter_mut().find(|(k, _)| k == KEY) {
        Some((_, value)) => {
            value.push(' ');
            value.push_str(LOG);
        }
        None => env.push((KEY.to_owned(), LOG.to_owned())),
    }
    env
}

/// The maximum heap from a JVM's `-Xlog:gc+init` line (`Heap Max Capacity: 128M`), MiB.
pub(super) fn jvm_heap_max_mib(stderr: &str) -> Option<u64> {
    let rest = stderr.split("Heap Max Capacity: ").nth(1)?;
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    let value: u64 = digits.parse().ok()?;
    match &token[digits.len()..] {
        "K" => Some(value / 1024),
        "M" => Some(value),
        "G" => Some(value * 1024),
        "B" | "" => Some(value >> 20),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_heap_the_jvm_chose() {
        let log = "[0.004s][info][gc,init] Version: 17.0.15\n\
                   [0.004s][info][gc,init] Heap Min Capacity: 8M\n\
                   [0.004s][info][gc,init] Heap Max Capacity: 123M\n";
        assert_eq!(jvm_heap_max_mib(log), Some(123));
        assert_eq!(jvm_heap_max_mib("Heap Max Capacity: 2G"), Some(2048));
        assert_eq!(jvm_heap_max_mib("Heap Max Capacity: 8192K"), Some(8));
        assert_eq!(jvm_heap_max_mib("no JVM here"), None);
    }

    #[test]
    fn the_heap_log_joins_the_jvm_options() {
        assert!(with_heap_log(&[], "go").is_empty(), "only a JVM is told");
        let env = with_heap_log(&[], "jvm-plain");
        assert_eq!(
            env,
            [(
                "JDK_JAVA_OPTIONS".to_owned(),
                "-Xlog:gc+init=info:stderr".to_owned()
            )]
        );
        let env = with_heap_log(
            &[(
                "JDK_JAVA_OPTIONS".to_owned(),
                "-XX:ActiveProcessorCount=1".to_owned(),
            )],
            "jvm-spring",
        );
        assert_eq!(
            env[0].1,
            "-XX:ActiveProcessorCount=1 -Xlog:gc+init=info:stderr"
        );
    }
}
