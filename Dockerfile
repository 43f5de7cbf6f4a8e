# One image for every Panoptes role (docker-compose.yml picks the role with --only).
FROM node:20-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libpcap-dev curl ca-certificates build-essential \
 && curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
ENV PATH=/root/.cargo/bin:$PATH
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libpcap0.8 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
ENTRYPOINT ["node", "/app/apps/panoptes/bin/panoptes.js"]
CMD ["run", "-c", "/etc/panoptes/panoptes.yaml"]
