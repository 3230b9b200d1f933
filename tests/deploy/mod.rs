//! The production edge (nginx, compose) and the existing frontend in a browser.

mod browser;
mod edge;
