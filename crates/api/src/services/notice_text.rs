//! What notices say: the digest and immediate emails (plain text and HTML), the team-channel
//! post, and the one-click decision pages, from minijinja templates (HTML escaped by the
//! template's name).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use inbox_domain::notices::{Digest, DigestLine};
use minijinja::{context, Environment, Value};
use serde::Serialize;

/// The links one action carries in a notice.
#[derive(Debug, Clone, Serialize)]
pub struct ActionLinks {
    /// The action in the app.
    pub open: String,
    pub approve: String,
    pub reject: String,
    pub snooze: String,
}

/// One listed action, as the templates read it.
#[derive(Debug, Serialize)]
struct LineView<'a> {
    subject: &'a str,
    customer: &'a str,
    priority: &'static str,
    expires: String,
    expiring_soon: bool,
    links: &'a ActionLinks,
}

fn line_view<'a>(line: &'a DigestLine, links: &'a ActionLinks, zone: Tz) -> LineView<'a> {
    LineView {
        subject: &line.subject,
        customer: &line.customer,
        priority: line.priority.label(),
        expires: local_time(line.expires_at, zone),
        expiring_soon: line.expiring_soon,
        links,
    }
}

/// A time as a reviewer of the location reads it.
pub fn local_time(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %-d %b, %H:%M %Z")
        .to_string()
}

const DIGEST_TEXT: &str = "\
{{ digest.waiting }} action{{ 's' if digest.waiting != 1 }} wait{{ 's' if digest.waiting == 1 }} for review in {{ location }}\
{% if digest.expiring_soon %} ({{ digest.expiring_soon }} expiring soon){% endif %}.
{% for group in groups %}
== {{ group.agent }}: {{ group.waiting }} waiting{% if group.expiring_soon %}, {{ group.expiring_soon }} expiring soon{% endif %} ==
{% for p in group.by_priority %}{{ p[0] }}: {{ p[1] }}{% if not loop.last %} · {% endif %}{% endfor %}
{% for line in group.lines %}
- {{ line.subject }} ({{ line.customer }}, {{ line.priority }}){% if line.expiring_soon %} EXPIRES {{ line.expires }}{% endif %}
  Approve: {{ line.links.approve }}
  Reject:  {{ line.links.reject }}
  Snooze:  {{ line.links.snooze }}
{% endfor %}{% endfor %}{% if unlisted %}
And {{ unlisted }} more: {{ inbox }}
{% endif %}
Open the inbox: {{ inbox }}
Change what you are sent: {{ settings }}
";

const DIGEST_HTML: &str = r#"<!doctype html><html><body style="font-family:sans-serif;color:#1f2937">
<p><strong>{{ digest.waiting }} action{{ 's' if digest.waiting != 1 }} wait{{ 's' if digest.waiting == 1 }} for review</strong> in {{ location }}{% if digest.expiring_soon %}, <strong style="color:#b91c1c">{{ digest.expiring_soon }} expiring soon</strong>{% endif %}.</p>
{% for group in groups %}
<h3>{{ group.agent }} <small>{{ group.waiting }} waiting{% if group.expiring_soon %}, {{ group.expiring_soon }} expiring soon{% endif %}</small></h3>
<p>{% for p in group.by_priority %}{{ p[0] }}: {{ p[1] }}{% if not loop.last %} · {% endif %}{% endfor %}</p>
<ul>{% for line in group.lines %}
<li><a href="{{ line.links.open }}">{{ line.subject }}</a> — {{ line.customer }}, {{ line.priority }}{% if line.expiring_soon %} <strong style="color:#b91c1c">expires {{ line.expires }}</strong>{% endif %}<br>
<a href="{{ line.links.approve }}">Approve</a> · <a href="{{ line.links.reject }}">Reject</a> · <a href="{{ line.links.snooze }}">Snooze</a></li>
{% endfor %}</ul>{% endfor %}
{% if unlisted %}<p>And {{ unlisted }} more in <a href="{{ inbox }}">the inbox</a>.</p>{% endif %}
<p><a href="{{ inbox }}">Open the inbox</a> · <a href="{{ settings }}">Change what you are sent</a></p>
</body></html>"#;

const NOTICE_TEXT: &str = "\
{{ headline }}

{{ line.subject }}
Customer: {{ line.customer }} · Agent: {{ agent }} · Priority: {{ line.priority }}
Expires: {{ line.expires }}

Approve: {{ line.links.approve }}
Reject:  {{ line.links.reject }}
Snooze:  {{ line.links.snooze }}
Open it: {{ line.links.open }}

Change what you are sent: {{ settings }}
";

const NOTICE_HTML: &str = r#"<!doctype html><html><body style="font-family:sans-serif;color:#1f2937">
<p><strong>{{ headline }}</strong></p>
<p><a href="{{ line.links.open }}">{{ line.subject }}</a><br>
Customer: {{ line.customer }} · Agent: {{ agent }} · Priority: {{ line.priority }}<br>
Expires: {{ line.expires }}</p>
<p><a href="{{ line.links.approve }}">Approve</a> · <a href="{{ line.links.reject }}">Reject</a> · <a href="{{ line.links.snooze }}">Snooze</a></p>
<p><a href="{{ settings }}">Change what you are sent</a></p>
</body></html>"#;

