"""The shift handover (交接班, domain §2): shifts, the duty log, the digest, signatures.

A shift belongs to one desk (site + ``site.desk``) and one configured period (day
08:00–20:00, night 20:00–08:00); one shift per desk is open at a time. Everything that
happens in it is a ``HandoverEntry`` appended to the site's hash chain (``shiftdesk.chain``):

* the duty log: notes, H-8 events, H-9 special-incident reports (E-* categories) and
  corrections (a correction is a new entry pointing at the one it corrects: entries are
  never edited or deleted);
* the handover (H-5): the digest, built from live data with no typing, plus the outgoing
  operator's special instructions (特别交待). Important unfinished work blocks it (H-6)
  unless a supervisor overrides, with a reason;
* the incoming operator's acknowledgements (one per digest item), questions (H-2, H-4)
  and the outgoing operator's answers, and the mandatory parcel count (H-12);
* the two PIN signatures (H-6), which close the shift and open the next, and the
  supervisor's daily countersign (H-7).

Roles and identities are checked here, not only in the screens: a script cannot do what
the screen would refuse. Callers authenticate operators (``security.sign_in``) and pass
their ``Actor``. Every function takes a session (use ``db.transact`` for writes) and
the caller's ``now``.

The package, by job: ``shifts`` (periods, the open shift), ``log`` (the duty log and the
timeline), ``digest`` (what is handed over), ``signoff`` (the workflow), ``text`` (what
operators read) and ``document`` (``handover show``). Import from here.
"""

from __future__ import annotations

from shiftdesk.handover.digest import (
    DONE_STAGES,
    INSTRUCTIONS_KEY,
    OPEN_STAGES,
    PARCELS_KEY,
    SECTION_LIMIT,
    SECTIONS,
    Digest,
    DigestItem,
    build_digest,
    complaint_clock,
    order_next_clock,
    waiting_parcels_by_shelf,
)
from shiftdesk.handover.document import (
    find_shifts,
    shift_document,
)
from shiftdesk.handover.log import (
    EVENT_KINDS,
    INCIDENT_CATEGORIES,
    LOG_KINDS,
    TimelineRow,
    add_entry,
    split_photos,
    timeline,
)
from shiftdesk.handover.shifts import (
    Period,
    awaiting_countersign,
    countersign,
    current_shift,
    ensure_shift,
    get_shift,
    has_discrepancy,
    off_by_minutes,
    open_shift,
    period_after,
    period_for_opening,
    period_instances,
    shift_day,
    shift_entries,
    shifts_on,
)
from shiftdesk.handover.signoff import (
    HandoverBlocked,
    HandoverState,
    Question,
    acknowledge,
    answer,
    ask,
    handover_state,
    overridden_keys,
    override_block,
    prepare_handover,
    receive_handover,
    record_parcel_count,
    sign_handover,
)
from shiftdesk.handover.text import (
    describe_item,
    entry_text,
    kind_label,
    kind_text,
    period_label,
    shift_label,
)
from shiftdesk.models.handover import EntryKind
from shiftdesk.sites import operator_names

__all__ = [
    "DONE_STAGES",
    "EVENT_KINDS",
    "INCIDENT_CATEGORIES",
    "INSTRUCTIONS_KEY",
    "LOG_KINDS",
    "OPEN_STAGES",
    "PARCELS_KEY",
    "SECTIONS",
    "SECTION_LIMIT",
    "Digest",
    "DigestItem",
    "EntryKind",
    "HandoverBlocked",
    "HandoverState",
    "Period",
    "Question",
    "TimelineRow",
    "acknowledge",
    "add_entry",
    "answer",
    "ask",
    "awaiting_countersign",
    "build_digest",
    "complaint_clock",
    "countersign",
    "current_shift",
    "describe_item",
    "ensure_shift",
    "entry_text",
    "find_shifts",
    "get_shift",
    "handover_state",
    "has_discrepancy",
    "kind_label",
    "kind_text",
    "off_by_minutes",
    "open_shift",
    "operator_names",
    "order_next_clock",
    "overridden_keys",
    "override_block",
    "period_after",
    "period_for_opening",
    "period_instances",
    "period_label",
    "prepare_handover",
    "receive_handover",
    "record_parcel_count",
    "shift_day",
    "shift_document",
    "shift_entries",
    "shift_label",
    "shifts_on",
    "sign_handover",
    "split_photos",
    "timeline",
    "waiting_parcels_by_shelf",
]
