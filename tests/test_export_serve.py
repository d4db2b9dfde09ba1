"""Export and serve a job's model: the adapter folder, a merged model equal to base + adapter, an Ollama Modelfile
whose template reproduces the tokenizer's chat template, and an OpenAI-compatible server that the `openai` client
and LangChain's ChatOpenAI talk to on loopback. The model is the tiny random Llama with the real SmolLM2 tokenizer,
with a LoRA adapter whose weights are randomised so that merging has something to fold in."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
import torch
import yaml

from trainer import export, jobs
from trainer.export import ExportError


@pytest.fixture(scope="module")
def run_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """A run folder as a finished LoRA job leaves it: config.yaml and adapter/ (non-zero LoRA weights)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = tmp_path_factory.mktemp("run")
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"]))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:  # PEFT starts B at zero (adapter = identity); give it weight so merging matters
                p.normal_(0, 0.5)
    peft_model.save_pretrained(str(folder / "adapter"))
    AutoTokenizer.from_pretrained(str(tiny_model_dir)).save_pretrained(str(folder / "adapter"))
    (folder / "config.yaml").write_text(yaml.safe_dump({
        "kind": "sft", "model": {"base": str(tiny_model_dir)}, "data": {"train": str(folder / "unused.jsonl")}}))
    return folder


def _logits(model, tokenizer) -> torch.Tensor:
    ids = tokenizer("The merged model must compute what base plus adapter computes.", return_tensors="pt")
    with torch.no_grad():
        return model(**ids).logits


def test_a_merged_export_computes_the_same_logits_as_base_plus_adapter(run_dir, tiny_model_dir, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    result = export.export(run_dir, "merged", tmp_path / "merged")
    merged = AutoModelForCausalLM.from_pretrained(result["out"])
    tokenizer = AutoTokenizer.from_pretrained(result["out"])
    base = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    with_adapter = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tiny_model_dir)),
                                             str(run_dir / "adapter"))
    expected = _logits(with_adapter, tokenizer)
    assert (expected - _logits(base, tokenizer)).abs().max() > 1e-2  # the adapter really changes the output
    assert torch.allclose(_logits(merged, tokenizer), expected, atol=1e-4)
    assert "model.safetensors" in result["files"] and "tokenizer.json" in result["files"]


def test_an_adapter_export_is_a_peft_folder(run_dir, tmp_path):
    result = export.export(run_dir, "adapter", tmp_path / "adapter")
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(result["files"])
    assert json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())["r"] == 4


def test_the_ollama_template_pieces_reproduce_the_tokenizers_chat_template(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    pieces = export.turn_pieces(tokenizer)
    conversations = [
        [{"role": "system", "content": "Answer in French."}, {"role": "user", "content": "Hello"}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"},
         {"role": "assistant", "content": "4"}, {"role": "user", "content": "and 3+3?"}],
    ]
    for messages in conversations:
        assert export.render_turns(pieces, messages) == tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True)
    assert "<|im_end|>" in pieces.stops


def test_an_ollama_export_writes_a_modelfile_beside_the_merged_weights(run_dir, tmp_path):
    result = export.export(run_dir, "ollama", tmp_path / "ollama")
    text = (tmp_path / "ollama" / "Modelfile").read_text()
    assert "model.safetensors" in result["files"]
    assert text.splitlines()[1] == "FROM ."
    assert '{{ range .Messages }}' in text and '<|im_start|>assistant\n' in text
    assert 'PARAMETER stop "<|im_end|>"' in text


def test_export_refuses_a_non_empty_folder_and_an_unknown_format(run_dir, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export.export(run_dir, "merged", tmp_path / "busy")
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
    with pytest.raises(ExportError, match="unknown export format"):
        export.export(run_dir, "gguf", tmp_path / "new")


def test_the_export_command_refuses_a_job_that_has_not_succeeded(run_dir, tmp_path, capsys):
    from ui.cli import main

    job = jobs.create_job({"kind": "sft", "model": {"base": "smollm2"}, "data": {"train": str(tmp_path / "x.jsonl")}})
    assert main(["export", job.id, "--format", "adapter", "--out", str(tmp_path / "out")]) == 1
    assert "only a succeeded job can be exported" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_export_in_a_child_process_is_one_zip_and_its_refusal_comes_back_as_the_same_error(run_dir, tmp_path):
    """What the web app's Export does (trainer/export.py in a child process): one zip whose top folder is the
    export; a run folder without weights is refused with the child's own ExportError, and nothing is left behind."""
    import zipfile

    archive = export.export_isolated(run_dir, "adapter", tmp_path / "downloads")
    assert archive == tmp_path / "downloads" / f"{run_dir.name}-adapter.zip"
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
    top = f"{run_dir.name}-adapter"
    assert {f"{top}/adapter_config.json", f"{top}/adapter_model.safetensors", f"{top}/tunewise-export.json"} <= names
    assert [p.name for p in (tmp_path / "downloads").iterdir()] == [archive.name], "no scratch folder or .part left"

    empty = tmp_path / "empty-run"
    empty.mkdir()
    (empty / "config.yaml").write_text((run_dir / "config.yaml").read_text())
    with pytest.raises(ExportError, match="holds no trained weights") as refused:
        export.export_isolated(empty, "merged", tmp_path / "nothing")
    assert refused.value.code == "no_weights"
    assert not list((tmp_path / "nothing").glob("*.zip"))


# ---- serving --------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(run_dir):
    """`tunewise serve`'s app under a real uvicorn server on a free loopback port."""
    import uvicorn

    from trainer import serve

    chat = serve.load(run_dir, "tiny-job")
    port = _free_port()
    config = uvicorn.Config(serve.build_app(chat), host="127.0.0.1", port=port, log_level="warning")
    httpd = uvicorn.Server(config)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not httpd.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1"
    httpd.should_exit = True
    thread.join(timeout=10)


def test_the_openai_client_lists_the_model_and_gets_a_completion(server):
    from openai import OpenAI

    client = OpenAI(base_url=server, api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list().data] == ["tiny-job"]
    reply = client.chat.completions.create(model="tiny-job", messages=[{"role": "user", "content": "Hello"}],
                                           max_tokens=5, temperature=0)
    assert reply.choices[0].message.role == "assistant"
    assert reply.usage.completion_tokens <= 5 and reply.usage.prompt_tokens > 1
    assert reply.choices[0].finish_reason in ("stop", "length")


def test_a_streamed_completion_arrives_in_chunks_that_add_up_to_the_greedy_reply(server):
    from openai import OpenAI

    client = OpenAI(base_url=server, api_key="unused", max_retries=0)
    ask = {"model": "tiny-job", "messages": [{"role": "user", "content": "Count to three"}], "max_tokens": 6,
           "temperature": 0}
    whole = client.chat.completions.create(**ask).choices[0].message.content
    chunks = list(client.chat.completions.create(**ask, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == whole
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")


def test_langchain_chat_openai_talks_to_the_served_model(server):
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model="tiny-job", base_url=server, api_key="unused", max_tokens=4, temperature=0, max_retries=0)
    assert isinstance(llm.invoke("Say hi").content, str)


def test_a_malformed_request_gets_a_400_naming_the_field(server):
    import httpx

    r = httpx.post(server + "/chat/completions", json={"model": "tiny-job", "messages": [{"role": "robot"}]})
    assert r.status_code == 400 and "messages[0]" in r.json()["error"]["message"]


def test_serving_off_loopback_without_an_api_key_is_refused(capsys):
    from ui.cli import main

    assert main(["serve", "some-job", "--host", "0.0.0.0"]) == 1
    assert "--api-key" in capsys.readouterr().err
