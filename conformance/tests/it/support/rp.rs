//! Relying parties built with the `openidconnect` crate: discovery, the
//! authorization URL, the code exchange, ID token verification (signature,
//! nonce, at_hash) and userinfo. The user's part (login form, consent) is
//! played by [`UserAgent`] through [`walk`].

use super::fixture::{AuthKind, ClientSpec, Fixture, PASSWORD};
use super::http::{Arrival, Page, RpHttp, UserAgent};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreIdTokenVerifier,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use std::borrow::Cow;
use std::collections::BTreeMap;
use url::Url;

pub type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Discovery through the relying party library (it checks that the issuer in
/// the document equals the one asked for, OIDC Discovery 4.3).
pub async fn discover(issuer: &str) -> CoreProviderMetadata {
    let http = RpHttp::default();
    CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.to_owned()).unwrap(), &http)
        .await
        .unwrap_or_else(|error| panic!("discovery failed: {error:?}"))
}

/// One relying party: a registered client plus the library's client object.
pub struct Rp {
    pub spec: ClientSpec,
    pub client: Client,
    pub http: RpHttp,
    pub issuer: String,
}

/// What the RP remembers between sending the user away and the callback.
pub struct Started {
    pub url: Url,
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub verifier: Option<PkceCodeVerifier>,
}

/// Options of one authorization request.
#[derive(Default, Clone)]
pub struct Request<'a> {
    pub scopes: Vec<&'a str>,
    pub extra: Vec<(&'a str, String)>,
    pub pkce: Option<bool>,
    pub redirect_uri: Option<String>,
}

impl<'a> Request<'a> {
    pub fn scopes(scopes: &[&'a str]) -> Request<'a> {
        Request {
            scopes: scopes.to_vec(),
            ..Request::default()
        }
    }

    pub fn param(mut self, name: &'a str, value: impl Into<String>) -> Request<'a> {
        self.extra.push((name, value.into()));
        self
    }

    pub fn pkce(mut self, on: bool) -> Request<'a> {
        self.pkce = Some(on);
        self
    }

    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Request<'a> {
        self.redirect_uri = Some(uri.into());
        self
    }
}

impl Rp {
    pub async fn new(fixture: &Fixture, client_id: &str) -> Rp {
        Rp::for_issuer(&fixture.server.issuer, fixture.client(client_id).clone()).await
    }

    /// A relying party of a provider other than the shared one.
    pub async fn for_issuer(issuer: &str, spec: ClientSpec) -> Rp {
        let metadata = discover(issuer).await;
        let secret = spec.secret.clone().map(ClientSecret::new);
        let mut client =
            CoreClient::from_provider_metadata(metadata, ClientId::new(spec.id.to_owned()), secret)
                .set_redirect_uri(RedirectUrl::new(spec.redirect_uri.to_owned()).unwrap());
        if matches!(
            spec.auth,
            AuthKind::SecretPost | AuthKind::PrivateKeyJwt | AuthKind::None
        ) {
            client = client.set_auth_type(AuthType::RequestBody);
        }
        Rp {
            spec,
            client,
            http: RpHttp::default(),
            issuer: issuer.to_owned(),
        }
    }

    /// The ID token algorithm this client is registered for.
    pub fn id_token_alg(&self) -> CoreJwsSigningAlgorithm {
        match self.spec.id_token_alg {
            "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            "PS256" => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            "EdDSA" => CoreJwsSigningAlgorithm::EdDsa,
            _ => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        }
    }

