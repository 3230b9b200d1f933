//! PDF documents (invoices, receipts, reports, exports): a small block layout — a title, lines of
//! text, label/value fields, tables that wrap their cells and repeat their header on each page —
//! drawn on A4 by `krilla` (PDF writing, font subsetting and embedding). The fonts are TrueType
//! files the operator's system carries (Debian's `fonts-dejavu-core` by default); text is
//! measured with `rustybuzz`, the shaper krilla draws with, so what is measured is what is drawn.

use std::path::Path;
use std::sync::Arc;

use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const BODY: f32 = 9.5;
/// Tables are set smaller: more columns fit, ids stay on one line.
const SMALL: f32 = 8.0;
const LINE: f32 = 13.0;
/// A table line's height.
const ROW: f32 = 11.5;
const CELL_PAD: f32 = 3.0;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("cannot read the font {0}: {1}")]
    Font(String, String),
    #[error("cannot write the document: {0}")]
    Write(String),
}

/// The regular and bold faces, loaded once and shared.
#[derive(Clone)]
pub struct Fonts {
    regular: Face,
    bold: Face,
}

#[derive(Clone)]
struct Face {
    font: Font,
    data: Arc<Vec<u8>>,
}

impl Face {
    fn load(path: &Path) -> Result<Self, PdfError> {
        let fail = |why: &str| PdfError::Font(path.display().to_string(), why.to_owned());
        let data = Arc::new(std::fs::read(path).map_err(|e| fail(&e.to_string()))?);
        rustybuzz::Face::from_slice(&data, 0).ok_or_else(|| fail("not a TrueType/OpenType font"))?;
        let font = Font::new(data.as_ref().clone().into(), 0).ok_or_else(|| fail("not a usable font"))?;
        Ok(Face { font, data })
    }

    /// The shaper's view of the face (parsed once per document).
    fn shaper(&self) -> Option<rustybuzz::Face<'_>> {
        rustybuzz::Face::from_slice(&self.data, 0)
    }
}

/// The width of `text` at `size` points, as the shaper lays it out.
fn width(face: Option<&rustybuzz::Face<'_>>, text: &str, size: f32) -> f32 {
    let Some(face) = face else { return 0.0 };
    let mut buf = rustybuzz::UnicodeBuffer::new();
    buf.push_str(text);
    let out = rustybuzz::shape(face, &[], buf);
    let units: i32 = out.glyph_positions().iter().map(|p| p.x_advance).sum();
    units as f32 * size / face.units_per_em().max(1) as f32
}

impl Fonts {
    pub fn load(regular: &Path, bold: &Path) -> Result<Self, PdfError> {
        Ok(Fonts { regular: Face::load(regular)?, bold: Face::load(bold)? })
    }

    fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }
}

/// A column of a table: its header, its share of the width, right-aligned (figures) or not.
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub share: f32,
    pub right: bool,
}

impl Column {
    pub fn new(header: &str, share: f32) -> Self {
        Column { header: header.to_owned(), share, right: false }
    }

    pub fn figure(header: &str, share: f32) -> Self {
        Column { header: header.to_owned(), share, right: true }
    }
}

enum Block {
    Title(String),
    Heading(String),
    Text(String),
    Fields(Vec<(String, String)>),
    Table(Vec<Column>, Vec<Vec<String>>),
    Gap,
}

/// A document being written: blocks in order, laid out and drawn by [`Doc::render`].
pub struct Doc {
    title: String,
    footer: String,
    blocks: Vec<Block>,
}

/// One thing drawn at a place on a page.
enum Op {
    Text { x: f32, y: f32, size: f32, bold: bool, text: String },
    Rule { x1: f32, x2: f32, y: f32 },
}

impl Doc {
    /// A document titled `title` (its metadata too), with `footer` on every page beside the page
    /// number (who issued it, when).
    pub fn new(title: &str, footer: &str) -> Self {
        Doc { title: title.to_owned(), footer: footer.to_owned(), blocks: vec![Block::Title(title.to_owned())] }
    }

