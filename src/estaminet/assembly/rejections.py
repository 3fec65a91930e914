"""Why an assembly action is refused: namespaced codes and their English messages.

A rejection is a value (:class:`~estaminet.kernel.activity.Rejection`);
the edge turns ``REJECTION_MESSAGES[code]`` into the reader's language,
filling ``%(name)s`` placeholders from the rejection's params. A ``detail``
param is itself a :class:`~estaminet.kernel.i18n.Text` (the precise reason,
in words for people), translated first; never an English fragment.
"""

from __future__ import annotations

from typing import Any

from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_, Msgid, Nn_, Text

__all__ = ["NOT_PARTICIPANT_MESSAGE", "REJECTION_MESSAGES", "reject", "rejection_text"]

NOT_PARTICIPANT_MESSAGE = N_(
    "Only the members convened to this assembly can do this; you can follow it as an observer."
)
"""What the runner answers someone with no seat in the sitting (an observer, a passer-by)."""

REJECTION_MESSAGES: dict[str, Msgid] = {
    "assembly/unknown_action": N_("This action does not exist in an assembly."),
    "assembly/malformed": N_("This request is incomplete or malformed: %(detail)s."),
    "assembly/invalid_options": N_("The assembly is not prepared correctly: %(detail)s."),
    "assembly/not_facilitator": N_("Only the facilitator can do this."),
    "assembly/not_secretary": N_("Only the secretary or the facilitator can do this."),
    "assembly/not_a_voter": N_("This person is not a voting member of this assembly."),
    "assembly/sitting_not_started": N_("The sitting has not started yet."),
    "assembly/sitting_started": N_("The sitting has already started."),
    "assembly/sitting_closed": N_("The sitting is closed."),
    "assembly/already_present": N_("This person is already checked in."),
    "assembly/not_present": N_("This person is not checked in."),
    "assembly/proxies_not_allowed": N_("Proxies are not allowed in this assembly."),
    "assembly/proxy_limit": Nn_(
        "This member already holds %(max)s proxy, the most allowed.",
        "This member already holds %(max)s proxies, the most allowed.",
        "max",
    ),
    "assembly/proxy_to_self": N_("You cannot give your proxy to yourself."),
    "assembly/proxy_chain": N_(
        "A proxy cannot be passed on: someone who holds a proxy cannot give one, "
        "and someone who gave a proxy cannot hold one."
    ),
    "assembly/proxy_already_given": N_("This member has already given a proxy; withdraw it first."),
    "assembly/no_proxy": N_("This member has not given a proxy."),
    "assembly/not_your_proxy": N_("You do not hold a proxy for this member that you can use now."),
    "assembly/unknown_item": N_("There is no such item on the agenda."),
    "assembly/last_item": N_("This is the last item on the agenda."),
    "assembly/no_current_item": N_("No agenda item is under discussion."),
    "assembly/already_in_queue": N_("You are already in the speaking queue."),
    "assembly/not_in_queue": N_("This person is not in the speaking queue."),
    "assembly/queue_empty": N_("Nobody is waiting to speak."),
    "assembly/bad_position": N_("There is no such place in the queue."),
    "assembly/no_current_speaker": N_("Nobody has the floor."),
    "assembly/not_speaker": N_(
        "Only the speaker, the timekeeper or the facilitator can end a turn."
    ),
    "assembly/unknown_signal": N_("There is no such hand signal."),
    "assembly/empty_text": N_("Please write something."),
    "assembly/text_too_long": N_("This text is too long (at most %(max)s characters)."),
    "assembly/unknown_motion": N_("There is no such proposal."),
    "assembly/unknown_amendment": N_("There is no such amendment."),
    "assembly/motion_closed": N_("This proposal is no longer under discussion."),
    "assembly/not_author": N_("Only the author can withdraw it."),
    "assembly/amendments_pending": N_(
        "The amendments to this proposal must be voted on or withdrawn first."
    ),
    "assembly/unknown_vote": N_("There is no such vote."),
    "assembly/invalid_vote": N_("This vote is not set up correctly: %(detail)s."),
    "assembly/vote_not_draft": N_("This vote has already been opened or cancelled."),
    "assembly/vote_already_open": N_("Another vote is still open; close it first."),
    "assembly/vote_closed": N_("This vote is not open."),
    "assembly/already_voted": N_("A ballot has already been cast for this person."),
    "assembly/quorum_not_reached": Nn_(
        "The quorum is not reached: %(count)s voting member present or represented, "
        "%(required)s needed.",
        "The quorum is not reached: %(count)s voting members present or represented, "
        "%(required)s needed.",
    ),
    "assembly/wrong_method": N_("This cannot be done with this voting method."),
    "assembly/invalid_ballot": N_("This ballot is not valid: %(detail)s."),
    "assembly/unknown_option": N_("There is no such option."),
    "assembly/too_many_choices": Nn_(
        "You can choose at most %(max)s option.", "You can choose at most %(max)s options.", "max"
    ),
    "assembly/grade_twice": N_("An option was graded twice."),
    "assembly/unknown_grade": N_("There is no such grade."),
    "assembly/objection_needs_reason": N_(
        "An objection must give its reason: how the proposal harms our aim "
        "or crosses a limit you cannot accept."
    ),
    "assembly/already_objected": N_("You have already raised an objection."),
    "assembly/no_objection": N_("There is no objection to withdraw."),
    "assembly/sealed_box_required": N_(
        "Secret ballots need a ballot box; this server cannot take them."
    ),
    "assembly/ballot_box_incomplete": N_(
        "The ballot box does not hold one ballot per voter; the vote cannot be counted."
    ),
    "assembly/ballot_box_locked": N_(
        "The ballot box is locked since the server restarted: it can be counted once the pages "
        "of the people who keep its key are open again. The vote can also be cancelled."
    ),
}


def reject(code: str, **params: Any) -> Rejection:
    """A :class:`Rejection` with a known assembly ``code``."""
    if code not in REJECTION_MESSAGES:
        raise KeyError(code)
    return Rejection(code, params)


def rejection_text(rejection: Rejection) -> Text:
    """The translatable message that explains ``rejection``."""
    return Text(REJECTION_MESSAGES[rejection.code], dict(rejection.params))
