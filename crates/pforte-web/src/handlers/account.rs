//! `/account/security`: self-service for second factors (R-MF-2: the user
//! can switch methods later; issue 4: name and remove factors). A browser
//! with a live provider session sees its confirmed factors and the number of
//! unused recovery codes, renames and removes factors, adds an authenticator
//! app, a mobile number or an e-mail address, and issues a new list of
//! recovery codes. Without a session the page only says to sign in through
//! the portal first: it never redirects, so there is no loop.
//!
//! Adding or removing a factor and new recovery codes need a recent password
//! (OWASP ASVS 4.0 V3.7.1, NIST SP 800-63B §7.2; see
//! `pforte_identity::reauth`): when the session's proof is older, the page
//! asks for the password in place and then carries out the change that was
//! asked for.
//!
//! Every POST carries a CSRF token bound to the session: it lives in a small
//! server-side record in the ephemeral store, keyed by a digest of the
//! session id, together with the factor being enrolled and the change that
//! waits for the password. Nothing of this is kept in a cookie.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use pforte_identity::factor::{EnrolledFactor, FactorId};
use pforte_identity::session::ProviderSession;
use pforte_identity::{IdentityError, RequestContext};
use pforte_types::{AccountId, FactorClass, Method};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

use crate::csrf;
use crate::pages::Look;
use crate::respond;
use crate::security;
use crate::state::AppState;

/// The path of the page (and of its forms).
pub const PATH: &str = "/account/security";

/// User agents longer than this are cut for the audit trail.
const MAX_USER_AGENT_CHARS: usize = 512;

/// The server-side state of the page for one session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Record {
    csrf_token: String,
    /// The factor being enrolled (unconfirmed until its first code).
    pending: Option<FactorId>,
    /// A sensitive change that waits for the password.
    waiting: Option<Change>,
    /// The server-side state of a passkey registration in progress; used
    /// once (WebAuthn §13.4.3).
    #[serde(default)]
    passkey_state: Option<String>,
}

/// A sensitive change as the form asked for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Change {
    action: String,
    factor: String,
    method: String,
    destination: String,
    /// The last digits of the health card serial (R-MF-4), when asked for.
    #[serde(default)]
    membership: String,
}

#[derive(Debug, Default, Deserialize)]
struct SecurityForm {
    csrf_token: Option<String>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    destination: String,
    #[serde(default)]
    membership: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    /// The authenticator's answer to a passkey registration (JSON).
    #[serde(default)]
    response: String,
}

/// The record's key: a digest, so that the session id itself is never a key
/// in a shared store.
fn key(sid: &str) -> String {
    format!(
        "account-security:{}",
        pforte_crypto::random::sha256_b64url(sid)
    )
}

/// What one request works with.
struct Ctx<'a> {
    state: &'a AppState,
    locale: &'a Look,
    request_id: String,
    session: ProviderSession,
    record: Record,
    audit: RequestContext,
}

/// What the page says after an action.
#[derive(Default)]
struct View {
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

pub(crate) fn audit_context(
    headers: &HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request_id: &str,
) -> RequestContext {
    RequestContext {
        operator: None,
        client_id: None,
        ip: peer.map(|Extension(ConnectInfo(address))| address.ip()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect()),
        request_id: Some(request_id.to_owned()),
    }
}

/// The page for a browser without a session: sign in through the portal.
fn sign_in_first(state: &AppState, locale: &Look) -> Response {
    let mut context = tera::Context::new();
    context.insert("signed_in", &false);
    respond::page(
        state,
        StatusCode::OK,
        "account_security.html",
        locale,
        &context,
        None,
    )
}

async fn load_record(state: &AppState, sid: &str) -> Result<Option<Record>, String> {
    crate::page_state::load(state, &key(sid)).await
}

async fn save_record(state: &AppState, sid: &str, record: &Record) -> Result<(), String> {
    crate::page_state::save(state, &key(sid), record).await
}

fn fresh_record() -> Record {
    Record {
        csrf_token: csrf::new_token(),
        ..Record::default()
    }
}

pub async fn security_get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let session = match super::live_session(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return sign_in_first(&state, locale),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let record = match load_record(&state, &session.sid).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            let record = fresh_record();
            if let Err(error) = save_record(&state, &session.sid, &record).await {
                return respond::internal_error_page(&state, locale, &error, &request_id);
            }
            record
        }
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let audit = audit_context(&headers, peer, &request_id);
    let ctx = Ctx {
        state: &state,
        locale,
        request_id,
        session,
        record,
        audit,
    };
    render(&ctx, View::default()).await
}

