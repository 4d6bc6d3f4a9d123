#![allow(clippy::unwrap_used)]

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

use AttemptOutcome::{CorrectPassword as Right, WrongPassword as Wrong};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

/// 5 failures → 24 h lock → any attempt during the lock deactivates.
fn five_then_day_then_deactivate() -> LockoutPolicy {
    LockoutPolicy {
        max_failures: 5,
        lock_duration: TimeDelta::hours(24),
        during_lock: DuringLock::Deactivate,
        failure_cap: NIST_MAX_CONSECUTIVE_FAILURES,
    }
}

fn run(
    policy: &LockoutPolicy,
    mut state: LockState,
    attempts: &[(i64, AttemptOutcome)],
) -> (LockState, Vec<Decision>) {
    let mut decisions = Vec::new();
    for (minutes, outcome) in attempts {
        let (next, decision) = decide(
            state,
            *outcome,
            start() + TimeDelta::minutes(*minutes),
            policy,
        );
        state = next;
        decisions.push(decision);
    }
    (state, decisions)
}

#[test]
fn r_lo_1_five_wrong_passwords_lock_for_24_hours() {
    let policy = five_then_day_then_deactivate();
    let attempts: Vec<(i64, AttemptOutcome)> = (0..5).map(|minute| (minute, Wrong)).collect();
    let (state, decisions) = run(&policy, LockState::default(), &attempts);
    let until = start() + TimeDelta::minutes(4) + TimeDelta::hours(24);
    assert_eq!(
        decisions,
        vec![
            Decision::Refuse(Refusal::WrongPassword {
                failures: 1,
                remaining: 4
            }),
            Decision::Refuse(Refusal::WrongPassword {
                failures: 2,
                remaining: 3
            }),
            Decision::Refuse(Refusal::WrongPassword {
                failures: 3,
                remaining: 2
            }),
            Decision::Refuse(Refusal::WrongPassword {
                failures: 4,
                remaining: 1
            }),
            Decision::Refuse(Refusal::LockedNow { until }),
        ]
    );
    assert_eq!(
        state,
        LockState::Locked {
            until,
            consecutive: 5
        }
    );
    assert!(state.is_locked_at(until - TimeDelta::seconds(1)));
    assert!(!state.is_locked_at(until));
}

#[test]
fn r_lo_1_lock_ends_automatically_and_the_right_password_works_again() {
    let policy = LockoutPolicy {
        during_lock: DuringLock::Ignore,
        ..five_then_day_then_deactivate()
    };
    let mut attempts: Vec<(i64, AttemptOutcome)> = (0..5).map(|minute| (minute, Wrong)).collect();
    // During the lock even the right password is refused …
    attempts.push((60, Right));
    // … and after 24 h it works.
    attempts.push((4 + 24 * 60, Right));
    let (state, decisions) = run(&policy, LockState::default(), &attempts);
    let until = start() + TimeDelta::minutes(4) + TimeDelta::hours(24);
    assert_eq!(decisions[5], Decision::Refuse(Refusal::Locked { until }));
    assert_eq!(decisions[6], Decision::Grant);
    assert_eq!(state, LockState::cleared());
}

#[test]
fn r_lo_1_a_success_resets_the_count() {
    let policy = five_then_day_then_deactivate();
    let (state, decisions) = run(
        &policy,
        LockState::default(),
        &[
            (0, Wrong),
            (1, Wrong),
            (2, Wrong),
            (3, Wrong),
            (4, Right),
            (5, Wrong),
        ],
    );
    assert_eq!(decisions[4], Decision::Grant);
    assert_eq!(
        decisions[5],
        Decision::Refuse(Refusal::WrongPassword {
            failures: 1,
            remaining: 4
        })
    );
    assert_eq!(
        state,
        LockState::Open {
            failures: 1,
            consecutive: 1
        }
    );
}

#[test]
fn r_lo_2_any_attempt_during_the_lock_deactivates_when_configured() {
    let policy = five_then_day_then_deactivate();
    for outcome in [Right, Wrong] {
        let mut attempts: Vec<(i64, AttemptOutcome)> =
            (0..5).map(|minute| (minute, Wrong)).collect();
        attempts.push((60, outcome));
        // After the lock would have ended, the account stays deactivated.
        attempts.push((3 * 24 * 60, Right));
        let (state, decisions) = run(&policy, LockState::default(), &attempts);
        let reason = DeactivationReason::AttemptDuringLock;
        assert_eq!(
            decisions[5],
            Decision::Refuse(Refusal::DeactivatedNow { reason })
        );
        assert_eq!(
            decisions[6],
            Decision::Refuse(Refusal::Deactivated { reason })
        );
        assert_eq!(state, LockState::Deactivated { reason });
    }
    // Only a password reset or an operator lifts it.
    let (_, decision) = decide(LockState::cleared(), Right, start(), &policy);
    assert_eq!(decision, Decision::Grant);
}