    pub fn heading(&mut self, text: &str) -> &mut Self {
        self.blocks.push(Block::Heading(text.to_owned()));
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.blocks.push(Block::Text(text.to_owned()));
        self
    }

    pub fn fields(&mut self, pairs: Vec<(String, String)>) -> &mut Self {
        self.blocks.push(Block::Fields(pairs));
        self
    }

    pub fn table(&mut self, columns: Vec<Column>, rows: Vec<Vec<String>>) -> &mut Self {
        self.blocks.push(Block::Table(columns, rows));
        self
    }

    pub fn gap(&mut self) -> &mut Self {
        self.blocks.push(Block::Gap);
        self
    }

    /// Lays the blocks out on pages and writes the PDF.
    pub fn render(&self, fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
        let pages = Layout::new(fonts).run(&self.blocks);
        let total = pages.len();
        let mut document = Document::new();
        document.set_metadata(krilla::metadata::Metadata::new().title(self.title.clone()).creator("hotspot".into()));
        for (n, ops) in pages.iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("page size".into()))?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            let footer = format!("{} · {}/{}", self.footer, n + 1, total);
            let footer = Op::Text { x: MARGIN, y: PAGE_H - MARGIN / 2.0, size: 7.5, bold: false, text: footer };
            for op in ops.iter().chain(std::iter::once(&footer)) {
                match op {
                    Op::Text { x, y, size, bold, text } => surface.draw_text(
                        Point::from_xy(*x, *y),
                        fonts.face(*bold).font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    ),
                    Op::Rule { x1, x2, y } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(*x1, *y);
                        pb.line_to(*x2, *y);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(krilla::paint::Stroke { width: 0.5, ..Default::default() }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                            surface.set_fill(Some(krilla::paint::Fill::default()));
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        document.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
    }
}

/// Places blocks top to bottom, starting a page when one is full.
struct Layout<'f> {
    /// The regular and bold faces as the shaper reads them.
    shapers: [Option<rustybuzz::Face<'f>>; 2],
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Layout { shapers: [fonts.regular.shaper(), fonts.bold.shaper()], pages: vec![Vec::new()], y: MARGIN }
    }

    fn run(mut self, blocks: &[Block]) -> Vec<Vec<Op>> {
        for b in blocks {
            match b {
                Block::Title(t) => {
                    self.line(MARGIN, 15.0, true, t, 22.0);
                    self.rule(MARGIN, PAGE_W - MARGIN);
                    self.y += 8.0;
                }
                Block::Heading(t) => {
                    self.room(LINE * 3.0);
                    self.y += 6.0;
                    self.line(MARGIN, 11.0, true, t, 16.0);
                }
                Block::Text(t) => {
                    for l in self.wrap(t, PAGE_W - 2.0 * MARGIN, false, BODY) {
                        self.line(MARGIN, BODY, false, &l, LINE);
                    }
                }
                Block::Fields(pairs) => self.fields(pairs),
                Block::Table(cols, rows) => self.table(cols, rows),
                Block::Gap => self.y += LINE / 2.0,
            }
        }
        self.pages
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` fits on this one.
    fn room(&mut self, height: f32) -> bool {
        if self.y + height > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
            return true;
        }
        false
    }

    fn line(&mut self, x: f32, size: f32, bold: bool, text: &str, height: f32) {
        self.room(height);
        let y = self.y + size;
        self.page().push(Op::Text { x, y, size, bold, text: text.to_owned() });
        self.y += height;
    }

    fn rule(&mut self, x1: f32, x2: f32) {
        let y = self.y;
        self.page().push(Op::Rule { x1, x2, y });
    }

    /// `text` broken into lines no wider than `width` (at words; a word longer than a line is
    /// cut where it must be).
    fn measure(&self, bold: bool, text: &str, size: f32) -> f32 {
        width(self.shapers[usize::from(bold)].as_ref(), text, size)
    }

    fn wrap(&self, text: &str, width: f32, bold: bool, size: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut cur = String::new();
            for word in para.split(' ') {
                let next = if cur.is_empty() { word.to_owned() } else { format!("{cur} {word}") };
                if self.measure(bold, &next, size) <= width {
                    cur = next;
                    continue;
                }
                if !cur.is_empty() {
                    lines.push(std::mem::take(&mut cur));
                }
                let mut piece = String::new();
                for ch in word.chars() {
                    piece.push(ch);
                    if self.measure(bold, &piece, size) > width && piece.chars().count() > 1 {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(ch);
                    }
                }
                cur = piece;
            }
            lines.push(cur);
        }
        lines
    }

    fn fields(&mut self, pairs: &[(String, String)]) {
        let label_w = 150.0;
        for (label, value) in pairs {
            let lines = self.wrap(value, PAGE_W - 2.0 * MARGIN - label_w, false, BODY);
            self.room(LINE * lines.len() as f32);
            let y = self.y + BODY;
            self.page().push(Op::Text { x: MARGIN, y, size: BODY, bold: true, text: label.clone() });
            for (i, l) in lines.iter().enumerate() {
                let y = self.y + BODY + LINE * i as f32;
                self.page().push(Op::Text { x: MARGIN + label_w, y, size: BODY, bold: false, text: l.clone() });
            }
            self.y += LINE * lines.len().max(1) as f32;
        }
    }

    fn table(&mut self, cols: &[Column], rows: &[Vec<String>]) {
        let total: f32 = cols.iter().map(|c| c.share).sum::<f32>().max(f32::EPSILON);
        let widths: Vec<f32> = cols.iter().map(|c| c.share / total * (PAGE_W - 2.0 * MARGIN)).collect();
        let header: Vec<String> = cols.iter().map(|c| c.header.clone()).collect();
        self.room(LINE * 3.0);
        self.row(cols, &widths, &header, true);
        for r in rows {
            let cells: Vec<Vec<String>> = widths
                .iter()
                .enumerate()
                .map(|(i, w)| self.wrap(r.get(i).map_or("", |s| s), w - 2.0 * CELL_PAD, false, SMALL))
                .collect();
            let height = ROW * cells.iter().map(Vec::len).max().unwrap_or(1) as f32;
            if self.room(height + 2.0) {
                self.row(cols, &widths, &header, true);
            }
            self.cells(cols, &widths, &cells, false);
            self.y += height;
            self.rule(MARGIN, PAGE_W - MARGIN);
        }
        self.y += LINE / 2.0;
    }

    fn row(&mut self, cols: &[Column], widths: &[f32], texts: &[String], bold: bool) {
        let cells: Vec<Vec<String>> =
            widths.iter().zip(texts).map(|(w, t)| self.wrap(t, w - 2.0 * CELL_PAD, bold, SMALL)).collect();
        let height = ROW * cells.iter().map(Vec::len).max().unwrap_or(1) as f32;
        self.cells(cols, widths, &cells, bold);
        self.y += height;
        self.rule(MARGIN, PAGE_W - MARGIN);
    }

    fn cells(&mut self, cols: &[Column], widths: &[f32], cells: &[Vec<String>], bold: bool) {
        let mut x = MARGIN;
        for ((col, w), lines) in cols.iter().zip(widths).zip(cells) {
            for (i, l) in lines.iter().enumerate() {
                let lx = if col.right { x + w - CELL_PAD - self.measure(bold, l, SMALL) } else { x + CELL_PAD };
                let y = self.y + SMALL + ROW * i as f32;
                self.page().push(Op::Text { x: lx, y, size: SMALL, bold, text: l.clone() });
            }
            x += w;
        }
    }
}

/// Text as a document shows it: control characters (other than line breaks) dropped.
pub fn cell(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() || *c == '\n').collect()
}
