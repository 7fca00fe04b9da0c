# The recorder task image: Chromium (headful, on Xvfb), PulseAudio and ffmpeg beside Node and the task
# bundle — room composite, web, participant and track composite egress.
#
# Build from the repository root (scripts/images/build.sh does this with local bases and buildah):
#   docker build -f task-image/recorder.Dockerfile [--secret id=ca,src=<extra CA bundle>] .
#
# BASE provides Node 22 and npm for the build; the runtime is the Debian that RUNTIME_BASE is, with the
# packages tagged `recorder` in task-image/debian-packages.txt and only the node binary taken from BASE.
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
COPY task-image/templates task-image/templates
# The bundles, and beside them only the node_modules they still import (esbuild's externals and their deps);
# the room composite templates are a self-contained browser bundle.
RUN node scripts/build.mjs \
    && mkdir -p /app/dist \
    && cp -r dist/task /app/dist/task \
    && cp -r dist/templates /app/dist/templates \
    && node scripts/images/prune-modules.mjs /app dist/task/*.mjs

FROM ${RUNTIME_BASE} AS runtime
COPY task-image/debian-packages.txt /tmp/debian-packages.txt
# Files no recording uses, kept out by dpkg (≈ 235 MB, 75 MB gzip): Mesa's DRI drivers and the LLVM (+ Z3)
# they JIT with — Chromium runs with --disable-gpu and draws in software, Xvfb runs without GLX; Vulkan's
# validation layer, a debugging aid Chromium ships; Intel Quick Sync's runtime and plugins, which ffmpeg's
# libmfx loads only on Intel GPUs (neither Fargate nor the NVIDIA GPU hosts have one); the icon theme's
# large bitmaps and its cursors (a kiosk window shows no GTK widget; GTK falls back to the scalable icons);
# libmysofa's HRTF sets, data of ffmpeg's sofalizer filter, which no recording uses.
RUN printf 'path-exclude %s\n' '/usr/lib/*/dri/*' '/usr/lib/*/libLLVM-*' '/usr/lib/*/libz3.so*' \
      /usr/lib/chromium/libVkLayer_khronos_validation.so '/usr/lib/*/libmfxhw64.so*' '/usr/lib/*/mfx/*' \
      '/usr/lib/*/libmfx-tracer.so*' '/usr/share/icons/Adwaita/48x48/*' '/usr/share/icons/Adwaita/64x64/*' \
      '/usr/share/icons/Adwaita/96x96/*' '/usr/share/icons/Adwaita/256x256/*' '/usr/share/icons/Adwaita/512x512/*' \
      '/usr/share/icons/Adwaita/cursors/*' '/usr/share/libmysofa/*' \
      >/etc/dpkg/dpkg.cfg.d/recorder-excludes
# The packages tagged `recorder` in the one package list; the `node` user (uid 1000, as in the node images);
# /tmp/.X11-unix, where Xvfb run as that user may not create its socket folder itself.
RUN set -eu; \
    packages=$(awk '!/^[[:space:]]*(#|$)/ { for (i = 2; i <= NF; i++) if ($i == "recorder") print $1 }' /tmp/debian-packages.txt); \
    apt-get update -q; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log /tmp/debian-packages.txt; \
    groupadd --gid 1000 node; \
    useradd --uid 1000 --gid node --create-home --shell /bin/sh node; \
    mkdir -m 1777 /tmp/.X11-unix
COPY --from=node /node /usr/local/bin/node
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production
USER 1000:1000
# tini reaps Chromium's and ffmpeg's children and forwards SIGTERM to node (exec form: no shell in between).
# -s keeps that true when ECS's own init (initProcessEnabled) is PID 1 instead.
ENTRYPOINT ["tini", "-s", "--"]
CMD ["node", "dist/task/main.mjs"]
