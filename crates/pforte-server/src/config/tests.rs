#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn load(toml: &str, pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_sources(Some(toml), Some("test.toml"), env(pairs))
}

fn problems(toml: &str, pairs: &[(&str, &str)]) -> Vec<String> {
    match load(toml, pairs) {
        Ok(settings) => panic!("expected problems, got {settings:?}"),
        Err(error) => error.problems(),
    }
}

fn assert_problem(toml: &str, key: &str) {
    let found = problems(toml, &[]);
    assert!(
        found
            .iter()
            .any(|problem| problem.starts_with(&format!("{key}:"))),
        "no problem naming {key} in {found:?}"
    );
}

#[test]
fn defaults_are_valid_without_file_or_environment() {
    let settings = Settings::from_sources(None, None, env(&[])).unwrap();
    assert_eq!(settings, Settings::default());
    assert!(settings.validate().is_empty());
    assert_eq!(settings.database_url(), "sqlite://data/pforte.db");
}

#[test]
fn file_values_replace_defaults_and_nested_sections_merge() {
    let settings = load(
        r#"
issuer = "https://login.example"
listen = "0.0.0.0:9000"
data_dir = "/var/lib/pforte"
demo = false
[tokens]
access_token_ttl_secs = 600
access_token_alg = "PS256"
[log]
format = "json"
"#,
        &[],
    )
    .unwrap();
    assert_eq!(settings.issuer, "https://login.example");
    assert_eq!(settings.listen, "0.0.0.0:9000");
    assert!(!settings.demo);
    assert_eq!(settings.tokens.access_token_ttl_secs, 600);
    assert_eq!(settings.tokens.access_token_alg, "PS256");
    assert_eq!(
        settings.tokens.code_ttl_secs, 60,
        "unset keys keep defaults"
    );
    assert_eq!(settings.log.format, "json");
    assert_eq!(
        settings.database_url(),
        "sqlite:///var/lib/pforte/pforte.db"
    );
}

#[test]
fn environment_overrides_file_including_nested_keys() {
    let settings = load(
        "issuer = \"https://file.example\"\n[tokens]\naccess_token_ttl_secs = 600\n",
        &[
            ("PFORTE_ISSUER", "https://env.example"),
            ("PFORTE_TOKENS__ACCESS_TOKEN_TTL_SECS", "120"),
            ("PFORTE_DEMO", "false"),
            ("PFORTE_DATABASE_URL", "postgres://postgres@127.0.0.1/test"),
            ("PFORTE_LOG__FORMAT", "json"),
        ],
    )
    .unwrap();
    assert_eq!(settings.issuer, "https://env.example");
    assert_eq!(settings.tokens.access_token_ttl_secs, 120);
    assert!(!settings.demo);
    assert_eq!(
        settings.database_url(),
        "postgres://postgres@127.0.0.1/test"
    );
    assert_eq!(settings.log.format, "json");
}

#[test]
fn config_file_variable_and_foreign_variables_are_not_keys() {
    let settings = load(
        "",
        &[
            ("PFORTE_CONFIG", "/etc/pforte/pforte.toml"),
            ("PFORTE_TEST_POSTGRES_URL", "postgres://127.0.0.1/test"),
            ("HOME", "/root"),
            ("RUST_LOG", "debug"),
        ],
    )
    .unwrap();
    assert_eq!(settings, Settings::default());
}

#[test]
fn unknown_file_keys_are_errors_naming_the_key() {
    let found = problems(
        "isuer = \"https://a.example\"\n[tokens]\naccess_ttl = 5\n[extra]\nx = 1\n",
        &[],
    );
    assert!(
        found.contains(&"isuer: unknown key in test.toml".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"tokens.access_ttl: unknown key in test.toml".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"extra: unknown key in test.toml".to_owned()),
        "{found:?}"
    );
}

#[test]
fn unknown_environment_keys_are_errors_naming_the_variable() {
    let found = problems("", &[("PFORTE_TOKENS__NOPE", "1"), ("PFORTE_ISSUR", "x")]);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("tokens.nope:") && p.contains("PFORTE_TOKENS__NOPE")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("issur:") && p.contains("PFORTE_ISSUR")),
        "{found:?}"
    );
    let single = problems("", &[("PFORTE_TOKENS_CODE_TTL_SECS", "30")]);
    assert!(single[0].contains("double underscore"), "{single:?}");
    let section = problems("", &[("PFORTE_TOKENS", "30")]);
    assert!(section[0].starts_with("tokens:"), "{section:?}");
}