    /// Builds the authorization URL. PKCE (S256) is on for public clients and
    /// whenever the request asks for it.
    pub fn start(&self, request: &Request<'_>) -> Started {
        let mut builder = self.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &request.scopes {
            if *scope != "openid" {
                builder = builder.add_scope(Scope::new((*scope).to_owned()));
            }
        }
        let use_pkce = request.pkce.unwrap_or(self.spec.auth == AuthKind::None);
        let mut verifier = None;
        if use_pkce {
            let (challenge, code_verifier) = PkceCodeChallenge::new_random_sha256();
            builder = builder.set_pkce_challenge(challenge);
            verifier = Some(code_verifier);
        }
        let redirect;
        if let Some(uri) = &request.redirect_uri {
            redirect = RedirectUrl::new(uri.clone()).unwrap();
            builder = builder.set_redirect_uri(Cow::Owned(redirect));
        }
        for (name, value) in &request.extra {
            builder = builder.add_extra_param(*name, value.clone());
        }
        let (url, state, nonce) = builder.url();
        Started {
            url,
            state,
            nonce,
            verifier,
        }
    }

    /// Redeems a code through the library.
    pub async fn redeem(
        &self,
        code: &str,
        verifier: Option<PkceCodeVerifier>,
        redirect_uri: Option<&str>,
    ) -> Result<CoreTokenResponse, String> {
        let mut request = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| error.to_string())?;
        if let Some(verifier) = verifier {
            request = request.set_pkce_verifier(verifier);
        }
        if let Some(uri) = redirect_uri {
            request =
                request.set_redirect_uri(Cow::Owned(RedirectUrl::new(uri.to_owned()).unwrap()));
        }
        request
            .request_async(&self.http)
            .await
            .map_err(|error| describe_request_error(&error))
    }

    pub fn verifier(&self) -> CoreIdTokenVerifier<'_> {
        self.client
            .id_token_verifier()
            .set_allowed_algs(vec![self.id_token_alg()])
    }

    /// Verifies the ID token (signature with the provider's JWKS, iss, aud,
    /// exp, iat, nonce) and its at_hash against the access token.
    pub fn verify(&self, tokens: &CoreTokenResponse, nonce: &Nonce) -> CoreIdTokenClaims {
        let id_token = tokens.id_token().expect("token response without id_token");
        let verifier = self.verifier();
        let claims = id_token
            .claims(&verifier, nonce)
            .unwrap_or_else(|error| panic!("ID token rejected by the RP: {error:?}"))
            .clone();
        let expected = claims
            .access_token_hash()
            .expect("ID token without at_hash (OIDC Core 3.1.3.6)");
        let computed = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(
            expected, &computed,
            "at_hash does not match the access token"
        );
        claims
    }

    /// Userinfo through the library (GET with a Bearer header).
    pub async fn userinfo(&self, access_token: &AccessToken) -> Result<CoreUserInfoClaims, String> {
        self.client
            .user_info(access_token.clone(), None)
            .map_err(|error| error.to_string())?
            .request_async(&self.http)
            .await
            .map_err(|error| format!("{error:?}"))
    }

    /// The whole code flow for `username`: authorization URL, login, callback
    /// checks (state, iss), code exchange and ID token verification.
    pub async fn login_flow(
        &self,
        agent: &UserAgent,
        username: &str,
        request: &Request<'_>,
    ) -> Completed {
        let started = self.start(request);
        let response = walk(agent, started.url.as_str(), Some((username, PASSWORD)))
            .await
            .done();
        assert_eq!(
            response.get("state"),
            Some(started.state.secret().as_str()),
            "state not echoed"
        );
        assert_eq!(
            response.get("iss"),
            Some(self.issuer.as_str()),
            "RFC 9207 iss"
        );
        let code = response
            .get("code")
            .unwrap_or_else(|| panic!("no code in {:?}", response.params))
            .to_owned();
        let tokens = self
            .redeem(&code, started.verifier, request.redirect_uri.as_deref())
            .await
            .unwrap_or_else(|error| panic!("code exchange failed: {error}"));
        let claims = self.verify(&tokens, &started.nonce);
        Completed {
            tokens,
            claims,
            response,
        }
    }
}

/// A finished code flow.
pub struct Completed {
    pub tokens: CoreTokenResponse,
    pub claims: CoreIdTokenClaims,
    pub response: AuthResponse,
}

impl Completed {
    pub fn id_token(&self) -> String {
        self.tokens.id_token().unwrap().to_string()
    }

