//! Self-registration pages (R-RG-1…4), started from the login page of an
//! interaction, so the form is protected like the login form: the
//! interaction's CSRF token and the browser binding cookie.
//!
//! * `/register`: KVNR, birth date, postal code, username (if the policy lets
//!   members choose), password, e-mail, terms. Thin: the decision and the
//!   work are [`pforte_identity::registration::service::Registrar::register`].
//! * `/register/confirm`: the code from the e-mail (R-RG-3); then the letter
//!   with the activation code is sent (R-RG-4).
//! * `/login/activate`: at the next login, after the password, the code from
//!   the letter; "request a new letter" voids the old code.
//!
//! The account being registered is remembered for the interaction in the
//! ephemeral store (`registration:{interaction}`), never in the browser.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use pforte_identity::policy::{Language, UsernameChoice};
use pforte_identity::registration::Proofing;
use pforte_identity::registration::service::{
    Confirmed, Registrar, RegistrationError, RegistrationForm,
};
use pforte_types::AccountId;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::factor::FactorQuery;
use super::flow;
use super::login::{expired, forged, form_is_genuine, locale_of, request_context};
use crate::cookies::{self, CookieKind};
use crate::interaction::{self, Interaction};
use crate::pages::Look;
use crate::respond;
use crate::security;
use crate::state::AppState;

/// Key of the account being registered in an interaction.
fn registration_key(interaction: &str) -> String {
    format!("registration:{interaction}")
}

/// Remembers the account being registered in this interaction.
pub(crate) async fn remember(
    state: &AppState,
    interaction: &str,
    account: AccountId,
    ttl: Duration,
) -> Result<(), pforte_types::StoreError> {
    state
        .ephemeral
        .put_ephemeral(
            &registration_key(interaction),
            account.to_string().as_bytes(),
            ttl,
        )
        .await
}

async fn remembered(state: &AppState, interaction: &str) -> Option<AccountId> {
    let bytes = state
        .ephemeral
        .get_ephemeral(&registration_key(interaction))
        .await
        .ok()??;
    let text = String::from_utf8(bytes).ok()?;
    text.parse::<uuid::Uuid>().ok().map(AccountId)
}

#[derive(Debug, Default, Deserialize)]
struct RegisterForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    kvnr: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    postal_code: String,
    username: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    email: String,
    terms: Option<String>,
}

/// The registrar and the login interaction a registration page belongs to,
/// with the page's language; or the answer when the provider offers no
/// registration or the interaction is gone.
async fn load(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Arc<Registrar>, Interaction, Look), Response> {
    let Some(registrar) = state.registrar.clone() else {
        return Err(not_offered(state, headers));
    };
    match interaction::load(state.ephemeral.as_ref(), id).await {
        Ok(Some(record)) => {
            let locale = locale_of(state, headers, &record);
            Ok((registrar, record, locale))
        }
        Ok(None) => Err(expired(state, headers)),
        Err(error) => {
            let locale = &respond::look(state, headers, &[], None);
            Err(respond::internal_error_page(
                state,
                locale,
                &error,
                &respond::request_id(headers),
            ))
        }
    }
}

fn not_offered(state: &AppState, headers: &HeaderMap) -> Response {
    let locale = &respond::look(state, headers, &[], None);
    let description = state.pages.message(locale, "register_not_offered");
    respond::error_page(
        state,
        locale,
        StatusCode::NOT_FOUND,
        "PF-WEB-404",
        &description,
        &respond::request_id(headers),
    )
}

