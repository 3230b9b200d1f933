//! The database: migrations and the schema.

mod schema;
