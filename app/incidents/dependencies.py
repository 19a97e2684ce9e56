"""Fetch-or-404 dependencies for path ids of this domain."""

from typing import Annotated

from fastapi import Depends

from app.core.sessions import reader, writer
from app.incidents.models import Aftercare

AftercareDep = Annotated[Aftercare, Depends(reader(Aftercare, "aftercare_id"))]
AftercareForUpdate = Annotated[Aftercare, Depends(writer(Aftercare, "aftercare_id"))]
