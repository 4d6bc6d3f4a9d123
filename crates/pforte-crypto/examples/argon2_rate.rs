//! The raw Argon2id rate of this machine with given parameters: the ceiling
//! for password logins per second (docs/performance.md, "Password logins on
//! one node and on three"). Runs `threads` threads (default: the available
//! cores) that each verify a password against a stored hash for `seconds`
//! (default 10), exactly the work one password login costs, and prints the
//! verifications per second.
//!
//! ```text
//! cargo run --release -p pforte-crypto --example argon2_rate -- \
//!     [memory_kib iterations parallelism [threads [seconds]]]
//! ```
//!
//! An example, so that it is never part of the `pforte` binary.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use pforte_crypto::{Argon2Params, HashPool, PasswordHasher, PoolLimits};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize, default: u64| -> Result<u64, String> {
        args.get(index).map_or(Ok(default), |text| {
            text.parse::<u64>()
                .map_err(|error| format!("argument {} ({text}): {error}", index + 1))
        })
    };
    let defaults = Argon2Params::default();
    let cores = std::thread::available_parallelism().map_or(1, |count| count.get() as u64);
    let parsed = (|| -> Result<(Argon2Params, u64, u64), String> {
        let to_u32 = |value: u64| u32::try_from(value).map_err(|error| error.to_string());
        let params = Argon2Params {
            memory_kib: to_u32(number(0, u64::from(defaults.memory_kib))?)?,
            iterations: to_u32(number(1, u64::from(defaults.iterations))?)?,
            parallelism: to_u32(number(2, u64::from(defaults.parallelism))?)?,
        };
        Ok((params, number(3, cores)?.max(1), number(4, 10)?.max(1)))
    })();
    let (params, threads, seconds) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("argon2_rate: {error}");
            eprintln!("usage: argon2_rate [memory_kib iterations parallelism [threads [seconds]]]");
            return ExitCode::from(2);
        }
    };
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        eprintln!("argon2_rate: cannot start the async runtime");
        return ExitCode::FAILURE;
    };
    let workers = usize::try_from(threads).unwrap_or(1);
    let pool = HashPool::new(PoolLimits {
        workers,
        queue_limit: workers,
    });
    let hasher = match PasswordHasher::with_pool(params, pool) {
        Ok(hasher) => Arc::new(hasher),
        Err(error) => {
            eprintln!("argon2_rate: {error}");
            return ExitCode::from(2);
        }
    };
    let stored = match runtime.block_on(hasher.hash("Sonnenblume-42-Wiese!")) {
        Ok(stored) => Arc::new(stored),
        Err(error) => {
            eprintln!("argon2_rate: {error}");
            return ExitCode::FAILURE;
        }
    };
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    // One job per worker that verifies in a loop on the pool's own worker
    // threads: the same code path as a login, without the queue in between.
    let jobs: Vec<_> = (0..workers)
        .map(|_| {
            let (hasher, stored, done, stop) =
                (hasher.clone(), stored.clone(), done.clone(), stop.clone());
            runtime.spawn(async move {
                hasher
                    .run(move |hashing| {
                        while !stop.load(Ordering::Relaxed) {
                            if hashing.verify("Sonnenblume-42-Wiese!", &stored) {
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    })
                    .await
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for job in jobs {
        let _ = runtime.block_on(job);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let count = done.load(Ordering::Relaxed);
    println!(
        "argon2id m={} t={} p={} threads={threads}: {count} verifications in {elapsed:.1} s = {:.1}/s",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        count as f64 / elapsed
    );
    ExitCode::SUCCESS
}