pub async fn security_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let form: SecurityForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let session = match super::live_session(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return sign_in_first(&state, locale),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let audit = audit_context(&headers, peer, &request_id);
    let record = match load_record(&state, &session.sid).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            // The record outlived its time: nothing is done, the page is
            // shown again with a new token.
            let record = fresh_record();
            if let Err(error) = save_record(&state, &session.sid, &record).await {
                return respond::internal_error_page(&state, locale, &error, &request_id);
            }
            let ctx = Ctx {
                state: &state,
                locale,
                request_id,
                session,
                record,
                audit,
            };
            return render(
                &ctx,
                View {
                    error: Some("account_form_expired"),
                    ..View::default()
                },
            )
            .await;
        }
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    if !csrf::tokens_match(&record.csrf_token, form.csrf_token.as_deref()) {
        return super::login::forged(&state, &headers, locale);
    }
    let mut ctx = Ctx {
        state: &state,
        locale,
        request_id,
        session,
        record,
        audit,
    };
    let change = Change {
        action: form.action.clone(),
        factor: form.factor.clone(),
        method: form.method.clone(),
        destination: form.destination.clone(),
        membership: form.membership.clone(),
    };
    let result = match form.action.as_str() {
        "rename" => rename(&ctx, &form.factor, &form.label).await,
        "remove" | "start" | "recovery" => {
            if ctx.state.identity.recently_authenticated(&ctx.session) {
                ctx.record.waiting = None;
                perform(&mut ctx, &change).await
            } else {
                ctx.record.waiting = Some(change);
                Ok(Done::Show(View::default()))
            }
        }
        "reauth" => reauthenticate(&mut ctx, &form.password).await,
        "cancel_reauth" => {
            ctx.record.waiting = None;
            Ok(Done::Show(View::default()))
        }
        "confirm" => confirm(&mut ctx, &form.code).await,
        "passkey_finish" => finish_passkey(&mut ctx, &form.response, &form.label).await,
        "cancel_passkey" => {
            ctx.record.passkey_state = None;
            Ok(Done::Show(View::default()))
        }
        "resend" => resend(&ctx).await,
        "cancel_enrol" => {
            ctx.record.pending = None;
            Ok(Done::Show(View::default()))
        }
        _ => Ok(Done::Show(View::default())),
    };
    let done = match result {
        Ok(done) => done,
        Err(error) => match message_of(&error) {
            Some(message) => Done::Show(View {
                error: Some(message),
                ..View::default()
            }),
            None => {
                return respond::internal_error_page(&state, locale, &error, &ctx.request_id);
            }
        },
    };
    if let Err(error) = save_record(&state, &ctx.session.sid, &ctx.record).await {
        return respond::internal_error_page(&state, locale, &error, &ctx.request_id);
    }
    match done {
        Done::Show(view) => render(&ctx, view).await,
        Done::Codes(codes) => recovery_codes_page(&ctx, &codes),
        Done::Passkey(options) => passkey_page(&ctx, &options),
    }
}

