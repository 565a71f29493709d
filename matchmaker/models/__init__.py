"""ORM models, one module per aggregate. Importing this package registers them all."""

from matchmaker.models.audit import AuditEvent
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
from matchmaker.models.region import Region
from matchmaker.models.user import User, user_region

__all__ = [
    "PROFILE_MODELS",
    "AuditEvent",
    "DonorProfile",
    "MenteeProfile",
    "MentorProfile",
    "Person",
    "ProfileBase",
    "Region",
    "SpringBudProfile",
    "User",
    "VolunteerProfile",
    "user_region",
]
