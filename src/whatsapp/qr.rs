//! The gateway's pairing QR as a PNG an operator scans from the admin page: a `data:image/png`
//! URL the gateway rendered itself is decoded; QR text is encoded and drawn here.

use base64::Engine;
use qrcodegen::{QrCode, QrCodeEcc};

/// Pixels per module and the quiet zone in modules (the QR standard asks for four).
const SCALE: u32 = 8;
const BORDER: i32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("not a QR the gateway could mean: {0}")]
    Invalid(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// The PNG for what the gateway gave.
pub fn png_of(qr: &str) -> Result<Vec<u8>, QrError> {
    if let Some(b64) = qr.strip_prefix("data:image/png;base64,") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| QrError::Invalid(e.to_string()))?;
        if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(QrError::Invalid("the data URL holds no PNG".into()));
        }
        return Ok(bytes);
    }
    let code = QrCode::encode_text(qr, QrCodeEcc::Medium).map_err(|e| QrError::Invalid(e.to_string()))?;
    let side = (code.size() + 2 * BORDER) as u32 * SCALE;
    let mut pixels = vec![255u8; (side * side) as usize];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / SCALE) as i32 - BORDER, (y / SCALE) as i32 - BORDER);
            if code.get_module(mx, my) {
                pixels[(y * side + x) as usize] = 0;
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| QrError::Png(e.to_string()))?;
        w.write_image_data(&pixels).map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_text_becomes_a_png_and_a_png_url_is_passed_through() {
        let png = png_of("2@sim-0123456789abcdef").unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width % SCALE, 0);
        let url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&png));
        assert_eq!(png_of(&url).unwrap(), png);
        assert!(png_of("data:image/png;base64,bm90IGEgcG5n").is_err());
        assert!(png_of("data:image/png;base64,***").is_err());
    }
}
