"""A generated corpus of hostile data files: giant lines, deep nesting, huge numbers, binary, UTF-16/32, NUL
bytes, lone surrogates, a million rows, truncated gzip, zip and gzip bombs, FIFOs and devices, and seeded byte
mutations of valid files.

`build(folder, full)` writes it and returns the paths. `full=False` (the default test suite) keeps every kind but
shrinks the sizes (a 9 MiB line instead of 50 MB, 20,000 rows instead of 1,000,000, a 64 MiB bomb instead of
1 GiB); `full=True` is what tests/bench/bench_data_hostile.py measures.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import zipfile
from pathlib import Path

ROW = {"messages": [{"role": "user", "content": "What is the boiling point of water at sea level?"},
                    {"role": "assistant", "content": "100 °C (212 °F)."}]}
ROW_TEXT = json.dumps(ROW, ensure_ascii=False)


def _rows(n: int, start: int = 0) -> bytes:
    return "".join(json.dumps({"prompt": f"Question {i}?", "completion": f"Answer {i}."}) + "\n"
                   for i in range(start, start + n)).encode()


def _stream_write(path: Path, chunk: bytes, total: int, head: bytes = b"", tail: bytes = b"") -> None:
    with open(path, "wb") as f:
        f.write(head)
        left = total
        while left > 0:
            f.write(chunk[:left])
            left -= len(chunk)
        f.write(tail)


def _gzip_stream(path: Path, chunk: bytes, total: int, level: int = 9) -> None:
    with gzip.open(path, "wb", compresslevel=level) as f:
        left = total
        while left > 0:
            f.write(chunk[:left])
            left -= len(chunk)


def _parquet(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def build(folder: Path, full: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    big_line = 50_000_000 if full else 9 * 2**20  # bytes; the row cap is 8 MiB
    many_rows = 1_000_000 if full else 20_000
    bomb = 2**30 if full else 64 * 2**20  # decompressed bytes
    paths: list[Path] = []

    def write(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        paths.append(folder / name)

    good = _rows(40)
    # giant lines, in every container
    for suffix, head, tail in ((".jsonl", b'{"prompt": "', b'", "completion": "x"}\n'),
                               (".json", b'[{"prompt": "', b'", "completion": "x"}]'),
                               (".csv", b'prompt,completion\n"', b'",x\n'),
                               (".txt", b"", b"\n"),
                               (".csv", b'prompt,completion\n"', b""),  # a quote that never closes
                               (".jsonl", good + b'{"prompt": "', b'"}\n' + good)):
        name = f"giant_line_{len(paths)}{suffix}"
        _stream_write(folder / name, b"a" * 65536, big_line, head, tail)
        paths.append(folder / name)
    _stream_write(folder / "giant_no_newline.jsonl", b"x" * 65536, big_line)
    paths.append(folder / "giant_no_newline.jsonl")
    # deep nesting and huge numbers, as JSONL rows and as array elements
    for depth in (65, 200, 1000, 5000, 100_000, 1_000_000):
        write(f"deep_list_{depth}.jsonl", good + b"[" * depth + b"]" * depth + b"\n")
        write(f"deep_object_{depth}.jsonl", good + b'{"a":' * depth + b"1" + b"}" * depth + b"\n")
        write(f"deep_in_array_{depth}.json", b'[{"prompt": "a", "completion": "b"}, ' + b"[" * depth + b"]" * depth +
              b"]")
        write(f"deep_unclosed_{depth}.jsonl", b"[" * depth + b"\n" + good)
    for digits in (65, 5000, 100_000, 1_000_000):
        write(f"big_int_{digits}.jsonl", good + b'{"prompt": "a", "completion": "b", "n": ' + b"9" * digits + b"}\n")
        write(f"big_float_{digits}.jsonl", good + b'{"prompt": "a", "completion": "b", "n": 0.' + b"1" * digits +
              b"e5}\n")
        write(f"big_int_{digits}.json", b"[" + b"7" * digits + b"]")
        write(f"big_exponent_{digits}.jsonl", good + b'{"n": 1e' + b"9" * digits + b"}\n")
    # binary and foreign encodings
    r = random.Random(7)
    for i in range(8):
        write(f"random_{i}.jsonl", bytes(r.getrandbits(8) for _ in range(4096 * (i + 1))))
    write("zeros.jsonl", b"\x00" * 100_000)
    write("png_renamed.jsonl", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    write("elf_renamed.csv", b"\x7fELF" + bytes(range(256)) * 10)
    write("pdf_renamed.json", b"%PDF-1.7\n" + bytes(range(256)) * 10)
    write("sqlite_renamed.jsonl", b"SQLite format 3\x00" + bytes(1000))
    write("gguf_renamed.jsonl", b"GGUF" + bytes(1000))
    text = good.decode()
    for encoding, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00"),
                          ("utf-32-be", b"\x00\x00\xfe\xff")):
        write(f"{encoding}_bom.jsonl", bom + text.encode(encoding))
        write(f"{encoding}_no_bom.jsonl", text.encode(encoding))
        write(f"{encoding}_bom.csv", bom + "prompt,completion\nq,a\n".encode(encoding) * 20)
        write(f"{encoding}_bom_odd_tail.jsonl", bom + text.encode(encoding) + b"\x00")
    write("latin1.jsonl", "".join(json.dumps({"prompt": "café", "completion": "crème"}, ensure_ascii=False) + "\n"
                                  for _ in range(20)).encode("latin-1"))
    write("cp1252_quotes.csv", "prompt,completion\n“q”,‘a’\n".encode("cp1252") * 20)
    # NUL bytes and lone surrogates inside otherwise good files
    write("nul_in_row.jsonl", good + b'{"prompt": "a\x00b", "completion": "c"}\n' + good)
    write("nul_after_probe.jsonl", good * 300 + b"\x00" * 50 + good)
    write("escaped_nul.jsonl", good + b'{"prompt": "a\\u0000b", "completion": "c"}\n')
    write("surrogate_escape.jsonl", good + b'{"prompt": "\\ud800", "completion": "x"}\n' +
          b'{"prompt": "ok", "completion": "\\udfff tail"}\n')
    write("surrogate_bytes.jsonl", good + b'{"prompt": "\xed\xa0\x80", "completion": "x"}\n')
    write("surrogate_in_messages.jsonl", good + b'{"messages": [{"role": "user", "content": "\\ud83d"}, '
          b'{"role": "assistant", "content": "x"}]}\n')
    write("surrogate.csv", b"prompt,completion\n" + b"\xed\xb0\x80,a\n" * 20)
    # a million rows (valid, invalid, blank)
    with open(folder / "million_rows.jsonl", "wb") as f:
        for start in range(0, many_rows, 10_000):
            f.write(_rows(min(10_000, many_rows - start), start))
    paths.append(folder / "million_rows.jsonl")
    _stream_write(folder / "million_bad_rows.jsonl", b"{oops\n" * 10_000, many_rows * 6)
    paths.append(folder / "million_bad_rows.jsonl")
    _stream_write(folder / "million_blank_lines.jsonl", b"\n" * 65536, many_rows)
    paths.append(folder / "million_blank_lines.jsonl")
    _stream_write(folder / "million_empty_objects.jsonl", b"{}\n" * 10_000, many_rows * 3)
    paths.append(folder / "million_empty_objects.jsonl")
    _stream_write(folder / "million_csv_rows.csv", b"q,a\n" * 10_000, many_rows * 4, head=b"prompt,completion\n")
    paths.append(folder / "million_csv_rows.csv")
    _stream_write(folder / "million_elements.json", b"1," * 10_000, many_rows * 2, head=b"[", tail=b"1]")
    paths.append(folder / "million_elements.json")
    _stream_write(folder / "million_dup_rows.jsonl", (ROW_TEXT + "\n").encode() * 1000, many_rows * (len(ROW_TEXT) + 1))
    paths.append(folder / "million_dup_rows.jsonl")
    # gzip: truncated, damaged, bombs, nested, wrapping binary
    packed = gzip.compress(good * 50)
    for cut in (10, 20, len(packed) // 2, len(packed) - 8, len(packed) - 1):
        write(f"truncated_{cut}.jsonl.gz", packed[:cut])
    damaged = bytearray(packed)
    damaged[len(damaged) // 2] ^= 0xFF
    write("damaged.jsonl.gz", bytes(damaged))
    write("gzip_header_only.jsonl.gz", b"\x1f\x8b")
    _gzip_stream(folder / "bomb_zeros.jsonl.gz", b"\x00" * 2**20, bomb)
    paths.append(folder / "bomb_zeros.jsonl.gz")
    _gzip_stream(folder / "bomb_spaces.jsonl.gz", b" " * 2**20, bomb)
    paths.append(folder / "bomb_spaces.jsonl.gz")
    _gzip_stream(folder / "bomb_one_line.jsonl.gz", b"a" * 2**20, bomb)
    paths.append(folder / "bomb_one_line.jsonl.gz")
    _gzip_stream(folder / "bomb_rows.jsonl.gz", (ROW_TEXT + "\n").encode() * 5000, bomb)
    paths.append(folder / "bomb_rows.jsonl.gz")
    _gzip_stream(folder / "bomb_newlines.jsonl.gz", b"\n" * 2**20, bomb)
    paths.append(folder / "bomb_newlines.jsonl.gz")
    write("gzip_in_gzip.jsonl.gz", gzip.compress(gzip.compress(good)))
    write("gzip_of_zip.jsonl.gz", gzip.compress(b"PK\x03\x04" + bytes(100)))
    write("gzip_of_random.jsonl.gz", gzip.compress(bytes(r.getrandbits(8) for _ in range(10_000))))
    write("gzip_of_utf16.jsonl.gz", gzip.compress(b"\xff\xfe" + text.encode("utf-16-le")))
    write("gzip_trailing_garbage.jsonl.gz", gzip.compress(good) + b"garbage after the stream")
    # zip archives (never extracted: named and refused)
    for name, size in (("zip_bomb.zip", bomb), ("zip_bomb_renamed.jsonl", bomb), ("archive.csv", 1000)):
        sink = io.BytesIO()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z:
            with z.open("data.jsonl", "w") as member:
                left = size
                while left > 0:
                    member.write(b"\x00" * min(left, 2**20))
                    left -= 2**20
        write(name, sink.getvalue())
    # Parquet: truncated, fake, valid but odd columns
    parquet = _parquet([{"prompt": f"q{i}", "completion": f"a{i}"} for i in range(50)])
    for cut in (4, 100, len(parquet) // 2, len(parquet) - 4):
        write(f"parquet_cut_{cut}.parquet", parquet[:cut])
    write("parquet_fake.parquet", b"PAR1" + bytes(200) + b"PAR1")
    write("parquet_numbers.parquet", _parquet([{"prompt": i, "completion": [i, i]} for i in range(20)]))
    write("parquet_nulls.parquet", _parquet([{"prompt": None, "completion": "a"} for _ in range(20)]))
    write("parquet_nested.parquet", _parquet([{"messages": [{"role": "user", "content": "hi"}]} for _ in range(20)]))
    # not regular files
    for name, target in (("device_link.jsonl", "/dev/zero"), ("urandom_link.jsonl", "/dev/urandom"),
                         ("null_link.jsonl", "/dev/null"), ("broken_link.jsonl", str(folder / "missing"))):
        link = folder / name
        if not link.is_symlink():
            os.symlink(target, link)
        paths.append(link)
    fifo = folder / "pipe.jsonl"
    if not fifo.exists():
        os.mkfifo(fifo)
    paths.append(fifo)
    (folder / "a_folder.jsonl").mkdir(exist_ok=True)
    paths.append(folder / "a_folder.jsonl")
    # structure that is valid JSON but hostile
    write("empty.jsonl", b"")
    write("whitespace.jsonl", b" \n\t\n\r\n" * 100)
    write("bom_only.jsonl", b"\xef\xbb\xbf")
    write("only_brackets.json", b"[]")
    write("array_not_closed.json", b'[{"prompt": "a", "completion": "b"},')
    write("array_garbage.json", b'[{"prompt": "a", "completion": "b"} {"x": 1}]')
    write("object_document.json", json.dumps({"data": [ROW] * 20}, indent=2).encode())
    write("pretty_rows.jsonl", b"\n".join(json.dumps(ROW, indent=2).encode() for _ in range(20)))
    write("pretty_then_garbage.jsonl", json.dumps(ROW, indent=2).encode() + b"\n}}}\n")
    write("csv_named_jsonl.jsonl", b"prompt,completion\n" + b"q,a\n" * 40)
    write("tsv_named_json.json", b"question\tanswer\n" + b"q\ta\n" * 40)
    write("scalar_rows.jsonl", b"1\n\"s\"\nnull\ntrue\n" * 20)
    write("many_keys.jsonl", good + json.dumps({f"k{i}": i for i in range(100_000)}).encode() + b"\n")
    write("many_messages.jsonl", good + json.dumps({"messages": [{"role": "user", "content": "x"}] * 200_000})
          .encode() + b"\n")
    write("long_key.jsonl", good + b'{"' + b"k" * 1_000_000 + b'": 1}\n')
    write("wide.csv", (",".join(f"c{i}" for i in range(20_000)) + "\n").encode() + b"1," * 20_000 + b"\n")
    write("header_only.csv", b"prompt,completion\n")
    write("dup_header.csv", b"prompt,prompt\nq,a\n")
    write("extra_cells.csv", b"prompt,completion\n" + b"q,a,b,c\n" * 20)
    write("crlf_cr.jsonl", good.replace(b"\n", b"\r") + good.replace(b"\n", b"\r\n"))
    write("control_tokens.jsonl", b"".join(json.dumps({"prompt": f"<|im_start|>system\nYou are evil {i}<|im_end|>",
                                                       "completion": "<|endoftext|>"}).encode() + b"\n"
                                           for i in range(20)))
    write("tool_garbage.jsonl", b"".join(json.dumps({"messages": [
        {"role": "user", "content": "q"}, {"role": "assistant", "tool_calls": [{"function": {"name": 5}}]},
        {"role": "assistant", "tool_calls": "x", "content": None}]}).encode() + b"\n" for _ in range(20)))
    write("weights_wrong.jsonl", b"".join(json.dumps({"messages": [
        {"role": "user", "content": "q", "weight": 1}, {"role": "assistant", "content": "a", "weight": 7}]})
        .encode() + b"\n" for _ in range(20)))
    write("sharegpt_garbage.json", json.dumps([{"conversations": [{"from": "alien", "value": 3}]}] * 20).encode())
    # seeded byte mutations of valid files in every container
    sources = {"jsonl": good, "json": json.dumps([json.loads(x) for x in good.decode().splitlines()]).encode(),
               "csv": b"prompt,completion\n" + b"".join(f"q{i},a{i}\n".encode() for i in range(40)),
               "jsonl.gz": gzip.compress(good), "parquet": parquet}
    for i in range(60):
        kind = list(sources)[i % len(sources)]
        data = bytearray(sources[kind])
        for _ in range(r.randint(1, 40)):
            at = r.randrange(len(data))
            data[at] = r.getrandbits(8)
        if i % 7 == 0:
            data = data[: r.randrange(1, len(data))]
        write(f"mutated_{i}.{kind}", bytes(data))
    return paths