#[test]
fn r_lo_2_extend_restarts_the_lock_from_the_attempt() {
    let policy = LockoutPolicy {
        max_failures: 3,
        lock_duration: TimeDelta::minutes(30),
        during_lock: DuringLock::Extend,
        failure_cap: 100,
    };
    let (state, decisions) = run(
        &policy,
        LockState::default(),
        &[
            (0, Wrong),
            (0, Wrong),
            (0, Wrong),
            (20, Right),
            (45, Right),
            (80, Right),
        ],
    );
    let extended = start() + TimeDelta::minutes(50);
    assert_eq!(
        decisions[3],
        Decision::Refuse(Refusal::LockExtended { until: extended })
    );
    assert_eq!(
        decisions[4],
        Decision::Refuse(Refusal::LockExtended {
            until: start() + TimeDelta::minutes(75)
        })
    );
    assert_eq!(decisions[5], Decision::Grant);
    assert_eq!(state, LockState::cleared());
}

#[test]
fn nist_800_63b_failure_cap_deactivates_across_locks() {
    let policy = LockoutPolicy {
        max_failures: 5,
        lock_duration: TimeDelta::minutes(10),
        during_lock: DuringLock::Ignore,
        failure_cap: 12,
    };
    let mut state = LockState::default();
    let mut now = start();
    let mut wrong_tries = 0;
    let mut last = Decision::Grant;
    while !state.is_deactivated() {
        let (next, decision) = decide(state, Wrong, now, &policy);
        if !matches!(decision, Decision::Refuse(Refusal::Locked { .. })) {
            wrong_tries += 1;
        }
        state = next;
        last = decision;
        now += TimeDelta::minutes(11);
    }
    assert_eq!(wrong_tries, 12);
    assert_eq!(
        last,
        Decision::Refuse(Refusal::DeactivatedNow {
            reason: DeactivationReason::FailureCap
        })
    );
}

#[test]
fn nist_800_63b_cap_holds_even_for_a_policy_built_without_validation() {
    let policy = LockoutPolicy {
        max_failures: 500,
        lock_duration: TimeDelta::minutes(1),
        during_lock: DuringLock::Ignore,
        failure_cap: 500,
    };
    let mut state = LockState::default();
    for attempt in 1..=100 {
        let (next, decision) = decide(state, Wrong, start(), &policy);
        if attempt < 100 {
            assert!(matches!(
                decision,
                Decision::Refuse(Refusal::WrongPassword { .. })
            ));
        } else {
            assert_eq!(
                decision,
                Decision::Refuse(Refusal::DeactivatedNow {
                    reason: DeactivationReason::FailureCap
                })
            );
        }
        state = next;
    }
    assert!(state.is_deactivated());
}

#[test]
fn r_lo_6_transitions_yield_audit_events() {
    let policy = LockoutPolicy {
        max_failures: 1,
        lock_duration: TimeDelta::minutes(10),
        during_lock: DuringLock::Extend,
        failure_cap: 100,
    };
    let open = LockState::cleared();
    let (locked, _) = decide(open, Wrong, start(), &policy);
    let until = start() + TimeDelta::minutes(10);
    assert_eq!(
        events(&open, &locked, start()),
        vec![LockoutEvent::Locked { until }]
    );

    let during = start() + TimeDelta::minutes(5);
    let (extended, _) = decide(locked, Right, during, &policy);
    assert_eq!(
        events(&locked, &extended, during),
        vec![LockoutEvent::LockExtended {
            until: during + TimeDelta::minutes(10)
        }]
    );

    let after = start() + TimeDelta::hours(1);
    let (relocked, _) = decide(extended, Wrong, after, &policy);
    assert_eq!(
        events(&extended, &relocked, after),
        vec![
            LockoutEvent::Unlocked,
            LockoutEvent::Locked {
                until: after + TimeDelta::minutes(10)
            }
        ]
    );
    let later = after + TimeDelta::hours(1);
    let (granted, _) = decide(relocked, Right, later, &policy);
    assert_eq!(
        events(&relocked, &granted, later),
        vec![LockoutEvent::Unlocked]
    );

    let deactivating = LockoutPolicy {
        during_lock: DuringLock::Deactivate,
        ..policy
    };
    let (deactivated, _) = decide(locked, Wrong, during, &deactivating);
    assert_eq!(
        events(&locked, &deactivated, during),
        vec![LockoutEvent::Deactivated {
            reason: DeactivationReason::AttemptDuringLock
        }]
    );
    assert_eq!(events(&deactivated, &deactivated, later), vec![]);
}

