// Diesel table definitions; kept in step with migrations/ (the `schema_matches_database` test
// compares them against a migrated database).

diesel::table! {
    users (id) {
        id -> Uuid,
        phone_number -> Text,
        full_name -> Text,
        role -> Text,
        approval_status -> Text,
        is_active -> Bool,
        is_blocked -> Bool,
        blocked_reason -> Nullable<Text>,
        blocked_at -> Nullable<Timestamptz>,
        is_unlimited_user -> Bool,
        quota_purchased_bytes -> Int8,
        quota_used_bytes -> Int8,
        quota_expiry_date -> Nullable<Timestamptz>,
        password_hash -> Nullable<Text>,
        profile -> Jsonb,
        approved_at -> Nullable<Timestamptz>,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        phone_verified_at -> Nullable<Timestamptz>,
        device_limit_override -> Nullable<Int4>,
        rejected_reason -> Nullable<Text>,
        deactivated_at -> Nullable<Timestamptz>,
        access_status -> Text,
        language -> Text,
        messages_opt_out -> Bool,
        block_cause -> Nullable<Text>,
        manual_debt_bytes -> Int8,
        manual_debt_items -> Int4,
    }
}

diesel::table! {
    routers (id) {
        id -> Int4,
        name -> Text,
        host -> Text,
        port -> Int4,
        use_tls -> Bool,
        username -> Text,
        hotspot_server -> Text,
        is_enabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        password_sealed -> Nullable<Bytea>,
        tls_fingerprint -> Nullable<Text>,
        client_ranges -> Array<Text>,
        egress_addresses -> Array<Text>,
        site_token -> Nullable<Text>,
        status_lists -> Nullable<Jsonb>,
        status_profiles -> Nullable<Jsonb>,
        comment_prefix -> Text,
        max_in_flight -> Int4,
        from_env -> Bool,
        last_contact_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        ros_version -> Nullable<Text>,
        identity -> Nullable<Text>,
        housekeeping -> Jsonb,
        mode -> Text,
        radius_secret_sealed -> Nullable<Bytea>,
        radius_address -> Nullable<Text>,
        radius_coa_port -> Int4,
    }
}

diesel::table! {
    radius_sessions (router_id, session_id) {
        router_id -> Int4,
        session_id -> Text,
        user_id -> Uuid,
        mac_address -> Text,
        framed_ip -> Nullable<Text>,
        charged_bytes -> Int8,
        started_at -> Timestamptz,
        updated_at -> Timestamptz,
        stopped_at -> Nullable<Timestamptz>,
        stop_cause -> Nullable<Text>,
    }
}

diesel::table! {
    user_devices (id) {
        id -> Int8,
        user_id -> Uuid,
        mac_address -> Text,
        ip_address -> Nullable<Text>,
        label -> Nullable<Text>,
        router_id -> Nullable<Int4>,
        is_authorized -> Bool,
        authorized_at -> Nullable<Timestamptz>,
        deauthorized_at -> Nullable<Timestamptz>,
        first_seen_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        proof_hash -> Nullable<Bytea>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        user_id -> Uuid,
        token_hash -> Bytea,
        family_id -> Uuid,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
        replaced_by -> Nullable<Int8>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        device_id -> Nullable<Int8>,
        elevated -> Bool,
    }
}