const CHANNEL_TEXT: &str = "\
{{ headline }}: {{ subject }} · {{ customer }} · {{ agent }} · expires {{ expires }} · <{{ open }}|Open in AI Inbox>";

/// The one-click pages: what a link would do, with its one button; or why it cannot.
const LINK_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>{{ title }} · AI Inbox</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f4f6;color:#1f2937;margin:0;padding:2rem 1rem}
main{max-width:36rem;margin:auto;background:#fff;border-radius:.75rem;padding:1.5rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.25rem;margin-top:0}.meta{color:#4b5563}.preview{white-space:pre-wrap;border-left:3px solid #d1d5db;padding-left:.75rem;margin:1rem 0}
.warning{background:#fef3c7;border-radius:.5rem;padding:.5rem .75rem;margin:.5rem 0}
button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:.5rem;background:#4f46e5;color:#fff;cursor:pointer}
button.reject{background:#b91c1c}label{display:block;margin:.5rem 0}select{font-size:1rem;padding:.3rem}
</style></head>
<body><main>
<h1>{{ title }}</h1>
{% if message %}<p role="status">{{ message }}</p>{% endif %}
{% if action %}
<p class="meta">{{ action.customer }} · {{ action.agent }} · {{ action.priority }} priority · expires {{ action.expires }}</p>
<p><strong>{{ action.subject }}</strong></p>
{% if action.preview %}<div class="preview">{{ action.preview }}</div>{% endif %}
{% endif %}
{% if form %}
<form method="post">
{% for warning in form.warnings %}<div class="warning"><label><input type="checkbox" name="acknowledged" value="{{ warning.warning }}" required> {{ warning.detail }} Decide anyway.</label></div>{% endfor %}
{% if form.verb == "reject" %}<label>Reason <select name="reason" required>{% for reason in form.reasons %}<option value="{{ reason[0] }}">{{ reason[1] }}</option>{% endfor %}</select></label>
{% elif form.verb == "snooze" %}<label>For <select name="duration">{% for d in form.durations %}<option value="{{ d[0] }}">{{ d[1] }}</option>{% endfor %}</select></label>{% endif %}
<p><button type="submit" class="{{ form.verb }}">{{ form.button }}</button></p>
</form>
<p class="meta">Signed in as {{ form.reviewer }} by this link only; nothing happens until you press the button.</p>
{% endif %}
{% if open %}<p><a href="{{ open }}">Open AI Inbox</a></p>{% endif %}
</main></body></html>"#;

fn templates() -> &'static Environment<'static> {
    static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            ("digest.txt", DIGEST_TEXT),
            ("digest.html", DIGEST_HTML),
            ("notice.txt", NOTICE_TEXT),
            ("notice.html", NOTICE_HTML),
            ("channel.txt", CHANNEL_TEXT),
            ("link.html", LINK_PAGE),
        ] {
            env.add_template(name, source)
                .expect("the notice templates parse");
        }
        env
    })
}

fn render(name: &str, values: Value) -> String {
    templates()
        .get_template(name)
        .and_then(|template| template.render(values))
        .unwrap_or_else(|error| {
            // The templates are fixed and tested: this is a bug, not bad input.
            tracing::error!(?error, name, "a notice template failed");
            String::new()
        })
}

/// Where a notice's reader goes from it.
#[derive(Debug, Clone)]
pub struct AppLinks {
    pub inbox: String,
    pub settings: String,
}

/// A digest email: subject, text and HTML. `links` has the links of each listed action.
pub fn digest_mail(
    location: &str,
    digest: &Digest,
    links: &dyn Fn(&DigestLine) -> ActionLinks,
    app: &AppLinks,
    zone: Tz,
) -> (String, String, String) {
    let all_links: Vec<Vec<ActionLinks>> = digest
        .groups
        .iter()
        .map(|group| group.listed.iter().map(links).collect())
        .collect();
    let groups: Vec<Value> = digest
        .groups
        .iter()
        .zip(&all_links)
        .map(|(group, links)| {
            let lines: Vec<LineView<'_>> = group
                .listed
                .iter()
                .zip(links)
                .map(|(line, links)| line_view(line, links, zone))
                .collect();
            let by_priority: Vec<(&str, u64)> = group
                .by_priority
                .iter()
                .map(|(priority, waiting)| (priority.label(), *waiting))
                .collect();
            Value::from_serialize(context! {
                agent => group.agent,
                waiting => group.waiting,
                expiring_soon => group.expiring_soon,
                by_priority => by_priority,
                lines => lines,
            })
        })
        .collect();
    let values = context! {
        location => location,
        digest => context! { waiting => digest.waiting, expiring_soon => digest.expiring_soon },
        groups => groups,
        unlisted => digest.unlisted(),
        inbox => app.inbox,
        settings => app.settings,
    };
    let subject = format!(
        "{} waiting for review in {location}{}",
        digest.waiting,
        if digest.expiring_soon > 0 {
            format!(", {} expiring soon", digest.expiring_soon)
        } else {
            String::new()
        }
    );
    (
        subject,
        render("digest.txt", values.clone()),
        render("digest.html", values),
    )
}

