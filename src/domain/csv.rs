//! CSV cells a spreadsheet cannot run: admins open exports in Excel or LibreOffice, and a cell
//! that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is taken as a formula there
//! (`=HYPERLINK(…)` in a package name would be a live link). Such a cell gets a leading `'`,
//! which spreadsheets show as text; every cell is quoted.

/// One quoted cell.
pub fn cell(value: &str) -> String {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let escaped = value.replace('"', "\"\"");
    if risky { format!("\"'{escaped}\"") } else { format!("\"{escaped}\"") }
}

/// One line of quoted cells, ended with a newline.
pub fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = cells.iter().map(|c| cell(c.as_ref())).collect::<Vec<_>>().join(",");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_text_and_quotes_doubled() {
        assert_eq!(cell("Harian 1 GB"), "\"Harian 1 GB\"");
        assert_eq!(cell("=HYPERLINK(\"http://x\",\"klik\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"klik\"\")\"");
        for lead in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(lead).starts_with("\"'"), "{lead:?}");
        }
        assert_eq!(row(&["a", "=1"]), "\"a\",\"'=1\"\n");
    }
}
