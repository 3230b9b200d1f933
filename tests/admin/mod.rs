//! The admin room over HTTP.

mod lifecycle;
