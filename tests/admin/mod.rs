//! The admin room over HTTP.

mod console;
mod lifecycle;
mod panels;
mod rights;
