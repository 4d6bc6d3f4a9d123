//! The client screens (R-OP-1, R-AC-2): list, detail/edit, register, new
//! secret. The form and its buttons are shown by permission; every POST
//! checks the console's CSRF token and goes through the use case, which
//! checks the permission again. A generated secret is shown once, on the
//! page that answers the POST, and never stored in clear.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::dashboard::base_context;
use super::render;
use super::session::{self, CurrentOperator};
use super::views::{self, CLIENTS_PATH, ClientForm};
use crate::error::AdminError;
use crate::state::AdminState;
use crate::usecases::clients::{self, WithSecret};

#[derive(Debug, serde::Deserialize)]
pub struct CsrfOnly {
    csrf_token: Option<String>,
}

impl CsrfOnly {
    pub fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ClientFormPost {
    csrf_token: Option<String>,
    #[serde(flatten)]
    form: ClientForm,
}

/// `GET /admin/clients`.
pub async fn list(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
) -> Response {
    match clients::list_clients(&state, &current.operator).await {
        Ok(listed) => {
            let mut context = base_context(&state, &current);
            context.extend(views::clients_context(&current.operator, &listed, None));
            render::page(&state, &headers, StatusCode::OK, "clients.html", &context)
        }
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

/// `GET /admin/clients/new`: the empty registration form.
pub async fn new_form(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = current
        .operator
        .require(pforte_identity::operator_roles::Permission::ManageClients)
    {
        return render::admin_error(&state, &headers, &error);
    }
    let empty = ClientForm {
        application_type: "web".to_owned(),
        auth_method: "client_secret_basic".to_owned(),
        ..ClientForm::default()
    };
    form_page(
        &state,
        &current,
        &headers,
        StatusCode::OK,
        &empty.as_entered(),
        true,
        &[],
    )
}

/// `POST /admin/clients/new`.
pub async fn create(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Form(post): Form<ClientFormPost>,
) -> Response {
    if !current.check_csrf(post.csrf_token.as_deref()) {
        return session::csrf_refused();
    }
    match clients::create_client(
        &state,
        &current.operator,
        current.context.clone(),
        post.form.new_client(),
    )
    .await
    {
        Ok(created) => secret_or_detail(&state, &current, &headers, created),
        Err(AdminError::Invalid(problems)) => {
            refused(&state, &current, &headers, &post.form, true, &problems)
        }
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

/// `GET /admin/clients/{client_id}`: the details, as a form when allowed.
pub async fn detail(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    match clients::show_client(&state, &current.operator, &client_id).await {
        Ok(client) => {
            let client = serde_json::to_value(&client).unwrap_or_default();
            form_page(
                &state,
                &current,
                &headers,
                StatusCode::OK,
                &client,
                false,
                &[],
            )
        }
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

/// `POST /admin/clients/{client_id}`: the edit.
pub async fn update(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    Form(mut post): Form<ClientFormPost>,
) -> Response {
    if !current.check_csrf(post.csrf_token.as_deref()) {
        return session::csrf_refused();
    }
    post.form.client_id = client_id.clone();
    match clients::update_client(
        &state,
        &current.operator,
        current.context.clone(),
        &client_id,
        post.form.changes(),
    )
    .await
    {
        Ok(updated) => secret_or_detail(&state, &current, &headers, updated),
        Err(AdminError::Invalid(problems)) => {
            refused(&state, &current, &headers, &post.form, false, &problems)
        }
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

/// `POST /admin/clients/{client_id}/secret`.
pub async fn new_secret(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    Form(post): Form<CsrfOnly>,
) -> Response {
    if !current.check_csrf(post.csrf_token()) {
        return session::csrf_refused();
    }
    match clients::new_client_secret(
        &state,
        &current.operator,
        current.context.clone(),
        &client_id,
    )
    .await
    {
        Ok(renewed) => secret_or_detail(&state, &current, &headers, renewed),
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

/// The secret page when this request made a secret, else back to the
/// client's page.
fn secret_or_detail(
    state: &AdminState,
    current: &CurrentOperator,
    headers: &HeaderMap,
    result: WithSecret,
) -> Response {
    match result.client_secret {
        Some(secret) => {
            let mut context = base_context(state, current);
            context.extend(views::secret_context(&result.client.client_id, &secret));
            render::page(
                state,
                headers,
                StatusCode::OK,
                "client_secret.html",
                &context,
            )
        }
        None => {
            pforte_web::respond::see_other(&format!("{CLIENTS_PATH}/{}", result.client.client_id))
        }
    }
}

/// The form again with every problem and the values entered.
fn refused(
    state: &AdminState,
    current: &CurrentOperator,
    headers: &HeaderMap,
    form: &ClientForm,
    is_new: bool,
    problems: &str,
) -> Response {
    let problems: Vec<String> = problems.lines().map(str::to_owned).collect();
    form_page(
        state,
        current,
        headers,
        StatusCode::UNPROCESSABLE_ENTITY,
        &form.as_entered(),
        is_new,
        &problems,
    )
}

fn form_page(
    state: &AdminState,
    current: &CurrentOperator,
    headers: &HeaderMap,
    status: StatusCode,
    client: &serde_json::Value,
    is_new: bool,
    problems: &[String],
) -> Response {
    let mut context = base_context(state, current);
    context.extend(views::client_form_context(
        state,
        &current.operator,
        current.csrf_token(),
        client,
        is_new,
        problems,
    ));
    render::page(state, headers, status, "client_form.html", &context)
}
