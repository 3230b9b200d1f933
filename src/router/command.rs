//! Our description of one API command, turned into a mikrotik-rs `Command` when sent (the
//! description is kept so idempotent commands can be re-sent after a reconnect).

use mikrotik_rs::{CommandBuilder, QueryOperator};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Eq(String, String),
    Has(String),
    HasNot(String),
    Or,
    And,
    Not,
}

#[derive(Debug, Clone)]
pub struct Command {
    pub path: String,
    pub attrs: Vec<(String, String)>,
    pub queries: Vec<Query>,
    pub proplist: Option<String>,
    /// Safe to send again if the connection died before the answer (prints, sets by id).
    pub idempotent: bool,
}

impl Command {
    pub fn new(path: impl Into<String>) -> Self {
        let path = path.into();
        let idempotent = path.ends_with("/print") || path.ends_with("/getall");
        Self { path, attrs: Vec::new(), queries: Vec::new(), proplist: None, idempotent }
    }

    pub fn attr(mut self, k: &str, v: impl Into<String>) -> Self {
        self.attrs.push((k.to_owned(), v.into()));
        self
    }

    pub fn query_eq(mut self, k: &str, v: impl Into<String>) -> Self {
        self.queries.push(Query::Eq(k.to_owned(), v.into()));
        self
    }

    pub fn query(mut self, q: Query) -> Self {
        self.queries.push(q);
        self
    }

    pub fn proplist(mut self, props: &[&str]) -> Self {
        self.proplist = Some(props.join(","));
        self
    }

    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    pub(crate) fn build(&self) -> mikrotik_rs::Command {
        let mut b = CommandBuilder::new().command(&self.path);
        if let Some(p) = &self.proplist {
            b = b.attribute(".proplist", Some(p));
        }
        for (k, v) in &self.attrs {
            // mikrotik-rs 0.10: Some("") writes `=k=` (clears a value / sets a flag).
            b = b.attribute(k, Some(v));
        }
        for q in &self.queries {
            b = match q {
                Query::Eq(k, v) => b.query_equal(k, v),
                Query::Has(k) => b.query_is_present(k),
                Query::HasNot(k) => b.query_not_present(k),
                Query::Or => b.query_operations(&[QueryOperator::Or]),
                Query::And => b.query_operations(&[QueryOperator::And]),
                Query::Not => b.query_operations(&[QueryOperator::Not]),
            };
        }
        b.build()
    }
}
