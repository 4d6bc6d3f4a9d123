//! ChallengeStore: a sent code is accepted once, wrong codes use up exactly
//! the allowed tries even under parallel attempts, a resent code voids the
//! old one, and an expired code is refused (R-MF-3).

use crate::fixtures::{secs, t0};
use pforte_identity::factor::{ChallengeAttempt, CodeChallenge, FactorId};
use pforte_identity::ports::ChallengeStore;
use pforte_types::{AccountId, Method};

const PURPOSE: &str = "login:tx-1";

fn challenge(account: AccountId, id: &str, digest: &str) -> CodeChallenge {
    CodeChallenge {
        id: id.to_owned(),
        account_id: account,
        purpose: PURPOSE.to_owned(),
        method: Method::SmsTan,
        factor_id: Some(FactorId::new()),
        code_digest: digest.to_owned(),
        sent_at: t0(),
        expires_at: t0() + secs(300),
        attempts_left: 3,
    }
}

pub async fn r_mf_3_a_right_code_matches_once_and_the_challenge_is_gone<
    S: ChallengeStore + Clone + 'static,
>(
    store: &S,
) {
    let erika = AccountId::new();
    let sent = challenge(erika, "ch-1", "digest-right");
    store.put_challenge(&sent).await.unwrap();
    assert_eq!(
        store.current_challenge(erika, PURPOSE).await.unwrap(),
        Some(sent)
    );
    let now = t0() + secs(10);
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-right", now)
            .await
            .unwrap(),
        ChallengeAttempt::Matched
    );
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-right", now)
            .await
            .unwrap(),
        ChallengeAttempt::Unknown
    );
    assert_eq!(store.current_challenge(erika, PURPOSE).await.unwrap(), None);
}

pub async fn r_mf_3_wrong_codes_count_down_and_then_the_challenge_is_exhausted<
    S: ChallengeStore + Clone + 'static,
>(
    store: &S,
) {
    let erika = AccountId::new();
    store
        .put_challenge(&challenge(erika, "ch-1", "digest-right"))
        .await
        .unwrap();
    let now = t0() + secs(10);
    for left in [2, 1, 0] {
        assert_eq!(
            store
                .attempt_challenge(erika, PURPOSE, "digest-wrong", now)
                .await
                .unwrap(),
            ChallengeAttempt::Wrong {
                attempts_left: left
            }
        );
    }
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-right", now)
            .await
            .unwrap(),
        ChallengeAttempt::Exhausted,
        "the right code no longer helps"
    );
    let stored = store
        .current_challenge(erika, PURPOSE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.attempts_left, 0);
}

pub async fn r_mf_3_twenty_parallel_wrong_attempts_use_exactly_three_tries<
    S: ChallengeStore + Clone + 'static,
>(
    store: &S,
) {
    let erika = AccountId::new();
    store
        .put_challenge(&challenge(erika, "ch-1", "digest-right"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .attempt_challenge(erika, PURPOSE, &format!("digest-wrong-{n}"), t0())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut left = Vec::new();
    let mut exhausted = 0;
    for task in tasks {
        match task.await.unwrap() {
            ChallengeAttempt::Wrong { attempts_left } => left.push(attempts_left),
            ChallengeAttempt::Exhausted => exhausted += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    left.sort_unstable();
    assert_eq!(left, vec![0, 1, 2], "each try is used exactly once");
    assert_eq!(exhausted, 17);
}

pub async fn r_mf_3_a_resent_code_replaces_the_old_one<S: ChallengeStore + Clone + 'static>(
    store: &S,
) {
    let erika = AccountId::new();
    store
        .put_challenge(&challenge(erika, "ch-1", "digest-old"))
        .await
        .unwrap();
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-wrong", t0())
            .await
            .unwrap(),
        ChallengeAttempt::Wrong { attempts_left: 2 }
    );
    let resent = CodeChallenge {
        method: Method::EmailCode,
        factor_id: None,
        sent_at: t0() + secs(60),
        expires_at: t0() + secs(360),
        ..challenge(erika, "ch-2", "digest-new")
    };
    store.put_challenge(&resent).await.unwrap();
    assert_eq!(
        store.current_challenge(erika, PURPOSE).await.unwrap(),
        Some(resent.clone()),
        "the new code comes with a full set of tries"
    );
    let now = t0() + secs(70);
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-old", now)
            .await
            .unwrap(),
        ChallengeAttempt::Wrong { attempts_left: 2 },
        "the old code is void"
    );
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-new", now)
            .await
            .unwrap(),
        ChallengeAttempt::Matched
    );
}

pub async fn r_mf_3_an_expired_code_is_refused_and_deleted<S: ChallengeStore + Clone + 'static>(
    store: &S,
) {
    let erika = AccountId::new();
    let sent = challenge(erika, "ch-1", "digest-right");
    store.put_challenge(&sent).await.unwrap();
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-right", sent.expires_at)
            .await
            .unwrap(),
        ChallengeAttempt::Expired
    );
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-right", sent.expires_at)
            .await
            .unwrap(),
        ChallengeAttempt::Unknown
    );
}

pub async fn r_mf_3_a_code_counts_only_for_its_account_and_purpose<
    S: ChallengeStore + Clone + 'static,
>(
    store: &S,
) {
    let erika = AccountId::new();
    let max = AccountId::new();
    store
        .put_challenge(&challenge(erika, "ch-1", "digest-right"))
        .await
        .unwrap();
    for (account, purpose) in [(erika, "enrol:other"), (max, PURPOSE)] {
        assert_eq!(
            store
                .attempt_challenge(account, purpose, "digest-right", t0())
                .await
                .unwrap(),
            ChallengeAttempt::Unknown
        );
        assert_eq!(
            store.current_challenge(account, purpose).await.unwrap(),
            None
        );
    }
    let other = CodeChallenge {
        purpose: "enrol:other".to_owned(),
        ..challenge(erika, "ch-2", "digest-other")
    };
    store.put_challenge(&other).await.unwrap();
    assert_eq!(
        store
            .attempt_challenge(erika, PURPOSE, "digest-right", t0())
            .await
            .unwrap(),
        ChallengeAttempt::Matched,
        "a challenge for another purpose leaves this one alone"
    );
    assert_eq!(
        store.current_challenge(erika, "enrol:other").await.unwrap(),
        Some(other)
    );
}

pub async fn purging_deletes_only_expired_challenges<S: ChallengeStore + Clone + 'static>(
    store: &S,
) {
    let erika = AccountId::new();
    let max = AccountId::new();
    store
        .put_challenge(&challenge(erika, "ch-1", "digest-1"))
        .await
        .unwrap();
    let later = CodeChallenge {
        expires_at: t0() + secs(900),
        ..challenge(max, "ch-2", "digest-2")
    };
    store.put_challenge(&later).await.unwrap();
    assert_eq!(
        store
            .purge_expired_challenges(t0() + secs(300))
            .await
            .unwrap(),
        0,
        "a challenge expiring at the cut-off is kept"
    );
    assert_eq!(
        store
            .purge_expired_challenges(t0() + secs(301))
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.current_challenge(erika, PURPOSE).await.unwrap(), None);
    assert_eq!(
        store.current_challenge(max, PURPOSE).await.unwrap(),
        Some(later)
    );
}
