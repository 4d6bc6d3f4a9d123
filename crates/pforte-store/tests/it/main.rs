//! Store port tests (DESIGN.md §7): one suite of port tests, run against SQLite
//! always and against PostgreSQL when it is reachable.
//!
//! `store_suite!` turns every suite function into two tests, `sqlite::<name>` on
//! a fresh database file and `postgres::<name>` in a fresh schema, so both
//! backends prove the same rules. The in-process `MemoryStore` has its own module,
//! and so has `RedisStore`, run against Redis when it is reachable.
//!
//! `redis_suite!` runs the suite functions of codes, PAR requests, assertion
//! `jti`s and code challenges a third time, as `on_redis::<name>`, on the
//! Redis stores of one-time artefacts (over SQLite for the durable rest), so
//! Redis keeps exactly the semantics of the SQL store. Throttle counters have
//! their own suite (`throttle`), run in process and on Redis.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod artefacts;
mod backends;
mod challenges;
mod clients;
mod connect;
mod erasure;
mod factors;
mod fixtures;
mod grants;
mod keys;
mod letters;
mod lockout;
mod logout_deliveries;
mod member_links;
mod members;
mod memory;
mod operators;
mod outbox;
mod profile;
mod redis;
mod redis_artefacts;
mod throttle;

/// Defines `sqlite::<name>` and `postgres::<name>` for each suite function
/// `<module>::<name>(&SqlStore)`.
macro_rules! store_suite {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let backend = crate::backends::sqlite().await;
                    crate::$module::$name(&backend.store).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(backend) = crate::backends::postgres().await else {
                        return;
                    };
                    crate::$module::$name(&backend.store).await;
                    backend.drop_schema().await;
                }
            )*
        }
    };
}

