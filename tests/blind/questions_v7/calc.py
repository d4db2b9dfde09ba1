"""Arithmetic behind every figure in the v7 criteria. Run: python calc.py
Assumptions: training FLOPs ~ 6*N*D (DPO ~ 8*N*D for the reference pass); effective throughput 30-40% of bf16 dense
peak (H100 ~ 300-400 TFLOPS, A100 ~ 94-125); full fine-tuning with Adam ~ 16 bytes/param; bf16 2 bytes/param, 4-bit
~ 0.5; ~20 tokens/param compute-optimal; ~4 characters per token for English-like text; ~500 tokens per page."""
H100 = (300e12, 400e12); A100 = (94e12, 125e12)
def hours(flops, gpu):  # slow, fast
    return flops / gpu[0] / 3600, flops / gpu[1] / 3600
def show(name, *vals):
    print(name, *[f"{v:,.3g}" if isinstance(v, float) else v for v in vals])

# why_not-05: 1.5B full fine-tune, 600k reactions x 120 tokens x 3 epochs
D = 600_000 * 120 * 3; F = 6 * 1.5e9 * D
show("why_not-05 tokens", float(D), "flops", F, "H100 h", *hours(F, H100), "full-FT state GB", 1.5 * 16)
# why_not-07: 8B continued pretraining on 0.9B Maltese tokens at 2.40 EUR/h
F = 6 * 8e9 * 0.9e9; h = hours(F, H100)
show("why_not-07 flops", F, "H100 h", *h, "EUR", h[1] * 2.4, h[0] * 2.4)
# why_not-08: 40B bases, ~5 bases/token -> 8B tokens; 300M model
D = 40e9 / 5; F = 6 * 3e8 * D
show("why_not-08 tokens", D, "optimal params", D / 20, "flops 300M", F, "H100 h", *hours(F, H100))
# why_not-04: nothing to compute beyond the user's own 61% vs 90%
# cost-01: 7,500 x 600 x 3 epochs on an 8B, A100 at $1.6/h
D = 7500 * 600 * 3; F = 6 * 8e9 * D; h = hours(F, A100)
show("cost-01 tokens", float(D), "flops", F, "A100 h", *h, "$", h[1] * 1.6, h[0] * 1.6)
# cost-02: 12 GB Czech ~ 3B tokens, 8B model, H100 $2.2/h
D = 12e9 / 4; F = 6 * 8e9 * D; h = hours(F, H100)
show("cost-02 tokens", D, "flops", F, "H100 h", *h, "$", h[1] * 2.2, h[0] * 2.2, "full-FT state GB", 8 * 16)
show("cost-02 0.5B subset H100 h", *hours(6 * 8e9 * 0.5e9, H100))
# cost-03: 12B model on a 24 GB card
show("cost-03 4-bit GB", 12 * 0.5, "bf16 GB", 12 * 2.0, "full FT GB", 12 * 16.0)
# cost-04: 18,000 contracts x 12 pages x 500 tokens; 512-token chunks; 1,536 float32 dims
D = 18000 * 12 * 500; chunks = D / 512
q = 300 * 22
show("cost-04 tokens", float(D), "embed $", D / 1e6 * 0.02, "chunks", chunks, "index GB", chunks * 1536 * 4 / 1e9,
     "queries/month", q, "in $", q * 5000 / 1e6 * 2.5, "out $", q * 500 / 1e6 * 10)
# cost-05: 50k conversations/day, 1,200 in / 250 out, $0.15 / $0.60 per M; L4 at $0.8/h
inp = 50000 * 1200; out = 50000 * 250; day = inp / 1e6 * 0.15 + out / 1e6 * 0.6
show("cost-05 $/day", day, "$/month", day * 30, "L4 $/month", 0.8 * 24 * 30, "avg tok/s", (inp + out) / 86400,
     "avg out tok/s", out / 86400)
