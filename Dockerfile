# Two targets from one build: `gateway` (GraphQL and the web UI) and `worker` (host tools for virt-sparsify).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
COPY web ./web
RUN npm run build --silent && npm prune --omit=dev

FROM node:20-bookworm-slim AS gateway
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The web UI, served by the gateway at / (the worker image carries it too; it is 0.3 MB).
COPY --from=build /app/web/dist ./web/dist
# npm start / token:create run through the launcher; with no sources in the image it never builds.
COPY package.json ./
COPY scripts/launch.sh ./scripts/
EXPOSE 4000
USER node
CMD ["node", "dist/src/main.js", "gateway"]

FROM gateway AS worker
USER root
# linux-image-amd64: supermin needs a kernel to build the libguestfs appliance; INITRD=No skips
# the initramfs it never uses.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive INITRD=No apt-get install -y --no-install-recommends \
      libguestfs-tools qemu-utils linux-image-amd64 e2fsprogs fdisk util-linux xfsprogs fuse3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group sparsify-parser
# sparsify-parser: the estimator's parsers of guest data (dumpe2fs, xfs_db) run as this user.
ENV LIBGUESTFS_BACKEND=direct LIBGUESTFS_CACHEDIR=/var/tmp
# Runs as root: it must write VM images owned by the hypervisor user and use /dev/kvm.
CMD ["node", "dist/src/main.js", "worker"]