store_suite! {
    connect::migrating_again_changes_nothing,
    clients::clients_round_trip_through_insert_get_and_list,
    clients::inserting_a_taken_client_id_is_a_conflict,
    clients::removing_a_client_reports_whether_it_existed,
    clients::removing_a_client_removes_its_grants,
    clients::r_ac_2_client_default_and_minimum_levels_round_trip,
    clients::r_se_2_client_logout_endpoints_round_trip,
    clients::r_op_1_updating_a_client_replaces_its_record_but_not_its_grants,
    clients::r_op_2_client_brand_round_trips,
    logout_deliveries::r_se_2_due_deliveries_are_claimed_once_until_the_claim_lapses,
    logout_deliveries::r_se_2_a_failed_delivery_is_rescheduled_with_its_attempts,
    logout_deliveries::r_se_2_parallel_claims_hand_each_delivery_to_one_node,
    accounts::accounts_round_trip_and_are_found_by_username_in_any_case,
    accounts::r_id_1_usernames_differing_only_in_case_conflict,
    accounts::r_id_1_login_by_verified_email_finds_exactly_one_account,
    accounts::inserting_a_taken_account_id_is_a_conflict,
    accounts::r_pw_1_setting_the_password_hash_replaces_it_and_touches_updated_at,
    accounts::oidc_core_5_1_subject_claims_come_from_the_account,
    keys::inserting_an_active_key_retires_the_previous_one,
    keys::a_failed_key_insert_leaves_the_active_key_untouched,
    keys::a_key_set_of_several_algorithms_becomes_active_together,
    keys::delete_retired_before_removes_only_keys_retired_earlier,
    grants::grants_round_trip_and_keep_their_first_revocation_time,
    grants::code_round_trips_and_is_fresh_on_first_consumption,
    grants::code_is_consumed_exactly_once_under_parallel_redemption,
    grants::consuming_an_unknown_code_reports_unknown,
    grants::code_for_an_unknown_grant_is_rejected,
    grants::rfc9700_refresh_rotation_reports_reuse_of_a_rotated_token,
    grants::refresh_token_rotates_exactly_once_under_parallel_use,
    grants::active_refresh_token_is_found_only_while_unused_and_its_grant_stands,
    artefacts::rfc9126_pushed_request_is_taken_exactly_once,
    artefacts::rfc9126_pushed_request_is_taken_by_one_of_many_parallel_takers,
    artefacts::rfc7523_assertion_jti_replay_is_detected_per_client,
    artefacts::rfc7009_access_token_revocation_is_remembered,
    artefacts::purge_expired_deletes_only_expired_artefacts,
    lockout::r_lo_3_fifty_parallel_wrong_attempts_count_exactly_n_and_lock_once,
    lockout::r_lo_4_unknown_names_are_counted_and_locked_like_accounts,
    lockout::r_lo_1_success_clears_the_counter_and_is_audited,
    lockout::r_pw_2_history_keeps_previous_hashes_up_to_the_depth,
    lockout::r_lo_4_idle_counters_of_unknown_names_are_purged_but_not_locks,
    factors::r_mf_1_factors_round_trip_oldest_first_with_their_enrolment_events,
    factors::r_mf_1_a_factor_of_an_unknown_account_is_refused_without_its_event,
    factors::r_mf_1_a_webauthn_credential_is_registered_to_one_account_only,
    factors::r_mf_1_confirming_marks_the_factor_proven_with_its_event,
    factors::r_mf_1_remove_factor_of_another_account_returns_false_and_keeps_it,
    factors::r_mf_1_rename_factor_only_within_its_account,
    factors::r_mf_3_totp_step_is_accepted_once_and_only_forward,
    factors::r_mf_3_totp_step_is_accepted_once_under_twenty_parallel_uses,
    factors::r_mf_1_public_data_and_use_are_recorded,
    factors::r_mf_2_new_recovery_codes_void_the_old_ones_with_their_event,
    factors::r_mf_2_a_recovery_code_is_single_use_and_per_account,
    factors::r_mf_2_a_recovery_code_is_consumed_once_under_twenty_parallel_uses,
    challenges::r_mf_3_a_right_code_matches_once_and_the_challenge_is_gone,
    challenges::r_mf_3_wrong_codes_count_down_and_then_the_challenge_is_exhausted,
    challenges::r_mf_3_twenty_parallel_wrong_attempts_use_exactly_three_tries,
    challenges::r_mf_3_a_resent_code_replaces_the_old_one,
    challenges::r_mf_3_an_expired_code_is_refused_and_deleted,
    challenges::r_mf_3_a_code_counts_only_for_its_account_and_purpose,
    challenges::purging_deletes_only_expired_challenges,
    profile::r_rg_7_the_latest_accepted_terms_version_is_returned_with_its_events,
    profile::r_rg_2_verified_contacts_are_set_on_the_account_with_their_events,
    profile::profile_changes_of_an_unknown_account_are_refused_without_events,
    profile::r_mf_4_the_sealed_card_serial_is_stored_and_replaced,
    members::r_id_4_members_are_inserted_updated_or_left_unchanged,
    members::r_id_4_a_large_import_spanning_chunks_is_written_completely,
    members::r_id_4_a_failing_import_writes_nothing,
    member_links::r_rg_1_a_registration_writes_account_link_and_event_together,
    member_links::r_rg_1_a_member_already_registered_is_a_conflict_with_nothing_written,
    member_links::r_id_4_stages_move_with_their_events_and_the_first_activation_is_kept,
    member_links::r_id_4_membership_over_and_restarted_are_found_by_the_member_dates,
    member_links::r_rg_1_deleting_the_account_frees_the_member,
    member_links::r_rc_4_co_insured_people_with_accounts_are_counted_for_the_main_member,
    member_links::r_rg_4_an_activation_code_is_single_use_replaced_by_a_new_one_and_expires,
    member_links::r_rg_6_an_invitation_is_used_once_and_not_after_it_expired,
    outbox::outbox_round_trips_newest_first_with_filters,
    outbox::outbox_appends_a_message_id_only_once,
    letters::r_rg_4_letters_stay_pending_oldest_first_until_exported,
    letters::r_rg_4_a_letter_is_claimed_by_one_batch_only,
    letters::r_rg_4_a_new_letter_supersedes_the_pending_one_of_the_account,
    erasure::r_rc_4_erasure_removes_the_account_and_pseudonymises_its_trail,
    operators::r_op_1_audit_events_keep_the_operator_who_acted,
    operators::r_op_1_the_timeline_reads_newest_first_and_bounded,
    operators::r_op_1_roles_are_granted_once_listed_and_revoked,
    operators::r_op_1_a_role_of_an_unknown_account_is_refused,
}

