//! The money tables beside `transactions`: a Core API payment's charge (what Midtrans gave the
//! buyer to pay with), quota on credit and its settlements.

use super::{packages, transactions, users};

diesel::table! {
    transaction_charges (transaction_id) {
        transaction_id -> Uuid,
        payment_method -> Text,
        va_bank -> Nullable<Text>,
        va_number -> Nullable<Text>,
        bill_key -> Nullable<Text>,
        biller_code -> Nullable<Text>,
        qr_string -> Nullable<Text>,
        qr_url -> Nullable<Text>,
        deeplink_url -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    debt_settlements (id) {
        id -> Uuid,
        receipt_no -> Text,
        user_id -> Uuid,
        channel -> Text,
        transaction_id -> Nullable<Uuid>,
        amount_idr -> Int8,
        auto_bytes -> Int8,
        manual_bytes -> Int8,
        manual_items -> Int4,
        auto_ledger_id -> Nullable<Int8>,
        unblocked -> Bool,
        idempotency_key -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    quota_debts (id) {
        id -> Uuid,
        user_id -> Uuid,
        package_id -> Nullable<Uuid>,
        package_name -> Text,
        amount_bytes -> Int8,
        is_unlimited -> Bool,
        validity_days -> Int4,
        price_idr -> Int8,
        debt_date -> Date,
        due_date -> Date,
        note -> Nullable<Text>,
        lend_key -> Text,
        lend_ledger_id -> Nullable<Int8>,
        settlement_id -> Nullable<Uuid>,
        paid_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(transaction_charges -> transactions (transaction_id));
diesel::joinable!(quota_debts -> debt_settlements (settlement_id));
diesel::joinable!(quota_debts -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(transactions, transaction_charges, quota_debts, debt_settlements);
diesel::allow_tables_to_appear_in_same_query!(quota_debts, users);
diesel::allow_tables_to_appear_in_same_query!(quota_debts, packages);