diesel::table! {
    login_history (id) {
        id -> Int8,
        user_id -> Uuid,
        device_id -> Nullable<Int8>,
        method -> Text,
        ip_address -> Nullable<Text>,
        mac_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    device_counters (router_id, mac_address) {
        router_id -> Int4,
        mac_address -> Text,
        host_id -> Text,
        last_bytes -> Int8,
        last_uptime_secs -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    usage_daily (user_id, day) {
        user_id -> Uuid,
        day -> Date,
        bytes -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    quota_ledger (id) {
        id -> Int8,
        user_id -> Uuid,
        delta_bytes -> Int8,
        source -> Text,
        idempotency_key -> Text,
        details -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sync_runs (id) {
        id -> Int8,
        trigger -> Text,
        job_id -> Nullable<Text>,
        status -> Text,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        users_count -> Int4,
        devices_count -> Int4,
        bytes_charged -> Int8,
        router_commands -> Int4,
        router_writes -> Int4,
        error_count -> Int4,
        errors -> Jsonb,
        hosts_count -> Int4,
        stage -> Nullable<Text>,
        router_id -> Nullable<Int4>,
    }
}

diesel::table! {
    usage_day_totals (day, shard) {
        day -> Date,
        shard -> Int4,
        bytes -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    message_log (id) {
        id -> Int8,
        user_id -> Nullable<Uuid>,
        to_msisdn -> Text,
        template -> Text,
        provider -> Text,
        provider_message_id -> Nullable<Text>,
        status -> Text,
        error -> Nullable<Text>,
        attempts -> Int4,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        delivered_at -> Nullable<Timestamptz>,
        read_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        idempotency_key -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        actor_user_id -> Nullable<Uuid>,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        details -> Jsonb,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
        actor -> Text,
        client_ip -> Nullable<Text>,
    }
}

diesel::table! {
    runtime_settings (key) {
        key -> Text,
        value -> Jsonb,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    packages (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        price_idr -> Int8,
        quota_bytes -> Int8,
        is_unlimited -> Bool,
        validity_days -> Int4,
        is_active -> Bool,
        sort_order -> Int4,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        site_ids -> Array<Int4>,
    }
}

diesel::table! {
    transactions (id) {
        id -> Uuid,
        order_id -> Text,
        user_id -> Uuid,
        package_id -> Nullable<Uuid>,
        package_name -> Text,
        amount_idr -> Int8,
        quota_bytes -> Int8,
        is_unlimited -> Bool,
        validity_days -> Int4,
        channel -> Text,
        state -> Text,
        failure_reason -> Nullable<Text>,
        snap_token -> Nullable<Text>,
        redirect_url -> Nullable<Text>,
        provider_transaction_id -> Nullable<Text>,
        payment_type -> Nullable<Text>,
        provider_status -> Nullable<Text>,
        fraud_status -> Nullable<Text>,
        refunded_amount_idr -> Nullable<Int8>,
        ledger_id -> Nullable<Int8>,
        note -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        expires_at -> Timestamptz,
        paid_at -> Nullable<Timestamptz>,
        refunded_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        purpose -> Text,
        debt_id -> Nullable<Uuid>,
        debt_auto_bytes -> Nullable<Int8>,
    }
}

diesel::table! {
    transaction_events (id) {
        id -> Int8,
        transaction_id -> Uuid,
        source -> Text,
        event_type -> Text,
        state_after -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    voucher_batches (id) {
        id -> Uuid,
        package_id -> Uuid,
        code_count -> Int4,
        note -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Uuid>,
        site_ids -> Array<Int4>,
    }
}

diesel::table! {
    vouchers (id) {
        id -> Uuid,
        batch_id -> Uuid,
        seq -> Int4,
        code_hash -> Text,
        redeemed_by -> Nullable<Uuid>,
        redeemed_at -> Nullable<Timestamptz>,
        ledger_id -> Nullable<Int8>,
    }
}

diesel::joinable!(user_devices -> users (user_id));
diesel::joinable!(user_devices -> routers (router_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(refresh_tokens -> user_devices (device_id));
diesel::joinable!(login_history -> users (user_id));
diesel::joinable!(login_history -> user_devices (device_id));
diesel::joinable!(device_counters -> routers (router_id));
diesel::joinable!(usage_daily -> users (user_id));
diesel::joinable!(quota_ledger -> users (user_id));
diesel::joinable!(message_log -> users (user_id));
diesel::joinable!(audit_log -> users (actor_user_id));
diesel::joinable!(runtime_settings -> users (updated_by));
diesel::joinable!(transactions -> packages (package_id));
diesel::joinable!(transaction_events -> transactions (transaction_id));
diesel::joinable!(voucher_batches -> packages (package_id));
diesel::joinable!(vouchers -> voucher_batches (batch_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    routers,
    user_devices,
    refresh_tokens,
    login_history,
    device_counters,
    usage_daily,
    quota_ledger,
    sync_runs,
    message_log,
    audit_log,
    runtime_settings,
    usage_day_totals,
    packages,
    transactions,
    transaction_events,
    voucher_batches,
    vouchers,
    radius_sessions,
);

mod console;
pub use console::*;

mod money;
pub use money::*;
