"""rotation: plan rotating intake teams for municipal social services.

The pipeline, as a notebook would call it::

    from rotation import load_unit, prepare, plan, rota_metrics
    planning = prepare(load_unit("examples/municipality-c"))
    result = plan(planning, time_limit=30)
    rota_metrics(planning, result.rota)

or all of it at once, writing the plan folder: ``plan_unit("examples/municipality-c", "out")``.
"""

from .errors import InputError
from .metrics import rota_metrics
from .pipeline import plan_unit
from .read import load_unit
from .solve import explain, plan, prepare
from .validate import validate_folder, validate_rows

__all__ = [
    "InputError",
    "explain",
    "load_unit",
    "plan",
    "plan_unit",
    "prepare",
    "rota_metrics",
    "validate_folder",
    "validate_rows",
]