#[test]
fn wrong_types_name_the_key() {
    let found = problems("[tokens]\ncode_ttl_secs = \"soon\"\n", &[]);
    assert!(found[0].contains("tokens.code_ttl_secs"), "{found:?}");
    let from_env = problems("", &[("PFORTE_DEMO", "maybe")]);
    assert!(from_env[0].contains("demo"), "{from_env:?}");
}

#[test]
fn broken_toml_is_a_read_error() {
    let error = load("issuer = ", &[]).unwrap_err();
    assert!(matches!(error, ConfigError::Read(_)), "{error:?}");
    assert!(error.to_string().contains("test.toml"));
}

#[test]
fn missing_file_is_a_read_error_naming_the_file() {
    let error =
        Settings::load_from(Some(Path::new("/nonexistent/pforte.toml")), env(&[])).unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/pforte.toml"),
        "{error}"
    );
}

#[test]
fn load_from_reads_a_file() {
    let dir = std::env::temp_dir().join(format!("pforte-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pforte.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:9999\"\n").unwrap();
    let settings = Settings::load_from(Some(&path), env(&[])).unwrap();
    assert_eq!(settings.listen, "127.0.0.1:9999");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn oidc_discovery_3_issuer_must_be_absolute_https_without_query_fragment_or_trailing_slash() {
    for bad in [
        "login.example",
        "https://login.example/",
        "https://login.example/realm/",
        "https://login.example?tenant=a",
        "https://login.example#top",
        "http://login.example",
        "ftp://login.example",
        "https://user:pw@login.example",
        "",
    ] {
        assert!(validate::issuer(bad).is_some(), "{bad} accepted");
        assert_problem(&format!("issuer = {bad:?}"), "issuer");
    }
    for good in [
        "https://login.example",
        "https://login.example:8443/realm",
        "http://127.0.0.1:8080",
        "http://127.1.2.3",
        "http://[::1]:8080",
        "http://localhost:8080",
    ] {
        assert_eq!(validate::issuer(good), None, "{good} rejected");
    }
}

#[test]
fn listen_must_be_a_socket_address() {
    assert_problem("listen = \"localhost\"", "listen");
    assert_problem("listen = \"127.0.0.1\"", "listen");
    assert!(load("listen = \"[::]:443\"", &[]).is_ok());
}

#[test]
fn rfc9700_code_lifetime_is_between_1_and_60_seconds() {
    assert_problem("[tokens]\ncode_ttl_secs = 0", "tokens.code_ttl_secs");
    assert_problem("[tokens]\ncode_ttl_secs = 61", "tokens.code_ttl_secs");
    assert!(load("[tokens]\ncode_ttl_secs = 1", &[]).is_ok());
    assert!(load("[tokens]\ncode_ttl_secs = 60", &[]).is_ok());
}

#[test]
fn other_lifetimes_must_be_positive() {
    for key in [
        "tokens.access_token_ttl_secs",
        "tokens.id_token_ttl_secs",
        "tokens.refresh_token_ttl_secs",
        "tokens.par_ttl_secs",
        "session.ttl_secs",
        "session.interaction_ttl_secs",
    ] {
        let (section, name) = key.split_once('.').unwrap();
        assert_problem(&format!("[{section}]\n{name} = 0"), key);
    }
}

#[test]
fn r_op_5_key_reload_interval_is_between_1_second_and_an_hour() {
    assert_problem(
        "[keys]\nreload_interval_secs = 0",
        "keys.reload_interval_secs",
    );
    assert_problem(
        "[keys]\nreload_interval_secs = 3601",
        "keys.reload_interval_secs",
    );
    let settings = load("[keys]\nreload_interval_secs = 1", &[]).unwrap();
    assert_eq!(settings.keys.reload_interval_secs, 1);
    let settings = load("", &[("PFORTE_KEYS__RELOAD_INTERVAL_SECS", "3600")]).unwrap();
    assert_eq!(settings.keys.reload_interval_secs, 3600);
}

#[test]
fn access_token_alg_is_one_of_the_signing_algorithms() {
    assert_problem(
        "[tokens]\naccess_token_alg = \"HS256\"",
        "tokens.access_token_alg",
    );
    assert_problem(
        "[tokens]\naccess_token_alg = \"none\"",
        "tokens.access_token_alg",
    );
    for alg in ["ES256", "RS256", "PS256", "EdDSA"] {
        assert!(load(&format!("[tokens]\naccess_token_alg = {alg:?}"), &[]).is_ok());
    }
}

#[test]
fn database_url_is_sqlite_or_postgres_and_never_echoed() {
    let found = problems("database_url = \"mysql://root:hunter2@db/pforte\"", &[]);
    assert!(found[0].starts_with("database_url:"), "{found:?}");
    assert!(!found[0].contains("hunter2"), "{found:?}");
    for good in ["sqlite::memory:", "postgres://a@b/c", "postgresql://a@b/c"] {
        assert!(
            load(&format!("database_url = {good:?}"), &[]).is_ok(),
            "{good}"
        );
    }
}

#[test]
fn r_op_4_master_key_is_base64_of_32_bytes_and_never_echoed() {
    let short = "c2hvcnQ=";
    let found = problems(&format!("master_key = {short:?}"), &[]);
    assert!(found[0].starts_with("master_key:"), "{found:?}");
    assert!(!found[0].contains(short), "{found:?}");
    assert_problem("master_key = \"%%%\"", "master_key");
    let good = pforte_crypto::MasterKey::generate().to_base64();
    assert!(load("", &[("PFORTE_MASTER_KEY", &good)]).is_ok());
}

#[test]
fn log_format_is_text_or_json_and_level_a_filter() {
    assert_problem("[log]\nformat = \"xml\"", "log.format");
    assert_problem("[log]\nlevel = \"pforte=loud\"", "log.level");
    assert!(
        load(
            "[log]\nformat = \"json\"\nlevel = \"pforte=debug,info\"",
            &[]
        )
        .is_ok()
    );
}

#[test]
fn r_pw_1_argon2_parameters_are_checked_at_load() {
    assert_problem(
        "[password_hashing]\niterations = 0",
        "password_hashing.iterations",
    );
    assert_problem(
        "[password_hashing]\nparallelism = 0",
        "password_hashing.parallelism",
    );
    assert_problem(
        "[password_hashing]\nmemory_kib = 4",
        "password_hashing.memory_kib",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let found = problems(
        "issuer = \"http://login.example\"\nlisten = \"nowhere\"\ncolour = 1\n[tokens]\ncode_ttl_secs = 600\n",
        &[("PFORTE_LOG__FORMAT", "xml"), ("PFORTE_NOPE", "1")],
    );
    assert_eq!(found.len(), 6, "{found:?}");
    let message = ConfigError::Problems(found).to_string();
    assert!(message.contains("  - issuer:"), "{message}");
}

const EXAMPLE: &str = include_str!("../../../../config/pforte.example.toml");

#[test]
fn example_file_loads_to_exactly_the_defaults() {
    let settings = load(EXAMPLE, &[]).unwrap();
    assert_eq!(settings, Settings::default());
}

#[test]
fn example_file_documents_every_key() {
    fn leaves(node: &serde_json::Value, prefix: &str, out: &mut Vec<(String, String)>) {
        if let serde_json::Value::Object(members) = node {
            for (key, value) in members {
                if value.is_object() {
                    leaves(value, key, out);
                } else {
                    out.push((prefix.to_owned(), key.clone()));
                }
            }
        }
    }
    let mut keys = Vec::new();
    leaves(&known_keys(), "", &mut keys);
    let mut section = String::new();
    let mut documented = Vec::new();
    for line in EXAMPLE.lines() {
        let line = line.trim_start_matches('#').trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            // An optional section (absent by default) is documented by its
            // header, e.g. `# [notify.smtp]`.
            if let Some((parent, child)) = name.rsplit_once('.') {
                documented.push((parent.to_owned(), child.to_owned()));
            }
        } else if let Some((key, _)) = line.split_once(" = ") {
            documented.push((section.clone(), key.to_owned()));
        }
    }
    for key in keys {
        assert!(
            documented.contains(&key),
            "{key:?} not in config/pforte.example.toml"
        );
    }
}

fn policies_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/policies")
}

#[test]
fn r_pw_2_every_shipped_policy_preset_passes_the_check() {
    let mut checked = 0;
    for entry in std::fs::read_dir(policies_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|ext| ext.to_str()) != Some("toml") {
            continue;
        }
        let policy = load_policy_file(&path).unwrap_or_else(|problems| {
            panic!("{}: {problems:?}", path.display());
        });
        assert!(!policy.name.is_empty(), "{}", path.display());
        let toml = format!("policy_file = {:?}\n", path.display().to_string());
        let settings = load(&toml, &[]).unwrap();
        assert_eq!(settings.policy().unwrap(), policy);
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} presets found");
}