/// An immediate email about one action: subject, text and HTML.
pub fn notice_mail(
    headline: &str,
    line: &DigestLine,
    agent: &str,
    links: &ActionLinks,
    app: &AppLinks,
    zone: Tz,
) -> (String, String, String) {
    let values = context! {
        headline => headline,
        line => line_view(line, links, zone),
        agent => agent,
        settings => app.settings,
    };
    (
        format!("{headline}: {}", line.subject),
        render("notice.txt", values.clone()),
        render("notice.html", values),
    )
}

/// A team-channel post about one action: text only, no links that decide.
pub fn channel_post(
    headline: &str,
    line: &DigestLine,
    agent: &str,
    open: &str,
    zone: Tz,
) -> String {
    render(
        "channel.txt",
        context! {
            headline => headline,
            subject => line.subject,
            customer => line.customer,
            agent => agent,
            expires => local_time(line.expires_at, zone),
            open => open,
        },
    )
}

/// The action a one-click page shows.
#[derive(Debug, Clone, Serialize)]
pub struct LinkAction {
    pub subject: String,
    pub customer: String,
    pub agent: String,
    pub priority: &'static str,
    pub expires: String,
    /// The draft as text, shortened.
    pub preview: String,
}

/// A one-click page's form: the verb, its button and what it asks.
#[derive(Debug, Clone, Serialize)]
pub struct LinkForm {
    pub verb: &'static str,
    pub button: String,
    pub reviewer: String,
    /// Warnings to confirm before deciding (`warning`, `detail`).
    pub warnings: Vec<inbox_domain::safeguards::WarningNotice>,
    /// For a rejection: `(value, label)` of every reason.
    pub reasons: Vec<(&'static str, &'static str)>,
    /// For a snooze: `(value, label)` of every duration.
    pub durations: Vec<(&'static str, &'static str)>,
}

/// A one-click page.
pub fn link_page(
    title: &str,
    message: Option<&str>,
    action: Option<&LinkAction>,
    form: Option<&LinkForm>,
    open: Option<&str>,
) -> String {
    render(
        "link.html",
        context! { title => title, message => message, action => action, form => form, open => open },
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use inbox_domain::{
        notices::{assemble_digest, WaitingCount},
        Priority,
    };

    use uuid::Uuid;

    use super::*;

    fn links(line: &DigestLine) -> ActionLinks {
        let id = line.action_id;
        ActionLinks {
            open: format!("http://app/?open={id}"),
            approve: format!("http://app/decide/approve-{id}"),
            reject: format!("http://app/decide/reject-{id}"),
            snooze: format!("http://app/decide/snooze-{id}"),
        }
    }

    #[test]
    fn a_digest_lists_each_agent_with_its_counts_and_every_listed_action_with_its_links() {
        let agent = Uuid::from_u128(1);
        let expires = Utc
            .with_ymd_and_hms(2026, 12, 4, 15, 0, 0)
            .single()
            .expect("a time");
        let line = DigestLine {
            action_id: Uuid::from_u128(9),
            version: 1,
            agent_id: agent,
            subject: "Invoice <#1234> is overdue".into(),
            customer: "Ravi Patel".into(),
            priority: Priority::Critical,
            expires_at: expires,
            expiring_soon: true,
        };
        let digest = assemble_digest(
            &[WaitingCount {
                agent_id: agent,
                priority: Priority::Critical,
                waiting: 3,
                expiring_soon: 1,
            }],
            vec![line],
            &[(agent, "Billing".into())],
        );
        let app = AppLinks {
            inbox: "http://app/".into(),
            settings: "http://app/settings".into(),
        };
        let (subject, text, html) =
            digest_mail("Demo", &digest, &links, &app, chrono_tz::Europe::London);
        assert_eq!(subject, "3 waiting for review in Demo, 1 expiring soon");
        assert!(
            text.contains("== Billing: 3 waiting, 1 expiring soon =="),
            "{text}"
        );
        assert!(text.contains("Critical: 3"), "{text}");
        assert!(
            text.contains("Approve: http://app/decide/approve-"),
            "{text}"
        );
        assert!(text.contains("And 2 more"), "{text}");
        assert!(text.contains("EXPIRES Fri 4 Dec, 15:00 GMT"), "{text}");
        // HTML-escaped in the HTML part, as written in the text part.
        assert!(html.contains("Invoice &lt;#1234&gt; is overdue"), "{html}");
        assert!(text.contains("Invoice <#1234> is overdue"), "{text}");
    }
}
