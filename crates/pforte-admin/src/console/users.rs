//! The user screens (R-OP-1): search, detail with timeline and the unlock
//! and reactivate buttons. Buttons are shown by permission; the use cases
//! check again.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::operator_roles::Permission;
use serde::Deserialize;

use super::dashboard::base_context;
use super::render;
use super::session::{self, CurrentOperator};
use crate::state::AdminState;
use crate::usecases::users::{self, ChangeOutcome};

pub const USERS_PATH: &str = "/admin/users";

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /admin/users?q=…`.
pub async fn search(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Response {
    let found = match users::search_users(&state, &current.operator, &query.q).await {
        Ok(found) => found,
        Err(crate::AdminError::Invalid(_)) => {
            let mut context = base_context(&state, &current);
            context.insert("q", &query.q);
            context.insert("searched", &false);
            context.insert("results", &Vec::<serde_json::Value>::new());
            context.insert("q_error", "admin_users_query_too_long");
            return render::page(
                &state,
                &headers,
                StatusCode::BAD_REQUEST,
                "users.html",
                &context,
            );
        }
        Err(error) => return render::admin_error(&state, &headers, &error),
    };
    let mut context = base_context(&state, &current);
    context.insert("q", &query.q);
    context.insert("searched", &!query.q.trim().is_empty());
    let results: Vec<_> = found
        .iter()
        .map(|user| serde_json::json!({"user": user, "href": user_path(&user.username)}))
        .collect();
    context.insert("results", &results);
    context.insert("q_error", &Option::<&str>::None);
    render::page(&state, &headers, StatusCode::OK, "users.html", &context)
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// The notices an action leaves for the detail page (catalog keys).
fn notice_key(notice: Option<&str>) -> Option<&'static str> {
    match notice? {
        "done" => Some("admin_notice_done"),
        "unchanged" => Some("admin_notice_unchanged"),
        "needs_reactivation" => Some("admin_notice_needs_reactivation"),
        _ => None,
    }
}

/// `GET /admin/users/{username}`: the detail, the timeline when allowed.
pub async fn detail(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Path(username): Path<String>,
    Query(notice): Query<NoticeQuery>,
) -> Response {
    let detail = match users::user_detail(&state, &current.operator, &username).await {
        Ok(detail) => detail,
        Err(error) => return render::admin_error(&state, &headers, &error),
    };
    let timeline = if current.operator.may(Permission::ViewAuditTrail) {
        match users::user_timeline(&state, &current.operator, &username).await {
            Ok(timeline) => Some(timeline),
            Err(error) => return render::admin_error(&state, &headers, &error),
        }
    } else {
        None
    };
    let mut context = base_context(&state, &current);
    context.insert("user", &detail);
    context.insert("user_path", &user_path(&detail.summary.username));
    context.insert("timeline", &timeline);
    context.insert(
        "can_unlock",
        &(current.operator.may(Permission::UnlockUser) && detail.state == "locked"),
    );
    context.insert(
        "can_reactivate",
        &(current.operator.may(Permission::ReactivateUser) && detail.state == "deactivated"),
    );
    context.insert("notice", &notice_key(notice.notice.as_deref()));
    render::page(&state, &headers, StatusCode::OK, "user.html", &context)
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    csrf_token: Option<String>,
}

/// The detail page of an account (the username percent-encoded).
fn user_path(username: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(username.as_bytes()).collect();
    format!("{USERS_PATH}/{}", encoded.replace('+', "%20"))
}

fn back_to(username: &str, outcome: ChangeOutcome) -> String {
    let notice = match outcome {
        ChangeOutcome::Changed => "done",
        ChangeOutcome::Unchanged => "unchanged",
        ChangeOutcome::NeedsReactivation => "needs_reactivation",
    };
    format!("{}?notice={notice}", user_path(username))
}

/// `POST /admin/users/{username}/unlock`.
pub async fn unlock(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !current.check_csrf(form.csrf_token.as_deref()) {
        return session::csrf_refused();
    }
    match users::unlock_user(
        &state,
        &current.operator,
        &username,
        current.context.clone(),
    )
    .await
    {
        Ok(outcome) => pforte_web::respond::see_other(&back_to(&username, outcome)),
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

/// `POST /admin/users/{username}/reactivate`.
pub async fn reactivate(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !current.check_csrf(form.csrf_token.as_deref()) {
        return session::csrf_refused();
    }
    match users::reactivate_user(
        &state,
        &current.operator,
        &username,
        current.context.clone(),
    )
    .await
    {
        Ok(outcome) => pforte_web::respond::see_other(&back_to(&username, outcome)),
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}
