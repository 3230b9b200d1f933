//! The money tables beside `transactions`: a Core API payment's charge (what Midtrans gave the
//! buyer to pay with).

use super::transactions;

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

diesel::joinable!(transaction_charges -> transactions (transaction_id));

diesel::allow_tables_to_appear_in_same_query!(transactions, transaction_charges);
