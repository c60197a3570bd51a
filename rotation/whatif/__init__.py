"""What-if planning: forecast demand, regroup the staff into other organisations, plan each with
the real solver, simulate the case flow over many random years, and compare.

The pipeline, as a notebook would call it::

    from rotation import load_unit
    from rotation.whatif import CompareOptions, compare, scenario_list, write_html
    unit = load_unit("examples/municipality-c")
    result = compare(unit, scenario_list([2, 3, 4], [2], False, [0]), CompareOptions(years=50))
    write_html(result, "report.html")
"""

from .compare import CompareOptions, Comparison, compare, run_scenario
from .report import write_html, write_plan_report
from .scenarios import Scenario, regroup, scenario_list
from .simulate import FlowModel, flow_setup, simulate

__all__ = [
    "CompareOptions",
    "Comparison",
    "FlowModel",
    "Scenario",
    "compare",
    "flow_setup",
    "regroup",
    "run_scenario",
    "scenario_list",
    "simulate",
    "write_html",
    "write_plan_report",
]
