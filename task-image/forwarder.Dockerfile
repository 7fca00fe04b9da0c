# The forwarder task image: Node and the task bundle only (track egress: raw RTP into a container, or PCM to
# a WebSocket) — no Chromium, ffmpeg or X server, so it stays small and starts fast on Fargate.
#
# Build from the repository root (scripts/images/build.sh does this with local bases and buildah):
#   docker build -f task-image/forwarder.Dockerfile [--secret id=ca,src=<extra CA bundle>] .
#
# BASE provides Node 22 and npm for the build. The runtime is distroless-style: the node binary (stripped of
# its debug symbols), tini, the CA bundle and the exact libraries they load, taken from the Debian that
# RUNTIME_BASE is, with a dpkg status naming their packages for image scanners — no shell, no apt, no npm.
ARG BASE=node:22-bookworm-slim
ARG RUNTIME_BASE=debian:bookworm-slim

FROM ${BASE} AS node
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends binutils \
    && strip -o /node /usr/local/bin/node && /node --version

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The CA bundle (for networks that intercept TLS) is a build secret: used by npm here, never in a layer.
RUN --mount=type=secret,id=ca --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --no-audit --no-fund --no-update-notifier --loglevel=error
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY scripts/images/prune-modules.mjs scripts/images/
COPY functions functions
COPY task-image/runtime task-image/runtime
# The bundles, and beside them only the node_modules they still import (esbuild's externals and their deps).
RUN node scripts/build.mjs \
    && mkdir -p /app/dist \
    && cp -r dist/task /app/dist/task \
    && node scripts/images/prune-modules.mjs /app dist/task/*.mjs

FROM ${RUNTIME_BASE} AS rootfs
# The Debian packages tagged `forwarder` in the one package list (ca-certificates, tini).
COPY task-image/debian-packages.txt /tmp/debian-packages.txt
RUN set -eu; \
    packages=$(awk '!/^[[:space:]]*(#|$)/ { for (i = 2; i <= NF; i++) if ($i == "forwarder") print $1 }' /tmp/debian-packages.txt); \
    apt-get update -q; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages
COPY scripts/images/runtime-closure.sh /usr/local/sbin/runtime-closure.sh
COPY --from=node /node /usr/local/bin/node
COPY --from=build /app /app
RUN bash /usr/local/sbin/runtime-closure.sh /rootfs /usr/local/bin/node /usr/bin/tini $(find /app -name '*.node')

FROM scratch AS runtime
COPY --from=rootfs /rootfs/ /
COPY --from=build /app /app
ENV PATH=/usr/local/bin:/usr/bin NODE_ENV=production
WORKDIR /app
USER 1000:1000
# tini reaps and forwards SIGTERM to node (exec form: no shell in between), which finishes the outputs.
# -s keeps that true when ECS's own init (initProcessEnabled) is PID 1 instead.
ENTRYPOINT ["/usr/bin/tini", "-s", "--"]
CMD ["node", "dist/task/main.mjs"]
