DROP TABLE transaction_charges;
