//! The database: migrations and the schema.

mod outage;
mod schema;
