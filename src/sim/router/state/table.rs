//! A generic menu's rows, indexed on the attributes lookups use.

use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone)]
pub struct Row {
    pub id: u32,
    pub attrs: BTreeMap<String, String>,
}

/// A menu's rows in id (= insertion) order, with hash indexes on the attributes lookups use
/// (MAC, address, name), so a `print ?mac-address=…` does not scan thousands of rows.
#[derive(Debug, Default, Clone)]
pub struct Table {
    next_id: u32,
    rows: BTreeMap<u32, Row>,
    indexed: &'static [&'static str],
    index: HashMap<&'static str, HashMap<String, std::collections::BTreeSet<u32>>>,
}

impl Table {
    pub fn new(indexed: &'static [&'static str]) -> Self {
        Self { indexed, ..Self::default() }
    }

    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.values()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, id: u32) -> Option<&Row> {
        self.rows.get(&id)
    }

    fn index_row(&mut self, id: u32, attrs: &BTreeMap<String, String>, add: bool) {
        for &k in self.indexed {
            if let Some(v) = attrs.get(k) {
                let by_value = self.index.entry(k).or_default();
                if add {
                    by_value.entry(v.clone()).or_default().insert(id);
                } else if let Some(ids) = by_value.get_mut(v) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        by_value.remove(v);
                    }
                }
            }
        }
    }

    pub fn insert(&mut self, attrs: BTreeMap<String, String>) -> u32 {
        self.next_id += 1;
        let id = self.next_id;
        self.index_row(id, &attrs, true);
        self.rows.insert(id, Row { id, attrs });
        id
    }

    /// Replaces a row's attributes; false when there is no such row.
    pub fn replace(&mut self, id: u32, attrs: BTreeMap<String, String>) -> bool {
        let Some(old) = self.rows.get(&id).map(|r| r.attrs.clone()) else { return false };
        self.index_row(id, &old, false);
        self.index_row(id, &attrs, true);
        if let Some(r) = self.rows.get_mut(&id) {
            r.attrs = attrs;
        }
        true
    }

    pub fn remove(&mut self, id: u32) -> bool {
        match self.rows.remove(&id) {
            Some(r) => {
                self.index_row(id, &r.attrs, false);
                true
            }
            None => false,
        }
    }

    pub fn retain(&mut self, keep: impl Fn(&Row) -> bool) {
        let gone: Vec<u32> = self.rows.values().filter(|r| !keep(r)).map(|r| r.id).collect();
        for id in gone {
            self.remove(id);
        }
    }

    /// Ids whose `attr` equals `value`, when `attr` is indexed.
    pub fn lookup(&self, attr: &str, value: &str) -> Option<Vec<u32>> {
        if !self.indexed.contains(&attr) {
            return None;
        }
        Some(
            self.index
                .get(attr)
                .and_then(|m| m.get(value))
                .map(|ids| ids.iter().copied().collect())
                .unwrap_or_default(),
        )
    }
}