/// Finishes a passkey registration started on this page: the state is taken
/// out of the record first, so an answer works once.
async fn finish_passkey(
    ctx: &mut Ctx<'_>,
    response: &str,
    label: &str,
) -> Result<Done, IdentityError> {
    let Some(state) = ctx.record.passkey_state.take() else {
        return Ok(Done::Show(View {
            error: Some("account_form_expired"),
            ..View::default()
        }));
    };
    let account = ctx.session.account_id;
    let identity = &ctx.state.identity;
    identity
        .finish_webauthn_registration(account, &state, response, label, None, &ctx.audit)
        .await?;
    if identity.assurance().recovery_codes > 0 && identity.recovery_codes_left(account).await? == 0
    {
        let codes = identity.issue_recovery_codes(account, &ctx.audit).await?;
        return Ok(Done::Codes(codes));
    }
    Ok(Done::Show(View {
        notice: Some("account_added"),
        ..View::default()
    }))
}

/// The page that runs the browser's passkey registration and posts its
/// answer back here; scripts from our own origin are allowed on it only.
fn passkey_page(ctx: &Ctx<'_>, options: &serde_json::Value) -> Response {
    let mut context = tera::Context::new();
    context.insert("account_page", PATH);
    context.insert("csrf_token", &ctx.record.csrf_token);
    context.insert("mode", "register");
    context.insert("options_json", &super::webauthn::script_json(options));
    context.insert("error_message", &None::<String>);
    context.insert("other_methods", &Vec::<&str>::new());
    respond::page(
        ctx.state,
        StatusCode::OK,
        "webauthn.html",
        ctx.locale,
        &context,
        Some(security::webauthn_csp(None)),
    )
}

/// The result of an action: the page again, the new recovery codes, or the
/// page of a passkey registration with its options.
enum Done {
    Show(View),
    Codes(Vec<String>),
    Passkey(serde_json::Value),
}

/// The message key of an error the user can act on; `None` for a failure
/// of ours.
fn message_of(error: &IdentityError) -> Option<&'static str> {
    Some(match error {
        IdentityError::LastFactor => "account_last_factor",
        IdentityError::InvalidLabel => "account_invalid_label",
        IdentityError::NoSuchFactor => "account_no_such_factor",
        IdentityError::WrongCode => "factor_wrong_code",
        IdentityError::CodeExpired => "factor_code_expired",
        IdentityError::ResendTooSoon { .. } => "factor_resend_too_soon",
        IdentityError::InvalidDestination(_) => "enrol_invalid_destination",
        IdentityError::Delivery(_) => "factor_delivery_failed",
        IdentityError::MembershipNotProven => "enrol_membership_wrong",
        IdentityError::SecurityKeyRejected => "webauthn_failed",
        IdentityError::SecurityKeyExpired => "webauthn_expired",
        IdentityError::SecurityKeyTaken => "webauthn_taken",
        IdentityError::MembershipUnavailable => "enrol_membership_unavailable",
        IdentityError::Busy => "error_busy",
        IdentityError::InvalidCredentials
        | IdentityError::InvalidIdentifier(_)
        | IdentityError::WrongAccount => "account_reauth_failed",
        _ => return None,
    })
}

fn factor_id(text: &str) -> Result<FactorId, IdentityError> {
    FactorId::parse(text.trim()).ok_or(IdentityError::NoSuchFactor)
}

async fn rename(ctx: &Ctx<'_>, factor: &str, label: &str) -> Result<Done, IdentityError> {
    ctx.state
        .identity
        .rename_factor(
            ctx.session.account_id,
            factor_id(factor)?,
            label,
            &ctx.audit,
        )
        .await?;
    Ok(Done::Show(View {
        notice: Some("account_renamed"),
        ..View::default()
    }))
}

/// The password again; on success the change that waited is carried out.
async fn reauthenticate(ctx: &mut Ctx<'_>, password: &str) -> Result<Done, IdentityError> {
    ctx.session = ctx
        .state
        .identity
        .reauthenticate(&ctx.session, password, &ctx.audit)
        .await?;
    match ctx.record.waiting.take() {
        Some(change) => perform(ctx, &change).await,
        None => Ok(Done::Show(View {
            notice: Some("account_reauth_done"),
            ..View::default()
        })),
    }
}

