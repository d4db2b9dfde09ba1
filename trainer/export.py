"""Export a finished job's model in the forms people deploy: the PEFT adapter, a merged model, or an Ollama folder.

    tunewise export JOB --format adapter --out DIR   # the LoRA adapter folder (PEFT), plus the tokenizer
    tunewise export JOB --format merged  --out DIR   # safetensors + tokenizer: AutoModelForCausalLM.from_pretrained(DIR)
    tunewise export JOB --format ollama  --out DIR   # the merged folder plus a Modelfile: `ollama create NAME -f DIR/Modelfile`

The web app's job panel offers the same three on a succeeded job as a zip download: `export_isolated` runs
`export_zip` in a child process (`python -m trainer.export RUN_DIR FORMAT ZIP`), so the app keeps answering other
users while a merged model is written.

A merged folder also serves on a GPU with vLLM: `vllm serve DIR --served-model-name NAME` (see the README).

Merging folds the adapter into a fresh full-precision copy of the base (`merge_and_unload`): a 4-bit QLoRA base
cannot be merged losslessly, so the merge always starts from the fp32 base weights. Full fine-tuning already
wrote the whole model (`model/`), which is copied as it is.

The Ollama template is derived from the tokenizer's own chat template, not from a table of known model families:
a conversation of marker strings is rendered with `apply_chat_template`, and the text around each marker is the
prefix and suffix of that role's turn. `render_turns` re-renders any conversation from those pieces, so a test
can check that the pieces reproduce the real template exactly before they are written as an Ollama (Go) template.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import psutil

from trainer import jobs
from trainer.base_models import load_model, load_tokenizer
from trainer.config import load_config
from trainer.state.errors import UserError
from trainer.state.home import apply_offline_env

FORMATS = ("adapter", "merged", "ollama")
FORMAT_LABELS = {"adapter": "LoRA adapter (PEFT folder)", "merged": "Merged model (safetensors + tokenizer)",
                 "ollama": "Ollama (merged model + Modelfile)"}
CHILD_KILL_AFTER_S = 3600  # a merged export of a 7 B model on a CPU: load ≈ 28 GB of fp32 weights, merge, write, zip
CHILD_NICENESS = 5  # the export child yields the CPU to the app and to training jobs
STORED = (".safetensors", ".bin", ".gguf")  # weights barely compress: stored, not deflated, in the zip

# Marker strings that no chat template adds or changes; each stands for one message's content.
_SYSTEM, _USER1, _ASSISTANT, _USER2 = "\u2063SYS\u2063", "\u2063U1\u2063", "\u2063A1\u2063", "\u2063U2\u2063"


class ExportError(UserError):
    """The job or its run folder cannot be exported as asked."""


@dataclass(frozen=True)
class JobModel:
    """Where a finished job's weights are: an adapter over `base`, or a whole model folder (full fine-tuning)."""

    run_dir: Path
    base: str  # the base model as the config names it (bundled name, folder or hub id)
    adapter: Path | None  # run_dir/adapter, when the job trained LoRA/QLoRA adapters
    full: Path | None  # run_dir/model (full fine-tuning) or run_dir/merged (merged at training time)


def locate(run_dir: Path) -> JobModel:
    """Find the trained weights in a run folder; the error names what is missing."""
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise ExportError(f"{run_dir} has no config.yaml, so it is not a finished tunewise run", "not_a_run", "run_dir")
    base = load_config(config_path).model.base
    adapter = run_dir / "adapter"
    full = next((p for p in (run_dir / "model", run_dir / "merged") if (p / "config.json").is_file()), None)
    if not (adapter / "adapter_config.json").is_file() and full is None:
        raise ExportError(f"{run_dir} holds no trained weights (neither adapter/ nor model/); did the job succeed?",
                          "no_weights", "run_dir")
    return JobModel(run_dir, base, adapter if (adapter / "adapter_config.json").is_file() else None, full)


