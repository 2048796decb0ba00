# syntax=docker/dockerfile:1
# One image with both binaries; each compose service picks one with
# `entrypoint: ["publisher"]` or `entrypoint: ["subscriber"]`.

# --- build ------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep downloaded crates and compiled dependencies between builds;
# the binaries are copied out because the target cache is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p publisher -p subscriber \
 && mkdir -p /out \
 && cp target/release/publisher target/release/subscriber /out/

# --- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim
# The system CA certificates: TLS to a server with a publicly trusted
# certificate then works without --tls-ca.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# A non-root user with a home: the agent keeps its state (session id, what it
# has shown) in ~/.local/state/remote-message.
RUN useradd --create-home --uid 10001 --user-group remote
# Mount points of the compose demo's volumes (the set-up, an agent's creds):
# a new volume takes this owner, so the non-root user can write there.
RUN mkdir -p /admin /creds && chown remote:remote /admin /creds
COPY --from=build /out/publisher /out/subscriber /usr/local/bin/
USER remote
WORKDIR /home/remote
