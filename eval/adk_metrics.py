"""A metric for ADK's own `adk eval` (and `adk web`'s eval tab): the tools each turn called, by name.

The eval sets record, per turn, the tool calls a well-behaved model makes (the
replay that `python -m eval` runs). Under `adk eval` the agent runs on the
configured model instead; on `LLM_MODEL=scripted` that is the demo policy, a
literal-minded model that passes the customer's words whole to one tool (the code
splits "dos muzzas y una coca" itself). Arguments therefore differ by design, and so
can the number of calls, but which tools a turn uses may not: the coordinator's
routing picks the specialist, and a turn the code answers alone (a greeting, the
order summary) must call none. `tool_names_per_turn` scores 1 for a turn whose set
of called tool names equals the expected set, and the case passes at the threshold
in `eval/*/test_config.json` (1.0: every turn).
"""

from __future__ import annotations

from google.adk.evaluation.eval_case import (
    ConversationScenario,
    Invocation,
    get_all_tool_calls,
)
from google.adk.evaluation.eval_metrics import EvalMetric
from google.adk.evaluation.evaluator import (
    EvalStatus,
    EvaluationResult,
    PerInvocationResult,
)


def _names(invocation: Invocation) -> set[str]:
    return {call.name or "" for call in get_all_tool_calls(invocation.intermediate_data)}


def tool_names_per_turn(
    eval_metric: EvalMetric,
    actual_invocations: list[Invocation],
    expected_invocations: list[Invocation] | None = None,
    conversation_scenario: ConversationScenario | None = None,
) -> EvaluationResult:
    """Per turn, 1.0 when the tools called (by name, repeats ignored) are exactly the expected ones."""
    del conversation_scenario
    if expected_invocations is None:
        raise ValueError("tool_names_per_turn compares against the eval set's expected turns")
    criterion = eval_metric.criterion
    threshold = criterion.threshold if criterion is not None and criterion.threshold is not None else 1.0

    def status(score: float) -> EvalStatus:
        return EvalStatus.PASSED if score >= threshold else EvalStatus.FAILED

    results = []
    for actual, expected in zip(actual_invocations, expected_invocations, strict=True):
        score = 1.0 if _names(actual) == _names(expected) else 0.0
        results.append(PerInvocationResult(actual_invocation=actual, expected_invocation=expected, score=score,
                                           eval_status=status(score)))
    if not results:
        return EvaluationResult()
    overall = sum(r.score or 0.0 for r in results) / len(results)
    return EvaluationResult(overall_score=overall, overall_eval_status=status(overall), per_invocation_results=results)
