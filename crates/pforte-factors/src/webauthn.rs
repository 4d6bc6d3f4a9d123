//! WebAuthn credentials (passkeys and security keys) as a factor (R-MF-1,
//! R-AC-1 `loa-high`), over `webauthn-rs`.
//!
//! The boundary is JSON: the options go to the browser's
//! `navigator.credentials.create/get` as they are, the ceremony state is a
//! string the caller keeps **server-side** until the browser answers (W3C
//! WebAuthn Level 3 §13.4.3: a challenge must be used once and must not be
//! under the client's control; never put it in a cookie), and an enrolled
//! credential is a JSON string for `EnrolledFactor::public_data`. Callers need
//! no dependency on `webauthn-rs`.
//!
//! User verification (PIN or biometrics on the authenticator, WebAuthn §6.2.3)
//! is a choice of the caller, see [`UserVerification`]: passwordless sign-in
//! needs it, since the credential is then the only factor; as a second factor
//! after a password it is only preferred, so that a plain security key without
//! a PIN works. Either way a credential that once verified the user must verify
//! again (webauthn-rs enforces this from the stored registration policy).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, SecurityKey, SecurityKeyAuthentication,
    SecurityKeyRegistration, WebauthnError,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebauthnFactorError {
    /// The relying party id does not fit the origin (WebAuthn §5.1.4: the RP
    /// id must be the origin's effective domain or a registrable suffix of it).
    #[error("invalid WebAuthn configuration: {0}")]
    Configuration(String),
    /// The stored ceremony state is unreadable or belongs to another ceremony.
    #[error("the security key request is unknown or has expired; please start again")]
    State,
    /// The browser's answer is not a WebAuthn response.
    #[error("the browser sent an unreadable security key response")]
    Response,
    /// A stored credential's JSON is unreadable.
    #[error("a stored security key is unreadable")]
    Credential,
    /// The response names a credential that is not among the account's.
    #[error("this security key is not registered for the account")]
    UnknownCredential,
    /// Verification failed (signature, challenge, origin, user verification,
    /// counter); the text is for logs, not for users.
    #[error("the security key could not be verified: {0}")]
    Rejected(String),
}

/// Whether the authenticator must verify the user (WebAuthn §5.8.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserVerification {
    /// Passwordless: the credential alone signs in, so it must prove both
    /// possession and a PIN or biometric (`loa-high`).
    Required,
    /// Second factor after a password: verification is asked for but not
    /// demanded, so security keys without a PIN work.
    Preferred,
}

/// The ceremony state, tagged with the flavour it was started with so that
/// `finish_*` uses the matching `webauthn-rs` call.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "state", rename_all = "snake_case")]
enum RegistrationState {
    Passkey(PasskeyRegistration),
    SecurityKey(SecurityKeyRegistration),
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "state", rename_all = "snake_case")]
enum AuthenticationState {
    Passkey(PasskeyAuthentication),
    SecurityKey(SecurityKeyAuthentication),
    Discoverable(DiscoverableAuthentication),
}

/// A credential just registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredCredential {
    /// The credential id, base64url without padding (as the browser reports it).
    pub credential_id: String,
    /// The credential to store (`EnrolledFactor::public_data`); public data.
    pub credential_json: String,
    /// Whether the authenticator verified the user at registration; only such
    /// credentials are fit for passwordless sign-in.
    pub user_verified: bool,
    /// Whether the credential may be synced to other devices (WebAuthn §6.1.3,
    /// BE flag): a synced passkey is weaker evidence of one device.
    pub backup_eligible: bool,
}

/// A successful authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationOutcome {
    /// The credential used, base64url without padding.
    pub credential_id: String,
    /// Its position in the slice passed to `finish_*`.
    pub index: usize,
    /// True when the credential's JSON in the slice was rewritten (counter or
    /// backup state moved); the caller must then store it again.
    pub updated: bool,
    pub user_verified: bool,
    /// Whether the credential is currently backed up (BS flag).
    pub backup_state: bool,
}

/// The relying party: one per issuer.
#[derive(Debug, Clone)]
pub struct WebauthnFactor {
    webauthn: Webauthn,
}

