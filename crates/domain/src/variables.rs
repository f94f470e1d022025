//! `{{name}}` placeholders in drafts.
//!
//! Drafts come from agents, so this is plain substitution, not a template language: nothing in
//! a draft can loop, branch or reach data beyond the values given.

use std::collections::BTreeMap;

/// How filled-in values are written into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Plain text: values as they are.
    None,
    /// HTML: values are escaped so they can never add markup.
    Html,
}

/// A draft with its placeholders filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// Placeholders with no value, in order of first use; they are left in the text as written.
    pub unknown: Vec<String>,
}

/// One `{{ name }}` found in a text: its byte range and its name.
///
/// Read straight through: after each `{{`, optional spaces, a name, optional spaces and `}}`, or
/// not a placeholder. Every byte is looked at a bounded number of times, so a draft made of
/// nothing but braces (`{{{{{{…}}`) costs linear time, not a search for the next `}}` from
/// every `{{`.
fn placeholders(text: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || loop {
        let start = from + text[from..].find("{{")?;
        from = start + 2;
        let inner = &text[start + 2..];
        let rest = inner.trim_start();
        let name_length = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if name_length == 0 {
            continue;
        }
        let (name, after) = rest.split_at(name_length);
        if let Some(beyond) = after.trim_start().strip_prefix("}}") {
            let end = text.len() - beyond.len();
            from = end;
            return Some((start..end, name));
        }
    })
}

/// The distinct placeholder names of `text`, in order of first use.
pub fn names(text: &str) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for (_, name) in placeholders(text) {
        if !seen.iter().any(|known| known == name) {
            seen.push(name.to_owned());
        }
    }
    seen
}

/// Fills every placeholder of `text` that `values` knows.
pub fn render(text: &str, values: &BTreeMap<String, String>, escape: Escape) -> Rendered {
    let mut out = String::with_capacity(text.len());
    let mut unknown = Vec::<String>::new();
    let mut copied_to = 0;
    for (range, name) in placeholders(text) {
        out.push_str(&text[copied_to..range.start]);
        match values.get(name) {
            Some(value) => match escape {
                Escape::None => out.push_str(value),
                Escape::Html => push_html_escaped(&mut out, value),
            },
            None => {
                out.push_str(&text[range.clone()]);
                if !unknown.iter().any(|known| known == name) {
                    unknown.push(name.to_owned());
                }
            }
        }
        copied_to = range.end;
    }
    out.push_str(&text[copied_to..]);
    Rendered { text: out, unknown }
}

/// How many bytes [`render`] makes of `text`, computed without building it: linear in `text`
/// and the values, so a draft can be refused before a 10,000-character value referenced 20,000
/// times is built.
pub fn filled_len(text: &str, values: &BTreeMap<String, String>, escape: Escape) -> usize {
    let filled: BTreeMap<&str, usize> = values
        .iter()
        .map(|(name, value)| {
            let len = match escape {
                Escape::None => value.len(),
                Escape::Html => value.chars().map(html_escaped_len).sum(),
            };
            (name.as_str(), len)
        })
        .collect();
    placeholders(text).fold(text.len(), |total, (range, name)| {
        total.saturating_add(filled.get(name).map_or(range.len(), |len| *len)) - range.len()
    })
}

fn html_escaped_len(c: char) -> usize {
    match c {
        '"' => 6,
        '&' | '\'' => 5,
        '<' | '>' => 4,
        _ => c.len_utf8(),
    }
}

/// `value` with the characters that are markup in HTML escaped.
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_html_escaped(&mut out, value);
    out
}

fn push_html_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// The fields of a customer and a location that every draft may use.
#[derive(Debug, Clone, Copy)]
pub struct StandardFields<'a> {
    pub customer_name: &'a str,
    pub company: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub plan: Option<&'a str>,
    pub location_name: &'a str,
}