/// A sensitive change, once the password is recent.
async fn perform(ctx: &mut Ctx<'_>, change: &Change) -> Result<Done, IdentityError> {
    let account = ctx.session.account_id;
    let identity = &ctx.state.identity;
    match change.action.as_str() {
        "remove" => {
            identity
                .remove_factor(account, factor_id(&change.factor)?, &ctx.audit)
                .await?;
            Ok(Done::Show(View {
                notice: Some("account_removed"),
                ..View::default()
            }))
        }
        "recovery" => {
            let codes = identity.issue_recovery_codes(account, &ctx.audit).await?;
            Ok(Done::Codes(codes))
        }
        "start" => {
            let method = Method::parse(&change.method)
                .filter(|method| addable(ctx.state).contains(method))
                .ok_or(IdentityError::NoSuchFactor)?;
            let factor = match method {
                Method::Webauthn => {
                    let ceremony = identity.begin_webauthn_registration(account, None).await?;
                    ctx.record.passkey_state = Some(ceremony.state);
                    return Ok(Done::Passkey(ceremony.options));
                }
                Method::Totp => identity.begin_totp_enrolment(account).await?.factor_id,
                _ => {
                    identity
                        .begin_code_enrolment(
                            account,
                            method,
                            &change.destination,
                            Some(&change.membership),
                            ctx.locale.locale,
                            &ctx.audit,
                        )
                        .await?
                        .0
                }
            };
            ctx.record.pending = Some(factor);
            Ok(Done::Show(View::default()))
        }
        _ => Ok(Done::Show(View::default())),
    }
}

/// Confirms the factor being enrolled with its first code. The first second
/// factor of an account brings a list of recovery codes when the policy has
/// them, shown once.
async fn confirm(ctx: &mut Ctx<'_>, code: &str) -> Result<Done, IdentityError> {
    let account = ctx.session.account_id;
    let identity = &ctx.state.identity;
    let Some(factor_id) = ctx.record.pending else {
        return Ok(Done::Show(View::default()));
    };
    let Some(factor) = identity.pending_factor(account, factor_id).await? else {
        ctx.record.pending = None;
        return Ok(Done::Show(View::default()));
    };
    match factor.method {
        Method::Totp => {
            identity
                .confirm_totp_enrolment(account, factor_id, code, None, &ctx.audit)
                .await?
        }
        _ => {
            identity
                .confirm_code_enrolment(account, factor_id, code, None, &ctx.audit)
                .await?
        }
    }
    ctx.record.pending = None;
    if identity.assurance().recovery_codes > 0 && identity.recovery_codes_left(account).await? == 0
    {
        let codes = identity.issue_recovery_codes(account, &ctx.audit).await?;
        return Ok(Done::Codes(codes));
    }
    Ok(Done::Show(View {
        notice: Some("account_added"),
        ..View::default()
    }))
}

async fn resend(ctx: &Ctx<'_>) -> Result<Done, IdentityError> {
    if let Some(factor) = ctx.record.pending {
        ctx.state
            .identity
            .resend_enrolment_code(
                ctx.session.account_id,
                factor,
                ctx.locale.locale,
                &ctx.audit,
            )
            .await?;
    }
    Ok(Done::Show(View::default()))
}