# cost-06: 4,000 calls x 8 min at EUR 38/h, 10% double-scored
h = 4000 * 8 / 60
show("cost-06 hours", h, "EUR", h * 38, "double EUR", h * 0.1 * 38)
# cost-07: DPO on a 7B, 20,000 pairs x 2 sides x 350 tokens x 2 epochs; H100 $2.5/h; labelling 45 s per pair
D = 20000 * 2 * 350 * 2; F = 8 * 7e9 * D; h = hours(F, H100)
show("cost-07 tokens", float(D), "flops", F, "H100 h", *h, "$", h[1] * 2.5, h[0] * 2.5, "label h", 20000 * 45 / 3600)
# cost-08: 2B from scratch, 20 tokens/param; they have 8B tokens; H100 $3/h
D = 2e9 * 20; F = 6 * 2e9 * D; h = hours(F, H100)
show("cost-08 tokens", D, "their share", 8e9 / D, "flops", F, "H100 h", *h, "$", h[1] * 3, h[0] * 3)
show("cost-08 on their 8B tokens only H100 h", *hours(6 * 2e9 * 8e9, H100))
# cost-09: 1,800 x 450 x 4 epochs at $3/M training tokens
D = 1800 * 450 * 4
show("cost-09 tokens", float(D), "$", D / 1e6 * 3)
# cost-10: 300 reports x 4 min to label; 12 days
show("cost-10 label hours", 300 * 4 / 60)
# cost-11: 3B, 200k pairs x 300 tokens x 2 epochs; A100 40 GB
D = 200000 * 300 * 2; F = 6 * 3e9 * D
show("cost-11 full-FT GB", 3 * 16.0, "bf16 GB", 3 * 2.0, "tokens", float(D), "flops", F, "A100 h", *hours(F, A100),
     "H100 h", *hours(F, H100))
# cost-12: $500; LoRA 8B on 3,000 x 200 x 3; API 40k titles/month x 250 in / 60 out at $0.15/$0.60; L4 24/7
D = 3000 * 200 * 3; F = 6 * 8e9 * D
api = 40000 * 250 / 1e6 * 0.15 + 40000 * 60 / 1e6 * 0.6
show("cost-12 flops", F, "A100 min", *[x * 60 for x in hours(F, A100)], "API $/month", api, "L4 $/month", 0.8 * 24 * 30,
     "days of L4 for $500", 500 / (0.8 * 24))
# pushback-03: 300 PDFs x 20 pages x 500 tokens
show("pushback-03 tokens", float(300 * 20 * 500))
# pushback-04: 7B full FT state vs 4 x 80 GB; 200 examples x 3 epochs / batch 8
show("pushback-04 GB", 7 * 16.0, "cluster GB", 4 * 80.0, "steps", 200 * 3 / 8)
# pushback-05: 50 test items, ~80% accuracy; 3 points = 1.5 items
import math
se = math.sqrt(0.8 * 0.2 / 50)
show("pushback-05 se", se, "95% half-width points", 1.96 * se * 100, "items for 3 pts", 0.03 * 50,
     "se of a difference (independent)", 1.96 * math.sqrt(2) * se * 100)
n = (1.96 * math.sqrt(2 * 0.8 * 0.2) / 0.03) ** 2
show("pushback-05 n for +-3 pts difference", n)
# pushback-06: 1B on device, 4-bit
show("pushback-06 1B 4-bit GB", 1 * 0.5, "3B 4-bit GB", 3 * 0.5)
# pushback-12: 8B bf16 vs 4-bit
show("pushback-12 bf16 GB", 16.0, "4-bit GB", 4.0)
# side_question-05: 500-word article, 1.3 tok/word vs 5 tok/word
show("side-05 tokens", 500 * 1.3, 500 * 5.0, "ratio", 5 / 1.3)
# side_question-06: CPU decode ~ memory bandwidth / model bytes; 40 GB/s laptop
show("side-06 8B 4-bit tok/s", 40 / 4.5, "3B 4-bit tok/s", 40 / 1.8)