#[test]
fn r_pw_2_without_policy_file_the_built_in_default_applies() {
    let settings = load("", &[]).unwrap();
    assert_eq!(settings.policy_file, None);
    let policy = settings.policy().unwrap();
    assert_eq!(policy, pforte_policy::ResolvedPolicy::default());
    assert_eq!(policy.password.min_length, 15);
    assert_eq!(policy.lockout.max_failures, 10);
}

#[test]
fn r_pw_2_a_broken_policy_file_is_reported_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(
        &path,
        "[lockout]\nmax_failures = 0\n[password]\nmin_length = 0\n",
    )
    .unwrap();
    let toml = format!("policy_file = {:?}\n", path.display().to_string());
    let found = problems(&toml, &[]);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("policy_file:") && p.contains("lockout.max_failures")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("password.min_length")),
        "{found:?}"
    );
    let missing = problems("policy_file = \"/nonexistent/policy.toml\"\n", &[]);
    assert!(
        missing[0].starts_with("policy_file: cannot read"),
        "{missing:?}"
    );
}

#[test]
fn client_cache_lifetime_is_0_to_300_seconds() {
    assert_problem(
        "[tokens]\nclient_cache_ttl_secs = 301",
        "tokens.client_cache_ttl_secs",
    );
    assert_eq!(
        load("[tokens]\nclient_cache_ttl_secs = 0", &[])
            .unwrap()
            .tokens
            .client_cache_ttl_secs,
        0
    );
    assert!(load("[tokens]\nclient_cache_ttl_secs = 300", &[]).is_ok());
}