/// The input of the registration form a refusal is about, by its `name`: the
/// page marks it `aria-invalid`, ties it to the error summary and focuses it
/// (WCAG 2.1 SC 3.3.1, 1.3.1; R-OP-2). Refusals about the membership as a
/// whole (already registered, membership ended, throttled) name no field;
/// "no match" names the insurance number, the first of the fields it covers.
fn field_in_error(error: &RegistrationError) -> Option<&'static str> {
    use pforte_identity::registration::decision::Refusal;
    match error {
        RegistrationError::Kvnr(_)
        | RegistrationError::UnknownMember
        | RegistrationError::Refused(Refusal::UnknownMember | Refusal::BirthDateMismatch) => {
            Some("kvnr")
        }
        RegistrationError::Refused(Refusal::PostalCodeMismatch) => Some("postal_code"),
        RegistrationError::Password(_) => Some("password"),
        RegistrationError::UsernameInvalid | RegistrationError::UsernameTaken => Some("username"),
        RegistrationError::EmailInvalid => Some("email"),
        RegistrationError::TermsNotAccepted => Some("terms"),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    state: &AppState,
    locale: &Look,
    id: &str,
    record: &Interaction,
    form: &RegisterForm,
    problems: &[String],
    invalid: Option<&str>,
    status: StatusCode,
) -> Response {
    let Some(registrar) = &state.registrar else {
        return respond::internal_error_page(state, locale, &"no registrar", "");
    };
    let mut context = tera::Context::new();
    context.insert("invalid_field", &invalid.unwrap_or_default());
    context.insert("interaction", id);
    context.insert("csrf_token", &record.csrf_token);
    context.insert(
        "choose_username",
        &(registrar.policy().username == UsernameChoice::Choose),
    );
    context.insert("terms_version", &registrar.terms_version());
    context.insert("kvnr", &form.kvnr);
    context.insert("birth_date", &form.birth_date);
    context.insert("postal_code", &form.postal_code);
    context.insert("username", &form.username.clone().unwrap_or_default());
    context.insert("email", &form.email);
    context.insert("problems", problems);
    let (rules, max_length) = state
        .identity
        .policy()
        .map(|policy| (policy.password.min_length, policy.password.max_length))
        .unwrap_or((8, 64));
    context.insert("password_max_length", &max_length);
    context.insert(
        "rule_min_length",
        &state
            .pages
            .message(locale, "register_rule_min_length")
            .replace("{min}", &rules.to_string()),
    );
    context.insert(
        "rule_max_length",
        &state
            .pages
            .message(locale, "register_rule_max_length")
            .replace("{max}", &max_length.to_string()),
    );
    context.insert("password_min_length", &rules);
    context.insert(
        "password_rules",
        &state
            .pages
            .message(locale, "register_password_rules")
            .replace("{min}", &rules.to_string()),
    );
    respond::page(
        state,
        status,
        "register.html",
        locale,
        &context,
        // The live password rules: one script from our own origin.
        Some(security::webauthn_csp(None)),
    )
}

pub async fn register_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<FactorQuery>,
) -> Response {
    let (_, record, locale) = match load(&state, &headers, &query.interaction).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    form_page(
        &state,
        &locale,
        &query.interaction,
        &record,
        &RegisterForm::default(),
        &[],
        None,
        StatusCode::OK,
    )
}

