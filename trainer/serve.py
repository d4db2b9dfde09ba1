"""Serve a finished job's model behind the OpenAI chat API shape, so existing clients switch by changing a URL.

    tunewise serve JOB [--host 127.0.0.1] [--port 8000] [--api-key KEY]

    GET  /v1/models             the one model served, named after the job
    POST /v1/chat/completions   {"model", "messages", "max_tokens", "temperature", "top_p", "stop", "stream"}

Any OpenAI client works against it (`OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")`, LangChain's
`ChatOpenAI(base_url=...)`), and so does tunewise's own advisor: `TUNEWISE_LLM=openai:JOB
TUNEWISE_LLM_BASE_URL=http://127.0.0.1:8000/v1`.

This is a reference server for one user on one machine: the model is loaded once, requests generate one at a
time (a lock; a CPU or one GPU is busy with one generation anyway), greedy when temperature is 0. For throughput
on a GPU, export the merged model and serve it with vLLM (`tunewise export JOB --format merged --out DIR`, then
`vllm serve DIR --served-model-name JOB`). Binding to anything but loopback needs `--api-key`, which every request
must then send as `Authorization: Bearer KEY`.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import anyio

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from trainer import jobs
from trainer.export import load_tuned, locate
from trainer.state.errors import UserError

DEFAULT_MAX_TOKENS = 256  # new tokens when the request does not say; OpenAI's own default is model-dependent


class ServeError(UserError):
    """The server cannot start as asked."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ChatModel:
    """The tuned model and its tokenizer, loaded once; `complete` and `stream` produce OpenAI-shaped replies."""

    def __init__(self, model, tokenizer, name: str):
        self.model, self.tokenizer, self.name = model.eval(), tokenizer, name
        self.lock = threading.Lock()
        self.created = int(time.time())

    def _inputs(self, messages: list[dict]):
        import torch

        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                 return_dict=True)
        return {k: v.to(self.model.device) for k, v in ids.items() if isinstance(v, torch.Tensor)}

    def _generate_kwargs(self, body: dict) -> dict:
        temperature = float(body.get("temperature", 1.0) if body.get("temperature") is not None else 1.0)
        kwargs: dict[str, Any] = {"max_new_tokens": int(body.get("max_tokens") or body.get("max_completion_tokens")
                                                        or DEFAULT_MAX_TOKENS),
                                  "pad_token_id": self.tokenizer.pad_token_id}
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=float(body.get("top_p") or 1.0))
        else:
            kwargs.update(do_sample=False)
        return kwargs

    @staticmethod
    def _stop_at(text: str, stop: list[str]) -> tuple[str, bool]:
        cuts = [text.find(s) for s in stop if s and s in text]
        return (text[: min(cuts)], True) if cuts else (text, False)

    def complete(self, body: dict) -> dict:
        import torch

        stop = _stops(body)
        inputs = self._inputs(body["messages"])
        with self.lock, torch.no_grad():
            out = self.model.generate(**inputs, **self._generate_kwargs(body))
        new = out[0, inputs["input_ids"].shape[1]:]
        text, stopped = self._stop_at(self.tokenizer.decode(new, skip_special_tokens=True), stop)
        finish = "stop" if stopped or (len(new) and int(new[-1]) == self.tokenizer.eos_token_id) or \
            len(new) < self._generate_kwargs(body)["max_new_tokens"] else "length"
        prompt_tokens = int(inputs["input_ids"].shape[1])
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
                "model": self.name,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": int(len(new)),
                          "total_tokens": prompt_tokens + int(len(new))}}

    def stream(self, body: dict) -> Iterator[str]:
        """Server-sent events: a role chunk, content chunks as tokens decode, a finish chunk, then [DONE]."""
        import torch
        from transformers import TextIteratorStreamer

        stop = _stops(body)
        inputs = self._inputs(body["messages"])
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        chunk_id, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

        def chunk(delta: dict, finish: str | None = None) -> str:
            return "data: " + json.dumps({"id": chunk_id, "object": "chat.completion.chunk", "created": created,
                                          "model": self.name,
                                          "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"

        def generate() -> None:
            try:
                with torch.no_grad():
                    self.model.generate(**inputs, **self._generate_kwargs(body), streamer=streamer)
            except Exception:  # the streamer must still end, or the response would wait forever
                streamer.end()
                raise

        with self.lock:
            worker = threading.Thread(target=generate, daemon=True)
            worker.start()
            sent, finish, drained = "", "length", False
            try:
                yield chunk({"role": "assistant", "content": ""})
                for piece in streamer:
                    text, stopped = self._stop_at(sent + piece, stop)
                    if text[len(sent):]:
                        yield chunk({"content": text[len(sent):]})
                    sent = text
                    if stopped:
                        finish = "stop"
                        break
                else:
                    drained = True
            finally:  # a stop string or a client that went away: let generate() end before the lock is freed
                if not drained:  # (the streamer signals its end once; iterating an ended one would block)
                    for _ in streamer:
                        pass
                worker.join()
        yield chunk({}, finish)
        yield "data: [DONE]\n\n"


def _stops(body: dict) -> list[str]:
    stop = body.get("stop")
    return [stop] if isinstance(stop, str) else list(stop or [])


def _check_body(body: Any) -> str | None:
    """What is wrong with a chat request, in the words of its field, or None."""
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: a non-empty list of {role, content} is required"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant") \
                or not isinstance(m.get("content"), str):
            return f"messages[{i}]: needs role system, user or assistant and a string content"
    if body.get("n", 1) != 1:
        return "n: this server returns one choice per request"
    return None


def build_app(chat: ChatModel, api_key: str | None = None):
    """The FastAPI application (uvicorn runs it; tests run it the same way on a free loopback port)."""
    app = FastAPI(title="tunewise serve", docs_url=None, redoc_url=None)

    def refused(request: Request):
        if api_key and request.headers.get("authorization") != f"Bearer {api_key}":
            return JSONResponse({"error": {"message": "missing or wrong API key", "type": "invalid_request_error",
                                           "code": "invalid_api_key"}}, status_code=401)
        return None

    @app.get("/v1/models")
    def models(request: Request):
        if (denied := refused(request)) is not None:
            return denied
        return {"object": "list",
                "data": [{"id": chat.name, "object": "model", "created": chat.created, "owned_by": "tunewise"}]}

    @app.post("/v1/chat/completions")
    async def completions(request: Request):
        if (denied := refused(request)) is not None:
            return denied
        try:
            body = await request.json()
        except ValueError:
            body = None
        problem = _check_body(body)
        if problem:
            return JSONResponse({"error": {"message": problem, "type": "invalid_request_error", "param": None}},
                                status_code=400)
        if body.get("stream"):
            return StreamingResponse(chat.stream(body), media_type="text/event-stream")
        return await anyio.to_thread.run_sync(chat.complete, body)

    return app


def load(run_dir: Path, name: str) -> ChatModel:
    model, tokenizer = load_tuned(locate(run_dir))
    return ChatModel(model, tokenizer, name)


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn  # only the command serves; building the app for tests needs no server

    if not _is_loopback(args.host) and not args.api_key:
        raise ServeError(f"--host {args.host} would let anyone on the network use the model; add --api-key KEY "
                         "(clients send it as Authorization: Bearer KEY) or serve on 127.0.0.1", "needs_api_key",
                         "host")
    job = jobs.get_job(args.job)
    if job.state != jobs.SUCCEEDED:
        raise ServeError(f"job {job.id} is {job.state}; only a succeeded job can be served", "job_not_succeeded",
                         "job")
    chat = load(Path(job.run_dir), job.id)
    print(f"serving job {job.id} on http://{args.host}:{args.port}/v1 (OpenAI chat API); Ctrl-C stops", flush=True)
    uvicorn.run(build_app(chat, args.api_key), host=args.host, port=args.port, log_level="warning")
    return 0