#[test]
fn r_op_5_session_store_is_memory_or_redis_with_a_url() {
    assert_problem("[session]\nstore = \"disk\"", "session.store");
    assert_problem("[session]\nstore = \"redis\"", "session.redis_url");
    assert_problem(
        "[session]\nstore = \"redis\"\nredis_url = \"http://cache\"",
        "session.redis_url",
    );
    assert_problem(
        "[session]\nstore = \"redis\"\nredis_url = \"redis://cache\"\nredis_key_prefix = \"\"",
        "session.redis_key_prefix",
    );
    assert!(
        load(
            "[session]\nstore = \"redis\"\nredis_url = \"rediss://cache:6380\"",
            &[]
        )
        .is_ok()
    );
}

#[test]
fn r_se_1_idle_timeout_is_off_or_between_two_minutes_and_the_absolute_lifetime() {
    assert_eq!(Settings::default().session.idle_timeout_secs, 900);
    assert_problem(
        "[session]\nidle_timeout_secs = 119",
        "session.idle_timeout_secs",
    );
    assert_problem(
        "[session]\nttl_secs = 3600\nidle_timeout_secs = 3601",
        "session.idle_timeout_secs",
    );
    assert!(load("[session]\nidle_timeout_secs = 0", &[]).is_ok());
    assert!(load("[session]\nidle_timeout_secs = 120", &[]).is_ok());
    assert!(load("[session]\nttl_secs = 3600\nidle_timeout_secs = 3600", &[]).is_ok());
}

#[test]
fn r_se_2_logout_delivery_settings_are_bounded() {
    let settings = load(
        "[logout]\nbackchannel_max_attempts = 3\nbackchannel_retry_base_secs = 2\n",
        &[],
    )
    .unwrap();
    assert_eq!(settings.logout.backchannel_max_attempts, 3);
    assert_eq!(settings.logout.backchannel_retry_base_secs, 2);
    assert_eq!(
        settings.logout.token_ttl_secs, 120,
        "unset keys keep defaults"
    );
    assert_problem("[logout]\ntoken_ttl_secs = 0\n", "logout.token_ttl_secs");
    assert_problem("[logout]\ntoken_ttl_secs = 3600\n", "logout.token_ttl_secs");
    assert_problem(
        "[logout]\nbackchannel_timeout_secs = 61\n",
        "logout.backchannel_timeout_secs",
    );
    assert_problem(
        "[logout]\nbackchannel_max_attempts = 0\n",
        "logout.backchannel_max_attempts",
    );
    assert_problem(
        "[logout]\nbackchannel_retry_base_secs = 60\nbackchannel_retry_max_secs = 10\n",
        "logout.backchannel_retry_max_secs",
    );
    assert_problem(
        "[logout]\nbackchannel_poll_interval_secs = 0\n",
        "logout.backchannel_poll_interval_secs",
    );
}

