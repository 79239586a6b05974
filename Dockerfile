# One image for all four services; docker-compose.yml picks the command.
# The console's npm packages (exactly the lockfile, no install scripts), copied into the image below.
FROM node:20-slim AS console-assets
WORKDIR /console
COPY services/console/package.json services/console/package-lock.json ./
RUN npm ci --ignore-scripts --omit=dev --no-audit --no-fund

FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.8
# Fonts the exporter embeds in its PDFs (docs/exports.md): DejaVu, CJK and emoji fallbacks.
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends fonts-dejavu-core fonts-droid-fallback \
       fonts-symbola \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
COPY --from=console-assets /console/node_modules ./services/console/node_modules
RUN uv sync --frozen --all-packages --no-dev
ENV PATH="/app/.venv/bin:$PATH"
RUN useradd --system --uid 10001 guard
USER guard