/// The values a draft is filled from: the standard fields, then the action's own variables,
/// which win where both name the same thing.
pub fn values(
    standard: StandardFields<'_>,
    action: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut set = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            values.insert(name.to_owned(), value.to_owned());
        }
    };
    let mut words = standard.customer_name.split_whitespace();
    set("customer_name", Some(standard.customer_name));
    set("first_name", words.next());
    set("last_name", words.last());
    set("company", standard.company);
    set("customer_email", standard.email);
    set("customer_phone", standard.phone);
    set("plan", standard.plan);
    set("location_name", Some(standard.location_name));
    values.extend(action.iter().map(|(k, v)| (k.clone(), v.clone())));
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn template_syntax_inside_a_value_is_never_evaluated() {
        let values = map(&[("name", "{{secret}} <b>"), ("secret", "leaked")]);
        let filled = render("Hi {{name}}", &values, Escape::Html);
        assert_eq!(filled.text, "Hi {{secret}} &lt;b&gt;");
        assert!(filled.unknown.is_empty());
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn fills_known_placeholders_and_lists_unknown_ones() {
        let rendered = render(
            "Hi {{first_name}}, invoice #{{ invoice_number }} ({{missing}}, {{missing}})",
            &map(&[("first_name", "Zoë"), ("invoice_number", "1234")]),
            Escape::None,
        );
        assert_eq!(
            rendered.text,
            "Hi Zoë, invoice #1234 ({{missing}}, {{missing}})"
        );
        assert_eq!(rendered.unknown, vec!["missing".to_owned()]);
    }

    #[test]
    fn html_values_cannot_add_markup() {
        let rendered = render(
            "<p>{{name}}</p>",
            &map(&[("name", "<script>x</script> & co")]),
            Escape::Html,
        );
        assert_eq!(
            rendered.text,
            "<p>&lt;script&gt;x&lt;/script&gt; &amp; co</p>"
        );
    }

    #[test]
    fn braces_that_are_not_placeholders_stay_as_written() {
        let text = "{{ not a name }} {{}} {{a-b}} {{ok}";
        assert_eq!(render(text, &BTreeMap::new(), Escape::None).text, text);
        assert!(names(text).is_empty());
    }

    #[test]
    fn action_variables_win_over_standard_fields() {
        let standard = StandardFields {
            customer_name: "John Smith",
            company: Some("Acme Corp"),
            email: None,
            phone: None,
            plan: None,
            location_name: "Northside",
        };
        let values = values(standard, &map(&[("first_name", "Johnny")]));
        assert_eq!(values["first_name"], "Johnny");
        assert_eq!(values["last_name"], "Smith");
        assert_eq!(values["company"], "Acme Corp");
        assert!(!values.contains_key("customer_email"));
    }

    /// The scan as it was written first (quadratic on `{{{{…`): the one above must find exactly
    /// what it found.
    fn placeholders_by_search(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(start) = text[from..].find("{{").map(|at| from + at) {
            let Some(close) = text[start + 2..].find("}}").map(|at| start + 2 + at) else {
                break;
            };
            let name = text[start + 2..close].trim();
            from = start + 2;
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                from = close + 2;
                found.push((start..close + 2, name));
            }
        }
        found
    }

    #[test]
    fn a_draft_of_nothing_but_braces_is_read_in_one_pass() {
        let braces = format!("{}-{}", "{{".repeat(200_000), "}}".repeat(200_000));
        assert!(names(&braces).is_empty());
        let rendered = render(&braces, &BTreeMap::new(), Escape::None);
        assert_eq!(rendered.text, braces);
    }

    proptest! {
        #[test]
        fn the_filled_length_is_the_length_rendering_makes(
            text in "[{} a-c<&\"'é]{0,60}",
            a in "[a-c<>&\"'é ]{0,12}",
            b in "[a-c<>&\"'é ]{0,12}",
        ) {
            let values = BTreeMap::from([("a".to_owned(), a), ("b".to_owned(), b)]);
            for escape in [Escape::None, Escape::Html] {
                prop_assert_eq!(
                    filled_len(&text, &values, escape),
                    render(&text, &values, escape).text.len()
                );
            }
        }

        #[test]
        fn the_scan_finds_what_a_search_for_each_closing_pair_finds(
            text in "[{} a_\\-\t\u{a0}é]{0,40}",
        ) {
            prop_assert_eq!(placeholders(&text).collect::<Vec<_>>(), placeholders_by_search(&text));
        }

        #[test]
        fn rendering_with_every_value_known_leaves_no_placeholder(
            words in proptest::collection::vec("[a-z_]{1,8}", 1..6),
            value in "[^{}]{0,12}",
        ) {
            let text = words.iter().map(|w| format!("x {{{{{w}}}}} y")).collect::<String>();
            let values: BTreeMap<_, _> = words.iter().map(|w| (w.clone(), value.clone())).collect();
            let rendered = render(&text, &values, Escape::None);
            prop_assert!(rendered.unknown.is_empty());
            prop_assert!(!rendered.text.contains("{{"));
            prop_assert_eq!(names(&text).len(), values.len());
        }

        #[test]
        fn rendering_never_panics_and_keeps_text_without_placeholders(text in "\\PC{0,64}") {
            let rendered = render(&text, &BTreeMap::new(), Escape::Html);
            prop_assert_eq!(rendered.text, text);
        }
    }
}
