#!/usr/bin/env bash
# Where one replayed decode step's time goes, kernel by kernel, on the GPU machine. The
# machine has Nsight Compute but no Nsight Systems, so: `ncu --graph-profiling node` times
# every kernel of every CUDA-graph node on its own (serialised, so gaps between kernels
# are not in it), `bench decode` runs a random Llama-3-8B-shape checkpoint, and the last
# step is cut off the end of the kernel list as its repeating period (every decode step
# launches the same kernels in the same order). Prints per kernel name: launches in the
# step, total µs, share, DRAM GB/s; then the sum against the bench's own ms/token, whose
# difference is what the step loses between kernels.
#   there: bash scripts/gpu_step_profile.sh   (carry .gpu-deps; KVB_PROFILE_CONTEXT, KVB_PROFILE_METHOD,
#   KVB_PROFILE_TIMEOUT: seconds for the ncu run, which also profiles every prefill kernel)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:-/tmp}
context=${KVB_PROFILE_CONTEXT:-32768}
method=${KVB_PROFILE_METHOD:-full}
source scripts/gpu_env.sh
bash scripts/gpu_build.sh kvbench >"$out/profile_build.log" 2>&1 || { tail -20 "$out/profile_build.log"; exit 1; }
kvb=build-gpu/harness/kvbench model=$KVB_LLAMA8B_SHAPE_MODEL
kvb_make_llama8b_shape_model $kvb || exit 1
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[ -n "$ncu" ] || { echo "gpu_step_profile: no ncu on this machine" >&2; exit 1; }
# Unprofiled first: the step time the profile's sum is compared with.
$kvb bench decode --model $model --context "$context" --budget 1024 --method "$method" --new-tokens 64 2>&1 |
  grep -v '^\[W' | tee "$out/profile_bench.txt"
# 4 new tokens: 3 steps, the last two replayed from the captured graph.
timeout "${KVB_PROFILE_TIMEOUT:-360}" "$ncu" --graph-profiling node --clock-control none --metrics gpu__time_duration.sum,dram__bytes_read.sum \
  --csv --page raw --print-units base --log-file "$out/profile_ncu.csv" \
  $kvb bench decode --model $model --context "$context" --budget 1024 --method "$method" --new-tokens 4 \
  >"$out/profile_app.txt" 2>&1 || { tail -5 "$out/profile_ncu.csv" "$out/profile_app.txt"; exit 1; }
# The log holds ncu's own lines and the CSV (a header, a units row, a row per kernel;
# numbers with thousands separators).
"$KVB_PYTHON" - "$out/profile_ncu.csv" "$out/profile_bench.txt" <<'EOF'
import collections, csv, sys
lines = [l for l in open(sys.argv[1]) if l.startswith('"')]
rows = []
for r in csv.DictReader(lines):
    for key in ("gpu__time_duration.sum", "dram__bytes_read.sum"):
        r[key] = r.get(key, "").replace(",", "")
    if r["gpu__time_duration.sum"].replace(".", "").isdigit():
        rows.append(r)
names = [r["Kernel Name"] for r in rows]
period = next((p for p in range(8, len(names) // 2 + 1) if names[-p:] == names[-2 * p:-p]), None)
if period is None:
    sys.exit(f"no repeating step in the last {len(names)} kernels")
step = rows[-period:]
total_ns = sum(float(r["gpu__time_duration.sum"]) for r in step)
groups = collections.defaultdict(lambda: [0, 0.0, 0.0])
for r in step:
    g = groups[r["Kernel Name"][:70]]
    g[0] += 1
    g[1] += float(r["gpu__time_duration.sum"])
    g[2] += float(r["dram__bytes_read.sum"] or 0)
print(f"\none decode step: {period} kernels, {total_ns / 1e3:.1f} us summed (serialised by ncu)")
print(f"{'kernel':70s} {'n':>4s} {'us':>9s} {'share':>6s} {'GB/s':>7s}")
for name, (n, ns, read) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
    print(f"{name:70s} {n:4d} {ns / 1e3:9.1f} {ns / total_ns:6.1%} {read / ns:7.0f}")
for line in open(sys.argv[2]):
    parts = line.split()
    if len(parts) > 3 and parts[2].replace(".", "").isdigit() and not parts[0].startswith("method"):
        print(f"bench {parts[0]} at {parts[1]}: {parts[3]} ms/token; kernels sum to {total_ns / 1e6:.3f} ms "
              f"({total_ns / 1e6 / float(parts[3]):.0%})")
EOF
