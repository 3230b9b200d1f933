//! The admin room over HTTP.

mod console;
mod lifecycle;
mod rights;