#[test]
fn r_lo_1_state_is_stored_as_tagged_data() {
    let state = LockState::Locked {
        until: start(),
        consecutive: 5,
    };
    let json = serde_json::to_value(state).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"state": "locked", "until": "2026-12-01T09:00:00Z", "consecutive": 5})
    );
    assert_eq!(serde_json::from_value::<LockState>(json).unwrap(), state);
}

fn any_policy() -> impl Strategy<Value = LockoutPolicy> {
    (1u32..=10, 1i64..=600, 0usize..3, 0u32..=30).prop_map(
        |(max_failures, seconds, reaction, extra)| LockoutPolicy {
            max_failures,
            lock_duration: TimeDelta::seconds(seconds),
            during_lock: [
                DuringLock::Ignore,
                DuringLock::Extend,
                DuringLock::Deactivate,
            ][reaction],
            failure_cap: (max_failures + extra).min(NIST_MAX_CONSECUTIVE_FAILURES),
        },
    )
}

/// Attempts as (seconds since the previous attempt, password right?).
fn any_attempts() -> impl Strategy<Value = Vec<(i64, bool)>> {
    proptest::collection::vec((0i64..=900, proptest::bool::weighted(0.2)), 0..150)
}

proptest! {
    /// R-LO-1 / R-LO-3: whatever the timing and outcomes, no more than N
    /// passwords are tried between two locks (or a success), and the N-th wrong
    /// one always leaves the account locked or deactivated. Across locks, no
    /// more than the cap (≤ 100) wrong passwords are tried in a row.
    #[test]
    fn r_lo_1_no_sequence_gives_more_than_n_tries_before_a_lock(
        policy in any_policy(),
        attempts in any_attempts(),
    ) {
        let mut state = LockState::default();
        let mut now = start();
        let mut tries_since_lock = 0u32;
        let mut wrong_in_a_row = 0u32;
        for (gap, right) in attempts {
            now += TimeDelta::seconds(gap);
            let outcome = if right { Right } else { Wrong };
            let (next, decision) = decide(state, outcome, now, &policy);
            let password_was_tried = matches!(
                decision,
                Decision::Grant
                    | Decision::Refuse(Refusal::WrongPassword { .. })
                    | Decision::Refuse(Refusal::LockedNow { .. })
                    | Decision::Refuse(Refusal::DeactivatedNow { reason: DeactivationReason::FailureCap })
            );
            if password_was_tried {
                if decision.is_granted() {
                    tries_since_lock = 0;
                    wrong_in_a_row = 0;
                } else {
                    tries_since_lock += 1;
                    wrong_in_a_row += 1;
                }
            }
            prop_assert!(tries_since_lock <= policy.max_failures);
            prop_assert!(wrong_in_a_row <= policy.failure_cap);
            if tries_since_lock == policy.max_failures {
                prop_assert!(next.is_locked_at(now) || next.is_deactivated());
                tries_since_lock = 0;
            }
            state = next;
        }
    }

    /// R-LO-1 / R-LO-2: a locked account never logs in before its lock ends,
    /// and a deactivated one never logs in at all.
    #[test]
    fn r_lo_1_locked_account_never_logs_in_before_the_lock_ends(
        policy in any_policy(),
        attempts in any_attempts(),
    ) {
        let mut state = LockState::default();
        let mut now = start();
        let mut lock_end: Option<DateTime<Utc>> = None;
        let mut deactivated = false;
        for (gap, right) in attempts {
            now += TimeDelta::seconds(gap);
            let outcome = if right { Right } else { Wrong };
            let (next, decision) = decide(state, outcome, now, &policy);
            if decision.is_granted() {
                prop_assert!(!deactivated);
                prop_assert!(lock_end.is_none_or(|end| now >= end));
                prop_assert_eq!(outcome, Right);
            }
            if let LockState::Locked { until, .. } = next {
                prop_assert!(lock_end.is_none_or(|end| until >= end) || !state.is_locked_at(now));
                lock_end = Some(until);
            }
            deactivated |= next.is_deactivated();
            state = next;
        }
    }
}