    pub fn refresh_token(&self) -> String {
        self.tokens
            .refresh_token()
            .expect("no refresh token")
            .secret()
            .clone()
    }

    pub fn access_token(&self) -> String {
        self.tokens.access_token().secret().clone()
    }
}

fn describe_request_error<E: std::error::Error + 'static>(
    error: &openidconnect::RequestTokenError<
        E,
        openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
) -> String {
    match error {
        openidconnect::RequestTokenError::ServerResponse(response) => {
            format!("server error {}", response.error().as_ref())
        }
        other => format!("{other:?}"),
    }
}

/// An authorization response as the relying party received it.
#[derive(Debug, Clone)]
pub struct AuthResponse {
    /// The redirect URI without its query.
    pub target: String,
    pub params: BTreeMap<String, String>,
    pub form_post: bool,
    /// How many login pages the user had to fill in.
    pub logins: usize,
}

impl AuthResponse {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn code(&self) -> &str {
        self.get("code")
            .unwrap_or_else(|| panic!("no code in {:?}", self.params))
    }
}

/// The end of a walk through the provider's pages.
#[derive(Debug)]
pub enum Walk {
    Done(AuthResponse),
    /// A page the walk could not get past (error page, or login without
    /// credentials).
    Stuck {
        page: Page,
    },
}

impl Walk {
    pub fn done(self) -> AuthResponse {
        match self {
            Walk::Done(response) => response,
            Walk::Stuck { page } => {
                panic!("the flow stopped at a provider page: {}", page.describe())
            }
        }
    }

    pub fn stuck(self) -> Page {
        match self {
            Walk::Stuck { page } => page,
            Walk::Done(response) => panic!(
                "expected a provider page, but the flow reached {} with {:?}",
                response.target, response.params
            ),
        }
    }
}

/// Opens `url` and plays the user: fills the login form with `credentials`
/// (when given), allows consent, until the provider answers the relying
/// party (redirect or form_post).
pub async fn walk(agent: &UserAgent, url: &str, credentials: Option<(&str, &str)>) -> Walk {
    let page = agent.get(url).await;
    walk_from(agent, page, credentials).await
}

pub async fn walk_from(agent: &UserAgent, page: Page, credentials: Option<(&str, &str)>) -> Walk {
    let mut page = page;
    let mut logins = 0;
    for _ in 0..8 {
        match agent.follow(page).await {
            Arrival::Redirect(target) => {
                let params = target
                    .query_pairs()
                    .map(|(name, value)| (name.into_owned(), value.into_owned()))
                    .collect();
                let mut base = target.clone();
                base.set_query(None);
                return Walk::Done(AuthResponse {
                    target: base.to_string(),
                    params,
                    form_post: false,
                    logins,
                });
            }
            Arrival::FormPost { action, params } => {
                return Walk::Done(AuthResponse {
                    target: action.to_string(),
                    params: params.into_iter().collect(),
                    form_post: true,
                    logins,
                });
            }
            Arrival::Stopped(stopped) => {
                if stopped.is_login_page() {
                    let Some((username, password)) = credentials else {
                        return Walk::Stuck { page: stopped };
                    };
                    logins += 1;
                    let form = stopped
                        .forms()
                        .into_iter()
                        .find(|form| form.has_field("password"))
                        .unwrap();
                    page = agent
                        .submit(
                            &stopped,
                            &form,
                            &[("username", username), ("password", password)],
                        )
                        .await;
                    if page.is_login_page() {
                        return Walk::Stuck { page };
                    }
                } else if stopped.is_consent_page() {
                    let form = stopped
                        .forms()
                        .into_iter()
                        .find(|form| form.has_button("decision", "allow"))
                        .unwrap();
                    page = agent
                        .submit(&stopped, &form, &[("decision", "allow")])
                        .await;
                } else {
                    return Walk::Stuck { page: stopped };
                }
            }
        }
    }
    panic!("the flow did not finish within 8 pages");
}
