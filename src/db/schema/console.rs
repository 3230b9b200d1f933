//! The console's tables (update submissions, promotions, komandans' requests, alert recipients,
//! Telegram links), declared beside the core schema to keep each file readable; they join
//! `users` only.

use super::users;

diesel::table! {
    update_submissions (id) {
        id -> Uuid,
        phone_number -> Text,
        full_name -> Text,
        role -> Text,
        blok -> Nullable<Text>,
        kamar -> Nullable<Text>,
        tamping_type -> Nullable<Text>,
        status -> Text,
        rejection_reason -> Nullable<Text>,
        processed_by -> Nullable<Uuid>,
        processed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    promos (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        event_type -> Text,
        status -> Text,
        start_date -> Timestamptz,
        end_date -> Nullable<Timestamptz>,
        bonus_value_mb -> Nullable<Int8>,
        bonus_duration_days -> Nullable<Int4>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    quota_requests (id) {
        id -> Uuid,
        requester_id -> Uuid,
        request_type -> Text,
        status -> Text,
        requested_mb -> Nullable<Int8>,
        requested_days -> Nullable<Int4>,
        granted_mb -> Nullable<Int8>,
        granted_days -> Nullable<Int4>,
        rejection_reason -> Nullable<Text>,
        processed_by -> Nullable<Uuid>,
        processed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notification_recipients (event, user_id) {
        event -> Text,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    telegram_links (user_id) {
        user_id -> Uuid,
        chat_id -> Int8,
        username -> Nullable<Text>,
        linked_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    update_submissions,
    promos,
    quota_requests,
    notification_recipients,
    telegram_links
);
