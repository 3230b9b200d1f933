//! The language of an error's text: Indonesian unless the client asks for English.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    /// Picks the best of `id`/`en` from an Accept-Language header by q-value; Indonesian wins
    /// ties and is the default.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else { return Lang::Id };
        let mut best = (Lang::Id, 0.0f32);
        let mut id_q = 0.0f32;
        for part in h.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            match primary {
                "en" if q > best.1 => best = (Lang::En, q),
                "id" | "in" => id_q = id_q.max(q),
                _ => {}
            }
        }
        if best.0 == Lang::En && best.1 > id_q { Lang::En } else { Lang::Id }
    }

    pub fn of(req: &actix_web::HttpRequest) -> Lang {
        Lang::from_accept_language(req.headers().get("accept-language").and_then(|v| v.to_str().ok()))
    }

    /// One of two texts.
    pub fn pick(self, id: &str, en: &str) -> String {
        match self {
            Lang::Id => id.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_negotiation() {
        let cases = [
            (None, Lang::Id),
            (Some("en"), Lang::En),
            (Some("en-US,en;q=0.9"), Lang::En),
            (Some("id-ID,id;q=0.9,en;q=0.8"), Lang::Id),
            (Some("en;q=0.5,id;q=0.9"), Lang::Id),
            (Some("fr,en;q=0.4"), Lang::En),
            (Some("fr"), Lang::Id),
            (Some("*"), Lang::Id),
        ];
        for (h, want) in cases {
            assert_eq!(Lang::from_accept_language(h), want, "{h:?}");
        }
    }
}
