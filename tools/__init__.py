"""The LangChain tools the advisor calls, listed explicitly. Each is a thin typed function whose docstring is
written for the model; the first line says when to call it. `tests/test_tools_snapshot.py` pins their names,
descriptions and schemas: that is the model's real API.

Launching is two-step by design: `request_launch` creates a job awaiting approval; only the user's own
Approve (UI or CLI) calls `trainer.jobs.approve_job`.
"""

from tools.advice import plan_training, recommend
from tools.data import inspect_dataset
from tools.guidance import search_guidance
from tools.jobs import cancel_job, evaluation_report, job_status, request_launch, resume_job

TOOLS = [
    search_guidance,
    recommend,
    inspect_dataset,
    plan_training,
    request_launch,
    job_status,
    cancel_job,
    resume_job,
    evaluation_report,
]

# Tools that need the user's confirmation before they run (LLM mode pauses on them: HumanInTheLoopMiddleware).
# resume_job restarts a job the user already approved, on the user's own request, so it is not paused again.
NEEDS_APPROVAL = ("request_launch",)

__all__ = ["TOOLS", "NEEDS_APPROVAL"] + [t.name for t in TOOLS]
