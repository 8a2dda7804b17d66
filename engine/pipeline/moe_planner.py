"""`[tools] planner = "moe"`: the on-demand MoE's `plan` use case writes the tool plans (seed 8, 19).

The plan goes through `MoE.handle(ToolPlan(...))`, the MoE's real entry point: it loads the MoE
when it is installed and fits (gpt-oss, which plans in its own function calling, "harmony", read
back by `engine.tools.moe_plan.read_plan`), and otherwise lets the primary stand in under the JSON
plan's grammar. A planner that fails or runs past `[scheduler.moe] timeout_s` is a notice and no
tools for that turn (ToolStep), never a lost answer.
"""

from __future__ import annotations

from engine.events import ToolPlanResult
from engine.scheduler.moe import MoE, ToolPlan
from engine.tools.moe_plan import moe_messages, read_plan
from engine.tools.planner import EMPTY_PLAN, Plan, PlanRequest, PlanWriter
from engine.tools.registry import ToolRegistry


def moe_writer(moe: MoE, registry: ToolRegistry) -> PlanWriter:
    """A `PlanWriter` that asks the MoE (or its stand-in) for the plan."""

    async def write(request: PlanRequest) -> Plan:
        if not request.names:
            return EMPTY_PLAN
        native = tuple(moe_messages(request.question, registry, request.names))
        result = await moe.handle(ToolPlan(request.question, request.messages, request.schema, native))
        if not isinstance(result, ToolPlanResult):  # a ToolPlan always gets one; be explicit for the reader
            return EMPTY_PLAN
        return read_plan(result.text, result.native_format, request.names)

    return write
