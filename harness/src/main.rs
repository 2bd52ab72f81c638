//! `harness`: measures what the account service costs in each stack.

fn main() -> std::process::ExitCode {
    harness::cli::main(std::env::args())
}
