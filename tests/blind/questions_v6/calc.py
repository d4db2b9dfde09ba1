# Figures used in the v6 criteria. Assumptions: training FLOPs ~ 6*N*D (DPO: +2*N per token for the reference
# forward pass, so 8*N*D); effective throughput 30-40% of bf16 dense peak (H100 ~300-400 TFLOPS, A100 ~94-125);
# full fine-tuning with Adam ~16 bytes/param; bf16 2 bytes/param, 4-bit ~0.5; ~20 tokens/param compute-optimal;
# ~4 characters per token (English), ~500 tokens per page.
H100 = (300e12, 400e12); A100 = (94e12, 125e12)
def hours(flops, rate): return flops / rate[1] / 3600, flops / rate[0] / 3600
def show(name, *v): print(name, *v)
# cost-01: elevator work orders, LoRA 8B, A100 $1.8/h
t = 4500 * 900 * 3; f = 6 * 8e9 * t; h = hours(f, A100); show("cost-01 tokens", t, "flops %.3g" % f, "A100-h", h, "$", [x * 1.8 for x in h])
# cost-02: 40 GB German text, continued pretraining 7B, H100 $2.5/h
t = 40e9 / 4; f = 6 * 7e9 * t; h = hours(f, H100); show("cost-02 tokens %.3g" % t, "flops %.3g" % f, "H100-h", h, "$", [x * 2.5 for x in h], "state GB", 7e9 * 16 / 1e9)
t2 = 2e9; f2 = 6 * 7e9 * t2; show("cost-02 2B subset H100-h", hours(f2, H100), "$", [x * 2.5 for x in hours(f2, H100)])
# cost-03: 32B on 24 GB
show("cost-03 4-bit GB", 32e9 * 0.5 / 1e9, "bf16 GB", 32e9 * 2 / 1e9, "full FT GB", 32e9 * 16 / 1e9)
# cost-04: RAG over 2,500 PDFs x 40 pages
t = 2500 * 40 * 500; chunks = t / 500; show("cost-04 tokens", t, "embed $", t / 1e6 * 0.02, "chunks", chunks, "MB", chunks * 1536 * 4 / 1e6)
q = 800 * 30; show("cost-04 month in $", q * 4000 / 1e6 * 0.15, "out $", q * 400 / 1e6 * 0.60)
# cost-05: 30 000 conversations/day, 2,500 in + 300 out tokens each; API $0.40/M in, $1.60/M out; L40S $1.1/h
i = 30000 * 2500; o = 30000 * 300; d = i / 1e6 * 0.40 + o / 1e6 * 1.60; show("cost-05 day $", d, "month", d * 30, "L40S day", 1.1 * 24, "month", 1.1 * 24 * 30, "avg tok/s", (i + o) / 86400, "out tok/s", o / 86400)
# cost-06: labelling soil reports
h = 3000 * 6 / 60; show("cost-06 hours", h, "EUR", h * 45, "10% double EUR", h * 0.1 * 45)
# cost-07: DPO LoRA 8B, 45k pairs x 900 tokens x 2 epochs, H100 $2.5/h
t = 45000 * 900 * 2; f = 8 * 8e9 * t; h = hours(f, H100); show("cost-07 tokens", t, "flops %.3g" % f, "H100-h", h, "$", [x * 2.5 for x in h])
# cost-08: 1.3B from scratch, 26B tokens; own data 5B tokens
f = 6 * 1.3e9 * 26e9; h = hours(f, H100); show("cost-08 flops %.3g" % f, "H100-h", h, "$", [x * 2.5 for x in h], "x3 for failed runs", [x * 2.5 * 3 for x in h], "optimal tokens", 1.3e9 * 20, "own/needed", 5e9 / 26e9)
# cost-09: hosted fine-tuning 2,000 x 500 x 3 epochs at $3/M
t = 2000 * 500 * 3; show("cost-09 tokens", t, "$", t / 1e6 * 3)
# cost-10: review 150 outputs x 3 min x 3 rounds
show("cost-10 review h", 150 * 3 / 60, "x3 rounds", 150 * 3 * 3 / 60)
# cost-11: textile dyeing, 8B full FT vs LoRA; 30k x 700 x 2 epochs
t = 30000 * 700 * 2; f = 6 * 8e9 * t; show("cost-11 full FT GB", 8e9 * 16 / 1e9, "bf16", 16, "4-bit", 4, "tokens", t, "H100-h", hours(f, H100), "$ at 2.9", [x * 2.9 for x in hours(f, H100)])
# cost-12: EUR 3 000 budget, annotators EUR 30/h, 5 min per example
show("cost-12 hours", 3000 / 30, "examples", 3000 / 30 * 60 / 5)
# pushback-01: 3B full FT on 8xH100; 60k x 800 x 3 epochs
t = 60000 * 800 * 3; f = 6 * 3e9 * t; show("pb-01 GB", 3e9 * 16 / 1e9, "flops %.3g" % f, "minutes on 8 H100", [f / (8 * r) / 60 for r in (400e12, 300e12)])
# pushback-03: 13B from scratch
f = 6 * 13e9 * 260e9; h = hours(f, H100); show("pb-03 flops %.3g" % f, "H100-h", h, "$", [x * 2.5 for x in h], "share", 300e6 / 260e9)
# why_not-05: 32B full FT
show("wn-05 full GB", 32e9 * 16 / 1e9, "bf16", 32e9 * 2 / 1e9, "4-bit", 32e9 * 0.5 / 1e9)
# why_not-07: Swahili 1.5B tokens on 7B
f = 6 * 7e9 * 1.5e9; h = hours(f, H100); show("wn-07 flops %.3g" % f, "H100-h", h, "$", [x * 2.5 for x in h])
# why_not-08: PLC code 80M tokens
show("wn-08 params supported at 20 tok/param", 80e6 / 20, "tokens a 1B needs", 20e9, "share", 80e6 / 20e9)
# side-06: 8B on laptops
show("sq-06 8B 4-bit GB", 8e9 * 0.5 / 1e9, "bf16", 16, "3B 4-bit", 1.5)
# side-11: 300-page EIA
show("sq-11 tokens", 300 * 500, "vs 128k")
# pushback-07: 150 examples, 20 epochs, batch 8
show("pb-07 steps", 150 * 20 / 8)
