//! The `tamis` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

/// See Cargo.toml: fewer page faults and a faster small-object path than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tamis::cli::main()
}
