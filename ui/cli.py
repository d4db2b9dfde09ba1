"""The `tunewise` command line. Every command of DESIGN.md is listed here; each handler lives in the package
that does the work and is imported only when its command runs, so `tunewise --help` stays instant.

A handler takes the parsed arguments and returns the exit status. A `UserError` (bad input, missing model,
unwritable state folder) is printed as one sentence with exit status 1, never as a traceback.
"""

from __future__ import annotations

from trainer.state.home import apply_offline_env

apply_offline_env()  # before anything imports transformers, gradio or chromadb

import argparse  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402

from trainer import validate_args  # noqa: E402
from trainer.state.errors import UserError  # noqa: E402

# command -> "module:function"; the module is imported only when the command runs.
HANDLERS = {
    "chat": "ui.app:chat_command",
    "ask": "agent.terminal:ask_command",
    "advise": "agent.terminal:advise_command",
    "search": "knowledge.commands:search_command",
    "index": "knowledge.commands:index_command",
    "validate-data": "trainer.validate:validate_command",
    "train": "trainer.launch:train_command",
    "jobs": "ui.cli:jobs_command",
    "export": "trainer.export:export_command",
    "serve": "trainer.serve:serve_command",
    "doctor": "ui.doctor:doctor_command",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tunewise",
        description="Decide between prompting, retrieval, fine-tuning and pretraining, then run and evaluate the "
        "training. With no command, serves the chat app on http://127.0.0.1:7860.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("chat", help="serve the web app (default: http://127.0.0.1:7860)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    p.add_argument("--auth", help="require a login: USER:PASSWORD, or a file with one USER:PASSWORD per line")
    p.add_argument("--insecure-no-auth", action="store_true",
                   help="serve without --auth on a non-loopback --host: everyone who reaches it sees every "
                   "conversation and can approve every job (only on a network that is yours alone)")

    p = sub.add_parser("ask", help="a conversation with the advisor in the terminal")
    p.add_argument("--conversation", help="continue this conversation id")

    p = sub.add_parser("advise", help="run the interview against a scripted user and print the recommendation")
    p.add_argument("--scenario", required=True, help="scenario JSON file: {id, opening, answers, expect}")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    p = sub.add_parser("search", help="search the guidance index")
    p.add_argument("query", help="what to look for, in plain words")
    p.add_argument("--k", type=int, default=3, help="how many passages to return (default 3)")
    p.add_argument("--approach", help="only passages about this approach id (e.g. rag, lora_finetune)")
    p.add_argument("--topic", help="only passages with this topic")
    p.add_argument("--json", action="store_true", help="print JSON: [{source, title, text, score}]")

    p = sub.add_parser("index", help="build or update the guidance index; `index add PATH` adds your own documents")
    p.add_argument("action", nargs="?", choices=["build", "add", "status"], default="build",
                   help="build (default): index the built-in guides, re-embedding only what changed; "
                   "add PATH: index your own markdown or text files; status: what the index holds")
    p.add_argument("path", nargs="?", help="file or folder for `index add`")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = sub.add_parser("validate-data", help="check a training dataset and report located errors")
    validate_args.add_arguments(p)

    p = sub.add_parser("train", help="run one training job headless (the same code path the chat launches)")
    p.add_argument("config", help="YAML config, see trainer/configs/")
    p.add_argument("--nproc", type=int, default=None,
                   help="training processes on this machine, e.g. one per GPU (torchrun); default: the config's "
                   "launch.nproc_per_node, 1")
    p.add_argument("--nnodes", type=int, default=None, help="machines taking part (torchrun); default launch.nnodes, 1")
    p.add_argument("--node-rank", type=int, default=None, help="this machine's rank among --nnodes (0 = the master)")
    p.add_argument("--master-addr", default=None, help="address of node 0 for the rendezvous (default 127.0.0.1)")
    p.add_argument("--master-port", type=int, default=None, help="port of node 0 for the rendezvous (default 29500)")
    p.add_argument("--run-dir", default=None,
                   help="write the run into this folder; default a new folder under TUNEWISE_HOME/runs")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --run-dir from its last complete checkpoint")
    p.add_argument("--emit-slurm", metavar="FILE", nargs="?", const="-",
                   help="write a SLURM sbatch script (srun torchrun ...) instead of training; - for stdout; "
                   "--nnodes and --nproc give its nodes and GPUs per node")

    p = sub.add_parser("jobs", help="list, show, approve, cancel or resume training jobs; run the queue")
    p.add_argument("action", nargs="?", choices=["list", "show", "cancel", "resume", "approve", "run"], default="list",
                   help="list (default); show ID; approve ID (you approve it: it is validated and queued); cancel ID "
                   "(stops at the next step after a checkpoint); resume ID (an interrupted job, from its last complete "
                   "checkpoint); run: start queued jobs here until none is left (when the app is not running)")
    p.add_argument("id", nargs="?", help="job id for show, cancel, resume or approve")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("export", help="write a succeeded job's model as an adapter, a merged model or an Ollama folder")
    p.add_argument("job", help="job id (see `tunewise jobs list`)")
    p.add_argument("--format", choices=["adapter", "merged", "ollama"], default="merged",
                   help="adapter: the PEFT adapter folder; merged (default): safetensors + tokenizer that "
                   "AutoModelForCausalLM.from_pretrained loads; ollama: the merged folder plus a Modelfile")
    p.add_argument("--out", required=True, help="a new or empty folder to write into")
    p.add_argument("--json", action="store_true", help="print {format, out, files} as JSON")

    p = sub.add_parser("serve", help="serve a succeeded job's model behind the OpenAI chat API (/v1/chat/completions)")
    p.add_argument("job", help="job id (see `tunewise jobs list`)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--api-key", help="require `Authorization: Bearer KEY` on every request (needed off loopback)")

    sub.add_parser("doctor", help="check that tunewise can run here, and say what to fix when it cannot")

    for action in sub._choices_actions:  # say plainly which commands this version does not have yet
        if not _built(action.dest):
            action.help = f"{action.help} [not built yet]"
    return parser


def jobs_command(args: argparse.Namespace) -> int:
    """`tunewise jobs …` (trainer.jobs); `jobs run` also reports each job's milestones and results into the
    conversation that asked for it (agent.milestones), as the app does, so they arrive with no app open."""
    # imported here, like every command's module, so `tunewise --help` stays instant
    from agent import milestones
    from trainer.foreground import jobs_command as run

    if args.action != "run":
        return run(args)
    milestones.start()
    try:
        return run(args)
    finally:
        milestones.stop()
        milestones.sync()  # the last job's end, in case it came after the thread's final pass


def _built(command: str) -> bool:
    module_name = HANDLERS[command].split(":")[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "chat"
    if args.command is None:  # bare `tunewise` serves the app with the chat defaults
        args = build_parser().parse_args(["chat"])
    module_name, func_name = HANDLERS[command].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"tunewise {command}: not built yet in this version.", file=sys.stderr)
        return 2
    try:
        return int(getattr(module, func_name)(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
