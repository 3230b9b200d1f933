//! Chunked deletes of rows past their retention, for the rooms that own history tables: each
//! chunk its own short statement, so a first run over years of history neither holds long
//! locks nor builds one huge transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};

use super::DbError;

/// Rows deleted per statement.
pub const CHUNK: i64 = 10_000;

/// A history table and the time its rows are aged by (fixed names from the owning room, never
/// input).
#[derive(Debug, Clone, Copy)]
pub struct Aged {
    pub table: &'static str,
    /// An indexed time column.
    pub at: &'static str,
    /// A further condition on the rows that may go (`AND …`), or empty.
    pub also: &'static str,
}

/// Deletes rows of `t` older than `before`, chunk by chunk; how many.
pub fn delete_older(conn: &mut PgConnection, t: Aged, before: DateTime<Utc>) -> Result<usize, DbError> {
    let sql = format!(
        "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {at} < $1 {also} ORDER BY {at} LIMIT $2)",
        table = t.table,
        at = t.at,
        also = t.also
    );
    let mut total = 0;
    loop {
        let n = diesel::sql_query(&sql).bind::<Timestamptz, _>(before).bind::<BigInt, _>(CHUNK).execute(conn)?;
        total += n;
        if (n as i64) < CHUNK {
            return Ok(total);
        }
    }
}
