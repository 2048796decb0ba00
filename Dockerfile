# One image with both binaries; each compose service picks one with
# `entrypoint: ["publisher"]` or `entrypoint: ["subscriber"]`.
#
# It needs BuildKit (the builder of Docker Desktop and of `docker compose`)
# and nothing beyond its two base images: no frontend image, no apt-get. The
# crates come from crates.io, unless they are vendored in
# target/compose-vendor (`cargo vendor`, as scripts/test-compose does): then
# the build is offline.
#
# Build arguments; the defaults make the release image:
#   PROFILE        the cargo profile: release (fat LTO, slow to build), or
#                  a quicker one: dev, or compose-test (no debug info;
#                  scripts/test-compose uses it)
#   BUILD_IMAGE    the build stage's base: cargo, rustc and a C compiler
#   RUNTIME_IMAGE  the runtime stage's base: a Debian bookworm
ARG BUILD_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- build ------------------------------------------------------------------
FROM ${BUILD_IMAGE} AS build
ARG PROFILE=release
# The sources are mounted, not copied (no layer of them). The caches keep
# downloaded crates and compiled dependencies between builds; the binaries
# are copied out because the target cache is not part of the image.
RUN --mount=type=bind,target=/src \
    --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/cargo-target \
    cd /src \
 && if [ -d target/compose-vendor ]; then \
      set -- --offline \
        --config 'source.crates-io.replace-with="vendored"' \
        --config 'source.vendored.directory="target/compose-vendor"'; \
    fi \
 && CARGO_TARGET_DIR=/cargo-target \
    cargo build --profile "$PROFILE" --locked -p publisher -p subscriber "$@" \
 && if [ "$PROFILE" = dev ]; then dir=debug; else dir=$PROFILE; fi \
 && mkdir -p /out \
 && cp "/cargo-target/$dir/publisher" "/cargo-target/$dir/subscriber" /out/

# --- runtime ----------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
# The system CA certificates, from the build stage's Debian: TLS to a server
# with a publicly trusted certificate then works without --tls-ca.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
# A non-root user with a home: the agent keeps its state (session id, what it
# has shown) in ~/.local/state/remote-message.
RUN useradd --create-home --uid 10001 --user-group remote
# Mount points of the compose demo's volumes (the set-up, an agent's creds,
# its state): a new volume takes this owner and mode, so the non-root user
# can write there, and the state stays private as the agent wants it.
RUN mkdir -p /admin /creds /home/remote/.local/state/remote-message \
 && chown remote:remote /admin /creds \
 && chown -R remote:remote /home/remote/.local \
 && chmod 700 /home/remote/.local/state/remote-message
COPY --from=build /out/publisher /out/subscriber /usr/local/bin/
USER remote
WORKDIR /home/remote