/// The methods this page can add: those of the possession class the policy
/// allows; a passkey only where the issuer can be a WebAuthn relying party.
fn addable(state: &AppState) -> Vec<Method> {
    state
        .identity
        .assurance()
        .class(FactorClass::Possession)
        .map(|rule| {
            rule.methods
                .iter()
                .copied()
                .filter(|method| {
                    matches!(method, Method::Totp | Method::SmsTan | Method::EmailCode)
                        || (*method == Method::Webauthn && state.identity.webauthn_available())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One factor as the page lists it.
#[derive(Serialize)]
struct Listed {
    id: String,
    method: &'static str,
    label: String,
    created_at: String,
    last_used_at: Option<String>,
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn listed(factor: &EnrolledFactor) -> Listed {
    Listed {
        id: factor.id.to_string(),
        method: factor.method.as_str(),
        label: factor.label.clone(),
        created_at: when(factor.created_at),
        last_used_at: factor.last_used_at.map(when),
    }
}

async fn render(ctx: &Ctx<'_>, view: View) -> Response {
    match page_context(ctx, &view).await {
        Ok(context) => respond::page(
            ctx.state,
            StatusCode::OK,
            "account_security.html",
            ctx.locale,
            &context,
            Some(super::session::countdown_csp()),
        ),
        Err(error) => respond::internal_error_page(ctx.state, ctx.locale, &error, &ctx.request_id),
    }
}

async fn page_context(ctx: &Ctx<'_>, view: &View) -> Result<tera::Context, IdentityError> {
    let identity = &ctx.state.identity;
    let account: AccountId = ctx.session.account_id;
    let username = identity
        .account(account)
        .await?
        .map(|account| account.username)
        .unwrap_or_default();
    let factors: Vec<Listed> = identity
        .list_factors(account)
        .await?
        .iter()
        .map(listed)
        .collect();
    let assurance = identity.assurance();
    let methods: Vec<&str> = addable(ctx.state).iter().map(Method::as_str).collect();
    let mut context = tera::Context::new();
    context.insert("signed_in", &true);
    context.insert("path", PATH);
    context.insert("sessions_path", super::account_sessions::PATH);
    context.insert(
        "session_countdown",
        &super::session::countdown(&ctx.session, ctx.state.clock.now(), PATH),
    );
    context.insert("csrf_token", &ctx.record.csrf_token);
    context.insert("username", &username);
    context.insert("factors", &factors);
    context.insert("methods", &methods);
    context.insert("recovery_enabled", &(assurance.recovery_codes > 0));
    context.insert(
        "recovery_codes_left",
        &identity.recovery_codes_left(account).await?,
    );
    context.insert("mandatory", &assurance.second_factor_mandatory);
    context.insert("code_length", &assurance.otp.length);
    context.insert(
        "membership_digits",
        &ctx.state.identity.membership_proof_digits(),
    );
    context.insert(
        "reauth",
        &(ctx.record.waiting.is_some() && !identity.recently_authenticated(&ctx.session)),
    );
    context.insert(
        "notice",
        &view
            .notice
            .map(|key| ctx.state.pages.message(ctx.locale, key)),
    );
    context.insert(
        "error_message",
        &view
            .error
            .map(|key| ctx.state.pages.message(ctx.locale, key)),
    );
    let pending = match ctx.record.pending {
        Some(factor) => identity.pending_factor(account, factor).await?,
        None => None,
    };
    context.insert(
        "enrolling",
        &pending.as_ref().map(|factor| factor.method.as_str()),
    );
    context.insert(
        "destination",
        &pending.as_ref().map(|factor| factor.label.clone()),
    );
    if let Some(factor) = pending.as_ref().filter(|f| f.method == Method::Totp) {
        let view = identity.totp_enrolment_view(account, factor.id).await?;
        context.insert("qr_svg", &view.qr_svg);
        context.insert("manual_key", &view.manual_key);
    }
    Ok(context)
}

/// The new recovery codes, shown once and never cached.
fn recovery_codes_page(ctx: &Ctx<'_>, codes: &[String]) -> Response {
    let mut context = tera::Context::new();
    context.insert("codes", codes);
    context.insert("back_to", PATH);
    let mut response = respond::page(
        ctx.state,
        StatusCode::OK,
        "recovery_codes.html",
        ctx.locale,
        &context,
        None,
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
