# Sourced by cargo-cross for *-apple-darwin: a C compiler for build scripts
# (ring) without Apple's SDK, good for `cargo check` and `cargo clippy`, which
# compile C but link nothing. clang targets macOS; -nostdinc keeps the host's
# glibc headers out; clang's own headers (stddef.h, stdint.h) and the three
# stubs in macos-stubs/ stand in for the SDK's.
target="$1"
clang_include="$(clang -print-resource-dir)/include"
cflags="--target=$target -ffreestanding -nostdinc -isystem $clang_include -isystem $here/macos-stubs"
triple_var="$(echo "$target" | tr '-' '_')"
export "CC_${triple_var}=clang" "AR_${triple_var}=llvm-ar" "CFLAGS_${triple_var}=$cflags"