def load_tuned(job: JobModel, dtype=None):
    """The tuned model as one plain `PreTrainedModel` (adapter merged in) and its tokenizer."""
    if job.full is not None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model = AutoModelForCausalLM.from_pretrained(str(job.full), dtype=dtype)
        tokenizer = AutoTokenizer.from_pretrained(str(job.full))
    else:
        from peft import PeftModel

        model = PeftModel.from_pretrained(load_model(job.base, dtype=dtype), str(job.adapter)).merge_and_unload()
        tokenizer = load_tokenizer(job.base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def export(run_dir: Path, fmt: str, out: Path) -> dict:
    """Write the job's model into `out` in format `fmt`; returns {"format", "out", "files": [names]}."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}", "bad_format", "format")
    job = locate(run_dir)
    out = out.expanduser()
    if out.exists() and any(out.iterdir()):
        raise ExportError(f"{out} is not empty; export into a new or empty folder", "out_not_empty", "out")
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "adapter":
        if job.adapter is None:
            raise ExportError("this job trained all weights (full fine-tuning), so it has no adapter; export it as "
                              "--format merged", "no_adapter", "format")
        shutil.copytree(job.adapter, out, dirs_exist_ok=True)
    else:
        model, tokenizer = load_tuned(job)
        model.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
        if fmt == "ollama":
            (out / "Modelfile").write_text(modelfile(tokenizer, name=run_dir.name))
    (out / "tunewise-export.json").write_text(json.dumps({"job": run_dir.name, "format": fmt, "base": job.base}))
    return {"format": fmt, "out": str(out), "files": sorted(p.name for p in out.iterdir())}


def archive(folder: Path, zip_path: Path) -> Path:
    """Pack `folder` into `zip_path`, its files under one top folder named like the zip (so unzipping makes one
    folder, not a heap of files). Written under a temporary name and renamed, so a half-written zip never shows."""
    partial = zip_path.with_name(zip_path.name + ".part")
    top = zip_path.stem
    with zipfile.ZipFile(partial, "w", allowZip64=True) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            kind = zipfile.ZIP_STORED if path.suffix in STORED else zipfile.ZIP_DEFLATED
            zf.write(path, f"{top}/{path.relative_to(folder).as_posix()}", compress_type=kind)
    os.replace(partial, zip_path)
    return zip_path


def export_zip(run_dir: Path, fmt: str, zip_path: Path) -> dict:
    """`export` into a scratch folder beside `zip_path`, packed as `zip_path` (the folder is removed);
    returns export's summary with "zip" and "zip_bytes" added."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=zip_path.parent, prefix=".export-") as scratch:
        result = export(run_dir, fmt, Path(scratch) / "out")
        archive(Path(result["out"]), zip_path)
    return {**result, "out": None, "zip": str(zip_path), "zip_bytes": zip_path.stat().st_size}


def export_isolated(run_dir: Path, fmt: str, folder: Path) -> Path:
    """`export_zip` of the run in a child process at lowered priority; returns the zip's path
    (folder/<job>-<format>.zip). The child loads the model (a merged export holds base and adapter in memory), so
    the caller's process stays small and responsive; its refusal comes back as the same ExportError."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}", "bad_format", "format")
    zip_path = Path(folder) / f"{Path(run_dir).name}-{fmt}.zip"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [str(Path(__file__).resolve().parents[1]),
                                                                   os.environ.get("PYTHONPATH", "")] if p)}
    child = subprocess.Popen([sys.executable, "-m", "trainer.export", str(run_dir), fmt, str(zip_path)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        psutil.Process(child.pid).nice(CHILD_NICENESS)
    except psutil.Error:
        pass  # it already finished, or this system refuses: the export runs at normal priority
    try:
        out, err = child.communicate(timeout=CHILD_KILL_AFTER_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise ExportError(f"the export took longer than {CHILD_KILL_AFTER_S // 60} minutes and was stopped; run "
                          f"`tunewise export {Path(run_dir).name} --format {fmt} --out DIR` instead",
                          "export_timeout", "format") from None
    try:
        reply = json.loads(out.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        last = (err.strip().splitlines() or ["no output"])[-1][:300]
        raise ExportError(f"the export stopped (exit status {child.returncode}): {last}", "export_failed",
                          "format") from None
    if "error" in reply:
        raise ExportError(reply["error"]["message"], reply["error"]["code"], reply["error"]["param"])
    return Path(reply["zip"])


def succeeded_run_dir(job_id: str) -> Path:
    """The run folder of a job that may be exported (it succeeded); an ExportError naming its state otherwise."""
    job = jobs.get_job(job_id)
    if job.state != jobs.SUCCEEDED:
        raise ExportError(f"job {job.id} is {job.state}; only a succeeded job can be exported", "job_not_succeeded",
                          "job")
    return Path(job.run_dir)


# ---- the chat template as turn pieces ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TurnPieces:
    """A chat template cut at its messages: each role's turn is prefix + content + suffix."""

    start: str  # text before the first turn (e.g. a BOS token)
    system: tuple[str, str]
    user: tuple[str, str]
    assistant: tuple[str, str]
    generation: str  # what opens the assistant's reply (add_generation_prompt)
    stops: tuple[str, ...]  # strings that end an assistant turn


def _split(between: str, end_tokens: list[str]) -> tuple[str, str]:
    """Cut the text between two contents into (suffix of the first turn, prefix of the next) at the first end token
    (plus the newline that follows it); without one, all of it opens the next turn."""
    for token in end_tokens:
        at = between.find(token)
        if at >= 0:
            cut = at + len(token)
            if between[cut:cut + 1] == "\n":
                cut += 1
            return between[:cut], between[cut:]
    return "", between


def turn_pieces(tokenizer) -> TurnPieces:
    """Read the tokenizer's chat template as prefixes and suffixes by rendering marker messages through it."""
    if not getattr(tokenizer, "chat_template", None):
        raise ExportError("the tokenizer has no chat template, so an Ollama template cannot be derived from it",
                          "no_chat_template", "tokenizer")
    messages = [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": _USER1},
                {"role": "assistant", "content": _ASSISTANT}, {"role": "user", "content": _USER2}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if not all(m in text for m in (_SYSTEM, _USER1, _ASSISTANT, _USER2)):
        raise ExportError("the chat template drops or rewrites message contents (e.g. no system role), so its turns "
                          "cannot be read off it", "unreadable_chat_template", "tokenizer")
    specials = [t for t in tokenizer.all_special_tokens if t and t in text]
    end_tokens = sorted({t for t in specials if "end" in t.lower() or "eot" in t.lower() or t == tokenizer.eos_token},
                        key=text.find)
    before_sys, rest = text.split(_SYSTEM, 1)
    sys_to_u1, rest = rest.split(_USER1, 1)
    u1_to_a1, rest = rest.split(_ASSISTANT, 1)
    a1_to_u2, generation_tail = rest.split(_USER2, 1)
    sys_suffix, user_prefix = _split(sys_to_u1, end_tokens)
    user_suffix, assistant_prefix = _split(u1_to_a1, end_tokens)
    assistant_suffix, user_prefix_again = _split(a1_to_u2, end_tokens)
    _, generation = _split(generation_tail, end_tokens)
    # The system turn's prefix is what precedes the system content after the template's fixed start: assume the
    # system turn opens like the user turn with the role name swapped (true of ChatML, Llama 3, Gemma, Mistral).
    role_prefix = user_prefix_again.replace("user", "system") if "user" in user_prefix_again else ""
    start, system_prefix = (before_sys[: -len(role_prefix)], role_prefix) \
        if role_prefix and before_sys.endswith(role_prefix) else ("", before_sys)
    stops = tuple(dict.fromkeys(t for t in end_tokens if t in assistant_suffix or t == tokenizer.eos_token))
    return TurnPieces(start, (system_prefix, sys_suffix), (user_prefix_again, user_suffix),
                      (assistant_prefix, assistant_suffix), generation, stops)


def render_turns(pieces: TurnPieces, messages: list[dict]) -> str:
    """A conversation rendered from the pieces, as the Ollama template will render it (with the reply opened)."""
    out = pieces.start
    for m in messages:
        prefix, suffix = getattr(pieces, m["role"])
        out += prefix + m["content"] + suffix
    return out + pieces.generation


def _go(text: str) -> str:
    """A literal for Go's text/template: everything outside {{ }} is literal, so only braces need care."""
    return text.replace("{{", '{{ "{{" }}')


def modelfile(tokenizer, name: str) -> str:
    """An Ollama Modelfile for the merged safetensors folder beside it (Ollama imports Llama-family safetensors)."""
    p = turn_pieces(tokenizer)
    template = (
        f'{_go(p.start)}{{{{ if .System }}}}{_go(p.system[0])}{{{{ .System }}}}{_go(p.system[1])}{{{{ end }}}}'
        f'{{{{ range .Messages }}}}'
        f'{{{{ if eq .Role "user" }}}}{_go(p.user[0])}{{{{ .Content }}}}{_go(p.user[1])}'
        f'{{{{ else if eq .Role "assistant" }}}}{_go(p.assistant[0])}{{{{ .Content }}}}{_go(p.assistant[1])}'
        f'{{{{ else if eq .Role "system" }}}}{_go(p.system[0])}{{{{ .Content }}}}{_go(p.system[1])}'
        f'{{{{ end }}}}{{{{ end }}}}{_go(p.generation)}'
    )
    lines = [f"# Ollama model for tunewise job {name}: ollama create {name} -f Modelfile", "FROM .",
             f'TEMPLATE """{template}"""']
    lines += [f'PARAMETER stop "{s}"' for s in p.stops]
    return "\n".join(lines) + "\n"


# ---- command line ---------------------------------------------------------------------------------------------
def export_command(args: argparse.Namespace) -> int:
    result = export(succeeded_run_dir(args.job), args.format, Path(args.out))
    print(json.dumps(result) if args.json else f"exported job {args.job} as {args.format} into {result['out']}: "
          + ", ".join(result["files"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m trainer.export RUN_DIR FORMAT ZIP`: the child of `export_isolated`. Its last stdout line is one
    JSON object: export_zip's summary, or {"error": {code, message, param}} (exit status 1)."""
    apply_offline_env()
    parser = argparse.ArgumentParser(prog="python -m trainer.export", description=export_isolated.__doc__)
    parser.add_argument("run_dir", help="the job's run folder")
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("zip", help="the zip file to write (its folder is created)")
    args = parser.parse_args(argv)
    try:
        result = export_zip(Path(args.run_dir), args.format, Path(args.zip))
    except UserError as exc:
        print(json.dumps({"error": {"code": exc.code, "message": str(exc), "param": exc.param}}), flush=True)
        return 1
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
