"""ORM models, one module per aggregate. Importing this package registers them all."""

from matchmaker.models.audit import AuditEvent
from matchmaker.models.consent import ConsentRecord
from matchmaker.models.fund import AllocationRun, Application, Award, Disbursement, Fund
from matchmaker.models.match_run import MatchRun, Proposal, UnmatchedMentee
from matchmaker.models.notification import Notification
from matchmaker.models.pairing import FollowUp, Pairing
from matchmaker.models.person import Person
from matchmaker.models.profiles import (
    PROFILE_MODELS,
    DonorProfile,
    MenteeProfile,
    MentorProfile,
    ProfileBase,
    SpringBudProfile,
    VolunteerProfile,
)
from matchmaker.models.programme import Programme
from matchmaker.models.region import Region
from matchmaker.models.sponsorship import (
    Donation,
    DonorLetter,
    Pledge,
    ProgressNote,
    Sponsorship,
    SponsorshipPayment,
)
from matchmaker.models.user import OneTimeToken, User, user_region
from matchmaker.models.volunteering import (
    Activity,
    ActivitySignup,
    ServiceAssignment,
    ServiceHours,
    ServiceRequest,
)

__all__ = [
    "Activity",
    "ActivitySignup",
    "ConsentRecord",
    "Donation",
    "DonorLetter",
    "Pledge",
    "ProgressNote",
    "Sponsorship",
    "SponsorshipPayment",
    "OneTimeToken",
    "ServiceAssignment",
    "ServiceHours",
    "ServiceRequest",
    "AllocationRun",
    "Application",
    "Award",
    "Disbursement",
    "Fund",
    "PROFILE_MODELS",
    "AuditEvent",
    "DonorProfile",
    "FollowUp",
    "MatchRun",
    "MenteeProfile",
    "MentorProfile",
    "Notification",
    "Pairing",
    "Person",
    "ProfileBase",
    "Programme",
    "Proposal",
    "Region",
    "SpringBudProfile",
    "UnmatchedMentee",
    "User",
    "VolunteerProfile",
    "user_region",
]
