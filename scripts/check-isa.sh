#!/usr/bin/env bash
# Checks the two kernel families of the release library (`make check-isa`):
#  1. every function the AVX2 objects share with the linker (global or weak) is
#     named after SwiftPoolKernelsAVX2 or free of AVX instructions, so the linker
#     cannot merge AVX2 code into the baseline family through a same-named
#     link-once symbol;
#  2. the baseline family and the rest of libswiftpool's own code contain no VEX
#     instruction (they run on any x86-64), while the AVX2 family uses 256-bit ones.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${SWIFT_BUILD_DIR:-.build/release}
LIB=${1:-$BUILD/libswiftpool.so}
fail=0

objects=("$BUILD"/SwiftPoolKernelsAVX2.build/*.o)
# Shared (global/weak) functions of the AVX2 objects not named after the module
# (e.g. the standard library's lazy witness-table accessors) may be merged with
# another module's copy: they must not contain a VEX instruction.
for o in "${objects[@]}"; do
    for sym in $(readelf -sW "$o" | awk '$4=="FUNC" && $5!="LOCAL" {print $8}'); do
        case "$(echo "$sym" | swift demangle)" in *SwiftPoolKernelsAVX2*) continue ;; esac
        if objdump -d --no-show-raw-insn "$o" --disassemble="$sym" | grep -qE $'\tv[a-z]'; then
            echo "check-isa: $o: shared function with AVX code: $(echo "$sym" | swift demangle)"; fail=1
        fi
    done
done

# Per-function instruction summary: <module> <has VEX> <has ymm> <name>.
objdump -d --no-show-raw-insn "$LIB" | awk '
    /^[0-9a-f]+ <.*>:$/ { name = $2; next }
    /^ *[0-9a-f]+:\t/ { split($0, f, "\t"); ins = f[2]
        if (ins ~ /^v[a-z]/) vex[name] = 1
        if (ins ~ /%ymm/) ymm[name] = 1
        seen[name] = 1 }
    END { for (n in seen) print (vex[n] ? 1 : 0), (ymm[n] ? 1 : 0), n }' > /tmp/check-isa.$$
swift demangle < /tmp/check-isa.$$ > /tmp/check-isa.demangled.$$
avx2_funcs=$(grep -c 'SwiftPoolKernelsAVX2' /tmp/check-isa.demangled.$$ || true)
avx2_ymm=$(grep 'SwiftPoolKernelsAVX2' /tmp/check-isa.demangled.$$ | awk '$2 == 1' | wc -l)
# Our own baseline code: the baseline kernel family and the SwiftPool module.
baseline=$(grep -E '(SwiftPoolKernels\.|SwiftPool\.)' /tmp/check-isa.demangled.$$ | grep -v 'SwiftPoolKernelsAVX2' || true)
baseline_funcs=$(echo "$baseline" | grep -c . || true)
baseline_vex=$(echo "$baseline" | awk '$1 == 1' || true)
rm -f /tmp/check-isa.$$ /tmp/check-isa.demangled.$$
if [ -n "$baseline_vex" ]; then
    echo "check-isa: baseline code uses VEX (AVX) instructions:"; echo "$baseline_vex" | cut -c1-200; fail=1
fi
if [ "$avx2_ymm" -lt 10 ]; then
    echo "check-isa: only $avx2_ymm of $avx2_funcs AVX2-family functions use ymm registers"; fail=1
fi
[ $fail -eq 0 ] && echo "check-isa: ok ($avx2_ymm of $avx2_funcs AVX2-family functions use 256-bit registers; none of $baseline_funcs baseline functions has a VEX instruction)"
exit $fail
