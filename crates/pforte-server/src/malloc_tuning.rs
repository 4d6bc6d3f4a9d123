//! Keeps idle memory low after password checks by fixing glibc's mmap
//! threshold for the serving process.
//!
//! Why: an Argon2id check with the default parameters (R-PW-1) allocates a
//! 19 MiB block. glibc serves the first such block with `mmap`, and when it is
//! freed raises its dynamic mmap threshold to that size; every later block
//! then comes from the heap arenas and stays resident after use. A server
//! that started at about 20 MiB sat at about 41 MiB once a few logins had
//! happened (docs/performance.md, "Memory"). With a fixed threshold
//! (`MALLOC_MMAP_THRESHOLD_`, which also switches the dynamic adjustment off)
//! each block is mapped and unmapped again, and idle memory returns to the
//! start-up level.
//!
//! glibc reads the variable only when the process starts, and the workspace
//! forbids `unsafe` (so no `mallopt`). So `pforte serve` started without it
//! replaces itself once, before anything else happens, with the same binary
//! and arguments and the variable set ([`apply_for_serve`]). The deployment
//! files set the variable themselves, which makes this step a no-op there. An
//! operator who sets `MALLOC_MMAP_THRESHOLD_` (any value) or a glibc malloc
//! tunable keeps their choice; the re-exec happens at most once because the
//! new process finds the variable set.

use std::ffi::OsStr;

/// The environment variable glibc reads at start-up.
pub const MMAP_THRESHOLD_VARIABLE: &str = "MALLOC_MMAP_THRESHOLD_";
/// 128 KiB, glibc's own initial threshold: small allocations stay on the
/// heap, large short-lived buffers (the Argon2id block) are mapped.
pub const MMAP_THRESHOLD_BYTES: &str = "131072";

/// Whether the process must be restarted with the threshold set: only when
/// neither the variable nor a glibc malloc tunable is present.
pub fn needs_threshold(threshold: Option<&OsStr>, glibc_tunables: Option<&OsStr>) -> bool {
    let tuned_by_operator = glibc_tunables
        .and_then(OsStr::to_str)
        .is_some_and(|tunables| tunables.contains("glibc.malloc."));
    threshold.is_none() && !tuned_by_operator
}

/// Re-executes the current binary with [`MMAP_THRESHOLD_VARIABLE`] set when
/// [`needs_threshold`] says so. Returns only when no re-exec was needed or it
/// failed (then the server runs on with glibc's defaults, which costs memory,
/// not correctness; the reason goes to stderr). Call it before starting any
/// thread. Only glibc on Linux reads the variable; elsewhere this does nothing.
pub fn apply_for_serve() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let threshold = std::env::var_os(MMAP_THRESHOLD_VARIABLE);
        let tunables = std::env::var_os("GLIBC_TUNABLES");
        if !needs_threshold(threshold.as_deref(), tunables.as_deref()) {
            return;
        }
        let executable = match std::env::current_exe() {
            Ok(path) => path,
            Err(error) => {
                eprintln!("warning: cannot fix the malloc mmap threshold: {error}");
                return;
            }
        };
        let mut arguments = std::env::args_os();
        let program = arguments.next();
        let mut command = std::process::Command::new(executable);
        if let Some(program) = program {
            command.arg0(program);
        }
        // `exec` only returns on failure.
        let error = command
            .args(arguments)
            .env(MMAP_THRESHOLD_VARIABLE, MMAP_THRESHOLD_BYTES)
            .exec();
        eprintln!("warning: cannot fix the malloc mmap threshold: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_set_only_when_the_operator_chose_nothing() {
        assert!(needs_threshold(None, None));
        assert!(needs_threshold(
            None,
            Some(OsStr::new("glibc.pthread.rseq=0"))
        ));
        assert!(!needs_threshold(Some(OsStr::new("131072")), None));
        assert!(!needs_threshold(Some(OsStr::new("")), None));
        assert!(!needs_threshold(
            None,
            Some(OsStr::new("glibc.malloc.mmap_threshold=65536"))
        ));
    }
}