/// Defines `on_redis::<name>` for each suite function: the grant functions get
/// a `RedisGrantStore` over a fresh SQLite store, the challenge functions a
/// `RedisChallengeStore`, both under a fresh Redis key prefix. Skipped with a
/// message when Redis is absent, a failure under `CI=true`.
macro_rules! redis_suite {
    (
        grants: [$($gm:ident :: $gn:ident),* $(,)?],
        challenges: [$($cm:ident :: $cn:ident),* $(,)?] $(,)?
    ) => {
        mod on_redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $gn() {
                    let Some(redis) = crate::redis_artefacts::redis().await else {
                        return;
                    };
                    let sql = crate::backends::sqlite().await;
                    crate::$gm::$gn(&redis.grants(sql.store.clone())).await;
                    redis.clean_up().await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $cn() {
                    let Some(redis) = crate::redis_artefacts::redis().await else {
                        return;
                    };
                    crate::$cm::$cn(&redis.challenges()).await;
                    redis.clean_up().await;
                }
            )*
        }
    };
}

// Purging is the SQL store's job only: Redis expires artefacts by itself
// (checked through their TTLs in `redis_artefacts`).
redis_suite! {
    grants: [
        grants::grants_round_trip_and_keep_their_first_revocation_time,
        grants::code_round_trips_and_is_fresh_on_first_consumption,
        grants::code_is_consumed_exactly_once_under_parallel_redemption,
        grants::consuming_an_unknown_code_reports_unknown,
        grants::code_for_an_unknown_grant_is_rejected,
        grants::rfc9700_refresh_rotation_reports_reuse_of_a_rotated_token,
        grants::refresh_token_rotates_exactly_once_under_parallel_use,
        grants::active_refresh_token_is_found_only_while_unused_and_its_grant_stands,
        artefacts::rfc9126_pushed_request_is_taken_exactly_once,
        artefacts::rfc9126_pushed_request_is_taken_by_one_of_many_parallel_takers,
        artefacts::rfc7523_assertion_jti_replay_is_detected_per_client,
        artefacts::rfc7009_access_token_revocation_is_remembered,
    ],
    challenges: [
        challenges::r_mf_3_a_right_code_matches_once_and_the_challenge_is_gone,
        challenges::r_mf_3_wrong_codes_count_down_and_then_the_challenge_is_exhausted,
        challenges::r_mf_3_twenty_parallel_wrong_attempts_use_exactly_three_tries,
        challenges::r_mf_3_a_resent_code_replaces_the_old_one,
        challenges::r_mf_3_an_expired_code_is_refused_and_deleted,
        challenges::r_mf_3_a_code_counts_only_for_its_account_and_purpose,
    ],
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_two_nodes_r_lo_3_count_exactly_n() {
    let backend = crate::backends::sqlite().await;
    crate::lockout::r_lo_3_two_nodes_on_one_database_count_exactly_n(&backend.store, &backend.url)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_nodes_r_lo_3_count_exactly_n() {
    let Some(backend) = crate::backends::postgres().await else {
        return;
    };
    crate::lockout::r_lo_3_two_nodes_on_one_database_count_exactly_n(&backend.store, &backend.url)
        .await;
    backend.drop_schema().await;
}
