//! The admin room over HTTP.

mod console;
mod editor;
mod lifecycle;
mod panels;
mod requests;
mod rights;
