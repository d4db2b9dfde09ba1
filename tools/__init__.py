"""Thin typed LangChain tools over the layers below: the guidance index (`tools.guidance`), the data validator
(`tools.data`) and the job runner (`tools.jobs`); every call is logged (`tools._log`). Each is a plain function
whose docstring is written for the model that reads it; the first line says when to call it.

The advisor's own tools (`recommend`, `plan_training`) and the explicit list of every tool the model sees
(`TOOLS`) are in `agent.toolset`: they wrap the agent's engine, and `tools` sits below `agent`.

No tool here approves a job: `request_launch` creates one awaiting approval; only the user's own Approve (UI or
CLI) calls `trainer.jobs.approve_job`.
"""
