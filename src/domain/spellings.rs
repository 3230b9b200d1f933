//! One field the existing frontend may send under two names, ours and its own. Its editors send
//! the whole object they were given back, so a body holds both: the one the user edited differs
//! from the stored value, the other is the stale copy. The edited one wins; when both differ
//! (a client that set both on purpose), the frontend's spelling does, the one its page shows.

/// The two spellings of one field as a body gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spellings<T> {
    pub ours: Option<T>,
    pub theirs: Option<T>,
}

impl<T> Default for Spellings<T> {
    fn default() -> Self {
        Self { ours: None, theirs: None }
    }
}

impl<T: PartialEq + Copy> Spellings<T> {
    pub fn new(ours: Option<T>, theirs: Option<T>) -> Self {
        Self { ours, theirs }
    }

    /// The value meant, given what is stored (`None`: nothing yet, a new record).
    pub fn pick(self, stored: Option<T>) -> Option<T> {
        match (self.ours, self.theirs) {
            (Some(a), Some(b)) if a != b && Some(b) == stored => Some(a),
            (Some(_), Some(b)) => Some(b),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Spellings;

    #[test]
    fn the_edited_spelling_wins() {
        let s = |o, t| Spellings::new(o, t);
        // The page edited its `price` (20,000); our `price_idr` came back stale (15,000).
        assert_eq!(s(Some(15_000), Some(20_000)).pick(Some(15_000)), Some(20_000));
        // A client edited ours and sent the page's spelling back stale.
        assert_eq!(s(Some(20_000), Some(15_000)).pick(Some(15_000)), Some(20_000));
        // Both edited, differently: the page's spelling.
        assert_eq!(s(Some(18_000), Some(20_000)).pick(Some(15_000)), Some(20_000));
        assert_eq!(s(Some(7), Some(7)).pick(Some(1)), Some(7));
        assert_eq!(s(Some(7), None).pick(Some(1)), Some(7));
        assert_eq!(s(None, Some(9)).pick(None), Some(9));
        assert_eq!(s(None::<i64>, None).pick(Some(1)), None);
        // A new record: nothing stored, the page's spelling.
        assert_eq!(s(Some(1), Some(2)).pick(None), Some(2));
    }
}
