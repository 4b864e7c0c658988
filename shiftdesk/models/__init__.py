"""All tables, imported together so the metadata (and Alembic) sees the whole schema."""

from shiftdesk.models.archive import ArchiveRun
from shiftdesk.models.audit import AuditEvent
from shiftdesk.models.calls import (
    Call,
    CallStatus,
    Category,
    Channel,
    Complaint,
    ComplaintReport,
    ComplaintStatus,
)
from shiftdesk.models.common import SiteScoped, UTCDateTime
from shiftdesk.models.customers import CustomerFile, FileAccess, NotifyChannel
from shiftdesk.models.handover import EntryKind, HandoverEntry, Shift, ShiftStatus
from shiftdesk.models.parcels import (
    NoticeSlip,
    Notification,
    NotificationStatus,
    Parcel,
    ParcelKind,
    ParcelStatus,
)
from shiftdesk.models.people import Building, Operator, Resident, ResidentKind, Role, Site, Unit
from shiftdesk.models.workorders import Callback, CallbackOutcome, Priority, Stage, WorkOrder

__all__ = [
    "ArchiveRun",
    "AuditEvent",
    "Building",
    "Call",
    "CallStatus",
    "Callback",
    "CallbackOutcome",
    "Category",
    "Channel",
    "Complaint",
    "ComplaintReport",
    "ComplaintStatus",
    "CustomerFile",
    "EntryKind",
    "FileAccess",
    "HandoverEntry",
    "NoticeSlip",
    "Notification",
    "NotificationStatus",
    "NotifyChannel",
    "Operator",
    "Parcel",
    "ParcelKind",
    "ParcelStatus",
    "Priority",
    "Resident",
    "ResidentKind",
    "Role",
    "Shift",
    "ShiftStatus",
    "Site",
    "SiteScoped",
    "Stage",
    "UTCDateTime",
    "Unit",
    "WorkOrder",
]
