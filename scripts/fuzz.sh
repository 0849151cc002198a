#!/usr/bin/env bash
# A fuzzing campaign over every target (fuzz/fuzz_targets/), on the nightly toolchain with
# cargo-fuzz; new inputs land in fuzz/corpus/, which `cargo test` replays on stable.
#   scripts/fuzz.sh            about 30 minutes: the JWT, JWKS and discovery parsers get most
#   FUZZ_SCALE=0.1 scripts/fuzz.sh    a tenth of that
# Prints each target's runs, coverage and corpus size (docs/security.md has the last campaign).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q nightly || { echo "fuzz: the nightly toolchain is needed (rustup toolchain install nightly)" >&2; exit 1; }
scale=${FUZZ_SCALE:-1}
# Seconds per target: 8 + 7 + 7 minutes for the three token and metadata parsers, the rest 1 minute each.
budget() {
  case "$1" in
    jwt_decode) echo 480 ;;
    jwks_parse|provider_metadata_parse) echo 420 ;;
    *) echo 60 ;;
  esac
}
# Built once, then each target's binary runs directly: a campaign takes half an hour, and the
# tree may change under it.
cargo +nightly fuzz build -O 2>&1 | tail -1
bin=fuzz/target/x86_64-unknown-linux-gnu/release
mkdir -p target/fuzz-logs
for target in $(ls fuzz/fuzz_targets | sed 's/\.rs$//'); do
  seconds=$(awk -v s="$(budget "$target")" -v k="$scale" 'BEGIN { printf "%d", s * k < 1 ? 1 : s * k }')
  log=target/fuzz-logs/$target.log
  mkdir -p "fuzz/artifacts/$target"
  "$bin/$target" "fuzz/corpus/$target" -artifact_prefix="fuzz/artifacts/$target/" \
    -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 -timeout=10 > "$log" 2>&1 || {
      echo "fuzz: $target FAILED; see $log and fuzz/artifacts/$target/" >&2
      tail -30 "$log" >&2
      exit 1
    }
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(ls "fuzz/corpus/$target" | wc -l)
  printf 'fuzz: %-24s %5d s %12s runs  cov %6s  ft %6s  corpus %5d\n' "$target" "$seconds" "$runs" "$cov" "$ft" "$corpus"
done
