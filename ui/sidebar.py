"""The sidebar shown on every page: open project, who is coding (or who is logged in), undo/redo."""
from __future__ import annotations

import streamlit as st

import coding
from i18n import _, pgettext
from ui import language, state, words

WHOSE_KEY = "tandem_undo_whose"


def _whose() -> str | None:
    """Whose changes Undo/Redo act on: one's own; an owner in team mode may pick another user."""
    if not (state.team_mode() and state.can("undo_others")):
        return None
    import team

    me = state.coder()
    names = [u["name"] for u in state.read(team.list_users)]
    options = [me] + [n for n in names if n != me]
    chosen = st.selectbox(_("Undo and redo changes of"), options, key=WHOSE_KEY,
                          help=_("As an owner you may undo another person's latest change; the history "
                                 "records that you did."))
    return None if chosen == me else chosen


PENDING_KEY = "_history_pending"


def _perform(action: str, whose: str | None) -> None:
    done = state.undo(whose) if action == "undo" else state.redo(whose)
    if done:
        template = _("Undone: {change}") if action == "undo" else _("Redone: {change}")
        st.session_state["_history_toast"] = template.format(change=words.humanize(done["summary"]))
        st.rerun()


def _ask_or_perform(action: str, whose: str | None, who: str) -> None:
    """Undo or redo at once, unless it would remove a document or more than a few codings: then
    keep the question (naming them) for the confirmation shown on the next run."""
    from coding.eventlog.undo import redo_effect, undo_effect

    effect = state.attempt(state.read, undo_effect if action == "undo" else redo_effect, who)
    if effect is None:
        return
    if effect["confirm"]:
        st.session_state[PENDING_KEY] = {"action": action, "whose": whose, "who": who,
                                         "event_id": effect["event_id"], "question": effect["question"],
                                         "refused": effect["refused"]}
        st.rerun()
    _perform(action, whose)


def _confirmation(pending: dict) -> None:
    """The pending question with Confirm and Cancel; Confirm acts only if the change is still the next one."""
    with st.container(border=True):
        st.warning(words.humanize(pending["question"]), icon=":material/warning:")
        if pending.get("refused"):
            st.caption(_("It cannot be done now: {reason}").format(reason=pending["refused"]))
        c1, c2 = st.columns(2)
        confirm = c1.button(_("Confirm"), key="history_confirm", type="primary", width="stretch",
                            disabled=bool(pending.get("refused")))
        cancel = c2.button(_("Cancel"), key="history_cancel", width="stretch")
    if cancel:
        st.session_state.pop(PENDING_KEY, None)
        st.rerun()
    if confirm:
        st.session_state.pop(PENDING_KEY, None)
        top = state.attempt(state.read, coding.peek, pending["who"]) or {}
        nxt = top.get(pending["action"]) or {}
        if nxt.get("event_id") != pending["event_id"]:
            st.error(_("The latest change is now another one: press Undo or Redo again to see what it removes."))
            return
        _perform(pending["action"], pending["whose"])


def _undo_redo() -> None:
    message = st.session_state.pop("_history_toast", None)
    if message:  # shown after the rerun that redraws the page without the undone change
        st.toast(message)
    if state.team_mode() and not state.can("code"):
        return  # a viewer makes no changes, so has none to undo
    whose = _whose()
    who = whose or state.coder()
    top = state.attempt(state.read, coding.peek, who)
    if not top:
        return
    c1, c2 = st.columns(2)
    undo_help = words.humanize(top["undo"]["summary"]) if top.get("undo") else _("Nothing to undo")
    redo_help = words.humanize(top["redo"]["summary"]) if top.get("redo") else _("Nothing to redo")
    if c1.button(_("Undo"), icon=":material/undo:", disabled=not top.get("undo"), help=undo_help, width="stretch",
                 key="history_undo"):
        _ask_or_perform("undo", whose, who)
    if c2.button(_("Redo"), icon=":material/redo:", disabled=not top.get("redo"), help=redo_help, width="stretch",
                 key="history_redo"):
        _ask_or_perform("redo", whose, who)
    pending = st.session_state.get(PENDING_KEY)
    if pending:
        if pending.get("who") != who:  # the coder changed since: the question no longer applies
            st.session_state.pop(PENDING_KEY, None)
        else:
            _confirmation(pending)


def _who() -> None:
    """Single-user: the free-text coder box. Team mode: the logged-in user, their role, Log out."""
    person = state.user()
    if person is None:
        st.text_input(_("Coder"), key=state.CODER_KEY, placeholder="researcher",  # i18n: data
                      help=_("Your name or initials; stored with every coding and change. Undo and redo act on "
                             "your own changes only, across pages and restarts."))
        return
    st.caption(_("Logged in as"))
    st.text(f"{person['name']} ({person['role']})")  # st.text: a name is shown as typed, never as Markdown
    if st.button(_("Log out"), icon=":material/logout:", width="stretch"):
        state.logout()
        st.rerun()


def _state_label(value: str) -> str:
    """A history event's stored state (``done``, ``undone``, ``discarded``; coding.history) in the
    reader's language; anything else as stored."""
    if value == "done":
        return pgettext("history state", "done")
    if value == "undone":
        return pgettext("history state", "undone")
    if value == "discarded":
        return pgettext("history state", "discarded")
    return value


def _history_log():
    """The last 50 changes for the History box; a blind coder sees only their own (their quotes would
    show what others coded). Inside ``state.attempt``: an unreadable project is its sentence there."""
    return state.read(coding.history, state.coder() if state.blind_for_me() else None, 50)


def render() -> None:
    with st.sidebar:
        language.switch()
        try:
            label = state.project_label()
        except Exception as exc:  # a broken project file must not break every page
            st.error(_("Cannot open the project: {reason}").format(reason=exc))
            return
        st.caption(_("Project"))
        st.markdown(f"**{label}**")
        _who()
        _undo_redo()
        with st.expander(_("History")):
            log = state.attempt(_history_log)
            if log is not None and len(log):
                shown = log[["ts", "coder", "summary", "state"]].rename(
                    columns={"ts": _("When"), "coder": _("Who"), "summary": _("Change"), "state": _("State")})
                shown[_("Change")] = [words.humanize(t) for t in shown[_("Change")]]
                shown[_("State")] = [_state_label(v) for v in shown[_("State")]]
                st.dataframe(shown, hide_index=True, width="stretch",
                             column_config={_("When"): st.column_config.DatetimeColumn(_("When"), format="MMM D, HH:mm")})
            else:
                st.caption(_("No changes yet."))
