"""Registry of every ORM model, so Alembic and tests see the whole operational schema.

Each domain adds its ``models`` module here when it gains tables.
"""

from pasar.audit import models as audit_models
from pasar.auth import models as auth_models
from pasar.creators import models as creator_models
from pasar.governance import models as governance_models
from pasar.kit.db import Base

metadata = Base.metadata

__all__ = ["audit_models", "auth_models", "creator_models", "governance_models", "metadata"]
