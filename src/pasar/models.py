"""Registry of every ORM model, so Alembic and tests see the whole operational schema.

Each domain adds its ``models`` module here when it gains tables.
"""

from pasar.audit import models as audit_models
from pasar.auth import models as auth_models
from pasar.creators import collaboration_models
from pasar.creators import models as creator_models
from pasar.governance import models as governance_models
from pasar.incentives import models as incentive_models
from pasar.kit.db import Base
from pasar.readiness import models as readiness_models

metadata = Base.metadata

__all__ = ["audit_models", "auth_models", "creator_models", "governance_models", "metadata"]
__all__ += ["readiness_models"]
__all__ += ["collaboration_models"]
__all__ += ["incentive_models"]