pub async fn register_post(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut form: RegisterForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (registrar, record, locale) = match load(&state, &headers, &form.interaction).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    if !form_is_genuine(&state, &headers, &record, form.csrf_token.as_deref()) {
        return forged(&state, &headers, &locale);
    }
    let request_id = respond::request_id(&headers);
    let context = request_context(
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        &record.pending.client_id,
        &request_id,
    );
    let password = std::mem::take(&mut form.password);
    let Ok(birth_date) = NaiveDate::parse_from_str(form.birth_date.trim(), "%Y-%m-%d") else {
        let problem = state.pages.message(&locale, "register_error_birth_date");
        return form_page(
            &state,
            &locale,
            &form.interaction,
            &record,
            &form,
            &[problem],
            Some("birth_date"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let accepted_terms = match (form.terms.as_deref(), registrar.terms_version()) {
        (Some(_), Some(version)) => Some(version),
        _ => None,
    };
    let application = RegistrationForm {
        kvnr: form.kvnr.clone(),
        birth_date,
        postal_code: form.postal_code.clone(),
        username: form.username.clone(),
        password,
        email: form.email.clone(),
        accepted_terms,
    };
    match registrar
        .register(&application, Proofing::Letter, locale.locale, &context)
        .await
    {
        Ok(registered) => {
            if let Err(error) = remember(
                &state,
                &form.interaction,
                registered.account_id,
                state.settings.interaction_ttl,
            )
            .await
            {
                return respond::internal_error_page(&state, &locale, &error, &request_id);
            }
            respond::see_other(&format!(
                "/register/confirm?interaction={}",
                form.interaction
            ))
        }
        Err(RegistrationError::Identity(error)) => {
            respond::internal_error_page(&state, &locale, &error, &request_id)
        }
        Err(RegistrationError::Password(violations)) => {
            let language = Language::from_tag(locale.locale);
            let mut problems = vec![state.pages.message(&locale, "register_error_password")];
            problems.extend(
                violations
                    .iter()
                    .map(|violation| violation.render(language)),
            );
            form_page(
                &state,
                &locale,
                &form.interaction,
                &record,
                &form,
                &problems,
                Some("password"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(error) => {
            let status = if matches!(error, RegistrationError::Throttled) {
                StatusCode::TOO_MANY_REQUESTS
            } else if matches!(error, RegistrationError::LookupUnavailable(_)) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let problem = state.pages.message(&locale, error.message_key());
            form_page(
                &state,
                &locale,
                &form.interaction,
                &record,
                &form,
                &[problem],
                field_in_error(&error),
                status,
            )
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct CodeForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    action: String,
}

fn confirm_page(
    state: &AppState,
    locale: &Look,
    id: &str,
    record: &Interaction,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let mut context = tera::Context::new();
    context.insert("interaction", id);
    context.insert("csrf_token", &record.csrf_token);
    context.insert("problem", &problem);
    context.insert("action", "/register/confirm");
    respond::page(
        state,
        status,
        "register_confirm.html",
        locale,
        &context,
        Some(security::csp_with_form_target(None)),
    )
}

fn done_page(
    state: &AppState,
    locale: &Look,
    id: &str,
    valid_until: Option<NaiveDate>,
    message_key: &str,
) -> Response {
    done_page_with_link(
        state,
        locale,
        &format!("/login?interaction={id}"),
        valid_until,
        message_key,
    )
}

fn done_page_with_link(
    state: &AppState,
    locale: &Look,
    login_link: &str,
    valid_until: Option<NaiveDate>,
    message_key: &str,
) -> Response {
    let mut context = tera::Context::new();
    context.insert("login_link", login_link);
    context.insert("valid_until", &valid_until.map(|day| day.to_string()));
    context.insert("message", &state.pages.message(locale, message_key));
    respond::page(
        state,
        StatusCode::OK,
        "register_done.html",
        locale,
        &context,
        Some(security::csp_with_form_target(None)),
    )
}

pub async fn confirm_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<FactorQuery>,
) -> Response {
    let (_, record, locale) = match load(&state, &headers, &query.interaction).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    if remembered(&state, &query.interaction).await.is_none() {
        return expired(&state, &headers);
    }
    confirm_page(
        &state,
        &locale,
        &query.interaction,
        &record,
        None,
        StatusCode::OK,
    )
}

pub async fn confirm_post(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: CodeForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (registrar, record, locale) = match load(&state, &headers, &form.interaction).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    if !form_is_genuine(&state, &headers, &record, form.csrf_token.as_deref()) {
        return forged(&state, &headers, &locale);
    }
    let Some(account) = remembered(&state, &form.interaction).await else {
        return expired(&state, &headers);
    };
    let request_id = respond::request_id(&headers);
    let context = request_context(
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        &record.pending.client_id,
        &request_id,
    );
    match registrar
        .confirm_email(account, &form.code, locale.locale, &context)
        .await
    {
        Ok(Confirmed::LetterSent { valid_until }) => done_page(
            &state,
            &locale,
            &form.interaction,
            Some(valid_until),
            "register_letter_sent",
        ),
        Ok(Confirmed::Active) => {
            done_page(&state, &locale, &form.interaction, None, "register_active")
        }
        Err(RegistrationError::NoPostalAddress) => done_page(
            &state,
            &locale,
            &form.interaction,
            None,
            "register_error_no_postal_address",
        ),
        Err(RegistrationError::Identity(error)) => {
            respond::internal_error_page(&state, &locale, &error, &request_id)
        }
        Err(error) => {
            let problem = state.pages.message(&locale, error.message_key());
            confirm_page(
                &state,
                &locale,
                &form.interaction,
                &record,
                Some(problem),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

fn activate_page(
    state: &AppState,
    step: &flow::Step,
    problem: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let mut context = tera::Context::new();
    context.insert("interaction", &step.id);
    context.insert("csrf_token", &step.record.csrf_token);
    context.insert("problem", &problem);
    context.insert("notice", &notice);
    // The other way to prove who one is (R-RG-5), when an ident service is
    // configured: a link to `/ident/start` for this login.
    context.insert(
        "ident_display_name",
        &state
            .ident
            .as_ref()
            .map(|ident| ident.display_name().to_owned()),
    );
    respond::page(
        state,
        status,
        "activate.html",
        &step.locale,
        &context,
        Some(security::csp_with_form_target(Some(
            &step.record.pending.redirect_uri,
        ))),
    )
}

pub async fn activate_get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(query): Query<FactorQuery>,
) -> Response {
    let step = match flow::load_step(
        &state,
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        &query.interaction,
        None,
    )
    .await
    {
        Ok(step) => step,
        Err(response) => return response,
    };
    if step.txn.account_id.is_none() {
        return expired(&state, &headers);
    }
    activate_page(&state, &step, None, None, StatusCode::OK)
}

pub async fn activate_post(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(registrar) = state.registrar.clone() else {
        return not_offered(&state, &headers);
    };
    let form: CodeForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let step = match flow::load_step(
        &state,
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        &form.interaction,
        Some(form.csrf_token.as_deref()),
    )
    .await
    {
        Ok(step) => step,
        Err(response) => return response,
    };
    if form.action == "cancel" {
        return step.cancel(&state, &headers).await;
    }
    let Some(account) = step.txn.account_id else {
        return expired(&state, &headers);
    };
    if form.action == "new_letter" {
        return match registrar
            .request_new_letter(account, step.locale.locale, &step.context)
            .await
        {
            Ok(valid_until) => {
                let notice = state
                    .pages
                    .message(&step.locale, "activate_new_letter_sent")
                    .replace("{valid_until}", &valid_until.to_string());
                activate_page(&state, &step, None, Some(notice), StatusCode::OK)
            }
            Err(RegistrationError::Identity(error)) => {
                respond::internal_error_page(&state, &step.locale, &error, &step.request_id)
            }
            Err(error) => {
                let problem = state.pages.message(&step.locale, error.message_key());
                activate_page(
                    &state,
                    &step,
                    Some(problem),
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
        };
    }
    match registrar.activate(account, &form.code, &step.context).await {
        Ok(()) => step.advance(&state, &headers, step.txn.clone()).await,
        Err(RegistrationError::Identity(error)) => {
            respond::internal_error_page(&state, &step.locale, &error, &step.request_id)
        }
        Err(error) => {
            let problem = state.pages.message(&step.locale, error.message_key());
            activate_page(
                &state,
                &step,
                Some(problem),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// The form token of an invitation page: the browser's flow cookie, sent
/// back in the form (double submit; another site can neither read the
/// cookie nor set it). A browser without one gets a new one.
fn invitation_csrf(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let secure = state.settings.secure_cookies;
    match cookies::read(headers, CookieKind::Flow, secure) {
        Some(value) => (value, None),
        None => {
            let value = crate::csrf::new_token();
            let cookie = cookies::set(
                CookieKind::Flow,
                &value,
                secure,
                state.settings.interaction_ttl,
            );
            (value, cookie)
        }
    }
}

fn invitation_is_genuine(state: &AppState, headers: &HeaderMap, presented: Option<&str>) -> bool {
    let cookie = cookies::read(headers, CookieKind::Flow, state.settings.secure_cookies);
    cookie.is_some_and(|cookie| crate::csrf::tokens_match(&cookie, presented))
}

fn invitation_invalid(state: &AppState, headers: &HeaderMap) -> Response {
    let locale = &respond::look(state, headers, &[], None);
    let description = state.pages.message(locale, "register_error_invitation");
    respond::error_page(
        state,
        locale,
        StatusCode::BAD_REQUEST,
        "PF-WEB-410",
        &description,
        &respond::request_id(headers),
    )
}

#[allow(clippy::too_many_arguments)]
fn invitation_page(
    state: &AppState,
    locale: &Look,
    token: &str,
    csrf: &str,
    member: &pforte_identity::registration::service::InvitedMember,
    form: &RegisterForm,
    problems: &[String],
    invalid: Option<&str>,
    status: StatusCode,
) -> Response {
    let Some(registrar) = &state.registrar else {
        return respond::internal_error_page(state, locale, &"no registrar", "");
    };
    let mut context = tera::Context::new();
    context.insert("invalid_field", &invalid.unwrap_or_default());
    context.insert("token", token);
    context.insert("csrf_token", csrf);
    context.insert(
        "choose_username",
        &(registrar.policy().username == UsernameChoice::Choose),
    );
    context.insert("terms_version", &registrar.terms_version());
    context.insert("kvnr", &member.kvnr);
    context.insert(
        "member_name",
        &format!("{} {}", member.given_name, member.family_name),
    );
    context.insert("birth_date", &member.birth_date.to_string());
    context.insert("postal_code", &member.postal_code);
    context.insert("username", &form.username.clone().unwrap_or_default());
    context.insert("email", &form.email);
    context.insert("problems", problems);
    respond::page(
        state,
        status,
        "register_invite.html",
        locale,
        &context,
        Some(security::csp_with_form_target(None)),
    )
}

pub async fn invite_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let Some(registrar) = state.registrar.clone() else {
        return not_offered(&state, &headers);
    };
    let locale = &respond::look(&state, &headers, &[], None);
    let member = match registrar.invited_member(&token).await {
        Ok(member) => member,
        Err(RegistrationError::Identity(error)) => {
            return respond::internal_error_page(
                &state,
                locale,
                &error,
                &respond::request_id(&headers),
            );
        }
        Err(_) => return invitation_invalid(&state, &headers),
    };
    let (csrf, cookie) = invitation_csrf(&state, &headers);
    let mut response = invitation_page(
        &state,
        locale,
        &token,
        &csrf,
        &member,
        &RegisterForm::default(),
        &[],
        None,
        StatusCode::OK,
    );
    if let Some(cookie) = cookie {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie);
    }
    response
}

pub async fn invite_post(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Some(registrar) = state.registrar.clone() else {
        return not_offered(&state, &headers);
    };
    let locale = &respond::look(&state, &headers, &[], None);
    let mut form: RegisterForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !invitation_is_genuine(&state, &headers, form.csrf_token.as_deref()) {
        return forged(&state, &headers, locale);
    }
    let csrf = form.csrf_token.clone().unwrap_or_default();
    let request_id = respond::request_id(&headers);
    let member = match registrar.invited_member(&token).await {
        Ok(member) => member,
        Err(RegistrationError::Identity(error)) => {
            return respond::internal_error_page(&state, locale, &error, &request_id);
        }
        Err(_) => return invitation_invalid(&state, &headers),
    };
    let context = pforte_identity::RequestContext {
        operator: None,
        client_id: None,
        ..request_context(
            &headers,
            peer.map(|Extension(ConnectInfo(address))| address),
            "",
            &request_id,
        )
    };
    let accepted_terms = match (form.terms.as_deref(), registrar.terms_version()) {
        (Some(_), Some(version)) => Some(version),
        _ => None,
    };
    let application = RegistrationForm {
        kvnr: member.kvnr.clone(),
        birth_date: member.birth_date,
        postal_code: member.postal_code.clone(),
        username: form.username.clone(),
        password: std::mem::take(&mut form.password),
        email: form.email.clone(),
        accepted_terms,
    };
    match registrar
        .register_invited(&token, &application, locale.locale, &context)
        .await
    {
        Ok(_) => {
            let mut context = tera::Context::new();
            context.insert("action", &format!("/register/invite/{token}/confirm"));
            context.insert("interaction", "");
            context.insert("csrf_token", &csrf);
            context.insert("problem", &None::<String>);
            respond::page(
                &state,
                StatusCode::OK,
                "register_confirm.html",
                locale,
                &context,
                Some(security::csp_with_form_target(None)),
            )
        }
        Err(RegistrationError::Identity(error)) => {
            respond::internal_error_page(&state, locale, &error, &request_id)
        }
        Err(error) => {
            let mut problems = vec![state.pages.message(locale, error.message_key())];
            if let RegistrationError::Password(violations) = &error {
                let language = Language::from_tag(locale.locale);
                problems.extend(
                    violations
                        .iter()
                        .map(|violation| violation.render(language)),
                );
            }
            invitation_page(
                &state,
                locale,
                &token,
                &csrf,
                &member,
                &form,
                &problems,
                field_in_error(&error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

pub async fn invite_confirm_post(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Some(registrar) = state.registrar.clone() else {
        return not_offered(&state, &headers);
    };
    let locale = &respond::look(&state, &headers, &[], None);
    let form: CodeForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !invitation_is_genuine(&state, &headers, form.csrf_token.as_deref()) {
        return forged(&state, &headers, locale);
    }
    let request_id = respond::request_id(&headers);
    let account = match registrar.invited_account(&token).await {
        Ok(Some(account)) => account,
        Ok(None) => return invitation_invalid(&state, &headers),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let context = request_context(
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        "",
        &request_id,
    );
    match registrar
        .confirm_email(account, &form.code, locale.locale, &context)
        .await
    {
        Ok(_) => done_page_with_link(&state, locale, "/", None, "register_active"),
        Err(RegistrationError::Identity(error)) => {
            respond::internal_error_page(&state, locale, &error, &request_id)
        }
        Err(error) => {
            let mut context = tera::Context::new();
            context.insert("action", &format!("/register/invite/{token}/confirm"));
            context.insert("interaction", "");
            context.insert("csrf_token", &form.csrf_token.unwrap_or_default());
            context.insert(
                "problem",
                &Some(state.pages.message(locale, error.message_key())),
            );
            respond::page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "register_confirm.html",
                locale,
                &context,
                Some(security::csp_with_form_target(None)),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::field_in_error;
    use pforte_identity::registration::decision::Refusal;
    use pforte_identity::registration::service::RegistrationError;

    #[test]
    fn r_op_2_each_refusal_about_an_entry_names_its_field() {
        for (error, field) in [
            (
                RegistrationError::Refused(Refusal::UnknownMember),
                Some("kvnr"),
            ),
            (
                RegistrationError::Refused(Refusal::BirthDateMismatch),
                Some("kvnr"),
            ),
            (
                RegistrationError::Refused(Refusal::PostalCodeMismatch),
                Some("postal_code"),
            ),
            (RegistrationError::Password(Vec::new()), Some("password")),
            (RegistrationError::UsernameTaken, Some("username")),
            (RegistrationError::UsernameInvalid, Some("username")),
            (RegistrationError::EmailInvalid, Some("email")),
            (RegistrationError::TermsNotAccepted, Some("terms")),
            (RegistrationError::UnknownMember, Some("kvnr")),
        ] {
            assert_eq!(field_in_error(&error), field, "{error:?}");
        }
    }

    #[test]
    fn r_op_2_refusals_about_the_membership_name_no_field() {
        for error in [
            RegistrationError::Refused(Refusal::AlreadyRegistered),
            RegistrationError::Refused(Refusal::MembershipEnded),
            RegistrationError::Throttled,
            RegistrationError::LookupUnavailable("down".to_owned()),
        ] {
            assert_eq!(field_in_error(&error), None, "{error:?}");
        }
    }
}