impl WebauthnFactor {
    /// `rp_id` is the issuer's host (`login.example.de`), `rp_origin` the
    /// issuer URL (`https://login.example.de`), `rp_name` what the
    /// authenticator shows.
    pub fn new(rp_id: &str, rp_origin: &str, rp_name: &str) -> Result<Self, WebauthnFactorError> {
        let origin = Url::parse(rp_origin)
            .map_err(|error| WebauthnFactorError::Configuration(format!("origin: {error}")))?;
        let webauthn = WebauthnBuilder::new(rp_id, &origin)
            .map_err(|_| {
                WebauthnFactorError::Configuration(format!(
                    "the RP id {rp_id} is not the host of {rp_origin} or a parent domain of it"
                ))
            })?
            .rp_name(rp_name)
            .build()
            .map_err(|error| WebauthnFactorError::Configuration(error.to_string()))?;
        Ok(Self { webauthn })
    }

    /// Begins registering a credential for the account `user_uuid` (the
    /// user handle, WebAuthn §5.4.3: opaque, no personal data). `exclude` are
    /// the account's stored credentials, so that an authenticator is not
    /// registered twice. Returns the options for `navigator.credentials.create`
    /// (`{"publicKey": …}`) and the state to keep server-side.
    pub fn start_registration(
        &self,
        user_uuid: Uuid,
        user_name: &str,
        display_name: &str,
        exclude: &[String],
        verification: UserVerification,
    ) -> Result<(Value, String), WebauthnFactorError> {
        let exclude = exclude
            .iter()
            .map(|json| parse_passkey(json).map(|key| key.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (options, state) = match verification {
            UserVerification::Required => {
                let (options, state) = self
                    .webauthn
                    .start_passkey_registration(user_uuid, user_name, display_name, exclude)
                    .map_err(rejected)?;
                (to_value(&options)?, RegistrationState::Passkey(state))
            }
            UserVerification::Preferred => {
                let (options, state) = self
                    .webauthn
                    .start_securitykey_registration(
                        user_uuid,
                        user_name,
                        display_name,
                        exclude,
                        None,
                        None,
                    )
                    .map_err(rejected)?;
                let mut options = to_value(&options)?;
                without_uv_required_protection(&mut options);
                (options, RegistrationState::SecurityKey(state))
            }
        };
        Ok((options, to_json(&state)?))
    }

    /// Completes a registration with the browser's answer. The caller must
    /// check that no other account holds the same credential id (WebAuthn
    /// §7.1 step 22) before storing it.
    pub fn finish_registration(
        &self,
        state_json: &str,
        client_response_json: &str,
    ) -> Result<RegisteredCredential, WebauthnFactorError> {
        let state: RegistrationState =
            serde_json::from_str(state_json).map_err(|_| WebauthnFactorError::State)?;
        let response: RegisterPublicKeyCredential = serde_json::from_str(client_response_json)
            .map_err(|_| WebauthnFactorError::Response)?;
        let (credential_id, credential_json) = match state {
            RegistrationState::Passkey(state) => {
                let key = self
                    .webauthn
                    .finish_passkey_registration(&response, &state)
                    .map_err(rejected)?;
                (encode_id(key.cred_id()), to_json(&key)?)
            }
            RegistrationState::SecurityKey(state) => {
                let key = self
                    .webauthn
                    .finish_securitykey_registration(&response, &state)
                    .map_err(rejected)?;
                (encode_id(key.cred_id()), to_json(&key)?)
            }
        };
        let info = credential_flags(&credential_json)?;
        Ok(RegisteredCredential {
            credential_id,
            credential_json,
            user_verified: info.0,
            backup_eligible: info.1,
        })
    }

    /// Begins signing in with one of the account's `credentials`. Returns the
    /// options for `navigator.credentials.get` and the state to keep.
    pub fn start_authentication(
        &self,
        credentials: &[String],
        verification: UserVerification,
    ) -> Result<(Value, String), WebauthnFactorError> {
        if credentials.is_empty() {
            return Err(WebauthnFactorError::UnknownCredential);
        }
        let (options, state) = match verification {
            UserVerification::Required => {
                let keys = credentials
                    .iter()
                    .map(|json| parse_passkey(json))
                    .collect::<Result<Vec<_>, _>>()?;
                let (options, state) = self
                    .webauthn
                    .start_passkey_authentication(&keys)
                    .map_err(rejected)?;
                (to_value(&options)?, AuthenticationState::Passkey(state))
            }
            UserVerification::Preferred => {
                let keys = credentials
                    .iter()
                    .map(|json| parse_security_key(json))
                    .collect::<Result<Vec<_>, _>>()?;
                let (options, state) = self
                    .webauthn
                    .start_securitykey_authentication(&keys)
                    .map_err(rejected)?;
                (to_value(&options)?, AuthenticationState::SecurityKey(state))
            }
        };
        Ok((options, to_json(&state)?))
    }

    /// Begins a sign-in without a user name: the browser offers the user's
    /// discoverable passkeys in the login field's autofill (conditional
    /// mediation). User verification is always required here.
    pub fn start_discoverable_authentication(
        &self,
    ) -> Result<(Value, String), WebauthnFactorError> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(rejected)?;
        Ok((
            to_value(&options)?,
            to_json(&AuthenticationState::Discoverable(state))?,
        ))
    }

    /// Reads the user handle (the account's UUID) and the credential id from a
    /// discoverable response, so the caller can load that account's
    /// credentials before [`Self::finish_authentication`].
    pub fn identify_discoverable(
        &self,
        response_json: &str,
    ) -> Result<(Uuid, String), WebauthnFactorError> {
        let response: PublicKeyCredential =
            serde_json::from_str(response_json).map_err(|_| WebauthnFactorError::Response)?;
        let (user, credential_id) = self
            .webauthn
            .identify_discoverable_authentication(&response)
            .map_err(rejected)?;
        Ok((user, encode_id(credential_id)))
    }

    /// Completes a sign-in (any of the three starts). `credentials` are the
    /// account's stored credentials; the one used is updated in place when
    /// its signature counter or backup state moved (WebAuthn §7.2 steps 21–22),
    /// and `updated` tells the caller to store it.
    pub fn finish_authentication(
        &self,
        state_json: &str,
        response_json: &str,
        credentials: &mut [String],
    ) -> Result<AuthenticationOutcome, WebauthnFactorError> {
        let state: AuthenticationState =
            serde_json::from_str(state_json).map_err(|_| WebauthnFactorError::State)?;
        let response: PublicKeyCredential =
            serde_json::from_str(response_json).map_err(|_| WebauthnFactorError::Response)?;
        let used_id = encode_id(response.get_credential_id());
        let index = credentials
            .iter()
            .position(|json| credential_id(json).is_ok_and(|id| id == used_id))
            .ok_or(WebauthnFactorError::UnknownCredential)?;
        let slot = credentials
            .get_mut(index)
            .ok_or(WebauthnFactorError::UnknownCredential)?;
        let (result, updated_json) = match state {
            AuthenticationState::Passkey(state) => {
                let result = self
                    .webauthn
                    .finish_passkey_authentication(&response, &state)
                    .map_err(rejected)?;
                let mut key = parse_passkey(slot)?;
                let changed = key.update_credential(&result) == Some(true);
                (result, changed.then(|| to_json(&key)).transpose()?)
            }
            AuthenticationState::SecurityKey(state) => {
                let result = self
                    .webauthn
                    .finish_securitykey_authentication(&response, &state)
                    .map_err(rejected)?;
                let mut key = parse_security_key(slot)?;
                let changed = key.update_credential(&result) == Some(true);
                (result, changed.then(|| to_json(&key)).transpose()?)
            }
            AuthenticationState::Discoverable(state) => {
                let mut key = parse_passkey(slot)?;
                let result = self
                    .webauthn
                    .finish_discoverable_authentication_v2(&response, state, &key)
                    .map_err(rejected)?;
                let changed = key.update_credential(&result) == Some(true);
                (result, changed.then(|| to_json(&key)).transpose()?)
            }
        };
        let updated = updated_json.is_some();
        if let Some(json) = updated_json {
            *slot = json;
        }
        Ok(AuthenticationOutcome {
            credential_id: encode_id(result.cred_id()),
            index,
            updated,
            user_verified: result.user_verified(),
            backup_state: result.backup_state(),
        })
    }
}

/// Removes the CTAP2 `credProtect` request "user verification required"
/// from options that only *prefer* user verification: Chromium refuses such
/// a request as inconsistent (`NotSupportedError`), since a credential that
/// demands verification contradicts a ceremony that does not. The extension
/// was not enforced anyway; a credential that verified the user at
/// registration must still verify at every sign-in (the stored policy).
fn without_uv_required_protection(options: &mut Value) {
    if let Some(extensions) = options
        .get_mut("publicKey")
        .and_then(|public_key| public_key.get_mut("extensions"))
        .and_then(Value::as_object_mut)
    {
        extensions.remove("credentialProtectionPolicy");
        extensions.remove("enforceCredentialProtectionPolicy");
    }
}

/// The base64url id of a stored credential, e.g. to look it up or list it.
pub fn credential_id(credential_json: &str) -> Result<String, WebauthnFactorError> {
    Ok(encode_id(parse_passkey(credential_json)?.cred_id()))
}

/// Whether a stored credential verified the user (PIN or biometrics) when it
/// was registered: only such credentials may sign in without a password,
/// since the authenticator is then bound to repeat the check (WebAuthn
/// §6.1 UV flag).
pub fn credential_user_verified(credential_json: &str) -> Result<bool, WebauthnFactorError> {
    parse_passkey(credential_json)?;
    Ok(credential_flags(credential_json)?.0)
}

/// Passkeys and security keys share one stored form (`{"cred": …}`); the
/// flavour only decides how a ceremony is run, so either parse works on any
/// credential this module produced.
fn parse_passkey(json: &str) -> Result<Passkey, WebauthnFactorError> {
    serde_json::from_str(json).map_err(|_| WebauthnFactorError::Credential)
}

fn parse_security_key(json: &str) -> Result<SecurityKey, WebauthnFactorError> {
    serde_json::from_str(json).map_err(|_| WebauthnFactorError::Credential)
}

/// (user verified at registration, backup eligible), read from the stored
/// form, since `webauthn-rs` keeps these fields private.
fn credential_flags(json: &str) -> Result<(bool, bool), WebauthnFactorError> {
    let value: Value = serde_json::from_str(json).map_err(|_| WebauthnFactorError::Credential)?;
    let flag = |name: &str| value["cred"][name].as_bool().unwrap_or(false);
    Ok((flag("user_verified"), flag("backup_eligible")))
}

fn encode_id(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

fn rejected(error: WebauthnError) -> WebauthnFactorError {
    WebauthnFactorError::Rejected(error.to_string())
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, WebauthnFactorError> {
    serde_json::to_value(value).map_err(|error| WebauthnFactorError::Rejected(error.to_string()))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, WebauthnFactorError> {
    serde_json::to_string(value).map_err(|error| WebauthnFactorError::Rejected(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type ErrorCheck = fn(&WebauthnFactorError) -> bool;

    const RP_ID: &str = "login.example.de";
    const ORIGIN: &str = "https://login.example.de";

    fn factor() -> WebauthnFactor {
        WebauthnFactor::new(RP_ID, ORIGIN, "Pforte Kasse").unwrap()
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A stored credential as this module writes it. The key coordinates are
    /// not a point on the curve: nothing here verifies a signature with it.
    fn stored_credential(id: &[u8], user_verified: bool) -> String {
        json!({
            "cred": {
                "cred_id": b64(id),
                "cred": {
                    "type_": "ES256",
                    "key": {"EC_EC2": {"curve": "SECP256R1", "x": b64(&[1u8; 32]), "y": b64(&[2u8; 32])}}
                },
                "counter": 0,
                "transports": null,
                "user_verified": user_verified,
                "backup_eligible": true,
                "backup_state": false,
                "registration_policy": if user_verified { "required" } else { "preferred" },
                "extensions": {},
                "attestation": {"data": "None", "metadata": "None"},
                "attestation_format": "none"
            }
        })
        .to_string()
    }

    #[test]
    fn r_mf_1_webauthn_rp_must_fit_the_origin() {
        // (rp id, origin, accepted)
        let table: [(&str, &str, bool); 5] = [
            (RP_ID, ORIGIN, true),
            ("example.de", ORIGIN, true),
            ("localhost", "http://localhost:8080", true),
            ("evil.example", ORIGIN, false),
            (RP_ID, "not a url", false),
        ];
        for (rp_id, origin, accepted) in table {
            let result = WebauthnFactor::new(rp_id, origin, "Pforte");
            assert_eq!(result.is_ok(), accepted, "{rp_id} {origin}");
            if let Err(error) = result {
                assert!(matches!(error, WebauthnFactorError::Configuration(_)));
            }
        }
    }

    #[test]
    fn r_mf_1_webauthn_registration_options_name_the_rp_and_verification() {
        let user = Uuid::new_v4();
        for (verification, expected) in [
            (UserVerification::Required, "required"),
            (UserVerification::Preferred, "preferred"),
        ] {
            let (options, state) = factor()
                .start_registration(user, "erika", "Erika Mustermann", &[], verification)
                .unwrap();
            let public_key = &options["publicKey"];
            assert_eq!(public_key["rp"]["id"], RP_ID);
            assert_eq!(public_key["rp"]["name"], "Pforte Kasse");
            assert_eq!(public_key["user"]["name"], "erika");
            assert_eq!(public_key["user"]["displayName"], "Erika Mustermann");
            assert!(
                public_key["challenge"]
                    .as_str()
                    .is_some_and(|c| c.len() >= 22)
            );
            assert_eq!(
                public_key["authenticatorSelection"]["userVerification"],
                expected
            );
            // Browsers refuse a UV-required credential protection in a
            // ceremony that only prefers verification.
            assert_eq!(
                public_key["extensions"]
                    .get("credentialProtectionPolicy")
                    .is_some(),
                verification == UserVerification::Required
            );
            // The user handle is the account UUID, not a name.
            assert_eq!(public_key["user"]["id"], b64(user.as_bytes()));
            let state: Value = serde_json::from_str(&state).unwrap();
            assert!(state["kind"].is_string());
        }
    }

    #[test]
    fn r_mf_1_webauthn_registration_excludes_enrolled_credentials() {
        let enrolled = stored_credential(b"credential-one", true);
        let (options, _) = factor()
            .start_registration(
                Uuid::new_v4(),
                "erika",
                "Erika",
                std::slice::from_ref(&enrolled),
                UserVerification::Required,
            )
            .unwrap();
        let excluded = &options["publicKey"]["excludeCredentials"];
        assert_eq!(excluded[0]["id"], b64(b"credential-one"));
        assert_eq!(
            factor()
                .start_registration(
                    Uuid::new_v4(),
                    "erika",
                    "Erika",
                    &["{}".to_owned()],
                    UserVerification::Required
                )
                .unwrap_err(),
            WebauthnFactorError::Credential
        );
    }

    #[test]
    fn r_mf_1_webauthn_broken_state_or_response_is_a_clean_error() {
        let factor = factor();
        let (_, state) = factor
            .start_registration(
                Uuid::new_v4(),
                "erika",
                "Erika",
                &[],
                UserVerification::Required,
            )
            .unwrap();
        let client_data = json!({
            "type": "webauthn.create",
            "challenge": b64(b"not the challenge that was issued"),
            "origin": ORIGIN,
        })
        .to_string();
        let forged = json!({
            "id": b64(b"cred"),
            "rawId": b64(b"cred"),
            "type": "public-key",
            "response": {
                "attestationObject": b64(b"\xa0"),
                "clientDataJSON": b64(client_data.as_bytes()),
            },
        })
        .to_string();
        // (state, response, expected)
        let table: [(&str, &str, ErrorCheck); 4] = [
            ("garbage", &forged, |e| *e == WebauthnFactorError::State),
            (&state[..state.len() / 2], &forged, |e| {
                *e == WebauthnFactorError::State
            }),
            (&state, "{\"id\": 1}", |e| {
                *e == WebauthnFactorError::Response
            }),
            (&state, &forged, |e| {
                matches!(e, WebauthnFactorError::Rejected(_))
            }),
        ];
        for (state, response, expected) in table {
            let error = factor.finish_registration(state, response).unwrap_err();
            assert!(expected(&error), "{error:?}");
        }
        // An authentication state is not a registration state.
        let (_, auth_state) = factor
            .start_authentication(&[stored_credential(b"c", true)], UserVerification::Required)
            .unwrap();
        assert_eq!(
            factor
                .finish_registration(&auth_state, &forged)
                .unwrap_err(),
            WebauthnFactorError::State
        );
    }

    #[test]
    fn r_mf_1_webauthn_authentication_allows_the_accounts_credentials() {
        let credentials = [
            stored_credential(b"credential-one", true),
            stored_credential(b"credential-two", true),
        ];
        for (verification, expected) in [
            (UserVerification::Required, "required"),
            (UserVerification::Preferred, "preferred"),
        ] {
            let (options, state) = factor()
                .start_authentication(&credentials, verification)
                .unwrap();
            let public_key = &options["publicKey"];
            assert_eq!(public_key["rpId"], RP_ID);
            assert_eq!(public_key["userVerification"], expected);
            let allowed: Vec<&str> = public_key["allowCredentials"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|entry| entry["id"].as_str())
                .collect();
            assert_eq!(allowed, [b64(b"credential-one"), b64(b"credential-two")]);
            assert!(!state.is_empty());
        }
        assert_eq!(
            factor()
                .start_authentication(&[], UserVerification::Preferred)
                .unwrap_err(),
            WebauthnFactorError::UnknownCredential
        );
        assert_eq!(
            factor()
                .start_authentication(&["[]".to_owned()], UserVerification::Preferred)
                .unwrap_err(),
            WebauthnFactorError::Credential
        );
    }

    #[test]
    fn r_mf_1_webauthn_assertion_for_a_foreign_credential_is_refused() {
        let factor = factor();
        let mut credentials = vec![stored_credential(b"credential-one", true)];
        let (_, state) = factor
            .start_authentication(&credentials, UserVerification::Preferred)
            .unwrap();
        let assertion = |id: &[u8]| {
            json!({
                "id": b64(id),
                "rawId": b64(id),
                "type": "public-key",
                "response": {
                    "authenticatorData": b64(&[0u8; 37]),
                    "clientDataJSON": b64(b"{}"),
                    "signature": b64(b"sig"),
                    "userHandle": null,
                },
            })
            .to_string()
        };
        let before = credentials.clone();
        assert_eq!(
            factor
                .finish_authentication(&state, &assertion(b"someone-else"), &mut credentials)
                .unwrap_err(),
            WebauthnFactorError::UnknownCredential
        );
        assert!(matches!(
            factor
                .finish_authentication(&state, &assertion(b"credential-one"), &mut credentials)
                .unwrap_err(),
            WebauthnFactorError::Rejected(_)
        ));
        assert_eq!(
            factor
                .finish_authentication(
                    "{\"kind\":\"passkey\"}",
                    &assertion(b"credential-one"),
                    &mut credentials
                )
                .unwrap_err(),
            WebauthnFactorError::State
        );
        // Nothing was rewritten by failed attempts.
        assert_eq!(credentials, before);
    }

    #[test]
    fn r_mf_1_webauthn_discoverable_options_use_conditional_mediation() {
        let (options, state) = factor().start_discoverable_authentication().unwrap();
        assert_eq!(options["mediation"], "conditional");
        assert_eq!(options["publicKey"]["userVerification"], "required");
        let state: Value = serde_json::from_str(&state).unwrap();
        assert_eq!(state["kind"], "discoverable");
        let response = json!({
            "id": b64(b"c"),
            "rawId": b64(b"c"),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&[0u8; 37]),
                "clientDataJSON": b64(b"{}"),
                "signature": b64(b"sig"),
                "userHandle": b64(Uuid::nil().as_bytes()),
            },
        })
        .to_string();
        assert_eq!(
            factor().identify_discoverable(&response).unwrap(),
            (Uuid::nil(), b64(b"c"))
        );
    }

    #[test]
    fn r_mf_1_webauthn_stored_form_serves_both_flavours() {
        let json = stored_credential(b"credential-one", false);
        assert!(parse_passkey(&json).is_ok());
        assert!(parse_security_key(&json).is_ok());
        assert_eq!(credential_id(&json).unwrap(), b64(b"credential-one"));
        assert_eq!(credential_flags(&json).unwrap(), (false, true));
        assert!(!credential_user_verified(&json).unwrap());
        assert!(credential_user_verified(&stored_credential(b"c", true)).unwrap());
        assert!(credential_user_verified("{}").is_err());
        assert_eq!(
            credential_id("{\"cred\":{}}").unwrap_err(),
            WebauthnFactorError::Credential
        );
    }
}
