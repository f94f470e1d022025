//! Moving around the inbox: to another view (a history entry each, so Back restores the previous
//! one) and by keyboard (`j`/`k` move, `Enter` opens, `x` selects, `a`/`e`/`r`/`s` act on the open
//! action, `r` or `s` then a digit reject with a reason or snooze for a time at once, `z` undoes
//! the last send, `?` helps, `Esc` closes).

use inbox_domain::{dto::ActionListItem, RejectionReason, SnoozeDuration};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use crate::{
    context::{Selection, Shortcut, Shortcuts, Undo},
    state::InboxView,
};

/// Moves the app to `view` (a new history entry, so Back restores the previous view).
pub fn go(view: &InboxView) {
    go_to(&view.to_url());
}

/// Moves the app to the page at `path` (a new history entry).
pub fn go_to(path: &str) {
    use_navigate()(path, Default::default());
}

/// What a key press asks the inbox for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Down,
    Up,
    Open,
    Select,
    /// A command for the open action's panel.
    Act(Shortcut),
    ToggleHelp,
    /// Undo send, while the undo toast shows.
    Undo,
    /// Close the help and whatever form or dialog is open.
    Cancel,
}

impl Command {
    /// The command of a key (`KeyboardEvent.key`), if it has one.
    pub fn of_key(key: &str) -> Option<Command> {
        Some(match key {
            "j" => Command::Down,
            "k" => Command::Up,
            "Enter" => Command::Open,
            "x" => Command::Select,
            "a" => Command::Act(Shortcut::Approve),
            "e" => Command::Act(Shortcut::Edit),
            "r" => Command::Act(Shortcut::Reject),
            "s" => Command::Act(Shortcut::Snooze),
            "?" => Command::ToggleHelp,
            "z" => Command::Undo,
            "Escape" => Command::Cancel,
            _ => return None,
        })
    }
}

/// The decision a digit completes after `r` (a rejection reason, 1–6) or `s` (a snooze, 1–5),
/// in the order the forms list them.
pub fn completed(prefix: Shortcut, digit: &str) -> Option<Shortcut> {
    let index = digit.parse::<usize>().ok()?.checked_sub(1)?;
    match prefix {
        Shortcut::Reject => RejectionReason::ALL
            .get(index)
            .map(|reason| Shortcut::RejectWith(*reason)),
        Shortcut::Snooze => SnoozeDuration::ALL
            .get(index)
            .map(|duration| Shortcut::SnoozeFor(*duration)),
        _ => None,
    }
}

/// What the inbox's keys act on.
#[derive(Debug, Clone, Copy)]
pub struct KeyTargets {
    pub view: Memo<InboxView>,
    pub rows: RwSignal<Vec<ActionListItem>>,
    /// The row the keyboard cursor is on.
    pub cursor: RwSignal<Option<usize>>,
    pub selected: Selection,
    /// Whether the list of shortcuts is shown.
    pub help: RwSignal<bool>,
    pub shortcuts: Shortcuts,
}

/// Whether a key press belongs to a field being typed in, not to the shortcuts.
fn typing(event: &leptos::ev::KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || element.is_content_editable()
        })
}

/// Listens for the inbox's keys until the calling component goes away.
pub fn follow_keys(targets: KeyTargets) {
    let KeyTargets {
        view,
        rows,
        cursor,
        selected,
        help,
        shortcuts,
    } = targets;
    let undo = use_context::<Undo>();
    // `r` or `s` just pressed on an open action: a digit next completes the decision.
    let prefix = StoredValue::new(None::<Shortcut>);
    // Captured here: the listener runs outside the router's reach.
    let navigate = use_navigate();
    let keys = window_event_listener(leptos::ev::keydown, move |event| {
        if typing(&event) || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let count = rows.with(Vec::len);
        let at_cursor = || {
            cursor
                .get_untracked()
                .and_then(|index| rows.with(|rows| rows.get(index).map(|row| row.id)))
        };
        let key = event.key();
        if let Some(shortcut) = prefix
            .get_value()
            .and_then(|prefix| completed(prefix, &key))
            .filter(|_| view.with_untracked(|v| v.open.is_some()))
        {
            prefix.set_value(None);
            shortcuts.0.set(Some(shortcut));
            event.prevent_default();
            return;
        }
        prefix.set_value(None);
        let handled = match Command::of_key(&key) {
            Some(Command::Down) if count > 0 => {
                cursor.update(|c| *c = Some(c.map_or(0, |c| (c + 1).min(count - 1))));
                true
            }
            Some(Command::Up) if count > 0 => {
                cursor.update(|c| *c = Some(c.map_or(0, |c| c.saturating_sub(1))));
                true
            }
            Some(Command::Open) => at_cursor().is_some_and(|id| {
                let next = InboxView {
                    open: Some(id),
                    ..view.get_untracked()
                };
                navigate(&next.to_url(), Default::default());
                true
            }),
            Some(Command::Select) => at_cursor().is_some_and(|id| {
                selected.toggle(id);
                true
            }),
            Some(Command::Act(shortcut)) if view.with_untracked(|v| v.open.is_some()) => {
                if matches!(shortcut, Shortcut::Reject | Shortcut::Snooze) {
                    prefix.set_value(Some(shortcut));
                }
                shortcuts.0.set(Some(shortcut));
                true
            }
            Some(Command::ToggleHelp) => {
                help.update(|shown| *shown = !*shown);
                true
            }
            Some(Command::Undo) => undo.is_some_and(|undo| {
                let offered = undo.offer.with_untracked(Option::is_some);
                if offered {
                    undo.asked.update(|n| *n += 1);
                }
                offered
            }),
            Some(Command::Cancel) => {
                help.set(false);
                shortcuts.0.set(Some(Shortcut::Cancel));
                true
            }
            _ => false,
        };
        if handled {
            event.prevent_default();
        }
    });
    on_cleanup(move || keys.remove());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_keys_have_commands_and_others_none() {
        assert_eq!(Command::of_key("j"), Some(Command::Down));
        assert_eq!(Command::of_key("Enter"), Some(Command::Open));
        assert_eq!(Command::of_key("r"), Some(Command::Act(Shortcut::Reject)));
        assert_eq!(Command::of_key("Escape"), Some(Command::Cancel));
        assert_eq!(Command::of_key("z"), Some(Command::Undo));
        assert_eq!(Command::of_key("J"), None);
        assert_eq!(Command::of_key("Tab"), None);
    }

    #[test]
    fn a_digit_after_r_or_s_completes_the_decision() {
        assert_eq!(
            completed(Shortcut::Reject, "2"),
            Some(Shortcut::RejectWith(RejectionReason::PoorTiming))
        );
        assert_eq!(
            completed(Shortcut::Reject, "6"),
            Some(Shortcut::RejectWith(RejectionReason::Other))
        );
        assert_eq!(
            completed(Shortcut::Snooze, "4"),
            Some(Shortcut::SnoozeFor(SnoozeDuration::ThreeDays))
        );
        assert_eq!(
            completed(Shortcut::Snooze, "5"),
            Some(Shortcut::SnoozeFor(SnoozeDuration::NextBusinessMorning))
        );
        assert_eq!(completed(Shortcut::Snooze, "6"), None);
        assert_eq!(completed(Shortcut::Reject, "0"), None);
        assert_eq!(completed(Shortcut::Approve, "1"), None);
    }
}
