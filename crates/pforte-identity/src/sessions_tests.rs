#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::ports::SessionEndListener;
use crate::service::tests::{Fixture, fixture};
use crate::session::EndedSession;
use async_trait::async_trait;
use chrono::TimeDelta;
use pforte_types::Clock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Heard(Mutex<Vec<(String, SessionEndReason)>>);

#[async_trait]
impl SessionEndListener for Heard {
    async fn session_ended(&self, ended: &EndedSession) {
        self.0
            .lock()
            .unwrap()
            .push((ended.session.sid.clone(), ended.reason));
    }
}

/// The fixture with the seeds' idle timeout of 15 minutes and a listener.
async fn idle_fixture() -> (Fixture, IdentityService, Arc<Heard>) {
    let mut fx = fixture().await;
    let heard = Arc::new(Heard::default());
    let placeholder = IdentityService::new(
        fx.accounts.clone(),
        fx.sessions.clone(),
        crate::service::tests::cheap(1024),
        Arc::new(fx.clock.clone()),
        Duration::from_secs(3600),
    );
    let service = std::mem::replace(&mut fx.service, placeholder)
        .with_idle_timeout(Duration::from_secs(900))
        .with_session_end_listener(heard.clone());
    (fx, service, heard)
}

#[tokio::test]
async fn r_se_1_idle_session_ends_after_timeout() {
    let (fx, service, _) = idle_fixture().await;
    let session = service.start_password_session(fx.alice).await.unwrap();
    assert_eq!(session.idle_timeout_secs, Some(900));
    fx.clock.advance(TimeDelta::seconds(899));
    assert!(service.live_session(&session.sid).await.unwrap().is_some());
    fx.clock.advance(TimeDelta::seconds(1));
    assert!(service.live_session(&session.sid).await.unwrap().is_none());
    assert!(service.use_session(&session.sid).await.unwrap().is_none());
    assert!(
        service
            .extend_session(&session.sid)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn r_se_1_a_use_moves_the_idle_end_but_looking_does_not() {
    let (fx, service, _) = idle_fixture().await;
    let session = service.start_password_session(fx.alice).await.unwrap();
    // Within the first 45 s a use writes nothing.
    fx.clock.advance(TimeDelta::seconds(30));
    let used = service.use_session(&session.sid).await.unwrap().unwrap();
    assert_eq!(used.last_seen(), session.created_at);
    // Later it does, and the idle end moves.
    fx.clock.advance(TimeDelta::seconds(570));
    let used = service.use_session(&session.sid).await.unwrap().unwrap();
    assert_eq!(used.last_seen(), fx.clock.now());
    // Looking (the relying party's status) never moves it.
    fx.clock.advance(TimeDelta::seconds(600));
    service.live_session(&session.sid).await.unwrap().unwrap();
    fx.clock.advance(TimeDelta::seconds(300));
    assert!(service.live_session(&session.sid).await.unwrap().is_none());
}

#[tokio::test]
async fn r_se_1_stay_logged_in_restarts_the_window_but_not_the_absolute_lifetime() {
    let (fx, service, _) = idle_fixture().await;
    let session = service.start_password_session(fx.alice).await.unwrap();
    for _ in 0..4 {
        fx.clock.advance(TimeDelta::seconds(890));
        let extended = service.extend_session(&session.sid).await.unwrap().unwrap();
        assert_eq!(extended.last_seen(), fx.clock.now());
    }
    // 3560 s in; the absolute lifetime of the fixture is one hour.
    assert_eq!(
        service
            .live_session(&session.sid)
            .await
            .unwrap()
            .unwrap()
            .remaining(fx.clock.now()),
        TimeDelta::seconds(40)
    );
    fx.clock.advance(TimeDelta::seconds(40));
    assert!(
        service
            .extend_session(&session.sid)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn r_se_3_end_all_others_keeps_this_browser_tells_the_listener_and_audits() {
    let (fx, service, heard) = idle_fixture().await;
    let this = service.start_password_session(fx.alice).await.unwrap();
    fx.clock.advance(TimeDelta::seconds(1));
    let other = service.start_password_session(fx.alice).await.unwrap();
    fx.clock.advance(TimeDelta::seconds(1));
    let third = service.start_password_session(fx.alice).await.unwrap();

    let listed = service.sessions_of(fx.alice).await.unwrap();
    let sids: Vec<&str> = listed.iter().map(|s| s.sid.as_str()).collect();
    assert_eq!(sids, [&third.sid, &other.sid, &this.sid], "newest first");
    assert_eq!(
        service
            .session_by_handle(fx.alice, &other.handle())
            .await
            .unwrap()
            .map(|s| s.sid),
        Some(other.sid.clone())
    );

    let ended = service
        .end_sessions_of(
            fx.alice,
            Some(&this.sid),
            SessionEndReason::SelfService,
            &RequestContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(ended.len(), 2);
    let remaining = service.sessions_of(fx.alice).await.unwrap();
    assert_eq!(remaining.len(), 1);
    assert_eq!(remaining[0].sid, this.sid);
    let mut told = heard.0.lock().unwrap().clone();
    told.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (other.sid.clone(), SessionEndReason::SelfService),
        (third.sid.clone(), SessionEndReason::SelfService),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(told, expected);
    let audit = fx.guard.audit.lock().unwrap();
    let ends: Vec<&AuditEvent> = audit
        .iter()
        .filter(|event| event.kind == AuditKind::SessionEnded)
        .collect();
    assert_eq!(ends.len(), 2);
    assert!(ends.iter().all(|event| {
        event.account == Some(fx.alice)
            && event.username.as_deref() == Some("alice")
            && event
                .detail
                .as_deref()
                .is_some_and(|detail| detail.starts_with("reason=self_service session="))
    }));
    assert!(
        ends.iter()
            .all(|event| !event.detail.as_deref().unwrap_or("").contains(&other.sid))
    );
}

#[tokio::test]
async fn r_se_3_sessions_of_another_account_are_not_listed() {
    let (fx, service, _) = idle_fixture().await;
    let mine = service.start_password_session(fx.alice).await.unwrap();
    let stranger = pforte_types::AccountId::new();
    assert!(service.sessions_of(stranger).await.unwrap().is_empty());
    assert!(
        service
            .session_by_handle(stranger, &mine.handle())
            .await
            .unwrap()
            .is_none()
    );
}
