-- A Core API payment's charge: the method the buyer chose (and its bank, for a virtual account)
-- and what Midtrans gave them to pay with. Snap payments and cash sales have none.
CREATE TABLE transaction_charges (
    transaction_id UUID PRIMARY KEY REFERENCES transactions (id) ON DELETE CASCADE,
    payment_method TEXT NOT NULL CHECK (payment_method IN ('qris', 'gopay', 'shopeepay', 'va')),
    va_bank        TEXT CHECK (va_bank IN ('bca', 'bni', 'bri', 'mandiri', 'permata', 'cimb')),
    va_number      TEXT,
    bill_key       TEXT,
    biller_code    TEXT,
    qr_string      TEXT,
    qr_url         TEXT,
    deeplink_url   TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((va_bank IS NOT NULL) = (payment_method = 'va'))
);
