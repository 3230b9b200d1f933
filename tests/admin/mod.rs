//! The admin room over HTTP.

mod lifecycle;
mod rights;