#[test]
fn r_rg_5_ident_needs_issuer_client_and_openid_when_enabled() {
    // Off by default: nothing else is required.
    assert!(!Settings::default().ident.enabled);
    let settings = load(
        "[ident]\nenabled = true\nissuer = \"https://ident.example\"\nclient_id = \"pf\"\n",
        &[("PFORTE_IDENT__CLIENT_SECRET", "s3cret")],
    )
    .unwrap();
    assert_eq!(settings.ident.client_secret, "s3cret");
    assert_eq!(settings.ident.scopes, "openid profile");
    for (toml, key) in [
        ("[ident]\nenabled = true\n", "ident.issuer"),
        ("[ident]\nenabled = true\n", "ident.client_id"),
        ("[ident]\nenabled = true\n", "ident.client_secret"),
        (
            "[ident]\nenabled = true\nissuer = \"http://ident.example\"\n",
            "ident.issuer",
        ),
        (
            "[ident]\nenabled = true\nissuer = \"https://ident.example/\"\n",
            "ident.issuer",
        ),
        (
            "[ident]\nenabled = true\nscopes = \"profile\"\n",
            "ident.scopes",
        ),
        (
            "[ident]\nenabled = true\ntimeout_secs = 0\n",
            "ident.timeout_secs",
        ),
    ] {
        assert_problem(toml, key);
    }
    // A loopback issuer may be plain http (a trial on one machine).
    load(
        "[ident]\nenabled = true\nissuer = \"http://127.0.0.1:9000\"\nclient_id = \"pf\"\nclient_secret = \"x\"\n",
        &[],
    )
    .unwrap();
}

#[test]
fn r_rg_1_member_lookup_url_header_and_timeout_are_checked() {
    let settings = load(
        "[members]\nlookup_url = \"https://members.example/lookup\"\nlookup_authorization = \"Bearer t\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(settings.members.lookup_timeout_ms, 3000);
    assert_problem(
        "[members]\nlookup_url = \"http://members.example/lookup\"\n",
        "members.lookup_url",
    );
    assert_problem(
        "[members]\nlookup_authorization = \"Bearer t\"\n",
        "members.lookup_authorization",
    );
    assert_problem(
        "[members]\nlookup_url = \"https://m.example\"\nlookup_authorization = \"Bearer \u{e4}\"\n",
        "members.lookup_authorization",
    );
    assert_problem(
        "[members]\nlookup_timeout_ms = 50\n",
        "members.lookup_timeout_ms",
    );
}

#[test]
fn r_op_1_admin_level_must_be_known_and_need_a_second_factor() {
    let ok = load("[admin]\nrequired_acr = \"loa-substantial\"\n", &[]).unwrap();
    assert_eq!(ok.admin.required_acr.as_deref(), Some("loa-substantial"));
    assert_problem(
        "[admin]\nrequired_acr = \"loa-low\"\n",
        "admin.required_acr",
    );
    assert_problem(
        "[admin]\nrequired_acr = \"loa-ultra\"\n",
        "admin.required_acr",
    );
    // Off, the level is not checked.
    load(
        "[admin]\nenabled = false\nrequired_acr = \"loa-low\"\n",
        &[],
    )
    .unwrap();
    assert_problem(
        "[admin]\nidle_timeout_secs = 10\n",
        "admin.idle_timeout_secs",
    );
    assert_problem(
        "[admin]\nabsolute_timeout_secs = 600\nidle_timeout_secs = 900\n",
        "admin.idle_timeout_secs",
    );
    let defaults = AdminSettings::default();
    let assurance = pforte_policy::ResolvedPolicy::default().assurance;
    assert_eq!(
        admin_required_acr(&defaults, &assurance).as_deref(),
        Some("loa-high")
    );
}
